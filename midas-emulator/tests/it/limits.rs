//! What one client may hold of the server: idle sockets are shed and timed out, and a body
//! declared too large is refused before it is sent.

use std::time::{Duration, Instant};

use midas_emulator::{DEFAULT_MAX_CONNECTIONS, Emulator, SessionKey};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::support;

/// How long a test waits for an answer that should come at once.
const PROMPTLY: Duration = Duration::from_secs(2);

async fn started(builder: midas_emulator::EmulatorBuilder) -> Emulator {
    let emulator = builder.start().await.expect("start");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("not empty"), 10);
    emulator
}

/// Reads until the end of the head and returns the status code, or `None` when the server
/// closed first.
async fn status_of(stream: &mut TcpStream) -> Option<u16> {
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        answer.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&answer).get(9..12)?.parse().ok()
}

/// Whether the server closes `stream` within `within` (end of file or a reset).
async fn closed_within(mut stream: TcpStream, within: Duration) -> bool {
    let mut buffer = [0_u8; 64];
    loop {
        match timeout(within, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // Bytes (a 408 from hyper, say) before the close: keep reading.
            Ok(Ok(_)) => {}
        }
    }
}

/// A real request over a fresh connection: its status, and how long the answer took.
async fn real_request(emulator: &Emulator) -> (u16, Duration) {
    let started = Instant::now();
    let (status, _) = timeout(PROMPTLY, support::call(emulator, "POST", "/cgi-bin/midas/getbalance", b"{}"))
        .await
        .expect("a real request is answered promptly");
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_do_not_starve_real_requests() {
    let emulator = started(Emulator::builder()).await;
    let idle_count = DEFAULT_MAX_CONNECTIONS + 100;
    let mut idle = Vec::with_capacity(idle_count);
    for _ in 0..idle_count {
        idle.push(TcpStream::connect(emulator.local_addr()).await.expect("connect"));
    }
    let (status, took) = real_request(&emulator).await;
    assert_eq!(status, 200, "answered after {took:?}");

    // The sockets beyond the cap made the oldest ones close, long before the header read
    // timeout (10 s) could have.
    let mut waiting = JoinSet::new();
    for stream in idle {
        waiting.spawn(closed_within(stream, Duration::from_secs(1)));
    }
    let mut closed = 0;
    while let Some(result) = waiting.join_next().await {
        closed += usize::from(result.expect("no panic"));
    }
    assert!(
        closed >= idle_count - DEFAULT_MAX_CONNECTIONS,
        "{closed} of {idle_count} idle sockets were shed"
    );
    assert!(closed < idle_count, "the newest idle sockets are kept until they time out");
}

#[tokio::test]
async fn a_capped_server_keeps_answering_while_idle_sockets_pile_up() {
    let emulator = started(Emulator::builder().max_connections(4)).await;
    let mut idle = Vec::new();
    for round in 0..20 {
        idle.push(TcpStream::connect(emulator.local_addr()).await.expect("connect"));
        let (status, took) = real_request(&emulator).await;
        assert_eq!(status, 200, "round {round}, answered after {took:?}");
    }
}

#[tokio::test]
async fn a_socket_that_sends_no_head_is_closed_after_the_header_read_timeout() {
    let emulator = started(Emulator::builder().header_read_timeout(Duration::from_millis(200))).await;
    let silent = TcpStream::connect(emulator.local_addr()).await.expect("connect");
    assert!(closed_within(silent, PROMPTLY).await, "a silent socket is closed");

    let mut trickling = TcpStream::connect(emulator.local_addr()).await.expect("connect");
    trickling.write_all(b"POST /cgi-bin/midas/getbalance HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    assert!(closed_within(trickling, PROMPTLY).await, "a head that never ends is cut off");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_read_timeout() {
    let emulator = started(Emulator::builder().header_read_timeout(Duration::from_millis(300))).await;
    let mut stream = TcpStream::connect(emulator.local_addr()).await.expect("connect");
    let request = "POST /cgi-bin/midas/getbalance HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    stream.write_all(request.as_bytes()).await.expect("write");
    assert_eq!(status_of(&mut stream).await, Some(200), "kept alive after the answer");
    let started = Instant::now();
    assert!(closed_within(stream, PROMPTLY).await, "idle after its answer, then closed");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "not before the timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_declared_body_above_the_cap_is_413_before_it_is_sent() {
    let emulator = started(Emulator::builder()).await;
    for (path, errcode) in [
        ("/cgi-bin/midas/pay", 90018),
        ("/wxa/game/pay", 90018),
        ("/xpay/currency_pay", 268_490_002),
        ("/cgi-bin/stable_token", 47001),
    ] {
        let target = format!("{path}?access_token={}", emulator.access_token().expose_secret());
        let mut stream = TcpStream::connect(emulator.local_addr()).await.expect("connect");
        let head = format!("POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("write");
        // Not one byte of the body is sent.
        let mut answer = Vec::new();
        let read = timeout(PROMPTLY, stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "{path}: answered without waiting for the body");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 413"), "{path}: {text}");
        let body: Value =
            text.split_once("\r\n\r\n").and_then(|(_, body)| serde_json::from_str(body).ok()).expect("JSON");
        assert_eq!(body["errcode"], errcode, "{path}: {body}");
    }
    assert_eq!(emulator.requests(), 0, "no call reached the books");
}

#[tokio::test]
async fn a_chunked_body_growing_past_the_cap_is_413() {
    let emulator = started(Emulator::builder()).await;
    let target = format!("/wxa/game/pay?access_token={}", emulator.access_token().expose_secret());
    let mut stream = TcpStream::connect(emulator.local_addr()).await.expect("connect");
    let head = format!("POST {target} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, "x".repeat(16 * 1024));
    for _ in 0..5 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    assert_eq!(timeout(PROMPTLY, status_of(&mut stream)).await.ok().flatten(), Some(413));
}

#[tokio::test]
async fn a_body_that_never_completes_is_408_after_the_header_read_timeout() {
    let emulator = started(Emulator::builder().header_read_timeout(Duration::from_millis(200))).await;
    let target = format!("/wxa/game/pay?access_token={}", emulator.access_token().expose_secret());
    let mut stream = TcpStream::connect(emulator.local_addr()).await.expect("connect");
    let head = format!("POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"openid\"");
    stream.write_all(head.as_bytes()).await.expect("write");
    assert_eq!(timeout(PROMPTLY, status_of(&mut stream)).await.ok().flatten(), Some(408));
}

#[tokio::test]
async fn unusable_limits_are_refused_at_start() {
    for builder in
        [Emulator::builder().max_connections(0), Emulator::builder().header_read_timeout(Duration::ZERO)]
    {
        assert!(matches!(builder.start().await, Err(midas_emulator::StartError::Setting { .. })));
    }
}
