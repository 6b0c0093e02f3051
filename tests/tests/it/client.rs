//! The client's requests as sent: URL by environment, token only in the query, the exact body,
//! and `ts` from the injected clock.

use std::sync::Arc;

use midas_api::verify::ReceivedParams;
use midas_api::{
    AccessToken, AppKey, CancelPay, Client, Env, FixedClock, GetBalance, MidasRequest, Pay, Player, Present,
    SessionKey, StaticToken,
};
use midas_tests::{PRODUCTION_KEY, Reply, SANDBOX_KEY, ScriptedTransport, test_config, test_player};
use serde_json::{Value, json};

fn client(env: Env, replies: Vec<Reply>) -> Client<Arc<ScriptedTransport>, StaticToken> {
    let transport = Arc::new(ScriptedTransport::new(replies));
    Client::with_transport(
        test_config(env),
        StaticToken::new(AccessToken::new("ACCESSTOKEN").unwrap()),
        transport,
    )
    .with_clock(FixedClock(1507530737))
}

fn keys(env: Env) -> AppKey {
    AppKey::new(env.pick(PRODUCTION_KEY, SANDBOX_KEY)).unwrap()
}

/// Checks the URL, the signatures (by the server-side verifier) and returns the body.
fn check_sent<R: MidasRequest>(sent: &midas_tests::Sent, env: Env) -> serde_json::Map<String, Value> {
    let path = R::path(env);
    assert_eq!(sent.url, format!("https://midas.test{path}?access_token=ACCESSTOKEN"));
    let body = sent.body.as_object().expect("object").clone();
    assert!(!body.contains_key("access_token"), "the token never goes in the body");
    let received = ReceivedParams::from_json(&body).unwrap();
    let sig = body["sig"].as_str().unwrap();
    received.verify_sig(path, &keys(env), sig).unwrap();
    let session_key = SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==").unwrap();
    received.verify_mp_sig(path, "ACCESSTOKEN", sig, &session_key, body["mp_sig"].as_str().unwrap()).unwrap();
    body
}

#[tokio::test]
async fn present_is_sent_to_the_env_path_with_the_exact_body() {
    for env in [Env::Production, Env::Sandbox] {
        let client = client(
            env,
            vec![Reply::json(r#"{"errcode":0,"errmsg":"ok","balance":233,"bill_no":"BillNo_123"}"#)],
        );
        let response = client
            .present(&test_player(), Present { bill_no: "BillNo_123".into(), present_counts: 233 })
            .await
            .unwrap();
        assert_eq!((response.balance, response.bill_no.as_str()), (233, "BillNo_123"));

        let sent = client.transport().sent();
        assert_eq!(sent.len(), 1);
        let mut body = check_sent::<Present>(&sent[0], env);
        assert_eq!(body.remove("sig").map(|v| v.as_str().unwrap().len()), Some(64));
        assert_eq!(body.remove("mp_sig").map(|v| v.as_str().unwrap().len()), Some(64));
        assert_eq!(
            Value::Object(body),
            json!({"appid":"wx1234567","offer_id":"12345678","openid":"odkx20ENSNa2w5y3g_qOkOvBNM1g",
                   "pf":"android","ts":1507530737,"zone_id":"1","bill_no":"BillNo_123","present_counts":233})
        );
    }
}

#[tokio::test]
async fn present_in_production_matches_the_worked_vector() {
    let client = client(
        Env::Production,
        vec![Reply::json(r#"{"errcode":0,"errmsg":"ok","balance":1,"bill_no":"BillNo_123"}"#)],
    );
    client
        .present(&test_player(), Present { bill_no: "BillNo_123".into(), present_counts: 233 })
        .await
        .unwrap();
    let body = &client.transport().sent()[0].body;
    assert_eq!(body["sig"], "c82c534ca46818722a8cbe0004020aea541333aefa7a780fb0bb45d9397da3ef");
    assert_eq!(body["mp_sig"], "523537261e0205eda7a7ed2a6e3d7333badc94cc2eb591f733559f3608bbe0af");
}

#[tokio::test]
async fn optional_fields_are_absent_when_none_and_mp_sig_needs_a_session_key() {
    let client = client(
        Env::Production,
        vec![Reply::json(r#"{"errcode":0,"errmsg":"ok","bill_no":"b1","balance":5,"used_gen_amt":0}"#)],
    );
    let player = Player::new("openid-1");
    client
        .pay(&player, Pay { amt: 5, bill_no: "b1".into(), pay_item: None, app_remark: None })
        .await
        .unwrap();
    let body = client.transport().sent()[0].body.as_object().unwrap().clone();
    let mut names: Vec<&str> = body.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["amt", "appid", "bill_no", "offer_id", "openid", "pf", "sig", "ts", "zone_id"]);
}

#[tokio::test]
async fn every_endpoint_works_in_both_envs() {
    for env in [Env::Production, Env::Sandbox] {
        let client = client(
            env,
            vec![
                Reply::json(
                    r#"{"errcode":0,"errmsg":"ok","balance":10,"gen_balance":2,"first_save":1,"save_amt":8,"save_sum":8,"cost_sum":0,"present_sum":2,"extra":"ignored"}"#,
                ),
                Reply::json(
                    r#"{"errcode":0,"errmsg":"ok","bill_no":"p-1","balance":7,"used_gen_balance":2}"#,
                ),
                Reply::json(r#"{"errcode":0,"errmsg":"ok","bill_no":"p-1"}"#),
            ],
        );
        let player = test_player().with_user_ip("127.0.0.1").with_zone_id("3_abc");
        let balance = client.get_balance(&player).await.unwrap();
        assert_eq!((balance.balance, balance.gen_balance, balance.first_save), (10, 2, true));
        let paid = client
            .pay(
                &player,
                Pay {
                    amt: 3,
                    bill_no: "p-1".into(),
                    pay_item: Some("sword".into()),
                    app_remark: Some("备注".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!((paid.balance, paid.used_gen_amt), (7, 2), "old field name used_gen_balance is accepted");
        let cancelled =
            client.cancel_pay(&player, CancelPay { bill_no: "p-1".into(), pay_item: None }).await.unwrap();
        assert_eq!(cancelled.bill_no, "p-1");

        let sent = client.transport().sent();
        check_sent::<GetBalance>(&sent[0], env);
        let pay = check_sent::<Pay>(&sent[1], env);
        assert_eq!(
            (pay["app_remark"].as_str(), pay["user_ip"].as_str(), pay["zone_id"].as_str()),
            (Some("备注"), Some("127.0.0.1"), Some("3_abc"))
        );
        check_sent::<CancelPay>(&sent[2], env);
    }
}

#[tokio::test]
async fn a_missing_response_field_is_a_decode_error_naming_it() {
    let client = client(Env::Sandbox, vec![Reply::json(r#"{"errcode":0,"errmsg":"ok","balance":1}"#)]);
    let err =
        client.call(&test_player(), &Present { bill_no: "b".into(), present_counts: 1 }).await.unwrap_err();
    match err {
        midas_api::Error::Decode(decode) => assert!(decode.message().contains("bill_no"), "{decode}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}
