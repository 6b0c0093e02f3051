//! When and how the client sends a call again. One place decides; [`RetryPolicy`] configures.
//!
//! Every attempt of one call keeps the request, and so its `bill_no`; only `ts` is stamped
//! anew and the request re-signed.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use midas_core::{ApiErrorKind, Error, Rule, ValidationError};

use crate::checks::check_duration;

/// Attempts, backoff with jitter, and an overall deadline.
///
/// ```
/// use std::time::Duration;
/// use midas_api::{AppKey, Config, Env, RetryPolicy};
/// let policy = RetryPolicy::default().with_max_attempts(6).with_deadline(Duration::from_secs(20));
/// assert_eq!(policy.max_attempts(), 6);
/// assert_eq!(RetryPolicy::never().max_attempts(), 1);
/// // The configuration checks the policy: 1 to 20 attempts.
/// let too_many = Config::builder("wx1234567", "12345678", Env::Sandbox)
///     .sandbox_key(AppKey::new("sandbox-key")?)
///     .retry(RetryPolicy::default().with_max_attempts(50))
///     .build();
/// assert_eq!(too_many.expect_err("50 attempts").field(), "retry.max_attempts");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    deadline: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, backoff from 100 ms doubling up to 2 s (each slept between half and all of
    /// it), 15 s for the whole call.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            deadline: Duration::from_secs(15),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn never() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Sets the number of attempts (1 to 20), the first included.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the first backoff and its cap (each 0 to 60 s).
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets the deadline of the whole call, attempts and backoff included (1 ms to 10 min).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The number of attempts.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The deadline of the whole call.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        if !(1..=20).contains(&self.max_attempts) {
            return Err(ValidationError::new("retry.max_attempts", Rule::Range { min: 1, max: 20 }));
        }
        check_duration(
            "retry.initial_backoff",
            self.initial_backoff,
            Duration::ZERO,
            Duration::from_secs(60),
        )?;
        check_duration("retry.max_backoff", self.max_backoff, self.initial_backoff, Duration::from_secs(60))?;
        check_duration("retry.deadline", self.deadline, Duration::from_millis(1), Duration::from_secs(600))
    }

    /// The pause before attempt `attempt + 1` (`attempt` counts from 1): exponential, capped,
    /// with "equal jitter" (half fixed, half random) so clients do not retry in step.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self.initial_backoff.saturating_mul(1_u32 << attempt.saturating_sub(1).min(16));
        let capped = exponential.min(self.max_backoff);
        let half = capped / 2;
        let random = RandomState::new().hash_one(attempt);
        let span = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).saturating_add(1);
        half + Duration::from_nanos(random % span)
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send again after the backoff.
    Retry,
    /// Ask the token source for a fresh token, then send again at once.
    RefreshToken,
    /// Give up with this error.
    Stop,
}

/// Decides on `error`. `token_refreshed`: a fresh token was already fetched in this call.
pub(crate) fn decide(error: &Error, token_refreshed: bool) -> Decision {
    match error {
        Error::Api(api) if api.kind() == ApiErrorKind::TokenInvalid => {
            if token_refreshed {
                Decision::Stop
            } else {
                Decision::RefreshToken
            }
        }
        Error::Api(api) if matches!(api.kind(), ApiErrorKind::Busy | ApiErrorKind::OrderInProgress) => {
            Decision::Retry
        }
        Error::Transport(transport) if transport.is_retryable() => Decision::Retry,
        Error::Decode(decode) if !decode.succeeded() => Decision::Retry,
        _ => Decision::Stop,
    }
}

/// Whether `error` says this same operation already succeeded (so, after an attempt that may
/// have been applied, possibly by us). xpay's 268490005 "the pay was already refunded" is not
/// one: any refund order may have caused it.
pub(crate) fn means_already_done(error: &Error) -> bool {
    matches!(error, Error::Api(api) if matches!(api.kind(), ApiErrorKind::OrderExists | ApiErrorKind::AlreadyRolledBack))
}
