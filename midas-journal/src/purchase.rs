//! Cash purchases a service launched: recorded as awaiting payment before the player sees the
//! payment sheet, then delivered exactly once — by the delivery push or, when no push got
//! through, by the reconciler.
//!
//! ```text
//! awaiting_payment ──► delivered      (the goods were granted: by the push, or the reconciler)
//!        └───────────► closed         (refunded or closed before delivery: nothing to grant)
//! ```

use std::fmt;

use sha2::{Digest, Sha256};

/// Where a purchase stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PurchaseState {
    /// Launched; the player may pay, or may have paid and the delivery is not recorded yet.
    AwaitingPayment,
    /// Delivered (the service's grant is done). Final.
    Delivered,
    /// Nothing to deliver (refunded or closed before delivery). Final.
    Closed,
}

impl PurchaseState {
    /// The name stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingPayment => "awaiting_payment",
            Self::Delivered => "delivered",
            Self::Closed => "closed",
        }
    }

    /// The state of a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "awaiting_payment" => Self::AwaitingPayment,
            "delivered" => Self::Delivered,
            "closed" => Self::Closed,
            _ => return None,
        })
    }
}

impl fmt::Display for PurchaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A launched cash purchase, as recorded before the player pays.
///
/// ```
/// use midas_journal::PurchaseIntent;
/// let intent = PurchaseIntent {
///     env: "sandbox".into(),
///     out_trade_no: "order-0001".into(),
///     openid: "player-1".into(),
///     zone_id: "1".into(),
///     launch_api: "requestVirtualPayment".into(),
///     kind: "goods".into(),
///     product_id: Some("sword".into()),
///     quantity: 1,
///     total_fee: Some(600),
///     attach: String::new(),
///     sign_data: r#"{"offerId":"1450000000","buyQuantity":1}"#.into(),
/// };
/// assert_eq!(intent.fingerprint().len(), 64);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseIntent {
    /// `production` or `sandbox`.
    pub env: String,
    /// The game's order number, the `OutTradeNo` the delivery push carries back.
    pub out_trade_no: String,
    /// The player.
    pub openid: String,
    /// The player's zone.
    pub zone_id: String,
    /// The client API the parameters are for (`requestVirtualPayment`, …).
    pub launch_api: String,
    /// `goods` or `coins`.
    pub kind: String,
    /// The item, for goods.
    pub product_id: Option<String>,
    /// How many.
    pub quantity: i64,
    /// The price in fen, when known when launching (goods).
    pub total_fee: Option<i64>,
    /// What the purchase carries back in its delivery push.
    pub attach: String,
    /// The exact `signData` text signed.
    pub sign_data: String,
}

impl PurchaseIntent {
    /// SHA-256 over what makes the purchase what it is (environment, player, zone, API, the
    /// signed text), hex: one `out_trade_no` with two fingerprints is two purchases.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for part in [&self.env, &self.openid, &self.zone_id, &self.launch_api, &self.sign_data] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hex::encode(hash.finalize())
    }
}

/// One purchase row.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PurchaseEntry {
    /// The purchase as launched.
    pub intent: PurchaseIntent,
    /// Where it stands.
    pub state: PurchaseState,
    /// Who recorded the delivery: `push` or `reconciler`.
    pub delivered_by: Option<String>,
    /// WeChat's order id, once known.
    pub wx_order_id: Option<String>,
    /// Why it was closed.
    pub reason: Option<String>,
    /// Launched, Unix milliseconds.
    pub created_ms: i64,
    /// Last changed, Unix milliseconds.
    pub updated_ms: i64,
    /// Delivered by the reconciler, and WeChat not told yet (`notify_provide_goods`).
    pub notify_pending: bool,
}

/// What [`Journal::claim_delivery`](crate::Journal::claim_delivery) found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryClaim {
    /// Not delivered yet: claimed for this journal (leased). Grant the goods, then
    /// [`Journal::finish_delivery`](crate::Journal::finish_delivery), or
    /// [`Journal::abandon_delivery`](crate::Journal::abandon_delivery) if the grant failed.
    First(Box<PurchaseEntry>),
    /// Delivered before: grant nothing.
    Delivered(Box<PurchaseEntry>),
    /// Closed before delivery: grant nothing.
    Closed(Box<PurchaseEntry>),
    /// Another delivery of it is running now (a push, or the reconciler).
    InProgress,
    /// No purchase was launched under this `out_trade_no` in this environment.
    Unknown,
}
