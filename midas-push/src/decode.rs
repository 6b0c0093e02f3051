//! A verified message into a [`Push`]: the wrapper of a mini-game event (its `PayEventSig`
//! checked when a configuration is given), the typed event, the family. Shared by the opener
//! (a push just received) and the inbox's stored events (a push received earlier).

use serde_json::{Map, Value};

use crate::config::PushConfig;
use crate::error::{Malformed, PushError, SignatureKind};
use crate::event::{self, Event};
use crate::fields::{group, required_text, text};
use crate::format::{Family, Format};
use crate::push::Push;
use crate::sign;

/// What a message was received as: everything of a [`Push`] that its text does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) format: Format,
    pub(crate) encrypted: bool,
    pub(crate) timestamp: i64,
    pub(crate) nonce: String,
}

/// Decodes `message` (whose top-level `fields` are read already). With `verify`, a mini-game
/// payload's `PayEventSig` is checked with the AppKey of its `Env` before any of its fields
/// is trusted; without, the message was verified when it was received.
pub(crate) fn decode(
    received: Received,
    message: String,
    fields: Map<String, Value>,
    verify: Option<&PushConfig>,
) -> Result<Push, PushError> {
    let event_name = match fields.get("Event") {
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return Err(Malformed::BadField("Event").into()),
        None => None,
    };
    let msg_type = text(&fields, &["MsgType"])?;
    let mut push = Push {
        format: received.format,
        encrypted: received.encrypted,
        family: Family::Message,
        message,
        fields: Map::new(),
        payload: None,
        env: None,
        event: Event::Unknown { event: None, msg_type: None },
        is_mock: false,
        timestamp: received.timestamp,
        nonce: received.nonce,
    };
    if let Some(wrapper) = group(&fields, &["MiniGame"])? {
        let payload = match wrapper.get("Payload") {
            Some(Value::String(payload)) => payload.clone(),
            Some(_) => return Err(Malformed::BadField("Payload").into()),
            None => return Err(Malformed::MissingField("Payload").into()),
        };
        let sig = required_text(wrapper, &["PayEventSig"])?;
        let payload_fields: Map<String, Value> =
            serde_json::from_str(&payload).map_err(|_| Malformed::Json)?;
        let env = event::env(&payload_fields)?.ok_or(Malformed::MissingField("Env"))?;
        if let Some(config) = verify {
            let key = config.app_key(env).ok_or(PushError::MissingAppKey(env))?;
            let expected = sign::pay_event_sig_digest(key, event_name.as_deref().unwrap_or(""), &payload);
            if !sign::hex_matches(&sig, &expected) {
                return Err(PushError::BadSignature(SignatureKind::PayEventSig));
            }
        }
        push.is_mock = event::is_mock(wrapper)?;
        push.event = event::decode(event_name.as_deref(), msg_type, &payload_fields)?;
        push.family = Family::MiniGame;
        push.env = Some(env);
        push.payload = Some(payload);
    } else {
        push.event = event::decode(event_name.as_deref(), msg_type, &fields)?;
        push.env = event::env(&fields)?;
        if event_name.as_deref().is_some_and(|name| name.starts_with("xpay_")) {
            push.family = Family::Xpay;
        }
    }
    push.fields = fields;
    Ok(push)
}
