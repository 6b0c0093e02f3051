//! The players' session keys, shared by the fleet: the instance that runs a player's login
//! saves the key, any instance signs with it. A new login replaces the key.

use std::time::Duration;

use midas_core::{Rule, SessionKey, Transport, ValidationError};

use super::error::FleetError;
use super::store::Fleet;
use crate::auth::{Session, Sessions};
use crate::checks::check_duration;
use crate::player::Player;

/// Each player's session key for one app, in Redis under `{prefix}:{appid}:session:{openid}`
/// (the key name holds the openid, the value the session key).
///
/// A player with no stored key is [`FleetError::NotLoggedIn`]: the game must have the player
/// log in again, rather than send a call without the player's signature. When Redis is down,
/// every method fails within the fleet's timeout with [`FleetError::Unavailable`].
///
/// ```no_run
/// # async fn run(js_code: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{AppCredentials, AppSecret, Fleet, FleetOptions, FleetSessions, ReqwestTransport, Sessions};
/// let fleet = Fleet::connect("redis://127.0.0.1:6379/", FleetOptions::default()).await?;
/// let app = AppCredentials::new("wx1234567", AppSecret::new("app-secret")?);
/// let logins = Sessions::new(app, ReqwestTransport::new()?);
/// let keys = FleetSessions::new(fleet, "wx1234567");
/// // On the instance that receives the login code:
/// let session = keys.login(&logins, js_code).await?;
/// // On any instance, later:
/// let player = keys.player(&session.openid).await?;
/// assert!(player.session_key().is_some());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FleetSessions {
    fleet: Fleet,
    appid: String,
    ttl: Duration,
}

impl FleetSessions {
    /// The session keys of `appid`, each kept 30 days after the player's last login.
    pub fn new(fleet: Fleet, appid: impl Into<String>) -> Self {
        Self { fleet, appid: appid.into(), ttl: Duration::from_secs(30 * 24 * 60 * 60) }
    }

    /// How long a key is kept after the login that saved it (default 30 days, 1 s to 365
    /// days). Refused with a [`ValidationError`] on `ttl`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use midas_api::{Fleet, FleetOptions, FleetSessions};
    /// let fleet = Fleet::connect("redis://127.0.0.1:6379/", FleetOptions::default()).await?;
    /// let keys = FleetSessions::new(fleet, "wx1234567").with_ttl(Duration::from_secs(7 * 24 * 3600))?;
    /// # Ok(()) }
    /// ```
    pub fn with_ttl(mut self, ttl: Duration) -> Result<Self, ValidationError> {
        check_duration("ttl", ttl, Duration::from_secs(1), Duration::from_secs(365 * 24 * 60 * 60))?;
        self.ttl = ttl;
        Ok(self)
    }

    fn key(&self, openid: &str) -> Result<String, FleetError> {
        if openid.is_empty() {
            return Err(ValidationError::new("openid", Rule::NotEmpty).into());
        }
        if openid.chars().any(char::is_control) {
            return Err(ValidationError::new("openid", Rule::NoControlChars).into());
        }
        Ok(self.fleet.key(&self.appid, &format!("session:{openid}")))
    }

    /// Saves the session's key for its player, replacing the one of an earlier login.
    pub async fn save(&self, session: &Session) -> Result<(), FleetError> {
        let key = self.key(&session.openid)?;
        let ttl = super::lock::millis(self.ttl);
        self.fleet
            .run::<()>(redis::cmd("SET").arg(key).arg(session.session_key.expose_secret()).arg("PX").arg(ttl))
            .await
    }

    /// Exchanges a `wx.login` code with `code2session` and saves the player's new key.
    pub async fn login<T: Transport>(
        &self,
        sessions: &Sessions<T>,
        js_code: &str,
    ) -> Result<Session, FleetError> {
        let session = sessions.code2session(js_code).await.map_err(FleetError::Login)?;
        self.save(&session).await?;
        Ok(session)
    }

    /// The player's session key, or [`FleetError::NotLoggedIn`].
    pub async fn session_key(&self, openid: &str) -> Result<SessionKey, FleetError> {
        let key = self.key(openid)?;
        let text: Option<String> = self.fleet.run(redis::cmd("GET").arg(key)).await?;
        text.and_then(|text| SessionKey::new(text).ok())
            .ok_or_else(|| FleetError::NotLoggedIn { openid: openid.to_owned() })
    }

    /// The player with its session key, ready to sign; set its zone, platform and IP as usual.
    pub async fn player(&self, openid: &str) -> Result<Player, FleetError> {
        Ok(Player::new(openid).with_session_key(self.session_key(openid).await?))
    }

    /// Forgets the player's key (the player logged out): the next call needs a new login.
    pub async fn forget(&self, openid: &str) -> Result<(), FleetError> {
        let key = self.key(openid)?;
        self.fleet.run::<i64>(redis::cmd("DEL").arg(key)).await.map(drop)
    }
}
