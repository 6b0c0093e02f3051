//! Tolerant readers of message fields: documentation and samples disagree on spelling and on
//! whether numbers are sent as numbers or as strings, and XML carries everything as text.

use serde_json::{Map, Value};

use crate::error::Malformed;

/// The first of `names` present in `fields`.
fn find<'a>(fields: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| fields.get(*name))
}

/// Text of a field: a string as is, a number in its decimal form.
pub(crate) fn text(fields: &Map<String, Value>, names: &[&'static str]) -> Result<Option<String>, Malformed> {
    match find(fields, names) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(Malformed::BadField(names[0])),
    }
}

/// Text of a required field.
pub(crate) fn required_text(
    fields: &Map<String, Value>,
    names: &[&'static str],
) -> Result<String, Malformed> {
    text(fields, names)?.filter(|s| !s.is_empty()).ok_or(Malformed::MissingField(names[0]))
}

/// An unsigned number, sent as a number or as decimal text.
pub(crate) fn number(fields: &Map<String, Value>, names: &[&'static str]) -> Result<Option<u64>, Malformed> {
    match find(fields, names) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or(Malformed::BadField(names[0])),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| Malformed::BadField(names[0])),
        Some(_) => Err(Malformed::BadField(names[0])),
    }
}

/// A signed number, sent as a number or as decimal text.
pub(crate) fn signed(fields: &Map<String, Value>, names: &[&'static str]) -> Result<Option<i64>, Malformed> {
    match find(fields, names) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(Malformed::BadField(names[0])),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| Malformed::BadField(names[0])),
        Some(_) => Err(Malformed::BadField(names[0])),
    }
}

/// A flag: `true`/`false`, `1`/`0`, as a boolean, a number or text.
pub(crate) fn flag(fields: &Map<String, Value>, names: &[&'static str]) -> Result<Option<bool>, Malformed> {
    match find(fields, names) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            _ => Err(Malformed::BadField(names[0])),
        },
        Some(Value::String(s)) => match s.trim() {
            "true" | "True" | "TRUE" | "1" => Ok(Some(true)),
            "false" | "False" | "FALSE" | "0" | "" => Ok(Some(false)),
            _ => Err(Malformed::BadField(names[0])),
        },
        Some(_) => Err(Malformed::BadField(names[0])),
    }
}

/// A nested group, if present.
pub(crate) fn group<'a>(
    fields: &'a Map<String, Value>,
    names: &[&'static str],
) -> Result<Option<&'a Map<String, Value>>, Malformed> {
    match find(fields, names) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(group)) => Ok(Some(group)),
        // XML renders an empty group as empty text.
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(_) => Err(Malformed::BadField(names[0])),
    }
}

/// A required nested group.
pub(crate) fn required_group<'a>(
    fields: &'a Map<String, Value>,
    names: &[&'static str],
) -> Result<&'a Map<String, Value>, Malformed> {
    group(fields, names)?.ok_or(Malformed::MissingField(names[0]))
}
