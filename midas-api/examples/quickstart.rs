//! One player session with Midas: get balance → present → pay → a pay whose answer is lost
//! and that the client retries with the same `bill_no` → cancel pay → get balance, then the
//! same player migrated to Midas 2.0: a 2.0 pay and a 2.0 balance on the same books.
//!
//! ```text
//! cargo run --example quickstart
//! cargo run --example quickstart -- --metrics   # then print the run's metrics, Prometheus format
//! ```
//!
//! Without configuration it starts the local Midas server (`midas-emulator`) in-process, on a
//! free port of 127.0.0.1, with sandbox keys and a registered player. There the lost answer is
//! real: the emulator applies the second pay and then closes the connection without
//! answering; the client cannot know whether coins moved, sends the same request again (same
//! `bill_no`, new `ts`, new signatures), and Midas answers the first result without deducting
//! twice. The example checks the emulator's books afterwards and exits non-zero if they are
//! not exactly one deduction.
//!
//! With any `MIDAS_*` variable set it talks to the server they describe instead — the real API
//! or any Midas server, e.g. a `cargo run -p midas-emulator` started elsewhere, whose banner
//! prints these variables — and refuses to start, naming what is missing, when a required one
//! is not set (a lone `MIDAS_BASE_URL` is not silently ignored):
//!
//! | variable | meaning |
//! |---|---|
//! | `MIDAS_APPID` | the mini game's AppID |
//! | `MIDAS_OFFER_ID` | the offer_id assigned by Midas |
//! | `MIDAS_APP_KEY` | the Midas app key of `MIDAS_ENV` (sandbox and production keys differ) |
//! | `MIDAS_ENV` | `sandbox` (default) or `production` — production moves real coins |
//! | `MIDAS_ACCESS_TOKEN` | a valid `access_token` |
//! | `MIDAS_OPENID` | the player's openid |
//! | `MIDAS_SESSION_KEY` | the player's `session_key` (optional: without it no `mp_sig` is sent) |
//! | `MIDAS_BASE_URL` | optional; default `https://api.weixin.qq.com` |
//! | `MIDAS_PAYMENT_KEY` | optional: the virtual-payment AppKey of `MIDAS_ENV`; without it the Midas 2.0 steps are skipped |
//!
//! Against a real server nothing is injected: the fourth step is an ordinary pay, retried only
//! if Midas is busy or the connection fails.

#![allow(clippy::print_stdout, reason = "an example shows its work on stdout")]

#[cfg(feature = "reqwest")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `--metrics`: what a team's dashboard would see of this run, as a Prometheus scrape.
    let scrape = std::env::args().skip(1).any(|arg| arg == "--metrics").then(|| {
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder();
        midas_api::describe_metrics();
        handle
    });
    let outcome = session::run().await;
    if let Some(Ok(handle)) = &scrape {
        println!("\n# the metrics of this run (Prometheus text format)\n{}", handle.render());
    }
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // As a person reads it: the message, then each cause on its own line.
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "reqwest"))]
fn main() {
    println!("the quickstart needs midas-api's default `reqwest` feature");
}

#[cfg(feature = "reqwest")]
mod session {
    use std::env::{self, VarError};
    use std::time::{SystemTime, UNIX_EPOCH};

    use midas_api::{
        AccessToken, AppKey, CancelPay, Client, Config, Env, Pay, Player, Present, ReqwestTransport,
        SessionKey, StaticToken, v2,
    };
    use midas_emulator::{Api, Change, Emulator, Fault};

    type Failure = Box<dyn std::error::Error>;

    /// Every variable the quickstart reads; setting any of them means "not the local server".
    const VARIABLES: [&str; 9] = [
        "MIDAS_APPID",
        "MIDAS_OFFER_ID",
        "MIDAS_APP_KEY",
        "MIDAS_ENV",
        "MIDAS_ACCESS_TOKEN",
        "MIDAS_OPENID",
        "MIDAS_SESSION_KEY",
        "MIDAS_BASE_URL",
        "MIDAS_PAYMENT_KEY",
    ];

    /// Where the session runs: the in-process emulator, or a server named by `MIDAS_*`.
    struct Target {
        client: Client<ReqwestTransport, StaticToken>,
        player: Player,
        /// Present when running against the in-process emulator.
        emulator: Option<Emulator>,
        /// Makes bill numbers unique per run against a real server.
        bill_prefix: String,
        /// Whether a virtual-payment key is configured for the Midas 2.0 steps.
        midas2: bool,
    }

    pub(crate) async fn run() -> Result<(), Failure> {
        let is_set = |name: &str| env::var_os(name).is_some_and(|value| !value.is_empty());
        let target = if wants_configured_server(is_set)? {
            println!("MIDAS_* variables set: running against the server they describe");
            from_environment()?
        } else {
            println!("no MIDAS_* variable is set: running against the local Midas server, in-process");
            local().await?
        };
        let Target { client, player, emulator, bill_prefix, midas2 } = &target;
        let bill = |name: &str| format!("{bill_prefix}{name}");

        let balance = client.get_balance(player).await?;
        step(1, "get balance", format!("balance {} (gifted {})", balance.balance, balance.gen_balance));

        let gift = Present { bill_no: bill("gift-0001"), present_counts: 50 };
        let gift = client.present(player, gift).await?;
        step(2, "present 50 coins", format!("{} → balance {}", gift.bill_no, gift.balance));

        let pay =
            Pay { amt: 30, bill_no: bill("order-0001"), pay_item: Some("sword".into()), app_remark: None };
        let paid = client.pay(player, pay).await?;
        let detail =
            format!("{} → balance {} ({} gifted coins used)", paid.bill_no, paid.balance, paid.used_gen_amt);
        step(3, "pay 30 coins", detail);

        if let Some(emulator) = emulator {
            // The next pay is applied, then its connection closes without an answer.
            emulator.inject_for(Api::Pay, Fault::DropAfter);
        }
        let retried_bill = bill("order-0002");
        let pay =
            Pay { amt: 40, bill_no: retried_bill.clone(), pay_item: Some("shield".into()), app_remark: None };
        let paid = client.pay(player, pay).await?;
        let detail = match emulator {
            Some(_) => format!(
                "{retried_bill}: attempt 1 was applied but its connection dropped without an answer;\n{:28}the client sent it again with the same bill_no → balance {}, the first result",
                "", paid.balance
            ),
            None => {
                format!("{retried_bill} → balance {} (no fault is injected here)", paid.balance)
            }
        };
        step(4, if emulator.is_some() { "pay 40 coins, retried" } else { "pay 40 coins" }, detail);

        let cancelled =
            client.cancel_pay(player, CancelPay { bill_no: retried_bill.clone(), pay_item: None }).await?;
        step(5, "cancel pay", format!("{} → 40 coins back", cancelled.bill_no));

        let balance = client.get_balance(player).await?;
        let detail = format!(
            "balance {} (gifted {}), spent {}, gifted in total {}",
            balance.balance, balance.gen_balance, balance.cost_sum, balance.present_sum
        );
        step(6, "get balance", detail);

        if !*midas2 {
            println!(
                "7–8. Midas 2.0 steps skipped: MIDAS_PAYMENT_KEY (the virtual-payment AppKey) is not set"
            );
        }
        if *midas2 {
            // The same player, the same books, the next generation: a team migrates endpoint by
            // endpoint, and Midas 2.0 sees what 1.0 did.
            let pay = v2::Pay { amount: 10, bill_no: bill("order-v2-0001"), payitem: None, remark: None };
            let paid = client.v2().pay(player, pay).await?;
            let detail =
                format!("{} → balance {} (signed over the exact body bytes)", paid.bill_no, paid.balance);
            step(7, "Midas 2.0: pay 10 coins", detail);
            let balance_v2 = client.v2().get_balance(player).await?;
            let detail = format!(
                "balance {} (gifted {}), spent {}",
                balance_v2.balance, balance_v2.present_balance, balance_v2.sum_cost
            );
            step(8, "Midas 2.0: get balance", detail);
            if balance_v2.balance != balance.balance - 10 {
                return Err(format!(
                    "Midas 2.0 sees balance {} after paying 10 of {}",
                    balance_v2.balance, balance.balance
                )
                .into());
            }
        }

        if let Some(emulator) = emulator {
            let changes: Vec<Change> = emulator
                .effects()
                .into_iter()
                .filter(|effect| effect.bill_no == retried_bill)
                .map(|effect| effect.change)
                .collect();
            let expected = [
                Change::Pay { amt: 40, used_gen_amt: 20 },
                Change::CancelPay { amt: 40, restored_gen_amt: 20 },
            ];
            let dropped = emulator.fault_counts().drop_after;
            if changes != expected || dropped != 1 {
                return Err(format!(
                    "the emulator's books for {retried_bill} are {changes:?} after {dropped} fault(s)"
                )
                .into());
            }
            println!(
                "\nthe emulator's books: {retried_bill} was deducted once (despite the retry) and cancelled once"
            );
        }
        Ok(())
    }

    fn step(number: u32, what: &str, detail: String) {
        println!("{number}. {what:<24} {detail}");
    }

    /// Starts the emulator with a player of 100 coins and a client for its sandbox.
    async fn local() -> Result<Target, Failure> {
        let emulator = Emulator::start().await?;
        let openid = "odkx20ENSNa2w5y3g_qOkOvBNM1g";
        let session_key = SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==")?;
        emulator.add_player(openid, session_key.clone(), 100);
        let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
            .sandbox_key(emulator.sandbox_key().clone())
            .payment_sandbox_key(emulator.payment_sandbox_key().clone())
            .base_url(emulator.base_url())
            .build()?;
        let client = Client::new(config, StaticToken::new(emulator.access_token()))?;
        println!("midas-rs quickstart: local Midas server at {} (sandbox)", emulator.base_url());
        println!("player {openid}, 100 coins to start\n");
        let player = Player::new(openid).with_session_key(session_key);
        Ok(Target { client, player, emulator: Some(emulator), bill_prefix: String::new(), midas2: true })
    }

    /// The variables a configured server cannot do without.
    const REQUIRED: [&str; 5] =
        ["MIDAS_APPID", "MIDAS_OFFER_ID", "MIDAS_APP_KEY", "MIDAS_ACCESS_TOKEN", "MIDAS_OPENID"];

    /// Whether to run against the server the `MIDAS_*` variables describe (any of them set)
    /// rather than the local one; half a configuration is refused, naming what is missing,
    /// instead of being silently ignored.
    fn wants_configured_server(is_set: impl Fn(&str) -> bool) -> Result<bool, String> {
        if !VARIABLES.into_iter().any(&is_set) {
            return Ok(false);
        }
        let missing: Vec<&str> = REQUIRED.into_iter().filter(|name| !is_set(name)).collect();
        if missing.is_empty() {
            Ok(true)
        } else {
            Err(format!(
                "{} not set; set them too, or unset every MIDAS_* variable to run against the local server",
                missing.join(", ")
            ))
        }
    }

    /// A client for the server described by the `MIDAS_*` variables.
    fn from_environment() -> Result<Target, Failure> {
        let env = match optional("MIDAS_ENV")?.as_deref() {
            None | Some("sandbox") => Env::Sandbox,
            Some("production") => Env::Production,
            Some(other) => {
                return Err(format!("MIDAS_ENV must be `sandbox` or `production`, not `{other}`").into());
            }
        };
        let key = AppKey::new(required("MIDAS_APP_KEY")?)?;
        let builder = Config::builder(required("MIDAS_APPID")?, required("MIDAS_OFFER_ID")?, env);
        let builder = match env {
            Env::Production => builder.production_key(key),
            Env::Sandbox => builder.sandbox_key(key),
        };
        let payment_key = optional("MIDAS_PAYMENT_KEY")?.map(AppKey::new).transpose()?;
        let midas2 = payment_key.is_some();
        let builder = match (env, payment_key) {
            (Env::Production, Some(key)) => builder.payment_production_key(key),
            (Env::Sandbox, Some(key)) => builder.payment_sandbox_key(key),
            (_, None) => builder,
        };
        let builder = match optional("MIDAS_BASE_URL")? {
            Some(base_url) => builder.base_url(base_url),
            None => builder,
        };
        let config = builder.build()?;
        let token = AccessToken::new(required("MIDAS_ACCESS_TOKEN")?)?;
        let mut player = Player::new(required("MIDAS_OPENID")?);
        if let Some(session_key) = optional("MIDAS_SESSION_KEY")? {
            player = player.with_session_key(SessionKey::new(session_key)?);
        }
        println!("midas-rs quickstart: {} ({env})", config.base_url());
        println!("player {}\n", player.openid());
        let client = Client::new(config, StaticToken::new(token))?;
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
        let bill_prefix = format!("qs{started}-{}-", std::process::id());
        Ok(Target { client, player, emulator: None, bill_prefix, midas2 })
    }

    fn required(name: &str) -> Result<String, Failure> {
        optional(name)?.ok_or_else(|| {
            format!("{name} is not set (see the doc comment of examples/quickstart.rs)").into()
        })
    }

    fn optional(name: &str) -> Result<Option<String>, Failure> {
        match env::var(name) {
            Ok(value) if value.is_empty() => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(VarError::NotPresent) => Ok(None),
            Err(VarError::NotUnicode(_)) => Err(format!("{name} is not UTF-8").into()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::wants_configured_server;

        /// Finding 16: a lone `MIDAS_BASE_URL` was silently ignored (the local server ran).
        #[test]
        fn quickstart_refuses_half_a_configuration_and_names_what_is_missing() {
            assert_eq!(wants_configured_server(|_| false), Ok(false), "nothing set: the local server");
            let lone_base_url = wants_configured_server(|name| name == "MIDAS_BASE_URL");
            let missing = lone_base_url.expect_err("half a configuration is refused");
            for name in
                ["MIDAS_APPID", "MIDAS_OFFER_ID", "MIDAS_APP_KEY", "MIDAS_ACCESS_TOKEN", "MIDAS_OPENID"]
            {
                assert!(missing.contains(name), "{missing}");
            }
            assert!(!missing.contains("MIDAS_BASE_URL"), "{missing}");
            let complete = |name: &str| name != "MIDAS_SESSION_KEY" && name != "MIDAS_PAYMENT_KEY";
            assert_eq!(wants_configured_server(complete), Ok(true));
        }
    }
}
