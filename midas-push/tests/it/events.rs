//! Typed events from JSON and XML, tolerant of the documented drift, with their keys.

use midas_core::Env;
use midas_push::{Event, Family, Format, KeyKind, Mode, Push, RefundSource};

use crate::support::{
    NOW, PRODUCTION_KEY, SANDBOX_KEY, config, goods_delivery, mini_game_message, opener, seal,
};

fn open(mode: Mode, message: &str) -> Push {
    let config = config(mode);
    let (query, body) = seal(&config, message, "9001");
    opener(config).open_raw(&query, &body).unwrap_or_else(|err| panic!("opens: {err}"))
}

#[test]
fn xpay_goods_delivery_from_json() {
    let push = open(Mode::Safe, &goods_delivery("order-0001"));
    assert_eq!(push.family(), Family::Xpay);
    assert_eq!(push.format(), Format::Json);
    let Event::XpayGoodsDeliver(delivery) = push.event() else { panic!("{:?}", push.event()) };
    assert_eq!(delivery.out_trade_no, "order-0001");
    assert_eq!(delivery.env, Some(Env::Production));
    assert_eq!(delivery.goods_info.product_id.as_deref(), Some("sword"));
    assert_eq!(delivery.goods_info.quantity, Some(2));
    assert_eq!(delivery.goods_info.actual_price, Some(500));
    let pay = delivery.wechat_pay_info.as_ref().expect("pay info");
    assert_eq!(pay.transaction_id.as_deref(), Some("tx-1"));
    assert_eq!(pay.paid_time, Some(1714112400));
    assert_eq!(push.event_key().as_str(), "delivery:order-0001");
    assert_eq!(push.event_key().kind(), &KeyKind::Delivery);
    assert_eq!(push.event_key().id(), "order-0001");
}

const XML_DELIVERY: &str = "<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\
<FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName><CreateTime>1714112445</CreateTime>\
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[xpay_goods_deliver_notify]]></Event>\
<OpenId><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></OpenId><OutTradeNo><![CDATA[order-0001]]></OutTradeNo>\
<Env>0</Env><WeChatPayInfo><MchOrderNo><![CDATA[mch-1]]></MchOrderNo><TransactionId><![CDATA[tx-1]]></TransactionId>\
<PaidTime>1714112400</PaidTime></WeChatPayInfo><GoodsInfo><ProductId><![CDATA[sword]]></ProductId><Quantity>2</Quantity>\
<OrigPrice>600</OrigPrice><ActualPrice>500</ActualPrice><Attach><![CDATA[a]]></Attach></GoodsInfo></xml>";

#[test]
fn xml_and_json_decode_to_the_same_event() {
    for mode in [Mode::Plaintext, Mode::Compatible, Mode::Safe] {
        let xml = open(mode, XML_DELIVERY);
        let json = open(mode, &goods_delivery("order-0001"));
        assert_eq!(xml.format(), Format::Xml, "{mode}");
        assert_eq!(xml.event(), json.event(), "{mode}");
        assert_eq!(xml.event_key(), json.event_key(), "{mode}");
        assert_eq!(xml.message(), XML_DELIVERY);
    }
}

#[test]
fn numbers_sent_as_strings_are_read() {
    let message = goods_delivery("order-2")
        .replace("\"Quantity\":2", "\"Quantity\":\"2\"")
        .replace("\"Env\":0", "\"Env\":\"0\"");
    let push = open(Mode::Safe, &message);
    let Event::XpayGoodsDeliver(delivery) = push.event() else { panic!("{:?}", push.event()) };
    assert_eq!(delivery.goods_info.quantity, Some(2));
    assert_eq!(delivery.env, Some(Env::Production));
}

#[test]
fn xpay_coin_refund_complaint_subscription_and_ios_events() {
    let coin = open(
        Mode::Safe,
        r#"{"Event":"xpay_coin_pay_notify","OpenId":"o","OutTradeNo":"c-1","CoinInfo":{"Quantity":"60","ActualPrice":600}}"#,
    );
    let Event::XpayCoinPay(delivery) = coin.event() else { panic!("{:?}", coin.event()) };
    assert_eq!(delivery.coin_info.quantity, Some(60));
    assert_eq!(coin.event_key().as_str(), "delivery:c-1");

    let refund = open(
        Mode::Safe,
        r#"{"Event":"xpay_refund_notify","OpenId":"o","MchRefundId":"r-1","WxRefundId":"w","MchOrderId":"c-1","RefundFee":100,"RetCode":0,"RetMsg":"ok","RetryTimes":"2"}"#,
    );
    let Event::XpayRefund(r) = refund.event() else { panic!("{:?}", refund.event()) };
    assert_eq!((r.refund_fee, r.ret_code, r.retry_times), (Some(100), Some(0), Some(2)));
    assert_eq!(refund.event_key().as_str(), "refund:r-1");
    assert_eq!(refund.event_key().kind(), &KeyKind::Refund);

    let complaint =
        open(Mode::Safe, r#"{"Event":"xpay_complaint_notify","ComplaintId":"cp-9","Extra":"kept"}"#);
    assert!(matches!(complaint.event(), Event::XpayComplaint(c) if c.complaint_id == "cp-9"));
    assert_eq!(complaint.event_key().as_str(), "xpay_complaint_notify:cp-9");
    assert_eq!(complaint.fields()["Extra"], "kept");

    let signing = open(
        Mode::Safe,
        r#"{"Event":"xpay_subscribe_signing_result_notify","OpenId":"o","OutTradeNo":"s-1"}"#,
    );
    assert!(
        matches!(signing.event(), Event::XpaySubscribeSigningResult(s) if s.out_trade_no.as_deref() == Some("s-1"))
    );
    assert_eq!(signing.event_key().as_str(), "xpay_subscribe_signing_result_notify:s-1");
    let fail = open(Mode::Safe, r#"{"Event":"xpay_subscribe_pay_fail_notify"}"#);
    assert!(matches!(fail.event(), Event::XpaySubscribePayFail(_)));
    assert!(fail.event_key().as_str().starts_with("xpay_subscribe_pay_fail_notify:"));
    assert_eq!(fail.event_key().id().len(), 40, "SHA-1 of the message when there is no id");

    let ios = open(
        Mode::Safe,
        r#"{"Event":"xpay_subscribe_ios_refund_query_notify","pay_order_id":"p-1","p_count":"3","product_id":"vip","refund_time":1714112400}"#,
    );
    let Event::XpayIosRefundQuery(q) = ios.event() else { panic!("{:?}", ios.event()) };
    assert_eq!((q.p_count, q.product_id.as_deref(), q.refund_time), (Some(3), Some("vip"), Some(1714112400)));
    assert_eq!(ios.event_key().as_str(), "xpay_subscribe_ios_refund_query_notify:p-1");
}

#[test]
fn mini_game_events_and_their_aliases() {
    let payload = r#"{"OpenId":"o","OutTradeNo":"g-1","Env":0,"WeChatPayInfo":{"MchOrderNo":"m","TransactionId":"t"},"GoodsInfo":{"ProductId":"p","Quantity":1,"ZoneId":"z","OrigPrice":10,"ActualPrice":"9","Attach":"","OrderSource":1}}"#;
    let mut keys = Vec::new();
    for name in ["minigame_h5_goods_deliver_notify", "minigame_deliver_h5_pay_products"] {
        let push = open(Mode::Safe, &mini_game_message(name, payload, PRODUCTION_KEY, false));
        assert_eq!(push.family(), Family::MiniGame);
        let Event::MiniGameH5GoodsDeliver(d) = push.event() else { panic!("{:?}", push.event()) };
        assert_eq!(d.goods_info.actual_price, Some(9));
        assert_eq!(d.goods_info.zone_id.as_deref(), Some("z"));
        assert_eq!(push.event().name(), Some("minigame_h5_goods_deliver_notify"));
        keys.push(push.event_key());
    }
    assert_eq!(keys[0], keys[1]);

    let game = open(
        Mode::Safe,
        &mini_game_message("minigame_game_pay_goods_deliver_notify", payload, PRODUCTION_KEY, false),
    );
    assert!(matches!(game.event(), Event::MiniGameGoodsDeliver(d) if d.goods_info.order_source == Some(1)));

    let coin_payload =
        r#"{"OpenId":"o","OutTradeNo":"c-1","Env":1,"CoinInfo":{"ActualPrice":100,"BuyQuantity":10}}"#;
    let center = open(
        Mode::Safe,
        &mini_game_message(
            "minigame_recharge_center_coin_deliver_completed",
            coin_payload,
            SANDBOX_KEY,
            false,
        ),
    );
    assert!(
        matches!(center.event(), Event::MiniGameRechargeCenterCoinDeliver(d) if d.coin_info.quantity == Some(10))
    );
    assert_eq!(center.env(), Some(Env::Sandbox));

    let refund_payload =
        r#"{"RefundId":"rf-1","RefundAmount":100,"RefundSource":3,"Env":0,"OutTradeNo":"c-1"}"#;
    let refund = open(
        Mode::Safe,
        &mini_game_message("minigame_pay_refund_succ_notify", refund_payload, PRODUCTION_KEY, false),
    );
    let Event::MiniGameRefund(r) = refund.event() else { panic!("{:?}", refund.event()) };
    assert_eq!((r.refund_source, r.refund_amount), (Some(RefundSource::Api), Some(100)));
    assert_eq!(refund.event_key().as_str(), "refund:rf-1");
}

#[test]
fn mini_game_payload_in_xml_is_signed_as_received() {
    let payload =
        r#"{"OpenId":"o","OutTradeNo":"x-1","Env":0,"CoinInfo":{"BuyQuantity":1,"TotalPrice":100}}"#;
    let key = midas_core::AppKey::new(PRODUCTION_KEY).expect("key");
    let sig = midas_push::sign::pay_event_sig(&key, "minigame_coin_deliver_completed", payload);
    let message = format!(
        "<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[minigame_coin_deliver_completed]]></Event>\
         <MiniGame><Payload><![CDATA[{payload}]]></Payload><PayEventSig><![CDATA[{sig}]]></PayEventSig><IsMock>true</IsMock></MiniGame></xml>"
    );
    let push = open(Mode::Safe, &message);
    assert_eq!(push.payload(), Some(payload));
    assert!(push.is_mock());
    assert!(matches!(push.event(), Event::MiniGameCoinDeliver(d) if d.coin_info.actual_price == Some(100)));
}

#[test]
fn unknown_events_are_kept_raw() {
    let message = r#"{"MsgType":"event","Event":"brand_new_event","Data":{"x":1}}"#;
    let push = open(Mode::Compatible, message);
    assert_eq!(
        push.event(),
        &Event::Unknown { event: Some("brand_new_event".into()), msg_type: Some("event".into()) }
    );
    assert!(push.event().is_unknown());
    assert_eq!(push.message(), message);
    assert_eq!(push.family(), Family::Message);
    assert!(push.event_key().as_str().starts_with("brand_new_event:"));

    let xpay = open(Mode::Compatible, r#"{"Event":"xpay_new_kind"}"#);
    assert_eq!(xpay.family(), Family::Xpay);
    let mini = open(
        Mode::Compatible,
        &mini_game_message("minigame_new_kind", r#"{"Env":0}"#, PRODUCTION_KEY, false),
    );
    assert_eq!(mini.family(), Family::MiniGame);
    assert!(mini.event().is_unknown());
}

#[test]
fn a_compatible_body_uses_only_the_decrypted_message() {
    let config = config(Mode::Compatible);
    let (query, body) = seal(&config, &goods_delivery("real"), "9100");
    // The plaintext copy beside `Encrypt` is not covered by msg_signature: editing it changes nothing.
    let edited = String::from_utf8(body)
        .expect("utf8")
        .replace("\"OutTradeNo\":\"real\"", "\"OutTradeNo\":\"forged\"");
    assert!(edited.contains("forged"));
    let push = opener(config).open_raw(&query, edited.as_bytes()).expect("opens");
    assert_eq!(push.event_key().id(), "real");
    assert_eq!(push.timestamp(), NOW);
    assert_eq!(push.nonce(), "9100");
}
