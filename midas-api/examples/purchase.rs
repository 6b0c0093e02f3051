//! A cash purchase from launch to refund, against the local Midas server: the game server signs
//! the launch parameters, the simulated player pays, the delivery push reaches the receiver
//! (and comes again: granted once), `query_order` shows the order delivered, a partial refund
//! finishes and is pushed, and the books and the journal agree. Exits non-zero on a mismatch.
//!
//! ```text
//! cargo run -p midas-api --features push-axum,journal --example purchase
//! ```

#![allow(clippy::print_stdout, reason = "an example shows what happens")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use midas_api::purchase::{CashOrder, LaunchApi};
use midas_api::push::{Answer, Event, HandlerError, Mode, Opener, Push, PushConfig, Receiver};
use midas_api::xpay::{OrderRef, OrderStatus, QueryOrder, RefundOrder, RefundReason, RefundRequester};
use midas_api::{
    Client, Config, Deliveries, Env, Journal, JournalInbox, Player, PurchaseState, Pushed, SessionKey,
};
use midas_api::{State, StaticToken};
use midas_emulator::{Emulator, Injection, LaunchTexts, PushTarget};

fn check(what: &str, ok: bool) -> Result<(), String> {
    println!("  [{}] {what}", if ok { "ok" } else { "MISMATCH" });
    if ok { Ok(()) } else { Err(format!("mismatch: {what}")) }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let push_config = || {
        PushConfig::builder()
            .token("GameToken2024")
            .encoding_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
            .app_id("wx1234567")
            .mode(Mode::Safe)
            .build()
    };
    let emulator = Emulator::start().await?;
    let session_key = SessionKey::new("player-session-key")?;
    emulator.add_player("player-1", session_key.clone(), 0);

    // The game server: a journal, a client, and a receiver whose handler grants through it.
    let journal = Journal::in_memory().await?;
    let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
        .payment_sandbox_key(emulator.payment_sandbox_key().clone())
        .base_url(emulator.base_url())
        .build()?;
    let client =
        Client::new(config, StaticToken::new(emulator.access_token()))?.with_journal(journal.clone());
    let swords = Arc::new(AtomicUsize::new(0));
    let refunds_seen = Arc::new(AtomicUsize::new(0));
    let deliveries = Deliveries::new(journal.clone(), Env::Sandbox);
    let handler = {
        let (swords, refunds_seen) = (Arc::clone(&swords), Arc::clone(&refunds_seen));
        move |push: Push| {
            let (swords, refunds_seen, deliveries) =
                (Arc::clone(&swords), Arc::clone(&refunds_seen), deliveries.clone());
            async move {
                match push.event() {
                    Event::XpayGoodsDeliver(goods) => {
                        let pushed = Pushed::new(goods.out_trade_no.clone(), goods.open_id.clone())
                            .with_product(
                                goods.goods_info.product_id.clone().unwrap_or_default(),
                                goods.goods_info.quantity.unwrap_or_default(),
                            );
                        let grant = |purchase: midas_api::PurchaseEntry| async move {
                            println!(
                                "  granting {:?} of {}",
                                purchase.intent.product_id, purchase.intent.out_trade_no
                            );
                            swords.fetch_add(1, Ordering::SeqCst);
                            Ok::<_, String>(())
                        };
                        deliveries
                            .deliver(&pushed, grant)
                            .await
                            .map_err(|error| HandlerError::new(error.to_string()))?;
                    }
                    Event::XpayRefund(refund) => {
                        println!("  refund {} of {:?} fen finished", refund.mch_refund_id, refund.refund_fee);
                        refunds_seen.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                }
                Ok::<_, HandlerError>(Answer::Success)
            }
        }
    };
    let receiver = Receiver::new(Opener::new(push_config()?), handler, JournalInbox::new(journal.clone()));
    let app = midas_api::push::axum::router("/wechat/push", receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechat/push", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    emulator.set_cash_push_target(Some(PushTarget::new(url, push_config()?).schedule(Vec::new())));

    println!("1. the game server signs the launch parameters");
    let player = Player::new("player-1").with_session_key(session_key);
    let order = CashOrder::goods("order-20260001", "sword", 600, 1)?.with_attach("season-1")?;
    let launch = client.launch(&player, LaunchApi::VirtualPayment, &order).await?;
    println!("  {}", launch.to_json());
    let awaiting = journal.purchase("sandbox", "order-20260001").await?.map(|entry| entry.state);
    check(
        "the journal holds the purchase awaiting payment",
        awaiting == Some(PurchaseState::AwaitingPayment),
    )?;

    println!("2. the player pays; WeChat pushes the delivery, then once more");
    let texts = LaunchTexts::new(
        launch.api.name(),
        launch.mode,
        &launch.sign_data,
        &launch.pay_sig,
        &launch.signature,
    );
    let paid = emulator.pay_launch("player-1", &texts, Injection::Duplicate).await?;
    for attempt in paid.push.iter().flat_map(|push| &push.attempts) {
        println!("  push answered {} {}", attempt.status, attempt.body);
    }
    check(
        "both pushes answered success",
        paid.push.as_ref().is_some_and(|push| push.attempts.iter().all(|a| a.success)),
    )?;
    check("the sword was granted once", swords.load(Ordering::SeqCst) == 1)?;

    println!("3. query_order");
    let found = client.xpay().query_order(&player, QueryOrder::by_order_id("order-20260001")).await?.order;
    println!(
        "  status {:?}, paid {:?}, left {:?}, wx_order_id {:?}",
        found.status, found.paid_fee, found.left_fee, found.wx_order_id
    );
    check("delivered", found.status == OrderStatus::Delivered)?;

    println!("4. a partial refund of 200 fen");
    let left = found.left_fee.unwrap_or_default();
    let refund = RefundOrder::new(
        OrderRef::OrderId("order-20260001".into()),
        "refund-20260001",
        left,
        200,
        RefundReason::PlayerRequest,
        RefundRequester::CustomerService,
    )?;
    let started = client.xpay().refund_order(&player, refund).await?;
    println!("  refund task {} started", started.refund_order_id);
    let reports = emulator.finish_refunds().await;
    check(
        "the refund push was answered success",
        reports.len() == 1 && reports.iter().all(|r| r.delivered()),
    )?;
    check("the refund push reached the handler", refunds_seen.load(Ordering::SeqCst) == 1)?;

    println!("5. the books and the journal agree");
    let after = client.xpay().query_order(&player, QueryOrder::by_order_id("order-20260001")).await?.order;
    let books = emulator.cash_order(Env::Sandbox, "order-20260001");
    println!("  query_order: refund {:?}, left {:?}; books: {books:?}", after.refund_fee, after.left_fee);
    check(
        "query_order shows 200 refunded, 400 left",
        (after.refund_fee, after.left_fee) == (Some(200), Some(400)),
    )?;
    check(
        "the books show the same",
        books.is_some_and(|books| (books.status, books.refund_fee, books.left_fee) == (4, 200, 400)),
    )?;
    let purchase = journal.purchase("sandbox", "order-20260001").await?;
    check(
        "the journal: delivered by the push",
        purchase.is_some_and(|entry| {
            entry.state == PurchaseState::Delivered && entry.delivered_by.as_deref() == Some("push")
        }),
    )?;
    let refund_entry = journal.get("sandbox", "refund-20260001").await?;
    check(
        "the journal: the refund applied",
        refund_entry.is_some_and(|entry| entry.state == State::Applied),
    )?;
    check("still one sword", swords.load(Ordering::SeqCst) == 1)?;
    Ok(())
}
