//! Orders: look one up, mark a cash order delivered, refund a cash order.
//!
//! Each of these APIs names its order by the game's own id (`order_id`: the `outTradeNo` of a
//! cash purchase, the `order_id` of a coin call) **or** by WeChat's (`wx_order_id`), never
//! both: the requests are built from an [`OrderRef`], so a request naming neither or both
//! cannot be written.

use serde::Deserialize;

use crate::midas_api;
use crate::xpay::lenient;
use midas_core::{Rule, ValidationError, rules};

/// Which order a call is about.
///
/// ```
/// use midas_api::xpay::OrderRef;
/// let ours = OrderRef::OrderId("order-0001".into());
/// assert_eq!(ours.id(), "order-0001");
/// assert_eq!(OrderRef::WxOrderId("VPO2604".into()).wire_name(), "wx_order_id");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrderRef {
    /// The game's own order id: the `outTradeNo` of a cash purchase, the `order_id` of a coin
    /// call, a `refund_order_id`.
    OrderId(String),
    /// WeChat's order id (`wx_order_id` in `query_order`, `WxOrderId` in pushes).
    WxOrderId(String),
}

impl OrderRef {
    /// The id.
    pub fn id(&self) -> &str {
        match self {
            Self::OrderId(id) | Self::WxOrderId(id) => id,
        }
    }

    /// The body field it is sent as: `order_id` or `wx_order_id`.
    pub fn wire_name(&self) -> &'static str {
        match self {
            Self::OrderId(_) => "order_id",
            Self::WxOrderId(_) => "wx_order_id",
        }
    }

    /// The two optional body fields, exactly one of them set.
    fn into_fields(self) -> (Option<String>, Option<String>) {
        match self {
            Self::OrderId(id) => (Some(id), None),
            Self::WxOrderId(id) => (None, Some(id)),
        }
    }

    fn of_fields(order_id: Option<&String>, wx_order_id: Option<&String>) -> Self {
        match (order_id, wx_order_id) {
            (Some(id), _) => Self::OrderId(id.clone()),
            (None, Some(id)) => Self::WxOrderId(id.clone()),
            // Unreachable by construction; an empty id is refused by validation.
            (None, None) => Self::OrderId(String::new()),
        }
    }
}

/// The constructors of a request that names one order by either id (its fields are private, so
/// a request naming neither or both cannot be written).
macro_rules! by_either_id {
    ($request:ident) => {
        impl $request {
            /// The order `target` names.
            pub fn new(target: OrderRef) -> Self {
                let (order_id, wx_order_id) = target.into_fields();
                Self { order_id, wx_order_id }
            }

            /// By the game's own order id (for a cash purchase, its `outTradeNo`).
            pub fn by_order_id(order_id: impl Into<String>) -> Self {
                Self::new(OrderRef::OrderId(order_id.into()))
            }

            /// By WeChat's order id.
            pub fn by_wx_order_id(wx_order_id: impl Into<String>) -> Self {
                Self::new(OrderRef::WxOrderId(wx_order_id.into()))
            }

            /// The order named.
            pub fn target(&self) -> OrderRef {
                OrderRef::of_fields(self.order_id.as_ref(), self.wx_order_id.as_ref())
            }
        }
    };
}

/// `query_order`: an order's state, by the game's order id or WeChat's. It is a lookup, not a
/// money call: it is never journaled.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let ours = xpay::QueryOrder::by_order_id("order-0001");
/// let theirs = xpay::QueryOrder::by_wx_order_id("VPO260422181202013995807");
/// assert_eq!(theirs.target(), xpay::OrderRef::WxOrderId("VPO260422181202013995807".into()));
/// assert_eq!(ours.order_id(), None, "no idempotency key: a lookup");
/// assert_eq!(xpay::QueryOrder::PATH, "/xpay/query_order");
/// assert!(xpay::QueryOrder::by_order_id("").validate().is_err(), "refused before sending");
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_order", response = QueryOrderResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOrder {
    order_id: Option<String>,
    wx_order_id: Option<String>,
}

by_either_id!(QueryOrder);

/// The answer to [`QueryOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QueryOrderResponse {
    /// The order.
    pub order: Order,
}

/// Where an order stands (`query_order.status`).
///
/// ```
/// use midas_api::xpay::OrderStatus;
/// assert_eq!(OrderStatus::from_code(4), OrderStatus::Delivered);
/// assert_eq!(OrderStatus::from_code(42), OrderStatus::Unknown(42));
/// assert!(OrderStatus::Paid.awaits_delivery() && !OrderStatus::Delivered.awaits_delivery());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderStatus {
    /// 0: initialised, not usable.
    Init,
    /// 1: created, not paid (a refund order: started).
    Created,
    /// 2: paid, waiting for delivery.
    Paid,
    /// 3: being delivered.
    Delivering,
    /// 4: delivered.
    Delivered,
    /// 5: refunded (in full, for a pay order; done, for a refund order).
    Refunded,
    /// 6: closed.
    Closed,
    /// 7: the refund failed.
    RefundFailed,
    /// 8: refunded at the player's request.
    UserRefunded,
    /// 9: recovered from ad funds.
    AdFundsRecovered,
    /// 10: profit sharing rolled back.
    ProfitSharingRolledBack,
    /// Any other code, kept as it came.
    Unknown(i64),
}

impl OrderStatus {
    /// The status of a code.
    pub const fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Init,
            1 => Self::Created,
            2 => Self::Paid,
            3 => Self::Delivering,
            4 => Self::Delivered,
            5 => Self::Refunded,
            6 => Self::Closed,
            7 => Self::RefundFailed,
            8 => Self::UserRefunded,
            9 => Self::AdFundsRecovered,
            10 => Self::ProfitSharingRolledBack,
            other => Self::Unknown(other),
        }
    }

    /// The code.
    pub const fn code(self) -> i64 {
        match self {
            Self::Init => 0,
            Self::Created => 1,
            Self::Paid => 2,
            Self::Delivering => 3,
            Self::Delivered => 4,
            Self::Refunded => 5,
            Self::Closed => 6,
            Self::RefundFailed => 7,
            Self::UserRefunded => 8,
            Self::AdFundsRecovered => 9,
            Self::ProfitSharingRolledBack => 10,
            Self::Unknown(code) => code,
        }
    }

    /// Paid and not delivered yet (2, 3): what the fallback of `notify_provide_goods` is for.
    pub const fn awaits_delivery(self) -> bool {
        matches!(self, Self::Paid | Self::Delivering)
    }
}

impl<'de> Deserialize<'de> for OrderStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient::integer(deserializer).map(Self::from_code)
    }
}

/// `query_order.order_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderType {
    /// 0: a pay.
    Pay,
    /// 1: a refund.
    Refund,
    /// 7: an iOS pay.
    IosPay,
    /// 8: an iOS refund.
    IosRefund,
    /// Any other code, kept as it came.
    Unknown(i64),
}

impl OrderType {
    /// The type of a code.
    pub const fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Pay,
            1 => Self::Refund,
            7 => Self::IosPay,
            8 => Self::IosRefund,
            other => Self::Unknown(other),
        }
    }
}

impl<'de> Deserialize<'de> for OrderType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient::integer(deserializer).map(Self::from_code)
    }
}

/// An xpay order as `query_order` describes it. Amounts are in fen. Every field but the order
/// id and status may be absent (the captured answers leave some out), and numbers are read
/// whether they come as numbers or as strings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Order {
    /// The game's order id (a cash purchase's `outTradeNo`; a refund's `refund_order_id`).
    pub order_id: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// Created, Unix seconds.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub create_time: Option<i64>,
    /// Last changed, Unix seconds.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub update_time: Option<i64>,
    /// The business type.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub biz_type: Option<i64>,
    /// The order's amount.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub order_fee: Option<i64>,
    /// The discount.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub coupon_fee: Option<i64>,
    /// What the player paid.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub paid_fee: Option<i64>,
    /// Pay, refund, iOS pay, iOS refund.
    #[serde(default)]
    pub order_type: Option<OrderType>,
    /// Refunded so far.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub refund_fee: Option<i64>,
    /// Paid, Unix seconds.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub paid_time: Option<i64>,
    /// Delivered, Unix seconds.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub provide_time: Option<i64>,
    /// What the game attached when ordering (a cash purchase: JSON text holding its `attach`).
    #[serde(default)]
    pub biz_meta: Option<String>,
    /// 1 production, 2 sandbox.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub env_type: Option<i64>,
    /// The order token Midas issued.
    #[serde(default)]
    pub token: Option<String>,
    /// What is left to refund: the `left_fee` a refund must name.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub left_fee: Option<i64>,
    /// WeChat's order id.
    #[serde(default)]
    pub wx_order_id: Option<String>,
    /// The payment channel's order id.
    #[serde(default)]
    pub channel_order_id: Option<String>,
    /// The WeChat Pay transaction id.
    #[serde(default)]
    pub wxpay_order_id: Option<String>,
    /// Settled, Unix seconds.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub sett_time: Option<i64>,
    /// The settlement state.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub sett_state: Option<i64>,
    /// The platform's fee.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub platform_fee_fen: Option<i64>,
    /// The CPS (promotion) fee.
    #[serde(default, deserialize_with = "lenient::optional_integer")]
    pub cps_fee_fen: Option<i64>,
}

/// `notify_provide_goods`: mark a paid cash order delivered, the documented fallback when the
/// delivery push did not get through. Its body carries no openid. WeChat treats it as
/// idempotent, so it is not journaled: a refusal (e.g. the order is not paid yet) is not
/// remembered for the next attempt.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let notify = xpay::NotifyProvideGoods::by_order_id("order-0001");
/// assert!(notify.validate().is_ok());
/// assert_eq!(notify.order_id(), None);
/// assert_eq!(xpay::NotifyProvideGoods::PATH, "/xpay/notify_provide_goods");
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/notify_provide_goods", response = NotifyProvideGoodsResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyProvideGoods {
    order_id: Option<String>,
    wx_order_id: Option<String>,
}

by_either_id!(NotifyProvideGoods);

/// The (empty) answer to [`NotifyProvideGoods`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NotifyProvideGoodsResponse {}

/// Why a refund is made (`refund_reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefundReason {
    /// "0": no description.
    Unspecified,
    /// "1": a problem with the product.
    Product,
    /// "2": after-sales: the product does not meet the need.
    AfterSales,
    /// "3": the player asked for it.
    PlayerRequest,
    /// "4": the price.
    Price,
    /// "5": another reason.
    Other,
}

impl RefundReason {
    /// The value sent.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Unspecified => "0",
            Self::Product => "1",
            Self::AfterSales => "2",
            Self::PlayerRequest => "3",
            Self::Price => "4",
            Self::Other => "5",
        }
    }
}

/// Who started a refund (`req_from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefundRequester {
    /// "1": customer service, for a player who called.
    CustomerService,
    /// "2": the player.
    Player,
    /// "3": someone else.
    Other,
}

impl RefundRequester {
    /// The value sent.
    pub const fn code(self) -> &'static str {
        match self {
            Self::CustomerService => "1",
            Self::Player => "2",
            Self::Other => "3",
        }
    }
}

/// The most `biz_meta` bytes `refund_order` takes.
pub const BIZ_META_MAX_BYTES: usize = 1024;

/// `refund_order`: start a refund *task* of a cash order (up to 365 days after payment). The
/// refund finishes later: `query_order` by the refund's own id reads its state, and WeChat
/// pushes `xpay_refund_notify` when it is done.
///
/// A money call: its idempotency key is `refund_order_id`, kept across retries and journaled
/// like the others. Built by [`RefundOrder::new`], which refuses, before anything is sent, a
/// `refund_order_id` outside `[0-9A-Za-z_-]{8,32}`, a `left_fee` not above zero and a
/// `refund_fee` outside `(0, left_fee]`. `left_fee` must be what `query_order` reports as
/// left (268490016 otherwise); "refund in progress" (268490014) is retried with the same
/// parameters.
///
/// `biz_meta` is sent only when given: the reference lists it as required with a length of
/// `[0, 1024]`, and requests without it are accepted.
///
/// ```
/// use midas_api::{MidasRequest, Rule, xpay};
/// use midas_api::xpay::{OrderRef, RefundOrder, RefundReason, RefundRequester};
/// let refund = RefundOrder::new(
///     OrderRef::OrderId("order-0001".into()),
///     "refund-0001",
///     600,
///     200,
///     RefundReason::PlayerRequest,
///     RefundRequester::Player,
/// )?
/// .with_biz_meta("ticket 42")?;
/// assert_eq!(refund.order_id(), Some("refund-0001"), "the refund's own id is the key");
/// assert_eq!((refund.left_fee(), refund.refund_fee()), (600, 200));
/// let too_much = RefundOrder::new(
///     OrderRef::OrderId("order-0001".into()),
///     "refund-0002",
///     600,
///     601,
///     RefundReason::Other,
///     RefundRequester::Other,
/// );
/// assert_eq!(too_much.expect_err("more than is left").field(), "refund_fee");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/refund_order", response = RefundOrderResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundOrder {
    order_id: Option<String>,
    wx_order_id: Option<String>,
    #[midas(key)]
    refund_order_id: String,
    left_fee: i64,
    #[midas(positive)]
    refund_fee: i64,
    biz_meta: Option<String>,
    refund_reason: String,
    req_from: String,
}

impl RefundOrder {
    /// A refund of `refund_fee` fen of the order `order`, of which `left_fee` is left
    /// (`query_order`'s `left_fee`), under the refund's own id `refund_order_id`.
    pub fn new(
        order: OrderRef,
        refund_order_id: impl Into<String>,
        left_fee: i64,
        refund_fee: i64,
        reason: RefundReason,
        requester: RefundRequester,
    ) -> Result<Self, ValidationError> {
        let refund_order_id = refund_order_id.into();
        rules::text(order.wire_name(), order.id())?;
        rules::refund_order_id("refund_order_id", &refund_order_id)?;
        rules::positive("left_fee", &left_fee)?;
        if !(1..=left_fee).contains(&refund_fee) {
            let max = u64::try_from(left_fee).unwrap_or_default();
            return Err(ValidationError::new("refund_fee", Rule::Range { min: 1, max }));
        }
        let (order_id, wx_order_id) = order.into_fields();
        Ok(Self {
            order_id,
            wx_order_id,
            refund_order_id,
            left_fee,
            refund_fee,
            biz_meta: None,
            refund_reason: reason.code().to_owned(),
            req_from: requester.code().to_owned(),
        })
    }

    /// Sets `biz_meta` (at most [`BIZ_META_MAX_BYTES`] bytes, no control characters; empty
    /// text leaves it out), which `query_order` hands back.
    pub fn with_biz_meta(mut self, biz_meta: impl Into<String>) -> Result<Self, ValidationError> {
        let biz_meta = biz_meta.into();
        rules::max_bytes("biz_meta", &biz_meta, BIZ_META_MAX_BYTES)?;
        self.biz_meta = (!biz_meta.is_empty()).then_some(biz_meta);
        Ok(self)
    }

    /// The order refunded.
    pub fn target(&self) -> OrderRef {
        OrderRef::of_fields(self.order_id.as_ref(), self.wx_order_id.as_ref())
    }

    /// The refund's own id.
    pub fn refund_order_id(&self) -> &str {
        &self.refund_order_id
    }

    /// What was left of the order.
    pub fn left_fee(&self) -> i64 {
        self.left_fee
    }

    /// What this refund gives back.
    pub fn refund_fee(&self) -> i64 {
        self.refund_fee
    }

    /// `biz_meta`, when set.
    pub fn biz_meta(&self) -> Option<&str> {
        self.biz_meta.as_deref()
    }
}

/// The answer to [`RefundOrder`]: the task started.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RefundOrderResponse {
    /// The refund's own id.
    pub refund_order_id: String,
    /// WeChat's id of the refund.
    #[serde(default)]
    pub refund_wx_order_id: Option<String>,
    /// The refunded order's id.
    #[serde(default)]
    pub pay_order_id: Option<String>,
    /// WeChat's id of the refunded order.
    #[serde(default)]
    pub pay_wx_order_id: Option<String>,
}
