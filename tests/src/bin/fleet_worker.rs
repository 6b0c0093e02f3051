//! One instance of a fleet, for the multi-process tests of `tests/it/fleet.rs`.
//!
//! It builds a `FleetTokenSource` over a `StableTokenSource` from its environment
//! (`MIDAS_REDIS_URL`, `FLEET_PREFIX`, `FLEET_BASE_URL`, `FLEET_APPID`, `FLEET_SECRET`,
//! `FLEET_LOCK_TTL_MS`, and `FLEET_FETCH_DELAY_MS` to hold each token request that long before
//! it is sent), reads the cached token, prints `ready`, waits for a line on standard input, then
//! makes `N` concurrent calls and prints `done ok=… failed=… distinct=…` (`distinct` counts the
//! different tokens it got, by a hash: tokens are not printed) and one `error=…` line per
//! distinct failure.
//!
//! `fleet_worker token N`: `N` calls of `token()`. `fleet_worker refresh N`: `N` calls of
//! `refresh(&the token read before ready)`, as clients whose calls were refused would.

use std::collections::{BTreeSet, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use midas_api::{
    AccessToken, AppCredentials, AppSecret, Fleet, FleetOptions, FleetTokenSource, HttpRequest, HttpResponse,
    ReqwestTransport, StableTokenSource, TokenSource, Transport, TransportError,
};
use tokio::io::AsyncBufReadExt;

/// A transport that holds each request `delay` before sending it.
struct Slow {
    inner: ReqwestTransport,
    delay: Duration,
}

impl Transport for Slow {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        tokio::time::sleep(self.delay).await;
        self.inner.send(request).await
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the test"))
}

fn millis(name: &str, default: u64) -> Duration {
    Duration::from_millis(std::env::var(name).ok().and_then(|text| text.parse().ok()).unwrap_or(default))
}

fn fingerprint(token: &AccessToken) -> u64 {
    let mut hasher = DefaultHasher::new();
    token.expose_secret().hash(&mut hasher);
    hasher.finish()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().expect("a mode: token or refresh");
    let calls: usize = args.next().and_then(|text| text.parse().ok()).expect("a number of calls");

    let options = FleetOptions::default().with_prefix(env("FLEET_PREFIX")).expect("a valid prefix");
    let fleet = Fleet::connect(&env("MIDAS_REDIS_URL"), options).await.expect("Redis answers");
    let app = AppCredentials::new(env("FLEET_APPID"), AppSecret::new(env("FLEET_SECRET")).expect("a secret"))
        .with_base_url(env("FLEET_BASE_URL"))
        .expect("a base URL")
        .with_timeout(Duration::from_secs(120))
        .expect("a timeout");
    let transport = Slow {
        inner: ReqwestTransport::new().expect("a transport"),
        delay: millis("FLEET_FETCH_DELAY_MS", 0),
    };
    let tokens = FleetTokenSource::new(fleet, &env("FLEET_APPID"), StableTokenSource::new(app, transport))
        .with_lock_ttl(millis("FLEET_LOCK_TTL_MS", 10_000))
        .expect("a lock TTL");
    let tokens = Arc::new(tokens);
    let rejected = match mode.as_str() {
        "refresh" => Some(tokens.token().await.expect("a cached token to refuse")),
        "token" => None,
        other => panic!("unknown mode {other}"),
    };

    println!("ready");
    let mut line = String::new();
    tokio::io::BufReader::new(tokio::io::stdin()).read_line(&mut line).await.expect("the go line");

    let handles: Vec<_> = (0..calls)
        .map(|_| {
            let (tokens, rejected) = (Arc::clone(&tokens), rejected.clone());
            tokio::spawn(async move {
                match rejected {
                    Some(rejected) => tokens.refresh(&rejected).await,
                    None => tokens.token().await,
                }
            })
        })
        .collect();
    let (mut ok, mut distinct, mut errors) = (0, HashSet::new(), BTreeSet::new());
    for handle in handles {
        match handle.await.expect("no call panics") {
            Ok(token) => {
                ok += 1;
                distinct.insert(fingerprint(&token));
            }
            Err(error) => {
                errors.insert(error.to_string());
            }
        }
    }
    println!("done ok={ok} failed={} distinct={}", calls - ok, distinct.len());
    for fingerprint in &distinct {
        println!("token={fingerprint:016x}");
    }
    for error in errors {
        println!("error={error}");
    }
}
