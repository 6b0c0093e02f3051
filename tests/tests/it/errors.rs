//! Outcomes a caller can act on: every documented errcode maps to its meaning and says whether
//! a retry can help; signature rejections show what was signed, masked; bad input is refused
//! before anything is sent.

use std::sync::Arc;

use midas_api::{
    AccessToken, ApiErrorKind, AppKey, CancelPay, Client, Config, Env, Error, GetBalance, Pay, Player,
    Present, RetryPolicy, Rule, StaticToken,
};
use midas_tests::{PRODUCTION_KEY, Reply, SANDBOX_KEY, ScriptedTransport, test_config, test_player};

fn single_attempt_client(replies: Vec<Reply>) -> Client<Arc<ScriptedTransport>, StaticToken> {
    let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
        .sandbox_key(AppKey::new(SANDBOX_KEY).unwrap())
        .base_url("https://midas.test")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    Client::with_transport(
        config,
        StaticToken::new(AccessToken::new("SECRET-TOKEN-VALUE").unwrap()),
        Arc::new(ScriptedTransport::new(replies)),
    )
}

const TABLE: [(i64, ApiErrorKind, bool); 16] = [
    (-1, ApiErrorKind::Busy, true),
    (90000, ApiErrorKind::OrderNotFound, false),
    (90009, ApiErrorKind::MpSigRejected, false),
    (90010, ApiErrorKind::SessionExpired, false),
    (90011, ApiErrorKind::SigRejected, false),
    (90012, ApiErrorKind::OrderExists, false),
    (90013, ApiErrorKind::InsufficientBalance, false),
    (90014, ApiErrorKind::AlreadyConfirmed, false),
    (90015, ApiErrorKind::AlreadyRolledBack, false),
    (90016, ApiErrorKind::OrderInProgress, true),
    (90017, ApiErrorKind::NoPermission, false),
    (90018, ApiErrorKind::InvalidParameter, false),
    (40001, ApiErrorKind::TokenInvalid, true),
    (40014, ApiErrorKind::TokenInvalid, true),
    (42001, ApiErrorKind::TokenInvalid, true),
    (77777, ApiErrorKind::Other, false),
];

#[tokio::test]
async fn every_documented_errcode_maps_to_its_error() {
    for (code, kind, retryable) in TABLE {
        let errmsg = format!("message for {code} hint: [abc]");
        let client = single_attempt_client(vec![Reply::errcode(code, &errmsg)]);
        let err = client
            .cancel_pay(&test_player(), CancelPay { bill_no: "b-1".into(), pay_item: None })
            .await
            .unwrap_err();
        let api = err.as_api().unwrap_or_else(|| panic!("{code}: expected an API error, got {err:?}"));
        assert_eq!(api.errcode(), code);
        assert_eq!(api.errmsg(), errmsg, "errmsg kept as it came");
        assert_eq!(api.kind(), kind, "{code}");
        assert_eq!(api.is_retryable(), retryable, "{code}");
        assert_eq!(api.api(), "cancelpay");
        assert!(err.to_string().contains(&code.to_string()));
    }
}

#[tokio::test]
async fn a_sig_rejection_carries_the_masked_signed_strings() {
    for code in [90011, 90009] {
        let client = single_attempt_client(vec![Reply::errcode(code, "sig error")]);
        let err = client
            .present(&test_player(), Present { bill_no: "b-1".into(), present_counts: 5 })
            .await
            .unwrap_err();
        let signed = err.as_api().and_then(|api| api.signed()).expect("signed strings attached").clone();
        assert!(
            signed.sig.starts_with("appid=wx1234567&bill_no=b-1&offer_id=12345678&openid="),
            "{}",
            signed.sig
        );
        assert!(
            signed.sig.ends_with("&org_loc=/cgi-bin/midas/sandbox/present&method=POST&secret=***"),
            "{}",
            signed.sig
        );
        let mp = signed.mp_sig.expect("a session key was given");
        assert!(mp.starts_with("access_token=***&appid="), "{mp}");
        assert!(mp.ends_with("&method=POST&session_key=***"), "{mp}");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("secret=***"));
        for secret in [SANDBOX_KEY, "SECRET-TOKEN-VALUE", "V7Q38/i2KXaqrQyl2Yx9Hg=="] {
            assert!(!shown.contains(secret), "a secret leaked into {shown}");
        }
    }
}

#[tokio::test]
async fn other_errors_carry_no_signed_string() {
    let client = single_attempt_client(vec![Reply::errcode(90013, "not enough")]);
    let err = client
        .pay(&test_player(), Pay { amt: 1, bill_no: "b".into(), pay_item: None, app_remark: None })
        .await
        .unwrap_err();
    assert!(err.as_api().expect("api error").signed().is_none());
}

fn assert_refused(err: Error, field: &str, rule: Rule) {
    match err {
        Error::Validation(validation) => {
            assert_eq!((validation.field(), validation.rule()), (field, &rule), "{validation}");
            assert!(validation.to_string().contains(field));
        }
        other => panic!("expected a validation error on {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_requests_are_refused_before_anything_is_sent() {
    let client = single_attempt_client(vec![Reply::json(r#"{"errcode":0}"#)]);
    let player = test_player();
    let pay =
        |amt: i64, bill_no: &str| Pay { amt, bill_no: bill_no.into(), pay_item: None, app_remark: None };
    assert_refused(client.pay(&player, pay(1, "")).await.unwrap_err(), "bill_no", Rule::BillNo);
    assert_refused(client.pay(&player, pay(1, &"x".repeat(64))).await.unwrap_err(), "bill_no", Rule::BillNo);
    assert_refused(client.pay(&player, pay(1, "bill no")).await.unwrap_err(), "bill_no", Rule::BillNo);
    assert_refused(client.pay(&player, pay(1, "订单")).await.unwrap_err(), "bill_no", Rule::BillNo);
    assert_refused(client.pay(&player, pay(0, "b")).await.unwrap_err(), "amt", Rule::Positive);
    assert_refused(client.pay(&player, pay(-5, "b")).await.unwrap_err(), "amt", Rule::Positive);
    assert_refused(
        client.pay(&player, Pay { pay_item: Some(String::new()), ..pay(1, "b") }).await.unwrap_err(),
        "pay_item",
        Rule::NotEmpty,
    );
    assert_refused(
        client.present(&player, Present { bill_no: "b".into(), present_counts: 0 }).await.unwrap_err(),
        "present_counts",
        Rule::Positive,
    );
    assert_refused(client.get_balance(&Player::new("")).await.unwrap_err(), "openid", Rule::NotEmpty);
    assert_refused(
        client.get_balance(&test_player().with_zone_id("")).await.unwrap_err(),
        "zone_id",
        Rule::NotEmpty,
    );
    assert_refused(client.get_balance(&test_player().with_pf("")).await.unwrap_err(), "pf", Rule::NotEmpty);
    assert_refused(
        client.get_balance(&test_player().with_user_ip("")).await.unwrap_err(),
        "user_ip",
        Rule::NotEmpty,
    );
    assert_refused(
        client.pay(&player, Pay { pay_item: Some("item\n1".into()), ..pay(1, "b") }).await.unwrap_err(),
        "pay_item",
        Rule::NoControlChars,
    );
    assert_refused(
        client.pay(&player, Pay { app_remark: Some("a\0b".into()), ..pay(1, "b") }).await.unwrap_err(),
        "app_remark",
        Rule::NoControlChars,
    );
    assert_refused(
        client.get_balance(&Player::new("odkx\n20")).await.unwrap_err(),
        "openid",
        Rule::NoControlChars,
    );
    assert_eq!(client.transport().sent().len(), 0, "nothing was sent");
    let _ = GetBalance {};
}

#[test]
fn bad_configurations_are_refused() {
    let base = || {
        Config::builder("wx1", "offer", Env::Production).production_key(AppKey::new(PRODUCTION_KEY).unwrap())
    };
    let field = |result: Result<Config, midas_api::ValidationError>| result.unwrap_err().field();
    assert_eq!(field(Config::builder("wx1", "offer", Env::Production).build()), "production_key");
    assert_eq!(
        field(
            Config::builder("wx1", "offer", Env::Sandbox).production_key(AppKey::new("k").unwrap()).build()
        ),
        "sandbox_key"
    );
    assert_eq!(field(Config::builder("", "offer", Env::Production).build()), "appid");
    assert_eq!(field(Config::builder("wx1", "", Env::Production).build()), "offer_id");
    assert_eq!(field(base().base_url("api.weixin.qq.com").build()), "base_url");
    assert_eq!(field(base().base_url("ftp://api.weixin.qq.com").build()), "base_url");
    assert_eq!(field(base().base_url("https://").build()), "base_url");
    assert_eq!(field(base().timeout(std::time::Duration::ZERO).build()), "timeout");
    assert_eq!(field(base().timeout(std::time::Duration::from_secs(86_400)).build()), "timeout");
    assert_eq!(
        field(base().retry(RetryPolicy::default().with_max_attempts(0)).build()),
        "retry.max_attempts"
    );
    assert_eq!(field(base().max_response_bytes(10).build()), "max_response_bytes");
    assert_eq!(AppKey::new("").unwrap_err().field(), "app_key");
    assert_eq!(AccessToken::new("").unwrap_err().field(), "access_token");
    assert!(base().build().is_ok());
    let _ = test_config(Env::Sandbox);
}

#[test]
fn secrets_never_print() {
    let key = AppKey::new(PRODUCTION_KEY).unwrap();
    let token = AccessToken::new("SECRET-TOKEN-VALUE").unwrap();
    let config =
        Config::builder("wx1", "offer", Env::Production).production_key(key.clone()).build().unwrap();
    let player = test_player();
    let client =
        Client::with_transport(config.clone(), StaticToken::new(token.clone()), ScriptedTransport::new([]));
    let url = midas_api::ApiUrl::new("https://api.weixin.qq.com", "/cgi-bin/midas/pay", &token);
    let shown = format!("{key:?} {token:?} {config:?} {player:?} {client:?} {url} {url:?}");
    for secret in [PRODUCTION_KEY, "SECRET-TOKEN-VALUE", "V7Q38/i2KXaqrQyl2Yx9Hg=="] {
        assert!(!shown.contains(secret), "secret in {shown}");
    }
    assert!(shown.contains("access_token=***"));
}
