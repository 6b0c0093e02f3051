//! `scheme = "v2"` and `scheme = "xpay"`: one path for both environments, the player's
//! signature required by default on Midas 2.0 and on request on xpay, the idempotency key
//! marked with `#[midas(key)]` when a request carries two bill numbers, and Midas 2.0 bill
//! numbers refused with a leading `_`.

use midas_api::{midas_api, AppKey, CallContext, Env, MidasRequest, Rule, Scheme, SessionKey};

#[derive(Debug, serde::Deserialize)]
pub struct Answer {
    pub bill_no: String,
}

#[midas_api(scheme = "v2", path = "/wxa/game/cancelpay", response = Answer)]
pub struct CancelPay {
    #[midas(bill_no)]
    pub pay_bill_no: String,
    #[midas(bill_no, key)]
    pub bill_no: String,
    #[midas(positive)]
    pub amount: i64,
}

#[midas_api(scheme = "xpay", path = "/xpay/present_currency", response = Answer)]
pub struct PresentCurrency {
    #[midas(bill_no)]
    pub order_id: String,
    #[midas(positive)]
    pub amount: i64,
}

#[midas_api(scheme = "xpay", path = "/xpay/notify_provide_goods", response = Answer, user_signature = true, openid = false)]
pub struct Notify {
    #[midas(bill_no)]
    pub order_id: String,
}

fn main() {
    assert_eq!(CancelPay::SCHEME, Scheme::V2);
    assert_eq!((CancelPay::API, CancelPay::PATH), ("cancelpay", "/wxa/game/cancelpay"));
    assert!(CancelPay::USER_SIGNATURE);
    assert_eq!(CancelPay::SANDBOX_PATH, CancelPay::PATH, "the body picks the environment");
    let refund = CancelPay { pay_bill_no: "pay-1".into(), bill_no: "refund-1".into(), amount: 5 };
    assert_eq!(refund.order_id(), Some("refund-1"));
    assert_eq!(refund.validate(), Ok(()));
    let bad = CancelPay { pay_bill_no: "_pay".into(), bill_no: "refund-1".into(), amount: 5 };
    let err = bad.validate().unwrap_err();
    assert_eq!((err.field(), err.rule()), ("pay_bill_no", &Rule::BillNoV2));

    assert_eq!(PresentCurrency::SCHEME, Scheme::Xpay);
    assert!(!PresentCurrency::USER_SIGNATURE);
    let gift = PresentCurrency { order_id: "_gift".into(), amount: 1 };
    assert_eq!(gift.order_id(), Some("_gift"));
    assert_eq!(gift.validate(), Ok(()), "a leading `_` is a Midas 2.0 rule only");
    assert!(Notify::USER_SIGNATURE);

    let (key, session_key) = (AppKey::new("k").unwrap(), SessionKey::new("s").unwrap());
    let context = CallContext {
        appid: "wx1",
        offer_id: "12345678",
        openid: "o1",
        zone_id: "1",
        pf: "android",
        user_ip: None,
        env: Env::Production,
        ts: 1,
        app_key: &key,
        session_key: Some(&session_key),
        access_token: None,
    };
    let body = midas_api::prepare(&refund, &context).unwrap().body;
    assert_eq!(
        body,
        br#"{"offer_id":"12345678","zone_id":"1","openid":"o1","env":0,"ts":1,"pay_bill_no":"pay-1","bill_no":"refund-1","amount":5}"#
    );
    let body = midas_api::prepare(&Notify { order_id: "n-1".into() }, &context).unwrap().body;
    assert_eq!(body, br#"{"env":0,"order_id":"n-1"}"#, "openid = false leaves the openid out");
}
