//! The Midas 1.0 endpoints, each declared with [`midas_api`](macro@crate::midas_api) and nothing
//! hand-written for signing.

mod cancelpay;
mod getbalance;
mod pay;
mod present;

pub use cancelpay::{CancelPay, CancelPayResponse};
pub use getbalance::{GetBalance, GetBalanceResponse};
pub use pay::{Pay, PayResponse};
pub use present::{Present, PresentResponse};
