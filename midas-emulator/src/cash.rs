//! The player's side of a cash purchase: the local server pays for launch parameters as
//! WeChat would — `paySig` checked with the payment key of `signData`'s `env`, `signature`
//! with the player's session key, the fields of `signData` — books a paid order and pushes its
//! delivery event; refund tasks finish on demand and push `xpay_refund_notify`.

use std::sync::{Arc, Mutex, PoisonError};

use midas_core::body_signed::verify_pay_sig;
use midas_core::{Env, rules};
use serde_json::{Map, Value, json};

use crate::ledger::{Bought, CashOrderView, Payment, RefundFinished, Refusal, unix_now};
use crate::pusher::{PushReport, PushTarget};
use crate::session::SessionProblem;
use crate::shared::Shared;

/// What a token costs in a recharge (`short_series_coin`), in fen: the platform's price,
/// which the launch does not carry.
pub const COIN_PRICE_FEN: i64 = 10;

/// The launch parameters a client received, as texts: what the simulated player pays for.
///
/// ```
/// use midas_emulator::LaunchTexts;
/// let launch = LaunchTexts::new("requestVirtualPayment", "short_series_goods", "{}", "00", "00");
/// assert_eq!(launch.api, "requestVirtualPayment");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchTexts {
    /// The client API called: `requestVirtualPayment` or `requestMidasPaymentGameItem`.
    pub api: String,
    /// `mode` (`short_series_goods`, `short_series_coin`; `goods` for mini-game items).
    pub mode: String,
    /// `signData`, exactly as signed.
    pub sign_data: String,
    /// `paySig`.
    pub pay_sig: String,
    /// `signature`.
    pub signature: String,
}

impl LaunchTexts {
    /// The texts of one launch.
    pub fn new(
        api: impl Into<String>,
        mode: impl Into<String>,
        sign_data: impl Into<String>,
        pay_sig: impl Into<String>,
        signature: impl Into<String>,
    ) -> Self {
        Self {
            api: api.into(),
            mode: mode.into(),
            sign_data: sign_data.into(),
            pay_sig: pay_sig.into(),
            signature: signature.into(),
        }
    }
}

/// Why the simulated player could not pay.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayRefused {
    /// Not a payment API the server knows, or a `mode` it does not take.
    #[error("unknown payment API or mode: {0}")]
    UnknownMode(String),
    /// `signData` is not a JSON object, or a field is missing or wrong.
    #[error("signData field `{field}`: {problem}")]
    SignData {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// `paySig` is not made with the payment key of `signData`'s `env` over
    /// `"<api>&" + signData`.
    #[error("paySig does not check out")]
    PaySig,
    /// The player was never registered.
    #[error("unknown player")]
    UnknownPlayer,
    /// The player is not logged in, or `signature` was made with a replaced session key.
    #[error("the player's session expired")]
    SessionExpired,
    /// `signature` is not made with the player's session key over `signData`.
    #[error("signature does not check out")]
    Signature,
    /// The `outTradeNo` was paid before.
    #[error("outTradeNo `{0}` was used before")]
    OutTradeNoUsed(String),
}

/// A cash order, as the server's books show it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CashOrder {
    /// The environment.
    pub env: Env,
    /// The game's `outTradeNo`.
    pub out_trade_no: String,
    /// WeChat's order id.
    pub wx_order_id: String,
    /// The player.
    pub openid: String,
    /// The item (goods), or `None` for a token recharge.
    pub product_id: Option<String>,
    /// How many.
    pub quantity: i64,
    /// `query_order.status`: 2 paid, 4 delivered, 5 refunded in full.
    pub status: i64,
    /// Paid, in fen.
    pub paid_fee: i64,
    /// Refunded by finished refunds, in fen.
    pub refund_fee: i64,
    /// Left to refund, in fen.
    pub left_fee: i64,
}

impl CashOrder {
    pub(crate) fn of(view: &CashOrderView) -> Self {
        let (product_id, quantity) = match &view.bought {
            Bought::Goods { product_id, quantity, .. } => (Some(product_id.clone()), *quantity),
            Bought::Coins { quantity } => (None, *quantity),
        };
        Self {
            env: view.env,
            out_trade_no: view.order_id.clone(),
            wx_order_id: view.wx_order_id.clone(),
            openid: view.openid.clone(),
            product_id,
            quantity,
            status: view.status,
            paid_fee: view.paid_fee,
            refund_fee: view.refund_fee,
            left_fee: view.left_fee,
        }
    }
}

/// What [`Emulator::pay_launch`](crate::Emulator::pay_launch) did: the order booked (as it
/// stands after its push), and the push of its delivery event when a target is set.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CashPayment {
    /// The order.
    pub order: CashOrder,
    /// The delivery push and the receiver's answers, when a push target is set.
    pub push: Option<PushReport>,
}

/// Where the cash desk pushes its events, shared by the emulator's clones.
#[derive(Clone, Debug, Default)]
pub(crate) struct CashDesk {
    target: Arc<Mutex<Option<PushTarget>>>,
}

impl CashDesk {
    pub(crate) fn set_target(&self, target: Option<PushTarget>) {
        *self.target.lock().unwrap_or_else(PoisonError::into_inner) = target;
    }

    pub(crate) fn target(&self) -> Option<PushTarget> {
        self.target.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Checks a launch as WeChat does and books the paid order; the delivery event to push.
pub(crate) fn pay(
    shared: &Shared,
    openid: &str,
    launch: &LaunchTexts,
) -> Result<(CashOrderView, String), PayRefused> {
    let game_item = match (launch.api.as_str(), launch.mode.as_str()) {
        ("requestVirtualPayment", "short_series_goods" | "short_series_coin") => false,
        ("requestMidasPaymentGameItem", "goods") => true,
        (api, mode) => return Err(PayRefused::UnknownMode(format!("{api} with mode `{mode}`"))),
    };
    let fields = match serde_json::from_str::<Value>(&launch.sign_data) {
        Ok(Value::Object(fields)) => fields,
        _ => return Err(sign_data("signData", "must be a JSON object")),
    };
    let env = match fields.get("env").map(Value::as_i64) {
        None | Some(Some(0)) => Env::Production,
        Some(Some(1)) => Env::Sandbox,
        Some(_) => return Err(sign_data("env", "must be 0 or 1")),
    };
    let sign_bytes = launch.sign_data.as_bytes();
    if verify_pay_sig(shared.app.payment_keys.get(env), &launch.api, sign_bytes, &launch.pay_sig).is_err() {
        return Err(PayRefused::PaySig);
    }
    let mut state = shared.state();
    if !state.ledger.knows(openid) {
        return Err(PayRefused::UnknownPlayer);
    }
    match state.sessions.verify(openid, sign_bytes, &launch.signature) {
        Ok(()) => {}
        Err(SessionProblem::NoSession | SessionProblem::Expired) => return Err(PayRefused::SessionExpired),
        Err(SessionProblem::Mismatch) => return Err(PayRefused::Signature),
    }
    let text = |field: &'static str| match fields.get(field) {
        Some(Value::String(text)) => Ok(text.as_str()),
        Some(_) => Err(sign_data(field, "must be a string")),
        None => Err(sign_data(field, "is missing")),
    };
    let positive = |field: &'static str| match fields.get(field).and_then(Value::as_i64) {
        Some(number) if number > 0 => Ok(number),
        _ => Err(sign_data(field, "must be an integer above zero")),
    };
    if text("offerId")? != shared.app.offer_id {
        return Err(sign_data("offerId", "is not the app's offerId"));
    }
    if text("currencyType")? != "CNY" {
        return Err(sign_data("currencyType", "must be CNY"));
    }
    if game_item && text("mode")? != "goods" {
        return Err(sign_data("mode", "must be goods"));
    }
    let out_trade_no = text("outTradeNo")?.to_owned();
    rules::out_trade_no("outTradeNo", &out_trade_no).map_err(|_| {
        sign_data("outTradeNo", "must be 8 to 32 characters of [0-9A-Za-z_-], not starting with _")
    })?;
    let quantity = positive("buyQuantity")?;
    let attach = match fields.get("attach") {
        None => String::new(),
        Some(_) => text("attach")?.to_owned(),
    };
    let (bought, paid_fee) = if launch.mode == "short_series_coin" {
        let paid =
            quantity.checked_mul(COIN_PRICE_FEN).ok_or_else(|| sign_data("buyQuantity", "too large"))?;
        (Bought::Coins { quantity }, paid)
    } else {
        let product_id = text("productId")?.to_owned();
        if product_id.is_empty() {
            return Err(sign_data("productId", "must not be empty"));
        }
        let unit_price = positive("goodsPrice")?;
        let paid = unit_price.checked_mul(quantity).ok_or_else(|| sign_data("goodsPrice", "too large"))?;
        (Bought::Goods { product_id, unit_price, quantity }, paid)
    };
    let payment = Payment {
        env,
        out_trade_no: out_trade_no.clone(),
        openid: openid.to_owned(),
        bought,
        attach,
        paid_fee,
        now: unix_now(),
    };
    // Tokens bought with money are credited to the player's wallet when the order is paid.
    let recharged = match &payment.bought {
        Bought::Coins { quantity } => Some(
            state
                .ledger
                .recharged(env, openid, *quantity)
                .ok_or_else(|| sign_data("buyQuantity", "too many tokens for the wallet"))?,
        ),
        Bought::Goods { .. } => None,
    };
    let order = state.ledger.cash().pay(payment).map_err(|refusal| match refusal {
        Refusal::BillNoTaken => PayRefused::OutTradeNoUsed(out_trade_no),
        other => sign_data("outTradeNo", &format!("{other:?}")),
    })?;
    if let Some(recharged) = recharged {
        state.ledger.store_recharge(recharged);
    }
    let message = delivery_message(&order);
    Ok((order, message))
}

fn sign_data(field: &'static str, problem: &str) -> PayRefused {
    PayRefused::SignData { field, problem: problem.to_owned() }
}

/// Records the order delivered after its push was answered success.
pub(crate) fn delivered(shared: &Shared, env: Env, out_trade_no: &str) {
    let _ = shared.state().ledger.cash().deliver(env, out_trade_no, unix_now());
}

/// The order as the books show it now.
pub(crate) fn order(shared: &Shared, env: Env, out_trade_no: &str) -> Option<CashOrder> {
    shared.state().ledger.cash_book().view(env, out_trade_no, None).as_ref().map(CashOrder::of)
}

/// Every cash order.
pub(crate) fn orders(shared: &Shared) -> Vec<CashOrder> {
    shared.state().ledger.cash_book().orders().iter().map(CashOrder::of).collect()
}

/// Finishes the running refund tasks: their `xpay_refund_notify` messages.
pub(crate) fn finish_refunds(shared: &Shared) -> Vec<String> {
    let finished = shared.state().ledger.cash().finish_refunds(unix_now());
    finished.iter().map(refund_message).collect()
}

/// The envelope every event message starts with.
fn envelope(event: &str, openid: &str, now: u64) -> Map<String, Value> {
    let mut message = Map::new();
    message.insert("ToUserName".into(), json!("gh_local_midas"));
    message.insert("FromUserName".into(), json!(openid));
    message.insert("CreateTime".into(), json!(now));
    message.insert("MsgType".into(), json!("event"));
    message.insert("Event".into(), json!(event));
    message
}

/// `xpay_goods_deliver_notify` or `xpay_coin_pay_notify` of a paid order.
fn delivery_message(order: &CashOrderView) -> String {
    let (event, info_name, info) = match &order.bought {
        Bought::Goods { product_id, unit_price, quantity } => (
            "xpay_goods_deliver_notify",
            "GoodsInfo",
            json!({
                "ProductId": product_id,
                "Quantity": quantity,
                "OrigPrice": unit_price,
                "ActualPrice": order.paid_fee,
                "Attach": order.attach,
            }),
        ),
        Bought::Coins { quantity } => (
            "xpay_coin_pay_notify",
            "CoinInfo",
            json!({
                "Quantity": quantity,
                "OrigPrice": order.order_fee,
                "ActualPrice": order.paid_fee,
                "Attach": order.attach,
            }),
        ),
    };
    let mut message = envelope(event, &order.openid, order.paid_time);
    message.insert("OpenId".into(), json!(order.openid));
    message.insert("OutTradeNo".into(), json!(order.order_id));
    message.insert("Env".into(), json!(order.env.pick(0, 1)));
    message.insert(
        "WeChatPayInfo".into(),
        json!({
            "MchOrderNo": order.channel_order_id,
            "TransactionId": order.wxpay_order_id,
            "PaidTime": order.paid_time,
        }),
    );
    message.insert(info_name.into(), info);
    Value::Object(message).to_string()
}

/// `xpay_refund_notify` of a finished refund.
fn refund_message(refund: &RefundFinished) -> String {
    let mut message = envelope("xpay_refund_notify", &refund.openid, refund.finished_at);
    message.insert("OpenId".into(), json!(refund.openid));
    message.insert("MchRefundId".into(), json!(refund.started.refund_order_id));
    message.insert("WxRefundId".into(), json!(refund.started.refund_wx_order_id));
    message.insert("MchOrderId".into(), json!(refund.started.pay_order_id));
    message.insert("WxOrderId".into(), json!(refund.started.pay_wx_order_id));
    message.insert(
        "WxpayRefundTransactionId".into(),
        json!(format!("emu-wxpay-{}", refund.started.refund_wx_order_id)),
    );
    message.insert("RefundFee".into(), json!(refund.refund_fee));
    message.insert("RetCode".into(), json!(0));
    message.insert("RetMsg".into(), json!("success"));
    message.insert("RefundStartTimestamp".into(), json!(refund.started_at));
    message.insert("RefundSuccTimestamp".into(), json!(refund.finished_at));
    message.insert("RetryTimes".into(), json!(0));
    message.insert("Env".into(), json!(refund.env.pick(0, 1)));
    Value::Object(message).to_string()
}
