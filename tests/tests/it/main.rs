//! The integration tests of midas-rs, one binary (one link) with a module per feature:
//!
//! | module | what it proves |
//! |---|---|
//! | `vectors` | every shared signing vector through the generated code, the signer and the verifier |
//! | `generations` | Midas 2.0 and xpay: official vectors, query strings, errcodes, required fields, order lookups |
//! | `properties` | signer against verifier for any request; the Midas 1.0 signing string is injective |
//! | `retry` | one retry policy: same order id, re-stamped and re-signed; what may have applied |
//! | `errors`, `bad_input` | typed errors; bad input refused before anything is sent |
//! | `client`, `secrets` | the client end to end; errors and `Debug` never show a secret |
//! | `tokens`, `redirects` | token sources and sessions; redirects never followed |
//! | `fleet` | many processes sharing one Redis: one token fetch, one forced refresh, the fleet's budget, a killed lock holder, Redis down, shared session keys |
//! | `journal` | the journal: intents before sending, order ids never reused, replays, reconciliation, bad stores; the crash test (a worker process SIGKILLed 32 times, SQLite) and the fleet test (3 workers, 2 reconcilers, PostgreSQL), which print their counts with `--nocapture` |
//! | `emulator_pushes` | the local server pushing to a receiver: every event of the protocol in every mode and format opened and typed, re-pushed on the schedule until delivered, duplicates answered alike, forged pushes and payloads edited after signing refused, mocks answered without the handler |
//! | `push_soak` | 10,000 pushes (a quarter repeats, 6% forged) to a receiver restarted midway: each event handled once, nothing forged handled, every genuine push answered success |
//! | `push_ack` | the persist-then-ack mode through the journal's inbox: acknowledged once stored, each handler run to success once through failures and retries, across a crash between storing and processing (SQLite) and two workers (PostgreSQL); the iOS refund query stays synchronous |
//! | `purchase` | cash purchases: launch vectors, paid by the local server, the delivery push granted once, `query_order` by either id, refunds, the reconciler's fallback |
//! | `push_inbox` | payment pushes through the journal's inbox: one handler run per event across a restart (SQLite) and two instances (PostgreSQL) |
//! | `emulator`, `emulator_generations`, `emulator_tokens` | the client against the local Midas server over loopback |
//! | `soak` | thousands of faulted calls: no lost or doubled money (`cargo test -p midas-tests --test it soak -- --nocapture` prints the counts) |
//! | `ui` | the compile-time spec of `#[midas_api]` (trybuild) |
//! | `xpay_bills`, `xpay_funds`, `xpay_goods` | xpay bills and exports (generation polled, files streamed), merchant funds and withdrawals, the goods catalog's batch tasks, against the local server's desks |
//! | `xpay_ad_funds`, `xpay_complaints`, `xpay_subscriptions` | those xpay APIs against the emulator's desks: round trips read back, documented errcodes, drifts decoded, bad input refused before sending |
//!
//! Four tests keep a binary of their own, because they read or change process-wide state that
//! tests running beside them would disturb: `tests/alloc.rs` counts allocations with a
//! `#[global_allocator]`, `tests/logging.rs` captures the client's logs (tracing caches, per
//! process, whether a log site is enabled), `tests/metrics.rs` installs a metrics recorder, and
//! `tests/journal_outage.rs` stops and starts the test PostgreSQL (test binaries run one after
//! another). Each PostgreSQL test works in a database of its own.

mod bad_input;
mod client;
mod emulator;
mod emulator_generations;
mod emulator_pushes;
mod emulator_routes;
mod emulator_tokens;
mod errors;
mod fleet;
mod generations;
mod journal;
mod properties;
mod purchase;
mod push_ack;
mod push_inbox;
mod push_soak;
mod redirects;
mod retry;
mod secrets;
mod soak;
mod tokens;
mod ui;
mod vectors;
mod xpay_ad_funds;
mod xpay_bills;
mod xpay_complaints;
mod xpay_funds;
mod xpay_goods;
mod xpay_subscriptions;
