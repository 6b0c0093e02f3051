//! The common parameters every Midas 1.0 request carries.

use crate::ValidationError;
use crate::body::JsonObject;

/// The common envelope: `appid`, `offer_id`, `openid`, `ts`, `zone_id`, `pf` and the optional
/// `user_ip`. Borrowed from the client configuration and the player for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The mini game's AppID.
    pub appid: &'a str,
    /// The `offer_id` assigned by Midas.
    pub offer_id: &'a str,
    /// The player's openid.
    pub openid: &'a str,
    /// UNIX time in seconds; stamped per attempt.
    pub ts: i64,
    /// Game zone, `"1"` without zones, `"<zone>_<role>"` with roles. Always a string.
    pub zone_id: &'a str,
    /// Platform, documented value `"android"`.
    pub pf: &'a str,
    /// The player's public IP, when known.
    pub user_ip: Option<&'a str>,
}

impl Envelope<'_> {
    /// Refuses empty identifiers, control characters, and `&` or `=` (see
    /// [`rules::pair_text`](crate::rules::pair_text)); an empty `user_ip` given as `Some("")` is
    /// refused too: absent optionals are left out, never sent empty.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let required = [
            ("appid", self.appid),
            ("offer_id", self.offer_id),
            ("openid", self.openid),
            ("zone_id", self.zone_id),
            ("pf", self.pf),
        ];
        for (field, value) in required {
            crate::rules::pair_text(field, value)?;
        }
        if let Some(user_ip) = self.user_ip {
            crate::rules::pair_text("user_ip", user_ip)?;
        }
        Ok(())
    }

    /// Writes the envelope's fields into a JSON body.
    pub fn write_body_fields(&self, body: &mut JsonObject<'_>) {
        body.field_literal(b",\"appid\":", self.appid);
        body.field_literal(b",\"offer_id\":", self.offer_id);
        body.field_literal(b",\"openid\":", self.openid);
        body.field_literal(b",\"pf\":", self.pf);
        body.field_literal(b",\"ts\":", &self.ts);
        body.field_literal(b",\"user_ip\":", &self.user_ip);
        body.field_literal(b",\"zone_id\":", self.zone_id);
    }
}
