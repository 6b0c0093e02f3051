//! What the server holds: the app (fixed for its life), the limits, and the state that
//! requests change, behind one lock shared by the handle and every connection.

use std::sync::{Mutex, MutexGuard, PoisonError};

use midas_core::{AppKey, AppSecret, Env};

use crate::fault::FaultPlan;
use crate::ledger::Ledger;
use crate::limits::Limits;
use crate::login::LoginCodes;
use crate::session::Sessions;
use crate::tokens::Tokens;

/// What is fixed for the life of the server.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) appid: String,
    pub(crate) offer_id: String,
    pub(crate) production_key: AppKey,
    pub(crate) sandbox_key: AppKey,
    pub(crate) payment_production_key: AppKey,
    pub(crate) payment_sandbox_key: AppKey,
    /// Fetches tokens and exchanges login codes.
    pub(crate) secret: AppSecret,
}

impl App {
    /// The Midas 1.0 key of `env`.
    pub(crate) fn key(&self, env: Env) -> &AppKey {
        env.pick(&self.production_key, &self.sandbox_key)
    }

    /// The payment key of `env`, for `pay_sig` of Midas 2.0 and xpay.
    pub(crate) fn payment_key(&self, env: Env) -> &AppKey {
        env.pick(&self.payment_production_key, &self.payment_sandbox_key)
    }
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
}

impl Shared {
    pub(crate) fn new(app: App, limits: Limits, state: State) -> Self {
        Self { app, limits, state: Mutex::new(state) }
    }

    /// The state; a panic elsewhere while it was held leaves it usable, never poisoned.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
