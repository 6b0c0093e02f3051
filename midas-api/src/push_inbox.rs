//! The pushes' exactly-once inbox in the journal's store.

use midas_journal::{InboxClaim, InboxEvent, InboxStore, Journal, JournalError};
use midas_push::{Answer, Claim, EventKey, Inbox, InboxError, Stored, StoredEvent};

/// A [`midas_push::Inbox`] kept in the journal's store (SQLite, or PostgreSQL shared by every
/// instance): a repeated push gets the answer of the first across restarts and instances, and
/// its handler never runs twice. A claim whose process died lapses with the journal's lease.
///
/// It serves both modes of the receiver: in the persist-then-ack mode
/// ([`Acknowledge::AfterStoring`](midas_push::Acknowledge::AfterStoring)) it keeps the stored
/// events (exact message, key, envelope, attempts, next try, last failure) in the
/// `midas_inbox` table, durable before the push is acknowledged, and leases them to workers —
/// on PostgreSQL with `SKIP LOCKED`, so the workers of several instances never run one event
/// twice. A leased event waits the journal's lease ([`Journal::with_lease`]) before another
/// worker may take it: keep the worker's budget below it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::push::{Claim, EventKey, Inbox, KeyKind};
/// use midas_api::{Journal, JournalInbox};
/// let inbox = JournalInbox::new(Journal::in_memory().await?);
/// let key = EventKey::new(KeyKind::Delivery, "order-1");
/// assert_eq!(inbox.claim(&key).await?, Claim::First);
/// assert_eq!(inbox.claim(&key).await?, Claim::InProgress);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct JournalInbox {
    journal: Journal,
}

impl JournalInbox {
    /// The inbox of `journal`'s store.
    pub fn new(journal: Journal) -> Self {
        Self { journal }
    }
}

fn failed(what: &'static str) -> impl FnOnce(JournalError) -> InboxError {
    move |error| InboxError::with_source(what, error)
}

fn answer(text: &str) -> Result<Answer, InboxError> {
    Answer::decode(text).map_err(|error| InboxError::with_source("a stored answer is unreadable", error))
}

fn stored_event(event: InboxEvent) -> Result<StoredEvent, InboxError> {
    let attempts = u32::try_from(event.attempts.max(0)).unwrap_or(u32::MAX);
    StoredEvent::restore(&event.key, event.message, &event.envelope)
        .map(|stored| stored.with_attempts(attempts, event.last_error))
        .map_err(|error| InboxError::with_source("a stored push event is unreadable", error))
}

impl Inbox for JournalInbox {
    async fn claim(&self, key: &EventKey) -> Result<Claim, InboxError> {
        match self.journal.inbox_claim(key.as_str()).await {
            Ok(InboxClaim::First) => Ok(Claim::First),
            Ok(InboxClaim::Done(text)) => answer(&text).map(Claim::Done),
            Ok(InboxClaim::Queued) => Ok(Claim::Queued),
            Ok(_) => Ok(Claim::InProgress),
            Err(error) => Err(failed("the journal could not claim the event")(error)),
        }
    }

    async fn complete(&self, key: &EventKey, answer: &Answer) -> Result<(), InboxError> {
        self.journal
            .inbox_complete(key.as_str(), &answer.encode())
            .await
            .map(drop)
            .map_err(failed("the journal could not record the answer"))
    }

    async fn abandon(&self, key: &EventKey) -> Result<(), InboxError> {
        self.journal.inbox_abandon(key.as_str()).await.map_err(failed("the journal could not drop the claim"))
    }

    async fn store(&self, event: &StoredEvent) -> Result<Stored, InboxError> {
        let found = self
            .journal
            .inbox_store(event.key().as_str(), event.message(), &event.envelope())
            .await
            .map_err(failed("the journal could not store the event"))?;
        match found {
            InboxStore::New => Ok(Stored::New),
            InboxStore::Queued => Ok(Stored::Queued),
            InboxStore::Done(text) => answer(&text).map(Stored::Done),
            _ => Ok(Stored::InProgress),
        }
    }

    async fn lease_stored(&self, due_ms: i64, limit: usize) -> Result<Vec<StoredEvent>, InboxError> {
        let events = self
            .journal
            .inbox_lease_stored(due_ms, limit)
            .await
            .map_err(failed("the journal could not lease stored events"))?;
        events.into_iter().map(stored_event).collect()
    }

    async fn retry_stored(&self, key: &EventKey, next_try_ms: i64, error: &str) -> Result<(), InboxError> {
        self.journal
            .inbox_retry(key.as_str(), next_try_ms, error)
            .await
            .map(drop)
            .map_err(failed("the journal could not schedule the next try"))
    }

    async fn mark_needs_attention(&self, key: &EventKey, error: &str) -> Result<(), InboxError> {
        self.journal
            .inbox_needs_attention(key.as_str(), error)
            .await
            .map(drop)
            .map_err(failed("the journal could not set the event aside"))
    }

    async fn needing_attention(&self, limit: usize) -> Result<Vec<StoredEvent>, InboxError> {
        let events = self
            .journal
            .inbox_needing_attention(limit)
            .await
            .map_err(failed("the journal could not list the events needing attention"))?;
        events.into_iter().map(stored_event).collect()
    }

    async fn requeue(&self, key: &EventKey) -> Result<bool, InboxError> {
        self.journal
            .inbox_requeue(key.as_str())
            .await
            .map_err(failed("the journal could not requeue the event"))
    }
}
