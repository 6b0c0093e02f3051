//! Midas 2.0 for mini games (`/wxa/game/*`), declared with the same attribute as 1.0.
//!
//! The body carries `env` (0 production, 1 sandbox), which also picks the virtual-payment
//! AppKey; there is no sandbox path. `pay_sig` and the player's `signature` are computed over
//! the exact body bytes sent. Errcodes mean other things than in 1.0: 90010 is the `signature`
//! error, 90011 the `pay_sig` error, 90016 an expired session, 90019 an unknown order.

use serde::Deserialize;

use crate::midas_api;

/// `pay_v2.getBalance`: the player's balance and totals. Like every Midas 2.0 API, it needs
/// the player's session key. `coin_type` picks the balance: absent or 0 the game coins of the
/// player's zone, 1 the recharge-center balance (read with zone `"1"`).
///
/// ```
/// use midas_api::{MidasRequest, Rule, v2};
/// assert_eq!(v2::GetBalance::PATH, "/wxa/game/getbalance");
/// assert_eq!(v2::GetBalance::SANDBOX_PATH, v2::GetBalance::PATH, "the body's `env` picks");
/// assert!(v2::GetBalance::USER_SIGNATURE);
/// let recharge_center = v2::GetBalance::of(v2::CoinType::RechargeCenter);
/// assert_eq!(recharge_center.coin_type(), Some(v2::CoinType::RechargeCenter));
/// assert_eq!(v2::GetBalance::default().coin_type(), None, "game coins, `coin_type` not sent");
/// ```
#[midas_api(scheme = "v2", path = "/wxa/game/getbalance", response = BalanceResponse)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetBalance {
    coin_type: Option<u8>,
}

impl GetBalance {
    /// The balance of `coin_type` (`GetBalance::default()`: game coins, without `coin_type`).
    pub const fn of(coin_type: CoinType) -> Self {
        Self { coin_type: Some(coin_type.code()) }
    }

    /// The balance asked for, when named.
    pub const fn coin_type(&self) -> Option<CoinType> {
        match self.coin_type {
            Some(0) => Some(CoinType::GameCoins),
            Some(_) => Some(CoinType::RechargeCenter),
            None => None,
        }
    }
}

/// Which balance [`GetBalance`] reads (`coin_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CoinType {
    /// 0: the game coins of the player's zone.
    GameCoins,
    /// 1: the recharge-center balance (zone `"1"`).
    RechargeCenter,
}

impl CoinType {
    /// The value sent.
    pub const fn code(self) -> u8 {
        match self {
            Self::GameCoins => 0,
            Self::RechargeCenter => 1,
        }
    }
}

/// The answer to [`GetBalance`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BalanceResponse {
    /// Coins, gifted ones included.
    pub balance: i64,
    /// Gifted coins (1.0's `gen_balance`).
    pub present_balance: i64,
    /// Coins topped up in total (1.0's `save_amt`).
    pub sum_save: i64,
    /// Coins received as gifts in total (1.0's `present_sum`).
    pub sum_present: i64,
    /// Historical total of coins (1.0's `save_sum`).
    pub sum_balance: i64,
    /// Coins spent in total (1.0's `cost_sum`).
    pub sum_cost: i64,
    /// Whether the player qualifies for a first top-up.
    #[serde(deserialize_with = "midas_core::bool_or_int")]
    pub first_save: bool,
}

/// `pay_v2.pay`: deduct coins. `bill_no` is kept across retries (idempotent for 48 hours).
///
/// ```
/// use midas_api::{MidasRequest, Rule, v2};
/// let pay = v2::Pay { amount: 30, bill_no: "order-0001".into(), payitem: None, remark: None };
/// assert!(pay.validate().is_ok());
/// let underscored = v2::Pay { bill_no: "_order-0001".into(), ..pay };
/// assert_eq!(underscored.validate().expect_err("leading `_`").rule(), &Rule::BillNoV2);
/// ```
#[midas_api(scheme = "v2", path = "/wxa/game/pay", response = PayResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pay {
    /// Coins to deduct; more than zero.
    #[midas(positive)]
    pub amount: i64,
    /// The order number: `[0-9A-Za-z_-]{1,63}`, not starting with `_`.
    #[midas(bill_no)]
    pub bill_no: String,
    /// The item bought.
    pub payitem: Option<String>,
    /// A remark for the statement.
    pub remark: Option<String>,
}

/// The answer to [`Pay`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PayResponse {
    /// The order number.
    pub bill_no: String,
    /// The balance after the deduction.
    pub balance: i64,
    /// Gifted coins the deduction used (1.0's `used_gen_amt`).
    pub used_present_amount: i64,
}

/// `pay_v2.cancelPay`: refund (part of) a deduction. Several partial refunds may follow one
/// pay, each with its own new `bill_no`, as long as they add up to at most the paid amount.
///
/// ```
/// use midas_api::{MidasRequest, v2};
/// let refund = v2::CancelPay {
///     pay_bill_no: "order-0001".into(),
///     bill_no: "refund-0001".into(),
///     amount: 10,
/// };
/// assert_eq!(refund.order_id(), Some("refund-0001"), "retries keep the refund's own bill_no");
/// assert_eq!(refund.amount(), Some(10));
/// ```
#[midas_api(scheme = "v2", path = "/wxa/game/cancelpay", response = CancelPayResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelPay {
    /// The `bill_no` of the pay to refund.
    #[midas(bill_no)]
    pub pay_bill_no: String,
    /// This refund's own order number, kept across retries.
    #[midas(bill_no, key)]
    pub bill_no: String,
    /// Coins to refund; more than zero.
    #[midas(positive)]
    pub amount: i64,
}

/// The answer to [`CancelPay`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CancelPayResponse {
    /// The refund's order number.
    pub bill_no: String,
    /// The balance after the refund (sent by newer revisions of the API).
    #[serde(default)]
    pub balance: Option<i64>,
}

/// `pay_v2.present`: gift coins.
///
/// ```
/// use midas_api::{MidasRequest, v2};
/// let gift = v2::Present { amount: 50, bill_no: "gift-0001".into() };
/// assert_eq!((gift.order_id(), gift.amount()), (Some("gift-0001"), Some(50)));
/// ```
#[midas_api(scheme = "v2", path = "/wxa/game/present", response = PresentResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Present {
    /// Coins to gift; more than zero.
    #[midas(positive)]
    pub amount: i64,
    /// The gift's order number.
    #[midas(bill_no)]
    pub bill_no: String,
}

/// The answer to [`Present`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PresentResponse {
    /// The gift's order number.
    pub bill_no: String,
    /// The balance after the gift.
    pub balance: i64,
}

/// `pay_v2.queryOrder` (`/wxa/game/queryorderinfo`): the state of an order.
///
/// ```
/// use midas_api::{MidasRequest, Rule, v2};
/// let query = v2::QueryOrder { out_trade_no: "order-0001".into(), biz_id: 1 };
/// assert!(query.validate().is_ok());
/// let no_biz = v2::QueryOrder { biz_id: 0, ..query };
/// assert_eq!(no_biz.validate().expect_err("biz_id 0").rule(), &Rule::Positive);
/// ```
#[midas_api(scheme = "v2", path = "/wxa/game/queryorderinfo", response = QueryOrderResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOrder {
    /// The order number to look up.
    pub out_trade_no: String,
    /// 1 game coins, 2 direct item purchase.
    #[midas(positive)]
    pub biz_id: u8,
}

/// The answer to [`QueryOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QueryOrderResponse {
    /// The order number.
    pub out_trade_no: String,
    /// 1 unpaid, 2 paid.
    pub pay_state: i64,
    /// 1 not delivered, 2 delivered.
    pub deliver_state: i64,
    /// The product, when there is one.
    #[serde(default)]
    pub product_id: Option<String>,
    /// When payment finished (UNIX seconds).
    #[serde(default)]
    pub pay_finish_time: Option<i64>,
    /// The merchant order number.
    #[serde(default)]
    pub mch_order_no: Option<String>,
    /// The WeChat Pay transaction id.
    #[serde(default)]
    pub transaction_id: Option<String>,
}
