//! The integration tests of the emulator, one binary (one link) with a module per feature, all
//! over real HTTP on loopback:
//!
//! | module | what it proves |
//! |---|---|
//! | `http` | what any HTTP client sees: routing, methods, Midas 1.0 checks, faults |
//! | `auth` | the token and login APIs: credentials, methods, limits, expiry |
//! | `midas2` | Midas 2.0 (`/wxa/game/*`): signatures over the exact bytes, fields, errcodes, orders |
//! | `xpay` | xpay (`/xpay/*`): `pay_sig` and `signature`, fields, errcodes, orders |
//! | `shared_ledger` | one wallet per environment, player and zone behind all three generations |
//! | `properties` | whatever reaches the money endpoints, the answer is JSON and the books add up |
//! | `limits` | idle sockets shed and timed out, oversized bodies refused |
//!
//! `support` holds what they share: raw HTTP/1.1 over TCP, and requests signed with midas-core.

mod auth;
mod http;
mod limits;
mod midas2;
mod properties;
mod shared_ledger;
mod support;
mod xpay;
