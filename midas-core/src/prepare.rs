//! The per-call preparation of a Midas 1.0 request that the client runs before the network:
//! validate, sign, write the body.

use crate::body::{JsonObject, SHORT_SLACK};
use crate::request::MidasRequest;
use crate::sign::{self, Hex64};
use crate::{AccessToken, AppKey, Env, Envelope, SessionKey, ValidationError};

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
