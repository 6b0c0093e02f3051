//! The local server pushing payment events to a receiver over loopback: every event of
//! `push.md` §4 in every mode and format, opened and typed; sealed as WeChat seals them, pushed
//! again on the (sped-up) schedule while the receiver fails, duplicates answered like the
//! first, forged pushes and edited payloads refused, mocks answered without the handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use midas_api::push::{
    Answer, Event, Family, Format, HandlerError, IosRefundDecision, MemoryInbox, Mode, Opener, Push,
    PushConfig, Receiver, RefundAdvice,
};
use midas_emulator::{Emulator, Env, EventKind, EventMessage, Injection, PushTarget, goods_delivery_message};

fn config(mode: Mode) -> PushConfig {
    PushConfig::builder()
        .token("AAAAA")
        .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .app_id("wxba5fad812f8e6fb9")
        .mode(mode)
        .build()
        .expect("configuration")
}

/// Serves a receiver whose handler fails its first `failures` runs, then delivers; returns
/// the receiver's URL and the count of deliveries.
async fn serve(mode: Mode, failures: usize) -> (String, Arc<AtomicUsize>) {
    let (runs, delivered) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let handler = {
        let delivered = Arc::clone(&delivered);
        move |_push: Push| {
            let run = runs.fetch_add(1, Ordering::SeqCst);
            let delivered = Arc::clone(&delivered);
            async move {
                if run < failures {
                    return Err(HandlerError::new("the item service is down"));
                }
                delivered.fetch_add(1, Ordering::SeqCst);
                Ok(Answer::Success)
            }
        }
    };
    let receiver = Receiver::new(Opener::new(config(mode)), handler, MemoryInbox::new());
    let app = midas_api::push::axum::router("/push", receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/push", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, delivered)
}

#[tokio::test]
async fn a_failing_receiver_is_pushed_again_on_the_schedule_until_it_delivers() {
    let emulator = Emulator::start().await.expect("emulator");
    let (url, delivered) = serve(Mode::Safe, 2).await;
    let target = PushTarget::new(url, config(Mode::Safe)).speed_up(1_000);
    let message = goods_delivery_message("player-1", "order-0001", "sword", 600);
    let report = emulator.push(&target, &message, Injection::Duplicate).await;
    let answers: Vec<bool> = report.attempts.iter().map(|attempt| attempt.success).collect();
    assert_eq!(answers, [false, false, true, true], "two failures, the delivery, the duplicate: {report:?}");
    assert_eq!(report.attempts[2].body, report.attempts[3].body, "the duplicate is answered like the first");
    assert_eq!(delivered.load(Ordering::SeqCst), 1, "delivered once");
    assert_eq!(emulator.push_log().len(), 1);
}

#[tokio::test]
async fn forged_pushes_are_refused_in_every_mode() {
    let emulator = Emulator::start().await.expect("emulator");
    for mode in [Mode::Plaintext, Mode::Compatible, Mode::Safe] {
        // Payment events are JSON only (push.md section 1).
        for format in [Format::Json] {
            let (url, delivered) = serve(mode, 0).await;
            let target = PushTarget::new(url, config(mode)).format(format).speed_up(1_000);
            let message = goods_delivery_message("player-1", "order-0002", "sword", 600);
            let forged = emulator.push(&target, &message, Injection::ForgedSignature).await;
            assert_eq!(forged.attempts.len(), 1, "a forger does not retry");
            assert!(!forged.delivered(), "{mode:?} {format:?}: {forged:?}");
            let genuine = emulator.push(&target, &message, Injection::None).await;
            assert!(genuine.delivered(), "{mode:?} {format:?}: {genuine:?}");
            assert_eq!(delivered.load(Ordering::SeqCst), 1, "{mode:?} {format:?}");
        }
    }
}

#[tokio::test]
async fn a_message_the_target_cannot_seal_is_not_pushed_again() {
    let emulator = Emulator::start().await.expect("emulator");
    let target = PushTarget::new("http://127.0.0.1:9/push", config(Mode::Compatible)).format(Format::Xml);
    let message = goods_delivery_message("player-1", "order-0003", "sword", 600);
    let report = emulator.push(&target, &message, Injection::None).await;
    assert_eq!(report.attempts.len(), 1, "{report:?}");
    assert!(!report.delivered());
}

#[tokio::test]
async fn a_push_of_another_app_is_refused_and_a_full_pad_block_is_delivered() {
    let emulator = Emulator::start().await.expect("emulator");
    let (url, delivered) = serve(Mode::Safe, 0).await;
    let target = PushTarget::new(url, config(Mode::Safe)).speed_up(1_000);
    let message = goods_delivery_message("player-1", "order-0004", "sword", 600);
    let foreign = emulator.push(&target, &message, Injection::WrongAppId).await;
    assert_eq!(foreign.attempts.len(), 1);
    assert!(!foreign.delivered(), "{foreign:?}");
    assert_eq!(delivered.load(Ordering::SeqCst), 0);
    let padded = emulator.push(&target, &message, Injection::FullPadBlock).await;
    assert!(padded.delivered(), "pad 32 is stripped whole: {padded:?}");
    assert_eq!(delivered.load(Ordering::SeqCst), 1);
}

/// What a receiver's handler saw of each push: the event, the format, the family, the key.
type Seen = Arc<std::sync::Mutex<Vec<(Event, Format, Family, String)>>>;

/// The push configuration of `emulator`'s receiver: its payment keys are the AppKeys that
/// check `PayEventSig`.
fn emulator_config(emulator: &Emulator, mode: Mode) -> PushConfig {
    PushConfig::builder()
        .token("AAAAA")
        .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .app_id(emulator.appid())
        .mode(mode)
        .app_key_production(emulator.payment_key(Env::Production).expose_secret())
        .app_key_sandbox(emulator.payment_key(Env::Sandbox).expose_secret())
        .build()
        .expect("configuration")
}

/// Serves a receiver with `config` that records every push its handler sees; the iOS refund
/// query is answered with a decision.
async fn serve_recording(config: PushConfig) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let handler = {
        let seen = Arc::clone(&seen);
        move |push: Push| {
            let record =
                (push.event().clone(), push.format(), push.family(), push.event_key().id().to_owned());
            seen.lock().expect("lock").push(record);
            async move {
                Ok::<_, HandlerError>(match push.event() {
                    Event::XpayIosRefundQuery(_) => {
                        Answer::IosRefund(IosRefundDecision::new(RefundAdvice::Refuse, "consumed"))
                    }
                    _ => Answer::Success,
                })
            }
        }
    };
    let receiver = Receiver::new(Opener::new(config), handler, MemoryInbox::new());
    let app = midas_api::push::axum::router("/push", receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/push", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

/// The emulator's event the receiver decoded `event` as.
fn kind_of(event: &Event) -> Option<EventKind> {
    Some(match event {
        Event::XpayGoodsDeliver(_) => EventKind::XpayGoodsDeliver,
        Event::XpayCoinPay(_) => EventKind::XpayCoinPay,
        Event::XpayRefund(_) => EventKind::XpayRefund,
        Event::XpayComplaint(_) => EventKind::XpayComplaint,
        Event::XpaySubscribeSigningResult(_) => EventKind::XpaySubscribeSigningResult,
        Event::XpaySubscribePayFail(_) => EventKind::XpaySubscribePayFail,
        Event::XpayIosRefundQuery(_) => EventKind::XpayIosRefundQuery,
        Event::MiniGameCoinDeliver(_) => EventKind::MiniGameCoinDeliver,
        Event::MiniGameRefund(_) => EventKind::MiniGamePayRefund,
        Event::MiniGameRechargeCenterCoinDeliver(_) => EventKind::MiniGameRechargeCenterCoinDeliver,
        Event::MiniGameGoodsDeliver(_) => EventKind::MiniGameGoodsDeliver,
        Event::MiniGameH5GoodsDeliver(_) => EventKind::MiniGameH5GoodsDeliver,
        _ => return None,
    })
}

#[tokio::test]
async fn every_event_is_pushed_opened_and_typed_in_every_mode_and_format() {
    let emulator = Emulator::start().await.expect("emulator");
    for mode in [Mode::Plaintext, Mode::Compatible, Mode::Safe] {
        for format in [Format::Json, Format::Xml] {
            let (url, seen) = serve_recording(emulator_config(&emulator, mode)).await;
            let target =
                PushTarget::new(url, emulator_config(&emulator, mode)).format(format).speed_up(1_000);
            let mut expected = Vec::new();
            for (n, kind) in EventKind::ALL.into_iter().enumerate() {
                let env = if n % 2 == 0 { Env::Production } else { Env::Sandbox };
                let id = format!("{}-{format:?}-{n}", mode.as_str());
                let event = EventMessage::new(kind, &id).env(env).amount(600).quantity(6);
                let report = emulator.push_event(&target, &event, Injection::None).await;
                assert!(report.delivered(), "{mode:?} {format:?} {kind}: {report:?}");
                assert_eq!(
                    report.attempts.len(),
                    1,
                    "{mode:?} {format:?} {kind}: answered at the first push"
                );
                expected.push((kind, id));
            }
            let seen = seen.lock().expect("lock").clone();
            assert_eq!(seen.len(), EventKind::ALL.len(), "{mode:?} {format:?}");
            for ((event, got_format, family, key_id), (kind, id)) in seen.iter().zip(&expected) {
                assert_eq!(kind_of(event), Some(*kind), "{mode:?} {format:?}: {event:?}");
                assert_eq!(*got_format, format);
                let family_expected = if kind.is_mini_game() { Family::MiniGame } else { Family::Xpay };
                assert_eq!(*family, family_expected, "{kind}");
                assert_eq!(key_id, id, "{kind}: the event key is the event's identity");
            }
            // The typed fields came through, whatever the format.
            let Event::MiniGameCoinDeliver(coins) = &seen[7].0 else {
                panic!("coin delivery: {:?}", seen[7].0)
            };
            assert_eq!((coins.coin_info.quantity, coins.coin_info.actual_price), (Some(6), Some(600)));
            assert_eq!(coins.coin_info.zone_id.as_deref(), Some("1"));
            let Event::XpayRefund(refund) = &seen[2].0 else { panic!("refund: {:?}", seen[2].0) };
            assert_eq!(refund.refund_fee, Some(600));
        }
    }
}

#[tokio::test]
async fn the_pay_event_sig_is_verified_and_a_payload_edited_after_signing_is_refused() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator_config(&emulator, Mode::Safe);
    let (url, seen) = serve_recording(config.clone()).await;
    // A receiver holding another sandbox AppKey: every signed payload is refused.
    let other = PushConfig::builder()
        .token("AAAAA")
        .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .app_id(emulator.appid())
        .app_key_sandbox("another-sandbox-app-key")
        .build()
        .expect("configuration");
    let (other_url, other_seen) = serve_recording(other).await;
    for format in [Format::Json, Format::Xml] {
        let target = PushTarget::new(&url, config.clone()).format(format).speed_up(1_000);
        let wrong_key = PushTarget::new(&other_url, config.clone()).format(format).schedule(Vec::new());
        for kind in EventKind::ALL.into_iter().filter(|kind| kind.is_mini_game()) {
            let event = EventMessage::new(kind, format!("{format:?}-{kind}"));
            let tampered = emulator.push_event(&target, &event, Injection::TamperedPayload).await;
            assert_eq!(tampered.attempts.len(), 1, "an edited payload is pushed once");
            assert_eq!(tampered.attempts[0].status, 400, "{format:?} {kind}: {tampered:?}");
            assert!(tampered.attempts[0].body.contains("PayEventSig"), "{tampered:?}");
            let refused = emulator.push_event(&wrong_key, &event, Injection::None).await;
            assert!(!refused.delivered(), "{format:?} {kind}: another AppKey refuses it");
            assert!(refused.attempts[0].body.contains("PayEventSig"), "{refused:?}");
            let genuine = emulator.push_event(&target, &event, Injection::None).await;
            assert!(genuine.delivered(), "{format:?} {kind}: {genuine:?}");
        }
    }
    assert_eq!(seen.lock().expect("lock").len(), 10, "only the genuine pushes reached the handler");
    assert!(other_seen.lock().expect("lock").is_empty());
    let xpay = EventMessage::new(EventKind::XpayGoodsDeliver, "no-payload");
    let target = PushTarget::new(&url, config).speed_up(1_000);
    let untouched = emulator.push_event(&target, &xpay, Injection::TamperedPayload).await;
    assert_eq!(
        (untouched.attempts.len(), untouched.attempts[0].status),
        (1, 0),
        "an xpay event has no payload: not sent"
    );
}

#[tokio::test]
async fn mock_pushes_are_answered_without_the_handler() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator_config(&emulator, Mode::Safe);
    let (url, seen) = serve_recording(config.clone()).await;
    for format in [Format::Json, Format::Xml] {
        let target = PushTarget::new(&url, config.clone()).format(format).speed_up(1_000);
        for kind in EventKind::ALL.into_iter().filter(|kind| kind.is_mini_game()) {
            let event = EventMessage::new(kind, format!("mock-{format:?}-{kind}")).mock(true);
            let report = emulator.push_event(&target, &event, Injection::None).await;
            assert!(report.delivered(), "{format:?} {kind}: {report:?}");
            let success = match format {
                Format::Json => r#"{"ErrCode":0,"ErrMsg":"Success"}"#,
                Format::Xml => "<xml><ErrCode>0</ErrCode><ErrMsg><![CDATA[Success]]></ErrMsg></xml>",
            };
            assert_eq!(report.attempts[0].body, success, "the mini-game success, in the push's format");
        }
    }
    assert!(seen.lock().expect("lock").is_empty(), "no business logic ran for a mock");
}

#[tokio::test]
async fn a_push_target_pushes_without_a_running_emulator() {
    let emulator = Emulator::start().await.expect("emulator");
    let config = emulator_config(&emulator, Mode::Compatible);
    let (url, seen) = serve_recording(config.clone()).await;
    let target = PushTarget::new(url, config).format(Format::Xml).speed_up(1_000);
    let event = EventMessage::new(EventKind::MiniGameH5GoodsDeliver, "h5-1").env(Env::Sandbox);
    let report = target.push_event(&event, Injection::Duplicate).await;
    assert_eq!(report.attempts.iter().filter(|attempt| attempt.success).count(), 2, "{report:?}");
    assert_eq!(seen.lock().expect("lock").len(), 1, "the duplicate ran nothing");
}
