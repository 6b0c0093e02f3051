use serde::Deserialize;

use crate::midas_api;

/// `midas.present`: gift game currency to a player.
///
/// `bill_no` is the idempotency key: a retry with the same `bill_no` never gifts twice.
///
/// ```
/// use midas_api::{MidasRequest, Present, Rule};
/// let nothing = Present { bill_no: "gift-0001".into(), present_counts: 0 };
/// let error = nothing.validate().expect_err("nothing to gift");
/// assert_eq!((error.field(), error.rule()), ("present_counts", &Rule::Positive));
/// ```
#[midas_api(path = "/cgi-bin/midas/present", response = PresentResponse)]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Present {
    /// The gift order number, unique per game: `[0-9A-Za-z_-]{1,63}`.
    #[midas(bill_no)]
    pub bill_no: String,
    /// How many coins to gift; more than zero.
    #[midas(positive)]
    pub present_counts: i64,
}

/// The answer to [`Present`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PresentResponse {
    /// The balance after the gift.
    pub balance: i64,
    /// The gift's `bill_no`.
    pub bill_no: String,
}
