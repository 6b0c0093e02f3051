//! A verified message into a [`Push`]: the wrapper of a mini-game event (its `PayEventSig`
//! checked when a configuration is given), the typed event, the family. Shared by the opener
//! (a push just received) and the inbox's stored events (a push received earlier).

use std::sync::OnceLock;

use midas_core::Env;
use serde_json::{Map, Value};

use crate::config::PushConfig;
use crate::error::{Malformed, PushError, SignatureKind};
use crate::event::{self, Event};
use crate::fields::{group, required_text, text};
use crate::format::{Family, Format};
use crate::object::{Key, Obj, Val};
use crate::push::Push;
use crate::sign;
use crate::xml;

/// What a message was received as: everything of a [`Push`] that its text does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) format: Format,
    pub(crate) encrypted: bool,
    pub(crate) timestamp: i64,
    pub(crate) nonce: String,
}

/// What the message text decodes to.
struct Decoded {
    family: Family,
    payload: Option<String>,
    env: Option<Env>,
    event: Event,
    is_mock: bool,
}

/// Decodes `message`, JSON or XML as its first non-blank byte says. With `verify`, a
/// mini-game payload's `PayEventSig` is checked with the AppKey of its `Env` before any of its
/// fields is trusted; without, the message was verified when it was received.
///
/// A JSON message is decoded straight from its text; its top-level fields
/// ([`Push::fields`]) are read only if asked for. An XML message is read into those fields
/// first, and decoded from them.
pub(crate) fn decode(
    received: Received,
    message: String,
    verify: Option<&PushConfig>,
) -> Result<Push, PushError> {
    let (decoded, map) = decode_text(&message, verify)?;
    let fields = map.map_or_else(OnceLock::new, OnceLock::from);
    Ok(Push {
        format: received.format,
        encrypted: received.encrypted,
        family: decoded.family,
        message,
        fields,
        payload: decoded.payload,
        env: decoded.env,
        event: decoded.event,
        is_mock: decoded.is_mock,
        timestamp: received.timestamp,
        nonce: received.nonce,
    })
}

/// The typed event of `message`, as [`decode`] reads it (without `PayEventSig`): what the
/// bench times.
pub(crate) fn typed(message: &str) -> Result<Event, PushError> {
    Ok(decode_text(message, None)?.0.event)
}

/// Decodes `message` by its format: JSON straight from its text, XML through the map of its
/// top-level fields, which is handed back (a JSON message's map is built only if asked for).
fn decode_text(
    message: &str,
    verify: Option<&PushConfig>,
) -> Result<(Decoded, Option<Map<String, Value>>), PushError> {
    match Format::sniff(message.as_bytes()).ok_or(Malformed::Format)? {
        Format::Json => Ok((decode_fields(&Obj::from_json(message)?, verify)?, None)),
        Format::Xml => {
            let map = xml::parse(message)?;
            Ok((decode_fields(&Obj::from_map(&map), verify)?, Some(map)))
        }
    }
}

fn decode_fields(fields: &Obj<'_>, verify: Option<&PushConfig>) -> Result<Decoded, PushError> {
    let event_name = match fields.get(Key::Event) {
        Some(Val::String(name)) => Some(&**name),
        Some(_) => return Err(Malformed::BadField("Event").into()),
        None => None,
    };
    let msg_type = text(fields, &[Key::MsgType])?;
    if let Some(wrapper) = group(fields, &[Key::MiniGame])? {
        let payload = match wrapper.get(Key::Payload) {
            Some(Val::String(payload)) => &**payload,
            Some(_) => return Err(Malformed::BadField("Payload").into()),
            None => return Err(Malformed::MissingField("Payload").into()),
        };
        let sig = required_text(wrapper, &[Key::PayEventSig])?;
        let payload_fields = Obj::from_json(payload)?;
        let env = event::env(&payload_fields)?.ok_or(Malformed::MissingField("Env"))?;
        if let Some(config) = verify {
            let key = config.app_key(env).ok_or(PushError::MissingAppKey(env))?;
            let expected = sign::pay_event_sig_digest(key, event_name.unwrap_or(""), payload);
            if !sign::hex_matches(&sig, &expected) {
                return Err(PushError::BadSignature(SignatureKind::PayEventSig));
            }
        }
        Ok(Decoded {
            is_mock: event::is_mock(wrapper)?,
            event: event::decode(event_name, msg_type, &payload_fields)?,
            family: Family::MiniGame,
            env: Some(env),
            payload: Some(payload.to_owned()),
        })
    } else {
        let event = event::decode(event_name, msg_type, fields)?;
        let env = event::env(fields)?;
        let family = if event_name.is_some_and(|name| name.starts_with("xpay_")) {
            Family::Xpay
        } else {
            Family::Message
        };
        Ok(Decoded { family, payload: None, env, event, is_mock: false })
    }
}
