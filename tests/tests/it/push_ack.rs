//! The persist-then-ack mode through the journal's inbox: every push acknowledged once its
//! event is stored, each event's handler run to success exactly once through failures and
//! retries, across a crash between storing and processing (SQLite), and across two workers
//! sharing PostgreSQL; the iOS refund query stays synchronous.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use midas_api::push::{
    Acknowledge, Answer, HandlerError, IosRefundDecision, Mode, Opener, Push, PushConfig, Receiver,
    RefundAdvice, ReplyEncryption, Seal,
};
use midas_api::{Journal, JournalInbox};
use midas_emulator::{Emulator, Injection, PushTarget, goods_delivery_message};

fn config() -> PushConfig {
    PushConfig::builder()
        .token("AAAAA")
        .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .app_id("wxba5fad812f8e6fb9")
        .mode(Mode::Safe)
        .reply_encryption(ReplyEncryption::Never)
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
    let message = goods_delivery_message("player-1", out_trade_no, "sword", 600);
    let sealed = Seal::new(&message, now(), nonce).seal(&config()).expect("seals");
    (sealed.query, sealed.body)
}

/// Handler runs by order id, and whether each run succeeded.
#[derive(Clone, Default)]
struct Books(Arc<Mutex<HashMap<String, Vec<bool>>>>);

impl Books {
    /// A handler that fails the first `failures(order)` runs of each order.
    fn handler(
        &self,
        failures: fn(&str) -> usize,
    ) -> impl Fn(Push) -> std::pin::Pin<Box<dyn Future<Output = Result<Answer, HandlerError>> + Send>>
    + Send
    + Sync
    + use<> {
        let books = self.clone();
        move |push: Push| {
            let books = books.clone();
            Box::pin(async move {
                let order = push.event_key().id().to_owned();
                // Let the other worker interleave.
                tokio::task::yield_now().await;
                let mut runs = books.0.lock().map_err(|_| HandlerError::new("poisoned"))?;
                let entry = runs.entry(order.clone()).or_default();
                let ok = entry.len() >= failures(&order);
                entry.push(ok);
                if ok { Ok(Answer::Success) } else { Err(HandlerError::new("the item service is down")) }
            })
        }
    }

    fn runs(&self) -> HashMap<String, Vec<bool>> {
        self.0.lock().expect("lock").clone()
    }
}

/// Every third order fails once, every fifth twice more.
fn some_fail(order: &str) -> usize {
    let n: usize = order.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    usize::from(n.is_multiple_of(3)) + 2 * usize::from(n.is_multiple_of(5))
}

type BoxedHandler = Box<
    dyn Fn(Push) -> std::pin::Pin<Box<dyn Future<Output = Result<Answer, HandlerError>> + Send>>
        + Send
        + Sync,
>;

fn storing(
    journal: Journal,
    books: &Books,
    failures: fn(&str) -> usize,
) -> Receiver<BoxedHandler, JournalInbox> {
    let handler: BoxedHandler = Box::new(books.handler(failures));
    Receiver::new(Opener::new(config()), handler, JournalInbox::new(journal))
        .acknowledge(Acknowledge::AfterStoring)
}

fn temp_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("midas-push-ack-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("folder");
    dir.join("journal.db")
}

/// Asserts each order ran to one success, its last run, after exactly its planned failures.
fn assert_once_each(runs: &HashMap<String, Vec<bool>>, orders: &[String], failures: fn(&str) -> usize) {
    assert_eq!(runs.len(), orders.len(), "every event ran");
    for order in orders {
        let mut expected = vec![false; failures(order)];
        expected.push(true);
        assert_eq!(runs.get(order.as_str()), Some(&expected), "order {order}");
    }
}

#[tokio::test]
async fn the_handler_runs_once_per_event_through_failures_and_retries() {
    let journal = Journal::sqlite(temp_file("retries")).await.expect("journal");
    let books = Books::default();
    let receiver = storing(journal, &books, some_fail);
    let worker = receiver.worker().backoff(Duration::ZERO, Duration::ZERO).max_attempts(5);
    let orders: Vec<String> = (1..=30).map(|n| format!("order-{n}")).collect();
    for (n, order) in orders.iter().enumerate() {
        for repeat in 0..2 {
            let (query, body) = delivery(order, &format!("n-{n}-{repeat}"));
            let reply = receiver.receive(&query, &body).await.expect("acknowledged at once");
            assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"success"}"#);
        }
    }
    assert!(books.runs().is_empty(), "nothing ran before the worker");
    let processed = worker.process_pending().await.expect("processed");
    let failures: usize = orders.iter().map(|order| some_fail(order)).sum();
    assert_eq!((processed.handled, processed.retried, processed.needs_attention), (30, failures, 0));
    assert_once_each(&books.runs(), &orders, some_fail);
    // Repeats after the handling: answered success from the inbox, nothing runs again.
    for (n, order) in orders.iter().enumerate() {
        let (query, body) = delivery(order, &format!("late-{n}"));
        receiver.receive(&query, &body).await.expect("answered");
    }
    assert_eq!(worker.process_pending().await.expect("processed").handled, 0);
    assert_once_each(&books.runs(), &orders, some_fail);
}

#[tokio::test]
async fn a_crash_between_storing_and_processing_still_processes_each_event_once() {
    let path = temp_file("crash");
    let books = Books::default();
    let orders: Vec<String> = (1..=5).map(|n| format!("order-{n}")).collect();
    {
        // The first process stores and acknowledges, then dies before any worker ran.
        let receiver = storing(Journal::sqlite(&path).await.expect("journal"), &books, |_| 0);
        for (n, order) in orders.iter().enumerate() {
            let (query, body) = delivery(order, &format!("first-{n}"));
            receiver.receive(&query, &body).await.expect("acknowledged");
        }
    }
    assert!(books.runs().is_empty());
    // The restart: a new journal on the same file, a new receiver and its worker.
    let receiver = storing(Journal::sqlite(&path).await.expect("journal"), &books, |_| 0);
    let (query, body) = delivery("order-1", "after-restart");
    receiver.receive(&query, &body).await.expect("a repeat is acknowledged, not stored again");
    let processed = receiver.worker().process_pending().await.expect("processed");
    assert_eq!(processed.handled, 5);
    assert_once_each(&books.runs(), &orders, |_| 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_postgres_database_never_run_one_event_twice() {
    let Some(url) = midas_tests::postgres_database("midas_push_ack_test").await else { return };
    let books = Books::default();
    let a = storing(Journal::postgres(&url).await.expect("journal"), &books, some_fail);
    let b = storing(Journal::postgres(&url).await.expect("journal"), &books, some_fail);
    let orders: Vec<String> = (1..=120).map(|n| format!("order-{n}")).collect();
    for (n, order) in orders.iter().enumerate() {
        let receiver = if n % 2 == 0 { &a } else { &b };
        let (query, body) = delivery(order, &format!("pg-{n}"));
        receiver.receive(&query, &body).await.expect("acknowledged");
    }
    let workers = [a.worker(), b.worker()].map(|worker| {
        let worker = worker.backoff(Duration::ZERO, Duration::ZERO).batch(4);
        tokio::spawn(async move {
            let mut handled = 0;
            // Until both find nothing: the other may hold leases a moment longer.
            for _ in 0..3 {
                handled += worker.process_pending().await.expect("processed").handled;
                tokio::task::yield_now().await;
            }
            handled
        })
    });
    let mut handled = Vec::new();
    for worker in workers {
        handled.push(worker.await.expect("join"));
    }
    println!("persist-then-ack on PostgreSQL: 120 events, handled {handled:?} by the two workers");
    assert_eq!(handled.iter().sum::<usize>(), 120);
    assert_once_each(&books.runs(), &orders, some_fail);
}

#[tokio::test]
async fn the_ios_refund_query_stays_synchronous() {
    let journal = Journal::sqlite(temp_file("ios")).await.expect("journal");
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handler = {
        let runs = Arc::clone(&runs);
        move |_push: Push| {
            runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async {
                Ok(Answer::IosRefund(IosRefundDecision::new(RefundAdvice::SuggestRefund, "not delivered")))
            }
        }
    };
    let receiver = Receiver::new(Opener::new(config()), handler, JournalInbox::new(journal))
        .acknowledge(Acknowledge::AfterStoring);
    let message = r#"{"Event":"xpay_subscribe_ios_refund_query_notify","pay_order_id":"p-1"}"#;
    let expected = r#"{"ErrCode":0,"ErrMsg":"success","result_code":0,"result_info":"not delivered"}"#;
    for nonce in ["ios-1", "ios-2"] {
        let sealed = Seal::new(message, now(), nonce).seal(&config()).expect("seals");
        let reply = receiver.receive(&sealed.query, &sealed.body).await.expect("decided");
        assert_eq!(reply.body(), expected, "the decision, first and repeated");
    }
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1, "decided in the request, once");
    assert_eq!(receiver.worker().process_pending().await.expect("processed").handled, 0);
}

#[tokio::test]
async fn the_emulator_gets_success_at_once_while_the_worker_retries_behind_the_router() {
    let emulator = Emulator::start().await.expect("emulator");
    let books = Books::default();
    let journal = Journal::sqlite(temp_file("router")).await.expect("journal");
    let receiver = storing(journal, &books, |_| 2);
    let worker = tokio::spawn(receiver.worker().backoff(Duration::ZERO, Duration::ZERO).run());
    let app = midas_api::push::axum::router("/push", receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/push", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let target = PushTarget::new(url, config()).speed_up(1_000);
    let message = goods_delivery_message("player-1", "order-77", "sword", 600);
    let report = emulator.push(&target, &message, Injection::Duplicate).await;
    let answers: Vec<bool> = report.attempts.iter().map(|attempt| attempt.success).collect();
    assert_eq!(answers, [true, true], "acknowledged at once, the duplicate alike: {report:?}");
    // The handler fails twice behind the acknowledgement; wait for the worker's third run.
    let mut runs = Vec::new();
    for _ in 0..1_000 {
        runs = books.runs().get("order-77").cloned().unwrap_or_default();
        if runs.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(runs, [false, false, true]);
    worker.abort();
}
