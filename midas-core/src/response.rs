//! Reading a Midas answer: `errcode`/`errmsg` first, then the typed success fields.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::{ApiError, ApiErrorKind, DecodeError, Error};

/// Decodes an answer body of `api`: a non-zero `errcode` becomes an [`ApiError`] with the
/// meaning `classify` gives it; a zero one decodes the success fields into `T` (unknown fields
/// ignored, a missing one named in the [`DecodeError`]).
///
/// `key` is the request's idempotency key as (wire name, value): a success answer that names
/// another order under that name is not an answer to this request, and is refused as a
/// [`DecodeError`] whose outcome is unknown.
pub fn decode<T: DeserializeOwned>(
    api: &'static str,
    body: &[u8],
    classify: fn(i64) -> ApiErrorKind,
    key: Option<(&str, &str)>,
) -> Result<T, Error> {
    let object = answered(api, body, classify, key)?;
    // Only the success fields are typed here, from the object already parsed: the parse and
    // everything above is the same for every `T`, and compiled once. An answer is an object,
    // so only `T`'s map visitor is instantiated.
    T::deserialize(object).map_err(|err| after_success(api, &err))
}

/// The checks of [`decode`] before the success fields are typed: a JSON object whose `errcode`
/// is 0 (else an [`ApiError`] classified by `classify`), and which names no other order under
/// the request's idempotency key.
/// A success answer that does not decode as the response type (non-generic: compiled once).
fn after_success(api: &'static str, err: &serde_json::Error) -> Error {
    DecodeError::after_success(api, err.to_string()).into()
}

pub(crate) fn answered(
    api: &'static str,
    body: &[u8],
    classify: fn(i64) -> ApiErrorKind,
    key: Option<(&str, &str)>,
) -> Result<Map<String, Value>, Error> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| DecodeError::new(api, format!("not JSON: {err}")))?;
    let Value::Object(object) = value else {
        return Err(DecodeError::new(api, "not a JSON object").into());
    };
    let errcode = match object.get("errcode") {
        Some(code) => code.as_i64().ok_or_else(|| DecodeError::new(api, "`errcode` is not an integer"))?,
        None => return Err(DecodeError::new(api, "missing field `errcode`").into()),
    };
    if errcode != 0 {
        let errmsg = object.get("errmsg").and_then(Value::as_str).unwrap_or_default();
        return Err(ApiError::new(api, errcode, errmsg, classify(errcode)).into());
    }
    if let Some((name, expected)) = key {
        if let Some(answered) =
            object.get(name).and_then(Value::as_str).filter(|answered| *answered != expected)
        {
            return Err(DecodeError::new(
                api,
                format!("the answer is about {name} `{answered}`, not this request's `{expected}`"),
            )
            .into());
        }
    }
    Ok(object)
}

/// Deserializes a flag sent as a JSON bool or an integer (`1` is true; `0` and `2`, the
/// documented "not satisfied", are false). For `first_save`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct R { #[serde(deserialize_with = "midas_core::bool_or_int")] first_save: bool }
/// let r: R = serde_json::from_str(r#"{"first_save":1}"#)?;
/// assert!(r.first_save);
/// let r: R = serde_json::from_str(r#"{"first_save":false}"#)?;
/// assert!(!r.first_save);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn bool_or_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    match Flag::deserialize(deserializer)? {
        Flag::Bool(flag) => Ok(flag),
        Flag::Int(number) => Ok(number == 1),
    }
}
