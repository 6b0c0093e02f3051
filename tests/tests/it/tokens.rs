//! Access tokens fetched, cached, shared and refreshed once; login sessions.

use std::sync::Arc;
use std::time::Duration;

use midas_api::{
    AccessToken, ApiErrorKind, AppCredentials, AppSecret, ClassicTokenSource, Client, Env, Error, Method,
    Present, SessionKey, Sessions, StableTokenSource, TokenSource, TransportErrorKind,
};
use midas_tests::{Reply, ScriptedTransport, test_config, test_player};

const SECRET: &str = "the-app-secret-0123456789";

fn app() -> AppCredentials {
    AppCredentials::new("wx1234567", AppSecret::new(SECRET).unwrap())
        .with_base_url("https://wx.test")
        .unwrap()
}

fn token_reply(token: &str, expires_in: u64) -> Reply {
    Reply::json(&serde_json::json!({ "access_token": token, "expires_in": expires_in }).to_string())
}

type Stable = StableTokenSource<Arc<ScriptedTransport>>;

type Call = tokio::task::JoinHandle<Result<AccessToken, midas_api::TokenError>>;

/// `callers` tasks asking `tokens` for a token at once.
fn concurrent_tokens<S: TokenSource + 'static>(tokens: &Arc<S>, callers: usize) -> Vec<Call> {
    (0..callers)
        .map(|_| {
            let tokens = Arc::clone(tokens);
            tokio::spawn(async move { tokens.token().await })
        })
        .collect()
}

/// `callers` tasks asking `tokens` at once to replace `rejected`.
fn concurrent_refreshes<S: TokenSource + 'static>(
    tokens: &Arc<S>,
    rejected: &AccessToken,
    callers: usize,
) -> Vec<Call> {
    (0..callers)
        .map(|_| {
            let (tokens, rejected) = (Arc::clone(tokens), rejected.clone());
            tokio::spawn(async move { tokens.refresh(&rejected).await })
        })
        .collect()
}

/// A stable-token source whose transport answers after 20 ms, and that transport.
fn stable(replies: Vec<Reply>) -> (Arc<Stable>, Arc<ScriptedTransport>) {
    let transport = Arc::new(ScriptedTransport::new(replies).with_delay(Duration::from_millis(20)));
    (Arc::new(StableTokenSource::new(app(), Arc::clone(&transport))), transport)
}

fn forced(sent: &midas_tests::Sent) -> bool {
    sent.body["force_refresh"].as_bool().expect("force_refresh flag")
}

#[tokio::test(start_paused = true)]
async fn a_cached_token_is_reused() {
    let (tokens, transport) = stable(vec![token_reply("T1", 7200)]);
    for _ in 0..5 {
        assert_eq!(tokens.token().await.unwrap().expose_secret(), "T1");
    }
    let sent = transport.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, Method::Post);
    assert_eq!(sent[0].url, "https://wx.test/cgi-bin/stable_token");
    assert_eq!(
        sent[0].body,
        serde_json::json!({"grant_type":"client_credential","appid":"wx1234567","secret":SECRET,"force_refresh":false})
    );
}

#[tokio::test(start_paused = true)]
async fn expiry_makes_exactly_one_refresh_under_100_concurrent_calls() {
    let (tokens, transport) = stable(vec![token_reply("T1", 7200), token_reply("T2", 7200)]);
    assert_eq!(tokens.token().await.unwrap().expose_secret(), "T1");
    // Within the last 5 minutes of its lifetime a token is no longer handed out.
    tokio::time::advance(Duration::from_secs(7200 - 299)).await;
    let calls = concurrent_tokens(&tokens, 100);
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().expose_secret(), "T2");
    }
    let sent = transport.sent();
    assert_eq!(sent.len(), 2, "one initial fetch and exactly one refresh");
    assert!(!forced(&sent[1]), "expiry uses normal mode");
}

#[tokio::test(start_paused = true)]
async fn concurrent_refreshes_of_one_rejected_token_force_once() {
    let (tokens, transport) = stable(vec![token_reply("T1", 7200), token_reply("T2", 7200)]);
    let rejected = tokens.token().await.unwrap();
    let calls = concurrent_refreshes(&tokens, &rejected, 100);
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().expose_secret(), "T2");
    }
    let sent = transport.sent();
    assert_eq!(sent.len(), 2);
    assert!(forced(&sent[1]), "a refused token is force-refreshed");
}

#[tokio::test(start_paused = true)]
async fn forced_refresh_honours_the_30_second_interval_and_the_daily_cap() {
    let replies = (0..=21).map(|n| token_reply(&format!("T{n}"), 7200)).collect();
    let (tokens, transport) = stable(replies);
    let mut current = tokens.token().await.unwrap();
    current = tokens.refresh(&current).await.unwrap();
    let too_soon = tokens.refresh(&current).await.unwrap_err();
    assert!(too_soon.is_retryable() && too_soon.message().contains("30 s"), "{too_soon}");
    assert_eq!(transport.sent().len(), 2, "a refused refresh sends nothing");

    for _ in 1..20 {
        tokio::time::advance(Duration::from_secs(31)).await;
        current = tokens.refresh(&current).await.unwrap();
    }
    tokio::time::advance(Duration::from_secs(31)).await;
    let capped = tokens.refresh(&current).await.unwrap_err();
    assert!(!capped.is_retryable() && capped.message().contains("daily cap"), "{capped}");
    assert_eq!(transport.sent().len(), 21, "one normal fetch and 20 forced ones");

    // A day later the cap has rolled over.
    tokio::time::advance(Duration::from_secs(24 * 3600)).await;
    tokens.refresh(&current).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_refresh_for_an_already_replaced_token_sends_nothing() {
    let (tokens, transport) = stable(vec![token_reply("T1", 7200), token_reply("T2", 7200)]);
    let old = tokens.token().await.unwrap();
    let fresh = tokens.refresh(&old).await.unwrap();
    assert_eq!(tokens.refresh(&old).await.unwrap(), fresh);
    assert_eq!(transport.sent().len(), 2);
}

#[tokio::test]
async fn token_endpoint_errors_are_typed_and_keep_the_secret_out() {
    let (tokens, _) = stable(vec![Reply::errcode(40125, "invalid appsecret")]);
    let err = tokens.token().await.unwrap_err();
    assert_eq!(err.errcode(), Some(40125));
    assert!(!err.is_retryable());
    assert!(!format!("{err} {err:?} {tokens:?}").contains(SECRET));
}

#[tokio::test]
async fn the_client_force_refreshes_a_refused_token_and_succeeds() {
    let (tokens, token_transport) = stable(vec![token_reply("T1", 7200), token_reply("T2", 7200)]);
    let midas = Arc::new(ScriptedTransport::new([
        Reply::errcode(40001, "invalid credential, access_token is invalid or not latest"),
        Reply::json(r#"{"errcode":0,"errmsg":"ok","balance":5,"bill_no":"g1"}"#),
    ]));
    let client = Client::with_transport(test_config(Env::Sandbox), tokens, Arc::clone(&midas));
    client.present(&test_player(), Present { bill_no: "g1".into(), present_counts: 5 }).await.unwrap();
    let urls: Vec<String> = midas.sent().into_iter().map(|sent| sent.url).collect();
    assert!(urls[0].ends_with("access_token=T1") && urls[1].ends_with("access_token=T2"), "{urls:?}");
    assert!(forced(&token_transport.sent()[1]));
}

#[tokio::test]
async fn the_classic_token_is_fetched_by_get_with_the_secret_masked_when_shown() {
    let transport = Arc::new(ScriptedTransport::new([token_reply("C1", 7200), token_reply("C2", 7200)]));
    let tokens = ClassicTokenSource::new(app(), Arc::clone(&transport));
    let first = tokens.token().await.unwrap();
    assert_eq!(tokens.token().await.unwrap(), first, "cached");
    assert_eq!(tokens.refresh(&first).await.unwrap().expose_secret(), "C2");
    let sent = transport.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method, Method::Get);
    assert_eq!(
        sent[0].url,
        format!("https://wx.test/cgi-bin/token?grant_type=client_credential&appid=wx1234567&secret={SECRET}")
    );
    let url = {
        let mut url = midas_api::ApiUrl::bare("https://wx.test", "/cgi-bin/token");
        url.query("appid", "wx1234567").secret_query("secret", SECRET);
        url
    };
    assert_eq!(url.to_string(), "https://wx.test/cgi-bin/token?appid=wx1234567&secret=***");
}

#[tokio::test]
async fn code2session_returns_the_session_and_types_its_errors() {
    let transport = Arc::new(ScriptedTransport::new([
        Reply::json(r#"{"openid":"o-1","session_key":"V7Q38/i2KXaqrQyl2Yx9Hg==","unionid":"u-1"}"#),
        Reply::errcode(40029, "invalid code"),
        Reply::errcode(40163, "code been used"),
        Reply::errcode(45011, "api minute-quota reach limit"),
        Reply::errcode(-1, "system error"),
    ]));
    let sessions = Sessions::new(app(), Arc::clone(&transport));
    let session = sessions.code2session("code-1").await.unwrap();
    assert_eq!((session.openid.as_str(), session.unionid.as_deref()), ("o-1", Some("u-1")));
    assert_eq!(session.session_key.expose_secret(), "V7Q38/i2KXaqrQyl2Yx9Hg==");
    assert!(!format!("{session:?}").contains("V7Q38"));
    assert_eq!(
        transport.sent()[0].url,
        format!(
            "https://wx.test/sns/jscode2session?appid=wx1234567&secret={SECRET}&js_code=code-1&grant_type=authorization_code"
        )
    );
    for (kind, retryable) in [
        (ApiErrorKind::InvalidCode, false),
        (ApiErrorKind::CodeUsed, false),
        (ApiErrorKind::RateLimited, true),
        (ApiErrorKind::Busy, true),
    ] {
        let err = sessions.code2session("code-x").await.unwrap_err();
        let api = err.as_api().expect("api error");
        assert_eq!((api.kind(), api.is_retryable()), (kind, retryable));
    }
    assert!(matches!(sessions.code2session("").await, Err(Error::Validation(_))));
    assert_eq!(transport.sent().len(), 5, "an empty code is refused without a request");
}

#[tokio::test]
async fn check_session_key_signs_the_empty_string_and_reads_87009_as_invalid() {
    let transport = Arc::new(ScriptedTransport::new([
        Reply::json(r#"{"errcode":0,"errmsg":"ok"}"#),
        Reply::errcode(87009, "invalid signature"),
    ]));
    let sessions = Sessions::new(app(), Arc::clone(&transport));
    let token = AccessToken::new("TOKEN").unwrap();
    let key = SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==").unwrap();
    assert!(sessions.check_session_key(&token, "o-1", &key).await.unwrap());
    assert!(!sessions.check_session_key(&token, "o-1", &key).await.unwrap());
    // hex(hmac_sha256(session_key, "")) for this key, computed independently (spec §8.4).
    assert_eq!(
        transport.sent()[0].url,
        "https://wx.test/wxa/checksession?access_token=TOKEN\
         &signature=93580617b5c8c3c98fdb3a1a16eff2db13f58670f3b88259ce3c7c405925242b&openid=o-1&sig_method=hmac_sha256"
    );
}

/// Security review, finding 7: an `expires_in` too large for the clock (2^63 s, `u64::MAX`)
/// panicked the caller. It is read as a day; a value that is not a `u64` is a typed error.
#[tokio::test(start_paused = true)]
async fn a_huge_expires_in_is_clamped_to_a_day_and_never_panics() {
    for expires_in in [1_u64 << 63, u64::MAX, u64::MAX / 1000, 86_401] {
        let (tokens, transport) = stable(vec![token_reply("T1", expires_in), token_reply("T2", 7200)]);
        assert_eq!(tokens.token().await.unwrap().expose_secret(), "T1", "expires_in {expires_in}");
        tokio::time::advance(Duration::from_secs(24 * 3600 - 301)).await;
        assert_eq!(tokens.token().await.unwrap().expose_secret(), "T1", "cached for nearly a day");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(tokens.token().await.unwrap().expose_secret(), "T2", "but not longer");
        assert_eq!(transport.sent().len(), 2);

        let classic = ClassicTokenSource::new(app(), ScriptedTransport::new([token_reply("C1", expires_in)]));
        assert_eq!(classic.token().await.unwrap().expose_secret(), "C1");
        assert_eq!(classic.token().await.unwrap().expose_secret(), "C1");
    }
    for answer in [
        r#"{"access_token":"T","expires_in":18446744073709551616}"#,
        r#"{"access_token":"T","expires_in":-1}"#,
        r#"{"access_token":"T","expires_in":1e300}"#,
    ] {
        let (tokens, _) = stable(vec![Reply::json(answer)]);
        let error = tokens.token().await.unwrap_err();
        assert!(error.message().contains("unexpected answer"), "{answer}: {error}");
    }
}

/// A stable-token source over a transport that answers `replies` after 20 ms, sharing a
/// failure for `failure_cache`.
fn failing(replies: usize, failure_cache: Option<Duration>) -> (Arc<Stable>, Arc<ScriptedTransport>) {
    let busy = (0..replies).map(|_| Reply::errcode(-1, "system error"));
    let transport = Arc::new(ScriptedTransport::new(busy).with_delay(Duration::from_millis(20)));
    let mut tokens = StableTokenSource::new(app(), Arc::clone(&transport));
    if let Some(failure_cache) = failure_cache {
        tokens = tokens.with_failure_cache(failure_cache);
    }
    (Arc::new(tokens), transport)
}

/// Security review, finding 8: with a failing token endpoint, 100 concurrent callers made 100
/// fetches one after another (the last waited 100 × the fetch time). They share the one
/// in-flight failure.
#[tokio::test(start_paused = true)]
async fn a_failing_token_endpoint_is_asked_once_by_100_concurrent_callers() {
    let (tokens, transport) = failing(100, None);
    let started = tokio::time::Instant::now();
    let calls = concurrent_tokens(&tokens, 100);
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert_eq!(error.errcode(), Some(-1), "{error}");
    }
    assert_eq!(transport.sent().len(), 1, "one fetch for all 100 callers");
    assert!(started.elapsed() < Duration::from_millis(100), "took {:?}", started.elapsed());

    // The failure is remembered for 1 s, then the endpoint is asked again.
    tokio::time::advance(Duration::from_millis(900)).await;
    assert_eq!(tokens.token().await.unwrap_err().errcode(), Some(-1));
    assert_eq!(transport.sent().len(), 1);
    tokio::time::advance(Duration::from_millis(200)).await;
    assert_eq!(tokens.token().await.unwrap_err().errcode(), Some(-1));
    assert_eq!(transport.sent().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrent_refreshes_against_a_failing_endpoint_share_one_fetch() {
    let transport = Arc::new(
        ScriptedTransport::new([token_reply("C1", 7200), Reply::Http(503, "down".into())])
            .with_delay(Duration::from_millis(20)),
    );
    let tokens = Arc::new(ClassicTokenSource::new(app(), Arc::clone(&transport)));
    let rejected = tokens.token().await.unwrap();
    let started = tokio::time::Instant::now();
    let calls = concurrent_refreshes(&tokens, &rejected, 100);
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert!(error.is_retryable() && error.message().contains("503"), "{error}");
    }
    assert_eq!(transport.sent().len(), 2, "one fetch, one refresh");
    assert!(started.elapsed() < Duration::from_millis(100), "took {:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn without_a_failure_cache_only_the_waiting_callers_share_a_failure() {
    let (tokens, transport) = failing(3, Some(Duration::ZERO));
    let calls = concurrent_tokens(&tokens, 10);
    for call in calls {
        call.await.unwrap().unwrap_err();
    }
    assert_eq!(transport.sent().len(), 1);
    tokens.token().await.unwrap_err();
    assert_eq!(transport.sent().len(), 2, "a caller after them asks again");
}

#[tokio::test(start_paused = true)]
async fn a_success_after_a_failure_is_cached_as_usual() {
    let transport =
        Arc::new(ScriptedTransport::new([Reply::Fail(TransportErrorKind::Connect), token_reply("T1", 7200)]));
    let tokens = StableTokenSource::new(app(), Arc::clone(&transport));
    assert!(tokens.token().await.unwrap_err().is_retryable());
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(tokens.token().await.unwrap().expose_secret(), "T1");
    assert_eq!(tokens.token().await.unwrap().expose_secret(), "T1");
    assert_eq!(transport.sent().len(), 2);
}

/// Security review, finding 9: `AppCredentials` took any base URL and timeout. They are
/// checked as `Config`'s are, and refused with the field's name.
#[test]
fn app_credentials_refuse_a_bad_base_url_or_timeout_naming_the_field() {
    let new = || AppCredentials::new("wx1234567", AppSecret::new(SECRET).unwrap());
    for base_url in [
        "ftp://x",
        "api.weixin.qq.com",
        "https://",
        "https:///cgi-bin",
        "https://wx.test/?appid=1",
        "https://wx.test#fragment",
        "https://wx .test",
        "https://wx.test\n",
        "",
    ] {
        let error = new().with_base_url(base_url).unwrap_err();
        assert_eq!(error.field(), "base_url", "{base_url:?}");
    }
    for timeout in [Duration::ZERO, Duration::from_micros(999), Duration::from_secs(301)] {
        let error = new().with_timeout(timeout).unwrap_err();
        assert_eq!(error.field(), "timeout", "{timeout:?}");
    }
    new().with_base_url("http://127.0.0.1:8080/").unwrap().with_timeout(Duration::from_secs(300)).unwrap();
}

#[tokio::test]
async fn an_accepted_base_url_loses_its_trailing_slash() {
    let app = AppCredentials::new("wx1234567", AppSecret::new(SECRET).unwrap())
        .with_base_url("https://wx.test/prefix/")
        .unwrap();
    let transport = Arc::new(ScriptedTransport::new([token_reply("T1", 7200)]));
    StableTokenSource::new(app, Arc::clone(&transport)).token().await.unwrap();
    assert_eq!(transport.sent()[0].url, "https://wx.test/prefix/cgi-bin/stable_token");
}

/// Security review, finding 3 (in part): a `user:password@` in the base URL was printed in
/// `Debug`. It is refused, for the token and login APIs as for Midas calls.
#[test]
fn a_base_url_with_user_and_password_is_refused() {
    for base_url in
        ["https://user:hunter2@wx.test", "https://user@wx.test/path", "http://:hunter2@127.0.0.1:80"]
    {
        let error = AppCredentials::new("wx1234567", AppSecret::new(SECRET).unwrap())
            .with_base_url(base_url)
            .unwrap_err();
        assert_eq!(error.field(), "base_url", "{base_url}");
        assert!(!format!("{error} {error:?}").contains("hunter2"));

        let error = midas_api::Config::builder("wx1234567", "12345678", Env::Sandbox)
            .sandbox_key(midas_api::AppKey::new(midas_tests::SANDBOX_KEY).unwrap())
            .base_url(base_url)
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "base_url", "{base_url}");
    }
    // An `@` later in the path is not userinfo.
    AppCredentials::new("wx1234567", AppSecret::new(SECRET).unwrap())
        .with_base_url("https://wx.test/a@b")
        .unwrap();
}
