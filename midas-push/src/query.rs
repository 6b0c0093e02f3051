//! The query string of a push: `signature`, `timestamp`, `nonce`, and in encrypted mode
//! `encrypt_type` and `msg_signature`; `echostr` on the activation GET.

use std::borrow::Cow;

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

/// The parameters the opener reads, borrowed: from a [`PushQuery`], or from a raw query
/// string (a value without escapes is not copied).
#[derive(Clone, Debug, Default)]
pub(crate) struct QueryParts<'a> {
    signature: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    nonce: Option<Cow<'a, str>>,
    encrypt_type: Option<Cow<'a, str>>,
    msg_signature: Option<Cow<'a, str>>,
}

impl<'a> QueryParts<'a> {
    /// Reads a raw query string as [`PushQuery::parse`] does, refusing what it refuses with
    /// the same error: a broken escape anywhere, else the first known parameter given twice.
    pub(crate) fn parse(query: &'a str) -> Result<Self, PushError> {
        let mut parts = Self::default();
        // `echostr` and `openid` are only checked for repeats.
        let (mut echostr, mut openid) = (false, false);
        let mut repeated = None;
        for (name, value, escaped) in Pairs::new(query) {
            let value = if escaped { percent_decode(value) } else { Some(Cow::Borrowed(value)) };
            let value = value.ok_or(PushError::BadParameter("query"))?;
            let (seen, name) = match name {
                "signature" => (Self::fill(&mut parts.signature, value), "signature"),
                "timestamp" => (Self::fill(&mut parts.timestamp, value), "timestamp"),
                "nonce" => (Self::fill(&mut parts.nonce, value), "nonce"),
                "echostr" => (core::mem::replace(&mut echostr, true), "echostr"),
                "encrypt_type" => (Self::fill(&mut parts.encrypt_type, value), "encrypt_type"),
                "msg_signature" => (Self::fill(&mut parts.msg_signature, value), "msg_signature"),
                "openid" => (core::mem::replace(&mut openid, true), "openid"),
                _ => continue,
            };
            if seen && repeated.is_none() {
                repeated = Some(name);
            }
        }
        match repeated {
            Some(name) => Err(PushError::BadParameter(name)),
            None => Ok(parts),
        }
    }

    /// Sets an empty slot; whether it was set already.
    fn fill(slot: &mut Option<Cow<'a, str>>, value: Cow<'a, str>) -> bool {
        if slot.is_some() {
            return true;
        }
        *slot = Some(value);
        false
    }

    /// The parameters of `query`.
    pub(crate) fn of(query: &'a PushQuery) -> Self {
        let borrow = |value: &'a Option<String>| value.as_deref().map(Cow::Borrowed);
        Self {
            signature: borrow(&query.signature),
            timestamp: borrow(&query.timestamp),
            nonce: borrow(&query.nonce),
            encrypt_type: borrow(&query.encrypt_type),
            msg_signature: borrow(&query.msg_signature),
        }
    }

    pub(crate) fn signature(&self) -> Option<&str> {
        self.signature.as_deref()
    }

    pub(crate) fn timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    pub(crate) fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    pub(crate) fn encrypt_type(&self) -> Option<&str> {
        self.encrypt_type.as_deref()
    }

    pub(crate) fn msg_signature(&self) -> Option<&str> {
        self.msg_signature.as_deref()
    }

    /// As [`PushQuery::is_encrypted`].
    pub(crate) fn is_encrypted(&self) -> bool {
        self.encrypt_type.is_some() || self.msg_signature.is_some()
    }
}

/// The non-empty `&`-separated pairs of a query string, each split at its first `=` (a pair
/// without one has an empty value), with whether its value holds a `%` or `+` to decode: as
/// `split('&')` and `split_once('=')` cut them, without copying a value that has no escape.
struct Pairs<'a> {
    query: &'a str,
    at: usize,
}

impl<'a> Pairs<'a> {
    fn new(query: &'a str) -> Self {
        Self { query, at: 0 }
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str, bool);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.query.get(self.at..).filter(|rest| !rest.is_empty())?;
            let len = rest.find('&').unwrap_or(rest.len());
            self.at += len + 1;
            // `&` and `=` are ASCII, so every cut is at a character boundary.
            let pair = rest.get(..len)?;
            if pair.is_empty() {
                continue;
            }
            let Some(eq) = pair.bytes().position(|b| b == b'=') else { return Some((pair, "", false)) };
            let value = pair.get(eq + 1..)?;
            // No early exit, so that the scan runs on whole vectors.
            let escaped = value.bytes().fold(false, |seen, b| seen | (b == b'%') | (b == b'+'));
            return Some((pair.get(..eq)?, value, escaped));
        }
    }
}

/// Decodes `%XX` escapes and `+`; `None` for a broken escape or non-UTF-8 result.
fn percent_decode(value: &str) -> Option<Cow<'_, str>> {
    if !value.bytes().any(|b| b == b'%' || b == b'+') {
        return Some(Cow::Borrowed(value));
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
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowed reading refuses what `PushQuery::parse` refuses, with the same error, and
    /// reads the same values.
    #[test]
    fn parts_read_as_the_query_does() {
        for raw in [
            "",
            "&&",
            "signature=a&timestamp=1&nonce=2&encrypt_type=aes&msg_signature=b",
            "nonce=1&nonce=2",
            "nonce=1&nonce=%ZZ",
            "echostr=1&echostr=2&nonce=3&nonce=4",
            "openid=1&openid=2",
            "other=%FF&other=1",
            "other=%C3%A9&nonce=a+b%2B",
            "timestamp&nonce=",
            "=x&nonce=1=2&",
            "signature=1&timestamp=2&signature=3&timestamp=4",
            "nonce=%e9",
            "nonce=%",
            "nonce%=1&nonce=2",
            "nonce==1&timestamp=+&signature=%2",
            "nonce=1%&x=2",
            "&nonce=%41%42&&timestamp=1&",
            "nonce",
            "=",
        ] {
            let parts = QueryParts::parse(raw);
            match PushQuery::parse(raw) {
                Ok(query) => {
                    let parts = parts.unwrap_or_else(|err| panic!("{raw}: {err}"));
                    let of = QueryParts::of(&query);
                    for (a, b) in [
                        (parts.signature(), of.signature()),
                        (parts.timestamp(), of.timestamp()),
                        (parts.nonce(), of.nonce()),
                        (parts.encrypt_type(), of.encrypt_type()),
                        (parts.msg_signature(), of.msg_signature()),
                    ] {
                        assert_eq!(a, b, "{raw}");
                    }
                    assert_eq!(parts.is_encrypted(), query.is_encrypted(), "{raw}");
                }
                Err(err) => assert_eq!(parts.err(), Some(err), "{raw}"),
            }
        }
    }
}
