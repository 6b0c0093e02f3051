//! A push soak over loopback: 10,000 pushes, a quarter of them repeats and some forged, to a
//! receiver (axum router, journal inbox on SQLite) restarted midway. Each genuine event's
//! handler runs exactly once, no forged push reaches it, and every genuine push is answered
//! success in the end (re-pushed, as WeChat does, while the answer says to retry).
//! `cargo test -p midas-tests --test it push_soak -- --nocapture` prints the counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use midas_api::push::{Answer, HandlerError, Mode, Opener, Push, PushConfig, Receiver, Seal};
use midas_api::{Journal, JournalInbox};
use midas_tests::journal_plan::splitmix;

const EVENTS: usize = 7_000;
const REPEATS: usize = 2_400;
const FORGED: usize = 600;

fn config() -> PushConfig {
    PushConfig::builder()
        .token("AAAAA")
        .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .app_id("wxba5fad812f8e6fb9")
        .mode(Mode::Safe)
        .build()
        .expect("configuration")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}

fn delivery(out_trade_no: &str) -> String {
    serde_json::json!({
        "ToUserName": "gh_97417a04a28d", "FromUserName": "player", "CreateTime": now(), "MsgType": "event",
        "Event": "xpay_goods_deliver_notify", "OpenId": "player", "OutTradeNo": out_trade_no, "Env": 0,
        "WeChatPayInfo": {"MchOrderNo": "m", "TransactionId": "t", "PaidTime": now()},
        "GoodsInfo": {"ProductId": "sword", "Quantity": 1, "OrigPrice": 1, "ActualPrice": 1, "Attach": ""},
    })
    .to_string()
}

/// Deliveries the handler made, by order.
type Delivered = Arc<Mutex<HashMap<String, usize>>>;

/// Starts a receiver on a free loopback port; returns its URL and a handle that stops it.
async fn start_receiver(
    journal: Journal,
    delivered: &Delivered,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let delivered = Arc::clone(delivered);
    let handler = move |push: Push| {
        let delivered = Arc::clone(&delivered);
        async move {
            let order = push.event_key().id().to_owned();
            *delivered.lock().map_err(|_| HandlerError::new("poisoned"))?.entry(order).or_default() += 1;
            Ok::<_, HandlerError>(Answer::Success)
        }
    };
    let receiver = Receiver::new(Opener::new(config()), handler, JournalInbox::new(journal));
    let app = midas_api::push::axum::router("/push", receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/push", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    (url, stop)
}

/// One push as WeChat sends it: POSTed until the answer is success (at most 50 times).
/// Returns whether it ended in success, and how many times it was sent.
async fn push(http: &reqwest::Client, url: &str, message: &str, nonce: &str, forge: bool) -> (bool, u32) {
    for sent in 1..=50 {
        let sealed = Seal::new(message, now(), &format!("{nonce}-{sent}")).seal(&config()).expect("seal");
        let query =
            if forge { sealed.query.replace("msg_signature=", "msg_signature=0") } else { sealed.query };
        let answer = http.post(format!("{url}?{query}")).body(sealed.body).send().await;
        let success = match answer {
            Ok(answer) if answer.status().is_success() => {
                answer.text().await.is_ok_and(|body| body.contains("\"ErrCode\":0"))
            }
            _ => false,
        };
        if success || forge {
            return (success, sent);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (false, 50)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_soak_each_event_delivered_once_across_a_restart() {
    let dir = std::env::temp_dir().join(format!("midas-push-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("folder");
    let path = dir.join("journal.db");
    let delivered: Delivered = Arc::default();
    let http = reqwest::Client::new();

    // The schedule: each event once, a repeat of 2,400 of them, 600 forged; shuffled.
    let mut plan: Vec<(usize, bool)> = (0..EVENTS).map(|event| (event, false)).collect();
    let mut seed = 17;
    plan.extend(
        (0..REPEATS).map(|_| (usize::try_from(splitmix(&mut seed) % EVENTS as u64).unwrap_or(0), false)),
    );
    plan.extend((0..FORGED).map(|n| (EVENTS + n, true)));
    for at in (1..plan.len()).rev() {
        let other = usize::try_from(splitmix(&mut seed) % (at as u64 + 1)).unwrap_or(0);
        plan.swap(at, other);
    }

    let (mut answered, mut forged_refused, mut pushes_sent) = (0_usize, 0_usize, 0_u64);
    let halves = [&plan[..plan.len() / 2], &plan[plan.len() / 2..]];
    for (half, pushes) in halves.into_iter().enumerate() {
        // A new process each half: a new journal on the same file, a new receiver.
        let journal = Journal::sqlite(&path).await.expect("journal");
        let (url, stop) = start_receiver(journal, &delivered).await;
        let mut tasks: tokio::task::JoinSet<(bool, u32, bool)> = tokio::task::JoinSet::new();
        for (n, (event, forge)) in pushes.iter().copied().enumerate() {
            while tasks.len() >= 16 {
                let (success, sent, forge) = tasks.join_next().await.expect("a task").expect("join");
                pushes_sent += u64::from(sent);
                if forge { forged_refused += usize::from(!success) } else { answered += usize::from(success) }
            }
            let (http, url) = (http.clone(), url.clone());
            tasks.spawn(async move {
                let message = delivery(&format!("order-{event}"));
                let (success, sent) = push(&http, &url, &message, &format!("h{half}-p{n}"), forge).await;
                (success, sent, forge)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (success, sent, forge) = done.expect("join");
            pushes_sent += u64::from(sent);
            if forge { forged_refused += usize::from(!success) } else { answered += usize::from(success) }
        }
        let _ = stop.send(());
    }

    let delivered = delivered.lock().expect("lock").clone();
    let twice = delivered.values().filter(|&&runs| runs > 1).count();
    let forged_delivered = delivered
        .keys()
        .filter(|order| order.trim_start_matches("order-").parse::<usize>().is_ok_and(|n| n >= EVENTS))
        .count();
    println!(
        "push soak: {} pushes planned ({EVENTS} events, {REPEATS} repeats, {FORGED} forged), {pushes_sent} sent with \
         re-pushes; {answered} genuine answered success, {forged_refused} forged refused; {} events delivered, \
         {twice} twice, {forged_delivered} forged delivered",
        plan.len(),
        delivered.len()
    );
    assert_eq!(answered, EVENTS + REPEATS, "every genuine push is answered success");
    assert_eq!(forged_refused, FORGED, "every forged push is refused");
    assert_eq!(delivered.len(), EVENTS, "every event delivered");
    assert_eq!((twice, forged_delivered), (0, 0), "once each, and nothing forged");
    std::fs::remove_dir_all(&dir).ok();
}
