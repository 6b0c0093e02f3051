//! What the inbox of pushed events keeps for the persist-then-ack mode: events stored before
//! their handler ran, leased to workers, retried, set aside when they need attention.

/// What [`Journal::inbox_store`](crate::Journal::inbox_store) found for a pushed event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboxStore {
    /// The event was new (or its claim had lapsed) and is stored now, due at once.
    New,
    /// The event is stored already (waiting, leased, or needing attention): store nothing.
    Queued,
    /// A handler completed it: answer the push with this answer again.
    Done(String),
    /// A synchronous claim's handler is running now.
    InProgress,
}

/// A stored event as the inbox keeps it: the texts the receiver gave, and the worker's books.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxEvent {
    /// The event key.
    pub key: String,
    /// The exact message.
    pub message: String,
    /// The envelope text (what the message does not hold).
    pub envelope: String,
    /// Handler runs begun (leases taken).
    pub attempts: i64,
    /// The next try, Unix milliseconds on the worker's clock (0: at once).
    pub next_try_ms: i64,
    /// What the last failed run said.
    pub last_error: Option<String>,
    /// When the event was stored, Unix milliseconds.
    pub created_ms: i64,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{InboxClaim, InboxStore, Journal};

    #[tokio::test]
    async fn a_stored_event_is_leased_retried_set_aside_requeued_and_completed() {
        let journal = Journal::in_memory().await.expect("journal");
        let store = |key: &'static str| {
            let journal = journal.clone();
            async move {
                journal.inbox_store(key, "{\"Event\":\"e\"}", "{\"format\":\"json\"}").await.expect("store")
            }
        };
        assert_eq!(store("delivery:1").await, InboxStore::New);
        assert_eq!(store("delivery:1").await, InboxStore::Queued, "stored once");
        assert_eq!(journal.inbox_claim("delivery:1").await.expect("claim"), InboxClaim::Queued);

        let leased = journal.inbox_lease_stored(0, 10).await.expect("lease");
        assert_eq!(leased.len(), 1);
        assert_eq!((leased[0].key.as_str(), leased[0].attempts), ("delivery:1", 1));
        assert_eq!(
            (leased[0].message.as_str(), leased[0].envelope.as_str()),
            ("{\"Event\":\"e\"}", "{\"format\":\"json\"}")
        );
        assert!(journal.inbox_lease_stored(0, 10).await.expect("lease").is_empty(), "a live lease holds it");

        assert!(journal.inbox_retry("delivery:1", 5_000, "down").await.expect("retry"));
        assert!(journal.inbox_lease_stored(4_999, 10).await.expect("lease").is_empty(), "not due yet");
        let again = journal.inbox_lease_stored(5_000, 10).await.expect("lease");
        assert_eq!((again[0].attempts, again[0].last_error.as_deref()), (2, Some("down")));

        assert!(journal.inbox_needs_attention("delivery:1", "gave up").await.expect("set aside"));
        assert!(journal.inbox_lease_stored(i64::MAX, 10).await.expect("lease").is_empty());
        assert_eq!(store("delivery:1").await, InboxStore::Queued, "a repeat is not stored again");
        let attention = journal.inbox_needing_attention(10).await.expect("list");
        assert_eq!((attention.len(), attention[0].last_error.as_deref()), (1, Some("gave up")));
        assert!(journal.inbox_requeue("delivery:1").await.expect("requeue"));
        assert!(!journal.inbox_requeue("delivery:1").await.expect("requeue"), "only what is set aside");
        let requeued = journal.inbox_lease_stored(0, 10).await.expect("lease");
        assert_eq!(requeued[0].attempts, 1, "attempts from zero");

        assert!(journal.inbox_complete("delivery:1", "{\"answer\":\"success\"}").await.expect("complete"));
        assert_eq!(store("delivery:1").await, InboxStore::Done("{\"answer\":\"success\"}".to_owned()));
        assert!(!journal.inbox_retry("delivery:1", 0, "late").await.expect("retry"), "done stays done");
        journal.inbox_abandon("delivery:1").await.expect("abandon");
        assert!(matches!(journal.inbox_claim("delivery:1").await.expect("claim"), InboxClaim::Done(_)));
    }

    #[tokio::test]
    async fn leases_go_soonest_due_first_within_the_limit() {
        let journal = Journal::in_memory().await.expect("journal");
        for key in ["a", "b", "c"] {
            journal.inbox_store(key, "{}", "{}").await.expect("store");
        }
        let first = journal.inbox_lease_stored(0, 3).await.expect("lease");
        assert_eq!(first.len(), 3);
        journal.inbox_retry("a", 100, "x").await.expect("retry");
        journal.inbox_retry("b", 50, "x").await.expect("retry");
        journal.inbox_retry("c", 200, "x").await.expect("retry");
        let due: Vec<String> = journal
            .inbox_lease_stored(150, 10)
            .await
            .expect("lease")
            .into_iter()
            .map(|event| event.key)
            .collect();
        assert_eq!(due, ["b", "a"]);
        let limited = journal.inbox_lease_stored(i64::MAX, 0).await.expect("lease");
        assert!(limited.is_empty());
    }

    #[tokio::test]
    async fn a_live_claim_holds_the_key_and_a_lapsed_one_is_taken_over_by_a_store() {
        let journal =
            Journal::in_memory().await.expect("journal").with_lease(Duration::from_secs(1)).expect("lease");
        assert_eq!(journal.inbox_claim("k").await.expect("claim"), InboxClaim::First);
        assert_eq!(journal.inbox_store("k", "{}", "{}").await.expect("store"), InboxStore::InProgress);
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        assert_eq!(journal.inbox_store("k", "{}", "{}").await.expect("store"), InboxStore::New);
        assert_eq!(journal.inbox_lease_stored(0, 10).await.expect("lease").len(), 1);
    }
}
