//! The query string of a push: `signature`, `timestamp`, `nonce`, and in encrypted mode
//! `encrypt_type` and `msg_signature`; `echostr` on the activation GET.

use crate::error::PushError;

/// The parameters WeChat puts in the URL of a push.
///
/// Build it from the raw query string with [`PushQuery::parse`], or from pairs a web
/// framework already decoded with [`PushQuery::from_pairs`]. Unknown parameters (`openid`
/// and any later addition) are ignored; a known parameter given twice is refused.
///
/// ```
/// use midas_push::PushQuery;
/// let query = PushQuery::parse("signature=abc&timestamp=1714036504&nonce=1514711492&echostr=42")?;
/// assert_eq!(query.timestamp(), Some("1714036504"));
/// assert_eq!(query.echostr(), Some("42"));
/// # Ok::<(), midas_push::PushError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushQuery {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
    encrypt_type: Option<String>,
    msg_signature: Option<String>,
    openid: Option<String>,
}

impl PushQuery {
    /// Parses a raw query string (without the leading `?`), percent-decoding the values.
    pub fn parse(query: &str) -> Result<Self, PushError> {
        let mut pairs = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            pairs.push((name, percent_decode(value).ok_or(PushError::BadParameter("query"))?));
        }
        Self::from_pairs(pairs)
    }

    /// Builds the query from decoded `(name, value)` pairs.
    ///
    /// ```
    /// use midas_push::PushQuery;
    /// let query = PushQuery::from_pairs([("timestamp", "1"), ("nonce", "2")])?;
    /// assert_eq!(query.nonce(), Some("2"));
    /// assert!(PushQuery::from_pairs([("nonce", "1"), ("nonce", "2")]).is_err());
    /// # Ok::<(), midas_push::PushError>(())
    /// ```
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Result<Self, PushError>
    where
        N: AsRef<str>,
        V: Into<String>,
    {
        let mut query = Self::default();
        for (name, value) in pairs {
            let (slot, name) = match name.as_ref() {
                "signature" => (&mut query.signature, "signature"),
                "timestamp" => (&mut query.timestamp, "timestamp"),
                "nonce" => (&mut query.nonce, "nonce"),
                "echostr" => (&mut query.echostr, "echostr"),
                "encrypt_type" => (&mut query.encrypt_type, "encrypt_type"),
                "msg_signature" => (&mut query.msg_signature, "msg_signature"),
                "openid" => (&mut query.openid, "openid"),
                _ => continue,
            };
            if slot.replace(value.into()).is_some() {
                return Err(PushError::BadParameter(name));
            }
        }
        Ok(query)
    }

    /// `signature`.
    pub fn signature(&self) -> Option<&str> {
        self.signature.as_deref()
    }

    /// `timestamp` (Unix seconds, as text).
    pub fn timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    /// `nonce`.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// `echostr` of the activation GET.
    pub fn echostr(&self) -> Option<&str> {
        self.echostr.as_deref()
    }

    /// `encrypt_type` (`aes` for an encrypted push).
    pub fn encrypt_type(&self) -> Option<&str> {
        self.encrypt_type.as_deref()
    }

    /// `msg_signature` of an encrypted push.
    pub fn msg_signature(&self) -> Option<&str> {
        self.msg_signature.as_deref()
    }

    /// `openid` (mini programs add it).
    pub fn openid(&self) -> Option<&str> {
        self.openid.as_deref()
    }

    /// Whether the push says it is encrypted (`encrypt_type=aes` or a `msg_signature`).
    pub fn is_encrypted(&self) -> bool {
        self.encrypt_type.is_some() || self.msg_signature.is_some()
    }
}

/// Decodes `%XX` escapes and `+`; `None` for a broken escape or non-UTF-8 result.
fn percent_decode(value: &str) -> Option<String> {
    if !value.bytes().any(|b| b == b'%' || b == b'+') {
        return Some(value.to_owned());
    }
    let mut out = Vec::with_capacity(value.len());
    let mut bytes = value.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let high = char::from(bytes.next()?).to_digit(16)?;
                let low = char::from(bytes.next()?).to_digit(16)?;
                // Two hex digits make at most 255.
                out.push(u8::try_from(high * 16 + low).ok()?);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}
