//! Freshness of `timestamp` and the memory of recent `(timestamp, nonce)` pairs.
//!
//! WeChat documents neither check; both are on by default and configurable. Only pushes
//! whose signatures verified are remembered, so a forger cannot fill the memory.

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::error::PushError;

/// Remembers accepted `(timestamp, nonce)` pairs, at most `capacity`, oldest dropped first.
#[derive(Debug)]
pub(crate) struct ReplayGuard {
    capacity: usize,
    /// Ordered by timestamp, so the oldest pairs are the first ones.
    seen: Mutex<BTreeSet<(i64, String)>>,
}

impl ReplayGuard {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity, seen: Mutex::new(BTreeSet::new()) }
    }

    /// Records the pair, or refuses it if it was seen. Pairs older than `oldest` are forgotten
    /// first: the freshness check refuses them anyway.
    pub(crate) fn admit(&self, timestamp: i64, nonce: &str, oldest: Option<i64>) -> Result<(), PushError> {
        // A poisoned lock only means another request panicked mid-insert; the sets stay usable.
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (timestamp, nonce.to_owned());
        if seen.contains(&key) {
            return Err(PushError::Replayed);
        }
        if let Some(oldest) = oldest {
            while seen.first().is_some_and(|first| first.0 < oldest) {
                seen.pop_first();
            }
        }
        while seen.len() >= self.capacity.max(1) {
            seen.pop_first();
        }
        seen.insert(key);
        Ok(())
    }

    /// Forgets the pair, so that an identical re-push of an unhandled push is accepted.
    pub(crate) fn forget(&self, timestamp: i64, nonce: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.remove(&(timestamp, nonce.to_owned()));
    }
}
