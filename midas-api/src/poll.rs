//! Asking again until data that is being generated is ready: xpay `download_bill` answers
//! 268490011 ([`ApiErrorKind::StillGenerating`]) until its file exists.

use std::time::Duration;

use midas_core::{ApiErrorKind, Error, MidasRequest, Rule, Transport, ValidationError};

use crate::checks::check_duration;
use crate::client::Client;
use crate::player::Player;
use crate::token::TokenSource;

/// How often and how long [`Client::poll_until_ready`] asks again: at most `max_polls` calls,
/// waiting `initial_backoff` after the first answer "still generating", doubling up to
/// `max_backoff`.
///
/// ```
/// use std::time::Duration;
/// use midas_api::PollPolicy;
/// let policy = PollPolicy::default().with_max_polls(30).with_backoff(Duration::from_secs(1), Duration::from_secs(20));
/// assert_eq!(policy.max_polls(), 30);
/// assert_eq!(policy.wait_before(2), Duration::from_secs(2));
/// assert_eq!(policy.wait_before(9), Duration::from_secs(20), "capped");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    max_polls: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for PollPolicy {
    /// 20 calls, 2 s doubling up to 30 s between them (about eight minutes in all).
    fn default() -> Self {
        Self { max_polls: 20, initial_backoff: Duration::from_secs(2), max_backoff: Duration::from_secs(30) }
    }
}

impl PollPolicy {
    /// At most `max_polls` calls (1 to 1000).
    #[must_use]
    pub fn with_max_polls(mut self, max_polls: u32) -> Self {
        self.max_polls = max_polls;
        self
    }

    /// Wait `initial` after the first "still generating", doubling up to `max` (each at most
    /// ten minutes).
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// The most calls made.
    pub fn max_polls(&self) -> u32 {
        self.max_polls
    }

    /// The wait before call `poll` (the second call is poll 1).
    pub fn wait_before(&self, poll: u32) -> Duration {
        let doublings = poll.saturating_sub(1).min(16);
        self.initial_backoff.saturating_mul(1_u32 << doublings).min(self.max_backoff)
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if !(1..=1000).contains(&self.max_polls) {
            return Err(ValidationError::new("poll.max_polls", Rule::Range { min: 1, max: 1000 }));
        }
        let ten_minutes = Duration::from_secs(600);
        check_duration("poll.initial_backoff", self.initial_backoff, Duration::ZERO, ten_minutes)?;
        check_duration("poll.max_backoff", self.max_backoff, self.initial_backoff, ten_minutes)
    }
}

impl<T: Transport, K: TokenSource> Client<T, K> {
    /// [`Self::call`] until the answer is not 268490011 ("still generating"), waiting as
    /// `policy` says between calls. After `policy.max_polls()` calls it gives up with the last
    /// answer: an [`Error::Api`] of kind [`ApiErrorKind::StillGenerating`]. Any other error
    /// ends it at once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use midas_api::{Client, Env, Player, PollPolicy, StaticToken, xpay};
    /// let emulator = midas_emulator::Emulator::start().await?;
    /// # let config = midas_api::Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
    /// #     .base_url(emulator.base_url())
    /// #     .payment_sandbox_key(emulator.payment_sandbox_key().clone())
    /// #     .build()?;
    /// let client = Client::new(config, StaticToken::new(emulator.access_token()))?;
    /// let day = xpay::BillDate::parse("20230801")?;
    /// let quick = PollPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO);
    /// let bill = client.poll_until_ready(&Player::new("merchant"), &xpay::DownloadBill::new(day, day)?, &quick).await?;
    /// assert!(bill.url.starts_with(emulator.base_url()));
    /// # Ok(()) }
    /// ```
    pub async fn poll_until_ready<R: MidasRequest + Sync>(
        &self,
        player: &Player,
        request: &R,
        policy: &PollPolicy,
    ) -> Result<R::Response, Error> {
        policy.validate()?;
        let mut poll = 0;
        loop {
            match self.call(player, request).await {
                Err(Error::Api(error))
                    if error.kind() == ApiErrorKind::StillGenerating && poll + 1 < policy.max_polls =>
                {
                    poll += 1;
                    tracing::debug!(api = R::API, poll, "still generating; asking again");
                    tokio::time::sleep(policy.wait_before(poll)).await;
                }
                other => return other,
            }
        }
    }
}
