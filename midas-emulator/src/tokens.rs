//! Access tokens: the stable token (`/cgi-bin/stable_token`), the classic one
//! (`/cgi-bin/token`), their lifetimes on a clock a test can advance, and the limits of forced
//! refreshes.
//!
//! The two kinds are isolated, as on WeChat: fetching one never invalidates the other.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use midas_core::AccessToken;

use crate::answer::Rejection;
use crate::secret;

/// A forced refresh of the stable token: at most once per 30 s ...
const FORCE_INTERVAL: Duration = Duration::from_secs(30);
/// ... and 20 times a day.
const FORCE_DAILY_CAP: usize = 20;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// In normal mode the stable token is renewed this long before it expires (or at half of a
/// shorter lifetime); the old one stays valid until its own expiry.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// How many token requests were answered with a token, and how many were refused.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// let emulator = midas_emulator::Emulator::start().await?;
/// assert_eq!(emulator.token_requests(), midas_emulator::TokenRequests::default());
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequests {
    /// `POST /cgi-bin/stable_token` calls in normal mode answered with a token.
    pub stable: u64,
    /// `POST /cgi-bin/stable_token` calls with `force_refresh: true` that issued a new token.
    pub forced: u64,
    /// `GET /cgi-bin/token` calls answered with a token.
    pub classic: u64,
    /// Token requests of either kind refused (bad credentials, limits, wrong method).
    pub refused: u64,
}

/// One issued token and when it expires on the token clock.
#[derive(Clone, Debug)]
struct Issued {
    token: AccessToken,
    expires_at: Instant,
}

impl Issued {
    fn valid_at(&self, now: Instant) -> bool {
        now < self.expires_at
    }

    fn remaining(&self, now: Instant) -> Duration {
        self.expires_at.saturating_duration_since(now)
    }
}

/// Why a token in a request is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    /// Never issued, replaced, or missing: 40001.
    Invalid,
    /// Issued and not replaced, but past its lifetime: 42001.
    Expired,
}

impl TokenProblem {
    pub(crate) fn rejection(self) -> Rejection {
        match self {
            Self::Invalid => {
                Rejection::new(40001, "invalid credential, access_token is invalid or not latest")
            }
            Self::Expired => Rejection::new(42001, "access_token expired"),
        }
    }
}

/// The tokens of the app.
#[derive(Debug)]
pub(crate) struct Tokens {
    /// Issued tokens are `{prefix}_{n}` (stable) and `{prefix}_C{n}` (classic).
    prefix: String,
    lifetime: Duration,
    classic_overlap: Duration,
    /// Added to the real clock: [`crate::Emulator::advance_clock`].
    offset: Duration,
    issued: u64,
    stable: Issued,
    /// The stable token renewed in normal mode, valid until its own expiry.
    stable_renewed: Option<Issued>,
    classic: Option<Issued>,
    /// The classic token replaced by the last fetch, valid for `classic_overlap` more.
    classic_replaced: Option<Issued>,
    forced: VecDeque<Instant>,
    pub(crate) requests: TokenRequests,
}

impl Tokens {
    /// Starts with `initial` as the stable token, issued now.
    pub(crate) fn new(initial: AccessToken, lifetime: Duration, classic_overlap: Duration) -> Self {
        let prefix = initial.expose_secret().to_owned();
        let stable = Issued { token: initial, expires_at: Instant::now() + lifetime };
        Self {
            prefix,
            lifetime,
            classic_overlap,
            offset: Duration::ZERO,
            issued: 1,
            stable,
            stable_renewed: None,
            classic: None,
            classic_replaced: None,
            forced: VecDeque::new(),
            requests: TokenRequests::default(),
        }
    }

    /// The token clock: the real one plus the advanced offset.
    pub(crate) fn now(&self) -> Instant {
        Instant::now() + self.offset
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.offset = self.offset.saturating_add(by);
    }

    pub(crate) fn lifetime(&self) -> Duration {
        self.lifetime
    }

    fn issue(&mut self, classic: bool) -> Issued {
        self.issued += 1;
        let kind = if classic { "C" } else { "" };
        let text = format!("{}_{kind}{}", self.prefix, self.issued);
        // The prefix is a non-empty token: the text is never empty.
        let token = AccessToken::new(text).unwrap_or_else(|_| self.stable.token.clone());
        Issued { token, expires_at: self.now() + self.lifetime }
    }

    /// The stable token in normal mode: the current one while it has more than the renewal
    /// margin left, else a new one (the current one stays valid until it expires).
    pub(crate) fn stable(&mut self) -> (AccessToken, Duration) {
        let now = self.now();
        let renew_before = RENEW_BEFORE.min(self.lifetime / 2);
        if self.stable.remaining(now) <= renew_before {
            let fresh = self.issue(false);
            let previous = core::mem::replace(&mut self.stable, fresh);
            self.stable_renewed = previous.valid_at(now).then_some(previous);
        }
        (self.stable.token.clone(), self.stable.remaining(now))
    }

    /// A forced refresh within the limits: a new stable token, the previous ones invalid at
    /// once. 45011 within 30 s of the last one, 45009 past 20 in 24 hours.
    pub(crate) fn force_stable(&mut self) -> Result<(AccessToken, Duration), Rejection> {
        let now = self.now();
        while self.forced.front().is_some_and(|at| now.duration_since(*at) >= DAY) {
            self.forced.pop_front();
        }
        if self.forced.back().is_some_and(|last| now.duration_since(*last) < FORCE_INTERVAL) {
            return Err(Rejection::new(45011, "api minute-quota reach limit: force_refresh once per 30 s"));
        }
        if self.forced.len() >= FORCE_DAILY_CAP {
            return Err(Rejection::new(45009, "reach max api daily quota limit: force_refresh 20 a day"));
        }
        self.forced.push_back(now);
        Ok(self.replace_stable())
    }

    /// A new stable token, the previous ones invalid at once, without the limits.
    pub(crate) fn replace_stable(&mut self) -> (AccessToken, Duration) {
        self.stable = self.issue(false);
        self.stable_renewed = None;
        (self.stable.token.clone(), self.lifetime)
    }

    /// The current stable token, renewed first if it expired (not counted as a request).
    pub(crate) fn current(&mut self) -> AccessToken {
        if !self.stable.valid_at(self.now()) {
            self.replace_stable();
        }
        self.stable.token.clone()
    }

    /// A new classic token; the previous one stays valid for the overlap only.
    pub(crate) fn classic(&mut self) -> (AccessToken, Duration) {
        let fresh = self.issue(true);
        let token = fresh.token.clone();
        let now = self.now();
        let overlap_end = now + self.classic_overlap;
        self.classic_replaced = self.classic.replace(fresh).map(|mut previous| {
            previous.expires_at = previous.expires_at.min(overlap_end);
            previous
        });
        (token, self.lifetime)
    }

    /// Whether `token` (from a request's query) is accepted now; compared in constant time.
    pub(crate) fn check(&self, token: Option<&str>) -> Result<(), TokenProblem> {
        let now = self.now();
        let token = token.ok_or(TokenProblem::Invalid)?;
        let is = |issued: &Issued| secret::matches(issued.token.expose_secret(), token);
        let known = [Some(&self.stable), self.stable_renewed.as_ref(), self.classic.as_ref()];
        match known.into_iter().flatten().find(|issued| is(issued)) {
            Some(issued) if issued.valid_at(now) => Ok(()),
            Some(_) => Err(TokenProblem::Expired),
            None => match &self.classic_replaced {
                Some(replaced) if is(replaced) && replaced.valid_at(now) => Ok(()),
                _ => Err(TokenProblem::Invalid),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(overlap: Duration) -> Tokens {
        let initial = AccessToken::new("T").unwrap_or_else(|error| panic!("{error}"));
        Tokens::new(initial, Duration::from_secs(7200), overlap)
    }

    #[test]
    fn a_token_expires_with_the_clock_and_normal_mode_renews_it() {
        let mut tokens = tokens(Duration::ZERO);
        let (first, expires_in) = tokens.stable();
        assert_eq!(first.expose_secret(), "T");
        assert!(expires_in > Duration::from_secs(7190));
        tokens.advance(Duration::from_secs(7000));
        // Within the last 5 minutes: a new token, the old one still valid until it expires.
        let (second, expires_in) = tokens.stable();
        assert_ne!(second, first);
        assert!(expires_in > Duration::from_secs(7190));
        assert_eq!(tokens.check(Some("T")), Ok(()));
        tokens.advance(Duration::from_secs(201));
        assert_eq!(tokens.check(Some("T")), Err(TokenProblem::Expired));
        assert_eq!(tokens.check(Some(second.expose_secret())), Ok(()));
        assert_eq!(tokens.check(Some("nope")), Err(TokenProblem::Invalid));
        assert_eq!(tokens.check(None), Err(TokenProblem::Invalid));
    }

    #[test]
    fn forced_refreshes_invalidate_at_once_and_keep_to_the_limits() {
        let mut tokens = tokens(Duration::ZERO);
        let (first, _) = tokens.stable();
        let (second, _) = tokens.force_stable().unwrap_or_else(|error| panic!("{error:?}"));
        assert_eq!(tokens.check(Some(first.expose_secret())), Err(TokenProblem::Invalid));
        assert_eq!(tokens.check(Some(second.expose_secret())), Ok(()));
        assert_eq!(tokens.force_stable().map_err(|r| r.errcode), Err(45011));
        for _ in 1..20 {
            tokens.advance(FORCE_INTERVAL);
            assert!(tokens.force_stable().is_ok());
        }
        tokens.advance(FORCE_INTERVAL);
        assert_eq!(tokens.force_stable().map_err(|r| r.errcode), Err(45009));
        tokens.advance(DAY);
        assert!(tokens.force_stable().is_ok());
    }

    #[test]
    fn a_classic_fetch_invalidates_the_previous_classic_token_after_the_overlap() {
        let mut tokens = tokens(Duration::from_secs(300));
        let (first, _) = tokens.classic();
        let (second, _) = tokens.classic();
        assert_eq!(tokens.check(Some(first.expose_secret())), Ok(()));
        tokens.advance(Duration::from_secs(300));
        assert_eq!(tokens.check(Some(first.expose_secret())), Err(TokenProblem::Invalid));
        assert_eq!(tokens.check(Some(second.expose_secret())), Ok(()));
        // Classic fetches leave the stable token alone.
        assert_eq!(tokens.check(Some("T")), Ok(()));
    }
}
