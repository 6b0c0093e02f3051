use serde::Deserialize;

use crate::midas_api;

/// `midas.pay`: deduct game currency (gifted coins first).
///
/// `bill_no` is the idempotency key: Midas never deducts twice for one `bill_no`, so a
/// retry always reuses it.
///
/// ```
/// use midas_api::{MidasRequest, Pay, Rule};
/// let pay = Pay { amt: 30, bill_no: "order-0001".into(), pay_item: Some("sword".into()), app_remark: None };
/// assert_eq!(pay.order_id(), Some("order-0001"));
/// assert!(pay.validate().is_ok());
/// let spaced = Pay { bill_no: "order 0001".into(), ..pay };
/// assert_eq!(spaced.validate().expect_err("a space").rule(), &Rule::BillNo);
/// ```
#[midas_api(path = "/cgi-bin/midas/pay", response = PayResponse)]
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pay {
    /// Coins to deduct; more than zero.
    #[midas(positive)]
    pub amt: i64,
    /// The order number, unique per game: `[0-9A-Za-z_-]{1,63}`.
    #[midas(bill_no)]
    pub bill_no: String,
    /// The item bought, shown in the statement.
    pub pay_item: Option<String>,
    /// A remark written to the account statement.
    pub app_remark: Option<String>,
}

/// The answer to [`Pay`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PayResponse {
    /// The order number (valid for 48 hours).
    pub bill_no: String,
    /// The balance after the deduction.
    pub balance: i64,
    /// How many gifted coins the deduction used (also read from the older `used_gen_balance`).
    #[serde(alias = "used_gen_balance")]
    pub used_gen_amt: i64,
}
