//! What the server answers: a refusal (`errcode` and `errmsg`), or the success fields after
//! `{"errcode":0,"errmsg":"ok"}`, as a JSON response.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Map, Value};

/// A refusal: the `errcode` and `errmsg` of the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) errcode: i64,
    pub(crate) errmsg: String,
}

impl Rejection {
    pub(crate) fn new(errcode: i64, errmsg: impl Into<String>) -> Self {
        Self { errcode, errmsg: errmsg.into() }
    }

    /// `-1`, system busy: the same in every generation.
    pub(crate) fn busy() -> Self {
        Self::new(-1, "system error")
    }
}

/// The fields of a success.
pub(crate) type Fields = Map<String, Value>;

/// Builds success fields from `(name, value)` pairs.
pub(crate) fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Fields {
    pairs.into_iter().map(|(name, value)| (name.to_owned(), value)).collect()
}

/// `{"errcode":errcode,"errmsg":errmsg}`.
pub(crate) fn refusal(errcode: i64, errmsg: &str) -> Value {
    let mut object = Map::new();
    object.insert("errcode".into(), errcode.into());
    object.insert("errmsg".into(), errmsg.into());
    Value::Object(object)
}

/// `{"errcode":0,"errmsg":"ok",...fields}`.
pub(crate) fn success(fields: Fields) -> Value {
    let mut object = Map::new();
    object.insert("errcode".into(), 0.into());
    object.insert("errmsg".into(), "ok".into());
    object.extend(fields);
    Value::Object(object)
}

/// `value` as a JSON response with `status`.
pub(crate) fn response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}
