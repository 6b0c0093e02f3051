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
        .notify_provide_goods(&no_session, xpay::NotifyProvideGoods::by_order_id("g-1"))
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
            &Player::new("o-1").with_user_ip("1.2.3.4"),
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
        (268490005, ApiErrorKind::PayAlreadyRefunded, false),
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
        vec![
            Reply::Fail(TransportErrorKind::Timeout),
            Reply::errcode(268490004, "duplicate operation"),
            Reply::json(r#"{"errcode":0,"errmsg":"ok","order":{"order_id":"r-1","status":5,"order_fee":2}}"#),
        ],
    );
    let err = client
        .xpay()
        .cancel_currency_pay(
            &player("o").with_user_ip("1.2.3.4"),
            xpay::CancelCurrencyPay { pay_order_id: "p-1".into(), order_id: "r-1".into(), amount: 2 },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyProcessed { api: "cancel_currency_pay", ref bill_no } if bill_no == "r-1"),
        "{err:?}"
    );
    let sent = client.transport().sent();
    assert_eq!(sent.len(), 3, "two attempts and the lookup");
    assert_eq!(sent[0].raw, sent[1].raw, "same order, same bytes (the clock is fixed)");
    assert!(sent[2].url.contains("/xpay/query_order?"), "{}", sent[2].url);
    assert_eq!(sent[2].body["order_id"], "r-1");

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

async fn cancel_currency_pay(client: &Client<Arc<ScriptedTransport>, StaticToken>) -> Error {
    client
        .xpay()
        .cancel_currency_pay(
            &player("o").with_user_ip("1.2.3.4"),
            xpay::CancelCurrencyPay { pay_order_id: "p-1".into(), order_id: "r-1".into(), amount: 2 },
        )
        .await
        .unwrap_err()
}

/// Finding 4: 268490005 says the *pay* was refunded, by any refund order; after a busy first
/// attempt it does not prove this refund succeeded.
#[tokio::test]
async fn xpay_268490005_after_a_busy_attempt_is_not_already_processed() {
    let client = client(
        Env::Production,
        0,
        vec![Reply::errcode(-1, "busy"), Reply::errcode(268490005, "order already refunded")],
    );
    let err = cancel_currency_pay(&client).await;
    assert!(!matches!(err, Error::AlreadyProcessed { .. }), "{err:?}");
    let Error::Unresolved { last, order_id, .. } = &err else { panic!("outcome unknown: {err:?}") };
    assert_eq!(order_id, "r-1");
    assert_eq!(last.as_api().map(|api| api.kind()), Some(ApiErrorKind::PayAlreadyRefunded));
    assert!(err.may_have_applied(), "the busy attempt may have refunded");
    assert_eq!(client.transport().sent().len(), 2, "no lookup: it is not an 'already done' answer");
}

/// Finding 5: after an ambiguous attempt, "order exists" is checked against the order found
/// under the id; an order of another amount (xpay) or of no order of this player (Midas 2.0)
/// means the id was reused, and nothing of this call was applied.
#[tokio::test]
async fn a_reused_order_id_is_order_id_taken_not_already_processed() {
    let other_amount = client(
        Env::Production,
        0,
        vec![
            Reply::Fail(TransportErrorKind::Timeout),
            Reply::errcode(268490004, "duplicate operation"),
            Reply::json(
                r#"{"errcode":0,"errmsg":"ok","order":{"order_id":"r-1","status":4,"order_fee":99}}"#,
            ),
        ],
    );
    let err = cancel_currency_pay(&other_amount).await;
    assert!(
        matches!(&err, Error::OrderIdTaken { api: "cancel_currency_pay", order_id } if order_id == "r-1"),
        "{err:?}"
    );
    assert!(!err.may_have_applied() && !err.is_retryable(), "{err:?}");

    let other_player = client(
        Env::Production,
        0,
        vec![
            Reply::errcode(-1, "busy"),
            Reply::errcode(90012, "order exists"),
            Reply::errcode(90019, "not found"),
        ],
    );
    let err = other_player
        .v2()
        .pay(&player("o"), v2::Pay { amount: 3, bill_no: "b-1".into(), payitem: None, remark: None })
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::OrderIdTaken { api: "pay", order_id } if order_id == "b-1"), "{err:?}");
    let sent = other_player.transport().sent();
    assert!(sent[2].url.contains("/wxa/game/queryorderinfo?"), "{}", sent[2].url);
    assert_eq!((&sent[2].body["out_trade_no"], &sent[2].body["openid"]), (&"b-1".into(), &"o".into()));

    let found = client(
        Env::Production,
        0,
        vec![
            Reply::errcode(-1, "busy"),
            Reply::errcode(90012, "order exists"),
            Reply::json(
                r#"{"errcode":0,"errmsg":"ok","out_trade_no":"b-1","pay_state":2,"deliver_state":2}"#,
            ),
        ],
    );
    let err = found
        .v2()
        .pay(&player("o"), v2::Pay { amount: 3, bill_no: "b-1".into(), payitem: None, remark: None })
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::AlreadyProcessed { bill_no, .. } if bill_no == "b-1"), "{err:?}");
    assert!(err.may_have_applied());
}

/// Finding 5: when the lookup itself fails, the outcome stays unknown.
#[tokio::test]
async fn a_failed_lookup_leaves_the_order_unresolved() {
    let client = client(
        Env::Production,
        0,
        vec![
            Reply::Fail(TransportErrorKind::Timeout),
            Reply::errcode(268490004, "duplicate operation"),
            Reply::Fail(TransportErrorKind::Timeout),
        ],
    );
    let err = cancel_currency_pay(&client).await;
    assert!(matches!(&err, Error::Unresolved { order_id, .. } if order_id == "r-1"), "{err:?}");
    assert!(err.may_have_applied() && err.is_retryable());
}

/// The request body fields the protocol reference (`midas.md` §2–§5, §9.2, §10) lists as
/// required, per declared endpoint; `user_ip` is in the list where the reference requires it.
/// Midas 2.0's table lists `user_ip`, but the official Midas 2.0 example omits it, so it stays
/// optional there.
const REQUIRED: &[(&str, &[&str])] = &[
    ("/cgi-bin/midas/getbalance", &["appid", "offer_id", "openid", "pf", "sig", "ts", "zone_id"]),
    ("/cgi-bin/midas/pay", &["amt", "appid", "bill_no", "offer_id", "openid", "pf", "sig", "ts", "zone_id"]),
    ("/cgi-bin/midas/cancelpay", &["appid", "bill_no", "offer_id", "openid", "pf", "sig", "ts", "zone_id"]),
    (
        "/cgi-bin/midas/present",
        &["appid", "bill_no", "offer_id", "openid", "pf", "present_counts", "sig", "ts", "zone_id"],
    ),
    ("/wxa/game/getbalance", &["env", "offer_id", "openid", "ts", "zone_id"]),
    ("/wxa/game/pay", &["amount", "bill_no", "env", "offer_id", "openid", "ts", "zone_id"]),
    (
        "/wxa/game/cancelpay",
        &["amount", "bill_no", "env", "offer_id", "openid", "pay_bill_no", "ts", "zone_id"],
    ),
    ("/wxa/game/present", &["amount", "bill_no", "env", "offer_id", "openid", "ts", "zone_id"]),
    ("/wxa/game/queryorderinfo", &["biz_id", "env", "offer_id", "openid", "out_trade_no", "ts", "zone_id"]),
    ("/xpay/query_user_balance", &["env", "openid", "user_ip"]),
    ("/xpay/currency_pay", &["amount", "env", "openid", "order_id", "user_ip"]),
    ("/xpay/cancel_currency_pay", &["amount", "env", "openid", "order_id", "pay_order_id", "user_ip"]),
    ("/xpay/present_currency", &["amount", "env", "openid", "order_id"]),
    ("/xpay/query_order", &["env", "openid", "order_id"]),
    ("/xpay/notify_provide_goods", &["env", "order_id"]),
    (
        "/xpay/refund_order",
        &[
            "env",
            "left_fee",
            "openid",
            "order_id",
            "refund_fee",
            "refund_order_id",
            "refund_reason",
            "req_from",
        ],
    ),
];

/// What one endpoint sends for a player with everything, and for one without `user_ip`.
struct Sent {
    path: String,
    full: serde_json::Value,
    without_user_ip: Result<(), Error>,
}

async fn sent_v1<R: midas_api::MidasRequest + Sync>(request: R) -> Sent {
    let send = |player: Player| {
        let transport = Arc::new(ScriptedTransport::new([Reply::errcode(90018, "stop here")]));
        let client = Client::with_transport(
            midas_tests::test_config(Env::Production),
            StaticToken::new(AccessToken::new("TOKEN").unwrap()),
            Arc::clone(&transport),
        );
        let request = &request;
        async move {
            let result = client.call(&player, request).await;
            (transport.sent(), result)
        }
    };
    let (sent, _) = send(player("o").with_user_ip("1.2.3.4")).await;
    let (bare, result) = send(player("o")).await;
    let path = sent[0].url.split('?').next().unwrap().trim_start_matches("https://midas.test").to_owned();
    Sent { path, full: sent[0].body.clone(), without_user_ip: refusal(result, &bare) }
}

async fn sent_body_signed<R: midas_api::MidasRequest + Sync>(request: R) -> Sent {
    let send = |player: Player| {
        let client = client(Env::Production, 1, vec![Reply::errcode(-2, "stop here")]);
        let request = &request;
        async move {
            let result = client.call(&player, request).await;
            (client.transport().sent(), result)
        }
    };
    let (sent, _) = send(player("o").with_user_ip("1.2.3.4")).await;
    let (bare, result) = send(player("o")).await;
    let path = sent[0].url.split('?').next().unwrap().trim_start_matches("https://api.test").to_owned();
    Sent { path, full: sent[0].body.clone(), without_user_ip: refusal(result, &bare) }
}

/// `Ok` when the call without `user_ip` was sent, its refusal when it was refused before.
fn refusal<T>(result: Result<T, Error>, sent: &[midas_tests::Sent]) -> Result<(), Error> {
    match result {
        Err(err @ Error::Validation(_)) => {
            assert!(sent.is_empty(), "a refused call sends nothing");
            Err(err)
        }
        _ => Ok(()),
    }
}

/// Finding 17: every declared endpoint sends the fields the reference requires, and refuses a
/// player without `user_ip` exactly where the reference requires it.
#[tokio::test]
async fn every_endpoint_sends_the_required_fields_of_the_reference() {
    let every = vec![
        sent_v1(midas_api::GetBalance {}).await,
        sent_v1(midas_api::Pay { amt: 1, bill_no: "b".into(), pay_item: None, app_remark: None }).await,
        sent_v1(midas_api::CancelPay { bill_no: "b".into(), pay_item: None }).await,
        sent_v1(midas_api::Present { bill_no: "b".into(), present_counts: 1 }).await,
        sent_body_signed(v2::GetBalance::default()).await,
        sent_body_signed(v2::Pay { amount: 1, bill_no: "b".into(), payitem: None, remark: None }).await,
        sent_body_signed(v2::CancelPay { pay_bill_no: "p".into(), bill_no: "b".into(), amount: 1 }).await,
        sent_body_signed(v2::Present { amount: 1, bill_no: "b".into() }).await,
        sent_body_signed(v2::QueryOrder { out_trade_no: "b".into(), biz_id: 1 }).await,
        sent_body_signed(xpay::QueryUserBalance {}).await,
        sent_body_signed(xpay::CurrencyPay { amount: 1, order_id: "b".into(), payitem: None, remark: None })
            .await,
        sent_body_signed(xpay::CancelCurrencyPay {
            pay_order_id: "p".into(),
            order_id: "b".into(),
            amount: 1,
        })
        .await,
        sent_body_signed(xpay::PresentCurrency { order_id: "b".into(), amount: 1 }).await,
        sent_body_signed(xpay::QueryOrder::by_order_id("b")).await,
        sent_body_signed(xpay::NotifyProvideGoods::by_order_id("b")).await,
        sent_body_signed(
            xpay::RefundOrder::new(
                xpay::OrderRef::OrderId("b".into()),
                "refund-01",
                2,
                1,
                xpay::RefundReason::Other,
                xpay::RefundRequester::Other,
            )
            .unwrap(),
        )
        .await,
    ];
    assert_eq!(every.len(), REQUIRED.len(), "every declared endpoint is in the table");
    for sent in every {
        let (_, required) = REQUIRED
            .iter()
            .find(|(path, _)| *path == sent.path)
            .unwrap_or_else(|| panic!("{} is in the table", sent.path));
        for field in *required {
            assert!(sent.full.get(field).is_some(), "{} sends `{field}`: {}", sent.path, sent.full);
        }
        match (&sent.without_user_ip, required.contains(&"user_ip")) {
            (Err(Error::Validation(err)), true) => {
                assert_eq!((err.field(), err.rule()), ("user_ip", &Rule::Required), "{}", sent.path);
            }
            (Ok(()), false) => {}
            (other, required) => panic!("{}: user_ip required {required}, without it: {other:?}", sent.path),
        }
    }
}
