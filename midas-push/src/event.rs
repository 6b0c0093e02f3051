//! The typed events of payment pushes (push.md §4), decoded tolerantly.
//!
//! Every struct is `#[non_exhaustive]` with public fields: the receiver builds them, a handler
//! reads them. Identity fields (`OutTradeNo`, refund ids, `OpenId` of deliveries) are
//! required; every other field is optional, since the documentation and the samples disagree
//! on them. The exact message is always at hand through [`Push::message`](crate::Push::message).

use midas_core::Env;

use crate::error::Malformed;
use crate::fields::{flag, group, number, required_group, required_text, signed, text};
use crate::object::{Key, Obj};

/// `WeChatPayInfo`: the WeChat Pay side of a paid order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WeChatPayInfo {
    /// `MchOrderNo`: the merchant order number at WeChat Pay.
    pub mch_order_no: Option<String>,
    /// `TransactionId`: the WeChat Pay transaction id.
    pub transaction_id: Option<String>,
    /// `PaidTime`: Unix seconds of payment.
    pub paid_time: Option<u64>,
}

/// `GoodsInfo` of a goods delivery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GoodsInfo {
    /// `ProductId`.
    pub product_id: Option<String>,
    /// `Quantity`.
    pub quantity: Option<u64>,
    /// `ZoneId` (mini games).
    pub zone_id: Option<String>,
    /// `OrigPrice` in fen.
    pub orig_price: Option<u64>,
    /// `ActualPrice` in fen.
    pub actual_price: Option<u64>,
    /// `Attach`: the text given when the order was placed.
    pub attach: Option<String>,
    /// `OrderSource` (mini games).
    pub order_source: Option<u64>,
}

/// `CoinInfo` of a token (coin) delivery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CoinInfo {
    /// `ZoneId` (mini-game coin delivery).
    pub zone_id: Option<String>,
    /// `Quantity`, or `BuyQuantity` in mini-game pushes.
    pub quantity: Option<u64>,
    /// `OrigPrice` in fen.
    pub orig_price: Option<u64>,
    /// `ActualPrice` in fen, or `TotalPrice` as some samples spell it.
    pub actual_price: Option<u64>,
    /// `Attach`.
    pub attach: Option<String>,
}

/// A paid goods (item) purchase to deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GoodsDelivery {
    /// `OpenId` of the player.
    pub open_id: String,
    /// `OutTradeNo`: the game's own order number.
    pub out_trade_no: String,
    /// `Env`.
    pub env: Option<Env>,
    /// `WeChatPayInfo`.
    pub wechat_pay_info: Option<WeChatPayInfo>,
    /// `GoodsInfo`.
    pub goods_info: GoodsInfo,
}

/// A paid token (coin) recharge.
///
/// For mini-game coin delivery the documentation says to grant by a successful coin
/// deduction, not by this event alone.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CoinDelivery {
    /// `OpenId` of the player.
    pub open_id: String,
    /// `OutTradeNo`: the game's own order number.
    pub out_trade_no: String,
    /// `Env`.
    pub env: Option<Env>,
    /// `WeChatPayInfo`.
    pub wechat_pay_info: Option<WeChatPayInfo>,
    /// `CoinInfo`.
    pub coin_info: CoinInfo,
}

/// `xpay_refund_notify`: a refund finished.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XpayRefund {
    /// `MchRefundId`: the game's refund id.
    pub mch_refund_id: String,
    /// `OpenId`.
    pub open_id: Option<String>,
    /// `WxRefundId`.
    pub wx_refund_id: Option<String>,
    /// `MchOrderId`.
    pub mch_order_id: Option<String>,
    /// `WxOrderId`.
    pub wx_order_id: Option<String>,
    /// `WxpayRefundTransactionId`.
    pub wxpay_refund_transaction_id: Option<String>,
    /// `RefundFee` in fen.
    pub refund_fee: Option<u64>,
    /// `RetCode`: 0 when the refund succeeded.
    pub ret_code: Option<i64>,
    /// `RetMsg`.
    pub ret_msg: Option<String>,
    /// `RefundStartTimestamp`.
    pub refund_start_timestamp: Option<u64>,
    /// `RefundSuccTimestamp`.
    pub refund_succ_timestamp: Option<u64>,
    /// `RetryTimes`.
    pub retry_times: Option<u64>,
}

/// `xpay_complaint_notify`: a player complained. Its fields are not fully documented; the
/// raw message has the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Complaint {
    /// `ComplaintId`.
    pub complaint_id: String,
    /// `OpenId`, when present.
    pub open_id: Option<String>,
}

/// A subscription event (`xpay_subscribe_signing_result_notify`,
/// `xpay_subscribe_pay_fail_notify`); the raw message has the undocumented rest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subscription {
    /// `OpenId`, when present.
    pub open_id: Option<String>,
    /// `OutTradeNo`, when present.
    pub out_trade_no: Option<String>,
}

/// `xpay_subscribe_ios_refund_query_notify`: Apple asks whether to refund; answer with
/// [`Answer::IosRefund`](crate::Answer::IosRefund) within the 3 s budget.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IosRefundQuery {
    /// `pay_order_id`.
    pub pay_order_id: String,
    /// `refund_time`.
    pub refund_time: Option<u64>,
    /// `order_time`.
    pub order_time: Option<u64>,
    /// `channel_bill`.
    pub channel_bill: Option<String>,
    /// `bundleid`.
    pub bundleid: Option<String>,
    /// `service_type`.
    pub service_type: Option<String>,
    /// `product_id`.
    pub product_id: Option<String>,
    /// `p_count`.
    pub p_count: Option<u64>,
    /// `refund_request_reason`.
    pub refund_request_reason: Option<String>,
    /// `provide_status`.
    pub provide_status: Option<String>,
    /// `consumption_status`.
    pub consumption_status: Option<String>,
}

/// `RefundSource` of a mini-game refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefundSource {
    /// 1: the platform.
    Platform,
    /// 2: the MP console.
    MpConsole,
    /// 3: the refund API.
    Api,
    /// Any other value.
    Other(u64),
}

impl RefundSource {
    fn from_code(code: u64) -> Self {
        match code {
            1 => Self::Platform,
            2 => Self::MpConsole,
            3 => Self::Api,
            other => Self::Other(other),
        }
    }
}

/// `minigame_pay_refund_succ_notify`: a mini-game refund succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MiniGameRefund {
    /// `RefundId`.
    pub refund_id: String,
    /// `OpenId`, when present.
    pub open_id: Option<String>,
    /// `RefundAmount` in fen.
    pub refund_amount: Option<u64>,
    /// `RefundSource`.
    pub refund_source: Option<RefundSource>,
    /// `Env`.
    pub env: Option<Env>,
    /// `OutTradeNo` of the refunded order.
    pub out_trade_no: Option<String>,
    /// `WeChatPayInfo`.
    pub wechat_pay_info: Option<WeChatPayInfo>,
}

/// A typed push event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `xpay_goods_deliver_notify`.
    XpayGoodsDeliver(GoodsDelivery),
    /// `xpay_coin_pay_notify`.
    XpayCoinPay(CoinDelivery),
    /// `xpay_refund_notify`.
    XpayRefund(XpayRefund),
    /// `xpay_complaint_notify`.
    XpayComplaint(Complaint),
    /// `xpay_subscribe_signing_result_notify`.
    XpaySubscribeSigningResult(Subscription),
    /// `xpay_subscribe_pay_fail_notify`.
    XpaySubscribePayFail(Subscription),
    /// `xpay_subscribe_ios_refund_query_notify`.
    XpayIosRefundQuery(IosRefundQuery),
    /// `minigame_coin_deliver_completed`.
    MiniGameCoinDeliver(CoinDelivery),
    /// `minigame_recharge_center_coin_deliver_completed`.
    MiniGameRechargeCenterCoinDeliver(CoinDelivery),
    /// `minigame_pay_refund_succ_notify`.
    MiniGameRefund(MiniGameRefund),
    /// `minigame_game_pay_goods_deliver_notify`.
    MiniGameGoodsDeliver(GoodsDelivery),
    /// `minigame_h5_goods_deliver_notify`, also sent as `minigame_deliver_h5_pay_products`.
    MiniGameH5GoodsDeliver(GoodsDelivery),
    /// Any other message or event, kept raw in the [`Push`](crate::Push).
    Unknown {
        /// `Event`, when the message has one.
        event: Option<String>,
        /// `MsgType`, when the message has one.
        msg_type: Option<String>,
    },
}

impl Event {
    /// The event name as documented (the first name, for an event with two).
    pub fn name(&self) -> Option<&str> {
        Some(match self {
            Self::XpayGoodsDeliver(_) => "xpay_goods_deliver_notify",
            Self::XpayCoinPay(_) => "xpay_coin_pay_notify",
            Self::XpayRefund(_) => "xpay_refund_notify",
            Self::XpayComplaint(_) => "xpay_complaint_notify",
            Self::XpaySubscribeSigningResult(_) => "xpay_subscribe_signing_result_notify",
            Self::XpaySubscribePayFail(_) => "xpay_subscribe_pay_fail_notify",
            Self::XpayIosRefundQuery(_) => "xpay_subscribe_ios_refund_query_notify",
            Self::MiniGameCoinDeliver(_) => "minigame_coin_deliver_completed",
            Self::MiniGameRechargeCenterCoinDeliver(_) => "minigame_recharge_center_coin_deliver_completed",
            Self::MiniGameRefund(_) => "minigame_pay_refund_succ_notify",
            Self::MiniGameGoodsDeliver(_) => "minigame_game_pay_goods_deliver_notify",
            Self::MiniGameH5GoodsDeliver(_) => "minigame_h5_goods_deliver_notify",
            Self::Unknown { event, .. } => return event.as_deref(),
        })
    }

    /// Whether the reply to this event carries a decision the handler makes (the iOS refund
    /// query's `result_code`), so that it cannot be acknowledged before the handler ran: a
    /// receiver in the persist-then-ack mode handles it in the request all the same.
    ///
    /// ```
    /// use midas_push::Event;
    /// assert!(!Event::Unknown { event: None, msg_type: None }.answer_carries_decision());
    /// ```
    pub fn answer_carries_decision(&self) -> bool {
        matches!(self, Self::XpayIosRefundQuery(_))
    }

    /// Whether this is an event the crate does not know.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }
}

/// Reads `Env`: 0 production, 1 sandbox.
pub(crate) fn env(fields: &Obj<'_>) -> Result<Option<Env>, Malformed> {
    match number(fields, &[Key::Env, Key::EnvLower])? {
        None => Ok(None),
        Some(0) => Ok(Some(Env::Production)),
        Some(1) => Ok(Some(Env::Sandbox)),
        Some(_) => Err(Malformed::BadField("Env")),
    }
}

fn wechat_pay_info(fields: &Obj<'_>) -> Result<Option<WeChatPayInfo>, Malformed> {
    let Some(info) = group(fields, &[Key::WeChatPayInfo, Key::WechatPayInfo])? else { return Ok(None) };
    Ok(Some(WeChatPayInfo {
        mch_order_no: text(info, &[Key::MchOrderNo])?,
        transaction_id: text(info, &[Key::TransactionId])?,
        paid_time: number(info, &[Key::PaidTime])?,
    }))
}

fn goods_delivery(fields: &Obj<'_>) -> Result<GoodsDelivery, Malformed> {
    let goods = required_group(fields, &[Key::GoodsInfo])?;
    Ok(GoodsDelivery {
        open_id: required_text(fields, &[Key::OpenId, Key::OpenIdUpper, Key::OpenIdLower])?,
        out_trade_no: required_text(fields, &[Key::OutTradeNo])?,
        env: env(fields)?,
        wechat_pay_info: wechat_pay_info(fields)?,
        goods_info: GoodsInfo {
            product_id: text(goods, &[Key::ProductId])?,
            quantity: number(goods, &[Key::Quantity, Key::BuyQuantity])?,
            zone_id: text(goods, &[Key::ZoneId])?,
            orig_price: number(goods, &[Key::OrigPrice])?,
            actual_price: number(goods, &[Key::ActualPrice, Key::TotalPrice])?,
            attach: text(goods, &[Key::Attach])?,
            order_source: number(goods, &[Key::OrderSource])?,
        },
    })
}

fn coin_delivery(fields: &Obj<'_>) -> Result<CoinDelivery, Malformed> {
    let coin = required_group(fields, &[Key::CoinInfo])?;
    Ok(CoinDelivery {
        open_id: required_text(fields, &[Key::OpenId, Key::OpenIdUpper, Key::OpenIdLower])?,
        out_trade_no: required_text(fields, &[Key::OutTradeNo])?,
        env: env(fields)?,
        wechat_pay_info: wechat_pay_info(fields)?,
        coin_info: CoinInfo {
            zone_id: text(coin, &[Key::ZoneId])?,
            quantity: number(coin, &[Key::Quantity, Key::BuyQuantity])?,
            orig_price: number(coin, &[Key::OrigPrice])?,
            actual_price: number(coin, &[Key::ActualPrice, Key::TotalPrice])?,
            attach: text(coin, &[Key::Attach])?,
        },
    })
}

fn xpay_refund(fields: &Obj<'_>) -> Result<XpayRefund, Malformed> {
    Ok(XpayRefund {
        mch_refund_id: required_text(fields, &[Key::MchRefundId])?,
        open_id: text(fields, &[Key::OpenId, Key::OpenIdUpper, Key::OpenIdLower])?,
        wx_refund_id: text(fields, &[Key::WxRefundId])?,
        mch_order_id: text(fields, &[Key::MchOrderId])?,
        wx_order_id: text(fields, &[Key::WxOrderId])?,
        wxpay_refund_transaction_id: text(fields, &[Key::WxpayRefundTransactionId])?,
        refund_fee: number(fields, &[Key::RefundFee])?,
        ret_code: signed(fields, &[Key::RetCode])?,
        ret_msg: text(fields, &[Key::RetMsg])?,
        refund_start_timestamp: number(fields, &[Key::RefundStartTimestamp])?,
        refund_succ_timestamp: number(fields, &[Key::RefundSuccTimestamp])?,
        retry_times: number(fields, &[Key::RetryTimes])?,
    })
}

fn ios_refund_query(fields: &Obj<'_>) -> Result<IosRefundQuery, Malformed> {
    Ok(IosRefundQuery {
        pay_order_id: required_text(fields, &[Key::PayOrderIdSnake, Key::PayOrderId])?,
        refund_time: number(fields, &[Key::RefundTime])?,
        order_time: number(fields, &[Key::OrderTime])?,
        channel_bill: text(fields, &[Key::ChannelBill])?,
        bundleid: text(fields, &[Key::Bundleid])?,
        service_type: text(fields, &[Key::ServiceType])?,
        product_id: text(fields, &[Key::ProductIdSnake])?,
        p_count: number(fields, &[Key::PCount])?,
        refund_request_reason: text(fields, &[Key::RefundRequestReason])?,
        provide_status: text(fields, &[Key::ProvideStatus])?,
        consumption_status: text(fields, &[Key::ConsumptionStatus])?,
    })
}

fn mini_game_refund(fields: &Obj<'_>) -> Result<MiniGameRefund, Malformed> {
    Ok(MiniGameRefund {
        refund_id: required_text(fields, &[Key::RefundId])?,
        open_id: text(fields, &[Key::OpenId, Key::OpenIdUpper, Key::OpenIdLower])?,
        refund_amount: number(fields, &[Key::RefundAmount])?,
        refund_source: number(fields, &[Key::RefundSource])?.map(RefundSource::from_code),
        env: env(fields)?,
        out_trade_no: text(fields, &[Key::OutTradeNo])?,
        wechat_pay_info: wechat_pay_info(fields)?,
    })
}

/// Decodes event `name` from its fields: the top level of an xpay message, the parsed
/// `Payload` of a mini-game one.
pub(crate) fn decode(
    name: Option<&str>,
    msg_type: Option<String>,
    fields: &Obj<'_>,
) -> Result<Event, Malformed> {
    Ok(match name {
        Some("xpay_goods_deliver_notify") => Event::XpayGoodsDeliver(goods_delivery(fields)?),
        Some("xpay_coin_pay_notify") => Event::XpayCoinPay(coin_delivery(fields)?),
        Some("xpay_refund_notify") => Event::XpayRefund(xpay_refund(fields)?),
        Some("xpay_complaint_notify") => Event::XpayComplaint(Complaint {
            complaint_id: required_text(fields, &[Key::ComplaintId])?,
            open_id: text(fields, &[Key::OpenId, Key::OpenIdUpper, Key::OpenIdLower])?,
        }),
        Some(name @ ("xpay_subscribe_signing_result_notify" | "xpay_subscribe_pay_fail_notify")) => {
            let subscription = Subscription {
                open_id: text(fields, &[Key::OpenId, Key::OpenIdUpper, Key::OpenIdLower])?,
                out_trade_no: text(fields, &[Key::OutTradeNo])?,
            };
            if name == "xpay_subscribe_pay_fail_notify" {
                Event::XpaySubscribePayFail(subscription)
            } else {
                Event::XpaySubscribeSigningResult(subscription)
            }
        }
        Some("xpay_subscribe_ios_refund_query_notify") => {
            Event::XpayIosRefundQuery(ios_refund_query(fields)?)
        }
        Some("minigame_coin_deliver_completed") => Event::MiniGameCoinDeliver(coin_delivery(fields)?),
        Some("minigame_recharge_center_coin_deliver_completed") => {
            Event::MiniGameRechargeCenterCoinDeliver(coin_delivery(fields)?)
        }
        Some("minigame_pay_refund_succ_notify") => Event::MiniGameRefund(mini_game_refund(fields)?),
        Some("minigame_game_pay_goods_deliver_notify") => {
            Event::MiniGameGoodsDeliver(goods_delivery(fields)?)
        }
        Some("minigame_h5_goods_deliver_notify" | "minigame_deliver_h5_pay_products") => {
            Event::MiniGameH5GoodsDeliver(goods_delivery(fields)?)
        }
        other => Event::Unknown { event: other.map(str::to_owned), msg_type },
    })
}

/// Reads `IsMock` of a mini-game wrapper.
pub(crate) fn is_mock(wrapper: &Obj<'_>) -> Result<bool, Malformed> {
    Ok(flag(wrapper, &[Key::IsMock])?.unwrap_or(false))
}
