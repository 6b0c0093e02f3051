use serde::Deserialize;

use crate::midas_api;

/// `midas.cancelPay`: cancel a deduction made by [`Pay`](super::Pay), within its validity.
///
/// Midas 1.0 signs `name=value` pairs joined by `&`, unescaped, so a value with `&` or `=`
/// is refused before anything is sent:
///
/// ```
/// use midas_api::{CancelPay, MidasRequest, Rule};
/// let cancel = CancelPay { bill_no: "order-0001".into(), pay_item: Some("sword&shield".into()) };
/// assert_eq!(cancel.order_id(), Some("order-0001"));
/// assert_eq!(cancel.validate().expect_err("an `&`").rule(), &Rule::NoPairSeparators);
/// ```
#[midas_api(path = "/cgi-bin/midas/cancelpay", response = CancelPayResponse)]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelPay {
    /// The `bill_no` of the deduction to cancel.
    #[midas(bill_no)]
    pub bill_no: String,
    /// The item name.
    pub pay_item: Option<String>,
}

/// The answer to [`CancelPay`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CancelPayResponse {
    /// The `bill_no` of the cancelled deduction.
    pub bill_no: String,
}
