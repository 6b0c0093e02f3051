//! The fetch lock: one instance of the fleet fetches at a time. Taken with `SET NX PX` and a
//! random owner value, so it frees itself after its TTL when its holder dies, and released
//! only by its owner (a holder that outlived its TTL cannot free a lock someone else took).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::Script;

use super::error::FleetError;
use super::store::Fleet;

/// Deletes the lock only if `ARGV[1]` still owns it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// While `ARGV[1]` still owns the lock `KEYS[1]`: stores the value `ARGV[2]` at `KEYS[2]` for
/// `ARGV[3]` ms and releases the lock. 1 if stored, 0 if the lock was lost.
const STORE_AND_RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
";

/// A value no other holder, in this process or another, uses: the process id, a counter and
/// 128 randomly keyed hash bits.
pub(super) fn unique_value() -> String {
    static TAKEN: AtomicU64 = AtomicU64::new(0);
    let taken = TAKEN.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_nanos());
    let mut bits = [0_u64; 2];
    for (round, slot) in (0_u8..).zip(bits.iter_mut()) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(round);
        hasher.write_u32(std::process::id());
        hasher.write_u64(taken);
        hasher.write_u128(nanos);
        *slot = hasher.finish();
    }
    format!("{}-{taken}-{:016x}{:016x}", std::process::id(), bits[0], bits[1])
}

/// Milliseconds for `PX`, at least 1 (Redis refuses 0).
pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The lock, held by this instance until released or its TTL runs out.
pub(super) struct Held {
    fleet: Fleet,
    key: String,
    owner: String,
    released: bool,
}

/// Takes the lock at `key` for `ttl`, or `None` when another instance holds it.
pub(super) async fn try_acquire(fleet: &Fleet, key: &str, ttl: Duration) -> Result<Option<Held>, FleetError> {
    let owner = unique_value();
    let taken: Option<String> =
        fleet.run(redis::cmd("SET").arg(key).arg(&owner).arg("NX").arg("PX").arg(millis(ttl))).await?;
    Ok(taken.map(|_| Held { fleet: fleet.clone(), key: key.to_owned(), owner, released: false }))
}

impl Held {
    /// Frees the lock if this instance still owns it.
    pub(super) async fn release(mut self) -> Result<(), FleetError> {
        self.released = true;
        let _: i64 = self.fleet.script(Script::new(RELEASE).key(&self.key).arg(&self.owner)).await?;
        Ok(())
    }

    /// Stores `value` at `key` for `ttl` and frees the lock, if this instance still owns it;
    /// whether it did.
    pub(super) async fn store_and_release(
        mut self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, FleetError> {
        self.released = true;
        let stored: i64 = self
            .fleet
            .script(
                Script::new(STORE_AND_RELEASE)
                    .key(&self.key)
                    .key(key)
                    .arg(&self.owner)
                    .arg(value)
                    .arg(millis(ttl)),
            )
            .await?;
        Ok(stored == 1)
    }
}

impl Drop for Held {
    /// A holder dropped mid-fetch (its caller gave up) frees the lock at once rather than
    /// making the fleet wait for the TTL.
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (fleet, key, owner) =
                (self.fleet.clone(), std::mem::take(&mut self.key), std::mem::take(&mut self.owner));
            runtime.spawn(async move {
                let released: Result<i64, FleetError> =
                    fleet.script(Script::new(RELEASE).key(&key).arg(&owner)).await;
                if let Err(error) = released {
                    tracing::warn!(%error, "the fleet's fetch lock was not released; it frees itself after its TTL");
                }
            });
        }
    }
}
