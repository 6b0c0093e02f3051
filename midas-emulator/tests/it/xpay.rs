//! xpay (`/xpay/*`) over raw HTTP: bodies serialised with serde_json, signed with midas-core's
//! `pay_sig` (and `signature` where the API takes it) over the exact bytes sent.

use midas_emulator::{Api, AppKey, Change, Emulator, Env, Fault};
use serde_json::{Value, json};

use crate::support::{
    self, OPENID, Signing, assert_names_field, errcode, post, sample_body, send, session_key, signed,
    signed_target, started, xpay_body,
};

/// The APIs that take `signature` besides `pay_sig`.
const WITH_SIGNATURE: [Api; 3] = [Api::QueryUserBalance, Api::CurrencyPay, Api::CancelCurrencyPay];

fn takes_signature(api: Api) -> bool {
    WITH_SIGNATURE.contains(&api)
}

/// The signing of `api` as a correct client does it.
fn signing_of(api: Api) -> Signing<'static> {
    Signing {
        session_key: if takes_signature(api) { Some(support::SESSION_KEY) } else { None },
        ..Signing::default()
    }
}

async fn pay(emulator: &Emulator, order_id: &str, amount: i64) -> Value {
    signed(emulator, Api::CurrencyPay, &xpay_body(json!({ "amount": amount, "order_id": order_id }))).await
}

async fn present(emulator: &Emulator, order_id: &str, amount: i64) -> Value {
    signed(emulator, Api::PresentCurrency, &xpay_body(json!({ "amount": amount, "order_id": order_id })))
        .await
}

async fn cancel(emulator: &Emulator, pay_order_id: &str, order_id: &str, amount: i64) -> Value {
    let body = xpay_body(json!({ "pay_order_id": pay_order_id, "order_id": order_id, "amount": amount }));
    signed(emulator, Api::CancelCurrencyPay, &body).await
}

async fn query_order(emulator: &Emulator, order_id: &str) -> Value {
    signed(emulator, Api::QueryOrder, &xpay_body(json!({ "order_id": order_id }))).await
}

#[tokio::test]
async fn query_user_balance_reports_the_account_under_its_xpay_names() {
    let emulator = started(0).await;
    let answer = signed(&emulator, Api::QueryUserBalance, &sample_body(Api::QueryUserBalance)).await;
    assert_eq!(
        answer,
        json!({
            "errcode": 0, "errmsg": "ok", "balance": 0, "present_balance": 0, "sum_save": 0,
            "sum_present": 0, "sum_balance": 0, "sum_cost": 0, "first_save_flag": true,
        })
    );
    // user_ip is optional.
    let answer = signed(&emulator, Api::QueryUserBalance, &json!({ "openid": OPENID, "env": 1 })).await;
    assert_eq!(errcode(&answer), 0, "{answer}");
}

#[tokio::test]
async fn present_currency_takes_pay_sig_only_and_currency_pay_spends_gifts_first() {
    let emulator = started(100).await;
    let gifted = present(&emulator, "gift-1", 30).await;
    assert_eq!(
        gifted,
        json!({ "errcode": 0, "errmsg": "ok", "balance": 130, "order_id": "gift-1", "present_balance": 30 })
    );
    let paid = pay(&emulator, "order-1", 50).await;
    assert_eq!(
        paid,
        json!({ "errcode": 0, "errmsg": "ok", "order_id": "order-1", "balance": 80, "used_present_amount": 30 })
    );
    let apis: Vec<Api> = emulator.effects().iter().map(|effect| effect.api).collect();
    assert_eq!(apis, [Api::PresentCurrency, Api::CurrencyPay]);
}

#[tokio::test]
async fn cancel_currency_pay_refunds_part_of_a_pay_once() {
    let emulator = started(100).await;
    pay(&emulator, "order-1", 40).await;
    assert_names_field(&cancel(&emulator, "order-1", "refund-1", 41).await, 268_490_002, "amount");
    let refunded = cancel(&emulator, "order-1", "refund-1", 15).await;
    assert_eq!(refunded, json!({ "errcode": 0, "errmsg": "ok", "order_id": "refund-1" }));
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(75));
    assert_eq!(errcode(&cancel(&emulator, "order-1", "refund-2", 5).await), 268_490_005, "already refunded");
    assert_names_field(&cancel(&emulator, "no-such-order", "refund-3", 5).await, 268_490_002, "pay_order_id");
    let effect = emulator.effects().pop().expect("the refund");
    assert_eq!((effect.api, effect.bill_no.as_str()), (Api::CancelCurrencyPay, "refund-1"));
    assert_eq!(
        effect.change,
        Change::Refund { pay_bill_no: "order-1".into(), amount: 15, restored_gen_amt: 0 }
    );
}

#[tokio::test]
async fn repeated_operations_are_268490004_and_applied_once() {
    let emulator = started(100).await;
    assert_eq!(errcode(&present(&emulator, "gift-1", 10).await), 0);
    assert_eq!(errcode(&present(&emulator, "gift-1", 10).await), 268_490_004);
    assert_eq!(errcode(&pay(&emulator, "order-1", 40).await), 0);
    assert_eq!(errcode(&pay(&emulator, "order-1", 40).await), 268_490_004);
    assert_eq!(errcode(&cancel(&emulator, "order-1", "refund-1", 40).await), 0);
    assert_eq!(errcode(&cancel(&emulator, "order-1", "refund-1", 40).await), 268_490_004);
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(110));
    assert_eq!(emulator.effects().len(), 3);
    // Another order under a used order_id is not a repeat.
    assert_names_field(&pay(&emulator, "order-1", 41).await, 268_490_002, "order_id");
    assert_names_field(&present(&emulator, "order-1", 10).await, 268_490_002, "order_id");
    assert_eq!(emulator.effects().len(), 3);
}

#[tokio::test]
async fn currency_pay_beyond_the_balance_is_268490006() {
    let emulator = started(100).await;
    assert_eq!(errcode(&pay(&emulator, "order-1", 101).await), 268_490_006);
    assert_eq!(errcode(&pay(&emulator, "order-1", 100).await), 0, "the order_id stayed free");
}

#[tokio::test]
async fn query_order_shows_delivered_and_refunded_orders() {
    let emulator = started(100).await;
    pay(&emulator, "order-1", 40).await;
    present(&emulator, "gift-1", 5).await;
    let answer = query_order(&emulator, "order-1").await;
    assert_eq!(errcode(&answer), 0, "{answer}");
    let order = &answer["order"];
    assert_eq!(
        ["status", "order_type", "order_fee", "refund_fee", "left_fee", "env_type"]
            .map(|name| order[name].as_i64()),
        [Some(4), Some(0), Some(40), Some(0), Some(40), Some(2)]
    );
    assert_eq!(order["order_id"], "order-1");
    cancel(&emulator, "order-1", "refund-1", 10).await;
    let order = query_order(&emulator, "order-1").await["order"].clone();
    assert_eq!(
        ["status", "refund_fee", "left_fee"].map(|name| order[name].as_i64()),
        [Some(5), Some(10), Some(30)]
    );
    let refund = query_order(&emulator, "refund-1").await["order"].clone();
    assert_eq!(["status", "order_type"].map(|name| refund[name].as_i64()), [Some(5), Some(1)]);
    assert_eq!(query_order(&emulator, "gift-1").await["order"]["status"], 4);
    assert_names_field(&query_order(&emulator, "no-such-order").await, 268_490_002, "order_id");
}

#[tokio::test]
async fn notify_provide_goods_knows_pay_and_present_orders_of_the_env() {
    let emulator = started(100).await;
    pay(&emulator, "order-1", 40).await;
    let notify = |order_id: &str, env: i64| json!({ "order_id": order_id, "env": env });
    let answer = signed(&emulator, Api::NotifyProvideGoods, &notify("order-1", 1)).await;
    assert_eq!(answer, json!({ "errcode": 0, "errmsg": "ok" }));
    let elsewhere = signed(&emulator, Api::NotifyProvideGoods, &notify("order-1", 0)).await;
    assert_names_field(&elsewhere, 268_490_002, "order_id");
    assert_eq!(emulator.effects().len(), 1, "nothing changes");
}

#[tokio::test]
async fn a_wrong_pay_sig_is_268490003() {
    let emulator = started(100).await;
    let midas1_key = emulator.sandbox_key().clone();
    let production_payment_key = emulator.payment_key(Env::Production).clone();
    for api in Api::XPAY {
        for key in [&midas1_key, &production_payment_key, &AppKey::new("not-the-key").expect("not empty")] {
            let signing = Signing { pay_sig_key: Some(key.clone()), ..signing_of(api) };
            let answer = send(&emulator, api, &sample_body(api), &signing).await;
            assert_eq!(errcode(&answer), 268_490_003, "{api}: {answer}");
        }
    }
    assert!(emulator.effects().is_empty());
}

#[tokio::test]
async fn a_wrong_signature_is_268490003() {
    let emulator = started(100).await;
    for api in WITH_SIGNATURE {
        let signing = Signing { session_key: Some("not-the-session-key"), ..Signing::default() };
        let answer = send(&emulator, api, &sample_body(api), &signing).await;
        assert_eq!(errcode(&answer), 268_490_003, "{api}: {answer}");
        let unsigned = Signing { session_key: None, ..Signing::default() };
        assert_names_field(
            &send(&emulator, api, &sample_body(api), &unsigned).await,
            268_490_002,
            "signature",
        );
    }
    assert!(emulator.effects().is_empty());
}

#[tokio::test]
async fn a_body_respaced_after_signing_is_refused() {
    let emulator = started(100).await;
    for api in Api::XPAY {
        let body = sample_body(api);
        let signed_bytes = serde_json::to_vec(&body).expect("JSON");
        let sent_bytes = serde_json::to_vec_pretty(&body).expect("JSON");
        let signing = Signing { signed_bytes: Some(&signed_bytes), ..signing_of(api) };
        let target = signed_target(&emulator, api, Env::Sandbox, &sent_bytes, &signing);
        assert_eq!(errcode(&post(&emulator, &target, &sent_bytes).await), 268_490_003, "{api}");
    }
    for api in WITH_SIGNATURE {
        // pay_sig over the sent bytes, signature over the compact ones.
        let body = sample_body(api);
        let signed_bytes = serde_json::to_vec(&body).expect("JSON");
        let sent_bytes = serde_json::to_vec_pretty(&body).expect("JSON");
        let honest = signed_target(&emulator, api, Env::Sandbox, &sent_bytes, &Signing::default());
        let stale = signed_target(&emulator, api, Env::Sandbox, &signed_bytes, &Signing::default());
        let pay_sig = honest.split("&pay_sig=").nth(1).expect("pay_sig");
        let target = format!("{}&pay_sig={pay_sig}", stale.split("&pay_sig=").next().expect("head"));
        assert_eq!(errcode(&post(&emulator, &target, &sent_bytes).await), 268_490_003, "{api}");
    }
    assert!(emulator.effects().is_empty());
}

#[tokio::test]
async fn unknown_and_logged_out_players_are_told_apart() {
    let emulator = started(100).await;
    for api in Api::XPAY.into_iter().filter(|api| *api != Api::NotifyProvideGoods) {
        let mut body = sample_body(api);
        body["openid"] = json!("stranger");
        assert_eq!(errcode(&send(&emulator, api, &body, &signing_of(api)).await), 268_490_001, "{api}");
    }
    emulator.log_out(OPENID);
    for api in WITH_SIGNATURE {
        assert_eq!(errcode(&signed(&emulator, api, &sample_body(api)).await), 268_490_009, "{api}");
    }
    // A new login replaces the session key: a signature with the old one is an expired session.
    emulator.add_player(OPENID, session_key("session-key-new"), 0);
    assert_eq!(
        errcode(&signed(&emulator, Api::QueryUserBalance, &sample_body(Api::QueryUserBalance)).await),
        268_490_009
    );
    let fresh = Signing { session_key: Some("session-key-new"), ..Signing::default() };
    let answer = send(&emulator, Api::QueryUserBalance, &sample_body(Api::QueryUserBalance), &fresh).await;
    assert_eq!(errcode(&answer), 0);
    // APIs without signature need no login.
    assert_eq!(errcode(&present(&emulator, "gift-1", 10).await), 0);
}

#[tokio::test]
async fn parameter_errors_are_268490002_naming_the_field() {
    let emulator = started(100).await;
    let cases: [(Api, &str, Value); 7] = [
        (Api::QueryUserBalance, "openid", Value::Null),
        (Api::QueryUserBalance, "env", json!(3)),
        (Api::QueryUserBalance, "user_ip", json!(127)),
        (Api::CurrencyPay, "amount", json!(0)),
        (Api::CurrencyPay, "order_id", json!("order/1")),
        (Api::PresentCurrency, "amount", json!("10")),
        (Api::NotifyProvideGoods, "openid", json!(OPENID)),
    ];
    for (api, field, value) in cases {
        let mut body = sample_body(api);
        if let Some(object) = body.as_object_mut() {
            match value {
                Value::Null => object.remove(field),
                value => object.insert(field.to_owned(), value),
            };
        }
        assert_names_field(&send(&emulator, api, &body, &signing_of(api)).await, 268_490_002, field);
    }
    let target = signed_target(
        &emulator,
        Api::PresentCurrency,
        Env::Sandbox,
        b"[]",
        &signing_of(Api::PresentCurrency),
    );
    assert_eq!(errcode(&post(&emulator, &target, b"[]").await), 268_490_002);
    let no_pay_sig = target.split("&pay_sig=").next().expect("head").to_owned();
    assert_names_field(&post(&emulator, &no_pay_sig, b"{}").await, 268_490_002, "pay_sig");
}

#[tokio::test]
async fn faults_strike_xpay_calls_per_api() {
    let emulator = started(100).await;
    emulator.inject_for(Api::CurrencyPay, Fault::BusyAfter);
    assert_eq!(errcode(&pay(&emulator, "order-1", 40).await), -1);
    // The retry finds the pay applied: xpay says the previous operation succeeded.
    assert_eq!(errcode(&pay(&emulator, "order-1", 40).await), 268_490_004);
    emulator.inject_for(Api::PresentCurrency, Fault::BusyBefore);
    assert_eq!(errcode(&present(&emulator, "gift-1", 10).await), -1);
    assert_eq!(errcode(&present(&emulator, "gift-1", 10).await), 0, "not applied before");
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(70));
    assert_eq!(emulator.fault_counts().total(), 2);
}
