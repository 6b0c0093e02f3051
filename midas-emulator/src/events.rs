//! The payment events the local server pushes (`push.md` §4), typed: every xpay event and
//! every mini-game 2.0 event, rendered as WeChat sends them — JSON or XML, mini-game payloads
//! wrapped with their `PayEventSig`, mock pushes on demand.

use core::fmt;
use core::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use midas_core::{AppKey, Env};
use midas_push::Format;
use serde_json::{Map, Value, json};

/// The re-push intervals of mini-game goods deliveries (`push.md` §1): 15 s, 15 s, 30 s,
/// 3 min, 10 min, 20 min, 30 min, 30 min, 30 min, 60 min, 3 h, 3 h, 3 h, 6 h, 6 h.
pub const DELIVERY_SCHEDULE: [Duration; 15] = [
    Duration::from_secs(15),
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(180),
    Duration::from_secs(600),
    Duration::from_secs(1_200),
    Duration::from_secs(1_800),
    Duration::from_secs(1_800),
    Duration::from_secs(1_800),
    Duration::from_secs(3_600),
    Duration::from_secs(10_800),
    Duration::from_secs(10_800),
    Duration::from_secs(10_800),
    Duration::from_secs(21_600),
    Duration::from_secs(21_600),
];

/// The re-push intervals of xpay events: 2 s, 4 s, 8 s … doubling, 15 re-pushes
/// (`push.md` §1 treats the schedule as configuration; this is the documented capture).
pub const XPAY_SCHEDULE: [Duration; 15] = {
    let mut schedule = [Duration::ZERO; 15];
    let mut at = 0;
    while at < 15 {
        schedule[at] = Duration::from_secs(2u64 << at);
        at += 1;
    }
    schedule
};

/// Every payment event of `push.md` §4, by its documented name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// `xpay_goods_deliver_notify`: a cash item purchase was paid.
    XpayGoodsDeliver,
    /// `xpay_coin_pay_notify`: a token recharge was paid.
    XpayCoinPay,
    /// `xpay_refund_notify`: a refund finished.
    XpayRefund,
    /// `xpay_complaint_notify`: a player complained.
    XpayComplaint,
    /// `xpay_subscribe_signing_result_notify`.
    XpaySubscribeSigningResult,
    /// `xpay_subscribe_pay_fail_notify`.
    XpaySubscribePayFail,
    /// `xpay_subscribe_ios_refund_query_notify`: Apple asks whether to refund.
    XpayIosRefundQuery,
    /// `minigame_coin_deliver_completed`.
    MiniGameCoinDeliver,
    /// `minigame_pay_refund_succ_notify`.
    MiniGamePayRefund,
    /// `minigame_recharge_center_coin_deliver_completed`.
    MiniGameRechargeCenterCoinDeliver,
    /// `minigame_game_pay_goods_deliver_notify`.
    MiniGameGoodsDeliver,
    /// `minigame_h5_goods_deliver_notify`.
    MiniGameH5GoodsDeliver,
}

impl EventKind {
    /// Every event, xpay first.
    pub const ALL: [Self; 12] = [
        Self::XpayGoodsDeliver,
        Self::XpayCoinPay,
        Self::XpayRefund,
        Self::XpayComplaint,
        Self::XpaySubscribeSigningResult,
        Self::XpaySubscribePayFail,
        Self::XpayIosRefundQuery,
        Self::MiniGameCoinDeliver,
        Self::MiniGamePayRefund,
        Self::MiniGameRechargeCenterCoinDeliver,
        Self::MiniGameGoodsDeliver,
        Self::MiniGameH5GoodsDeliver,
    ];

    /// The documented event name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::XpayGoodsDeliver => "xpay_goods_deliver_notify",
            Self::XpayCoinPay => "xpay_coin_pay_notify",
            Self::XpayRefund => "xpay_refund_notify",
            Self::XpayComplaint => "xpay_complaint_notify",
            Self::XpaySubscribeSigningResult => "xpay_subscribe_signing_result_notify",
            Self::XpaySubscribePayFail => "xpay_subscribe_pay_fail_notify",
            Self::XpayIosRefundQuery => "xpay_subscribe_ios_refund_query_notify",
            Self::MiniGameCoinDeliver => "minigame_coin_deliver_completed",
            Self::MiniGamePayRefund => "minigame_pay_refund_succ_notify",
            Self::MiniGameRechargeCenterCoinDeliver => "minigame_recharge_center_coin_deliver_completed",
            Self::MiniGameGoodsDeliver => "minigame_game_pay_goods_deliver_notify",
            Self::MiniGameH5GoodsDeliver => "minigame_h5_goods_deliver_notify",
        }
    }

    /// The event of a documented name.
    ///
    /// ```
    /// use midas_emulator::EventKind;
    /// assert_eq!(EventKind::from_name("xpay_refund_notify"), Some(EventKind::XpayRefund));
    /// assert_eq!(EventKind::from_name("refund"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Whether it is a mini-game 2.0 event (wrapped in `MiniGame` with a `PayEventSig`).
    pub const fn is_mini_game(self) -> bool {
        matches!(
            self,
            Self::MiniGameCoinDeliver
                | Self::MiniGamePayRefund
                | Self::MiniGameRechargeCenterCoinDeliver
                | Self::MiniGameGoodsDeliver
                | Self::MiniGameH5GoodsDeliver
        )
    }

    /// The documented re-push intervals: goods deliveries [`DELIVERY_SCHEDULE`], coin events
    /// its first 13, xpay events [`XPAY_SCHEDULE`].
    pub fn schedule(self) -> &'static [Duration] {
        match self {
            Self::MiniGameCoinDeliver | Self::MiniGameRechargeCenterCoinDeliver => &DELIVERY_SCHEDULE[..13],
            kind if kind.is_mini_game() => &DELIVERY_SCHEDULE,
            _ => &XPAY_SCHEDULE,
        }
    }

    /// What [`EventMessage::new`]'s `id` is for this event: `OutTradeNo`, `MchRefundId`,
    /// `ComplaintId`, `pay_order_id` or `RefundId`.
    pub const fn id_field(self) -> &'static str {
        match self {
            Self::XpayRefund => "MchRefundId",
            Self::XpayComplaint => "ComplaintId",
            Self::XpayIosRefundQuery => "pay_order_id",
            Self::MiniGamePayRefund => "RefundId",
            _ => "OutTradeNo",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One event to push, built from its kind and its identity, with every other documented
/// field filled with a plausible value that a setter can change.
///
/// ```
/// use midas_emulator::{AppKey, Env, EventKind, EventMessage};
/// use midas_push::Format;
/// let key = AppKey::new("payment-sandbox-key")?;
/// let event = EventMessage::new(EventKind::MiniGameCoinDeliver, "order-0001")
///     .open_id("player-1")
///     .quantity(60)
///     .amount(600)
///     .env(Env::Sandbox);
/// let message = event.message(Format::Json, &key);
/// assert!(message.contains(r#""Event":"minigame_coin_deliver_completed""#));
/// assert!(message.contains("PayEventSig"));
/// assert!(event.payload().contains(r#""OutTradeNo":"order-0001""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventMessage {
    kind: EventKind,
    id: String,
    open_id: String,
    product_id: String,
    quantity: i64,
    amount: i64,
    zone_id: String,
    order: Option<String>,
    env: Env,
    mock: bool,
    create_time: i64,
}

impl EventMessage {
    /// `kind` identified by `id` (see [`EventKind::id_field`]), for player `emulator-player`,
    /// one `sword` (or one coin) of 100 fen, zone `"1"`, sandbox, not a mock, created now.
    pub fn new(kind: EventKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
            open_id: "emulator-player".to_owned(),
            product_id: "sword".to_owned(),
            quantity: 1,
            amount: 100,
            zone_id: "1".to_owned(),
            order: None,
            env: Env::Sandbox,
            mock: false,
            create_time: unix_now(),
        }
    }

    /// The player's `OpenId`.
    #[must_use]
    pub fn open_id(mut self, open_id: impl Into<String>) -> Self {
        self.open_id = open_id.into();
        self
    }

    /// `ProductId` (goods) or `product_id` (iOS refund query).
    #[must_use]
    pub fn product_id(mut self, product_id: impl Into<String>) -> Self {
        self.product_id = product_id.into();
        self
    }

    /// Goods or coins bought (`Quantity`, `BuyQuantity`, `p_count`).
    #[must_use]
    pub fn quantity(mut self, quantity: i64) -> Self {
        self.quantity = quantity;
        self
    }

    /// The price paid or refunded, in fen (`OrigPrice`/`ActualPrice`, `RefundFee`, `RefundAmount`).
    #[must_use]
    pub fn amount(mut self, amount: i64) -> Self {
        self.amount = amount;
        self
    }

    /// `ZoneId` of mini-game coin and goods deliveries.
    #[must_use]
    pub fn zone_id(mut self, zone_id: impl Into<String>) -> Self {
        self.zone_id = zone_id.into();
        self
    }

    /// The refunded order of a refund (`MchOrderId`, `OutTradeNo`; default `<id>-order`).
    #[must_use]
    pub fn refunded_order(mut self, order: impl Into<String>) -> Self {
        self.order = Some(order.into());
        self
    }

    /// `Env`: production (0) or sandbox (1); a mini-game payload is signed with the AppKey
    /// of this environment.
    #[must_use]
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// `IsMock` of a mini-game event: the activation test push, which a receiver checks and
    /// answers without running business logic (xpay events have no mock flag).
    #[must_use]
    pub fn mock(mut self, mock: bool) -> Self {
        self.mock = mock;
        self
    }

    /// `CreateTime` and the other timestamps (Unix seconds; default: now).
    #[must_use]
    pub fn create_time(mut self, unix_seconds: i64) -> Self {
        self.create_time = unix_seconds;
        self
    }

    /// The event.
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// The identity (see [`EventKind::id_field`]).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The environment.
    pub fn environment(&self) -> Env {
        self.env
    }

    /// Whether it is a mock push.
    pub fn is_mock(&self) -> bool {
        self.mock && self.kind.is_mini_game()
    }

    /// The event's fields as JSON text: the top-level fields of an xpay event, the exact
    /// `Payload` text of a mini-game event (what `PayEventSig` signs).
    pub fn payload(&self) -> String {
        Value::Object(self.fields()).to_string()
    }

    /// The message WeChat would send, in `format`. `app_key` is the virtual-payment AppKey of
    /// the event's environment: it signs a mini-game payload (`PayEventSig =
    /// hex(HMAC-SHA256(AppKey, Event + "&" + Payload))`); xpay events carry no payload
    /// signature. A mini-game payload stays JSON text inside an XML message.
    pub fn message(&self, format: Format, app_key: &AppKey) -> String {
        self.render(format, Some(app_key))
    }

    /// The message; a mini-game event without a key gets an empty `PayEventSig`.
    pub(crate) fn render(&self, format: Format, app_key: Option<&AppKey>) -> String {
        let name = self.kind.name();
        let mut message = Map::new();
        message.insert("ToUserName".to_owned(), Value::from("gh_local_midas"));
        message.insert("FromUserName".to_owned(), Value::from(self.open_id.as_str()));
        message.insert("CreateTime".to_owned(), Value::from(self.create_time));
        message.insert("MsgType".to_owned(), Value::from("event"));
        message.insert("Event".to_owned(), Value::from(name));
        if self.kind.is_mini_game() {
            let payload = self.payload();
            let sig =
                app_key.map(|key| midas_push::sign::pay_event_sig(key, name, &payload)).unwrap_or_default();
            let wrapper = json!({"Payload": payload, "PayEventSig": sig, "IsMock": self.mock});
            message.insert("MiniGame".to_owned(), wrapper);
        } else {
            message.extend(self.fields());
        }
        match format {
            Format::Json => Value::Object(message).to_string(),
            Format::Xml => {
                let mut xml = String::from("<xml>");
                write_xml(&mut xml, &message);
                xml.push_str("</xml>");
                xml
            }
        }
    }

    /// The event's own fields (`push.md` §4).
    fn fields(&self) -> Map<String, Value> {
        let id = self.id.as_str();
        let env = match self.env {
            Env::Production => 0,
            Env::Sandbox => 1,
        };
        let order = self.order.clone().unwrap_or_else(|| format!("{id}-order"));
        let now = self.create_time;
        let pay_info = |order: &str| json!({"MchOrderNo": format!("mch-{order}"), "TransactionId": format!("tx-{order}"), "PaidTime": now});
        let value = match self.kind {
            EventKind::XpayGoodsDeliver => json!({
                "OpenId": self.open_id, "OutTradeNo": id, "Env": env, "WeChatPayInfo": pay_info(id),
                "GoodsInfo": {"ProductId": self.product_id, "Quantity": self.quantity, "OrigPrice": self.amount,
                              "ActualPrice": self.amount, "Attach": ""},
            }),
            EventKind::XpayCoinPay => json!({
                "OpenId": self.open_id, "OutTradeNo": id, "Env": env, "WeChatPayInfo": pay_info(id),
                "CoinInfo": {"Quantity": self.quantity, "OrigPrice": self.amount, "ActualPrice": self.amount, "Attach": ""},
            }),
            EventKind::XpayRefund => json!({
                "OpenId": self.open_id, "MchRefundId": id, "WxRefundId": format!("wx-{id}"), "MchOrderId": order,
                "WxOrderId": format!("wx-{order}"), "WxpayRefundTransactionId": format!("tx-{id}"),
                "RefundFee": self.amount, "RetCode": 0, "RetMsg": "success", "RefundStartTimestamp": now,
                "RefundSuccTimestamp": now, "RetryTimes": 0,
            }),
            EventKind::XpayComplaint => json!({"OpenId": self.open_id, "ComplaintId": id}),
            EventKind::XpaySubscribeSigningResult | EventKind::XpaySubscribePayFail => {
                json!({"OpenId": self.open_id, "OutTradeNo": id})
            }
            EventKind::XpayIosRefundQuery => json!({
                "pay_order_id": id, "refund_time": now, "order_time": now, "channel_bill": format!("apple-{id}"),
                "bundleid": "com.example.game", "service_type": "1", "product_id": self.product_id,
                "p_count": self.quantity, "refund_request_reason": "1", "provide_status": "1",
                "consumption_status": "1",
            }),
            EventKind::MiniGameCoinDeliver => json!({
                "OpenId": self.open_id, "OutTradeNo": id, "Env": env, "WeChatPayInfo": pay_info(id),
                "CoinInfo": {"ZoneId": self.zone_id, "ActualPrice": self.amount, "BuyQuantity": self.quantity,
                             "OrigPrice": self.amount},
            }),
            EventKind::MiniGameRechargeCenterCoinDeliver => json!({
                "OpenId": self.open_id, "OutTradeNo": id, "Env": env, "WeChatPayInfo": pay_info(id),
                "CoinInfo": {"ActualPrice": self.amount, "BuyQuantity": self.quantity, "OrigPrice": self.amount},
            }),
            EventKind::MiniGamePayRefund => json!({
                "OpenId": self.open_id, "RefundId": id, "RefundAmount": self.amount, "RefundSource": 3, "Env": env,
                "OutTradeNo": order, "WeChatPayInfo": pay_info(&order),
            }),
            EventKind::MiniGameGoodsDeliver | EventKind::MiniGameH5GoodsDeliver => json!({
                "OpenId": self.open_id, "OutTradeNo": id, "Env": env, "WeChatPayInfo": pay_info(id),
                "GoodsInfo": {"ProductId": self.product_id, "Quantity": self.quantity, "ZoneId": self.zone_id,
                              "OrigPrice": self.amount, "ActualPrice": self.amount, "Attach": "", "OrderSource": 1},
            }),
        };
        match value {
            Value::Object(fields) => fields,
            _ => Map::new(),
        }
    }
}

/// The fields of `object` as XML elements: objects nested, text in CDATA, numbers and flags
/// as text.
fn write_xml(out: &mut String, object: &Map<String, Value>) {
    for (name, value) in object {
        out.push('<');
        out.push_str(name);
        out.push('>');
        match value {
            Value::Object(inner) => write_xml(out, inner),
            Value::String(text) => {
                out.push_str("<![CDATA[");
                out.push_str(&text.replace("]]>", "]]]]><![CDATA[>"));
                out.push_str("]]>");
            }
            Value::Null => {}
            other => out.push_str(&other.to_string()),
        }
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_its_documented_name_and_identity_field() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.name()), Some(kind));
            let payload: Map<String, Value> =
                serde_json::from_str(&EventMessage::new(kind, "id-1").payload()).expect("JSON");
            assert_eq!(payload.get(kind.id_field()), Some(&Value::from("id-1")), "{kind}");
        }
        assert_eq!(EventKind::ALL.iter().filter(|kind| kind.is_mini_game()).count(), 5);
    }

    #[test]
    fn the_schedules_are_the_documented_ones() {
        assert_eq!(EventKind::MiniGameGoodsDeliver.schedule().len(), 15);
        assert_eq!(EventKind::MiniGameCoinDeliver.schedule().len(), 13);
        assert_eq!(EventKind::XpayRefund.schedule()[..3], [2, 4, 8].map(Duration::from_secs));
        assert_eq!(XPAY_SCHEDULE[14], Duration::from_secs(32_768));
    }

    #[test]
    fn a_mini_game_message_signs_its_exact_payload_in_json_and_in_xml() {
        let key = AppKey::new("12345").expect("key");
        let event = EventMessage::new(EventKind::MiniGameCoinDeliver, "o-1").env(Env::Production).mock(true);
        let payload = event.payload();
        let sig = midas_push::sign::pay_event_sig(&key, "minigame_coin_deliver_completed", &payload);
        let json: Value = serde_json::from_str(&event.message(Format::Json, &key)).expect("JSON");
        assert_eq!(json["MiniGame"]["Payload"], Value::from(payload.as_str()));
        assert_eq!(json["MiniGame"]["PayEventSig"], Value::from(sig.as_str()));
        assert_eq!(json["MiniGame"]["IsMock"], Value::from(true));
        let xml = event.message(Format::Xml, &key);
        assert!(xml.starts_with("<xml>") && xml.ends_with("</xml>"), "{xml}");
        assert!(xml.contains(&format!("<Payload><![CDATA[{payload}]]></Payload>")), "{xml}");
        assert!(xml.contains(&format!("<PayEventSig><![CDATA[{sig}]]></PayEventSig>")), "{xml}");
        assert!(xml.contains("<IsMock>true</IsMock>"), "{xml}");
    }

    #[test]
    fn xml_text_cannot_close_its_cdata_early() {
        let event = EventMessage::new(EventKind::XpayComplaint, "c]]>1");
        let xml = event.render(Format::Xml, None);
        assert!(xml.contains("<ComplaintId><![CDATA[c]]]]><![CDATA[>1]]></ComplaintId>"), "{xml}");
    }
}
