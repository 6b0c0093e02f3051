//! The one seam to the network.

use core::fmt;
use std::future::Future;
use std::time::Duration;

use crate::{AccessToken, TransportError};

/// A URL whose query carries the access token. `Debug` and `Display` show `access_token=***`;
/// only [`Self::expose`] gives the real text, for the transport to send.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiUrl {
    full: String,
    token: core::ops::Range<usize>,
}

impl ApiUrl {
    /// `base_url` + `path` + `?access_token=<token>`.
    ///
    /// ```
    /// use midas_core::{AccessToken, ApiUrl};
    /// let url = ApiUrl::new("https://api.weixin.qq.com", "/cgi-bin/midas/present",
    ///                       &AccessToken::new("TOKEN")?);
    /// assert_eq!(url.to_string(), "https://api.weixin.qq.com/cgi-bin/midas/present?access_token=***");
    /// assert!(url.expose().ends_with("access_token=TOKEN"));
    /// # Ok::<(), midas_core::ValidationError>(())
    /// ```
    pub fn new(base_url: &str, path: &str, token: &AccessToken) -> Self {
        let base = base_url.trim_end_matches('/');
        let secret = token.expose_secret();
        let mut full = String::with_capacity(base.len() + path.len() + 14 + secret.len());
        full.push_str(base);
        full.push_str(path);
        full.push_str("?access_token=");
        let start = full.len();
        // Tokens are URL-safe text; encode anything else so the query stays one parameter.
        for byte in secret.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                full.push(char::from(byte));
            } else {
                full.push('%');
                full.push(char::from(b"0123456789ABCDEF"[usize::from(byte >> 4)]));
                full.push(char::from(b"0123456789ABCDEF"[usize::from(byte & 0xf)]));
            }
        }
        let token = start..full.len();
        Self { full, token }
    }

    /// Appends a further query parameter (not secret), e.g. `&sig_method=hmac_sha256`.
    pub fn push_query(&mut self, name: &str, value: &str) {
        self.full.push('&');
        self.full.push_str(name);
        self.full.push('=');
        self.full.push_str(value);
    }

    /// The real URL, token included. Never log it.
    pub fn expose(&self) -> &str {
        &self.full
    }

    /// The path and query without the scheme and host, token masked.
    pub fn masked(&self) -> String {
        format!("{}***{}", &self.full[..self.token.start], &self.full[self.token.end..])
    }
}

impl fmt::Display for ApiUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full[..self.token.start])?;
        f.write_str("***")?;
        f.write_str(&self.full[self.token.end..])
    }
}

impl fmt::Debug for ApiUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiUrl({self})")
    }
}

/// One JSON POST.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// Where to send it.
    pub url: ApiUrl,
    /// The JSON body bytes, sent as they are.
    pub body: Vec<u8>,
    /// How long to wait for the whole answer.
    pub timeout: Duration,
    /// The largest answer body to read; a larger one is a [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge).
    pub max_response_bytes: usize,
}

/// The answer: status and body bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// Sends a JSON POST and returns the status and body.
///
/// The client is generic over it: `midas-api` ships a reqwest implementation behind its default
/// `reqwest` feature; tests use an in-memory one. Implementations must never put the URL into
/// an error message (it carries the access token).
pub trait Transport: Send + Sync {
    /// Sends `request` (`Content-Type: application/json`).
    fn post_json(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send;
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn post_json(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send {
        (**self).post_json(request)
    }
}
