//! The checks of an endpoint without a built-in protocol entry — a route a service added, or
//! one of the server's own account services: the same signatures as the protocol's own APIs,
//! over a body whose fields the route's handler reads.
//!
//! | check | Midas 2.0 | xpay |
//! |---|---|---|
//! | `pay_sig` in the query; where the route takes the player's: `signature` (and Midas 2.0 `sig_method=hmac_sha256`) | 90018 | 268490002 |
//! | the body is a JSON object with `env` 0 or 1 | 90018 | 268490002 |
//! | `pay_sig` with the payment key of `env`, over the path and the received bytes | 90011 | 268490003 |
//! | where the route takes the player's `signature`: `openid` is a known player | 90016 | 268490001 |
//! | … who is logged in, and `signature` is not made with a replaced session key | 90016 | 268490009 |
//! | … and `signature` is made with the player's session key over the received bytes | 90010 | 268490003 |

use midas_core::body_signed::verify_pay_sig;
use midas_core::{Env, Scheme};
use serde_json::{Map, Value};

use super::body::{Problem, Wording};
use super::body_signed::required_param;
use super::interface::Context;
use crate::answer::Rejection;
use crate::routes::parameter_errcode;
use crate::session::SessionProblem;

/// What the route checks need to know of an endpoint.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RouteSpec<'a> {
    pub(crate) scheme: Scheme,
    pub(crate) path: &'a str,
    pub(crate) user_signature: bool,
}

/// A request that passed the checks: its environment and its body's fields.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) env: Env,
    pub(crate) fields: Map<String, Value>,
}

/// Every check of a request to `route`, in the order of the [module](self) table.
pub(crate) fn check(
    route: RouteSpec<'_>,
    query: Option<&str>,
    body: &[u8],
    context: &Context<'_>,
) -> Result<Checked, Rejection> {
    let xpay = route.scheme == Scheme::Xpay;
    let wording = Wording::BodySigned { errcode: parameter_errcode(route.scheme) };
    let signature = if route.user_signature {
        if !xpay {
            let sig_method = required_param(query, "sig_method", wording)?;
            if sig_method != "hmac_sha256" {
                return Err(wording.refuse("sig_method", Problem::Invalid("must be hmac_sha256")));
            }
        }
        Some(required_param(query, "signature", wording)?)
    } else {
        None
    };
    let pay_sig = required_param(query, "pay_sig", wording)?;
    let fields = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => fields,
        _ => {
            return Err(Rejection::new(
                wording.errcode(),
                "invalid parameter: the body is not a JSON object",
            ));
        }
    };
    let env = match fields.get("env").and_then(Value::as_i64) {
        Some(0) => Env::Production,
        Some(1) => Env::Sandbox,
        Some(_) => {
            return Err(wording.refuse("env", Problem::Invalid("must be 0 (production) or 1 (sandbox)")));
        }
        None => return Err(wording.refuse("env", Problem::Missing)),
    };
    if verify_pay_sig(context.app.payment_keys.get(env), route.path, body, &pay_sig).is_err() {
        let (errcode, errmsg) = if xpay {
            (268_490_003, "signature error: pay_sig does not match")
        } else {
            (90011, "pay_sig error")
        };
        return Err(Rejection::new(errcode, errmsg));
    }
    if let Some(signature) = signature {
        let unknown = || {
            if xpay {
                Rejection::new(268_490_001, "openid error")
            } else {
                Rejection::new(90016, "openid error")
            }
        };
        let Some(openid) = fields.get("openid").and_then(Value::as_str) else {
            return Err(wording.refuse("openid", Problem::Missing));
        };
        if !context.ledger.knows(openid) {
            return Err(unknown());
        }
        match context.sessions.verify(openid, body, &signature) {
            Ok(()) => {}
            Err(SessionProblem::NoSession | SessionProblem::Expired) if xpay => {
                return Err(Rejection::new(268_490_009, "session_key missing or expired, log in again"));
            }
            Err(SessionProblem::NoSession | SessionProblem::Expired) => return Err(unknown()),
            Err(SessionProblem::Mismatch) => {
                let (errcode, errmsg) = if xpay {
                    (268_490_003, "signature error: signature does not match")
                } else {
                    (90010, "signature error")
                };
                return Err(Rejection::new(errcode, errmsg));
            }
        }
    }
    Ok(Checked { env, fields })
}
