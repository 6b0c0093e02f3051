//! Fetching a file Midas handed out a URL for (a bill, an order export): streamed in chunks,
//! with a size cap, never following a redirect.
//!
//! The URL is not a secret, but it is kept out of logs and error messages all the same: it is
//! the only key to the file. No access token is sent with it.

use std::time::Duration;

use bytes::Bytes;
use midas_core::{Error, Rule, TransportError, TransportErrorKind, ValidationError};

use crate::ReqwestTransport;
use crate::client::Client;
use crate::token::TokenSource;

/// A file being downloaded: read it chunk by chunk with [`Self::chunk`], or whole with
/// [`Self::bytes`]. More than the cap given to [`Client::download`] is a
/// [`TransportErrorKind::BodyTooLarge`] error. Its `Debug` leaves the URL out.
pub struct Download {
    response: reqwest::Response,
    max_bytes: u64,
    received: u64,
    chunk_timeout: Duration,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("status", &self.response.status().as_u16())
            .field("content_length", &self.response.content_length())
            .field("received", &self.received)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// The size the server announced, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next chunk, or `None` at the end. Each chunk must arrive within the client's
    /// timeout.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let next = tokio::time::timeout(self.chunk_timeout, self.response.chunk())
            .await
            .map_err(|_| {
                TransportError::new(TransportErrorKind::Timeout, "no data from the download in time")
            })?
            .map_err(crate::transport_reqwest::classify)?;
        let Some(chunk) = next else { return Ok(None) };
        self.received = self.received.saturating_add(chunk.len() as u64);
        if self.received > self.max_bytes {
            return Err(too_large(self.max_bytes).into());
        }
        Ok(Some(chunk))
    }

    /// The rest of the file.
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn too_large(max: u64) -> TransportError {
    TransportError::new(TransportErrorKind::BodyTooLarge, format!("download larger than {max} bytes"))
}

impl<K: TokenSource> Client<ReqwestTransport, K> {
    /// Starts downloading `url` (`http://` or `https://` with a host, anything else is refused
    /// before sending), refusing more than `max_bytes`. A status other than 2xx is a
    /// [`TransportErrorKind::Status`] error; redirects are never followed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{Client, Config, Env, Error, StaticToken};
    /// # let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
    /// #     .payment_sandbox_key(midas_api::AppKey::new("virtual-payment-key")?).build()?;
    /// let client = Client::new(config, StaticToken::new(midas_api::AccessToken::new("TOKEN")?))?;
    /// let refused = client.download("file:///etc/passwd", 1 << 20).await;
    /// assert!(matches!(refused, Err(Error::Validation(error)) if error.field() == "url"));
    /// # Ok(()) }
    /// ```
    pub async fn download(&self, url: &str, max_bytes: u64) -> Result<Download, Error> {
        let refuse = || ValidationError::new("url", Rule::Url);
        let parsed = reqwest::Url::parse(url).map_err(|_| refuse())?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
            return Err(refuse().into());
        }
        let timeout = self.config().timeout();
        let response = tokio::time::timeout(timeout, self.transport().http().get(parsed).send())
            .await
            .map_err(|_| {
                TransportError::new(TransportErrorKind::Timeout, "no answer to the download in time")
            })?
            .map_err(crate::transport_reqwest::classify)?;
        let status = response.status();
        if !status.is_success() {
            let message = format!("the download answered HTTP {}", status.as_u16());
            return Err(TransportError::new(TransportErrorKind::Status(status.as_u16()), message).into());
        }
        if response.content_length().is_some_and(|length| length > max_bytes) {
            return Err(too_large(max_bytes).into());
        }
        Ok(Download { response, max_bytes, received: 0, chunk_timeout: timeout })
    }
}
