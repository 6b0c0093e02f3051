//! One wallet per environment, player and zone behind all three generations: a migration from
//! Midas 1.0 to Midas 2.0 (or xpay) keeps the player's coins and orders; zones keep theirs
//! apart; amounts that would overflow a wallet are refused whole.

use midas_emulator::{Api, Change, DEFAULT_ZONE_ID, Env};
use serde_json::json;

use crate::support::{
    CANCEL_PAY, Money1, OPENID, PAY, PRESENT, errcode, money_v1, present_v1, signed, started, v2_body,
    xpay_body,
};

#[tokio::test]
async fn coins_gifted_through_midas_1_are_paid_through_midas_2() {
    let emulator = started(100).await;
    let gifted = present_v1(&emulator, Env::Sandbox, "gift-1", 50).await;
    assert_eq!((errcode(&gifted), gifted["balance"].as_i64()), (0, Some(150)), "{gifted}");

    let balance = signed(&emulator, Api::V2GetBalance, &v2_body(json!({}))).await;
    assert_eq!((balance["balance"].as_i64(), balance["present_balance"].as_i64()), (Some(150), Some(50)));

    let paid = signed(&emulator, Api::V2Pay, &v2_body(json!({ "amount": 70, "bill_no": "bill-1" }))).await;
    assert_eq!((paid["balance"].as_i64(), paid["used_present_amount"].as_i64()), (Some(80), Some(50)));

    let seen_by_xpay = signed(&emulator, Api::QueryUserBalance, &xpay_body(json!({}))).await;
    let numbers =
        ["balance", "present_balance", "sum_present", "sum_cost"].map(|name| seen_by_xpay[name].as_i64());
    assert_eq!(numbers, [Some(80), Some(0), Some(50), Some(70)]);

    let effects = emulator.effects();
    let story: Vec<(Api, Change)> =
        effects.iter().map(|effect| (effect.api, effect.change.clone())).collect();
    assert_eq!(
        story,
        [
            (Api::Present, Change::Present { present_counts: 50 }),
            (Api::V2Pay, Change::Pay { amt: 70, used_gen_amt: 50 }),
        ]
    );
    assert_eq!(emulator.balance(Env::Production, OPENID).map(|b| b.balance), Some(100), "the sandbox only");
}

#[tokio::test]
async fn a_midas_1_present_bill_is_found_and_kept_by_the_newer_apis() {
    let emulator = started(100).await;
    assert_eq!(errcode(&present_v1(&emulator, Env::Sandbox, "gift-1", 10).await), 0);
    let query = v2_body(json!({ "out_trade_no": "gift-1", "biz_id": 1 }));
    assert_eq!(errcode(&signed(&emulator, Api::V2QueryOrderInfo, &query).await), 0);
    // One namespace of order numbers per environment.
    let pay = v2_body(json!({ "amount": 5, "bill_no": "gift-1" }));
    assert_eq!(errcode(&signed(&emulator, Api::V2Pay, &pay).await), 90012);
    let pay = xpay_body(json!({ "amount": 5, "order_id": "gift-1" }));
    assert_eq!(errcode(&signed(&emulator, Api::CurrencyPay, &pay).await), 268_490_002);
    assert_eq!(errcode(&present_v1(&emulator, Env::Sandbox, "gift-1", 10).await), 90012);
    assert_eq!(emulator.effects().len(), 1);
}

#[tokio::test]
async fn a_midas_2_pay_is_refunded_in_part_through_midas_2_then_through_xpay() {
    let emulator = started(100).await;
    signed(&emulator, Api::V2Pay, &v2_body(json!({ "amount": 30, "bill_no": "bill-1" }))).await;
    let refund = v2_body(json!({ "pay_bill_no": "bill-1", "bill_no": "refund-1", "amount": 10 }));
    assert_eq!(errcode(&signed(&emulator, Api::V2CancelPay, &refund).await), 0);
    // xpay refunds a pay once; this one was refunded before.
    let cancel = xpay_body(json!({ "pay_order_id": "bill-1", "order_id": "refund-2", "amount": 10 }));
    assert_eq!(errcode(&signed(&emulator, Api::CancelCurrencyPay, &cancel).await), 268_490_005);
    let refund = v2_body(json!({ "pay_bill_no": "bill-1", "bill_no": "refund-2", "amount": 20 }));
    assert_eq!(errcode(&signed(&emulator, Api::V2CancelPay, &refund).await), 0);
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| (b.balance, b.cost_sum)), Some((100, 0)));
}

#[tokio::test]
async fn a_present_in_zone_2_leaves_zone_1_alone() {
    let emulator = started(100).await;
    let gift = Money1::<PRESENT> { bill_no: "gift-1".into(), amount: 30 };
    let gifted = money_v1(&emulator, Env::Sandbox, "2", gift).await;
    assert_eq!(
        (errcode(&gifted), gifted["balance"].as_i64()),
        (0, Some(30)),
        "zone 2 starts empty: {gifted}"
    );
    let gift = v2_body(json!({ "amount": 20, "bill_no": "gift-2", "zone_id": "2" }));
    let gifted = signed(&emulator, Api::V2Present, &gift).await;
    assert_eq!((errcode(&gifted), gifted["balance"].as_i64()), (0, Some(50)), "{gifted}");

    let zone = |zone_id: &str| emulator.balance_in_zone(Env::Sandbox, OPENID, zone_id).map(|b| b.balance);
    assert_eq!((zone("1"), zone("2")), (Some(100), Some(50)));
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(100), "zone 1");
    let seen = signed(&emulator, Api::V2GetBalance, &v2_body(json!({ "zone_id": "1" }))).await;
    assert_eq!(seen["balance"].as_i64(), Some(100), "{seen}");
    let seen = signed(&emulator, Api::QueryUserBalance, &xpay_body(json!({}))).await;
    assert_eq!(seen["balance"].as_i64(), Some(100), "xpay has no zones: it uses zone 1 ({seen})");
    let zones: Vec<String> = emulator.effects().into_iter().map(|effect| effect.zone_id).collect();
    assert_eq!(zones, ["2", "2"]);

    // A pay of zone 2 is refunded in zone 2 only.
    let paid =
        money_v1(&emulator, Env::Sandbox, "2", Money1::<PAY> { bill_no: "bill-1".into(), amount: 40 }).await;
    assert_eq!(paid["balance"].as_i64(), Some(10), "{paid}");
    let cancel = || Money1::<CANCEL_PAY> { bill_no: "bill-1".into(), amount: 0 };
    assert_eq!(errcode(&money_v1(&emulator, Env::Sandbox, DEFAULT_ZONE_ID, cancel()).await), 90000);
    assert_eq!(errcode(&money_v1(&emulator, Env::Sandbox, "2", cancel()).await), 0);
    assert_eq!((zone("1"), zone("2")), (Some(100), Some(50)));
}

#[tokio::test]
async fn a_present_that_would_overflow_is_a_parameter_error_in_every_generation() {
    let emulator = started(100).await;
    let full = i64::MAX - 100;
    assert_eq!(errcode(&present_v1(&emulator, Env::Sandbox, "gift-0", full).await), 0);
    let before = emulator.balance(Env::Sandbox, OPENID);
    assert_eq!(before.map(|b| b.balance), Some(i64::MAX));

    let answer = present_v1(&emulator, Env::Sandbox, "gift-1", 1).await;
    assert_eq!(errcode(&answer), 90018, "{answer}");
    let answer =
        signed(&emulator, Api::V2Present, &v2_body(json!({ "amount": i64::MAX, "bill_no": "gift-2" }))).await;
    assert_eq!(errcode(&answer), 90018, "{answer}");
    assert!(
        answer["errmsg"].as_str().is_some_and(|errmsg| errmsg.starts_with("[amount] amount")),
        "{answer}"
    );
    let gift = xpay_body(json!({ "amount": 1, "order_id": "gift-3" }));
    let answer = signed(&emulator, Api::PresentCurrency, &gift).await;
    assert_eq!(errcode(&answer), 268_490_002, "{answer}");

    assert_eq!(emulator.balance(Env::Sandbox, OPENID), before, "nothing applied");
    assert_eq!(emulator.effects().len(), 1);
    // The refused orders were not booked: their bill_nos are free.
    for bill_no in ["gift-1", "gift-2", "gift-3"] {
        let query = v2_body(json!({ "out_trade_no": bill_no, "biz_id": 1 }));
        assert_eq!(errcode(&signed(&emulator, Api::V2QueryOrderInfo, &query).await), 90019, "{bill_no}");
    }
    let paid = signed(&emulator, Api::V2Pay, &v2_body(json!({ "amount": 5, "bill_no": "gift-2" }))).await;
    assert_eq!(errcode(&paid), 0, "{paid}");
}
