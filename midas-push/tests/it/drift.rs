//! The drift tolerance of the typed decoding, field by field: spellings and their priority,
//! numbers as text, flags, empty XML groups, repeated fields, escapes, and the fields map read
//! on demand. Each case opens a sealed push, so it runs the decoding the opener runs.

use midas_core::Env;
use midas_push::{Event, Malformed, Mode, Push, PushConfig, PushError, UnknownEvents};
use serde_json::{Map, Value};

use crate::support::{PRODUCTION_KEY, builder, config, mini_game_message, opener, plain_query, seal};

fn open(message: &str) -> Result<Push, PushError> {
    let config = config(Mode::Safe);
    let (query, body) = seal(&config, message, "7001");
    opener(config).open_raw(&query, &body)
}

fn opens(message: &str) -> Push {
    open(message).unwrap_or_else(|err| panic!("opens {message}: {err}"))
}

fn refused(message: &str) -> PushError {
    open(message).err().unwrap_or_else(|| panic!("refused: {message}"))
}

fn goods(push: &Push) -> &midas_push::GoodsDelivery {
    match push.event() {
        Event::XpayGoodsDeliver(d) => d,
        other => panic!("{other:?}"),
    }
}

const HEAD: &str = r#""MsgType":"event","Event":"xpay_goods_deliver_notify","OutTradeNo":"o-1""#;

#[test]
fn every_spelling_is_read_and_the_first_present_counts() {
    let push = opens(&format!(
        r#"{{{HEAD},"openid":"lower","env":1,"WechatPayInfo":{{"PaidTime":"7"}},"GoodsInfo":{{"BuyQuantity":3,"TotalPrice":"9"}}}}"#
    ));
    let d = goods(&push);
    assert_eq!(d.open_id, "lower");
    assert_eq!(d.env, Some(Env::Sandbox));
    assert_eq!(push.env(), Some(Env::Sandbox));
    assert_eq!(d.wechat_pay_info.as_ref().and_then(|p| p.paid_time), Some(7));
    assert_eq!((d.goods_info.quantity, d.goods_info.actual_price), (Some(3), Some(9)));

    let push = opens(&format!(
        r#"{{{HEAD},"openid":"c","OpenID":"b","OpenId":"a","GoodsInfo":{{"BuyQuantity":3,"Quantity":4}},"env":1,"Env":0}}"#
    ));
    let d = goods(&push);
    assert_eq!((d.open_id.as_str(), d.goods_info.quantity, d.env), ("a", Some(4), Some(Env::Production)));

    // The first spelling present counts even when it is null: the others are not looked at.
    assert_eq!(
        refused(&format!(r#"{{{HEAD},"OpenId":null,"openid":"x","GoodsInfo":{{}}}}"#)),
        PushError::Malformed(Malformed::MissingField("OpenId"))
    );
    let push = opens(&format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{"Quantity":null,"BuyQuantity":5}}}}"#));
    assert_eq!(goods(&push).goods_info.quantity, None);
    // An error names the first spelling, whichever was present.
    assert_eq!(
        refused(&format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{"BuyQuantity":"x"}}}}"#)),
        PushError::Malformed(Malformed::BadField("Quantity"))
    );
    assert_eq!(
        refused(&format!(r#"{{{HEAD},"OpenId":"a","env":2,"GoodsInfo":{{}}}}"#)),
        PushError::Malformed(Malformed::BadField("Env"))
    );
}

#[test]
fn numbers_text_and_flags_are_read_tolerantly() {
    let push = opens(&format!(
        r#"{{{HEAD},"OpenId":12345,"GoodsInfo":{{"ProductId":7,"Quantity":" 2 ","OrigPrice":"","ZoneId":1.5,"Attach":null}}}}"#
    ));
    let d = goods(&push);
    assert_eq!(d.open_id, "12345");
    assert_eq!(d.goods_info.product_id.as_deref(), Some("7"));
    assert_eq!(d.goods_info.quantity, Some(2));
    assert_eq!(d.goods_info.orig_price, None);
    assert_eq!(d.goods_info.zone_id.as_deref(), Some("1.5"));
    assert_eq!(d.goods_info.attach, None);

    for (quantity, field) in
        [("1.5", "Quantity"), ("-1", "Quantity"), ("true", "Quantity"), ("[1]", "Quantity")]
    {
        assert_eq!(
            refused(&format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{"Quantity":{quantity}}}}}"#)),
            PushError::Malformed(Malformed::BadField(field)),
            "{quantity}"
        );
    }
    assert_eq!(
        refused(&format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{"ProductId":{{"a":1}}}}}}"#)),
        PushError::Malformed(Malformed::BadField("ProductId"))
    );
    assert_eq!(
        refused(&format!(r#"{{{HEAD},"OpenId":"","GoodsInfo":{{}}}}"#)),
        PushError::Malformed(Malformed::MissingField("OpenId"))
    );
    assert_eq!(
        refused(&format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":"x"}}"#)),
        PushError::Malformed(Malformed::BadField("GoodsInfo"))
    );

    let refund =
        opens(r#"{"Event":"xpay_refund_notify","MchRefundId":"r","RetCode":"-2","RefundFee":" 100 "}"#);
    let Event::XpayRefund(r) = refund.event() else { panic!("{:?}", refund.event()) };
    assert_eq!((r.ret_code, r.refund_fee), (Some(-2), Some(100)));
    let refund = opens(r#"{"Event":"xpay_refund_notify","MchRefundId":"r","RetCode":-2}"#);
    assert!(matches!(refund.event(), Event::XpayRefund(r) if r.ret_code == Some(-2)));
    assert_eq!(
        refused(r#"{"Event":"xpay_refund_notify","MchRefundId":"r","RetCode":1.0}"#),
        PushError::Malformed(Malformed::BadField("RetCode"))
    );
    let ios = opens(r#"{"Event":"xpay_subscribe_ios_refund_query_notify","PayOrderId":"p-2"}"#);
    assert!(matches!(ios.event(), Event::XpayIosRefundQuery(q) if q.pay_order_id == "p-2"));
}

#[test]
fn is_mock_takes_every_form_of_a_flag() {
    let payload = r#"{"OpenId":"o","OutTradeNo":"m-1","Env":0,"CoinInfo":{}}"#;
    let name = "minigame_coin_deliver_completed";
    let signed = mini_game_message(name, payload, PRODUCTION_KEY, false);
    for (flag, expected) in [
        ("true", Some(true)),
        ("1", Some(true)),
        ("\"TRUE\"", Some(true)),
        ("\" 1 \"", Some(true)),
        ("\"\"", Some(false)),
        ("\"False\"", Some(false)),
        ("0", Some(false)),
        ("null", Some(false)),
        ("2", None),
        ("\"yes\"", None),
        ("[]", None),
    ] {
        let message = signed.replace("\"IsMock\":false", &format!("\"IsMock\":{flag}"));
        assert_ne!(message, signed);
        match expected {
            Some(mock) => assert_eq!(opens(&message).is_mock(), mock, "{flag}"),
            None => {
                assert_eq!(refused(&message), PushError::Malformed(Malformed::BadField("IsMock")), "{flag}")
            }
        }
    }
    let without = signed.replace("\"IsMock\":false,", "").replace(",\"IsMock\":false", "");
    assert_ne!(without, signed);
    assert!(!opens(&without).is_mock());
}

#[test]
fn a_repeated_field_keeps_its_last_value_and_escapes_are_decoded() {
    let push = opens(&format!(
        r#"{{{HEAD},"OpenId":"first","OpenId":"sec\u006fnd","GoodsInfo":{{"Attach":"a\"b\\c\/d\n\u00e9\ud83d\ude00"}},"OutTradeNo":"o-2"}}"#
    ));
    let d = goods(&push);
    assert_eq!(d.open_id, "second");
    assert_eq!(d.out_trade_no, "o-2");
    assert_eq!(d.goods_info.attach.as_deref(), Some("a\"b\\c/d\né😀"));
    // A key spelled with an escape is the same key.
    let push = opens(r#"{"\u0045vent":"xpay_complaint_notify","ComplaintId":"c-1"}"#);
    assert!(matches!(push.event(), Event::XpayComplaint(c) if c.complaint_id == "c-1"));
}

#[test]
fn a_message_a_map_would_not_read_is_refused_even_in_fields_no_event_reads() {
    for message in [
        format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{}},"Unread":"\ud800"}}"#),
        format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{}},"Unread":1e400}}"#),
        format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{"Unread":[1,{{"x":"\q"}}]}}}}"#),
        format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{}}}} x"#),
        format!(r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{}},}}"#),
    ] {
        assert!(serde_json::from_str::<Map<String, Value>>(&message).is_err(), "{message}");
        assert_eq!(refused(&message), PushError::Malformed(Malformed::Json), "{message}");
    }
    assert_eq!(refused(r#"{"Event":null}"#), PushError::Malformed(Malformed::BadField("Event")));
    assert_eq!(
        refused(r#"{"Event":"e","MsgType":true}"#),
        PushError::Malformed(Malformed::BadField("MsgType"))
    );
    assert_eq!(
        refused(r#"{"Event":"e","MiniGame":1}"#),
        PushError::Malformed(Malformed::BadField("MiniGame"))
    );
    assert_eq!(
        refused(r#"{"Event":"e","MiniGame":{"Payload":null}}"#),
        PushError::Malformed(Malformed::BadField("Payload"))
    );
    // Unknown fields of any shape, and a MiniGame that is null or blank text, are fine.
    let push = opens(r#"{"MsgType":"text","MiniGame":" ","X":{"y":[1,2.5,null,true,{"z":"\u00e9"}]}}"#);
    assert!(push.event().is_unknown());
    assert!(opens(r#"{"Event":"e","MiniGame":null}"#).event().is_unknown());
}

#[test]
fn the_fields_map_is_the_messages_whichever_way_it_was_decoded() {
    let json = format!(
        r#"{{{HEAD},"OpenId":"a","GoodsInfo":{{"Quantity":"2"}},"Extra":[1,{{"k":null}}],"MsgId":12,"MsgId":13}}"#
    );
    let push = opens(&json);
    let before = push.clone();
    let expected: Map<String, Value> = serde_json::from_str(&json).expect("json");
    assert_eq!(push.fields(), &expected);
    assert_eq!(push.fields()["MsgId"], 13);
    // A clone made before or after the fields were read sees the same fields.
    assert_eq!(push.clone().fields(), &expected);
    assert_eq!(before.fields(), &expected);

    let xml = "<xml><MsgType>text</MsgType><MsgId>42</MsgId><Content><![CDATA[hi]]></Content>\
               <WeChatPayInfo></WeChatPayInfo></xml>";
    let push = opens(xml);
    assert_eq!(push.fields()["MsgId"], "42");
    assert_eq!(push.fields()["Content"], "hi");
    assert_eq!(push.event_key().as_str(), "text:42");
}

#[test]
fn an_empty_xml_group_is_absent() {
    let xml = "<xml><Event>xpay_goods_deliver_notify</Event><OpenId>a</OpenId><OutTradeNo>o-1</OutTradeNo>\
               <Env>1</Env><WeChatPayInfo> </WeChatPayInfo><GoodsInfo><Quantity> 3 </Quantity></GoodsInfo></xml>";
    let push = opens(xml);
    let d = goods(&push);
    assert_eq!(d.wechat_pay_info, None);
    assert_eq!((d.goods_info.quantity, d.env), (Some(3), Some(Env::Sandbox)));
    let empty = xml.replace("<GoodsInfo><Quantity> 3 </Quantity></GoodsInfo>", "<GoodsInfo/>");
    assert_eq!(refused(&empty), PushError::Malformed(Malformed::MissingField("GoodsInfo")));
}

#[test]
fn a_refused_unknown_event_is_named_by_event_else_msg_type() {
    let refusing = |message: &str| {
        let config: PushConfig =
            builder(Mode::Plaintext).unknown_events(UnknownEvents::Refuse).build().expect("config");
        opener(config).open_raw(&plain_query(crate::support::NOW, "7100"), message.as_bytes())
    };
    assert_eq!(
        refusing(r#"{"MsgType":"text","Content":"hi"}"#).err(),
        Some(PushError::UnknownEvent("text".into()))
    );
    assert_eq!(refusing(r#"{"MsgType":7}"#).err(), Some(PushError::UnknownEvent("7".into())));
    assert_eq!(refusing(r#"{"Content":"hi"}"#).err(), Some(PushError::UnknownEvent(String::new())));
    assert_eq!(
        refusing(r#"{"MsgType":"event","Event":"new_one"}"#).err(),
        Some(PushError::UnknownEvent("new_one".into()))
    );
    assert_eq!(
        refusing("<xml><MsgType>voice</MsgType></xml>").err(),
        Some(PushError::UnknownEvent("voice".into()))
    );
}
