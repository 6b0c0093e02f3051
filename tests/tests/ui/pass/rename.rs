//! `#[midas(rename = "..")]` changes the wire name: what is signed, sent, and named in errors.

use midas_api::{midas_api, AppKey, CallContext, Env, MidasRequest};

#[derive(Debug, serde::Deserialize)]
pub struct PresentResponse {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
pub struct Present {
    #[midas(bill_no, rename = "bill_no")]
    pub order: String,
    #[midas(positive, rename = "present_counts")]
    pub coins: i64,
    #[midas(rename = "app_remark")]
    pub note: Option<String>,
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
    let present = Present { order: "gift-1".to_owned(), coins: 5, note: Some("thanks".to_owned()) };
    let mut out = Vec::new();
    present.write_params(&envelope, None, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "app_remark=thanks&appid=wx1&bill_no=gift-1&offer_id=offer1&openid=player1&pf=android\
         &present_counts=5&ts=1700000000&zone_id=1"
    );
    assert_eq!(present.order_id(), Some("gift-1"));

    // Errors name the field as Midas knows it.
    let refused = Present { coins: 0, ..present };
    assert_eq!(refused.validate().map_err(|err| err.field()), Err("present_counts"));
    let refused = Present { order: "gift 1".to_owned(), coins: 1, note: None };
    assert_eq!(refused.validate().map_err(|err| err.field()), Err("bill_no"));
    let refused = Present { order: "gift-1".to_owned(), coins: 1, note: Some(String::new()) };
    assert_eq!(refused.validate().map_err(|err| err.field()), Err("app_remark"));
}
