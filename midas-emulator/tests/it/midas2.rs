//! Midas 2.0 (`/wxa/game/*`) over raw HTTP: bodies serialised with serde_json, signed with
//! midas-core's `pay_sig` and `signature` over the exact bytes sent.

use midas_emulator::{Api, AppKey, Change, Env, Fault};
use serde_json::{Value, json};

use crate::support::{
    self, OPENID, Signing, assert_names_field, errcode, post, sample_body, send, session_key, signed,
    signed_target, started, v2_body,
};

async fn pay(emulator: &midas_emulator::Emulator, bill_no: &str, amount: i64) -> Value {
    signed(emulator, Api::V2Pay, &v2_body(json!({ "amount": amount, "bill_no": bill_no }))).await
}

async fn present(emulator: &midas_emulator::Emulator, bill_no: &str, amount: i64) -> Value {
    signed(emulator, Api::V2Present, &v2_body(json!({ "amount": amount, "bill_no": bill_no }))).await
}

async fn refund(emulator: &midas_emulator::Emulator, pay_bill_no: &str, bill_no: &str, amount: i64) -> Value {
    let body = v2_body(json!({ "pay_bill_no": pay_bill_no, "bill_no": bill_no, "amount": amount }));
    signed(emulator, Api::V2CancelPay, &body).await
}

async fn balance(emulator: &midas_emulator::Emulator) -> Value {
    signed(emulator, Api::V2GetBalance, &v2_body(json!({}))).await
}

#[tokio::test]
async fn getbalance_reports_the_account_under_its_midas_2_names() {
    let emulator = started(100).await;
    let answer = balance(&emulator).await;
    assert_eq!(
        answer,
        json!({
            "errcode": 0, "errmsg": "ok", "balance": 100, "present_balance": 0, "sum_save": 100,
            "sum_present": 0, "sum_balance": 100, "sum_cost": 0, "first_save": false,
        })
    );
}

#[tokio::test]
async fn present_adds_gifted_coins_and_pay_spends_them_first() {
    let emulator = started(100).await;
    let gifted = present(&emulator, "gift-1", 30).await;
    assert_eq!(gifted, json!({ "errcode": 0, "errmsg": "ok", "bill_no": "gift-1", "balance": 130 }));
    let paid = pay(&emulator, "bill-1", 50).await;
    assert_eq!(
        paid,
        json!({ "errcode": 0, "errmsg": "ok", "bill_no": "bill-1", "balance": 80, "used_present_amount": 30 })
    );
    let answer = balance(&emulator).await;
    assert_eq!((answer["present_balance"].as_i64(), answer["sum_cost"].as_i64()), (Some(0), Some(50)));
    assert_eq!(
        emulator.balance(Env::Production, OPENID).map(|b| b.balance),
        Some(100),
        "env 1 is the sandbox"
    );
    let apis: Vec<Api> = emulator.effects().iter().map(|effect| effect.api).collect();
    assert_eq!(apis, [Api::V2Present, Api::V2Pay]);
}

#[tokio::test]
async fn cancelpay_refunds_under_a_new_bill_no() {
    let emulator = started(100).await;
    pay(&emulator, "bill-1", 40).await;
    let refunded = refund(&emulator, "bill-1", "refund-1", 15).await;
    assert_eq!(refunded, json!({ "errcode": 0, "errmsg": "ok", "bill_no": "refund-1", "balance": 75 }));
    let effect = emulator.effects().pop().expect("the refund");
    assert_eq!((effect.api, effect.bill_no.as_str()), (Api::V2CancelPay, "refund-1"));
    assert_eq!(
        effect.change,
        Change::Refund { pay_bill_no: "bill-1".into(), amount: 15, restored_gen_amt: 0 }
    );
    assert_eq!(errcode(&refund(&emulator, "no-such-pay", "refund-2", 1).await), 90000);
    assert_eq!(
        errcode(&refund(&emulator, "bill-1", "bill-1", 1).await),
        90012,
        "the refund needs a new bill_no"
    );
}

#[tokio::test]
async fn partial_refunds_add_up_to_the_pay_at_most() {
    let emulator = started(100).await;
    present(&emulator, "gift-1", 10).await;
    // 30 coins: 10 gifted, 20 topped up.
    pay(&emulator, "bill-1", 30).await;
    assert_eq!(errcode(&refund(&emulator, "bill-1", "refund-1", 7).await), 0);
    assert_eq!(errcode(&refund(&emulator, "bill-1", "refund-2", 8).await), 0);
    assert_names_field(&refund(&emulator, "bill-1", "refund-3", 16).await, 90018, "amount");
    assert_eq!(errcode(&refund(&emulator, "bill-1", "refund-3", 15).await), 0);
    assert_names_field(&refund(&emulator, "bill-1", "refund-4", 1).await, 90018, "amount");

    let answer = balance(&emulator).await;
    let numbers = ["balance", "present_balance", "sum_cost"].map(|name| answer[name].as_i64());
    assert_eq!(numbers, [Some(110), Some(10), Some(0)], "everything is back: {answer}");
    // Gifted coins come back in proportion: floor(7/3), floor(15/3) - 2, 10 - 5.
    let restored: Vec<i64> = emulator
        .effects()
        .into_iter()
        .filter_map(|effect| match effect.change {
            Change::Refund { restored_gen_amt, .. } => Some(restored_gen_amt),
            _ => None,
        })
        .collect();
    assert_eq!(restored, [2, 3, 5]);
}

#[tokio::test]
async fn queryorderinfo_finds_the_players_pay_and_present_bills() {
    let emulator = started(100).await;
    emulator.add_player("player-2", session_key("session-key-2"), 100);
    let payitem = r#"[{"productid":"sword","unit_price":10,"quantity":1}]"#;
    signed(&emulator, Api::V2Pay, &v2_body(json!({ "amount": 10, "bill_no": "bill-1", "payitem": payitem })))
        .await;
    present(&emulator, "gift-1", 5).await;
    refund(&emulator, "bill-1", "refund-1", 5).await;
    let query = |out_trade_no: &str| v2_body(json!({ "out_trade_no": out_trade_no, "biz_id": 1 }));

    let answer = signed(&emulator, Api::V2QueryOrderInfo, &query("bill-1")).await;
    assert_eq!(errcode(&answer), 0, "{answer}");
    assert_eq!(
        (answer["product_id"].as_str(), answer["out_trade_no"].as_str()),
        (Some("sword"), Some("bill-1"))
    );
    assert_eq!((answer["pay_state"].as_i64(), answer["deliver_state"].as_i64()), (Some(2), Some(2)));
    for field in ["pay_finish_time", "mch_order_no", "transaction_id"] {
        assert!(!answer[field].is_null(), "{field} in {answer}");
    }
    assert_eq!(errcode(&signed(&emulator, Api::V2QueryOrderInfo, &query("gift-1")).await), 0);
    for unknown in ["refund-1", "no-such-bill"] {
        assert_eq!(
            errcode(&signed(&emulator, Api::V2QueryOrderInfo, &query(unknown)).await),
            90019,
            "{unknown}"
        );
    }
    // Another player's bill is not found for them.
    let mut theirs = query("bill-1");
    theirs["openid"] = json!("player-2");
    let signing = Signing { session_key: Some("session-key-2"), ..Signing::default() };
    assert_eq!(errcode(&send(&emulator, Api::V2QueryOrderInfo, &theirs, &signing).await), 90019);
    let mut bad = query("bill-1");
    bad["biz_id"] = json!(3);
    assert_names_field(&signed(&emulator, Api::V2QueryOrderInfo, &bad).await, 90018, "biz_id");
}

#[tokio::test]
async fn a_wrong_pay_sig_is_90011() {
    let emulator = started(100).await;
    let midas1_key = emulator.sandbox_key().clone();
    let production_payment_key = emulator.payment_key(Env::Production).clone();
    for api in Api::V2 {
        for key in [&midas1_key, &production_payment_key, &AppKey::new("not-the-key").expect("not empty")] {
            let signing = Signing { pay_sig_key: Some(key.clone()), ..Signing::default() };
            let answer = send(&emulator, api, &sample_body(api), &signing).await;
            assert_eq!(errcode(&answer), 90011, "{api}: {answer}");
        }
    }
    assert!(emulator.effects().is_empty());
}

#[tokio::test]
async fn a_wrong_signature_is_90010() {
    let emulator = started(100).await;
    for api in Api::V2 {
        let signing = Signing { session_key: Some("not-the-session-key"), ..Signing::default() };
        let answer = send(&emulator, api, &sample_body(api), &signing).await;
        assert_eq!(errcode(&answer), 90010, "{api}: {answer}");
    }
    assert!(emulator.effects().is_empty());
}

#[tokio::test]
async fn a_body_respaced_after_signing_is_refused() {
    let emulator = started(100).await;
    for api in Api::V2 {
        let body = sample_body(api);
        let signed_bytes = serde_json::to_vec(&body).expect("JSON");
        let sent_bytes = serde_json::to_vec_pretty(&body).expect("JSON");
        assert_ne!(signed_bytes, sent_bytes);
        // Both signatures over the compact bytes: pay_sig fails first.
        let signing = Signing { signed_bytes: Some(&signed_bytes), ..Signing::default() };
        let target = signed_target(&emulator, api, Env::Sandbox, &sent_bytes, &signing);
        assert_eq!(errcode(&post(&emulator, &target, &sent_bytes).await), 90011, "{api}");
        // pay_sig over the sent bytes, signature over the compact ones: signature fails.
        let honest = signed_target(&emulator, api, Env::Sandbox, &sent_bytes, &Signing::default());
        let stale = signed_target(&emulator, api, Env::Sandbox, &signed_bytes, &Signing::default());
        let pay_sig = honest.split("&pay_sig=").nth(1).expect("pay_sig");
        let target = format!("{}&pay_sig={pay_sig}", stale.split("&pay_sig=").next().expect("head"));
        assert_eq!(errcode(&post(&emulator, &target, &sent_bytes).await), 90010, "{api}");
    }
    assert!(emulator.effects().is_empty());
}

#[tokio::test]
async fn a_repeated_pay_answers_the_first_result_and_deducts_once() {
    let emulator = started(100).await;
    let first = pay(&emulator, "bill-1", 40).await;
    let mut retry = v2_body(json!({ "amount": 40, "bill_no": "bill-1" }));
    retry["ts"] = json!(1_700_000_060);
    let again = signed(&emulator, Api::V2Pay, &retry).await;
    assert_eq!(first, again);
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(60));
    assert_eq!(errcode(&pay(&emulator, "bill-1", 41).await), 90012, "another order under the same bill_no");
    assert_eq!(errcode(&present(&emulator, "bill-1", 5).await), 90012);
    assert_eq!(emulator.effects().len(), 1);
}

#[tokio::test]
async fn a_repeated_cancelpay_answers_the_first_result_and_refunds_once() {
    let emulator = started(100).await;
    pay(&emulator, "bill-1", 40).await;
    let first = refund(&emulator, "bill-1", "refund-1", 10).await;
    let again = refund(&emulator, "bill-1", "refund-1", 10).await;
    assert_eq!((errcode(&first), &first), (0, &again));
    assert_eq!(errcode(&refund(&emulator, "bill-1", "refund-1", 11).await), 90012);
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(70));
    assert_eq!(emulator.effects().len(), 2);
}

#[tokio::test]
async fn a_repeated_present_is_90012_and_gifts_once() {
    let emulator = started(100).await;
    assert_eq!(errcode(&present(&emulator, "gift-1", 10).await), 0);
    assert_eq!(errcode(&present(&emulator, "gift-1", 10).await), 90012);
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(110));
}

#[tokio::test]
async fn pay_beyond_the_balance_is_90013() {
    let emulator = started(100).await;
    assert_eq!(errcode(&pay(&emulator, "bill-1", 101).await), 90013);
    assert_eq!(errcode(&pay(&emulator, "bill-1", 100).await), 0, "the bill_no stayed free");
}

#[tokio::test]
async fn each_query_parameter_is_required() {
    let emulator = started(100).await;
    let body = sample_body(Api::V2GetBalance);
    let bytes = serde_json::to_vec(&body).expect("JSON");
    let target = signed_target(&emulator, Api::V2GetBalance, Env::Sandbox, &bytes, &Signing::default());
    assert_eq!(errcode(&post(&emulator, &target, &bytes).await), 0);
    for param in ["signature", "sig_method", "pay_sig"] {
        let (path, query) = target.split_once('?').expect("a query");
        let kept: Vec<&str> =
            query.split('&').filter(|pair| !pair.starts_with(&format!("{param}="))).collect();
        let answer = post(&emulator, &format!("{path}?{}", kept.join("&")), &bytes).await;
        assert_names_field(&answer, 90018, param);
    }
    let md5 = target.replace("sig_method=hmac_sha256", "sig_method=md5");
    assert_names_field(&post(&emulator, &md5, &bytes).await, 90018, "sig_method");
    let no_token = target
        .replace(&format!("access_token={}", emulator.access_token().expose_secret()), "access_token=old");
    assert_eq!(errcode(&post(&emulator, &no_token, &bytes).await), 40001);
}

#[tokio::test]
async fn parameter_errors_are_90018_naming_the_field() {
    let emulator = started(100).await;
    let cases: [(Api, &str, Value); 8] = [
        (Api::V2GetBalance, "openid", Value::Null),
        (Api::V2GetBalance, "env", json!(2)),
        (Api::V2GetBalance, "offer_id", json!("87654321")),
        (Api::V2GetBalance, "zone_id", json!(1)),
        (Api::V2Pay, "amount", json!(0)),
        (Api::V2Pay, "bill_no", json!("_leading_underscore")),
        (Api::V2Present, "amount", json!(-5)),
        (Api::V2CancelPay, "pay_bill_no", json!("bill no")),
    ];
    for (api, field, value) in cases {
        let mut body = sample_body(api);
        if let Some(object) = body.as_object_mut() {
            match value {
                Value::Null => object.remove(field),
                value => object.insert(field.to_owned(), value),
            };
        }
        assert_names_field(&signed(&emulator, api, &body).await, 90018, field);
    }
    let answer =
        post(&emulator, &signed_target(&emulator, Api::V2Pay, Env::Sandbox, b"{", &Signing::default()), b"{")
            .await;
    assert_eq!(errcode(&answer), 90018);
}

#[tokio::test]
async fn an_unknown_logged_out_or_relogged_player_is_90016() {
    let emulator = started(100).await;
    let mut stranger = sample_body(Api::V2GetBalance);
    stranger["openid"] = json!("stranger");
    assert_eq!(errcode(&signed(&emulator, Api::V2GetBalance, &stranger).await), 90016);
    // A new login replaces the session key: a signature with the old one is an expired session.
    emulator.add_player(OPENID, session_key("session-key-new"), 0);
    assert_eq!(errcode(&balance(&emulator).await), 90016);
    let fresh = Signing { session_key: Some("session-key-new"), ..Signing::default() };
    assert_eq!(
        errcode(&send(&emulator, Api::V2GetBalance, &sample_body(Api::V2GetBalance), &fresh).await),
        0
    );
    emulator.log_out(OPENID);
    assert_eq!(
        errcode(&send(&emulator, Api::V2GetBalance, &sample_body(Api::V2GetBalance), &fresh).await),
        90016
    );
}

#[tokio::test]
async fn env_picks_the_payment_key_and_the_books() {
    let emulator = started(100).await;
    let mut production = v2_body(json!({ "amount": 30, "bill_no": "bill-1" }));
    production["env"] = json!(0);
    assert_eq!(errcode(&signed(&emulator, Api::V2Pay, &production).await), 0);
    let signing =
        Signing { pay_sig_key: Some(emulator.payment_key(Env::Sandbox).clone()), ..Signing::default() };
    assert_eq!(errcode(&send(&emulator, Api::V2Pay, &production, &signing).await), 90011);
    assert_eq!(emulator.balance(Env::Production, OPENID).map(|b| b.balance), Some(70));
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(100));
    // The same bill_no is free in the other environment.
    assert_eq!(errcode(&pay(&emulator, "bill-1", 30).await), 0);
}

#[tokio::test]
async fn faults_strike_midas_2_calls_per_api() {
    let emulator = started(100).await;
    emulator.inject_for(Api::Pay, Fault::BusyBefore);
    emulator.inject_for(Api::V2Pay, Fault::BusyAfter);
    let answer = pay(&emulator, "bill-1", 40).await;
    assert_eq!(errcode(&answer), -1, "applied, then busy");
    assert_eq!(emulator.pending_faults(), 1, "the Midas 1.0 pay fault still waits");
    let retried = pay(&emulator, "bill-1", 40).await;
    assert_eq!((errcode(&retried), retried["balance"].as_i64()), (0, Some(60)));
    assert_eq!(emulator.effects().len(), 1, "deducted once");

    emulator.clear_faults();
    emulator.inject_for(Api::V2Present, Fault::DropAfter);
    let body = serde_json::to_vec(&v2_body(json!({ "amount": 5, "bill_no": "gift-1" }))).expect("JSON");
    let target = signed_target(&emulator, Api::V2Present, Env::Sandbox, &body, &Signing::default());
    let raw = support::exchange(&emulator, "POST", &target, &body).await;
    assert!(raw.is_empty(), "closed without an answer");
    assert_eq!(
        emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance),
        Some(65),
        "applied before the drop"
    );
}
