//! Retries, because money is at stake: every attempt keeps the `bill_no`, is re-stamped and
//! re-signed; only failures that leave the outcome open are retried; "order exists" after such
//! a failure means "already processed".

use std::sync::Arc;
use std::time::Duration;

use midas_api::{
    ApiErrorKind, CancelPay, Client, Env, Error, Pay, Present, RetryPolicy, StaticToken, TransportErrorKind,
};
use midas_tests::{Reply, RotatingToken, ScriptedTransport, TickingClock, test_config, test_player};

const PRESENT_OK: &str = r#"{"errcode":0,"errmsg":"ok","balance":100,"bill_no":"gift-1"}"#;

fn client(replies: Vec<Reply>) -> Client<Arc<ScriptedTransport>, Arc<RotatingToken>> {
    Client::with_transport(
        test_config(Env::Sandbox),
        Arc::new(RotatingToken::default()),
        Arc::new(ScriptedTransport::new(replies)),
    )
    .with_clock(TickingClock::new(1_700_000_000))
}

fn gift() -> Present {
    Present { bill_no: "gift-1".into(), present_counts: 100 }
}

/// Every attempt carried the same bill_no, a new ts and a new sig.
fn assert_same_bill_new_stamp(transport: &ScriptedTransport, attempts: usize) {
    let sent = transport.sent();
    assert_eq!(sent.len(), attempts, "attempts sent");
    for pair in sent.windows(2) {
        assert_eq!(pair[0].body["bill_no"], pair[1].body["bill_no"], "bill_no kept across retries");
        assert_ne!(pair[0].body["ts"], pair[1].body["ts"], "ts re-stamped");
        assert_ne!(pair[0].body["sig"], pair[1].body["sig"], "re-signed");
    }
}

#[tokio::test]
async fn busy_then_ok_retries_with_the_same_bill_no() {
    let client = client(vec![Reply::errcode(-1, "system error"), Reply::json(PRESENT_OK)]);
    let response = client.present(&test_player(), gift()).await.unwrap();
    assert_eq!(response.balance, 100);
    assert_same_bill_new_stamp(client.transport(), 2);
}

#[tokio::test]
async fn timeout_then_ok_retries_with_the_same_bill_no() {
    let client = client(vec![Reply::Fail(TransportErrorKind::Timeout), Reply::json(PRESENT_OK)]);
    client.present(&test_player(), gift()).await.unwrap();
    assert_same_bill_new_stamp(client.transport(), 2);
}

#[tokio::test]
async fn server_errors_and_unreadable_bodies_are_retried() {
    let client = client(vec![
        Reply::Http(502, "<html><body>Bad Gateway</body></html>".into()),
        Reply::json("not json at all"),
        Reply::json(r#"{"errmsg":"no errcode"}"#),
        Reply::Fail(TransportErrorKind::Interrupted),
        Reply::json(PRESENT_OK),
    ]);
    client.present(&test_player(), gift()).await.unwrap();
    assert_same_bill_new_stamp(client.transport(), 5);
}

#[tokio::test]
async fn busy_after_the_server_applied_then_order_exists_is_already_processed() {
    let client = client(vec![Reply::errcode(-1, "system error"), Reply::errcode(90012, "bill_no repeated")]);
    let err = client.present(&test_player(), gift()).await.unwrap_err();
    match err {
        Error::AlreadyProcessed { api, bill_no } => {
            assert_eq!((api, bill_no.as_str()), ("present", "gift-1"))
        }
        other => panic!("expected AlreadyProcessed, got {other:?}"),
    }
    assert_same_bill_new_stamp(client.transport(), 2);
}

#[tokio::test]
async fn a_dropped_connection_then_order_exists_is_already_processed() {
    let client = client(vec![Reply::Fail(TransportErrorKind::Interrupted), Reply::errcode(90012, "exists")]);
    let err = client
        .pay(&test_player(), Pay { amt: 5, bill_no: "pay-9".into(), pay_item: None, app_remark: None })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyProcessed { api: "pay", ref bill_no } if bill_no == "pay-9"),
        "{err:?}"
    );
}

#[tokio::test]
async fn order_exists_on_the_first_attempt_is_a_caller_error() {
    let client = client(vec![Reply::errcode(90012, "bill_no repeated")]);
    let err = client.present(&test_player(), gift()).await.unwrap_err();
    let api = err.as_api().expect("an API error");
    assert_eq!((api.errcode(), api.kind()), (90012, ApiErrorKind::OrderExists));
    assert_eq!(client.transport().sent().len(), 1);
}

#[tokio::test]
async fn order_exists_after_a_refused_connection_is_a_caller_error() {
    // A refused connection never reached the server, so it cannot have applied anything.
    let client = client(vec![Reply::Fail(TransportErrorKind::Connect), Reply::errcode(90012, "exists")]);
    let err = client.present(&test_player(), gift()).await.unwrap_err();
    assert_eq!(err.as_api().map(|api| api.kind()), Some(ApiErrorKind::OrderExists));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_succeeds() {
    let tokens = Arc::new(RotatingToken::default());
    let transport = Arc::new(ScriptedTransport::new([
        Reply::errcode(42001, "access_token expired"),
        Reply::json(PRESENT_OK),
    ]));
    let client =
        Client::with_transport(test_config(Env::Sandbox), Arc::clone(&tokens), Arc::clone(&transport));
    client.present(&test_player(), gift()).await.unwrap();
    let sent = transport.sent();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].url.ends_with("access_token=token-1"), "{}", sent[0].url);
    assert!(sent[1].url.ends_with("access_token=token-2"), "{}", sent[1].url);
    assert_eq!(sent[0].body["bill_no"], sent[1].body["bill_no"]);
    assert_ne!(sent[0].body["mp_sig"], sent[1].body["mp_sig"], "mp_sig covers the new token");
    assert_eq!(tokens.refreshes(), 1);
}

#[tokio::test]
async fn a_token_refused_twice_is_reported_after_one_refresh() {
    for code in [40001, 40014, 42001] {
        let client = client(vec![
            Reply::errcode(code, "invalid credential"),
            Reply::errcode(code, "invalid credential"),
        ]);
        let err = client.present(&test_player(), gift()).await.unwrap_err();
        assert_eq!(
            err.as_api().map(|api| (api.errcode(), api.kind())),
            Some((code, ApiErrorKind::TokenInvalid))
        );
        assert_eq!(client.transport().sent().len(), 2);
    }
}

#[tokio::test]
async fn a_static_token_that_is_refused_reports_the_api_error() {
    let transport = Arc::new(ScriptedTransport::new([Reply::errcode(40001, "invalid credential")]));
    let tokens = StaticToken::new(midas_api::AccessToken::new("old").unwrap());
    let client = Client::with_transport(test_config(Env::Sandbox), tokens, Arc::clone(&transport));
    let err = client.present(&test_player(), gift()).await.unwrap_err();
    assert_eq!(err.as_api().map(|api| api.errcode()), Some(40001));
    let failure = err.as_api().and_then(|api| api.refresh_failure()).expect("why no fresh token");
    assert!(failure.message().contains("static token"), "{failure}");
    assert!(err.to_string().contains("refreshing the token failed"), "{err}");
    assert_eq!(transport.sent().len(), 1);
}

#[tokio::test]
async fn cancelpay_in_progress_is_retried_later_with_the_same_bill_no() {
    let client = client(vec![
        Reply::errcode(90016, "order in progress"),
        Reply::json(r#"{"errcode":0,"errmsg":"ok","bill_no":"pay-1"}"#),
    ]);
    client.cancel_pay(&test_player(), CancelPay { bill_no: "pay-1".into(), pay_item: None }).await.unwrap();
    assert_same_bill_new_stamp(client.transport(), 2);
}

#[tokio::test]
async fn cancelpay_already_rolled_back_after_an_ambiguous_attempt_is_already_processed() {
    let client = client(vec![Reply::Fail(TransportErrorKind::Timeout), Reply::errcode(90015, "rolled back")]);
    let err = client
        .cancel_pay(&test_player(), CancelPay { bill_no: "pay-1".into(), pay_item: None })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyProcessed { api: "cancelpay", .. }), "{err:?}");
}

#[tokio::test]
async fn final_answers_are_never_retried() {
    for code in [90000, 90009, 90010, 90011, 90013, 90014, 90015, 90017, 90018, 12345] {
        let client = client(vec![Reply::errcode(code, "no"), Reply::json(PRESENT_OK)]);
        let err = client.present(&test_player(), gift()).await.unwrap_err();
        assert_eq!(err.as_api().map(|api| api.errcode()), Some(code));
        assert!(!err.is_retryable(), "{code} is final");
        assert_eq!(client.transport().sent().len(), 1, "{code} must not be retried");
    }
}

#[tokio::test]
async fn attempts_are_capped_by_the_policy() {
    let config = midas_api::Config::builder("wx1", "offer", Env::Sandbox)
        .sandbox_key(midas_api::AppKey::new("k").unwrap())
        .base_url("http://midas.test")
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::ZERO, Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let transport = Arc::new(ScriptedTransport::new((0..10).map(|_| Reply::errcode(-1, "busy"))));
    let client = Client::with_transport(config, Arc::new(RotatingToken::default()), Arc::clone(&transport));
    let err = client.present(&test_player(), gift()).await.unwrap_err();
    assert_eq!(err.as_api().map(|api| api.kind()), Some(ApiErrorKind::Busy));
    assert!(err.is_retryable());
    assert_eq!(transport.sent().len(), 3);
}

#[tokio::test]
async fn the_deadline_stops_retrying() {
    let config = midas_api::Config::builder("wx1", "offer", Env::Sandbox)
        .sandbox_key(midas_api::AppKey::new("k").unwrap())
        .retry(
            RetryPolicy::default()
                .with_max_attempts(20)
                .with_backoff(Duration::from_millis(40), Duration::from_millis(40))
                .with_deadline(Duration::from_millis(100)),
        )
        .build()
        .unwrap();
    let transport = Arc::new(ScriptedTransport::new((0..20).map(|_| Reply::errcode(-1, "busy"))));
    let client = Client::with_transport(config, Arc::new(RotatingToken::default()), Arc::clone(&transport));
    let started = std::time::Instant::now();
    client.present(&test_player(), gift()).await.unwrap_err();
    let attempts = transport.sent().len();
    assert!(
        (2..=5).contains(&attempts),
        "backoff of 20–40 ms within 100 ms allows a few attempts, got {attempts}"
    );
    assert!(started.elapsed() < Duration::from_millis(1000));
}

/// Finding 5: whether a failed call may have moved money is a public question with an answer.
#[tokio::test]
async fn may_have_applied_tells_when_to_reconcile() {
    let nothing_sent = client(vec![Reply::Fail(TransportErrorKind::Connect); 5]);
    let err = nothing_sent.present(&test_player(), gift()).await.unwrap_err();
    assert!(!err.may_have_applied(), "connection refused every time: {err:?}");

    // A timeout, then refusals of the retry: the last answer alone would say "not applied".
    let mut replies = vec![Reply::Fail(TransportErrorKind::Timeout)];
    replies.extend(vec![Reply::Fail(TransportErrorKind::Connect); 4]);
    let ambiguous = client(replies);
    let err = ambiguous.present(&test_player(), gift()).await.unwrap_err();
    assert!(err.may_have_applied(), "{err:?}");
    assert!(
        matches!(&err, Error::Unresolved { api: "present", order_id, .. } if order_id == "gift-1"),
        "{err:?}"
    );

    let refused = client(vec![Reply::errcode(90013, "balance not enough")]);
    let err = refused.present(&test_player(), gift()).await.unwrap_err();
    assert!(!err.may_have_applied(), "{err:?}");
}

/// Finding 6: a success answer about another order is not this call's answer.
#[tokio::test]
async fn a_success_answer_about_another_order_is_a_decode_error() {
    let other = r#"{"errcode":0,"errmsg":"ok","balance":100,"bill_no":"gift-OTHER"}"#;
    let client = client(vec![Reply::json(other), Reply::json(PRESENT_OK)]);
    client.present(&test_player(), gift()).await.expect("the second answer is this order's");
    assert_eq!(client.transport().sent().len(), 2, "the answer about another order was retried");

    let config = midas_api::Config::builder("wx1234567", "12345678", Env::Sandbox)
        .sandbox_key(midas_api::AppKey::new(midas_tests::SANDBOX_KEY).unwrap())
        .base_url("https://midas.test")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let single = Client::with_transport(
        config,
        Arc::new(RotatingToken::default()),
        Arc::new(ScriptedTransport::new([Reply::json(other)])),
    );
    let err = single.present(&test_player(), gift()).await.unwrap_err();
    let Error::Decode(decode) = &err else { panic!("a decode error: {err:?}") };
    assert!(!decode.succeeded(), "an answer about another order says nothing about this one");
    assert!(decode.message().contains("gift-OTHER") && decode.message().contains("gift-1"), "{decode}");
    assert!(err.may_have_applied() && err.is_retryable(), "{err:?}");
}

/// Finding 6: an answer too large to read may follow an applied call.
#[tokio::test]
async fn a_too_large_answer_to_a_money_call_may_have_applied() {
    let client = client(vec![Reply::Fail(TransportErrorKind::BodyTooLarge)]);
    let err = client.present(&test_player(), gift()).await.unwrap_err();
    assert!(matches!(&err, Error::Transport(t) if t.kind() == TransportErrorKind::BodyTooLarge), "{err:?}");
    assert!(err.may_have_applied(), "{err:?}");
}

/// A token source that never answers, as a token service that hangs would.
struct HangingToken;

impl midas_api::TokenSource for HangingToken {
    async fn token(&self) -> Result<midas_api::AccessToken, midas_api::TokenError> {
        std::future::pending().await
    }

    async fn refresh(
        &self,
        _rejected: &midas_api::AccessToken,
    ) -> Result<midas_api::AccessToken, midas_api::TokenError> {
        std::future::pending().await
    }
}

/// Finding 8: the token fetch counts against the call's deadline; a hanging token source
/// cannot hold a call past it, and nothing is sent.
#[tokio::test(start_paused = true)]
async fn a_token_fetch_counts_against_the_calls_deadline() {
    let config = midas_api::Config::builder("wx1234567", "12345678", Env::Sandbox)
        .sandbox_key(midas_api::AppKey::new(midas_tests::SANDBOX_KEY).unwrap())
        .base_url("https://midas.test")
        .retry(RetryPolicy::default().with_deadline(Duration::from_millis(300)))
        .build()
        .unwrap();
    let transport = Arc::new(ScriptedTransport::new([Reply::json(PRESENT_OK)]));
    let client = Client::with_transport(config, HangingToken, Arc::clone(&transport));
    let started = tokio::time::Instant::now();
    let err = client.present(&test_player(), gift()).await.unwrap_err();
    assert!(matches!(&err, Error::Token(token) if token.message().contains("deadline")), "{err:?}");
    assert!(
        started.elapsed() <= Duration::from_millis(301),
        "gave up at the deadline: {:?}",
        started.elapsed()
    );
    assert!(transport.sent().is_empty(), "nothing was sent");
}
