//! The bills desk: `download_bill`, `start_download_order`, `query_download_order`,
//! `download_ios_settlement_bill`, and the files their URLs point to.
//!
//! Files are served by the server itself at `GET /_emulator/bills/<id>` ([`BILL_FILES_PATH`])
//! for [`URL_LIFETIME`] (30 minutes) on the emulator's clock, the one
//! [`Emulator::advance_clock`](crate::Emulator::advance_clock) moves; after that, and for an
//! unknown id, the answer is 404. Each URL is issued when it is handed out.
//!
//! The bill format is the emulator's own (Midas documents none): CSV with a header line,
//! `seq,api,openid,zone_id,order_id,change,amount,gifted,balance_after`, one line per coin
//! [`Effect`] of the call's environment, oldest first (`change` is `present`, `pay`,
//! `cancelpay` or `refund`; `amount` the coins moved, `gifted` how many of them were gifted
//! coins). The books are not dated, so a bill of any range of days lists every effect so far.
//! [`BillsDesk::bill_csv`] gives the same text.
//!
//! - `download_bill` (`begin_ds`, `end_ds`: real dates `YYYYMMDD`, as numbers or text, in
//!   order; 268490002 otherwise): the first [`BILL_POLLS`] calls for a range answer 268490011
//!   (still generating); every later one answers `url`, a file of the books as they are then.
//! - `start_download_order` (`begin_ds`, `end_ds` at most 31 days apart, `order_type` 1 to 4,
//!   `pay_channel` 1 or 2, optional `order_info`, `is_provided`, `refund_status`) answers a
//!   `task_id`. `query_download_order` answers `status` 1 (running) until its
//!   [`EXPORT_POLLS`]-th query, which finishes it: `status` 2, `download_url` and `expire_at`
//!   (Unix seconds). The export lists, in the bill format, the effects of the task's type —
//!   1: pays, 4: refunds (`cancelpay`, `refund`); 2 and 3 none (the books hold no goods or
//!   subscription orders), nor pay channel 2 (no Apple purchases) — whose `order_id` or
//!   `openid` contains `order_info`, as the books are at that query. An unknown `task_id` is
//!   268490002.
//! - `download_ios_settlement_bill` (`start_month`, `end_month`: `YYYYMM`, in order) lists the
//!   months of the range that have a settlement bill, each with a `bill_url`; a test adds them
//!   with [`BillsDesk::add_ios_settlement_bill`].

use core::fmt;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::per_env::PerEnv;
use midas_core::{Env, Scheme};
use serde_json::{Value, json};

use crate::ledger::{Change, Effect};
use crate::routes::{Route, RouteError, RouteFields, RouteRequest};

/// Where the server serves the files of the bills desk: `GET <base_url>/_emulator/bills/<id>`.
pub const BILL_FILES_PATH: &str = "/_emulator/bills/";

/// How long a file's URL is served, on the emulator's clock.
pub const URL_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How many `download_bill` calls of a range answer 268490011 before its URL.
pub const BILL_POLLS: u32 = 2;

/// The `query_download_order` of a task that sees it finish.
pub const EXPORT_POLLS: u32 = 2;

/// The errcode of data still being generated.
const STILL_GENERATING: i64 = 268_490_011;

/// The emulator's clock.
pub(crate) type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The coin effects applied so far.
pub(crate) type Books = Arc<dyn Fn() -> Vec<Effect> + Send + Sync>;

/// What an export lists.
#[derive(Clone, Debug)]
struct ExportFilter {
    order_type: i64,
    pay_channel: i64,
    order_info: Option<String>,
}

impl ExportFilter {
    fn keeps(&self, effect: &Effect) -> bool {
        let of_type = matches!(
            (self.order_type, &effect.change),
            (1, Change::Pay { .. }) | (4, Change::CancelPay { .. } | Change::Refund { .. })
        );
        let matches = self
            .order_info
            .as_deref()
            .is_none_or(|keyword| effect.bill_no.contains(keyword) || effect.openid.contains(keyword));
        self.pay_channel == 1 && of_type && matches
    }
}

#[derive(Debug)]
struct Export {
    filter: ExportFilter,
    queries: u32,
    /// The file's URL and its expiry in Unix seconds, once finished.
    done: Option<(String, u64)>,
}

#[derive(Debug, Default)]
struct EnvBills {
    /// Calls per range of days.
    generations: HashMap<(u32, u32), u32>,
    exports: HashMap<String, Export>,
    ios: BTreeMap<u32, Vec<u8>>,
}

#[derive(Debug)]
struct File {
    bytes: Vec<u8>,
    expires: Instant,
}

#[derive(Debug, Default)]
struct Bills {
    envs: PerEnv<EnvBills>,
    files: HashMap<String, File>,
    issued: u64,
}

impl Bills {
    fn of(&mut self, env: Env) -> &mut EnvBills {
        self.envs.get_mut(env)
    }

    /// Keeps `bytes` for [`URL_LIFETIME`] from `now`; its id. Expired files are dropped.
    fn issue(&mut self, bytes: Vec<u8>, now: Instant) -> String {
        self.files.retain(|_, file| file.expires > now);
        self.issued += 1;
        let id = format!("f{:08}", self.issued);
        self.files.insert(id.clone(), File { bytes, expires: now + URL_LIFETIME });
        id
    }
}

/// The bills and exports of the local server; cheap to clone, every clone the same desk. See
/// the [module](self) for what it serves.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{Emulator, Env};
/// let emulator = Emulator::start().await?;
/// assert!(emulator.bills().add_ios_settlement_bill(Env::Sandbox, "202601", b"month,amount\n".to_vec()));
/// assert!(!emulator.bills().add_ios_settlement_bill(Env::Sandbox, "202613", Vec::new()), "no 13th month");
/// assert_eq!(emulator.bills().bill_csv(Env::Sandbox).lines().count(), 1, "the header: no effect yet");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BillsDesk {
    state: Arc<Mutex<Bills>>,
    base_url: Arc<str>,
    clock: Clock,
    books: Books,
}

impl fmt::Debug for BillsDesk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BillsDesk").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl BillsDesk {
    /// A desk whose URLs start with `base_url`, reading time from `clock` and the books from
    /// `books`.
    pub(crate) fn new(base_url: &str, clock: Clock, books: Books) -> Self {
        Self { state: Arc::default(), base_url: base_url.into(), clock, books }
    }

    fn lock(&self) -> MutexGuard<'_, Bills> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The text a bill of `env` holds now (see the [module](self) for the format).
    pub fn bill_csv(&self, env: Env) -> String {
        csv((self.books)().iter().filter(|effect| effect.env == env))
    }

    /// Registers the iOS settlement bill of `month` (`YYYYMM`) in `env`, replacing an earlier
    /// one; `false` (nothing kept) if `month` is not a month.
    pub fn add_ios_settlement_bill(&self, env: Env, month: &str, bytes: Vec<u8>) -> bool {
        let Some(month) = parse_month(month) else { return false };
        self.lock().of(env).ios.insert(month, bytes);
        true
    }

    /// The file `id` while its URL is valid.
    pub(crate) fn file(&self, id: &str) -> Option<Vec<u8>> {
        let now = (self.clock)();
        self.lock().files.get(id).filter(|file| file.expires > now).map(|file| file.bytes.clone())
    }

    fn url(&self, id: &str) -> String {
        format!("{}{BILL_FILES_PATH}{id}", self.base_url)
    }

    /// The routes of the desk's APIs.
    pub(crate) fn routes(&self) -> Vec<Route> {
        let (bill, start, query, ios) = (self.clone(), self.clone(), self.clone(), self.clone());
        [
            route("/xpay/download_bill", move |request| bill.download_bill(request)),
            route("/xpay/start_download_order", move |request| start.start_download_order(request)),
            route("/xpay/query_download_order", move |request| query.query_download_order(request)),
            route("/xpay/download_ios_settlement_bill", move |request| {
                ios.download_ios_settlement_bill(request)
            }),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn download_bill(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let (begin, end) = (date(request, "begin_ds")?, date(request, "end_ds")?);
        if begin > end {
            return Err(request.invalid("end_ds", "must not be before begin_ds"));
        }
        let (now, bill) = ((self.clock)(), self.bill_csv(request.env()));
        let mut bills = self.lock();
        let calls = bills.of(request.env()).generations.entry((begin, end)).or_insert(0);
        *calls = calls.saturating_add(1);
        if *calls <= BILL_POLLS {
            return Err(RouteError::new(STILL_GENERATING, "data being generated, call again later"));
        }
        let id = bills.issue(bill.into_bytes(), now);
        Ok(fields(json!({ "url": self.url(&id) })))
    }

    fn start_download_order(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let (begin, end) = (date(request, "begin_ds")?, date(request, "end_ds")?);
        match days_between(begin, end) {
            Some(days) if (0..=31).contains(&days) => {}
            _ => return Err(request.invalid("end_ds", "must be 0 to 31 days after begin_ds")),
        }
        let order_type = request.integer("order_type")?;
        if !(1..=4).contains(&order_type) {
            return Err(request.invalid("order_type", "must be 1 to 4"));
        }
        let pay_channel = request.integer("pay_channel")?;
        if !(1..=2).contains(&pay_channel) {
            return Err(request.invalid("pay_channel", "must be 1 or 2"));
        }
        if let Some(refund_status) = request.optional_integer("refund_status")? {
            if order_type != 4 || ![0, 2, 4, 5].contains(&refund_status) {
                return Err(request.invalid("refund_status", "0, 2, 4 or 5, for refund exports only"));
            }
        }
        match request.fields().get("is_provided") {
            None | Some(Value::Bool(_)) => {}
            Some(_) => return Err(request.invalid("is_provided", "must be true or false")),
        }
        let order_info = request.optional_text("order_info")?.map(str::to_owned);
        let filter = ExportFilter { order_type, pay_channel, order_info };
        let mut bills = self.lock();
        bills.issued += 1;
        let task_id = format!("export-{:08}", bills.issued);
        bills.of(request.env()).exports.insert(task_id.clone(), Export { filter, queries: 0, done: None });
        Ok(fields(json!({ "task_id": task_id })))
    }

    fn query_download_order(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let task_id = request.text("task_id")?;
        let (now, effects) = ((self.clock)(), (self.books)());
        let mut bills = self.lock();
        let Some(export) = bills.of(request.env()).exports.get_mut(task_id) else {
            return Err(request.invalid("task_id", "no such task"));
        };
        export.queries = export.queries.saturating_add(1);
        if export.done.is_none() && export.queries >= EXPORT_POLLS {
            let filter = export.filter.clone();
            let rows = effects.iter().filter(|effect| effect.env == request.env() && filter.keeps(effect));
            let id = bills.issue(csv(rows).into_bytes(), now);
            let expire_at = unix_now().saturating_add(URL_LIFETIME.as_secs());
            if let Some(export) = bills.of(request.env()).exports.get_mut(task_id) {
                export.done = Some((self.url(&id), expire_at));
            }
        }
        let done = bills.of(request.env()).exports.get(task_id).and_then(|export| export.done.clone());
        Ok(fields(match done {
            Some((url, expire_at)) => {
                json!({ "task_id": task_id, "status": 2, "download_url": url, "expire_at": expire_at })
            }
            None => json!({ "task_id": task_id, "status": 1, "download_url": "", "expire_at": 0 }),
        }))
    }

    fn download_ios_settlement_bill(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let month = |name: &str| {
            request.text(name).and_then(|text| {
                parse_month(text).ok_or_else(|| request.invalid(name, "must be a month YYYYMM"))
            })
        };
        let (start, end) = (month("start_month")?, month("end_month")?);
        if start > end {
            return Err(request.invalid("end_month", "must not be before start_month"));
        }
        let now = (self.clock)();
        let mut bills = self.lock();
        let months: Vec<(u32, Vec<u8>)> = bills
            .of(request.env())
            .ios
            .range(start..=end)
            .map(|(month, bytes)| (*month, bytes.clone()))
            .collect();
        let list: Vec<Value> = months
            .into_iter()
            .map(|(month, bytes)| {
                let id = bills.issue(bytes, now);
                json!({ "month": month.to_string(), "bill_url": self.url(&id) })
            })
            .collect();
        Ok(fields(json!({ "bill_list": list })))
    }
}

/// The bill format: a header, then one line per effect.
fn csv<'a>(effects: impl Iterator<Item = &'a Effect>) -> String {
    let mut text = String::from("seq,api,openid,zone_id,order_id,change,amount,gifted,balance_after\n");
    for effect in effects {
        let (change, amount, gifted) = match &effect.change {
            Change::Present { present_counts } => ("present", *present_counts, *present_counts),
            Change::Pay { amt, used_gen_amt } => ("pay", *amt, *used_gen_amt),
            Change::CancelPay { amt, restored_gen_amt } => ("cancelpay", *amt, *restored_gen_amt),
            Change::Refund { amount, restored_gen_amt, .. } => ("refund", *amount, *restored_gen_amt),
        };
        let line = [
            effect.seq.to_string(),
            effect.api.to_string(),
            csv_field(&effect.openid),
            csv_field(&effect.zone_id),
            csv_field(&effect.bill_no),
            change.to_owned(),
            amount.to_string(),
            gifted.to_string(),
            effect.balance_after.to_string(),
        ]
        .join(",");
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A date field `YYYYMMDD`, as a number or as text.
fn date(request: &RouteRequest<'_>, name: &str) -> Result<u32, RouteError> {
    let value = match request.fields().get(name) {
        None | Some(Value::Null) => return Err(request.missing(name)),
        Some(Value::Number(number)) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(text)) if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()
        }
        Some(_) => None,
    };
    value
        .filter(|&date| civil_day(date).is_some())
        .ok_or_else(|| request.invalid(name, "must be a date YYYYMMDD"))
}

/// Days from 0000-03-01 of a real date `YYYYMMDD` (2000 to 9999).
fn civil_day(date: u32) -> Option<i64> {
    let (year, month, day) = (i64::from(date / 10_000), i64::from(date / 100 % 100), i64::from(date % 100));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in = match month {
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        1..=12 => 31,
        _ => return None,
    };
    if !(2000..=9999).contains(&year) || !(1..=days_in).contains(&day) {
        return None;
    }
    let (year, month) = if month <= 2 { (year - 1, month + 12) } else { (year, month) };
    Some(365 * year + year / 4 - year / 100 + year / 400 + (153 * (month - 3) + 2) / 5 + day - 1)
}

fn days_between(begin: u32, end: u32) -> Option<i64> {
    Some(civil_day(end)? - civil_day(begin)?)
}

/// A month `YYYYMM` (2000 to 9999).
fn parse_month(text: &str) -> Option<u32> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month: u32 = text.parse().ok()?;
    ((2000..=9999).contains(&(month / 100)) && (1..=12).contains(&(month % 100))).then_some(month)
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

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::{civil_day, csv_field, days_between, parse_month};

    #[test]
    fn dates_are_real_days_and_spans_count_calendar_days() {
        assert!(civil_day(20240229).is_some());
        assert!(civil_day(20230229).is_none());
        assert!(civil_day(20230431).is_none());
        assert!(civil_day(19991231).is_none());
        assert_eq!(days_between(20230801, 20230901), Some(31));
        assert_eq!(days_between(20231231, 20240101), Some(1));
        assert_eq!(days_between(20240201, 20240301), Some(29));
        assert_eq!(parse_month("202612"), Some(202_612));
        assert_eq!(parse_month("202613"), None);
        assert_eq!(parse_month("20266"), None);
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("player-1"), "player-1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
