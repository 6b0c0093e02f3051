//! Every supported field type: `String`, `i8`..`i64`, `u8`..`u64`, and an `Option` of each.
//! They are signed raw (text) or in decimal (integers), merged with the envelope in byte-wise
//! order of their names, and absent optionals are left out of both the signature and the body.

use midas_api::{midas_api, AccessToken, AppKey, CallContext, Env, MidasRequest};

#[derive(Debug, serde::Deserialize)]
pub struct Ack {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/everything", response = Ack)]
pub struct Everything {
    pub text: String,
    pub int8: i8,
    pub int16: i16,
    pub int32: i32,
    pub int64: i64,
    pub uint8: u8,
    pub uint16: u16,
    pub uint32: u32,
    pub uint64: u64,
    pub maybe_text: Option<String>,
    pub maybe_int8: Option<i8>,
    pub maybe_int16: Option<i16>,
    pub maybe_int32: Option<i32>,
    pub maybe_int64: Option<i64>,
    pub maybe_uint8: Option<u8>,
    pub maybe_uint16: Option<u16>,
    pub maybe_uint32: Option<u32>,
    pub maybe_uint64: Option<u64>,
}

fn context<'a>(app_key: &'a AppKey, access_token: &'a AccessToken) -> CallContext<'a> {
    CallContext {
        appid: "wx1",
        offer_id: "offer1",
        openid: "player1",
        zone_id: "1",
        pf: "android",
        user_ip: None,
        env: Env::Sandbox,
        ts: 1_700_000_000,
        app_key,
        session_key: None,
        access_token: Some(access_token),
    }
}

fn signed<R: MidasRequest>(request: &R) -> String {
    let app_key = AppKey::new("sandbox-key").expect("not empty");
    let access_token = AccessToken::new("token").expect("not empty");
    let mut out = Vec::new();
    request.write_params(&context(&app_key, &access_token), None, &mut out);
    String::from_utf8(out).expect("the signing string of these values is UTF-8")
}

fn body<R: MidasRequest>(request: &R) -> serde_json::Value {
    let app_key = AppKey::new("sandbox-key").expect("not empty");
    let access_token = AccessToken::new("token").expect("not empty");
    let prepared = midas_api::prepare(request, &context(&app_key, &access_token)).expect("the request is valid");
    serde_json::from_slice(&prepared.body).expect("the body is JSON")
}

fn extremes() -> Everything {
    Everything {
        text: "gift + more: yes".to_owned(),
        int8: i8::MIN,
        int16: i16::MIN,
        int32: i32::MIN,
        int64: i64::MIN,
        uint8: u8::MAX,
        uint16: u16::MAX,
        uint32: u32::MAX,
        uint64: u64::MAX,
        maybe_text: Some("some".to_owned()),
        maybe_int8: Some(i8::MAX),
        maybe_int16: Some(i16::MAX),
        maybe_int32: Some(i32::MAX),
        maybe_int64: Some(i64::MAX),
        maybe_uint8: Some(0),
        maybe_uint16: Some(1),
        maybe_uint32: Some(2),
        maybe_uint64: Some(3),
    }
}

fn main() {
    let all = extremes();
    assert_eq!(all.validate(), Ok(()));
    assert_eq!(
        signed(&all),
        "appid=wx1\
         &int16=-32768&int32=-2147483648&int64=-9223372036854775808&int8=-128\
         &maybe_int16=32767&maybe_int32=2147483647&maybe_int64=9223372036854775807&maybe_int8=127\
         &maybe_text=some\
         &maybe_uint16=1&maybe_uint32=2&maybe_uint64=3&maybe_uint8=0\
         &offer_id=offer1&openid=player1&pf=android\
         &text=gift + more: yes\
         &ts=1700000000\
         &uint16=65535&uint32=4294967295&uint64=18446744073709551615&uint8=255\
         &zone_id=1"
    );
    let json = body(&all);
    assert_eq!(json["text"], "gift + more: yes");
    assert_eq!(json["int64"], i64::MIN);
    assert_eq!(json["uint64"], u64::MAX);
    assert_eq!(json["maybe_text"], "some");
    assert_eq!(json["maybe_uint8"], 0);

    let none = Everything {
        maybe_text: None,
        maybe_int8: None,
        maybe_int16: None,
        maybe_int32: None,
        maybe_int64: None,
        maybe_uint8: None,
        maybe_uint16: None,
        maybe_uint32: None,
        maybe_uint64: None,
        ..extremes()
    };
    assert_eq!(none.validate(), Ok(()));
    assert_eq!(
        signed(&none),
        "appid=wx1\
         &int16=-32768&int32=-2147483648&int64=-9223372036854775808&int8=-128\
         &offer_id=offer1&openid=player1&pf=android\
         &text=gift + more: yes\
         &ts=1700000000\
         &uint16=65535&uint32=4294967295&uint64=18446744073709551615&uint8=255\
         &zone_id=1"
    );
    let json = body(&none);
    for absent in ["maybe_text", "maybe_int8", "maybe_int64", "maybe_uint64"] {
        assert!(json.get(absent).is_none(), "{absent} is absent, so it is not in the body");
    }

    // Text is never sent empty, whether required or optional.
    let separators = Everything { text: "gift & more=yes".to_owned(), ..extremes() };
    assert_eq!(separators.validate().map_err(|err| err.field()), Err("text"), "`&` and `=` are refused");
    let empty = Everything { text: String::new(), ..extremes() };
    assert_eq!(empty.validate().map_err(|err| err.field()), Err("text"));
    let empty = Everything { maybe_text: Some(String::new()), ..extremes() };
    assert_eq!(empty.validate().map_err(|err| err.field()), Err("maybe_text"));

    assert_eq!(Everything::API, "everything");
    assert_eq!(<Everything as MidasRequest>::order_id(&all), None);
}
