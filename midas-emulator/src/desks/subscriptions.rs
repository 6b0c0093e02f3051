//! The subscription desk: the four `/xpay/*` subscription APIs over one set of contracts.
//!
//! A player signs in the mini program; here the test does it with
//! [`SubscriptionsDesk::sign_up`]. A contract is keyed by (`product_id`,
//! `out_contract_code`) and belongs to one openid; another player's calls see none. The APIs:
//!
//! - `query_subscribe_contract`: `SIGNED`, `TERMINATED`, or `UNBINDUSER` when there is none.
//! - `send_subscribe_pre_payment`: on a live contract (690000000 otherwise), a price from 100
//!   to the item's price (674690001 otherwise), when no earlier notice waits for its charge
//!   (690000001 otherwise). The notice is kept until charged or the contract ends.
//! - `submit_subscribe_pay_order`: production only (-15011 for `env` 1); `offer_id` of the app,
//!   `buy_quantity` 1, an `order_id` of 8 to 32 `[0-9A-Za-z_-]` (-15001 otherwise),
//!   `currency_type` `CNY` (-15004); a reused `order_id` is -15002; the player's live contract
//!   of `product_id` must have a waiting notice (-15025 otherwise, so also after a
//!   cancellation or for a second charge); a price above 0 and at most the notice's (-15027).
//!   The charge is recorded as accepted and uses up the notice.
//! - `cancel_subscribe_contract`: a live contract becomes `TERMINATED` for good (690000000
//!   when there is none), its waiting notice dropped.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use midas_core::{Env, Scheme};
use serde_json::json;

use crate::routes::{Route, RouteError, RouteFields, RouteRequest};

/// The state of a contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContractState {
    /// Live: notices and charges are taken.
    Signed,
    /// Ended for good.
    Terminated,
}

/// A charge `submit_subscribe_pay_order` accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscribeOrder {
    /// The order id.
    pub order_id: String,
    /// Fen charged.
    pub deduct_price: i64,
    /// The caller's `attach`.
    pub attach: String,
}

/// A contract as the desk keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContractRecord {
    /// The player.
    pub openid: String,
    /// The subscription item.
    pub product_id: String,
    /// The contract code.
    pub out_contract_code: String,
    /// The item's price in fen: the most a notice may announce.
    pub price: i64,
    /// Live or ended.
    pub state: ContractState,
    /// The price of the notice waiting for its charge.
    pub pending_notice: Option<i64>,
    /// The accepted charges, in order.
    pub orders: Vec<SubscribeOrder>,
    /// Why it ended, once cancelled.
    pub termination_reason: Option<String>,
}

#[derive(Debug)]
struct Contracts {
    offer_id: String,
    contracts: Vec<ContractRecord>,
}

/// The subscription desk of a running emulator ([`crate::Emulator::subscriptions`]): its
/// APIs are served, and its methods act as the players. Clones share the contracts.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{ContractState, Emulator};
/// let emulator = Emulator::start().await?;
/// let desk = emulator.subscriptions();
/// assert!(desk.sign_up("player-1", "vip_monthly", "contract-0001", 1_500));
/// assert!(!desk.sign_up("player-2", "vip_monthly", "contract-0001", 1_500), "the code is taken");
/// let contract = desk.contract("vip_monthly", "contract-0001").expect("signed");
/// assert_eq!((contract.state, contract.pending_notice), (ContractState::Signed, None));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SubscriptionsDesk {
    contracts: Arc<Mutex<Contracts>>,
}

impl SubscriptionsDesk {
    /// A desk without contracts, for the app `offer_id`.
    pub(crate) fn new(offer_id: String) -> Self {
        Self { contracts: Arc::new(Mutex::new(Contracts { offer_id, contracts: Vec::new() })) }
    }

    /// The contracts; a panic elsewhere while they were held leaves them usable.
    fn contracts(&self) -> MutexGuard<'_, Contracts> {
        self.contracts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The routes of the four APIs.
    pub(crate) fn routes(&self) -> Vec<Route> {
        vec![
            self.route("/xpay/query_subscribe_contract", query_subscribe_contract),
            self.route("/xpay/send_subscribe_pre_payment", send_subscribe_pre_payment),
            self.route("/xpay/submit_subscribe_pay_order", submit_subscribe_pay_order),
            self.route("/xpay/cancel_subscribe_contract", cancel_subscribe_contract),
        ]
    }

    fn route(&self, path: &'static str, handle: Handler) -> Route {
        let desk = self.clone();
        Route::new(Scheme::Xpay, path, false, move |request: &RouteRequest<'_>| {
            handle(&mut desk.contracts(), request)
        })
        .expect("an xpay path starting with `/` is a valid route")
    }

    /// Signs `openid` up for `product_id` under `out_contract_code`, at `price` fen a charge,
    /// as the player would in the mini program. Returns `false` (nothing changed) when the
    /// code is taken for the item, live or ended.
    pub fn sign_up(&self, openid: &str, product_id: &str, out_contract_code: &str, price: i64) -> bool {
        let mut contracts = self.contracts();
        let taken = contracts
            .contracts
            .iter()
            .any(|c| c.product_id == product_id && c.out_contract_code == out_contract_code);
        if !taken {
            contracts.contracts.push(ContractRecord {
                openid: openid.to_owned(),
                product_id: product_id.to_owned(),
                out_contract_code: out_contract_code.to_owned(),
                price,
                state: ContractState::Signed,
                pending_notice: None,
                orders: Vec::new(),
                termination_reason: None,
            });
        }
        !taken
    }

    /// The contract of `product_id` under `out_contract_code`, if any.
    pub fn contract(&self, product_id: &str, out_contract_code: &str) -> Option<ContractRecord> {
        self.contracts()
            .contracts
            .iter()
            .find(|c| c.product_id == product_id && c.out_contract_code == out_contract_code)
            .cloned()
    }
}

type Handler = fn(&mut Contracts, &RouteRequest<'_>) -> Result<RouteFields, RouteError>;

fn not_subscribed() -> RouteError {
    RouteError::new(690_000_000, "user not subscribed")
}

/// The request's player's contract named by `product_id` and `out_contract_code`.
fn named<'c>(
    contracts: &'c mut Contracts,
    request: &RouteRequest<'_>,
) -> Result<Option<&'c mut ContractRecord>, RouteError> {
    let openid = request.openid().ok_or_else(|| request.missing("openid"))?;
    let product_id = request.text("product_id")?;
    let code = request.text("out_contract_code")?;
    Ok(contracts
        .contracts
        .iter_mut()
        .find(|c| c.openid == openid && c.product_id == product_id && c.out_contract_code == code))
}

fn query_subscribe_contract(
    contracts: &mut Contracts,
    request: &RouteRequest<'_>,
) -> Result<RouteFields, RouteError> {
    let state = match named(contracts, request)? {
        Some(contract) if contract.state == ContractState::Signed => "SIGNED",
        Some(_) => "TERMINATED",
        None => "UNBINDUSER",
    };
    let mut fields = RouteFields::new();
    fields.insert("authorization_state".into(), json!(state));
    Ok(fields)
}

fn send_subscribe_pre_payment(
    contracts: &mut Contracts,
    request: &RouteRequest<'_>,
) -> Result<RouteFields, RouteError> {
    let price = request.integer("deduct_price")?;
    let contract =
        named(contracts, request)?.filter(|c| c.state == ContractState::Signed).ok_or_else(not_subscribed)?;
    if !(100..=contract.price).contains(&price) {
        return Err(RouteError::new(674_690_001, "input deduct_price not valid"));
    }
    if contract.pending_notice.is_some() {
        return Err(RouteError::new(690_000_001, "not allowed to trigger pre payment at this time"));
    }
    contract.pending_notice = Some(price);
    Ok(RouteFields::new())
}

fn submit_subscribe_pay_order(
    contracts: &mut Contracts,
    request: &RouteRequest<'_>,
) -> Result<RouteFields, RouteError> {
    let parameter = |field: &str, problem: &str| {
        RouteError::new(-15_001, format!("[{field}] {field} is invalid: {problem}"))
    };
    if request.env() != Env::Production {
        return Err(RouteError::new(-15_011, "env must be 0: subscriptions are charged in production only"));
    }
    let openid = request.openid().ok_or_else(|| request.missing("openid"))?;
    if request.text("offer_id")? != contracts.offer_id {
        return Err(parameter("offer_id", "not the app's offer_id"));
    }
    if request.integer("buy_quantity")? != 1 {
        return Err(parameter("buy_quantity", "must be 1"));
    }
    if request.text("currency_type")? != "CNY" {
        return Err(RouteError::new(-15_004, "currency_type must be CNY"));
    }
    let product_id = request.text("product_id")?;
    let price = request.integer("deduct_price")?;
    let order_id = request.text("order_id")?;
    let attach = request.text("attach")?;
    let valid_id = (8..=32).contains(&order_id.len())
        && order_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
    if !valid_id {
        return Err(parameter("order_id", "8 to 32 characters of [0-9A-Za-z_-]"));
    }
    if contracts.contracts.iter().flat_map(|c| &c.orders).any(|order| order.order_id == order_id) {
        return Err(RouteError::new(-15_002, "order_id was used before; use a new one"));
    }
    let contract = contracts
        .contracts
        .iter_mut()
        .find(|c| c.openid == openid && c.product_id == product_id && c.state == ContractState::Signed);
    let Some((contract, notice)) = contract.and_then(|c| c.pending_notice.map(|notice| (c, notice))) else {
        return Err(RouteError::new(-15_025, "no pre-payment notice for this charge"));
    };
    if price < 1 || price > notice {
        return Err(RouteError::new(-15_027, "deduct_price is not valid"));
    }
    contract.pending_notice = None;
    contract.orders.push(SubscribeOrder {
        order_id: order_id.to_owned(),
        deduct_price: price,
        attach: attach.to_owned(),
    });
    Ok(RouteFields::new())
}

fn cancel_subscribe_contract(
    contracts: &mut Contracts,
    request: &RouteRequest<'_>,
) -> Result<RouteFields, RouteError> {
    let reason = request.text("termination_reason")?.to_owned();
    let contract =
        named(contracts, request)?.filter(|c| c.state == ContractState::Signed).ok_or_else(not_subscribed)?;
    contract.state = ContractState::Terminated;
    contract.pending_notice = None;
    contract.termination_reason = Some(reason);
    Ok(RouteFields::new())
}
