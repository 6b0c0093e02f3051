//! The one seam to the network.

use core::fmt;
use std::future::Future;
use std::time::Duration;

use crate::{AccessToken, TransportError};

/// A URL whose query may carry secrets (the access token, an AppSecret). `Debug` and
/// `Display` show each secret as `***`; only [`Self::expose`] gives the real text, for the
/// transport to send.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiUrl {
    full: String,
    /// Byte ranges of secret values in `full`, in order.
    secrets: Vec<core::ops::Range<usize>>,
}

impl ApiUrl {
    /// `base_url` + `path` + `?access_token=<token>`: the URL of a Midas call.
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
        let mut url = Self::bare(base_url, path);
        url.secret_query("access_token", token.expose_secret());
        url
    }

    /// `base_url` + `path`, no query yet.
    pub fn bare(base_url: &str, path: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        let mut full = String::with_capacity(base.len() + path.len() + 64);
        full.push_str(base);
        full.push_str(path);
        Self { full, secrets: Vec::new() }
    }

    /// Appends a query parameter whose value is shown (e.g. `sig_method=hmac_sha256`).
    pub fn query(&mut self, name: &str, value: &str) -> &mut Self {
        self.push_name(name);
        push_encoded(&mut self.full, value);
        self
    }

    /// Appends a query parameter whose value is masked when shown.
    ///
    /// ```
    /// use midas_core::ApiUrl;
    /// let mut url = ApiUrl::bare("https://api.weixin.qq.com", "/sns/jscode2session");
    /// url.query("appid", "wx1234567").secret_query("secret", "app-secret");
    /// let shown = "https://api.weixin.qq.com/sns/jscode2session?appid=wx1234567&secret=***";
    /// assert_eq!(url.to_string(), shown);
    /// assert!(url.expose().ends_with("secret=app-secret"));
    /// ```
    pub fn secret_query(&mut self, name: &str, value: &str) -> &mut Self {
        self.push_name(name);
        let start = self.full.len();
        push_encoded(&mut self.full, value);
        self.secrets.push(start..self.full.len());
        self
    }

    fn push_name(&mut self, name: &str) {
        self.full.push(if self.full.contains('?') { '&' } else { '?' });
        self.full.push_str(name);
        self.full.push('=');
    }

    /// The real URL, secrets included. Never log it.
    pub fn expose(&self) -> &str {
        &self.full
    }
}

/// Percent-encodes everything but the unreserved characters, so a value stays one parameter.
fn push_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

impl fmt::Display for ApiUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut at = 0;
        for range in &self.secrets {
            f.write_str(&self.full[at..range.start])?;
            f.write_str("***")?;
            at = range.end;
        }
        f.write_str(&self.full[at..])
    }
}

impl fmt::Debug for ApiUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiUrl({self})")
    }
}

/// The HTTP method of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET` (token, `code2session`, `checksession`).
    Get,
    /// `POST` with a JSON body (every Midas call).
    Post,
}

/// One HTTP request: a JSON POST, or a GET with an empty body.
///
/// `Debug` shows the masked URL and the body's length only: a token request's body carries
/// the AppSecret.
#[derive(Clone)]
pub struct HttpRequest {
    /// `POST` (JSON body) or `GET`.
    pub method: Method,
    /// Where to send it.
    pub url: ApiUrl,
    /// The JSON body bytes, sent as they are.
    pub body: Vec<u8>,
    /// How long to wait for the whole answer.
    pub timeout: Duration,
    /// The largest answer body to read; a larger one is a [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge).
    pub max_response_bytes: usize,
}

/// The answer: status and body bytes. `Debug` shows the body's length only: a token answer
/// carries the access token.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// Sends a request (a JSON POST, or a GET) and returns the status and body.
///
/// The client is generic over it: `midas-api` ships a reqwest implementation behind its default
/// `reqwest` feature; tests use an in-memory one. Implementations must never put the URL into
/// an error message (it carries the access token).
///
/// An in-memory transport that answers every POST with one canned body (`midas-api`'s
/// `Client::with_transport` shows one in use):
///
/// ```
/// use midas_core::{HttpRequest, HttpResponse, Method, Transport, TransportError, TransportErrorKind};
///
/// struct Canned(&'static str);
///
/// impl Transport for Canned {
///     async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
///         match request.method {
///             Method::Post => Ok(HttpResponse { status: 200, body: self.0.as_bytes().to_vec() }),
///             Method::Get => Err(TransportError::new(TransportErrorKind::Connect, "POST only")),
///         }
///     }
/// }
/// // A response's `Debug` shows the body's length only: a token answer carries the token.
/// let answer = HttpResponse { status: 200, body: br#"{"access_token":"TOKEN"}"#.to_vec() };
/// assert_eq!(format!("{answer:?}"), "HttpResponse { status: 200, body_len: 24 }");
/// ```
pub trait Transport: Send + Sync {
    /// Sends `request` (a POST with `Content-Type: application/json`, or a GET).
    fn send(&self, request: HttpRequest)
    -> impl Future<Output = Result<HttpResponse, TransportError>> + Send;
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send {
        (**self).send(request)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}
