//! Server-side verification of `sig` and `mp_sig`, for a local Midas server or a proxy.
//!
//! The server does not know the request struct, so it takes the received body as it came,
//! sorts the names at run time, and feeds the same pair writer and suffix as the client.
//! Comparison is constant-time.

use hmac::Mac;
use serde_json::{Map, Value};

use crate::pairs::{Params, SignSink, suffix};
use crate::secret::HmacSha256;
use crate::{AppKey, SessionKey};

/// Why a received body cannot be verified at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A field whose JSON type cannot take part in a signature (object, array, bool, null).
    #[error("field `{0}` is not a string or an integer")]
    Unsignable(String),
    /// The signature did not match.
    #[error("{0} does not match")]
    Mismatch(&'static str),
}

/// The signed fields of a received body (everything but `sig`, `mp_sig`, `access_token`), as
/// text, sorted byte-wise by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedParams {
    pairs: Vec<(String, String)>,
}

impl ReceivedParams {
    /// Takes the fields of a received JSON object: strings as they are, integers in decimal.
    pub fn from_json(object: &Map<String, Value>) -> Result<Self, VerifyError> {
        let mut pairs = Vec::with_capacity(object.len());
        for (name, value) in object {
            if matches!(name.as_str(), "sig" | "mp_sig" | "access_token") {
                continue;
            }
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) if number.is_i64() || number.is_u64() => number.to_string(),
                _ => return Err(VerifyError::Unsignable(name.clone())),
            };
            pairs.push((name.clone(), text));
        }
        Ok(Self::from_pairs(pairs))
    }

    /// Takes name/value pairs in any order.
    pub fn from_pairs(mut pairs: Vec<(String, String)>) -> Self {
        pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Self { pairs }
    }

    /// The value of a signed field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Checks `sig` against the app key and the path that was called.
    pub fn verify_sig(&self, org_loc: &str, app_key: &AppKey, sig: &str) -> Result<(), VerifyError> {
        let mut mac = app_key.mac();
        self.write(&[], &mut mac);
        suffix(&mut mac, org_loc, "secret", app_key.expose_secret());
        compare(mac, sig, "sig")
    }

    /// Checks `mp_sig` against the session key, with the query's `access_token` and the body's
    /// `sig` joining the signed fields.
    pub fn verify_mp_sig(
        &self,
        org_loc: &str,
        access_token: &str,
        sig: &str,
        session_key: &SessionKey,
        mp_sig: &str,
    ) -> Result<(), VerifyError> {
        let mut mac = session_key.mac();
        self.write(&[("access_token", access_token), ("sig", sig)], &mut mac);
        suffix(&mut mac, org_loc, "session_key", session_key.expose_secret());
        compare(mac, mp_sig, "mp_sig")
    }

    /// Writes the pairs merged with `extra` (which must be sorted) in byte-wise name order.
    fn write<S: SignSink + ?Sized>(&self, extra: &[(&str, &str)], sink: &mut S) {
        let mut params = Params::new(sink);
        let mut extra = extra.iter().peekable();
        for (name, value) in &self.pairs {
            while let Some((extra_name, extra_value)) = extra.next_if(|(n, _)| n.as_bytes() < name.as_bytes())
            {
                params.pair(extra_name, *extra_value);
            }
            params.pair(name, value.as_str());
        }
        for (extra_name, extra_value) in extra {
            params.pair(extra_name, *extra_value);
        }
    }
}

pub(crate) fn compare(mac: HmacSha256, expected_hex: &str, what: &'static str) -> Result<(), VerifyError> {
    // Only lowercase hex is what Midas produces; anything else is a mismatch.
    if expected_hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(VerifyError::Mismatch(what));
    }
    let bytes = hex::decode(expected_hex).map_err(|_| VerifyError::Mismatch(what))?;
    mac.verify_slice(&bytes).map_err(|_| VerifyError::Mismatch(what))
}
