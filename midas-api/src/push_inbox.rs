//! The pushes' exactly-once inbox in the journal's store.

use midas_journal::{InboxClaim, Journal};
use midas_push::{Answer, Claim, EventKey, Inbox, InboxError};

/// A [`midas_push::Inbox`] kept in the journal's store (SQLite, or PostgreSQL shared by every
/// instance): a repeated push gets the answer of the first across restarts and instances, and
/// its handler never runs twice. A claim whose process died lapses with the journal's lease.
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

impl Inbox for JournalInbox {
    async fn claim(&self, key: &EventKey) -> Result<Claim, InboxError> {
        match self.journal.inbox_claim(key.as_str()).await {
            Ok(InboxClaim::First) => Ok(Claim::First),
            Ok(InboxClaim::Done(text)) => Answer::decode(&text)
                .map(Claim::Done)
                .map_err(|error| InboxError::with_source("a stored answer is unreadable", error)),
            Ok(_) => Ok(Claim::InProgress),
            Err(error) => Err(InboxError::with_source("the journal could not claim the event", error)),
        }
    }

    async fn complete(&self, key: &EventKey, answer: &Answer) -> Result<(), InboxError> {
        self.journal
            .inbox_complete(key.as_str(), &answer.encode())
            .await
            .map(drop)
            .map_err(|error| InboxError::with_source("the journal could not record the answer", error))
    }

    async fn abandon(&self, key: &EventKey) -> Result<(), InboxError> {
        self.journal
            .inbox_abandon(key.as_str())
            .await
            .map_err(|error| InboxError::with_source("the journal could not drop the claim", error))
    }
}
