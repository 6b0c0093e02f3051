//! Exactly-once under faults: thousands of mixed calls from concurrent tasks against the
//! emulator with seeded faults; afterwards every player's ledger equals what the client
//! reported as applied, and no `bill_no` was ever applied twice.
//!
//! The seed comes from `MIDAS_SOAK_SEED` (printed), so a failure reproduces: one seed gives one
//! run, whatever order the tasks' requests reach the server in.
//!
//! - The calls are fixed by the seed: each task draws its own sequence from (seed, task).
//! - Each task plays its own players (task `t` plays players `t`, `t + 16`, ...), so whether a
//!   pay finds enough coins, and so what the client does next, never depends on how the tasks
//!   interleave.
//! - The emulator draws each fault from (seed, call, attempt), not from one generator in order
//!   of arrival (see `midas_emulator::FaultRates`): the same attempt of the same call meets the
//!   same fault in every run. The run prints a digest of the fault schedule to compare runs by.
//!
//! What may still differ between two runs of one seed is timing: an answer slower than the
//! client's 200 ms timeout without any fault (a loaded machine) makes an extra attempt, which
//! draws a fault of its own; from there that call's attempts, the fault counts, the request
//! count and the ambiguous/applied tallies can differ. The assertions hold either way.
//! `one_seed_gives_one_fault_schedule` checks the schedule with a timeout no answer comes near.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use midas_api::{
    ApiErrorKind, CancelPay, Client, Env, Error, Pay, Player, Present, RetryPolicy, SessionKey, StaticToken,
};
use midas_emulator::{Api, Emulator, FaultRates};
use midas_tests::emulator_config;

/// Faults of the soak: each kind at least once in a few thousand calls.
const SOAK_RATES: FaultRates = FaultRates {
    busy_before: 0.10,
    busy_after: 0.05,
    drop_after: 0.05,
    delay_after: 0.02,
    delay: Duration::from_millis(400),
};

const TASKS: usize = 16;
const PLAYERS: usize = 200;
const STARTING_BALANCE: i64 = 100;
const DEFAULT_SEED: u64 = 0x5EED_2026;

/// SplitMix64, so the call mix is fixed by the seed without another dependency.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// How one call ended, as the client reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Outcome {
    /// `Ok`: applied (or, for getbalance, read).
    Applied,
    /// `Error::AlreadyProcessed`: applied by an earlier attempt of this call.
    AlreadyProcessed,
    /// A definite refusal (not retryable): nothing applied.
    Refused(ApiErrorKind),
    /// A retryable error after every attempt: the outcome is open.
    Ambiguous,
    /// Anything else: a bug for this test.
    Unexpected,
}

/// One money-moving call and its outcome.
#[derive(Clone, Debug)]
struct Record {
    api: Api,
    openid: String,
    bill_no: String,
    /// Signed change of the balance if applied (cancel: filled in from the pay it cancels).
    delta: i64,
    outcome: Outcome,
}

fn outcome_of<T>(result: &Result<T, Error>) -> Outcome {
    match result {
        Ok(_) => Outcome::Applied,
        Err(Error::AlreadyProcessed { .. }) => Outcome::AlreadyProcessed,
        Err(error) if error.is_retryable() => Outcome::Ambiguous,
        Err(Error::Api(api)) => Outcome::Refused(api.kind()),
        Err(_) => Outcome::Unexpected,
    }
}

fn seed() -> u64 {
    std::env::var("MIDAS_SOAK_SEED").ok().and_then(|text| text.parse().ok()).unwrap_or(DEFAULT_SEED)
}

fn openid(index: u64) -> String {
    format!("soak-player-{index:03}")
}

fn session_key(index: u64) -> SessionKey {
    SessionKey::new(format!("soak-session-key-{index:03}")).expect("not empty")
}

async fn run_task(
    client: Client<midas_api::ReqwestTransport, StaticToken>,
    seed: u64,
    task: usize,
    calls_per_task: usize,
) -> (Vec<Record>, HashMap<&'static str, u64>) {
    let mut draws = Draws(seed ^ (task as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut records = Vec::new();
    let mut reads: HashMap<&'static str, u64> = HashMap::new();
    // This task's pays, by index into `records`, not yet cancelled by this task.
    let mut cancellable: Vec<usize> = Vec::new();
    // This task's own players: `task`, `task + TASKS`, ...
    let own_players = (PLAYERS - task).div_ceil(TASKS) as u64;
    for call in 0..calls_per_task {
        let index = task as u64 + TASKS as u64 * draws.below(own_players);
        let player = Player::new(openid(index)).with_session_key(session_key(index));
        let bill_no = format!("soak-{seed:x}-t{task}-c{call}");
        match draws.below(10) {
            0..=2 => {
                let present_counts = 1 + draws.below(100) as i64;
                let result =
                    client.present(&player, Present { bill_no: bill_no.clone(), present_counts }).await;
                records.push(Record {
                    api: Api::Present,
                    openid: player.openid().to_owned(),
                    bill_no,
                    delta: present_counts,
                    outcome: outcome_of(&result),
                });
            }
            3..=5 => {
                let amt = 1 + draws.below(120) as i64;
                let pay = Pay { amt, bill_no: bill_no.clone(), pay_item: None, app_remark: None };
                let result = client.pay(&player, pay).await;
                cancellable.push(records.len());
                records.push(Record {
                    api: Api::Pay,
                    openid: player.openid().to_owned(),
                    bill_no,
                    delta: -amt,
                    outcome: outcome_of(&result),
                });
            }
            6..=7 if !cancellable.is_empty() => {
                let pick = draws.below(cancellable.len() as u64) as usize;
                let pay = records[cancellable.swap_remove(pick)].clone();
                let index: u64 = pay.openid.trim_start_matches("soak-player-").parse().expect("our openid");
                let player = Player::new(pay.openid.clone()).with_session_key(session_key(index));
                let result = client
                    .cancel_pay(&player, CancelPay { bill_no: pay.bill_no.clone(), pay_item: None })
                    .await;
                records.push(Record {
                    api: Api::CancelPay,
                    openid: pay.openid,
                    bill_no: pay.bill_no,
                    delta: -pay.delta,
                    outcome: outcome_of(&result),
                });
            }
            _ => {
                let kind = match client.get_balance(&player).await {
                    Ok(balance) => {
                        assert!(balance.balance >= 0, "a balance never goes below zero: {balance:?}");
                        "getbalance ok"
                    }
                    Err(error) if error.is_retryable() => "getbalance ambiguous",
                    Err(error) => panic!("getbalance failed for good: {error:?}"),
                };
                *reads.entry(kind).or_default() += 1;
            }
        }
    }
    (records, reads)
}

/// What one soak run saw.
struct Summary {
    calls: u64,
    ambiguous_applied: u64,
    ambiguous_not_applied: u64,
    faults: midas_emulator::FaultCounts,
    requests: u64,
    /// Every fault that struck, as `api env call #attempt fault`, sorted.
    schedule: Vec<String>,
    /// Every player's final balance, by openid.
    balances: Vec<(String, i64)>,
}

/// How one soak run calls the emulator.
#[derive(Clone, Copy)]
struct Scenario {
    seed: u64,
    attempts: u32,
    calls_per_task: usize,
    rates: FaultRates,
    timeout: Duration,
}

impl Scenario {
    /// The soak's faults and its 200 ms client timeout.
    fn new(seed: u64, attempts: u32, calls_per_task: usize) -> Self {
        Self { seed, attempts, calls_per_task, rates: SOAK_RATES, timeout: Duration::from_millis(200) }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_moves_exactly_once_under_faults() {
    let summary = soak(Scenario::new(seed(), 8, 320)).await;
    assert!(summary.calls >= 5_000, "at least 5000 calls, made {}", summary.calls);
    let faults = summary.faults;
    assert!(faults.busy_before > 0 && faults.busy_after > 0, "busy faults were injected: {faults:?}");
    assert!(faults.delay_after > 0 && faults.drop_after > 0, "lost answers were injected: {faults:?}");
    assert!(summary.requests > summary.calls, "faults caused retries");
}

/// With only two attempts some calls end without an answer; they are settled from the books.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_left_ambiguous_are_reconciled_from_the_books() {
    let summary = soak(Scenario::new(seed().wrapping_add(1), 2, 64)).await;
    assert!(summary.ambiguous_applied > 0, "some ambiguous calls were applied");
    assert!(summary.ambiguous_not_applied > 0, "some ambiguous calls were not applied");
}

/// The same, with a journal: every call the retries left open is resolved by the journal's
/// reconciler, without the books — Midas 2.0 and xpay by lookup, Midas 1.0 by sending the same
/// bill_no again — and afterwards each applied entry is one effect in the books.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_left_ambiguous_are_resolved_by_the_journals_reconciler() {
    let journal = midas_api::Journal::in_memory().await.expect("journal");
    let summary = soak_with(Scenario::new(seed().wrapping_add(1), 2, 64), Some(journal)).await;
    assert!(summary.ambiguous_applied + summary.ambiguous_not_applied > 0, "some calls were left open");
}

/// The same seed twice, with the tasks interleaving as they may: the same faults strike the
/// same attempts of the same calls, and the books end the same. Delays are left out and the
/// timeout is far above any answer, so no attempt depends on timing (see the module docs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_seed_gives_one_fault_schedule() {
    let rates = FaultRates { delay_after: 0.0, ..SOAK_RATES };
    let scenario =
        Scenario { rates, timeout: Duration::from_secs(10), ..Scenario::new(seed().wrapping_add(2), 8, 40) };
    let first = soak(scenario).await;
    let second = soak(scenario).await;
    assert!(first.schedule.len() > 50, "faults struck: {}", first.schedule.len());
    assert!(first.schedule.iter().any(|fault| !fault.contains(" #1 ")), "retries met faults too");
    let only_first: Vec<_> = first.schedule.iter().filter(|fault| !second.schedule.contains(fault)).collect();
    let only_second: Vec<_> =
        second.schedule.iter().filter(|fault| !first.schedule.contains(fault)).collect();
    assert!(
        only_first.is_empty() && only_second.is_empty(),
        "one seed, two fault schedules:\nfirst run only: {only_first:?}\nsecond run only: {only_second:?}"
    );
    assert_eq!(first.schedule, second.schedule);
    assert_eq!(first.balances, second.balances, "the same books");
    assert_eq!((first.requests, first.faults), (second.requests, second.faults));
}

/// Runs `calls_per_task` calls in each of the tasks with `attempts` attempts per call, checks
/// the books against what the client reported, and prints the counts.
async fn soak(scenario: Scenario) -> Summary {
    soak_with(scenario, None).await
}

/// [`soak`], with the client journaling into `journal` when given; then the journal's
/// reconciler resolves what the calls left open and the books are checked against it.
async fn soak_with(scenario: Scenario, journal: Option<midas_api::Journal>) -> Summary {
    let Scenario { seed, attempts, calls_per_task, rates, timeout } = scenario;
    println!("soak seed {seed} (set MIDAS_SOAK_SEED to reproduce)");
    let mut builder = Emulator::builder().seed(seed).fault_rates(rates);
    for index in 0..PLAYERS as u64 {
        builder = builder.player(openid(index), session_key(index), STARTING_BALANCE);
    }
    let emulator = builder.start().await.expect("emulator starts");
    let config = emulator_config(&emulator, Env::Sandbox)
        .timeout(timeout)
        .retry(
            RetryPolicy::default()
                .with_max_attempts(attempts)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(20))
                .with_deadline(Duration::from_secs(10)),
        )
        .build()
        .expect("valid configuration");
    let client = Client::new(config, StaticToken::new(emulator.access_token())).expect("reqwest client");
    let client = match &journal {
        Some(journal) => client.with_journal(journal.clone()),
        None => client,
    };

    let started = Instant::now();
    let tasks: Vec<_> =
        (0..TASKS).map(|task| tokio::spawn(run_task(client.clone(), seed, task, calls_per_task))).collect();
    let mut records = Vec::new();
    let mut reads: HashMap<&'static str, u64> = HashMap::new();
    for task in tasks {
        let (task_records, task_reads) = task.await.expect("task finished");
        records.extend(task_records);
        for (kind, count) in task_reads {
            *reads.entry(kind).or_default() += count;
        }
    }
    // An attempt the client gave up on may still be on its way through the server: wait until
    // the request count stands still before reading the books.
    let mut seen = emulator.requests();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = emulator.requests();
        if now == seen {
            break;
        }
        seen = now;
    }
    let elapsed = started.elapsed();

    // The books: each (api, bill_no) applied at most once.
    let effects = emulator.effects();
    let mut applied: HashMap<(Api, String), usize> = HashMap::new();
    for effect in &effects {
        assert_eq!(effect.env, Env::Sandbox);
        *applied.entry((effect.change.api(), effect.bill_no.clone())).or_default() += 1;
    }
    let twice: Vec<_> = applied.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "applied more than once: {twice:?}");

    // Every call against the books; each effect must belong to exactly one call of ours.
    let mut expected: HashMap<String, i64> =
        (0..PLAYERS as u64).map(|index| (openid(index), STARTING_BALANCE)).collect();
    let mut outcomes: HashMap<String, u64> = HashMap::new();
    let mut claimed: HashSet<(Api, String)> = HashSet::new();
    let (mut ambiguous_applied, mut ambiguous_not_applied) = (0_u64, 0_u64);
    for record in &records {
        let key = (record.api, record.bill_no.clone());
        let in_books = applied.contains_key(&key);
        assert!(claimed.insert(key), "two calls of ours share {:?} {}", record.api, record.bill_no);
        *outcomes.entry(format!("{:?} {:?}", record.api, record.outcome)).or_default() += 1;
        let counts = match record.outcome {
            Outcome::Applied | Outcome::AlreadyProcessed => {
                assert!(in_books, "reported applied but not in the books: {record:?}");
                true
            }
            Outcome::Refused(kind) => {
                assert!(!in_books, "refused ({kind:?}) but applied: {record:?}");
                false
            }
            Outcome::Ambiguous => {
                if in_books {
                    ambiguous_applied += 1;
                } else {
                    ambiguous_not_applied += 1;
                }
                in_books
            }
            Outcome::Unexpected => panic!("a call ended in an unexpected error: {record:?}"),
        };
        if counts {
            *expected.get_mut(&record.openid).expect("our player") += record.delta;
        }
    }
    let phantom: Vec<_> = applied.keys().filter(|key| !claimed.contains(*key)).collect();
    assert!(phantom.is_empty(), "effects no call of ours made: {phantom:?}");
    for (openid, balance) in &expected {
        let books = emulator.balance(Env::Sandbox, openid).expect("registered player").balance;
        assert_eq!(books, *balance, "ledger of {openid} against the calls reported applied");
    }

    let money_calls = records.len() as u64;
    let calls = money_calls + reads.values().sum::<u64>();
    let faults = emulator.fault_counts();
    let requests = emulator.requests();
    let mut schedule: Vec<String> = emulator
        .fault_log()
        .iter()
        .map(|record| {
            format!("{:?} {} {} #{} {:?}", record.api, record.env, record.call, record.attempt, record.fault)
        })
        .collect();
    schedule.sort();
    let mut balances: Vec<(String, i64)> = expected.into_iter().collect();
    balances.sort();
    println!("calls: {calls} ({money_calls} moving money, {attempts} attempts each at most) in {elapsed:?}");
    println!(
        "faults injected: {} (busy before {}, busy after {}, dropped after {}, delayed after {})",
        faults.total(),
        faults.busy_before,
        faults.busy_after,
        faults.drop_after,
        faults.delay_after
    );
    println!("fault schedule digest: {:016x} ({} faults)", digest(&schedule), schedule.len());
    println!("requests seen by the emulator: {requests}; retries: {}", requests.saturating_sub(calls));
    println!("ambiguous calls reconciled: {ambiguous_applied} applied, {ambiguous_not_applied} not applied");
    let mut outcomes: Vec<_> = outcomes.into_iter().collect();
    outcomes.sort();
    for (kind, count) in outcomes {
        println!("  {kind}: {count}");
    }
    let mut reads: Vec<_> = reads.into_iter().collect();
    reads.sort();
    for (kind, count) in reads {
        println!("  {kind}: {count}");
    }
    if let Some(journal) = journal {
        reconcile_with_the_journal(&emulator, client, &journal).await;
    }
    Summary { calls, ambiguous_applied, ambiguous_not_applied, faults, requests, schedule, balances }
}

/// Runs the journal's reconciler (faults off) until nothing is open, then checks the books: no
/// effect twice, and as many effects as applied entries.
async fn reconcile_with_the_journal(
    emulator: &Emulator,
    client: Client<midas_api::ReqwestTransport, StaticToken>,
    journal: &midas_api::Journal,
) {
    use midas_api::State;
    emulator.set_fault_rates(FaultRates::default()).expect("no faults");
    let open_before = journal.entries(Some(State::Unknown)).await.expect("read").len()
        + journal.entries(Some(State::Pending)).await.expect("read").len();
    let reconciler = midas_api::Reconciler::new(client)
        .expect("journal")
        .with_grace(Duration::ZERO)
        .with_players(|entry| {
            let index: u64 = entry.intent.openid.trim_start_matches("soak-player-").parse().ok()?;
            Some(Player::new(entry.intent.openid.clone()).with_session_key(session_key(index)))
        });
    let mut reports = Vec::new();
    for _ in 0..5 {
        let report = reconciler.run_once().await.expect("reconcile");
        let open = report.still_open;
        reports.push(report);
        if open == 0 {
            break;
        }
    }
    let still_open = journal.entries(Some(State::Unknown)).await.expect("read").len()
        + journal.entries(Some(State::Pending)).await.expect("read").len();
    let applied = journal.entries(Some(State::Applied)).await.expect("read").len();
    let effects = emulator.effects();
    let mut per_order: HashMap<(Api, String), usize> = HashMap::new();
    for effect in &effects {
        *per_order.entry((effect.change.api(), effect.bill_no.clone())).or_default() += 1;
    }
    println!(
        "journal: {open_before} entries left open by the calls; reconciler: {reports:?}; \
         {applied} applied entries, {} effects in the books, {still_open} still open",
        effects.len()
    );
    let open: Vec<_> = journal
        .entries(Some(State::Unknown))
        .await
        .expect("read")
        .into_iter()
        .map(|entry| {
            format!(
                "{} {} {}: {:?}",
                entry.intent.generation, entry.intent.api, entry.intent.order_id, entry.reason
            )
        })
        .collect();
    assert_eq!(still_open, 0, "the reconciler resolved every open entry: {open:#?}");
    assert!(per_order.values().all(|count| *count == 1), "an effect applied twice");
    assert_eq!(applied, effects.len(), "each applied entry is one effect in the books");
}

/// FNV-1a over the lines: a short fingerprint of a fault schedule, to compare runs by.
fn digest(lines: &[String]) -> u64 {
    lines.iter().flat_map(|line| line.bytes().chain([b'\n'])).fold(0xCBF2_9CE4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}
