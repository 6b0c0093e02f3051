//! The forced-refresh budget of the whole fleet: WeChat allows a forced refresh of the stable
//! token once per 30 s and 20 times a day per app, whichever instance asks. Every instance
//! records its forced refreshes in one sorted set, checked and written by one script.

use std::time::Duration;

use midas_core::TokenError;
use redis::Script;

use super::error::token_error;
use super::store::Fleet;

/// At most once per this long ...
pub(super) const FORCE_INTERVAL: Duration = Duration::from_secs(30);
/// ... and this many times ...
pub(super) const FORCE_DAILY_CAP: u64 = 20;
/// ... in this long.
pub(super) const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// `KEYS[1]`: the forced refreshes, scored by UNIX second. `ARGV`: now, interval, day, cap, a
/// unique member. Drops entries a day old, then answers `{0, 0}` and records one, `{1, wait}`
/// within the interval of the last one, or `{2, 0}` at the cap.
const TAKE: &str = r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local day = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - day)
local last = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if last[2] then
  local since = now - tonumber(last[2])
  if since < interval then
    return {1, interval - since}
  end
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return {2, 0}
end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('EXPIRE', KEYS[1], day + 60)
return {0, 0}
";

/// Takes one forced refresh from the budget at `key` at `now_unix`, or a [`TokenError`] that
/// says which limit stands in the way, or that Redis did not answer.
pub(super) async fn take(fleet: &Fleet, key: &str, now_unix: i64, member: &str) -> Result<(), TokenError> {
    let (verdict, wait): (i64, i64) = fleet
        .script(
            Script::new(TAKE)
                .key(key)
                .arg(now_unix)
                .arg(FORCE_INTERVAL.as_secs())
                .arg(DAY.as_secs())
                .arg(FORCE_DAILY_CAP)
                .arg(member),
        )
        .await
        .map_err(token_error)?;
    match verdict {
        0 => Ok(()),
        1 => Err(TokenError::new(
            None,
            format!(
                "forced token refresh is allowed once per 30 s for the whole fleet; try again in {} s",
                wait.clamp(1, 30)
            ),
            true,
        )),
        _ => {
            Err(TokenError::new(None, "the fleet's daily cap of 20 forced token refreshes is reached", false))
        }
    }
}
