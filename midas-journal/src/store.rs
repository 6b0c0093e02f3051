//! The journal: opening a store, its migrations, and the operations over SQLite (one writer
//! that groups the commits of concurrent calls) or PostgreSQL (a pool, row locks).

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Row};
use tokio::sync::{mpsc, oneshot};

use crate::JournalError;
use crate::entry::{Begin, Entry, InboxClaim, Intent, Outcome, State};
use crate::inbox::{InboxEvent, InboxStore};
use crate::purchase::{DeliveryClaim, PurchaseEntry, PurchaseIntent, PurchaseState};
use crate::purchase_sql;
use crate::sql::{self, Dialect, Due, Lease};

/// `PRAGMA application_id` of a SQLite journal ("MIDJ"): a SQLite file of another
/// application is refused, not written into.
const APPLICATION_ID: i64 = 0x4D49_444A;

/// How many operations of concurrent calls one SQLite transaction commits at most.
const MAX_BATCH: usize = 256;

/// What a SQLite commit survives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous = FULL`: a commit is on disk (fsync) before the call goes on, so a
    /// recorded intent survives a power loss. Concurrent calls share one sync. The default.
    #[default]
    PowerLoss,
    /// `synchronous = NORMAL` in WAL mode: a commit survives the process crashing (the
    /// operating system has it) but the last commits may be lost with a power loss or an
    /// operating-system crash. Faster; choose it only if the service can reconcile from
    /// Midas after such a loss.
    ProcessCrash,
}

/// How a SQLite journal commits and waits.
///
/// ```
/// use std::time::Duration;
/// use midas_journal::{Durability, SqliteSettings};
/// let settings = SqliteSettings::default()
///     .with_durability(Durability::ProcessCrash)
///     .with_busy_timeout(Duration::from_secs(2));
/// assert_eq!(settings.durability(), Durability::ProcessCrash);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteSettings {
    durability: Durability,
    busy_timeout: Duration,
}

impl Default for SqliteSettings {
    /// [`Durability::PowerLoss`], and a 10 s wait for a lock another process holds.
    fn default() -> Self {
        Self { durability: Durability::PowerLoss, busy_timeout: Duration::from_secs(10) }
    }
}

impl SqliteSettings {
    /// Sets what a commit survives.
    #[must_use]
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Sets how long an operation waits for a lock another process holds before it fails
    /// with [`JournalError::Database`] (and the call is not sent). At most 10 minutes.
    #[must_use]
    pub fn with_busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout.min(Duration::from_secs(600));
        self
    }

    /// What a commit survives.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// How long an operation waits for a lock.
    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }
}

/// A journal of money calls on SQLite (embedded, the default) or PostgreSQL (shared by several
/// instances). Cloning is cheap; clones share the store and the lease owner.
///
/// Migrations are embedded and run when the journal opens.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_journal::JournalError> {
/// use midas_journal::{Begin, Intent, Journal, Outcome, State};
/// let journal = Journal::in_memory().await?;
/// let intent = Intent {
///     env: "sandbox".into(),
///     order_id: "order-0001".into(),
///     api: "pay".into(),
///     generation: "v1".into(),
///     openid: "player-1".into(),
///     zone_id: "1".into(),
///     amount: Some(10),
///     fields: r#"{"amt":10,"bill_no":"order-0001"}"#.into(),
/// };
/// assert_eq!(journal.begin(&intent).await?, Begin::New);
/// journal.record("sandbox", "order-0001", &Outcome::Applied { answer: None }).await?;
/// // The same order again: decided, nothing to send.
/// let Begin::Decided(entry) = journal.begin(&intent).await? else { panic!("decided") };
/// assert_eq!(entry.state, State::Applied);
/// // The same order id for another amount: refused.
/// let other = Intent { amount: Some(11), fields: r#"{"amt":11,"bill_no":"order-0001"}"#.into(), ..intent };
/// assert!(journal.begin(&other).await.is_err());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    owner: String,
    lease: Duration,
    commits: Arc<AtomicU64>,
}

enum Backend {
    Sqlite(mpsc::Sender<Job>),
    Postgres(AnyPool),
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.inner.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        };
        f.debug_struct("Journal")
            .field("backend", &backend)
            .field("owner", &self.inner.owner)
            .field("lease", &self.inner.lease)
            .finish()
    }
}

impl Journal {
    /// A journal in a SQLite file at `path` (created if missing), in WAL mode, commits
    /// synced to disk ([`Durability::PowerLoss`]).
    pub async fn sqlite(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        Self::sqlite_with(path, SqliteSettings::default()).await
    }

    /// [`Self::sqlite`] with the chosen settings.
    pub async fn sqlite_with(path: impl AsRef<Path>, settings: SqliteSettings) -> Result<Self, JournalError> {
        let url = SqliteConnectOptions::new().filename(path.as_ref()).create_if_missing(true).to_url_lossy();
        Self::open_sqlite(url.as_str(), settings).await
    }

    /// A journal in memory, gone with the process: for tests.
    pub async fn in_memory() -> Result<Self, JournalError> {
        let settings = SqliteSettings::default().with_durability(Durability::ProcessCrash);
        Self::open_sqlite("sqlite::memory:", settings).await
    }

    /// A journal in the PostgreSQL database at `url` (`postgres://user:password@host/db`),
    /// shared by every instance that opens it. Its tables live beside the service's own, so
    /// a service can settle an order in its own transaction ([`Self::settle`]).
    ///
    /// The connection is unencrypted: keep the database on a private network or loopback. An
    /// operation waits at most 10 s for a connection; a database that stays away fails it with
    /// [`JournalError::Database`] (a money call is then not sent), never a hang. Neither errors
    /// nor `Debug` show the URL or its password.
    pub async fn postgres(url: &str) -> Result<Self, JournalError> {
        sqlx::any::install_default_drivers();
        let options: AnyConnectOptions = url.parse().map_err(|error| JournalError::open(&error))?;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|error| JournalError::open(&error))?;
        let mut conn = pool.acquire().await.map_err(|error| JournalError::open(&error))?;
        migrate(&mut conn, Dialect::Postgres).await?;
        drop(conn);
        Ok(Self::with_backend(Backend::Postgres(pool), Arc::new(AtomicU64::new(0))))
    }

    /// `sqlite:PATH`, `sqlite::memory:`, or `postgres://…`.
    pub async fn open(url: &str) -> Result<Self, JournalError> {
        if url == "sqlite::memory:" {
            Self::in_memory().await
        } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            Self::sqlite(path).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::postgres(url).await
        } else {
            Err(JournalError::Invalid {
                what: "a journal URL starts with `sqlite:` or `postgres://`".to_owned(),
            })
        }
    }

    async fn open_sqlite(url: &str, settings: SqliteSettings) -> Result<Self, JournalError> {
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(url).await.map_err(|error| JournalError::open(&error))?;
        let synchronous = match settings.durability {
            Durability::PowerLoss => "FULL",
            Durability::ProcessCrash => "NORMAL",
        };
        // The first statement reads the file: a file that is not a database fails here.
        let application_id: i64 = sqlx::query("PRAGMA application_id")
            .fetch_one(&mut conn)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|error| JournalError::open(&error))?;
        if application_id != 0 && application_id != APPLICATION_ID {
            return Err(JournalError::Foreign {
                message: format!("a SQLite file of another application (application_id {application_id:#x})"),
            });
        }
        for pragma in [
            "PRAGMA journal_mode = WAL".to_owned(),
            format!("PRAGMA synchronous = {synchronous}"),
            format!("PRAGMA busy_timeout = {}", settings.busy_timeout.as_millis()),
        ] {
            sqlx::query(&pragma).execute(&mut conn).await.map_err(|error| JournalError::open(&error))?;
        }
        migrate(&mut conn, Dialect::Sqlite).await?;
        sqlx::query(&format!("PRAGMA application_id = {APPLICATION_ID}"))
            .execute(&mut conn)
            .await
            .map_err(|error| JournalError::open(&error))?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let commits = Arc::new(AtomicU64::new(0));
        tokio::spawn(write_batches(conn, queue, Arc::clone(&commits)));
        Ok(Self::with_backend(Backend::Sqlite(jobs), commits))
    }

    fn with_backend(backend: Backend, commits: Arc<AtomicU64>) -> Self {
        let inner = Inner { backend, owner: new_owner(), lease: Duration::from_secs(60), commits };
        Self { inner: Arc::new(inner) }
    }

    /// Transactions this journal committed so far: on SQLite each is one sync to disk
    /// (with [`Durability::PowerLoss`]) however many operations of concurrent calls it
    /// carries, so `commits / calls` is the syncs per call.
    pub fn commits(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    /// Sets how long an entry stays leased to this journal while it drives it (default 60 s,
    /// 1 s to 1 hour). Keep it above the client's call deadline: when the process dies, the
    /// entry waits this long before a reconciler may take it.
    pub fn with_lease(self, lease: Duration) -> Result<Self, JournalError> {
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&lease) {
            return Err(JournalError::Invalid {
                what: format!("a lease lasts 1 s to 1 hour, not {lease:?}"),
            });
        }
        let inner = Inner {
            backend: self.inner.backend.clone(),
            owner: self.inner.owner.clone(),
            lease,
            commits: Arc::clone(&self.inner.commits),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The lease length.
    pub fn lease(&self) -> Duration {
        self.inner.lease
    }

    /// The name this journal's leases carry (unique per opened journal).
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// Records the write-ahead intent of a money call, committed before this returns.
    ///
    /// - A new order id: recorded `pending`, leased to this journal — [`Begin::New`], send it.
    /// - The same order (same [`Intent::fingerprint`]) not decided yet — [`Begin::Resume`],
    ///   leased to this journal: send it again with the same order id.
    /// - The same order decided — [`Begin::Decided`]: return its outcome, send nothing.
    /// - Another order under this id — [`JournalError::OrderIdReused`].
    /// - The same order leased now (another call of it, in this process or another, is being
    ///   sent) — [`JournalError::InProgress`].
    pub async fn begin(&self, intent: &Intent) -> Result<Begin, JournalError> {
        self.begin_with(intent, false).await
    }

    /// [`Self::begin`] of an entry this journal leased with [`Self::lease_due`]: its own live
    /// lease does not hold it back. What a reconciler calls to drive the entry on.
    pub async fn begin_leased(&self, intent: &Intent) -> Result<Begin, JournalError> {
        self.begin_with(intent, true).await
    }

    async fn begin_with(&self, intent: &Intent, own_lease: bool) -> Result<Begin, JournalError> {
        if intent.order_id.is_empty() || intent.env.is_empty() {
            return Err(JournalError::Invalid {
                what: "an intent needs its order id and environment".to_owned(),
            });
        }
        let fingerprint = intent.fingerprint();
        let op = Op::Begin { intent: intent.clone(), fingerprint, lease: self.new_lease(), own_lease };
        match self.run(op).await? {
            Done::Begin(begin) => Ok(begin),
            _ => Err(JournalError::Closed),
        }
    }

    /// Counts one more attempt of an order this journal drives.
    pub async fn attempt(&self, env: &str, order_id: &str) -> Result<(), JournalError> {
        self.run(Op::Attempt { env: env.to_owned(), order_id: order_id.to_owned(), now_ms: now_ms() })
            .await?;
        Ok(())
    }

    /// Records what a pending or unknown order came to and frees its lease. `false` when it
    /// was decided already (another instance recorded first) or is not in the journal.
    pub async fn record(&self, env: &str, order_id: &str, outcome: &Outcome) -> Result<bool, JournalError> {
        let op = Op::Record {
            env: env.to_owned(),
            order_id: order_id.to_owned(),
            outcome: outcome.clone(),
            now_ms: now_ms(),
        };
        self.flag(op).await
    }

    /// [`Self::record`] without waiting for the commit on SQLite: the outcome is queued
    /// behind every operation already queued by this journal (so a later [`Self::begin`] of
    /// this process sees it) and committed with the next batch. If the process dies first, the
    /// entry stays `pending` and a reconciler establishes the outcome from Midas — which is
    /// why only outcomes a reconciler can re-establish (applied, unknown) should be recorded
    /// this way. On PostgreSQL it is [`Self::record`].
    pub async fn record_soon(
        &self,
        env: &str,
        order_id: &str,
        outcome: &Outcome,
    ) -> Result<(), JournalError> {
        match &self.inner.backend {
            Backend::Sqlite(jobs) => {
                let op = Op::Record {
                    env: env.to_owned(),
                    order_id: order_id.to_owned(),
                    outcome: outcome.clone(),
                    now_ms: now_ms(),
                };
                // Nobody waits for the answer: the writer's reply finds the receiver gone.
                let (reply, _) = oneshot::channel();
                jobs.send(Job { op, reply }).await.map_err(|_| JournalError::Closed)
            }
            Backend::Postgres(_) => self.record(env, order_id, outcome).await.map(drop),
        }
    }

    /// Marks an applied order settled: the service's own effect (the item granted) is done.
    /// `false` when it is not `applied` (settled already, or never applied), so a repeated
    /// confirmation changes nothing.
    pub async fn settle(&self, env: &str, order_id: &str) -> Result<bool, JournalError> {
        let op = Op::Settle { env: env.to_owned(), order_id: order_id.to_owned(), now_ms: now_ms() };
        self.flag(op).await
    }

    /// Frees this journal's lease on an order without deciding it.
    pub async fn release(&self, env: &str, order_id: &str) -> Result<(), JournalError> {
        let op = Op::Release {
            env: env.to_owned(),
            order_id: order_id.to_owned(),
            owner: self.inner.owner.clone(),
        };
        self.run(op).await?;
        Ok(())
    }

    /// Leases up to `limit` entries in `states` unchanged for at least `grace` and not leased to a live
    /// driver, oldest first: what a reconciler works on. Entries leased here are invisible to
    /// every other journal until [`Self::record`], [`Self::settle`], [`Self::release`] or the
    /// lease's end; on PostgreSQL concurrent reconcilers skip each other's rows.
    pub async fn lease_due(
        &self,
        states: &[State],
        grace: Duration,
        limit: u32,
    ) -> Result<Vec<Entry>, JournalError> {
        let now = now_ms();
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        let due = Due {
            states: states.to_vec(),
            older_than_ms: now.saturating_sub(grace_ms),
            limit: i64::from(limit),
        };
        self.entries_of(Op::LeaseDue { due, lease: self.new_lease() }).await
    }

    /// The entry of an order.
    pub async fn get(&self, env: &str, order_id: &str) -> Result<Option<Entry>, JournalError> {
        match self.run(Op::Get { env: env.to_owned(), order_id: order_id.to_owned() }).await? {
            Done::Entry(entry) => Ok(entry.map(|entry| *entry)),
            _ => Err(JournalError::Closed),
        }
    }

    /// How many entries are in `states` (e.g. the open ones: pending and unknown), counted
    /// by the database without reading them.
    pub async fn count(&self, states: &[State]) -> Result<u64, JournalError> {
        match self.run(Op::Count { states: states.to_vec() }).await? {
            Done::Count(count) => Ok(u64::try_from(count).unwrap_or(0)),
            _ => Err(JournalError::Closed),
        }
    }

    /// Every entry, or those in `state`, oldest first.
    pub async fn entries(&self, state: Option<State>) -> Result<Vec<Entry>, JournalError> {
        self.entries_of(Op::List { state }).await
    }

    /// The entries of one player in one zone, oldest first: what the journal says moved
    /// their coins.
    pub async fn entries_for(
        &self,
        env: &str,
        openid: &str,
        zone_id: &str,
    ) -> Result<Vec<Entry>, JournalError> {
        let op = Op::Player { env: env.to_owned(), openid: openid.to_owned(), zone_id: zone_id.to_owned() };
        self.entries_of(op).await
    }

    /// Claims the pushed event `key` for this journal's handler: [`InboxClaim::First`] (run
    /// it, then [`Self::inbox_complete`] or [`Self::inbox_abandon`]), [`InboxClaim::Done`] with
    /// the answer of the run that completed it, or [`InboxClaim::InProgress`] while another
    /// claim's lease ([`Self::lease`]) is live, or [`InboxClaim::Queued`] for an event stored
    /// for a worker ([`Self::inbox_store`]). A claim whose holder died lapses with its lease.
    pub async fn inbox_claim(&self, key: &str) -> Result<InboxClaim, JournalError> {
        match self.run(Op::InboxClaim { key: key.to_owned(), lease: self.new_lease() }).await? {
            Done::Claim(claim) => Ok(claim),
            _ => Err(JournalError::Closed),
        }
    }

    /// Marks the claimed event `key` done with `answer` (what every repeat of the push gets).
    /// `false` when it was done already.
    pub async fn inbox_complete(&self, key: &str, answer: &str) -> Result<bool, JournalError> {
        let op = Op::InboxComplete { key: key.to_owned(), answer: answer.to_owned(), now_ms: now_ms() };
        self.flag(op).await
    }

    /// Gives a claim up (the handler failed): the next push of `key` runs the handler again.
    /// A stored event is not a claim: nothing happens to it.
    pub async fn inbox_abandon(&self, key: &str) -> Result<(), JournalError> {
        self.run(Op::InboxAbandon { key: key.to_owned() }).await?;
        Ok(())
    }

    /// Stores the pushed event `key` for a worker (persist-then-ack), with its exact `message`
    /// and its `envelope`, committed before this returns: [`InboxStore::New`] (acknowledge
    /// the push), [`InboxStore::Queued`] (stored before: acknowledge, store nothing),
    /// [`InboxStore::Done`] with the stored answer, or [`InboxStore::InProgress`] while a
    /// synchronous claim's lease is live (a lapsed one is taken over).
    pub async fn inbox_store(
        &self,
        key: &str,
        message: &str,
        envelope: &str,
    ) -> Result<InboxStore, JournalError> {
        let op = Op::InboxStore {
            key: key.to_owned(),
            message: message.to_owned(),
            envelope: envelope.to_owned(),
            lease: self.new_lease(),
        };
        match self.run(op).await? {
            Done::Store(found) => Ok(found),
            _ => Err(JournalError::Closed),
        }
    }

    /// Leases to this journal up to `limit` stored events whose next try is at or before
    /// `due_ms` (Unix milliseconds, on the caller's clock) and whose lease is free or lapsed,
    /// soonest due first, and counts one more attempt on each. On PostgreSQL, workers of
    /// several instances never take one event at once (`FOR UPDATE SKIP LOCKED`). The lease
    /// lasts [`Self::lease`].
    pub async fn inbox_lease_stored(
        &self,
        due_ms: i64,
        limit: usize,
    ) -> Result<Vec<InboxEvent>, JournalError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.inbox_events(Op::InboxLeaseStored { due_ms, limit, lease: self.new_lease() }).await
    }

    /// Frees the lease of the stored event `key` after a failed run: next try at
    /// `next_try_ms`, `error` kept. `false` when `key` is not a stored event.
    pub async fn inbox_retry(&self, key: &str, next_try_ms: i64, error: &str) -> Result<bool, JournalError> {
        let op =
            Op::InboxRetry { key: key.to_owned(), next_try_ms, error: error.to_owned(), now_ms: now_ms() };
        self.flag(op).await
    }

    /// Sets the stored event `key` aside with `error`: no worker leases it until
    /// [`Self::inbox_requeue`]. `false` when `key` is not a stored event.
    pub async fn inbox_needs_attention(&self, key: &str, error: &str) -> Result<bool, JournalError> {
        let op = Op::InboxNeedsAttention { key: key.to_owned(), error: error.to_owned(), now_ms: now_ms() };
        self.flag(op).await
    }

    /// Up to `limit` events set aside, oldest first.
    pub async fn inbox_needing_attention(&self, limit: usize) -> Result<Vec<InboxEvent>, JournalError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.inbox_events(Op::InboxNeedingAttention { limit }).await
    }

    /// Puts the event `key` set aside back in the queue, due at once, attempts from zero.
    /// `false` when it is not set aside.
    pub async fn inbox_requeue(&self, key: &str) -> Result<bool, JournalError> {
        self.flag(Op::InboxRequeue { key: key.to_owned(), now_ms: now_ms() }).await
    }

    /// Records a launched cash purchase as awaiting payment, committed before this returns
    /// (so that its delivery push, however soon, finds it). The same purchase again returns
    /// its entry as it stands; another purchase under the `out_trade_no` is refused with
    /// [`JournalError::OrderIdReused`].
    pub async fn await_payment(&self, intent: &PurchaseIntent) -> Result<PurchaseEntry, JournalError> {
        if intent.out_trade_no.is_empty() || intent.env.is_empty() {
            return Err(JournalError::Invalid {
                what: "a purchase needs its out_trade_no and environment".to_owned(),
            });
        }
        let op =
            Op::AwaitPayment { intent: intent.clone(), fingerprint: intent.fingerprint(), now_ms: now_ms() };
        match self.run(op).await? {
            Done::Purchase(Some(entry)) => Ok(*entry),
            _ => Err(JournalError::Closed),
        }
    }

    /// The purchase launched under `out_trade_no` in `env`.
    pub async fn purchase(
        &self,
        env: &str,
        out_trade_no: &str,
    ) -> Result<Option<PurchaseEntry>, JournalError> {
        let op = Op::Purchase { env: env.to_owned(), out_trade_no: out_trade_no.to_owned() };
        match self.run(op).await? {
            Done::Purchase(entry) => Ok(entry.map(|entry| *entry)),
            _ => Err(JournalError::Closed),
        }
    }

    /// Every purchase, or those in `state`, oldest first.
    pub async fn purchases(&self, state: Option<PurchaseState>) -> Result<Vec<PurchaseEntry>, JournalError> {
        self.purchases_of(Op::Purchases { state }).await
    }

    /// Claims the delivery of the purchase `out_trade_no` for this journal's lease
    /// ([`Self::lease`]): see [`DeliveryClaim`]. A claim whose holder died lapses with its
    /// lease, so the delivery is not lost.
    pub async fn claim_delivery(&self, env: &str, out_trade_no: &str) -> Result<DeliveryClaim, JournalError> {
        let op = Op::ClaimDelivery {
            env: env.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            lease: self.new_lease(),
        };
        match self.run(op).await? {
            Done::Delivery(claim) => Ok(claim),
            _ => Err(JournalError::Closed),
        }
    }

    /// Records the purchase delivered (`delivered_by`: `push` or `reconciler`; WeChat's order
    /// id when known) and frees its lease. `false` when it was not awaiting any more.
    pub async fn finish_delivery(
        &self,
        env: &str,
        out_trade_no: &str,
        delivered_by: &str,
        wx_order_id: Option<&str>,
    ) -> Result<bool, JournalError> {
        self.deliver(env, out_trade_no, delivered_by, wx_order_id, false).await
    }

    /// [`Self::finish_delivery`] of a purchase WeChat still has to be told about
    /// (`notify_provide_goods`: a delivery the reconciler made after `query_order`, with no
    /// push answered): recorded with the notify pending, in the same statement, so a crash
    /// before the notify leaves it for [`Self::lease_to_notify`]. [`Self::notified`] ends it.
    pub async fn finish_delivery_to_notify(
        &self,
        env: &str,
        out_trade_no: &str,
        delivered_by: &str,
        wx_order_id: Option<&str>,
    ) -> Result<bool, JournalError> {
        self.deliver(env, out_trade_no, delivered_by, wx_order_id, true).await
    }

    async fn deliver(
        &self,
        env: &str,
        out_trade_no: &str,
        delivered_by: &str,
        wx_order_id: Option<&str>,
        notify: bool,
    ) -> Result<bool, JournalError> {
        let op = Op::DecidePurchase {
            env: env.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            state: PurchaseState::Delivered,
            note: delivered_by.to_owned(),
            wx_order_id: wx_order_id.map(str::to_owned),
            notify,
            now_ms: now_ms(),
        };
        self.flag(op).await
    }

    /// Records that WeChat was told of a delivery (or needs no telling any more) and frees the
    /// purchase's lease. `false` when no notify was pending.
    pub async fn notified(&self, env: &str, out_trade_no: &str) -> Result<bool, JournalError> {
        let op =
            Op::Notified { env: env.to_owned(), out_trade_no: out_trade_no.to_owned(), now_ms: now_ms() };
        self.flag(op).await
    }

    /// Leases up to `limit` delivered purchases whose `notify_provide_goods` is still pending
    /// and not held by a live lease, oldest launch first. Each must be ended with
    /// [`Self::notified`] or [`Self::abandon_delivery`] (or its lease lapses).
    pub async fn lease_to_notify(&self, limit: u32) -> Result<Vec<PurchaseEntry>, JournalError> {
        let op = Op::LeasePurchases {
            which: purchase_sql::Leased::ToNotify,
            older_than_ms: i64::MAX,
            limit: i64::from(limit),
            lease: self.new_lease(),
        };
        self.purchases_of(op).await
    }

    /// Records that a purchase has nothing to deliver (refunded or closed before delivery).
    /// `false` when it was not awaiting any more.
    pub async fn close_purchase(
        &self,
        env: &str,
        out_trade_no: &str,
        reason: &str,
    ) -> Result<bool, JournalError> {
        let op = Op::DecidePurchase {
            env: env.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            state: PurchaseState::Closed,
            note: reason.to_owned(),
            wx_order_id: None,
            notify: false,
            now_ms: now_ms(),
        };
        self.flag(op).await
    }

    /// Gives a delivery claim (or a lease of [`Self::lease_awaiting`]) up without deciding:
    /// the next push or reconciler run delivers it.
    pub async fn abandon_delivery(&self, env: &str, out_trade_no: &str) -> Result<(), JournalError> {
        let op = Op::ReleasePurchase {
            env: env.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            owner: self.inner.owner.clone(),
        };
        self.run(op).await?;
        Ok(())
    }

    /// Leases up to `limit` purchases awaiting payment unchanged for at least `grace` and not
    /// held by a live claim, oldest first: what the purchase reconciler works on. Each must be
    /// ended with [`Self::finish_delivery`], [`Self::close_purchase`] or
    /// [`Self::abandon_delivery`] (or its lease lapses).
    pub async fn lease_awaiting(
        &self,
        grace: Duration,
        limit: u32,
    ) -> Result<Vec<PurchaseEntry>, JournalError> {
        let lease = self.new_lease();
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        let op = Op::LeasePurchases {
            which: purchase_sql::Leased::Awaiting,
            older_than_ms: lease.now_ms.saturating_sub(grace_ms),
            limit: i64::from(limit),
            lease,
        };
        self.purchases_of(op).await
    }

    fn new_lease(&self) -> Lease {
        let now = now_ms();
        let lease_ms = i64::try_from(self.inner.lease.as_millis()).unwrap_or(i64::MAX);
        Lease { owner: self.inner.owner.clone(), now_ms: now, until_ms: now.saturating_add(lease_ms) }
    }

    /// Runs `op`, whose answer is a flag.
    async fn flag(&self, op: Op) -> Result<bool, JournalError> {
        match self.run(op).await? {
            Done::Flag(done) => Ok(done),
            _ => Err(JournalError::Closed),
        }
    }

    /// Runs `op`, whose answer is journal entries.
    async fn entries_of(&self, op: Op) -> Result<Vec<Entry>, JournalError> {
        match self.run(op).await? {
            Done::Entries(entries) => Ok(entries),
            _ => Err(JournalError::Closed),
        }
    }

    /// Runs `op`, whose answer is stored inbox events.
    async fn inbox_events(&self, op: Op) -> Result<Vec<InboxEvent>, JournalError> {
        match self.run(op).await? {
            Done::InboxEvents(events) => Ok(events),
            _ => Err(JournalError::Closed),
        }
    }

    /// Runs `op`, whose answer is purchases.
    async fn purchases_of(&self, op: Op) -> Result<Vec<PurchaseEntry>, JournalError> {
        match self.run(op).await? {
            Done::Purchases(entries) => Ok(entries),
            _ => Err(JournalError::Closed),
        }
    }

    async fn run(&self, op: Op) -> Result<Done, JournalError> {
        match &self.inner.backend {
            Backend::Sqlite(jobs) => {
                let (reply, answer) = oneshot::channel();
                jobs.send(Job { op, reply }).await.map_err(|_| JournalError::Closed)?;
                answer.await.map_err(|_| JournalError::Closed)?
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(|error| JournalError::database(&error))?;
                let done = exec(&mut tx, Dialect::Postgres, &op).await?;
                tx.commit().await.map_err(|error| JournalError::database(&error))?;
                self.inner.commits.fetch_add(1, Ordering::Relaxed);
                Ok(done)
            }
        }
    }
}

impl Clone for Backend {
    fn clone(&self) -> Self {
        match self {
            Self::Sqlite(jobs) => Self::Sqlite(jobs.clone()),
            Self::Postgres(pool) => Self::Postgres(pool.clone()),
        }
    }
}

/// One operation, as the SQLite writer receives it.
enum Op {
    Begin {
        intent: Intent,
        fingerprint: String,
        lease: Lease,
        own_lease: bool,
    },
    Attempt {
        env: String,
        order_id: String,
        now_ms: i64,
    },
    Record {
        env: String,
        order_id: String,
        outcome: Outcome,
        now_ms: i64,
    },
    Settle {
        env: String,
        order_id: String,
        now_ms: i64,
    },
    Release {
        env: String,
        order_id: String,
        owner: String,
    },
    LeaseDue {
        due: Due,
        lease: Lease,
    },
    Get {
        env: String,
        order_id: String,
    },
    List {
        state: Option<State>,
    },
    Count {
        states: Vec<State>,
    },
    Player {
        env: String,
        openid: String,
        zone_id: String,
    },
    InboxClaim {
        key: String,
        lease: Lease,
    },
    InboxComplete {
        key: String,
        answer: String,
        now_ms: i64,
    },
    InboxAbandon {
        key: String,
    },
    InboxStore {
        key: String,
        message: String,
        envelope: String,
        lease: Lease,
    },
    InboxLeaseStored {
        due_ms: i64,
        limit: i64,
        lease: Lease,
    },
    InboxRetry {
        key: String,
        next_try_ms: i64,
        error: String,
        now_ms: i64,
    },
    InboxNeedsAttention {
        key: String,
        error: String,
        now_ms: i64,
    },
    InboxNeedingAttention {
        limit: i64,
    },
    InboxRequeue {
        key: String,
        now_ms: i64,
    },
    AwaitPayment {
        intent: PurchaseIntent,
        fingerprint: String,
        now_ms: i64,
    },
    Purchase {
        env: String,
        out_trade_no: String,
    },
    Purchases {
        state: Option<PurchaseState>,
    },
    ClaimDelivery {
        env: String,
        out_trade_no: String,
        lease: Lease,
    },
    DecidePurchase {
        env: String,
        out_trade_no: String,
        state: PurchaseState,
        note: String,
        wx_order_id: Option<String>,
        notify: bool,
        now_ms: i64,
    },
    Notified {
        env: String,
        out_trade_no: String,
        now_ms: i64,
    },

    ReleasePurchase {
        env: String,
        out_trade_no: String,
        owner: String,
    },
    LeasePurchases {
        which: purchase_sql::Leased,
        older_than_ms: i64,
        limit: i64,
        lease: Lease,
    },
}

/// What an operation returns.
enum Done {
    Begin(Begin),
    Unit,
    Flag(bool),
    Entry(Option<Box<Entry>>),
    Entries(Vec<Entry>),
    Claim(InboxClaim),
    Count(i64),
    Store(InboxStore),
    InboxEvents(Vec<InboxEvent>),
    Purchase(Option<Box<PurchaseEntry>>),
    Purchases(Vec<PurchaseEntry>),
    Delivery(DeliveryClaim),
}

impl Op {
    /// The order an operation is about, if one.
    fn key(&self) -> Option<(&str, &str)> {
        match self {
            Self::Begin { intent, .. } => Some((intent.env.as_str(), intent.order_id.as_str())),
            Self::Record { env, order_id, .. }
            | Self::Attempt { env, order_id, .. }
            | Self::Settle { env, order_id, .. }
            | Self::Release { env, order_id, .. }
            | Self::Get { env, order_id } => Some((env.as_str(), order_id.as_str())),
            Self::InboxClaim { key, .. }
            | Self::InboxComplete { key, .. }
            | Self::InboxAbandon { key }
            | Self::InboxStore { key, .. }
            | Self::InboxRetry { key, .. }
            | Self::InboxNeedsAttention { key, .. }
            | Self::InboxRequeue { key, .. } => Some(("inbox", key.as_str())),
            // Purchases live in their own table: their keys cannot clash with the journal's.
            Self::AwaitPayment { .. }
            | Self::Purchase { .. }
            | Self::Purchases { .. }
            | Self::ClaimDelivery { .. }
            | Self::DecidePurchase { .. }
            | Self::Notified { .. }
            | Self::ReleasePurchase { .. }
            | Self::LeasePurchases { .. }
            | Self::LeaseDue { .. }
            | Self::List { .. }
            | Self::Count { .. }
            | Self::Player { .. }
            | Self::InboxLeaseStored { .. }
            | Self::InboxNeedingAttention { .. } => None,
        }
    }
}

struct Job {
    op: Op,
    reply: oneshot::Sender<Result<Done, JournalError>>,
}

/// Runs `op`, boxed: the future is `Send` for every connection lifetime, as `tokio::spawn`
/// requires of the SQLite writer.
fn exec<'a>(
    conn: &'a mut AnyConnection,
    dialect: Dialect,
    op: &'a Op,
) -> Pin<Box<dyn Future<Output = Result<Done, JournalError>> + Send + 'a>> {
    Box::pin(exec_inner(conn, dialect, op))
}

async fn exec_inner(conn: &mut AnyConnection, dialect: Dialect, op: &Op) -> Result<Done, JournalError> {
    Ok(match op {
        Op::Begin { intent, fingerprint, lease, own_lease } => {
            Done::Begin(sql::begin(conn, dialect, intent, fingerprint, lease, *own_lease).await?)
        }
        Op::Attempt { env, order_id, now_ms } => {
            sql::attempt(conn, env, order_id, *now_ms).await?;
            Done::Unit
        }
        Op::Record { env, order_id, outcome, now_ms } => {
            Done::Flag(sql::record(conn, env, order_id, outcome, *now_ms).await?)
        }
        Op::Settle { env, order_id, now_ms } => Done::Flag(sql::settle(conn, env, order_id, *now_ms).await?),
        Op::Release { env, order_id, owner } => {
            sql::release(conn, env, order_id, owner).await?;
            Done::Unit
        }
        Op::LeaseDue { due, lease } => Done::Entries(sql::lease_due(conn, dialect, due, lease).await?),
        Op::Get { env, order_id } => Done::Entry(sql::get(conn, env, order_id).await?.map(Box::new)),
        Op::List { state } => Done::Entries(sql::list(conn, *state).await?),
        Op::Count { states } => Done::Count(sql::count(conn, states).await?),
        Op::Player { env, openid, zone_id } => {
            Done::Entries(sql::entries_for(conn, env, openid, zone_id).await?)
        }
        Op::InboxClaim { key, lease } => Done::Claim(sql::inbox_claim(conn, dialect, key, lease).await?),
        Op::InboxComplete { key, answer, now_ms } => {
            Done::Flag(sql::inbox_complete(conn, key, answer, *now_ms).await?)
        }
        Op::InboxAbandon { key } => {
            sql::inbox_abandon(conn, key).await?;
            Done::Unit
        }
        Op::InboxStore { key, message, envelope, lease } => {
            Done::Store(sql::inbox_store(conn, dialect, key, message, envelope, lease).await?)
        }
        Op::InboxLeaseStored { due_ms, limit, lease } => {
            Done::InboxEvents(sql::inbox_lease_stored(conn, dialect, *due_ms, *limit, lease).await?)
        }
        Op::InboxRetry { key, next_try_ms, error, now_ms } => {
            Done::Flag(sql::inbox_retry(conn, key, *next_try_ms, error, *now_ms).await?)
        }
        Op::InboxNeedsAttention { key, error, now_ms } => {
            Done::Flag(sql::inbox_needs_attention(conn, key, error, *now_ms).await?)
        }
        Op::InboxNeedingAttention { limit } => {
            Done::InboxEvents(sql::inbox_needing_attention(conn, *limit).await?)
        }
        Op::InboxRequeue { key, now_ms } => Done::Flag(sql::inbox_requeue(conn, key, *now_ms).await?),
        Op::AwaitPayment { intent, fingerprint, now_ms } => Done::Purchase(Some(Box::new(
            purchase_sql::await_payment(conn, dialect, intent, fingerprint, *now_ms).await?,
        ))),
        Op::Purchase { env, out_trade_no } => Done::Purchase(
            purchase_sql::get(conn, dialect, env, out_trade_no).await?.map(|(entry, _)| Box::new(entry)),
        ),
        Op::Purchases { state } => Done::Purchases(purchase_sql::list(conn, *state).await?),
        Op::ClaimDelivery { env, out_trade_no, lease } => {
            Done::Delivery(purchase_sql::claim_delivery(conn, dialect, env, out_trade_no, lease).await?)
        }
        Op::DecidePurchase { env, out_trade_no, state, note, wx_order_id, notify, now_ms } => Done::Flag(
            purchase_sql::decide(
                conn,
                env,
                out_trade_no,
                purchase_sql::Decision {
                    state: *state,
                    note: Some(note),
                    wx_order_id: wx_order_id.as_deref(),
                    notify: *notify,
                },
                *now_ms,
            )
            .await?,
        ),
        Op::Notified { env, out_trade_no, now_ms } => {
            Done::Flag(purchase_sql::notified(conn, env, out_trade_no, *now_ms).await?)
        }

        Op::ReleasePurchase { env, out_trade_no, owner } => {
            purchase_sql::release(conn, env, out_trade_no, owner).await?;
            Done::Unit
        }
        Op::LeasePurchases { which, older_than_ms, limit, lease } => {
            Done::Purchases(purchase_sql::lease(conn, dialect, *which, *older_than_ms, *limit, lease).await?)
        }
    })
}

/// The SQLite writer: takes every operation queued, runs them in one transaction, commits
/// once, then answers each. A commit is one sync however many calls it carries. Each
/// operation writes with at most one statement, so one that fails leaves nothing behind and
/// does not undo the others.
async fn write_batches(mut conn: AnyConnection, mut queue: mpsc::Receiver<Job>, commits: Arc<AtomicU64>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (results, committed) = run_batch(&mut conn, &batch).await;
        commits.fetch_add(committed, Ordering::Relaxed);
        for (job, result) in batch.drain(..).zip(results) {
            // A caller that gave up waiting dropped its receiver: nothing to tell it.
            let _ = job.reply.send(result);
        }
    }
}

/// The results of a batch's operations, and the transactions it committed.
///
/// Operations on distinct orders commute (they were outstanding at once, so any order is a
/// valid one): the new intents and the outcomes go in first, in one piece
/// ([`sql::write_grouped`]), then the rest one by one in a second transaction. A batch naming
/// one order twice runs wholly one by one, in arrival order.
async fn run_batch(conn: &mut AnyConnection, batch: &[Job]) -> (Vec<Result<Done, JournalError>>, u64) {
    let mut seen = std::collections::HashSet::new();
    let distinct = batch.iter().filter_map(|job| job.op.key()).all(|key| seen.insert(key));
    let mut results: Vec<Option<Result<Done, JournalError>>> = batch.iter().map(|_| None).collect();
    let mut commits = 0;
    // Which results the first transaction committed: a failed second one does not undo them.
    let mut first = vec![false; batch.len()];
    if distinct {
        let mut begins = Vec::new();
        let mut records = Vec::new();
        for (at, job) in batch.iter().enumerate() {
            match &job.op {
                Op::Begin { intent, fingerprint, lease, .. } => {
                    begins.push((at, (intent, fingerprint.as_str(), lease)));
                }
                Op::Record { env, order_id, outcome, now_ms } => {
                    records.push((at, (env.as_str(), order_id.as_str(), outcome, *now_ms)));
                }
                _ => {}
            }
        }
        if !begins.is_empty() || !records.is_empty() {
            let intents: Vec<_> = begins.iter().map(|(_, row)| *row).collect();
            let outcomes: Vec<_> = records.iter().map(|(_, row)| *row).collect();
            match sql::write_grouped(conn, &intents, &outcomes).await {
                Ok((inserted, recorded)) => {
                    commits += 1;
                    for (at, (intent, ..)) in &begins {
                        if inserted.contains(&(intent.env.clone(), intent.order_id.clone())) {
                            results[*at] = Some(Ok(Done::Begin(Begin::New)));
                            first[*at] = true;
                        }
                    }
                    for (at, (env, order_id, ..)) in &records {
                        let done = recorded.contains(&((*env).to_owned(), (*order_id).to_owned()));
                        results[*at] = Some(Ok(Done::Flag(done)));
                        first[*at] = true;
                    }
                }
                Err(error) => {
                    let _ = statement(conn, "ROLLBACK").await;
                    for (at, _) in
                        begins.iter().map(|(at, _)| (at, ())).chain(records.iter().map(|(at, _)| (at, ())))
                    {
                        results[*at] = Some(Err(error.clone()));
                    }
                }
            }
        }
    }
    if results.iter().any(Option::is_none) {
        if let Err(error) = statement(conn, "BEGIN IMMEDIATE").await {
            let error = JournalError::database(&error);
            let out =
                results.into_iter().map(|result| result.unwrap_or_else(|| Err(error.clone()))).collect();
            return (out, commits);
        }
        for (job, result) in batch.iter().zip(results.iter_mut()) {
            if result.is_none() {
                *result = Some(exec(conn, Dialect::Sqlite, &job.op).await);
            }
        }
        if let Err(error) = statement(conn, "COMMIT").await {
            let _ = statement(conn, "ROLLBACK").await;
            let error = JournalError::database(&error);
            // Everything of the second transaction is undone; the first stays committed.
            let out = results
                .into_iter()
                .zip(first)
                .map(|(result, committed)| match result {
                    Some(result) if committed => result,
                    _ => Err(error.clone()),
                })
                .collect();
            return (out, commits);
        }
        commits += 1;
    }
    (results.into_iter().map(|result| result.unwrap_or(Err(JournalError::Closed))).collect(), commits)
}

/// Runs one statement without parameters.
async fn statement(conn: &mut AnyConnection, text: &'static str) -> Result<(), sqlx::Error> {
    sqlx::query(text).execute(conn).await.map(drop)
}

/// The embedded migrations.
#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send + 's>> {
        Box::pin(async {
            Ok(vec![
                Migration::new(
                    1,
                    "journal".into(),
                    MigrationType::Simple,
                    include_str!("../migrations/0001_journal.sql").into(),
                    false,
                ),
                Migration::new(
                    2,
                    "inbox".into(),
                    MigrationType::Simple,
                    include_str!("../migrations/0002_inbox.sql").into(),
                    false,
                ),
                Migration::new(
                    3,
                    "inbox stored".into(),
                    MigrationType::Simple,
                    include_str!("../migrations/0003_inbox_stored.sql").into(),
                    false,
                ),
                Migration::new(
                    4,
                    "purchases".into(),
                    MigrationType::Simple,
                    include_str!("../migrations/0004_purchases.sql").into(),
                    false,
                ),
                Migration::new(
                    5,
                    "purchase notify".into(),
                    MigrationType::Simple,
                    include_str!("../migrations/0005_purchase_notify.sql").into(),
                    false,
                ),
            ])
        })
    }
}

/// Refuses a foreign `midas_journal` table, then brings the schema up to date; a schema newer
/// than this crate's is refused.
async fn migrate(conn: &mut AnyConnection, dialect: Dialect) -> Result<(), JournalError> {
    let has_table = |name: &'static str| {
        let query = match dialect {
            Dialect::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        sqlx::query(query).bind(name)
    };
    let count = |row: sqlx::any::AnyRow| row.try_get::<i64, _>(0);
    let journal = has_table("midas_journal")
        .fetch_one(&mut *conn)
        .await
        .and_then(count)
        .map_err(|e| JournalError::open(&e))?;
    let migrations = has_table("_sqlx_migrations")
        .fetch_one(&mut *conn)
        .await
        .and_then(count)
        .map_err(|e| JournalError::open(&e))?;
    if journal > 0 && migrations == 0 {
        return Err(JournalError::Foreign {
            message: "a `midas_journal` table exists but was not created by midas-journal".to_owned(),
        });
    }
    let migrator =
        Migrator::new(Embedded).await.map_err(|error| JournalError::Open { message: error.to_string() })?;
    match migrator.run(&mut *conn).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(version)) => Err(JournalError::NewerSchema { version }),
        Err(error) => Err(JournalError::Open { message: error.to_string() }),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}

/// A name unique to this opened journal: process id, time, and a per-process random value.
fn new_owner() -> String {
    use std::hash::{BuildHasher, RandomState};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_nanos());
    let random = RandomState::new().hash_one(nanos);
    format!("{}-{nanos:x}-{random:016x}", std::process::id())
}
