//! Midas 2.0 and xpay sign the body as sent, so they also take `bool` fields and any
//! `serde::Serialize` value marked `#[midas(json)]` (lists, nested objects), written as serde
//! writes it; an absent optional is left out. A value that cannot be JSON is refused before
//! anything is sent.

use std::collections::BTreeMap;

use midas_api::{midas_api, AccessToken, AppKey, CallContext, Env, MidasRequest, Rule};

#[derive(Debug, serde::Deserialize)]
pub struct Ack {}

#[derive(Debug, serde::Serialize)]
pub struct Item {
    pub id: String,
    pub price: i64,
}

#[midas_api(scheme = "xpay", path = "/xpay/upload_things", response = Ack, openid = false)]
pub struct UploadThings {
    #[midas(json)]
    pub items: Vec<Item>,
    #[midas(json)]
    pub tags: Option<Vec<String>>,
    #[midas(json)]
    pub labels: BTreeMap<(i32, i32), String>,
    pub publish: bool,
    pub draft: Option<bool>,
}

fn body<R: MidasRequest>(request: &R) -> Result<String, midas_api::ValidationError> {
    let key = AppKey::new("key").expect("not empty");
    let token = AccessToken::new("token").expect("not empty");
    let context = CallContext {
        appid: "wx1",
        offer_id: "offer1",
        openid: "player1",
        zone_id: "1",
        pf: "android",
        user_ip: None,
        env: Env::Sandbox,
        ts: 1_700_000_000,
        app_key: &key,
        session_key: None,
        access_token: Some(&token),
    };
    request.validate()?;
    let prepared = midas_api::prepare(request, &context).expect("valid");
    Ok(String::from_utf8(prepared.body.to_vec()).expect("UTF-8"))
}

fn main() {
    let request = UploadThings {
        items: vec![Item { id: "sword".into(), price: 100 }],
        tags: None,
        labels: BTreeMap::new(),
        publish: true,
        draft: Some(false),
    };
    assert_eq!(
        body(&request).expect("valid"),
        r#"{"env":1,"items":[{"id":"sword","price":100}],"labels":{},"publish":true,"draft":false}"#
    );
    // JSON object keys must be text: a map keyed by pairs cannot be sent.
    let mut labels = BTreeMap::new();
    labels.insert((1, 2), "x".to_owned());
    let refused = body(&UploadThings { labels, ..request }).expect_err("not JSON");
    assert_eq!((refused.field(), refused.rule()), ("labels", &Rule::Json));
}
