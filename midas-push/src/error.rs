//! Every way a configuration, a push or a seal is refused.

use midas_core::{Env, ValidationError};

use crate::format::Mode;

/// Whether WeChat should push the same event again after a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Retry {
    /// A later attempt can succeed (a failing handler, a busy event, a missing key): answer
    /// with a failure so that WeChat pushes again.
    Yes,
    /// The request can never be accepted (forged, stale, replayed, malformed): a repeat of it
    /// would be refused the same way.
    No,
}

/// A configuration value that was refused by [`PushConfigBuilder::build`](crate::PushConfigBuilder::build).
///
/// No variant carries the refused value: some of them are secrets.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The Token must be 3 to 32 ASCII letters or digits.
    #[error("the Token must be 3 to 32 ASCII letters or digits")]
    Token,
    /// The EncodingAESKey must be 43 base64 characters that decode to 32 bytes.
    #[error("the EncodingAESKey must be 43 base64 characters that decode to 32 bytes")]
    EncodingAesKey,
    /// The AppID must be non-empty printable ASCII without spaces.
    #[error("the AppID must be non-empty printable ASCII without spaces")]
    AppId,
    /// A required setting was not given.
    #[error("`{0}` is required")]
    Missing(&'static str),
    /// Compatible and safe modes decrypt, so they need an EncodingAESKey.
    #[error("{0} mode needs an EncodingAESKey")]
    MissingAesKey(Mode),
    /// A virtual-payment 2.0 AppKey was refused.
    #[error(transparent)]
    AppKey(#[from] ValidationError),
}

/// Which signature failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureKind {
    /// `signature` of the query (Token, timestamp, nonce).
    Signature,
    /// `msg_signature` of the query (Token, timestamp, nonce, Encrypt).
    MsgSignature,
    /// `PayEventSig` of a mini-game payload (HMAC-SHA256 with the AppKey of the payload's Env).
    PayEventSig,
}

/// Why an `Encrypt` value could not be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// Not standard padded base64.
    #[error("`Encrypt` is not base64")]
    Base64,
    /// The ciphertext is empty or not a whole number of AES blocks.
    #[error("the ciphertext is not a whole number of AES blocks")]
    BlockLength,
    /// The 32-byte PKCS#7 padding is wrong (pad not in 1..=32, or pad bytes differ).
    #[error("the PKCS#7 padding is invalid")]
    Padding,
    /// The plaintext is shorter than its 20-byte header, or `msg_len` runs past its end.
    #[error("the message length runs past the plaintext")]
    Length,
    /// The message is not UTF-8.
    #[error("the message is not UTF-8")]
    Utf8,
}

/// What is wrong with a body or a message that decrypted and verified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The body is neither a JSON object nor an XML document.
    #[error("the body is neither a JSON object nor an XML document")]
    Format,
    /// Invalid JSON, or JSON that is not an object.
    #[error("invalid JSON")]
    Json,
    /// Invalid XML, or XML that is not one `<xml>` element.
    #[error("invalid XML")]
    Xml,
    /// XML with a document type declaration (entity definitions are never accepted).
    #[error("XML with a DOCTYPE or entity declaration")]
    XmlDoctype,
    /// XML with an entity reference that is neither predefined nor a character reference.
    #[error("XML with an undefined entity reference")]
    XmlEntity,
    /// Elements nested deeper than the limit.
    #[error("XML nested deeper than {0} elements")]
    XmlDepth(usize),
    /// More elements than the limit.
    #[error("XML with more than {0} elements")]
    XmlSize(usize),
    /// A required field is absent.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field has a value of the wrong type.
    #[error("field `{0}` has the wrong type")]
    BadField(&'static str),
}

/// A push that was refused before any handler saw it.
///
/// Messages never contain the Token, the EncodingAESKey or an AppKey.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The body is larger than the configured cap.
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// A query parameter is absent.
    #[error("missing query parameter `{0}`")]
    MissingParameter(&'static str),
    /// A query parameter is malformed or given twice.
    #[error("invalid query parameter `{0}`")]
    BadParameter(&'static str),
    /// A signature does not verify.
    #[error("{0:?} does not verify")]
    BadSignature(SignatureKind),
    /// The push's encryption does not match the configured mode (e.g. a plain push in safe mode).
    #[error("a {got} push is not accepted in {configured} mode")]
    ModeMismatch {
        /// The configured mode.
        configured: Mode,
        /// `plaintext` or `safe` (encrypted), as the request came.
        got: Mode,
    },
    /// `timestamp` is outside the freshness window.
    #[error("timestamp {timestamp} is outside the freshness window around {now}")]
    Stale {
        /// The request's timestamp (Unix seconds).
        timestamp: i64,
        /// The receiver's clock (Unix seconds).
        now: i64,
    },
    /// The same `(timestamp, nonce)` pair was already accepted.
    #[error("replayed timestamp and nonce")]
    Replayed,
    /// `Encrypt` could not be opened.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// The AppID at the end of the decrypted plaintext is not the configured one.
    #[error("the message is for another AppID")]
    AppIdMismatch,
    /// The body or the message is malformed.
    #[error(transparent)]
    Malformed(#[from] Malformed),
    /// A mini-game payload names an environment whose AppKey is not configured.
    #[error("no AppKey is configured for the {0} environment")]
    MissingAppKey(Env),
    /// An event this crate does not know, refused because the configuration says so.
    #[error("unknown event `{0}`")]
    UnknownEvent(String),
}

impl PushError {
    /// Whether WeChat should push again: only a missing AppKey (fixable by configuration) can
    /// turn into a success later; every other refusal is final.
    ///
    /// ```
    /// use midas_push::{PushError, Retry};
    /// assert_eq!(PushError::Replayed.retry(), Retry::No);
    /// ```
    pub fn retry(&self) -> Retry {
        match self {
            Self::MissingAppKey(_) => Retry::Yes,
            _ => Retry::No,
        }
    }
}

/// Why a message could not be sealed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// Compatible and safe sealing encrypt, which needs an EncodingAESKey.
    #[error("sealing in {0} mode needs an EncodingAESKey")]
    MissingAesKey(Mode),
    /// A compatible-mode body adds `Encrypt` to the message, which must then be an object
    /// (JSON) or an `<xml>` document (XML).
    #[error("compatible mode needs a message that is a JSON object or an <xml> document")]
    NotAnObject,
    /// The message is longer than `u32::MAX` bytes.
    #[error("the message is too long")]
    TooLong,
    /// The operating system's random source failed.
    #[error("the random source failed")]
    Random,
}
