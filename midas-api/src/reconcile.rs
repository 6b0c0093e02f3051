//! The reconciler: resolves journal entries a crash or exhausted retries left open, and hands
//! applied orders to the service until it confirms its own effect.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use midas_core::{ApiErrorKind, Error, MidasRequest, Scheme, Transport};
use midas_journal::{Entry, Journal, JournalError, Outcome, State};

use crate::client::Client;
use crate::counters::{CounterCheck, Counters, journal_movement};
use crate::player::Player;
use crate::token::TokenSource;
use crate::{v1, v2, xpay};

/// How long Midas 1.0 accepts a `bill_no` again (`midas.md` §7.3, §11.4: 48 hours), less an
/// hour of margin for clocks.
const V1_WINDOW: Duration = Duration::from_secs(47 * 3600);

/// The service's own effect of an applied order (grant the item): `Ok` settles the entry.
type SettleFn = dyn Fn(Entry) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync;

/// The player an entry's calls are signed for (Midas 2.0 and xpay need the session key).
type PlayerFn = dyn Fn(&Entry) -> Option<Player> + Send + Sync;

/// What one [`Reconciler::run_once`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcileReport {
    /// Open entries leased and worked on.
    pub examined: u64,
    /// Found or made applied.
    pub applied: u64,
    /// Found not applied (refused, or unknown to Midas).
    pub refused: u64,
    /// Past what can be resolved automatically: now `needs_attention`.
    pub needs_attention: u64,
    /// Still open (Midas did not answer): tried again on the next run.
    pub still_open: u64,
    /// Applied entries the service's handler confirmed: now `settled`.
    pub settled: u64,
    /// Applied entries whose handler failed: tried again on the next run.
    pub settle_failed: u64,
}

/// Resolves `pending` and `unknown` entries older than a grace period: Midas 2.0 and xpay by
/// looking the order up (`queryorderinfo`, `query_order`); Midas 1.0 by sending the identical
/// request again with the same `bill_no` while it is inside Midas's 48-hour window, and past
/// it by marking the entry `needs_attention`. Entries are leased while worked on, so several
/// reconcilers (one per instance) never drive one entry at once. Applied entries go to the
/// handler of [`Self::on_applied`] until the service confirms its effect.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use midas_api::{Client, Config, Env, Journal, Player, Present, Reconciler, SessionKey, StaticToken};
/// # let emulator = midas_emulator::Emulator::start().await?;
/// # emulator.add_player("player-1", SessionKey::new("session-key-1")?, 100);
/// # let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
/// #     .sandbox_key(emulator.sandbox_key().clone())
/// #     .base_url(emulator.base_url())
/// #     .build()?;
/// let journal = Journal::in_memory().await?;
/// let client = Client::new(config, StaticToken::new(emulator.access_token()))?.with_journal(journal);
/// client.present(&Player::new("player-1"), Present { bill_no: "gift-0001".into(), present_counts: 5 }).await?;
/// // The service grants what the gift was for, then the entry is settled.
/// let reconciler = Reconciler::new(client)?
///     .with_grace(Duration::ZERO)
///     .on_applied(|entry| async move {
///         println!("granting the gift of order {}", entry.intent.order_id);
///         Ok(())
///     });
/// let report = reconciler.run_once().await?;
/// assert_eq!(report.settled, 1);
/// # Ok(()) }
/// ```
pub struct Reconciler<T, K> {
    client: Client<T, K>,
    journal: Journal,
    grace: Duration,
    batch: u32,
    settle: Option<Arc<SettleFn>>,
    player: Arc<PlayerFn>,
}

impl<T, K> std::fmt::Debug for Reconciler<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler")
            .field("journal", &self.journal)
            .field("grace", &self.grace)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl<T: Transport, K: TokenSource> Reconciler<T, K> {
    /// A reconciler over `client` and its journal (an error if it has none), with a grace of
    /// one minute: entries unchanged for less are left to the call that drives them.
    pub fn new(client: Client<T, K>) -> Result<Self, JournalError> {
        let journal = client.journal().cloned().ok_or_else(|| JournalError::Invalid {
            what: "a reconciler needs a client with a journal (`Client::with_journal`)".to_owned(),
        })?;
        Ok(Self {
            client,
            journal,
            grace: Duration::from_secs(60),
            batch: 64,
            settle: None,
            player: Arc::new(|entry: &Entry| {
                Some(Player::new(entry.intent.openid.clone()).with_zone_id(entry.intent.zone_id.clone()))
            }),
        })
    }

    /// Sets how long an entry must be unchanged before it is reconciled.
    #[must_use]
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Sets how many entries one run leases at a time (at least 1).
    #[must_use]
    pub fn with_batch(mut self, batch: u32) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Sets who an entry's calls are signed for: Midas 2.0 lookups need the player's session
    /// key (from the service's session store). `None` leaves the entry open. By default the
    /// entry's openid and zone, without a session key (enough for Midas 1.0).
    #[must_use]
    pub fn with_players(mut self, player: impl Fn(&Entry) -> Option<Player> + Send + Sync + 'static) -> Self {
        self.player = Arc::new(player);
        self
    }

    /// Registers the service's own effect of an applied order (grant the item, unlock the
    /// level). It must be idempotent per order id: it runs again after a crash between the
    /// effect and the settlement. `Ok` settles the entry; `Err` leaves it for the next run.
    #[must_use]
    pub fn on_applied<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Entry) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.settle = Some(Arc::new(move |entry| Box::pin(handler(entry))));
        self
    }

    /// One pass: every due open entry, then every due applied entry when a handler is
    /// registered, a batch at a time, until none is left.
    pub async fn run_once(&self) -> Result<ReconcileReport, JournalError> {
        let mut report = ReconcileReport::default();
        loop {
            let due =
                self.journal.lease_due(&[State::Pending, State::Unknown], self.grace, self.batch).await?;
            if due.is_empty() {
                break;
            }
            for entry in due {
                report.examined += 1;
                match self.resolve(&entry).await? {
                    State::Applied | State::Settled => report.applied += 1,
                    State::Refused => report.refused += 1,
                    State::NeedsAttention => report.needs_attention += 1,
                    _ => report.still_open += 1,
                }
            }
            if report.still_open > 0 {
                // What stayed open is released for the next run, not taken again now.
                break;
            }
        }
        if let Some(settle) = &self.settle {
            let mut failed = Vec::new();
            loop {
                let due = self.journal.lease_due(&[State::Applied], self.grace, self.batch).await?;
                let mut fresh = Vec::with_capacity(due.len());
                for entry in due {
                    if failed.contains(&entry.intent.order_id) {
                        // Failed once in this pass: left for the next one.
                        self.journal.release(&entry.intent.env, &entry.intent.order_id).await?;
                    } else {
                        fresh.push(entry);
                    }
                }
                if fresh.is_empty() {
                    break;
                }
                for entry in fresh {
                    let (env, order_id) = (entry.intent.env.clone(), entry.intent.order_id.clone());
                    match settle(entry).await {
                        Ok(()) => {
                            self.journal.settle(&env, &order_id).await?;
                            report.settled += 1;
                        }
                        Err(error) => {
                            tracing::warn!(order_id, %error, "the service's effect of an applied order failed");
                            self.journal.release(&env, &order_id).await?;
                            report.settle_failed += 1;
                            failed.push(order_id);
                        }
                    }
                }
            }
        }
        let open_after = self.journal.count(&[State::Pending, State::Unknown]).await?;
        crate::metrics::reconciled(&report, open_after);
        Ok(report)
    }

    /// Resolves one leased entry and returns its state after.
    async fn resolve(&self, entry: &Entry) -> Result<State, JournalError> {
        let intent = &entry.intent;
        let Some(player) = (self.player)(entry) else {
            self.journal.release(&intent.env, &intent.order_id).await?;
            return Ok(entry.state);
        };
        let outcome = match Scheme::parse(&intent.generation) {
            Some(Scheme::V1) => return self.redrive_v1(entry, &player).await,
            Some(Scheme::V2) => self.look_up_v2(entry, &player).await,
            Some(Scheme::Xpay) => self.look_up_xpay(entry, &player).await,
            _ => Some(Outcome::NeedsAttention {
                reason: format!("unknown generation `{}`", intent.generation),
            }),
        };
        match outcome {
            Some(outcome) => {
                self.journal.record(&intent.env, &intent.order_id, &outcome).await?;
                Ok(outcome.state())
            }
            None => {
                self.journal.release(&intent.env, &intent.order_id).await?;
                Ok(entry.state)
            }
        }
    }

    /// Checks `player`'s counters against the journal: getbalance now, against `baseline`
    /// (the counters when journaling began) moved by every applied entry of the player in its
    /// zone. A check that does not agree names a call that moved coins outside the journal,
    /// or an entry recorded wrongly; run it when no entry of the player is open.
    pub async fn check_counters(&self, player: &Player, baseline: Counters) -> Result<CounterCheck, Error> {
        let env = self.client.config().env().as_str();
        let balance = self.client.get_balance(player).await?;
        let entries = self
            .journal
            .entries_for(env, player.openid(), player.zone_id())
            .await
            .map_err(|error| crate::journaled::refusal("getbalance", player.openid(), &error))?;
        let (journal_presented, journal_spent) = journal_movement(&entries);
        let open_entries = entries.iter().filter(|entry| !entry.state.is_decided()).count();
        Ok(CounterCheck {
            openid: player.openid().to_owned(),
            zone_id: player.zone_id().to_owned(),
            baseline,
            journal_presented,
            journal_spent,
            actual: Counters::of(&balance),
            open_entries,
        })
    }

    /// Midas 1.0: the identical request again, inside the 48-hour window, through the
    /// journaled call (which records what it comes to).
    async fn redrive_v1(&self, entry: &Entry, player: &Player) -> Result<State, JournalError> {
        let intent = &entry.intent;
        let age = now_ms().saturating_sub(entry.created_ms);
        if u128::try_from(age).unwrap_or(0) >= V1_WINDOW.as_millis() {
            let reason = format!(
                "Midas 1.0 {} of {} coins for player `{}` (zone {}) stayed unresolved past the 48-hour window of its \
                 bill_no, after {} attempts; last: {}",
                intent.api,
                intent.amount.map_or_else(|| "?".to_owned(), |amount| amount.to_string()),
                intent.openid,
                intent.zone_id,
                entry.attempts,
                entry.reason.as_deref().unwrap_or("no answer")
            );
            self.journal.record(&intent.env, &intent.order_id, &Outcome::NeedsAttention { reason }).await?;
            return Ok(State::NeedsAttention);
        }
        let fields = intent.fields.as_str();
        let sent = match intent.api.as_str() {
            v1::Pay::API => self.send_again::<v1::Pay>(player, fields).await,
            v1::CancelPay::API => self.send_again::<v1::CancelPay>(player, fields).await,
            v1::Present::API => self.send_again::<v1::Present>(player, fields).await,
            other => Err(format!("no Midas 1.0 money API is called `{other}`")),
        };
        match sent {
            Err(reason) => {
                let outcome = Outcome::NeedsAttention { reason };
                self.journal.record(&intent.env, &intent.order_id, &outcome).await?;
                return Ok(State::NeedsAttention);
            }
            // Midas 1.0 answers a bill_no it applied with that outcome again: a definite
            // refusal of the same bill_no, once no attempt is in flight any more (the grace
            // period), proves the order was never applied.
            Ok(Some(refusal)) => {
                let outcome = Outcome::Refused {
                    errcode: Some(refusal.errcode()),
                    answer: None,
                    reason: refusal.errmsg().to_owned(),
                };
                self.journal.record(&intent.env, &intent.order_id, &outcome).await?;
            }
            Ok(None) => {}
        }
        let after = self.journal.get(&intent.env, &intent.order_id).await?;
        Ok(after.map_or(entry.state, |entry| entry.state))
    }

    /// Sends the recorded request of type `R` again; `Err` when the record cannot be read as
    /// one. What the call comes to is the journal's to record; a definite refusal of the resent
    /// request (which the call reports as unresolved, not knowing that no attempt is in flight
    /// any more) is returned.
    async fn send_again<R>(
        &self,
        player: &Player,
        fields: &str,
    ) -> Result<Option<midas_core::ApiError>, String>
    where
        R: MidasRequest + Sync + serde::de::DeserializeOwned,
    {
        let request: R =
            serde_json::from_str(fields).map_err(|error| format!("unreadable recorded fields: {error}"))?;
        match self.client.call_leased(player, &request).await {
            Ok(_) => Ok(None),
            Err(Error::Unresolved { last, .. }) => match *last {
                // Only refusals Midas gives after looking the order up; a refused signature,
                // token or rate says nothing about the bill_no.
                Error::Api(api)
                    if matches!(
                        api.kind(),
                        ApiErrorKind::InsufficientBalance
                            | ApiErrorKind::OrderNotFound
                            | ApiErrorKind::InvalidParameter
                    ) =>
                {
                    Ok(Some(api))
                }
                _ => Ok(None),
            },
            Err(error) => {
                tracing::debug!(api = R::API, %error, "a reconciled call failed");
                Ok(None)
            }
        }
    }

    /// Midas 2.0: `queryorderinfo` among the player's orders. `None`: no answer, stays open.
    async fn look_up_v2(&self, entry: &Entry, player: &Player) -> Option<Outcome> {
        let query = v2::QueryOrder { out_trade_no: entry.intent.order_id.clone(), biz_id: 1 };
        match self.client.call(player, &query).await {
            Ok(order) if order.out_trade_no == entry.intent.order_id => {
                Some(Outcome::Applied { answer: None })
            }
            Ok(_) => None,
            Err(Error::Api(api)) if api.kind() == ApiErrorKind::OrderNotFound => Some(not_found()),
            Err(error) => {
                tracing::debug!(%error, "looking a Midas 2.0 order up failed");
                None
            }
        }
    }

    /// xpay: `query_order` among the player's orders, with the recorded amount.
    async fn look_up_xpay(&self, entry: &Entry, player: &Player) -> Option<Outcome> {
        let query = xpay::QueryOrder::by_order_id(entry.intent.order_id.as_str());
        match self.client.call(player, &query).await {
            Ok(found) => {
                let order = found.order;
                let same_amount = entry.intent.amount.is_none_or(|amount| order.order_fee == Some(amount));
                if order.order_id == entry.intent.order_id && same_amount {
                    Some(Outcome::Applied { answer: None })
                } else {
                    Some(Outcome::NeedsAttention {
                        reason: "query_order shows a different order under this order id".to_owned(),
                    })
                }
            }
            Err(Error::Api(api)) if api.kind() == ApiErrorKind::OrderNotFound => Some(not_found()),
            Err(error) => {
                tracing::debug!(%error, "looking an xpay order up failed");
                None
            }
        }
    }
}

/// Midas does not know the order: never applied, and the same order may be sent again.
fn not_found() -> Outcome {
    Outcome::Refused {
        errcode: None,
        answer: None,
        reason: "Midas does not know the order: not applied".to_owned(),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}
