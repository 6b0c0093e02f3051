//! What `#[midas_api]` implements for a request struct, and the per-call preparation that the
//! client runs before the network: validate, sign, write the body.

use serde::de::DeserializeOwned;

use crate::body::{JsonObject, SHORT_SLACK};
use crate::sign::{self, Hex64, SignSink};
use crate::{AccessToken, ApiErrorKind, AppKey, Env, Envelope, SessionKey, ValidationError};

/// The two values that join the parameters of `mp_sig` (and only of `mp_sig`). `Debug` shows
/// the access token as `***`.
#[derive(Clone, Copy)]
pub struct MpExtra<'a> {
    /// The access token (also sent in the query string, never in the body).
    pub access_token: &'a str,
    /// The `sig` just computed.
    pub sig: &'a str,
}

impl core::fmt::Debug for MpExtra<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MpExtra").field("access_token", &crate::sign::MASK).field("sig", &self.sig).finish()
    }
}

/// A Midas 1.0 request. Implemented by `#[midas_api]`; not meant to be written by hand.
pub trait MidasRequest {
    /// The success response (without `errcode`/`errmsg`).
    type Response: DeserializeOwned;
    /// The API's name, e.g. `"present"`.
    const API: &'static str;
    /// The production path, e.g. `/cgi-bin/midas/present`.
    const PATH: &'static str;
    /// The sandbox path, e.g. `/cgi-bin/midas/sandbox/present`.
    const SANDBOX_PATH: &'static str;

    /// Checks every field rule declared on the struct.
    fn validate(&self) -> Result<(), ValidationError>;

    /// The idempotency key of the request, if it has one.
    fn bill_no(&self) -> Option<&str>;

    /// The wire name of the idempotency key, if the request has one: an answer naming another
    /// order under this name is refused.
    const KEY_NAME: Option<&'static str>;

    /// Writes the signed pairs, the struct's fields merged with the envelope (and with
    /// `access_token` and `sig` when `mp` is given), in byte-wise order of their names.
    fn write_params<S: SignSink + ?Sized>(
        &self,
        envelope: &Envelope<'_>,
        mp: Option<&MpExtra<'_>>,
        sink: &mut S,
    );

    /// Writes the struct's own fields into the JSON body.
    fn write_body_fields(&self, body: &mut JsonObject<'_>);

    /// The meaning of an errcode of this API.
    fn classify(errcode: i64) -> ApiErrorKind {
        ApiErrorKind::midas_v1(errcode)
    }

    /// The path of this API in `env` (also the signed `org_loc`).
    fn path(env: Env) -> &'static str {
        env.pick(Self::PATH, Self::SANDBOX_PATH)
    }
}

/// Everything besides the request that signing needs.
#[derive(Clone, Copy, Debug)]
pub struct SignInput<'a> {
    /// The environment; it picks the path and must match `app_key`.
    pub env: Env,
    /// The app key of `env`.
    pub app_key: &'a AppKey,
    /// The player's session key; `mp_sig` is sent exactly when it is given.
    pub session_key: Option<&'a SessionKey>,
    /// The access token, signed into `mp_sig`.
    pub access_token: &'a AccessToken,
    /// The common parameters.
    pub envelope: Envelope<'a>,
}

/// A request ready to send: path, both signatures and the body bytes.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The path called (equal to the signed `org_loc`).
    pub path: &'static str,
    /// The `sig` in the body.
    pub sig: Hex64,
    /// The `mp_sig` in the body, when a session key was given.
    pub mp_sig: Option<Hex64>,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// Validates, signs and writes the body of `request`: the whole per-call work before the
/// network, with one heap allocation (the body).
pub fn prepare<R: MidasRequest + ?Sized>(
    request: &R,
    input: &SignInput<'_>,
) -> Result<Prepared, ValidationError> {
    input.envelope.validate()?;
    request.validate()?;
    let path = R::path(input.env);
    let envelope = &input.envelope;
    let (sig, params_len) = sign::sig_measured(request, envelope, path, input.app_key);
    let mp_sig = input
        .session_key
        .map(|session_key| sign::mp_sig(request, envelope, path, input.access_token, &sig, session_key));

    let mut body = Vec::with_capacity(body_capacity(params_len));
    let mut object = JsonObject::new(&mut body);
    envelope.write_body_fields(&mut object);
    request.write_body_fields(&mut object);
    object.field_literal(b",\"sig\":", &sig);
    if let Some(mp_sig) = &mp_sig {
        object.field_literal(b",\"mp_sig\":", mp_sig);
    }
    object.finish();
    Ok(Prepared { path, sig, mp_sig, body })
}

/// Room for the body, given the length `p` of the `k=v&…` string that `sig` signed: the body
/// carries the same n pairs, so it never needs a second allocation unless a value has to be
/// escaped.
///
/// A pair `k=v` becomes `"k":"v"` (at most 4 bytes more) and each `&` a `,`, so the fields
/// with their braces take at most `p + 4n + 2`. Names and values are never empty, so every
/// pair with its `&` takes at least 4 bytes of `p + 1`: `4n <= p + 1`. Hence at most
/// `2p + 3`, plus `,"sig":"…"` (73) and `,"mp_sig":"…"` (76), plus the spare bytes short
/// values are written through ([`SHORT_SLACK`]).
const fn body_capacity(p: usize) -> usize {
    2 * p + 3 + 73 + 76 + SHORT_SLACK
}

#[cfg(test)]
mod tests {
    use super::body_capacity;

    #[test]
    fn body_capacity_covers_one_byte_pairs() {
        // The densest body: one-byte names and string values, `a=b&c=d` (p = 7, n = 2).
        let body = r#"{"a":"b","c":"d","sig":"0000000000000000000000000000000000000000000000000000000000000000","mp_sig":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
        assert!(body.len() <= body_capacity(7));
    }
}
