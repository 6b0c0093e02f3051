//! Where `ts` comes from; injectable so tests can fix it.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of UNIX time in seconds, read once per attempt to stamp `ts`. Give a client
/// another one with [`Client::with_clock`](crate::Client::with_clock).
///
/// ```
/// use midas_api::{Clock, SystemClock};
///
/// /// The system clock corrected by the offset measured against the server.
/// struct Corrected(i64);
/// impl Clock for Corrected {
///     fn now_unix(&self) -> i64 {
///         SystemClock.now_unix() + self.0
///     }
/// }
/// assert!(Corrected(-30).now_unix() < SystemClock.now_unix());
/// ```
pub trait Clock: Send + Sync {
    /// Seconds since the UNIX epoch.
    fn now_unix(&self) -> i64;
}

/// The system clock, the default of every client.
///
/// ```
/// use midas_api::{Clock, SystemClock};
/// assert!(SystemClock.now_unix() > 1_700_000_000, "after November 2023");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A clock stopped at one instant, for tests and reproducible signatures (see
/// [`Client::with_clock`](crate::Client::with_clock)).
///
/// ```
/// use midas_api::{Clock, FixedClock};
/// assert_eq!(FixedClock(1507530737).now_unix(), 1507530737);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0
    }
}
