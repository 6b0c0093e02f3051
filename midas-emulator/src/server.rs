//! The path of one request through the checks, the fault plan and the ledger (the connections
//! that carry requests are [`crate::listen`]'s).
//!
//! hyper is used directly (not through a framework) for one reason: a "connection dropped"
//! fault must close the connection without any answer. A hyper service that returns an error
//! does exactly that, with no panic and no half-written response.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;

use crate::answer::{self, Rejection};
use crate::api::Api;
use crate::auth::{self, AuthApi};
use crate::desks::bills::BILL_FILES_PATH;
use crate::fault::Fault;
use crate::limits::read_body;
use crate::protocol::route::RouteSpec;
use crate::protocol::{self, Context, Protocol, Received};
use crate::query;
use crate::routes::{Route, RouteRequest, parameter_errcode};
use crate::shared::Shared;

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
pub(crate) struct DropConnection;

/// One request, whatever the API: routed, read within the limits, checked and answered.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    if let Some(api) = AuthApi::from_path(request.uri().path()) {
        return Ok(serve_auth(&shared, api, request).await);
    }
    if let Some(id) = request.uri().path().strip_prefix(BILL_FILES_PATH) {
        return Ok(serve_bill_file(&shared, request.method(), id));
    }
    let Some(api) = Api::from_path(request.uri().path()) else {
        return match shared.route(request.uri().path()) {
            Some(route) => serve_route(&shared, route, request).await,
            None => Ok(answer::response(
                StatusCode::NOT_FOUND,
                &answer::refusal(48001, "api unauthorized: no Midas API at this path"),
            )),
        };
    };
    let protocol = protocol::of(api.generation());
    if request.method() != Method::POST {
        return Ok(answer::response(StatusCode::OK, &answer::refusal(43002, "require POST method")));
    }
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let body = match read_body(&shared.limits, request).await {
        Ok(body) => body,
        Err(unread) => return Ok(unread.answer(protocol.parameter_errcode())),
    };
    match serve(&shared, protocol, api, &path, query.as_deref(), &body) {
        Outcome::Answer(value) => Ok(answer::response(StatusCode::OK, &value)),
        Outcome::Drop => Err(DropConnection),
        Outcome::Delay(delay, value) => {
            tokio::time::sleep(delay).await;
            Ok(answer::response(StatusCode::OK, &value))
        }
    }
}

/// An added endpoint ([`Route`]): the token and the scheme's signatures under the lock (the
/// [`route`](crate::protocol::route) checks), then the handler outside it, so that a handler
/// may call the emulator. Faults do not strike routes.
async fn serve_route(
    shared: &Shared,
    route: Route,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let errcode = parameter_errcode(route.scheme);
    if request.method() != Method::POST {
        return Ok(answer::response(StatusCode::OK, &answer::refusal(43002, "require POST method")));
    }
    let query = request.uri().query().map(str::to_owned);
    let body = match read_body(&shared.limits, request).await {
        Ok(body) => body,
        Err(unread) => return Ok(unread.answer(errcode)),
    };
    let checked = {
        let mut state = shared.state();
        state.requests += 1;
        let rid = state.requests;
        let token = query.as_deref().and_then(|query| query::param(query, "access_token"));
        let context = Context { app: &shared.app, sessions: &state.sessions, ledger: &state.ledger };
        let spec =
            RouteSpec { scheme: route.scheme, path: &route.path, user_signature: route.user_signature };
        match state
            .tokens
            .check(token.as_deref())
            .map_err(|problem| problem.rejection())
            .and_then(|()| protocol::route::check(spec, query.as_deref(), &body, &context))
        {
            Ok(checked) => checked,
            Err(rejection) => {
                let errmsg = format!("{} hint: [emu-{rid:06}]", rejection.errmsg);
                return Ok(answer::response(StatusCode::OK, &answer::refusal(rejection.errcode, &errmsg)));
            }
        }
    };
    let request = RouteRequest {
        path: &route.path,
        scheme: route.scheme,
        env: checked.env,
        fields: &checked.fields,
        body: &body,
    };
    let value = match route.handler.handle(&request) {
        Ok(fields) => answer::success(fields),
        Err(refused) => answer::refusal(refused.errcode(), refused.errmsg()),
    };
    Ok(answer::response(StatusCode::OK, &value))
}

/// A file of the bills desk, while its URL is valid: `GET` only, 404 once expired.
fn serve_bill_file(shared: &Shared, method: &Method, id: &str) -> Response<Full<Bytes>> {
    if method != Method::GET {
        return answer::response(
            StatusCode::METHOD_NOT_ALLOWED,
            &answer::refusal(43001, "require GET method"),
        );
    }
    match shared.bills.get().and_then(|bills| bills.file(id)) {
        Some(bytes) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            response
        }
        None => {
            answer::response(StatusCode::NOT_FOUND, &answer::refusal(404, "no such file, or its URL expired"))
        }
    }
}

/// A token or login API: read the body of a POST, then answer.
async fn serve_auth(shared: &Shared, api: AuthApi, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let post = request.method() == Method::POST;
    let query = request.uri().query().unwrap_or_default().to_owned();
    let body = if post && api.post() {
        match read_body(&shared.limits, request).await {
            Ok(body) => body,
            // 47001: data format error, the errcode of the token APIs for a bad body.
            Err(unread) => return unread.answer(47001),
        }
    } else {
        Bytes::new()
    };
    let value = auth::serve(&shared.app, &mut shared.state(), api, post, &query, &body);
    answer::response(StatusCode::OK, &value)
}

/// Checks, then faults and the ledger. The token comes first for every protocol; then the
/// protocol checks in its own order (see [`crate::protocol`]).
fn serve(
    shared: &Shared,
    protocol: &dyn Protocol,
    api: Api,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Outcome {
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
    let access_token = token.unwrap_or_default();
    let request = Received { api, path, query, access_token: &access_token, body };
    let context = Context { app: &shared.app, sessions: &state.sessions, ledger: &state.ledger };
    let entry = match protocol.check(&request, &context) {
        Ok(entry) => entry,
        Err(rejection) => return refused(rejection),
    };
    let chosen = state.faults.choose(api, entry.env, entry.call());
    if let Some(record) = chosen.clone().filter(|record| record.fault == Fault::BusyBefore) {
        state.faults.strike(record);
        return refused(Rejection::busy());
    }
    let value = match state
        .ledger
        .apply(&entry)
        .map_err(|refusal| protocol.refusal(refusal))
        .and_then(|applied| protocol.answer(applied))
    {
        Ok(fields) => answer::success(fields),
        // A refusal is answered as it is: a fault strikes only what would have been served.
        Err(rejection) => return refused(rejection),
    };
    let Some(record) = chosen else { return Outcome::Answer(value) };
    let fault = record.fault;
    state.faults.strike(record);
    match fault {
        Fault::BusyBefore => Outcome::Answer(value),
        Fault::BusyAfter => refused(Rejection::busy()),
        Fault::DropAfter => Outcome::Drop,
        Fault::DelayAfter(delay) => Outcome::Delay(delay, value),
    }
}
