//! Midas 2.0 for mini games, `/wxa/game/*`: what it checks, in its order, and how it words the
//! ledger's outcomes.
//!
//! | check | errcode |
//! |---|---|
//! | `signature`, `sig_method=hmac_sha256` and `pay_sig` in the query | 90018 |
//! | body fields: present, typed, known; `offer_id` of the app; `env` 0 or 1; amounts above zero; `bill_no` of `[0-9A-Za-z_-]{1,63}` not starting with `_`; `biz_id` 1 or 2; getbalance `coin_type` 0, or 1 (the recharge-center balance, kept in zone `"1"`) with `zone_id` `"1"` | 90018, `[field] field ...` |
//! | `pay_sig` with the payment key of `env`, over the path and the received bytes | 90011 |
//! | the player is logged in, and `signature` is not made with a replaced session key | 90016 |
//! | `signature` with the player's session key, over the received bytes | 90010 |

use serde_json::{Value, json};

use super::body::{Body, FieldSpec, Kind, Problem, Wording};
use super::body_signed::{pay_sig_matches, required_param};
use super::interface::{Context, Protocol, Received};
use crate::answer::{Fields, Rejection, fields};
use crate::api::Api;
use crate::ledger::{Applied, DEFAULT_ZONE_ID, Done, Entry, Op, OrderKind, OrderView, Refusal};
use crate::session::SessionProblem;

/// Midas 2.0.
#[derive(Clone, Copy, Debug)]
pub(crate) struct V2;

const WORDING: Wording = Wording::BodySigned { errcode: 90018 };

const COMMON: [FieldSpec; 6] = [
    ("openid", Kind::Text, true),
    ("offer_id", Kind::Text, true),
    ("ts", Kind::Integer, true),
    ("zone_id", Kind::Text, true),
    ("env", Kind::Integer, true),
    ("user_ip", Kind::Text, false),
];

fn own_fields(api: Api) -> &'static [FieldSpec] {
    match api {
        Api::V2GetBalance => &[("coin_type", Kind::Integer, false)],
        Api::V2Pay => &[
            ("amount", Kind::Integer, true),
            ("bill_no", Kind::Text, true),
            ("payitem", Kind::Text, false),
            ("remark", Kind::Text, false),
        ],
        Api::V2CancelPay => &[
            ("pay_bill_no", Kind::Text, true),
            ("bill_no", Kind::Text, true),
            ("amount", Kind::Integer, true),
        ],
        Api::V2Present => &[("amount", Kind::Integer, true), ("bill_no", Kind::Text, true)],
        Api::V2QueryOrderInfo => &[("out_trade_no", Kind::Text, true), ("biz_id", Kind::Integer, true)],
        _ => &[],
    }
}

impl Protocol for V2 {
    fn parameter_errcode(&self) -> i64 {
        WORDING.errcode()
    }

    /// Every check of a call, in Midas 2.0's order (see the [module](self) documentation).
    fn check(&self, request: &Received<'_>, context: &Context<'_>) -> Result<Entry, Rejection> {
        let (api, query, bytes) = (request.api, request.query, request.body);
        let signature = required_param(query, "signature", WORDING)?;
        let sig_method = required_param(query, "sig_method", WORDING)?;
        if sig_method != "hmac_sha256" {
            return Err(WORDING.refuse("sig_method", Problem::Invalid("must be hmac_sha256")));
        }
        let pay_sig = required_param(query, "pay_sig", WORDING)?;

        let specs: Vec<FieldSpec> = COMMON.iter().chain(own_fields(api)).copied().collect();
        let body = Body::parse(bytes, &specs, WORDING)?;
        body.expect_text("offer_id", &context.app.offer_id, "does not match the app's offer_id")?;
        body.check_ts()?;
        // coin_type 1 reads the recharge-center balance, which the server keeps in zone "1".
        match body.integer("coin_type") {
            None | Some(0) => {}
            Some(1) if body.text("zone_id") == Some(DEFAULT_ZONE_ID) => {}
            Some(1) => {
                return Err(body.invalid("zone_id", "the recharge-center balance is read with zone_id 1"));
            }
            Some(_) => return Err(body.invalid("coin_type", "must be 0 (game coins) or 1 (recharge center)")),
        }
        let env = body.env()?;
        let op = op(api, &body)?;

        if !pay_sig_matches(context.app, api, env, bytes, &pay_sig) {
            return Err(Rejection::new(90011, "pay_sig error"));
        }
        let openid = body.text("openid").unwrap_or_default().to_owned();
        match context.sessions.verify(&openid, bytes, &signature) {
            Ok(()) => {}
            Err(SessionProblem::NoSession | SessionProblem::Expired) => {
                return Err(self.refusal(Refusal::UnknownPlayer));
            }
            Err(SessionProblem::Mismatch) => return Err(Rejection::new(90010, "signature error")),
        }
        let zone_id = body.text("zone_id").unwrap_or_default().to_owned();
        Ok(Entry { api, env, openid: Some(openid), zone_id, op, fingerprint: body.fingerprint() })
    }

    /// A repeated `pay` or `cancelpay` answers the first result; a repeated `present` is 90012,
    /// as a `bill_no` processed already.
    fn answer(&self, applied: Applied) -> Result<Fields, Rejection> {
        match applied.done {
            Done::Balance(balance) => Ok(fields([
                ("balance", json!(balance.balance)),
                ("present_balance", json!(balance.gen_balance)),
                ("sum_save", json!(balance.save_amt)),
                ("sum_present", json!(balance.present_sum)),
                ("sum_balance", json!(balance.save_sum)),
                ("sum_cost", json!(balance.cost_sum)),
                ("first_save", json!(balance.first_save)),
            ])),
            Done::Present { .. } if applied.replayed => Err(self.refusal(Refusal::BillNoTaken)),
            Done::Present { bill_no, balance, .. } => {
                Ok(fields([("bill_no", json!(bill_no)), ("balance", json!(balance))]))
            }
            Done::Pay { bill_no, balance, used_gen_amt } => Ok(fields([
                ("bill_no", json!(bill_no)),
                ("balance", json!(balance)),
                ("used_present_amount", json!(used_gen_amt)),
            ])),
            Done::Refund { bill_no, balance } => {
                Ok(fields([("bill_no", json!(bill_no)), ("balance", json!(balance))]))
            }
            // Refund orders are not pay or present orders: not found here.
            Done::Order(OrderView { kind: OrderKind::Refund, .. }) => {
                Err(self.refusal(Refusal::UnknownOrder))
            }
            Done::Order(order) => Ok(order_info(&order)),
            Done::Delivered | Done::CashOrder(_) | Done::RefundStarted(_) => Err(Rejection::busy()),
        }
    }

    fn refusal(&self, refusal: Refusal) -> Rejection {
        let amount = |problem: String| WORDING.refuse("amount", Problem::Invalid(&problem));
        match refusal {
            Refusal::UnknownPlayer => Rejection::new(90016, "session key expired or missing, log in again"),
            Refusal::BillNoTaken => {
                Rejection::new(90012, "bill_no duplicate: the order was processed already")
            }
            Refusal::NotEnough => Rejection::new(90013, "balance not enough"),
            Refusal::UnknownPay => {
                Rejection::new(90000, "order not exist: no pay of this openid with pay_bill_no")
            }
            Refusal::FullyRefunded | Refusal::AlreadyRefunded => {
                amount("nothing is left to refund of pay_bill_no".to_owned())
            }
            Refusal::RefundTooLarge { left } => {
                amount(format!("only {left} is left to refund of pay_bill_no"))
            }
            // xpay's refund tasks are not reached from Midas 2.0.
            Refusal::UnknownOrder | Refusal::RefundRunning | Refusal::LeftFeeMismatch => {
                Rejection::new(90019, "out_trade_no not found")
            }
            Refusal::Overflow => amount("would take the wallet past 9223372036854775807 coins".to_owned()),
        }
    }
}

fn op(api: Api, body: &Body) -> Result<Op, Rejection> {
    let bill_no = |name| body.order_no(name, false);
    let optional = |name| body.text(name).map(str::to_owned);
    Ok(match api {
        Api::V2Pay => Op::Pay {
            bill_no: bill_no("bill_no")?,
            amount: body.amount("amount")?,
            payitem: optional("payitem"),
        },
        Api::V2CancelPay => Op::Refund {
            bill_no: bill_no("bill_no")?,
            pay_bill_no: bill_no("pay_bill_no")?,
            amount: body.amount("amount")?,
            once: false,
        },
        Api::V2Present => Op::Present { bill_no: bill_no("bill_no")?, amount: body.amount("amount")? },
        Api::V2QueryOrderInfo => {
            if !matches!(body.integer("biz_id"), Some(1 | 2)) {
                return Err(body.invalid("biz_id", "must be 1 (game coins) or 2 (item purchase)"));
            }
            Op::Query { bill_no: optional("out_trade_no").unwrap_or_default() }
        }
        _ => Op::Balance,
    })
}

/// `queryorderinfo` of a pay or present order: paid and delivered when it was booked.
fn order_info(order: &OrderView) -> Fields {
    fields([
        ("product_id", json!(product_id(order.payitem.as_deref()))),
        ("pay_state", json!(2)),
        ("deliver_state", json!(2)),
        ("pay_finish_time", json!(order.time)),
        ("out_trade_no", json!(order.bill_no)),
        ("mch_order_no", json!(format!("emu-mch-{}-{}", order.env, order.seq))),
        ("transaction_id", json!(format!("emu-tx-{}-{}", order.env, order.seq))),
    ])
}

/// The `productid` of the first item of a `payitem` like `[{"productid":"id",...}]`, or `""`.
fn product_id(payitem: Option<&str>) -> String {
    let items: Option<Value> = payitem.and_then(|text| serde_json::from_str(text).ok());
    items.as_ref().and_then(|items| items.get(0)?.get("productid")?.as_str()).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_id_is_the_first_items() {
        assert_eq!(product_id(Some(r#"[{"productid":"sword","unit_price":1,"quantity":1}]"#)), "sword");
        assert_eq!(product_id(Some("not json")), "");
        assert_eq!(product_id(None), "");
    }

    #[test]
    fn refund_refusals_name_the_amount() {
        let rejection = V2.refusal(Refusal::RefundTooLarge { left: 3 });
        assert_eq!((rejection.errcode, rejection.errmsg.starts_with("[amount] amount")), (90018, true));
    }
}
