//! The emulator over a raw TCP connection: what any HTTP client in any language sees.

use std::time::Duration;

use midas_emulator::{Api, Emulator, Env, Fault, FaultRates, SessionKey};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support;

/// The status and the JSON body of an answer to a text body.
async fn call(emulator: &Emulator, method: &str, target: &str, body: &str) -> (u16, Value) {
    support::call(emulator, method, target, body.as_bytes()).await
}

fn post_target(emulator: &Emulator, path: &str) -> String {
    format!("{path}?access_token={}", emulator.access_token().expose_secret())
}

fn balance_body() -> String {
    json!({
        "appid": "wx1234567", "offer_id": "12345678", "openid": "player-1", "pf": "android",
        "ts": 1_700_000_000, "zone_id": "1", "sig": "0000",
    })
    .to_string()
}

async fn started() -> Emulator {
    let emulator = Emulator::start().await.expect("start");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("not empty"), 10);
    emulator
}

#[tokio::test]
async fn a_missing_or_old_token_is_40001_before_anything_else() {
    let emulator = started().await;
    let (status, body) = call(&emulator, "POST", "/cgi-bin/midas/getbalance", "not even json").await;
    assert_eq!((status, body["errcode"].as_i64()), (200, Some(40001)));
    let old = post_target(&emulator, "/cgi-bin/midas/getbalance");
    emulator.rotate_token();
    let (_, body) = call(&emulator, "POST", &old, &balance_body()).await;
    assert_eq!(body["errcode"], 40001);
    assert!(body["errmsg"].as_str().is_some_and(|errmsg| errmsg.contains("access_token")));
}

#[tokio::test]
async fn parameter_errors_are_90018_naming_the_field() {
    let emulator = started().await;
    let target = post_target(&emulator, "/cgi-bin/midas/sandbox/pay");
    let mut body: Value = serde_json::from_str(&balance_body()).expect("JSON");
    body["amt"] = json!(0);
    body["bill_no"] = json!("bill-1");
    let (_, answer) = call(&emulator, "POST", &target, &body.to_string()).await;
    assert_eq!(answer["errcode"], 90018);
    assert!(answer["errmsg"].as_str().is_some_and(|errmsg| errmsg.contains("`amt`")), "{answer}");

    let (_, answer) = call(&emulator, "POST", &target, "{\"appid\":").await;
    assert_eq!(answer["errcode"], 90018);
}

#[tokio::test]
async fn a_bad_sig_is_90011() {
    let emulator = started().await;
    for env_path in ["/cgi-bin/midas/getbalance", "/cgi-bin/midas/sandbox/getbalance"] {
        let (_, answer) = call(&emulator, "POST", &post_target(&emulator, env_path), &balance_body()).await;
        assert_eq!(answer["errcode"], 90011, "{env_path}: {answer}");
    }
}

#[tokio::test]
async fn only_post_to_the_served_paths_is_served() {
    let emulator = started().await;
    for path in ["/cgi-bin/midas/pay", "/wxa/game/pay", "/xpay/currency_pay"] {
        let (status, answer) = call(&emulator, "GET", &post_target(&emulator, path), "").await;
        assert_eq!((status, answer["errcode"].as_i64()), (200, Some(43002)), "{path}");
    }
    for path in ["/cgi-bin/midas/refund", "/wxa/game/refund", "/xpay/refund_goods", "/wxa/game/sandbox/pay"] {
        let (status, _) = call(&emulator, "POST", &post_target(&emulator, path), "{}").await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(emulator.requests(), 0, "none reached an API");
}

#[tokio::test]
async fn a_missing_or_old_token_is_40001_for_the_body_signed_apis_too() {
    let emulator = started().await;
    for path in ["/wxa/game/getbalance", "/xpay/query_user_balance"] {
        let (_, answer) = call(&emulator, "POST", path, "{}").await;
        assert_eq!(answer["errcode"], 40001, "{path}: {answer}");
    }
}

/// Faults strike only calls that pass every check, so a refused call leaves them queued.
#[tokio::test]
async fn refused_calls_do_not_take_a_fault() {
    let emulator = started().await;
    emulator.inject(Fault::DropAfter);
    let (_, answer) = call(
        &emulator,
        "POST",
        &post_target(&emulator, Api::Pay.path(midas_emulator::Env::Production)),
        "{}",
    )
    .await;
    assert_eq!(answer["errcode"], 90018);
    assert_eq!(emulator.pending_faults(), 1);
    assert_eq!(emulator.fault_counts().total(), 0);
}

#[tokio::test]
async fn stop_closes_the_port() {
    let emulator = started().await;
    let address = emulator.local_addr();
    emulator.stop().await;
    let refused = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(address)).await;
    assert!(matches!(refused, Ok(Err(_))), "nothing listens after stop: {refused:?}");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let emulator = started().await;
    let address = emulator.local_addr();
    drop(emulator);
    // The abort takes effect when the server task is next polled; give it the chance.
    for _ in 0..100 {
        if TcpStream::connect(address).await.is_err() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the server still accepts connections after its handle was dropped");
}

#[tokio::test]
async fn debug_output_never_shows_a_key_or_the_token() {
    let emulator = started().await;
    let printed = format!(
        "{emulator:?} {:?}",
        Emulator::builder().player("p", SessionKey::new("sk-secret").expect("not empty"), 1)
    );
    for secret in [
        emulator.production_key().expose_secret(),
        emulator.sandbox_key().expose_secret(),
        emulator.payment_production_key().expose_secret(),
        emulator.payment_sandbox_key().expose_secret(),
        emulator.access_token().expose_secret(),
        "sk-secret",
    ] {
        assert!(!printed.contains(secret), "{printed}");
    }
}

/// Sends a signed Midas 2.0 pay and ignores the answer, whatever the fault did to it.
async fn pay_ignoring_the_answer(emulator: &Emulator, bill_no: &str) {
    let body = support::v2_body(json!({ "amount": 1, "bill_no": bill_no }));
    let bytes = serde_json::to_vec(&body).expect("JSON");
    let target =
        support::signed_target(emulator, Api::V2Pay, Env::Sandbox, &bytes, &support::Signing::default());
    let Ok(mut stream) = TcpStream::connect(emulator.local_addr()).await else { return };
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    );
    if stream.write_all(head.as_bytes()).await.is_ok() && stream.write_all(&bytes).await.is_ok() {
        let _ = stream.read_to_end(&mut Vec::new()).await;
    }
}

/// The faults that struck, as (call, attempt, fault), sorted.
fn schedule(emulator: &Emulator) -> Vec<(String, u32, Fault)> {
    let mut log: Vec<_> =
        emulator.fault_log().into_iter().map(|record| (record.call, record.attempt, record.fault)).collect();
    log.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    log
}

/// A seeded fault belongs to (seed, call, attempt): the same calls arriving in another order
/// meet the same faults. (Drawn one after another from one generator, they used to follow the
/// order of arrival.)
#[tokio::test]
async fn one_seed_gives_one_fault_schedule_in_any_order_of_calls() {
    let rates = FaultRates { busy_before: 0.2, busy_after: 0.2, drop_after: 0.2, ..FaultRates::default() };
    let bills: Vec<String> = (0..30).map(|call| format!("bill-{call}")).collect();
    let mut schedules = Vec::new();
    for reversed in [false, true] {
        let emulator = Emulator::builder()
            .seed(5)
            .fault_rates(rates)
            .player(support::OPENID, support::session_key(support::SESSION_KEY), 1_000)
            .start()
            .await
            .expect("start");
        let order: Vec<&String> =
            if reversed { bills.iter().rev().collect() } else { bills.iter().collect() };
        for bill_no in order {
            // Three attempts of each call, as a client retrying it would make.
            for _ in 0..3 {
                pay_ignoring_the_answer(&emulator, bill_no).await;
            }
        }
        assert_eq!(emulator.requests(), 90);
        schedules.push(schedule(&emulator));
    }
    assert!(schedules[0].iter().any(|(_, attempt, _)| *attempt > 1), "{:?}", schedules[0]);
    assert_eq!(schedules[0], schedules[1]);
}
