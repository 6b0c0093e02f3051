//! `midas-emulator`: a local Midas server (Midas 1.0, Midas 2.0 and xpay) for services in any
//! language.
//!
//! ```text
//! cargo run -p midas-emulator -- --port 8080
//! cargo run -p midas-emulator -- --config emulator.toml
//! ```
//!
//! It prints its base URL, ids, keys, token and players as `NAME=value` lines (a valid `.env`
//! file), then serves until stopped.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use midas_emulator::{
    AccessToken, AppKey, AppSecret, DEFAULT_APP_SECRET, DEFAULT_APPID, DEFAULT_OFFER_ID,
    DEFAULT_PAYMENT_PRODUCTION_KEY, DEFAULT_PAYMENT_SANDBOX_KEY, DEFAULT_PRODUCTION_KEY, DEFAULT_SANDBOX_KEY,
    Emulator, Env, FaultRates, SessionKey,
};
use serde::Deserialize;

const USAGE: &str = "\
midas-emulator: a local Midas server on 127.0.0.1, one ledger for all three generations:
  Midas 1.0  /cgi-bin/midas/[sandbox/]{getbalance,pay,cancelpay,present}
  Midas 2.0  /wxa/game/{getbalance,pay,cancelpay,present,queryorderinfo}
  xpay       /xpay/{query_user_balance,currency_pay,cancel_currency_pay,present_currency,
                    query_order,notify_provide_goods}
  tokens     /cgi-bin/stable_token (POST), /cgi-bin/token
  login      /sns/jscode2session, /wxa/checksession

USAGE: midas-emulator [OPTIONS]

OPTIONS (they override the config file):
  --port N                        port on 127.0.0.1 (default 0: any free port)
  --config FILE                   a TOML file with the settings below
  --appid ID                      AppID requests must carry (default wx1234567)
  --offer-id ID                   offer_id requests must carry (default 12345678)
  --production-key KEY            app key of /cgi-bin/midas/*
  --sandbox-key KEY               app key of /cgi-bin/midas/sandbox/*
  --payment-production-key KEY    payment key of pay_sig (Midas 2.0, xpay) with env 0
  --payment-sandbox-key KEY       payment key of pay_sig (Midas 2.0, xpay) with env 1
  --access-token TOKEN            the valid access_token
  --app-secret SECRET             AppSecret of the token and login APIs
  --seed N                        seed of the random faults (default 0): each fault is drawn
                                  from (seed, call, attempt), so one seed, one schedule
  --header-read-timeout-ms N      time for a request head, counted from the accept or from
                                  the previous answer: also the idle keep-alive timeout
                                  (default 10000)
  --max-connections N             connections served at once; beyond it the oldest is shed
                                  (default 128)
  --player OPENID:SESSION_KEY[:BALANCE]
                                  register a player (repeatable) with BALANCE coins in zone
                                  \"1\" (xpay's zone); without any, one demo player is registered
  -h, --help                      this text

CONFIG FILE (every key optional):
  port = 8080
  appid = \"wx1234567\"
  offer_id = \"12345678\"
  production_key = \"...\"
  sandbox_key = \"...\"
  payment_production_key = \"...\"
  payment_sandbox_key = \"...\"
  access_token = \"...\"
  app_secret = \"...\"
  seed = 7
  header_read_timeout_ms = 10000
  max_connections = 128
  [faults]          # chance per call; they add up to at most 1
  busy_before = 0.0 # -1 before applying
  busy_after = 0.05 # apply, then -1
  drop_after = 0.05 # apply, then close the connection without an answer
  delay_after = 0.0 # apply, then answer after delay_ms
  delay_ms = 10000
  [[players]]
  openid = \"player-1\"
  session_key = \"session-key-1\"
  balance = 100
";

/// The settings, from the file and then the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    port: Option<u16>,
    appid: Option<String>,
    offer_id: Option<String>,
    production_key: Option<String>,
    sandbox_key: Option<String>,
    payment_production_key: Option<String>,
    payment_sandbox_key: Option<String>,
    access_token: Option<String>,
    app_secret: Option<String>,
    seed: Option<u64>,
    header_read_timeout_ms: Option<u64>,
    max_connections: Option<usize>,
    #[serde(default)]
    faults: Faults,
    #[serde(default)]
    players: Vec<PlayerSetting>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Faults {
    #[serde(default)]
    busy_before: f64,
    #[serde(default)]
    busy_after: f64,
    #[serde(default)]
    drop_after: f64,
    #[serde(default)]
    delay_after: f64,
    delay_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlayerSetting {
    openid: String,
    session_key: String,
    #[serde(default)]
    balance: i64,
}

enum Parsed {
    Run(Box<Settings>),
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut flags = Settings::default();
    let mut config = None;
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(Parsed::Help);
        }
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => flags.port = Some(value()?.parse().map_err(|_| "--port needs a number 0..=65535")?),
            "--config" => config = Some(value()?),
            "--appid" => flags.appid = Some(value()?),
            "--offer-id" => flags.offer_id = Some(value()?),
            "--production-key" => flags.production_key = Some(value()?),
            "--sandbox-key" => flags.sandbox_key = Some(value()?),
            "--payment-production-key" => flags.payment_production_key = Some(value()?),
            "--payment-sandbox-key" => flags.payment_sandbox_key = Some(value()?),
            "--access-token" => flags.access_token = Some(value()?),
            "--app-secret" => flags.app_secret = Some(value()?),
            "--seed" => flags.seed = Some(value()?.parse().map_err(|_| "--seed needs a number")?),
            "--header-read-timeout-ms" => {
                let millis = value()?.parse().map_err(|_| "--header-read-timeout-ms needs a number")?;
                flags.header_read_timeout_ms = Some(millis);
            }
            "--max-connections" => {
                let max = value()?.parse().map_err(|_| "--max-connections needs a number")?;
                flags.max_connections = Some(max);
            }
            "--player" => flags.players.push(player_flag(&value()?)?),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    let mut settings = match config {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|err| format!("cannot read {path}: {err}"))?;
            toml::from_str::<Settings>(&text).map_err(|err| format!("{path}: {err}"))?
        }
        None => Settings::default(),
    };
    settings.port = flags.port.or(settings.port);
    settings.appid = flags.appid.or(settings.appid);
    settings.offer_id = flags.offer_id.or(settings.offer_id);
    settings.production_key = flags.production_key.or(settings.production_key);
    settings.sandbox_key = flags.sandbox_key.or(settings.sandbox_key);
    settings.payment_production_key = flags.payment_production_key.or(settings.payment_production_key);
    settings.payment_sandbox_key = flags.payment_sandbox_key.or(settings.payment_sandbox_key);
    settings.access_token = flags.access_token.or(settings.access_token);
    settings.app_secret = flags.app_secret.or(settings.app_secret);
    settings.seed = flags.seed.or(settings.seed);
    settings.header_read_timeout_ms = flags.header_read_timeout_ms.or(settings.header_read_timeout_ms);
    settings.max_connections = flags.max_connections.or(settings.max_connections);
    settings.players.extend(flags.players);
    Ok(Parsed::Run(Box::new(settings)))
}

/// `OPENID:SESSION_KEY[:BALANCE]`.
fn player_flag(text: &str) -> Result<PlayerSetting, String> {
    let mut parts = text.splitn(3, ':');
    let (Some(openid), Some(session_key)) = (parts.next(), parts.next()) else {
        return Err(format!("--player `{text}`: expected OPENID:SESSION_KEY[:BALANCE]"));
    };
    let balance = match parts.next() {
        Some(balance) => {
            balance.parse().map_err(|_| format!("--player `{text}`: BALANCE must be an integer"))?
        }
        None => 0,
    };
    Ok(PlayerSetting { openid: openid.to_owned(), session_key: session_key.to_owned(), balance })
}

async fn start(mut settings: Settings) -> Result<(Emulator, Vec<PlayerSetting>), String> {
    let key = |name: &str, text: String| AppKey::new(text).map_err(|err| format!("{name}: {err}"));
    let mut builder = Emulator::builder().port(settings.port.unwrap_or(0)).seed(settings.seed.unwrap_or(0));
    if let Some(appid) = settings.appid {
        builder = builder.appid(appid);
    }
    if let Some(millis) = settings.header_read_timeout_ms {
        builder = builder.header_read_timeout(Duration::from_millis(millis));
    }
    if let Some(max_connections) = settings.max_connections {
        builder = builder.max_connections(max_connections);
    }
    if let Some(offer_id) = settings.offer_id {
        builder = builder.offer_id(offer_id);
    }
    if let Some(text) = settings.production_key {
        builder = builder.production_key(key("production_key", text)?);
    }
    if let Some(text) = settings.sandbox_key {
        builder = builder.sandbox_key(key("sandbox_key", text)?);
    }
    if let Some(text) = settings.payment_production_key {
        builder = builder.payment_production_key(key("payment_production_key", text)?);
    }
    if let Some(text) = settings.payment_sandbox_key {
        builder = builder.payment_sandbox_key(key("payment_sandbox_key", text)?);
    }
    if let Some(text) = settings.access_token {
        builder = builder.access_token(AccessToken::new(text).map_err(|err| err.to_string())?);
    }
    if let Some(text) = settings.app_secret {
        builder = builder.app_secret(AppSecret::new(text).map_err(|err| err.to_string())?);
    }
    let faults = &settings.faults;
    let mut rates = FaultRates {
        busy_before: faults.busy_before,
        busy_after: faults.busy_after,
        drop_after: faults.drop_after,
        delay_after: faults.delay_after,
        ..FaultRates::default()
    };
    if let Some(delay_ms) = faults.delay_ms {
        rates.delay = Duration::from_millis(delay_ms);
    }
    builder = builder.fault_rates(rates);
    if settings.players.is_empty() {
        let demo = PlayerSetting {
            openid: "emulator-player".to_owned(),
            session_key: "emulator-session-key".to_owned(),
            balance: 1000,
        };
        settings.players.push(demo);
    }
    for player in &settings.players {
        let session_key = SessionKey::new(player.session_key.clone()).map_err(|err| err.to_string())?;
        builder = builder.player(player.openid.clone(), session_key, player.balance);
    }
    let emulator = builder.start().await.map_err(|err| err.to_string())?;
    Ok((emulator, settings.players))
}

/// The `.env`-style banner: what a service in any language needs to call the emulator.
fn banner(emulator: &Emulator, players: &[PlayerSetting]) -> String {
    let sandbox_key = emulator.sandbox_key().expose_secret();
    let payment_sandbox_key = emulator.payment_key(Env::Sandbox).expose_secret();
    let mut lines = vec![
        format!(
            "# midas-emulator serving Midas 1.0, Midas 2.0 and xpay on {} (stop it with Ctrl-C)",
            emulator.base_url()
        ),
        format!("MIDAS_BASE_URL={}", emulator.base_url()),
        format!("MIDAS_APPID={}", emulator.appid()),
        format!("MIDAS_OFFER_ID={}", emulator.offer_id()),
        format!("MIDAS_PRODUCTION_APP_KEY={}", emulator.production_key().expose_secret()),
        format!("MIDAS_SANDBOX_APP_KEY={sandbox_key}"),
        "MIDAS_ENV=sandbox".to_owned(),
        format!("MIDAS_APP_KEY={sandbox_key}"),
        format!("MIDAS_PAYMENT_PRODUCTION_KEY={}", emulator.payment_key(Env::Production).expose_secret()),
        format!("MIDAS_PAYMENT_SANDBOX_KEY={payment_sandbox_key}"),
        format!("MIDAS_PAYMENT_KEY={payment_sandbox_key}"),
        format!("MIDAS_ACCESS_TOKEN={}", emulator.access_token().expose_secret()),
        format!("MIDAS_APP_SECRET={}", emulator.app_secret().expose_secret()),
    ];
    if let Some(first) = players.first() {
        lines.push(format!("MIDAS_OPENID={}", first.openid));
        lines.push(format!("MIDAS_SESSION_KEY={}", first.session_key));
    }
    for player in players {
        lines.push(format!(
            "# player {} session_key {} starts with {} coins in zone 1 of production and of sandbox",
            player.openid,
            player.session_key,
            player.balance.max(0)
        ));
    }
    if emulator.appid() == DEFAULT_APPID
        && emulator.offer_id() == DEFAULT_OFFER_ID
        && emulator.production_key().expose_secret() == DEFAULT_PRODUCTION_KEY
        && emulator.sandbox_key().expose_secret() == DEFAULT_SANDBOX_KEY
        && emulator.payment_key(Env::Production).expose_secret() == DEFAULT_PAYMENT_PRODUCTION_KEY
        && payment_sandbox_key == DEFAULT_PAYMENT_SANDBOX_KEY
        && emulator.app_secret().expose_secret() == DEFAULT_APP_SECRET
    {
        lines.push("# (default ids and keys: test values, never real ones)".to_owned());
    }
    lines.join("\n")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let settings = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(settings)) => *settings,
        Ok(Parsed::Help) => {
            let _ = std::io::stdout().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "midas-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (emulator, players) = match start(settings).await {
        Ok(started) => started,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "midas-emulator: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // Flushed at once: a script may be waiting for these lines on a pipe.
    let printed = writeln!(stdout, "{}", banner(&emulator, &players)).and_then(|()| stdout.flush());
    drop(stdout);
    if printed.is_err() {
        return ExitCode::FAILURE;
    }
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>().into_iter()
    }

    fn settings(list: &[&str]) -> Settings {
        match parse_args(args(list)) {
            Ok(Parsed::Run(settings)) => *settings,
            Ok(Parsed::Help) => panic!("help instead of settings"),
            Err(message) => panic!("{message}"),
        }
    }

    #[test]
    fn flags_set_the_port_ids_keys_and_players() {
        let settings = settings(&[
            "--port",
            "8080",
            "--appid",
            "wx9",
            "--payment-sandbox-key",
            "pk1",
            "--player",
            "p1:k1:50",
            "--player",
            "p2:a/b+c==",
            "--max-connections",
            "64",
            "--header-read-timeout-ms",
            "2500",
        ]);
        assert_eq!((settings.max_connections, settings.header_read_timeout_ms), (Some(64), Some(2500)));
        assert_eq!((settings.port, settings.appid.as_deref()), (Some(8080), Some("wx9")));
        assert_eq!(settings.payment_sandbox_key.as_deref(), Some("pk1"));
        let players: Vec<_> =
            settings.players.iter().map(|p| (p.openid.as_str(), p.session_key.as_str(), p.balance)).collect();
        assert_eq!(players, [("p1", "k1", 50), ("p2", "a/b+c==", 0)]);
    }

    #[test]
    fn bad_flags_are_refused_with_a_message() {
        for bad in [
            &["--port"][..],
            &["--port", "eighty"],
            &["--max-connections", "many"],
            &["--player", "only-openid"],
            &["--player", "p:k:x"],
            &["--what"],
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad:?}");
        }
        assert!(matches!(parse_args(args(&["--help"])), Ok(Parsed::Help)));
    }

    #[test]
    fn the_config_file_format_of_the_usage_text_parses() {
        let text = "port = 8080\nappid = \"wx1\"\npayment_production_key = \"pk0\"\nseed = 7\n\
                    header_read_timeout_ms = 10000\nmax_connections = 128\n\
                    [faults]\nbusy_after = 0.05\ndelay_ms = 500\n\
                    [[players]]\nopenid = \"p1\"\nsession_key = \"k1\"\nbalance = 100\n";
        let settings: Settings = toml::from_str(text).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            (settings.port, settings.seed, settings.faults.delay_ms),
            (Some(8080), Some(7), Some(500))
        );
        assert_eq!(settings.players.len(), 1);
        assert_eq!(settings.payment_production_key.as_deref(), Some("pk0"));
        assert!(toml::from_str::<Settings>("prot = 1").is_err(), "a misspelt key is refused");
    }
}
