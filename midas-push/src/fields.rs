//! Tolerant readers of message fields: documentation and samples disagree on spelling and on
//! whether numbers are sent as numbers or as strings, and XML carries everything as text.
//!
//! Of several spellings, the first one present counts (even when its value is `null`), and an
//! error names the first spelling.

use crate::error::Malformed;
use crate::object::{Key, Obj, Val};

/// The first of `names` present in `fields`.
fn find<'o, 'a>(fields: &'o Obj<'a>, names: &[Key]) -> Option<&'o Val<'a>> {
    names.iter().find_map(|name| fields.get(*name))
}

fn bad(names: &[Key]) -> Malformed {
    Malformed::BadField(names.first().map_or("", |name| name.name()))
}

fn missing(names: &[Key]) -> Malformed {
    Malformed::MissingField(names.first().map_or("", |name| name.name()))
}

/// Text of a field: a string as is, a number in its decimal form.
pub(crate) fn text(fields: &Obj<'_>, names: &[Key]) -> Result<Option<String>, Malformed> {
    match find(fields, names) {
        None | Some(Val::Null) => Ok(None),
        Some(Val::String(s)) => Ok(Some(String::from(&**s))),
        Some(Val::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(bad(names)),
    }
}

/// Text of a required field.
pub(crate) fn required_text(fields: &Obj<'_>, names: &[Key]) -> Result<String, Malformed> {
    text(fields, names)?.filter(|s| !s.is_empty()).ok_or_else(|| missing(names))
}

/// An unsigned number, sent as a number or as decimal text.
pub(crate) fn number(fields: &Obj<'_>, names: &[Key]) -> Result<Option<u64>, Malformed> {
    match find(fields, names) {
        None | Some(Val::Null) => Ok(None),
        Some(Val::Number(n)) => n.as_u64().map(Some).ok_or_else(|| bad(names)),
        Some(Val::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Val::String(s)) => s.trim().parse().map(Some).map_err(|_| bad(names)),
        Some(_) => Err(bad(names)),
    }
}

/// A signed number, sent as a number or as decimal text.
pub(crate) fn signed(fields: &Obj<'_>, names: &[Key]) -> Result<Option<i64>, Malformed> {
    match find(fields, names) {
        None | Some(Val::Null) => Ok(None),
        Some(Val::Number(n)) => n.as_i64().map(Some).ok_or_else(|| bad(names)),
        Some(Val::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Val::String(s)) => s.trim().parse().map(Some).map_err(|_| bad(names)),
        Some(_) => Err(bad(names)),
    }
}

/// A flag: `true`/`false`, `1`/`0`, as a boolean, a number or text.
pub(crate) fn flag(fields: &Obj<'_>, names: &[Key]) -> Result<Option<bool>, Malformed> {
    match find(fields, names) {
        None | Some(Val::Null) => Ok(None),
        Some(Val::Bool(b)) => Ok(Some(*b)),
        Some(Val::Number(n)) => match n.as_u64() {
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            _ => Err(bad(names)),
        },
        Some(Val::String(s)) => match s.trim() {
            "true" | "True" | "TRUE" | "1" => Ok(Some(true)),
            "false" | "False" | "FALSE" | "0" | "" => Ok(Some(false)),
            _ => Err(bad(names)),
        },
        Some(_) => Err(bad(names)),
    }
}

/// A nested group, if present.
pub(crate) fn group<'o, 'a>(fields: &'o Obj<'a>, names: &[Key]) -> Result<Option<&'o Obj<'a>>, Malformed> {
    match find(fields, names) {
        None | Some(Val::Null) => Ok(None),
        Some(Val::Object(group)) => Ok(Some(group)),
        // XML renders an empty group as empty text.
        Some(Val::String(s)) if s.trim().is_empty() => Ok(None),
        Some(_) => Err(bad(names)),
    }
}

/// A required nested group.
pub(crate) fn required_group<'o, 'a>(fields: &'o Obj<'a>, names: &[Key]) -> Result<&'o Obj<'a>, Malformed> {
    group(fields, names)?.ok_or_else(|| missing(names))
}
