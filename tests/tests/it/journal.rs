//! The journal: write-ahead intents, order ids never reused, replays, reconciliation, bad
//! stores, and the crash and fleet tests with real processes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use midas_api::{
    Client, Env, Error, Journal, JournalError, JournalFailureKind, MidasRequest, OrderIds, Player, Present,
    Reconciler, RetryPolicy, SessionKey, SqliteSettings, State, StaticToken, v2, xpay,
};
use midas_emulator::{Emulator, Fault, FaultRates};
use midas_tests::emulator_config;
use midas_tests::journal_plan::{self, splitmix};

/// A fresh folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("midas-journal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .with_deadline(Duration::from_secs(2))
}

async fn journaled(
    emulator: &Emulator,
    journal: Journal,
) -> Client<midas_api::ReqwestTransport, StaticToken> {
    let config = emulator_config(emulator, Env::Sandbox)
        .retry(fast_retries())
        .timeout(Duration::from_millis(500))
        .build()
        .expect("config");
    Client::new(config, StaticToken::new(emulator.access_token())).expect("client").with_journal(journal)
}

#[tokio::test]
async fn journal_records_the_outcome_and_a_repeat_is_answered_without_sending() {
    let emulator = Emulator::start().await.expect("emulator");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("key"), 100);
    let journal = Journal::in_memory().await.expect("journal");
    let client = journaled(&emulator, journal.clone()).await;
    let gift = Present { bill_no: "gift-0001".into(), present_counts: 10 };
    let player = Player::new("player-1");

    assert_eq!(client.present(&player, gift.clone()).await.expect("present").balance, 110);
    let entry = journal.get("sandbox", "gift-0001").await.expect("read").expect("recorded");
    assert_eq!((entry.state, entry.attempts, entry.intent.amount), (State::Applied, 1, Some(10)));
    assert_eq!(entry.intent.fields, r#"{"bill_no":"gift-0001","present_counts":10}"#);
    assert!(entry.answer.as_deref().is_some_and(|answer| answer.contains("\"balance\":110")));

    let sent = emulator.requests();
    assert_eq!(client.present(&player, gift).await.expect("repeat").balance, 110, "the recorded answer");
    assert_eq!(emulator.requests(), sent, "a decided order is not sent again");
    assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(110));
}

#[tokio::test]
async fn journal_refuses_a_reused_order_id_before_sending() {
    let emulator = Emulator::start().await.expect("emulator");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("key"), 100);
    emulator.add_player("player-2", SessionKey::new("session-key-2").expect("key"), 100);
    let client = journaled(&emulator, Journal::in_memory().await.expect("journal")).await;
    client
        .present(&Player::new("player-1"), Present { bill_no: "order-0001".into(), present_counts: 10 })
        .await
        .expect("first");
    let sent = emulator.requests();

    let another_amount = Present { bill_no: "order-0001".into(), present_counts: 11 };
    let refused = client.present(&Player::new("player-1"), another_amount.clone()).await;
    assert!(
        matches!(&refused, Err(Error::Journal(f)) if f.kind() == JournalFailureKind::OrderIdReused),
        "{refused:?}"
    );
    let another_player = client.present(&Player::new("player-2"), another_amount).await;
    assert!(
        matches!(&another_player, Err(Error::Journal(f)) if f.kind() == JournalFailureKind::OrderIdReused)
    );
    let pay = midas_api::Pay { amt: 10, bill_no: "order-0001".into(), pay_item: None, app_remark: None };
    let another_api = client.pay(&Player::new("player-1"), pay).await;
    assert!(matches!(&another_api, Err(Error::Journal(f)) if f.kind() == JournalFailureKind::OrderIdReused));
    assert_eq!(emulator.requests(), sent, "nothing was sent");
}

#[tokio::test]
async fn journal_ambiguous_outcome_is_unknown_and_the_reconciler_applies_it_once() {
    let emulator = Emulator::start().await.expect("emulator");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("key"), 100);
    let journal = Journal::in_memory().await.expect("journal");
    let client = journaled(&emulator, journal.clone()).await;
    for _ in 0..3 {
        emulator.inject(Fault::DropAfter);
    }
    let pay = midas_api::Pay { amt: 30, bill_no: "pay-0001".into(), pay_item: None, app_remark: None };
    let failed = client.pay(&Player::new("player-1"), pay).await.expect_err("every answer dropped");
    assert!(failed.may_have_applied(), "{failed}");
    let entry = journal.get("sandbox", "pay-0001").await.expect("read").expect("recorded");
    assert_eq!((entry.state, entry.attempts), (State::Unknown, 3));
    let open = [State::Pending, State::Unknown];
    assert_eq!(journal.count(&open).await.expect("count"), 1);

    let report =
        Reconciler::new(client).expect("journal").with_grace(Duration::ZERO).run_once().await.expect("run");
    assert_eq!((report.examined, report.applied, report.still_open), (1, 1, 0));
    assert_eq!(journal.count(&open).await.expect("count"), 0);
    let entry = journal.get("sandbox", "pay-0001").await.expect("read").expect("recorded");
    assert_eq!(entry.state, State::Applied);
    assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(70), "deducted once");
    let effects = emulator.effects().into_iter().filter(|effect| effect.bill_no == "pay-0001").count();
    assert_eq!(effects, 1);
}

#[tokio::test]
async fn journal_v2_orders_are_resolved_by_looking_them_up() {
    let emulator = Emulator::start().await.expect("emulator");
    let key = SessionKey::new("session-key-1").expect("key");
    emulator.add_player("player-1", key.clone(), 100);
    let journal = Journal::in_memory().await.expect("journal");
    let client = journaled(&emulator, journal.clone()).await;
    let player = Player::new("player-1").with_session_key(key.clone());
    for _ in 0..3 {
        emulator.inject(Fault::DropAfter);
    }
    let pay = v2::Pay { amount: 20, bill_no: "v2-pay-0001".into(), payitem: None, remark: None };
    client.call(&player, &pay).await.expect_err("every answer dropped");
    assert_eq!(
        journal.get("sandbox", "v2-pay-0001").await.expect("read").map(|e| e.state),
        Some(State::Unknown)
    );
    let sent = emulator.requests();
    let reconciler =
        Reconciler::new(client).expect("journal").with_grace(Duration::ZERO).with_players(move |entry| {
            Some(Player::new(entry.intent.openid.clone()).with_session_key(key.clone()))
        });
    let report = reconciler.run_once().await.expect("run");
    assert_eq!((report.applied, report.still_open), (1, 0));
    assert_eq!(emulator.requests(), sent + 1, "one lookup, no pay sent again");
    assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(80));
}

#[tokio::test]
async fn journal_settles_applied_orders_through_the_services_handler_once() {
    let emulator = Emulator::start().await.expect("emulator");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("key"), 100);
    let journal = Journal::in_memory().await.expect("journal");
    let client = journaled(&emulator, journal.clone()).await;
    for n in 0..3 {
        let gift = Present { bill_no: format!("gift-{n:04}"), present_counts: 1 };
        client.present(&Player::new("player-1"), gift).await.expect("present");
    }
    let granted = Arc::new(Mutex::new(Vec::new()));
    let fail_first = Arc::new(Mutex::new(true));
    let reconciler = Reconciler::new(client).expect("journal").with_grace(Duration::ZERO).on_applied({
        let granted = Arc::clone(&granted);
        move |entry| {
            let granted = Arc::clone(&granted);
            let fail_first = Arc::clone(&fail_first);
            async move {
                let mut fail = fail_first.lock().map_err(|_| "poisoned".to_owned())?;
                if std::mem::replace(&mut *fail, false) {
                    return Err("the item service is down".to_owned());
                }
                granted.lock().map_err(|_| "poisoned".to_owned())?.push(entry.intent.order_id);
                Ok(())
            }
        }
    });
    let first = reconciler.run_once().await.expect("run");
    assert_eq!((first.settled, first.settle_failed), (2, 1));
    let second = reconciler.run_once().await.expect("run");
    assert_eq!((second.settled, second.settle_failed), (1, 0));
    let third = reconciler.run_once().await.expect("run");
    assert_eq!(third.settled, 0, "settled entries are not handed over again");
    let mut granted = granted.lock().expect("lock").clone();
    granted.sort();
    assert_eq!(granted, ["gift-0000", "gift-0001", "gift-0002"]);
    assert_eq!(journal.entries(Some(State::Settled)).await.expect("read").len(), 3);
}

#[test]
fn order_ids_are_deterministic_and_valid_for_every_generation() {
    let ids = OrderIds::new("shop").expect("namespace");
    for n in 0..200 {
        let id = ids.for_business_id(&format!("purchase/{n}")).expect("id");
        assert_eq!(id, ids.for_business_id(&format!("purchase/{n}")).expect("id"));
        Present { bill_no: id.clone(), present_counts: 1 }.validate().expect("Midas 1.0");
        v2::Present { amount: 1, bill_no: id.clone() }.validate().expect("Midas 2.0");
        xpay::PresentCurrency { order_id: id.clone(), amount: 1 }.validate().expect("xpay");
    }
    assert_ne!(
        ids.for_business_id("a").expect("id"),
        OrderIds::new("other").expect("ns").for_business_id("a").expect("id")
    );
    assert!(matches!(ids.for_business_id(""), Err(JournalError::Invalid { .. })));
}

#[tokio::test]
async fn journal_refuses_a_file_that_is_not_a_database() {
    let dir = scratch("corrupt");
    let path = dir.join("journal.db");
    let text = b"this is not a SQLite database, it is a text file of some length........";
    std::fs::write(&path, text).expect("write");
    let error = Journal::sqlite(&path).await.expect_err("not a database");
    assert!(matches!(error, JournalError::Open { .. }), "{error:?}");
    assert_eq!(std::fs::read(&path).expect("read"), text, "the file is left as it was");
}

#[tokio::test]
async fn journal_refuses_a_sqlite_file_of_another_application() {
    use sqlx::Connection;
    let dir = scratch("foreign");
    let other = dir.join("other.db");
    let url = format!("sqlite://{}?mode=rwc", other.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
    sqlx::query("PRAGMA application_id = 1234").execute(&mut conn).await.expect("pragma");
    sqlx::query("CREATE TABLE things (x INTEGER)").execute(&mut conn).await.expect("table");
    conn.close().await.expect("close");
    assert!(matches!(Journal::sqlite(&other).await, Err(JournalError::Foreign { .. })));

    let squatted = dir.join("squatted.db");
    let url = format!("sqlite://{}?mode=rwc", squatted.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
    sqlx::query("CREATE TABLE midas_journal (x INTEGER)").execute(&mut conn).await.expect("table");
    conn.close().await.expect("close");
    assert!(matches!(Journal::sqlite(&squatted).await, Err(JournalError::Foreign { .. })));
}

#[tokio::test]
async fn journal_refuses_a_newer_schema_and_keeps_its_entries() {
    use sqlx::Connection;
    let dir = scratch("newer");
    let path = dir.join("journal.db");
    let journal = Journal::sqlite(&path).await.expect("journal");
    let intent = midas_api::Intent {
        env: "sandbox".into(),
        order_id: "order-0001".into(),
        api: "present".into(),
        generation: "v1".into(),
        openid: "player-1".into(),
        zone_id: "1".into(),
        amount: Some(1),
        fields: "{}".into(),
    };
    journal.begin(&intent).await.expect("begin");
    drop(journal);
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'from the future', 1, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("future migration");
    conn.close().await.expect("close");
    let error = Journal::sqlite(&path).await.expect_err("newer");
    assert!(matches!(error, JournalError::NewerSchema { version: 99 }), "{error:?}");
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM midas_journal").fetch_one(&mut conn).await.expect("count");
    assert_eq!(rows, 1, "no entry lost");
}

#[tokio::test]
async fn journal_locked_past_its_timeout_refuses_to_send_the_call() {
    use sqlx::Connection;
    let emulator = Emulator::start().await.expect("emulator");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("key"), 100);
    let dir = scratch("locked");
    let path = dir.join("journal.db");
    let settings = SqliteSettings::default().with_busy_timeout(Duration::from_millis(200));
    let journal = Journal::sqlite_with(&path, settings).await.expect("journal");
    let client = journaled(&emulator, journal).await;
    let url = format!("sqlite://{}", path.display());
    let mut holder = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut holder).await.expect("lock");
    let sent = emulator.requests();
    let gift = Present { bill_no: "gift-0001".into(), present_counts: 1 };
    let refused = client.present(&Player::new("player-1"), gift.clone()).await;
    assert!(
        matches!(&refused, Err(Error::Journal(f)) if f.kind() == JournalFailureKind::Unavailable),
        "{refused:?}"
    );
    assert_eq!(emulator.requests(), sent, "a call that cannot be journaled is not sent");
    sqlx::query("ROLLBACK").execute(&mut holder).await.expect("unlock");
    assert_eq!(client.present(&Player::new("player-1"), gift).await.expect("present").balance, 101);
}

/// The environment a worker process needs to reach `emulator`.
fn worker(emulator: &Emulator, args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_journal_worker"));
    command
        .args(args)
        .env("MIDAS_BASE_URL", emulator.base_url())
        .env("MIDAS_APPID", emulator.appid())
        .env("MIDAS_OFFER_ID", emulator.offer_id())
        .env("MIDAS_SANDBOX_KEY", emulator.sandbox_key().expose_secret())
        .env("MIDAS_PAYMENT_SANDBOX_KEY", emulator.payment_sandbox_key().expose_secret())
        .env("MIDAS_ACCESS_TOKEN", emulator.access_token().expose_secret())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// What the books and the journal say, order by order.
#[derive(Debug, Default, PartialEq, Eq)]
struct Audit {
    planned: usize,
    applied: usize,
    refused: usize,
    needs_attention: usize,
    open: usize,
    lost: usize,
    doubled: usize,
    phantom: usize,
}

async fn audit(emulator: &Emulator, journal: &Journal, seed: u64, count: usize) -> Audit {
    let ids = OrderIds::new(format!("journal-test-{seed}")).expect("namespace");
    let mut effects: HashMap<String, usize> = HashMap::new();
    for effect in emulator.effects() {
        *effects.entry(effect.bill_no).or_default() += 1;
    }
    let mut audit = Audit { planned: count, ..Audit::default() };
    for call in journal_plan::plan(seed, count, 8) {
        let order_id = ids.for_business_id(&call.business_id).expect("id");
        let booked = effects.get(&order_id).copied().unwrap_or(0);
        audit.doubled += usize::from(booked > 1);
        let state = journal.get("sandbox", &order_id).await.expect("read").map(|entry| entry.state);
        match state {
            Some(State::Applied | State::Settled) => {
                audit.applied += 1;
                audit.phantom += usize::from(booked == 0);
            }
            Some(State::Refused) => {
                audit.refused += 1;
                audit.lost += usize::from(booked > 0);
            }
            Some(State::NeedsAttention) => audit.needs_attention += 1,
            Some(_) => audit.open += 1,
            None => audit.lost += usize::from(booked > 0),
        }
    }
    audit
}

async fn start_books(seed: u64) -> Emulator {
    let rates = FaultRates { busy_after: 0.03, drop_after: 0.03, ..FaultRates::default() };
    let emulator = Emulator::builder().seed(seed).fault_rates(rates).start().await.expect("emulator");
    for (openid, key) in journal_plan::players(8) {
        emulator.add_player(openid, SessionKey::new(key).expect("key"), 1_000_000);
    }
    emulator
}

/// Runs a worker to the end (bounded) and returns its summary line.
async fn run_to_end(mut command: Command) -> String {
    let output = tokio::task::spawn_blocking(move || command.output()).await.expect("join").expect("worker");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the worker failed: {stderr}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Reconciles until nothing is open (each pass after the leases of killed workers ran out).
async fn reconcile_all(
    client: Client<midas_api::ReqwestTransport, StaticToken>,
) -> Vec<midas_api::ReconcileReport> {
    let reconciler =
        Reconciler::new(client).expect("journal").with_grace(Duration::ZERO).with_players(|entry| {
            let n = entry.intent.openid.trim_start_matches("crash-player-");
            let key = SessionKey::new(format!("session-key-{n}")).ok()?;
            Some(Player::new(entry.intent.openid.clone()).with_session_key(key))
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
    reports
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_crash_test_sigkill_loses_and_doubles_nothing() {
    const SEED: u64 = 7;
    const CALLS: usize = 2_000;
    const KILLS: usize = 32;
    let emulator = start_books(SEED).await;
    let dir = scratch("crash");
    let url = format!("sqlite:{}", dir.join("journal.db").display());
    let args = |rotate: usize| {
        [url.clone(), SEED.to_string(), CALLS.to_string(), "8".into(), rotate.to_string(), "16".into()]
    };
    let mut draw = SEED;
    let mut kills = 0;
    for round in 0..KILLS {
        let mut child = worker(&emulator, &args(round * 61)).spawn().expect("worker");
        tokio::time::sleep(Duration::from_millis(40 + splitmix(&mut draw) % 260)).await;
        if child.try_wait().expect("status").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        child.wait().expect("reaped");
    }
    let last = run_to_end(worker(&emulator, &args(0))).await;
    // Entries a killed worker held wait for their lease (2 s) to end.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    emulator.clear_faults();
    emulator.set_fault_rates(FaultRates::default()).expect("no faults");
    let journal = Journal::open(&url).await.expect("journal");
    let before = audit(&emulator, &journal, SEED, CALLS).await;
    let client = journaled(&emulator, journal.clone()).await;
    let reports = reconcile_all(client).await;
    let after = audit(&emulator, &journal, SEED, CALLS).await;
    let faults = emulator.fault_counts();
    println!(
        "crash test: {CALLS} calls, {kills} SIGKILLs, {} faults struck; last run: {last}; before reconciling: {before:?}; \
         reconciler: {reports:?}; after: {after:?}",
        faults.total()
    );
    assert!(kills >= 30, "only {kills} kills landed");
    assert_eq!((after.lost, after.doubled, after.phantom, after.open), (0, 0, 0, 0), "{after:?}");
    assert_eq!(after.applied + after.refused + after.needs_attention, CALLS);
    assert_eq!(after.needs_attention, 0, "every order is inside its 48-hour window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_fleet_test_on_postgres_three_workers_two_reconcilers() {
    let Some(url) = midas_tests::postgres_database("midas_fleet_test").await else { return };
    const SEED: u64 = 11;
    const CALLS: usize = 600;
    let emulator = start_books(SEED).await;
    let args = |rotate: usize| {
        [url.clone(), SEED.to_string(), CALLS.to_string(), "8".into(), rotate.to_string(), "8".into()]
    };
    let effects_seen = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let reconciler = |journal: Journal| {
        let seen = Arc::clone(&effects_seen);
        let emulator = &emulator;
        async move {
            let client = journaled(emulator, journal).await;
            let reconciler = Reconciler::new(client)
                .expect("journal")
                .with_grace(Duration::ZERO)
                .with_batch(4)
                .with_players(|entry| {
                    let n = entry.intent.openid.trim_start_matches("crash-player-");
                    let key = SessionKey::new(format!("session-key-{n}")).ok()?;
                    Some(Player::new(entry.intent.openid.clone()).with_session_key(key))
                })
                .on_applied(move |entry| {
                    let seen = Arc::clone(&seen);
                    async move {
                        // The service's effect: counted per order, across both reconcilers.
                        *seen
                            .lock()
                            .map_err(|_| "poisoned".to_owned())?
                            .entry(entry.intent.order_id)
                            .or_default() += 1;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        Ok(())
                    }
                });
            reconciler.run_once().await.expect("reconcile")
        }
    };
    let open_entries = |journal: Journal| async move {
        let pending = journal.entries(Some(State::Pending)).await.expect("read").len();
        pending + journal.entries(Some(State::Unknown)).await.expect("read").len()
    };

    // Three instances over the same plan from different places, killed midway: once the
    // journal holds a third of the plan (however slowly the machine runs them), plus a moment.
    let mut draw = SEED;
    let mut children: Vec<_> =
        (0..3).map(|n| worker(&emulator, &args(n * 200)).spawn().expect("worker")).collect();
    let watcher = Journal::postgres(&url).await.expect("journal");
    for _ in 0..600 {
        if watcher.entries(None).await.expect("read").len() >= CALLS / 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(splitmix(&mut draw) % 100)).await;
    for child in &mut children {
        let _ = child.kill();
        child.wait().expect("reaped");
    }
    // Their leases run out; two reconcilers re-drive what they left open, at once.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let journal = Journal::postgres(&url).await.expect("journal");
    let left_open = open_entries(journal.clone()).await;
    let (first, second) = tokio::join!(
        reconciler(Journal::postgres(&url).await.expect("journal")),
        reconciler(Journal::postgres(&url).await.expect("journal"))
    );
    // Then the instances come back and finish the plan, and the reconcilers settle the rest.
    let runs: Vec<_> = (0..3).map(|n| tokio::spawn(run_to_end(worker(&emulator, &args(n * 200))))).collect();
    let mut summaries = Vec::new();
    for run in runs {
        summaries.push(run.await.expect("join"));
    }
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    emulator.set_fault_rates(FaultRates::default()).expect("no faults");
    let (third, fourth) = tokio::join!(
        reconciler(Journal::postgres(&url).await.expect("journal")),
        reconciler(Journal::postgres(&url).await.expect("journal"))
    );
    let journal = Journal::postgres(&url).await.expect("journal");
    let after = audit(&emulator, &journal, SEED, CALLS).await;
    let seen = effects_seen.lock().expect("lock").clone();
    let doubled_effects = seen.values().filter(|&&count| count > 1).count();
    println!(
        "fleet test: {CALLS} calls by 3 workers, killed once each; {left_open} entries left open; reconcilers at \
         once: {first:?} / {second:?}; workers again: {summaries:?}; reconcilers again: {third:?} / {fourth:?}; \
         service effects run: {}, doubled: {doubled_effects}; books vs journal: {after:?}",
        seen.len()
    );
    assert!(left_open > 0, "the kills left entries open for the reconcilers");
    assert_eq!(
        first.examined + second.examined,
        left_open as u64,
        "each open entry re-driven by one reconciler"
    );
    assert_eq!((after.lost, after.doubled, after.phantom, after.open), (0, 0, 0, 0), "{after:?}");
    assert_eq!(doubled_effects, 0, "no entry was handed to two reconcilers");
    assert_eq!(seen.len(), after.applied, "every applied order was settled once");
    assert_eq!(journal.entries(Some(State::Settled)).await.expect("read").len(), after.applied);
}

#[tokio::test]
async fn journal_cancelling_a_journaled_pay_is_not_taken_for_reusing_its_id() {
    let emulator = Emulator::start().await.expect("emulator");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("key"), 100);
    let journal = Journal::in_memory().await.expect("journal");
    let client = journaled(&emulator, journal.clone()).await;
    let player = Player::new("player-1");
    let pay = midas_api::Pay { amt: 30, bill_no: "pay-0001".into(), pay_item: None, app_remark: None };
    client.pay(&player, pay).await.expect("pay");
    let cancel = midas_api::CancelPay { bill_no: "pay-0001".into(), pay_item: None };
    client.cancel_pay(&player, cancel).await.expect("cancel");
    assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(100));
    let entry = journal.get("sandbox", "pay-0001#cancelpay").await.expect("read").expect("recorded");
    assert_eq!((entry.state, entry.intent.api.as_str()), (State::Applied, "cancelpay"));
}

#[tokio::test]
async fn journal_counters_move_by_what_the_journal_applied_and_a_call_outside_it_shows() {
    let emulator = Emulator::start().await.expect("emulator");
    let key = SessionKey::new("session-key-1").expect("key");
    emulator.add_player("player-1", key.clone(), 1_000);
    let journal = Journal::in_memory().await.expect("journal");
    let client = journaled(&emulator, journal.clone()).await;
    let player = Player::new("player-1").with_session_key(key);
    let baseline = midas_api::Counters::of(&client.get_balance(&player).await.expect("balance"));
    let mut seed = 3;
    for n in 0..60 {
        let amount = i64::try_from(splitmix(&mut seed) % 20 + 1).expect("small");
        let bill_no = format!("order-{n:04}");
        match n % 4 {
            0 => drop(
                client.present(&player, Present { bill_no, present_counts: amount }).await.expect("present"),
            ),
            1 => drop(client.call(&player, &v2::Present { amount, bill_no }).await.expect("v2 present")),
            2 => {
                let pay = midas_api::Pay {
                    amt: amount,
                    bill_no: bill_no.clone(),
                    pay_item: None,
                    app_remark: None,
                };
                client.pay(&player, pay).await.expect("pay");
                if n % 8 == 2 {
                    client
                        .cancel_pay(&player, midas_api::CancelPay { bill_no, pay_item: None })
                        .await
                        .expect("cancel");
                }
            }
            _ => {
                let pay = v2::Pay { amount, bill_no, payitem: None, remark: None };
                client.call(&player, &pay).await.expect("v2 pay");
            }
        }
    }
    let reconciler = Reconciler::new(client.clone()).expect("journal");
    let check = reconciler.check_counters(&player, baseline).await.expect("check");
    assert!(check.agrees(), "{check:?}");
    assert!(check.journal_presented > 0 && check.journal_spent > 0, "{check:?}");

    // A gift that bypasses the journal shows as a disagreement of exactly its amount.
    let unjournaled = {
        let config = emulator_config(&emulator, Env::Sandbox).build().expect("config");
        Client::new(config, StaticToken::new(emulator.access_token())).expect("client")
    };
    unjournaled
        .present(&player, Present { bill_no: "outside-0001".into(), present_counts: 7 })
        .await
        .expect("present");
    let check = reconciler.check_counters(&player, baseline).await.expect("check");
    assert!(!check.agrees());
    let moved = i128::from(check.actual.present_sum - check.baseline.present_sum);
    assert_eq!(moved - check.journal_presented, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_concurrent_calls_of_one_order_in_one_process_send_it_once() {
    let emulator = Emulator::start().await.expect("emulator");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("key"), 100);
    let client = journaled(&emulator, Journal::in_memory().await.expect("journal")).await;
    let sent = emulator.requests();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let gift = Present { bill_no: "gift-0001".into(), present_counts: 10 };
                client.present(&Player::new("player-1"), gift).await
            })
        })
        .collect();
    let mut answered = 0;
    for call in calls {
        match call.await.expect("join") {
            Ok(answer) => {
                assert_eq!(answer.balance, 110);
                answered += 1;
            }
            Err(Error::Journal(failure)) => assert_eq!(failure.kind(), JournalFailureKind::InProgress),
            Err(other) => panic!("{other}"),
        }
    }
    assert!(answered >= 1);
    assert_eq!(emulator.requests() - sent, 1, "the order was sent once");
}

#[tokio::test]
async fn journal_errors_and_debug_never_show_the_database_password() {
    let url = "postgres://midas:Sup3rSecretPw@127.0.0.1:1/journal";
    let error = Journal::postgres(url).await.expect_err("nothing listens on port 1");
    assert!(matches!(error, JournalError::Open { .. }), "{error:?}");
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("Sup3rSecretPw"), "{shown}");
    }
    let bad = Journal::open("postgres://midas:Sup3rSecretPw@[::1:bad/journal").await.expect_err("not a URL");
    assert!(!format!("{bad} {bad:?}").contains("Sup3rSecretPw"));
    let journal = Journal::in_memory().await.expect("journal");
    assert!(!format!("{journal:?}").contains("sqlite::memory"), "the Debug names the backend only");
}
