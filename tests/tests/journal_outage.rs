//! The journal's PostgreSQL going away mid-run. A binary of its own: it stops and starts the
//! test cluster, which must not happen under the other PostgreSQL tests (test binaries run one
//! after another).

use std::process::Command;
use std::time::Duration;

use midas_api::{
    Client, Env, Error, Journal, JournalFailureKind, Player, Present, RetryPolicy, SessionKey, State,
    StaticToken,
};
use midas_emulator::Emulator;
use midas_tests::emulator_config;

async fn journaled(
    emulator: &Emulator,
    journal: Journal,
) -> Client<midas_api::ReqwestTransport, StaticToken> {
    let config = emulator_config(emulator, Env::Sandbox)
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
                .with_deadline(Duration::from_secs(2)),
        )
        .timeout(Duration::from_millis(500))
        .build()
        .expect("config");
    Client::new(config, StaticToken::new(emulator.access_token())).expect("client").with_journal(journal)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_postgres_stopped_mid_run_refuses_to_send_and_loses_no_entry() {
    let Some(url) = midas_tests::postgres_database("midas_outage_test").await else { return };
    let Some(pg_ctl) = std::env::var_os("MIDAS_TEST_POSTGRES_CTL") else {
        assert!(
            std::env::var_os("MIDAS_REQUIRE_SERVICES").is_none(),
            "MIDAS_TEST_POSTGRES_CTL (the command that stops and starts the test cluster) is not set"
        );
        println!("skipped: set MIDAS_TEST_POSTGRES_CTL to run the stop/start test");
        return;
    };
    let control = |action: &str| {
        let status =
            Command::new("bash").arg("-c").arg(format!("{} {action}", pg_ctl.to_string_lossy())).status();
        assert!(status.expect("pg_ctl").success(), "pg_ctl {action}");
    };
    let emulator = Emulator::start().await.expect("emulator");
    emulator.add_player("pg-player", SessionKey::new("session-key-1").expect("key"), 100);
    let journal = Journal::postgres(&url).await.expect("journal");
    let client = journaled(&emulator, journal.clone()).await;
    let player = Player::new("pg-player");
    let gift = |n: u32| Present { bill_no: format!("pg-stop-{}-{n}", std::process::id()), present_counts: 1 };
    client.present(&player, gift(1)).await.expect("first gift");

    control("stop");
    let sent = emulator.requests();
    let refused = client.present(&player, gift(2)).await;
    assert!(
        matches!(&refused, Err(Error::Journal(f)) if f.kind() == JournalFailureKind::Unavailable),
        "{refused:?}"
    );
    assert_eq!(emulator.requests(), sent, "a call that cannot be journaled is not sent");
    control("start");

    let mut recovered = None;
    for _ in 0..50 {
        match client.present(&player, gift(3)).await {
            Ok(answer) => {
                recovered = Some(answer.balance);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert_eq!(recovered, Some(102), "the journal is back and the first gift's entry is kept");
    let first = journal.get("sandbox", &gift(1).bill_no).await.expect("read").expect("kept");
    assert_eq!(first.state, State::Applied);
}
