//! What the server holds: the app (fixed for its life), the limits, and the state that
//! requests change, behind one lock shared by the handle and every connection.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

use midas_core::AppSecret;

use crate::desks::BillsDesk;
use crate::fault::FaultPlan;
use crate::ledger::Ledger;
use crate::limits::Limits;
use crate::login::LoginCodes;
use crate::per_env::PerEnv;
use crate::routes::Route;
use crate::session::Sessions;
use crate::tokens::Tokens;

/// What is fixed for the life of the server.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) appid: String,
    pub(crate) offer_id: String,
    /// The Midas 1.0 app keys: `sig`.
    pub(crate) app_keys: PerEnv,
    /// The payment keys: `pay_sig` of Midas 2.0 and xpay.
    pub(crate) payment_keys: PerEnv,
    /// Fetches tokens and exchanges login codes.
    pub(crate) secret: AppSecret,
}

/// What changes: the tokens, the login codes, the players, the books, the faults.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) tokens: Tokens,
    pub(crate) logins: LoginCodes,
    pub(crate) sessions: Sessions,
    pub(crate) ledger: Ledger,
    pub(crate) faults: FaultPlan,
    pub(crate) requests: u64,
}

/// Shared by the handle and every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) app: App,
    pub(crate) limits: Limits,
    state: Mutex<State>,
    /// The added endpoints, by path.
    routes: RwLock<HashMap<String, Route>>,
    /// The bills desk, whose files the server serves (set once, when serving starts).
    pub(crate) bills: OnceLock<BillsDesk>,
}

impl Shared {
    pub(crate) fn new(app: App, limits: Limits, state: State) -> Self {
        Self {
            app,
            limits,
            state: Mutex::new(state),
            routes: RwLock::new(HashMap::new()),
            bills: OnceLock::new(),
        }
    }

    /// The endpoint added at `path`, if any.
    pub(crate) fn route(&self, path: &str) -> Option<Route> {
        self.routes.read().unwrap_or_else(PoisonError::into_inner).get(path).cloned()
    }

    /// Adds `route`, replacing an earlier route at its path. The caller has checked that no
    /// built-in API is served there.
    pub(crate) fn add_route(&self, route: Route) {
        self.routes.write().unwrap_or_else(PoisonError::into_inner).insert(route.path.clone(), route);
    }

    /// The state; a panic elsewhere while it was held leaves it usable, never poisoned.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
