//! The connection to the fleet's Redis: one self-reconnecting connection shared by clones, a
//! key prefix, and a timeout that bounds every command.

use std::sync::Arc;
use std::time::Duration;

use midas_core::{Rule, ValidationError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, ScriptInvocation};

use super::error::{FleetError, RedisFailure};
use crate::checks::check_duration;

/// How to reach the fleet's Redis: the prefix of every key (to share one Redis between
/// services or environments) and the timeout of every command.
///
/// ```
/// use std::time::Duration;
/// use midas_api::FleetOptions;
/// let options = FleetOptions::default().with_prefix("game-7:prod")?.with_timeout(Duration::from_millis(300))?;
/// assert_eq!(options.prefix(), "game-7:prod");
/// assert!(FleetOptions::default().with_prefix("two words").is_err());
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug)]
pub struct FleetOptions {
    prefix: String,
    timeout: Duration,
}

impl Default for FleetOptions {
    /// Prefix `midas`, 1 s per command.
    fn default() -> Self {
        Self { prefix: "midas".to_owned(), timeout: Duration::from_secs(1) }
    }
}

impl FleetOptions {
    /// Another key prefix: 1 to 64 visible ASCII characters, no spaces. Refused with a
    /// [`ValidationError`] on `prefix`.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Result<Self, ValidationError> {
        let prefix = prefix.into();
        if prefix.is_empty() || prefix.len() > 64 || !prefix.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(ValidationError::new("prefix", Rule::Range { min: 1, max: 64 }));
        }
        self.prefix = prefix;
        Ok(self)
    }

    /// Another timeout for each command (and each connection attempt), 1 ms to 60 s. Refused
    /// with a [`ValidationError`] on `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, ValidationError> {
        check_duration("timeout", timeout, Duration::from_millis(1), Duration::from_secs(60))?;
        self.timeout = timeout;
        Ok(self)
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The timeout of each command.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// The fleet's Redis: cheap to clone, every clone shares one connection that reconnects on its
/// own after Redis comes back. Every command gives up after the options' timeout.
///
/// Key names hold the prefix, the AppID and the openid; values hold the secrets. The
/// connection is plain TCP (`redis://`); keep the Redis on a private network.
///
/// ```no_run
/// # async fn run() -> Result<(), midas_api::FleetError> {
/// use midas_api::{Fleet, FleetOptions};
/// let fleet = Fleet::connect("redis://127.0.0.1:6379/", FleetOptions::default()).await?;
/// assert!(format!("{fleet:?}").contains("midas"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Fleet {
    connection: ConnectionManager,
    prefix: Arc<str>,
    timeout: Duration,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the URL: it may hold a password.
        f.debug_struct("Fleet")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// Connects to the Redis at `url` (`redis://[:password@]host:port/[db]`). Fails with
    /// [`FleetError::InvalidUrl`], or [`FleetError::Unavailable`] when Redis does not answer
    /// within the options' timeout.
    pub async fn connect(url: &str, options: FleetOptions) -> Result<Self, FleetError> {
        let client = redis::Client::open(url).map_err(|_| FleetError::InvalidUrl)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(options.timeout)
            .set_response_timeout(options.timeout)
            .set_number_of_retries(2)
            .set_max_delay(200);
        let connection =
            tokio::time::timeout(options.timeout, ConnectionManager::new_with_config(client, config))
                .await
                .map_err(|_| FleetError::Unavailable(RedisFailure::Timeout))??;
        Ok(Self { connection, prefix: options.prefix.into(), timeout: options.timeout })
    }

    /// The key `{prefix}:{appid}:{name}`.
    pub(super) fn key(&self, appid: &str, name: &str) -> String {
        format!("{}:{appid}:{name}", self.prefix)
    }

    /// Runs `command`, bounded by the timeout.
    pub(super) async fn run<T: FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, FleetError> {
        let mut connection = self.connection.clone();
        match tokio::time::timeout(self.timeout, command.query_async(&mut connection)).await {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(FleetError::Unavailable(RedisFailure::Timeout)),
        }
    }

    /// Runs a Lua script, bounded by the timeout.
    pub(super) async fn script<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, FleetError> {
        let mut connection = self.connection.clone();
        match tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection)).await {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(FleetError::Unavailable(RedisFailure::Timeout)),
        }
    }
}
