//! The handle of a running emulator: where it listens, its ids and keys, its tokens and
//! players, the books, the faults. [`crate::EmulatorBuilder`] starts one.

use core::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use midas_core::{AccessToken, AppKey, AppSecret, Env, SessionKey};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::api::Api;
use crate::cash::{CashDesk, CashOrder, CashPayment, LaunchTexts, PayRefused};
use crate::desks::{AdFundsDesk, ComplaintsDesk, SubscriptionsDesk};
use crate::desks::{BillsDesk, FundsDesk, GoodsDesk};
use crate::events::EventMessage;
use crate::fault::{Fault, FaultCounts, FaultRates, FaultRecord, InvalidRates};
use crate::ledger::{Balance, DEFAULT_ZONE_ID, Effect};
use crate::listen;
use crate::pusher::{Injection, PushLog, PushReport, PushTarget};
use crate::routes::{InvalidRoute, Route};
use crate::shared::Shared;
use crate::tokens::TokenRequests;

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
    http: reqwest::Client,
    pushes: PushLog,
    cash: CashDesk,
    bills: BillsDesk,
    funds: FundsDesk,
    goods: GoodsDesk,
    ad_funds: AdFundsDesk,
    complaints: ComplaintsDesk,
    subscriptions: SubscriptionsDesk,
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
    /// Serves `shared` on `listener`, bound to `local_addr`, until dropped or stopped.
    pub(crate) fn serve(listener: TcpListener, local_addr: SocketAddr, shared: Arc<Shared>) -> Self {
        let base_url = format!("http://{local_addr}");
        // The desk reads the clock and the books through a weak handle: the server holds the
        // desk, and the desk must not keep the server alive.
        let (clock, books) = (Arc::downgrade(&shared), Arc::downgrade(&shared));
        let bills = BillsDesk::new(
            &base_url,
            Arc::new(move || {
                clock.upgrade().map_or_else(std::time::Instant::now, |shared| shared.state().tokens.now())
            }),
            Arc::new(move || {
                books.upgrade().map(|shared| shared.state().ledger.effects().to_vec()).unwrap_or_default()
            }),
        );
        // Set once here, where the server is made.
        let _ = shared.bills.set(bills.clone());
        let task = tokio::spawn(listen::run(listener, Arc::clone(&shared)));
        let subscriptions = SubscriptionsDesk::new(shared.app.offer_id.clone());
        Self {
            shared,
            local_addr,
            base_url,
            task,
            http: reqwest::Client::new(),
            pushes: PushLog::default(),
            cash: CashDesk::default(),
            bills,
            funds: FundsDesk::default(),
            goods: GoodsDesk::default(),
            ad_funds: AdFundsDesk::new(),
            complaints: ComplaintsDesk::new(),
            subscriptions,
        }
    }

    /// The routes of the desks, registered when the emulator starts.
    pub(crate) fn desk_routes(&self) -> Vec<Route> {
        let mut routes = self.bills.routes();
        routes.extend(self.funds.routes());
        routes.extend(self.goods.routes());
        routes.extend(self.ad_funds.routes());
        routes.extend(self.complaints.routes());
        routes.extend(self.subscriptions.routes());
        routes
    }

    /// The bills desk: `download_bill`, order exports, iOS settlement bills, and their files.
    pub fn bills(&self) -> &BillsDesk {
        &self.bills
    }

    /// The merchant funds desk: the balance and withdrawals.
    pub fn funds(&self) -> &FundsDesk {
        &self.funds
    }

    /// The goods catalog desk: upload and publish tasks.
    pub fn goods(&self) -> &GoodsDesk {
        &self.goods
    }

    /// The ad-fund desk: its APIs are served; its methods act as WeChat's side.
    pub fn ad_funds(&self) -> &AdFundsDesk {
        &self.ad_funds
    }

    /// The complaint desk: its APIs are served; its methods act as the players.
    pub fn complaints(&self) -> &ComplaintsDesk {
        &self.complaints
    }

    /// The subscription desk: its APIs are served; its methods act as the players.
    pub fn subscriptions(&self) -> &SubscriptionsDesk {
        &self.subscriptions
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
        self.shared.app.app_keys.get(env)
    }

    /// The Midas 1.0 production app key.
    pub fn production_key(&self) -> &AppKey {
        &self.shared.app.app_keys.production
    }

    /// The Midas 1.0 sandbox app key.
    pub fn sandbox_key(&self) -> &AppKey {
        &self.shared.app.app_keys.sandbox
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
        self.shared.app.payment_keys.get(env)
    }

    /// The production payment key.
    pub fn payment_production_key(&self) -> &AppKey {
        &self.shared.app.payment_keys.production
    }

    /// The sandbox payment key.
    pub fn payment_sandbox_key(&self) -> &AppKey {
        &self.shared.app.payment_keys.sandbox
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
    /// and the URLs of the bills desk (see [`BillsDesk`]) are affected.
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

    /// Pushes `message` to `target` as WeChat does: sealed by the target's configuration,
    /// POSTed, and pushed again on the target's schedule until the receiver answers success
    /// (or the schedule ends), with `injection` applied. The report (every POST and its
    /// answer) is returned and kept in [`Self::push_log`].
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_emulator::{Emulator, Injection, PushTarget, goods_delivery_message};
    /// # let config = midas_push::PushConfig::builder().token("AAAAA")
    /// #     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").app_id("wx1").build()?;
    /// let emulator = Emulator::start().await?;
    /// let target = PushTarget::new("http://127.0.0.1:8080/push", config).speed_up(1_000);
    /// let message = goods_delivery_message("player-1", "order-0001", "sword", 600);
    /// let report = emulator.push(&target, &message, Injection::Duplicate).await;
    /// assert!(report.delivered());
    /// # Ok(()) }
    /// ```
    pub async fn push(&self, target: &PushTarget, message: &str, injection: Injection) -> PushReport {
        let report = crate::pusher::push(&self.http, target, message, None, injection).await;
        self.pushes.add(report.clone());
        report
    }

    /// Pushes `event` to `target` as WeChat does: rendered in the target's format, a mini-game
    /// payload signed with this emulator's payment key of the event's environment
    /// ([`Self::payment_key`]: the receiver's `PushConfig` must hold the same AppKeys), then
    /// sealed, POSTed and pushed again on the event's documented schedule (or the target's)
    /// as [`Self::push`] does.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_emulator::{Emulator, Env, EventKind, EventMessage, Injection, PushTarget};
    /// let emulator = Emulator::start().await?;
    /// let config = midas_push::PushConfig::builder()
    ///     .token("AAAAA")
    ///     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    ///     .app_id(emulator.appid())
    ///     .app_key_sandbox(emulator.payment_key(Env::Sandbox).expose_secret())
    ///     .build()?;
    /// let target = PushTarget::new("http://127.0.0.1:8080/push", config).speed_up(1_000);
    /// let event = EventMessage::new(EventKind::MiniGameGoodsDeliver, "order-0001").env(Env::Sandbox);
    /// assert!(emulator.push_event(&target, &event, Injection::None).await.delivered());
    /// # Ok(()) }
    /// ```
    pub async fn push_event(
        &self,
        target: &PushTarget,
        event: &EventMessage,
        injection: Injection,
    ) -> PushReport {
        let message = event.message(target.push_format(), self.payment_key(event.environment()));
        let report = crate::pusher::push(&self.http, target, &message, Some(event.kind()), injection).await;
        self.pushes.add(report.clone());
        report
    }

    /// Sets where the events of cash purchases are pushed (`None`: nowhere, as when every
    /// push fails): deliveries by [`Self::pay_launch`], refunds by [`Self::finish_refunds`].
    pub fn set_cash_push_target(&self, target: Option<PushTarget>) {
        self.cash.set_target(target);
    }

    /// The player `openid` pays for the launch parameters a client received, as WeChat would
    /// take them: `paySig` with the payment key of `signData`'s `env` over `"<api>&" +
    /// signData`, `signature` with the player's session key over `signData`, then the fields
    /// (`offerId` of the app, `currencyType` CNY, `buyQuantity` and `goodsPrice` above zero,
    /// `outTradeNo` of 8–32 characters of `[0-9A-Za-z_-]` not starting with `_` and never paid
    /// before). The paid order (status 2, a new `wx_order_id`; a token recharge is priced at
    /// [`COIN_PRICE_FEN`](crate::COIN_PRICE_FEN) a token) is then pushed
    /// (`xpay_goods_deliver_notify`, `xpay_coin_pay_notify`) to the cash push target with
    /// `injection`, and is delivered (status 4) once a push is answered success.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use midas_emulator::{Emulator, Injection, LaunchTexts};
    /// let emulator = Emulator::start().await?;
    /// # let (sign_data, pay_sig, signature) = (String::new(), String::new(), String::new());
    /// // `sign_data`, `pay_sig` and `signature` as the game server signed them:
    /// let launch = LaunchTexts::new("requestVirtualPayment", "short_series_goods", sign_data, pay_sig, signature);
    /// let paid = emulator.pay_launch("player-1", &launch, Injection::None).await?;
    /// assert_eq!(paid.order.status, 2, "paid; no push target, so not delivered");
    /// # Ok(()) }
    /// ```
    pub async fn pay_launch(
        &self,
        openid: &str,
        launch: &LaunchTexts,
        injection: Injection,
    ) -> Result<CashPayment, PayRefused> {
        let (order, message) = crate::cash::pay(&self.shared, openid, launch)?;
        let push = match self.cash.target() {
            Some(target) => {
                let report = self.push(&target, &message, injection).await;
                if report.delivered() {
                    crate::cash::delivered(&self.shared, order.env, &order.order_id);
                }
                Some(report)
            }
            None => None,
        };
        let order = crate::cash::order(&self.shared, order.env, &order.order_id)
            .unwrap_or_else(|| CashOrder::of(&order));
        Ok(CashPayment { order, push })
    }

    /// Finishes every running refund task of `refund_order` (they run until this is called):
    /// each refunded order's `refund_fee` grows and `left_fee` shrinks, an order refunded in
    /// full becomes status 5, and `xpay_refund_notify` is pushed to the cash push target. The
    /// pushes made are returned.
    pub async fn finish_refunds(&self) -> Vec<PushReport> {
        let messages = crate::cash::finish_refunds(&self.shared);
        let mut reports = Vec::with_capacity(messages.len());
        if let Some(target) = self.cash.target() {
            for message in messages {
                reports.push(self.push(&target, &message, Injection::None).await);
            }
        }
        reports
    }

    /// Every cash order (of both environments), oldest first.
    pub fn cash_orders(&self) -> Vec<CashOrder> {
        crate::cash::orders(&self.shared)
    }

    /// The cash order `out_trade_no` of `env`.
    pub fn cash_order(&self, env: Env, out_trade_no: &str) -> Option<CashOrder> {
        crate::cash::order(&self.shared, env, out_trade_no)
    }

    /// Every push made so far, in order, with the receivers' answers.
    pub fn push_log(&self) -> Vec<PushReport> {
        self.pushes.all()
    }

    /// How many POST requests to one of the payment APIs were read, refused ones included
    /// (token and login APIs not counted: see [`Self::token_requests`]).
    pub fn requests(&self) -> u64 {
        self.shared.state().requests
    }

    /// Serves an endpoint of the service's own, declared with `#[midas_api]` or not, with the
    /// checks of its scheme (see [`Route`]); a later route at the same path replaces it. A path
    /// a built-in API is served at is refused.
    pub fn add_route(&self, route: Route) -> Result<(), InvalidRoute> {
        if Api::from_path(&route.path).is_some() || crate::auth::AuthApi::from_path(&route.path).is_some() {
            return Err(InvalidRoute::Taken(route.path));
        }
        self.shared.add_route(route);
        Ok(())
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
