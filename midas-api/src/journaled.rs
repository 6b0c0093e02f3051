//! What a journaled call records, and how a decided entry answers a repeated call.

use midas_core::{ApiError, Env, Error, JournalFailure, JournalFailureKind, JsonObject, Scheme};
use midas_journal::{Entry, Intent, JournalError, Outcome, State};

use crate::erased::{AnyResponse, DynRequest};
use crate::player::Player;

/// The journal's key of a call whose order id is `order_id`: the order id itself, except for
/// Midas 1.0 `cancelpay`, whose `bill_no` is the pay's: its key is `{bill_no}#cancelpay`, so
/// that cancelling a journaled pay is not taken for reusing its id.
pub(crate) fn journal_key(request: &dyn DynRequest, order_id: &str) -> String {
    if request.scheme() == Scheme::V1 && request.api() == "cancelpay" {
        format!("{order_id}#cancelpay")
    } else {
        order_id.to_owned()
    }
}

/// The write-ahead intent of `request` for `player` in `env`, under [`journal_key`].
pub(crate) fn intent(request: &dyn DynRequest, player: &Player, env: Env, order_id: &str) -> Intent {
    let mut fields = Vec::with_capacity(128);
    let mut object = JsonObject::new(&mut fields);
    request.write_fields(&mut object);
    object.finish();
    Intent {
        env: env.as_str().to_owned(),
        order_id: journal_key(request, order_id),
        api: request.api().to_owned(),
        generation: request.scheme().as_str().to_owned(),
        openid: player.openid().to_owned(),
        zone_id: player.zone_id().to_owned(),
        amount: request.amount(),
        // The body writer emits UTF-8 JSON.
        fields: String::from_utf8_lossy(&fields).into_owned(),
    }
}

/// What a call's result records.
pub(crate) fn outcome<T>(result: &Result<(T, Vec<u8>), Error>) -> Outcome {
    match result {
        Ok((_, body)) => Outcome::Applied { answer: Some(String::from_utf8_lossy(body).into_owned()) },
        Err(error) => outcome_of_error(error),
    }
}

/// What a failed call records: applied when Midas confirmed it, unknown when it may have been
/// applied, refused otherwise (with Midas's errcode when Midas refused it; without, nothing
/// was applied and the same order may be sent again).
pub(crate) fn outcome_of_error(error: &Error) -> Outcome {
    match error {
        Error::AlreadyProcessed { .. } => Outcome::Applied { answer: None },
        error if error.may_have_applied() => Outcome::Unknown { reason: error.to_string() },
        Error::Api(api) => {
            Outcome::Refused { errcode: Some(api.errcode()), answer: None, reason: api.errmsg().to_owned() }
        }
        other => Outcome::Refused { errcode: None, answer: None, reason: other.to_string() },
    }
}

/// The answer of a decided entry to a repeated call: its recorded response, its refusal, or
/// "already processed" when it was confirmed without an answer.
pub(crate) fn replay(request: &dyn DynRequest, entry: &Entry) -> Result<AnyResponse, Error> {
    let order_id = entry.intent.order_id.as_str();
    let api = request.api();
    match entry.state {
        State::Applied | State::Settled => match &entry.answer {
            Some(answer) => request.decode(answer.as_bytes(), None),
            None => Err(Error::AlreadyProcessed { api, bill_no: order_id.to_owned() }),
        },
        State::Refused => {
            let errcode = entry.errcode.unwrap_or_default();
            let errmsg = entry.reason.clone().unwrap_or_default();
            Err(Error::Api(ApiError::new(api, errcode, errmsg, request.scheme().classify(errcode))))
        }
        _ => Err(JournalFailure::new(
            JournalFailureKind::NeedsAttention,
            api,
            order_id,
            entry.reason.clone().unwrap_or_else(|| format!("the order is {}", entry.state)),
        )
        .into()),
    }
}

/// A journal error before sending: the call is not sent.
pub(crate) fn refusal(api: &'static str, order_id: &str, error: &JournalError) -> Error {
    let kind = match error {
        JournalError::OrderIdReused { .. } => JournalFailureKind::OrderIdReused,
        JournalError::InProgress { .. } => JournalFailureKind::InProgress,
        _ => JournalFailureKind::Unavailable,
    };
    JournalFailure::new(kind, api, order_id, error.to_string()).into()
}
