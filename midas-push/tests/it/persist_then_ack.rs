//! The persist-then-ack mode: a verified event is stored and acknowledged at once, and a
//! worker runs the handler on it until it succeeds — once, through failures, timeouts and
//! repeats — or sets it aside as needing attention; decisions stay synchronous.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use midas_push::{
    Acknowledge, Answer, Claim, Event, EventKey, Family, Format, HandlerError, Inbox, IosRefundDecision,
    KeyKind, ManualClock, MemoryInbox, Mode, Opener, Processed, Push, Receiver, RefundAdvice, Refusal, Seal,
    Stored, StoredEvent, StoredEventError,
};

use crate::support::{NOW, PRODUCTION_KEY, config, goods_delivery, mini_game_message, seal};

/// A handler that fails its first `failures` runs, counting every run.
fn flaky(
    failures: usize,
) -> (impl Fn(Push) -> std::future::Ready<Result<Answer, HandlerError>> + Send + Sync, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&runs);
    let handler = move |_push: Push| {
        let run = seen.fetch_add(1, Ordering::SeqCst);
        std::future::ready(if run < failures {
            Err(HandlerError::new("the item service is down"))
        } else {
            Ok(Answer::Success)
        })
    };
    (handler, runs)
}

fn storing<H: midas_push::Handler>(handler: H, clock: &ManualClock) -> Receiver<H, MemoryInbox> {
    Receiver::new(Opener::new(config(Mode::Safe)).with_clock(clock.clone()), handler, MemoryInbox::new())
        .acknowledge(Acknowledge::AfterStoring)
}

fn processed(handled: usize, retried: usize, needs_attention: usize) -> Processed {
    let mut processed = Processed::default();
    (processed.handled, processed.retried, processed.needs_attention) = (handled, retried, needs_attention);
    processed
}

#[tokio::test]
async fn a_stored_event_is_acknowledged_before_the_handler_and_handled_once_by_the_worker() {
    let config = config(Mode::Safe);
    let first = seal(&config, &goods_delivery("order-1"), "n1");
    let repeat = seal(&config, &goods_delivery("order-1"), "n2");
    let (handler, runs) = flaky(0);
    let receiver = storing(handler, &ManualClock::new(NOW));
    let worker = receiver.worker();
    let reply = receiver.receive(&first.0, &first.1).await.expect("acknowledged");
    assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"success"}"#);
    assert_eq!(runs.load(Ordering::SeqCst), 0, "acknowledged before the handler ran");
    let again = receiver.receive(&repeat.0, &repeat.1).await.expect("acknowledged again");
    assert_eq!(again, reply, "a repeat of a stored event gets success and is not stored twice");
    assert_eq!(worker.process_pending().await.expect("processed"), processed(1, 0, 0));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let third = seal(&config, &goods_delivery("order-1"), "n3");
    assert_eq!(receiver.receive(&third.0, &third.1).await.expect("answered"), reply);
    assert_eq!(worker.process_pending().await.expect("processed"), processed(0, 0, 0));
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the handler ran once");
}

#[tokio::test]
async fn a_failing_handler_is_tried_again_after_a_growing_delay_until_it_succeeds() {
    let config = config(Mode::Safe);
    let push = seal(&config, &goods_delivery("order-1"), "n1");
    let clock = ManualClock::new(NOW);
    let (handler, runs) = flaky(2);
    let receiver = storing(handler, &clock);
    let worker = receiver.worker().backoff(Duration::from_secs(10), Duration::from_secs(60));
    receiver.receive(&push.0, &push.1).await.expect("acknowledged although the handler would fail");
    assert_eq!(worker.process_pending().await.expect("processed"), processed(0, 1, 0));
    assert_eq!(worker.process_pending().await.expect("processed"), processed(0, 0, 0), "not due yet");
    clock.advance(10);
    assert_eq!(worker.process_pending().await.expect("processed"), processed(0, 1, 0), "due after 10 s");
    clock.advance(10);
    assert_eq!(worker.process_pending().await.expect("processed"), processed(0, 0, 0), "then after 20 s");
    clock.advance(10);
    assert_eq!(worker.process_pending().await.expect("processed"), processed(1, 0, 0));
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert!(receiver.inbox().needing_attention(10).await.expect("listed").is_empty());
}

#[tokio::test]
async fn out_of_attempts_an_event_needs_attention_until_it_is_requeued() {
    let config = config(Mode::Safe);
    let push = seal(&config, &goods_delivery("order-1"), "n1");
    let repeat = seal(&config, &goods_delivery("order-1"), "n2");
    let fixed = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let handler = {
        let (fixed, runs) = (Arc::clone(&fixed), Arc::clone(&runs));
        move |_push: Push| {
            runs.fetch_add(1, Ordering::SeqCst);
            let ok = fixed.load(Ordering::SeqCst);
            async move { if ok { Ok(Answer::Success) } else { Err(HandlerError::new("no such product")) } }
        }
    };
    let receiver = storing(handler, &ManualClock::new(NOW));
    let worker = receiver.worker().max_attempts(3).backoff(Duration::ZERO, Duration::ZERO);
    receiver.receive(&push.0, &push.1).await.expect("acknowledged");
    assert_eq!(worker.process_pending().await.expect("processed"), processed(0, 2, 1));
    assert_eq!(runs.load(Ordering::SeqCst), 3, "three attempts, then no more");
    let attention = receiver.inbox().needing_attention(10).await.expect("listed");
    assert_eq!(attention.len(), 1);
    assert_eq!((attention[0].key().as_str(), attention[0].attempts()), ("delivery:order-1", 3));
    assert_eq!(attention[0].last_error(), Some("no such product"));
    receiver.receive(&repeat.0, &repeat.1).await.expect("a repeat is acknowledged");
    assert_eq!(worker.process_pending().await.expect("processed"), processed(0, 0, 0));
    fixed.store(true, Ordering::SeqCst);
    assert!(receiver.inbox().requeue(attention[0].key()).await.expect("requeued"));
    assert!(!receiver.inbox().requeue(attention[0].key()).await.expect("not twice"));
    assert_eq!(worker.process_pending().await.expect("processed"), processed(1, 0, 0));
    assert_eq!(runs.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_handler_over_its_budget_counts_as_a_failed_attempt() {
    let config = config(Mode::Safe);
    let push = seal(&config, &goods_delivery("order-1"), "n1");
    let runs = Arc::new(AtomicUsize::new(0));
    let handler = {
        let runs = Arc::clone(&runs);
        move |_push: Push| {
            let run = runs.fetch_add(1, Ordering::SeqCst);
            async move {
                if run == 0 {
                    std::future::pending::<()>().await;
                }
                Ok(Answer::Success)
            }
        }
    };
    let receiver = storing(handler, &ManualClock::new(NOW));
    let worker = receiver.worker().budget(Duration::from_millis(10)).backoff(Duration::ZERO, Duration::ZERO);
    receiver.receive(&push.0, &push.1).await.expect("acknowledged");
    assert_eq!(worker.process_pending().await.expect("processed"), processed(1, 1, 0));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_run_cut_short_by_a_crash_counts_and_the_last_one_sets_the_event_aside() {
    let config = config(Mode::Safe);
    let push = seal(&config, &goods_delivery("order-1"), "n1");
    let (handler, runs) = flaky(0);
    // A lease that lapses at once: what a crashed worker leaves behind.
    let receiver = Receiver::new(
        Opener::new(config).with_clock(ManualClock::new(NOW)),
        handler,
        MemoryInbox::with_lease(Duration::ZERO),
    )
    .acknowledge(Acknowledge::AfterStoring);
    receiver.receive(&push.0, &push.1).await.expect("acknowledged");
    let crashed = receiver.inbox().lease_stored(i64::MAX, 10).await.expect("leased");
    assert_eq!(crashed.len(), 1);
    assert_eq!(crashed[0].attempts(), 1);
    let worker = receiver.worker().max_attempts(1);
    assert_eq!(worker.process_pending().await.expect("processed"), processed(0, 0, 1));
    assert_eq!(runs.load(Ordering::SeqCst), 0, "no attempt beyond the bound");
}

#[tokio::test]
async fn the_ios_refund_query_is_answered_in_the_request_in_either_mode() {
    let config = crate::support::builder(Mode::Safe)
        .reply_encryption(midas_push::ReplyEncryption::Never)
        .build()
        .expect("valid");
    let message = r#"{"Event":"xpay_subscribe_ios_refund_query_notify","pay_order_id":"p-1"}"#;
    let push = seal(&config, message, "n1");
    let runs = Arc::new(AtomicUsize::new(0));
    let handler = {
        let runs = Arc::clone(&runs);
        move |_push: Push| {
            runs.fetch_add(1, Ordering::SeqCst);
            async { Ok(Answer::IosRefund(IosRefundDecision::new(RefundAdvice::Refuse, "consumed"))) }
        }
    };
    let receiver =
        Receiver::new(Opener::new(config).with_clock(ManualClock::new(NOW)), handler, MemoryInbox::new())
            .acknowledge(Acknowledge::AfterStoring);
    let reply = receiver.receive(&push.0, &push.1).await.expect("decided");
    assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"success","result_code":1,"result_info":"consumed"}"#);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the handler ran in the request");
    assert_eq!(receiver.worker().process_pending().await.expect("processed"), processed(0, 0, 0));
}

#[tokio::test]
async fn mock_pushes_are_answered_and_never_stored() {
    let config = config(Mode::Safe);
    let mock = mini_game_message(
        "minigame_coin_deliver_completed",
        r#"{"OpenId":"o","OutTradeNo":"m-1","Env":0,"CoinInfo":{}}"#,
        PRODUCTION_KEY,
        true,
    );
    let push = seal(&config, &mock, "n1");
    let (handler, runs) = flaky(0);
    let receiver = storing(handler, &ManualClock::new(NOW));
    let reply = receiver.receive(&push.0, &push.1).await.expect("answered");
    assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"Success"}"#);
    assert_eq!(receiver.worker().process_pending().await.expect("processed"), processed(0, 0, 0));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_running_worker_wakes_when_an_event_is_stored() {
    let config = config(Mode::Safe);
    let push = seal(&config, &goods_delivery("order-1"), "n1");
    let (done, mut handled) = tokio::sync::mpsc::unbounded_channel();
    let handler = move |push: Push| {
        let _ = done.send(push.event_key());
        async { Ok(Answer::Success) }
    };
    let receiver = storing(handler, &ManualClock::new(NOW));
    // Polling once an hour: only the receiver's wake-up can start the run in time.
    let worker = tokio::spawn(receiver.worker().poll_interval(Duration::from_secs(3600)).run());
    tokio::task::yield_now().await;
    receiver.receive(&push.0, &push.1).await.expect("acknowledged");
    let key =
        tokio::time::timeout(Duration::from_secs(30), handled.recv()).await.expect("woken").expect("a run");
    assert_eq!(key.as_str(), "delivery:order-1");
    worker.abort();
}

#[tokio::test]
async fn the_memory_inbox_keeps_stored_events_by_its_contract() {
    let config = config(Mode::Safe);
    let (query, body) = seal(&config, &goods_delivery("order-1"), "n1");
    let push = Opener::new(config).with_clock(ManualClock::new(NOW)).open_raw(&query, &body).expect("opens");
    let event = StoredEvent::new(&push);
    let inbox = MemoryInbox::new();
    assert_eq!(inbox.store(&event).await.expect("store"), Stored::New);
    assert_eq!(inbox.store(&event).await.expect("store"), Stored::Queued);
    assert_eq!(
        inbox.claim(event.key()).await.expect("claim"),
        Claim::Queued,
        "a synchronous repeat acknowledges"
    );
    let leased = inbox.lease_stored(0, 10).await.expect("lease");
    assert_eq!(leased.len(), 1);
    assert!(inbox.lease_stored(0, 10).await.expect("lease").is_empty(), "a live lease is not taken twice");
    inbox.retry_stored(event.key(), 5_000, "later").await.expect("retry");
    assert!(inbox.lease_stored(4_999, 10).await.expect("lease").is_empty(), "not due yet");
    let again = inbox.lease_stored(5_000, 10).await.expect("lease");
    assert_eq!((again[0].attempts(), again[0].last_error()), (2, Some("later")));
    inbox.complete(event.key(), &Answer::Success).await.expect("complete");
    assert_eq!(inbox.store(&event).await.expect("store"), Stored::Done(Answer::Success));

    // A live synchronous claim holds the key: storing is refused for now.
    let other = EventKey::new(KeyKind::Delivery, "order-2");
    assert_eq!(inbox.claim(&other).await.expect("claim"), Claim::First);
    let (query, body) = seal(&crate::support::config(Mode::Safe), &goods_delivery("order-2"), "n2");
    let push = Opener::new(crate::support::config(Mode::Safe))
        .with_clock(ManualClock::new(NOW))
        .open_raw(&query, &body)
        .expect("opens");
    assert_eq!(inbox.store(&StoredEvent::new(&push)).await.expect("store"), Stored::InProgress);
}

#[tokio::test]
async fn a_concurrent_synchronous_claim_is_answered_with_a_retry() {
    let config = config(Mode::Safe);
    let push = seal(&config, &goods_delivery("order-1"), "n1");
    let inbox = MemoryInbox::new();
    inbox.claim(&EventKey::new(KeyKind::Delivery, "order-1")).await.expect("claim");
    let (handler, runs) = flaky(0);
    let receiver = Receiver::new(Opener::new(config).with_clock(ManualClock::new(NOW)), handler, inbox)
        .acknowledge(Acknowledge::AfterStoring);
    let refused = receiver.receive(&push.0, &push.1).await.expect_err("held by the claim");
    assert!(matches!(refused.reason(), Refusal::InProgress));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[test]
fn a_stored_event_restores_the_push_it_came_from_in_every_format_and_family() {
    let mini_game = mini_game_message(
        "minigame_game_pay_goods_deliver_notify",
        r#"{"OpenId":"o","OutTradeNo":"g-1","Env":0,"GoodsInfo":{"ProductId":"sword","Quantity":1}}"#,
        PRODUCTION_KEY,
        false,
    );
    let xml = "<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[xpay_refund_notify]]></Event>\
               <MchRefundId><![CDATA[r-1]]></MchRefundId><RefundFee>100</RefundFee></xml>";
    for (mode, message, format, family) in [
        (Mode::Safe, mini_game.as_str(), Format::Json, Family::MiniGame),
        (Mode::Plaintext, xml, Format::Xml, Family::Xpay),
        (Mode::Safe, xml, Format::Xml, Family::Xpay),
        (
            Mode::Compatible,
            r#"{"MsgType":"text","MsgId":"42","Content":"hi"}"#,
            Format::Json,
            Family::Message,
        ),
    ] {
        let config = config(mode);
        let sealed = Seal::new(message, NOW, "n1").seal(&config).expect("seals");
        let push = Opener::new(config)
            .with_clock(ManualClock::new(NOW))
            .open_raw(&sealed.query, &sealed.body)
            .expect("opens");
        let stored = StoredEvent::new(&push);
        let restored = StoredEvent::restore(stored.key().as_str(), stored.message(), &stored.envelope())
            .expect("restores")
            .to_push()
            .expect("decodes");
        assert_eq!((restored.format(), restored.family()), (format, family), "{message}");
        assert_eq!(restored.event(), push.event());
        assert_eq!(restored.event_key(), push.event_key());
        assert_eq!((restored.payload(), restored.env()), (push.payload(), push.env()));
        assert_eq!(
            (restored.was_encrypted(), restored.timestamp(), restored.nonce()),
            (push.was_encrypted(), NOW, "n1")
        );
        assert_eq!(restored.message(), message);
    }
    let Ok(Event::MiniGameGoodsDeliver(_)) = StoredEvent::restore(
        "delivery:g-1",
        mini_game.as_str(),
        r#"{"format":"json","encrypted":true,"family":"mini_game","timestamp":1,"nonce":"n"}"#,
    )
    .map(|stored| stored.to_push().expect("decodes").event().clone()) else {
        panic!("a mini-game delivery")
    };
    for envelope in
        ["", "{}", r#"{"format":"yaml","encrypted":true,"family":"xpay","timestamp":1,"nonce":"n"}"#]
    {
        assert_eq!(StoredEvent::restore("delivery:g-1", "{}", envelope), Err(StoredEventError), "{envelope}");
    }
    assert_eq!(StoredEvent::restore("no-colon", "{}", "{}"), Err(StoredEventError));
}
