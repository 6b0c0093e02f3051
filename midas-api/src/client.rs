//! The client: one per app, shared across tasks.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use midas_core::{
    AccessToken, ApiErrorKind, ApiUrl, AppKey, CallContext, Error, HttpRequest, HttpResponse, Method,
    MidasRequest, Scheme, TokenError, Transport, TransportError, TransportErrorKind,
};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::erased::{AnyResponse, DynRequest, downcast};
use crate::player::Player;
use crate::retry::{self, Decision};
use crate::token::TokenSource;
use crate::v1::{
    CancelPay, CancelPayResponse, GetBalance, GetBalanceResponse, Pay, PayResponse, Present, PresentResponse,
};

/// Sends Midas calls: validates, signs, sends through its [`Transport`], decodes, and retries
/// by its [`RetryPolicy`](crate::RetryPolicy) with the same `bill_no` on every attempt.
///
/// Cloning is cheap (an `Arc`); a client is `Send + Sync` and meant to be shared.
///
/// A gift of 10 coins against the in-process Midas server of `midas-emulator`:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{Client, Config, Env, Player, Present, SessionKey, StaticToken};
/// use midas_emulator::Emulator;
///
/// let emulator = Emulator::start().await?;
/// emulator.add_player("player-1", SessionKey::new("session-key-1")?, 100);
/// let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
///     .sandbox_key(emulator.sandbox_key().clone())
///     .base_url(emulator.base_url())
///     .build()?;
/// let client = Client::new(config, StaticToken::new(emulator.access_token()))?;
/// let gift = Present { bill_no: "gift-0001".into(), present_counts: 10 };
/// assert_eq!(client.present(&Player::new("player-1"), gift).await?.balance, 110);
/// # Ok(()) }
/// ```
pub struct Client<T, K> {
    inner: Arc<Inner<T, K>>,
    engine: Engine,
}

struct Inner<T, K> {
    config: Config,
    transport: T,
    tokens: K,
}

impl<T, K> Clone for Client<T, K> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner), engine: self.engine.clone() }
    }
}

/// A boxed future of the erased backend.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the call path needs of a client's transport and token source, object-safe: the path
/// (retries, the journal, lookups, metrics, spans) is compiled once, in this crate, for every
/// transport and token source, instead of once per client type in every crate that calls.
trait Backend: Send + Sync {
    fn config(&self) -> &Config;
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>>;
    fn refresh<'a>(&'a self, rejected: &'a AccessToken) -> BoxFuture<'a, Result<AccessToken, TokenError>>;
}

impl<T: Transport, K: TokenSource> Backend for Inner<T, K> {
    fn config(&self) -> &Config {
        &self.config
    }

    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.transport.send(request))
    }

    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(self.tokens.token())
    }

    fn refresh<'a>(&'a self, rejected: &'a AccessToken) -> BoxFuture<'a, Result<AccessToken, TokenError>> {
        Box::pin(self.tokens.refresh(rejected))
    }
}

/// The client's call path, with its transport and token source erased.
#[derive(Clone)]
struct Engine {
    backend: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    #[cfg(feature = "journal")]
    journal: Option<midas_journal::Journal>,
}

impl<T, K> std::fmt::Debug for Client<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

#[cfg(feature = "reqwest")]
impl<K: TokenSource + 'static> Client<crate::ReqwestTransport, K> {
    /// A client that sends over HTTPS with reqwest.
    ///
    /// A production client whose tokens come from `stable_token` (nothing is fetched until the
    /// first call):
    ///
    /// ```
    /// use midas_api::{AppCredentials, AppKey, AppSecret, Client, Config, Env};
    /// use midas_api::{ReqwestTransport, StableTokenSource};
    /// let config = Config::builder("wx1234567", "12345678", Env::Production)
    ///     .production_key(AppKey::new("production-app-key")?)
    ///     .build()?;
    /// let app = AppCredentials::new("wx1234567", AppSecret::new("app-secret")?);
    /// let client = Client::new(config, StableTokenSource::new(app, ReqwestTransport::new()?))?;
    /// assert_eq!(client.config().env(), Env::Production);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: Config, tokens: K) -> Result<Self, Error> {
        Ok(Self::with_transport(config, tokens, crate::ReqwestTransport::new()?))
    }
}

impl<T: Transport, K: TokenSource> Client<T, K> {
    /// A client over any [`Transport`]: here an in-memory one, as tests use, that answers every
    /// request with one canned body.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{AccessToken, AppKey, Client, Config, Env, Player, StaticToken};
    /// use midas_api::{HttpRequest, HttpResponse, Transport, TransportError};
    ///
    /// struct Canned(&'static str);
    /// impl Transport for Canned {
    ///     async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
    ///         Ok(HttpResponse { status: 200, body: self.0.as_bytes().to_vec() })
    ///     }
    /// }
    ///
    /// let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
    ///     .sandbox_key(AppKey::new("sandbox-key")?)
    ///     .build()?;
    /// let answer = r#"{"errcode":0,"balance":100,"gen_balance":20,"first_save":0,"save_amt":80,
    ///     "save_sum":80,"cost_sum":0,"present_sum":20}"#;
    /// let tokens = StaticToken::new(AccessToken::new("TOKEN")?);
    /// let client = Client::with_transport(config, tokens, Canned(answer));
    /// let balance = client.get_balance(&Player::new("player-1")).await?;
    /// assert_eq!((balance.balance, balance.gen_balance), (100, 20));
    /// # Ok(()) }
    /// ```
    pub fn with_transport(config: Config, tokens: K, transport: T) -> Self
    where
        T: 'static,
        K: 'static,
    {
        let inner = Arc::new(Inner { config, transport, tokens });
        let engine = Engine {
            backend: Arc::clone(&inner) as Arc<dyn Backend>,
            clock: Arc::new(SystemClock),
            #[cfg(feature = "journal")]
            journal: None,
        };
        Self { inner, engine }
    }

    /// Replaces the clock that stamps `ts` (tests use [`FixedClock`](crate::FixedClock)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{AccessToken, AppKey, Client, Config, Env, FixedClock, GetBalance, Player};
    /// use midas_api::StaticToken;
    /// let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
    ///     .sandbox_key(AppKey::new("sandbox-key")?)
    ///     .build()?;
    /// let client = Client::new(config, StaticToken::new(AccessToken::new("TOKEN")?))?
    ///     .with_clock(FixedClock(1_507_530_737));
    /// let dry_run = client.prepare(&Player::new("player-1"), &GetBalance {}).await?;
    /// assert!(String::from_utf8(dry_run.body)?.contains(r#""ts":1507530737"#));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.engine.clock = Arc::new(clock);
        self
    }

    /// Journals every money call (every request with an order id): the intent is committed
    /// before the first attempt, the outcome after the last; a call whose intent cannot be
    /// journaled is not sent ([`JournalFailureKind::Unavailable`](crate::JournalFailureKind)).
    /// An order id recorded for another order is refused before sending; the same order
    /// again returns its recorded outcome, or is sent again while it is undecided. Keep the
    /// journal's lease above the retry policy's deadline.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{Client, Config, Env, Error, Journal, JournalFailureKind, Player, Present, SessionKey, StaticToken};
    /// # let emulator = midas_emulator::Emulator::start().await?;
    /// # emulator.add_player("player-1", SessionKey::new("session-key-1")?, 100);
    /// # let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
    /// #     .sandbox_key(emulator.sandbox_key().clone())
    /// #     .base_url(emulator.base_url())
    /// #     .build()?;
    /// let client = Client::new(config, StaticToken::new(emulator.access_token()))?
    ///     .with_journal(Journal::in_memory().await?);
    /// let player = Player::new("player-1");
    /// let gift = Present { bill_no: "gift-0001".into(), present_counts: 10 };
    /// assert_eq!(client.present(&player, gift.clone()).await?.balance, 110);
    /// // The same order again: the recorded answer, nothing sent.
    /// assert_eq!(client.present(&player, gift).await?.balance, 110);
    /// assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(110));
    /// // The same order id for another gift: refused before sending.
    /// let other = Present { bill_no: "gift-0001".into(), present_counts: 99 };
    /// let refused = client.present(&player, other).await;
    /// assert!(matches!(refused, Err(Error::Journal(f)) if f.kind() == JournalFailureKind::OrderIdReused));
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "journal")]
    #[must_use]
    pub fn with_journal(mut self, journal: midas_journal::Journal) -> Self {
        self.engine.journal = Some(journal);
        self
    }

    /// The journal, when the client has one.
    #[cfg(feature = "journal")]
    pub fn journal(&self) -> Option<&midas_journal::Journal> {
        self.engine.journal.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// `midas.getBalance`: the player's balance and totals.
    pub async fn get_balance(&self, player: &Player) -> Result<GetBalanceResponse, Error> {
        self.call(player, &GetBalance {}).await
    }

    /// `midas.pay`: deducts `request.amt` coins. Retries keep `request.bill_no`, so the
    /// deduction happens at most once.
    pub async fn pay(&self, player: &Player, request: Pay) -> Result<PayResponse, Error> {
        self.call(player, &request).await
    }

    /// `midas.cancelPay`: cancels the deduction `request.bill_no`. "Order in progress"
    /// (90016) is retried later with the same `bill_no`.
    pub async fn cancel_pay(&self, player: &Player, request: CancelPay) -> Result<CancelPayResponse, Error> {
        self.call(player, &request).await
    }

    /// `midas.present`: gifts `request.present_counts` coins to `player`.
    pub async fn present(&self, player: &Player, request: Present) -> Result<PresentResponse, Error> {
        self.call(player, &request).await
    }

    /// Sends any request declared with `#[midas_api]`, whatever its generation.
    ///
    /// Validation runs first; a refused value returns its [`ValidationError`](crate::ValidationError)
    /// and nothing is sent, not even a token fetch. Each attempt is stamped, signed by the
    /// request's scheme and sent. Failures that leave the outcome open (busy, timeouts,
    /// dropped connections, 5xx, unreadable bodies) are sent again with the same request and
    /// order id, re-stamped and re-signed; a refused token is refreshed once. "This operation
    /// already succeeded" after such an attempt is reported as [`Error::AlreadyProcessed`]
    /// once the order is confirmed where the generation can look it up.
    ///
    /// One player's balance read through Midas 1.0 and Midas 2.0, and a refused pay that never
    /// leaves the process:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{Client, Config, Env, Error, GetBalance, Pay, Player, SessionKey, StaticToken, v2};
    /// # let emulator = midas_emulator::Emulator::start().await?;
    /// # let session_key = SessionKey::new("session-key-1")?;
    /// # emulator.add_player("player-1", session_key.clone(), 100);
    /// # let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
    /// #     .sandbox_key(emulator.sandbox_key().clone())
    /// #     .payment_sandbox_key(emulator.payment_sandbox_key().clone())
    /// #     .base_url(emulator.base_url())
    /// #     .build()?;
    /// # let client = Client::new(config, StaticToken::new(emulator.access_token()))?;
    /// // `client` talks to a local emulator, as in the example of `Client`.
    /// let player = Player::new("player-1").with_session_key(session_key);
    /// let v1 = client.call(&player, &GetBalance {}).await?;
    /// let v2 = client.call(&player, &v2::GetBalance::default()).await?;
    /// assert_eq!((v1.balance, v2.balance), (100, 100));
    ///
    /// let nothing = Pay { amt: 0, bill_no: "order-0001".into(), pay_item: None, app_remark: None };
    /// let refused = client.call(&player, &nothing).await;
    /// assert!(matches!(refused, Err(Error::Validation(error)) if error.field() == "amt"));
    /// assert_eq!(emulator.requests(), 2, "the refused pay was not sent");
    /// # Ok(()) }
    /// ```
    pub async fn call<R>(&self, player: &Player, request: &R) -> Result<R::Response, Error>
    where
        R: MidasRequest + Sync,
    {
        // The path below is compiled once, for every request type: only this line is per type.
        downcast(R::API, self.engine.call_boxed(player, request, false).await?)
    }

    /// [`Self::call`] of a journal entry the caller (a reconciler) leased: its own lease does
    /// not hold the call back.
    #[cfg(feature = "journal")]
    pub(crate) async fn call_leased<R>(&self, player: &Player, request: &R) -> Result<R::Response, Error>
    where
        R: MidasRequest + Sync,
    {
        downcast(R::API, self.engine.call_boxed(player, request, true).await?)
    }

    /// What [`Self::call`] would send for `request` now: the HTTP request with its URL (the
    /// token shown as `***` in `Display` and `Debug`) and its body, signed — a dry run, nothing
    /// is sent. The token comes from the client's token source.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_api::{AccessToken, AppKey, Client, Config, Env, Player, Present, StaticToken};
    /// let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
    ///     .sandbox_key(AppKey::new("sandbox-key")?)
    ///     .build()?;
    /// let client = Client::new(config, StaticToken::new(AccessToken::new("ACCESS_TOKEN")?))?;
    /// let request = Present { bill_no: "gift-0001".into(), present_counts: 10 };
    /// let dry_run = client.prepare(&Player::new("odkx20ENSNa2w5y3g_qOkOvBNM1g"), &request).await?;
    /// let shown = dry_run.to_string();
    /// let url = "https://api.weixin.qq.com/cgi-bin/midas/sandbox/present?access_token=***";
    /// assert!(shown.starts_with(&format!("POST {url} {{")));
    /// assert!(shown.contains(r#""present_counts":10"#) && shown.contains(r#""sig":""#));
    /// # Ok(()) }
    /// ```
    pub async fn prepare<R: MidasRequest>(&self, player: &Player, request: &R) -> Result<DryRun, Error> {
        let app_key = self.inner.config.key(R::SCHEME)?;
        midas_core::validate(request, &self.engine.context(player, app_key, None, 0))?;
        let token = self.inner.tokens.token().await?;
        let context = self.engine.context(player, app_key, Some(&token), self.engine.clock.now_unix());
        let prepared = midas_core::prepare(request, &context)?;
        Ok(DryRun { url: prepared.url(&self.inner.config.base_url, &token), body: prepared.body })
    }
}

impl Engine {
    /// [`Self::call_measured`], boxed. Not generic and not `async`, so this crate compiles the
    /// whole call path; a typed call in another crate only polls the box.
    fn call_boxed<'a>(
        &'a self,
        player: &'a Player,
        request: &'a dyn DynRequest,
        leased: bool,
    ) -> BoxFuture<'a, Result<AnyResponse, Error>> {
        Box::pin(self.call_measured(player, request, leased))
    }

    /// A call in its `midas_call` span, counted in the metrics.
    async fn call_measured(
        &self,
        player: &Player,
        request: &dyn DynRequest,
        leased: bool,
    ) -> Result<AnyResponse, Error> {
        use tracing::Instrument as _;
        let started = Instant::now();
        let (api, scheme) = (request.api(), request.scheme());
        let span = tracing::debug_span!(
            "midas_call",
            api,
            generation = scheme.as_str(),
            order_id = request.order_id().unwrap_or_default()
        );
        let result = self.call_unmeasured(player, request, leased).instrument(span).await;
        crate::metrics::call_finished(api, scheme, self.backend.config().env, &result, started.elapsed());
        result
    }

    /// [`Self::call`] without its metrics and span; `leased`: see `call_leased`.
    async fn call_unmeasured(
        &self,
        player: &Player,
        request: &dyn DynRequest,
        leased: bool,
    ) -> Result<AnyResponse, Error> {
        let app_key = self.backend.config().key(request.scheme())?;
        // Refuse bad input before anything leaves the process, a token fetch included.
        request.validate(&self.context(player, app_key, None, 0))?;
        #[cfg(feature = "journal")]
        if let (Some(journal), Some(order_id)) = (self.journal.as_ref(), request.order_id()) {
            return self.call_journaled(journal, player, request, app_key, order_id, leased).await;
        }
        let _ = leased;
        self.drive(
            request.api(),
            request.scheme(),
            request.order_id(),
            false,
            |token, remaining| async move { self.attempt(player, request, app_key, &token, remaining).await },
            |token, remaining| async move { self.look_up(player, request, app_key, &token, remaining).await },
        )
        .await
    }

    /// [`Self::call`] of a money call with a journal: intent, attempts, outcome.
    #[cfg(feature = "journal")]
    async fn call_journaled(
        &self,
        journal: &midas_journal::Journal,
        player: &Player,
        request: &dyn DynRequest,
        app_key: &AppKey,
        order_id: &str,
        leased: bool,
    ) -> Result<AnyResponse, Error> {
        use crate::journaled;
        let api = request.api();
        let env = self.backend.config().env.as_str();
        let intent = journaled::intent(request, player, self.backend.config().env, order_id);
        let journal_key = intent.order_id.as_str();
        // An order resumed after a crash or exhausted retries may have been applied already.
        let begun = if leased { journal.begin_leased(&intent).await } else { journal.begin(&intent).await };
        let resumed = match begun {
            Ok(midas_journal::Begin::New) => false,
            Ok(midas_journal::Begin::Decided(entry)) => return journaled::replay(request, &entry),
            Ok(_) => true,
            Err(error) => return Err(journaled::refusal(api, order_id, &error)),
        };
        let first = std::sync::atomic::AtomicBool::new(true);
        let result = self
            .drive(
                api,
                request.scheme(),
                Some(order_id),
                resumed,
                |token, remaining| {
                    let retry = !first.swap(false, std::sync::atomic::Ordering::Relaxed);
                    async move {
                        if retry {
                            // A lost count only understates attempts; the call goes on.
                            if let Err(error) = journal.attempt(env, journal_key).await {
                                tracing::warn!(api, %error, "the journal did not count an attempt");
                            }
                        }
                        self.attempt_with_body(player, request, app_key, &token, remaining).await
                    }
                },
                |token, remaining| async move { self.look_up(player, request, app_key, &token, remaining).await },
            )
            .await;
        let outcome = journaled::outcome(&result);
        // A refusal is committed before the caller hears of it: lost, the reconciler would send
        // the order again. An applied or unknown outcome lost in a crash leaves the entry
        // pending, and the reconciler establishes it from Midas: it need not wait for the sync.
        let recorded = match outcome.state() {
            midas_journal::State::Applied | midas_journal::State::Unknown => {
                journal.record_soon(env, journal_key, &outcome).await
            }
            _ => journal.record(env, journal_key, &outcome).await.map(drop),
        };
        match (recorded, result) {
            (Ok(_), result) => result.map(|(response, _)| response),
            (Err(error), Ok((response, _))) => {
                // Applied: the entry stays pending and a reconciler confirms it.
                tracing::warn!(api, order_id, %error, "the journal did not record an applied call");
                Ok(response)
            }
            (Err(error), Err(last)) => Err(midas_core::JournalFailure::new(
                midas_core::JournalFailureKind::OutcomeNotRecorded,
                api,
                order_id,
                format!("{error}; the call ended with: {last}"),
            )
            .into()),
        }
    }

    /// Runs attempts under the retry policy: one place decides what happens after a failure.
    ///
    /// `attempt` gets its own copy of the token (a short string), so its future borrows only
    /// from the call, never from the closure: that keeps the call's future `Send`. `look_up`
    /// says whether the order Midas reports as existing is this request's (`None`: the
    /// generation cannot look it up).
    async fn drive<Response, Attempt, LookUp>(
        &self,
        api: &'static str,
        scheme: Scheme,
        key: Option<&str>,
        resumed: bool,
        attempt: impl Fn(AccessToken, Duration) -> Attempt,
        look_up: impl Fn(AccessToken, Duration) -> LookUp,
    ) -> Result<Response, Error>
    where
        Attempt: Future<Output = Result<Response, Error>>,
        LookUp: Future<Output = Result<Option<bool>, Error>>,
    {
        let policy = &self.backend.config().retry;
        let started = Instant::now();
        let remaining = || policy.deadline().saturating_sub(started.elapsed());
        let mut token = within(remaining(), self.backend.token()).await?;
        let mut token_refreshed = false;
        let mut may_have_applied = resumed;
        let mut attempts = 0;
        // What to answer when the call gives up with `error`: after an attempt that may have
        // been applied, an answer that does not say so itself would mislead.
        let give_up = |error: Error, may_have_applied: bool| match key {
            Some(key) if may_have_applied && !error.may_have_applied() => {
                Error::Unresolved { api, order_id: key.to_owned(), last: Box::new(error) }
            }
            _ => error,
        };
        loop {
            attempts += 1;
            crate::metrics::attempt_sent(api, scheme);
            let span = tracing::debug_span!("midas_attempt", attempt = attempts);
            let error = match tracing::Instrument::instrument(attempt(token.clone(), remaining()), span).await
            {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            crate::metrics::attempt_failed(api, scheme, &error);
            if let Some(key) = key.filter(|_| may_have_applied && retry::means_already_done(&error)) {
                return Err(match look_up(token.clone(), remaining()).await {
                    Ok(None | Some(true)) => Error::AlreadyProcessed { api, bill_no: key.to_owned() },
                    Ok(Some(false)) => Error::OrderIdTaken { api, order_id: key.to_owned() },
                    Err(lookup) => {
                        tracing::debug!(api, error = %lookup, "looking the order up failed");
                        Error::Unresolved { api, order_id: key.to_owned(), last: Box::new(error) }
                    }
                });
            }
            let decision = retry::decide(&error, token_refreshed);
            tracing::debug!(api, attempt = attempts, %error, ?decision, "midas attempt failed");
            match decision {
                Decision::RefreshToken => {
                    crate::metrics::retried(api, scheme, "token_refresh");
                    match within(remaining(), self.backend.refresh(&token)).await {
                        Ok(fresh) => {
                            token = fresh;
                            token_refreshed = true;
                        }
                        Err(failure) => {
                            let error = match error {
                                Error::Api(api) => Error::Api(api.with_refresh_failure(failure)),
                                other => other,
                            };
                            return Err(give_up(error, may_have_applied));
                        }
                    }
                }
                Decision::Retry => {
                    may_have_applied |= error.may_have_applied();
                    let pause = policy.backoff(attempts);
                    let out_of_time = started.elapsed() + pause >= policy.deadline();
                    if attempts >= policy.max_attempts() || out_of_time {
                        return Err(give_up(error, may_have_applied));
                    }
                    crate::metrics::retried(api, scheme, "retry");
                    tokio::time::sleep(pause).await;
                }
                Decision::Stop => return Err(give_up(error, may_have_applied)),
            }
        }
    }

    /// Whether the order Midas says exists under `request`'s order id is this request's: Midas
    /// 2.0 by `queryorderinfo` among the player's orders (it carries no amount), xpay by
    /// `query_order` among the player's orders with the same amount; Midas 1.0 has no lookup
    /// (`None`). One attempt, no retry. A new generation with a lookup adds its arm here.
    async fn look_up(
        &self,
        player: &Player,
        request: &dyn DynRequest,
        app_key: &AppKey,
        token: &AccessToken,
        remaining: Duration,
    ) -> Result<Option<bool>, Error> {
        let Some(key) = request.order_id() else { return Ok(None) };
        if !request.scheme().signs_the_body() {
            return Ok(None);
        }
        match request.scheme() {
            Scheme::V2 => {
                let query = crate::v2::QueryOrder { out_trade_no: key.to_owned(), biz_id: 1 };
                match self.attempt_typed(player, &query, app_key, token, remaining).await {
                    Ok(order) => Ok(Some(order.out_trade_no == key)),
                    // 90019: no order of this player has the id, so another order holds it.
                    Err(Error::Api(api)) if api.kind() == ApiErrorKind::OrderNotFound => Ok(Some(false)),
                    Err(other) => Err(other),
                }
            }
            Scheme::Xpay => {
                let query = crate::xpay::QueryOrder::by_order_id(key);
                let found = self.attempt_typed(player, &query, app_key, token, remaining).await?.order;
                let same_amount = request.amount().is_none_or(|amount| found.order_fee == Some(amount));
                Ok(Some(found.order_id == key && same_amount))
            }
            _ => Ok(None),
        }
    }

    /// The call context of `player` in the configured environment.
    fn context<'a>(
        &'a self,
        player: &'a Player,
        app_key: &'a AppKey,
        access_token: Option<&'a AccessToken>,
        ts: i64,
    ) -> CallContext<'a> {
        let config = self.backend.config();
        CallContext {
            appid: &config.appid,
            offer_id: &config.offer_id,
            openid: player.openid(),
            zone_id: player.zone_id(),
            pf: player.pf(),
            user_ip: player.user_ip(),
            env: config.env,
            ts,
            app_key,
            session_key: player.session_key(),
            access_token,
        }
    }

    /// One attempt: stamp, prepare (validate, sign by the scheme, write the body), send,
    /// decode. A signature rejection carries what was signed, masked.
    async fn attempt(
        &self,
        player: &Player,
        request: &dyn DynRequest,
        app_key: &AppKey,
        token: &AccessToken,
        remaining: Duration,
    ) -> Result<AnyResponse, Error> {
        self.attempt_with_body(player, request, app_key, token, remaining).await.map(|(response, _)| response)
    }

    /// [`Self::attempt`] of a request the client itself sends (an order lookup), typed.
    async fn attempt_typed<R>(
        &self,
        player: &Player,
        request: &R,
        app_key: &AppKey,
        token: &AccessToken,
        remaining: Duration,
    ) -> Result<R::Response, Error>
    where
        R: MidasRequest + Sync,
    {
        downcast(R::API, self.attempt(player, request, app_key, token, remaining).await?)
    }

    /// [`Self::attempt`], with the answer body beside the response.
    async fn attempt_with_body(
        &self,
        player: &Player,
        request: &dyn DynRequest,
        app_key: &AppKey,
        token: &AccessToken,
        remaining: Duration,
    ) -> Result<(AnyResponse, Vec<u8>), Error> {
        let context = self.context(player, app_key, Some(token), self.clock.now_unix());
        let prepared = request.prepare(&context)?;
        let url = prepared.url(&self.backend.config().base_url, token);
        let body = self.send(url, prepared.body, remaining).await?;
        let decoded = request.decode(&body, request.order_key());
        decoded.map(|response| (response, body)).map_err(|error| match error {
            Error::Api(api) if api.kind().is_signature_rejection() => {
                // What was signed, masked: prepared again (same stamp, same bytes) only on this
                // rare path, so the attempt sends its body without a copy.
                match request.prepare(&context) {
                    Ok(again) => Error::Api(api.with_signed(request.masked(&again, &context))),
                    Err(_) => Error::Api(api),
                }
            }
            other => other,
        })
    }

    /// Posts `body` to `url` within `remaining`, and returns the answer body of a 2xx status.
    async fn send(&self, url: ApiUrl, body: Vec<u8>, remaining: Duration) -> Result<Vec<u8>, Error> {
        if remaining.is_zero() {
            return Err(TransportError::new(TransportErrorKind::Timeout, "the call's deadline passed").into());
        }
        // The URL shows `access_token=***`; the body holds no secret but is not logged anyway.
        tracing::debug!(url = %url, body_len = body.len(), "midas request");
        let http = self.http_request(url, body, self.backend.config().timeout.min(remaining));
        let response = self.backend.send(http).await?;
        if !(200..300).contains(&response.status) {
            let message = status_message(&response.body);
            return Err(TransportError::new(TransportErrorKind::Status(response.status), message).into());
        }
        Ok(response.body)
    }

    /// The POST of a call.
    fn http_request(&self, url: ApiUrl, body: Vec<u8>, timeout: Duration) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            url,
            body,
            timeout,
            max_response_bytes: self.backend.config().max_response_bytes,
        }
    }
}

/// What a call would send: [`Client::prepare`]'s dry run. `Display` shows `POST`, the URL with
/// the token as `***`, and the body (a Midas call's body holds no secret); so does `Debug`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{AccessToken, AppKey, Client, Config, Env, GetBalance, Player, StaticToken};
/// # let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
/// #     .sandbox_key(AppKey::new("sandbox-key")?)
/// #     .build()?;
/// let client = Client::new(config, StaticToken::new(AccessToken::new("ACCESS_TOKEN")?))?;
/// let dry_run = client.prepare(&Player::new("player-1"), &GetBalance {}).await?;
/// assert!(!format!("{dry_run:?}").contains("ACCESS_TOKEN"));
/// assert!(dry_run.url.expose().ends_with("getbalance?access_token=ACCESS_TOKEN"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DryRun {
    /// The URL; only [`ApiUrl::expose`] shows the token.
    pub url: ApiUrl,
    /// The body bytes, exactly as they would be sent (and, for Midas 2.0 and xpay, signed).
    pub body: Vec<u8>,
}

impl std::fmt::Display for DryRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "POST {} {}", self.url, String::from_utf8_lossy(&self.body))
    }
}

impl std::fmt::Debug for DryRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DryRun({self})")
    }
}

/// `future`, or a token error once `remaining` has passed: a token fetch counts against the
/// call's deadline.
async fn within<F: Future<Output = Result<AccessToken, TokenError>>>(
    remaining: Duration,
    future: F,
) -> Result<AccessToken, TokenError> {
    tokio::time::timeout(remaining, future)
        .await
        .unwrap_or_else(|_| Err(TokenError::new(None, "no access token within the call's deadline", true)))
}

/// A short, printable excerpt of an error page.
fn status_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    format!("HTTP error status; body starts with {text:?}")
}
