//! The small vocabularies every stage shares: body format, encryption mode, event family.

use core::fmt;

/// The format of a push body, and so of its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// A JSON object (mini-game virtual payment pushes are always JSON).
    Json,
    /// An `<xml>…</xml>` document.
    Xml,
}

impl Format {
    /// Reads the format from the first non-blank byte of a body: `{` is JSON, `<` is XML.
    ///
    /// ```
    /// use midas_push::Format;
    /// assert_eq!(Format::sniff(b"  {\"a\":1}"), Some(Format::Json));
    /// assert_eq!(Format::sniff(b"<xml></xml>"), Some(Format::Xml));
    /// assert_eq!(Format::sniff(b"hello"), None);
    /// ```
    pub fn sniff(body: &[u8]) -> Option<Self> {
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Some(Self::Json),
            Some(b'<') => Some(Self::Xml),
            _ => None,
        }
    }

    /// The `Content-Type` of a reply in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Xml => "application/xml",
        }
    }
}

/// The message encryption mode configured for the push URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Plaintext mode: the body is the message, only `signature` (which does not cover the
    /// body) authenticates the request.
    Plaintext,
    /// Compatible mode: a push may come plain (`signature`) or encrypted (`msg_signature`);
    /// both are accepted, and of an encrypted push only the decrypted message is used.
    Compatible,
    /// Safe mode: only encrypted pushes, authenticated by `msg_signature`, are accepted.
    Safe,
}

impl Mode {
    /// `"plaintext"`, `"compatible"` or `"safe"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Plaintext => "plaintext",
            Self::Compatible => "compatible",
            Self::Safe => "safe",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which family of push a message belongs to; it decides the reply body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// A mini-program virtual payment (`xpay_*`) event: replies `{"ErrCode":0,"ErrMsg":"success"}`.
    Xpay,
    /// A mini-game virtual payment 2.0 event (a `MiniGame` wrapper): replies
    /// `{"ErrCode":0,"ErrMsg":"Success"}`, always in plaintext.
    MiniGame,
    /// Any other message or event: replies `success`.
    Message,
}
