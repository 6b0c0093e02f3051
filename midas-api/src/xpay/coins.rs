//! The coin APIs: the player's balance, pays, refunds of pays, gifts.

use serde::Deserialize;

use crate::midas_api;

/// `query_user_balance`: the player's balance. It needs the player's session key and IP; a
/// player without an IP is refused before anything is sent:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{AccessToken, AppKey, Client, Config, Env, Error, Player, SessionKey, StaticToken, xpay};
/// let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
///     .payment_sandbox_key(AppKey::new("virtual-payment-key")?)
///     .build()?;
/// let client = Client::new(config, StaticToken::new(AccessToken::new("TOKEN")?))?;
/// let player = Player::new("player-1").with_session_key(SessionKey::new("session-key-1")?);
/// let refused = client.prepare(&player, &xpay::QueryUserBalance {}).await;
/// assert!(matches!(refused, Err(Error::Validation(error)) if error.field() == "user_ip"));
/// let dry_run = client.prepare(&player.with_user_ip("203.0.113.7"), &xpay::QueryUserBalance {}).await?;
/// assert!(dry_run.url.to_string().contains("&pay_sig=") && dry_run.url.to_string().contains("&signature="));
/// # Ok(()) }
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_user_balance", require_user_ip = true, response = UserBalanceResponse, user_signature = true)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryUserBalance {}

/// The answer to [`QueryUserBalance`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserBalanceResponse {
    /// Coins, gifted ones included.
    pub balance: i64,
    /// Gifted coins.
    pub present_balance: i64,
    /// Coins topped up in total.
    pub sum_save: i64,
    /// Coins received as gifts in total.
    pub sum_present: i64,
    /// Historical total of coins.
    pub sum_balance: i64,
    /// Coins spent in total.
    pub sum_cost: i64,
    /// Whether the player qualifies for a first top-up.
    #[serde(deserialize_with = "midas_core::bool_or_int")]
    pub first_save_flag: bool,
}

/// `currency_pay`: deduct coins; `order_id` is kept across retries. An example call is at
/// [`Client::xpay`](crate::Client::xpay).
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let pay = xpay::CurrencyPay { amount: 30, order_id: "order-0001".into(), payitem: None, remark: None };
/// assert_eq!((pay.order_id(), pay.amount()), (Some("order-0001"), Some(30)));
/// assert!(xpay::CurrencyPay::USER_SIGNATURE);
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/currency_pay", require_user_ip = true, response = CurrencyPayResponse, user_signature = true)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrencyPay {
    /// Coins to deduct; more than zero.
    #[midas(positive)]
    pub amount: i64,
    /// The order id: `[0-9A-Za-z_-]{1,63}`.
    #[midas(bill_no)]
    pub order_id: String,
    /// Items, as the JSON text the API documents (e.g. `[{"productid":"id","unit_price":1,"quantity":1}]`).
    pub payitem: Option<String>,
    /// A remark for the statement.
    pub remark: Option<String>,
}

/// The answer to [`CurrencyPay`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CurrencyPayResponse {
    /// The order id.
    pub order_id: String,
    /// The balance after the deduction.
    pub balance: i64,
    /// Gifted coins the deduction used.
    pub used_present_amount: i64,
}

/// `cancel_currency_pay`: refund a `currency_pay`, with a new order id of its own.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let refund = xpay::CancelCurrencyPay {
///     pay_order_id: "order-0001".into(),
///     order_id: "refund-0001".into(),
///     amount: 30,
/// };
/// assert_eq!(refund.order_id(), Some("refund-0001"), "retries keep the refund's own order id");
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/cancel_currency_pay", require_user_ip = true, response = CancelCurrencyPayResponse, user_signature = true)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelCurrencyPay {
    /// The `order_id` of the pay to refund.
    #[midas(bill_no)]
    pub pay_order_id: String,
    /// This refund's own order id, kept across retries.
    #[midas(bill_no, key)]
    pub order_id: String,
    /// Coins to refund; more than zero.
    #[midas(positive)]
    pub amount: i64,
}

/// The answer to [`CancelCurrencyPay`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CancelCurrencyPayResponse {
    /// The refund's order id.
    pub order_id: String,
}

/// `present_currency`: gift coins. There is no lookup by order id, so retries go on until
/// success or 268490004 (already succeeded).
///
/// ```
/// use midas_api::{MidasRequest, Rule, xpay};
/// let gift = xpay::PresentCurrency { order_id: "gift-0001".into(), amount: 50 };
/// assert!(gift.validate().is_ok());
/// assert!(!xpay::PresentCurrency::USER_SIGNATURE, "no session key needed");
/// let too_long = xpay::PresentCurrency { order_id: "g".repeat(64), ..gift };
/// assert_eq!(too_long.validate().expect_err("64 characters").rule(), &Rule::BillNo);
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/present_currency", response = PresentCurrencyResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentCurrency {
    /// The gift's order id.
    #[midas(bill_no)]
    pub order_id: String,
    /// Coins to gift; more than zero.
    #[midas(positive)]
    pub amount: i64,
}

/// The answer to [`PresentCurrency`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PresentCurrencyResponse {
    /// The balance after the gift.
    pub balance: i64,
    /// The gift's order id.
    pub order_id: String,
    /// Gifted coins after the gift.
    pub present_balance: i64,
}
