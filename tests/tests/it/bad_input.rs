//! Bad input is refused with a typed error naming the field, before anything is sent; bad
//! answers become typed decode or transport errors, never panics.

use std::sync::Arc;
use std::time::Duration;

use midas_api::{
    AccessToken, AppCredentials, AppKey, AppSecret, CancelPay, Client, Config, Env, Error, Pay, Player,
    Present, RetryPolicy, SessionKey, Sessions, StaticToken, TransportErrorKind, ValidationError,
};
use midas_tests::{Reply, SANDBOX_KEY, ScriptedTransport, test_config, test_player};

/// A call with one bad value in it.
enum Call {
    Present(Player, Present),
    Pay(Player, Pay),
    CancelPay(Player, CancelPay),
    GetBalance(Player),
}

fn present(bill_no: &str, present_counts: i64) -> Call {
    Call::Present(test_player(), Present { bill_no: bill_no.into(), present_counts })
}

fn pay(bill_no: &str, amt: i64) -> Call {
    Call::Pay(test_player(), Pay { amt, bill_no: bill_no.into(), pay_item: None, app_remark: None })
}

fn cancel(bill_no: &str) -> Call {
    Call::CancelPay(test_player(), CancelPay { bill_no: bill_no.into(), pay_item: None })
}

fn balance_of(player: Player) -> Call {
    Call::GetBalance(player)
}

/// Sends `call` through a client whose transport has no answer, and returns the error and
/// how many requests reached the transport.
async fn refuse(config: Config, call: Call) -> (Error, usize) {
    let transport = Arc::new(ScriptedTransport::new([]));
    let token = StaticToken::new(AccessToken::new("TOKEN").expect("not empty"));
    let client = Client::with_transport(config, token, Arc::clone(&transport));
    let result = match call {
        Call::Present(player, request) => client.present(&player, request).await.map(drop),
        Call::Pay(player, request) => client.pay(&player, request).await.map(drop),
        Call::CancelPay(player, request) => client.cancel_pay(&player, request).await.map(drop),
        Call::GetBalance(player) => client.get_balance(&player).await.map(drop),
    };
    let error = result.expect_err("bad input must be refused");
    (error, transport.sent().len())
}

fn field_of(error: &Error) -> &'static str {
    match error {
        Error::Validation(validation) => validation.field(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_calls_are_refused_before_sending_and_name_the_field() {
    let long = "b".repeat(64);
    let cases: Vec<(&str, &str, Call)> = vec![
        ("present: bill_no empty", "bill_no", present("", 1)),
        ("present: bill_no 64 chars", "bill_no", present(&long, 1)),
        ("present: bill_no with a space", "bill_no", present("gift 1", 1)),
        ("present: bill_no with a dot", "bill_no", present("gift.1", 1)),
        ("present: bill_no with a slash", "bill_no", present("gift/1", 1)),
        ("present: bill_no non-ASCII", "bill_no", present("礼物-1", 1)),
        ("present: bill_no accented", "bill_no", present("gifté", 1)),
        ("present: bill_no with a newline", "bill_no", present("gift\n1", 1)),
        ("present: bill_no with &", "bill_no", present("a&sig=x", 1)),
        ("present: zero counts", "present_counts", present("gift-1", 0)),
        ("present: negative counts", "present_counts", present("gift-1", -5)),
        ("present: i64::MIN counts", "present_counts", present("gift-1", i64::MIN)),
        ("pay: bill_no empty", "bill_no", pay("", 1)),
        ("pay: bill_no 64 chars", "bill_no", pay(&long, 1)),
        ("pay: bill_no with =", "bill_no", pay("pay=1", 1)),
        ("pay: bill_no emoji", "bill_no", pay("pay-💰", 1)),
        ("pay: zero amt", "amt", pay("pay-1", 0)),
        ("pay: negative amt", "amt", pay("pay-1", -1)),
        ("pay: i64::MIN amt", "amt", pay("pay-1", i64::MIN)),
        ("cancelpay: bill_no empty", "bill_no", cancel("")),
        ("cancelpay: bill_no 64 chars", "bill_no", cancel(&long)),
        ("cancelpay: bill_no with a tab", "bill_no", cancel("pay\t1")),
        ("getbalance: openid empty", "openid", balance_of(Player::new(""))),
        ("getbalance: zone_id empty", "zone_id", balance_of(test_player().with_zone_id(""))),
        ("getbalance: pf empty", "pf", balance_of(test_player().with_pf(""))),
        ("getbalance: user_ip empty", "user_ip", balance_of(test_player().with_user_ip(""))),
        ("getbalance: pf with &", "pf", balance_of(test_player().with_pf("android&pf=ios"))),
        ("getbalance: zone_id with =", "zone_id", balance_of(test_player().with_zone_id("1=2"))),
        ("getbalance: openid with &", "openid", balance_of(Player::new("o1&openid=o2"))),
        ("getbalance: user_ip with =", "user_ip", balance_of(test_player().with_user_ip("1.1.1.1=x"))),
        (
            "pay: pay_item with & and =",
            "pay_item",
            Call::Pay(
                test_player(),
                Pay {
                    amt: 1,
                    bill_no: "pay-1".into(),
                    pay_item: Some("sword&pf=android".into()),
                    app_remark: None,
                },
            ),
        ),
        (
            "pay: app_remark with =",
            "app_remark",
            Call::Pay(
                test_player(),
                Pay { amt: 1, bill_no: "pay-1".into(), pay_item: None, app_remark: Some("a=b".into()) },
            ),
        ),
        (
            "pay: pay_item empty",
            "pay_item",
            Call::Pay(
                test_player(),
                Pay { amt: 1, bill_no: "pay-1".into(), pay_item: Some(String::new()), app_remark: None },
            ),
        ),
        (
            "pay: app_remark empty",
            "app_remark",
            Call::Pay(
                test_player(),
                Pay { amt: 1, bill_no: "pay-1".into(), pay_item: None, app_remark: Some(String::new()) },
            ),
        ),
        (
            "cancelpay: pay_item empty",
            "pay_item",
            Call::CancelPay(
                test_player(),
                CancelPay { bill_no: "pay-1".into(), pay_item: Some(String::new()) },
            ),
        ),
        (
            "present: openid empty",
            "openid",
            Call::Present(Player::new(""), Present { bill_no: "gift-1".into(), present_counts: 1 }),
        ),
        (
            "pay: user_ip empty",
            "user_ip",
            Call::Pay(
                test_player().with_user_ip(""),
                Pay { amt: 1, bill_no: "pay-1".into(), pay_item: None, app_remark: None },
            ),
        ),
    ];
    for (name, field, call) in cases {
        let (error, sent) = refuse(test_config(Env::Sandbox), call).await;
        let Error::Validation(validation) = &error else {
            panic!("{name}: expected a validation error, got {error:?}")
        };
        assert_eq!(validation.field(), field, "{name}: {error}");
        assert!(error.to_string().contains(field), "{name}: the message names the field: {error}");
        assert!(!error.is_retryable(), "{name}");
        assert_eq!(sent, 0, "{name}: nothing sent");
    }
}

fn builder(env: Env) -> midas_api::ConfigBuilder {
    Config::builder("wx1234567", "12345678", env)
        .sandbox_key(AppKey::new(SANDBOX_KEY).expect("not empty"))
        .production_key(AppKey::new("production-key").expect("not empty"))
        .base_url("https://midas.test")
}

#[test]
fn malformed_configurations_name_the_field() {
    let sandbox_only = || {
        Config::builder("wx1234567", "12345678", Env::Production)
            .sandbox_key(AppKey::new(SANDBOX_KEY).expect("not empty"))
    };
    let production_only = || {
        Config::builder("wx1234567", "12345678", Env::Sandbox)
            .production_key(AppKey::new("production-key").expect("not empty"))
    };
    let cases: Vec<(&str, &str, Result<Config, ValidationError>)> = vec![
        ("appid empty", "appid", Config::builder("", "12345678", Env::Sandbox).build()),
        ("offer_id empty", "offer_id", Config::builder("wx1234567", "", Env::Sandbox).build()),
        ("production key missing", "production_key", sandbox_only().build()),
        ("sandbox key missing", "sandbox_key", production_only().build()),
        ("no key at all", "sandbox_key", Config::builder("wx1", "1", Env::Sandbox).build()),
        ("base URL without scheme", "base_url", builder(Env::Sandbox).base_url("midas.test").build()),
        ("base URL ftp", "base_url", builder(Env::Sandbox).base_url("ftp://midas.test").build()),
        ("base URL with query", "base_url", builder(Env::Sandbox).base_url("https://midas.test?a=1").build()),
        (
            "base URL with fragment",
            "base_url",
            builder(Env::Sandbox).base_url("https://midas.test#x").build(),
        ),
        ("base URL empty host", "base_url", builder(Env::Sandbox).base_url("https://").build()),
        ("base URL only a path", "base_url", builder(Env::Sandbox).base_url("https:///cgi-bin").build()),
        ("base URL empty", "base_url", builder(Env::Sandbox).base_url("").build()),
        ("base URL with a space", "base_url", builder(Env::Sandbox).base_url("https://midas .test").build()),
        (
            "base URL with a newline",
            "base_url",
            builder(Env::Sandbox).base_url("https://midas.test\n").build(),
        ),
        ("timeout zero", "timeout", builder(Env::Sandbox).timeout(Duration::ZERO).build()),
        ("timeout a day", "timeout", builder(Env::Sandbox).timeout(Duration::from_secs(86_400)).build()),
        ("timeout max", "timeout", builder(Env::Sandbox).timeout(Duration::MAX).build()),
        (
            "zero attempts",
            "retry.max_attempts",
            builder(Env::Sandbox).retry(RetryPolicy::default().with_max_attempts(0)).build(),
        ),
        (
            "a thousand attempts",
            "retry.max_attempts",
            builder(Env::Sandbox).retry(RetryPolicy::default().with_max_attempts(1000)).build(),
        ),
        (
            "backoff of an hour",
            "retry.initial_backoff",
            builder(Env::Sandbox)
                .retry(
                    RetryPolicy::default().with_backoff(Duration::from_secs(3600), Duration::from_secs(3600)),
                )
                .build(),
        ),
        (
            "backoff cap below the first backoff",
            "retry.max_backoff",
            builder(Env::Sandbox)
                .retry(RetryPolicy::default().with_backoff(Duration::from_secs(2), Duration::from_secs(1)))
                .build(),
        ),
        (
            "zero deadline",
            "retry.deadline",
            builder(Env::Sandbox).retry(RetryPolicy::default().with_deadline(Duration::ZERO)).build(),
        ),
        (
            "deadline of a day",
            "retry.deadline",
            builder(Env::Sandbox)
                .retry(RetryPolicy::default().with_deadline(Duration::from_secs(86_400)))
                .build(),
        ),
        (
            "max_response_bytes zero",
            "max_response_bytes",
            builder(Env::Sandbox).max_response_bytes(0).build(),
        ),
        (
            "max_response_bytes 1023",
            "max_response_bytes",
            builder(Env::Sandbox).max_response_bytes(1023).build(),
        ),
        (
            "max_response_bytes 1 GiB",
            "max_response_bytes",
            builder(Env::Sandbox).max_response_bytes(1 << 30).build(),
        ),
    ];
    for (name, field, result) in cases {
        let error = result.expect_err(name);
        assert_eq!(error.field(), field, "{name}: {error}");
        assert!(error.to_string().contains(field), "{name}: {error}");
    }
}

#[test]
fn empty_secrets_are_refused_and_named() {
    let cases = [
        ("app_key", AppKey::new("").map(drop)),
        ("session_key", SessionKey::new("").map(drop)),
        ("access_token", AccessToken::new("").map(drop)),
        ("app_secret", AppSecret::new("").map(drop)),
    ];
    for (field, result) in cases {
        assert_eq!(result.expect_err(field).field(), field);
    }
}

#[tokio::test]
async fn an_empty_js_code_is_refused_before_sending() {
    let transport = Arc::new(ScriptedTransport::new([]));
    let app = AppCredentials::new("wx1234567", AppSecret::new("app-secret").expect("not empty"));
    let sessions = Sessions::new(app, Arc::clone(&transport));
    let error = sessions.code2session("").await.expect_err("empty js_code");
    assert_eq!(field_of(&error), "js_code");
    assert!(transport.sent().is_empty());
}

fn single_attempt(replies: Vec<Reply>) -> Client<Arc<ScriptedTransport>, StaticToken> {
    let config = builder(Env::Sandbox).retry(RetryPolicy::never()).build().expect("valid");
    let token = StaticToken::new(AccessToken::new("TOKEN").expect("not empty"));
    Client::with_transport(config, token, Arc::new(ScriptedTransport::new(replies)))
}

/// What a malformed answer must become.
#[derive(Debug)]
enum Expect {
    /// Unreadable: outcome unknown, retryable.
    Unreadable,
    /// errcode 0 but the success fields are wrong: applied, not retryable.
    AfterSuccess,
    /// An HTTP status error.
    Status(u16),
}

#[tokio::test]
async fn malformed_answers_become_typed_errors() {
    let cases: Vec<(&str, Reply, Expect)> = vec![
        ("not JSON", Reply::json("not json at all"), Expect::Unreadable),
        ("empty body", Reply::json(""), Expect::Unreadable),
        ("truncated JSON", Reply::json(r#"{"errcode":0,"bal"#), Expect::Unreadable),
        ("a JSON array", Reply::json("[1,2,3]"), Expect::Unreadable),
        ("a JSON string", Reply::json(r#""ok""#), Expect::Unreadable),
        ("null", Reply::json("null"), Expect::Unreadable),
        ("no errcode", Reply::json(r#"{"errmsg":"ok","balance":1,"bill_no":"gift-1"}"#), Expect::Unreadable),
        ("errcode a string", Reply::json(r#"{"errcode":"0","errmsg":"ok"}"#), Expect::Unreadable),
        ("errcode a float", Reply::json(r#"{"errcode":0.5,"errmsg":"ok"}"#), Expect::Unreadable),
        ("errcode null", Reply::json(r#"{"errcode":null}"#), Expect::Unreadable),
        ("errcode huge", Reply::json(r#"{"errcode":1e400}"#), Expect::Unreadable),
        (
            "balance a string",
            Reply::json(r#"{"errcode":0,"errmsg":"ok","balance":"100","bill_no":"gift-1"}"#),
            Expect::AfterSuccess,
        ),
        (
            "bill_no a number",
            Reply::json(r#"{"errcode":0,"errmsg":"ok","balance":100,"bill_no":7}"#),
            Expect::AfterSuccess,
        ),
        ("balance missing", Reply::json(r#"{"errcode":0,"bill_no":"gift-1"}"#), Expect::AfterSuccess),
        (
            "balance out of range",
            Reply::json(r#"{"errcode":0,"balance":99999999999999999999,"bill_no":"gift-1"}"#),
            Expect::AfterSuccess,
        ),
        (
            "HTTP 502 with HTML",
            Reply::Http(502, "<html><body><h1>502 Bad Gateway</h1></body></html>".into()),
            Expect::Status(502),
        ),
        ("HTTP 404 empty", Reply::Http(404, String::new()), Expect::Status(404)),
        ("HTTP 301", Reply::Http(301, "moved".into()), Expect::Status(301)),
    ];
    for (name, reply, expect) in cases {
        let client = single_attempt(vec![reply]);
        let error = client
            .present(&test_player(), Present { bill_no: "gift-1".into(), present_counts: 1 })
            .await
            .expect_err(name);
        match (&expect, &error) {
            (Expect::Unreadable, Error::Decode(decode)) => {
                assert!(!decode.succeeded(), "{name}");
                assert!(error.is_retryable(), "{name}: outcome unknown");
            }
            (Expect::AfterSuccess, Error::Decode(decode)) => {
                assert!(decode.succeeded(), "{name}");
                assert!(!error.is_retryable(), "{name}: the call was applied");
            }
            (Expect::Status(status), Error::Transport(transport)) => {
                assert_eq!(transport.kind(), TransportErrorKind::Status(*status), "{name}");
            }
            _ => panic!("{name}: expected {expect:?}, got {error:?}"),
        }
        assert_eq!(client.transport().sent().len(), 1, "{name}: one attempt");
    }
}

/// Serves one HTTP answer of `size` bytes to every connection; with `chunked`, without a
/// `Content-Length`, so the cap must hold while reading.
async fn serve_large_body(size: usize, chunked: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0_u8; 16 * 1024];
                let _ = socket.read(&mut request).await;
                let body = format!(r#"{{"errcode":0,"pad":"{}"}}"#, "x".repeat(size));
                let answer = if chunked {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                        body.len()
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_by_the_reqwest_transport() {
    for chunked in [false, true] {
        let base_url = serve_large_body(64 * 1024, chunked).await;
        let config = builder(Env::Sandbox)
            .base_url(base_url)
            .max_response_bytes(4 * 1024)
            .retry(RetryPolicy::never())
            .build()
            .expect("valid");
        let token = StaticToken::new(AccessToken::new("TOKEN").expect("not empty"));
        let client = Client::new(config, token).expect("reqwest client");
        let error = client.get_balance(&test_player()).await.expect_err("too large");
        match &error {
            Error::Transport(transport) => {
                assert_eq!(transport.kind(), TransportErrorKind::BodyTooLarge, "chunked: {chunked}");
            }
            other => panic!("chunked: {chunked}: expected BodyTooLarge, got {other:?}"),
        }
        assert!(!error.is_retryable(), "a larger answer will not shrink by asking again");
    }
}
