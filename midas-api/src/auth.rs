//! Access tokens fetched and cached, and player sessions (`code2session`, `checksession`).
//!
//! - [`StableTokenSource`]: `POST /cgi-bin/stable_token` in normal mode — the recommended
//!   source: every server may fetch independently without knocking the others out.
//! - [`ClassicTokenSource`]: `GET /cgi-bin/token`. **Trap:** every fetch issues a new token and
//!   invalidates the previous one for every other server of the app (after a 5-minute
//!   overlap). Use it from one central place only.
//! - [`Sessions`]: `code2session` and `check_session_key`.

use std::collections::VecDeque;
use std::sync::RwLock;
use std::time::Duration;

use midas_core::{
    AccessToken, ApiError, ApiErrorKind, ApiUrl, AppSecret, DecodeError, Error, HttpRequest, Method,
    SessionKey, TokenError, Transport, TransportError, TransportErrorKind, body_signed, write_json_string,
};
use serde::Deserialize;
use tokio::time::Instant;

use crate::config::DEFAULT_BASE_URL;
use crate::token::TokenSource;

/// The app's credentials for the token and login APIs: AppID, AppSecret, base URL, timeout.
#[derive(Clone, Debug)]
pub struct AppCredentials {
    appid: String,
    secret: AppSecret,
    base_url: String,
    timeout: Duration,
}

impl AppCredentials {
    /// Credentials for `appid`, against `https://api.weixin.qq.com`, 5 s per request.
    pub fn new(appid: impl Into<String>, secret: AppSecret) -> Self {
        Self {
            appid: appid.into(),
            secret,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(5),
        }
    }

    /// Another base URL (a local server in tests).
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Another per-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn request(&self, method: Method, url: ApiUrl, body: Vec<u8>) -> HttpRequest {
        HttpRequest { method, url, body, timeout: self.timeout, max_response_bytes: 64 * 1024 }
    }
}

/// A successful token answer.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

/// Reads a token endpoint's answer: a token and its lifetime, or a typed [`TokenError`].
fn read_token(
    response: Result<midas_core::HttpResponse, TransportError>,
) -> Result<(AccessToken, Duration), TokenError> {
    let response = response.map_err(|err| TokenError::new(None, err.to_string(), err.is_retryable()))?;
    if !(200..300).contains(&response.status) {
        return Err(TokenError::new(
            None,
            format!("HTTP status {}", response.status),
            response.status >= 500,
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(&response.body)
        .map_err(|err| TokenError::new(None, format!("answer is not JSON: {err}"), true))?;
    if let Some(code) = value.get("errcode").and_then(serde_json::Value::as_i64).filter(|code| *code != 0) {
        let errmsg = value.get("errmsg").and_then(serde_json::Value::as_str).unwrap_or_default();
        let retryable = matches!(code, -1 | 45011);
        return Err(TokenError::new(Some(code), format!("errcode {code}: {errmsg}"), retryable));
    }
    let answer: TokenAnswer = serde_json::from_value(value)
        .map_err(|err| TokenError::new(None, format!("unexpected answer: {err}"), true))?;
    let token = AccessToken::new(answer.access_token)
        .map_err(|_| TokenError::new(None, "the answer's access_token is empty", true))?;
    Ok((token, Duration::from_secs(answer.expires_in)))
}

/// A cached token and the instant it stops being used.
#[derive(Clone)]
struct Cached {
    token: AccessToken,
    fresh_until: Instant,
}

/// The shared cache of both token sources: readers take the fast path; one fetch at a time
/// runs under `fetching`, and callers that waited for it reuse its result.
struct Cache {
    current: RwLock<Option<Cached>>,
    fetching: tokio::sync::Mutex<ForceLog>,
    margin: Duration,
}

impl Cache {
    fn new(margin: Duration) -> Self {
        Self { current: RwLock::new(None), fetching: tokio::sync::Mutex::new(ForceLog::default()), margin }
    }

    fn fresh(&self) -> Option<AccessToken> {
        let current = self.current.read().ok()?;
        current
            .as_ref()
            .filter(|cached| Instant::now() < cached.fresh_until)
            .map(|cached| cached.token.clone())
    }

    /// The cached token while fresh; otherwise one `fetch` at a time, reused by every caller
    /// that waited for it.
    async fn get_or_fetch<F>(&self, fetch: impl FnOnce() -> F) -> Result<AccessToken, TokenError>
    where
        F: std::future::Future<Output = Result<AccessToken, TokenError>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _fetching = self.fetching.lock().await;
        // Whoever held the lock before us may have fetched already.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        fetch().await
    }

    fn store(&self, token: &AccessToken, lifetime: Duration) {
        // Use a token until shortly before it runs out: 5 minutes, or half of a short lifetime.
        let margin = self.margin.min(lifetime / 2);
        let cached = Cached { token: token.clone(), fresh_until: Instant::now() + lifetime - margin };
        if let Ok(mut current) = self.current.write() {
            *current = Some(cached);
        }
    }
}

/// Forced refreshes of the last 24 hours, for the documented limits.
#[derive(Default)]
struct ForceLog {
    forced: VecDeque<Instant>,
}

/// `stable_token` force refresh: at most once per 30 s and 20 times a day.
const FORCE_INTERVAL: Duration = Duration::from_secs(30);
const FORCE_DAILY_CAP: usize = 20;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

impl ForceLog {
    fn check(&mut self, now: Instant) -> Result<(), TokenError> {
        while self.forced.front().is_some_and(|at| now.duration_since(*at) >= DAY) {
            self.forced.pop_front();
        }
        if let Some(last) = self.forced.back() {
            let since = now.duration_since(*last);
            if since < FORCE_INTERVAL {
                let wait = (FORCE_INTERVAL - since).as_secs() + 1;
                return Err(TokenError::new(
                    None,
                    format!("forced token refresh is allowed once per 30 s; try again in {wait} s"),
                    true,
                ));
            }
        }
        if self.forced.len() >= FORCE_DAILY_CAP {
            return Err(TokenError::new(
                None,
                "the daily cap of 20 forced token refreshes is reached",
                false,
            ));
        }
        Ok(())
    }
}

/// Tokens from `POST /cgi-bin/stable_token`, cached until 5 minutes before they expire, one
/// fetch at a time however many callers wait; a refused token is force-refreshed within the
/// documented limits (once per 30 s, 20 a day).
///
/// ```no_run
/// use midas_api::{AppCredentials, AppSecret, ReqwestTransport, StableTokenSource, TokenSource};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let app = AppCredentials::new("wx1234567", AppSecret::new("app-secret")?);
/// let tokens = StableTokenSource::new(app, ReqwestTransport::new()?);
/// let token = tokens.token().await?;
/// # Ok(()) }
/// ```
pub struct StableTokenSource<T> {
    app: AppCredentials,
    transport: T,
    cache: Cache,
}

impl<T> std::fmt::Debug for StableTokenSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StableTokenSource").field("app", &self.app).finish_non_exhaustive()
    }
}

impl<T: Transport> StableTokenSource<T> {
    /// A source for `app`, fetching over `transport`.
    pub fn new(app: AppCredentials, transport: T) -> Self {
        Self { app, transport, cache: Cache::new(Duration::from_secs(300)) }
    }

    async fn fetch(&self, force_refresh: bool) -> Result<AccessToken, TokenError> {
        let mut body = Vec::with_capacity(160);
        body.extend_from_slice(br#"{"grant_type":"client_credential","appid":"#);
        write_json_string(&mut body, &self.app.appid);
        body.extend_from_slice(br#","secret":"#);
        write_json_string(&mut body, self.app.secret.expose_secret());
        body.extend_from_slice(if force_refresh {
            br#","force_refresh":true}"#
        } else {
            br#","force_refresh":false}"#
        });
        let url = ApiUrl::bare(&self.app.base_url, "/cgi-bin/stable_token");
        let (token, lifetime) =
            read_token(self.transport.send(self.app.request(Method::Post, url, body)).await)?;
        self.cache.store(&token, lifetime);
        Ok(token)
    }
}

impl<T: Transport> TokenSource for StableTokenSource<T> {
    async fn token(&self) -> Result<AccessToken, TokenError> {
        self.cache.get_or_fetch(|| self.fetch(false)).await
    }

    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, TokenError> {
        let mut force_log = self.cache.fetching.lock().await;
        if let Some(token) = self.cache.fresh().filter(|token| token != rejected) {
            return Ok(token);
        }
        let now = Instant::now();
        force_log.check(now)?;
        force_log.forced.push_back(now);
        self.fetch(true).await
    }
}

/// Tokens from `GET /cgi-bin/token`, cached like [`StableTokenSource`].
///
/// **Trap:** each fetch invalidates the token every other server of the app holds. Run one
/// per app, in one place, or prefer [`StableTokenSource`].
pub struct ClassicTokenSource<T> {
    app: AppCredentials,
    transport: T,
    cache: Cache,
}

impl<T> std::fmt::Debug for ClassicTokenSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassicTokenSource").field("app", &self.app).finish_non_exhaustive()
    }
}

impl<T: Transport> ClassicTokenSource<T> {
    /// A source for `app`, fetching over `transport`.
    pub fn new(app: AppCredentials, transport: T) -> Self {
        Self { app, transport, cache: Cache::new(Duration::from_secs(300)) }
    }

    async fn fetch(&self) -> Result<AccessToken, TokenError> {
        let mut url = ApiUrl::bare(&self.app.base_url, "/cgi-bin/token");
        url.query("grant_type", "client_credential").query("appid", &self.app.appid);
        url.secret_query("secret", self.app.secret.expose_secret());
        let (token, lifetime) =
            read_token(self.transport.send(self.app.request(Method::Get, url, Vec::new())).await)?;
        self.cache.store(&token, lifetime);
        Ok(token)
    }
}

impl<T: Transport> TokenSource for ClassicTokenSource<T> {
    async fn token(&self) -> Result<AccessToken, TokenError> {
        self.cache.get_or_fetch(|| self.fetch()).await
    }

    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, TokenError> {
        let _fetching = self.cache.fetching.lock().await;
        if let Some(token) = self.cache.fresh().filter(|token| token != rejected) {
            return Ok(token);
        }
        self.fetch().await
    }
}

/// A player's login session from `code2session`.
#[derive(Clone, Debug)]
pub struct Session {
    /// The player's openid.
    pub openid: String,
    /// The session key (signs `mp_sig`); it rotates when the player logs in again.
    pub session_key: SessionKey,
    /// The unionid, when the app is bound to an Open Platform account.
    pub unionid: Option<String>,
}

/// The login APIs: `code2session` and `checksession`.
#[derive(Debug)]
pub struct Sessions<T> {
    app: AppCredentials,
    transport: T,
}

impl<T: Transport> Sessions<T> {
    /// The login APIs of `app` over `transport`.
    pub fn new(app: AppCredentials, transport: T) -> Self {
        Self { app, transport }
    }

    /// `GET /sns/jscode2session`: exchanges a `wx.login` code for the player's openid and
    /// session key. Errors: 40029 [`ApiErrorKind::InvalidCode`], 40163 [`ApiErrorKind::CodeUsed`],
    /// 45011 [`ApiErrorKind::RateLimited`], -1 [`ApiErrorKind::Busy`].
    pub async fn code2session(&self, js_code: &str) -> Result<Session, Error> {
        if js_code.is_empty() {
            return Err(midas_core::ValidationError::new("js_code", midas_core::Rule::NotEmpty).into());
        }
        let mut url = ApiUrl::bare(&self.app.base_url, "/sns/jscode2session");
        url.query("appid", &self.app.appid);
        url.secret_query("secret", self.app.secret.expose_secret());
        url.query("js_code", js_code).query("grant_type", "authorization_code");
        let body = self.get("code2session", url).await?;
        #[derive(Deserialize)]
        struct Answer {
            openid: String,
            session_key: String,
            unionid: Option<String>,
        }
        let answer: Answer = serde_json::from_value(body)
            .map_err(|err| DecodeError::after_success("code2session", err.to_string()))?;
        let session_key = SessionKey::new(answer.session_key)
            .map_err(|_| DecodeError::after_success("code2session", "empty session_key"))?;
        Ok(Session { openid: answer.openid, session_key, unionid: answer.unionid })
    }

    /// `GET /wxa/checksession`: whether `session_key` is still the player's valid key
    /// (`signature` = HMAC-SHA256 keyed by it over the empty string). 87009 means no.
    pub async fn check_session_key(
        &self,
        token: &AccessToken,
        openid: &str,
        session_key: &SessionKey,
    ) -> Result<bool, Error> {
        let mut url = ApiUrl::new(&self.app.base_url, "/wxa/checksession", token);
        let signature = body_signed::signature(session_key, b"");
        url.query("signature", signature.as_str()).query("openid", openid).query("sig_method", "hmac_sha256");
        match self.get("checksession", url).await {
            Ok(_) => Ok(true),
            Err(Error::Api(api)) if api.errcode() == 87009 => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Sends a GET and returns the answer when its `errcode` is absent or 0.
    async fn get(&self, api: &'static str, url: ApiUrl) -> Result<serde_json::Value, Error> {
        let response = self.transport.send(self.app.request(Method::Get, url, Vec::new())).await?;
        if !(200..300).contains(&response.status) {
            return Err(TransportError::new(
                TransportErrorKind::Status(response.status),
                "HTTP error status",
            )
            .into());
        }
        let value: serde_json::Value = serde_json::from_slice(&response.body)
            .map_err(|err| DecodeError::new(api, format!("not JSON: {err}")))?;
        match value.get("errcode").and_then(serde_json::Value::as_i64) {
            Some(code) if code != 0 => {
                let errmsg = value.get("errmsg").and_then(serde_json::Value::as_str).unwrap_or_default();
                Err(ApiError::new(api, code, errmsg, ApiErrorKind::auth(code)).into())
            }
            _ => Ok(value),
        }
    }
}
