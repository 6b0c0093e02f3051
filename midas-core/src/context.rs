//! Everything besides the request that one call needs: the app's ids, the player, the
//! environment, the stamp, the keys and the token. One type for every generation; each
//! generation's envelope (which of these it sends, and how) is written by the attribute.

use crate::{AccessToken, AppKey, Env, SessionKey};

/// The context of one call, borrowed from the client configuration and the player.
///
/// ```
/// use midas_core::{AccessToken, AppKey, CallContext, Env};
/// let key = AppKey::new("app-key")?;
/// let token = AccessToken::new("TOKEN")?;
/// let context = CallContext {
///     appid: "wx1234567",
///     offer_id: "12345678",
///     openid: "odkx20ENSNa2w5y3g_qOkOvBNM1g",
///     zone_id: "1",
///     pf: "android",
///     user_ip: None,
///     env: Env::Sandbox,
///     ts: 1_700_000_000,
///     app_key: &key,
///     session_key: None,
///     access_token: Some(&token),
/// };
/// assert_eq!(context.env, Env::Sandbox);
/// # Ok::<(), midas_core::ValidationError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CallContext<'a> {
    /// The mini game's AppID (sent by Midas 1.0).
    pub appid: &'a str,
    /// The `offer_id` assigned by Midas (sent by Midas 1.0 and 2.0).
    pub offer_id: &'a str,
    /// The player's openid.
    pub openid: &'a str,
    /// Game zone, `"1"` without zones, `"<zone>_<role>"` with roles (Midas 1.0 and 2.0).
    pub zone_id: &'a str,
    /// Platform, documented value `"android"` (Midas 1.0).
    pub pf: &'a str,
    /// The player's public IP, when known.
    pub user_ip: Option<&'a str>,
    /// The environment: it picks the path (1.0) or the body field `env` (2.0, xpay), and must
    /// match `app_key`.
    pub env: Env,
    /// UNIX time in seconds, stamped per attempt (Midas 1.0 and 2.0).
    pub ts: i64,
    /// The key that signs for the app in `env`: the Midas app key (1.0) or the
    /// virtual-payment AppKey (2.0, xpay).
    pub app_key: &'a AppKey,
    /// The player's session key: signs `mp_sig` (1.0, when given) or `signature` (2.0, xpay,
    /// required where the API requires the player's signature).
    pub session_key: Option<&'a SessionKey>,
    /// The access token; Midas 1.0 signs it into `mp_sig`. `None` only to validate a call
    /// before a token is fetched.
    pub access_token: Option<&'a AccessToken>,
}
