//! The default transport: reqwest 0.13, over the TLS backend that midas-api's features choose.
//!
//! Redirects are never followed and no `Referer` is ever sent: a redirect would re-send a
//! signed body or an AppSecret to another host, and a `Referer` would carry the access token.

use midas_core::{HttpRequest, HttpResponse, Method, Transport, TransportError, TransportErrorKind};

/// Sends requests with a shared [`reqwest::Client`] (connection pooling, keep-alive, HTTP/1.1).
///
/// A 3xx answer is a [`TransportErrorKind::Status`] error naming the status and the host of its
/// `Location`; it is never followed. Error messages are taken with the URL stripped: it carries
/// the access token.
///
/// # reqwest version and features
///
/// The public API names reqwest **0.13** ([`from_builder`](Self::from_builder) takes a
/// [`reqwest::ClientBuilder`]): build that builder with reqwest 0.13, and expect a move to
/// another reqwest release to be a breaking release of midas-api. The TLS backend is chosen by
/// midas-api's features:
///
/// | feature | what it gives |
/// | --- | --- |
/// | `reqwest` (default) | this transport and [`Client::new`](crate::Client::new); no TLS backend by itself |
/// | `rustls` (default) | rustls with the aws-lc-rs provider, no OpenSSL; certificates checked against the operating system's trust store (the platform verifier) |
/// | `native-tls` | the platform's TLS library: OpenSSL on Linux, SChannel on Windows, Security.framework on macOS |
///
/// For native-tls only, depend with `default-features = false, features = ["native-tls"]`; if
/// both backends are compiled in, reqwest uses native-tls unless the builder says
/// `tls_backend_rustls()`. With `reqwest` alone (and no TLS feature enabled on reqwest by another
/// crate) an `https://` URL is refused before anything is sent; plain `http://`, as to a local
/// emulator, works. Where the system has no trust store (a scratch container), pass roots through
/// [`from_builder`](Self::from_builder) with `ClientBuilder::tls_certs_only`.
///
/// ```
/// use midas_api::ReqwestTransport;
/// let transport = ReqwestTransport::new()?;
/// # Ok::<(), midas_api::TransportError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with a new reqwest client.
    pub fn new() -> Result<Self, TransportError> {
        Self::from_builder(reqwest::Client::builder())
    }

    /// A transport over a client configured elsewhere (proxy, pool sizes, TLS roots).
    ///
    /// Whatever `builder` says about redirects and `Referer` is overridden: the client never
    /// follows a redirect and never sends a `Referer`. (The transport takes a builder rather
    /// than a built client because a built client's redirect policy can be neither read nor
    /// changed, and one that follows redirects would send the request to another host before
    /// the transport could refuse the answer.)
    ///
    /// ```
    /// use std::time::Duration;
    /// use midas_api::ReqwestTransport;
    /// let builder = reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(30));
    /// let transport = ReqwestTransport::from_builder(builder)?;
    /// # Ok::<(), midas_api::TransportError>(())
    /// ```
    pub fn from_builder(builder: reqwest::ClientBuilder) -> Result<Self, TransportError> {
        let client =
            builder.redirect(reqwest::redirect::Policy::none()).referer(false).build().map_err(|err| {
                TransportError::new(TransportErrorKind::Other, err.without_url().to_string())
            })?;
        Ok(Self { client })
    }

    /// The client, for downloads of the files Midas hands out URLs for.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.client
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
        if response.status().is_redirection() {
            return Err(redirect_refused(&response));
        }
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

/// A 3xx answer as a final error naming its status and where it pointed: the host and port of
/// its `Location` only, since a path or query may carry whatever the other side put there.
fn redirect_refused(response: &reqwest::Response) -> TransportError {
    let status = response.status().as_u16();
    let target = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .and_then(|location| response.url().join(location).ok())
        .and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        });
    let message = match target {
        Some(target) => format!("HTTP {status} redirect to {target} refused; redirects are never followed"),
        None => format!("HTTP {status} redirect refused; redirects are never followed"),
    };
    TransportError::new(TransportErrorKind::Status(status), message)
}

fn too_large(max: usize) -> TransportError {
    TransportError::new(TransportErrorKind::BodyTooLarge, format!("response body larger than {max} bytes"))
}

pub(crate) fn classify(err: reqwest::Error) -> TransportError {
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use midas_core::{ApiUrl, HttpRequest, Method, Transport, TransportErrorKind};

    use super::ReqwestTransport;

    /// Answers every connection with `answer` (after reading the request head), counting them.
    fn serve(answer: String) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let address = listener.local_addr().expect("bound").to_string();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut head = Vec::new();
                let mut byte = [0_u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        (address, hits)
    }

    /// Finding 1 (redirects): a builder that asks to follow redirects is overridden.
    #[tokio::test]
    async fn a_builder_that_follows_redirects_still_never_follows_one() {
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        let (other, other_hits) = serve(ok.to_owned());
        let redirect = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{other}/collect?stolen=1\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let (first, _) = serve(redirect);
        let builder =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(10)).referer(true);
        let transport = ReqwestTransport::from_builder(builder).expect("a client");
        let request = HttpRequest {
            method: Method::Get,
            url: ApiUrl::bare(&format!("http://{first}"), "/cgi-bin/token"),
            body: Vec::new(),
            timeout: Duration::from_secs(5),
            max_response_bytes: 1024,
        };
        let error = transport.send(request).await.expect_err("a redirect is an error");
        assert_eq!(error.kind(), TransportErrorKind::Status(307));
        assert!(error.to_string().contains(&format!("307 redirect to {other} refused")), "{error}");
        assert!(!error.to_string().contains("stolen"), "{error}");
        assert_eq!(other_hits.load(Ordering::SeqCst), 0, "the redirect target was contacted");
    }

    /// Whatever TLS features are on (none, rustls, native-tls), an `https://` request never
    /// reaches the wire as plain text: without a backend it is refused before connecting, with
    /// one the first bytes are a TLS handshake.
    #[tokio::test]
    async fn an_https_request_is_never_sent_in_plain_text() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let address = listener.local_addr().expect("bound").to_string();
        let received = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&received);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
                let mut buffer = [0_u8; 4096];
                while let Ok(n @ 1..) = stream.read(&mut buffer) {
                    recorded.lock().expect("not poisoned").extend_from_slice(&buffer[..n]);
                }
            }
        });
        let transport = ReqwestTransport::new().expect("a client");
        let request = HttpRequest {
            method: Method::Post,
            url: ApiUrl::bare(&format!("https://{address}"), "/cgi-bin/midas/present?access_token=SECRET"),
            body: b"{\"sig\":\"signed\"}".to_vec(),
            timeout: Duration::from_secs(5),
            max_response_bytes: 1024,
        };
        transport.send(request).await.expect_err("no TLS server is listening");
        let received = received.lock().expect("not poisoned");
        let text = String::from_utf8_lossy(&received);
        assert!(!text.contains("cgi-bin") && !text.contains("SECRET") && !text.contains("signed"), "{text}");
    }
}
