//! What the receiver and its workers report through the `metrics` facade: the names, and one
//! function per event.

/// Pushes received, by `result`: `handled` (the handler ran and succeeded), `stored` (kept
/// for a worker and acknowledged, persist-then-ack mode), `duplicate` (a repeat answered from
/// the inbox, handled or stored before), `mock`, `in_progress`, `failed` (the handler failed or
/// timed out), `forged` (a signature or AppID that does not check out), `refused` (malformed,
/// stale, replayed, too large).
pub const RECEIVED: &str = "midas_push_received_total";
/// Seconds the handler took, per run (in the receiver and in workers).
pub const HANDLER_SECONDS: &str = "midas_push_handler_seconds";
/// Stored events a worker ran the handler on, by `result`: `handled`, `retried` (failed or
/// timed out, tried again later), `needs_attention` (out of attempts, or unreadable: set aside
/// until requeued), `inbox_error` (a look at the inbox failed; the worker looks again).
pub const PROCESSED: &str = "midas_push_processed_total";

pub(crate) fn received(result: &'static str) {
    metrics::counter!(RECEIVED, "result" => result).increment(1);
}

pub(crate) fn processed(result: &'static str) {
    metrics::counter!(PROCESSED, "result" => result).increment(1);
}

pub(crate) fn handler_seconds(seconds: f64) {
    metrics::histogram!(HANDLER_SECONDS).record(seconds);
}
