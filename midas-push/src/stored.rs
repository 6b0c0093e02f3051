//! Events kept in the inbox between the acknowledgement and the handler's run (the
//! persist-then-ack mode of the [`Receiver`](crate::Receiver)): the exact message, the event
//! key, and what the message text does not hold (format, encryption, family, timestamp, nonce).

use serde_json::{Map, Value, json};

use crate::decode::{self, Received};
use crate::error::PushError;
use crate::format::{Family, Format};
use crate::key::EventKey;
use crate::push::Push;

/// A verified push kept in an [`Inbox`](crate::Inbox) until a [`Worker`](crate::Worker)
/// has run the handler on it.
///
/// A durable inbox keeps three texts per event: [`key`](Self::key), [`message`](Self::message)
/// (the exact decrypted message) and [`envelope`](Self::envelope); [`StoredEvent::restore`]
/// reads them back. The `PayEventSig` of a mini-game event was verified when the push came,
/// so restoring does not need the AppKeys.
///
/// ```
/// use midas_push::{ManualClock, Opener, PushConfig, Seal, StoredEvent};
/// let config = PushConfig::builder().token("AAAAA").app_id("wx1").build()?;
/// let message = r#"{"Event":"xpay_refund_notify","MchRefundId":"r-1","RefundFee":100}"#;
/// let sealed = Seal::new(message, 1714112445, "1").seal(&config)?;
/// let push = Opener::new(config).with_clock(ManualClock::new(1714112445)).open_raw(&sealed.query, &sealed.body)?;
///
/// let stored = StoredEvent::new(&push);
/// // What a durable inbox writes, and reads back later, maybe in another process.
/// let (key, text, envelope) = (stored.key().to_string(), stored.message().to_owned(), stored.envelope());
/// let restored = StoredEvent::restore(&key, text, &envelope)?;
/// let again = restored.to_push()?;
/// assert_eq!((again.event(), again.event_key()), (push.event(), push.event_key()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    key: EventKey,
    message: String,
    received: Received,
    family: Family,
    attempts: u32,
    last_error: Option<String>,
}

/// A stored event whose key or envelope text cannot be read back (written by something else,
/// or damaged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a stored push event is unreadable")]
pub struct StoredEventError;

impl StoredEvent {
    /// The event of `push`, not yet tried.
    pub fn new(push: &Push) -> Self {
        Self {
            key: push.event_key(),
            message: push.message().to_owned(),
            received: Received {
                format: push.format(),
                encrypted: push.was_encrypted(),
                timestamp: push.timestamp(),
                nonce: push.nonce().to_owned(),
            },
            family: push.family(),
            attempts: 0,
            last_error: None,
        }
    }

    /// Reads back an event a durable inbox kept as its key text, message and envelope text.
    pub fn restore(key: &str, message: impl Into<String>, envelope: &str) -> Result<Self, StoredEventError> {
        let key = EventKey::parse(key).ok_or(StoredEventError)?;
        let fields: Map<String, Value> = serde_json::from_str(envelope).map_err(|_| StoredEventError)?;
        let format = match fields.get("format").and_then(Value::as_str) {
            Some("json") => Format::Json,
            Some("xml") => Format::Xml,
            _ => return Err(StoredEventError),
        };
        let family = match fields.get("family").and_then(Value::as_str) {
            Some("xpay") => Family::Xpay,
            Some("mini_game") => Family::MiniGame,
            Some("message") => Family::Message,
            _ => return Err(StoredEventError),
        };
        let received = Received {
            format,
            encrypted: fields.get("encrypted").and_then(Value::as_bool).ok_or(StoredEventError)?,
            timestamp: fields.get("timestamp").and_then(Value::as_i64).ok_or(StoredEventError)?,
            nonce: fields.get("nonce").and_then(Value::as_str).ok_or(StoredEventError)?.to_owned(),
        };
        Ok(Self { key, message: message.into(), received, family, attempts: 0, last_error: None })
    }

    /// This event with the inbox's count of attempts (handler runs begun) and the last
    /// failure, as a durable inbox reads them back.
    #[must_use]
    pub fn with_attempts(mut self, attempts: u32, last_error: Option<String>) -> Self {
        self.attempts = attempts;
        self.last_error = last_error;
        self
    }

    /// The exactly-once key.
    pub fn key(&self) -> &EventKey {
        &self.key
    }

    /// The exact message: the body of a plain push, the decrypted message of an encrypted one.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The format of the push's body.
    pub fn format(&self) -> Format {
        self.received.format
    }

    /// The family of the event.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Handler runs begun on this event so far (counted when a worker leases it, so a run
    /// cut short by a crash counts too).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// What the last failed run said, if one failed.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// What the message text does not hold, as a compact JSON text to store beside it:
    /// `{"format":…,"encrypted":…,"family":…,"timestamp":…,"nonce":…}`.
    pub fn envelope(&self) -> String {
        let format = match self.received.format {
            Format::Json => "json",
            Format::Xml => "xml",
        };
        let family = match self.family {
            Family::Xpay => "xpay",
            Family::MiniGame => "mini_game",
            Family::Message => "message",
        };
        json!({
            "format": format,
            "encrypted": self.received.encrypted,
            "family": family,
            "timestamp": self.received.timestamp,
            "nonce": self.received.nonce,
        })
        .to_string()
    }

    /// The push again, as the handler saw it when it came: the message decoded into its
    /// typed event (its `PayEventSig` was verified when it came, and is not checked again).
    pub fn to_push(&self) -> Result<Push, PushError> {
        decode::decode(self.received.clone(), self.message.clone(), None)
    }
}

/// What [`Inbox::store`](crate::Inbox::store) found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stored {
    /// The event was new and is stored now: acknowledge it; a worker runs the handler.
    New,
    /// The event was stored before and waits for (or is with) a worker, or needs attention:
    /// acknowledge the repeat, store nothing.
    Queued,
    /// The event was handled before: answer with the stored answer, run nothing.
    Done(crate::reply::Answer),
    /// A handler holds the event right now in the synchronous mode (another instance): answer
    /// with a failure so WeChat retries.
    InProgress,
}
