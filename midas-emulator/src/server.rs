//! The HTTP side: an accept loop over hyper's HTTP/1 connections, and the path of one request
//! through the checks, the fault plan and the ledger.
//!
//! hyper is used directly (not through a framework) for one reason: a "connection dropped"
//! fault must close the connection without any answer. A hyper service that returns an error
//! does exactly that, with no panic and no half-written response.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use midas_core::{AccessToken, AppKey, Env, SessionKey};
use serde_json::{Map, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::Api;
use crate::check::{self, Rejection};
use crate::fault::{Fault, FaultPlan};
use crate::ledger::Ledger;

/// The largest request body read; Midas bodies are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What is fixed for the life of the server.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) appid: String,
    pub(crate) offer_id: String,
    pub(crate) production_key: AppKey,
    pub(crate) sandbox_key: AppKey,
    /// The first token; rotated tokens are numbered after it.
    pub(crate) initial_token: AccessToken,
}

impl App {
    pub(crate) fn key(&self, env: Env) -> &AppKey {
        match env {
            Env::Production => &self.production_key,
            Env::Sandbox => &self.sandbox_key,
        }
    }
}

/// What changes: the token, the players, the books, the faults.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) token: AccessToken,
    pub(crate) rotations: u64,
    pub(crate) players: HashMap<String, SessionKey>,
    pub(crate) ledger: Ledger,
    pub(crate) faults: FaultPlan,
    pub(crate) requests: u64,
}

/// Shared by the handle and every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) app: App,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(app: App, state: State) -> Self {
        Self { app, state: Mutex::new(state) }
    }

    /// The state; a panic elsewhere while it was held leaves it usable, never poisoned.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How a served call ends.
#[derive(Debug)]
enum Outcome {
    Answer(Value),
    Drop,
    Delay(Duration, Value),
}

/// The service error that makes hyper close the connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose by a fault")]
struct DropConnection;

/// Accepts connections until the task is aborted; aborting drops every connection with it.
pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let service = service_fn(move |request| handle(Arc::clone(&shared), request));
    // Errors end only this connection: a client that went away, or a dropped-connection fault.
    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let Some((api, env)) = Api::route(request.uri().path()) else {
        return Ok(json_response(
            StatusCode::NOT_FOUND,
            &answer(48001, "api unauthorized: no Midas API at this path"),
        ));
    };
    if request.method() != Method::POST {
        return Ok(json_response(StatusCode::OK, &answer(43002, "require POST method")));
    }
    let token = request.uri().query().and_then(access_token);
    let body = match Limited::new(request.into_body(), MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(json_response(StatusCode::OK, &answer(90018, "invalid parameter: body unreadable")));
        }
    };
    match serve(&shared, api, env, token.as_deref(), &body) {
        Outcome::Answer(value) => Ok(json_response(StatusCode::OK, &value)),
        Outcome::Drop => Err(DropConnection),
        Outcome::Delay(delay, value) => {
            tokio::time::sleep(delay).await;
            Ok(json_response(StatusCode::OK, &value))
        }
    }
}

/// Checks, then faults and the ledger, in the order Midas checks: token, parameters, `sig`,
/// player, `mp_sig`.
fn serve(shared: &Shared, api: Api, env: Env, token: Option<&str>, body: &[u8]) -> Outcome {
    let mut state = shared.state();
    state.requests += 1;
    let rid = state.requests;
    let refused = |rejection: Rejection| {
        let errmsg = format!("{} hint: [emu-{rid:06}]", rejection.errmsg);
        Outcome::Answer(answer(rejection.errcode, &errmsg))
    };
    let Some(token) = token.filter(|token| *token == state.token.expose_secret()) else {
        return refused(Rejection::new(40001, "invalid credential, access_token is invalid or not latest"));
    };
    let call = match check::parse(api, env, body, &shared.app.appid, &shared.app.offer_id) {
        Ok(call) => call,
        Err(rejection) => return refused(rejection),
    };
    if let Err(rejection) = call.verify_sig(shared.app.key(env)) {
        return refused(rejection);
    }
    let Some(session_key) = state.players.get(&call.openid) else {
        return refused(Rejection::new(90010, "user not logged in or login expired"));
    };
    if let Err(rejection) = call.verify_mp_sig(token, session_key) {
        return refused(rejection);
    }
    let fault = state.faults.next(api);
    if fault == Some(Fault::BusyBefore) {
        return refused(busy());
    }
    let result = state.ledger.apply(env, &call.openid, &call.order, &call.fingerprint);
    let value = match result {
        Ok(Value::Object(fields)) => success(fields),
        Ok(_) => return refused(busy()),
        Err(rejection) => return refused(rejection),
    };
    match fault {
        None | Some(Fault::BusyBefore) => Outcome::Answer(value),
        Some(Fault::BusyAfter) => refused(busy()),
        Some(Fault::DropAfter) => Outcome::Drop,
        Some(Fault::DelayAfter(delay)) => Outcome::Delay(delay, value),
    }
}

fn busy() -> Rejection {
    Rejection::new(-1, "system error")
}

fn answer(errcode: i64, errmsg: &str) -> Value {
    let mut object = Map::new();
    object.insert("errcode".into(), errcode.into());
    object.insert("errmsg".into(), errmsg.into());
    Value::Object(object)
}

fn success(fields: Map<String, Value>) -> Value {
    let mut object = Map::new();
    object.insert("errcode".into(), 0.into());
    object.insert("errmsg".into(), "ok".into());
    object.extend(fields);
    Value::Object(object)
}

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

/// The `access_token` of a query string, percent-decoded; `None` when absent or malformed.
fn access_token(query: &str) -> Option<String> {
    let raw = query.split('&').find_map(|pair| pair.strip_prefix("access_token="))?;
    let mut bytes = Vec::with_capacity(raw.len());
    let mut rest = raw.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let (hex, after) = tail.split_at_checked(2)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            bytes.push(u8::from_str_radix(core::str::from_utf8(hex).ok()?, 16).ok()?);
            rest = after;
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::access_token;

    #[test]
    fn the_access_token_is_read_from_the_query_and_percent_decoded() {
        assert_eq!(access_token("access_token=ABC").as_deref(), Some("ABC"));
        assert_eq!(access_token("x=1&access_token=A%2FB%3D").as_deref(), Some("A/B="));
        assert_eq!(access_token("x=1"), None);
        assert_eq!(access_token("access_token=%zz"), None);
        assert_eq!(access_token("access_token=%2"), None);
        assert_eq!(access_token("access_token=%+1"), None);
    }
}
