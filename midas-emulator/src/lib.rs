//! A local Midas 1.0 server for tests, demos and services in any language.
//!
//! It serves `getbalance`, `pay`, `cancelpay` and `present` over real HTTP on 127.0.0.1, at
//! the production paths `/cgi-bin/midas/<api>` and the sandbox paths
//! `/cgi-bin/midas/sandbox/<api>`, and checks what WeChat checks, in this order:
//!
//! | check | errcode |
//! |---|---|
//! | `access_token` in the query is the current one | 40001 |
//! | every field present, of its JSON type, not empty; no unknown field; `appid`/`offer_id` of the app; `bill_no` of `[0-9A-Za-z_-]{1,63}`; amounts above zero | 90018, the errmsg names the field |
//! | `sig` over the received fields, the called path as `org_loc`, the key of the environment | 90011 |
//! | the player is registered | 90010 |
//! | `mp_sig`, when sent, with the player's `session_key` | 90009 |
//!
//! Signatures are checked with [`midas_core::verify`], the same code the client signs with.
//!
//! Behind the checks is a ledger per player and environment: `present` adds gifted coins
//! (a reused `bill_no` is 90012); `pay` deducts, gifted coins first (90013 when short; the
//! same request again with its `bill_no` answers the first result without deducting twice;
//! the `bill_no` of another order is 90012); `cancelpay` gives a deduction back once (90000
//! for an unknown bill, 90015 the second time). Every applied [`Effect`] is recorded.
//!
//! Faults come on demand: queued for the next calls ([`Emulator::inject`],
//! [`Emulator::inject_for`]) or drawn with seeded [`FaultRates`]; see [`Fault`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), midas_emulator::StartError> {
//! use midas_emulator::{Api, Emulator, Env, Fault, SessionKey};
//!
//! let emulator = Emulator::start().await?;
//! emulator.add_player("player-1", SessionKey::new("session-key-1").expect("not empty"), 100);
//! // The next pay is applied, then its connection is closed without an answer.
//! emulator.inject_for(Api::Pay, Fault::DropAfter);
//! // Point a client at emulator.base_url() with emulator.sandbox_key() and
//! // emulator.access_token(); then read the books:
//! assert_eq!(emulator.balance(Env::Sandbox, "player-1").map(|b| b.balance), Some(100));
//! assert!(emulator.effects().is_empty());
//! # Ok(()) }
//! ```

mod api;
mod check;
mod emulator;
mod fault;
mod ledger;
mod server;

pub use api::Api;
pub use emulator::{
    DEFAULT_ACCESS_TOKEN, DEFAULT_APPID, DEFAULT_OFFER_ID, DEFAULT_PRODUCTION_KEY, DEFAULT_SANDBOX_KEY,
    Emulator, EmulatorBuilder, StartError,
};
pub use fault::{Fault, FaultCounts, FaultKind, FaultRates, InvalidRates};
pub use ledger::{Balance, Change, Effect};
pub use midas_core::{AccessToken, AppKey, Env, SessionKey};
