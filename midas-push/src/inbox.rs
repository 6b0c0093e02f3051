//! The exactly-once inbox: the first push of an event runs the handler, every repeat gets
//! the answer the first one got; in the persist-then-ack mode it also keeps the events a
//! worker has yet to handle.

use core::future::Future;
use core::time::Duration;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::key::EventKey;
use crate::reply::Answer;
use crate::stored::{Stored, StoredEvent};

/// What [`Inbox::claim`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The key was free and is now claimed by the caller, who must end the claim with
    /// [`Inbox::complete`] or [`Inbox::abandon`].
    First,
    /// The event was handled before; answer with the stored answer, run nothing.
    Done(Answer),
    /// Another request holds the claim right now; answer with a failure so WeChat retries.
    InProgress,
    /// The event is stored and waits for a worker (the persist-then-ack mode of another
    /// instance acknowledged it): answer success, run nothing.
    Queued,
}

/// A failure of the inbox's storage.
#[derive(Debug, thiserror::Error)]
#[error("inbox storage failed: {message}")]
pub struct InboxError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl InboxError {
    /// An error described by `message`.
    ///
    /// ```
    /// use midas_push::InboxError;
    /// let err = InboxError::new("database is locked");
    /// assert_eq!(err.to_string(), "inbox storage failed: database is locked");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// An error caused by `source`.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self { message: message.into(), source: Some(Box::new(source)) }
    }
}

/// Storage of handled events, keyed by [`EventKey`].
///
/// # Contract
///
/// For one key, an implementation must behave as one atomic state machine, shared by every
/// request that can reach it (every process, for a durable implementation):
///
/// - `claim` on a free key marks it *in progress* and returns [`Claim::First`]; on a key in
///   progress it returns [`Claim::InProgress`]; on a completed key it returns
///   [`Claim::Done`] with the stored answer. Two concurrent claims of a free key: exactly one
///   gets `First`.
/// - `complete` stores the answer and makes the key *done* for ever (durably, before it
///   returns, for a durable inbox). It is called only by the holder of the claim.
/// - `abandon` frees a key in progress (the handler failed), so the next claim gets `First`.
/// - A claim that is neither completed nor abandoned (the process died) must become free
///   again after a lease longer than the handler budget, so the event is not lost.
///
/// Stored events (the persist-then-ack mode, [`Acknowledge::AfterStoring`]):
///
/// - `store` on a free key keeps the event, due at once, and returns [`Stored::New`]; on a
///   stored key (waiting, leased, or needing attention) [`Stored::Queued`]; on a completed key
///   [`Stored::Done`]; on a live claim [`Stored::InProgress`]; a lapsed claim is taken over
///   (`New`). It is durable before it returns, for a durable inbox: the push is acknowledged
///   on its word. `claim` on a stored key returns [`Claim::Queued`].
/// - `lease_stored` takes up to `limit` stored events that are due (next try at or before
///   `due_ms`), not needing attention, and not leased by a live lease; it leases them for the
///   inbox's lease and counts one more attempt on each. Two concurrent calls never return the
///   same event while its lease lives (every process, for a shared durable inbox).
/// - `complete` of a stored key stores the answer and makes it done, as for a claim.
/// - `retry_stored` frees the lease and sets the next try; `mark_needs_attention` frees the
///   lease and takes the event out of the leases until `requeue` puts it back (due at once,
///   attempts from zero).
///
/// The receiver runs the handler between `claim` and `complete`, the worker between
/// `lease_stored` and `complete`; a handler whose effects must be exactly-once even across a
/// crash between its effect and `complete` should make its own write idempotent by the same
/// key (or share the inbox's transaction). Keep the handler's budget below the lease.
///
/// [`Acknowledge::AfterStoring`]: crate::Acknowledge::AfterStoring
pub trait Inbox: Send + Sync {
    /// Claims `key` (see the contract).
    fn claim(&self, key: &EventKey) -> impl Future<Output = Result<Claim, InboxError>> + Send;

    /// Stores `answer` for `key` and marks it done.
    fn complete(
        &self,
        key: &EventKey,
        answer: &Answer,
    ) -> impl Future<Output = Result<(), InboxError>> + Send;

    /// Frees `key` after a failed attempt.
    fn abandon(&self, key: &EventKey) -> impl Future<Output = Result<(), InboxError>> + Send;

    /// Keeps `event` for a worker (see the contract).
    fn store(&self, event: &StoredEvent) -> impl Future<Output = Result<Stored, InboxError>> + Send;

    /// Leases up to `limit` stored events due at `due_ms` (Unix milliseconds), soonest due
    /// first, each with its attempts counted.
    fn lease_stored(
        &self,
        due_ms: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredEvent>, InboxError>> + Send;

    /// Frees the lease of stored `key` after a failed run, with `error` kept and the next
    /// try at `next_try_ms` (Unix milliseconds).
    fn retry_stored(
        &self,
        key: &EventKey,
        next_try_ms: i64,
        error: &str,
    ) -> impl Future<Output = Result<(), InboxError>> + Send;

    /// Frees the lease of stored `key` and sets it aside, with `error` kept: no worker takes
    /// it again until it is requeued.
    fn mark_needs_attention(
        &self,
        key: &EventKey,
        error: &str,
    ) -> impl Future<Output = Result<(), InboxError>> + Send;

    /// Up to `limit` stored events that need attention, oldest first.
    fn needing_attention(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredEvent>, InboxError>> + Send;

    /// Puts an event that needs attention back in the queue, due at once with its attempts
    /// counted from zero; `false` when `key` is not an event needing attention.
    fn requeue(&self, key: &EventKey) -> impl Future<Output = Result<bool, InboxError>> + Send;
}

#[derive(Debug)]
enum Slot {
    InProgress(Instant),
    Done(Answer),
    Stored(Box<Queued>),
}

/// A stored event in memory, with its place in the queue.
#[derive(Debug)]
struct Queued {
    event: StoredEvent,
    /// Arrival order, to lease in order among events due at the same time.
    arrival: u64,
    next_try_ms: i64,
    leased_until: Option<Instant>,
    needs_attention: bool,
}

/// An inbox in memory, for tests and single-process deployments that accept losing the
/// exactly-once memory on restart. It grows with the number of events. In the
/// persist-then-ack mode a restart also loses the acknowledged events not yet handled:
/// there, use a durable inbox.
///
/// ```
/// use midas_push::{Answer, Claim, EventKey, Inbox, KeyKind, MemoryInbox};
/// # tokio_test_block_on(async {
/// let inbox = MemoryInbox::new();
/// let key = EventKey::new(KeyKind::Delivery, "order-0001");
/// assert_eq!(inbox.claim(&key).await?, Claim::First);
/// assert_eq!(inbox.claim(&key).await?, Claim::InProgress);
/// inbox.complete(&key, &Answer::Success).await?;
/// assert_eq!(inbox.claim(&key).await?, Claim::Done(Answer::Success));
/// # Ok::<(), midas_push::InboxError>(())
/// # }).unwrap();
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug)]
pub struct MemoryInbox {
    lease: Duration,
    slots: Mutex<HashMap<String, Slot>>,
    arrivals: core::sync::atomic::AtomicU64,
}

impl Default for MemoryInbox {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryInbox {
    /// The default lease of a claim: 30 s, ten times WeChat's answer budget.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

    /// An empty inbox with the default lease.
    pub fn new() -> Self {
        Self::with_lease(Self::DEFAULT_LEASE)
    }

    /// An empty inbox whose unfinished claims expire after `lease`.
    pub fn with_lease(lease: Duration) -> Self {
        Self { lease, slots: Mutex::new(HashMap::new()), arrivals: core::sync::atomic::AtomicU64::new(0) }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        // Every update is a single insert or remove, so a poisoned map is still consistent.
        self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Inbox for MemoryInbox {
    async fn claim(&self, key: &EventKey) -> Result<Claim, InboxError> {
        let mut slots = self.slots();
        match slots.get(key.as_str()) {
            Some(Slot::Done(answer)) => Ok(Claim::Done(answer.clone())),
            Some(Slot::Stored(_)) => Ok(Claim::Queued),
            Some(Slot::InProgress(since)) if since.elapsed() < self.lease => Ok(Claim::InProgress),
            _ => {
                slots.insert(key.as_str().to_owned(), Slot::InProgress(Instant::now()));
                Ok(Claim::First)
            }
        }
    }

    async fn complete(&self, key: &EventKey, answer: &Answer) -> Result<(), InboxError> {
        self.slots().insert(key.as_str().to_owned(), Slot::Done(answer.clone()));
        Ok(())
    }

    async fn store(&self, event: &StoredEvent) -> Result<Stored, InboxError> {
        let mut slots = self.slots();
        match slots.get(event.key().as_str()) {
            Some(Slot::Done(answer)) => return Ok(Stored::Done(answer.clone())),
            Some(Slot::Stored(_)) => return Ok(Stored::Queued),
            Some(Slot::InProgress(since)) if since.elapsed() < self.lease => return Ok(Stored::InProgress),
            _ => {}
        }
        let queued = Queued {
            event: event.clone().with_attempts(0, None),
            arrival: self.arrivals.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
            next_try_ms: i64::MIN,
            leased_until: None,
            needs_attention: false,
        };
        slots.insert(event.key().as_str().to_owned(), Slot::Stored(Box::new(queued)));
        Ok(Stored::New)
    }

    async fn lease_stored(&self, due_ms: i64, limit: usize) -> Result<Vec<StoredEvent>, InboxError> {
        let mut slots = self.slots();
        let now = Instant::now();
        let mut due: Vec<&mut Queued> = slots
            .values_mut()
            .filter_map(|slot| match slot {
                Slot::Stored(queued) => Some(&mut **queued),
                _ => None,
            })
            .filter(|queued| {
                !queued.needs_attention
                    && queued.next_try_ms <= due_ms
                    && queued.leased_until.is_none_or(|until| until <= now)
            })
            .collect();
        due.sort_by_key(|queued| (queued.next_try_ms, queued.arrival));
        Ok(due
            .into_iter()
            .take(limit)
            .map(|queued| {
                queued.leased_until = Some(now + self.lease);
                let attempts = queued.event.attempts().saturating_add(1);
                let last_error = queued.event.last_error().map(str::to_owned);
                queued.event = queued.event.clone().with_attempts(attempts, last_error);
                queued.event.clone()
            })
            .collect())
    }

    async fn retry_stored(&self, key: &EventKey, next_try_ms: i64, error: &str) -> Result<(), InboxError> {
        if let Some(Slot::Stored(queued)) = self.slots().get_mut(key.as_str()) {
            queued.leased_until = None;
            queued.next_try_ms = next_try_ms;
            queued.event =
                queued.event.clone().with_attempts(queued.event.attempts(), Some(error.to_owned()));
        }
        Ok(())
    }

    async fn mark_needs_attention(&self, key: &EventKey, error: &str) -> Result<(), InboxError> {
        if let Some(Slot::Stored(queued)) = self.slots().get_mut(key.as_str()) {
            queued.leased_until = None;
            queued.needs_attention = true;
            queued.event =
                queued.event.clone().with_attempts(queued.event.attempts(), Some(error.to_owned()));
        }
        Ok(())
    }

    async fn needing_attention(&self, limit: usize) -> Result<Vec<StoredEvent>, InboxError> {
        let slots = self.slots();
        let mut found: Vec<&Queued> = slots
            .values()
            .filter_map(|slot| match slot {
                Slot::Stored(queued) if queued.needs_attention => Some(&**queued),
                _ => None,
            })
            .collect();
        found.sort_by_key(|queued| queued.arrival);
        Ok(found.into_iter().take(limit).map(|queued| queued.event.clone()).collect())
    }

    async fn requeue(&self, key: &EventKey) -> Result<bool, InboxError> {
        match self.slots().get_mut(key.as_str()) {
            Some(Slot::Stored(queued)) if queued.needs_attention => {
                queued.needs_attention = false;
                queued.next_try_ms = i64::MIN;
                let last_error = queued.event.last_error().map(str::to_owned);
                queued.event = queued.event.clone().with_attempts(0, last_error);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn abandon(&self, key: &EventKey) -> Result<(), InboxError> {
        let mut slots = self.slots();
        if matches!(slots.get(key.as_str()), Some(Slot::InProgress(_))) {
            slots.remove(key.as_str());
        }
        Ok(())
    }
}
