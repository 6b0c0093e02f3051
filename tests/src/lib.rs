//! Test support shared by the integration tests of midas-rs: an in-memory transport that
//! records what was sent and answers from a script, and the shared vector files.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use midas_api::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// HTTP status and body.
    Http(u16, String),
    /// A transport failure of this kind.
    Fail(TransportErrorKind),
}

impl Reply {
    /// A 200 answer with this JSON text.
    pub fn json(body: &str) -> Self {
        Self::Http(200, body.to_owned())
    }

    /// A 200 answer `{"errcode":code,"errmsg":msg}`.
    pub fn errcode(code: i64, msg: &str) -> Self {
        Self::Http(200, serde_json::json!({ "errcode": code, "errmsg": msg }).to_string())
    }
}

/// What the client sent, with the real URL (token included) for assertions.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The full URL, token included.
    pub url: String,
    /// The body parsed as JSON.
    pub body: serde_json::Value,
    /// The raw body bytes.
    pub raw: Vec<u8>,
}

/// An in-memory transport: records every request, answers from a script (in order).
#[derive(Debug, Default)]
pub struct ScriptedTransport {
    script: Mutex<VecDeque<Reply>>,
    sent: Mutex<Vec<Sent>>,
}

impl ScriptedTransport {
    /// A transport that answers with `replies`, one per request.
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Self {
        Self { script: Mutex::new(replies.into_iter().collect()), sent: Mutex::new(Vec::new()) }
    }

    /// Everything sent so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().expect("lock").clone()
    }

    /// How many replies are left unused.
    pub fn remaining(&self) -> usize {
        self.script.lock().expect("lock").len()
    }
}

impl Transport for ScriptedTransport {
    async fn post_json(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = serde_json::from_slice(&request.body).expect("the client sends JSON");
        self.sent.lock().expect("lock").push(Sent { url: request.url.expose().to_owned(), body, raw: request.body });
        match self.script.lock().expect("lock").pop_front() {
            Some(Reply::Http(status, body)) => Ok(HttpResponse { status, body: body.into_bytes() }),
            Some(Reply::Fail(kind)) => Err(TransportError::new(kind, "scripted failure")),
            None => Err(TransportError::new(TransportErrorKind::Other, "the script has no reply left")),
        }
    }
}

/// The path of a file in `../shared/vectors/` (beside the checkout).
pub fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors").join(name)
}

/// A vector file, parsed.
pub fn load_vectors(name: &str) -> serde_json::Value {
    let path = vector_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).expect("vector files are JSON")
}
