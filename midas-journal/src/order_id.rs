//! Order ids derived from the service's own business ids.

use sha2::{Digest, Sha256};

use crate::JournalError;

/// Derives order ids valid for every generation at once (32 characters of `[0-9a-f]`: 8–32
/// characters of `[0-9A-Za-z_-]`, no leading `_`), deterministically from the service's own
/// business id — so a restarted process regenerates the same order id for the same intent,
/// and the journal recognises it.
///
/// The namespace keeps two services (or a sandbox and a production run) that share business
/// ids apart.
///
/// ```
/// use midas_journal::OrderIds;
/// let ids = OrderIds::new("shop-eu")?;
/// let first = ids.for_business_id("purchase/42/sword")?;
/// assert_eq!(first, ids.for_business_id("purchase/42/sword")?);
/// assert_ne!(first, ids.for_business_id("purchase/43/sword")?);
/// assert_eq!(first.len(), 32);
/// assert!(OrderIds::new("").is_err());
/// # Ok::<(), midas_journal::JournalError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderIds {
    namespace: String,
}

impl OrderIds {
    /// Ids in `namespace` (1 to 64 bytes).
    pub fn new(namespace: impl Into<String>) -> Result<Self, JournalError> {
        let namespace = namespace.into();
        if namespace.is_empty() || namespace.len() > 64 {
            return Err(JournalError::Invalid {
                what: format!("an order id namespace is 1 to 64 bytes, not {}", namespace.len()),
            });
        }
        Ok(Self { namespace })
    }

    /// The order id of `business_id` (1 to 1024 bytes): the first 128 bits of
    /// SHA-256(namespace, business id), as 32 lowercase hex digits.
    pub fn for_business_id(&self, business_id: &str) -> Result<String, JournalError> {
        if business_id.is_empty() || business_id.len() > 1024 {
            return Err(JournalError::Invalid {
                what: format!("a business id is 1 to 1024 bytes, not {}", business_id.len()),
            });
        }
        let mut hash = Sha256::new();
        hash.update((self.namespace.len() as u64).to_be_bytes());
        hash.update(self.namespace.as_bytes());
        hash.update(business_id.as_bytes());
        let digest = hash.finalize();
        Ok(hex::encode(&digest[..16]))
    }
}
