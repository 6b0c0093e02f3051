//! The merchant funds desk: `query_biz_balance`, `create_withdraw_order`,
//! `query_withdraw_order`.
//!
//! Each environment has a merchant balance in fen, 0 until a test credits it
//! ([`FundsDesk::credit`]). Amounts travel in yuan as decimal text (`"12.34"`) and are read
//! exactly, never through a float; every sum is checked.
//!
//! - `create_withdraw_order` takes `withdraw_amount` (or, without one, the whole balance) off
//!   the balance at once. `withdraw_no` must be 8 to 32 characters of `[0-9A-Za-z_-]`; an
//!   amount of zero, with more than two decimals or above the balance is refused (268490002).
//!   The same `withdraw_no` with the same amount (or again without one) answers the first
//!   withdrawal and takes nothing more; with another amount it is refused (268490002).
//! - A withdrawal is in progress (status 1) until it succeeds: at the
//!   [`WITHDRAW_POLLS`]-th `query_withdraw_order` of it, or when a test calls
//!   [`FundsDesk::finish_withdrawal`]. [`FundsDesk::fail_withdrawal`] fails it instead (status
//!   3) and gives the amount back to the balance.
//! - `query_withdraw_order` of an unknown `withdraw_no` is refused (268490002).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::per_env::PerEnv;
use midas_core::{Env, Scheme};
use serde_json::{Value, json};

use crate::routes::{Route, RouteError, RouteFields, RouteRequest};

/// The `query_withdraw_order` of a withdrawal that sees it succeed: the first queries answer
/// "in progress".
pub const WITHDRAW_POLLS: u32 = 3;

/// The state of a withdrawal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WithdrawalStatus {
    /// 1: money on its way.
    InProgress,
    /// 2: paid out.
    Succeeded,
    /// 3: failed, the amount given back to the balance.
    Failed,
}

impl WithdrawalStatus {
    const fn code(self) -> i64 {
        match self {
            Self::InProgress => 1,
            Self::Succeeded => 2,
            Self::Failed => 3,
        }
    }
}

/// A withdrawal as the desk keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Withdrawal {
    /// The merchant's number.
    pub withdraw_no: String,
    /// The desk's own number (`wx_withdraw_no`).
    pub wx_withdraw_no: String,
    /// The amount in fen.
    pub amount_fen: u64,
    /// Its state.
    pub status: WithdrawalStatus,
    /// Queries made of it.
    pub queries: u32,
    /// When it was created, in Unix seconds.
    pub created_at: u64,
    /// When it succeeded, in Unix seconds.
    pub succeeded_at: Option<u64>,
    /// Why it failed.
    pub fail_reason: String,
    /// The amount asked for: `None` for "the whole balance".
    requested_fen: Option<u64>,
}

#[derive(Debug, Default)]
struct Account {
    balance_fen: u64,
    withdrawals: BTreeMap<String, Withdrawal>,
}

#[derive(Debug, Default)]
struct Funds {
    accounts: PerEnv<Account>,
    next_number: u64,
}

impl Funds {
    fn account(&mut self, env: Env) -> &mut Account {
        self.accounts.get_mut(env)
    }
}

/// The merchant funds of the local server; cheap to clone, every clone the same desk. See the
/// [module](self) for what it serves.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{Emulator, Env};
/// let emulator = Emulator::start().await?;
/// assert_eq!(emulator.funds().credit(Env::Sandbox, 12_345), Some(12_345));
/// assert_eq!(emulator.funds().balance(Env::Sandbox), 12_345);
/// assert_eq!(emulator.funds().balance(Env::Production), 0, "one balance per environment");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct FundsDesk {
    state: Arc<Mutex<Funds>>,
}

impl FundsDesk {
    fn lock(&self) -> MutexGuard<'_, Funds> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `fen` to the merchant balance of `env`; the new balance, or `None` (nothing
    /// changed) if it would not fit in a `u64`.
    pub fn credit(&self, env: Env, fen: u64) -> Option<u64> {
        let mut funds = self.lock();
        let account = funds.account(env);
        account.balance_fen = account.balance_fen.checked_add(fen)?;
        Some(account.balance_fen)
    }

    /// The merchant balance of `env`, in fen.
    pub fn balance(&self, env: Env) -> u64 {
        self.lock().account(env).balance_fen
    }

    /// The withdrawal `withdraw_no` of `env`.
    pub fn withdrawal(&self, env: Env, withdraw_no: &str) -> Option<Withdrawal> {
        self.lock().account(env).withdrawals.get(withdraw_no).cloned()
    }

    /// Makes the withdrawal succeed now; `false` if there is none in progress.
    pub fn finish_withdrawal(&self, env: Env, withdraw_no: &str) -> bool {
        let mut funds = self.lock();
        match funds.account(env).withdrawals.get_mut(withdraw_no) {
            Some(withdrawal) if withdrawal.status == WithdrawalStatus::InProgress => {
                succeed(withdrawal);
                true
            }
            _ => false,
        }
    }

    /// Makes the withdrawal fail now with `reason`, giving its amount back to the balance;
    /// `false` if there is none in progress (or the balance could not take it back).
    pub fn fail_withdrawal(&self, env: Env, withdraw_no: &str, reason: &str) -> bool {
        let mut funds = self.lock();
        let account = funds.account(env);
        let Some(withdrawal) = account.withdrawals.get_mut(withdraw_no) else { return false };
        if withdrawal.status != WithdrawalStatus::InProgress {
            return false;
        }
        let Some(balance) = account.balance_fen.checked_add(withdrawal.amount_fen) else { return false };
        account.balance_fen = balance;
        withdrawal.status = WithdrawalStatus::Failed;
        reason.clone_into(&mut withdrawal.fail_reason);
        true
    }

    /// The routes of the desk's APIs.
    pub(crate) fn routes(&self) -> Vec<Route> {
        let balance = self.clone();
        let create = self.clone();
        let query = self.clone();
        [
            route("/xpay/query_biz_balance", move |request| balance.query_biz_balance(request)),
            route("/xpay/create_withdraw_order", move |request| create.create_withdraw_order(request)),
            route("/xpay/query_withdraw_order", move |request| query.query_withdraw_order(request)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn query_biz_balance(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let balance = self.balance(request.env());
        Ok(fields(json!({ "balance_available": { "amount": yuan(balance), "currency_code": "CNY" } })))
    }

    fn create_withdraw_order(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let withdraw_no = request.text("withdraw_no")?;
        let valid_no = (8..=32).contains(&withdraw_no.len())
            && withdraw_no.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid_no {
            return Err(request.invalid("withdraw_no", "must be 8 to 32 characters of [0-9A-Za-z_-]"));
        }
        let requested = match request.optional_text("withdraw_amount")? {
            Some(text) => Some(parse_yuan(text).ok_or_else(|| {
                request.invalid("withdraw_amount", "must be yuan with at most two decimals")
            })?),
            None => None,
        };
        let mut funds = self.lock();
        let number = funds.next_number + 1;
        let account = funds.account(request.env());
        if let Some(earlier) = account.withdrawals.get(withdraw_no) {
            if earlier.requested_fen != requested {
                return Err(request.invalid("withdraw_no", "already used by a withdrawal of another amount"));
            }
            return Ok(created(earlier));
        }
        let amount = requested.unwrap_or(account.balance_fen);
        if amount == 0 {
            return Err(request.invalid("withdraw_amount", "nothing to withdraw: must be above 0"));
        }
        let Some(balance) = account.balance_fen.checked_sub(amount) else {
            return Err(request.invalid("withdraw_amount", "more than the balance"));
        };
        account.balance_fen = balance;
        let withdrawal = Withdrawal {
            withdraw_no: withdraw_no.to_owned(),
            wx_withdraw_no: format!("{}{number:010}", request.env().pick("1", "9")),
            amount_fen: amount,
            status: WithdrawalStatus::InProgress,
            queries: 0,
            created_at: unix_now(),
            succeeded_at: None,
            fail_reason: String::new(),
            requested_fen: requested,
        };
        let answer = created(&withdrawal);
        account.withdrawals.insert(withdraw_no.to_owned(), withdrawal);
        funds.next_number = number;
        Ok(answer)
    }

    fn query_withdraw_order(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let withdraw_no = request.text("withdraw_no")?;
        let mut funds = self.lock();
        let Some(withdrawal) = funds.account(request.env()).withdrawals.get_mut(withdraw_no) else {
            return Err(request.invalid("withdraw_no", "no such withdrawal"));
        };
        withdrawal.queries = withdrawal.queries.saturating_add(1);
        if withdrawal.status == WithdrawalStatus::InProgress && withdrawal.queries >= WITHDRAW_POLLS {
            succeed(withdrawal);
        }
        let mut answer = fields(json!({
            "withdraw_no": withdrawal.withdraw_no,
            "status": withdrawal.status.code(),
            "withdraw_amount": yuan(withdrawal.amount_fen),
            "wx_withdraw_no": withdrawal.wx_withdraw_no,
            "create_time": withdrawal.created_at.to_string(),
            "fail_reason": withdrawal.fail_reason,
        }));
        if let Some(at) = withdrawal.succeeded_at {
            answer.insert("withdraw_success_timestamp".into(), at.into());
        }
        Ok(answer)
    }
}

fn succeed(withdrawal: &mut Withdrawal) {
    withdrawal.status = WithdrawalStatus::Succeeded;
    withdrawal.succeeded_at = Some(unix_now());
}

fn created(withdrawal: &Withdrawal) -> RouteFields {
    fields(json!({ "withdraw_no": withdrawal.withdraw_no, "wx_withdraw_no": withdrawal.wx_withdraw_no }))
}

/// An xpay route without the player's signature.
fn route(
    path: &str,
    handler: impl Fn(&RouteRequest<'_>) -> Result<RouteFields, RouteError> + Send + Sync + 'static,
) -> Option<Route> {
    Route::new(Scheme::Xpay, path, false, handler).ok()
}

/// The members of a JSON object.
fn fields(value: Value) -> RouteFields {
    match value {
        Value::Object(fields) => fields,
        _ => RouteFields::new(),
    }
}

/// `fen` as yuan text: `"12.34"`.
fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Yuan text (`"12"`, `"12.3"`, `"12.34"`) in fen, exactly; `None` for anything else.
fn parse_yuan(text: &str) -> Option<u64> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
        Some(_) => return None,
        None => (text, ""),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
        return None;
    }
    let cents = format!("{fraction:0<2}").parse::<u64>().ok()?;
    whole.parse::<u64>().ok()?.checked_mul(100)?.checked_add(cents)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::{parse_yuan, yuan};

    #[test]
    fn yuan_text_is_read_and_written_exactly() {
        assert_eq!(parse_yuan("0.01"), Some(1));
        assert_eq!(parse_yuan("12.3"), Some(1230));
        assert_eq!(parse_yuan("12"), Some(1200));
        for bad in ["", ".5", "1.", "1.234", "-1", "1e3", " 1", "1.2.3"] {
            assert_eq!(parse_yuan(bad), None, "{bad:?}");
        }
        assert_eq!(parse_yuan("184467440737095516.15"), Some(u64::MAX));
        assert_eq!(parse_yuan("184467440737095516.16"), None, "past u64 fen");
        assert_eq!(yuan(1230), "12.30");
        assert_eq!(yuan(5), "0.05");
    }
}
