//! The cash purchase lifecycle: launch parameters signed by the SDK and paid by the local
//! server's simulated player, the delivery push granted once, `query_order`, a partial
//! refund and its push, and the reconciler's fallback when no push gets through.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hmac::{KeyInit, Mac};
use midas_api::purchase::{CashOrder, LaunchApi, LaunchContext, LaunchParams, sign_launch};
use midas_api::push::{Answer, Event, HandlerError, Mode, Opener, Push, PushConfig, Receiver};
use midas_api::xpay::{self, OrderRef, OrderStatus, RefundOrder, RefundReason, RefundRequester};
use midas_api::{
    ApiErrorKind, AppKey, Client, Config, Deliveries, Delivery, DeliveryError, Env, Error, Journal,
    JournalInbox, Player, PurchaseReconciler, PurchaseState, Pushed, RetryPolicy, Rule, SessionKey,
    StaticToken,
};
use midas_emulator::{Emulator, Injection, LaunchTexts, PayRefused, PushTarget};

const OPENID: &str = "player-cash-1";
const SESSION_KEY: &str = "cash-session-key";

fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn launch_parameters_match_an_independent_computation() {
    let (app_key, session_key) =
        (AppKey::new("12345").unwrap(), SessionKey::new("9hAb/NEYUlkaMBEsmFgzig==").unwrap());
    let context = LaunchContext {
        offer_id: "123",
        env: Env::Production,
        app_key: &app_key,
        session_key: &session_key,
        zone_id: "1",
    };
    // The documentation's example signData, in its field order.
    let goods =
        CashOrder::goods("xxxxxx-0001", "testproductId", 10, 1).unwrap().with_attach("testdata").unwrap();
    let launch = sign_launch(LaunchApi::VirtualPayment, &goods, &context).unwrap();
    let expected = r#"{"offerId":"123","buyQuantity":1,"env":0,"currencyType":"CNY","productId":"testproductId","goodsPrice":10,"outTradeNo":"xxxxxx-0001","attach":"testdata"}"#;
    assert_eq!(launch.sign_data, expected);
    assert_eq!(launch.pay_sig, hmac_hex("12345", &format!("requestVirtualPayment&{expected}")));
    assert_eq!(launch.signature, hmac_hex("9hAb/NEYUlkaMBEsmFgzig==", expected));
    assert_eq!(launch.mode, "short_series_goods");

    let coins = CashOrder::coins("coins-0001", 60).unwrap();
    let launch = sign_launch(LaunchApi::VirtualPayment, &coins, &context).unwrap();
    let expected = r#"{"offerId":"123","buyQuantity":60,"env":0,"currencyType":"CNY","outTradeNo":"coins-0001","attach":""}"#;
    assert_eq!((launch.mode, launch.sign_data.as_str()), ("short_series_coin", expected));
    assert_eq!(launch.pay_sig, hmac_hex("12345", &format!("requestVirtualPayment&{expected}")));

    let sandbox = LaunchContext { env: Env::Sandbox, zone_id: "2", ..context };
    let item = CashOrder::goods("item-0001", "sword", 600, 2).unwrap();
    let launch = sign_launch(LaunchApi::MidasPaymentGameItem, &item, &sandbox).unwrap();
    let expected = r#"{"mode":"goods","offerId":"123","buyQuantity":2,"env":1,"currencyType":"CNY","platform":"android","zoneId":"2","productId":"sword","goodsPrice":600,"outTradeNo":"item-0001","attach":""}"#;
    assert_eq!(launch.sign_data, expected);
    assert_eq!(launch.pay_sig, hmac_hex("12345", &format!("requestMidasPaymentGameItem&{expected}")));
    assert_eq!(launch.signature, hmac_hex("9hAb/NEYUlkaMBEsmFgzig==", expected));
    // Text is escaped as JSON, and the signed text is exactly what the client gets.
    let quoted = CashOrder::goods("quote-0001", "a\"b", 1, 1).unwrap().with_attach("x\\y").unwrap();
    let launch = sign_launch(LaunchApi::VirtualPayment, &quoted, &context).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&launch.sign_data).unwrap();
    assert_eq!((parsed["productId"].as_str(), parsed["attach"].as_str()), (Some("a\"b"), Some("x\\y")));
    let handed: serde_json::Value = serde_json::from_str(&launch.to_json()).unwrap();
    assert_eq!(handed["signData"].as_str(), Some(launch.sign_data.as_str()));
    assert!(!format!("{context:?}").contains("12345") && !format!("{context:?}").contains("9hAb"));
}

#[test]
fn bad_launch_input_is_refused_before_signing() {
    let field = |result: Result<CashOrder, midas_api::ValidationError>| {
        let error = result.expect_err("refused");
        (error.field(), error.rule().clone())
    };
    assert_eq!(field(CashOrder::goods("short", "sword", 1, 1)), ("outTradeNo", Rule::OutTradeNo));
    assert_eq!(field(CashOrder::goods("a".repeat(33), "sword", 1, 1)), ("outTradeNo", Rule::OutTradeNo));
    assert_eq!(field(CashOrder::goods("_leading-0001", "sword", 1, 1)), ("outTradeNo", Rule::OutTradeNo));
    assert_eq!(field(CashOrder::goods("order|0001", "sword", 1, 1)), ("outTradeNo", Rule::OutTradeNo));
    assert_eq!(field(CashOrder::goods("order-0001", "", 1, 1)), ("productId", Rule::NotEmpty));
    assert_eq!(field(CashOrder::goods("order-0001", "sword", 0, 1)), ("goodsPrice", Rule::Positive));
    assert_eq!(field(CashOrder::goods("order-0001", "sword", 1, 0)), ("buyQuantity", Rule::Positive));
    assert_eq!(field(CashOrder::goods("order-0001", "sword", i64::MAX / 2 + 1, 2)).0, "goodsPrice");
    assert_eq!(field(CashOrder::coins("order-0001", -1)), ("buyQuantity", Rule::Positive));
    let attach = CashOrder::goods("order-0001", "sword", 1, 1).unwrap().with_attach("x".repeat(129));
    assert_eq!(field(attach), ("attach", Rule::MaxBytes(128)));
    let control = CashOrder::goods("order-0001", "sword", 1, 1).unwrap().with_attach("a\nb");
    assert_eq!(field(control), ("attach", Rule::NoControlChars));
    let (app_key, session_key) = (AppKey::new("k").unwrap(), SessionKey::new("s").unwrap());
    let context = LaunchContext {
        offer_id: "1",
        env: Env::Sandbox,
        app_key: &app_key,
        session_key: &session_key,
        zone_id: "1",
    };
    let coins = CashOrder::coins("coins-0001", 1).unwrap();
    assert!(
        sign_launch(LaunchApi::MidasPaymentGameItem, &coins, &context).is_err(),
        "no token recharge there"
    );
}

#[test]
fn bad_refund_input_is_refused_before_sending() {
    let refund = |id: &str, left: i64, fee: i64| {
        RefundOrder::new(
            OrderRef::OrderId("order-0001".into()),
            id,
            left,
            fee,
            RefundReason::Other,
            RefundRequester::Other,
        )
    };
    assert_eq!(refund("refund-0001", 600, 0).unwrap_err().field(), "refund_fee");
    assert_eq!(refund("refund-0001", 600, 601).unwrap_err().rule(), &Rule::Range { min: 1, max: 600 });
    assert_eq!(refund("refund-0001", 0, 1).unwrap_err().field(), "left_fee");
    assert_eq!(refund("short", 600, 1).unwrap_err().rule(), &Rule::RefundOrderId);
    assert_eq!(refund(&"r".repeat(33), 600, 1).unwrap_err().rule(), &Rule::RefundOrderId);
    let empty = RefundOrder::new(
        OrderRef::WxOrderId(String::new()),
        "refund-0001",
        1,
        1,
        RefundReason::Other,
        RefundRequester::Other,
    );
    assert_eq!(empty.unwrap_err().field(), "wx_order_id");
    let meta = refund("refund-0001", 600, 1).unwrap().with_biz_meta("m".repeat(1025));
    assert_eq!(meta.unwrap_err().rule(), &Rule::MaxBytes(1024));
}

#[test]
fn query_order_reads_every_documented_field_tolerantly() {
    // An answer captured from a sandbox order (numbers as numbers, no refund_fee).
    let captured = r#"{"errcode":0,"errmsg":"OK","order":{"ext":{},"provide_time":1776852732,"create_time":1776852722,"paid_time":1776852730,"biz_type":1000,"paid_fee":1,"channel_order_id":"202604221288514046","biz_meta":"{\"attach\":\"testData\"}","token":"E-260422181155364598","sett_time":0,"update_time":1776852790,"wxpay_order_id":"4500000138202604228164730168","order_fee":1,"wx_order_id":"VPO260422181202013995807","sett_state":3,"order_id":"OTN1776852737980","order_type":0,"env_type":1,"status":4,"left_fee":1}}"#;
    let order = serde_json::from_str::<xpay::QueryOrderResponse>(captured).unwrap().order;
    assert_eq!((order.status, order.order_type), (OrderStatus::Delivered, Some(xpay::OrderType::Pay)));
    assert_eq!((order.paid_fee, order.left_fee, order.refund_fee), (Some(1), Some(1), None));
    assert_eq!(order.wx_order_id.as_deref(), Some("VPO260422181202013995807"));
    assert_eq!(order.biz_meta.as_deref(), Some(r#"{"attach":"testData"}"#));
    assert_eq!((order.sett_state, order.biz_type, order.env_type), (Some(3), Some(1000), Some(1)));
    // The same order with numbers as strings, and a status no version documents.
    let stringly = r#"{"errcode":0,"order":{"order_id":"o-1","status":"12","order_fee":"600","left_fee":"","platform_fee_fen":"60","cps_fee_fen":"0"}}"#;
    let order = serde_json::from_str::<xpay::QueryOrderResponse>(stringly).unwrap().order;
    assert_eq!(order.status, OrderStatus::Unknown(12));
    assert_eq!(
        (order.order_fee, order.left_fee, order.platform_fee_fen, order.cps_fee_fen),
        (Some(600), None, Some(60), Some(0))
    );
    // The refund errcodes.
    let kind = |code| midas_api::Scheme::Xpay.classify(code);
    assert_eq!(kind(268_490_013), ApiErrorKind::RefundForbidden);
    assert_eq!(kind(268_490_016), ApiErrorKind::LeftFeeMismatch);
    assert!(kind(268_490_014).is_retryable() && !kind(268_490_016).is_retryable());
}

/// A game server: journal, client, deliveries, and a receiver on loopback.
struct Game {
    emulator: Emulator,
    journal: Journal,
    client: Client<midas_api::ReqwestTransport, StaticToken>,
    player: Player,
    grants: Arc<AtomicUsize>,
    refunds: Arc<AtomicUsize>,
    target: PushTarget,
}

fn push_config() -> PushConfig {
    PushConfig::builder()
        .token("CashToken")
        .encoding_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
        .app_id("wx1234567")
        .mode(Mode::Safe)
        .build()
        .unwrap()
}

async fn game() -> Game {
    let emulator = Emulator::start().await.unwrap();
    emulator.add_player(OPENID, SessionKey::new(SESSION_KEY).unwrap(), 0);
    let journal = Journal::in_memory().await.unwrap();
    let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
        .payment_sandbox_key(emulator.payment_sandbox_key().clone())
        .base_url(emulator.base_url())
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let client =
        Client::new(config, StaticToken::new(emulator.access_token())).unwrap().with_journal(journal.clone());
    let (grants, refunds) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let deliveries = Deliveries::new(journal.clone(), Env::Sandbox);
    let handler = {
        let (grants, refunds) = (Arc::clone(&grants), Arc::clone(&refunds));
        move |push: Push| {
            let (grants, refunds, deliveries) =
                (Arc::clone(&grants), Arc::clone(&refunds), deliveries.clone());
            async move {
                match push.event() {
                    Event::XpayGoodsDeliver(goods) => {
                        let pushed = Pushed::new(goods.out_trade_no.clone(), goods.open_id.clone())
                            .with_product(
                                goods.goods_info.product_id.clone().unwrap_or_default(),
                                goods.goods_info.quantity.unwrap_or_default(),
                            );
                        let grant = |_| async move {
                            grants.fetch_add(1, Ordering::SeqCst);
                            Ok::<_, String>(())
                        };
                        deliveries
                            .deliver(&pushed, grant)
                            .await
                            .map_err(|error| HandlerError::new(error.to_string()))?;
                    }
                    Event::XpayRefund(_) => {
                        refunds.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                }
                Ok::<_, HandlerError>(Answer::Success)
            }
        }
    };
    let receiver = Receiver::new(Opener::new(push_config()), handler, JournalInbox::new(journal.clone()));
    let app = midas_api::push::axum::router("/push", receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/push", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let target = PushTarget::new(url, push_config()).schedule(Vec::new());
    emulator.set_cash_push_target(Some(target.clone()));
    let player = Player::new(OPENID).with_session_key(SessionKey::new(SESSION_KEY).unwrap());
    Game { emulator, journal, client, player, grants, refunds, target }
}

fn texts(launch: &LaunchParams) -> LaunchTexts {
    LaunchTexts::new(launch.api.name(), launch.mode, &launch.sign_data, &launch.pay_sig, &launch.signature)
}

#[tokio::test]
async fn a_purchase_is_paid_delivered_once_queried_and_partly_refunded() {
    let game = game().await;
    let order =
        CashOrder::goods("cash-order-0001", "sword", 600, 1).unwrap().with_attach("season-1").unwrap();
    let launch = game.client.launch(&game.player, LaunchApi::VirtualPayment, &order).await.unwrap();
    let awaiting = game.journal.purchase("sandbox", "cash-order-0001").await.unwrap().unwrap();
    assert_eq!(awaiting.state, PurchaseState::AwaitingPayment);
    assert_eq!(
        game.client.launch(&game.player, LaunchApi::VirtualPayment, &order).await.unwrap(),
        launch,
        "same again"
    );

    // Paid, pushed, and pushed once more: one grant, both answered success.
    let paid = game.emulator.pay_launch(OPENID, &texts(&launch), Injection::Duplicate).await.unwrap();
    let push = paid.push.expect("a push target is set");
    assert_eq!(push.attempts.len(), 2, "{push:?}");
    assert!(push.attempts.iter().all(|attempt| attempt.success), "{push:?}");
    assert_eq!(game.grants.load(Ordering::SeqCst), 1);
    assert_eq!((paid.order.status, paid.order.paid_fee), (4, 600));
    let delivered = game.journal.purchase("sandbox", "cash-order-0001").await.unwrap().unwrap();
    assert_eq!(
        (delivered.state, delivered.delivered_by.as_deref()),
        (PurchaseState::Delivered, Some("push"))
    );

    // query_order by either id shows it delivered, with every amount.
    let by_ours = game
        .client
        .xpay()
        .query_order(&game.player, xpay::QueryOrder::by_order_id("cash-order-0001"))
        .await
        .unwrap()
        .order;
    let wx_order_id = by_ours.wx_order_id.clone().expect("a WeChat order id");
    assert_eq!(wx_order_id, paid.order.wx_order_id);
    let by_theirs = game
        .client
        .xpay()
        .query_order(&game.player, xpay::QueryOrder::by_wx_order_id(&wx_order_id))
        .await
        .unwrap()
        .order;
    assert_eq!(by_ours, by_theirs);
    assert_eq!(by_ours.status, OrderStatus::Delivered);
    assert_eq!(
        (by_ours.order_fee, by_ours.paid_fee, by_ours.left_fee, by_ours.refund_fee),
        (Some(600), Some(600), Some(600), Some(0))
    );
    assert_eq!(by_ours.biz_meta.as_deref(), Some(r#"{"attach":"season-1"}"#));
    assert!(
        by_ours.channel_order_id.is_some()
            && by_ours.wxpay_order_id.is_some()
            && by_ours.provide_time.is_some()
    );

    // A refund that names the wrong left_fee is refused; the right one starts a task.
    let refund = |id: &str, left: i64, fee: i64| {
        RefundOrder::new(
            OrderRef::WxOrderId(wx_order_id.clone()),
            id,
            left,
            fee,
            RefundReason::PlayerRequest,
            RefundRequester::Player,
        )
        .unwrap()
    };
    let stale = game.client.xpay().refund_order(&game.player, refund("refund-stale-01", 500, 100)).await;
    assert!(
        matches!(&stale, Err(Error::Api(api)) if api.kind() == ApiErrorKind::LeftFeeMismatch),
        "{stale:?}"
    );
    let started =
        game.client.xpay().refund_order(&game.player, refund("refund-0001", 600, 200)).await.unwrap();
    assert_eq!(started.pay_order_id.as_deref(), Some("cash-order-0001"));
    let requests = game.emulator.requests();
    let again = game.client.xpay().refund_order(&game.player, refund("refund-0001", 600, 200)).await.unwrap();
    assert_eq!(
        (again, game.emulator.requests()),
        (started.clone(), requests),
        "the journal answers a repeat"
    );
    let other = game.client.xpay().refund_order(&game.player, refund("refund-0001", 600, 300)).await;
    assert!(matches!(other, Err(Error::Journal(_))), "a refund id reused for another refund: {other:?}");
    let running = game.client.xpay().refund_order(&game.player, refund("refund-0002", 600, 100)).await;
    assert!(
        matches!(&running, Err(Error::Api(api)) if api.kind() == ApiErrorKind::OrderInProgress),
        "{running:?}"
    );
    let task = game
        .client
        .xpay()
        .query_order(&game.player, xpay::QueryOrder::by_order_id("refund-0001"))
        .await
        .unwrap()
        .order;
    assert_eq!(
        (task.status, task.order_type, task.refund_fee),
        (OrderStatus::Created, Some(xpay::OrderType::Refund), Some(200))
    );

    // The task finishes, is pushed, and the books show the refund.
    let reports = game.emulator.finish_refunds().await;
    assert_eq!(reports.len(), 1);
    assert!(reports[0].delivered(), "{reports:?}");
    assert_eq!(game.refunds.load(Ordering::SeqCst), 1);
    let after = game
        .client
        .xpay()
        .query_order(&game.player, xpay::QueryOrder::by_order_id("cash-order-0001"))
        .await
        .unwrap()
        .order;
    assert_eq!(
        (after.status, after.refund_fee, after.left_fee),
        (OrderStatus::Delivered, Some(200), Some(400))
    );
    let task = game
        .client
        .xpay()
        .query_order(&game.player, xpay::QueryOrder::by_order_id("refund-0001"))
        .await
        .unwrap()
        .order;
    assert_eq!(task.status, OrderStatus::Refunded);
    let books = game.emulator.cash_order(Env::Sandbox, "cash-order-0001").unwrap();
    assert_eq!((books.status, books.refund_fee, books.left_fee), (4, 200, 400));
    let entry = game.journal.get("sandbox", "refund-0001").await.unwrap().unwrap();
    assert_eq!(entry.state, midas_api::State::Applied);
    assert_eq!(game.grants.load(Ordering::SeqCst), 1, "the refund granted nothing more");

    // The rest, refunded in full: status 5.
    game.client.xpay().refund_order(&game.player, refund("refund-0003", 400, 400)).await.unwrap();
    game.emulator.finish_refunds().await;
    assert_eq!(game.emulator.cash_order(Env::Sandbox, "cash-order-0001").unwrap().status, 5);
}

#[tokio::test]
async fn the_simulated_player_refuses_what_wechat_refuses() {
    let game = game().await;
    let order = CashOrder::goods("cash-order-0002", "shield", 300, 1).unwrap();
    let launch = game.client.launch(&game.player, LaunchApi::VirtualPayment, &order).await.unwrap();
    let mut tampered = texts(&launch);
    tampered.sign_data = tampered.sign_data.replace("\"goodsPrice\":300", "\"goodsPrice\":3");
    assert_eq!(game.emulator.pay_launch(OPENID, &tampered, Injection::None).await, Err(PayRefused::PaySig));
    let other_player = Player::new(OPENID).with_session_key(SessionKey::new("not-the-session-key").unwrap());
    let forged = sign_launch(
        LaunchApi::VirtualPayment,
        &order,
        &LaunchContext {
            offer_id: game.emulator.offer_id(),
            env: Env::Sandbox,
            app_key: game.emulator.payment_sandbox_key(),
            session_key: other_player.session_key().unwrap(),
            zone_id: "1",
        },
    )
    .unwrap();
    assert_eq!(
        game.emulator.pay_launch(OPENID, &texts(&forged), Injection::None).await,
        Err(PayRefused::Signature)
    );
    assert_eq!(
        game.emulator.pay_launch("stranger", &texts(&launch), Injection::None).await,
        Err(PayRefused::UnknownPlayer)
    );
    let production =
        LaunchTexts { sign_data: launch.sign_data.replace("\"env\":1", "\"env\":0"), ..texts(&launch) };
    assert_eq!(
        game.emulator.pay_launch(OPENID, &production, Injection::None).await,
        Err(PayRefused::PaySig),
        "env picks the key"
    );
    assert!(game.emulator.cash_orders().is_empty(), "nothing was paid");
    game.emulator.pay_launch(OPENID, &texts(&launch), Injection::None).await.unwrap();
    let twice = game.emulator.pay_launch(OPENID, &texts(&launch), Injection::None).await;
    assert_eq!(twice, Err(PayRefused::OutTradeNoUsed("cash-order-0002".into())));
    assert_eq!(game.grants.load(Ordering::SeqCst), 1);
    // Another purchase under a launched outTradeNo is refused before signing anything new.
    let reused = CashOrder::goods("cash-order-0002", "shield", 300, 2).unwrap();
    let refused = game.client.launch(&game.player, LaunchApi::VirtualPayment, &reused).await;
    assert!(
        matches!(refused, Err(Error::Journal(failure)) if failure.kind() == midas_api::JournalFailureKind::OrderIdReused)
    );
}

#[tokio::test]
async fn the_reconciler_delivers_what_no_push_delivered_and_a_late_push_grants_nothing() {
    let game = game().await;
    // Pushes go nowhere: nothing listens on the port.
    let dead = PushTarget::new("http://127.0.0.1:9/push", push_config()).schedule(Vec::new());
    game.emulator.set_cash_push_target(Some(dead));
    let paid_order = CashOrder::goods("cash-order-0003", "bow", 900, 1).unwrap();
    let launch = game.client.launch(&game.player, LaunchApi::VirtualPayment, &paid_order).await.unwrap();
    let paid = game.emulator.pay_launch(OPENID, &texts(&launch), Injection::None).await.unwrap();
    assert!(!paid.push.expect("pushed").delivered());
    assert_eq!(paid.order.status, 2, "paid, not delivered");
    let unpaid = CashOrder::goods("cash-order-0004", "bow", 900, 1).unwrap();
    game.client.launch(&game.player, LaunchApi::VirtualPayment, &unpaid).await.unwrap();

    let reconciler_grants = Arc::new(AtomicUsize::new(0));
    let reconciler =
        PurchaseReconciler::new(game.client.clone()).unwrap().with_grace(Duration::ZERO).on_deliver({
            let grants = Arc::clone(&reconciler_grants);
            move |_| {
                let grants = Arc::clone(&grants);
                async move {
                    grants.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            }
        });
    let report = reconciler.run_once().await.unwrap();
    assert_eq!(
        (report.examined, report.delivered, report.unpaid, report.notify_failed),
        (2, 1, 1, 0),
        "{report:?}"
    );
    assert_eq!(reconciler_grants.load(Ordering::SeqCst), 1);
    assert_eq!(
        game.emulator.cash_order(Env::Sandbox, "cash-order-0003").unwrap().status,
        4,
        "notify_provide_goods"
    );
    let entry = game.journal.purchase("sandbox", "cash-order-0003").await.unwrap().unwrap();
    assert_eq!((entry.state, entry.delivered_by.as_deref()), (PurchaseState::Delivered, Some("reconciler")));
    assert_eq!(entry.wx_order_id.as_deref(), Some(paid.order.wx_order_id.as_str()));
    let still = game.journal.purchase("sandbox", "cash-order-0004").await.unwrap().unwrap();
    assert_eq!(still.state, PurchaseState::AwaitingPayment);

    // Again: the unpaid one is looked up again, nothing is granted twice.
    let again = reconciler.run_once().await.unwrap();
    assert_eq!((again.examined, again.delivered), (1, 0));
    // WeChat's late re-push reaches the receiver: answered success, nothing granted.
    let late = midas_emulator::goods_delivery_message(OPENID, "cash-order-0003", "bow", 900);
    let report = game.emulator.push(&game.target, &late, Injection::None).await;
    assert!(report.delivered(), "{report:?}");
    assert_eq!(game.grants.load(Ordering::SeqCst), 0);
    assert_eq!(reconciler_grants.load(Ordering::SeqCst), 1);
}

/// A `notify_provide_goods` that fails after the reconciler's grant stays pending in the
/// journal: the next run sends it again (and only it: nothing is granted twice), and once it
/// went through, no run sends it again.
#[tokio::test]
async fn a_notify_that_failed_after_a_grant_is_sent_again_by_the_next_run() {
    let game = game().await;
    let dead = PushTarget::new("http://127.0.0.1:9/push", push_config()).schedule(Vec::new());
    game.emulator.set_cash_push_target(Some(dead));
    let order = CashOrder::goods("cash-order-0006", "bow", 900, 1).unwrap();
    let launch = game.client.launch(&game.player, LaunchApi::VirtualPayment, &order).await.unwrap();
    game.emulator.pay_launch(OPENID, &texts(&launch), Injection::None).await.unwrap();
    let grants = Arc::new(AtomicUsize::new(0));
    let reconciler =
        PurchaseReconciler::new(game.client.clone()).unwrap().with_grace(Duration::ZERO).on_deliver({
            let grants = Arc::clone(&grants);
            move |_| {
                let grants = Arc::clone(&grants);
                async move {
                    grants.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            }
        });
    // WeChat is busy when told (the client does not retry here).
    game.emulator.inject_for(midas_emulator::Api::NotifyProvideGoods, midas_emulator::Fault::BusyBefore);
    let first = reconciler.run_once().await.unwrap();
    assert_eq!((first.delivered, first.notify_failed, first.renotified), (1, 1, 0), "{first:?}");
    assert_eq!(
        game.emulator.cash_order(Env::Sandbox, "cash-order-0006").unwrap().status,
        2,
        "paid, not told"
    );
    let entry = game.journal.purchase("sandbox", "cash-order-0006").await.unwrap().unwrap();
    assert_eq!((entry.state, entry.notify_pending), (PurchaseState::Delivered, true));

    let second = reconciler.run_once().await.unwrap();
    assert_eq!((second.examined, second.delivered, second.renotified, second.notify_failed), (0, 0, 1, 0));
    assert_eq!(game.emulator.cash_order(Env::Sandbox, "cash-order-0006").unwrap().status, 4, "delivered");
    let entry = game.journal.purchase("sandbox", "cash-order-0006").await.unwrap().unwrap();
    assert!(!entry.notify_pending);
    assert_eq!(grants.load(Ordering::SeqCst), 1, "granted once");

    let before = game.emulator.requests();
    let third = reconciler.run_once().await.unwrap();
    assert_eq!((third.examined, third.renotified, third.notify_failed), (0, 0, 0), "{third:?}");
    assert_eq!(game.emulator.requests(), before, "nothing left to send");
}

/// Tokens bought with money land in the player's wallet when the order is paid (the local
/// server's books, read by xpay `query_user_balance` too); a goods purchase adds none.
#[tokio::test]
async fn a_token_recharge_credits_the_wallet_and_goods_do_not() {
    let game = game().await;
    let balance = || game.emulator.balance(Env::Sandbox, OPENID).expect("a player").balance;
    let before = balance();
    let coins = CashOrder::coins("coin-order-0001", 60).unwrap();
    let launch = game.client.launch(&game.player, LaunchApi::VirtualPayment, &coins).await.unwrap();
    game.emulator.pay_launch(OPENID, &texts(&launch), Injection::None).await.unwrap();
    assert_eq!(balance(), before + 60, "60 tokens bought");
    let goods = CashOrder::goods("goods-order-0001", "bow", 900, 1).unwrap();
    let launch = game.client.launch(&game.player, LaunchApi::VirtualPayment, &goods).await.unwrap();
    game.emulator.pay_launch(OPENID, &texts(&launch), Injection::None).await.unwrap();
    assert_eq!(balance(), before + 60, "an item is not tokens");
    let read = game
        .client
        .call(&game.player.clone().with_user_ip("127.0.0.1"), &xpay::QueryUserBalance::default())
        .await
        .unwrap();
    assert_eq!(read.balance, before + 60);
}

#[tokio::test]
async fn a_failed_grant_leaves_the_purchase_for_the_next_delivery() {
    let game = game().await;
    let order = CashOrder::goods("cash-order-0005", "axe", 100, 1).unwrap();
    game.client.launch(&game.player, LaunchApi::VirtualPayment, &order).await.unwrap();
    let deliveries = Deliveries::new(game.journal.clone(), Env::Sandbox);
    let pushed = Pushed::new("cash-order-0005", OPENID).with_product("axe", 1);
    let failed = deliveries.deliver(&pushed, |_| async { Err::<(), _>("inventory down") }).await;
    assert!(matches!(failed, Err(DeliveryError::Grant { .. })), "{failed:?}");
    let wrong = Pushed::new("cash-order-0005", OPENID).with_product("sword", 1);
    let mismatch = deliveries.deliver(&wrong, |_| async { Ok::<(), String>(()) }).await;
    assert!(matches!(mismatch, Err(DeliveryError::Mismatch { .. })), "{mismatch:?}");
    let unknown =
        deliveries.deliver(&Pushed::new("never-launched", OPENID), |_| async { Ok::<(), String>(()) }).await;
    assert!(matches!(unknown, Err(DeliveryError::UnknownPurchase { .. })), "{unknown:?}");
    let granted = deliveries.deliver(&pushed, |_| async { Ok::<(), String>(()) }).await.unwrap();
    assert!(matches!(granted, Delivery::Granted(_)));
}

/// Two instances sharing one PostgreSQL journal: a purchase awaiting delivery is leased by one
/// of them at a time, and so is a delivery whose `notify_provide_goods` is pending, until it is
/// given up (then the other takes it) or recorded notified (then neither does).
#[tokio::test]
async fn on_postgres_awaiting_purchases_and_pending_notifies_are_leased_by_one_instance() {
    let Some(url) = midas_tests::postgres_database("midas_purchase_test").await else { return };
    let first = Journal::postgres(&url).await.unwrap();
    let second = Journal::postgres(&url).await.unwrap();
    for n in 1..=3 {
        let intent = midas_api::PurchaseIntent {
            env: "sandbox".into(),
            out_trade_no: format!("pg-order-000{n}"),
            openid: OPENID.into(),
            zone_id: "1".into(),
            launch_api: "requestVirtualPayment".into(),
            kind: "goods".into(),
            product_id: Some("bow".into()),
            quantity: 1,
            total_fee: Some(900),
            attach: String::new(),
            sign_data: format!(r#"{{"outTradeNo":"pg-order-000{n}"}}"#),
        };
        first.await_payment(&intent).await.unwrap();
    }
    let leased = first.lease_awaiting(Duration::ZERO, 10).await.unwrap();
    assert_eq!(leased.len(), 3);
    assert!(second.lease_awaiting(Duration::ZERO, 10).await.unwrap().is_empty(), "held by the first");
    assert!(first.finish_delivery_to_notify("sandbox", "pg-order-0001", "reconciler", None).await.unwrap());
    assert!(first.finish_delivery("sandbox", "pg-order-0002", "push", None).await.unwrap());
    assert!(first.close_purchase("sandbox", "pg-order-0003", "refunded").await.unwrap());

    let due = second.lease_to_notify(10).await.unwrap();
    let names: Vec<_> =
        due.iter().map(|entry| (entry.intent.out_trade_no.as_str(), entry.notify_pending)).collect();
    assert_eq!(names, [("pg-order-0001", true)], "only the reconciler's delivery awaits its notify");
    assert!(first.lease_to_notify(10).await.unwrap().is_empty(), "held by the second");
    second.abandon_delivery("sandbox", "pg-order-0001").await.unwrap();
    assert_eq!(first.lease_to_notify(10).await.unwrap().len(), 1, "given up: the first takes it");
    assert!(first.notified("sandbox", "pg-order-0001").await.unwrap());
    assert!(!first.notified("sandbox", "pg-order-0001").await.unwrap(), "nothing pending any more");
    assert!(second.lease_to_notify(10).await.unwrap().is_empty());
    let entry = second.purchase("sandbox", "pg-order-0001").await.unwrap().unwrap();
    assert_eq!((entry.state, entry.notify_pending), (PurchaseState::Delivered, false));
}
