//! The options of an emulator, their defaults, and how one starts: checked options, a bound
//! socket, the books opened with the players, then [`Emulator`] serving.

use core::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use midas_core::{AccessToken, AppKey, AppSecret, SessionKey};
use tokio::net::TcpListener;

use crate::emulator::Emulator;
use crate::fault::{FaultPlan, FaultRates, InvalidRates};
use crate::ledger::{DEFAULT_ZONE_ID, Ledger};
use crate::limits::Limits;
use crate::login::LoginCodes;
use crate::per_env::PerEnv;
use crate::routes::{InvalidRoute, Route};
use crate::session::Sessions;
use crate::shared::{App, Shared, State};
use crate::tokens::Tokens;

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
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use midas_emulator::{Emulator, StartError};
/// let refused = Emulator::builder().max_connections(0).start().await;
/// assert!(matches!(refused, Err(StartError::Setting { field: "max_connections", .. })));
/// # }
/// ```
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
    /// An added endpoint cannot be served.
    #[error(transparent)]
    Route(#[from] InvalidRoute),
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
    /// The Midas 1.0 app keys set; the defaults for the others.
    app_keys: PerEnv<Option<AppKey>>,
    /// The payment keys (Midas 2.0, xpay) set; the defaults for the others.
    payment_keys: PerEnv<Option<AppKey>>,
    access_token: Option<AccessToken>,
    app_secret: Option<AppSecret>,
    token_lifetime: Duration,
    classic_token_overlap: Duration,
    seed: u64,
    fault_rates: FaultRates,
    header_read_timeout: Duration,
    max_connections: usize,
    players: Vec<(String, SessionKey, i64)>,
    routes: Vec<Route>,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and session keys print as `***` through their own Debug.
        f.debug_struct("EmulatorBuilder")
            .field("port", &self.port)
            .field("appid", &self.appid)
            .field("offer_id", &self.offer_id)
            .field("app_keys", &self.app_keys)
            .field("payment_keys", &self.payment_keys)
            .field("access_token", &self.access_token)
            .field("app_secret", &self.app_secret)
            .field("token_lifetime", &self.token_lifetime)
            .field("classic_token_overlap", &self.classic_token_overlap)
            .field("seed", &self.seed)
            .field("fault_rates", &self.fault_rates)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("max_connections", &self.max_connections)
            .field("players", &self.players)
            .field("routes", &self.routes)
            .finish()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            appid: DEFAULT_APPID.to_owned(),
            offer_id: DEFAULT_OFFER_ID.to_owned(),
            app_keys: PerEnv::default(),
            payment_keys: PerEnv::default(),
            access_token: None,
            app_secret: None,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            classic_token_overlap: Duration::ZERO,
            seed: 0,
            fault_rates: FaultRates::default(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            players: Vec::new(),
            routes: Vec::new(),
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
        self.app_keys.production = Some(key);
        self
    }

    /// The Midas 1.0 app key that signs sandbox calls (default [`DEFAULT_SANDBOX_KEY`]).
    pub fn sandbox_key(mut self, key: AppKey) -> Self {
        self.app_keys.sandbox = Some(key);
        self
    }

    /// The payment key that signs `pay_sig` of Midas 2.0 and xpay calls with `env` 0
    /// (default [`DEFAULT_PAYMENT_PRODUCTION_KEY`]).
    pub fn payment_production_key(mut self, key: AppKey) -> Self {
        self.payment_keys.production = Some(key);
        self
    }

    /// The payment key that signs `pay_sig` of Midas 2.0 and xpay calls with `env` 1
    /// (default [`DEFAULT_PAYMENT_SANDBOX_KEY`]).
    pub fn payment_sandbox_key(mut self, key: AppKey) -> Self {
        self.payment_keys.sandbox = Some(key);
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

    /// Serves an endpoint of the service's own (see [`Route`]); a path the server serves
    /// already makes [`Self::start`] fail with [`StartError::Route`].
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route);
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
        let defaults = |production, sandbox| {
            PerEnv::from_texts(production, sandbox).map_err(|_| setting("app_key", "must not be empty"))
        };
        let app_keys = self.app_keys.or(defaults(DEFAULT_PRODUCTION_KEY, DEFAULT_SANDBOX_KEY)?);
        if app_keys.shared() {
            return Err(setting("sandbox_key", "must differ from the production key, as on Midas"));
        }
        let payment_keys =
            self.payment_keys.or(defaults(DEFAULT_PAYMENT_PRODUCTION_KEY, DEFAULT_PAYMENT_SANDBOX_KEY)?);
        if payment_keys.shared() {
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
        let app = App { appid: self.appid, offer_id: self.offer_id, app_keys, payment_keys, secret };
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
        let emulator = Emulator::serve(listener, local_addr, shared);
        for route in emulator.desk_routes() {
            emulator.add_route(route)?;
        }
        for route in self.routes {
            emulator.add_route(route)?;
        }
        Ok(emulator)
    }
}

/// The ways to start one: here, with the options they take.
impl Emulator {
    /// Starts an emulator with the defaults on a free port of 127.0.0.1: the `DEFAULT_*`
    /// ids, keys, token and AppSecret, no player, no fault.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), midas_emulator::StartError> {
    /// use midas_emulator::{DEFAULT_APPID, DEFAULT_SANDBOX_KEY, Emulator};
    /// let emulator = Emulator::start().await?;
    /// assert_eq!(emulator.appid(), DEFAULT_APPID);
    /// assert_eq!(emulator.sandbox_key().expose_secret(), DEFAULT_SANDBOX_KEY);
    /// # Ok(()) }
    /// ```
    pub async fn start() -> Result<Self, StartError> {
        Self::builder().start().await
    }

    /// Options for [`EmulatorBuilder::start`] (an example is at [`EmulatorBuilder`]).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}
