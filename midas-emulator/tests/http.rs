//! The emulator over a raw TCP connection: what any HTTP client in any language sees.

use std::time::Duration;

use midas_emulator::{Api, Emulator, Fault, SessionKey};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends one HTTP/1.1 request and reads until the server closes: the raw answer bytes.
async fn exchange(emulator: &Emulator, method: &str, target: &str, body: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.expect("connect");
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    answer
}

/// The status and the JSON body of an answer.
async fn call(emulator: &Emulator, method: &str, target: &str, body: &str) -> (u16, Value) {
    let answer = exchange(emulator, method, target, body).await;
    let text = String::from_utf8(answer).expect("UTF-8");
    let status = text.get(9..12).and_then(|code| code.parse().ok()).expect("a status line");
    let (_, body) = text.split_once("\r\n\r\n").expect("headers end");
    (status, serde_json::from_str(body).expect("a JSON body"))
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
async fn only_post_to_the_eight_midas_paths_is_served() {
    let emulator = started().await;
    let (status, answer) = call(&emulator, "GET", &post_target(&emulator, "/cgi-bin/midas/pay"), "").await;
    assert_eq!((status, answer["errcode"].as_i64()), (200, Some(43002)));
    let (status, _) = call(&emulator, "POST", &post_target(&emulator, "/cgi-bin/midas/refund"), "{}").await;
    assert_eq!(status, 404);
    assert_eq!(emulator.requests(), 0, "neither reached an API");
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
        emulator.access_token().expose_secret(),
        "sk-secret",
    ] {
        assert!(!printed.contains(secret), "{printed}");
    }
}
