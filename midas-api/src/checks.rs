//! The checks the configuration types share (the client's `Config`, the token sources'
//! `AppCredentials`, the `RetryPolicy`): a base URL, a timeout, a duration in range.

use std::time::Duration;

use midas_core::{Rule, ValidationError};

/// `url` without a trailing `/` when it is an http(s) URL with a host and nothing that would be
/// printed where it must not be: no `user:password@`, no query, no fragment, no control
/// characters (the base URL shows in `Debug` and in logs).
pub(crate) fn checked_base_url(url: &str) -> Result<String, ValidationError> {
    let invalid = || ValidationError::new("base_url", Rule::Url);
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or_else(invalid)?;
    let rest = rest.trim_end_matches('/');
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty()
        || authority.contains('@')
        || rest.contains(['?', '#', ' '])
        || url.chars().any(char::is_control)
    {
        return Err(invalid());
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// A per-request timeout: 1 ms to 5 min.
pub(crate) fn check_timeout(timeout: Duration) -> Result<(), ValidationError> {
    check_duration("timeout", timeout, Duration::from_millis(1), Duration::from_secs(300))
}

pub(crate) fn check_duration(
    field: &'static str,
    value: Duration,
    min: Duration,
    max: Duration,
) -> Result<(), ValidationError> {
    if value < min || value > max {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        return Err(ValidationError::new(field, Rule::Duration { min_ms: ms(min), max_ms: ms(max) }));
    }
    Ok(())
}
