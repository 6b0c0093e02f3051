//! The three signatures of the push channel and their constant-time checks.
//!
//! - `signature = hex(sha1(sorted(Token, timestamp, nonce)))`: does **not** cover the body.
//! - `msg_signature = hex(sha1(sorted(Token, timestamp, nonce, Encrypt)))`.
//! - `PayEventSig = hex(HMAC-SHA256(AppKey, Event + "&" + Payload))`.

use hmac::{Hmac, KeyInit, Mac};
use midas_core::AppKey;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::secret::Token;

/// SHA-1 over the byte-wise sorted concatenation of `parts`.
fn sorted_sha1(parts: &mut [&[u8]]) -> [u8; 20] {
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts.iter() {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// `signature` of a request: lowercase hex of SHA-1 over the sorted Token, timestamp and nonce.
///
/// ```
/// use midas_push::{Token, sign};
/// let token = Token::new("AAAAA")?;
/// assert_eq!(sign::signature(&token, "1714036504", "1514711492"),
///            "f464b24fc39322e44b38aa78f5edd27bd1441696");
/// # Ok::<(), midas_push::ConfigError>(())
/// ```
pub fn signature(token: &Token, timestamp: &str, nonce: &str) -> String {
    hex::encode(signature_digest(token, timestamp, nonce))
}

/// `msg_signature` of an encrypted request or reply: SHA-1 over the sorted Token, timestamp,
/// nonce and `Encrypt`.
///
/// ```
/// use midas_push::{Token, sign};
/// let token = Token::new("AAAAA")?;
/// let encrypt = "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==";
/// assert_eq!(sign::msg_signature(&token, "1713424427", "415670741", encrypt),
///            "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1");
/// # Ok::<(), midas_push::ConfigError>(())
/// ```
pub fn msg_signature(token: &Token, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    hex::encode(msg_signature_digest(token, timestamp, nonce, encrypt))
}

/// `PayEventSig` of a mini-game event: HMAC-SHA256 keyed by the AppKey over
/// `Event + "&" + Payload`, lowercase hex. `payload` is the exact text received.
///
/// ```
/// use midas_core::AppKey;
/// use midas_push::sign;
/// let key = AppKey::new("12345")?;
/// let payload = r#"{"OpenId":"to_user_openid","OutTradeNo":"xxxxxxx","WeChatPayInfo":{"MchOrderNo":"xxxxxxx","TransactionId":"xxxxxxx"},"Env":0,"CoinInfo":{"ZoneId":"1","TotalPrice":100,"BuyQuantity":1,"OrigPrice":100}}"#;
/// assert_eq!(sign::pay_event_sig(&key, "minigame_coin_deliver_completed", payload),
///            "4624e9b832eca479457e668dd49b64133a0439101a6a0e89e648e0d3840e6e0f");
/// # Ok::<(), midas_core::ValidationError>(())
/// ```
pub fn pay_event_sig(key: &AppKey, event: &str, payload: &str) -> String {
    hex::encode(pay_event_sig_digest(key, event, payload))
}

pub(crate) fn signature_digest(token: &Token, timestamp: &str, nonce: &str) -> [u8; 20] {
    sorted_sha1(&mut [token.expose_secret().as_bytes(), timestamp.as_bytes(), nonce.as_bytes()])
}

pub(crate) fn msg_signature_digest(token: &Token, timestamp: &str, nonce: &str, encrypt: &str) -> [u8; 20] {
    sorted_sha1(&mut [
        token.expose_secret().as_bytes(),
        timestamp.as_bytes(),
        nonce.as_bytes(),
        encrypt.as_bytes(),
    ])
}

pub(crate) fn pay_event_sig_digest(key: &AppKey, event: &str, payload: &str) -> [u8; 32] {
    // HMAC accepts a key of any length, so keying cannot fail; an empty MAC never verifies.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose_secret().as_bytes()) else {
        return [0; 32];
    };
    mac.update(event.as_bytes());
    mac.update(b"&");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Whether hex text `received` (either case) spells `expected`, compared in constant time.
pub(crate) fn hex_matches<const N: usize>(received: &str, expected: &[u8; N]) -> bool {
    let mut decoded = [0u8; N];
    if hex::decode_to_slice(received.as_bytes(), &mut decoded).is_err() {
        return false;
    }
    decoded.ct_eq(expected).into()
}
