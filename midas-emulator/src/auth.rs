//! The token and login APIs: `stable_token`, `token`, `jscode2session`, `checksession`.
//!
//! | API | refusals |
//! |---|---|
//! | `POST /cgi-bin/stable_token` | 43002 not POST; 47001 body not a JSON object; 41002 / 41004 `appid` / `secret` missing; 40002 `grant_type` not `client_credential`; 40013 wrong appid; 40125 wrong secret; 40097 `force_refresh` not a boolean; 45011 a forced refresh within 30 s of the last; 45009 a 21st forced refresh in 24 hours |
//! | `GET /cgi-bin/token` | 43001 not GET; 41002 / 41004 missing; 40002; 40013; 40001 wrong secret (as documented for this API) |
//! | `GET /sns/jscode2session` | 43001; 41002 / 41004; 40002 `grant_type` not `authorization_code`; 40013; 40125; 40029 unknown or missing `js_code`; 40163 code used before |
//! | `GET /wxa/checksession` | 43001; 40001 / 42001 token invalid / expired; 40097 `sig_method` not `hmac_sha256` or `openid` missing; 87009 `signature` not made with the player's current session key |
//!
//! The AppSecret and access tokens are compared in constant time ([`crate::secret`]).
//!
//! Faults are not injected here: they model the payment APIs.

use serde_json::{Map, Value};

use crate::answer::{self, Rejection};
use crate::ledger::DEFAULT_ZONE_ID;
use crate::shared::{App, State};
use crate::{query, secret};

/// One of the token and login APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthApi {
    StableToken,
    Token,
    Code2Session,
    CheckSession,
}

impl AuthApi {
    pub(crate) fn from_path(path: &str) -> Option<Self> {
        match path {
            "/cgi-bin/stable_token" => Some(Self::StableToken),
            "/cgi-bin/token" => Some(Self::Token),
            "/sns/jscode2session" => Some(Self::Code2Session),
            "/wxa/checksession" => Some(Self::CheckSession),
            _ => None,
        }
    }

    /// Whether the API is called by POST (else GET).
    pub(crate) const fn post(self) -> bool {
        matches!(self, Self::StableToken)
    }
}

/// Serves one call; `post` tells the method, `body` is empty for GET.
pub(crate) fn serve(
    app: &App,
    state: &mut State,
    api: AuthApi,
    post: bool,
    query: &str,
    body: &[u8],
) -> Value {
    let is_token_api = matches!(api, AuthApi::StableToken | AuthApi::Token);
    let served = match (api, post) {
        (AuthApi::StableToken, true) => stable_token(app, state, body),
        (AuthApi::StableToken, false) => Err(Rejection::new(43002, "require POST method")),
        (_, true) => Err(Rejection::new(43001, "require GET method")),
        (AuthApi::Token, false) => token(app, state, query),
        (AuthApi::Code2Session, false) => code2session(app, state, query),
        (AuthApi::CheckSession, false) => check_session(state, query),
    };
    match served {
        Ok(value) => value,
        Err(rejection) => {
            if is_token_api {
                state.tokens.requests.refused += 1;
            }
            answer::refusal(rejection.errcode, &rejection.errmsg)
        }
    }
}

/// Checks `appid`, `secret` and `grant_type`; `wrong_secret` is the API's errcode for a wrong
/// secret.
fn credentials(
    app: &App,
    appid: Option<&str>,
    secret: Option<&str>,
    grant_type: Option<&str>,
    expected_grant_type: &str,
    wrong_secret: i64,
) -> Result<(), Rejection> {
    let appid =
        appid.filter(|appid| !appid.is_empty()).ok_or_else(|| Rejection::new(41002, "appid missing"))?;
    let secret = secret
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| Rejection::new(41004, "appsecret missing"))?;
    if grant_type != Some(expected_grant_type) {
        return Err(Rejection::new(40002, "invalid grant_type"));
    }
    if appid != app.appid {
        return Err(Rejection::new(40013, "invalid appid"));
    }
    if !secret::matches(app.secret.expose_secret(), secret) {
        return Err(Rejection::new(wrong_secret, "invalid appsecret"));
    }
    Ok(())
}

fn token_answer(token: &midas_core::AccessToken, expires_in: std::time::Duration) -> Value {
    let mut object = Map::new();
    object.insert("access_token".into(), token.expose_secret().into());
    object.insert("expires_in".into(), expires_in.as_secs().into());
    Value::Object(object)
}

fn stable_token(app: &App, state: &mut State, body: &[u8]) -> Result<Value, Rejection> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return Err(Rejection::new(47001, "data format error: the body must be a JSON object"));
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    credentials(app, text("appid"), text("secret"), text("grant_type"), "client_credential", 40125)?;
    let force_refresh = match fields.get("force_refresh") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(force)) => *force,
        Some(_) => return Err(Rejection::new(40097, "invalid args: force_refresh must be a boolean")),
    };
    let tokens = &mut state.tokens;
    let (token, expires_in) = if force_refresh {
        let issued = tokens.force_stable()?;
        tokens.requests.forced += 1;
        issued
    } else {
        tokens.requests.stable += 1;
        tokens.stable()
    };
    Ok(token_answer(&token, expires_in))
}

fn token(app: &App, state: &mut State, query: &str) -> Result<Value, Rejection> {
    let param = |name| query::param(query, name);
    credentials(
        app,
        param("appid").as_deref(),
        param("secret").as_deref(),
        param("grant_type").as_deref(),
        "client_credential",
        40001,
    )?;
    state.tokens.requests.classic += 1;
    let (token, expires_in) = state.tokens.classic();
    Ok(token_answer(&token, expires_in))
}

fn code2session(app: &App, state: &mut State, query: &str) -> Result<Value, Rejection> {
    let param = |name| query::param(query, name);
    credentials(
        app,
        param("appid").as_deref(),
        param("secret").as_deref(),
        param("grant_type").as_deref(),
        "authorization_code",
        40125,
    )?;
    let code = param("js_code")
        .filter(|code| !code.is_empty())
        .ok_or_else(|| Rejection::new(40029, "invalid code"))?;
    let openid = state.logins.redeem(&code)?;
    let session_key = state.logins.new_session_key();
    let mut object = Map::new();
    object.insert("openid".into(), openid.clone().into());
    object.insert("session_key".into(), session_key.expose_secret().into());
    // A player logging in for the first time gets empty wallets.
    state.ledger.open(&openid, DEFAULT_ZONE_ID, 0);
    state.sessions.log_in(openid, session_key);
    Ok(Value::Object(object))
}

fn check_session(state: &State, query: &str) -> Result<Value, Rejection> {
    let param = |name| query::param(query, name);
    state.tokens.check(param("access_token").as_deref()).map_err(|problem| problem.rejection())?;
    if param("sig_method").as_deref() != Some("hmac_sha256") {
        return Err(Rejection::new(40097, "invalid args: sig_method must be hmac_sha256"));
    }
    let openid = param("openid").filter(|openid| !openid.is_empty());
    let openid = openid.ok_or_else(|| Rejection::new(40097, "invalid args: openid missing"))?;
    let signature = param("signature").unwrap_or_default();
    let valid = state
        .sessions
        .current(&openid)
        .is_some_and(|key| midas_core::body_signed::verify_signature(key, b"", &signature).is_ok());
    if valid { Ok(answer::success(Map::new())) } else { Err(Rejection::new(87009, "invalid signature")) }
}
