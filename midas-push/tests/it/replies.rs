//! Replies per family and format, the encrypted envelope, refusals.

use midas_push::{
    Answer, EncodingAesKey, Family, Format, IosRefundDecision, Mode, PushCipher, PushError, RefundAdvice,
    Reply, ReplyEncryption, SignatureKind, Token, sign,
};

use crate::support::{AES_KEY, APP_ID, NOW, TOKEN, builder, config, opener, seal};

#[test]
fn success_replies_per_family_and_format() {
    assert_eq!(Reply::success(Family::Xpay, Format::Json).body(), r#"{"ErrCode":0,"ErrMsg":"success"}"#);
    assert_eq!(
        Reply::success(Family::Xpay, Format::Xml).body(),
        "<xml><ErrCode>0</ErrCode><ErrMsg><![CDATA[success]]></ErrMsg></xml>"
    );
    assert_eq!(Reply::success(Family::MiniGame, Format::Json).body(), r#"{"ErrCode":0,"ErrMsg":"Success"}"#);
    assert_eq!(Reply::success(Family::Message, Format::Xml).body(), "success");
    assert_eq!(Reply::success(Family::Xpay, Format::Json).content_type(), "application/json");
    assert_eq!(Reply::success(Family::Xpay, Format::Xml).content_type(), "application/xml");
}

#[test]
fn failure_replies_carry_errcode_99999() {
    assert_eq!(
        Reply::failure(Family::MiniGame, Format::Json, "out of stock").body(),
        r#"{"ErrCode":99999,"ErrMsg":"out of stock"}"#
    );
    assert_eq!(
        Reply::failure(Family::Xpay, Format::Xml, "a ]]> b").body(),
        "<xml><ErrCode>99999</ErrCode><ErrMsg><![CDATA[a ]]]]><![CDATA[> b]]></ErrMsg></xml>"
    );
    assert_eq!(Reply::failure(Family::Message, Format::Json, "x").status(), 500);
}

#[test]
fn refused_replies_say_whether_to_retry() {
    assert_eq!(Reply::refused(&PushError::BadSignature(SignatureKind::MsgSignature)).status(), 400);
    assert_eq!(Reply::refused(&PushError::MissingAppKey(midas_core::Env::Sandbox)).status(), 503);
}

#[test]
fn ios_refund_decision_in_both_formats() {
    let decision = IosRefundDecision::new(RefundAdvice::Refuse, "consumed").evidence("30 coins used");
    assert_eq!(
        decision.reply(Format::Json).body(),
        r#"{"ErrCode":0,"ErrMsg":"success","result_code":1,"result_info":"consumed","evidence":"30 coins used"}"#
    );
    assert_eq!(
        decision.reply(Format::Xml).body(),
        "<xml><ErrCode>0</ErrCode><ErrMsg><![CDATA[success]]></ErrMsg><result_code>1</result_code>\
         <result_info><![CDATA[consumed]]></result_info><evidence><![CDATA[30 coins used]]></evidence></xml>"
    );
}

fn open_envelope(body: &str, format: Format) -> (String, String, String, String) {
    let fields = match format {
        Format::Json => {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(body).expect("json")
        }
        Format::Xml => {
            // Read the envelope back through the receiving side's XML reader.
            let config = config(Mode::Plaintext);
            let (query, _) = seal(&config, body, "1");
            opener(config).open_raw(&query, body.as_bytes()).expect("xml").fields().clone()
        }
    };
    let text = |name: &str| match &fields[name] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    (text("Encrypt"), text("MsgSignature"), text("TimeStamp"), text("Nonce"))
}

#[test]
fn decision_replies_to_encrypted_pushes_are_encrypted_and_verify() {
    for format in [Format::Json, Format::Xml] {
        let config = config(Mode::Safe);
        let message = match format {
            Format::Json => r#"{"Event":"xpay_subscribe_ios_refund_query_notify","pay_order_id":"p-1"}"#.to_owned(),
            Format::Xml => "<xml><Event>xpay_subscribe_ios_refund_query_notify</Event><pay_order_id>p-1</pay_order_id></xml>".to_owned(),
        };
        let (query, body) = seal(&config, &message, "1");
        let push = opener(config.clone()).open_raw(&query, &body).expect("opens");
        let decision = IosRefundDecision::new(RefundAdvice::SuggestRefund, "not delivered");
        let reply =
            Reply::for_answer(&push, &Answer::IosRefund(decision.clone()), &config, NOW).expect("reply");
        let (encrypt, signature, timestamp, nonce) = open_envelope(reply.body(), format);
        let token = Token::new(TOKEN).expect("token");
        assert_eq!(sign::msg_signature(&token, &timestamp, &nonce, &encrypt), signature);
        assert_eq!(timestamp, NOW.to_string());
        let key = EncodingAesKey::new(AES_KEY).expect("key");
        let inner = PushCipher::new(&key, APP_ID).decrypt(&encrypt).expect("decrypts").message;
        assert_eq!(inner, decision.reply(format).body());

        // ErrCode replies stay plaintext by default, and can be encrypted too.
        let success = Reply::for_answer(&push, &Answer::Success, &config, NOW).expect("reply");
        assert_eq!(success, Reply::success(Family::Xpay, format));
        let always = builder(Mode::Safe).reply_encryption(ReplyEncryption::Always).build().expect("valid");
        let encrypted = Reply::for_answer(&push, &Answer::Success, &always, NOW).expect("reply");
        assert!(encrypted.body().contains("MsgSignature"));
        let never = builder(Mode::Safe).reply_encryption(ReplyEncryption::Never).build().expect("valid");
        let plain =
            Reply::for_answer(&push, &Answer::IosRefund(decision.clone()), &never, NOW).expect("reply");
        assert_eq!(plain, decision.reply(format));
    }
}

#[test]
fn two_encrypted_replies_use_fresh_randomness() {
    let config = config(Mode::Safe);
    let (query, body) =
        seal(&config, r#"{"Event":"xpay_subscribe_ios_refund_query_notify","pay_order_id":"p"}"#, "1");
    let push = opener(config.clone()).open_raw(&query, &body).expect("opens");
    let answer = Answer::IosRefund(IosRefundDecision::new(RefundAdvice::Refuse, "x"));
    let a = Reply::for_answer(&push, &answer, &config, NOW).expect("reply");
    let b = Reply::for_answer(&push, &answer, &config, NOW).expect("reply");
    assert_ne!(a.body(), b.body());
}

#[test]
fn a_decision_for_another_event_answers_plain_success() {
    let config = config(Mode::Safe);
    let (query, body) = seal(&config, &crate::support::goods_delivery("o-1"), "1");
    let push = opener(config.clone()).open_raw(&query, &body).expect("opens");
    let answer = Answer::IosRefund(IosRefundDecision::new(RefundAdvice::Refuse, "x"));
    assert_eq!(
        Reply::for_answer(&push, &answer, &config, NOW).expect("reply"),
        Reply::success(Family::Xpay, Format::Json)
    );
}

#[test]
fn answers_survive_their_stored_text() {
    for answer in [
        Answer::Success,
        Answer::IosRefund(IosRefundDecision::new(RefundAdvice::SuggestRefund, "a \"quoted\" reason")),
        Answer::IosRefund(IosRefundDecision::new(RefundAdvice::Refuse, "r").evidence("e")),
    ] {
        assert_eq!(Answer::decode(&answer.encode()), Ok(answer));
    }
    assert!(Answer::decode("{}").is_err());
    assert!(Answer::decode(r#"{"answer":"ios_refund","result_code":7,"result_info":"x"}"#).is_err());
    assert!(Answer::decode("not json").is_err());
}
