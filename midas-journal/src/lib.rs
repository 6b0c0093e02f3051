//! A durable journal of Midas money calls, so that no order is lost or doubled across
//! retries, crashes and instances.
//!
//! Before the first attempt of a money call, the client records its *intent* (order id,
//! API, generation, environment, player, amount, the request's fields and their fingerprint)
//! and commits it; after the attempts, the *outcome*. An order id is never reused for another
//! order: the same id with another fingerprint is refused before anything is sent. Entries
//! left `pending` (the process died) or `unknown` (the retries ran out) are resolved by a
//! reconciler (`midas_api::Reconciler`), which leases them so that two instances never drive
//! one entry at once.
//!
//! Stores: SQLite, embedded, the default ([`Journal::sqlite`], [`Journal::in_memory`]), and
//! PostgreSQL for several instances sharing one journal ([`Journal::postgres`]). The schema is
//! migrated when a journal opens; a journal written by a newer version is refused.
//!
//! Cash purchases have a table of their own: a purchase is recorded *awaiting payment* when
//! its launch parameters are signed ([`Journal::await_payment`]), and delivered exactly once,
//! by the delivery push or by the reconciler ([`Journal::claim_delivery`],
//! [`Journal::lease_awaiting`], [`Journal::finish_delivery`]).
//!
//! Services reach this crate through `midas-api`'s `journal` feature.

mod entry;
mod error;
mod inbox;
mod order_id;
mod purchase;
mod purchase_sql;
mod sql;
mod store;

pub use entry::{Begin, Entry, InboxClaim, Intent, Outcome, State};
pub use error::JournalError;
pub use inbox::{InboxEvent, InboxStore};
pub use order_id::OrderIds;
pub use purchase::{DeliveryClaim, PurchaseEntry, PurchaseIntent, PurchaseState};
pub use store::{Durability, Journal, SqliteSettings};
