//! What the journal records: intents, outcomes, entries and their states.

use std::fmt;

use sha2::{Digest, Sha256};

/// Where an entry stands.
///
/// ```text
/// pending ──► applied ──► settled
///    │  ╲        (Midas took it; the service confirms its own effect)
///    │   ╲─► refused          (Midas refused it, or it provably never applied)
///    └──► unknown ──► applied | refused | needs_attention   (by the reconciler)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// The intent is recorded; an attempt may be under way, or its process died.
    Pending,
    /// Midas applied the call; the service's own effect is not confirmed yet.
    Applied,
    /// Midas applied the call and the service confirmed its own effect. Final.
    Settled,
    /// Midas refused the call, or it provably was never applied. Final.
    Refused,
    /// The retries ran out on an ambiguous failure: the reconciler resolves it.
    Unknown,
    /// The reconciler could not resolve it (e.g. a Midas 1.0 order past its 48-hour window):
    /// a person must look; [`Entry::reason`] says why. Final for the journal.
    NeedsAttention,
}

impl State {
    /// The name stored in the journal.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::Settled => "settled",
            Self::Refused => "refused",
            Self::Unknown => "unknown",
            Self::NeedsAttention => "needs_attention",
        }
    }

    /// The state of a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "pending" => Self::Pending,
            "applied" => Self::Applied,
            "settled" => Self::Settled,
            "refused" => Self::Refused,
            "unknown" => Self::Unknown,
            "needs_attention" => Self::NeedsAttention,
            _ => return None,
        })
    }

    /// Whether Midas's side is decided (applied, settled, refused, needs attention): a call
    /// with the same order id returns it instead of sending.
    pub const fn is_decided(self) -> bool {
        !matches!(self, Self::Pending | Self::Unknown)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A money call about to be sent: everything the journal records before the first attempt.
///
/// ```
/// use midas_journal::Intent;
/// let intent = Intent {
///     env: "sandbox".into(),
///     order_id: "order-0001".into(),
///     api: "pay".into(),
///     generation: "v1".into(),
///     openid: "player-1".into(),
///     zone_id: "1".into(),
///     amount: Some(10),
///     fields: r#"{"amt":10,"bill_no":"order-0001"}"#.into(),
/// };
/// assert_eq!(intent.fingerprint().len(), 64);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    /// `production` or `sandbox`.
    pub env: String,
    /// The idempotency key: `bill_no` (Midas 1.0, 2.0) or `order_id` (xpay).
    pub order_id: String,
    /// The API, e.g. `pay`, `currency_pay`.
    pub api: String,
    /// `v1`, `v2` or `xpay`.
    pub generation: String,
    /// The player.
    pub openid: String,
    /// The player's zone.
    pub zone_id: String,
    /// The coins the call moves, when it names them.
    pub amount: Option<i64>,
    /// The request's own fields as a JSON object (wire names, no envelope): enough to send
    /// the identical request again.
    pub fields: String,
}

impl Intent {
    /// SHA-256 over everything that makes the order what it is (API, generation,
    /// environment, player, zone, fields), hex: two calls with one order id and different
    /// fingerprints are two different orders.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for part in [&self.api, &self.generation, &self.env, &self.openid, &self.zone_id, &self.fields] {
            // Length-prefixed, so no text can move across a boundary.
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hex::encode(hash.finalize())
    }
}

/// What one call came to, as the client records it after its attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Midas applied it; `answer` is its answer body, when there is one (a call confirmed by
    /// "already processed" or a lookup has the lookup's answer or none).
    Applied {
        /// The answer body.
        answer: Option<String>,
    },
    /// Midas refused it (`errcode`), or it was never applied (`errcode` is `None`).
    Refused {
        /// Midas's errcode, if Midas answered.
        errcode: Option<i64>,
        /// The answer body, if Midas answered.
        answer: Option<String>,
        /// What happened, in words.
        reason: String,
    },
    /// The outcome is open: the reconciler resolves it.
    Unknown {
        /// The last error, in words.
        reason: String,
    },
    /// Nobody can resolve it automatically.
    NeedsAttention {
        /// Why, in words.
        reason: String,
    },
}

impl Outcome {
    /// The state an entry takes with this outcome.
    pub const fn state(&self) -> State {
        match self {
            Self::Applied { .. } => State::Applied,
            Self::Refused { .. } => State::Refused,
            Self::Unknown { .. } => State::Unknown,
            Self::NeedsAttention { .. } => State::NeedsAttention,
        }
    }
}

/// One journal row.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The intent as recorded.
    pub intent: Intent,
    /// [`Intent::fingerprint`] as recorded.
    pub fingerprint: String,
    /// Where it stands.
    pub state: State,
    /// Attempts started, over every process that drove it.
    pub attempts: i64,
    /// The answer body of an applied or refused call, when there is one.
    pub answer: Option<String>,
    /// Midas's errcode of a refusal.
    pub errcode: Option<i64>,
    /// Why it is refused, unknown or needs attention.
    pub reason: Option<String>,
    /// When the intent was recorded, Unix milliseconds.
    pub created_ms: i64,
    /// When the entry last changed, Unix milliseconds.
    pub updated_ms: i64,
}

/// What [`Journal::begin`](crate::Journal::begin) found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Begin {
    /// A new order: the intent is recorded and leased to this journal; send it.
    New,
    /// The same order, left pending or unknown (a crash, exhausted retries): leased to this
    /// journal; send it again with the same order id.
    Resume(Box<Entry>),
    /// The same order, already decided: return its outcome, send nothing.
    Decided(Box<Entry>),
}

/// What [`Journal::inbox_claim`](crate::Journal::inbox_claim) found for a pushed event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboxClaim {
    /// Nobody handled it yet: it is claimed for this journal; run the handler.
    First,
    /// A handler completed it: answer the push with this answer again, run nothing.
    Done(String),
    /// Another claim's handler is running now.
    InProgress,
    /// The event is stored for a worker (persist-then-ack): it was acknowledged; run nothing.
    Queued,
}
