//! Running as a fleet: many instances of one service share their access token, its forced
//! refreshes and the players' session keys through one Redis.
//!
//! | file | what it holds |
//! |---|---|
//! | `error.rs` | [`FleetError`]: Redis unreachable, a bad URL or option, a player with no session key |
//! | `store.rs` | [`Fleet`] and [`FleetOptions`]: the connection, its key prefix and the timeout every command runs under |
//! | `lock.rs` | the fetch lock: `SET NX PX` with a random owner, released only by its owner |
//! | `budget.rs` | the forced-refresh budget of the whole fleet (once per 30 s, 20 a day), counted in one script |
//! | `tokens.rs` | [`FleetTokenSource`]: the shared token in front of a source that really fetches |
//! | `sessions.rs` | [`FleetSessions`]: each player's session key, saved at login, read by any instance |
//!
//! **When Redis is down** every call fails fast with a typed error — a retryable
//! [`TokenError`](midas_core::TokenError) from the token source,
//! [`FleetError::Unavailable`] from the session store — within the configured timeout, and
//! nothing falls back to fetching alone: an instance that fetched on its own would, with the
//! classic token, knock out the token of every other instance, and would spend forced
//! refreshes the fleet does not count. Calls work again as soon as Redis answers.

mod budget;
mod error;
mod lock;
mod sessions;
mod store;
mod tokens;

pub use error::{FleetError, RedisFailure};
pub use sessions::FleetSessions;
pub use store::{Fleet, FleetOptions};
pub use tokens::FleetTokenSource;
