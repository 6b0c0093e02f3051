//! One ledger per player and environment behind all three generations: a migration from
//! Midas 1.0 to Midas 2.0 (or xpay) keeps the player's coins and orders.

mod support;

use midas_emulator::{Api, Change, Env};
use serde_json::json;
use support::{OPENID, errcode, present_v1, signed, started, v2_body, xpay_body};

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
