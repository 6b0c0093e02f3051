//! The exactly-once inbox: the first push of an event runs the handler, every repeat gets
//! the answer the first one got.

use core::future::Future;
use core::time::Duration;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::key::EventKey;
use crate::reply::Answer;

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
/// The receiver runs the handler between `claim` and `complete`; a handler whose effects
/// must be exactly-once even across a crash between its effect and `complete` should make
/// its own write idempotent by the same key (or share the inbox's transaction).
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
}

#[derive(Debug)]
enum Slot {
    InProgress(Instant),
    Done(Answer),
}

/// An inbox in memory, for tests and single-process deployments that accept losing the
/// exactly-once memory on restart. It grows with the number of events.
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
        Self { lease, slots: Mutex::new(HashMap::new()) }
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

    async fn abandon(&self, key: &EventKey) -> Result<(), InboxError> {
        let mut slots = self.slots();
        if matches!(slots.get(key.as_str()), Some(Slot::InProgress(_))) {
            slots.remove(key.as_str());
        }
        Ok(())
    }
}
