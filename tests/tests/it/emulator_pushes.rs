//! The local server pushing payment events to a receiver over loopback: sealed as WeChat seals
//! them, pushed again on the (sped-up) schedule while the receiver fails, duplicates answered
//! like the first, forged pushes refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use midas_api::push::{Answer, Format, HandlerError, MemoryInbox, Mode, Opener, Push, PushConfig, Receiver};
use midas_emulator::{Emulator, Injection, PushTarget, goods_delivery_message};

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
