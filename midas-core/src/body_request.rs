//! Requests of the body-signed generations — Midas 2.0 (`/wxa/game/*`) and xpay (`/xpay/*`) —
//! and their per-call preparation: serialize once, sign those bytes, send those bytes.

use serde::de::DeserializeOwned;

use crate::body::JsonObject;
use crate::body_signed::{pay_sig, signature};
use crate::sign::Hex64;
use crate::{ApiErrorKind, AppKey, Env, Rule, SessionKey, ValidationError};

/// A body-signed API generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Midas 2.0 for mini games, `/wxa/game/*`: `pay_sig`, `signature` and
    /// `sig_method=hmac_sha256` in the query; the envelope is `openid`, `offer_id`, `ts`,
    /// `zone_id`, `env` and the optional `user_ip`.
    GameV2,
    /// Virtual payment (xpay), `/xpay/*`: `pay_sig` and, where required, `signature` in the
    /// query; the envelope is `openid` (unless the API has none), `env` and the optional
    /// `user_ip`.
    Xpay,
}

impl Scheme {
    /// The meaning of an errcode in this generation. Midas 2.0 moved 90010 to the user
    /// signature, 90011 to `pay_sig` and 90016 to an expired session.
    pub const fn classify(self, errcode: i64) -> ApiErrorKind {
        match (self, errcode) {
            (_, -1) => ApiErrorKind::Busy,
            (_, 40001 | 40014 | 42001) => ApiErrorKind::TokenInvalid,
            (Self::GameV2, 90000 | 90019) => ApiErrorKind::OrderNotFound,
            (Self::GameV2, 90010) => ApiErrorKind::MpSigRejected,
            (Self::GameV2, 90011) => ApiErrorKind::SigRejected,
            (Self::GameV2, 90012) => ApiErrorKind::OrderExists,
            (Self::GameV2, 90013) => ApiErrorKind::InsufficientBalance,
            (Self::GameV2, 90016) => ApiErrorKind::SessionExpired,
            (Self::GameV2, 90017) => ApiErrorKind::NoPermission,
            (Self::GameV2, 90018) => ApiErrorKind::InvalidParameter,
            (Self::Xpay, 268_490_001 | 268_490_002) => ApiErrorKind::InvalidParameter,
            (Self::Xpay, 268_490_003) => ApiErrorKind::SigRejected,
            (Self::Xpay, 268_490_004) => ApiErrorKind::OrderExists,
            (Self::Xpay, 268_490_005) => ApiErrorKind::PayAlreadyRefunded,
            (Self::Xpay, 268_490_006) => ApiErrorKind::InsufficientBalance,
            (Self::Xpay, 268_490_009) => ApiErrorKind::SessionExpired,
            (Self::Xpay, 268_490_011 | 268_490_012 | 268_490_014) => ApiErrorKind::OrderInProgress,
            (Self::Xpay, 268_490_015) => ApiErrorKind::RateLimited,
            _ => ApiErrorKind::Other,
        }
    }

    /// The value of the body field `env`: 0 production, 1 sandbox.
    pub const fn env_value(env: Env) -> i64 {
        env.pick(0, 1)
    }
}

/// A Midas 2.0 or xpay request. Implemented by `#[midas_api(scheme = ..)]`.
pub trait BodySignedRequest {
    /// The success response (without `errcode`/`errmsg`).
    type Response: DeserializeOwned;
    /// The API's name, e.g. `"pay"` or `"currency_pay"`.
    const API: &'static str;
    /// The path, the same in both environments (also the `uri` of `pay_sig`).
    const PATH: &'static str;
    /// The generation.
    const SCHEME: Scheme;
    /// Whether the API requires the player's `signature` (session key over the body).
    const USER_SIGNATURE: bool;
    /// Whether the body carries the player's `openid`.
    const OPENID: bool;
    /// Whether the API requires the player's `user_ip` (otherwise it is sent when known).
    const REQUIRE_USER_IP: bool;

    /// Checks every field rule declared on the struct.
    fn validate(&self) -> Result<(), ValidationError>;

    /// The idempotency key (the order id), if the request has one.
    fn order_id(&self) -> Option<&str>;

    /// The wire name of the idempotency key, if the request has one: an answer naming another
    /// order under this name is refused.
    const KEY_NAME: Option<&'static str>;

    /// The coins the request moves: its field `amount` (both body-signed generations name the
    /// amount so), when it has one. The client checks a looked-up order against it.
    fn amount(&self) -> Option<i64>;

    /// Writes the struct's own fields into the JSON body.
    fn write_body_fields(&self, body: &mut JsonObject<'_>);
}

/// The common body fields of the body-signed generations; which are written depends on the
/// scheme and on [`BodySignedRequest::OPENID`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyEnvelope<'a> {
    /// The player's openid.
    pub openid: &'a str,
    /// The `offer_id` (Midas 2.0 only).
    pub offer_id: &'a str,
    /// UNIX time in seconds (Midas 2.0 only).
    pub ts: i64,
    /// The zone (Midas 2.0 only).
    pub zone_id: &'a str,
    /// The environment, sent as `env` 0/1; it also picks the key.
    pub env: Env,
    /// The player's public IP, when known.
    pub user_ip: Option<&'a str>,
}

impl BodyEnvelope<'_> {
    fn validate<R: BodySignedRequest + ?Sized>(&self) -> Result<(), ValidationError> {
        if R::OPENID {
            crate::rules::text("openid", self.openid)?;
        }
        if R::SCHEME == Scheme::GameV2 {
            crate::rules::text("offer_id", self.offer_id)?;
            crate::rules::text("zone_id", self.zone_id)?;
        }
        match self.user_ip {
            Some(user_ip) => crate::rules::text("user_ip", user_ip)?,
            None if R::REQUIRE_USER_IP => return Err(ValidationError::new("user_ip", Rule::Required)),
            None => {}
        }
        Ok(())
    }

    /// Writes the envelope in the order of the documented compact examples (Midas 2.0:
    /// `offer_id, zone_id, openid, env, ts`; xpay: `openid, env, user_ip`), so the same
    /// inputs give the documented bytes.
    fn write<R: BodySignedRequest + ?Sized>(&self, body: &mut JsonObject<'_>) {
        let env = Scheme::env_value(self.env);
        if R::SCHEME == Scheme::GameV2 {
            body.field("offer_id", self.offer_id);
            body.field("zone_id", self.zone_id);
        }
        if R::OPENID {
            body.field("openid", self.openid);
        }
        body.field("env", &env);
        if R::SCHEME == Scheme::GameV2 {
            body.field("ts", &self.ts);
        }
        body.field("user_ip", &self.user_ip);
    }
}

/// Everything besides the request that a body-signed call needs.
#[derive(Clone, Copy, Debug)]
pub struct BodySignInput<'a> {
    /// The payment app key of `envelope.env`.
    pub app_key: &'a AppKey,
    /// The player's session key; required when the API requires `signature`.
    pub session_key: Option<&'a SessionKey>,
    /// The common fields.
    pub envelope: BodyEnvelope<'a>,
}

/// A body-signed request ready to send.
#[derive(Clone, Debug)]
pub struct PreparedBody {
    /// The exact body bytes that were signed.
    pub body: Vec<u8>,
    /// `pay_sig` over `PATH & body`.
    pub pay_sig: Hex64,
    /// `signature` over the body, when the API requires it.
    pub signature: Option<Hex64>,
}

/// Checks everything [`prepare_body`] checks, without signing: the envelope, the request's
/// rules, and the session key an API with the player's signature needs.
pub fn validate_body<R: BodySignedRequest + ?Sized>(
    request: &R,
    input: &BodySignInput<'_>,
) -> Result<(), ValidationError> {
    input.envelope.validate::<R>()?;
    request.validate()?;
    if R::USER_SIGNATURE && input.session_key.is_none() {
        return Err(ValidationError::new("session_key", Rule::Required));
    }
    Ok(())
}

/// Validates, writes the body once, and signs exactly those bytes.
pub fn prepare_body<R: BodySignedRequest + ?Sized>(
    request: &R,
    input: &BodySignInput<'_>,
) -> Result<PreparedBody, ValidationError> {
    validate_body(request, input)?;
    let session_key = if R::USER_SIGNATURE { input.session_key } else { None };
    let mut body = Vec::with_capacity(256);
    let mut object = JsonObject::new(&mut body);
    input.envelope.write::<R>(&mut object);
    request.write_body_fields(&mut object);
    object.finish();
    let pay_sig = pay_sig(input.app_key, R::PATH, &body);
    let signature = session_key.map(|key| signature(key, &body));
    Ok(PreparedBody { body, pay_sig, signature })
}
