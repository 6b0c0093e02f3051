//! Every vector of push.md §5, through the public API, in both directions.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use midas_core::AppKey;
use midas_push::{
    EncodingAesKey, Event, ManualClock, Mode, Opener, PushCipher, PushConfig, PushQuery, Reply, Seal, Token,
    sign,
};

use crate::support::{AES_KEY, APP_ID, TOKEN};

const SAFE_ENCRYPT: &str = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";
const SAFE_MESSAGE: &str = r#"{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}"#;

fn official(mode: Mode) -> PushConfig {
    PushConfig::builder()
        .token(TOKEN)
        .encoding_aes_key(AES_KEY)
        .app_id(APP_ID)
        .mode(mode)
        .build()
        .expect("valid")
}

#[test]
fn url_check_signature_verifies_and_echoes() {
    let token = Token::new(TOKEN).expect("token");
    assert_eq!(
        sign::signature(&token, "1714036504", "1514711492"),
        "f464b24fc39322e44b38aa78f5edd27bd1441696"
    );
    let opener = Opener::new(official(Mode::Plaintext)).with_clock(ManualClock::new(1714036504));
    let query = PushQuery::parse(
        "signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249",
    )
    .expect("query");
    assert_eq!(opener.echo(&query).expect("verifies"), "4375120948345356249");
    assert_eq!(Reply::echo("4375120948345356249").body(), "4375120948345356249");
}

#[test]
fn url_check_accepts_uppercase_hex() {
    let opener = Opener::new(official(Mode::Plaintext));
    let query = PushQuery::parse(
        "signature=F464B24FC39322E44B38AA78F5EDD27BD1441696&timestamp=1714036504&nonce=1514711492&echostr=1",
    )
    .expect("query");
    assert_eq!(opener.echo(&query).expect("verifies"), "1");
}

#[test]
fn plain_post_signature_both_directions() {
    let config = official(Mode::Plaintext);
    let message = r#"{"MsgType":"event","Event":"debug_demo"}"#;
    let sealed = Seal::new(message, 1714037059, "486452656").seal(&config).expect("seals");
    assert_eq!(
        sealed.query,
        "signature=899cf89e464efb63f54ddac96b0a0a235f53aa78&timestamp=1714037059&nonce=486452656"
    );
    let opener = Opener::new(config).with_clock(ManualClock::new(1714037059));
    let push = opener.open_raw(&sealed.query, message.as_bytes()).expect("opens");
    assert_eq!(push.message(), message);
    assert!(!push.was_encrypted());
}

fn safe_query() -> String {
    "signature=6c5c811b55cc85e0e1b54100749188c20beb3f5d&timestamp=1714112445&nonce=415670741&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=046e02f8204d34f8ba5fa3b1db94908f3df2e9b3".to_owned()
}

#[test]
fn safe_post_opens_with_msg_signature_and_signature() {
    let body = serde_json::json!({"ToUserName": "gh_97417a04a28d", "Encrypt": SAFE_ENCRYPT}).to_string();
    for mode in [Mode::Safe, Mode::Compatible] {
        let opener = Opener::new(official(mode)).with_clock(ManualClock::new(1714112445));
        let push = opener.open_raw(&safe_query(), body.as_bytes()).expect("opens");
        assert_eq!(push.message(), SAFE_MESSAGE);
        assert!(push.was_encrypted());
        assert_eq!(
            push.event(),
            &Event::Unknown { event: Some("debug_demo".into()), msg_type: Some("event".into()) }
        );
        assert_eq!(push.fields()["debug_str"], "hello world");
    }
}

#[test]
fn safe_post_decrypts_to_the_documented_frame() {
    let key = EncodingAesKey::new(AES_KEY).expect("key");
    let decrypted = PushCipher::new(&key, APP_ID).decrypt(SAFE_ENCRYPT).expect("decrypts");
    assert_eq!(&decrypted.random, b"a8eedb185eb2fecf");
    assert_eq!(decrypted.message.len(), 167);
    assert_eq!(decrypted.message, SAFE_MESSAGE);
    // 16 + 4 + 167 + 18 = 205 bytes of frame, padded to 224: pad byte 19.
    assert_eq!(STANDARD.decode(SAFE_ENCRYPT).expect("base64").len(), 224);
}

#[test]
fn safe_post_seals_to_the_official_encrypt_and_signature() {
    let sealed = Seal::new(SAFE_MESSAGE, 1714112445, "415670741")
        .random(*b"a8eedb185eb2fecf")
        .to_user_name("gh_97417a04a28d")
        .seal(&official(Mode::Safe))
        .expect("seals");
    let body: serde_json::Value = serde_json::from_slice(&sealed.body).expect("json");
    assert_eq!(body["Encrypt"], SAFE_ENCRYPT);
    assert_eq!(body["ToUserName"], "gh_97417a04a28d");
    let query = PushQuery::parse(&sealed.query).expect("query");
    assert_eq!(query.msg_signature(), Some("046e02f8204d34f8ba5fa3b1db94908f3df2e9b3"));
    assert_eq!(query.signature(), Some("6c5c811b55cc85e0e1b54100749188c20beb3f5d"));
    assert_eq!(query.encrypt_type(), Some("aes"));
}

#[test]
fn encrypted_reply_both_directions() {
    let config = official(Mode::Safe);
    let reply = Reply::json(r#"{"demo_resp":"good luck"}"#)
        .encrypted(&config, 1713424427, "415670741", *b"707722b803182950")
        .expect("encrypts");
    let body: serde_json::Value = serde_json::from_str(reply.body()).expect("json");
    let encrypt = "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==";
    assert_eq!(body["Encrypt"], encrypt);
    assert_eq!(body["MsgSignature"], "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1");
    assert_eq!(body["TimeStamp"], 1713424427);
    assert_eq!(body["Nonce"], "415670741");
    let key = EncodingAesKey::new(AES_KEY).expect("key");
    let opened = PushCipher::new(&key, APP_ID).decrypt(encrypt).expect("decrypts");
    assert_eq!(opened.message, r#"{"demo_resp":"good luck"}"#);
    assert_eq!(&opened.random, b"707722b803182950");
}

const SDK_ENCRYPT: &str = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

fn sdk_config() -> PushConfig {
    PushConfig::builder()
        .token("QDG6eK")
        .encoding_aes_key("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
        .app_id("wx5823bf96d3bd56c7")
        .build()
        .expect("valid")
}

#[test]
fn sdk_xml_vector_opens_and_reseals() {
    let body = format!(
        "<xml>\n<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[{SDK_ENCRYPT}]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>"
    );
    let query =
        "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149";
    let opener = Opener::new(sdk_config()).with_clock(ManualClock::new(1409659813));
    let push = opener.open_raw(query, body.as_bytes()).expect("opens");
    assert_eq!(push.format(), midas_push::Format::Xml);
    assert_eq!(push.fields()["MsgType"], "text");
    assert_eq!(push.fields()["Content"], "hello");
    assert_eq!(push.fields()["MsgId"], "4561255354251345929");
    assert_eq!(push.event_key().as_str(), "text:4561255354251345929");

    let key = EncodingAesKey::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C").expect("key");
    let cipher = PushCipher::new(&key, "wx5823bf96d3bd56c7");
    let decrypted = cipher.decrypt(SDK_ENCRYPT).expect("decrypts");
    assert_eq!(&decrypted.random, b"0960688932c47ef1");
    assert_eq!(cipher.encrypt(decrypted.random, &decrypted.message), SDK_ENCRYPT);
    let token = Token::new("QDG6eK").expect("token");
    assert_eq!(
        sign::msg_signature(&token, "1409659813", "1372623149", SDK_ENCRYPT),
        "477715d11cdb4164915debcba66cb864d751f3e6"
    );
}

#[test]
fn chinese_message_vector_counts_utf8_bytes() {
    let key = EncodingAesKey::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").expect("key");
    let cipher = PushCipher::new(&key, "wxb11529c136998cb6");
    let encrypt = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==";
    assert_eq!(cipher.encrypt(*b"aaaabbbbccccdddd", "我是中文abcd123"), encrypt);
    let decrypted = cipher.decrypt(encrypt).expect("decrypts");
    assert_eq!(decrypted.message, "我是中文abcd123");
    assert_eq!(decrypted.message.len(), 19);
}

#[test]
fn full_block_pad_32_both_directions() {
    let encrypt = "uMMzGtqcnpOzXOYBwDQNrQY3pvA5A9hTIWN81iuxJnxIZ61oPtnWz//FfxyziZU3CxzqRTAOoxNVgB3xI/k3b3ylFfBU44XVGrLdIsJt5JmpcfrczrVjscflUtnVDbW1";
    let message = r#"{"Event":"pad32_edge_cas"}"#;
    let sealed = Seal::new(message, 1714112445, "415670741")
        .random(*b"0123456789abcdef")
        .seal(&official(Mode::Safe))
        .expect("seals");
    let body: serde_json::Value = serde_json::from_slice(&sealed.body).expect("json");
    assert_eq!(body["Encrypt"], encrypt);
    let query = PushQuery::parse(&sealed.query).expect("query");
    assert_eq!(query.msg_signature(), Some("37c904ecfb3f973bc338d066c0280fc0316e199f"));
    let opener = Opener::new(official(Mode::Safe)).with_clock(ManualClock::new(1714112445));
    let push = opener.open_raw(&sealed.query, &sealed.body).expect("opens");
    assert_eq!(push.message(), message);
    // 16 + 4 + 26 + 18 = 64: a whole pad block of 32.
    assert_eq!(STANDARD.decode(encrypt).expect("base64").len(), 96);
}

const PAY_PAYLOAD: &str = r#"{"OpenId":"to_user_openid","OutTradeNo":"xxxxxxx","WeChatPayInfo":{"MchOrderNo":"xxxxxxx","TransactionId":"xxxxxxx"},"Env":0,"CoinInfo":{"ZoneId":"1","TotalPrice":100,"BuyQuantity":1,"OrigPrice":100}}"#;

#[test]
fn pay_event_sig_both_directions() {
    let key = AppKey::new("12345").expect("key");
    let sig = "4624e9b832eca479457e668dd49b64133a0439101a6a0e89e648e0d3840e6e0f";
    assert_eq!(sign::pay_event_sig(&key, "minigame_coin_deliver_completed", PAY_PAYLOAD), sig);
    let message = serde_json::json!({
        "Event": "minigame_coin_deliver_completed",
        "MiniGame": {"Payload": PAY_PAYLOAD, "PayEventSig": sig.to_uppercase(), "IsMock": false},
    })
    .to_string();
    let config = PushConfig::builder()
        .token(TOKEN)
        .encoding_aes_key(AES_KEY)
        .app_id(APP_ID)
        .app_key_production("12345")
        .build()
        .expect("valid");
    let sealed = Seal::new(&message, 1714112445, "1").seal(&config).expect("seals");
    let push =
        Opener::new(config).with_clock(ManualClock::new(1714112445)).open_raw(&sealed.query, &sealed.body);
    let push = push.expect("opens");
    assert_eq!(push.payload(), Some(PAY_PAYLOAD));
    let Event::MiniGameCoinDeliver(delivery) = push.event() else {
        panic!("coin delivery, got {:?}", push.event())
    };
    assert_eq!(delivery.out_trade_no, "xxxxxxx");
    assert_eq!(delivery.coin_info.actual_price, Some(100));
    assert_eq!(delivery.coin_info.quantity, Some(1));
    assert_eq!(delivery.coin_info.zone_id.as_deref(), Some("1"));
}
