//! Subscriptions: a player signs a contract for a subscription item (`product_id`, your
//! `out_contract_code`) in the mini program; the service then reads the contract, notifies
//! the player before each charge, charges, or ends the contract.
//!
//! The bodies carry the player's openid (from the [`Player`](crate::Player)); no session key
//! is needed. Their refusals are their own numbers, not the 268490xxx family: 690000000 the
//! player holds no live contract, 690000001 a notice outside its window, 674690001 a price or
//! item refused; the charge answers -15025 without a notice (or for a repeated charge), -15027
//! for a price beyond the notice, -15002 for a reused `order_id`, -15011 outside production.

use serde::{Deserialize, Deserializer};

use crate::{Rule, ValidationError, midas_api};

/// `query_subscribe_contract`: the state of the player's contract for an item.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let query = xpay::QuerySubscribeContract { product_id: "vip_monthly".into(), out_contract_code: "contract-0001".into() };
/// assert!(query.validate().is_ok());
/// assert!(!xpay::QuerySubscribeContract::USER_SIGNATURE);
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_subscribe_contract", response = QuerySubscribeContractResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuerySubscribeContract {
    /// The subscription item.
    pub product_id: String,
    /// The contract code given when the player signed.
    pub out_contract_code: String,
}

/// The answer to [`QuerySubscribeContract`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QuerySubscribeContractResponse {
    /// The contract's state.
    pub authorization_state: AuthorizationState,
}

/// The state of a subscription contract.
///
/// ```
/// use midas_api::xpay::AuthorizationState;
/// let state: AuthorizationState = serde_json::from_str(r#""SIGNED""#)?;
/// assert_eq!(state, AuthorizationState::Signed);
/// let later: AuthorizationState = serde_json::from_str(r#""PAUSED""#)?;
/// assert_eq!(later, AuthorizationState::Other("PAUSED".into()));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorizationState {
    /// `SIGNED`: the contract is live.
    Signed,
    /// `TERMINATED`: ended for good; signing again needs a new contract code.
    Terminated,
    /// `UNBINDUSER`: the player never signed it.
    NeverSigned,
    /// A state this version does not know, as sent.
    Other(String),
}

impl<'de> Deserialize<'de> for AuthorizationState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.as_str() {
            "SIGNED" => Self::Signed,
            "TERMINATED" => Self::Terminated,
            "UNBINDUSER" => Self::NeverSigned,
            _ => Self::Other(text),
        })
    }
}

/// The least a subscription charge may be, in fen (1 yuan).
pub const MIN_SUBSCRIBE_PRICE: i64 = 100;

/// `send_subscribe_pre_payment`: tell the player about the next charge of a contract; a charge
/// ([`SubmitSubscribePayOrder`]) needs it first. `deduct_price` is from
/// [`MIN_SUBSCRIBE_PRICE`] to the item's price:
///
/// ```
/// use midas_api::{MidasRequest, Rule, xpay};
/// let notice = xpay::SendSubscribePrePayment::new("vip_monthly", "contract-0001", 1_500)?;
/// assert!(notice.validate().is_ok());
/// let cheap = xpay::SendSubscribePrePayment::new("vip_monthly", "contract-0001", 99);
/// assert_eq!(cheap.expect_err("below 1 yuan").field(), "deduct_price");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/send_subscribe_pre_payment", response = SendSubscribePrePaymentResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendSubscribePrePayment {
    deduct_price: i64,
    product_id: String,
    out_contract_code: String,
}

impl SendSubscribePrePayment {
    /// A notice of a charge of `deduct_price` fen (at least [`MIN_SUBSCRIBE_PRICE`]).
    pub fn new(
        product_id: impl Into<String>,
        out_contract_code: impl Into<String>,
        deduct_price: i64,
    ) -> Result<Self, ValidationError> {
        let (product_id, out_contract_code) = (product_id.into(), out_contract_code.into());
        midas_core::rules::text("product_id", &product_id)?;
        midas_core::rules::text("out_contract_code", &out_contract_code)?;
        if deduct_price < MIN_SUBSCRIBE_PRICE {
            return Err(ValidationError::new(
                "deduct_price",
                Rule::Range { min: MIN_SUBSCRIBE_PRICE.unsigned_abs(), max: i64::MAX.unsigned_abs() },
            ));
        }
        Ok(Self { deduct_price, product_id, out_contract_code })
    }
}

/// The (empty) answer to [`SendSubscribePrePayment`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SendSubscribePrePaymentResponse {}

/// What a subscription charge is: the input of [`SubmitSubscribePayOrder::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscribeCharge {
    /// The app's offer id (the one of the client's configuration).
    pub offer_id: String,
    /// The subscription item.
    pub product_id: String,
    /// Fen to charge: above 0, at most the notified price.
    pub deduct_price: i64,
    /// Your order id: 8 to 32 characters of `[0-9A-Za-z_-]`, never reused.
    pub order_id: String,
    /// Data handed back in the delivery push.
    pub attach: String,
}

/// `submit_subscribe_pay_order`: charge a contract after its notice. Success means the charge
/// was accepted; its outcome comes with the delivery push. Midas takes it in production only
/// (`env` 0). One item, in CNY: those fields are filled in:
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let charge = xpay::SubscribeCharge {
///     offer_id: "12345678".into(),
///     product_id: "vip_monthly".into(),
///     deduct_price: 1_500,
///     order_id: "sub-2026-11-0001".into(),
///     attach: "month 12".into(),
/// };
/// let order = xpay::SubmitSubscribePayOrder::new(charge.clone())?;
/// assert_eq!(order.order_id(), Some("sub-2026-11-0001"));
/// let short = xpay::SubscribeCharge { order_id: "sub-1".into(), ..charge };
/// assert_eq!(xpay::SubmitSubscribePayOrder::new(short).expect_err("8 to 32 characters").field(), "order_id");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/submit_subscribe_pay_order", response = SubmitSubscribePayOrderResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitSubscribePayOrder {
    offer_id: String,
    buy_quantity: i64,
    currency_type: String,
    product_id: String,
    #[midas(positive)]
    deduct_price: i64,
    #[midas(bill_no)]
    order_id: String,
    attach: String,
}

impl SubmitSubscribePayOrder {
    /// The charge `charge`, refused before anything is sent when a rule is broken.
    pub fn new(charge: SubscribeCharge) -> Result<Self, ValidationError> {
        midas_core::rules::text("offer_id", &charge.offer_id)?;
        midas_core::rules::text("product_id", &charge.product_id)?;
        midas_core::rules::positive("deduct_price", &charge.deduct_price)?;
        midas_core::rules::bill_no("order_id", &charge.order_id)?;
        if !(8..=32).contains(&charge.order_id.len()) {
            return Err(ValidationError::new("order_id", Rule::Range { min: 8, max: 32 }));
        }
        midas_core::rules::text("attach", &charge.attach)?;
        Ok(Self {
            offer_id: charge.offer_id,
            buy_quantity: 1,
            currency_type: "CNY".to_owned(),
            product_id: charge.product_id,
            deduct_price: charge.deduct_price,
            order_id: charge.order_id,
            attach: charge.attach,
        })
    }
}

/// The (empty) answer to [`SubmitSubscribePayOrder`]: the charge was accepted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SubmitSubscribePayOrderResponse {}

/// `cancel_subscribe_contract`: end the player's contract, with a reason; no charge is taken
/// on it afterwards.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let cancel = xpay::CancelSubscribeContract {
///     product_id: "vip_monthly".into(),
///     out_contract_code: "contract-0001".into(),
///     termination_reason: "the player asked".into(),
/// };
/// assert!(cancel.validate().is_ok());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/cancel_subscribe_contract", response = CancelSubscribeContractResponse)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelSubscribeContract {
    /// The subscription item.
    pub product_id: String,
    /// The contract code given when the player signed.
    pub out_contract_code: String,
    /// Why it ends.
    pub termination_reason: String,
}

/// The (empty) answer to [`CancelSubscribeContract`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CancelSubscribeContractResponse {}
