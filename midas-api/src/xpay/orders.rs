//! Orders: look one up, mark a cash order delivered.

use serde::Deserialize;

use crate::midas_api;

/// `query_order`: an order's state.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let query = xpay::QueryOrder { order_id: "order-0001".into() };
/// assert_eq!(query.order_id(), Some("order-0001"));
/// assert_eq!(xpay::QueryOrder::PATH, "/xpay/query_order");
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_order", response = QueryOrderResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOrder {
    /// The order id to look up.
    #[midas(bill_no)]
    pub order_id: String,
}

/// The answer to [`QueryOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QueryOrderResponse {
    /// The order.
    pub order: Order,
}

/// An xpay order as `query_order` describes it (the fields a game server acts on; others are
/// ignored).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Order {
    /// The order id.
    pub order_id: String,
    /// 1 created, 2 paid, 3 delivering, 4 delivered, 5 refunded, 6 closed, …
    pub status: i64,
    /// The order's amount.
    #[serde(default)]
    pub order_fee: Option<i64>,
    /// The WeChat order id.
    #[serde(default)]
    pub wx_order_id: Option<String>,
}

/// `notify_provide_goods`: mark a cash order delivered after push delivery failed. Its body
/// carries no openid.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let notify = xpay::NotifyProvideGoods { order_id: "order-0001".into() };
/// assert!(notify.validate().is_ok());
/// assert_eq!(xpay::NotifyProvideGoods::PATH, "/xpay/notify_provide_goods");
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/notify_provide_goods", response = NotifyProvideGoodsResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyProvideGoods {
    /// The order id.
    #[midas(bill_no)]
    pub order_id: String,
}

/// The (empty) answer to [`NotifyProvideGoods`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NotifyProvideGoodsResponse {}
