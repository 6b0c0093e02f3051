//! The HTTP side: an accept loop over hyper's HTTP/1 connections, and the path of one request
//! through the checks, the fault plan and the ledger.
//!
//! hyper is used directly (not through a framework) for one reason: a "connection dropped"
//! fault must close the connection without any answer. A hyper service that returns an error
//! does exactly that, with no panic and no half-written response.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use midas_core::{AppKey, AppSecret, Env};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::answer::{self, Fields, Rejection};
use crate::auth::{self, AuthApi};
use crate::fault::{Fault, FaultPlan};
use crate::ledger::{Applied, Entry, Ledger, Refusal};
use crate::login::LoginCodes;
use crate::session::Sessions;
use crate::tokens::Tokens;
use crate::{Api, Generation, game, midas1, query, xpay};

/// The largest request body read; Midas bodies are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What is fixed for the life of the server.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) appid: String,
    pub(crate) offer_id: String,
    pub(crate) production_key: AppKey,
    pub(crate) sandbox_key: AppKey,
    pub(crate) payment_production_key: AppKey,
    pub(crate) payment_sandbox_key: AppKey,
    /// Fetches tokens and exchanges login codes.
    pub(crate) secret: AppSecret,
}

impl App {
    /// The Midas 1.0 key of `env`.
    pub(crate) fn key(&self, env: Env) -> &AppKey {
        env.pick(&self.production_key, &self.sandbox_key)
    }

    /// The payment key of `env`, for `pay_sig` of Midas 2.0 and xpay.
    pub(crate) fn payment_key(&self, env: Env) -> &AppKey {
        env.pick(&self.payment_production_key, &self.payment_sandbox_key)
    }
}

/// What changes: the tokens, the login codes, the players, the books, the faults.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) tokens: Tokens,
    pub(crate) logins: LoginCodes,
    pub(crate) sessions: Sessions,
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
    if let Some(api) = AuthApi::from_path(request.uri().path()) {
        return Ok(serve_auth(&shared, api, request).await);
    }
    let Some(api) = Api::from_path(request.uri().path()) else {
        return Ok(json_response(
            StatusCode::NOT_FOUND,
            &answer::refusal(48001, "api unauthorized: no Midas API at this path"),
        ));
    };
    // Midas 1.0 names the environment in the path; the others in the body.
    let path_env = Api::route(request.uri().path()).map(|(_, env)| env);
    if request.method() != Method::POST {
        return Ok(json_response(StatusCode::OK, &answer::refusal(43002, "require POST method")));
    }
    let query = request.uri().query().map(str::to_owned);
    let body = match Limited::new(request.into_body(), MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let errcode = parameter_errcode(api.generation());
            return Ok(json_response(
                StatusCode::OK,
                &answer::refusal(errcode, "invalid parameter: body unreadable"),
            ));
        }
    };
    match serve(&shared, api, path_env, query.as_deref(), &body) {
        Outcome::Answer(value) => Ok(json_response(StatusCode::OK, &value)),
        Outcome::Drop => Err(DropConnection),
        Outcome::Delay(delay, value) => {
            tokio::time::sleep(delay).await;
            Ok(json_response(StatusCode::OK, &value))
        }
    }
}

/// A token or login API: read the body of a POST, then answer.
async fn serve_auth(shared: &Shared, api: AuthApi, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let post = request.method() == Method::POST;
    let query = request.uri().query().unwrap_or_default().to_owned();
    let body = if post && api.post() {
        match Limited::new(request.into_body(), MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                return json_response(
                    StatusCode::OK,
                    &answer::refusal(47001, "data format error: body unreadable"),
                );
            }
        }
    } else {
        Bytes::new()
    };
    let value = auth::serve(&shared.app, &mut shared.state(), api, post, &query, &body);
    json_response(StatusCode::OK, &value)
}

/// Checks, then faults and the ledger. The token comes first for every generation; then each
/// generation checks in its own order (see [`midas1`], [`game`], [`xpay`]).
fn serve(shared: &Shared, api: Api, path_env: Option<Env>, query: Option<&str>, body: &[u8]) -> Outcome {
    let mut state = shared.state();
    state.requests += 1;
    let rid = state.requests;
    let refused = |rejection: Rejection| {
        let errmsg = format!("{} hint: [emu-{rid:06}]", rejection.errmsg);
        Outcome::Answer(answer::refusal(rejection.errcode, &errmsg))
    };
    let token = query.and_then(|query| query::param(query, "access_token"));
    if let Err(problem) = state.tokens.check(token.as_deref()) {
        return refused(problem.rejection());
    }
    let token = token.unwrap_or_default();
    let checked = match (api.generation(), path_env) {
        (Generation::Midas1, Some(env)) => {
            midas1::check(&shared.app, &state.sessions, api, env, &token, body)
        }
        (Generation::Midas2, _) => game::check(&shared.app, &state.sessions, api, query, body),
        (Generation::Xpay, _) => {
            let ledger = &state.ledger;
            xpay::check(&shared.app, &state.sessions, |openid| ledger.knows(openid), api, query, body)
        }
        // A Midas 1.0 API is only ever routed with its environment.
        _ => Err(Rejection::busy()),
    };
    let entry = match checked {
        Ok(entry) => entry,
        Err(rejection) => return refused(rejection),
    };
    let fault = state.faults.next(api);
    if fault == Some(Fault::BusyBefore) {
        return refused(Rejection::busy());
    }
    let value = match state
        .ledger
        .apply(&entry)
        .map_err(|refusal| refuse(&entry, refusal))
        .and_then(|applied| answer_of(&entry, applied))
    {
        Ok(fields) => answer::success(fields),
        Err(rejection) => return refused(rejection),
    };
    match fault {
        None | Some(Fault::BusyBefore) => Outcome::Answer(value),
        Some(Fault::BusyAfter) => refused(Rejection::busy()),
        Some(Fault::DropAfter) => Outcome::Drop,
        Some(Fault::DelayAfter(delay)) => Outcome::Delay(delay, value),
    }
}

/// The generation's wording of an outcome of the books.
fn answer_of(entry: &Entry, applied: Applied) -> Result<Fields, Rejection> {
    match entry.api.generation() {
        Generation::Midas2 => game::answer(applied),
        Generation::Xpay => xpay::answer(applied),
        _ => midas1::answer(applied),
    }
}

/// The generation's errcode for a refusal of the books.
fn refuse(entry: &Entry, refusal: Refusal) -> Rejection {
    match entry.api.generation() {
        Generation::Midas2 => game::refusal(refusal),
        Generation::Xpay => xpay::refusal(refusal),
        _ => midas1::refusal(refusal),
    }
}

/// The errcode of a parameter error in `generation`.
const fn parameter_errcode(generation: Generation) -> i64 {
    match generation {
        Generation::Xpay => 268_490_002,
        _ => 90018,
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}
