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
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use midas_core::{
    AccessToken, ApiError, ApiErrorKind, ApiUrl, AppSecret, DecodeError, Error, HttpRequest, Method,
    SessionKey, TokenError, Transport, TransportError, TransportErrorKind, ValidationError, body_signed,
    write_json_string,
};
use serde::Deserialize;
use tokio::time::Instant;

use crate::checks::{check_timeout, checked_base_url};
use crate::config::DEFAULT_BASE_URL;
use crate::token::TokenSource;

/// The app's credentials for the token and login APIs: AppID, AppSecret, base URL, timeout.
///
/// The base URL and the timeout are checked as [`Config`](crate::Config)'s are.
///
/// ```
/// use std::time::Duration;
/// use midas_api::{AppCredentials, AppSecret};
/// let app = AppCredentials::new("wx1234567", AppSecret::new("app-secret")?)
///     .with_base_url("http://127.0.0.1:8080")?
///     .with_timeout(Duration::from_secs(2))?;
/// let refused = AppCredentials::new("wx1234567", AppSecret::new("app-secret")?)
///     .with_base_url("https://user:password@api.example");
/// assert_eq!(refused.unwrap_err().field(), "base_url");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
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

    /// Another base URL (a local server in tests): `http://` or `https://`, a host, no
    /// `user:password@`, no query or fragment. Refused with a [`ValidationError`] on `base_url`.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Result<Self, ValidationError> {
        self.base_url = checked_base_url(&base_url.into())?;
        Ok(self)
    }

    /// Another per-request timeout, 1 ms to 5 min. Refused with a [`ValidationError`] on
    /// `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, ValidationError> {
        check_timeout(timeout)?;
        self.timeout = timeout;
        Ok(self)
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

/// The longest lifetime a token answer is believed: the API documents 7200 s, and a larger
/// `expires_in` (up to `u64::MAX`) must neither overflow a clock nor pin a token for years.
const MAX_TOKEN_LIFETIME: Duration = DAY;

/// Reads a token endpoint's answer: a token and its lifetime (at most a day), or a typed
/// [`TokenError`].
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
    Ok((token, Duration::from_secs(answer.expires_in).min(MAX_TOKEN_LIFETIME)))
}

/// A cached token and the instant it stops being used.
#[derive(Clone)]
struct Cached {
    token: AccessToken,
    fresh_until: Instant,
}

/// How long a failed fetch is answered from memory unless a token source says otherwise.
const DEFAULT_FAILURE_CACHE: Duration = Duration::from_secs(1);

/// The shared cache of both token sources: readers take the fast path; one fetch at a time
/// runs under `flight`, and callers that waited for it share its result, failure included.
struct Cache {
    current: RwLock<Option<Cached>>,
    flight: tokio::sync::Mutex<Flight>,
    /// Fetches ended so far: a caller that saw `n` before waiting shares a fetch numbered above.
    fetches: AtomicU64,
    margin: Duration,
    failure_cache: Duration,
}

/// What the one fetch at a time leaves behind for the callers after it.
#[derive(Default)]
struct Flight {
    forced: ForceLog,
    failure: Option<Failure>,
}

/// The last fetch, the `fetch`-th, failed: with this error, at this instant.
struct Failure {
    error: TokenError,
    fetch: u64,
    at: Instant,
}

impl Flight {
    /// The last fetch's error when it ended after the caller began waiting (having seen `seen`
    /// fetches end) or less than `failure_cache` ago: the caller shares it instead of fetching
    /// once more.
    fn shared_failure(&self, seen: u64, failure_cache: Duration) -> Result<(), TokenError> {
        match &self.failure {
            Some(failure)
                if failure.fetch > seen
                    || Instant::now().saturating_duration_since(failure.at) < failure_cache =>
            {
                Err(failure.error.clone())
            }
            _ => Ok(()),
        }
    }
}

impl Cache {
    fn new(margin: Duration) -> Self {
        Self {
            current: RwLock::new(None),
            flight: tokio::sync::Mutex::new(Flight::default()),
            fetches: AtomicU64::new(0),
            margin,
            failure_cache: DEFAULT_FAILURE_CACHE,
        }
    }

    fn fresh(&self) -> Option<AccessToken> {
        let current = self.current.read().ok()?;
        current
            .as_ref()
            .filter(|cached| Instant::now() < cached.fresh_until)
            .map(|cached| cached.token.clone())
    }

    /// How much longer `token` is used, when it is the cached one.
    fn remaining(&self, token: &AccessToken) -> Option<Duration> {
        let current = self.current.read().ok()?;
        current
            .as_ref()
            .filter(|cached| &cached.token == token)
            .map(|cached| cached.fresh_until.saturating_duration_since(Instant::now()))
    }

    /// The cached token while fresh; otherwise one `fetch` at a time, whose result, failure
    /// included, every caller that waited for it shares.
    async fn get_or_fetch<F>(&self, fetch: impl FnOnce() -> F) -> Result<AccessToken, TokenError>
    where
        F: Future<Output = Result<(AccessToken, Duration), TokenError>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.fetches.load(Ordering::Acquire);
        let mut flight = self.flight.lock().await;
        // Whoever held the lock before us may have fetched already.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        flight.shared_failure(seen, self.failure_cache)?;
        let fetched = fetch().await;
        self.settle(&mut flight, fetched)
    }

    /// A token other than `rejected`: the cached one when another caller replaced it already,
    /// else what `fetch` gives; `fetch` may refuse first (the forced-refresh limits).
    async fn refresh<F>(
        &self,
        rejected: &AccessToken,
        fetch: impl FnOnce(&mut ForceLog) -> Result<F, TokenError>,
    ) -> Result<AccessToken, TokenError>
    where
        F: Future<Output = Result<(AccessToken, Duration), TokenError>>,
    {
        let seen = self.fetches.load(Ordering::Acquire);
        let mut flight = self.flight.lock().await;
        if let Some(token) = self.fresh().filter(|token| token != rejected) {
            return Ok(token);
        }
        flight.shared_failure(seen, self.failure_cache)?;
        let fetched = fetch(&mut flight.forced)?.await;
        self.settle(&mut flight, fetched)
    }

    /// Keeps a fetched token, or the failure for the callers waiting behind this one.
    fn settle(
        &self,
        flight: &mut Flight,
        fetched: Result<(AccessToken, Duration), TokenError>,
    ) -> Result<AccessToken, TokenError> {
        // Under the lock: no other fetch ends meanwhile.
        let fetch = self.fetches.fetch_add(1, Ordering::AcqRel) + 1;
        match fetched {
            Ok((token, lifetime)) => {
                flight.failure = None;
                self.store(&token, lifetime);
                Ok(token)
            }
            Err(error) => {
                flight.failure = Some(Failure { error: error.clone(), fetch, at: Instant::now() });
                Err(error)
            }
        }
    }

    fn store(&self, token: &AccessToken, lifetime: Duration) {
        // Use a token until shortly before it runs out: 5 minutes, or half of a short lifetime.
        let margin = self.margin.min(lifetime / 2);
        let now = Instant::now();
        let fresh_until = now.checked_add(lifetime.saturating_sub(margin)).unwrap_or(now);
        if let Ok(mut current) = self.current.write() {
            *current = Some(Cached { token: token.clone(), fresh_until });
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
    /// Records a forced refresh at `now`, or refuses it when it would break a limit.
    fn allow(&mut self, now: Instant) -> Result<(), TokenError> {
        while self.forced.front().is_some_and(|at| now.saturating_duration_since(*at) >= DAY) {
            self.forced.pop_front();
        }
        if let Some(last) = self.forced.back() {
            let since = now.saturating_duration_since(*last);
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
        self.forced.push_back(now);
        Ok(())
    }
}

/// Tokens from `POST /cgi-bin/stable_token`, cached until 5 minutes before they expire (an
/// `expires_in` above a day is read as a day), one fetch at a time however many callers wait; a
/// refused token is force-refreshed within the documented limits (once per 30 s, 20 a day).
///
/// A failed fetch is shared too: the callers that waited for it get its error, and so does
/// every caller for a short while after (1 s; see [`Self::with_failure_cache`]), so a failing
/// endpoint is not asked once per caller.
///
/// Against the `stable_token` of a local emulator (in production, leave out `with_base_url`):
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{AppCredentials, ReqwestTransport, StableTokenSource, TokenSource};
/// let emulator = midas_emulator::Emulator::start().await?;
/// let app = AppCredentials::new(emulator.appid(), emulator.app_secret().clone())
///     .with_base_url(emulator.base_url())?;
/// let tokens = StableTokenSource::new(app, ReqwestTransport::new()?);
/// let token = tokens.token().await?;
/// assert_eq!(token, emulator.access_token());
/// assert_eq!(tokens.token().await?, token);
/// assert_eq!(emulator.token_requests().stable, 1, "the second call was served from the cache");
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

    /// How long a failed fetch is answered from memory (default 1 s). Callers that were waiting
    /// for the fetch share its error however short this is; `Duration::ZERO` makes the next
    /// caller after them fetch again.
    ///
    /// ```
    /// use std::time::Duration;
    /// use midas_api::{AppCredentials, AppSecret, ReqwestTransport, StableTokenSource};
    /// let app = AppCredentials::new("wx1234567", AppSecret::new("app-secret")?);
    /// let tokens = StableTokenSource::new(app, ReqwestTransport::new()?)
    ///     .with_failure_cache(Duration::from_millis(200));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_failure_cache(mut self, failure_cache: Duration) -> Self {
        self.cache.failure_cache = failure_cache;
        self
    }

    async fn fetch(&self, force_refresh: bool) -> Result<(AccessToken, Duration), TokenError> {
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
        let fetched = read_token(self.transport.send(self.app.request(Method::Post, url, body)).await);
        crate::metrics::token_fetched("stable", force_refresh, fetched.is_ok());
        fetched
    }
}

impl<T: Transport> TokenSource for StableTokenSource<T> {
    async fn token(&self) -> Result<AccessToken, TokenError> {
        self.cache.get_or_fetch(|| self.fetch(false)).await
    }

    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, TokenError> {
        self.cache
            .refresh(rejected, |forced| {
                forced.allow(Instant::now())?;
                Ok(self.fetch(true))
            })
            .await
    }

    async fn token_with_lifetime(&self) -> Result<(AccessToken, Option<Duration>), TokenError> {
        let token = self.token().await?;
        let remaining = self.cache.remaining(&token);
        Ok((token, remaining))
    }

    async fn refresh_with_lifetime(
        &self,
        rejected: &AccessToken,
    ) -> Result<(AccessToken, Option<Duration>), TokenError> {
        let token = self.refresh(rejected).await?;
        let remaining = self.cache.remaining(&token);
        Ok((token, remaining))
    }
}

/// Tokens from `GET /cgi-bin/token`, cached and shared like [`StableTokenSource`], failures
/// included.
///
/// **Trap:** each fetch invalidates the token every other server of the app holds. Run one
/// per app, in one place, or prefer [`StableTokenSource`].
///
/// Against the `token` API of a local emulator, which shows the trap: a refresh replaces the
/// token for everyone.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{AppCredentials, ClassicTokenSource, ReqwestTransport, TokenSource};
/// let emulator = midas_emulator::Emulator::start().await?;
/// let app = AppCredentials::new(emulator.appid(), emulator.app_secret().clone())
///     .with_base_url(emulator.base_url())?;
/// let tokens = ClassicTokenSource::new(app, ReqwestTransport::new()?);
/// let first = tokens.token().await?;
/// let second = tokens.refresh(&first).await?;
/// assert_ne!(first, second, "every fetch issues a new token; `first` is now invalid");
/// assert_eq!(emulator.token_requests().classic, 2);
/// # Ok(()) }
/// ```
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

    /// How long a failed fetch is answered from memory (default 1 s), as
    /// [`StableTokenSource::with_failure_cache`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use midas_api::{AppCredentials, AppSecret, ClassicTokenSource, ReqwestTransport};
    /// let app = AppCredentials::new("wx1234567", AppSecret::new("app-secret")?);
    /// let tokens = ClassicTokenSource::new(app, ReqwestTransport::new()?)
    ///     .with_failure_cache(Duration::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_failure_cache(mut self, failure_cache: Duration) -> Self {
        self.cache.failure_cache = failure_cache;
        self
    }

    async fn fetch(&self) -> Result<(AccessToken, Duration), TokenError> {
        let mut url = ApiUrl::bare(&self.app.base_url, "/cgi-bin/token");
        url.query("grant_type", "client_credential").query("appid", &self.app.appid);
        url.secret_query("secret", self.app.secret.expose_secret());
        let fetched = read_token(self.transport.send(self.app.request(Method::Get, url, Vec::new())).await);
        crate::metrics::token_fetched("classic", false, fetched.is_ok());
        fetched
    }
}

impl<T: Transport> TokenSource for ClassicTokenSource<T> {
    async fn token(&self) -> Result<AccessToken, TokenError> {
        self.cache.get_or_fetch(|| self.fetch()).await
    }

    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, TokenError> {
        self.cache.refresh(rejected, |_| Ok(self.fetch())).await
    }

    async fn token_with_lifetime(&self) -> Result<(AccessToken, Option<Duration>), TokenError> {
        let token = self.token().await?;
        let remaining = self.cache.remaining(&token);
        Ok((token, remaining))
    }

    async fn refresh_with_lifetime(
        &self,
        rejected: &AccessToken,
    ) -> Result<(AccessToken, Option<Duration>), TokenError> {
        let token = self.refresh(rejected).await?;
        let remaining = self.cache.remaining(&token);
        Ok((token, remaining))
    }
}

/// A player's login session from [`Sessions::code2session`] (an example is at [`Sessions`]).
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
///
/// Against a local emulator, with a code as `wx.login` would hand it to the game:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{ApiErrorKind, AppCredentials, ReqwestTransport, Sessions};
/// let emulator = midas_emulator::Emulator::start().await?;
/// let app = AppCredentials::new(emulator.appid(), emulator.app_secret().clone())
///     .with_base_url(emulator.base_url())?;
/// let sessions = Sessions::new(app, ReqwestTransport::new()?);
/// let code = emulator.issue_login_code("player-1");
/// let session = sessions.code2session(&code).await?;
/// assert_eq!(session.openid, "player-1");
/// let token = emulator.access_token();
/// assert!(sessions.check_session_key(&token, "player-1", &session.session_key).await?);
/// let used = sessions.code2session(&code).await.expect_err("a code is single-use");
/// assert_eq!(used.as_api().map(|api| api.kind()), Some(ApiErrorKind::CodeUsed));
/// # Ok(()) }
/// ```
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
