//! A service instance for the journal's crash and fleet tests: drives a seeded plan of money
//! calls through a journaled client against a local Midas server, until done or killed.
//!
//! ```text
//! MIDAS_BASE_URL=… MIDAS_SANDBOX_KEY=… MIDAS_PAYMENT_SANDBOX_KEY=… MIDAS_ACCESS_TOKEN=… \
//!   journal_worker JOURNAL_URL SEED COUNT PLAYERS ROTATE CONCURRENCY
//! ```
//! Settings with secrets come from the environment, not the command line.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use midas_api::{
    AccessToken, AppKey, Client, Config, Env, Error, Journal, JournalFailureKind, OrderIds, Player,
    RetryPolicy, SessionKey, StaticToken, v2,
};
use midas_tests::journal_plan::{self, Kind};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("journal_worker: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<String, Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, seed, count, players, rotate, concurrency] = args.as_slice() else {
        return Err("usage: journal_worker JOURNAL_URL SEED COUNT PLAYERS ROTATE CONCURRENCY".into());
    };
    let (seed, count, players): (u64, usize, usize) = (seed.parse()?, count.parse()?, players.parse()?);
    let (rotate, concurrency): (usize, usize) = (rotate.parse()?, concurrency.parse()?);
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let config = Config::builder(var("MIDAS_APPID")?, var("MIDAS_OFFER_ID")?, Env::Sandbox)
        .base_url(var("MIDAS_BASE_URL")?)
        .sandbox_key(AppKey::new(var("MIDAS_SANDBOX_KEY")?)?)
        .payment_sandbox_key(AppKey::new(var("MIDAS_PAYMENT_SANDBOX_KEY")?)?)
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(2), Duration::from_millis(10))
                .with_deadline(Duration::from_millis(1500)),
        )
        .timeout(Duration::from_millis(500))
        .build()?;
    let journal = Journal::open(url).await?.with_lease(Duration::from_secs(2))?;
    let tokens = StaticToken::new(AccessToken::new(var("MIDAS_ACCESS_TOKEN")?)?);
    let client = Client::new(config, tokens)?.with_journal(journal);
    let ids = OrderIds::new(format!("journal-test-{seed}"))?;
    let mut plan = journal_plan::plan(seed, count, players);
    plan.rotate_left(rotate % count.max(1));

    let counts = Arc::new([(); 4].map(|()| AtomicU64::new(0)));
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for call in plan {
        let permit = Arc::clone(&permits).acquire_owned().await?;
        let (client, counts) = (client.clone(), Arc::clone(&counts));
        let order_id = ids.for_business_id(&call.business_id)?;
        tasks.spawn(async move {
            let _permit = permit;
            let key =
                SessionKey::new(format!("session-key-{}", call.openid.trim_start_matches("crash-player-")));
            let Ok(key) = key else { return };
            let player = Player::new(call.openid).with_session_key(key);
            let result = match call.kind {
                Kind::V1Present => {
                    let gift = midas_api::Present { bill_no: order_id, present_counts: call.amount };
                    client.present(&player, gift).await.map(drop)
                }
                Kind::V1Pay => {
                    let pay = midas_api::Pay {
                        amt: call.amount,
                        bill_no: order_id,
                        pay_item: None,
                        app_remark: None,
                    };
                    client.pay(&player, pay).await.map(drop)
                }
                Kind::V2Present => client
                    .call(&player, &v2::Present { amount: call.amount, bill_no: order_id })
                    .await
                    .map(drop),
            };
            let slot = match result {
                Ok(()) | Err(Error::AlreadyProcessed { .. }) => 0,
                Err(Error::Journal(failure)) if failure.kind() == JournalFailureKind::InProgress => 1,
                Err(error) if error.may_have_applied() => 2,
                Err(_) => 3,
            };
            counts[slot].fetch_add(1, Ordering::Relaxed);
        });
    }
    while tasks.join_next().await.is_some() {}
    let [done, in_progress, open, refused] = &*counts;
    Ok(format!(
        "done={} in_progress={} open={} refused={}",
        done.load(Ordering::Relaxed),
        in_progress.load(Ordering::Relaxed),
        open.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed)
    ))
}
