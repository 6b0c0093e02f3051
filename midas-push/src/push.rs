//! An opened push: verified, decrypted, decoded, with its raw message kept.

use std::sync::OnceLock;

use midas_core::Env;
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

use crate::event::Event;
use crate::format::{Family, Format};
use crate::key::{EventKey, KeyKind};

/// A push whose signatures verified and whose message decoded.
///
/// Built by [`Opener::open`](crate::Opener::open).
#[derive(Clone, Debug)]
pub struct Push {
    pub(crate) format: Format,
    pub(crate) encrypted: bool,
    pub(crate) family: Family,
    pub(crate) message: String,
    /// Read from `message` on the first call of [`Push::fields`] (set already for XML).
    pub(crate) fields: OnceLock<Map<String, Value>>,
    pub(crate) payload: Option<String>,
    pub(crate) env: Option<Env>,
    pub(crate) event: Event,
    pub(crate) is_mock: bool,
    pub(crate) timestamp: i64,
    pub(crate) nonce: String,
}

impl Push {
    /// The format of the request body, which the reply must match.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the push came encrypted (and was authenticated by `msg_signature`). A plain
    /// push is authenticated only by `signature`, which does not cover the body.
    pub fn was_encrypted(&self) -> bool {
        self.encrypted
    }

    /// The family of the event, which decides the reply.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The exact message text: the body of a plain push, the decrypted message of an encrypted one.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The top-level fields of the message (XML text fields appear as strings).
    ///
    /// The typed event is decoded without them: they are read from the message on the first
    /// call.
    pub fn fields(&self) -> &Map<String, Value> {
        self.fields.get_or_init(|| crate::body::top_level_fields(&self.message))
    }

    /// The exact `MiniGame.Payload` text of a mini-game event, whose `PayEventSig` verified.
    pub fn payload(&self) -> Option<&str> {
        self.payload.as_deref()
    }

    /// The environment: the payload's `Env` for mini-game events, the message's `Env` otherwise.
    pub fn env(&self) -> Option<Env> {
        self.env
    }

    /// The typed event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// `IsMock` of a mini-game event: the activation test push. Check it, run no business
    /// logic, answer success.
    pub fn is_mock(&self) -> bool {
        self.is_mock
    }

    /// The request's `timestamp`.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The request's `nonce`.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The exactly-once key: `OutTradeNo` of a delivery, the refund id of a refund, and
    /// otherwise the event name with its id (`ComplaintId`, `pay_order_id`, `OutTradeNo` of a
    /// subscription event, `MsgId` of a message) or, when there is none, the SHA-1 of the
    /// message text.
    pub fn event_key(&self) -> EventKey {
        match &self.event {
            Event::XpayGoodsDeliver(d)
            | Event::MiniGameGoodsDeliver(d)
            | Event::MiniGameH5GoodsDeliver(d) => EventKey::new(KeyKind::Delivery, &d.out_trade_no),
            Event::XpayCoinPay(d)
            | Event::MiniGameCoinDeliver(d)
            | Event::MiniGameRechargeCenterCoinDeliver(d) => {
                EventKey::new(KeyKind::Delivery, &d.out_trade_no)
            }
            Event::XpayRefund(r) => EventKey::new(KeyKind::Refund, &r.mch_refund_id),
            Event::MiniGameRefund(r) => EventKey::new(KeyKind::Refund, &r.refund_id),
            Event::XpayComplaint(c) => self.other_key(Some(&c.complaint_id)),
            Event::XpayIosRefundQuery(q) => self.other_key(Some(&q.pay_order_id)),
            Event::XpaySubscribeSigningResult(s) | Event::XpaySubscribePayFail(s) => {
                self.other_key(s.out_trade_no.as_deref())
            }
            Event::Unknown { .. } => {
                let msg_id = match self.fields().get("MsgId") {
                    Some(Value::String(id)) => Some(id.clone()),
                    Some(Value::Number(id)) => Some(id.to_string()),
                    _ => None,
                };
                self.other_key(msg_id.as_deref())
            }
        }
    }

    fn other_key(&self, id: Option<&str>) -> EventKey {
        let name = match &self.event {
            Event::Unknown { event: None, msg_type } => msg_type.as_deref().unwrap_or("message"),
            event => event.name().unwrap_or("message"),
        };
        let digest;
        let id = match id.filter(|id| !id.is_empty()) {
            Some(id) => id,
            None => {
                digest = hex::encode(Sha1::digest(self.message.as_bytes()));
                &digest
            }
        };
        EventKey::new(KeyKind::Other(name.to_owned()), id)
    }
}
