//! The player a call is about.

use midas_core::SessionKey;

/// The player side of the envelope: `openid`, `zone_id` (default `"1"`), `pf` (default
/// `"android"`), the optional `user_ip`, and the `session_key` that signs `mp_sig`.
///
/// ```
/// use midas_api::{Player, SessionKey};
/// let player = Player::new("odkx20ENSNa2w5y3g_qOkOvBNM1g")
///     .with_session_key(SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==")?)
///     .with_zone_id("2_role7");
/// assert_eq!(player.zone_id(), "2_role7");
/// assert_eq!(player.pf(), "android");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Player {
    openid: String,
    session_key: Option<SessionKey>,
    zone_id: String,
    pf: String,
    user_ip: Option<String>,
}

impl Player {
    /// A player by openid, zone `"1"`, platform `"android"`, no session key, no IP.
    pub fn new(openid: impl Into<String>) -> Self {
        Self {
            openid: openid.into(),
            session_key: None,
            zone_id: "1".into(),
            pf: "android".into(),
            user_ip: None,
        }
    }

    /// Sets the session key: `mp_sig` is then computed and sent.
    #[must_use]
    pub fn with_session_key(mut self, session_key: SessionKey) -> Self {
        self.session_key = Some(session_key);
        self
    }

    /// Sets the zone (`"<zone>"` or `"<zone>_<role>"`).
    #[must_use]
    pub fn with_zone_id(mut self, zone_id: impl Into<String>) -> Self {
        self.zone_id = zone_id.into();
        self
    }

    /// Sets the platform.
    #[must_use]
    pub fn with_pf(mut self, pf: impl Into<String>) -> Self {
        self.pf = pf.into();
        self
    }

    /// Sets the player's public IP.
    #[must_use]
    pub fn with_user_ip(mut self, user_ip: impl Into<String>) -> Self {
        self.user_ip = Some(user_ip.into());
        self
    }

    /// The openid.
    pub fn openid(&self) -> &str {
        &self.openid
    }

    /// The session key, if set.
    pub fn session_key(&self) -> Option<&SessionKey> {
        self.session_key.as_ref()
    }

    /// The zone id.
    pub fn zone_id(&self) -> &str {
        &self.zone_id
    }

    /// The platform.
    pub fn pf(&self) -> &str {
        &self.pf
    }

    /// The public IP, if set.
    pub fn user_ip(&self) -> Option<&str> {
        self.user_ip.as_deref()
    }
}
