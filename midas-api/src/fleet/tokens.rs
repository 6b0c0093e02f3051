//! The access token shared by the fleet: cached in Redis under the AppID with the lifetime the
//! inner source gives it, fetched by one instance at a time under the fetch lock, refreshed
//! once fleet-wide when refused, within the fleet's forced-refresh budget.

use std::sync::Arc;
use std::time::Duration;

use midas_core::{AccessToken, TokenError, ValidationError};
use tokio::time::Instant;

use super::budget;
use super::error::token_error;
use super::lock::{self, millis};
use super::store::Fleet;
use crate::checks::check_duration;
use crate::clock::{Clock, SystemClock};
use crate::token::TokenSource;

/// The first pause of an instance waiting for another one's fetch; it doubles up to the next.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_millis(200);

/// The access token of one app, shared by every instance of the fleet through Redis, in front
/// of `S`, the source that really fetches (a [`StableTokenSource`](crate::StableTokenSource)
/// or a [`ClassicTokenSource`](crate::ClassicTokenSource)).
///
/// - The token is cached under `{prefix}:{appid}:token` for as long as the inner source says
///   it stays usable ([`TokenSource::token_with_lifetime`]; 5 minutes when it does not say).
/// - When it runs out, one instance fetches for the whole fleet: it takes the lock
///   `{prefix}:{appid}:token:lock` (`SET NX PX`, 10 s by default), fetches, stores and frees the
///   lock; the others poll Redis with a growing pause (10 ms to 200 ms) for at most twice the
///   lock's TTL. A holder that dies frees the fleet after the TTL. The classic token, whose
///   every fetch knocks out the previous one, is thus fetched once per expiry, not once per
///   instance.
/// - A refused token ([`TokenSource::refresh`]) is replaced once fleet-wide: when the cached
///   token already differs from the refused one, that is the answer; else one instance
///   refreshes, within the budget of the whole fleet (once per 30 s, 20 a day, counted in
///   `{prefix}:{appid}:token:forced` on [`Self::with_clock`]'s clock). A refresh the budget
///   refuses is a [`TokenError`] saying which limit; the 30-s one is retryable.
/// - **Redis down:** every call fails within the fleet's timeout with a retryable
///   [`TokenError`] (`"fleet token store: Redis is unavailable: …"`); nothing is fetched
///   outside the fleet's count.
///
/// Every call reads Redis once (a `GET`); only a missing or refused token takes the slow path,
/// which one caller per process walks at a time.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{AppCredentials, AppSecret, Fleet, FleetOptions, FleetTokenSource, ReqwestTransport, StableTokenSource, TokenSource};
/// let fleet = Fleet::connect("redis://127.0.0.1:6379/", FleetOptions::default()).await?;
/// let app = AppCredentials::new("wx1234567", AppSecret::new("app-secret")?);
/// let tokens = FleetTokenSource::new(fleet, "wx1234567", StableTokenSource::new(app, ReqwestTransport::new()?));
/// let token = tokens.token().await?;
/// assert_eq!(format!("{tokens:?}").contains(token.expose_secret()), false);
/// # Ok(()) }
/// ```
pub struct FleetTokenSource<S> {
    fleet: Fleet,
    inner: S,
    token_key: String,
    lock_key: String,
    budget_key: String,
    lock_ttl: Duration,
    unknown_lifetime: Duration,
    clock: Arc<dyn Clock>,
    /// One caller per process goes to the slow path at a time; the others find its result.
    gate: tokio::sync::Mutex<()>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for FleetTokenSource<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetTokenSource")
            .field("fleet", &self.fleet)
            .field("token_key", &self.token_key)
            .field("lock_ttl", &self.lock_ttl)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// What the slow path is after.
#[derive(Clone, Copy)]
enum Want<'a> {
    /// Any token.
    Any,
    /// A token other than this refused one.
    Replacing(&'a AccessToken),
}

impl Want<'_> {
    fn accepts(self, token: &AccessToken) -> bool {
        match self {
            Self::Any => true,
            Self::Replacing(rejected) => token != rejected,
        }
    }
}

impl<S: TokenSource> FleetTokenSource<S> {
    /// The shared token of `appid`, fetched through `inner` by one instance at a time.
    pub fn new(fleet: Fleet, appid: &str, inner: S) -> Self {
        Self {
            token_key: fleet.key(appid, "token"),
            lock_key: fleet.key(appid, "token:lock"),
            budget_key: fleet.key(appid, "token:forced"),
            fleet,
            inner,
            lock_ttl: Duration::from_secs(10),
            unknown_lifetime: Duration::from_secs(300),
            clock: Arc::new(SystemClock),
            gate: tokio::sync::Mutex::new(()),
        }
    }

    /// How long the fetch lock lasts (default 10 s, 100 ms to 5 min): longer than the inner
    /// source's fetch takes (its fetch is abandoned after it), short enough that a holder
    /// that died does not stall the fleet for long. Refused with a [`ValidationError`] on
    /// `lock_ttl`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use midas_api::{AccessToken, Fleet, FleetOptions, FleetTokenSource, StaticToken};
    /// let fleet = Fleet::connect("redis://127.0.0.1:6379/", FleetOptions::default()).await?;
    /// let tokens = FleetTokenSource::new(fleet, "wx1234567", StaticToken::new(AccessToken::new("T")?))
    ///     .with_lock_ttl(Duration::from_secs(3))?;
    /// # Ok(()) }
    /// ```
    pub fn with_lock_ttl(mut self, lock_ttl: Duration) -> Result<Self, ValidationError> {
        check_duration("lock_ttl", lock_ttl, Duration::from_millis(100), Duration::from_secs(300))?;
        self.lock_ttl = lock_ttl;
        Ok(self)
    }

    /// How long a token is shared when the inner source does not say how long it lasts
    /// (default 5 min, 1 s to 2 h). Refused with a [`ValidationError`] on `unknown_lifetime`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use midas_api::{AccessToken, Fleet, FleetOptions, FleetTokenSource, StaticToken};
    /// let fleet = Fleet::connect("redis://127.0.0.1:6379/", FleetOptions::default()).await?;
    /// // A token pushed by a central service: re-read it from there every minute.
    /// let tokens = FleetTokenSource::new(fleet, "wx1234567", StaticToken::new(AccessToken::new("T")?))
    ///     .with_unknown_lifetime(Duration::from_secs(60))?;
    /// # Ok(()) }
    /// ```
    pub fn with_unknown_lifetime(mut self, lifetime: Duration) -> Result<Self, ValidationError> {
        check_duration("unknown_lifetime", lifetime, Duration::from_secs(1), Duration::from_secs(7200))?;
        self.unknown_lifetime = lifetime;
        Ok(self)
    }

    /// Another clock for the forced-refresh budget (default the system clock); every instance
    /// of the fleet should read the same time.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{AccessToken, Fleet, FleetOptions, FleetTokenSource, StaticToken, SystemClock};
    /// let fleet = Fleet::connect("redis://127.0.0.1:6379/", FleetOptions::default()).await?;
    /// let tokens = FleetTokenSource::new(fleet, "wx1234567", StaticToken::new(AccessToken::new("T")?))
    ///     .with_clock(SystemClock);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The shared token, if one is cached.
    async fn cached(&self) -> Result<Option<AccessToken>, TokenError> {
        let text: Option<String> =
            self.fleet.run(redis::cmd("GET").arg(&self.token_key)).await.map_err(token_error)?;
        Ok(text.and_then(|text| AccessToken::new(text).ok()))
    }

    /// A token `want` accepts: from the cache, or fetched by whichever instance takes the lock
    /// (this one or another, whose result this one waits for).
    async fn shared(&self, want: Want<'_>) -> Result<AccessToken, TokenError> {
        let _gate = self.gate.lock().await;
        let give_up = Instant::now() + self.lock_ttl.saturating_mul(2);
        let mut pause = FIRST_PAUSE;
        loop {
            if let Some(token) = self.cached().await?.filter(|token| want.accepts(token)) {
                return Ok(token);
            }
            if let Some(held) =
                lock::try_acquire(&self.fleet, &self.lock_key, self.lock_ttl).await.map_err(token_error)?
            {
                // The last holder may have stored a token between our read and our lock.
                if let Some(token) = self.cached().await?.filter(|token| want.accepts(token)) {
                    release(held).await;
                    return Ok(token);
                }
                return match self.fetch(want).await {
                    Ok((token, lifetime)) => {
                        let lifetime = lifetime.unwrap_or(self.unknown_lifetime);
                        // The token is good either way: this caller gets it even if the fleet does not.
                        match held.store_and_release(&self.token_key, token.expose_secret(), lifetime).await {
                            Ok(true) => {}
                            Ok(false) => tracing::warn!(
                                lock_ttl_ms = millis(self.lock_ttl),
                                "the fetch outlived the fleet's lock; its token was not shared"
                            ),
                            Err(error) => tracing::warn!(%error, "the fetched token was not shared"),
                        }
                        Ok(token)
                    }
                    Err(error) => {
                        release(held).await;
                        Err(error)
                    }
                };
            }
            let now = Instant::now();
            if now >= give_up {
                return Err(TokenError::new(
                    None,
                    "another instance of the fleet is fetching the token and has not finished in time",
                    true,
                ));
            }
            tokio::time::sleep(pause.min(give_up - now)).await;
            pause = pause.saturating_mul(2).min(LONGEST_PAUSE);
        }
    }

    /// Under the lock: the inner source's token, or its replacement within the budget; given up
    /// when the lock would run out first.
    async fn fetch(&self, want: Want<'_>) -> Result<(AccessToken, Option<Duration>), TokenError> {
        let fetched = match want {
            Want::Any => tokio::time::timeout(self.lock_ttl, self.inner.token_with_lifetime()).await,
            Want::Replacing(rejected) => {
                budget::take(&self.fleet, &self.budget_key, self.clock.now_unix(), &lock::unique_value())
                    .await?;
                tokio::time::timeout(self.lock_ttl, self.inner.refresh_with_lifetime(rejected)).await
            }
        };
        fetched.map_err(|_| {
            TokenError::new(None, "the token fetch took longer than the fleet's lock lasts", true)
        })?
    }
}

/// Frees the lock; when Redis does not answer, the lock frees itself after its TTL, and the
/// caller's answer does not change for it.
async fn release(held: lock::Held) {
    if let Err(error) = held.release().await {
        tracing::warn!(%error, "the fleet's fetch lock was not released; it frees itself after its TTL");
    }
}

impl<S: TokenSource> TokenSource for FleetTokenSource<S> {
    async fn token(&self) -> Result<AccessToken, TokenError> {
        match self.cached().await? {
            Some(token) => Ok(token),
            None => self.shared(Want::Any).await,
        }
    }

    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, TokenError> {
        match self.cached().await?.filter(|token| token != rejected) {
            Some(token) => Ok(token),
            None => self.shared(Want::Replacing(rejected)).await,
        }
    }
}
