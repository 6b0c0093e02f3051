//! Payment pushes through the journal's inbox: one handler run per event across restarts
//! (SQLite) and across instances sharing PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use midas_api::push::{Answer, HandlerError, Mode, Opener, Push, PushConfig, Receiver, Seal};
use midas_api::{Journal, JournalInbox};

const TOKEN: &str = "AAAAA";
const AES_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const APP_ID: &str = "wxba5fad812f8e6fb9";

fn config() -> PushConfig {
    PushConfig::builder()
        .token(TOKEN)
        .encoding_aes_key(AES_KEY)
        .app_id(APP_ID)
        .mode(Mode::Safe)
        .app_key_production("production-app-key-0001")
        .app_key_sandbox("sandbox-app-key-0002")
        .build()
        .expect("configuration")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}

/// A goods delivery push for `out_trade_no`, sealed with its own nonce.
fn delivery(out_trade_no: &str, nonce: &str) -> (String, Vec<u8>) {
    let message = serde_json::json!({
        "ToUserName": "gh_97417a04a28d",
        "FromUserName": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
        "CreateTime": now(),
        "MsgType": "event",
        "Event": "xpay_goods_deliver_notify",
        "OpenId": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
        "OutTradeNo": out_trade_no,
        "Env": 0,
        "WeChatPayInfo": {"MchOrderNo": "mch-1", "TransactionId": "tx-1", "PaidTime": now()},
        "GoodsInfo": {"ProductId": "sword", "Quantity": 1, "OrigPrice": 600, "ActualPrice": 500, "Attach": "a"},
    })
    .to_string();
    let sealed = Seal::new(&message, now(), nonce).seal(&config()).expect("seals");
    (sealed.query, sealed.body)
}

type Handler = Box<dyn Fn(Push) -> std::future::Ready<Result<Answer, HandlerError>> + Send + Sync>;

/// A receiver over `journal` whose handler counts its runs in `runs`.
fn receiver(journal: Journal, runs: &Arc<AtomicUsize>) -> Receiver<Handler, JournalInbox> {
    let runs = Arc::clone(runs);
    let handler: Handler = Box::new(move |_push| {
        runs.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(Answer::Success))
    });
    Receiver::new(Opener::new(config()), handler, JournalInbox::new(journal))
}

#[tokio::test]
async fn a_repeated_push_after_a_restart_gets_the_same_answer_and_no_second_run() {
    let dir = std::env::temp_dir().join(format!("midas-push-inbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("folder");
    let path = dir.join("journal.db");
    let _ = std::fs::remove_file(&path);
    let runs = Arc::new(AtomicUsize::new(0));
    let (query, body) = delivery("order-0001", "nonce-1");
    let first = {
        let journal = Journal::sqlite(&path).await.expect("journal");
        receiver(journal, &runs).receive(&query, &body).await.expect("handled")
    };
    // The process restarts: a new journal on the same file, a new receiver.
    let journal = Journal::sqlite(&path).await.expect("journal");
    let receiver = receiver(journal, &runs);
    let (query, body) = delivery("order-0001", "nonce-2");
    let repeat = receiver.receive(&query, &body).await.expect("answered");
    assert_eq!(first, repeat, "the same answer");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the handler ran once");
    let (query, body) = delivery("order-0002", "nonce-3");
    receiver.receive(&query, &body).await.expect("handled");
    assert_eq!(runs.load(Ordering::SeqCst), 2, "another order is another event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_postgres_run_each_event_once() {
    let Some(url) = midas_tests::postgres_database("midas_push_inbox_test").await else { return };
    let runs = Arc::new(AtomicUsize::new(0));
    let a = Arc::new(receiver(Journal::postgres(&url).await.expect("journal"), &runs));
    let b = Arc::new(receiver(Journal::postgres(&url).await.expect("journal"), &runs));
    let tag = std::process::id();
    let mut tasks = Vec::new();
    // 20 events, each pushed 4 times to both instances at once.
    for event in 0..20 {
        for repeat in 0..4 {
            for (instance, receiver) in [("a", &a), ("b", &b)] {
                let receiver = Arc::clone(receiver);
                let (query, body) =
                    delivery(&format!("pg-{tag}-{event}"), &format!("n-{event}-{repeat}-{instance}"));
                tasks.push(tokio::spawn(async move { receiver.receive(&query, &body).await.is_ok() }));
            }
        }
    }
    let mut answered = 0;
    for task in tasks {
        answered += usize::from(task.await.expect("join"));
    }
    // Repeats that met a running claim were told to retry; WeChat pushes them again.
    for event in 0..20 {
        let (query, body) = delivery(&format!("pg-{tag}-{event}"), &format!("n-{event}-last"));
        let mut done = false;
        for _ in 0..50 {
            if a.receive(&query, &body).await.is_ok() {
                done = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(done, "event {event} is answered in the end");
    }
    println!("push inbox on PostgreSQL: 160 concurrent pushes of 20 events, {answered} answered at once");
    assert_eq!(runs.load(Ordering::SeqCst), 20, "each event's handler ran once across both instances");
}
