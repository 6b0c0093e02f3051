//! Journaled money calls against the emulator over loopback, 64 at once, against the same
//! calls without a journal, in one run.
//!
//! Each round sends `CALLS` Midas 1.0 `present` calls (a new `bill_no` each) through one
//! client, 64 in flight, and times them: `plain` has no journal, `full` journals on SQLite
//! with `Durability::PowerLoss` (a sync per commit), `normal` with `Durability::ProcessCrash`.
//! Rounds alternate so that the machine's drift hits every contender alike. It prints calls
//! per second, each journal's ratio to `plain` (target ≥ 0.5 for `full`), the journal's wall
//! time per call in microseconds and its commits (syncs) per call.
//!
//! `cargo bench -p midas-bench --bench journal`

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a failed call makes the measurement meaningless; fail loudly")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use midas_api::{
    Client, Config, Durability, Env, Journal, Player, Present, ReqwestTransport, SessionKey, SqliteSettings,
    StaticToken,
};
use midas_emulator::Emulator;

const CALLS: usize = 4_000;
const IN_FLIGHT: usize = 64;
const ROUNDS: usize = 5;

type Midas = Client<ReqwestTransport, StaticToken>;

async fn round(client: &Midas, tag: &str, round: usize) -> Duration {
    let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for n in 0..CALLS {
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let client = client.clone();
        let gift = Present { bill_no: format!("{tag}-{round}-{n}"), present_counts: 1 };
        tasks.spawn(async move {
            let _permit = permit;
            client.present(&Player::new("bench-player"), gift).await.unwrap();
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    started.elapsed()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let emulator = Emulator::start().await.unwrap();
    emulator.add_player("bench-player", SessionKey::new("session-key-1").unwrap(), 0);
    let config = || {
        Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
            .sandbox_key(emulator.sandbox_key().clone())
            .base_url(emulator.base_url())
            .build()
            .unwrap()
    };
    let token = || StaticToken::new(emulator.access_token());
    let dir = std::env::temp_dir().join(format!("midas-journal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let full_journal = Journal::sqlite(dir.join("full.db")).await.unwrap();
    let normal_settings = SqliteSettings::default().with_durability(Durability::ProcessCrash);
    let normal_journal = Journal::sqlite_with(dir.join("normal.db"), normal_settings).await.unwrap();
    let plain = Client::new(config(), token()).unwrap();
    let full = Client::new(config(), token()).unwrap().with_journal(full_journal.clone());
    let normal = Client::new(config(), token()).unwrap().with_journal(normal_journal.clone());

    // Warm up connections and the files.
    for (tag, client) in [("warm-plain", &plain), ("warm-full", &full), ("warm-normal", &normal)] {
        round(client, tag, 0).await;
    }
    let (full_commits, normal_commits) = (full_journal.commits(), normal_journal.commits());
    let (mut plain_s, mut full_s, mut normal_s) = (Vec::new(), Vec::new(), Vec::new());
    for n in 1..=ROUNDS {
        plain_s.push(round(&plain, "plain", n).await.as_secs_f64());
        full_s.push(round(&full, "full", n).await.as_secs_f64());
        normal_s.push(round(&normal, "normal", n).await.as_secs_f64());
    }
    let calls = (CALLS * ROUNDS) as f64;
    let full_syncs = (full_journal.commits() - full_commits) as f64 / calls;
    let normal_syncs = (normal_journal.commits() - normal_commits) as f64 / calls;
    let rate = |seconds: f64| CALLS as f64 / seconds;
    let mut full_ratios: Vec<f64> = plain_s.iter().zip(&full_s).map(|(p, f)| p / f).collect();
    let mut normal_ratios: Vec<f64> = plain_s.iter().zip(&normal_s).map(|(p, f)| p / f).collect();
    let per_call_us = |journaled: &[f64]| {
        let mut costs: Vec<f64> =
            plain_s.iter().zip(journaled).map(|(p, j)| (j - p) / CALLS as f64 * 1e6).collect();
        median(&mut costs)
    };
    let (full_cost, normal_cost) = (per_call_us(&full_s), per_call_us(&normal_s));
    let spread = |ratios: &mut Vec<f64>| {
        ratios.sort_by(f64::total_cmp);
        (ratios[0], ratios[ratios.len() - 1])
    };
    println!("journal bench: {ROUNDS} rounds of {CALLS} present calls, {IN_FLIGHT} in flight, loopback");
    println!("plain:  {:>8.0} calls/s (median)", rate(median(&mut plain_s.clone())));
    let (full_min, full_max) = spread(&mut full_ratios);
    println!(
        "full:   {:>8.0} calls/s (median), ratio to plain {:.2} (rounds {full_min:.2}–{full_max:.2}), \
         journal {full_cost:.1} µs of wall time per call, {full_syncs:.3} commits (syncs) per call",
        rate(median(&mut full_s.clone())),
        median(&mut full_ratios.clone())
    );
    let (normal_min, normal_max) = spread(&mut normal_ratios);
    println!(
        "normal: {:>8.0} calls/s (median), ratio to plain {:.2} (rounds {normal_min:.2}–{normal_max:.2}), \
         journal {normal_cost:.1} µs of wall time per call, {normal_syncs:.3} commits per call (no sync)",
        rate(median(&mut normal_s.clone())),
        median(&mut normal_ratios.clone())
    );
    std::fs::remove_dir_all(&dir).ok();
}
