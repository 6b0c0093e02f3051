//! Secret newtypes: the Midas app key, the player's `session_key` and the `access_token`.
//!
//! None of them implements `Display`; their `Debug` prints `***`. The only way to read the
//! text back is the explicitly named [`AppKey::expose_secret`] (and its siblings). Each wipes
//! its text on drop (`zeroize`), and so does the keyed HMAC state it keeps (RustCrypto's
//! `zeroize` feature).

use core::fmt;

use hmac::{Hmac, KeyInit};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Rule, ValidationError};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Key text together with the HMAC state keyed by it, computed once.
///
/// Keying HMAC-SHA256 costs two compression rounds; a key lives as long as the client (app
/// key) or the player (session key), so the keyed state is computed here and cloned per use.
#[derive(Clone)]
struct Keyed {
    text: SecretText,
    mac: HmacSha256,
}

impl Keyed {
    fn new(field: &'static str, text: String) -> Result<Self, ValidationError> {
        let text = SecretText::new(field, text)?;
        // HMAC accepts keys of any length (longer ones are hashed first), so keying cannot fail.
        let mac = HmacSha256::new_from_slice(text.0.as_bytes())
            .map_err(|_| ValidationError::new(field, Rule::NotEmpty))?;
        Ok(Self { text, mac })
    }
}

/// Secret text, never empty, wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
struct SecretText(Zeroizing<Box<str>>);

impl SecretText {
    /// Takes `text`, wiping the caller's buffer too (its spare capacity may hold more of it).
    fn new(field: &'static str, mut text: String) -> Result<Self, ValidationError> {
        if text.is_empty() {
            return Err(ValidationError::new(field, Rule::NotEmpty));
        }
        let kept = Zeroizing::new(Box::<str>::from(text.as_str()));
        text.zeroize();
        Ok(Self(kept))
    }
}

macro_rules! redacted_debug {
    ($ty:ident) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($ty), "(***)"))
            }
        }
    };
}

/// The Midas app key (米大师 AppKey) of one environment; it signs `sig`.
///
/// Production and sandbox keys differ; the client picks the one of its [`Env`](crate::Env).
///
/// ```
/// use midas_core::AppKey;
/// let key = AppKey::new("zNLgAGgqsEWJOg1nFVaO5r7fAlIQxr1u")?;
/// assert_eq!(format!("{key:?}"), "AppKey(***)");
/// # Ok::<(), midas_core::ValidationError>(())
/// ```
#[derive(Clone)]
pub struct AppKey(Keyed);

impl ZeroizeOnDrop for AppKey {}

impl AppKey {
    /// Wraps a Midas app key. An empty key is refused.
    pub fn new(key: impl Into<String>) -> Result<Self, ValidationError> {
        Keyed::new("app_key", key.into()).map(Self)
    }

    /// The key text, for code that must hand it on (a verifier, a secret store).
    pub fn expose_secret(&self) -> &str {
        &self.0.text.0
    }

    pub(crate) fn mac(&self) -> HmacSha256 {
        self.0.mac.clone()
    }
}
redacted_debug!(AppKey);

/// The player's `session_key` from `code2session`; it signs `mp_sig`.
///
/// The HMAC key is the key text as given (base64 text, not decoded), as the official worked
/// example requires.
///
/// ```
/// use midas_core::SessionKey;
/// let key = SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==")?;
/// assert_eq!(format!("{key:?}"), "SessionKey(***)");
/// # Ok::<(), midas_core::ValidationError>(())
/// ```
#[derive(Clone)]
pub struct SessionKey(Keyed);

impl ZeroizeOnDrop for SessionKey {}

impl SessionKey {
    /// Wraps a session key. An empty key is refused.
    pub fn new(key: impl Into<String>) -> Result<Self, ValidationError> {
        Keyed::new("session_key", key.into()).map(Self)
    }

    /// The key text.
    pub fn expose_secret(&self) -> &str {
        &self.0.text.0
    }

    pub(crate) fn mac(&self) -> HmacSha256 {
        self.0.mac.clone()
    }
}
redacted_debug!(SessionKey);

/// An `access_token` of the WeChat server API. It travels only in the query string.
///
/// ```
/// use midas_core::AccessToken;
/// let token = AccessToken::new("ACCESSTOKEN")?;
/// assert_eq!(format!("{token:?}"), "AccessToken(***)");
/// # Ok::<(), midas_core::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(SecretText);

impl ZeroizeOnDrop for AccessToken {}

impl AccessToken {
    /// Wraps a token. An empty token is refused.
    pub fn new(token: impl Into<String>) -> Result<Self, ValidationError> {
        SecretText::new("access_token", token.into()).map(Self)
    }

    /// The token text.
    pub fn expose_secret(&self) -> &str {
        &self.0.0
    }
}
redacted_debug!(AccessToken);

/// The mini game's AppSecret, used to fetch access tokens and to call `code2session`.
///
/// ```
/// use midas_core::AppSecret;
/// let secret = AppSecret::new("0123456789abcdef")?;
/// assert_eq!(format!("{secret:?}"), "AppSecret(***)");
/// # Ok::<(), midas_core::ValidationError>(())
/// ```
#[derive(Clone)]
pub struct AppSecret(SecretText);

impl ZeroizeOnDrop for AppSecret {}

impl AppSecret {
    /// Wraps an AppSecret. An empty secret is refused.
    pub fn new(secret: impl Into<String>) -> Result<Self, ValidationError> {
        SecretText::new("app_secret", secret.into()).map(Self)
    }

    /// The secret text.
    pub fn expose_secret(&self) -> &str {
        &self.0.0
    }
}
redacted_debug!(AppSecret);
