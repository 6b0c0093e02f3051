//! Cash purchases in the journal: recorded awaiting payment when launched, delivered exactly
//! once — by the delivery push or by the [`PurchaseReconciler`](crate::PurchaseReconciler).

use std::future::Future;

use midas_core::Env;
use midas_journal::{DeliveryClaim, Journal, JournalError, PurchaseEntry};

/// Who recorded a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveredBy {
    /// The delivery push (`xpay_goods_deliver_notify`, `xpay_coin_pay_notify`, …).
    Push,
    /// The reconciler, after `query_order` showed the order paid.
    Reconciler,
}

impl DeliveredBy {
    /// The name stored in the journal.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Reconciler => "reconciler",
        }
    }
}

/// What [`Deliveries::deliver`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// The grant ran and the purchase is now recorded delivered.
    Granted(Box<PurchaseEntry>),
    /// Delivered before: nothing ran.
    AlreadyDelivered(Box<PurchaseEntry>),
    /// Closed before delivery (refunded): nothing ran.
    Closed(Box<PurchaseEntry>),
}

/// Why [`Deliveries::deliver`] granted nothing this time.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// No purchase was launched under this `out_trade_no` in this environment (with this
    /// journal): nothing is granted. Answer the push with a failure and look into it.
    #[error("no purchase `{out_trade_no}` was launched")]
    UnknownPurchase {
        /// The order number pushed.
        out_trade_no: String,
    },
    /// The push names another player, product or quantity than the purchase launched.
    #[error("the push does not match purchase `{out_trade_no}`: {what}")]
    Mismatch {
        /// The order number.
        out_trade_no: String,
        /// What differs.
        what: String,
    },
    /// Another delivery of it runs now: answer the push with a failure, it comes again.
    #[error("purchase `{out_trade_no}` is being delivered by another request")]
    InProgress {
        /// The order number.
        out_trade_no: String,
    },
    /// The service's grant failed: nothing is recorded, the next push or reconciler run
    /// tries again.
    #[error("granting purchase `{out_trade_no}` failed: {reason}")]
    Grant {
        /// The order number.
        out_trade_no: String,
        /// The grant's error.
        reason: String,
    },
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// What a delivery push says of a purchase, checked against what was launched before anything
/// is granted.
///
/// ```
/// use midas_api::Pushed;
/// let pushed = Pushed::new("order-0001", "player-1").with_product("sword", 1).with_wx_order_id("VPO1");
/// assert_eq!(pushed.out_trade_no(), "order-0001");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    out_trade_no: String,
    openid: String,
    product: Option<(String, u64)>,
    wx_order_id: Option<String>,
}

impl Pushed {
    /// A push of `out_trade_no` for `openid`.
    pub fn new(out_trade_no: impl Into<String>, openid: impl Into<String>) -> Self {
        Self { out_trade_no: out_trade_no.into(), openid: openid.into(), product: None, wx_order_id: None }
    }

    /// The pushed `GoodsInfo.ProductId` and `Quantity`, checked against the launch.
    #[must_use]
    pub fn with_product(mut self, product_id: impl Into<String>, quantity: u64) -> Self {
        self.product = Some((product_id.into(), quantity));
        self
    }

    /// WeChat's order id, recorded with the delivery.
    #[must_use]
    pub fn with_wx_order_id(mut self, wx_order_id: impl Into<String>) -> Self {
        self.wx_order_id = Some(wx_order_id.into());
        self
    }

    /// The order number.
    pub fn out_trade_no(&self) -> &str {
        &self.out_trade_no
    }
}

/// Delivers launched purchases exactly once, whoever gets there first: the delivery push
/// (through [`Self::deliver`]) or the reconciler. The grant runs under a claim on the
/// purchase; a second delivery of it grants nothing. The grant must itself be idempotent per
/// `out_trade_no` (or write in the journal's database transaction): a crash between the grant
/// and its record runs it again.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use midas_api::{AccessToken, AppKey, Client, Config, Deliveries, Delivery, Env, Journal, Player};
/// use midas_api::{Pushed, SessionKey, StaticToken};
/// use midas_api::purchase::{CashOrder, LaunchApi};
/// let journal = Journal::in_memory().await?;
/// let config = Config::builder("wx1234567", "1450000000", Env::Sandbox)
///     .payment_sandbox_key(AppKey::new("virtual-payment-key")?)
///     .build()?;
/// let client = Client::new(config, StaticToken::new(AccessToken::new("TOKEN")?))?.with_journal(journal.clone());
/// let player = Player::new("player-1").with_session_key(SessionKey::new("session-key-1")?);
/// client.launch(&player, LaunchApi::VirtualPayment, &CashOrder::goods("order-0001", "sword", 600, 1)?).await?;
///
/// let deliveries = Deliveries::new(journal, Env::Sandbox);
/// let pushed = Pushed::new("order-0001", "player-1").with_product("sword", 1);
/// let first = deliveries.deliver(&pushed, |_| async { Ok::<_, String>(()) }).await?;
/// assert!(matches!(first, Delivery::Granted(_)));
/// let again = deliveries.deliver(&pushed, |_| async { Err::<(), _>("never granted twice") }).await?;
/// assert!(matches!(again, Delivery::AlreadyDelivered(_)));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Deliveries {
    journal: Journal,
    env: Env,
}

impl Deliveries {
    /// The deliveries of `env`'s purchases in `journal`.
    pub fn new(journal: Journal, env: Env) -> Self {
        Self { journal, env }
    }

    /// Delivers the pushed purchase once: checks it against the launch, claims it, runs
    /// `grant`, records it delivered.
    pub async fn deliver<F, Fut, E>(&self, pushed: &Pushed, grant: F) -> Result<Delivery, DeliveryError>
    where
        F: FnOnce(PurchaseEntry) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let env = self.env.as_str();
        let out_trade_no = pushed.out_trade_no.as_str();
        let entry = match self.journal.claim_delivery(env, out_trade_no).await? {
            DeliveryClaim::First(entry) => entry,
            DeliveryClaim::Delivered(entry) => return Ok(Delivery::AlreadyDelivered(entry)),
            DeliveryClaim::Closed(entry) => return Ok(Delivery::Closed(entry)),
            DeliveryClaim::InProgress => {
                return Err(DeliveryError::InProgress { out_trade_no: out_trade_no.to_owned() });
            }
            _ => return Err(DeliveryError::UnknownPurchase { out_trade_no: out_trade_no.to_owned() }),
        };
        if let Some(what) = mismatch(&entry, pushed) {
            self.journal.abandon_delivery(env, out_trade_no).await?;
            return Err(DeliveryError::Mismatch { out_trade_no: out_trade_no.to_owned(), what });
        }
        grant_and_record(
            &self.journal,
            *entry,
            DeliveredBy::Push,
            pushed.wx_order_id.as_deref(),
            false,
            grant,
        )
        .await
    }
}

/// Runs `grant` on a claimed (or leased) purchase and records it delivered; a failed grant
/// gives the claim up.
pub(crate) async fn grant_and_record<F, Fut, E>(
    journal: &Journal,
    entry: PurchaseEntry,
    by: DeliveredBy,
    wx_order_id: Option<&str>,
    notify: bool,
    grant: F,
) -> Result<Delivery, DeliveryError>
where
    F: FnOnce(PurchaseEntry) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let (env, out_trade_no) = (entry.intent.env.clone(), entry.intent.out_trade_no.clone());
    if let Err(error) = grant(entry).await {
        journal.abandon_delivery(&env, &out_trade_no).await?;
        return Err(DeliveryError::Grant { out_trade_no, reason: error.to_string() });
    }
    if notify {
        journal.finish_delivery_to_notify(&env, &out_trade_no, by.as_str(), wx_order_id).await?;
    } else {
        journal.finish_delivery(&env, &out_trade_no, by.as_str(), wx_order_id).await?;
    }
    match journal.purchase(&env, &out_trade_no).await? {
        Some(entry) => Ok(Delivery::Granted(Box::new(entry))),
        None => Err(DeliveryError::UnknownPurchase { out_trade_no }),
    }
}

/// What differs between a launch and its push, if anything.
fn mismatch(entry: &PurchaseEntry, pushed: &Pushed) -> Option<String> {
    if entry.intent.openid != pushed.openid {
        return Some(format!(
            "pushed for player `{}`, launched for `{}`",
            pushed.openid, entry.intent.openid
        ));
    }
    let (product_id, quantity) = pushed.product.as_ref()?;
    if entry.intent.product_id.as_deref().is_some_and(|launched| launched != product_id) {
        return Some(format!("pushed product `{product_id}`"));
    }
    if u64::try_from(entry.intent.quantity).ok() != Some(*quantity) {
        return Some(format!("pushed quantity {quantity}, launched {}", entry.intent.quantity));
    }
    None
}
