//! Integration tests of midas-push, one binary: each module proves one feature.

#[cfg(feature = "axum")]
mod axum_router;
mod drift;
mod events;
mod exactly_once;
mod persist_then_ack;
mod props;
mod refusals;
mod replies;
mod secrets;
mod support;
mod vectors;
