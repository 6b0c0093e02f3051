//! What can go wrong with the fleet's shared state.

use midas_core::ValidationError;

/// Why Redis did not answer; says nothing of the URL, the keys or the values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisFailure {
    /// No answer within the configured timeout.
    Timeout,
    /// The connection was refused, closed or lost.
    Connection,
    /// Redis answered with an error (out of memory, read-only replica, authentication).
    Refused,
    /// Redis answered with a value of an unexpected shape.
    Unexpected,
}

impl std::fmt::Display for RedisFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Timeout => "no answer within the timeout",
            Self::Connection => "connection refused or lost",
            Self::Refused => "Redis answered with an error",
            Self::Unexpected => "Redis answered with an unexpected value",
        })
    }
}

impl From<&redis::RedisError> for RedisFailure {
    fn from(error: &redis::RedisError) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_io_error() || error.is_connection_refusal() || error.is_connection_dropped() {
            Self::Connection
        } else if error.kind() == redis::ErrorKind::TypeError {
            Self::Unexpected
        } else {
            Self::Refused
        }
    }
}

/// A failure of the fleet's shared state.
///
/// ```
/// use midas_api::FleetError;
/// let error = FleetError::NotLoggedIn { openid: "player-1".into() };
/// assert_eq!(error.to_string(), "no session key is known for player `player-1`: the player must log in again");
/// assert!(!error.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The Redis URL could not be read (its text is not repeated: it may hold a password).
    #[error("the Redis URL is not valid")]
    InvalidUrl,
    /// An option is out of range.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Redis could not be reached or did not answer in time.
    #[error("Redis is unavailable: {0}")]
    Unavailable(RedisFailure),
    /// No session key is stored for this player: the player must log in again (`wx.login`,
    /// then [`FleetSessions::login`](crate::FleetSessions::login)).
    #[error("no session key is known for player `{openid}`: the player must log in again")]
    NotLoggedIn {
        /// The player's openid.
        openid: String,
    },
    /// The login itself (`code2session`) failed.
    #[error("login failed: {0}")]
    Login(#[source] midas_core::Error),
}

impl FleetError {
    /// Whether asking again later can help: Redis may come back, a login may succeed on retry.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Login(error) => error.is_retryable(),
            Self::InvalidUrl | Self::Invalid(_) | Self::NotLoggedIn { .. } => false,
        }
    }
}

impl From<redis::RedisError> for FleetError {
    fn from(error: redis::RedisError) -> Self {
        Self::Unavailable(RedisFailure::from(&error))
    }
}

/// A failure of the shared state as the token source reports it: retryable when Redis may come
/// back.
pub(super) fn token_error(error: FleetError) -> midas_core::TokenError {
    let retryable = error.is_retryable();
    midas_core::TokenError::new(None, format!("fleet token store: {error}"), retryable)
}
