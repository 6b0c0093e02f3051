//! The subscription APIs end to end: a player signs up (the emulator's desk), the service
//! reads the contract, notifies, charges and cancels; a cancelled contract takes no more.

use midas_api::{Client, Env, Error, Player, ReqwestTransport, StaticToken, xpay};
use midas_emulator::{ContractState, Emulator};
use midas_tests::emulator_config;

const PRODUCT: &str = "vip_monthly";
const CONTRACT: &str = "contract-0001";

async fn setup(env: Env) -> (Emulator, Client<ReqwestTransport, StaticToken>, Player) {
    let emulator = Emulator::start().await.unwrap();
    let config = emulator_config(&emulator, env).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    (emulator, client, Player::new("player-1"))
}

fn charge(emulator: &Emulator, order_id: &str, deduct_price: i64) -> xpay::SubmitSubscribePayOrder {
    xpay::SubmitSubscribePayOrder::new(xpay::SubscribeCharge {
        offer_id: emulator.offer_id().into(),
        product_id: PRODUCT.into(),
        deduct_price,
        order_id: order_id.into(),
        attach: "month 12".into(),
    })
    .unwrap()
}

fn query() -> xpay::QuerySubscribeContract {
    xpay::QuerySubscribeContract { product_id: PRODUCT.into(), out_contract_code: CONTRACT.into() }
}

fn errcode<T: std::fmt::Debug>(result: Result<T, Error>) -> i64 {
    match result {
        Err(Error::Api(error)) => error.errcode(),
        other => panic!("expected a refusal by Midas, got {other:?}"),
    }
}

#[tokio::test]
async fn a_signed_contract_is_notified_charged_and_cancelled() {
    let (emulator, client, player) = setup(Env::Production).await;
    let state = client.call(&player, &query()).await.unwrap().authorization_state;
    assert_eq!(state, xpay::AuthorizationState::NeverSigned);
    assert!(emulator.subscriptions().sign_up("player-1", PRODUCT, CONTRACT, 1_500));
    assert_eq!(
        client.call(&player, &query()).await.unwrap().authorization_state,
        xpay::AuthorizationState::Signed
    );

    let notice = xpay::SendSubscribePrePayment::new(PRODUCT, CONTRACT, 1_500).unwrap();
    client.call(&player, &notice).await.unwrap();
    assert_eq!(emulator.subscriptions().contract(PRODUCT, CONTRACT).unwrap().pending_notice, Some(1_500));
    assert_eq!(errcode(client.call(&player, &notice).await), 690_000_001, "one notice per charge");

    client.call(&player, &charge(&emulator, "sub-2026-11-0001", 1_500)).await.unwrap();
    let contract = emulator.subscriptions().contract(PRODUCT, CONTRACT).unwrap();
    assert_eq!(contract.pending_notice, None, "the charge used the notice up");
    assert_eq!(
        contract.orders.iter().map(|o| (o.order_id.as_str(), o.deduct_price)).collect::<Vec<_>>(),
        vec![("sub-2026-11-0001", 1_500)]
    );
    assert_eq!(
        errcode(client.call(&player, &charge(&emulator, "sub-2026-11-0002", 1_500)).await),
        -15_025,
        "no second charge on one notice"
    );

    let cancel = xpay::CancelSubscribeContract {
        product_id: PRODUCT.into(),
        out_contract_code: CONTRACT.into(),
        termination_reason: "the player asked".into(),
    };
    client.call(&player, &cancel).await.unwrap();
    assert_eq!(
        client.call(&player, &query()).await.unwrap().authorization_state,
        xpay::AuthorizationState::Terminated
    );
    let contract = emulator.subscriptions().contract(PRODUCT, CONTRACT).unwrap();
    assert_eq!(
        (contract.state, contract.termination_reason.as_deref()),
        (ContractState::Terminated, Some("the player asked"))
    );

    // A cancelled contract takes no notice and no charge.
    assert_eq!(errcode(client.call(&player, &notice).await), 690_000_000);
    assert_eq!(errcode(client.call(&player, &charge(&emulator, "sub-2026-11-0003", 1_500)).await), -15_025);
    assert_eq!(errcode(client.call(&player, &cancel).await), 690_000_000);
    assert_eq!(emulator.subscriptions().contract(PRODUCT, CONTRACT).unwrap().orders.len(), 1);
    assert!(
        !emulator.subscriptions().sign_up("player-1", PRODUCT, CONTRACT, 1_500),
        "an ended code is not signed again"
    );
}

#[tokio::test]
async fn charges_are_checked_against_the_notice_the_order_id_and_the_environment() {
    let (emulator, client, player) = setup(Env::Production).await;
    assert!(emulator.subscriptions().sign_up("player-1", PRODUCT, CONTRACT, 1_500));
    let too_high = xpay::SendSubscribePrePayment::new(PRODUCT, CONTRACT, 1_501).unwrap();
    assert_eq!(errcode(client.call(&player, &too_high).await), 674_690_001, "above the item's price");
    client
        .call(&player, &xpay::SendSubscribePrePayment::new(PRODUCT, CONTRACT, 1_000).unwrap())
        .await
        .unwrap();

    assert_eq!(errcode(client.call(&player, &charge(&emulator, "sub-price-0001", 1_001)).await), -15_027);
    let stranger = Player::new("player-2");
    assert_eq!(
        errcode(client.call(&stranger, &charge(&emulator, "sub-other-0001", 1_000)).await),
        -15_025,
        "not their contract"
    );
    assert_eq!(
        client.call(&stranger, &query()).await.unwrap().authorization_state,
        xpay::AuthorizationState::NeverSigned
    );
    let wrong_offer = xpay::SubmitSubscribePayOrder::new(xpay::SubscribeCharge {
        offer_id: "99999999".into(),
        product_id: PRODUCT.into(),
        deduct_price: 1_000,
        order_id: "sub-offer-0001".into(),
        attach: "a".into(),
    })
    .unwrap();
    assert_eq!(errcode(client.call(&player, &wrong_offer).await), -15_001);
    client.call(&player, &charge(&emulator, "sub-ok-000001", 1_000)).await.unwrap();

    // A reused order id, even with a new notice.
    client
        .call(&player, &xpay::SendSubscribePrePayment::new(PRODUCT, CONTRACT, 1_000).unwrap())
        .await
        .unwrap();
    assert_eq!(errcode(client.call(&player, &charge(&emulator, "sub-ok-000001", 1_000)).await), -15_002);
    assert_eq!(
        emulator.subscriptions().contract(PRODUCT, CONTRACT).unwrap().pending_notice,
        Some(1_000),
        "the notice waits"
    );

    // The sandbox takes no subscription charge.
    let (sandbox, sandbox_client, _) = setup(Env::Sandbox).await;
    assert!(sandbox.subscriptions().sign_up("player-1", PRODUCT, CONTRACT, 1_500));
    sandbox_client
        .call(&player, &xpay::SendSubscribePrePayment::new(PRODUCT, CONTRACT, 1_000).unwrap())
        .await
        .unwrap();
    assert_eq!(
        errcode(sandbox_client.call(&player, &charge(&sandbox, "sub-sandbox-01", 1_000)).await),
        -15_011
    );
    assert!(sandbox.subscriptions().contract(PRODUCT, CONTRACT).unwrap().orders.is_empty());
}

#[tokio::test]
async fn bad_subscription_input_is_refused_before_sending() {
    let (emulator, client, player) = setup(Env::Production).await;
    let requests = emulator.requests();
    assert_eq!(
        xpay::SendSubscribePrePayment::new(PRODUCT, CONTRACT, 99).unwrap_err().field(),
        "deduct_price"
    );
    assert_eq!(xpay::SendSubscribePrePayment::new("", CONTRACT, 100).unwrap_err().field(), "product_id");
    let base = xpay::SubscribeCharge {
        offer_id: emulator.offer_id().into(),
        product_id: PRODUCT.into(),
        deduct_price: 100,
        order_id: "sub-0001".into(),
        attach: "a".into(),
    };
    assert!(xpay::SubmitSubscribePayOrder::new(base.clone()).is_ok(), "8 characters is enough");
    for (order_id, why) in
        [("sub-001", "7 characters"), ("s".repeat(33).as_str(), "33 characters"), ("sub 0001", "a space")]
    {
        let refused = xpay::SubmitSubscribePayOrder::new(xpay::SubscribeCharge {
            order_id: order_id.into(),
            ..base.clone()
        });
        assert_eq!(refused.unwrap_err().field(), "order_id", "{why}");
    }
    assert_eq!(
        xpay::SubmitSubscribePayOrder::new(xpay::SubscribeCharge { deduct_price: 0, ..base.clone() })
            .unwrap_err()
            .field(),
        "deduct_price"
    );

    let blank = xpay::CancelSubscribeContract {
        product_id: PRODUCT.into(),
        out_contract_code: CONTRACT.into(),
        termination_reason: String::new(),
    };
    let refused = client.call(&player, &blank).await;
    assert!(
        matches!(&refused, Err(Error::Validation(error)) if error.field() == "termination_reason"),
        "{refused:?}"
    );
    assert_eq!(emulator.requests(), requests, "nothing was sent");
}

#[test]
fn contract_states_decode_as_documented_and_unknown_ones_are_kept() {
    for (text, state) in [
        ("SIGNED", xpay::AuthorizationState::Signed),
        ("TERMINATED", xpay::AuthorizationState::Terminated),
        ("UNBINDUSER", xpay::AuthorizationState::NeverSigned),
        ("PAUSED", xpay::AuthorizationState::Other("PAUSED".into())),
    ] {
        let body = format!(r#"{{"authorization_state":"{text}"}}"#);
        let answer: xpay::QuerySubscribeContractResponse = serde_json::from_str(&body).unwrap();
        assert_eq!(answer.authorization_state, state);
    }
}
