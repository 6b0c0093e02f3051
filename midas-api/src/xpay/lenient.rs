//! Numbers as xpay answers carry them: JSON numbers, or the same digits as strings (samples
//! and captured answers show both).

use serde::Deserialize;
use serde::de::{Deserializer, Error};

/// A number or a string of an integer.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(i64),
    Text(String),
}

impl NumberOrText {
    fn value<E: Error>(self) -> Result<i64, E> {
        match self {
            Self::Number(number) => Ok(number),
            Self::Text(text) => text
                .trim()
                .parse()
                .map_err(|_| E::custom(format!("expected an integer, found the text {text:?}"))),
        }
    }
}

/// An integer sent as a number or as a string.
pub(crate) fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    NumberOrText::deserialize(deserializer)?.value()
}

/// An optional integer sent as a number or as a string; `null` and `""` read as absent.
pub(crate) fn optional_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrText>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrText::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(value) => value.value().map(Some),
    }
}
