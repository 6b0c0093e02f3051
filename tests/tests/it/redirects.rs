//! Redirects are never followed (security review, finding 1): whatever answers at the base URL
//! with a 3xx cannot make the client re-send a signed body, an AppSecret or an access token to
//! another host, and the other host's answer is never taken as the result. The 3xx is a final
//! `Status` error naming the status and the `Location`'s host and port, nothing more.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use midas_api::{
    AccessToken, AppCredentials, AppKey, AppSecret, ClassicTokenSource, Client, Config, Env, Error, Present,
    ReqwestTransport, RetryPolicy, Sessions, StableTokenSource, StaticToken, TokenSource, TransportErrorKind,
};
use midas_tests::{SANDBOX_KEY, test_player};

const SECRET: &str = "the-app-secret-0123456789";
const TOKEN: &str = "the-access-token-0123456789";

/// A loopback HTTP/1.1 server on its own thread that reads each request whole, keeps it, and
/// answers with `answer` and closes.
struct Server {
    address: String,
    received: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(answer: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let address = listener.local_addr().expect("bound").to_string();
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let request = read_request(&mut stream);
                kept.lock().expect("lock").push(request);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Self { address, received }
    }

    /// The requests received so far, head and body.
    fn received(&self) -> Vec<String> {
        self.received.lock().expect("lock").clone()
    }
}

/// The request head and its `Content-Length` body, as text.
fn read_request(stream: &mut std::net::TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return request;
        }
        let header = line.split_once(':');
        if let Some((_, value)) = header.filter(|(name, _)| name.eq_ignore_ascii_case("content-length")) {
            length = value.trim().parse().unwrap_or(0);
        }
        request.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_ok() {
        request.push_str(&String::from_utf8_lossy(&body));
    }
    request
}

/// The host that must never be reached, and the one that redirects to it (with a path and a
/// query the errors must not show).
fn servers() -> (Server, Server) {
    // An answer both a Midas call and a token fetch would take as a success.
    let body =
        r#"{"errcode":0,"errmsg":"ok","balance":5,"bill_no":"g1","access_token":"STOLEN","expires_in":7200}"#;
    let other = Server::start(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    let first = Server::start(format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{}/collect?stolen=yes\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n",
        other.address
    ));
    (first, other)
}

/// The error says the status and the other host, and shows no path, query or secret.
fn assert_names_only_status_and_host(text: &str, other: &Server) {
    assert!(text.contains("307"), "{text}");
    assert!(text.contains(&format!("redirect to {} refused", other.address)), "{text}");
    for hidden in ["collect", "stolen", SECRET, TOKEN] {
        assert!(!text.contains(hidden), "`{hidden}` in {text}");
    }
}

fn app(first: &Server) -> AppCredentials {
    AppCredentials::new("wx1234567", AppSecret::new(SECRET).unwrap())
        .with_base_url(format!("http://{}", first.address))
        .unwrap()
        .with_timeout(Duration::from_secs(5))
        .unwrap()
}

#[tokio::test]
async fn a_redirected_money_call_is_not_followed_and_fails_with_the_status() {
    let (first, other) = servers();
    let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
        .sandbox_key(AppKey::new(SANDBOX_KEY).unwrap())
        .base_url(format!("http://{}", first.address))
        .retry(RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)))
        .build()
        .unwrap();
    let client = Client::new(config, StaticToken::new(AccessToken::new(TOKEN).unwrap())).unwrap();
    let error = client
        .present(&test_player(), Present { bill_no: "g1".into(), present_counts: 5 })
        .await
        .unwrap_err();
    let Error::Transport(transport) = &error else { panic!("a transport error, got {error:?}") };
    assert_eq!(transport.kind(), TransportErrorKind::Status(307));
    assert!(!error.is_retryable());
    assert_names_only_status_and_host(&format!("{error} {error:?}"), &other);
    assert_eq!(first.received().len(), 1, "a redirect is final, not retried");
    assert!(first.received()[0].starts_with("POST /cgi-bin/midas/sandbox/present?access_token="));
    assert_eq!(other.received(), Vec::<String>::new(), "the signed body went to another host");
}

#[tokio::test]
async fn a_redirected_stable_token_fetch_is_not_followed_and_keeps_the_secret_home() {
    let (first, other) = servers();
    let tokens = StableTokenSource::new(app(&first), ReqwestTransport::new().unwrap());
    let error = tokens.token().await.unwrap_err();
    assert_eq!(error.errcode(), None);
    assert!(!error.is_retryable());
    assert_names_only_status_and_host(&format!("{error} {error:?}"), &other);
    assert_eq!(first.received().len(), 1);
    assert_eq!(other.received(), Vec::<String>::new(), "the AppSecret went to another host");
}

#[tokio::test]
async fn a_redirected_classic_token_fetch_is_not_followed_and_keeps_the_secret_home() {
    let (first, other) = servers();
    let tokens = ClassicTokenSource::new(app(&first), ReqwestTransport::new().unwrap());
    let error = tokens.token().await.unwrap_err();
    assert!(!error.is_retryable());
    assert_names_only_status_and_host(&format!("{error} {error:?}"), &other);
    assert_eq!(first.received().len(), 1);
    assert_eq!(other.received(), Vec::<String>::new(), "the AppSecret went to another host");
}

#[tokio::test]
async fn a_redirected_code2session_is_not_followed() {
    let (first, other) = servers();
    let sessions = Sessions::new(app(&first), ReqwestTransport::new().unwrap());
    let error = sessions.code2session("code-1").await.unwrap_err();
    assert!(
        matches!(&error, Error::Transport(t) if t.kind() == TransportErrorKind::Status(307)),
        "{error:?}"
    );
    assert_names_only_status_and_host(&format!("{error} {error:?}"), &other);
    assert_eq!(other.received(), Vec::<String>::new(), "the AppSecret went to another host");
}
