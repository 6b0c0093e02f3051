//! The body checker every protocol shares: a JSON object checked field by field (present when
//! required, of its JSON type, not empty, none unknown), and the typed reads after it. Each
//! protocol words its parameter errors in its own way ([`Wording`]).

use midas_core::Env;
use serde_json::{Map, Value};

use crate::answer::Rejection;

/// The JSON type a field must have.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Integer,
}

/// One field of a request body: wire name, type, required.
pub(crate) type FieldSpec = (&'static str, Kind, bool);

/// What is wrong with a field.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Problem<'a> {
    /// Absent from the body.
    Missing,
    /// Absent from the query string.
    MissingFromQuery,
    /// Present, but not as it must be: the text says how.
    Invalid(&'a str),
    /// Not a parameter of the API.
    Unknown,
    /// A query-string parameter sent in the body.
    InBody,
}

/// How a protocol words a parameter error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wording {
    /// Midas 1.0: 90018, ``invalid parameter `field`: problem``; `access_token` belongs in the
    /// query string.
    V1,
    /// Midas 2.0 and xpay: the protocol's errcode, `[field] field is invalid: problem`;
    /// `access_token` and the signatures belong in the query string.
    BodySigned {
        /// The protocol's errcode of a parameter error.
        errcode: i64,
    },
}

impl Wording {
    /// The errcode of a parameter error.
    pub(crate) const fn errcode(self) -> i64 {
        match self {
            Self::V1 => 90018,
            Self::BodySigned { errcode } => errcode,
        }
    }

    /// A parameter error naming `field`.
    pub(crate) fn refuse(self, field: &str, problem: Problem<'_>) -> Rejection {
        let errmsg = match (self, problem) {
            (_, Problem::Unknown) => self.name(field, "is not a parameter of this API"),
            (_, Problem::InBody) => self.name(field, "belongs in the query string, not in the body"),
            (Self::V1, Problem::Missing) => self.name(field, "missing"),
            (Self::V1, Problem::MissingFromQuery) => self.name(field, "missing from the query string"),
            (Self::V1, Problem::Invalid(text)) => self.name(field, text),
            (Self::BodySigned { .. }, Problem::Missing) => self.name(field, "is missing"),
            (Self::BodySigned { .. }, Problem::MissingFromQuery) => {
                self.name(field, "is missing from the query string")
            }
            (Self::BodySigned { .. }, Problem::Invalid(text)) => {
                self.name(field, &format!("is invalid: {text}"))
            }
        };
        Rejection::new(self.errcode(), errmsg)
    }

    /// `text` after the field's name, as this protocol puts it.
    fn name(self, field: &str, text: &str) -> String {
        match self {
            Self::V1 => format!("invalid parameter `{field}`: {text}"),
            Self::BodySigned { .. } => format!("[{field}] {field} {text}"),
        }
    }

    /// The refusal of a body that is not a JSON object (`json`: whether it is JSON at all).
    fn not_an_object(self, json: bool) -> Rejection {
        let errmsg = match self {
            Self::V1 if !json => "invalid parameter: the body is not JSON",
            _ => "invalid parameter: the body is not a JSON object",
        };
        Rejection::new(self.errcode(), errmsg)
    }

    /// The parameters that belong in the query string, named as such when sent in the body.
    const fn query_names(self) -> &'static [&'static str] {
        match self {
            Self::V1 => &["access_token"],
            Self::BodySigned { .. } => &["access_token", "pay_sig", "signature", "sig_method"],
        }
    }
}

/// A received body whose fields are all known, present when required, of their JSON type and
/// not empty.
#[derive(Debug)]
pub(crate) struct Body {
    object: Map<String, Value>,
    wording: Wording,
}

impl Body {
    /// Checks `bytes` against `specs`; refusals are worded as `wording` says.
    pub(crate) fn parse(bytes: &[u8], specs: &[FieldSpec], wording: Wording) -> Result<Self, Rejection> {
        let refuse = |field: &str, problem| wording.refuse(field, problem);
        let object = match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(object)) => object,
            Ok(_) => return Err(wording.not_an_object(true)),
            Err(_) => return Err(wording.not_an_object(false)),
        };
        for (name, kind, required) in specs {
            match (object.get(*name), kind) {
                (None, _) if *required => return Err(refuse(name, Problem::Missing)),
                (None, _) => {}
                (Some(Value::String(text)), Kind::Text) if text.is_empty() => {
                    return Err(refuse(name, Problem::Invalid("must not be empty")));
                }
                (Some(Value::String(_)), Kind::Text) => {}
                (Some(_), Kind::Text) => return Err(refuse(name, Problem::Invalid("must be a JSON string"))),
                (Some(Value::Number(number)), Kind::Integer) if number.is_i64() => {}
                (Some(_), Kind::Integer) => {
                    return Err(refuse(name, Problem::Invalid("must be a JSON integer")));
                }
            }
        }
        if let Some(name) = object.keys().find(|name| !specs.iter().any(|(known, _, _)| known == name)) {
            let in_body = wording.query_names().contains(&name.as_str());
            return Err(refuse(name, if in_body { Problem::InBody } else { Problem::Unknown }));
        }
        Ok(Self { object, wording })
    }

    /// The fields, as received.
    pub(crate) fn object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// A parameter error naming `field`.
    pub(crate) fn invalid(&self, field: &str, problem: &str) -> Rejection {
        self.wording.refuse(field, Problem::Invalid(problem))
    }

    /// A text field, when present.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.object.get(name).and_then(Value::as_str)
    }

    /// An integer field, when present.
    pub(crate) fn integer(&self, name: &str) -> Option<i64> {
        self.object.get(name).and_then(Value::as_i64)
    }

    /// A text field that must equal `expected`.
    pub(crate) fn expect_text(&self, name: &str, expected: &str, problem: &str) -> Result<(), Rejection> {
        if self.text(name) == Some(expected) { Ok(()) } else { Err(self.invalid(name, problem)) }
    }

    /// `ts`: a UNIX time in seconds, above zero.
    pub(crate) fn check_ts(&self) -> Result<(), Rejection> {
        match self.integer("ts") {
            Some(ts) if ts > 0 => Ok(()),
            _ => Err(self.invalid("ts", "must be a UNIX time in seconds")),
        }
    }

    /// `env`: 0 production, 1 sandbox.
    pub(crate) fn env(&self) -> Result<Env, Rejection> {
        match self.integer("env") {
            Some(0) => Ok(Env::Production),
            Some(1) => Ok(Env::Sandbox),
            _ => Err(self.invalid("env", "must be 0 (production) or 1 (sandbox)")),
        }
    }

    /// An amount of coins, above zero.
    pub(crate) fn amount(&self, name: &str) -> Result<i64, Rejection> {
        match self.integer(name) {
            Some(amount) if amount > 0 => Ok(amount),
            _ => Err(self.invalid(name, "must be greater than zero")),
        }
    }

    /// An order number of `[0-9A-Za-z_-]{1,63}`; not starting with `_` unless
    /// `leading_underscore`.
    pub(crate) fn order_no(&self, name: &str, leading_underscore: bool) -> Result<String, Rejection> {
        let text = self.text(name).unwrap_or_default();
        let valid = (1..=63).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && (leading_underscore || !text.starts_with('_'));
        if valid {
            Ok(text.to_owned())
        } else if leading_underscore {
            Err(self.invalid(name, "must be 1 to 63 characters of [0-9A-Za-z_-]"))
        } else {
            Err(self.invalid(name, "must be 1 to 63 characters of [0-9A-Za-z_-], not starting with _"))
        }
    }

    /// Every field but `ts` and the Midas 1.0 signatures, sorted: two attempts of one request
    /// carry the same fingerprint.
    pub(crate) fn fingerprint(&self) -> Vec<(String, String)> {
        let mut fingerprint: Vec<(String, String)> = self
            .object
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "ts" | "sig" | "mp_sig"))
            .map(|(name, value)| {
                (name.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned))
            })
            .collect();
        fingerprint.sort();
        fingerprint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: [FieldSpec; 4] = [
        ("openid", Kind::Text, true),
        ("env", Kind::Integer, true),
        ("amount", Kind::Integer, true),
        ("remark", Kind::Text, false),
    ];

    fn parse(body: &str) -> Result<Body, Rejection> {
        Body::parse(body.as_bytes(), &SPECS, Wording::BodySigned { errcode: 90018 })
    }

    fn errmsg(body: &str) -> String {
        parse(body).map_or_else(|rejection| rejection.errmsg, |body| format!("accepted {body:?}"))
    }

    #[test]
    fn each_field_problem_is_named_in_the_errmsg() {
        assert_eq!(errmsg(r#"{"env":0,"amount":1}"#), "[openid] openid is missing");
        assert_eq!(
            errmsg(r#"{"openid":"","env":0,"amount":1}"#),
            "[openid] openid is invalid: must not be empty"
        );
        assert_eq!(
            errmsg(r#"{"openid":"p","env":"0","amount":1}"#),
            "[env] env is invalid: must be a JSON integer"
        );
        assert_eq!(
            errmsg(r#"{"openid":"p","env":0,"amount":1.5}"#),
            "[amount] amount is invalid: must be a JSON integer"
        );
        assert_eq!(
            errmsg(r#"{"openid":"p","env":0,"amount":1,"zone":"1"}"#),
            "[zone] zone is not a parameter of this API"
        );
        assert!(errmsg(r#"{"openid":"p","env":0,"amount":1,"pay_sig":"ab"}"#).contains("query string"));
        assert!(errmsg("[1]").contains("not a JSON object"));
    }

    #[test]
    fn env_amounts_and_order_numbers_are_checked() {
        let body =
            |env: i64, amount: i64| parse(&format!(r#"{{"openid":"p","env":{env},"amount":{amount}}}"#));
        assert_eq!(body(1, 5).and_then(|body| body.env()), Ok(Env::Sandbox));
        assert!(body(2, 5).and_then(|body| body.env()).is_err());
        assert!(body(0, 0).and_then(|body| body.amount("amount")).is_err());
        let bill = |text: &str, leading| {
            parse(&format!(r#"{{"openid":"{text}","env":0,"amount":1}}"#))
                .and_then(|body| body.order_no("openid", leading))
        };
        assert!(bill("Bill_1-a", false).is_ok());
        assert!(bill("_bill", true).is_ok());
        assert!(bill("_bill", false).is_err());
        assert!(bill(&"a".repeat(64), true).is_err());
        assert!(bill("bill no", true).is_err());
    }

    #[test]
    fn the_fingerprint_leaves_out_ts_only() {
        let specs = [("openid", Kind::Text, true), ("ts", Kind::Integer, true)];
        let wording = Wording::BodySigned { errcode: 1 };
        let first = Body::parse(br#"{"openid":"p","ts":1}"#, &specs, wording).map(|body| body.fingerprint());
        let again = Body::parse(br#"{"ts":2, "openid":"p"}"#, &specs, wording).map(|body| body.fingerprint());
        assert_eq!(first, again);
        assert_eq!(first, Ok(vec![("openid".to_owned(), "p".to_owned())]));
    }
}
