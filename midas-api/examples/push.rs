//! A game server receiving its purchase pushes: the local Midas server pushes a goods
//! delivery, the receiver delivers the sword once, answers the re-push exactly like the first,
//! and refuses a forged push — with the exactly-once inbox in the journal's SQLite file.
//!
//! ```text
//! cargo run -p midas-api --features push-axum,journal --example push
//! ```

#![allow(clippy::print_stdout, reason = "an example shows what happens")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use midas_api::push::{Answer, Event, HandlerError, Mode, Opener, Push, PushConfig, Receiver};
use midas_api::{Journal, JournalInbox};
use midas_emulator::{Emulator, Injection, PushTarget, goods_delivery_message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // What the mini game's push settings say: Token, EncodingAESKey, AppID, safe mode.
    let config = || {
        PushConfig::builder()
            .token("GameToken2024")
            .encoding_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
            .app_id("wx1234567")
            .mode(Mode::Safe)
            .build()
    };

    // The service's side: deliver the item of a paid order. The inbox makes it run once per
    // order, across repeats, restarts and instances.
    let swords = Arc::new(AtomicUsize::new(0));
    let handler = {
        let swords = Arc::clone(&swords);
        move |push: Push| {
            let swords = Arc::clone(&swords);
            async move {
                if let Event::XpayGoodsDeliver(delivery) = push.event() {
                    swords.fetch_add(1, Ordering::SeqCst);
                    println!(
                        "  delivering {:?} for order {}",
                        delivery.goods_info.product_id, delivery.out_trade_no
                    );
                }
                Ok::<_, HandlerError>(Answer::Success)
            }
        }
    };
    let folder = std::env::temp_dir().join(format!("midas-push-example-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let inbox = JournalInbox::new(Journal::sqlite(folder.join("journal.db")).await?);
    let receiver = Receiver::new(Opener::new(config()?), handler, inbox);
    let app = midas_api::push::axum::router("/wechat/push", receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechat/push", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The local Midas server plays WeChat: it seals the push with the same settings and
    // POSTs it, then pushes it once more, as WeChat may.
    let emulator = Emulator::start().await?;
    let target = PushTarget::new(url, config()?).speed_up(1_000);
    let message = goods_delivery_message("player-1", "order-0001", "sword", 600);
    println!("the local server pushes the purchase of order-0001, then a re-push:");
    let report = emulator.push(&target, &message, Injection::Duplicate).await;
    for attempt in &report.attempts {
        println!("  answered {} {}", attempt.status, attempt.body);
    }
    println!("a forged push:");
    let forged = emulator.push(&target, &message, Injection::ForgedSignature).await;
    for attempt in &forged.attempts {
        println!("  answered {} {}", attempt.status, attempt.body);
    }
    std::fs::remove_dir_all(&folder).ok();
    let delivered = swords.load(Ordering::SeqCst);
    println!("swords delivered: {delivered}");
    if delivered != 1 || !report.delivered() || forged.delivered() {
        return Err("a push was not handled exactly once".into());
    }
    Ok(())
}
