//! A request with no fields of its own, `struct GetBalance {}`: only the envelope is signed.
#![deny(warnings)]

use midas_api::{midas_api, AppKey, CallContext, Env, MidasRequest};

#[derive(Debug, serde::Deserialize)]
pub struct BalanceResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/getbalance", response = BalanceResponse)]
#[derive(Debug, Default)]
pub struct GetBalance {}

fn main() {
    let key = AppKey::new("k").expect("not empty");
    let envelope = CallContext {
        appid: "wx1",
        offer_id: "offer1",
        openid: "player1",
        ts: 1_700_000_000,
        zone_id: "1",
        pf: "android",
        user_ip: Some("127.0.0.1"),
        env: Env::Production,
        app_key: &key,
        session_key: None,
        access_token: None,
    };
    let mut out = Vec::new();
    GetBalance {}.write_params(&envelope, None, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "appid=wx1&offer_id=offer1&openid=player1&pf=android&ts=1700000000&user_ip=127.0.0.1&zone_id=1"
    );
    assert_eq!(GetBalance::default().validate(), Ok(()));
    assert_eq!(GetBalance {}.order_id(), None);
    assert_eq!(GetBalance::API, "getbalance");
    assert_eq!(<GetBalance as MidasRequest>::SANDBOX_PATH, "/cgi-bin/midas/sandbox/getbalance");
}
