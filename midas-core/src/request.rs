//! What `#[midas_api]` implements for a Midas 1.0 request struct.

use serde::de::DeserializeOwned;

use crate::body::JsonObject;
use crate::pairs::SignSink;
use crate::{ApiErrorKind, Env, Envelope, ValidationError};

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
        f.debug_struct("MpExtra").field("access_token", &crate::pairs::MASK).field("sig", &self.sig).finish()
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
