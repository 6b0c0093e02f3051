//! Tolerant decoding of answer fields xpay does not always send as documented: numbers as
//! JSON numbers or as the same digits in strings (samples and captured answers show both),
//! lists as arrays or as a single object.

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

/// An integer sent as a number or as a string; `null` and `""` read as 0.
pub(crate) fn int_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Ok(optional_integer(deserializer)?.unwrap_or(0))
}

/// A list sent as an array, as a single object (a known drift), or as `null` (empty).
pub(crate) fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
        Null(()),
    }
    match OneOrMany::deserialize(deserializer)? {
        OneOrMany::Many(items) => Ok(items),
        OneOrMany::One(item) => Ok(vec![item]),
        OneOrMany::Null(()) => Ok(Vec::new()),
    }
}
