//! The body-signed schemes of Midas 2.0 (`/wxa/game/*`) and xpay (`/xpay/*`): both sign the
//! exact body bytes that are sent.
//!
//! - `pay_sig = hex(hmac_sha256(app_key, uri + "&" + body))`
//! - `signature = hex(hmac_sha256(session_key, body))`

use crate::sign::{Hex64, SignSink};
use crate::verify::{VerifyError, compare};
use crate::{AppKey, SessionKey};

/// `pay_sig` over `uri` (the path, without query) and the exact body bytes.
///
/// ```
/// use midas_core::{AppKey, body_signed};
/// let body = br#"{"openid": "xxx", "user_ip": "127.0.0.1", "env": 0}"#;
/// let pay_sig = body_signed::pay_sig(&AppKey::new("12345")?, "/xpay/query_user_balance", body);
/// assert_eq!(pay_sig.as_str(), "c37809f27c6d7fd1837ad2500a04512b66b34fd793a39a385fade56dca89a4b5");
/// # Ok::<(), midas_core::ValidationError>(())
/// ```
pub fn pay_sig(app_key: &AppKey, uri: &str, body: &[u8]) -> Hex64 {
    let mut mac = app_key.mac();
    mac.put(uri.as_bytes());
    mac.put(b"&");
    mac.put(body);
    Hex64::of(mac)
}

/// The user-state `signature` over the exact body bytes (an empty body for GET calls such as
/// `checksession`).
pub fn signature(session_key: &SessionKey, body: &[u8]) -> Hex64 {
    let mut mac = session_key.mac();
    mac.put(body);
    Hex64::of(mac)
}

/// Checks a received `pay_sig` (server side), in constant time.
pub fn verify_pay_sig(app_key: &AppKey, uri: &str, body: &[u8], pay_sig: &str) -> Result<(), VerifyError> {
    let mut mac = app_key.mac();
    mac.put(uri.as_bytes());
    mac.put(b"&");
    mac.put(body);
    compare(mac, pay_sig, "pay_sig")
}

/// Checks a received user-state `signature` (server side), in constant time.
pub fn verify_signature(session_key: &SessionKey, body: &[u8], signature: &str) -> Result<(), VerifyError> {
    let mut mac = session_key.mac();
    mac.put(body);
    compare(mac, signature, "signature")
}
