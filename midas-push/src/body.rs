//! The outer body of an encrypted push: its format and its `Encrypt` text, nothing else.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::Malformed;
use crate::format::Format;
use crate::{object, xml};

/// The format of `bytes` (chosen by its first non-blank byte) and its `Encrypt` field.
///
/// A JSON body is checked in full as JSON (as a `Map<String, Value>` would read it) but only
/// `Encrypt` is kept, borrowed when it has no escape. An XML body is read with the limits of
/// [`xml::parse`].
pub(crate) fn encrypt(bytes: &[u8]) -> Result<(Format, Cow<'_, str>), Malformed> {
    let format = Format::sniff(bytes).ok_or(Malformed::Format)?;
    let encrypt = match format {
        Format::Json => object::json_encrypt(bytes)?,
        Format::Xml => {
            let mut fields = xml::parse(core::str::from_utf8(bytes).map_err(|_| Malformed::Xml)?)?;
            match fields.remove("Encrypt") {
                Some(Value::String(encrypt)) => Cow::Owned(encrypt),
                Some(_) => return Err(Malformed::BadField("Encrypt")),
                None => return Err(Malformed::MissingField("Encrypt")),
            }
        }
    };
    Ok((format, encrypt))
}

/// The top-level fields of a message (XML text fields as strings), as `Push::fields` gives
/// them; empty for a message that does not read (a `Push` holds none such).
pub(crate) fn top_level_fields(message: &str) -> Map<String, Value> {
    match Format::sniff(message.as_bytes()) {
        Some(Format::Json) => serde_json::from_str(message).ok(),
        Some(Format::Xml) => xml::parse(message).ok(),
        None => None,
    }
    .unwrap_or_default()
}
