//! The other direction: the local server pushes payment events to a service's receiver, as
//! WeChat does — sealed (signed, and encrypted in safe mode), POSTed, and pushed again on the
//! documented schedule until the receiver answers success.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use midas_push::{Format, Mode, PushConfig, Seal};

use crate::events::{DELIVERY_SCHEDULE, EventKind, EventMessage, unix_now};

/// Where and how the local server pushes: the receiver's URL, the push configuration it shares
/// with the receiver (Token, EncodingAESKey, AppID, mode, and the AppKeys its `PayEventSig`
/// checks use: the emulator's payment keys), the format, and the re-push schedule with a
/// speed-up for tests.
///
/// ```
/// use std::time::Duration;
/// use midas_emulator::PushTarget;
/// use midas_push::{Mode, PushConfig};
/// let config = PushConfig::builder()
///     .token("AAAAA")
///     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
///     .app_id("wxba5fad812f8e6fb9")
///     .mode(Mode::Safe)
///     .build()?;
/// // The documented schedule, 1,000 times faster: 15 s become 15 ms.
/// let target = PushTarget::new("http://127.0.0.1:8080/push", config).speed_up(1_000);
/// assert_eq!(target.url(), "http://127.0.0.1:8080/push");
/// # Ok::<(), midas_push::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PushTarget {
    url: String,
    config: PushConfig,
    format: Format,
    schedule: Option<Vec<Duration>>,
    speed_up: u32,
}

impl PushTarget {
    /// Pushes to `url` with `config`, as JSON, in real time on the event's documented schedule
    /// ([`EventKind::schedule`]; [`DELIVERY_SCHEDULE`] for a message given as text).
    pub fn new(url: impl Into<String>, config: PushConfig) -> Self {
        Self { url: url.into(), config, format: Format::Json, schedule: None, speed_up: 1 }
    }

    /// Sets the format of the pushes: an [`EventMessage`] is rendered in it, and the envelope
    /// of an encrypted push is in it (a message given as text must be in it too).
    #[must_use]
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Sets the re-push intervals for every push (the first push is immediate), instead of
    /// each event's documented schedule.
    #[must_use]
    pub fn schedule(mut self, schedule: Vec<Duration>) -> Self {
        self.schedule = Some(schedule);
        self
    }

    /// Runs the schedule `factor` times faster (at least 1).
    #[must_use]
    pub fn speed_up(mut self, factor: u32) -> Self {
        self.speed_up = factor.max(1);
        self
    }

    /// The receiver's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The push configuration shared with the receiver.
    pub fn config(&self) -> &PushConfig {
        &self.config
    }

    /// The format of the pushes.
    pub fn push_format(&self) -> Format {
        self.format
    }

    /// Pushes `event` with `injection`, without a running emulator (what the binary's `push`
    /// command does): rendered in the target's format, a mini-game payload signed with the
    /// AppKey of the event's environment from the target's configuration (an empty
    /// `PayEventSig` when it has none), then as [`Emulator::push`](crate::Emulator::push).
    pub async fn push_event(&self, event: &EventMessage, injection: Injection) -> PushReport {
        let message = event.render(self.format, self.config.app_key(event.environment()));
        push(&reqwest::Client::new(), self, &message, Some(event.kind()), injection).await
    }
}

/// What to do to a push, to test how a receiver copes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Injection {
    /// Push it as WeChat would.
    None,
    /// After it is answered success, push it once more (WeChat may, and the receiver must
    /// answer the repeat like the first).
    Duplicate,
    /// Push it with a signature that does not check out (only once: a forger does not retry).
    ForgedSignature,
    /// Seal it for another AppID, correctly signed (only once).
    WrongAppId,
    /// Pad the message (trailing JSON whitespace) so that its encrypted form ends in a whole
    /// block of padding (pad 32), which receivers with a 16-byte unpad get wrong.
    FullPadBlock,
    /// Edit a mini-game payload after it was signed (a space added to its text: the fields
    /// read the same, the signed text does not), so that its `PayEventSig` no longer verifies;
    /// pushed once. A message without a `MiniGame` payload is not sent.
    TamperedPayload,
}

/// One POST of a push and what the receiver answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushAttempt {
    /// The HTTP status, or 0 when no answer came.
    pub status: u16,
    /// The answer body (or the transport error).
    pub body: String,
    /// Whether the answer was success (`ErrCode` 0 / `success`).
    pub success: bool,
}

/// Every POST of one push, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushReport {
    /// The pushed message (plaintext).
    pub message: String,
    /// What was done to it.
    pub injection: Injection,
    /// Each POST and its answer.
    pub attempts: Vec<PushAttempt>,
}

impl PushReport {
    /// Whether a POST was answered success.
    pub fn delivered(&self) -> bool {
        self.attempts.iter().any(|attempt| attempt.success)
    }
}

/// Pushes and what the receivers answered, shared by the emulator's clones.
#[derive(Clone, Debug, Default)]
pub(crate) struct PushLog(Arc<Mutex<Vec<PushReport>>>);

impl PushLog {
    pub(crate) fn add(&self, report: PushReport) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(report);
    }

    pub(crate) fn all(&self) -> Vec<PushReport> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// The goods delivery event (`xpay_goods_deliver_notify`) of a paid order in the sandbox, as
/// JSON: a shorthand of [`EventMessage`] for the most common push.
///
/// ```
/// let message = midas_emulator::goods_delivery_message("player-1", "order-0001", "sword", 600);
/// assert!(message.contains(r#""OutTradeNo":"order-0001""#));
/// ```
pub fn goods_delivery_message(openid: &str, out_trade_no: &str, product_id: &str, price: i64) -> String {
    EventMessage::new(EventKind::XpayGoodsDeliver, out_trade_no)
        .open_id(openid)
        .product_id(product_id)
        .amount(price)
        .render(Format::Json, None)
}

/// A nonce no other push of this process uses.
fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("local-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Whether an answer body says success: `{"ErrCode":0,…}`, its XML form, or `success`; an
/// encrypted answer (`Encrypt`, as the iOS refund decision comes in safe mode) is opened with
/// the target's key first.
fn is_success(body: &str, config: &PushConfig) -> bool {
    let body = body.trim();
    if body == "success" || body.contains("<ErrCode>0</ErrCode>") {
        return true;
    }
    let encrypt = if body.starts_with('<') {
        body.split_once("<Encrypt><![CDATA[")
            .and_then(|(_, rest)| rest.split_once("]]></Encrypt>"))
            .map(|(text, _)| text.to_owned())
    } else {
        let value = serde_json::from_str::<serde_json::Value>(body).ok();
        if value.as_ref().and_then(|value| value.get("ErrCode")).and_then(serde_json::Value::as_i64)
            == Some(0)
        {
            return true;
        }
        value.and_then(|value| value.get("Encrypt").and_then(serde_json::Value::as_str).map(str::to_owned))
    };
    let opened = encrypt
        .zip(config.encoding_aes_key())
        .and_then(|(encrypt, key)| midas_push::PushCipher::new(key, config.app_id()).decrypt(&encrypt).ok());
    // Each layer is shorter than the one around it, so this ends.
    opened.is_some_and(|decrypted| is_success(&decrypted.message, config))
}

/// Pushes `message` (of event `kind`, when known) to `target` with `injection`, on the
/// schedule, until it is answered success or the schedule ends.
pub(crate) async fn push(
    http: &reqwest::Client,
    target: &PushTarget,
    message: &str,
    kind: Option<EventKind>,
    injection: Injection,
) -> PushReport {
    let mut report = PushReport { message: message.to_owned(), injection, attempts: Vec::new() };
    let once =
        matches!(injection, Injection::ForgedSignature | Injection::WrongAppId | Injection::TamperedPayload);
    let edited;
    let message = match injection {
        Injection::FullPadBlock => {
            edited = pad_to_full_block(message, target.config.app_id());
            edited.as_str()
        }
        Injection::TamperedPayload => match tamper_payload(message) {
            Some(tampered) => {
                edited = tampered;
                edited.as_str()
            }
            None => {
                report.attempts.push(PushAttempt {
                    status: 0,
                    body: "the message has no mini-game payload to tamper with".to_owned(),
                    success: false,
                });
                return report;
            }
        },
        _ => message,
    };
    let schedule = match (&target.schedule, kind) {
        (Some(schedule), _) => schedule.as_slice(),
        (None, Some(kind)) => kind.schedule(),
        (None, None) => &DELIVERY_SCHEDULE[..],
    };
    let waits = std::iter::once(Duration::ZERO).chain(schedule.iter().copied());
    for wait in waits {
        tokio::time::sleep(wait / target.speed_up).await;
        let Some(attempt) = post(http, target, message, injection).await else {
            // A message the target's configuration cannot seal: nothing was sent, nothing to retry.
            report.attempts.push(PushAttempt {
                status: 0,
                body: "the message cannot be sealed".to_owned(),
                success: false,
            });
            break;
        };
        let success = attempt.success;
        report.attempts.push(attempt);
        if success || once {
            break;
        }
    }
    if injection == Injection::Duplicate && report.delivered() {
        report.attempts.extend(post(http, target, message, Injection::None).await);
    }
    report
}

/// One POST; `None` when the message cannot be sealed (a JSON message for an XML target).
async fn post(
    http: &reqwest::Client,
    target: &PushTarget,
    message: &str,
    injection: Injection,
) -> Option<PushAttempt> {
    let nonce = nonce();
    let foreign;
    let config = if injection == Injection::WrongAppId {
        foreign = target.config.for_app_id("wx0000000000000000");
        &foreign
    } else {
        &target.config
    };
    let sealed = Seal::new(message, unix_now(), &nonce).format(target.format).seal(config).ok()?;
    let query = match injection {
        Injection::ForgedSignature => forge(&sealed.query, config.mode()),
        _ => sealed.query,
    };
    let separator = if target.url.contains('?') { '&' } else { '?' };
    Some(match http.post(format!("{}{separator}{query}", target.url)).body(sealed.body).send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let body = answer.text().await.unwrap_or_default();
            let success = (200..300).contains(&status) && is_success(&body, config);
            PushAttempt { status, body, success }
        }
        Err(error) => PushAttempt { status: 0, body: error.to_string(), success: false },
    })
}

/// `message` with trailing spaces so that the encrypted frame (16 random bytes, 4 length
/// bytes, the message, the AppID) is a multiple of 32 bytes: its PKCS#7 padding is then a whole
/// 32-byte block.
fn pad_to_full_block(message: &str, app_id: &str) -> String {
    let frame = 16 + 4 + message.len() + app_id.len();
    let spaces = (32 - frame % 32) % 32;
    format!("{message}{}", " ".repeat(spaces))
}

/// `message` with a space added at the end of its mini-game payload text (JSON or XML), or
/// `None` when it has no payload.
fn tamper_payload(message: &str) -> Option<String> {
    if message.trim_start().starts_with('<') {
        let start = message.find("<Payload><![CDATA[")? + "<Payload><![CDATA[".len();
        let end = start + message[start..].find("]]></Payload>")?;
        return Some(format!("{} {}", &message[..end], &message[end..]));
    }
    let mut fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(message).ok()?;
    let payload = fields.get_mut("MiniGame")?.get_mut("Payload")?;
    let edited = format!("{} ", payload.as_str()?);
    *payload = serde_json::Value::String(edited);
    Some(serde_json::Value::Object(fields).to_string())
}

/// The query with its signature's first hex digit changed.
fn forge(query: &str, mode: Mode) -> String {
    let name = if mode == Mode::Plaintext { "signature=" } else { "msg_signature=" };
    match query.find(name) {
        Some(at) => {
            let digit = at + name.len();
            let flipped = if query[digit..].starts_with('0') { "1" } else { "0" };
            format!("{}{flipped}{}", &query[..digit], &query[digit + 1..])
        }
        None => query.to_owned(),
    }
}
