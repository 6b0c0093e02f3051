//! What Midas 2.0 and xpay share beyond the body checker: signatures in the query string, and
//! `pay_sig` checked over the exact received bytes with the payment key of the body's `env`
//! (with midas-core's verifier, the same code as the signer).

use midas_core::Env;
use midas_core::body_signed::verify_pay_sig;

use super::body::{Problem, Wording};
use crate::answer::Rejection;
use crate::api::Api;
use crate::query;
use crate::shared::App;

/// A query parameter that must be present and not empty.
pub(crate) fn required_param(query: Option<&str>, name: &str, wording: Wording) -> Result<String, Rejection> {
    match query.and_then(|query| query::param(query, name)) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(wording.refuse(name, Problem::MissingFromQuery)),
    }
}

/// Whether `pay_sig` was made with the payment key of `env` over the path of `api` and the
/// exact received `body`.
pub(crate) fn pay_sig_matches(app: &App, api: Api, env: Env, body: &[u8], pay_sig: &str) -> bool {
    verify_pay_sig(app.payment_keys.get(env), api.path(env), body, pay_sig).is_ok()
}
