//! Bad pushes: each is refused with a typed error, none reaches the handler, and the answer
//! says whether WeChat should retry.

use midas_core::Env;
use midas_push::{
    DecryptError, Malformed, Mode, PushConfig, PushError, Refusal, Retry, SignatureKind, UnknownEvents,
};

use crate::support::{
    APP_ID, NOW, PRODUCTION_KEY, SANDBOX_KEY, builder, config, counting_receiver, encrypted_push, frame,
    goods_delivery, mini_game_message, pad_for, plain_query, raw_encrypt, seal,
};

struct Case {
    name: &'static str,
    config: PushConfig,
    query: String,
    body: Vec<u8>,
    expected: PushError,
    /// Send the push once (successfully) before the refused attempt.
    send_first: bool,
}

fn case(name: &'static str, mode: Mode, query: String, body: Vec<u8>, expected: PushError) -> Case {
    Case { name, config: config(mode), query, body, expected, send_first: false }
}

/// Replaces `name=value` in a query string.
fn set_param(query: &str, name: &str, value: &str) -> String {
    query
        .split('&')
        .map(
            |pair| {
                if pair.starts_with(&format!("{name}=")) {
                    format!("{name}={value}")
                } else {
                    pair.to_owned()
                }
            },
        )
        .collect::<Vec<_>>()
        .join("&")
}

fn drop_param(query: &str, name: &str) -> String {
    query.split('&').filter(|pair| !pair.starts_with(&format!("{name}="))).collect::<Vec<_>>().join("&")
}

/// Flips the last hex digit of `name`.
fn flip(query: &str, name: &str) -> String {
    let value = query.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}="))).expect("present");
    let mut flipped = value.to_owned();
    let last = flipped.pop().expect("not empty");
    flipped.push(if last == '0' { '1' } else { '0' });
    set_param(query, name, &flipped)
}

fn encrypted(plain: &[u8]) -> (String, Vec<u8>) {
    encrypted_push(&raw_encrypt(plain), NOW, "7001")
}

fn framed(msg_len: u32, msg: &[u8], app_id: &[u8], padding: Option<&[u8]>) -> (String, Vec<u8>) {
    let unpadded = 20 + msg.len() + app_id.len();
    let padding = padding.map(<[u8]>::to_vec).unwrap_or_else(|| pad_for(unpadded));
    encrypted(&frame(msg_len, msg, app_id, &padding))
}

fn xml_push(body: &str) -> (String, Vec<u8>) {
    (plain_query(NOW, "8001"), body.as_bytes().to_vec())
}

fn cases() -> Vec<Case> {
    let safe = config(Mode::Safe);
    let compatible = config(Mode::Compatible);
    let plain = config(Mode::Plaintext);
    let message = goods_delivery("order-0001");
    let (safe_query, safe_body) = seal(&safe, &message, "1001");
    let (compat_query, compat_body) = seal(&compatible, &message, "1002");
    let (plain_q, plain_body) = seal(&plain, &message, "1003");
    let msg = br#"{"Event":"x"}"#;
    let app_id = APP_ID.as_bytes();
    let cases = vec![
        // Signatures, each mode.
        case(
            "safe: msg_signature wrong",
            Mode::Safe,
            flip(&safe_query, "msg_signature"),
            safe_body.clone(),
            PushError::BadSignature(SignatureKind::MsgSignature),
        ),
        case(
            "safe: msg_signature not hex",
            Mode::Safe,
            set_param(&safe_query, "msg_signature", "zz"),
            safe_body.clone(),
            PushError::BadSignature(SignatureKind::MsgSignature),
        ),
        case(
            "safe: msg_signature truncated",
            Mode::Safe,
            set_param(&safe_query, "msg_signature", "046e02f8"),
            safe_body.clone(),
            PushError::BadSignature(SignatureKind::MsgSignature),
        ),
        case(
            "safe: msg_signature missing",
            Mode::Safe,
            drop_param(&safe_query, "msg_signature"),
            safe_body.clone(),
            PushError::MissingParameter("msg_signature"),
        ),
        case(
            "safe: signature wrong beside a right msg_signature",
            Mode::Safe,
            flip(&safe_query, "signature"),
            safe_body.clone(),
            PushError::BadSignature(SignatureKind::Signature),
        ),
        case(
            "safe: a plain push (downgrade)",
            Mode::Safe,
            plain_q.clone(),
            plain_body.clone(),
            PushError::ModeMismatch { configured: Mode::Safe, got: Mode::Plaintext },
        ),
        case(
            "safe: encrypt_type not aes",
            Mode::Safe,
            set_param(&safe_query, "encrypt_type", "des"),
            safe_body.clone(),
            PushError::BadParameter("encrypt_type"),
        ),
        case(
            "safe: Encrypt edited after signing",
            Mode::Safe,
            safe_query.clone(),
            String::from_utf8(safe_body.clone())
                .expect("utf8")
                .replacen("\"Encrypt\":\"", "\"Encrypt\":\"AAAA", 1)
                .into_bytes(),
            PushError::BadSignature(SignatureKind::MsgSignature),
        ),
        case(
            "safe: no Encrypt",
            Mode::Safe,
            safe_query.clone(),
            br#"{"ToUserName":"gh"}"#.to_vec(),
            PushError::Malformed(Malformed::MissingField("Encrypt")),
        ),
        case(
            "safe: Encrypt not a string",
            Mode::Safe,
            safe_query.clone(),
            br#"{"Encrypt":7}"#.to_vec(),
            PushError::Malformed(Malformed::BadField("Encrypt")),
        ),
        case(
            "compatible: msg_signature wrong",
            Mode::Compatible,
            flip(&compat_query, "msg_signature"),
            compat_body.clone(),
            PushError::BadSignature(SignatureKind::MsgSignature),
        ),
        case(
            "compatible: signature wrong beside a right msg_signature",
            Mode::Compatible,
            flip(&compat_query, "signature"),
            compat_body.clone(),
            PushError::BadSignature(SignatureKind::Signature),
        ),
        case(
            "compatible: msg_signature missing",
            Mode::Compatible,
            drop_param(&compat_query, "msg_signature"),
            compat_body.clone(),
            PushError::MissingParameter("msg_signature"),
        ),
        case(
            "compatible: plain push with a wrong signature",
            Mode::Compatible,
            flip(&plain_q, "signature"),
            plain_body.clone(),
            PushError::BadSignature(SignatureKind::Signature),
        ),
        case(
            "plaintext: signature wrong",
            Mode::Plaintext,
            flip(&plain_q, "signature"),
            plain_body.clone(),
            PushError::BadSignature(SignatureKind::Signature),
        ),
        case(
            "plaintext: signature missing",
            Mode::Plaintext,
            drop_param(&plain_q, "signature"),
            plain_body.clone(),
            PushError::MissingParameter("signature"),
        ),
        case(
            "plaintext: an encrypted push",
            Mode::Plaintext,
            safe_query.clone(),
            safe_body.clone(),
            PushError::ModeMismatch { configured: Mode::Plaintext, got: Mode::Safe },
        ),
        // The ciphertext and its frame (all correctly signed, so decryption is reached).
        {
            let (q, b) = encrypted_push("+qdx1OKCy+5JPCBFWw70tm0fJGb2", NOW, "2001");
            case(
                "Encrypt truncated to a partial block",
                Mode::Safe,
                q,
                b,
                PushError::Decrypt(DecryptError::BlockLength),
            )
        },
        {
            let (q, b) = encrypted_push("+qdx1OKCy+5JPCBFWw70tm0fJGb", NOW, "2002");
            case("Encrypt truncated mid-quantum", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Base64))
        },
        {
            let (q, b) = encrypted_push("!!!not base64!!!", NOW, "2003");
            case("Encrypt not base64", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Base64))
        },
        {
            let (q, b) = encrypted_push("", NOW, "2004");
            case("Encrypt empty", Mode::Safe, q, b, PushError::Decrypt(DecryptError::BlockLength))
        },
        {
            let (q, b) = framed(13, msg, app_id, Some(&[0; 29]));
            case("pad byte 0", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Padding))
        },
        {
            let (q, b) = framed(13, msg, app_id, Some(&[33; 29]));
            case("pad byte 33", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Padding))
        },
        {
            let (q, b) = framed(13, msg, app_id, Some(&[255; 29]));
            case("pad byte 255", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Padding))
        },
        {
            let mut padding = vec![29u8; 29];
            padding[0] = 28;
            let (q, b) = framed(13, msg, app_id, Some(&padding));
            case("pad bytes not all equal", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Padding))
        },
        {
            // Valid for a 16-byte unpadder, not for the 32-byte one: pad 29 claimed as 13.
            let mut padding = vec![29u8; 29];
            padding[28] = 30;
            let (q, b) = framed(13, msg, app_id, Some(&padding));
            case("pad longer than the pad bytes", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Padding))
        },
        {
            let (q, b) = framed(14, msg, app_id, None);
            case("msg_len one past the message", Mode::Safe, q, b, PushError::AppIdMismatch)
        },
        {
            let (q, b) = framed(100, msg, app_id, None);
            case("msg_len past the end", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Length))
        },
        {
            let (q, b) = framed(u32::MAX, msg, app_id, None);
            case("msg_len u32::MAX", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Length))
        },
        {
            let (q, b) = encrypted(&[32u8; 32]);
            case("only padding, no header", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Length))
        },
        {
            let (q, b) = framed(13, msg, b"wx0000000000000000", None);
            case("another AppID", Mode::Safe, q, b, PushError::AppIdMismatch)
        },
        {
            let (q, b) = framed(13, msg, &app_id[..17], None);
            case("a prefix of the AppID", Mode::Safe, q, b, PushError::AppIdMismatch)
        },
        {
            let (q, b) = framed(13, msg, b"", None);
            case("no AppID", Mode::Safe, q, b, PushError::AppIdMismatch)
        },
        {
            let (q, b) = framed(4, &[0xff, 0xfe, 0xfd, 0xfc], app_id, None);
            case("message not UTF-8", Mode::Safe, q, b, PushError::Decrypt(DecryptError::Utf8))
        },
        // Freshness, replay, parameters, size.
        {
            let sealed = midas_push::Seal::new(&message, NOW - 301, "3001").seal(&safe).expect("seals");
            case(
                "timestamp 301 s old",
                Mode::Safe,
                sealed.query,
                sealed.body,
                PushError::Stale { timestamp: NOW - 301, now: NOW },
            )
        },
        {
            let sealed = midas_push::Seal::new(&message, NOW + 301, "3002").seal(&safe).expect("seals");
            case(
                "timestamp 301 s ahead",
                Mode::Safe,
                sealed.query,
                sealed.body,
                PushError::Stale { timestamp: NOW + 301, now: NOW },
            )
        },
        case(
            "timestamp not a number",
            Mode::Safe,
            set_param(&safe_query, "timestamp", "soon"),
            safe_body.clone(),
            PushError::BadParameter("timestamp"),
        ),
        case(
            "timestamp missing",
            Mode::Safe,
            drop_param(&safe_query, "timestamp"),
            safe_body.clone(),
            PushError::MissingParameter("timestamp"),
        ),
        case(
            "nonce missing",
            Mode::Safe,
            drop_param(&safe_query, "nonce"),
            safe_body.clone(),
            PushError::MissingParameter("nonce"),
        ),
        case(
            "nonce over 64 characters",
            Mode::Safe,
            set_param(&safe_query, "nonce", &"1".repeat(65)),
            safe_body.clone(),
            PushError::BadParameter("nonce"),
        ),
        case(
            "nonce given twice",
            Mode::Safe,
            format!("{safe_query}&nonce=1"),
            safe_body.clone(),
            PushError::BadParameter("nonce"),
        ),
        case(
            "broken percent escape",
            Mode::Safe,
            format!("{safe_query}&x=%zz"),
            safe_body.clone(),
            PushError::BadParameter("query"),
        ),
        Case {
            send_first: true,
            ..case(
                "replayed timestamp and nonce",
                Mode::Safe,
                safe_query.clone(),
                safe_body.clone(),
                PushError::Replayed,
            )
        },
        Case {
            config: builder(Mode::Safe).max_body(1024).build().expect("valid"),
            ..case(
                "body over the cap",
                Mode::Safe,
                safe_query.clone(),
                vec![b' '; 1025],
                PushError::BodyTooLarge { limit: 1024 },
            )
        },
        // Bodies that are not what they claim.
        {
            let (q, b) = xml_push("hello");
            case("body neither JSON nor XML", Mode::Plaintext, q, b, PushError::Malformed(Malformed::Format))
        },
        {
            let (q, b) = xml_push("{\"Event\":");
            case("invalid JSON", Mode::Plaintext, q, b, PushError::Malformed(Malformed::Json))
        },
        {
            let deep = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
            let (q, b) = xml_push(&deep);
            case("JSON nested 200 deep", Mode::Plaintext, q, b, PushError::Malformed(Malformed::Json))
        },
        {
            let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><xml><Event>&lol2;</Event></xml>"#;
            let (q, b) = xml_push(bomb);
            case("XML entity bomb", Mode::Plaintext, q, b, PushError::Malformed(Malformed::XmlDoctype))
        },
        {
            let xxe = r#"<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Event>&xxe;</Event></xml>"#;
            let (q, b) = xml_push(xxe);
            case("XML external entity", Mode::Plaintext, q, b, PushError::Malformed(Malformed::XmlDoctype))
        },
        {
            let (q, b) = xml_push("<xml><Event>&undefined;</Event></xml>");
            case(
                "XML undefined entity reference",
                Mode::Plaintext,
                q,
                b,
                PushError::Malformed(Malformed::XmlEntity),
            )
        },
        {
            let deep = format!("<xml>{}x{}</xml>", "<a>".repeat(100), "</a>".repeat(100));
            let (q, b) = xml_push(&deep);
            case("XML nested 100 deep", Mode::Plaintext, q, b, PushError::Malformed(Malformed::XmlDepth(8)))
        },
        {
            let wide = format!("<xml>{}</xml>", "<a>1</a>".repeat(2000));
            let (q, b) = xml_push(&wide);
            case(
                "XML with 2000 elements",
                Mode::Plaintext,
                q,
                b,
                PushError::Malformed(Malformed::XmlSize(1024)),
            )
        },
        {
            let (q, b) = xml_push("<xml><?php echo 1; ?><Event>x</Event></xml>");
            case("XML processing instruction", Mode::Plaintext, q, b, PushError::Malformed(Malformed::Xml))
        },
        {
            let (q, b) = xml_push("<xml><Event>x</Event></xml><xml></xml>");
            case("XML with two roots", Mode::Plaintext, q, b, PushError::Malformed(Malformed::Xml))
        },
        {
            let (q, b) = xml_push("<xml><Event>x</Event>");
            case("XML unclosed", Mode::Plaintext, q, b, PushError::Malformed(Malformed::Xml))
        },
        {
            let (q, b) = xml_push("<xml><Event>x</Tag></xml>");
            case("XML mismatched end tag", Mode::Plaintext, q, b, PushError::Malformed(Malformed::Xml))
        },
        // Mini-game payloads.
        {
            let payload = r#"{"OpenId":"o1","OutTradeNo":"order-7","Env":0,"CoinInfo":{"BuyQuantity":1}}"#;
            let m = mini_game_message("minigame_coin_deliver_completed", payload, SANDBOX_KEY, false);
            let (q, b) = seal(&compatible, &m, "4001");
            case(
                "PayEventSig of the wrong environment",
                Mode::Compatible,
                q,
                b,
                PushError::BadSignature(SignatureKind::PayEventSig),
            )
        },
        {
            let payload = r#"{"OpenId":"o1","OutTradeNo":"order-7","Env":0,"CoinInfo":{"BuyQuantity":1}}"#;
            let m = mini_game_message("minigame_coin_deliver_completed", payload, PRODUCTION_KEY, false)
                .replace("BuyQuantity\\\":1", "BuyQuantity\\\":1000");
            assert!(m.contains("1000"), "the edit applies");
            let (q, b) = seal(&compatible, &m, "4002");
            case(
                "payload edited after signing",
                Mode::Compatible,
                q,
                b,
                PushError::BadSignature(SignatureKind::PayEventSig),
            )
        },
        {
            let payload = r#"{"OpenId":"o1","OutTradeNo":"order-7","Env":0,"CoinInfo":{"BuyQuantity":1}}"#;
            let m = mini_game_message("minigame_coin_deliver_completed", payload, PRODUCTION_KEY, false)
                .replace(
                    "\"Event\":\"minigame_coin_deliver_completed\"",
                    "\"Event\":\"minigame_recharge_center_coin_deliver_completed\"",
                );
            let (q, b) = seal(&compatible, &m, "4003");
            case(
                "event name edited after signing",
                Mode::Compatible,
                q,
                b,
                PushError::BadSignature(SignatureKind::PayEventSig),
            )
        },
        {
            let m = r#"{"Event":"minigame_coin_deliver_completed","MiniGame":{"Payload":"{\"Env\":0}","IsMock":false}}"#;
            let (q, b) = seal(&compatible, m, "4004");
            case(
                "PayEventSig missing",
                Mode::Compatible,
                q,
                b,
                PushError::Malformed(Malformed::MissingField("PayEventSig")),
            )
        },
        {
            let m = mini_game_message(
                "minigame_coin_deliver_completed",
                r#"{"OutTradeNo":"o"}"#,
                PRODUCTION_KEY,
                false,
            );
            let (q, b) = seal(&compatible, &m, "4005");
            case(
                "payload without Env",
                Mode::Compatible,
                q,
                b,
                PushError::Malformed(Malformed::MissingField("Env")),
            )
        },
        {
            let m =
                mini_game_message("minigame_coin_deliver_completed", r#"{"Env":2}"#, PRODUCTION_KEY, false);
            let (q, b) = seal(&compatible, &m, "4006");
            case(
                "payload with Env 2",
                Mode::Compatible,
                q,
                b,
                PushError::Malformed(Malformed::BadField("Env")),
            )
        },
        {
            let m = mini_game_message("minigame_coin_deliver_completed", "not json", PRODUCTION_KEY, false);
            let (q, b) = seal(&compatible, &m, "4007");
            case("payload not JSON", Mode::Compatible, q, b, PushError::Malformed(Malformed::Json))
        },
        {
            let payload = r#"{"OpenId":"o1","OutTradeNo":"order-8","Env":1,"CoinInfo":{}}"#;
            let m = mini_game_message("minigame_coin_deliver_completed", payload, SANDBOX_KEY, false);
            let config = midas_push::PushConfig::builder()
                .token(crate::support::TOKEN)
                .encoding_aes_key(crate::support::AES_KEY)
                .app_id(APP_ID)
                .mode(Mode::Compatible)
                .app_key_production(PRODUCTION_KEY)
                .build()
                .expect("valid");
            let (q, b) = seal(&config, &m, "4008");
            Case {
                config,
                ..case(
                    "sandbox event without a sandbox key",
                    Mode::Compatible,
                    q,
                    b,
                    PushError::MissingAppKey(Env::Sandbox),
                )
            }
        },
        // Events.
        {
            let (q, b) = seal(&compatible, r#"{"MsgType":"event","Event":"something_new"}"#, "5001");
            Case {
                config: builder(Mode::Compatible)
                    .unknown_events(UnknownEvents::Refuse)
                    .build()
                    .expect("valid"),
                ..case(
                    "unknown event, refused by policy",
                    Mode::Compatible,
                    q,
                    b,
                    PushError::UnknownEvent("something_new".into()),
                )
            }
        },
        {
            let m = goods_delivery("x").replace("\"OutTradeNo\":\"x\",", "");
            let (q, b) = seal(&compatible, &m, "5002");
            case(
                "delivery without OutTradeNo",
                Mode::Compatible,
                q,
                b,
                PushError::Malformed(Malformed::MissingField("OutTradeNo")),
            )
        },
        {
            let m = goods_delivery("x").replace("\"Quantity\":2", "\"Quantity\":\"two\"");
            let (q, b) = seal(&compatible, &m, "5003");
            case(
                "Quantity not a number",
                Mode::Compatible,
                q,
                b,
                PushError::Malformed(Malformed::BadField("Quantity")),
            )
        },
        {
            let m = goods_delivery("x").replace("\"Event\":\"xpay_goods_deliver_notify\"", "\"Event\":7");
            let (q, b) = seal(&compatible, &m, "5004");
            case("Event not text", Mode::Compatible, q, b, PushError::Malformed(Malformed::BadField("Event")))
        },
    ];
    cases
}

#[tokio::test]
async fn every_bad_push_is_refused_before_the_handler() {
    let cases = cases();
    assert!(cases.len() >= 40, "the table has {} cases", cases.len());
    for case in cases {
        let retry = case.expected.retry();
        let (receiver, counter) = counting_receiver(case.config);
        if case.send_first {
            receiver
                .receive(&case.query, &case.body)
                .await
                .unwrap_or_else(|err| panic!("{}: first send: {err}", case.name));
        }
        let handled_before = counter.calls();
        let refused = match receiver.receive(&case.query, &case.body).await {
            Ok(reply) => panic!("{}: accepted with {reply:?}", case.name),
            Err(refused) => refused,
        };
        match refused.reason() {
            Refusal::Push(err) => assert_eq!(err, &case.expected, "{}", case.name),
            other => panic!("{}: refused for {other:?}", case.name),
        }
        assert_eq!(counter.calls(), handled_before, "{}: the handler ran", case.name);
        assert_eq!(refused.retry(), retry, "{}", case.name);
        let status = if retry == Retry::No { 400 } else { 503 };
        assert_eq!(refused.reply().status(), status, "{}", case.name);
    }
}

#[test]
fn only_a_missing_app_key_is_worth_a_retry() {
    assert_eq!(PushError::MissingAppKey(Env::Sandbox).retry(), Retry::Yes);
    assert_eq!(PushError::BadSignature(SignatureKind::PayEventSig).retry(), Retry::No);
    assert_eq!(PushError::Stale { timestamp: 0, now: 1000 }.retry(), Retry::No);
}
