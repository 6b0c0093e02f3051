//! Full client calls against the emulator over loopback, against a bare reqwest client.
//!
//! - `client`: `Client::get_balance`, all of it: token, stamp, validate, sign, URL, the POST
//!   through `ReqwestTransport`, the bounded read of the answer and its typed decoding;
//! - `bare`: a `reqwest::Client` posting a body signed once in advance to the same URL and
//!   reading the answer's bytes, nothing else.
//!
//! Both keep their connection alive, and the emulator runs on the same 2-worker tokio runtime.
//! Run with `cargo bench -p midas-bench --bench loopback`; it ends with the calls per second of
//! each and the ratio `client/bare` (target ≥ 0.9).

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a failed call makes the measurement meaningless; fail loudly")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use midas_api::{Client, Config, Env, GetBalance, Player, ReqwestTransport, SessionKey, StaticToken};
use midas_emulator::Emulator;

const OPENID: &str = "odkx20ENSNa2w5y3g_qOkOvBNM1g";
const SESSION_KEY: &str = "V7Q38/i2KXaqrQyl2Yx9Hg==";

/// Everything both contenders need, started once.
struct Setup {
    _emulator: Emulator,
    client: Client<ReqwestTransport, StaticToken>,
    player: Player,
    bare: reqwest::Client,
    url: String,
    body: &'static [u8],
}

impl Setup {
    async fn start() -> Self {
        let emulator = Emulator::start().await.unwrap();
        let session_key = SessionKey::new(SESSION_KEY).unwrap();
        emulator.add_player(OPENID, session_key.clone(), 100);
        let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
            .sandbox_key(emulator.sandbox_key().clone())
            .base_url(emulator.base_url())
            .build()
            .unwrap();
        let player = Player::new(OPENID).with_session_key(session_key.clone());
        let token = emulator.access_token();

        let client = Client::new(config, StaticToken::new(token)).unwrap();
        // The bare contender's request: the same call, signed once, for the same player — the
        // client's own dry run.
        let dry_run = client.prepare(&player, &GetBalance {}).await.unwrap();
        let url = dry_run.url.expose().to_owned();
        let body = dry_run.body.leak();
        Self { _emulator: emulator, client, player, bare: reqwest::Client::new(), url, body }
    }

    async fn client_call(&self) {
        black_box(self.client.get_balance(&self.player).await.unwrap());
    }

    async fn bare_call(&self) {
        let response = self
            .bare
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(self.body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        black_box(response.bytes().await.unwrap());
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let setup = runtime.block_on(Setup::start());
    // Both answer, and answer alike, before anything is timed.
    runtime.block_on(async {
        let balance = setup.client.get_balance(&setup.player).await.unwrap();
        assert_eq!(balance.balance, 100);
        setup.bare_call().await;
    });

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = criterion.benchmark_group("loopback");
    group.bench_function("client", |b| b.iter(|| runtime.block_on(setup.client_call())));
    group.bench_function("bare", |b| b.iter(|| runtime.block_on(setup.bare_call())));
    group.finish();
    criterion.final_summary();

    if std::env::args().any(|arg| matches!(arg.as_str(), "--test" | "--list" | "--profile-time")) {
        return;
    }
    let [client_ns, bare_ns] = runtime.block_on(interleaved_medians(&setup));
    println!();
    println!("summary: medians of {ROUNDS} interleaved rounds of {BATCH} sequential calls each");
    println!("{:<8} {:>12} {:>12}", "", "µs per call", "calls/s");
    println!("{:<8} {:>12.1} {:>12.0}", "client", client_ns / 1e3, 1e9 / client_ns);
    println!("{:<8} {:>12.1} {:>12.0}", "bare", bare_ns / 1e3, 1e9 / bare_ns);
    let ratio = bare_ns / client_ns;
    let verdict = if ratio >= 0.9 { "(ok)" } else { "(MISS)" };
    println!("client/bare (calls per second): {ratio:.3} {verdict}; target >= 0.9");
}

/// Rounds of the summary; each times one batch of each contender.
const ROUNDS: usize = 300;
/// Calls per batch.
const BATCH: u32 = 40;

/// Medians (ns per call) of the client and of the bare posts, measured in alternating rounds
/// so that both see the same load on this shared machine (see the signing bench); the
/// ratio of calls per second is the inverse ratio of these.
async fn interleaved_medians(setup: &Setup) -> [f64; 2] {
    let mut samples = [Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS)];
    for round in 0..ROUNDS {
        for offset in 0..2 {
            let which = (round + offset) % 2;
            let start = Instant::now();
            for _ in 0..BATCH {
                if which == 0 {
                    setup.client_call().await;
                } else {
                    setup.bare_call().await;
                }
            }
            samples[which].push(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
        }
    }
    samples.map(|mut samples| {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    })
}
