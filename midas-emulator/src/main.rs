//! `midas-emulator`: a local Midas server (Midas 1.0, Midas 2.0 and xpay) for services in any
//! language.
//!
//! ```text
//! cargo run -p midas-emulator -- --port 8080
//! cargo run -p midas-emulator -- --config emulator.toml
//! cargo run -p midas-emulator -- push --push-url http://127.0.0.1:3000/push \
//!     --event xpay_goods_deliver_notify --id order-0001
//! ```
//!
//! It prints its base URL, ids, keys, token, players and push settings as `NAME=value` lines
//! (a valid `.env` file), then serves until stopped. `push` plays WeChat's side for a service
//! in any language: it pushes one payment event to the receiver at `--push-url`, sealed with
//! the push settings (Token, EncodingAESKey, AppID, mode, format) and a mini-game payload
//! signed with the payment key of its environment, re-pushed on the documented schedule (sped
//! up by `--push-speed-up`) until answered success, and prints every answer.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use midas_emulator::{
    AccessToken, AppKey, AppSecret, DEFAULT_APP_SECRET, DEFAULT_APPID, DEFAULT_OFFER_ID,
    DEFAULT_PAYMENT_PRODUCTION_KEY, DEFAULT_PAYMENT_SANDBOX_KEY, DEFAULT_PRODUCTION_KEY, DEFAULT_SANDBOX_KEY,
    Emulator, Env, EventKind, EventMessage, FaultRates, Injection, PushTarget, SessionKey,
};
use midas_push::{Format, Mode, PushConfig};
use serde::Deserialize;

/// The Token of the push settings when none is given (a test value).
const DEFAULT_PUSH_TOKEN: &str = "EmulatorPushToken";
/// The EncodingAESKey of the push settings when none is given (a test value).
const DEFAULT_PUSH_AES_KEY: &str = "EmulatorPushEncodingAESKey0123456789abcdefg";

const USAGE: &str = "\
midas-emulator: a local Midas server on 127.0.0.1, one ledger for all three generations:
  Midas 1.0  /cgi-bin/midas/[sandbox/]{getbalance,pay,cancelpay,present}
  Midas 2.0  /wxa/game/{getbalance,pay,cancelpay,present,queryorderinfo}
  xpay       /xpay/{query_user_balance,currency_pay,cancel_currency_pay,present_currency,
                    query_order,notify_provide_goods}
  tokens     /cgi-bin/stable_token (POST), /cgi-bin/token
  login      /sns/jscode2session, /wxa/checksession

USAGE: midas-emulator [OPTIONS]
       midas-emulator push --event NAME --id ID [PUSH OPTIONS] [OPTIONS]

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
  --push-url URL                  the service's push receiver (required by `push`)
  --push-token TOKEN              Token of the push URL (default EmulatorPushToken)
  --push-aes-key KEY              EncodingAESKey, 43 characters (default a test key)
  --push-mode MODE                plaintext, compatible or safe (default safe)
  --push-format FORMAT            json or xml (default json)
  --push-speed-up N               run the re-push schedule N times faster (default 1)
  -h, --help                      this text

PUSH: `midas-emulator push` pushes one payment event to --push-url as WeChat does, with the
push settings above and the AppID; a mini-game payload is signed (PayEventSig) with the
payment key of its environment, so the receiver needs MIDAS_PAYMENT_*_KEY as its AppKeys. It
re-pushes on the event's documented schedule until the answer is success, prints each answer,
and exits 0 when one was success, 1 otherwise. It starts no server.
  --event NAME                    xpay_goods_deliver_notify, xpay_coin_pay_notify,
                                  xpay_refund_notify, xpay_complaint_notify,
                                  xpay_subscribe_signing_result_notify,
                                  xpay_subscribe_pay_fail_notify,
                                  xpay_subscribe_ios_refund_query_notify,
                                  minigame_coin_deliver_completed,
                                  minigame_pay_refund_succ_notify,
                                  minigame_recharge_center_coin_deliver_completed,
                                  minigame_game_pay_goods_deliver_notify,
                                  minigame_h5_goods_deliver_notify
  --id ID                         the event's identity: OutTradeNo (deliveries, subscriptions),
                                  MchRefundId, ComplaintId, pay_order_id or RefundId
  --openid OPENID                 the player (default emulator-player)
  --product ID                    ProductId (default sword)
  --quantity N                    goods or coins (default 1)
  --amount FEN                    price or refund (default 100)
  --zone ID                       ZoneId of mini-game deliveries (default 1)
  --refunded-order ID             the refunded order of a refund (default ID-order)
  --env ENV                       production or sandbox (default sandbox)
  --mock                          a mini-game mock push (IsMock: true)
  --inject WHAT                   duplicate, forged-signature, wrong-app-id, full-pad-block
                                  or tampered-payload (default: none)

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
  [push]
  url = \"http://127.0.0.1:3000/wechat/push\"
  token = \"EmulatorPushToken\"
  encoding_aes_key = \"...\"
  mode = \"safe\"
  format = \"json\"
  speed_up = 1
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
    #[serde(default)]
    push: PushSettings,
}

/// Where and how `push` pushes, and what the banner tells the receiver.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PushSettings {
    url: Option<String>,
    token: Option<String>,
    encoding_aes_key: Option<String>,
    mode: Option<String>,
    format: Option<String>,
    speed_up: Option<u32>,
}

/// One event to push (the `push` command).
#[derive(Debug)]
struct PushCommand {
    event: EventMessage,
    injection: Injection,
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
    Push(Box<Settings>, Box<PushCommand>),
    Help,
}

/// The `push` command's own flags, read as they come.
#[derive(Default)]
struct EventFlags {
    kind: Option<EventKind>,
    id: Option<String>,
    open_id: Option<String>,
    product: Option<String>,
    quantity: Option<i64>,
    amount: Option<i64>,
    zone: Option<String>,
    refunded_order: Option<String>,
    env: Option<Env>,
    mock: bool,
    injection: Option<Injection>,
}

impl EventFlags {
    fn into_command(self) -> Result<PushCommand, String> {
        let kind = self.kind.ok_or("push needs --event NAME")?;
        let id = self.id.ok_or("push needs --id ID")?;
        let mut event = EventMessage::new(kind, id).mock(self.mock);
        if let Some(open_id) = self.open_id {
            event = event.open_id(open_id);
        }
        if let Some(product) = self.product {
            event = event.product_id(product);
        }
        if let Some(quantity) = self.quantity {
            event = event.quantity(quantity);
        }
        if let Some(amount) = self.amount {
            event = event.amount(amount);
        }
        if let Some(zone) = self.zone {
            event = event.zone_id(zone);
        }
        if let Some(order) = self.refunded_order {
            event = event.refunded_order(order);
        }
        if let Some(env) = self.env {
            event = event.env(env);
        }
        Ok(PushCommand { event, injection: self.injection.unwrap_or(Injection::None) })
    }
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut args = args.peekable();
    let pushing = args.peek().is_some_and(|first| first == "push");
    if pushing {
        args.next();
    }
    let mut flags = Settings::default();
    let mut event = EventFlags::default();
    let mut config = None;
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(Parsed::Help);
        }
        if pushing && flag == "--mock" {
            event.mock = true;
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--push-url" => flags.push.url = Some(value()?),
            "--push-token" => flags.push.token = Some(value()?),
            "--push-aes-key" => flags.push.encoding_aes_key = Some(value()?),
            "--push-mode" => flags.push.mode = Some(value()?),
            "--push-format" => flags.push.format = Some(value()?),
            "--push-speed-up" => {
                flags.push.speed_up = Some(value()?.parse().map_err(|_| "--push-speed-up needs a number")?);
            }
            "--event" if pushing => {
                let name = value()?;
                event.kind = Some(
                    EventKind::from_name(&name).ok_or_else(|| format!("--event: unknown event `{name}`"))?,
                );
            }
            "--id" if pushing => event.id = Some(value()?),
            "--openid" if pushing => event.open_id = Some(value()?),
            "--product" if pushing => event.product = Some(value()?),
            "--quantity" if pushing => {
                event.quantity = Some(value()?.parse().map_err(|_| "--quantity needs a number")?)
            }
            "--amount" if pushing => {
                event.amount = Some(value()?.parse().map_err(|_| "--amount needs a number")?)
            }
            "--zone" if pushing => event.zone = Some(value()?),
            "--refunded-order" if pushing => event.refunded_order = Some(value()?),
            "--env" if pushing => event.env = Some(env_flag(&value()?)?),
            "--inject" if pushing => event.injection = Some(injection_flag(&value()?)?),
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
    let push = &mut settings.push;
    push.url = flags.push.url.or(push.url.take());
    push.token = flags.push.token.or(push.token.take());
    push.encoding_aes_key = flags.push.encoding_aes_key.or(push.encoding_aes_key.take());
    push.mode = flags.push.mode.or(push.mode.take());
    push.format = flags.push.format.or(push.format.take());
    push.speed_up = flags.push.speed_up.or(push.speed_up);
    // Checked now, so a typo fails at start and not at the first push.
    mode_setting(push.mode.as_deref())?;
    format_setting(push.format.as_deref())?;
    if pushing {
        if push.url.is_none() {
            return Err("push needs --push-url (or `url` under [push] in the config file)".to_owned());
        }
        return Ok(Parsed::Push(Box::new(settings), Box::new(event.into_command()?)));
    }
    Ok(Parsed::Run(Box::new(settings)))
}

fn env_flag(text: &str) -> Result<Env, String> {
    match text {
        "production" | "0" => Ok(Env::Production),
        "sandbox" | "1" => Ok(Env::Sandbox),
        other => Err(format!("--env `{other}`: production or sandbox")),
    }
}

fn injection_flag(text: &str) -> Result<Injection, String> {
    Ok(match text {
        "none" => Injection::None,
        "duplicate" => Injection::Duplicate,
        "forged-signature" => Injection::ForgedSignature,
        "wrong-app-id" => Injection::WrongAppId,
        "full-pad-block" => Injection::FullPadBlock,
        "tampered-payload" => Injection::TamperedPayload,
        other => {
            return Err(format!(
                "--inject `{other}`: duplicate, forged-signature, wrong-app-id, full-pad-block or tampered-payload"
            ));
        }
    })
}

fn mode_setting(text: Option<&str>) -> Result<Mode, String> {
    match text.unwrap_or("safe") {
        "plaintext" => Ok(Mode::Plaintext),
        "compatible" => Ok(Mode::Compatible),
        "safe" => Ok(Mode::Safe),
        other => Err(format!("push mode `{other}`: plaintext, compatible or safe")),
    }
}

fn format_setting(text: Option<&str>) -> Result<Format, String> {
    match text.unwrap_or("json") {
        "json" => Ok(Format::Json),
        "xml" => Ok(Format::Xml),
        other => Err(format!("push format `{other}`: json or xml")),
    }
}

/// The push configuration a receiver needs to open the pushes: Token, EncodingAESKey, AppID,
/// mode, and the payment keys as AppKeys of `PayEventSig`.
fn push_config(settings: &Settings) -> Result<PushConfig, String> {
    let push = &settings.push;
    PushConfig::builder()
        .token(push.token.as_deref().unwrap_or(DEFAULT_PUSH_TOKEN))
        .encoding_aes_key(push.encoding_aes_key.as_deref().unwrap_or(DEFAULT_PUSH_AES_KEY))
        .app_id(settings.appid.as_deref().unwrap_or(DEFAULT_APPID))
        .mode(mode_setting(push.mode.as_deref())?)
        .app_key_production(
            settings.payment_production_key.as_deref().unwrap_or(DEFAULT_PAYMENT_PRODUCTION_KEY),
        )
        .app_key_sandbox(settings.payment_sandbox_key.as_deref().unwrap_or(DEFAULT_PAYMENT_SANDBOX_KEY))
        .build()
        .map_err(|err| format!("push settings: {err}"))
}

/// The push target of the settings (`push` needs its URL).
fn push_target(settings: &Settings) -> Result<PushTarget, String> {
    let url = settings.push.url.clone().ok_or("no push URL")?;
    Ok(PushTarget::new(url, push_config(settings)?)
        .format(format_setting(settings.push.format.as_deref())?)
        .speed_up(settings.push.speed_up.unwrap_or(1)))
}

/// The `.env` lines of the push settings, for the service's receiver.
fn push_lines(push: &PushSettings, appid: &str) -> Vec<String> {
    let mut lines = vec![
        "# pushes: `midas-emulator push --event NAME --id ID` with these settings (see --help);".to_owned(),
        "# mini-game payloads are signed with MIDAS_PAYMENT_PRODUCTION_KEY / MIDAS_PAYMENT_SANDBOX_KEY"
            .to_owned(),
        format!("MIDAS_PUSH_TOKEN={}", push.token.as_deref().unwrap_or(DEFAULT_PUSH_TOKEN)),
        format!(
            "MIDAS_PUSH_ENCODING_AES_KEY={}",
            push.encoding_aes_key.as_deref().unwrap_or(DEFAULT_PUSH_AES_KEY)
        ),
        format!("MIDAS_PUSH_APPID={appid}"),
        format!("MIDAS_PUSH_MODE={}", push.mode.as_deref().unwrap_or("safe")),
        format!("MIDAS_PUSH_FORMAT={}", push.format.as_deref().unwrap_or("json")),
    ];
    if let Some(url) = &push.url {
        lines.push(format!("MIDAS_PUSH_URL={url}"));
    }
    lines
}

/// The `push` command: one event pushed, every answer printed; success when one was success.
async fn run_push(settings: &Settings, command: &PushCommand) -> Result<bool, String> {
    let target = push_target(settings)?;
    let report = target.push_event(&command.event, command.injection).await;
    let mut stdout = std::io::stdout().lock();
    let print = |out: &mut std::io::StdoutLock<'_>, line: String| {
        writeln!(out, "{line}").map_err(|err| err.to_string())
    };
    print(&mut stdout, format!("# {} {} to {}", command.event.kind(), command.event.id(), target.url()))?;
    for (at, attempt) in report.attempts.iter().enumerate() {
        print(&mut stdout, format!("attempt {}: HTTP {} {}", at + 1, attempt.status, attempt.body))?;
    }
    let delivered = report.delivered();
    print(&mut stdout, if delivered { "delivered".to_owned() } else { "not delivered".to_owned() })?;
    Ok(delivered)
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

async fn start(mut settings: Settings) -> Result<(Emulator, Vec<PlayerSetting>, PushSettings), String> {
    // The push settings must build before the server starts: the banner prints them.
    push_config(&settings)?;
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
    Ok((emulator, settings.players, settings.push))
}

/// The `.env`-style banner: what a service in any language needs to call the emulator and to
/// receive its pushes.
fn banner(emulator: &Emulator, players: &[PlayerSetting], push: &PushSettings) -> String {
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
    lines.extend(push_lines(push, emulator.appid()));
    if emulator.appid() == DEFAULT_APPID
        && emulator.offer_id() == DEFAULT_OFFER_ID
        && emulator.production_key().expose_secret() == DEFAULT_PRODUCTION_KEY
        && emulator.sandbox_key().expose_secret() == DEFAULT_SANDBOX_KEY
        && emulator.payment_key(Env::Production).expose_secret() == DEFAULT_PAYMENT_PRODUCTION_KEY
        && payment_sandbox_key == DEFAULT_PAYMENT_SANDBOX_KEY
        && emulator.app_secret().expose_secret() == DEFAULT_APP_SECRET
        && push.token.is_none()
        && push.encoding_aes_key.is_none()
    {
        lines.push("# (default ids and keys: test values, never real ones)".to_owned());
    }
    lines.join("\n")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let settings = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(settings)) => *settings,
        Ok(Parsed::Push(settings, command)) => {
            return match run_push(&settings, &command).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(message) => {
                    let _ = writeln!(std::io::stderr(), "midas-emulator push: {message}");
                    ExitCode::from(2)
                }
            };
        }
        Ok(Parsed::Help) => {
            let _ = std::io::stdout().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "midas-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (emulator, players, push) = match start(settings).await {
        Ok(started) => started,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "midas-emulator: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // Flushed at once: a script may be waiting for these lines on a pipe.
    let printed = writeln!(stdout, "{}", banner(&emulator, &players, &push)).and_then(|()| stdout.flush());
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
            Ok(Parsed::Push(..)) => panic!("a push instead of settings"),
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

    fn push_command(list: &[&str]) -> (Settings, PushCommand) {
        match parse_args(args(list)) {
            Ok(Parsed::Push(settings, command)) => (*settings, *command),
            Ok(_) => panic!("not a push"),
            Err(message) => panic!("{message}"),
        }
    }

    #[test]
    fn push_flags_set_the_receiver_settings_and_the_env_lines() {
        let settings = settings(&[
            "--appid",
            "wx9",
            "--push-url",
            "http://127.0.0.1:3000/push",
            "--push-token",
            "Token123",
            "--push-aes-key",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "--push-mode",
            "compatible",
            "--push-format",
            "xml",
            "--push-speed-up",
            "100",
            "--payment-sandbox-key",
            "pk1",
        ]);
        let lines = push_lines(&settings.push, "wx9");
        for expected in [
            "MIDAS_PUSH_TOKEN=Token123",
            "MIDAS_PUSH_ENCODING_AES_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "MIDAS_PUSH_APPID=wx9",
            "MIDAS_PUSH_MODE=compatible",
            "MIDAS_PUSH_FORMAT=xml",
            "MIDAS_PUSH_URL=http://127.0.0.1:3000/push",
        ] {
            assert!(lines.iter().any(|line| line == expected), "{expected} in {lines:?}");
        }
        let target = push_target(&settings).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((target.url(), target.push_format()), ("http://127.0.0.1:3000/push", Format::Xml));
        let config = target.config();
        assert_eq!(
            (config.mode(), config.app_id(), config.token().expose_secret()),
            (Mode::Compatible, "wx9", "Token123")
        );
        assert_eq!(config.app_key(Env::Sandbox).map(AppKey::expose_secret), Some("pk1"));
        assert_eq!(
            config.app_key(Env::Production).map(AppKey::expose_secret),
            Some(DEFAULT_PAYMENT_PRODUCTION_KEY)
        );
    }

    #[test]
    fn the_default_push_settings_are_valid_and_printed() {
        let settings = settings(&[]);
        let config = push_config(&settings).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((config.mode(), config.app_id()), (Mode::Safe, DEFAULT_APPID));
        let lines = push_lines(&settings.push, DEFAULT_APPID);
        assert!(lines.contains(&format!("MIDAS_PUSH_ENCODING_AES_KEY={DEFAULT_PUSH_AES_KEY}")), "{lines:?}");
        assert!(!lines.iter().any(|line| line.starts_with("MIDAS_PUSH_URL=")), "no URL, no line");
    }

    #[test]
    fn the_push_command_reads_its_event_and_injection() {
        let (settings, command) = push_command(&[
            "push",
            "--push-url",
            "http://127.0.0.1:3000/push",
            "--event",
            "minigame_coin_deliver_completed",
            "--id",
            "o-1",
            "--openid",
            "p-1",
            "--amount",
            "600",
            "--quantity",
            "6",
            "--zone",
            "2",
            "--env",
            "production",
            "--mock",
            "--inject",
            "tampered-payload",
        ]);
        assert_eq!(settings.push.url.as_deref(), Some("http://127.0.0.1:3000/push"));
        let event = &command.event;
        assert_eq!(
            (event.kind(), event.id(), event.environment()),
            (EventKind::MiniGameCoinDeliver, "o-1", Env::Production)
        );
        assert!(event.is_mock());
        assert_eq!(command.injection, Injection::TamperedPayload);
        let payload: serde_json::Value =
            serde_json::from_str(&event.payload()).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(payload["CoinInfo"]["BuyQuantity"], 6);
        assert_eq!(payload["CoinInfo"]["ActualPrice"], 600);
        assert_eq!(
            (payload["OpenId"].as_str(), payload["CoinInfo"]["ZoneId"].as_str()),
            (Some("p-1"), Some("2"))
        );

        let (_, plain) =
            push_command(&["push", "--push-url", "u", "--event", "xpay_refund_notify", "--id", "r-1"]);
        assert_eq!(
            (plain.event.kind(), plain.injection, plain.event.is_mock()),
            (EventKind::XpayRefund, Injection::None, false)
        );
    }

    #[test]
    fn bad_push_flags_are_refused_with_a_message() {
        for bad in [
            &["push", "--event", "xpay_refund_notify", "--id", "r"][..],
            &["push", "--push-url", "u", "--id", "r"],
            &["push", "--push-url", "u", "--event", "xpay_refund_notify"],
            &["push", "--push-url", "u", "--event", "refund", "--id", "r"],
            &["push", "--push-url", "u", "--event", "xpay_refund_notify", "--id", "r", "--env", "staging"],
            &["push", "--push-url", "u", "--event", "xpay_refund_notify", "--id", "r", "--inject", "chaos"],
            &["push", "--push-url", "u", "--event", "xpay_refund_notify", "--id", "r", "--amount", "lots"],
            &["--push-mode", "secret"],
            &["--push-format", "yaml"],
            &["--push-speed-up", "fast"],
            &["--event", "xpay_refund_notify"],
            &["--mock"],
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_push_table_of_the_config_file_parses() {
        let text = "[push]\nurl = \"http://127.0.0.1:3000/push\"\ntoken = \"T123\"\nmode = \"plaintext\"\n\
                    format = \"json\"\nspeed_up = 1000\n";
        let settings: Settings = toml::from_str(text).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((settings.push.token.as_deref(), settings.push.speed_up), (Some("T123"), Some(1000)));
        assert!(toml::from_str::<Settings>("[push]\nurll = \"x\"").is_err(), "a misspelt key is refused");
    }
}
