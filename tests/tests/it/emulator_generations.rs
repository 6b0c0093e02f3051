//! Midas 2.0 and xpay, client ↔ emulator over real loopback HTTP: a round trip for every new
//! endpoint in both environments, one ledger shared with Midas 1.0, each generation's typed
//! errors, and retries that move money once.

use std::time::Duration;

use midas_api::{
    ApiErrorKind, AppKey, Client, Env, Error, Player, Present, ReqwestTransport, RetryPolicy, SessionKey,
    StaticToken, v2, xpay,
};
use midas_emulator::{Api, Emulator, Fault};
use midas_tests::emulator_config;

const OPENID: &str = "player-2";
const SESSION_KEY: &str = "9hAb/NEYUlkaMBEsmFgzig==";

async fn emulator() -> Emulator {
    let emulator = Emulator::start().await.expect("the emulator starts");
    emulator.add_player(OPENID, SessionKey::new(SESSION_KEY).unwrap(), 100);
    emulator
}

fn player() -> Player {
    Player::new(OPENID).with_session_key(SessionKey::new(SESSION_KEY).unwrap()).with_user_ip("127.0.0.1")
}

fn client_with_key(
    emulator: &Emulator,
    env: Env,
    payment_key: AppKey,
) -> Client<ReqwestTransport, StaticToken> {
    let builder = emulator_config(emulator, env)
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)));
    let builder = match env {
        Env::Production => builder.payment_production_key(payment_key),
        Env::Sandbox => builder.payment_sandbox_key(payment_key),
    };
    Client::new(builder.build().unwrap(), StaticToken::new(emulator.access_token())).unwrap()
}

fn client(emulator: &Emulator, env: Env) -> Client<ReqwestTransport, StaticToken> {
    client_with_key(emulator, env, emulator.payment_key(env).clone())
}

#[tokio::test]
async fn every_midas2_endpoint_round_trips_in_both_envs() {
    let emulator = emulator().await;
    for env in [Env::Production, Env::Sandbox] {
        let client = client(&emulator, env);
        let player = player();
        let start = client.v2().get_balance(&player).await.unwrap();
        assert_eq!(start.balance, 100);
        let gift = client
            .v2()
            .present(&player, v2::Present { amount: 20, bill_no: "v2-gift".into() })
            .await
            .unwrap();
        assert_eq!(gift.balance, 120);
        let paid = client
            .v2()
            .pay(
                &player,
                v2::Pay {
                    amount: 30,
                    bill_no: "v2-pay".into(),
                    payitem: Some("sword".into()),
                    remark: Some("备注".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!((paid.balance, paid.used_present_amount), (90, 20));
        let refund =
            v2::CancelPay { pay_bill_no: "v2-pay".into(), bill_no: "v2-refund-1".into(), amount: 10 };
        assert_eq!(client.v2().cancel_pay(&player, refund).await.unwrap().bill_no, "v2-refund-1");
        let order = client
            .v2()
            .query_order(&player, v2::QueryOrder { out_trade_no: "v2-pay".into(), biz_id: 1 })
            .await
            .unwrap();
        assert_eq!((order.pay_state, order.deliver_state), (2, 2));
        let end = client.v2().get_balance(&player).await.unwrap();
        assert_eq!((end.balance, end.sum_cost), (100, 20), "{env}");
    }
}

#[tokio::test]
async fn every_xpay_endpoint_round_trips_in_both_envs() {
    let emulator = emulator().await;
    for env in [Env::Production, Env::Sandbox] {
        let client = client(&emulator, env);
        let player = player();
        assert_eq!(client.xpay().query_user_balance(&player).await.unwrap().balance, 100);
        let gift = client
            .xpay()
            .present_currency(&player, xpay::PresentCurrency { order_id: "x-gift".into(), amount: 5 })
            .await
            .unwrap();
        assert_eq!((gift.balance, gift.present_balance), (105, 5));
        let paid = client
            .xpay()
            .currency_pay(
                &player,
                xpay::CurrencyPay { amount: 15, order_id: "x-pay".into(), payitem: None, remark: None },
            )
            .await
            .unwrap();
        assert_eq!((paid.balance, paid.used_present_amount), (90, 5));
        let refund =
            xpay::CancelCurrencyPay { pay_order_id: "x-pay".into(), order_id: "x-refund".into(), amount: 15 };
        assert_eq!(client.xpay().cancel_currency_pay(&player, refund).await.unwrap().order_id, "x-refund");
        let order = client.xpay().query_order(&player, xpay::QueryOrder::by_order_id("x-pay")).await.unwrap();
        assert_eq!(order.order.status, midas_api::xpay::OrderStatus::Refunded, "refunded");
        client
            .xpay()
            .notify_provide_goods(&player, xpay::NotifyProvideGoods::by_order_id("x-gift"))
            .await
            .unwrap();
        assert_eq!(client.xpay().query_user_balance(&player).await.unwrap().balance, 105, "{env}");
    }
}

#[tokio::test]
async fn one_player_migrates_from_midas1_to_midas2_on_the_same_books() {
    let emulator = emulator().await;
    let client = client(&emulator, Env::Sandbox);
    let player = player();
    client.present(&player, Present { bill_no: "v1-gift".into(), present_counts: 50 }).await.unwrap();
    let paid = client
        .v2()
        .pay(&player, v2::Pay { amount: 70, bill_no: "v2-order".into(), payitem: None, remark: None })
        .await
        .unwrap();
    assert_eq!((paid.balance, paid.used_present_amount), (80, 50));
    assert_eq!(client.get_balance(&player).await.unwrap().balance, 80, "1.0 sees the 2.0 pay");
    assert_eq!(client.xpay().query_user_balance(&player).await.unwrap().balance, 80);
}

#[tokio::test]
async fn each_generation_reports_its_own_signature_errors() {
    let emulator = emulator().await;
    let wrong_key = client_with_key(&emulator, Env::Sandbox, AppKey::new("not-the-payment-key").unwrap());
    let err = wrong_key.v2().get_balance(&player()).await.unwrap_err();
    assert_eq!(err.as_api().map(|api| (api.errcode(), api.kind())), Some((90011, ApiErrorKind::SigRejected)));
    let err = wrong_key.xpay().query_user_balance(&player()).await.unwrap_err();
    assert_eq!(
        err.as_api().map(|api| (api.errcode(), api.kind())),
        Some((268490003, ApiErrorKind::SigRejected))
    );

    let client = client(&emulator, Env::Sandbox);
    let stranger =
        Player::new(OPENID).with_session_key(SessionKey::new("a-key-the-player-never-had==").unwrap());
    let err = client.v2().get_balance(&stranger).await.unwrap_err();
    assert_eq!(
        err.as_api().map(|api| (api.errcode(), api.kind())),
        Some((90010, ApiErrorKind::MpSigRejected))
    );
    let err = client
        .v2()
        .pay(&player(), v2::Pay { amount: 1000, bill_no: "too-much".into(), payitem: None, remark: None })
        .await
        .unwrap_err();
    assert_eq!(err.as_api().map(|api| api.kind()), Some(ApiErrorKind::InsufficientBalance));
}

#[tokio::test]
async fn retried_body_signed_calls_move_money_once() {
    let emulator = emulator().await;
    let client = client(&emulator, Env::Sandbox);
    let player = player();

    emulator.inject_for(Api::V2Pay, Fault::DropAfter);
    let paid = client
        .v2()
        .pay(&player, v2::Pay { amount: 10, bill_no: "v2-once".into(), payitem: None, remark: None })
        .await
        .unwrap();
    assert_eq!(paid.balance, 90, "the repeat answers the first result");

    emulator.inject_for(Api::PresentCurrency, Fault::BusyAfter);
    let err = client
        .xpay()
        .present_currency(&player, xpay::PresentCurrency { order_id: "x-once".into(), amount: 7 })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyProcessed { api: "present_currency", ref bill_no } if bill_no == "x-once"),
        "{err:?}"
    );

    let balance = client.xpay().query_user_balance(&player).await.unwrap();
    assert_eq!(balance.balance, 97, "one pay of 10 and one gift of 7, each applied once");
    let applied: Vec<String> = emulator.effects().into_iter().map(|effect| effect.bill_no).collect();
    assert_eq!(applied.iter().filter(|bill| *bill == "v2-once").count(), 1);
    assert_eq!(applied.iter().filter(|bill| *bill == "x-once").count(), 1);
}
