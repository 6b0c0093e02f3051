use serde::Deserialize;

use crate::midas_api;

/// `midas.getBalance`: read a player's balance. It has no fields of its own; send it with
/// [`Client::get_balance`](crate::Client::get_balance) or [`Client::call`](crate::Client::call).
///
/// ```
/// use midas_api::{Env, GetBalance, MidasRequest};
/// assert_eq!(GetBalance::path(Env::Sandbox), "/cgi-bin/midas/sandbox/getbalance");
/// assert_eq!(GetBalance::path(Env::Production), "/cgi-bin/midas/getbalance");
/// ```
#[midas_api(path = "/cgi-bin/midas/getbalance", response = GetBalanceResponse)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetBalance {}

/// The answer to [`GetBalance`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GetBalanceResponse {
    /// Game coins, gifted ones included.
    pub balance: i64,
    /// Gifted coins.
    pub gen_balance: i64,
    /// Whether the player qualifies for a first top-up (sent as a bool or as 1/0/2).
    #[serde(deserialize_with = "midas_core::bool_or_int")]
    pub first_save: bool,
    /// Coins topped up in total.
    pub save_amt: i64,
    /// Historical total of coins.
    pub save_sum: i64,
    /// Historical total of coins spent.
    pub cost_sum: i64,
    /// Historical total of coins received as gifts.
    pub present_sum: i64,
}
