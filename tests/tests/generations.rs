//! Midas 2.0 and xpay through the same attribute: the official body-signed vectors through the
//! generated code and the client, the query strings, the errcodes of each generation, and the
//! retry rules keyed on their order ids.

use std::sync::Arc;

use midas_api::{
    AccessToken, ApiErrorKind, AppKey, Client, Config, Env, Error, FixedClock, Player, RetryPolicy, Rule,
    SessionKey, StaticToken, TransportErrorKind, v2, xpay,
};
use midas_tests::{Reply, ScriptedTransport, load_vectors};

const PAYMENT_KEY: &str = "12345";
const SESSION_KEY: &str = "9hAb/NEYUlkaMBEsmFgzig==";

fn client(env: Env, ts: i64, replies: Vec<Reply>) -> Client<Arc<ScriptedTransport>, StaticToken> {
    let config = Config::builder("wx1234567", "12345678", env)
        .payment_production_key(AppKey::new(PAYMENT_KEY).unwrap())
        .payment_sandbox_key(AppKey::new("sandbox-payment-key").unwrap())
        .base_url("https://api.test")
        .retry(
            RetryPolicy::default()
                .with_backoff(std::time::Duration::ZERO, std::time::Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    Client::with_transport(
        config,
        StaticToken::new(AccessToken::new("TOKEN").unwrap()),
        Arc::new(ScriptedTransport::new(replies)),
    )
    .with_clock(FixedClock(ts))
}

fn player(openid: &str) -> Player {
    Player::new(openid).with_session_key(SessionKey::new(SESSION_KEY).unwrap())
}

fn vector(name: &str) -> serde_json::Value {
    let all = load_vectors("body-signed-official.json");
    all.as_array().unwrap().iter().find(|v| v["name"] == name).unwrap().clone()
}

#[tokio::test]
async fn the_midas2_compact_vector_passes_through_generated_code() {
    let v = vector("midas2-compact");
    let client = client(
        Env::Production,
        1668136271,
        vec![Reply::json(
            r#"{"errcode":0,"errmsg":"ok","balance":1,"present_balance":0,"sum_save":1,"sum_present":0,"sum_balance":1,"sum_cost":0,"first_save":true}"#,
        )],
    );
    let balance = client.v2().get_balance(&player("oUrsfxxxxxxxxxx")).await.unwrap();
    assert_eq!(balance.balance, 1);
    let sent = &client.transport().sent()[0];
    assert_eq!(
        String::from_utf8(sent.raw.clone()).unwrap(),
        v["post_body"].as_str().unwrap(),
        "the documented bytes"
    );
    assert_eq!(
        sent.url,
        format!(
            "https://api.test/wxa/game/getbalance?access_token=TOKEN&signature={}&sig_method=hmac_sha256&pay_sig={}",
            v["signature"].as_str().unwrap(),
            v["pay_sig"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn the_xpay_compact_vector_passes_through_generated_code() {
    let v = vector("xpay-compact");
    let client = client(
        Env::Production,
        0,
        vec![Reply::json(
            r#"{"errcode":0,"errmsg":"ok","balance":1,"present_balance":0,"sum_save":1,"sum_present":0,"sum_balance":1,"sum_cost":0,"first_save_flag":0}"#,
        )],
    );
    let balance = client.xpay().query_user_balance(&player("xxx").with_user_ip("127.0.0.1")).await.unwrap();
    assert!(!balance.first_save_flag);
    let sent = &client.transport().sent()[0];
    assert_eq!(String::from_utf8(sent.raw.clone()).unwrap(), v["post_body"].as_str().unwrap());
    assert_eq!(
        sent.url,
        format!(
            "https://api.test/xpay/query_user_balance?access_token=TOKEN&pay_sig={}&signature={}",
            v["pay_sig"].as_str().unwrap(),
            v["signature"].as_str().unwrap()
        )
    );
}

#[test]
fn every_body_signed_vector_verifies_on_the_server_side() {
    use midas_api::body_signed::{verify_pay_sig, verify_signature};
    for v in load_vectors("body-signed-official.json").as_array().unwrap() {
        let body = v["post_body"].as_str().unwrap().as_bytes();
        let key = AppKey::new(v["app_key"].as_str().unwrap()).unwrap();
        let session_key = SessionKey::new(v["session_key"].as_str().unwrap()).unwrap();
        verify_pay_sig(&key, v["uri"].as_str().unwrap(), body, v["pay_sig"].as_str().unwrap()).unwrap();
        verify_signature(&session_key, body, v["signature"].as_str().unwrap()).unwrap();
        // One byte more, and neither verifies.
        let mut tampered = body.to_vec();
        tampered.push(b' ');
        assert!(
            verify_pay_sig(&key, v["uri"].as_str().unwrap(), &tampered, v["pay_sig"].as_str().unwrap())
                .is_err()
        );
        assert!(verify_signature(&session_key, &tampered, v["signature"].as_str().unwrap()).is_err());
    }
}

#[tokio::test]
async fn midas2_pay_sends_env_and_the_fields_and_signs_in_sandbox_with_the_sandbox_key() {
    let client = client(
        Env::Sandbox,
        1700000000,
        vec![Reply::json(
            r#"{"errcode":0,"errmsg":"ok","bill_no":"b-1","balance":9,"used_present_amount":1}"#,
        )],
    );
    let paid = client
        .v2()
        .pay(
            &player("o-1"),
            v2::Pay { amount: 3, bill_no: "b-1".into(), payitem: Some("sword".into()), remark: None },
        )
        .await
        .unwrap();
    assert_eq!((paid.balance, paid.used_present_amount), (9, 1));
    let sent = &client.transport().sent()[0];
    assert_eq!(
        sent.body,
        serde_json::json!({"offer_id":"12345678","zone_id":"1","openid":"o-1","env":1,"ts":1700000000,"amount":3,"bill_no":"b-1","payitem":"sword"})
    );
    let pay_sig = midas_api::body_signed::pay_sig(
        &AppKey::new("sandbox-payment-key").unwrap(),
        "/wxa/game/pay",
        &sent.raw,
    );
    assert!(sent.url.starts_with("https://api.test/wxa/game/pay?access_token=TOKEN&signature="));
    assert!(sent.url.ends_with(&format!("&sig_method=hmac_sha256&pay_sig={pay_sig}")), "{}", sent.url);
}

#[tokio::test]
async fn xpay_apis_without_user_signature_or_openid_send_neither() {
    let client = client(
        Env::Production,
        0,
        vec![
            Reply::json(r#"{"errcode":0,"errmsg":"ok","balance":10,"order_id":"g-1","present_balance":10}"#),
            Reply::json(r#"{"errcode":0,"errmsg":"ok"}"#),
        ],
    );
    let no_session = Player::new("o-1");
    client
        .xpay()
        .present_currency(&no_session, xpay::PresentCurrency { order_id: "g-1".into(), amount: 10 })
        .await
        .unwrap();
    client
        .xpay()
        .notify_provide_goods(&no_session, xpay::NotifyProvideGoods { order_id: "g-1".into() })
        .await
        .unwrap();
    let sent = client.transport().sent();
    assert_eq!(sent[0].body, serde_json::json!({"openid":"o-1","env":0,"order_id":"g-1","amount":10}));
    assert!(!sent[0].url.contains("signature="));
    assert_eq!(sent[1].body, serde_json::json!({"env":0,"order_id":"g-1"}));
}

#[tokio::test]
async fn a_user_signature_api_without_a_session_key_sends_nothing() {
    let client = client(Env::Production, 0, vec![]);
    let err = client
        .xpay()
        .currency_pay(
            &Player::new("o-1"),
            xpay::CurrencyPay { amount: 1, order_id: "p-1".into(), payitem: None, remark: None },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation(ref v) if v.field() == "session_key" && *v.rule() == Rule::Required),
        "{err:?}"
    );
    let err = client
        .v2()
        .present(&player("o-1"), v2::Present { amount: 1, bill_no: "_leading".into() })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation(ref v) if v.field() == "bill_no" && *v.rule() == Rule::BillNoV2),
        "{err:?}"
    );
    assert!(client.transport().sent().is_empty());
}

#[tokio::test]
async fn a_missing_payment_key_is_a_typed_error() {
    let config = Config::builder("wx1", "offer", Env::Sandbox)
        .sandbox_key(AppKey::new("midas-1-key").unwrap())
        .build()
        .unwrap();
    let client = Client::with_transport(
        config,
        StaticToken::new(AccessToken::new("T").unwrap()),
        ScriptedTransport::new([]),
    );
    let err = client.v2().get_balance(&player("o")).await.unwrap_err();
    assert!(matches!(err, Error::Validation(ref v) if v.field() == "payment_sandbox_key"), "{err:?}");
}

#[tokio::test]
async fn midas2_errcodes_have_their_own_meanings() {
    for (code, kind) in [
        (90010, ApiErrorKind::MpSigRejected),
        (90011, ApiErrorKind::SigRejected),
        (90016, ApiErrorKind::SessionExpired),
        (90019, ApiErrorKind::OrderNotFound),
        (90013, ApiErrorKind::InsufficientBalance),
    ] {
        let client = client(Env::Production, 0, vec![Reply::errcode(code, "no")]);
        let err = client
            .v2()
            .present(&player("o"), v2::Present { amount: 1, bill_no: "b".into() })
            .await
            .unwrap_err();
        let api = err.as_api().expect("api error");
        assert_eq!((api.errcode(), api.kind()), (code, kind));
        if kind.is_signature_rejection() {
            let signed = api.signed().expect("what was signed");
            assert!(signed.sig.starts_with("/wxa/game/present&{\"offer_id\""), "{}", signed.sig);
        }
    }
}

#[tokio::test]
async fn xpay_errcodes_have_their_own_meanings() {
    for (code, kind, retryable) in [
        (268490001, ApiErrorKind::InvalidParameter, false),
        (268490003, ApiErrorKind::SigRejected, false),
        (268490004, ApiErrorKind::OrderExists, false),
        (268490005, ApiErrorKind::AlreadyRolledBack, false),
        (268490006, ApiErrorKind::InsufficientBalance, false),
        (268490009, ApiErrorKind::SessionExpired, false),
        (268490015, ApiErrorKind::RateLimited, true),
    ] {
        let client = client(
            Env::Production,
            0,
            vec![Reply::errcode(code, "no")]
                .into_iter()
                .chain((0..5).map(|_| Reply::errcode(code, "no")))
                .collect(),
        );
        let err = client
            .xpay()
            .present_currency(&player("o"), xpay::PresentCurrency { order_id: "g".into(), amount: 1 })
            .await
            .unwrap_err();
        let api = err.as_api().expect("api error");
        assert_eq!((api.errcode(), api.kind(), api.is_retryable()), (code, kind, retryable));
    }
}

#[tokio::test]
async fn retries_keep_the_order_id_and_already_succeeded_means_already_processed() {
    let client = client(
        Env::Production,
        0,
        vec![Reply::Fail(TransportErrorKind::Timeout), Reply::errcode(268490004, "duplicate operation")],
    );
    let err = client
        .xpay()
        .cancel_currency_pay(
            &player("o"),
            xpay::CancelCurrencyPay { pay_order_id: "p-1".into(), order_id: "r-1".into(), amount: 2 },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyProcessed { api: "cancel_currency_pay", ref bill_no } if bill_no == "r-1"),
        "{err:?}"
    );
    let sent = client.transport().sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].raw, sent[1].raw, "same order, same bytes (the clock is fixed)");

    let client = client_busy_then(r#"{"errcode":0,"errmsg":"ok","bill_no":"r-2"}"#);
    client
        .v2()
        .cancel_pay(
            &player("o"),
            v2::CancelPay { pay_bill_no: "p-2".into(), bill_no: "r-2".into(), amount: 1 },
        )
        .await
        .unwrap();
    assert_eq!(client.transport().sent().len(), 2);
}

fn client_busy_then(ok: &str) -> Client<Arc<ScriptedTransport>, StaticToken> {
    client(Env::Production, 0, vec![Reply::errcode(-1, "busy"), Reply::json(ok)])
}
