//! A request with no fields of its own, `struct GetBalance {}`: only the envelope is signed.
#![deny(warnings)]

use midas_api::{midas_api, Envelope, MidasRequest};

#[derive(Debug, serde::Deserialize)]
pub struct BalanceResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/getbalance", response = BalanceResponse)]
#[derive(Debug, Default)]
pub struct GetBalance {}

fn main() {
    let envelope = Envelope {
        appid: "wx1",
        offer_id: "offer1",
        openid: "player1",
        ts: 1_700_000_000,
        zone_id: "1",
        pf: "android",
        user_ip: Some("127.0.0.1"),
    };
    let mut out = Vec::new();
    GetBalance {}.write_params(&envelope, None, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "appid=wx1&offer_id=offer1&openid=player1&pf=android&ts=1700000000&user_ip=127.0.0.1&zone_id=1"
    );
    assert_eq!(GetBalance::default().validate(), Ok(()));
    assert_eq!(GetBalance {}.bill_no(), None);
    assert_eq!(GetBalance::API, "getbalance");
    assert_eq!(<GetBalance as MidasRequest>::SANDBOX_PATH, "/cgi-bin/midas/sandbox/getbalance");
}
