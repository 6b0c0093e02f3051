//! What the protocols and the books agree on: a checked call ([`Entry`], asking an [`Op`]),
//! and what the books answer, an outcome ([`Applied`], holding a [`Done`]) or a [`Refusal`].
//! The books speak no protocol; each protocol words these in its own errcodes and fields.

use midas_core::Env;

use super::report::Balance;
use crate::api::Api;

/// What a checked call asks of the books.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Balance,
    Present {
        bill_no: String,
        amount: i64,
    },
    Pay {
        bill_no: String,
        amount: i64,
        payitem: Option<String>,
    },
    /// Midas 1.0 `cancelpay`: give back whatever is left of the pay.
    CancelRest {
        pay_bill_no: String,
    },
    /// A refund order of its own, of `amount` coins of the pay; with `once`, refused when the
    /// pay was refunded before at all (xpay), else whenever it adds up to more than the pay.
    Refund {
        bill_no: String,
        pay_bill_no: String,
        amount: i64,
        once: bool,
    },
    /// An order of the player, by its `bill_no`, in any zone.
    Query {
        bill_no: String,
    },
    /// Any pay or present order of the environment, by its `bill_no`.
    Deliver {
        bill_no: String,
    },
    /// xpay: an order of the player by WeChat's order id.
    QueryByWx {
        wx_order_id: String,
    },
    /// xpay: a cash order of the environment by WeChat's order id.
    DeliverByWx {
        wx_order_id: String,
    },
    /// xpay `refund_order`: a refund task of a cash order.
    CashRefund(Box<RefundAsk>),
}

/// A checked call, ready for the books.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) api: Api,
    pub(crate) env: Env,
    /// `None` only for calls about an order alone (`notify_provide_goods`).
    pub(crate) openid: Option<String>,
    /// The zone of the wallet: the body's `zone_id`, or [`crate::DEFAULT_ZONE_ID`] for xpay.
    pub(crate) zone_id: String,
    pub(crate) op: Op,
    /// What identifies the order beyond its `bill_no` (every body field but `ts` and the
    /// signatures): two attempts of one request carry the same fingerprint.
    pub(crate) fingerprint: Vec<(String, String)>,
}

impl Entry {
    /// What names the call across its attempts, for the fault draws: the order it books or is
    /// about (a Midas 1.0 `cancelpay`: the pay's `bill_no`), or the player for a balance query.
    pub(crate) fn call(&self) -> &str {
        match &self.op {
            Op::Balance => self.openid.as_deref().unwrap_or_default(),
            Op::Present { bill_no, .. }
            | Op::Pay { bill_no, .. }
            | Op::Refund { bill_no, .. }
            | Op::Query { bill_no }
            | Op::Deliver { bill_no } => bill_no,
            Op::QueryByWx { wx_order_id } | Op::DeliverByWx { wx_order_id } => wx_order_id,
            Op::CashRefund(ask) => &ask.refund_order_id,
            Op::CancelRest { pay_bill_no } => pay_bill_no,
        }
    }
}

/// What the books did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Done {
    Balance(Balance),
    Present {
        bill_no: String,
        balance: i64,
        gen_balance: i64,
    },
    Pay {
        bill_no: String,
        balance: i64,
        used_gen_amt: i64,
    },
    /// `bill_no` is the refund order's, or the pay's for a Midas 1.0 `cancelpay`.
    Refund {
        bill_no: String,
        balance: i64,
    },
    Order(OrderView),
    Delivered,
    /// xpay: a cash order or refund task, as `query_order` reports it.
    CashOrder(Box<CashOrderView>),
    /// xpay `refund_order`: the task started (or the same task again).
    RefundStarted(RefundStarted),
}

/// An outcome, and whether it is the remembered outcome of an identical earlier call that
/// changed nothing this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) done: Done,
    pub(crate) replayed: bool,
}

/// Why the books refused; each generation has its errcode for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No wallet: the player was never registered.
    UnknownPlayer,
    /// The `bill_no` belongs to another order.
    BillNoTaken,
    /// Fewer coins than the pay asks.
    NotEnough,
    /// No pay of the player in the zone under that `bill_no`.
    UnknownPay,
    /// Nothing is left to refund of the pay.
    FullyRefunded,
    /// The pay was refunded before, and may be refunded once only.
    AlreadyRefunded,
    /// The refund asks for more than is left of the pay.
    RefundTooLarge { left: i64 },
    /// No order under that `bill_no`.
    UnknownOrder,
    /// The amount would take a number of the wallet past `i64`: a parameter error, nothing
    /// applied.
    Overflow,
    /// xpay `refund_order`: another refund of the order is running.
    RefundRunning,
    /// xpay `refund_order`: `left_fee` is not what is left of the order.
    LeftFeeMismatch,
}

/// The kind of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderKind {
    Pay,
    Present,
    Refund,
}

/// An order as a query reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrderView {
    pub(crate) env: Env,
    pub(crate) bill_no: String,
    pub(crate) kind: OrderKind,
    /// Coins paid, gifted or refunded by the order.
    pub(crate) amount: i64,
    /// For a pay: coins refunded of it so far.
    pub(crate) refunded: i64,
    /// The effect that booked the order: a number unique to it.
    pub(crate) seq: u64,
    /// When it was booked, UNIX seconds.
    pub(crate) time: u64,
    pub(crate) payitem: Option<String>,
}

/// What a paid launch bought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bought {
    Goods { product_id: String, unit_price: i64, quantity: i64 },
    Coins { quantity: i64 },
}

/// A cash order as `query_order` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CashOrderView {
    pub(crate) env: Env,
    pub(crate) order_id: String,
    pub(crate) wx_order_id: String,
    pub(crate) openid: String,
    pub(crate) bought: Bought,
    pub(crate) attach: String,
    /// 2 paid, 4 delivered, 5 refunded in full; a refund order: 1 running, 5 done.
    pub(crate) status: i64,
    /// 0 a pay, 1 a refund.
    pub(crate) order_type: i64,
    pub(crate) order_fee: i64,
    pub(crate) paid_fee: i64,
    pub(crate) refund_fee: i64,
    pub(crate) left_fee: i64,
    pub(crate) biz_meta: String,
    pub(crate) create_time: u64,
    pub(crate) update_time: u64,
    pub(crate) paid_time: u64,
    pub(crate) provide_time: u64,
    pub(crate) seq: u64,
    /// The payment channel's and WeChat Pay's ids (the push's `MchOrderNo`, `TransactionId`).
    pub(crate) channel_order_id: String,
    pub(crate) wxpay_order_id: String,
}

/// What `refund_order` asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefundAsk {
    pub(crate) openid: String,
    /// The order, by `order_id` (`false`) or `wx_order_id` (`true`).
    pub(crate) order: String,
    pub(crate) by_wx_order_id: bool,
    pub(crate) refund_order_id: String,
    pub(crate) left_fee: i64,
    pub(crate) refund_fee: i64,
    pub(crate) biz_meta: String,
    /// Every field of the request but the signatures: the same id with other fields is
    /// another refund.
    pub(crate) fingerprint: Vec<(String, String)>,
}

/// A refund task, as `refund_order` answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefundStarted {
    pub(crate) refund_order_id: String,
    pub(crate) refund_wx_order_id: String,
    pub(crate) pay_order_id: String,
    pub(crate) pay_wx_order_id: String,
}
