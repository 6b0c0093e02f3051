//! The ad-fund desk: the seven `/xpay/*` ad-fund APIs over one set of books.
//!
//! What WeChat's side does is driven from the test, through [`AdFundsDesk`]:
//! [`open_account`](AdFundsDesk::open_account) registers an ad account the app may bind,
//! [`review_binding`](AdFundsDesk::review_binding) approves or rejects a binding,
//! [`grant_funds`](AdFundsDesk::grant_funds) grants funds for a settlement period,
//! [`finish_funds_bill`](AdFundsDesk::finish_funds_bill) settles a transfer, and
//! [`recover_funds`](AdFundsDesk::recover_funds) takes funds back. The APIs:
//!
//! - `bind_transfer_accout`: by uid and/or entity name. Unknown account 268490022, entity name
//!   not the account's 268490020, bound to another app 268490019, another industry 268490018,
//!   onboarding incomplete 268490021, already bound 268490004. A new binding waits for review
//!   (`state` 0) until [`AdFundsDesk::review_binding`].
//! - `query_transfer_account`: the bindings, in the order made.
//! - `query_adver_funds`: the grants, filtered by period and type, `page` from 1 (default 1),
//!   `page_size` default 10.
//! - `create_funds_bill`: a `request_id` used before is 268490004 (nothing changes); an amount
//!   not above 0 is 268490024; the account must be bound and approved (268490022), under its
//!   name (268490020) and agency (268490002); the grant is the one of the same period and
//!   type (268490002 when none), with enough left (268490023). The amount leaves the grant at
//!   once; the transfer is in progress (`status` 0) until
//!   [`AdFundsDesk::finish_funds_bill`]: done (1), or failed (2, the amount back in the grant).
//! - `query_funds_bill`, `query_recover_bill`: in a time window (unix seconds of the
//!   machine's clock when the transfer or recovery was made), by bill id or `request_id`.
//! - `download_adverfunds_order`: a link for a known grant (268490002 otherwise); the link is
//!   under `https://files.emulator.invalid/` and not served.
//!
//! Money is in fen, in `i64`, with checked arithmetic: a change that would overflow is
//! refused and changes nothing.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use midas_core::Scheme;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::routes::{Route, RouteError, RouteFields, RouteRequest};

/// An ad account on WeChat's side, which the app may bind: the input of
/// [`AdFundsDesk::open_account`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdAccount {
    /// Its uid.
    pub uid: i64,
    /// Its name, which transfers must give.
    pub name: String,
    /// The name of the entity that owns it.
    pub org_name: String,
    /// Its agency's uid.
    pub agency_id: i64,
    /// Its agency's name.
    pub agency_name: String,
    /// Whether it is bound to another app already (binding it is 268490019).
    pub bound_to_other_app: bool,
    /// Whether its industry differs from the app's (268490018).
    pub other_industry: bool,
    /// Whether its onboarding is incomplete (268490021).
    pub onboarding_incomplete: bool,
}

impl AdAccount {
    /// An account that can be bound: `uid`, `name`, owned by `org_name`, under agency
    /// `agency_id`.
    pub fn new(uid: i64, name: impl Into<String>, org_name: impl Into<String>, agency_id: i64) -> Self {
        Self {
            uid,
            name: name.into(),
            org_name: org_name.into(),
            agency_id,
            agency_name: format!("agency {agency_id}"),
            bound_to_other_app: false,
            other_industry: false,
            onboarding_incomplete: false,
        }
    }
}

/// A binding of an ad account to the app, as `query_transfer_account` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Binding {
    /// The account's uid.
    pub uid: i64,
    /// Review: 0 pending, 1 approved, 2 rejected.
    pub state: i64,
    /// 1 bound, 2 failed; 0 while pending.
    pub bind_result: i64,
    /// Why the review rejected it.
    pub error_msg: String,
}

/// Funds WeChat grants: the input of [`AdFundsDesk::grant_funds`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundGrant {
    /// Start of the settlement period (unix seconds).
    pub settle_begin: i64,
    /// End of the settlement period.
    pub settle_end: i64,
    /// Fen granted (not below 0).
    pub total_amount: i64,
    /// When the funds expire.
    pub expire_time: i64,
    /// 0 general, 1 ad incentive, 2 targeted incentive.
    pub fund_type: i64,
}

/// A grant as the desk keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grant {
    /// The grant's id.
    pub fund_id: String,
    /// What was granted.
    pub grant: FundGrant,
    /// Fen still available.
    pub remain_amount: i64,
}

/// A transfer made by `create_funds_bill`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FundsTransferRecord {
    /// The bill id.
    pub bill_id: String,
    /// The caller's `request_id`.
    pub request_id: String,
    /// The grant the funds came from.
    pub fund_id: String,
    /// The receiving account.
    pub transfer_account_uid: i64,
    /// Its name.
    pub transfer_account_name: String,
    /// Fen transferred.
    pub transfer_amount: i64,
    /// Whether the app shares its ad data (1) or not (0).
    pub authorize_advertise: i64,
    /// 0 in progress, 1 done, 2 failed.
    pub status: i64,
    /// When it was made (unix seconds).
    pub oper_time: i64,
}

/// A recovery: the input of [`AdFundsDesk::recover_funds`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// The grant to take funds from.
    pub fund_id: String,
    /// Fen to take (above 0, at most what is left).
    pub amount: i64,
    /// The account named as the one the funds are taken from.
    pub account_name: String,
    /// The refund orders behind it.
    pub refund_order_list: Vec<String>,
}

#[derive(Clone, Debug)]
struct RecoveryRecord {
    bill_id: String,
    recovery: Recovery,
    recover_time: i64,
}

#[derive(Debug, Default)]
struct Books {
    accounts: Vec<AdAccount>,
    bindings: Vec<Binding>,
    grants: Vec<Grant>,
    transfers: Vec<FundsTransferRecord>,
    recoveries: Vec<RecoveryRecord>,
    downloads: Vec<String>,
    next_id: u64,
}

impl Books {
    fn next(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:06}", self.next_id)
    }
}

/// The ad-fund desk of a running emulator ([`crate::Emulator::ad_funds`]): its APIs are
/// served, and its methods act as WeChat's side. Clones share the books.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{AdAccount, Emulator, FundGrant};
/// let emulator = Emulator::start().await?;
/// let desk = emulator.ad_funds();
/// desk.open_account(AdAccount::new(7_001, "Example Ads", "Example Games Ltd", 9_001));
/// let fund_id = desk.grant_funds(FundGrant {
///     settle_begin: 1_761_955_200,
///     settle_end: 1_764_547_199,
///     total_amount: 100_000,
///     expire_time: 1_767_225_599,
///     fund_type: 1,
/// });
/// assert_eq!(desk.grant(&fund_id).map(|grant| grant.remain_amount), Some(100_000));
/// assert!(desk.bindings().is_empty(), "nothing bound until the app binds it");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct AdFundsDesk {
    books: Arc<Mutex<Books>>,
}

impl AdFundsDesk {
    /// A desk with empty books.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The books; a panic elsewhere while they were held leaves them usable.
    fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The routes of the seven APIs.
    pub(crate) fn routes(&self) -> Vec<Route> {
        vec![
            self.route("/xpay/query_transfer_account", query_transfer_account),
            self.route("/xpay/bind_transfer_accout", bind_transfer_account),
            self.route("/xpay/query_adver_funds", query_adver_funds),
            self.route("/xpay/create_funds_bill", create_funds_bill),
            self.route("/xpay/query_funds_bill", query_funds_bill),
            self.route("/xpay/query_recover_bill", query_recover_bill),
            self.route("/xpay/download_adverfunds_order", download_adverfunds_order),
        ]
    }

    fn route(&self, path: &'static str, handle: Handler) -> Route {
        let desk = self.clone();
        Route::new(Scheme::Xpay, path, false, move |request: &RouteRequest<'_>| {
            handle(&mut desk.books(), request)
        })
        .expect("an xpay path starting with `/` is a valid route")
    }

    /// Registers (or replaces, by uid) an ad account the app may bind.
    pub fn open_account(&self, account: AdAccount) {
        let mut books = self.books();
        books.accounts.retain(|known| known.uid != account.uid);
        books.accounts.push(account);
    }

    /// Reviews the pending binding of account `uid`: approved (`state` 1, bound) or rejected
    /// (`state` 2, failed, with `reason`). Returns whether a pending binding was found.
    pub fn review_binding(&self, uid: i64, approved: bool, reason: &str) -> bool {
        let mut books = self.books();
        let Some(binding) =
            books.bindings.iter_mut().find(|binding| binding.uid == uid && binding.state == 0)
        else {
            return false;
        };
        if approved {
            (binding.state, binding.bind_result) = (1, 1);
        } else {
            (binding.state, binding.bind_result, binding.error_msg) = (2, 2, reason.to_owned());
        }
        true
    }

    /// The bindings, in the order made.
    pub fn bindings(&self) -> Vec<Binding> {
        self.books().bindings.clone()
    }

    /// Grants funds (a negative amount counts as 0) and returns the new `fund_id`.
    pub fn grant_funds(&self, grant: FundGrant) -> String {
        let mut books = self.books();
        let fund_id = books.next("fund");
        let remain_amount = grant.total_amount.max(0);
        let grant = FundGrant { total_amount: remain_amount, ..grant };
        books.grants.push(Grant { fund_id: fund_id.clone(), grant, remain_amount });
        fund_id
    }

    /// The grant `fund_id`, if any.
    pub fn grant(&self, fund_id: &str) -> Option<Grant> {
        self.books().grants.iter().find(|grant| grant.fund_id == fund_id).cloned()
    }

    /// The transfer `bill_id`, if any.
    pub fn funds_bill(&self, bill_id: &str) -> Option<FundsTransferRecord> {
        self.books().transfers.iter().find(|transfer| transfer.bill_id == bill_id).cloned()
    }

    /// Settles the in-progress transfer `bill_id`: done, or failed with its amount back in
    /// its grant. Returns whether an in-progress transfer was settled.
    pub fn finish_funds_bill(&self, bill_id: &str, succeeded: bool) -> bool {
        let mut books = self.books();
        let Some(at) = books.transfers.iter().position(|t| t.bill_id == bill_id && t.status == 0) else {
            return false;
        };
        if !succeeded {
            let (fund_id, amount) =
                (books.transfers[at].fund_id.clone(), books.transfers[at].transfer_amount);
            let Some(grant) = books.grants.iter_mut().find(|grant| grant.fund_id == fund_id) else {
                return false;
            };
            let Some(remain) = grant.remain_amount.checked_add(amount) else { return false };
            grant.remain_amount = remain;
        }
        books.transfers[at].status = if succeeded { 1 } else { 2 };
        true
    }

    /// Takes funds back from a grant and returns the recovery's bill id, or `None` (nothing
    /// changed) for an unknown grant or an amount not in `1..=remain_amount`.
    pub fn recover_funds(&self, recovery: Recovery) -> Option<String> {
        let mut books = self.books();
        let grant = books.grants.iter_mut().find(|grant| grant.fund_id == recovery.fund_id)?;
        if recovery.amount <= 0 {
            return None;
        }
        grant.remain_amount = grant.remain_amount.checked_sub(recovery.amount).filter(|left| *left >= 0)?;
        let bill_id = books.next("recover");
        books.recoveries.push(RecoveryRecord { bill_id: bill_id.clone(), recovery, recover_time: now() });
        Some(bill_id)
    }

    /// The `fund_id`s `download_adverfunds_order` handed links for, in order.
    pub fn downloads(&self) -> Vec<String> {
        self.books().downloads.clone()
    }
}

type Handler = fn(&mut Books, &RouteRequest<'_>) -> Result<RouteFields, RouteError>;

/// Unix seconds now (0 before 1970).
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

fn fields(value: Value) -> RouteFields {
    match value {
        Value::Object(fields) => fields,
        _ => RouteFields::new(),
    }
}

/// A page of `items` (`page` from 1) and the number of pages.
fn page<T: Clone>(items: &[T], page: i64, page_size: i64) -> (Vec<T>, i64) {
    let size = usize::try_from(page_size).unwrap_or(usize::MAX).max(1);
    let total_page = items.len().div_ceil(size);
    let skip = usize::try_from(page.saturating_sub(1)).unwrap_or(usize::MAX).saturating_mul(size);
    let items = items.iter().skip(skip).take(size).cloned().collect();
    (items, i64::try_from(total_page).unwrap_or(i64::MAX))
}

fn positive_page(
    request: &RouteRequest<'_>,
    name: &str,
    value: Option<i64>,
    default: i64,
) -> Result<i64, RouteError> {
    match value {
        Some(value) if value < 1 => Err(request.invalid(name, "must be at least 1")),
        Some(value) => Ok(value),
        None => Ok(default),
    }
}

fn query_transfer_account(books: &mut Books, _: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let list: Vec<Value> = books
        .bindings
        .iter()
        .filter_map(|binding| {
            let account = books.accounts.iter().find(|account| account.uid == binding.uid)?;
            Some(json!({
                "transfer_account_name": account.name,
                "transfer_account_uid": account.uid,
                "transfer_account_agency_id": account.agency_id,
                "transfer_account_agency_name": account.agency_name,
                "state": binding.state,
                "bind_result": binding.bind_result,
                "error_msg": binding.error_msg,
            }))
        })
        .collect();
    Ok(fields(json!({ "acct_list": list })))
}

fn bind_transfer_account(books: &mut Books, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let uid = request.optional_integer("transfer_account_uid")?;
    let org_name = request.optional_text("transfer_account_org_name")?;
    let account = match (uid, org_name) {
        (None, None) => return Err(request.missing("transfer_account_uid")),
        (Some(uid), _) => books.accounts.iter().find(|account| account.uid == uid),
        (None, Some(org_name)) => books.accounts.iter().find(|account| account.org_name == org_name),
    };
    let Some(account) = account else {
        return Err(RouteError::new(268_490_022, "ad-fund account is invalid"));
    };
    if org_name.is_some_and(|org_name| org_name != account.org_name) {
        return Err(RouteError::new(268_490_020, "ad-fund account entity name is wrong"));
    }
    if account.bound_to_other_app {
        return Err(RouteError::new(268_490_019, "ad-fund account is bound to another appid"));
    }
    if account.other_industry {
        return Err(RouteError::new(268_490_018, "ad-fund account industry id does not match"));
    }
    if account.onboarding_incomplete {
        return Err(RouteError::new(268_490_021, "account onboarding is not complete"));
    }
    let uid = account.uid;
    if books.bindings.iter().any(|binding| binding.uid == uid && binding.state != 2) {
        return Err(RouteError::new(268_490_004, "duplicate operation: the account is already bound"));
    }
    books.bindings.retain(|binding| binding.uid != uid);
    books.bindings.push(Binding { uid, state: 0, bind_result: 0, error_msg: String::new() });
    Ok(RouteFields::new())
}

#[derive(Deserialize)]
struct AdverFundsQuery {
    page: Option<i64>,
    page_size: Option<i64>,
    filter: Option<AdverFundsFilter>,
}

#[derive(Default, Deserialize)]
struct AdverFundsFilter {
    settle_begin: Option<i64>,
    settle_end: Option<i64>,
    fund_type: Option<i64>,
}

fn query_adver_funds(books: &mut Books, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let query: AdverFundsQuery = request.decode()?;
    let number = positive_page(request, "page", query.page, 1)?;
    let size = positive_page(request, "page_size", query.page_size, 10)?;
    let filter = query.filter.unwrap_or_default();
    let matching: Vec<&Grant> = books
        .grants
        .iter()
        .filter(|grant| filter.settle_begin.is_none_or(|begin| grant.grant.settle_begin >= begin))
        .filter(|grant| filter.settle_end.is_none_or(|end| grant.grant.settle_end <= end))
        .filter(|grant| filter.fund_type.is_none_or(|kind| grant.grant.fund_type == kind))
        .collect();
    let (grants, total_page) = page(&matching, number, size);
    let list: Vec<Value> = grants
        .iter()
        .map(|grant| {
            json!({
                "settle_begin": grant.grant.settle_begin,
                "settle_end": grant.grant.settle_end,
                "total_amount": grant.grant.total_amount,
                "remain_amount": grant.remain_amount,
                "expire_time": grant.grant.expire_time,
                "fund_type": grant.grant.fund_type,
                "fund_id": grant.fund_id,
            })
        })
        .collect();
    Ok(fields(json!({ "adver_funds_list": list, "total_page": total_page })))
}

fn create_funds_bill(books: &mut Books, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let amount = request.integer("transfer_amount")?;
    let uid = request.integer("transfer_account_uid")?;
    let name = request.text("transfer_account_name")?;
    let agency_id = request.integer("transfer_account_agency_id")?;
    let request_id = request.text("request_id")?;
    if request_id.chars().count() > 1024 {
        return Err(request.invalid("request_id", "at most 1024 characters"));
    }
    let (settle_begin, settle_end) = (request.integer("settle_begin")?, request.integer("settle_end")?);
    let authorize_advertise = request.integer("authorize_advertise")?;
    if !matches!(authorize_advertise, 0 | 1) {
        return Err(request.invalid("authorize_advertise", "must be 0 or 1"));
    }
    let fund_type = request.integer("fund_type")?;
    if !(0..=2).contains(&fund_type) {
        return Err(request.invalid("fund_type", "must be 0, 1 or 2"));
    }
    if books.transfers.iter().any(|transfer| transfer.request_id == request_id) {
        return Err(RouteError::new(268_490_004, "duplicate operation: request_id was used"));
    }
    if amount <= 0 {
        return Err(RouteError::new(268_490_024, "ad-fund transfer amount must be above 0"));
    }
    let approved = books.bindings.iter().any(|binding| binding.uid == uid && binding.state == 1);
    let Some(account) = books.accounts.iter().find(|account| account.uid == uid).filter(|_| approved) else {
        return Err(RouteError::new(268_490_022, "ad-fund account is invalid"));
    };
    if account.name != name {
        return Err(RouteError::new(268_490_020, "ad-fund account name is wrong"));
    }
    if account.agency_id != agency_id {
        return Err(request.invalid("transfer_account_agency_id", "not the account's agency"));
    }
    let Some(grant) = books.grants.iter_mut().find(|grant| {
        (grant.grant.settle_begin, grant.grant.settle_end, grant.grant.fund_type)
            == (settle_begin, settle_end, fund_type)
    }) else {
        return Err(request.invalid("settle_begin", "no ad funds were granted for this period and type"));
    };
    let Some(remain) = grant.remain_amount.checked_sub(amount).filter(|left| *left >= 0) else {
        return Err(RouteError::new(268_490_023, "ad-fund balance is not enough"));
    };
    grant.remain_amount = remain;
    let fund_id = grant.fund_id.clone();
    let bill_id = books.next("funds-bill");
    books.transfers.push(FundsTransferRecord {
        bill_id: bill_id.clone(),
        request_id: request_id.to_owned(),
        fund_id,
        transfer_account_uid: uid,
        transfer_account_name: name.to_owned(),
        transfer_amount: amount,
        authorize_advertise,
        status: 0,
        oper_time: now(),
    });
    Ok(fields(json!({ "bill_id": bill_id })))
}

#[derive(Deserialize)]
struct FundsBillQuery {
    page: i64,
    page_size: i64,
    filter: FundsBillFilter,
}

#[derive(Deserialize)]
struct FundsBillFilter {
    oper_time_begin: i64,
    oper_time_end: i64,
    bill_id: Option<String>,
    request_id: Option<String>,
}

fn query_funds_bill(books: &mut Books, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let query: FundsBillQuery = request.decode()?;
    let number = positive_page(request, "page", Some(query.page), 1)?;
    let size = positive_page(request, "page_size", Some(query.page_size), 1)?;
    let filter = query.filter;
    let matching: Vec<&FundsTransferRecord> = books
        .transfers
        .iter()
        .filter(|t| (filter.oper_time_begin..=filter.oper_time_end).contains(&t.oper_time))
        .filter(|t| filter.bill_id.as_ref().is_none_or(|id| *id == t.bill_id))
        .filter(|t| filter.request_id.as_ref().is_none_or(|id| *id == t.request_id))
        .collect();
    let (bills, total_page) = page(&matching, number, size);
    let list: Vec<Value> = bills
        .iter()
        .map(|t| {
            let period = books.grants.iter().find(|grant| grant.fund_id == t.fund_id);
            json!({
                "bill_id": t.bill_id,
                "oper_time": t.oper_time,
                "settle_begin": period.map_or(0, |grant| grant.grant.settle_begin),
                "settle_end": period.map_or(0, |grant| grant.grant.settle_end),
                "fund_id": t.fund_id,
                "transfer_account_name": t.transfer_account_name,
                "transfer_account_uid": t.transfer_account_uid,
                "transfer_amount": t.transfer_amount,
                "status": t.status,
                "request_id": t.request_id,
            })
        })
        .collect();
    Ok(fields(json!({ "bill_list": list, "total_page": total_page })))
}

#[derive(Deserialize)]
struct RecoverBillQuery {
    page: i64,
    page_size: i64,
    filter: RecoverBillFilter,
}

#[derive(Deserialize)]
struct RecoverBillFilter {
    recover_time_begin: i64,
    recover_time_end: i64,
    bill_id: Option<String>,
}

fn query_recover_bill(books: &mut Books, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let query: RecoverBillQuery = request.decode()?;
    let number = positive_page(request, "page", Some(query.page), 1)?;
    let size = positive_page(request, "page_size", Some(query.page_size), 1)?;
    let filter = query.filter;
    let matching: Vec<&RecoveryRecord> = books
        .recoveries
        .iter()
        .filter(|r| (filter.recover_time_begin..=filter.recover_time_end).contains(&r.recover_time))
        .filter(|r| filter.bill_id.as_ref().is_none_or(|id| *id == r.bill_id))
        .collect();
    let (recoveries, total_page) = page(&matching, number, size);
    let list: Vec<Value> = recoveries
        .iter()
        .map(|r| {
            let period = books.grants.iter().find(|grant| grant.fund_id == r.recovery.fund_id);
            json!({
                "bill_id": r.bill_id,
                "recover_time": r.recover_time,
                "settle_begin": period.map_or(0, |grant| grant.grant.settle_begin),
                "settle_end": period.map_or(0, |grant| grant.grant.settle_end),
                "fund_id": r.recovery.fund_id,
                "recover_account_name": r.recovery.account_name,
                "recover_amount": r.recovery.amount,
                "refund_order_list": r.recovery.refund_order_list,
            })
        })
        .collect();
    Ok(fields(json!({ "bill_list": list, "total_page": total_page })))
}

fn download_adverfunds_order(
    books: &mut Books,
    request: &RouteRequest<'_>,
) -> Result<RouteFields, RouteError> {
    let fund_id = request.text("fund_id")?;
    if !books.grants.iter().any(|grant| grant.fund_id == fund_id) {
        return Err(request.invalid("fund_id", "no such grant"));
    }
    books.downloads.push(fund_id.to_owned());
    let url = format!(
        "https://files.emulator.invalid/adverfunds_order/{fund_id}?download={}",
        books.downloads.len()
    );
    Ok(fields(json!({ "url": url })))
}
