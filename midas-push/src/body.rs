//! A body or a decrypted message read into one object model, whatever its format.

use serde_json::{Map, Value};

use crate::error::Malformed;
use crate::format::Format;
use crate::xml;

/// A JSON object or an `<xml>` document, read into the fields of its top level.
#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub(crate) format: Format,
    pub(crate) fields: Map<String, Value>,
}

/// Reads `bytes` as JSON or XML, chosen by its first non-blank byte.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, Malformed> {
    let format = Format::sniff(bytes).ok_or(Malformed::Format)?;
    let fields = match format {
        Format::Json => serde_json::from_slice::<Map<String, Value>>(bytes).map_err(|_| Malformed::Json)?,
        Format::Xml => xml::parse(core::str::from_utf8(bytes).map_err(|_| Malformed::Xml)?)?,
    };
    Ok(Parsed { format, fields })
}
