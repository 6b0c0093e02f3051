//! The default transport: reqwest over rustls.

use midas_core::{HttpRequest, HttpResponse, Method, Transport, TransportError, TransportErrorKind};

/// Sends requests with a shared [`reqwest::Client`] (connection pooling, keep-alive, rustls).
///
/// Error messages are taken with the URL stripped: it carries the access token.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with a new reqwest client.
    pub fn new() -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .build()
            .map_err(|err| TransportError::new(TransportErrorKind::Other, err.without_url().to_string()))?;
        Ok(Self { client })
    }

    /// A transport over a client configured elsewhere (proxy, pool sizes).
    pub fn from_client(client: reqwest::Client) -> Self {
        Self { client }
    }
}

impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let builder = match request.method {
            Method::Post => self
                .client
                .post(request.url.expose())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.body),
            Method::Get => self.client.get(request.url.expose()),
        };
        let mut response = builder.timeout(request.timeout).send().await.map_err(classify)?;
        let status = response.status().as_u16();
        if response.content_length().is_some_and(|length| length > request.max_response_bytes as u64) {
            return Err(too_large(request.max_response_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > request.max_response_bytes {
                return Err(too_large(request.max_response_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse { status, body })
    }
}

fn too_large(max: usize) -> TransportError {
    TransportError::new(TransportErrorKind::BodyTooLarge, format!("response body larger than {max} bytes"))
}

fn classify(err: reqwest::Error) -> TransportError {
    let kind = if err.is_timeout() {
        TransportErrorKind::Timeout
    } else if err.is_connect() {
        TransportErrorKind::Connect
    } else if err.is_request() || err.is_body() || err.is_decode() {
        TransportErrorKind::Interrupted
    } else {
        TransportErrorKind::Other
    };
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError::new(kind, message)
}
