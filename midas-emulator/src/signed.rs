//! What Midas 2.0 and xpay share: signatures in the query string, a JSON body checked field by
//! field, the `env` the body names, and `pay_sig` checked over the exact received bytes with
//! the payment key of that env (with midas-core's verifier, the same code as the signer).

use midas_core::Env;
use midas_core::body_signed::verify_pay_sig;
use serde_json::{Map, Value};

use crate::Api;
use crate::answer::Rejection;
use crate::query;
use crate::shared::App;

/// The JSON type a field must have.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Integer,
}

/// One field of a request body: wire name, type, required.
pub(crate) type FieldSpec = (&'static str, Kind, bool);

/// A parameter error naming the field, `[field] field problem`, with the scheme's errcode.
pub(crate) fn parameter(errcode: i64, field: &str, problem: &str) -> Rejection {
    Rejection::new(errcode, format!("[{field}] {field} {problem}"))
}

/// A query parameter that must be present and not empty.
pub(crate) fn required_param(query: Option<&str>, name: &str, errcode: i64) -> Result<String, Rejection> {
    match query.and_then(|query| query::param(query, name)) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(parameter(errcode, name, "is missing from the query string")),
    }
}

/// A received body whose fields are all known, present when required, of their JSON type and
/// not empty.
#[derive(Debug)]
pub(crate) struct Body {
    object: Map<String, Value>,
    errcode: i64,
}

impl Body {
    /// Checks `bytes` against `specs`; refusals carry `errcode` (the scheme's parameter error).
    pub(crate) fn parse(bytes: &[u8], specs: &[FieldSpec], errcode: i64) -> Result<Self, Rejection> {
        let refuse = |field: &str, problem: &str| parameter(errcode, field, problem);
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(bytes) else {
            return Err(Rejection::new(errcode, "invalid parameter: the body is not a JSON object"));
        };
        for (name, kind, required) in specs {
            match (object.get(*name), kind) {
                (None, _) if *required => return Err(refuse(name, "is missing")),
                (None, _) => {}
                (Some(Value::String(text)), Kind::Text) if text.is_empty() => {
                    return Err(refuse(name, "is invalid: must not be empty"));
                }
                (Some(Value::String(_)), Kind::Text) => {}
                (Some(_), Kind::Text) => return Err(refuse(name, "is invalid: must be a JSON string")),
                (Some(Value::Number(number)), Kind::Integer) if number.is_i64() => {}
                (Some(_), Kind::Integer) => return Err(refuse(name, "is invalid: must be a JSON integer")),
            }
        }
        if let Some(name) = object.keys().find(|name| !specs.iter().any(|(known, _, _)| known == name)) {
            let problem = match name.as_str() {
                "access_token" | "pay_sig" | "signature" | "sig_method" => {
                    "belongs in the query string, not in the body"
                }
                _ => "is not a parameter of this API",
            };
            return Err(refuse(name, problem));
        }
        Ok(Self { object, errcode })
    }

    /// A parameter error naming `field`.
    pub(crate) fn invalid(&self, field: &str, problem: &str) -> Rejection {
        parameter(self.errcode, field, &format!("is invalid: {problem}"))
    }

    /// A text field, when present.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.object.get(name).and_then(Value::as_str)
    }

    /// An integer field, when present.
    pub(crate) fn integer(&self, name: &str) -> Option<i64> {
        self.object.get(name).and_then(Value::as_i64)
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

    /// Every field but `ts`, sorted: two attempts of one request carry the same fingerprint.
    pub(crate) fn fingerprint(&self) -> Vec<(String, String)> {
        let mut fingerprint: Vec<(String, String)> = self
            .object
            .iter()
            .filter(|(name, _)| name.as_str() != "ts")
            .map(|(name, value)| {
                (name.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned))
            })
            .collect();
        fingerprint.sort();
        fingerprint
    }
}

/// Whether `pay_sig` was made with the payment key of `env` over the path of `api` and the
/// exact received `body`.
pub(crate) fn pay_sig_matches(app: &App, api: Api, env: Env, body: &[u8], pay_sig: &str) -> bool {
    verify_pay_sig(app.payment_key(env), api.path(env), body, pay_sig).is_ok()
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
        Body::parse(body.as_bytes(), &SPECS, 90018)
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
        let first = Body::parse(br#"{"openid":"p","ts":1}"#, &specs, 1).map(|body| body.fingerprint());
        let again = Body::parse(br#"{"ts":2, "openid":"p"}"#, &specs, 1).map(|body| body.fingerprint());
        assert_eq!(first, again);
        assert_eq!(first, Ok(vec![("openid".to_owned(), "p".to_owned())]));
    }
}
