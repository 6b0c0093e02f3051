//! xpay (virtual payment), `/xpay/*`: what it checks, in its order, and how it words the
//! ledger's outcomes.
//!
//! | check | errcode |
//! |---|---|
//! | `pay_sig` in the query, and `signature` for `query_user_balance`, `currency_pay` and `cancel_currency_pay` | 268490002 |
//! | body fields: present, typed, known; `env` 0 or 1; amounts above zero; order ids of `[0-9A-Za-z_-]{1,63}` | 268490002, `[field] field ...` |
//! | `pay_sig` with the payment key of `env`, over the path and the received bytes | 268490003 |
//! | APIs with `signature`: the player is known | 268490001 |
//! | APIs with `signature`: the player is logged in, and `signature` is not made with a replaced session key | 268490009 |
//! | APIs with `signature`: `signature` with the player's session key, over the received bytes | 268490003 |
//!
//! The other APIs refuse an unknown player with 268490001 when they reach the books.
//!
//! xpay carries no `zone_id`: its calls use the player's wallet in [`DEFAULT_ZONE_ID`] (`"1"`),
//! the one the zone-less Midas 1.0 and 2.0 games use too.

use serde_json::json;

use super::body::{Body, FieldSpec, Kind, Problem, Wording};
use super::body_signed::{pay_sig_matches, required_param};
use super::interface::{Context, Protocol, Received};
use crate::answer::{Fields, Rejection, fields};
use crate::api::Api;
use crate::ledger::{Applied, DEFAULT_ZONE_ID, Done, Entry, Op, OrderKind, OrderView, Refusal};
use crate::session::SessionProblem;

/// xpay.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Xpay;

const WORDING: Wording = Wording::BodySigned { errcode: 268_490_002 };
const SIGNATURE: i64 = 268_490_003;

const OPENID: FieldSpec = ("openid", Kind::Text, true);
const ENV: FieldSpec = ("env", Kind::Integer, true);
const USER_IP: FieldSpec = ("user_ip", Kind::Text, false);
const ORDER_ID: FieldSpec = ("order_id", Kind::Text, true);
const AMOUNT: FieldSpec = ("amount", Kind::Integer, true);

fn fields_of(api: Api) -> &'static [FieldSpec] {
    match api {
        Api::CurrencyPay => &[
            OPENID,
            ENV,
            USER_IP,
            AMOUNT,
            ORDER_ID,
            ("payitem", Kind::Text, false),
            ("remark", Kind::Text, false),
        ],
        Api::CancelCurrencyPay => {
            &[OPENID, ENV, USER_IP, ("pay_order_id", Kind::Text, true), ORDER_ID, AMOUNT]
        }
        Api::PresentCurrency => &[OPENID, ENV, USER_IP, ORDER_ID, AMOUNT],
        Api::QueryOrder => &[OPENID, ENV, USER_IP, ORDER_ID],
        Api::NotifyProvideGoods => &[ORDER_ID, ENV, USER_IP],
        _ => &[OPENID, ENV, USER_IP],
    }
}

/// Whether the API takes the user-state `signature` as well as `pay_sig`.
const fn takes_signature(api: Api) -> bool {
    matches!(api, Api::QueryUserBalance | Api::CurrencyPay | Api::CancelCurrencyPay)
}

impl Protocol for Xpay {
    fn parameter_errcode(&self) -> i64 {
        WORDING.errcode()
    }

    /// Every check of a call, in xpay's order (see the [module](self) documentation).
    fn check(&self, request: &Received<'_>, context: &Context<'_>) -> Result<Entry, Rejection> {
        let (api, query, bytes) = (request.api, request.query, request.body);
        let pay_sig = required_param(query, "pay_sig", WORDING)?;
        let signature =
            if takes_signature(api) { Some(required_param(query, "signature", WORDING)?) } else { None };

        let body = Body::parse(bytes, fields_of(api), WORDING)?;
        let env = body.env()?;
        let op = op(api, &body)?;

        if !pay_sig_matches(context.app, api, env, bytes, &pay_sig) {
            return Err(Rejection::new(SIGNATURE, "signature error: pay_sig does not match"));
        }
        let openid = body.text("openid").map(str::to_owned);
        if let (Some(signature), Some(openid)) = (&signature, &openid) {
            if !context.ledger.knows(openid) {
                return Err(self.refusal(Refusal::UnknownPlayer));
            }
            match context.sessions.verify(openid, bytes, signature) {
                Ok(()) => {}
                Err(SessionProblem::NoSession | SessionProblem::Expired) => {
                    return Err(Rejection::new(268_490_009, "session_key missing or expired, log in again"));
                }
                Err(SessionProblem::Mismatch) => {
                    return Err(Rejection::new(SIGNATURE, "signature error: signature does not match"));
                }
            }
        }
        // xpay has no zones: every call uses the one wallet of the default zone.
        let zone_id = DEFAULT_ZONE_ID.to_owned();
        Ok(Entry { api, env, openid, zone_id, op, fingerprint: body.fingerprint() })
    }

    /// A repeated `currency_pay`, `cancel_currency_pay` or `present_currency` is 268490004, the
    /// previous operation having succeeded.
    fn answer(&self, applied: Applied) -> Result<Fields, Rejection> {
        if applied.replayed {
            return Err(Rejection::new(268_490_004, "duplicate operation: the previous one succeeded"));
        }
        match applied.done {
            Done::Balance(balance) => Ok(fields([
                ("balance", json!(balance.balance)),
                ("present_balance", json!(balance.gen_balance)),
                ("sum_save", json!(balance.save_amt)),
                ("sum_present", json!(balance.present_sum)),
                ("sum_balance", json!(balance.save_sum)),
                ("sum_cost", json!(balance.cost_sum)),
                ("first_save_flag", json!(balance.first_save)),
            ])),
            Done::Present { bill_no, balance, gen_balance } => Ok(fields([
                ("balance", json!(balance)),
                ("order_id", json!(bill_no)),
                ("present_balance", json!(gen_balance)),
            ])),
            Done::Pay { bill_no, balance, used_gen_amt } => Ok(fields([
                ("order_id", json!(bill_no)),
                ("balance", json!(balance)),
                ("used_present_amount", json!(used_gen_amt)),
            ])),
            Done::Refund { bill_no, .. } => Ok(fields([("order_id", json!(bill_no))])),
            Done::Order(order) => Ok(fields([("order", order_json(&order))])),
            Done::Delivered => Ok(fields([])),
        }
    }

    fn refusal(&self, refusal: Refusal) -> Rejection {
        let parameter = |field: &str, problem: String| WORDING.refuse(field, Problem::Invalid(&problem));
        match refusal {
            Refusal::UnknownPlayer => Rejection::new(268_490_001, "openid error"),
            Refusal::BillNoTaken => parameter("order_id", "already used by another order".to_owned()),
            Refusal::NotEnough => Rejection::new(268_490_006, "insufficient coins"),
            Refusal::UnknownPay => {
                parameter("pay_order_id", "no currency_pay order of this openid".to_owned())
            }
            Refusal::FullyRefunded | Refusal::AlreadyRefunded => {
                Rejection::new(268_490_005, "order already refunded by cancel_currency_pay")
            }
            Refusal::RefundTooLarge { left } => parameter("amount", format!("only {left} is left to refund")),
            Refusal::UnknownOrder => parameter("order_id", "no such order".to_owned()),
            Refusal::Overflow => {
                parameter("amount", "would take the wallet past 9223372036854775807 coins".to_owned())
            }
        }
    }
}

fn op(api: Api, body: &Body) -> Result<Op, Rejection> {
    let order_id = |name| body.order_no(name, true);
    let optional = |name| body.text(name).map(str::to_owned);
    Ok(match api {
        Api::CurrencyPay => Op::Pay {
            bill_no: order_id("order_id")?,
            amount: body.amount("amount")?,
            payitem: optional("payitem"),
        },
        Api::CancelCurrencyPay => Op::Refund {
            bill_no: order_id("order_id")?,
            pay_bill_no: order_id("pay_order_id")?,
            amount: body.amount("amount")?,
            once: true,
        },
        Api::PresentCurrency => {
            Op::Present { bill_no: order_id("order_id")?, amount: body.amount("amount")? }
        }
        Api::QueryOrder => Op::Query { bill_no: optional("order_id").unwrap_or_default() },
        Api::NotifyProvideGoods => Op::Deliver { bill_no: optional("order_id").unwrap_or_default() },
        _ => Op::Balance,
    })
}

/// `query_order`'s `order`. A pay or present is delivered (status 4) when booked; a pay once
/// refunded, and a refund order, are refunded (status 5).
fn order_json(order: &OrderView) -> serde_json::Value {
    let (status, order_type, paid_fee, refund_fee, left_fee) = match order.kind {
        OrderKind::Pay if order.refunded > 0 => {
            (5, 0, order.amount, order.refunded, order.amount - order.refunded)
        }
        OrderKind::Pay => (4, 0, order.amount, 0, order.amount),
        OrderKind::Present => (4, 0, 0, 0, 0),
        OrderKind::Refund => (5, 1, 0, order.amount, 0),
    };
    json!({
        "order_id": order.bill_no,
        "create_time": order.time,
        "update_time": order.time,
        "status": status,
        "order_type": order_type,
        "order_fee": order.amount,
        "coupon_fee": 0,
        "paid_fee": paid_fee,
        "refund_fee": refund_fee,
        "left_fee": left_fee,
        "paid_time": order.time,
        "provide_time": order.time,
        "env_type": order.env.pick(1, 2),
        "wx_order_id": format!("emu-wx-{}-{}", order.env, order.seq),
    })
}
