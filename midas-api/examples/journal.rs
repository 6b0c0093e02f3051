//! A shop that sells a sword for 30 coins, with the journal: the order id derives from the
//! shop's own purchase id, the intent is on disk before the pay is sent, and the sword is
//! granted exactly once even when the process dies between "Midas took the coins" and "the
//! sword was granted".
//!
//! ```text
//! cargo run -p midas-api --features journal --example journal
//! ```
//!
//! It runs against the local Midas server (`midas-emulator`) in-process, with the journal in a
//! SQLite file in a temporary folder, and exits non-zero if the books and the journal disagree.

#![allow(clippy::print_stdout, reason = "an example shows what happens")]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use midas_api::{
    Client, Config, Counters, Env, Journal, OrderIds, Pay, Player, Reconciler, SessionKey, StaticToken,
};
use midas_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start().await?;
    emulator.add_player("player-1", SessionKey::new("session-key-1")?, 100);
    let folder = std::env::temp_dir().join(format!("midas-journal-example-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
        .sandbox_key(emulator.sandbox_key().clone())
        .base_url(emulator.base_url())
        .build()?;
    let player = Player::new("player-1");

    // The service's own books: which purchases got their sword. A real service keeps this in
    // its database, and granting is idempotent per order id.
    let granted: Arc<Mutex<HashSet<String>>> = Arc::default();
    let grant = |granted: &Arc<Mutex<HashSet<String>>>, order_id: &str| {
        let first = granted.lock().map(|mut books| books.insert(order_id.to_owned())).unwrap_or(false);
        println!("  sword for order {order_id}: {}", if first { "granted" } else { "already granted" });
    };

    // 1. One process: the purchase is paid, then the process dies before granting the sword.
    let ids = OrderIds::new("sword-shop")?;
    let order_id = ids.for_business_id("purchase/42")?;
    {
        let journal = Journal::sqlite(folder.join("journal.db")).await?;
        let client =
            Client::new(config.clone(), StaticToken::new(emulator.access_token()))?.with_journal(journal);
        let baseline = Counters::of(&client.get_balance(&player).await?);
        let pay =
            Pay { amt: 30, bill_no: order_id.clone(), pay_item: Some("sword".into()), app_remark: None };
        let paid = client.pay(&player, pay).await?;
        println!("purchase/42 paid as order {order_id}: balance {}; the process dies now", paid.balance);
        std::fs::write(folder.join("baseline"), format!("{} {}", baseline.present_sum, baseline.cost_sum))?;
    }

    // 2. The restarted process: the same purchase id gives the same order id, and the journal
    //    answers it without sending anything; the reconciler finishes the grant.
    let journal = Journal::sqlite(folder.join("journal.db")).await?;
    let client =
        Client::new(config, StaticToken::new(emulator.access_token()))?.with_journal(journal.clone());
    let again = ids.for_business_id("purchase/42")?;
    let sent = emulator.requests();
    let pay = Pay { amt: 30, bill_no: again.clone(), pay_item: Some("sword".into()), app_remark: None };
    let answer = client.pay(&player, pay).await?;
    println!(
        "purchase/42 again after the restart: balance {} (recorded, {} requests sent)",
        answer.balance,
        emulator.requests() - sent
    );

    let reconciler = Reconciler::new(client.clone())?.with_grace(Duration::ZERO).on_applied({
        let granted = Arc::clone(&granted);
        move |entry| {
            grant(&granted, &entry.intent.order_id);
            async { Ok(()) }
        }
    });
    let report = reconciler.run_once().await?;
    println!("reconciler: {} settled", report.settled);
    let report = reconciler.run_once().await?;
    println!("reconciler again: {} settled (nothing is granted twice)", report.settled);

    // 3. The same order id for another amount is refused before anything is sent.
    let other = Pay { amt: 99, bill_no: again, pay_item: Some("sword".into()), app_remark: None };
    match client.pay(&player, other).await {
        Err(error) => println!("the same order id for 99 coins: {error}"),
        Ok(_) => return Err("a reused order id was sent".into()),
    }

    // 4. The books against the journal.
    let saved = std::fs::read_to_string(folder.join("baseline"))?;
    let (present_sum, cost_sum) = saved.split_once(' ').ok_or("baseline")?;
    let baseline = Counters { present_sum: present_sum.parse()?, cost_sum: cost_sum.parse()? };
    let check = reconciler.check_counters(&player, baseline).await?;
    println!(
        "counters: spent {} since the baseline, journal says {}",
        check.actual.cost_sum - baseline.cost_sum,
        check.journal_spent
    );
    std::fs::remove_dir_all(&folder)?;
    let swords = granted.lock().map(|books| books.len()).unwrap_or(0);
    if !check.agrees()
        || swords != 1
        || emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance) != Some(70)
    {
        return Err("the books and the journal disagree".into());
    }
    println!("one pay of 30 coins, one sword, books and journal agree");
    Ok(())
}
