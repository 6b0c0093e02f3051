//! What signing a Midas request costs, against the physical limit and against the usual way.
//!
//! For the `present` and `pay-with-optionals` vectors of `tests/vectors/midas-v1-worked.json`:
//! - `floor`: the two bare HMAC-SHA256 computations (`sig`, then `mp_sig`) over the signed
//!   strings of the vector, built in advance, keyed from the key bytes each time;
//! - `prepare`: `midas_api::prepare`, all the client does before the network (validate, both
//!   signatures, hex, the JSON body);
//! - `naive`: a `BTreeMap<String, String>` of every parameter, `format!` per pair, join, HMAC,
//!   insert `sig`, again for `mp_sig`, and `serde_json::to_vec` of the map.
//!
//! Run with `cargo bench -p midas-bench --bench signing`; it ends with a table of medians and the
//! ratios `prepare/floor` (target ≤ 1.2) and `naive/prepare` (target ≥ 6).

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "setup reads a fixed vector file; failing loudly is right")]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hmac::{Hmac, KeyInit, Mac};
use midas_api::{
    AccessToken, AppKey, CallContext, Env, Hex64, MidasRequest, Pay, Present, SessionKey, prepare,
};
use serde_json::Value;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn main() {
    let vectors = load_vectors();
    let present = Case::new(&vectors, "present", |params| Present {
        bill_no: text(params, "bill_no").to_owned(),
        present_counts: number(params, "present_counts"),
    });
    let pay = Case::new(&vectors, "pay-with-optionals", |params| Pay {
        amt: number(params, "amt"),
        bill_no: text(params, "bill_no").to_owned(),
        pay_item: Some(text(params, "pay_item").to_owned()),
        app_remark: Some(text(params, "app_remark").to_owned()),
    });
    present.check();
    pay.check();

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    present.bench(&mut criterion);
    pay.bench(&mut criterion);
    criterion.final_summary();

    // `--test` (cargo test --benches), `--list` and `--profile-time` want no summary.
    if std::env::args().any(|arg| matches!(arg.as_str(), "--test" | "--list" | "--profile-time")) {
        return;
    }
    let rows = [present.medians(), pay.medians()];
    print_summary(&rows);
}

/// One vector, ready to be signed three ways.
struct Case<'v, R> {
    name: &'static str,
    vector: &'v Value,
    request: R,
    envelope: Ids<'v>,
    app_key: AppKey,
    session_key: SessionKey,
    access_token: AccessToken,
    floor: Floor<'v>,
}

/// The inputs of the bare computation: the key texts and the exact signed strings (and the
/// HMAC states keyed by them, for the `keyed` reference of the summary).
struct Floor<'v> {
    app_key: &'v [u8],
    session_key: &'v [u8],
    sig_string: &'v [u8],
    mp_sig_string: &'v [u8],
    app_mac: HmacSha256,
    session_mac: HmacSha256,
}

impl<'v, R: MidasRequest + NaiveFields> Case<'v, R> {
    fn new(vectors: &'v Value, name: &'static str, request: impl FnOnce(&'v Value) -> R) -> Self {
        let vector = vectors
            .as_array()
            .and_then(|all| all.iter().find(|vector| vector["name"] == name))
            .unwrap_or_else(|| panic!("the vector file has no {name:?}"));
        let params = &vector["params"];
        let envelope = Ids {
            appid: text(params, "appid"),
            offer_id: text(params, "offer_id"),
            openid: text(params, "openid"),
            ts: number(params, "ts"),
            zone_id: text(params, "zone_id"),
            pf: text(params, "pf"),
            user_ip: params.get("user_ip").and_then(Value::as_str),
        };
        Self {
            name,
            vector,
            request: request(params),
            envelope,
            app_key: AppKey::new(text(vector, "app_key")).unwrap(),
            session_key: SessionKey::new(text(vector, "session_key")).unwrap(),
            access_token: AccessToken::new(text(vector, "access_token")).unwrap(),
            floor: Floor {
                app_key: text(vector, "app_key").as_bytes(),
                session_key: text(vector, "session_key").as_bytes(),
                sig_string: text(vector, "sig_string").as_bytes(),
                mp_sig_string: text(vector, "mp_sig_string").as_bytes(),
                app_mac: HmacSha256::new_from_slice(text(vector, "app_key").as_bytes()).unwrap(),
                session_mac: HmacSha256::new_from_slice(text(vector, "session_key").as_bytes()).unwrap(),
            },
        }
    }

    fn input(&self) -> CallContext<'_> {
        let Ids { appid, offer_id, openid, ts, zone_id, pf, user_ip } = self.envelope;
        CallContext {
            appid,
            offer_id,
            openid,
            zone_id,
            pf,
            user_ip,
            env: Env::Production,
            ts,
            app_key: &self.app_key,
            session_key: Some(&self.session_key),
            access_token: Some(&self.access_token),
        }
    }

    /// The three ways agree with the vector before anything is timed.
    fn check(&self) {
        let (sig, mp_sig) = (text(self.vector, "sig"), text(self.vector, "mp_sig"));
        let (floor_sig, floor_mp_sig) = floor(&self.floor);
        assert_eq!(hex::encode(floor_sig), sig, "{}: floor sig", self.name);
        assert_eq!(hex::encode(floor_mp_sig), mp_sig, "{}: floor mp_sig", self.name);
        assert_eq!(keyed(&self.floor), (floor_sig, floor_mp_sig), "{}: keyed", self.name);

        let prepared = prepare(&self.request, &self.input()).unwrap();
        assert_eq!(prepared.path, text(self.vector, "uri"), "{}: path", self.name);
        assert_eq!(prepared.app_signature.as_str(), sig, "{}: prepare sig", self.name);
        assert_eq!(
            prepared.player_signature.as_ref().map(Hex64::as_str),
            Some(mp_sig),
            "{}: mp_sig",
            self.name
        );
        let body: Value = serde_json::from_slice(&prepared.body).unwrap();
        let mut expected = self.vector["params"].clone();
        expected["sig"] = sig.into();
        expected["mp_sig"] = mp_sig.into();
        assert_eq!(body, expected, "{}: prepare body", self.name);

        let naive: BTreeMap<String, String> = serde_json::from_slice(&self.naive()).unwrap();
        assert_eq!(naive["sig"], sig, "{}: naive sig", self.name);
        assert_eq!(naive["mp_sig"], mp_sig, "{}: naive mp_sig", self.name);
    }

    fn naive(&self) -> Vec<u8> {
        naive(
            &self.request,
            &self.envelope,
            R::PATH,
            self.app_key.expose_secret(),
            self.session_key.expose_secret(),
            self.access_token.expose_secret(),
        )
    }

    fn bench(&self, criterion: &mut Criterion) {
        let input = self.input();
        let mut group = criterion.benchmark_group(self.name);
        group.bench_function("floor", |b| b.iter(|| floor(black_box(&self.floor))));
        group.bench_function("prepare", |b| b.iter(|| prepare(black_box(&self.request), black_box(&input))));
        group.bench_function("naive", |b| b.iter(|| black_box(self).naive()));
        group.finish();
    }

    /// The medians of the summary, in nanoseconds per request.
    fn medians(&self) -> Row {
        let input = self.input();
        let [floor_ns, keyed_ns, prepare_ns, naive_ns] = interleaved_medians([
            &mut || {
                black_box(floor(black_box(&self.floor)));
            },
            &mut || {
                black_box(keyed(black_box(&self.floor)));
            },
            &mut || {
                let _ = black_box(prepare(black_box(&self.request), black_box(&input)));
            },
            &mut || {
                black_box(black_box(self).naive());
            },
        ]);
        Row { name: self.name, floor_ns, keyed_ns, prepare_ns, naive_ns }
    }
}

/// The two HMACs and nothing else: keyed from the key bytes, one update, finalize.
fn floor(floor: &Floor<'_>) -> ([u8; 32], [u8; 32]) {
    let mac = |key: &[u8], message: &[u8]| -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().into()
    };
    (mac(floor.app_key, floor.sig_string), mac(floor.session_key, floor.mp_sig_string))
}

/// The same two HMACs from states keyed in advance (as `AppKey` and `SessionKey` hold them):
/// all `prepare` could spend if validating, writing the signed strings, hex and the body cost
/// nothing. Not a criterion benchmark; the summary shows it to bound what ratios can reach.
fn keyed(floor: &Floor<'_>) -> ([u8; 32], [u8; 32]) {
    let mac = |keyed: &HmacSha256, message: &[u8]| -> [u8; 32] {
        let mut mac = keyed.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    };
    (mac(&floor.app_mac, floor.sig_string), mac(&floor.session_mac, floor.mp_sig_string))
}

/// A request's own fields the way a map-based SDK collects them.
trait NaiveFields {
    fn insert_into(&self, params: &mut BTreeMap<String, String>);
}

impl NaiveFields for Present {
    fn insert_into(&self, params: &mut BTreeMap<String, String>) {
        params.insert("bill_no".to_owned(), self.bill_no.clone());
        params.insert("present_counts".to_owned(), self.present_counts.to_string());
    }
}

impl NaiveFields for Pay {
    fn insert_into(&self, params: &mut BTreeMap<String, String>) {
        params.insert("amt".to_owned(), self.amt.to_string());
        params.insert("bill_no".to_owned(), self.bill_no.clone());
        if let Some(pay_item) = &self.pay_item {
            params.insert("pay_item".to_owned(), pay_item.clone());
        }
        if let Some(app_remark) = &self.app_remark {
            params.insert("app_remark".to_owned(), app_remark.clone());
        }
    }
}

/// The vector's ids, as the naive signer reads them.
#[derive(Clone, Copy)]
struct Ids<'v> {
    appid: &'v str,
    offer_id: &'v str,
    openid: &'v str,
    ts: i64,
    zone_id: &'v str,
    pf: &'v str,
    user_ip: Option<&'v str>,
}

/// Signing as most SDKs do it: a sorted map of strings, `format!` per pair, join, HMAC keyed
/// on the spot, hex, and the map serialized as the body (numbers as strings, as such SDKs do).
fn naive(
    request: &impl NaiveFields,
    envelope: &Ids<'_>,
    path: &str,
    app_key: &str,
    session_key: &str,
    access_token: &str,
) -> Vec<u8> {
    let mut params = BTreeMap::new();
    params.insert("appid".to_owned(), envelope.appid.to_owned());
    params.insert("offer_id".to_owned(), envelope.offer_id.to_owned());
    params.insert("openid".to_owned(), envelope.openid.to_owned());
    params.insert("pf".to_owned(), envelope.pf.to_owned());
    params.insert("ts".to_owned(), envelope.ts.to_string());
    params.insert("zone_id".to_owned(), envelope.zone_id.to_owned());
    if let Some(user_ip) = envelope.user_ip {
        params.insert("user_ip".to_owned(), user_ip.to_owned());
    }
    request.insert_into(&mut params);

    let sig = naive_hmac(&params, path, "secret", app_key);
    params.insert("access_token".to_owned(), access_token.to_owned());
    params.insert("sig".to_owned(), sig);
    let mp_sig = naive_hmac(&params, path, "session_key", session_key);
    params.remove("access_token");
    params.insert("mp_sig".to_owned(), mp_sig);
    serde_json::to_vec(&params).unwrap()
}

fn naive_hmac(params: &BTreeMap<String, String>, path: &str, secret_name: &str, secret: &str) -> String {
    let pairs: Vec<String> = params.iter().map(|(name, value)| format!("{name}={value}")).collect();
    let signed = format!("{}&org_loc={path}&method=POST&{secret_name}={secret}", pairs.join("&"));
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Rounds of the summary; each round times one batch of each of the three.
const ROUNDS: usize = 1500;
/// The least time one batch takes, so the clock's own cost stays far below 1%.
const BATCH_TIME: Duration = Duration::from_micros(40);

/// Medians (ns per call) of `fns`, measured in interleaved rounds.
///
/// Criterion times each function in its own window of seconds; on a shared machine the load
/// can change between windows, and a ratio of two such numbers would carry that change. Here
/// every round times one batch of each function back to back (the order rotating per round),
/// so all three see the same load, and the median of the rounds ignores the rounds a
/// neighbour's burst disturbed. These medians, not criterion's, give the ratios.
fn interleaved_medians<const N: usize>(mut fns: [&mut dyn FnMut(); N]) -> [f64; N] {
    let batches = fns.each_mut().map(|f| batch_size(&mut **f));
    let mut samples: [Vec<f64>; N] = std::array::from_fn(|_| Vec::with_capacity(ROUNDS));
    for round in 0..ROUNDS {
        for offset in 0..N {
            let index = (round + offset) % N;
            let start = Instant::now();
            for _ in 0..batches[index] {
                (fns[index])();
            }
            samples[index].push(start.elapsed().as_nanos() as f64 / batches[index] as f64);
        }
    }
    samples.map(|mut samples| {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    })
}

/// How many calls fill [`BATCH_TIME`] (after a warm-up of the same length).
fn batch_size(f: &mut dyn FnMut()) -> u32 {
    let mut size = 1_u32;
    loop {
        let start = Instant::now();
        for _ in 0..size {
            f();
        }
        if start.elapsed() >= BATCH_TIME {
            return size;
        }
        size *= 2;
    }
}

struct Row {
    name: &'static str,
    floor_ns: f64,
    keyed_ns: f64,
    prepare_ns: f64,
    naive_ns: f64,
}

fn print_summary(rows: &[Row]) {
    println!();
    println!("summary: medians of {ROUNDS} interleaved rounds, ns per request");
    println!(
        "{:<20} {:>8} {:>8} {:>8} {:>8} {:>14} {:>14} {:>13}",
        "request", "floor", "keyed", "prepare", "naive", "prepare/floor", "naive/prepare", "naive/keyed"
    );
    for row in rows {
        let over_floor = row.prepare_ns / row.floor_ns;
        let over_prepare = row.naive_ns / row.prepare_ns;
        println!(
            "{:<20} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>7.3} {:<6} {:>7.2} {:<6} {:>13.2}",
            row.name,
            row.floor_ns,
            row.keyed_ns,
            row.prepare_ns,
            row.naive_ns,
            over_floor,
            verdict(over_floor <= 1.2),
            over_prepare,
            verdict(over_prepare >= 6.0),
            row.naive_ns / row.keyed_ns,
        );
    }
    println!("targets: prepare/floor <= 1.2, naive/prepare >= 6");
    println!(
        "keyed: the two HMACs alone from pre-keyed states; naive/keyed is the most naive/prepare can be"
    );
}

fn verdict(met: bool) -> &'static str {
    if met { "(ok)" } else { "(MISS)" }
}

fn load_vectors() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/midas-v1-worked.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn text<'v>(object: &'v Value, key: &str) -> &'v str {
    object[key].as_str().unwrap_or_else(|| panic!("{key:?} is a string"))
}

fn number(object: &Value, key: &str) -> i64 {
    object[key].as_i64().unwrap_or_else(|| panic!("{key:?} is an integer"))
}
