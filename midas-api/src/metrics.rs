//! What the client reports through the [`metrics`] facade: the names in one table, and one
//! function per event. Nothing is recorded until the service installs a recorder (an
//! exporter); then every instance of a fleet reports the same names.

use std::time::Duration;

use midas_core::{Env, Error, Scheme};

/// Calls made, by `api`, `generation`, `env` and `outcome` (`ok`, `refused`, `already_processed`,
/// `order_id_taken`, `unresolved`, `invalid`, `transport`, `decode`, `token`, `journal`).
pub const CALLS: &str = "midas_calls_total";
/// Seconds per call, attempts and backoff included, by `api` and `generation`.
pub const CALL_SECONDS: &str = "midas_call_duration_seconds";
/// Attempts sent, by `api` and `generation`.
pub const ATTEMPTS: &str = "midas_attempts_total";
/// Attempts followed by another, by `api`, `generation` and `reason` (`retry`, `token_refresh`).
pub const RETRIES: &str = "midas_retries_total";
/// Answers with an errcode, by `api`, `generation` and `errcode`.
pub const ERRCODES: &str = "midas_errcodes_total";
/// Calls that ended with their outcome open (they may have moved money and nobody knows:
/// reconcile them), by `api` and `generation`; "already processed" is not counted.
pub const AMBIGUOUS: &str = "midas_ambiguous_total";
/// Access-token fetches, by `source` (`stable`, `classic`), `kind` (`fetch`, `forced`) and
/// `result` (`ok`, `error`).
pub const TOKEN_FETCHES: &str = "midas_token_fetches_total";
/// Entries a reconciler run left open (pending or unknown) plus those it resolved, by `result`
/// (`applied`, `refused`, `needs_attention`, `still_open`, `settled`, `settle_failed`).
pub const RECONCILED: &str = "midas_reconciled_total";
/// Journal entries still open after the last reconciler run of this process.
pub const JOURNAL_OPEN: &str = "midas_journal_open_entries";

/// Describes every metric to the installed recorder (help texts and units for exporters).
/// Call it once after installing the recorder.
///
/// ```
/// midas_api::describe_metrics(); // without a recorder: nothing happens
/// ```
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(CALLS, "Midas calls made, by API, generation, environment and outcome");
    describe_histogram!(CALL_SECONDS, Unit::Seconds, "Midas call duration, attempts and backoff included");
    describe_counter!(ATTEMPTS, "Midas attempts sent");
    describe_counter!(RETRIES, "Midas attempts followed by another, by reason");
    describe_counter!(ERRCODES, "Midas answers with an errcode, by errcode");
    describe_counter!(AMBIGUOUS, "Midas calls that ended with their outcome open");
    describe_counter!(TOKEN_FETCHES, "Access-token fetches, by source, kind and result");
    describe_counter!(RECONCILED, "Journal entries worked on by reconciler runs, by result");
    describe_gauge!(JOURNAL_OPEN, "Journal entries left open after the last reconciler run");
}

/// The `outcome` label of a call's result.
fn outcome<T>(result: &Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(Error::Api(_)) => "refused",
        Err(Error::AlreadyProcessed { .. }) => "already_processed",
        Err(Error::OrderIdTaken { .. }) => "order_id_taken",
        Err(Error::Unresolved { .. }) => "unresolved",
        Err(Error::Validation(_)) => "invalid",
        Err(Error::Transport(_)) => "transport",
        Err(Error::Decode(_)) => "decode",
        Err(Error::Token(_)) => "token",
        Err(Error::Journal(_)) => "journal",
        Err(_) => "other",
    }
}

pub(crate) fn call_finished<T>(
    api: &'static str,
    scheme: Scheme,
    env: Env,
    result: &Result<T, Error>,
    took: Duration,
) {
    let generation = scheme.as_str();
    metrics::counter!(CALLS, "api" => api, "generation" => generation, "env" => env.as_str(), "outcome" => outcome(result))
        .increment(1);
    metrics::histogram!(CALL_SECONDS, "api" => api, "generation" => generation).record(took.as_secs_f64());
    let open = |error: &Error| error.may_have_applied() && !matches!(error, Error::AlreadyProcessed { .. });
    if result.as_ref().err().is_some_and(open) {
        metrics::counter!(AMBIGUOUS, "api" => api, "generation" => generation).increment(1);
    }
}

pub(crate) fn attempt_sent(api: &'static str, scheme: Scheme) {
    metrics::counter!(ATTEMPTS, "api" => api, "generation" => scheme.as_str()).increment(1);
}

pub(crate) fn attempt_failed(api: &'static str, scheme: Scheme, error: &Error) {
    if let Error::Api(answer) = error {
        let errcode = answer.errcode().to_string();
        metrics::counter!(ERRCODES, "api" => api, "generation" => scheme.as_str(), "errcode" => errcode)
            .increment(1);
    }
}

pub(crate) fn retried(api: &'static str, scheme: Scheme, reason: &'static str) {
    metrics::counter!(RETRIES, "api" => api, "generation" => scheme.as_str(), "reason" => reason)
        .increment(1);
}

pub(crate) fn token_fetched(source: &'static str, forced: bool, ok: bool) {
    let kind = if forced { "forced" } else { "fetch" };
    let result = if ok { "ok" } else { "error" };
    metrics::counter!(TOKEN_FETCHES, "source" => source, "kind" => kind, "result" => result).increment(1);
}

#[cfg(feature = "journal")]
pub(crate) fn reconciled(report: &crate::ReconcileReport, open_after: u64) {
    for (result, count) in [
        ("applied", report.applied),
        ("refused", report.refused),
        ("needs_attention", report.needs_attention),
        ("still_open", report.still_open),
        ("settled", report.settled),
        ("settle_failed", report.settle_failed),
    ] {
        metrics::counter!(RECONCILED, "result" => result).increment(count);
    }
    // Gauges are f64; a count of entries is far below 2^53.
    metrics::gauge!(JOURNAL_OPEN).set(open_after as f64);
}
