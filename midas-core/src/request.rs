//! What `#[midas_api]` implements for a request struct, whatever its generation.

use serde::de::DeserializeOwned;

use crate::body::JsonObject;
use crate::pairs::{MpExtra, SignSink};
use crate::{CallContext, Env, Scheme, ValidationError};

/// A request of any generation. Implemented by `#[midas_api]`; not meant to be written by
/// hand. The generation is data ([`Self::SCHEME`]); [`prepare`](crate::prepare()) signs by it.
pub trait MidasRequest {
    /// The success response (without `errcode`/`errmsg`): owned data a task can hand to
    /// another.
    type Response: DeserializeOwned + Send + 'static;
    /// The API's name, e.g. `"present"`.
    const API: &'static str;
    /// The generation.
    const SCHEME: Scheme;
    /// The production path, e.g. `/cgi-bin/midas/present`.
    const PATH: &'static str;
    /// The sandbox path: `/cgi-bin/midas/sandbox/…` in Midas 1.0, the same as [`Self::PATH`]
    /// in the generations whose body picks the environment.
    const SANDBOX_PATH: &'static str;
    /// The generation's signer: [`Signer::PAIRS`](crate::Signer::PAIRS) for Midas 1.0,
    /// [`Signer::BODY`](crate::Signer::BODY) for the others.
    const SIGNER: crate::Signer<Self>;
    /// Whether the API requires the player's session key (Midas 2.0, and the xpay APIs with
    /// the player's `signature`); Midas 1.0 signs `mp_sig` whenever one is given.
    const USER_SIGNATURE: bool;

    /// Checks every field rule declared on the struct.
    fn validate(&self) -> Result<(), ValidationError>;

    /// Checks the envelope the generation sends from `context` (the player's openid, the
    /// zone, `user_ip` where the API requires it, …).
    fn validate_envelope(context: &CallContext<'_>) -> Result<(), ValidationError>;

    /// The idempotency key, if the request has one: its wire name and its value (the bill
    /// number or order id). An answer naming another order under this name is refused.
    fn order_key(&self) -> Option<(&'static str, &str)>;

    /// The idempotency key's value (the bill number or order id), if the request has one.
    fn order_id(&self) -> Option<&str> {
        self.order_key().map(|(_, value)| value)
    }

    /// The coins the request moves, when it has a field the generation calls the amount
    /// (`amount` in Midas 2.0 and xpay, `amt` and `present_counts` in Midas 1.0). The client
    /// checks a looked-up order against it; a journal records it.
    fn amount(&self) -> Option<i64>;

    /// Writes the signed `k=v` pairs of Midas 1.0 — the struct's fields merged with the
    /// envelope (and with `access_token` and `sig` when `mp` is given) in byte-wise order of
    /// their names. The generations that sign the body write none.
    fn write_params<S: SignSink + ?Sized>(
        &self,
        context: &CallContext<'_>,
        mp: Option<&MpExtra<'_>>,
        sink: &mut S,
    ) {
        let _ = (context, mp, sink);
    }

    /// Writes the JSON body: the generation's envelope, then the struct's own fields.
    fn write_body(&self, context: &CallContext<'_>, body: &mut JsonObject<'_>);

    /// Writes the struct's own fields, and nothing of the envelope, as JSON members under
    /// their wire names: what a journal records of a request, and what it fingerprints.
    fn write_fields(&self, body: &mut JsonObject<'_>);

    /// The path of this API in `env` (in Midas 1.0 also the signed `org_loc`).
    fn path(env: Env) -> &'static str {
        env.pick(Self::PATH, Self::SANDBOX_PATH)
    }
}
