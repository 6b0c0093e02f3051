//! What one client may hold of the server: time for a request, connections, body bytes.
//!
//! - **Header read timeout** (hyper's own, on hyper-util's `TokioTimer`): a connection must deliver a
//!   complete request head within [`Limits::header_read_timeout`]. hyper starts that timer
//!   whenever a connection waits for a head: on a new connection, and on a kept-alive one
//!   after each answer. So the same setting is the idle keep-alive timeout: a socket that
//!   sends nothing, trickles a head, or sits idle between requests is closed when it runs out.
//!   A request body must arrive within the same time too (hyper has no body timeout; the
//!   read is wrapped in one), else 408.
//! - **Connection cap** ([`Limits::max_connections`]): beyond it, each new connection makes
//!   the oldest open one shut down gracefully (hyper's `graceful_shutdown`): closed at once
//!   when it is idle or has sent nothing, after its answer when a request is in flight. New
//!   connections are therefore always served, and a flood of idle sockets sheds itself. Only
//!   when twice the cap is open (half of them finishing their answers) does the server stop
//!   accepting for a moment; new connections then wait in the listen backlog.
//! - **Body cap** ([`MAX_BODY_BYTES`]): a declared `Content-Length` above it is answered 413
//!   at once, without reading the body; a chunked body that grows past it is 413 too.

use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_LENGTH, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};

use crate::answer;

/// The largest request body read; Midas bodies are a few hundred bytes.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// How much the server lets connections hold; see the [module](self) documentation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Time for a complete request head (and then its body), from the accept or from the end
    /// of the previous answer.
    pub(crate) header_read_timeout: Duration,
    /// Connections served at once before the oldest is asked to close.
    pub(crate) max_connections: usize,
}

/// Why a request body was not read.
#[derive(Debug)]
pub(crate) enum Unread {
    /// Declared or found larger than [`MAX_BODY_BYTES`]: 413.
    TooLarge,
    /// Not complete within the header read timeout: 408.
    TooSlow,
    /// The connection failed while reading: the API's format errcode.
    Broken,
}

impl Unread {
    /// The answer, with `errcode` (the API's parameter or format error).
    pub(crate) fn answer(self, errcode: i64) -> Response<Full<Bytes>> {
        let (status, errmsg) = match self {
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("invalid parameter: the body is larger than {MAX_BODY_BYTES} bytes"),
            ),
            Self::TooSlow => {
                (StatusCode::REQUEST_TIMEOUT, "invalid parameter: the body came too slowly".to_owned())
            }
            Self::Broken => (StatusCode::OK, "invalid parameter: body unreadable".to_owned()),
        };
        let mut response = answer::response(status, &answer::refusal(errcode, &errmsg));
        if status != StatusCode::OK {
            // The rest of the body is never read: the connection cannot carry another request.
            response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// Whether the request declares a body larger than the cap (refused before reading a byte).
fn declared_too_large(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.trim().parse::<u64>().ok())
        .is_some_and(|length| length > MAX_BODY_BYTES as u64)
}

/// Reads the whole body, within the cap and the header read timeout.
pub(crate) async fn read_body(limits: &Limits, request: Request<Incoming>) -> Result<Bytes, Unread> {
    if declared_too_large(request.headers()) {
        return Err(Unread::TooLarge);
    }
    let reading = Limited::new(request.into_body(), MAX_BODY_BYTES).collect();
    match tokio::time::timeout(limits.header_read_timeout, reading).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(Unread::TooLarge),
        Ok(Err(_)) => Err(Unread::Broken),
        Err(_) => Err(Unread::TooSlow),
    }
}
