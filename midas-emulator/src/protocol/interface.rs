//! The one interface every protocol implements: check a received request, answer an outcome of
//! the books, word a refusal of the books.

use crate::answer::{Fields, Rejection};
use crate::api::Api;
use crate::ledger::{Applied, Entry, Ledger, Refusal};
use crate::session::Sessions;
use crate::shared::App;

/// A request to a payment API as the server received it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Received<'a> {
    /// The API routed to.
    pub(crate) api: Api,
    /// The path called: Midas 1.0 reads the environment from it.
    pub(crate) path: &'a str,
    /// The query string, when there is one: where Midas 2.0 and xpay put their signatures.
    pub(crate) query: Option<&'a str>,
    /// The `access_token` of the query, valid (the server checked it first): Midas 1.0 signs
    /// `mp_sig` with it.
    pub(crate) access_token: &'a str,
    /// The exact bytes of the body.
    pub(crate) body: &'a [u8],
}

/// What a request is checked against: the app, the players' sessions, the registered players.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context<'a> {
    pub(crate) app: &'a App,
    pub(crate) sessions: &'a Sessions,
    pub(crate) ledger: &'a Ledger,
}

/// One protocol of the payment APIs: Midas 1.0, Midas 2.0 or xpay.
pub(crate) trait Protocol: Sync {
    /// The errcode of a parameter error; also the answer to a body that could not be read.
    fn parameter_errcode(&self) -> i64;

    /// Every check of `request`, in this protocol's order (fields, signatures, the player),
    /// then the call as an entry for the books; or the first refusal.
    fn check(&self, request: &Received<'_>, context: &Context<'_>) -> Result<Entry, Rejection>;

    /// The success fields of an outcome of the books, or the refusal this protocol makes of it
    /// (a repeated call some protocols refuse).
    fn answer(&self, applied: Applied) -> Result<Fields, Rejection>;

    /// This protocol's errcode and errmsg for a refusal of the books.
    fn refusal(&self, refusal: Refusal) -> Rejection;
}
