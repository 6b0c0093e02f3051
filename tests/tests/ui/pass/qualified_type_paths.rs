//! Types are recognised by their last path segment, so fully qualified paths work.

use midas_api::{midas_api, AppKey, CallContext, Env, MidasRequest};

#[derive(Debug, serde::Deserialize)]
pub struct Ack {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = self::Ack)]
pub struct Qualified {
    #[midas(bill_no)]
    pub bill_no: std::string::String,
    #[midas(positive)]
    pub present_counts: ::core::primitive::i64,
    pub pay_item: ::std::option::Option<::std::string::String>,
    pub zone: core::option::Option<u32>,
}

fn main() {
    let key = AppKey::new("k").expect("not empty");
    let envelope = CallContext {
        appid: "wx1",
        offer_id: "offer1",
        openid: "player1",
        ts: 1_700_000_000,
        zone_id: "1",
        pf: "android",
        user_ip: None,
        env: Env::Production,
        app_key: &key,
        session_key: None,
        access_token: None,
    };
    let request = Qualified { bill_no: "gift-1".into(), present_counts: 2, pay_item: None, zone: Some(7) };
    let mut out = Vec::new();
    request.write_params(&envelope, None, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "appid=wx1&bill_no=gift-1&offer_id=offer1&openid=player1&pf=android&present_counts=2\
         &ts=1700000000&zone=7&zone_id=1"
    );
    assert_eq!(request.order_id(), Some("gift-1"));
    assert_eq!(Qualified { pay_item: Some(String::new()), ..request }.validate().map_err(|e| e.field()), Err("pay_item"));
}
