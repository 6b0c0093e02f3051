//! The fields a push is decoded from, read straight from the message text.
//!
//! The typed events need a few dozen field names (with their spelling variants); an [`Obj`]
//! keeps only those, each value borrowed from the text where it has no escape, and skips
//! everything else. It accepts exactly the JSON that a `serde_json::Map<String, Value>`
//! accepts: every value, kept or skipped, goes through the same `serde_json` parser (so
//! string escapes, UTF-8, number ranges and the nesting limit are checked alike), and a field
//! given twice keeps its last value, as the map would. XML messages, read into a map first,
//! are viewed through the same type, so both formats decode to the same events.

use std::borrow::Cow;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::Malformed;

macro_rules! keys {
    ($($variant:ident = $name:literal,)*) => {
        /// A field name some event reads.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Key {
            $($variant,)*
        }

        impl Key {
            /// Every key.
            #[cfg(test)]
            const ALL: &'static [Self] = &[$(Self::$variant,)*];

            fn from_name(name: &str) -> Option<Self> {
                Some(match name {
                    $($name => Self::$variant,)*
                    _ => return None,
                })
            }

            /// The name as spelled in messages.
            pub(crate) const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

keys! {
    Event = "Event",
    MsgType = "MsgType",
    MiniGame = "MiniGame",
    Payload = "Payload",
    PayEventSig = "PayEventSig",
    IsMock = "IsMock",
    Env = "Env",
    EnvLower = "env",
    WeChatPayInfo = "WeChatPayInfo",
    WechatPayInfo = "WechatPayInfo",
    MchOrderNo = "MchOrderNo",
    TransactionId = "TransactionId",
    PaidTime = "PaidTime",
    GoodsInfo = "GoodsInfo",
    CoinInfo = "CoinInfo",
    OpenId = "OpenId",
    OpenIdUpper = "OpenID",
    OpenIdLower = "openid",
    OutTradeNo = "OutTradeNo",
    ProductId = "ProductId",
    Quantity = "Quantity",
    BuyQuantity = "BuyQuantity",
    ZoneId = "ZoneId",
    OrigPrice = "OrigPrice",
    ActualPrice = "ActualPrice",
    TotalPrice = "TotalPrice",
    Attach = "Attach",
    OrderSource = "OrderSource",
    MchRefundId = "MchRefundId",
    WxRefundId = "WxRefundId",
    MchOrderId = "MchOrderId",
    WxOrderId = "WxOrderId",
    WxpayRefundTransactionId = "WxpayRefundTransactionId",
    RefundFee = "RefundFee",
    RetCode = "RetCode",
    RetMsg = "RetMsg",
    RefundStartTimestamp = "RefundStartTimestamp",
    RefundSuccTimestamp = "RefundSuccTimestamp",
    RetryTimes = "RetryTimes",
    ComplaintId = "ComplaintId",
    PayOrderIdSnake = "pay_order_id",
    PayOrderId = "PayOrderId",
    RefundTime = "refund_time",
    OrderTime = "order_time",
    ChannelBill = "channel_bill",
    Bundleid = "bundleid",
    ServiceType = "service_type",
    ProductIdSnake = "product_id",
    PCount = "p_count",
    RefundRequestReason = "refund_request_reason",
    ProvideStatus = "provide_status",
    ConsumptionStatus = "consumption_status",
    RefundId = "RefundId",
    RefundAmount = "RefundAmount",
    RefundSource = "RefundSource",
}

/// A field value, as far as the decoders tell values apart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Object(Obj<'a>),
    /// An array (XML renders a repeated element as one): no field reads one.
    Array,
}

/// The known fields of one JSON object or XML element.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Obj<'a> {
    entries: Vec<(Key, Val<'a>)>,
}

impl<'a> Obj<'a> {
    /// The value of `key`, if the object has it.
    pub(crate) fn get(&self, key: Key) -> Option<&Val<'a>> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, value)| value)
    }

    /// Sets `key`, replacing an earlier value (the last of a repeated field counts).
    fn set(&mut self, key: Key, value: Val<'a>) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Reads a JSON object from `text`: [`Malformed::Json`] for anything a
    /// `Map<String, Value>` would not read.
    pub(crate) fn from_json(text: &'a str) -> Result<Self, Malformed> {
        serde_json::from_str(text).map_err(|_| Malformed::Json)
    }

    /// Views the known fields of a map (an XML message read into the JSON object model).
    pub(crate) fn from_map(map: &'a Map<String, Value>) -> Self {
        let entries = map
            .iter()
            .filter_map(|(name, value)| Some((Key::from_name(name)?, Val::from_value(value))))
            .collect();
        Self { entries }
    }
}

impl<'a> Val<'a> {
    fn from_value(value: &'a Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => Self::Number(n.clone()),
            Value::String(s) => Self::String(Cow::Borrowed(s)),
            Value::Array(_) => Self::Array,
            Value::Object(map) => Self::Object(Obj::from_map(map)),
        }
    }
}

/// A map key: the [`Key`] it names, or `None` for a field no decoder reads.
struct KeyName(Option<Key>);

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyName;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<KeyName, E> {
                Ok(KeyName(Key::from_name(name)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Any JSON value, parsed (so checked exactly as a kept one) and dropped.
///
/// Unlike [`serde::de::IgnoredAny`], which `serde_json` skips without decoding its strings or the range
/// of its numbers, this accepts only what a `Value` would.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Skip, D::Error> {
        Skip::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        // Keys are read as text (as a map's `String` keys are), values checked in full.
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Val<'de>, E> {
        Ok(Val::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Val<'de>, E> {
        Ok(Val::Number(n.into()))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Val<'de>, E> {
        Ok(Val::Number(n.into()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Val<'de>, E> {
        // As `Value` reads it: a float without a JSON form is null.
        Ok(Number::from_f64(n).map_or(Val::Null, Val::Number))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Val<'de>, E> {
        Ok(Val::String(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Val<'de>, E> {
        Ok(Val::String(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Val<'de>, E> {
        Ok(Val::String(Cow::Owned(s)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Val<'de>, D::Error> {
        Val::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Val<'de>, A::Error> {
        SkipVisitor.visit_seq(seq).map(|Skip| Val::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Val<'de>, A::Error> {
        ObjVisitor.visit_map(map).map(Val::Object)
    }
}

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValVisitor)
    }
}

struct ObjVisitor;

impl<'de> Visitor<'de> for ObjVisitor {
    type Value = Obj<'de>;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Obj<'de>, A::Error> {
        let mut obj = Obj { entries: Vec::with_capacity(12) };
        while let Some(KeyName(key)) = map.next_key()? {
            match key {
                Some(key) => {
                    let value = map.next_value()?;
                    obj.set(key, value);
                }
                None => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(obj)
    }
}

impl<'de> Deserialize<'de> for Obj<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjVisitor)
    }
}

/// `Encrypt` of an encrypted JSON body: its text, or `None` when it is not a string.
struct Encrypt<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Encrypt<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EncryptVisitor;
        impl<'de> Visitor<'de> for EncryptVisitor {
            type Value = Encrypt<'de>;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(Some(Cow::Borrowed(s))))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(Some(Cow::Owned(s.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(Some(Cow::Owned(s))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Encrypt<'de>, E> {
                Ok(Encrypt(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Encrypt<'de>, D::Error> {
                Skip::deserialize(deserializer).map(|Skip| Encrypt(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Encrypt<'de>, A::Error> {
                SkipVisitor.visit_seq(seq).map(|Skip| Encrypt(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Encrypt<'de>, A::Error> {
                SkipVisitor.visit_map(map).map(|Skip| Encrypt(None))
            }
        }
        deserializer.deserialize_any(EncryptVisitor)
    }
}

/// The outer object of an encrypted JSON body: `Encrypt` when present (its last value, as a
/// map would keep), every other field checked and skipped.
struct Outer<'a>(Option<Encrypt<'a>>);

impl<'de> Deserialize<'de> for Outer<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OuterVisitor;
        impl<'de> Visitor<'de> for OuterVisitor {
            type Value = Outer<'de>;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outer<'de>, A::Error> {
                let mut encrypt = None;
                while let Some(name) = map.next_key::<OuterKey>()? {
                    if name.0 {
                        encrypt = Some(map.next_value::<Encrypt<'de>>()?);
                    } else {
                        map.next_value::<Skip>()?;
                    }
                }
                Ok(Outer(encrypt))
            }
        }
        deserializer.deserialize_map(OuterVisitor)
    }
}

/// Whether a key of the outer object is `Encrypt`.
struct OuterKey(bool);

impl<'de> Deserialize<'de> for OuterKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OuterKeyVisitor;
        impl Visitor<'_> for OuterKeyVisitor {
            type Value = OuterKey;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<OuterKey, E> {
                Ok(OuterKey(name == "Encrypt"))
            }
        }
        deserializer.deserialize_str(OuterKeyVisitor)
    }
}

/// `Encrypt` of an encrypted JSON body, borrowed when it has no escape: [`Malformed::Json`]
/// for a body a `Map<String, Value>` would not read, then a missing or non-text `Encrypt`.
pub(crate) fn json_encrypt(body: &[u8]) -> Result<Cow<'_, str>, Malformed> {
    let Outer(encrypt) = serde_json::from_slice(body).map_err(|_| Malformed::Json)?;
    match encrypt {
        Some(Encrypt(Some(text))) => Ok(text),
        Some(Encrypt(None)) => Err(Malformed::BadField("Encrypt")),
        None => Err(Malformed::MissingField("Encrypt")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_reads(text: &str) -> bool {
        serde_json::from_str::<Map<String, Value>>(text).is_ok()
    }

    #[test]
    fn every_key_is_found_by_its_name_and_no_other() {
        for key in Key::ALL {
            assert_eq!(Key::from_name(key.name()), Some(*key));
            assert_eq!(Key::from_name(&format!("{}x", key.name())), None);
            assert_eq!(Key::from_name(&key.name()[1..]), None);
        }
        assert_eq!(Key::from_name(""), None);
        assert_eq!(Key::from_name("Encrypt"), None);
        assert_eq!(Key::from_name("OpenIdx"), None);
    }

    #[test]
    fn accepts_exactly_what_a_map_accepts() {
        for text in [
            r#"{"a":1}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":1e400}"#,
            r#"{"a":[1e400]}"#,
            r#"{"a":{"b":"\ud800x"}}"#,
            r#"{"Event":"\ud83d\ude00"}"#,
            r#"{"Event":1e400}"#,
            r#"{"a":-0.0,"b":18446744073709551616}"#,
            r#"{"a":1} x"#,
            r#"{"a":1}  "#,
            r#"[1]"#,
            r#""x""#,
            r#"{"a":1,}"#,
            r#"{"\u0045vent":"x"}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":tru}"#,
        ] {
            assert_eq!(Obj::from_json(text).is_ok(), map_reads(text), "{text}");
        }
        let deep = format!("{}{}", "{\"a\":[".repeat(70), "]}".repeat(70));
        assert_eq!(Obj::from_json(&deep).is_ok(), map_reads(&deep));
        let deep = format!("{}1{}", "{\"GoodsInfo\":".repeat(130), "}".repeat(130));
        assert_eq!(Obj::from_json(&deep).is_ok(), map_reads(&deep));
    }

    #[test]
    fn invalid_utf8_anywhere_in_the_outer_body_is_refused() {
        let mut body = br#"{"Encrypt":"abc","Other":"x"}"#.to_vec();
        body[24] = 0xff;
        assert!(serde_json::from_slice::<Map<String, Value>>(&body).is_err());
        assert_eq!(json_encrypt(&body), Err(Malformed::Json));
    }

    #[test]
    fn the_last_of_a_repeated_field_counts() {
        let obj = Obj::from_json(r#"{"Event":"a","Event":"b","Other":1,"Other":2}"#).expect("json");
        assert_eq!(obj.get(Key::Event), Some(&Val::String(Cow::Borrowed("b"))));
        assert_eq!(json_encrypt(br#"{"Encrypt":1,"Encrypt":"x"}"#).as_deref(), Ok("x"));
        assert_eq!(json_encrypt(br#"{"Encrypt":"x","Encrypt":null}"#), Err(Malformed::BadField("Encrypt")));
        assert_eq!(json_encrypt(br#"{"ToUserName":"x"}"#), Err(Malformed::MissingField("Encrypt")));
        assert_eq!(json_encrypt(br#"{"Encrypt":"a\/b"}"#).as_deref(), Ok("a/b"));
    }

    #[test]
    fn a_map_and_its_text_read_alike() {
        let text = r#"{"Event":"e","Env":1,"GoodsInfo":{"Quantity":"2","Extra":[1]},"IsMock":true,"RetCode":-1,"PaidTime":1.5,"MsgType":null,"Other":{"Event":"no"}}"#;
        let map: Map<String, Value> = serde_json::from_str(text).expect("json");
        assert_eq!(sorted(Obj::from_json(text).expect("json")), sorted(Obj::from_map(&map)));
        assert!(Obj::from_map(&map).get(Key::GoodsInfo).is_some());
    }

    proptest::proptest! {
        /// JSON-like text, mostly valid, with known and unknown keys, escapes, odd numbers and
        /// nesting: read exactly when a map reads it, and then to the same known fields.
        #[test]
        fn json_like_text_reads_as_a_map_reads_it(
            text in r#"\{( ?"(Event|Env|OpenId|GoodsInfo|Quantity|x|\\u0045nv|\\q)" ?: ?(-?[0-9]{1,3}(\.[0-9])?(e[+-]?[0-9]{1,3})?|"([a-z]|\\n|\\ud83d\\ude00|\\ud800|é){0,3}"|null|true|\[(1|"a"|\{\})?\]|\{("Quantity":"2"|"x":1e999)?\}),?){0,4}\} ?x?"#,
        ) {
            let map = serde_json::from_str::<Map<String, Value>>(&text);
            let obj = Obj::from_json(&text);
            proptest::prop_assert_eq!(obj.is_ok(), map.is_ok(), "{}", text);
            if let (Ok(obj), Ok(map)) = (obj, map) {
                proptest::prop_assert_eq!(sorted(obj), sorted(Obj::from_map(&map)), "{}", text);
            }
        }
    }

    fn sorted(mut obj: Obj<'_>) -> Obj<'_> {
        obj.entries.sort_by_key(|(key, _)| key.name());
        for (_, value) in &mut obj.entries {
            if let Val::Object(inner) = value {
                *inner = sorted(core::mem::take(inner));
            }
        }
        obj
    }
}
