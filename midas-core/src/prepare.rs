//! One preparation for every generation: validate, sign by the request's [`Scheme`], write the
//! body — all the client does before the network, with one heap allocation (the body).

use crate::body::{JsonObject, SHORT_SLACK};
use crate::body_signed::{pay_sig, signature};
use crate::request::MidasRequest;
use crate::sign::{self, Hex64};
use crate::{AccessToken, ApiUrl, CallContext, MaskedSigned, Rule, Scheme, ValidationError};

/// Checks everything [`prepare`] checks, without signing: the envelope the generation sends,
/// the request's rules, the session key an API with the player's signature needs, and the
/// token Midas 1.0 signs into `mp_sig`. The client runs it before fetching a token (with
/// `access_token: None`).
pub fn validate<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
) -> Result<(), ValidationError> {
    R::validate_envelope(context)?;
    request.validate()?;
    if R::USER_SIGNATURE && context.session_key.is_none() {
        return Err(ValidationError::new("session_key", Rule::Required));
    }
    Ok(())
}

/// A call ready to send: the path, the body bytes, and the signatures. Where the signatures
/// go is the scheme's: in the body for Midas 1.0 (already written there), in the query for
/// the others ([`Self::url`] puts them there).
///
/// [`prepare`] makes one from a request; `midas-api`'s `Client::prepare` shows the result as
/// a dry run. Built by hand here, an xpay call whose `pay_sig` goes into the query:
///
/// ```
/// use midas_core::{AccessToken, AppKey, PreparedCall, Scheme, body_signed};
/// let body = br#"{"openid":"player-1","env":1,"order_id":"order-0001"}"#.to_vec();
/// let pay_sig = body_signed::pay_sig(&AppKey::new("payment-key")?, "/xpay/query_order", &body);
/// let call = PreparedCall {
///     scheme: Scheme::Xpay,
///     path: "/xpay/query_order",
///     app_signature: pay_sig,
///     player_signature: None,
///     body,
/// };
/// let url = call.url("https://api.weixin.qq.com", &AccessToken::new("TOKEN")?);
/// let shown = format!("https://api.weixin.qq.com/xpay/query_order?access_token=***&pay_sig={pay_sig}");
/// assert_eq!(url.to_string(), shown);
/// # Ok::<(), midas_core::ValidationError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PreparedCall {
    /// The generation.
    pub scheme: Scheme,
    /// The path called (Midas 1.0: also the signed `org_loc`).
    pub path: &'static str,
    /// The app's signature: `sig` (Midas 1.0) or `pay_sig`.
    pub app_signature: Hex64,
    /// The player's signature, when made: `mp_sig` (Midas 1.0) or `signature`.
    pub player_signature: Option<Hex64>,
    /// The JSON body, exactly as signed (Midas 2.0, xpay) and sent.
    pub body: Vec<u8>,
}

impl PreparedCall {
    /// The query parameters of the scheme beside `access_token`, in the documented order.
    pub fn query(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let app = ("pay_sig", self.app_signature.as_str());
        let player = self.player_signature.as_ref().map(|player| ("signature", player.as_str()));
        let (first, second, third) = match self.scheme {
            Scheme::V1 => (None, None, None),
            // Midas 2.0: signature, sig_method, pay_sig.
            Scheme::V2 => (player, player.map(|_| ("sig_method", "hmac_sha256")), Some(app)),
            Scheme::Xpay => (Some(app), player, None),
        };
        first.into_iter().chain(second).chain(third)
    }

    /// The URL: `base_url` + path + `access_token` (masked when shown) + the scheme's query.
    pub fn url(&self, base_url: &str, token: &AccessToken) -> ApiUrl {
        let mut url = ApiUrl::new(base_url, self.path, token);
        for (name, value) in self.query() {
            url.query(name, value);
        }
        url
    }

    /// What was signed, with every secret shown as `***`: what to look at when a signature is
    /// rejected. Midas 1.0 renders its signing strings again (this rare path allocates); the
    /// others signed the path and the body, which hold no secret.
    pub fn masked<R: MidasRequest + ?Sized>(&self, request: &R, context: &CallContext<'_>) -> MaskedSigned {
        match R::SIGNER.masked {
            Some(masked) => masked(self, request, context),
            None => masked_body(self),
        }
    }
}

/// The signer of a request type: the scheme's arm of [`prepare`] and of
/// [`PreparedCall::masked`], picked by `#[midas_api]` from the scheme
/// ([`MidasRequest::SIGNER`]). Held as function pointers so that a request type brings only its
/// own scheme's signer into the crates that call it, not every scheme's.
pub struct Signer<R: ?Sized> {
    prepare: fn(&R, &CallContext<'_>, &'static str) -> Result<PreparedCall, ValidationError>,
    /// `None`: what was signed is the path and the body, shown by code that is the same for
    /// every request type.
    masked: Option<fn(&PreparedCall, &R, &CallContext<'_>) -> MaskedSigned>,
}

impl<R: MidasRequest + ?Sized> Signer<R> {
    /// Midas 1.0: the sorted `k=v` pairs, `sig` and `mp_sig` written into the body.
    pub const PAIRS: Self = Self { prepare: prepare_pairs::<R>, masked: Some(masked_pairs::<R>) };
    /// Midas 2.0 and xpay: the exact body bytes, `pay_sig` and `signature` in the query.
    pub const BODY: Self = Self { prepare: prepare_body_signed::<R>, masked: None };
}

impl<R: ?Sized> core::fmt::Debug for Signer<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Signer")
    }
}

/// What Midas 1.0 signed, rendered again with every secret masked.
fn masked_pairs<R: MidasRequest + ?Sized>(
    prepared: &PreparedCall,
    request: &R,
    context: &CallContext<'_>,
) -> MaskedSigned {
    let sig = prepared.player_signature.map(|_| &prepared.app_signature);
    sign::masked_signed(request, context, prepared.path, sig)
}

/// What Midas 2.0 and xpay signed: the path and the body, which hold no secret.
fn masked_body(prepared: &PreparedCall) -> MaskedSigned {
    let text = String::from_utf8_lossy(&prepared.body).into_owned();
    let sig = format!("{}&{text}", prepared.path);
    MaskedSigned { sig, mp_sig: prepared.player_signature.map(|_| text) }
}

/// Validates, signs and writes the body of `request` by its scheme: Midas 1.0 signs the
/// sorted pairs and writes `sig`/`mp_sig` into the body; Midas 2.0 and xpay write the body
/// once and sign exactly those bytes.
pub fn prepare<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
) -> Result<PreparedCall, ValidationError> {
    validate(request, context)?;
    (R::SIGNER.prepare)(request, context, R::path(context.env))
}

/// Midas 1.0: `sig` over the sorted pairs, `mp_sig` when a session key is given, both
/// written into the body after the fields.
fn prepare_pairs<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    path: &'static str,
) -> Result<PreparedCall, ValidationError> {
    let mut buffer = [0; sign::MAC_BUFFER];
    let sig = sign::sig_measured(request, context, path, context.app_key, &mut buffer);
    let mp_sig = match (context.session_key, context.access_token) {
        (Some(session_key), Some(token)) => {
            Some(sign::mp_sig_after(request, context, path, token, &sig, session_key, &mut buffer))
        }
        (Some(_), None) => return Err(ValidationError::new("access_token", Rule::Required)),
        (None, _) => None,
    };
    let (sig, params_len) = (sig.hex, sig.params_len);
    let mut body = Vec::with_capacity(body_capacity(params_len));
    let mut object = JsonObject::new(&mut body);
    request.write_body(context, &mut object);
    object.field_literal(b",\"sig\":", &sig);
    if let Some(mp_sig) = &mp_sig {
        object.field_literal(b",\"mp_sig\":", mp_sig);
    }
    object.finish();
    Ok(PreparedCall { scheme: Scheme::V1, path, app_signature: sig, player_signature: mp_sig, body })
}

/// Midas 2.0 and xpay: the body written once, `pay_sig` over `path&body`, the player's
/// `signature` over the body where the API requires it.
fn prepare_body_signed<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    path: &'static str,
) -> Result<PreparedCall, ValidationError> {
    let mut body = Vec::with_capacity(256);
    let mut object = JsonObject::new(&mut body);
    request.write_body(context, &mut object);
    object.finish();
    Ok(sign_body(R::SCHEME, R::USER_SIGNATURE, path, body, context))
}

/// The signing half of [`prepare_body_signed`], the same for every request type (compiled
/// once): `pay_sig` over `path&body`, and the player's `signature` when `user_signature`.
fn sign_body(
    scheme: Scheme,
    user_signature: bool,
    path: &'static str,
    body: Vec<u8>,
    context: &CallContext<'_>,
) -> PreparedCall {
    let app_signature = pay_sig(context.app_key, path, &body);
    let player_signature = context.session_key.filter(|_| user_signature).map(|key| signature(key, &body));
    PreparedCall { scheme, path, app_signature, player_signature, body }
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
