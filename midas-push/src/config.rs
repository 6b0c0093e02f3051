//! The receiver's configuration: secrets, AppID, mode and the safety options, built once.

use core::time::Duration;

use midas_core::{AppKey, Env};

use crate::error::ConfigError;
use crate::format::Mode;
use crate::secret::{EncodingAesKey, Token};

/// What to do with an event this crate does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum UnknownEvents {
    /// Hand it to the handler as [`Event::Unknown`](crate::Event::Unknown), raw message kept,
    /// and answer success (the documented behaviour: never drop an event).
    #[default]
    Accept,
    /// Refuse it with [`PushError::UnknownEvent`](crate::PushError::UnknownEvent).
    Refuse,
}

/// Which xpay replies are encrypted when the push came encrypted. Mini-game replies are
/// always plaintext, as documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ReplyEncryption {
    /// Every reply is plaintext.
    Never,
    /// Only replies that carry more than a status (the iOS refund decision) are encrypted;
    /// the `ErrCode` replies stay plaintext. WeChat does not say whether those must be
    /// encrypted; the mini-game documentation says they need not be.
    #[default]
    DecisionsOnly,
    /// Every xpay reply is encrypted.
    Always,
}

/// The configuration of one push URL.
///
/// ```
/// use midas_push::{Mode, PushConfig};
/// let config = PushConfig::builder()
///     .token("AAAAA")
///     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
///     .app_id("wxba5fad812f8e6fb9")
///     .mode(Mode::Safe)
///     .app_key_production("production-app-key")
///     .build()?;
/// assert_eq!(config.mode(), Mode::Safe);
/// assert!(!format!("{config:?}").contains("production-app-key"));
/// # Ok::<(), midas_push::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PushConfig {
    token: Token,
    aes_key: Option<EncodingAesKey>,
    app_id: String,
    mode: Mode,
    production_key: Option<AppKey>,
    sandbox_key: Option<AppKey>,
    max_body: usize,
    freshness: Option<Duration>,
    replay_capacity: Option<usize>,
    unknown_events: UnknownEvents,
    reply_encryption: ReplyEncryption,
}

impl PushConfig {
    /// The default body cap: 64 KiB, far above any documented push.
    pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
    /// The default freshness window: a `timestamp` more than 5 minutes away is refused.
    pub const DEFAULT_FRESHNESS: Duration = Duration::from_secs(300);
    /// The default number of `(timestamp, nonce)` pairs remembered against replays.
    pub const DEFAULT_REPLAY_CAPACITY: usize = 65_536;

    /// Starts a builder.
    pub fn builder() -> PushConfigBuilder {
        PushConfigBuilder::default()
    }

    /// The Token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The EncodingAESKey, if one is configured.
    pub fn encoding_aes_key(&self) -> Option<&EncodingAesKey> {
        self.aes_key.as_ref()
    }

    /// The AppID the decrypted messages must end with.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The encryption mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// This configuration for another AppID: what a test sender seals with to check that a
    /// receiver refuses the messages of another app.
    ///
    /// ```
    /// use midas_push::PushConfig;
    /// let config = PushConfig::builder()
    ///     .token("AAAAA")
    ///     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    ///     .app_id("wxba5fad812f8e6fb9")
    ///     .build()?;
    /// assert_eq!(config.for_app_id("wx0000000000000000").app_id(), "wx0000000000000000");
    /// # Ok::<(), midas_push::ConfigError>(())
    /// ```
    #[must_use]
    pub fn for_app_id(&self, app_id: impl Into<String>) -> Self {
        Self { app_id: app_id.into(), ..self.clone() }
    }

    /// The virtual-payment 2.0 AppKey of `env`, if configured.
    pub fn app_key(&self, env: Env) -> Option<&AppKey> {
        env.pick(self.production_key.as_ref(), self.sandbox_key.as_ref())
    }

    /// The body cap in bytes.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// The freshness window of `timestamp`, or `None` when the check is off.
    pub fn freshness(&self) -> Option<Duration> {
        self.freshness
    }

    /// How many `(timestamp, nonce)` pairs are remembered, or `None` when replays are not checked.
    pub fn replay_capacity(&self) -> Option<usize> {
        self.replay_capacity
    }

    /// What happens to unknown events.
    pub fn unknown_events(&self) -> UnknownEvents {
        self.unknown_events
    }

    /// Which xpay replies are encrypted.
    pub fn reply_encryption(&self) -> ReplyEncryption {
        self.reply_encryption
    }
}

/// Builds a [`PushConfig`]; each setter checks its value, [`build`](Self::build) reports the
/// first refusal. Its `Debug` shows no secret.
///
/// ```
/// use midas_push::{ConfigError, PushConfig};
/// let err = PushConfig::builder().token("AAAAA").encoding_aes_key("short").app_id("wx1").build();
/// assert_eq!(err.unwrap_err(), ConfigError::EncodingAesKey);
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct PushConfigBuilder {
    token: Option<Result<Token, ConfigError>>,
    aes_key: Option<Result<EncodingAesKey, ConfigError>>,
    app_id: Option<String>,
    mode: Option<Mode>,
    production_key: Option<Result<AppKey, ConfigError>>,
    sandbox_key: Option<Result<AppKey, ConfigError>>,
    max_body: Option<usize>,
    freshness: Option<Option<Duration>>,
    replay_capacity: Option<Option<usize>>,
    unknown_events: UnknownEvents,
    reply_encryption: ReplyEncryption,
}

impl PushConfigBuilder {
    /// The Token (required): 3 to 32 ASCII letters or digits.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Token::new(token));
        self
    }

    /// The EncodingAESKey (required in compatible and safe mode): 43 base64 characters.
    pub fn encoding_aes_key(mut self, key: impl Into<String>) -> Self {
        self.aes_key = Some(EncodingAesKey::new(key));
        self
    }

    /// The AppID (required).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The mode; without one, safe when an EncodingAESKey is given and plaintext otherwise.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The virtual-payment 2.0 AppKey of the production environment (`Env` 0).
    pub fn app_key_production(mut self, key: impl Into<String>) -> Self {
        self.production_key = Some(AppKey::new(key).map_err(ConfigError::from));
        self
    }

    /// The virtual-payment 2.0 AppKey of the sandbox environment (`Env` 1).
    pub fn app_key_sandbox(mut self, key: impl Into<String>) -> Self {
        self.sandbox_key = Some(AppKey::new(key).map_err(ConfigError::from));
        self
    }

    /// The body cap in bytes (default [`PushConfig::DEFAULT_MAX_BODY`]).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// The freshness window (default [`PushConfig::DEFAULT_FRESHNESS`]); `None` turns the check off.
    pub fn freshness(mut self, window: Option<Duration>) -> Self {
        self.freshness = Some(window);
        self
    }

    /// How many `(timestamp, nonce)` pairs to remember (default
    /// [`PushConfig::DEFAULT_REPLAY_CAPACITY`]); `None` turns the replay check off.
    pub fn replay_capacity(mut self, capacity: Option<usize>) -> Self {
        self.replay_capacity = Some(capacity);
        self
    }

    /// What happens to unknown events (default [`UnknownEvents::Accept`]).
    pub fn unknown_events(mut self, policy: UnknownEvents) -> Self {
        self.unknown_events = policy;
        self
    }

    /// Which xpay replies are encrypted (default [`ReplyEncryption::DecisionsOnly`]).
    pub fn reply_encryption(mut self, policy: ReplyEncryption) -> Self {
        self.reply_encryption = policy;
        self
    }

    /// Checks every value and builds the configuration.
    pub fn build(self) -> Result<PushConfig, ConfigError> {
        let token = self.token.ok_or(ConfigError::Missing("token"))??;
        let aes_key = self.aes_key.transpose()?;
        let app_id = self.app_id.ok_or(ConfigError::Missing("app_id"))?;
        if app_id.is_empty() || app_id.len() > 64 || !app_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::AppId);
        }
        let mode = self.mode.unwrap_or(if aes_key.is_some() { Mode::Safe } else { Mode::Plaintext });
        if mode != Mode::Plaintext && aes_key.is_none() {
            return Err(ConfigError::MissingAesKey(mode));
        }
        Ok(PushConfig {
            token,
            aes_key,
            app_id,
            mode,
            production_key: self.production_key.transpose()?,
            sandbox_key: self.sandbox_key.transpose()?,
            max_body: self.max_body.unwrap_or(PushConfig::DEFAULT_MAX_BODY),
            freshness: self.freshness.unwrap_or(Some(PushConfig::DEFAULT_FRESHNESS)),
            replay_capacity: self.replay_capacity.unwrap_or(Some(PushConfig::DEFAULT_REPLAY_CAPACITY)),
            unknown_events: self.unknown_events,
            reply_encryption: self.reply_encryption,
        })
    }
}
