//! xpay (virtual payment), `/xpay/*`: what it checks, in its order, and how it words the
//! ledger's outcomes.
//!
//! | check | errcode |
//! |---|---|
//! | `pay_sig` in the query, and `signature` for `query_user_balance`, `currency_pay` and `cancel_currency_pay` | 268490002 |
//! | body fields: present, typed, known; `env` 0 or 1; amounts above zero; order ids of `[0-9A-Za-z_-]{1,63}`; `order_id` or `wx_order_id`, one of them (`query_order`, `notify_provide_goods`, `refund_order`); `refund_order` also `refund_order_id` of 8–32 characters, `biz_meta` ≤ 1024 bytes, `refund_reason` "0"–"5", `req_from` "1"–"3" | 268490002, `[field] field ...` |
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
use crate::ledger::{
    Applied, Bought, CashOrderView, DEFAULT_ZONE_ID, Done, Entry, Op, OrderKind, OrderView, RefundAsk,
    Refusal,
};
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
/// `query_order`, `notify_provide_goods`, `refund_order`: `order_id` or `wx_order_id`.
const EITHER_ORDER_ID: FieldSpec = ("order_id", Kind::Text, false);
const WX_ORDER_ID: FieldSpec = ("wx_order_id", Kind::Text, false);
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
        Api::QueryOrder => &[OPENID, ENV, USER_IP, EITHER_ORDER_ID, WX_ORDER_ID],
        Api::NotifyProvideGoods => &[EITHER_ORDER_ID, WX_ORDER_ID, ENV, USER_IP],
        Api::RefundOrder => &[
            OPENID,
            ENV,
            USER_IP,
            EITHER_ORDER_ID,
            WX_ORDER_ID,
            ("refund_order_id", Kind::Text, true),
            ("left_fee", Kind::Integer, true),
            ("refund_fee", Kind::Integer, true),
            ("biz_meta", Kind::Text, false),
            ("refund_reason", Kind::Text, true),
            ("req_from", Kind::Text, true),
        ],
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
            Done::CashOrder(order) => Ok(fields([("order", cash_order_json(&order))])),
            Done::RefundStarted(started) => Ok(fields([
                ("refund_order_id", json!(started.refund_order_id)),
                ("refund_wx_order_id", json!(started.refund_wx_order_id)),
                ("pay_order_id", json!(started.pay_order_id)),
                ("pay_wx_order_id", json!(started.pay_wx_order_id)),
            ])),
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
            Refusal::RefundRunning => {
                Rejection::new(268_490_014, "refund in progress: retry later with the same parameters")
            }
            Refusal::LeftFeeMismatch => Rejection::new(
                268_490_016,
                "refund left_fee does not match the order: check it with query_order",
            ),
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
        Api::QueryOrder => match either_order_id(body)? {
            (order_id, false) => Op::Query { bill_no: order_id },
            (wx_order_id, true) => Op::QueryByWx { wx_order_id },
        },
        Api::NotifyProvideGoods => match either_order_id(body)? {
            (order_id, false) => Op::Deliver { bill_no: order_id },
            (wx_order_id, true) => Op::DeliverByWx { wx_order_id },
        },
        Api::RefundOrder => Op::CashRefund(Box::new(refund_ask(body)?)),
        _ => Op::Balance,
    })
}

/// The order a call names: `order_id` or `wx_order_id`, exactly one, and whether it is
/// WeChat's.
fn either_order_id(body: &Body) -> Result<(String, bool), Rejection> {
    match (body.text("order_id"), body.text("wx_order_id")) {
        (Some(_), Some(_)) => Err(body.invalid("wx_order_id", "give order_id or wx_order_id, not both")),
        (Some(_), None) => Ok((body.order_no("order_id", true)?, false)),
        (None, Some(wx_order_id)) => Ok((wx_order_id.to_owned(), true)),
        (None, None) => Err(WORDING.refuse("order_id", Problem::Missing)),
    }
}

/// `refund_order`'s fields, checked as the reference states them.
fn refund_ask(body: &Body) -> Result<RefundAsk, Rejection> {
    let (order, by_wx_order_id) = either_order_id(body)?;
    let refund_order_id = body.order_no("refund_order_id", true)?;
    if !(8..=32).contains(&refund_order_id.len()) {
        return Err(body.invalid("refund_order_id", "must be 8 to 32 characters"));
    }
    let left_fee = body.amount("left_fee")?;
    let refund_fee = body.amount("refund_fee")?;
    let biz_meta = body.text("biz_meta").unwrap_or_default().to_owned();
    if biz_meta.len() > 1024 {
        return Err(body.invalid("biz_meta", "must be at most 1024 bytes"));
    }
    if !matches!(body.text("refund_reason"), Some("0" | "1" | "2" | "3" | "4" | "5")) {
        return Err(body.invalid("refund_reason", "must be one of \"0\" to \"5\""));
    }
    if !matches!(body.text("req_from"), Some("1" | "2" | "3")) {
        return Err(body.invalid("req_from", "must be one of \"1\" to \"3\""));
    }
    Ok(RefundAsk {
        openid: body.text("openid").unwrap_or_default().to_owned(),
        order,
        by_wx_order_id,
        refund_order_id,
        left_fee,
        refund_fee,
        biz_meta,
        fingerprint: body.fingerprint(),
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

/// `query_order`'s `order` for a cash order or refund task: every documented field.
fn cash_order_json(order: &CashOrderView) -> serde_json::Value {
    let biz_type = match order.bought {
        Bought::Goods { .. } => 1000,
        Bought::Coins { .. } => 1001,
    };
    json!({
        "order_id": order.order_id,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "status": order.status,
        "biz_type": biz_type,
        "order_fee": order.order_fee,
        "coupon_fee": order.order_fee.saturating_sub(order.paid_fee).max(0) * i64::from(order.order_type == 0),
        "paid_fee": order.paid_fee,
        "order_type": order.order_type,
        "refund_fee": order.refund_fee,
        "paid_time": order.paid_time,
        "provide_time": order.provide_time,
        "biz_meta": order.biz_meta,
        "env_type": order.env.pick(1, 2),
        "token": format!("emu-token-{:08}", order.seq),
        "left_fee": order.left_fee,
        "wx_order_id": order.wx_order_id,
        "channel_order_id": order.channel_order_id,
        "wxpay_order_id": order.wxpay_order_id,
        "sett_time": 0,
        "sett_state": 0,
        "platform_fee_fen": 0,
        "cps_fee_fen": 0,
    })
}
