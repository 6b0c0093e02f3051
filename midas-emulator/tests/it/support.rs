//! What the HTTP tests share: raw HTTP/1.1 over TCP (what any client in any language sees),
//! and requests signed with midas-core, the code a real client signs with.

use midas_core::sign::{Params, SignSink};
use midas_core::{
    CallContext, JsonObject, MidasRequest, MpExtra, Scheme, ValidationError, body_signed, prepare,
};
use midas_emulator::{Api, Emulator, Env, SessionKey};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The player every test registers.
pub(crate) const OPENID: &str = "player-1";
/// Its session key.
pub(crate) const SESSION_KEY: &str = "session-key-1";

pub(crate) fn session_key(text: &str) -> SessionKey {
    SessionKey::new(text).expect("not empty")
}

/// An emulator with [`OPENID`] holding `balance` topped-up coins in each environment.
pub(crate) async fn started(balance: i64) -> Emulator {
    let emulator = Emulator::start().await.expect("start");
    emulator.add_player(OPENID, session_key(SESSION_KEY), balance);
    emulator
}

/// Sends one HTTP/1.1 request and reads until the server closes: the raw answer bytes.
pub(crate) async fn exchange(emulator: &Emulator, method: &str, target: &str, body: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.expect("connect");
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    answer
}

/// The status and the JSON body of an answer.
pub(crate) async fn call(emulator: &Emulator, method: &str, target: &str, body: &[u8]) -> (u16, Value) {
    let answer = exchange(emulator, method, target, body).await;
    let text = String::from_utf8(answer).expect("UTF-8");
    let status = text.get(9..12).and_then(|code| code.parse().ok()).expect("a status line");
    let (_, body) = text.split_once("\r\n\r\n").expect("headers end");
    (status, serde_json::from_str(body).expect("a JSON body"))
}

/// POSTs `body` to `target` and returns the JSON answer.
pub(crate) async fn post(emulator: &Emulator, target: &str, body: &[u8]) -> Value {
    let (status, answer) = call(emulator, "POST", target, body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// The errcode of an answer.
pub(crate) fn errcode(answer: &Value) -> i64 {
    answer["errcode"].as_i64().unwrap_or_else(|| panic!("no errcode in {answer}"))
}

/// Asserts a refusal with `errcode` whose errmsg names `field` as `[field] field ...`.
pub(crate) fn assert_names_field(answer: &Value, errcode: i64, field: &str) {
    assert_eq!(answer["errcode"], errcode, "{answer}");
    let errmsg = answer["errmsg"].as_str().unwrap_or_default();
    assert!(errmsg.starts_with(&format!("[{field}] {field} ")), "{answer} should name {field}");
}

/// The environment a body names in `env`.
pub(crate) fn env_of(body: &Value) -> Env {
    if body["env"] == 0 { Env::Production } else { Env::Sandbox }
}

/// How a body-signed request is signed: which keys, over which bytes.
pub(crate) struct Signing<'a> {
    /// The payment key of the body's env unless set.
    pub(crate) pay_sig_key: Option<midas_emulator::AppKey>,
    /// The player's session key; `None` sends no `signature` (xpay APIs without one).
    pub(crate) session_key: Option<&'a str>,
    /// The bytes signed; the sent bytes unless set.
    pub(crate) signed_bytes: Option<&'a [u8]>,
}

impl Default for Signing<'_> {
    fn default() -> Self {
        Self { pay_sig_key: None, session_key: Some(SESSION_KEY), signed_bytes: None }
    }
}

/// The target of a body-signed call to `api` with `bytes`, signed as `signing` says.
pub(crate) fn signed_target(
    emulator: &Emulator,
    api: Api,
    env: Env,
    bytes: &[u8],
    signing: &Signing<'_>,
) -> String {
    let path = api.path(env);
    let signed = signing.signed_bytes.unwrap_or(bytes);
    let pay_key = signing.pay_sig_key.clone().unwrap_or_else(|| emulator.payment_key(env).clone());
    let pay_sig = body_signed::pay_sig(&pay_key, path, signed);
    let mut target = format!("{path}?access_token={}", emulator.access_token().expose_secret());
    if let Some(key) = signing.session_key {
        let signature = body_signed::signature(&session_key(key), signed);
        target.push_str(&format!("&signature={signature}"));
    }
    if api.generation() == midas_emulator::Generation::V2 {
        target.push_str("&sig_method=hmac_sha256");
    }
    target.push_str(&format!("&pay_sig={pay_sig}"));
    target
}

/// Sends `body` to `api` compactly serialised, signed as `signing` says.
pub(crate) async fn send(emulator: &Emulator, api: Api, body: &Value, signing: &Signing<'_>) -> Value {
    let bytes = serde_json::to_vec(body).expect("JSON");
    let target = signed_target(emulator, api, env_of(body), &bytes, signing);
    post(emulator, &target, &bytes).await
}

/// Sends `body` to `api`, signed correctly (with `signature` when the API takes one).
pub(crate) async fn signed(emulator: &Emulator, api: Api, body: &Value) -> Value {
    let takes_signature = !matches!(api, Api::PresentCurrency | Api::QueryOrder | Api::NotifyProvideGoods);
    let signing =
        Signing { session_key: if takes_signature { Some(SESSION_KEY) } else { None }, ..Signing::default() };
    send(emulator, api, body, &signing).await
}

/// A Midas 2.0 body for `api` in the sandbox: the common fields and `fields`.
pub(crate) fn v2_body(fields: Value) -> Value {
    let mut body = json!({
        "openid": OPENID, "offer_id": midas_emulator::DEFAULT_OFFER_ID, "ts": 1_700_000_000,
        "zone_id": "1", "env": 1,
    });
    merge(&mut body, fields);
    body
}

/// An xpay body in the sandbox: `openid`, `env`, `user_ip` and `fields`.
pub(crate) fn xpay_body(fields: Value) -> Value {
    let mut body = json!({ "openid": OPENID, "env": 1, "user_ip": "127.0.0.1" });
    merge(&mut body, fields);
    body
}

fn merge(body: &mut Value, fields: Value) {
    if let (Value::Object(body), Value::Object(fields)) = (body, fields) {
        body.extend(fields);
    }
}

/// A well-formed body for each Midas 2.0 and xpay API (orders named `bill-1`, `refund-1`).
pub(crate) fn sample_body(api: Api) -> Value {
    match api {
        Api::V2GetBalance => v2_body(json!({})),
        Api::V2Pay => v2_body(json!({ "amount": 10, "bill_no": "bill-1" })),
        Api::V2CancelPay => v2_body(json!({ "pay_bill_no": "bill-1", "bill_no": "refund-1", "amount": 5 })),
        Api::V2Present => v2_body(json!({ "amount": 10, "bill_no": "bill-1" })),
        Api::V2QueryOrderInfo => v2_body(json!({ "out_trade_no": "bill-1", "biz_id": 1 })),
        Api::QueryUserBalance => xpay_body(json!({})),
        Api::CurrencyPay => xpay_body(json!({ "amount": 10, "order_id": "bill-1" })),
        Api::CancelCurrencyPay => {
            xpay_body(json!({ "pay_order_id": "bill-1", "order_id": "refund-1", "amount": 5 }))
        }
        Api::PresentCurrency => xpay_body(json!({ "amount": 10, "order_id": "bill-1" })),
        Api::QueryOrder => xpay_body(json!({ "order_id": "bill-1" })),
        Api::NotifyProvideGoods => json!({ "order_id": "bill-1", "env": 1 }),
        Api::RefundOrder => xpay_body(json!({
            "order_id": "bill-1",
            "refund_order_id": "refund-0001",
            "left_fee": 600,
            "refund_fee": 100,
            "refund_reason": "3",
            "req_from": "2",
        })),
        _ => panic!("{api} is not body-signed"),
    }
}

/// Which Midas 1.0 money API a [`Money1`] calls.
pub(crate) const PAY: u8 = 0;
/// See [`PAY`].
pub(crate) const CANCEL_PAY: u8 = 1;
/// See [`PAY`].
pub(crate) const PRESENT: u8 = 2;

/// A Midas 1.0 `pay` (`amount` as `amt`), `cancelpay` (no amount) or `present` (`amount` as
/// `present_counts`), written out as `#[midas_api]` would generate it, so that the request is
/// signed by midas-core's own signer.
pub(crate) struct Money1<const API: u8> {
    pub(crate) bill_no: String,
    pub(crate) amount: i64,
}

impl<const API: u8> MidasRequest for Money1<API> {
    type Response = Value;
    const SCHEME: Scheme = Scheme::V1;
    const SIGNER: midas_core::Signer<Self> = midas_core::Signer::PAIRS;
    const USER_SIGNATURE: bool = false;
    const API: &'static str = match API {
        PAY => "pay",
        CANCEL_PAY => "cancelpay",
        _ => "present",
    };
    const PATH: &'static str = match API {
        PAY => "/cgi-bin/midas/pay",
        CANCEL_PAY => "/cgi-bin/midas/cancelpay",
        _ => "/cgi-bin/midas/present",
    };
    const SANDBOX_PATH: &'static str = match API {
        PAY => "/cgi-bin/midas/sandbox/pay",
        CANCEL_PAY => "/cgi-bin/midas/sandbox/cancelpay",
        _ => "/cgi-bin/midas/sandbox/present",
    };

    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    fn validate_envelope(_: &CallContext<'_>) -> Result<(), ValidationError> {
        Ok(())
    }

    fn order_key(&self) -> Option<(&'static str, &str)> {
        Some(("bill_no", &self.bill_no))
    }

    fn amount(&self) -> Option<i64> {
        (API != CANCEL_PAY).then_some(self.amount)
    }

    fn write_params<S: SignSink + ?Sized>(
        &self,
        envelope: &CallContext<'_>,
        mp: Option<&MpExtra<'_>>,
        sink: &mut S,
    ) {
        let mut params = Params::new(sink);
        if let Some(mp) = mp {
            params.pair("access_token", mp.access_token);
        }
        if API == PAY {
            params.pair("amt", &self.amount);
        }
        params.pair("appid", envelope.appid);
        params.pair("bill_no", self.bill_no.as_str());
        params.pair("offer_id", envelope.offer_id);
        params.pair("openid", envelope.openid);
        params.pair("pf", envelope.pf);
        if API == PRESENT {
            params.pair("present_counts", &self.amount);
        }
        if let Some(mp) = mp {
            params.pair("sig", mp.sig);
        }
        params.pair("ts", &envelope.ts);
        params.pair("zone_id", envelope.zone_id);
    }

    fn write_body(&self, envelope: &CallContext<'_>, body: &mut JsonObject<'_>) {
        body.field("appid", envelope.appid);
        body.field("offer_id", envelope.offer_id);
        body.field("openid", envelope.openid);
        body.field("pf", envelope.pf);
        body.field("ts", &envelope.ts);
        body.field("zone_id", envelope.zone_id);
        if API == PAY {
            body.field("amt", &self.amount);
        }
        body.field("bill_no", self.bill_no.as_str());
        if API == PRESENT {
            body.field("present_counts", &self.amount);
        }
    }

    fn write_fields(&self, body: &mut JsonObject<'_>) {
        if API == PAY {
            body.field("amt", &self.amount);
        }
        body.field("bill_no", self.bill_no.as_str());
        if API == PRESENT {
            body.field("present_counts", &self.amount);
        }
    }
}

/// The target and body of a Midas 1.0 money call for [`OPENID`] in `env` and `zone_id`, with
/// `sig` and `mp_sig`.
pub(crate) fn prepared_v1<const API: u8>(
    emulator: &Emulator,
    env: Env,
    zone_id: &str,
    request: &Money1<API>,
) -> (String, Vec<u8>) {
    let token = emulator.access_token();
    let session_key = session_key(SESSION_KEY);
    let input = CallContext {
        appid: emulator.appid(),
        offer_id: emulator.offer_id(),
        openid: OPENID,
        zone_id,
        pf: "android",
        user_ip: None,
        env,
        ts: 1_700_000_000,
        app_key: emulator.app_key(env),
        session_key: Some(&session_key),
        access_token: Some(&token),
    };
    let prepared = prepare(request, &input).expect("a valid request");
    (format!("{}?access_token={}", prepared.path, token.expose_secret()), prepared.body)
}

/// Sends a Midas 1.0 money call for [`OPENID`] in `env` and `zone_id`, with `sig` and `mp_sig`.
pub(crate) async fn money_v1<const API: u8>(
    emulator: &Emulator,
    env: Env,
    zone_id: &str,
    request: Money1<API>,
) -> Value {
    let (target, body) = prepared_v1(emulator, env, zone_id, &request);
    post(emulator, &target, &body).await
}

/// Gifts `present_counts` coins to [`OPENID`] through Midas 1.0 in `env`, zone "1", with `sig`
/// and `mp_sig`.
pub(crate) async fn present_v1(emulator: &Emulator, env: Env, bill_no: &str, present_counts: i64) -> Value {
    let request = Money1::<PRESENT> { bill_no: bill_no.to_owned(), amount: present_counts };
    money_v1(emulator, env, "1", request).await
}
