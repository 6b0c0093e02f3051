//! Tolerant decoding of answer fields that Midas does not always send as documented.

use serde::{Deserialize, Deserializer};

/// An integer sent as a number or as a decimal string (`7` or `"7"`); `null` reads as 0.
pub(crate) fn int_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Text(String),
        Null(()),
    }
    match Number::deserialize(deserializer)? {
        Number::Int(number) => Ok(number),
        Number::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
        Number::Null(()) => Ok(0),
    }
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
