//! Opening a push: every check, in an order that trusts nothing before it is verified.
//!
//! 1. The body cap, before anything is parsed.
//! 2. The mode: an encrypted push where plaintext is configured, or a plain push in safe
//!    mode, is refused (no downgrade).
//! 3. The signatures, in constant time: `msg_signature` over `Encrypt` for an encrypted push
//!    (and `signature` too when present), `signature` alone for a plain one.
//! 4. The freshness of `timestamp`.
//! 5. Decryption: 32-byte PKCS#7, `msg_len` bounds, the trailing AppID.
//! 6. For a mini-game event: `Env` read from the payload text, the AppKey of that
//!    environment, `PayEventSig` over the exact payload; only then its fields are read.
//! 7. The typed event, and the unknown-event policy.
//! 8. The replay memory: the pair is recorded only once everything above passed.

use std::sync::Arc;

use crate::body;
use crate::cipher::{DecryptKey, OpenError};
use crate::clock::{Clock, SystemClock};
use crate::config::{PushConfig, UnknownEvents};
use crate::decode::{self, Received};
use crate::error::{Malformed, PushError, SignatureKind};
use crate::event::Event;
use crate::format::{Format, Mode};
use crate::push::Push;
use crate::query::{PushQuery, QueryParts};
use crate::replay::ReplayGuard;
use crate::sign;

/// Verifies and opens pushes of one configuration, remembering recent nonces.
///
/// Share one `Opener` (it is `Send + Sync`) between all requests of a URL, so that its
/// replay memory sees them all.
///
/// ```
/// use midas_push::{ManualClock, Opener, PushConfig, PushQuery};
/// let config = PushConfig::builder().token("AAAAA").app_id("wxba5fad812f8e6fb9").build()?;
/// let opener = Opener::new(config).with_clock(ManualClock::new(1714036504));
/// let query = PushQuery::parse(
///     "signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249",
/// )?;
/// assert_eq!(opener.echo(&query)?, "4375120948345356249");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Opener {
    config: Arc<PushConfig>,
    /// The key schedule of the EncodingAESKey, derived once (none in plaintext mode without
    /// a key).
    key: Option<DecryptKey>,
    clock: Arc<dyn Clock>,
    replay: Option<ReplayGuard>,
}

impl core::fmt::Debug for Opener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Opener").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Opener {
    /// An opener of `config`, on the system clock.
    pub fn new(config: PushConfig) -> Self {
        let replay = config.replay_capacity().map(ReplayGuard::new);
        let key = config.encoding_aes_key().map(DecryptKey::new);
        Self { config: Arc::new(config), key, clock: Arc::new(SystemClock), replay }
    }

    /// Uses `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &PushConfig {
        &self.config
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// The clock, shared (a receiver's workers tell time by it).
    pub(crate) fn shared_clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// Checks the activation GET and returns its `echostr`, to be answered verbatim as
    /// `text/plain`. Only `signature` is checked (the GET has no body).
    pub fn echo(&self, query: &PushQuery) -> Result<String, PushError> {
        let (timestamp, nonce) = timestamp_nonce(query.timestamp(), query.nonce())?;
        let signature = query.signature().ok_or(PushError::MissingParameter("signature"))?;
        let echostr = query.echostr().ok_or(PushError::MissingParameter("echostr"))?;
        let expected = sign::signature_digest(self.config.token(), timestamp, nonce);
        if !sign::hex_matches(signature, &expected) {
            return Err(PushError::BadSignature(SignatureKind::Signature));
        }
        Ok(echostr.to_owned())
    }

    /// Parses the raw query string, then [`open`](Self::open)s.
    pub fn open_raw(&self, query: &str, body: &[u8]) -> Result<Push, PushError> {
        if body.len() > self.config.max_body() {
            return Err(PushError::BodyTooLarge { limit: self.config.max_body() });
        }
        self.open_parts(&QueryParts::parse(query)?, body)
    }

    /// Verifies, decrypts and decodes a POSTed push.
    pub fn open(&self, query: &PushQuery, body: &[u8]) -> Result<Push, PushError> {
        self.open_parts(&QueryParts::of(query), body)
    }

    fn open_parts(&self, query: &QueryParts<'_>, body: &[u8]) -> Result<Push, PushError> {
        let config = &*self.config;
        if body.len() > config.max_body() {
            return Err(PushError::BodyTooLarge { limit: config.max_body() });
        }
        let (timestamp_text, nonce) = timestamp_nonce(query.timestamp(), query.nonce())?;
        let timestamp: i64 = timestamp_text.parse().map_err(|_| PushError::BadParameter("timestamp"))?;
        let encrypted = query.is_encrypted();
        match (config.mode(), encrypted) {
            (Mode::Plaintext, true) => {
                return Err(PushError::ModeMismatch { configured: Mode::Plaintext, got: Mode::Safe });
            }
            (Mode::Safe, false) => {
                return Err(PushError::ModeMismatch { configured: Mode::Safe, got: Mode::Plaintext });
            }
            _ => {}
        }
        let token = config.token();
        let check_signature = || {
            let signature = query.signature().ok_or(PushError::MissingParameter("signature"))?;
            if sign::hex_matches(signature, &sign::signature_digest(token, timestamp_text, nonce)) {
                Ok(())
            } else {
                Err(PushError::BadSignature(SignatureKind::Signature))
            }
        };
        let (format, message) = if encrypted {
            if query.encrypt_type().is_some_and(|kind| kind != "aes") {
                return Err(PushError::BadParameter("encrypt_type"));
            }
            let msg_signature = query.msg_signature().ok_or(PushError::MissingParameter("msg_signature"))?;
            let (format, encrypt) = body::encrypt(body)?;
            let expected = sign::msg_signature_digest(token, timestamp_text, nonce, &encrypt);
            if !sign::hex_matches(msg_signature, &expected) {
                return Err(PushError::BadSignature(SignatureKind::MsgSignature));
            }
            if query.signature().is_some() {
                check_signature()?;
            }
            self.check_fresh(timestamp)?;
            // The mode check above guarantees a key in compatible and safe mode.
            let key = self
                .key
                .as_ref()
                .ok_or(PushError::ModeMismatch { configured: Mode::Plaintext, got: Mode::Safe })?;
            let decrypted = key.decrypt(&encrypt, config.app_id()).map_err(|err| match err {
                OpenError::Decrypt(err) => PushError::Decrypt(err),
                OpenError::AppIdMismatch => PushError::AppIdMismatch,
            })?;
            (format, decrypted.message)
        } else {
            check_signature()?;
            self.check_fresh(timestamp)?;
            let message = core::str::from_utf8(body).map_err(|_| Malformed::Format)?;
            let format = Format::sniff(body).ok_or(Malformed::Format)?;
            (format, message.to_owned())
        };
        let push = self.decode(format, encrypted, message, timestamp, nonce)?;
        if let Some(replay) = &self.replay {
            let oldest =
                config.freshness().map(|window| self.clock.now().saturating_sub(window_secs(window)));
            replay.admit(timestamp, nonce, oldest)?;
        }
        Ok(push)
    }

    /// Forgets the `(timestamp, nonce)` of a push that was not handled, so that an identical
    /// re-push is accepted. The [`Receiver`](crate::Receiver) calls it on every failure.
    pub fn forget(&self, push: &Push) {
        if let Some(replay) = &self.replay {
            replay.forget(push.timestamp, &push.nonce);
        }
    }

    fn check_fresh(&self, timestamp: i64) -> Result<(), PushError> {
        let Some(window) = self.config.freshness() else { return Ok(()) };
        let now = self.clock.now();
        if now.abs_diff(timestamp) > window.as_secs() {
            return Err(PushError::Stale { timestamp, now });
        }
        Ok(())
    }

    fn decode(
        &self,
        format: Format,
        encrypted: bool,
        message: String,
        timestamp: i64,
        nonce: &str,
    ) -> Result<Push, PushError> {
        let received = Received { format, encrypted, timestamp, nonce: nonce.to_owned() };
        let push = decode::decode(received, message, Some(&self.config))?;
        if let Event::Unknown { event, msg_type } = push.event() {
            if self.config.unknown_events() == UnknownEvents::Refuse {
                // `msg_type` is the message's top-level `MsgType`.
                let name = event.as_deref().or(msg_type.as_deref());
                return Err(PushError::UnknownEvent(name.unwrap_or_default().to_owned()));
            }
        }
        Ok(push)
    }
}

/// The longest `nonce` accepted, in bytes.
const MAX_NONCE: usize = 64;

fn timestamp_nonce<'q>(
    timestamp: Option<&'q str>,
    nonce: Option<&'q str>,
) -> Result<(&'q str, &'q str), PushError> {
    let timestamp = timestamp.ok_or(PushError::MissingParameter("timestamp"))?;
    let nonce = nonce.ok_or(PushError::MissingParameter("nonce"))?;
    // WeChat's nonces are about ten digits; a long one would only grow the replay memory.
    if nonce.len() > MAX_NONCE {
        return Err(PushError::BadParameter("nonce"));
    }
    Ok((timestamp, nonce))
}

fn window_secs(window: core::time::Duration) -> i64 {
    i64::try_from(window.as_secs()).unwrap_or(i64::MAX)
}
