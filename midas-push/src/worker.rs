//! The worker of the persist-then-ack mode: it leases the events the receiver stored, runs
//! the handler on each, completes them, and tries failures again later with a growing delay,
//! up to a bounded number of attempts after which the event needs attention.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Notify;

use crate::clock::{Clock, SystemClock};
use crate::handler::Handler;
use crate::inbox::{Inbox, InboxError};
use crate::metrics;
use crate::stored::StoredEvent;

/// What one [`Worker::process_pending`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Processed {
    /// Events the handler succeeded on, now done.
    pub handled: usize,
    /// Events the handler failed on (or did not finish within the budget), to be tried again.
    pub retried: usize,
    /// Events set aside: out of attempts, or unreadable. See [`Inbox::needing_attention`].
    pub needs_attention: usize,
}

/// Runs the handler on stored events until each is done (persist-then-ack mode).
///
/// A worker leases due events from the inbox ([`Inbox::lease_stored`]: on PostgreSQL with
/// `SKIP LOCKED`, so workers of several instances never take one event at once), runs the
/// handler within [`budget`](Self::budget) (keep it below the inbox's lease), and then:
///
/// - success: the answer is stored ([`Inbox::complete`]); repeats of the push get it;
/// - failure or timeout: the event is due again after a delay that doubles from
///   [`Self::DEFAULT_FIRST_BACKOFF`] up to [`Self::DEFAULT_MAX_BACKOFF`] ([`Self::backoff`]);
/// - the last of [`max_attempts`](Self::max_attempts) failed (attempts count leases, so runs
///   cut short by a crash count too): the event *needs attention* — no worker takes it until
///   [`Inbox::requeue`]. The push was acknowledged long ago: WeChat will not send it again.
///
/// Get one from [`Receiver::worker`](crate::Receiver::worker) (it shares the receiver's
/// handler, inbox and clock, and wakes when the receiver stores an event), or build one with
/// [`Worker::new`] in a process that only works off the queue.
///
/// ```
/// use midas_push::{Answer, HandlerError, MemoryInbox, Push, Worker};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build()?.block_on(async {
/// let handler = |push: Push| async move {
///     let _ = push; // deliver here
///     Ok::<_, HandlerError>(Answer::Success)
/// };
/// let worker = Worker::new(handler, MemoryInbox::new()).max_attempts(5);
/// let processed = worker.process_pending().await?;
/// assert_eq!(processed.handled, 0, "nothing stored yet");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Worker<H, I> {
    handler: Arc<H>,
    inbox: Arc<I>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    budget: Duration,
    max_attempts: u32,
    first_backoff: Duration,
    max_backoff: Duration,
    batch: usize,
    poll_interval: Duration,
}

impl<H, I> fmt::Debug for Worker<H, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("budget", &self.budget)
            .field("max_attempts", &self.max_attempts)
            .field("first_backoff", &self.first_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("batch", &self.batch)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl<H, I> Clone for Worker<H, I> {
    fn clone(&self) -> Self {
        Self {
            handler: Arc::clone(&self.handler),
            inbox: Arc::clone(&self.inbox),
            clock: Arc::clone(&self.clock),
            wake: Arc::clone(&self.wake),
            ..*self
        }
    }
}

impl<H: Handler, I: Inbox> Worker<H, I> {
    /// The default handler budget per run: 20 s, below the default leases of the memory
    /// inbox (30 s) and of the journal (60 s).
    pub const DEFAULT_BUDGET: Duration = Duration::from_secs(20);
    /// The default number of attempts before an event needs attention.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;
    /// The default delay after the first failure; it doubles after each further one.
    pub const DEFAULT_FIRST_BACKOFF: Duration = Duration::from_secs(1);
    /// The default longest delay between two attempts.
    pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(600);
    /// The default number of events leased at a time.
    pub const DEFAULT_BATCH: usize = 32;
    /// The default time [`Self::run`] waits between two looks at the inbox when nothing wakes it.
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

    /// A worker running `handler` on the events stored in `inbox`, on the system clock.
    pub fn new(handler: H, inbox: I) -> Self {
        Self::shared(Arc::new(handler), Arc::new(inbox), Arc::new(SystemClock), Arc::new(Notify::new()))
    }

    pub(crate) fn shared(handler: Arc<H>, inbox: Arc<I>, clock: Arc<dyn Clock>, wake: Arc<Notify>) -> Self {
        Self {
            handler,
            inbox,
            clock,
            wake,
            budget: Self::DEFAULT_BUDGET,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            first_backoff: Self::DEFAULT_FIRST_BACKOFF,
            max_backoff: Self::DEFAULT_MAX_BACKOFF,
            batch: Self::DEFAULT_BATCH,
            poll_interval: Self::DEFAULT_POLL_INTERVAL,
        }
    }

    /// Tells the time of next tries by `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The handler budget per run (default [`Self::DEFAULT_BUDGET`]); keep it below the
    /// inbox's lease, or another worker may take the event while the handler still runs.
    #[must_use]
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Attempts before an event needs attention (default [`Self::DEFAULT_MAX_ATTEMPTS`], at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delay after the first failure and the longest delay (defaults
    /// [`Self::DEFAULT_FIRST_BACKOFF`], [`Self::DEFAULT_MAX_BACKOFF`]).
    #[must_use]
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.first_backoff = first;
        self.max_backoff = max.max(first);
        self
    }

    /// Events leased at a time (default [`Self::DEFAULT_BATCH`], at least 1).
    #[must_use]
    pub fn batch(mut self, events: usize) -> Self {
        self.batch = events.max(1);
        self
    }

    /// How long [`Self::run`] waits between two looks at the inbox when nothing wakes it
    /// (default [`Self::DEFAULT_POLL_INTERVAL`]).
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The inbox.
    pub fn inbox(&self) -> &I {
        &self.inbox
    }

    /// The delay before the attempt after failed attempt number `attempts` (1 for the first).
    ///
    /// ```
    /// use std::time::Duration;
    /// use midas_push::{MemoryInbox, Worker};
    /// # let handler = |_push: midas_push::Push| async { Ok::<_, midas_push::HandlerError>(midas_push::Answer::Success) };
    /// let worker = Worker::new(handler, MemoryInbox::new())
    ///     .backoff(Duration::from_secs(2), Duration::from_secs(60));
    /// assert_eq!(worker.delay_after(1), Duration::from_secs(2));
    /// assert_eq!(worker.delay_after(3), Duration::from_secs(8));
    /// assert_eq!(worker.delay_after(40), Duration::from_secs(60));
    /// ```
    pub fn delay_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1);
        2u32.checked_pow(doublings)
            .and_then(|factor| self.first_backoff.checked_mul(factor))
            .map_or(self.max_backoff, |delay| delay.min(self.max_backoff))
    }

    /// Leases and processes due events until none is due; returns what it did. An error of
    /// the inbox stops it (what was leased and not finished is tried again after the lease).
    pub async fn process_pending(&self) -> Result<Processed, InboxError> {
        let mut processed = Processed::default();
        loop {
            let now_ms = self.clock.now().saturating_mul(1000);
            let leased = self.inbox.lease_stored(now_ms, self.batch).await?;
            if leased.is_empty() {
                return Ok(processed);
            }
            for event in leased {
                self.process(&event, now_ms, &mut processed).await?;
            }
        }
    }

    async fn process(
        &self,
        event: &StoredEvent,
        now_ms: i64,
        processed: &mut Processed,
    ) -> Result<(), InboxError> {
        let key = event.key();
        if event.attempts() > self.max_attempts {
            // Leased again after its last attempt: that run was cut short (a crash).
            let error = event.last_error().unwrap_or("the last attempt did not finish");
            return self.set_aside(event, error, processed).await;
        }
        let push = match event.to_push() {
            Ok(push) => push,
            Err(error) => {
                let error = format!("the stored message cannot be read: {error}");
                return self.set_aside(event, &error, processed).await;
            }
        };
        let started = Instant::now();
        let outcome = tokio::time::timeout(self.budget, self.handler.handle(&push)).await;
        metrics::handler_seconds(started.elapsed().as_secs_f64());
        let error = match outcome {
            Ok(Ok(answer)) => {
                self.inbox.complete(key, &answer).await?;
                processed.handled += 1;
                metrics::processed("handled");
                return Ok(());
            }
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("the handler did not finish within {:?}", self.budget),
        };
        if event.attempts() >= self.max_attempts {
            return self.set_aside(event, &error, processed).await;
        }
        let delay = i64::try_from(self.delay_after(event.attempts()).as_millis()).unwrap_or(i64::MAX);
        self.inbox.retry_stored(key, now_ms.saturating_add(delay), &error).await?;
        processed.retried += 1;
        metrics::processed("retried");
        Ok(())
    }

    async fn set_aside(
        &self,
        event: &StoredEvent,
        error: &str,
        processed: &mut Processed,
    ) -> Result<(), InboxError> {
        self.inbox.mark_needs_attention(event.key(), error).await?;
        processed.needs_attention += 1;
        metrics::processed("needs_attention");
        Ok(())
    }

    /// Processes pending events for ever: at once when the receiver stores one, and every
    /// [`poll_interval`](Self::poll_interval) for those due later. Spawn it; abort the task to
    /// stop it (an event it was running is tried again once its lease lapses). An inbox error
    /// is counted (`midas_push_processed_total{result="inbox_error"}`) and retried at the next
    /// look.
    pub async fn run(self) {
        loop {
            if self.process_pending().await.is_err() {
                metrics::processed("inbox_error");
            }
            // A store while the batch ran left a permit: the wait below then ends at once.
            let _ = tokio::time::timeout(self.poll_interval, self.wake.notified()).await;
        }
    }
}
