//! The client's metrics, read through a recorder after a faulted run, against the local
//! server's own counts. A binary of its own: a metrics recorder is process-wide.

use std::collections::HashMap;
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use midas_api::{Client, Env, Player, Present, RetryPolicy, SessionKey, StaticToken};
use midas_emulator::{Emulator, FaultRates};
use midas_tests::emulator_config;

/// Counter totals by name, and by name and one label value.
fn totals(
    snapshot: Vec<(
        metrics_util::CompositeKey,
        Option<metrics::Unit>,
        Option<metrics::SharedString>,
        DebugValue,
    )>,
) -> (HashMap<String, u64>, HashMap<(String, String), u64>) {
    let (mut by_name, mut by_label) = (HashMap::new(), HashMap::new());
    for (key, _, _, value) in snapshot {
        let DebugValue::Counter(count) = value else { continue };
        let name = key.key().name().to_owned();
        *by_name.entry(name.clone()).or_default() += count;
        for label in key.key().labels() {
            *by_label.entry((name.clone(), format!("{}={}", label.key(), label.value()))).or_default() +=
                count;
        }
    }
    (by_name, by_label)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_of_a_faulted_run_match_the_servers_counts() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().expect("the only recorder of this process");
    midas_api::describe_metrics();

    let rates = FaultRates { busy_before: 0.05, busy_after: 0.05, drop_after: 0.03, ..FaultRates::default() };
    let emulator = Emulator::builder().seed(5).fault_rates(rates).start().await.expect("emulator");
    emulator.add_player("player-1", SessionKey::new("session-key-1").expect("key"), 1_000);
    let config = emulator_config(&emulator, Env::Sandbox)
        .timeout(Duration::from_secs(2))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .expect("config");
    let client = Client::new(config, StaticToken::new(emulator.access_token())).expect("client");
    let player = Player::new("player-1");
    const CALLS: u64 = 300;
    let (mut failed, mut open) = (0_u64, 0_u64);
    for n in 0..CALLS {
        let result = if n % 3 == 0 {
            client.get_balance(&player).await.map(drop)
        } else {
            client
                .present(&player, Present { bill_no: format!("gift-{n:04}"), present_counts: 1 })
                .await
                .map(drop)
        };
        failed += u64::from(result.is_err());
        let left_open = |error: &midas_api::Error| {
            error.may_have_applied() && !matches!(error, midas_api::Error::AlreadyProcessed { .. })
        };
        open += u64::from(result.as_ref().err().is_some_and(left_open));
    }

    let (by_name, by_label) = totals(snapshotter.snapshot().into_vec());
    let faults = emulator.fault_counts();
    println!(
        "metrics: {by_name:?}; server: {} requests, faults {faults:?}; {failed} calls failed",
        emulator.requests()
    );
    assert_eq!(by_name.get("midas_calls_total"), Some(&CALLS), "one count per call");
    assert_eq!(
        by_name.get("midas_attempts_total"),
        Some(&emulator.requests()),
        "one per request the server saw"
    );
    assert_eq!(
        by_label.get(&("midas_errcodes_total".to_owned(), "errcode=-1".to_owned())).copied().unwrap_or(0),
        faults.busy_before + faults.busy_after,
        "every busy answer the server gave"
    );
    assert_eq!(
        by_name.get("midas_retries_total").copied().unwrap_or(0),
        emulator.requests() - CALLS,
        "every attempt beyond the first of its call"
    );
    assert!(open > 0, "two attempts leave some calls open");
    assert_eq!(by_name.get("midas_ambiguous_total").copied().unwrap_or(0), open, "calls left open");
    let ok = by_label.get(&("midas_calls_total".to_owned(), "outcome=ok".to_owned())).copied().unwrap_or(0);
    assert_eq!(ok, CALLS - failed);
    assert!(faults.total() > 20, "faults struck: {faults:?}");

    // Pushes: 30 genuine events, each pushed twice, and 10 with a forged signature.
    let (handled, duplicates, forged) = receive_pushes().await;
    let (_, by_label) = totals(snapshotter.snapshot().into_vec());
    let count = |result: &str| {
        by_label
            .get(&("midas_push_received_total".to_owned(), format!("result={result}")))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!((count("handled"), count("duplicate"), count("forged")), (handled, duplicates, forged));
}

/// Sends genuine, repeated and forged pushes through a receiver; returns how many of each.
async fn receive_pushes() -> (u64, u64, u64) {
    use midas_api::push::{Answer, MemoryInbox, Mode, Opener, PushConfig, Receiver, Seal};
    let config = || {
        PushConfig::builder()
            .token("AAAAA")
            .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .app_id("wxba5fad812f8e6fb9")
            .mode(Mode::Safe)
            .build()
            .expect("configuration")
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let now = i64::try_from(now).expect("a time");
    let receiver = Receiver::new(
        Opener::new(config()),
        |_push| std::future::ready(Ok(Answer::Success)),
        MemoryInbox::new(),
    );
    let (mut handled, mut duplicates, mut forged) = (0, 0, 0);
    for event in 0..30 {
        let message = serde_json::json!({
            "ToUserName": "gh_97417a04a28d", "FromUserName": "player", "CreateTime": now, "MsgType": "event",
            "Event": "xpay_goods_deliver_notify", "OpenId": "player", "OutTradeNo": format!("order-{event}"), "Env": 0,
            "WeChatPayInfo": {"MchOrderNo": "m", "TransactionId": "t", "PaidTime": now},
            "GoodsInfo": {"ProductId": "sword", "Quantity": 1, "OrigPrice": 1, "ActualPrice": 1, "Attach": ""},
        })
        .to_string();
        for repeat in 0..2 {
            let sealed =
                Seal::new(&message, now, &format!("n-{event}-{repeat}")).seal(&config()).expect("seal");
            receiver.receive(&sealed.query, &sealed.body).await.expect("genuine");
            if repeat == 0 { handled += 1 } else { duplicates += 1 }
        }
        if event < 10 {
            let sealed = Seal::new(&message, now, &format!("f-{event}")).seal(&config()).expect("seal");
            let query = sealed.query.replace("msg_signature=", "msg_signature=0");
            assert!(receiver.receive(&query, &sealed.body).await.is_err(), "a forged push is refused");
            forged += 1;
        }
    }
    (handled, duplicates, forged)
}
