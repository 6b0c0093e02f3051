//! The handle of a running emulator, and the builder that starts one.

use core::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use midas_core::{AccessToken, AppKey, AppSecret, Env, SessionKey};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::fault::{Fault, FaultCounts, FaultPlan, FaultRates, FaultRecord, InvalidRates};
use crate::ledger::{Effect, Ledger};
use crate::limits::Limits;
use crate::login::LoginCodes;
use crate::session::Sessions;
use crate::shared::{App, Shared, State};
use crate::tokens::{TokenRequests, Tokens};
use crate::wallet::Balance;
use crate::{Api, DEFAULT_ZONE_ID, listen};

/// The AppID the emulator expects unless told otherwise (the one of the official examples).
pub const DEFAULT_APPID: &str = "wx1234567";
/// The offer_id the emulator expects unless told otherwise (the one of the official examples).
pub const DEFAULT_OFFER_ID: &str = "12345678";
/// The production app key unless told otherwise.
pub const DEFAULT_PRODUCTION_KEY: &str = "emulator-production-app-key";
/// The sandbox app key unless told otherwise; it differs from the production one, as on Midas.
pub const DEFAULT_SANDBOX_KEY: &str = "emulator-sandbox-app-key";
/// The production payment key (the "virtual payment AppKey" that signs `pay_sig` of Midas 2.0
/// and xpay) unless told otherwise; it differs from the Midas 1.0 keys.
pub const DEFAULT_PAYMENT_PRODUCTION_KEY: &str = "emulator-payment-production-app-key";
/// The sandbox payment key unless told otherwise; it differs from the production one.
pub const DEFAULT_PAYMENT_SANDBOX_KEY: &str = "emulator-payment-sandbox-app-key";
/// The first access token unless told otherwise.
pub const DEFAULT_ACCESS_TOKEN: &str = "EMULATOR_ACCESS_TOKEN";
/// The AppSecret that fetches tokens and exchanges login codes unless told otherwise.
pub const DEFAULT_APP_SECRET: &str = "emulator-app-secret";
/// How long an access token lives unless told otherwise: 7200 s, as on WeChat.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(7200);
/// How long a connection may take to send a complete request head unless told otherwise:
/// 10 s, counted from the accept or, on a kept-alive connection, from the previous answer (so
/// it is the idle keep-alive timeout too). See [`EmulatorBuilder::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How many connections are served at once unless told otherwise; beyond it the oldest are
/// shed. See [`EmulatorBuilder::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 128;

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for (0: any).
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// A setting is unusable.
    #[error("invalid emulator setting `{field}`: {problem}")]
    Setting {
        /// The setting.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

/// Options of an emulator: ids, keys, token, players, seed and fault rates.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{Emulator, FaultRates, SessionKey};
/// let emulator = Emulator::builder()
///     .appid("wx0000000000000001")
///     .seed(42)
///     .fault_rates(FaultRates { busy_before: 0.1, ..FaultRates::default() })
///     .player("player-1", SessionKey::new("session-key-1").expect("not empty"), 500)
///     .start()
///     .await?;
/// assert_eq!(emulator.appid(), "wx0000000000000001");
/// # Ok(()) }
/// ```
#[must_use]
pub struct EmulatorBuilder {
    port: u16,
    appid: String,
    offer_id: String,
    production_key: Option<AppKey>,
    sandbox_key: Option<AppKey>,
    payment_production_key: Option<AppKey>,
    payment_sandbox_key: Option<AppKey>,
    access_token: Option<AccessToken>,
    app_secret: Option<AppSecret>,
    token_lifetime: Duration,
    classic_token_overlap: Duration,
    seed: u64,
    fault_rates: FaultRates,
    header_read_timeout: Duration,
    max_connections: usize,
    players: Vec<(String, SessionKey, i64)>,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and session keys print as `***` through their own Debug.
        f.debug_struct("EmulatorBuilder")
            .field("port", &self.port)
            .field("appid", &self.appid)
            .field("offer_id", &self.offer_id)
            .field("production_key", &self.production_key)
            .field("sandbox_key", &self.sandbox_key)
            .field("payment_production_key", &self.payment_production_key)
            .field("payment_sandbox_key", &self.payment_sandbox_key)
            .field("access_token", &self.access_token)
            .field("app_secret", &self.app_secret)
            .field("token_lifetime", &self.token_lifetime)
            .field("classic_token_overlap", &self.classic_token_overlap)
            .field("seed", &self.seed)
            .field("fault_rates", &self.fault_rates)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("max_connections", &self.max_connections)
            .field("players", &self.players)
            .finish()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            appid: DEFAULT_APPID.to_owned(),
            offer_id: DEFAULT_OFFER_ID.to_owned(),
            production_key: None,
            sandbox_key: None,
            payment_production_key: None,
            payment_sandbox_key: None,
            access_token: None,
            app_secret: None,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            classic_token_overlap: Duration::ZERO,
            seed: 0,
            fault_rates: FaultRates::default(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            players: Vec::new(),
        }
    }
}

impl EmulatorBuilder {
    /// The port on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The AppID requests must carry (default [`DEFAULT_APPID`]).
    pub fn appid(mut self, appid: impl Into<String>) -> Self {
        self.appid = appid.into();
        self
    }

    /// The offer_id requests must carry (default [`DEFAULT_OFFER_ID`]).
    pub fn offer_id(mut self, offer_id: impl Into<String>) -> Self {
        self.offer_id = offer_id.into();
        self
    }

    /// The Midas 1.0 app key that signs production calls (default [`DEFAULT_PRODUCTION_KEY`]).
    pub fn production_key(mut self, key: AppKey) -> Self {
        self.production_key = Some(key);
        self
    }

    /// The Midas 1.0 app key that signs sandbox calls (default [`DEFAULT_SANDBOX_KEY`]).
    pub fn sandbox_key(mut self, key: AppKey) -> Self {
        self.sandbox_key = Some(key);
        self
    }

    /// The payment key that signs `pay_sig` of Midas 2.0 and xpay calls with `env` 0
    /// (default [`DEFAULT_PAYMENT_PRODUCTION_KEY`]).
    pub fn payment_production_key(mut self, key: AppKey) -> Self {
        self.payment_production_key = Some(key);
        self
    }

    /// The payment key that signs `pay_sig` of Midas 2.0 and xpay calls with `env` 1
    /// (default [`DEFAULT_PAYMENT_SANDBOX_KEY`]).
    pub fn payment_sandbox_key(mut self, key: AppKey) -> Self {
        self.payment_sandbox_key = Some(key);
        self
    }

    /// The first valid access token (default [`DEFAULT_ACCESS_TOKEN`]).
    pub fn access_token(mut self, token: AccessToken) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The AppSecret that `stable_token`, `token` and `jscode2session` require (default
    /// [`DEFAULT_APP_SECRET`]).
    pub fn app_secret(mut self, secret: AppSecret) -> Self {
        self.app_secret = Some(secret);
        self
    }

    /// How long an access token lives on the token clock (default
    /// [`DEFAULT_TOKEN_LIFETIME`]); see [`Emulator::advance_clock`]. At least one second.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// How long a token from `GET /cgi-bin/token` stays valid after the next fetch replaced it
    /// (default zero: at once, so that the documented trap shows in tests; WeChat keeps it
    /// 5 minutes).
    pub fn classic_token_overlap(mut self, overlap: Duration) -> Self {
        self.classic_token_overlap = overlap;
        self
    }

    /// The seed of the fault draws and of issued session keys (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Random faults per call (default none); see [`FaultRates`].
    pub fn fault_rates(mut self, rates: FaultRates) -> Self {
        self.fault_rates = rates;
        self
    }

    /// How long a connection may take to send a complete request head (default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`]); at least one millisecond.
    ///
    /// hyper starts this timer whenever a connection waits for a request: at the accept, and
    /// after each answer on a kept-alive connection. So it is also the idle keep-alive
    /// timeout: a socket that sends nothing, trickles its head, or sits idle between requests
    /// is closed when it runs out. A request's body must arrive within the same time after its
    /// head (else 408).
    ///
    /// The timer runs on tokio's clock: under a paused test clock it can fire early, as the
    /// clock jumps ahead whenever the runtime waits; leave the clock running for tests that
    /// talk to an emulator.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), midas_emulator::StartError> {
    /// use std::time::Duration;
    /// let emulator = midas_emulator::Emulator::builder()
    ///     .header_read_timeout(Duration::from_secs(2))
    ///     .max_connections(16)
    ///     .start()
    ///     .await?;
    /// # drop(emulator);
    /// # Ok(()) }
    /// ```
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How many connections are served at once (default [`DEFAULT_MAX_CONNECTIONS`]); at
    /// least one.
    ///
    /// A new connection beyond the cap is served, and the oldest open connection is asked to
    /// close: at once if it is idle or has sent nothing yet, after its answer if a request is
    /// in flight. So idle sockets never starve real requests; they shed themselves oldest
    /// first. Only while twice the cap is open (half of them finishing answers) does the
    /// server stop accepting; new connections then wait in the listen backlog.
    pub fn max_connections(mut self, max_connections: usize) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// Registers a player, as [`Emulator::add_player`] does once running.
    pub fn player(
        mut self,
        openid: impl Into<String>,
        session_key: SessionKey,
        starting_balance: i64,
    ) -> Self {
        self.players.push((openid.into(), session_key, starting_balance));
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<Emulator, StartError> {
        let setting = |field, problem| StartError::Setting { field, problem };
        if self.appid.is_empty() {
            return Err(setting("appid", "must not be empty"));
        }
        if self.offer_id.is_empty() {
            return Err(setting("offer_id", "must not be empty"));
        }
        self.fault_rates
            .validate()
            .map_err(|InvalidRates| setting("fault_rates", "each 0..=1, at most 1 in all"))?;
        let default_key = |text: &str| AppKey::new(text).map_err(|_| setting("app_key", "must not be empty"));
        let production_key = self.production_key.map_or_else(|| default_key(DEFAULT_PRODUCTION_KEY), Ok)?;
        let sandbox_key = self.sandbox_key.map_or_else(|| default_key(DEFAULT_SANDBOX_KEY), Ok)?;
        if production_key.expose_secret() == sandbox_key.expose_secret() {
            return Err(setting("sandbox_key", "must differ from the production key, as on Midas"));
        }
        let payment_production_key =
            self.payment_production_key.map_or_else(|| default_key(DEFAULT_PAYMENT_PRODUCTION_KEY), Ok)?;
        let payment_sandbox_key =
            self.payment_sandbox_key.map_or_else(|| default_key(DEFAULT_PAYMENT_SANDBOX_KEY), Ok)?;
        if payment_production_key.expose_secret() == payment_sandbox_key.expose_secret() {
            return Err(setting("payment_sandbox_key", "must differ from the production payment key"));
        }
        if self.token_lifetime < Duration::from_secs(1) {
            return Err(setting("token_lifetime", "must be at least one second"));
        }
        if self.header_read_timeout < Duration::from_millis(1) {
            return Err(setting("header_read_timeout", "must be at least one millisecond"));
        }
        if self.max_connections == 0 {
            return Err(setting("max_connections", "must be at least one"));
        }
        let secret = match self.app_secret {
            Some(secret) => secret,
            None => {
                AppSecret::new(DEFAULT_APP_SECRET).map_err(|_| setting("app_secret", "must not be empty"))?
            }
        };
        let token = match self.access_token {
            Some(token) => token,
            None => AccessToken::new(DEFAULT_ACCESS_TOKEN)
                .map_err(|_| setting("access_token", "must not be empty"))?,
        };

        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)))
            .await
            .map_err(|source| StartError::Bind { port: self.port, source })?;
        let local_addr =
            listener.local_addr().map_err(|source| StartError::Bind { port: self.port, source })?;

        let mut ledger = Ledger::default();
        let mut sessions = Sessions::default();
        for (openid, session_key, starting_balance) in self.players {
            ledger.open(&openid, DEFAULT_ZONE_ID, starting_balance);
            sessions.log_in(openid, session_key);
        }
        let app = App {
            appid: self.appid,
            offer_id: self.offer_id,
            production_key,
            sandbox_key,
            payment_production_key,
            payment_sandbox_key,
            secret,
        };
        let state = State {
            tokens: Tokens::new(token, self.token_lifetime, self.classic_token_overlap),
            logins: LoginCodes::new(self.seed),
            sessions,
            ledger,
            faults: FaultPlan::new(self.fault_rates, self.seed),
            requests: 0,
        };
        let limits =
            Limits { header_read_timeout: self.header_read_timeout, max_connections: self.max_connections };
        let shared = Arc::new(Shared::new(app, limits, state));
        let task = tokio::spawn(listen::run(listener, Arc::clone(&shared)));
        Ok(Emulator { shared, local_addr, base_url: format!("http://{local_addr}"), task })
    }
}

/// A running local Midas server: the Midas 1.0 APIs at their production and sandbox paths, the
/// Midas 2.0 and xpay APIs, with WeChat's checks, one wallet per environment, player and zone
/// that every generation shares, and faults on demand.
///
/// It stops when dropped (or by [`Self::stop`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{Api, Emulator, Env, Fault, SessionKey};
/// let emulator = Emulator::start().await?;
/// emulator.add_player("player-1", SessionKey::new("session-key-1").expect("not empty"), 100);
/// emulator.inject_for(Api::Pay, Fault::BusyAfter);
/// assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(100));
/// # Ok(()) }
/// ```
pub struct Emulator {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    base_url: String,
    task: JoinHandle<()>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("appid", &self.shared.app.appid)
            .field("offer_id", &self.shared.app.offer_id)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator with the defaults on a free port of 127.0.0.1.
    pub async fn start() -> Result<Self, StartError> {
        Self::builder().start().await
    }

    /// Options for [`EmulatorBuilder::start`].
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://127.0.0.1:<port>`, the base URL for a client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address served.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The AppID requests must carry.
    pub fn appid(&self) -> &str {
        &self.shared.app.appid
    }

    /// The offer_id requests must carry.
    pub fn offer_id(&self) -> &str {
        &self.shared.app.offer_id
    }

    /// The Midas 1.0 app key of `env`.
    pub fn app_key(&self, env: Env) -> &AppKey {
        self.shared.app.key(env)
    }

    /// The Midas 1.0 production app key.
    pub fn production_key(&self) -> &AppKey {
        &self.shared.app.production_key
    }

    /// The Midas 1.0 sandbox app key.
    pub fn sandbox_key(&self) -> &AppKey {
        &self.shared.app.sandbox_key
    }

    /// The payment key of `env`: it signs `pay_sig` of Midas 2.0 and xpay calls whose body
    /// names that `env`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), midas_emulator::StartError> {
    /// use midas_emulator::{DEFAULT_PAYMENT_SANDBOX_KEY, Emulator, Env};
    /// let emulator = Emulator::start().await?;
    /// assert_eq!(emulator.payment_key(Env::Sandbox).expose_secret(), DEFAULT_PAYMENT_SANDBOX_KEY);
    /// assert_ne!(emulator.payment_key(Env::Sandbox).expose_secret(), emulator.sandbox_key().expose_secret());
    /// # Ok(()) }
    /// ```
    pub fn payment_key(&self, env: Env) -> &AppKey {
        self.shared.app.payment_key(env)
    }

    /// The production payment key.
    pub fn payment_production_key(&self) -> &AppKey {
        &self.shared.app.payment_production_key
    }

    /// The sandbox payment key.
    pub fn payment_sandbox_key(&self) -> &AppKey {
        &self.shared.app.payment_sandbox_key
    }

    /// The AppSecret that `stable_token`, `token` and `jscode2session` require.
    pub fn app_secret(&self) -> &AppSecret {
        &self.shared.app.secret
    }

    /// The current stable access token, the one `stable_token` in normal mode hands out; when
    /// it has expired on the token clock a new one is issued first (not counted in
    /// [`Self::token_requests`]).
    pub fn access_token(&self) -> AccessToken {
        self.shared.state().tokens.current()
    }

    /// Replaces the stable access token, as a forced refresh by another server would, but
    /// without its limits: from now on the old one is refused with 40001. Returns the new one.
    pub fn rotate_token(&self) -> AccessToken {
        self.shared.state().tokens.replace_stable().0
    }

    /// Moves the token clock forward by `by`: tokens expire (42001 on every API that takes
    /// one) and the limits of forced refreshes pass as if that time had gone by. Only tokens
    /// are affected.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), midas_emulator::StartError> {
    /// use std::time::Duration;
    /// let emulator = midas_emulator::Emulator::start().await?;
    /// let first = emulator.access_token();
    /// emulator.advance_clock(emulator.token_lifetime() + Duration::from_secs(1));
    /// assert_ne!(emulator.access_token(), first, "expired, so a new one");
    /// # Ok(()) }
    /// ```
    pub fn advance_clock(&self, by: Duration) {
        self.shared.state().tokens.advance(by);
    }

    /// How long an issued access token lives.
    pub fn token_lifetime(&self) -> Duration {
        self.shared.state().tokens.lifetime()
    }

    /// How many token requests were served, by kind.
    pub fn token_requests(&self) -> TokenRequests {
        self.shared.state().tokens.requests
    }

    /// A new single-use login code for `openid`, as `wx.login` would hand the game:
    /// `jscode2session` exchanges it for the openid and a new session key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), midas_emulator::StartError> {
    /// let emulator = midas_emulator::Emulator::start().await?;
    /// let code = emulator.issue_login_code("player-1");
    /// assert_ne!(code, emulator.issue_login_code("player-1"));
    /// # Ok(()) }
    /// ```
    pub fn issue_login_code(&self, openid: impl Into<String>) -> String {
        self.shared.state().logins.issue(openid.into())
    }

    /// Registers `code` as a single-use login code of `openid`; registering a used code
    /// again makes it usable once more.
    pub fn register_code(&self, code: impl Into<String>, openid: impl Into<String>) {
        self.shared.state().logins.register(code.into(), openid.into());
    }

    /// Registers (or re-logs in) a player: `session_key` checks its `mp_sig` (Midas 1.0) and
    /// its `signature` (Midas 2.0, xpay), and its wallets in zone [`DEFAULT_ZONE_ID`] of both
    /// environments open with `starting_balance` topped-up coins (negative counts as 0). A known
    /// player gets the new session key and keeps its wallets; a `signature` made with its
    /// previous key reads as an expired session (90016, 268490009).
    pub fn add_player(&self, openid: impl Into<String>, session_key: SessionKey, starting_balance: i64) {
        self.add_player_in_zone(openid, session_key, DEFAULT_ZONE_ID, starting_balance);
    }

    /// [`Self::add_player`] with the starting coins in the wallets of `zone_id` (both
    /// environments). A registered player has a wallet in every zone: empty until used.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), midas_emulator::StartError> {
    /// use midas_emulator::{Emulator, Env, SessionKey};
    /// let emulator = Emulator::start().await?;
    /// emulator.add_player_in_zone("player-1", SessionKey::new("key-1").expect("not empty"), "2", 50);
    /// assert_eq!(emulator.balance_in_zone(Env::Sandbox, "player-1", "2").map(|b| b.balance), Some(50));
    /// assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(0), "zone 1");
    /// # Ok(()) }
    /// ```
    pub fn add_player_in_zone(
        &self,
        openid: impl Into<String>,
        session_key: SessionKey,
        zone_id: &str,
        starting_balance: i64,
    ) {
        let openid = openid.into();
        let mut state = self.shared.state();
        state.ledger.open(&openid, zone_id, starting_balance);
        state.sessions.log_in(openid, session_key);
    }

    /// Forgets a player's login: calls about it answer 90010 (Midas 1.0), 90016 (Midas 2.0) or
    /// 268490009 (xpay APIs with `signature`) until it is added again. Its wallets are kept.
    pub fn log_out(&self, openid: &str) {
        self.shared.state().sessions.log_out(openid);
    }

    /// The player's wallet in `env` and zone [`DEFAULT_ZONE_ID`] (the zone of xpay and of
    /// games without zones), if the player was ever registered.
    pub fn balance(&self, env: Env, openid: &str) -> Option<Balance> {
        self.balance_in_zone(env, openid, DEFAULT_ZONE_ID)
    }

    /// The player's wallet in `env` and `zone_id` (empty if never used), if the player was
    /// ever registered.
    pub fn balance_in_zone(&self, env: Env, openid: &str, zone_id: &str) -> Option<Balance> {
        self.shared.state().ledger.balance(env, openid, zone_id)
    }

    /// Every effect applied so far, oldest first.
    pub fn effects(&self) -> Vec<Effect> {
        self.shared.state().ledger.effects().to_vec()
    }

    /// Queues `fault` for the next call of any API that passes the checks.
    pub fn inject(&self, fault: Fault) {
        self.shared.state().faults.push(None, fault);
    }

    /// Queues `fault` for the next call of `api` that passes the checks. Faults queued for one
    /// API are taken before those queued for any API.
    pub fn inject_for(&self, api: Api, fault: Fault) {
        self.shared.state().faults.push(Some(api), fault);
    }

    /// Replaces the random fault rates.
    pub fn set_fault_rates(&self, rates: FaultRates) -> Result<(), InvalidRates> {
        rates.validate()?;
        self.shared.state().faults.set_rates(rates);
        Ok(())
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.state().faults.clear();
    }

    /// How many queued faults are still waiting for a call.
    pub fn pending_faults(&self) -> usize {
        self.shared.state().faults.pending()
    }

    /// How many faults of each kind struck (a fault chosen for a call the books then refused
    /// leaves the refusal as it is, and is not counted).
    pub fn fault_counts(&self) -> FaultCounts {
        self.shared.state().faults.counts()
    }

    /// Every fault that struck, in order, with the call and the attempt it struck: with seeded
    /// [`FaultRates`], the same seed gives the same faults to the same (call, attempt) in any
    /// order of arrival (see [`FaultRates`] on what can still vary).
    pub fn fault_log(&self) -> Vec<FaultRecord> {
        self.shared.state().faults.log().to_vec()
    }

    /// How many POST requests to one of the payment APIs were read, refused ones included
    /// (token and login APIs not counted: see [`Self::token_requests`]).
    pub fn requests(&self) -> u64 {
        self.shared.state().requests
    }

    /// Stops serving and waits until the port is closed.
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
