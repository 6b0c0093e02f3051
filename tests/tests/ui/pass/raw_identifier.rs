//! A keyword as a field name: `r#type` is sent and signed as `type`.

use midas_api::{midas_api, AppKey, CallContext, Env, MidasRequest};

#[derive(Debug, serde::Deserialize)]
pub struct Ack {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/present", response = Ack)]
pub struct Typed {
    pub r#type: String,
    #[midas(non_zero)]
    pub r#loop: u32,
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
    let typed = Typed { r#type: "gift".to_owned(), r#loop: 2 };
    let mut out = Vec::new();
    typed.write_params(&envelope, None, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "appid=wx1&loop=2&offer_id=offer1&openid=player1&pf=android&ts=1700000000&type=gift&zone_id=1"
    );
    assert_eq!(Typed { r#type: String::new(), r#loop: 2 }.validate().map_err(|err| err.field()), Err("type"));
    assert_eq!(Typed { r#type: "gift".to_owned(), r#loop: 0 }.validate().map_err(|err| err.field()), Err("loop"));
}
