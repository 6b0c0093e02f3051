//! The fallback of cash purchases: purchases still awaiting delivery in the journal (their
//! push never came, or its grant failed) are looked up with `query_order`; a paid one is
//! granted once and marked delivered with `notify_provide_goods`, as documented for failed
//! pushes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use midas_core::{ApiErrorKind, Error, Transport};
use midas_journal::{Journal, JournalError, PurchaseEntry};

use crate::client::Client;
use crate::deliveries::{DeliveredBy, Delivery, DeliveryError, grant_and_record};
use crate::player::Player;
use crate::token::TokenSource;
use crate::xpay::{NotifyProvideGoods, OrderStatus, QueryOrder};

/// The purchases (environment, `out_trade_no`) one pass has taken already.
type Seen = std::collections::HashSet<(String, String)>;

/// The service's grant of a purchase (the same as its push handler's).
type GrantFn =
    dyn Fn(PurchaseEntry) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync;

/// What one [`PurchaseReconciler::run_once`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PurchaseReport {
    /// Purchases awaiting delivery that were looked up.
    pub examined: u64,
    /// Paid, granted now and marked delivered.
    pub delivered: u64,
    /// `notify_provide_goods` calls that did not go through, of this run's deliveries and of
    /// earlier ones (the goods are granted and recorded; the journal keeps the notify pending
    /// and the next run sends it again).
    pub notify_failed: u64,
    /// Deliveries of earlier runs whose pending `notify_provide_goods` went through now (or
    /// that WeChat no longer shows awaiting delivery).
    pub renotified: u64,
    /// Refunded or closed before delivery: closed, nothing granted.
    pub closed: u64,
    /// Not paid (yet): left awaiting.
    pub unpaid: u64,
    /// The grant failed, or WeChat did not answer: left for the next run.
    pub failed: u64,
}

/// Delivers purchases whose delivery push never got through: every purchase awaiting payment
/// in the journal and unchanged for the grace period (default one minute) is looked up with
/// `query_order`; if WeChat shows it paid (or delivered), the grant runs — once, under the
/// same claim a push takes, so a late push grants nothing — the purchase is recorded
/// delivered, and `notify_provide_goods` tells WeChat. The notify is recorded pending with
/// the delivery and cleared once it goes through, so one that fails (or a crash before it) is
/// sent again by the next run, for as long as WeChat shows the order paid and undelivered.
/// Refunded and closed orders are closed without a grant; unpaid ones stay.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use midas_api::{AccessToken, AppKey, Client, Config, Env, Journal, PurchaseReconciler, StaticToken};
/// let config = Config::builder("wx1234567", "1450000000", Env::Sandbox)
///     .payment_sandbox_key(AppKey::new("virtual-payment-key")?)
///     .build()?;
/// let client = Client::new(config, StaticToken::new(AccessToken::new("TOKEN")?))?
///     .with_journal(Journal::in_memory().await?);
/// let reconciler = PurchaseReconciler::new(client)?
///     .with_grace(Duration::from_secs(30))
///     .on_deliver(|purchase| async move {
///         println!("granting {:?} of purchase {}", purchase.intent.product_id, purchase.intent.out_trade_no);
///         Ok(())
///     });
/// assert_eq!(reconciler.run_once().await?.examined, 0, "nothing launched yet");
/// # Ok(()) }
/// ```
pub struct PurchaseReconciler<T, K> {
    client: Client<T, K>,
    journal: Journal,
    grace: Duration,
    batch: u32,
    grant: Option<Arc<GrantFn>>,
}

impl<T, K> std::fmt::Debug for PurchaseReconciler<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PurchaseReconciler")
            .field("journal", &self.journal)
            .field("grace", &self.grace)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl<T: Transport, K: TokenSource> PurchaseReconciler<T, K> {
    /// A reconciler over `client` and its journal (an error if it has none).
    pub fn new(client: Client<T, K>) -> Result<Self, JournalError> {
        let journal = client.journal().cloned().ok_or_else(|| JournalError::Invalid {
            what: "a purchase reconciler needs a client with a journal (`Client::with_journal`)".to_owned(),
        })?;
        Ok(Self { client, journal, grace: Duration::from_secs(60), batch: 64, grant: None })
    }

    /// Sets how long a purchase must be unchanged before it is looked up: long enough for
    /// its push to arrive and be handled first.
    #[must_use]
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Sets how many purchases one run leases at a time (at least 1).
    #[must_use]
    pub fn with_batch(mut self, batch: u32) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Registers the grant (the same the push handler runs). It must be idempotent per
    /// `out_trade_no`. Without one, paid purchases are left awaiting.
    #[must_use]
    pub fn on_deliver<F, Fut>(mut self, grant: F) -> Self
    where
        F: Fn(PurchaseEntry) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.grant = Some(Arc::new(move |entry| Box::pin(grant(entry))));
        self
    }

    /// One pass over every due purchase, a batch at a time: first the notifies earlier runs
    /// left pending, then the purchases awaiting delivery.
    pub async fn run_once(&self) -> Result<PurchaseReport, JournalError> {
        let mut report = PurchaseReport::default();
        self.notify_pending(&mut report).await?;
        let mut seen = Seen::new();
        loop {
            let due = self.journal.lease_awaiting(self.grace, self.batch).await?;
            let fresh = self.fresh(due, &mut seen).await?;
            if fresh.is_empty() {
                break;
            }
            for entry in fresh {
                report.examined += 1;
                self.resolve(entry, &mut report).await?;
            }
        }
        Ok(report)
    }

    /// Sends the `notify_provide_goods` of earlier deliveries again; each purchase once per run.
    async fn notify_pending(&self, report: &mut PurchaseReport) -> Result<(), JournalError> {
        let mut seen = Seen::new();
        loop {
            let due = self.journal.lease_to_notify(self.batch).await?;
            let fresh = self.fresh(due, &mut seen).await?;
            if fresh.is_empty() {
                return Ok(());
            }
            for entry in fresh {
                let (env, out_trade_no) = (entry.intent.env.as_str(), entry.intent.out_trade_no.as_str());
                let player =
                    Player::new(entry.intent.openid.clone()).with_zone_id(entry.intent.zone_id.clone());
                if self.notify(&player, out_trade_no).await {
                    self.journal.notified(env, out_trade_no).await?;
                    report.renotified += 1;
                } else {
                    report.notify_failed += 1;
                    self.journal.abandon_delivery(env, out_trade_no).await?;
                }
            }
        }
    }

    /// The purchases of `due` not seen before in this pass; the others, left open earlier in
    /// it, are given back for the next pass.
    async fn fresh(
        &self,
        due: Vec<PurchaseEntry>,
        seen: &mut Seen,
    ) -> Result<Vec<PurchaseEntry>, JournalError> {
        let mut fresh = Vec::with_capacity(due.len());
        for entry in due {
            if seen.insert((entry.intent.env.clone(), entry.intent.out_trade_no.clone())) {
                fresh.push(entry);
            } else {
                self.journal.abandon_delivery(&entry.intent.env, &entry.intent.out_trade_no).await?;
            }
        }
        Ok(fresh)
    }

    /// Tells WeChat the goods of `out_trade_no` were delivered; `true` when it took it, or when
    /// `query_order` shows the order no longer awaiting delivery (delivered, or refunded since:
    /// nothing left to tell).
    async fn notify(&self, player: &Player, out_trade_no: &str) -> bool {
        let notify = NotifyProvideGoods::by_order_id(out_trade_no);
        let Err(error) = self.client.call(player, &notify).await else { return true };
        tracing::warn!(out_trade_no, %error, "notify_provide_goods failed after a grant");
        match self.client.call(player, &QueryOrder::by_order_id(out_trade_no)).await {
            Ok(found) => !found.order.status.awaits_delivery(),
            Err(_) => false,
        }
    }

    /// Looks one leased purchase up and acts on what WeChat says.
    async fn resolve(&self, entry: PurchaseEntry, report: &mut PurchaseReport) -> Result<(), JournalError> {
        let (env, out_trade_no) = (entry.intent.env.clone(), entry.intent.out_trade_no.clone());
        let player = Player::new(entry.intent.openid.clone()).with_zone_id(entry.intent.zone_id.clone());
        let order = match self.client.call(&player, &QueryOrder::by_order_id(out_trade_no.as_str())).await {
            Ok(found) => found.order,
            Err(Error::Api(api))
                if matches!(api.kind(), ApiErrorKind::OrderNotFound | ApiErrorKind::InvalidParameter) =>
            {
                // WeChat knows no order under it: not paid (yet).
                report.unpaid += 1;
                return self.journal.abandon_delivery(&env, &out_trade_no).await;
            }
            Err(error) => {
                tracing::debug!(out_trade_no, %error, "looking a purchase up failed");
                report.failed += 1;
                return self.journal.abandon_delivery(&env, &out_trade_no).await;
            }
        };
        match order.status {
            status if status.awaits_delivery() || status == OrderStatus::Delivered => {
                let Some(grant) = self.grant.clone() else {
                    report.failed += 1;
                    return self.journal.abandon_delivery(&env, &out_trade_no).await;
                };
                let wx_order_id = order.wx_order_id.as_deref();
                let to_notify = status.awaits_delivery();
                let granted = grant_and_record(
                    &self.journal,
                    entry,
                    DeliveredBy::Reconciler,
                    wx_order_id,
                    to_notify,
                    |entry| grant(entry),
                )
                .await;
                match granted {
                    Ok(Delivery::Granted(_)) => {
                        report.delivered += 1;
                        if to_notify {
                            if self.notify(&player, &out_trade_no).await {
                                self.journal.notified(&env, &out_trade_no).await?;
                            } else {
                                // Pending in the journal: the next run sends it again.
                                report.notify_failed += 1;
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(DeliveryError::Journal(error)) => return Err(error),
                    Err(error) => {
                        tracing::warn!(out_trade_no, %error, "the grant of a paid purchase failed");
                        report.failed += 1;
                    }
                }
                Ok(())
            }
            OrderStatus::Refunded
            | OrderStatus::Closed
            | OrderStatus::UserRefunded
            | OrderStatus::AdFundsRecovered
            | OrderStatus::ProfitSharingRolledBack => {
                let reason = format!("query_order shows status {} before any delivery", order.status.code());
                self.journal.close_purchase(&env, &out_trade_no, &reason).await?;
                report.closed += 1;
                Ok(())
            }
            _ => {
                report.unpaid += 1;
                self.journal.abandon_delivery(&env, &out_trade_no).await
            }
        }
    }
}
