//! The journal's statements, one function per operation, over one connection inside a
//! transaction the caller opened. Every value is bound, never spliced into the text.

use std::collections::HashSet;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::JournalError;
use crate::entry::{Begin, Entry, InboxClaim, Intent, Outcome, State};
use crate::inbox::{InboxEvent, InboxStore};

/// What differs between the two databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Row locks: PostgreSQL takes them; SQLite has one writer at a time anyway.
    fn for_update(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }

    fn skip_locked(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

const COLUMNS: &str = "env, order_id, api, generation, openid, zone_id, amount, fields, fingerprint, state, \
                       attempts, answer, errcode, reason, created_ms, updated_ms";

/// Who holds an entry and until when.
#[derive(Clone, Debug)]
pub(crate) struct Lease {
    pub(crate) owner: String,
    pub(crate) now_ms: i64,
    pub(crate) until_ms: i64,
}

/// Which entries a reconciler takes.
#[derive(Clone, Debug)]
pub(crate) struct Due {
    pub(crate) states: Vec<State>,
    pub(crate) older_than_ms: i64,
    pub(crate) limit: i64,
}

fn database(error: sqlx::Error) -> JournalError {
    JournalError::database(&error)
}

pub(crate) fn entry(row: &AnyRow) -> Result<Entry, JournalError> {
    let get_text = |name: &str| row.try_get::<String, _>(name).map_err(database);
    let order_id = get_text("order_id")?;
    let state_name = get_text("state")?;
    let state = State::parse(&state_name).ok_or_else(|| JournalError::Corrupt {
        order_id: order_id.clone(),
        what: format!("state `{state_name}`"),
    })?;
    Ok(Entry {
        intent: Intent {
            env: get_text("env")?,
            order_id,
            api: get_text("api")?,
            generation: get_text("generation")?,
            openid: get_text("openid")?,
            zone_id: get_text("zone_id")?,
            amount: row.try_get("amount").map_err(database)?,
            fields: get_text("fields")?,
        },
        fingerprint: get_text("fingerprint")?,
        state,
        attempts: row.try_get("attempts").map_err(database)?,
        answer: row.try_get("answer").map_err(database)?,
        errcode: row.try_get("errcode").map_err(database)?,
        reason: row.try_get("reason").map_err(database)?,
        created_ms: row.try_get("created_ms").map_err(database)?,
        updated_ms: row.try_get("updated_ms").map_err(database)?,
    })
}

/// Records `intent` as a new pending entry leased to `lease.owner`, or finds the entry of its
/// order id: the same order decided, the same order to resume (leased now), or another order.
pub(crate) async fn begin(
    conn: &mut AnyConnection,
    dialect: Dialect,
    intent: &Intent,
    fingerprint: &str,
    lease: &Lease,
    own_lease: bool,
) -> Result<Begin, JournalError> {
    let insert = sqlx::query(
        "INSERT INTO midas_journal (env, order_id, api, generation, openid, zone_id, amount, fields, \
         fingerprint, state, attempts, created_ms, updated_ms, lease_owner, lease_until_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 1, $10, $10, $11, $12) \
         ON CONFLICT (env, order_id) DO NOTHING",
    );
    let inserted =
        bind_intent(insert, intent, fingerprint, lease).execute(&mut *conn).await.map_err(database)?;
    if inserted.rows_affected() == 1 {
        return Ok(Begin::New);
    }
    let query = format!(
        "SELECT {COLUMNS}, lease_owner, lease_until_ms FROM midas_journal WHERE env = $1 AND order_id = $2{}",
        dialect.for_update()
    );
    let row = sqlx::query(&query)
        .bind(&intent.env)
        .bind(&intent.order_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(database)?;
    let found = entry(&row)?;
    if found.fingerprint != fingerprint {
        return Err(JournalError::OrderIdReused {
            order_id: intent.order_id.clone(),
            recorded_api: found.intent.api,
            recorded_openid: found.intent.openid,
        });
    }
    // A refusal without an errcode proves nothing was applied (refused before Midas
    // answered): the same order may be sent again.
    let resendable = found.state == State::Refused && found.errcode.is_none();
    if found.state.is_decided() && !resendable {
        return Ok(Begin::Decided(Box::new(found)));
    }
    let holder: Option<String> = row.try_get("lease_owner").map_err(database)?;
    let until: Option<i64> = row.try_get("lease_until_ms").map_err(database)?;
    // A live lease holds the order, whoever holds it — two calls of one order in one process
    // are no more sent at once than two in two processes — unless the caller is the lease's
    // own holder driving it on (a reconciler re-sending an entry it leased).
    let mine = own_lease && holder.as_deref() == Some(lease.owner.as_str());
    let held = holder.is_some() && until.is_some_and(|until| until > lease.now_ms) && !mine;
    if held {
        return Err(JournalError::InProgress { order_id: intent.order_id.clone() });
    }
    sqlx::query(
        "UPDATE midas_journal SET state = 'pending', lease_owner = $1, lease_until_ms = $2, \
         attempts = attempts + 1, updated_ms = $3 WHERE env = $4 AND order_id = $5",
    )
    .bind(&lease.owner)
    .bind(lease.until_ms)
    .bind(lease.now_ms)
    .bind(&intent.env)
    .bind(&intent.order_id)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(Begin::Resume(Box::new(Entry { attempts: found.attempts + 1, state: State::Pending, ..found })))
}

/// Binds the twelve values of an intent's row, in the order of the `INSERT`s' columns.
fn bind_intent<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    intent: &'q Intent,
    fingerprint: &'q str,
    lease: &'q Lease,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(intent.env.as_str())
        .bind(intent.order_id.as_str())
        .bind(intent.api.as_str())
        .bind(intent.generation.as_str())
        .bind(intent.openid.as_str())
        .bind(intent.zone_id.as_str())
        .bind(intent.amount)
        .bind(intent.fields.as_str())
        .bind(fingerprint)
        .bind(lease.now_ms)
        .bind(lease.owner.as_str())
        .bind(lease.until_ms)
}

/// The new intents and the outcomes of a batch (distinct order ids), written in one
/// transaction sent to SQLite as one piece: `BEGIN IMMEDIATE`, one multi-row `INSERT` of the
/// intents (an order id that exists is not inserted: [`begin`] decides it afterwards), one
/// multi-row `UPDATE` of the outcomes, `COMMIT`. A round trip to SQLite costs more than the
/// work, so the batch pays one instead of one per call. Returns the keys inserted and the keys
/// recorded; on an error the transaction is left for the caller to roll back.
pub(crate) async fn write_grouped(
    conn: &mut AnyConnection,
    intents: &[(&Intent, &str, &Lease)],
    records: &[(&str, &str, &Outcome, i64)],
) -> Result<(HashSet<(String, String)>, HashSet<(String, String)>), JournalError> {
    // Row counts are padded to a power of two by repeating the last row (a repeated intent
    // conflicts and is skipped, a repeated outcome updates nothing more), so the statement
    // takes few shapes and SQLite's prepared statements are reused.
    let padded = |rows: usize| if rows == 0 { 0 } else { rows.next_power_of_two() };
    let (intent_rows, record_rows) = (padded(intents.len()), padded(records.len()));
    let mut text = String::from("BEGIN IMMEDIATE;");
    let mut next = 0;
    let mut param = || {
        next += 1;
        format!("${next}")
    };
    if !intents.is_empty() {
        text.push_str(
            " INSERT INTO midas_journal (env, order_id, api, generation, openid, zone_id, amount, fields, \
             fingerprint, state, attempts, created_ms, updated_ms, lease_owner, lease_until_ms) VALUES ",
        );
        for row in 0..intent_rows {
            let p: Vec<String> = (0..12).map(|_| param()).collect();
            if row > 0 {
                text.push_str(", ");
            }
            text.push_str(&format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, 'pending', 1, {}, {}, {}, {})",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[9], p[10], p[11]
            ));
        }
        text.push_str(" ON CONFLICT (env, order_id) DO NOTHING RETURNING 'new', env, order_id;");
    }
    if !records.is_empty() {
        let mut rows = String::new();
        for row in 0..record_rows {
            let p: Vec<String> = (0..7).map(|_| param()).collect();
            if row > 0 {
                rows.push_str(" UNION ALL ");
            }
            rows.push_str(&format!(
                "SELECT {} AS env, {} AS order_id, {} AS state, {} AS answer, {} AS errcode, {} AS reason, {} AS now_ms",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6]
            ));
        }
        text.push_str(&format!(
            " UPDATE midas_journal SET state = v.state, answer = COALESCE(v.answer, midas_journal.answer), \
             errcode = v.errcode, reason = v.reason, updated_ms = v.now_ms, lease_owner = NULL, \
             lease_until_ms = NULL FROM ({rows}) AS v \
             WHERE midas_journal.env = v.env AND midas_journal.order_id = v.order_id \
             AND (midas_journal.state IN ('pending', 'unknown') \
             OR (midas_journal.state = 'refused' AND midas_journal.errcode IS NULL)) \
             RETURNING 'recorded', midas_journal.env, midas_journal.order_id;"
        ));
    }
    text.push_str(" COMMIT;");
    let mut query = sqlx::query(&text);
    let last_intent = intents.last().into_iter().cycle().take(intent_rows - intents.len());
    for (intent, fingerprint, lease) in intents.iter().chain(last_intent) {
        query = bind_intent(query, intent, fingerprint, lease);
    }
    let last_record = records.last().into_iter().cycle().take(record_rows - records.len());
    for (env, order_id, outcome, now_ms) in records.iter().chain(last_record) {
        let (answer, errcode, reason) = outcome_columns(outcome);
        query = query
            .bind(*env)
            .bind(*order_id)
            .bind(outcome.state().as_str())
            .bind(answer)
            .bind(errcode)
            .bind(reason)
            .bind(*now_ms);
    }
    let rows = query.fetch_all(&mut *conn).await.map_err(database)?;
    let (mut inserted, mut recorded) = (HashSet::new(), HashSet::new());
    for row in &rows {
        let tag: String = row.try_get(0).map_err(database)?;
        let key =
            (row.try_get::<String, _>(1).map_err(database)?, row.try_get::<String, _>(2).map_err(database)?);
        if tag == "new" {
            inserted.insert(key);
        } else {
            recorded.insert(key);
        }
    }
    Ok((inserted, recorded))
}

/// The answer, errcode and reason columns of an outcome.
fn outcome_columns(outcome: &Outcome) -> (Option<&str>, Option<i64>, Option<&str>) {
    match outcome {
        Outcome::Applied { answer } => (answer.as_deref(), None, None),
        Outcome::Refused { errcode, answer, reason } => (answer.as_deref(), *errcode, Some(reason.as_str())),
        Outcome::Unknown { reason } | Outcome::NeedsAttention { reason } => {
            (None, None, Some(reason.as_str()))
        }
    }
}

/// Counts one more attempt of an entry this journal drives.
pub(crate) async fn attempt(
    conn: &mut AnyConnection,
    env: &str,
    order_id: &str,
    now_ms: i64,
) -> Result<(), JournalError> {
    sqlx::query(
        "UPDATE midas_journal SET attempts = attempts + 1, updated_ms = $1 WHERE env = $2 AND order_id = $3",
    )
    .bind(now_ms)
    .bind(env)
    .bind(order_id)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(())
}

/// Records the outcome of a pending or unknown entry and frees its lease; `false` when the
/// entry was decided already (another instance recorded first) or does not exist.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    env: &str,
    order_id: &str,
    outcome: &Outcome,
    now_ms: i64,
) -> Result<bool, JournalError> {
    let (answer, errcode, reason) = match outcome {
        Outcome::Applied { answer } => (answer.as_deref(), None, None),
        Outcome::Refused { errcode, answer, reason } => (answer.as_deref(), *errcode, Some(reason.as_str())),
        Outcome::Unknown { reason } | Outcome::NeedsAttention { reason } => {
            (None, None, Some(reason.as_str()))
        }
    };
    let done = sqlx::query(
        "UPDATE midas_journal SET state = $1, answer = COALESCE($2, answer), errcode = $3, reason = $4, \
         updated_ms = $5, lease_owner = NULL, lease_until_ms = NULL \
         WHERE env = $6 AND order_id = $7 \
         AND (state IN ('pending', 'unknown') OR (state = 'refused' AND errcode IS NULL))",
    )
    .bind(outcome.state().as_str())
    .bind(answer)
    .bind(errcode)
    .bind(reason)
    .bind(now_ms)
    .bind(env)
    .bind(order_id)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(done.rows_affected() == 1)
}

/// Marks an applied entry settled; `false` when it is not applied (already settled, or not
/// applied at all).
pub(crate) async fn settle(
    conn: &mut AnyConnection,
    env: &str,
    order_id: &str,
    now_ms: i64,
) -> Result<bool, JournalError> {
    let done = sqlx::query(
        "UPDATE midas_journal SET state = 'settled', updated_ms = $1, lease_owner = NULL, lease_until_ms = NULL \
         WHERE env = $2 AND order_id = $3 AND state = 'applied'",
    )
    .bind(now_ms)
    .bind(env)
    .bind(order_id)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(done.rows_affected() == 1)
}

/// Frees a lease this owner holds without deciding anything.
pub(crate) async fn release(
    conn: &mut AnyConnection,
    env: &str,
    order_id: &str,
    owner: &str,
) -> Result<(), JournalError> {
    sqlx::query(
        "UPDATE midas_journal SET lease_owner = NULL, lease_until_ms = NULL \
         WHERE env = $1 AND order_id = $2 AND lease_owner = $3",
    )
    .bind(env)
    .bind(order_id)
    .bind(owner)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(())
}

/// Leases up to `due.limit` entries in `due.states` unchanged since `due.older_than_ms` whose
/// lease is free or expired, oldest first. On PostgreSQL rows another transaction has locked
/// are skipped, so concurrent reconcilers never take the same entry.
pub(crate) async fn lease_due(
    conn: &mut AnyConnection,
    dialect: Dialect,
    due: &Due,
    lease: &Lease,
) -> Result<Vec<Entry>, JournalError> {
    // The states are our own constants, not input: they are written into the statement.
    let states: Vec<String> = due.states.iter().map(|state| format!("'{}'", state.as_str())).collect();
    let query = format!(
        "UPDATE midas_journal SET lease_owner = $1, lease_until_ms = $2 \
         WHERE (env, order_id) IN (SELECT env, order_id FROM midas_journal \
         WHERE state IN ({}) AND updated_ms <= $3 AND (lease_until_ms IS NULL OR lease_until_ms <= $4) \
         ORDER BY created_ms LIMIT $5{}) \
         RETURNING {COLUMNS}",
        states.join(", "),
        dialect.skip_locked()
    );
    let rows = sqlx::query(&query)
        .bind(&lease.owner)
        .bind(lease.until_ms)
        .bind(due.older_than_ms)
        .bind(lease.now_ms)
        .bind(due.limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(database)?;
    rows.iter().map(entry).collect()
}

/// One entry.
pub(crate) async fn get(
    conn: &mut AnyConnection,
    env: &str,
    order_id: &str,
) -> Result<Option<Entry>, JournalError> {
    let query = format!("SELECT {COLUMNS} FROM midas_journal WHERE env = $1 AND order_id = $2");
    let row =
        sqlx::query(&query).bind(env).bind(order_id).fetch_optional(&mut *conn).await.map_err(database)?;
    row.as_ref().map(entry).transpose()
}

/// The entries of one player in one zone, oldest first.
pub(crate) async fn entries_for(
    conn: &mut AnyConnection,
    env: &str,
    openid: &str,
    zone_id: &str,
) -> Result<Vec<Entry>, JournalError> {
    let query = format!(
        "SELECT {COLUMNS} FROM midas_journal WHERE env = $1 AND openid = $2 AND zone_id = $3 ORDER BY created_ms, order_id"
    );
    let rows = sqlx::query(&query)
        .bind(env)
        .bind(openid)
        .bind(zone_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(database)?;
    rows.iter().map(entry).collect()
}

/// How many entries are in `states`, without reading them.
pub(crate) async fn count(conn: &mut AnyConnection, states: &[State]) -> Result<i64, JournalError> {
    // The states are our own constants, not input: they are written into the statement.
    let states: Vec<String> = states.iter().map(|state| format!("'{}'", state.as_str())).collect();
    let query = format!("SELECT COUNT(*) FROM midas_journal WHERE state IN ({})", states.join(", "));
    let row = sqlx::query(&query).fetch_one(&mut *conn).await.map_err(database)?;
    row.try_get(0).map_err(database)
}

/// Every entry, or those in `state`, oldest first.
pub(crate) async fn list(conn: &mut AnyConnection, state: Option<State>) -> Result<Vec<Entry>, JournalError> {
    let rows = match state {
        Some(state) => {
            let query =
                format!("SELECT {COLUMNS} FROM midas_journal WHERE state = $1 ORDER BY created_ms, order_id");
            sqlx::query(&query).bind(state.as_str()).fetch_all(&mut *conn).await
        }
        None => {
            let query = format!("SELECT {COLUMNS} FROM midas_journal ORDER BY created_ms, order_id");
            sqlx::query(&query).fetch_all(&mut *conn).await
        }
    }
    .map_err(database)?;
    rows.iter().map(entry).collect()
}

/// Claims a pushed event: new, done, held by a live lease, or a lapsed claim taken over.
pub(crate) async fn inbox_claim(
    conn: &mut AnyConnection,
    dialect: Dialect,
    key: &str,
    lease: &Lease,
) -> Result<InboxClaim, JournalError> {
    let inserted = sqlx::query(
        "INSERT INTO midas_inbox (event_key, state, lease_owner, lease_until_ms, created_ms, updated_ms) \
         VALUES ($1, 'claimed', $2, $3, $4, $4) ON CONFLICT (event_key) DO NOTHING",
    )
    .bind(key)
    .bind(&lease.owner)
    .bind(lease.until_ms)
    .bind(lease.now_ms)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    if inserted.rows_affected() == 1 {
        return Ok(InboxClaim::First);
    }
    let query = format!(
        "SELECT state, answer, lease_until_ms FROM midas_inbox WHERE event_key = $1{}",
        dialect.for_update()
    );
    let row = sqlx::query(&query).bind(key).fetch_one(&mut *conn).await.map_err(database)?;
    let state: String = row.try_get("state").map_err(database)?;
    if state == "done" {
        let answer: Option<String> = row.try_get("answer").map_err(database)?;
        return Ok(InboxClaim::Done(answer.unwrap_or_default()));
    }
    if state != "claimed" {
        // Stored for a worker, or set aside for attention: acknowledged, not to run here.
        return Ok(InboxClaim::Queued);
    }
    let until: Option<i64> = row.try_get("lease_until_ms").map_err(database)?;
    if until.is_some_and(|until| until > lease.now_ms) {
        return Ok(InboxClaim::InProgress);
    }
    sqlx::query(
        "UPDATE midas_inbox SET lease_owner = $1, lease_until_ms = $2, updated_ms = $3 WHERE event_key = $4",
    )
    .bind(&lease.owner)
    .bind(lease.until_ms)
    .bind(lease.now_ms)
    .bind(key)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(InboxClaim::First)
}

/// Marks a claimed or stored event done with its answer; `false` when it was done already.
pub(crate) async fn inbox_complete(
    conn: &mut AnyConnection,
    key: &str,
    answer: &str,
    now_ms: i64,
) -> Result<bool, JournalError> {
    let done = sqlx::query(
        "UPDATE midas_inbox SET state = 'done', answer = $1, lease_owner = NULL, lease_until_ms = NULL, \
         updated_ms = $2 WHERE event_key = $3 AND state IN ('claimed', 'stored')",
    )
    .bind(answer)
    .bind(now_ms)
    .bind(key)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(done.rows_affected() == 1)
}

/// Drops a claim, so the next push of the event runs its handler.
pub(crate) async fn inbox_abandon(conn: &mut AnyConnection, key: &str) -> Result<(), JournalError> {
    sqlx::query("DELETE FROM midas_inbox WHERE event_key = $1 AND state = 'claimed'")
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(database)?;
    Ok(())
}

/// The columns of a stored event.
const INBOX_EVENT: &str = "event_key, message, envelope, attempts, next_try_ms, last_error, created_ms";

fn inbox_event(row: &AnyRow) -> Result<InboxEvent, JournalError> {
    let key: String = row.try_get("event_key").map_err(database)?;
    let text = |name: &str| -> Result<String, JournalError> {
        let value: Option<String> = row.try_get(name).map_err(database)?;
        value.ok_or_else(|| JournalError::Corrupt {
            order_id: key.clone(),
            what: format!("inbox `{name}` missing"),
        })
    };
    Ok(InboxEvent {
        message: text("message")?,
        envelope: text("envelope")?,
        attempts: row.try_get("attempts").map_err(database)?,
        next_try_ms: row.try_get::<Option<i64>, _>("next_try_ms").map_err(database)?.unwrap_or(0),
        last_error: row.try_get("last_error").map_err(database)?,
        created_ms: row.try_get("created_ms").map_err(database)?,
        key,
    })
}

/// Stores a pushed event for a worker: new (or a lapsed claim taken over), stored already,
/// done, or held by a live claim.
pub(crate) async fn inbox_store(
    conn: &mut AnyConnection,
    dialect: Dialect,
    key: &str,
    message: &str,
    envelope: &str,
    lease: &Lease,
) -> Result<InboxStore, JournalError> {
    let inserted = sqlx::query(
        "INSERT INTO midas_inbox (event_key, state, message, envelope, attempts, next_try_ms, created_ms, updated_ms) \
         VALUES ($1, 'stored', $2, $3, 0, 0, $4, $4) ON CONFLICT (event_key) DO NOTHING",
    )
    .bind(key)
    .bind(message)
    .bind(envelope)
    .bind(lease.now_ms)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    if inserted.rows_affected() == 1 {
        return Ok(InboxStore::New);
    }
    let query = format!(
        "SELECT state, answer, lease_until_ms FROM midas_inbox WHERE event_key = $1{}",
        dialect.for_update()
    );
    let row = sqlx::query(&query).bind(key).fetch_one(&mut *conn).await.map_err(database)?;
    let state: String = row.try_get("state").map_err(database)?;
    match state.as_str() {
        "done" => {
            let answer: Option<String> = row.try_get("answer").map_err(database)?;
            return Ok(InboxStore::Done(answer.unwrap_or_default()));
        }
        "claimed" => {}
        _ => return Ok(InboxStore::Queued),
    }
    let until: Option<i64> = row.try_get("lease_until_ms").map_err(database)?;
    if until.is_some_and(|until| until > lease.now_ms) {
        return Ok(InboxStore::InProgress);
    }
    sqlx::query(
        "UPDATE midas_inbox SET state = 'stored', message = $1, envelope = $2, attempts = 0, next_try_ms = 0, \
         last_error = NULL, lease_owner = NULL, lease_until_ms = NULL, updated_ms = $3 WHERE event_key = $4",
    )
    .bind(message)
    .bind(envelope)
    .bind(lease.now_ms)
    .bind(key)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(InboxStore::New)
}

/// Leases up to `limit` stored events due at `due_ms` whose lease is free or lapsed, soonest
/// due first, counting one more attempt on each. On PostgreSQL rows another transaction has
/// locked are skipped, so concurrent workers never take the same event.
pub(crate) async fn inbox_lease_stored(
    conn: &mut AnyConnection,
    dialect: Dialect,
    due_ms: i64,
    limit: i64,
    lease: &Lease,
) -> Result<Vec<InboxEvent>, JournalError> {
    let query = format!(
        "UPDATE midas_inbox SET lease_owner = $1, lease_until_ms = $2, attempts = attempts + 1, updated_ms = $3 \
         WHERE event_key IN (SELECT event_key FROM midas_inbox \
         WHERE state = 'stored' AND next_try_ms <= $4 AND (lease_until_ms IS NULL OR lease_until_ms <= $3) \
         ORDER BY next_try_ms, created_ms LIMIT $5{}) \
         RETURNING {INBOX_EVENT}",
        dialect.skip_locked()
    );
    let rows = sqlx::query(&query)
        .bind(&lease.owner)
        .bind(lease.until_ms)
        .bind(lease.now_ms)
        .bind(due_ms)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(database)?;
    let mut events = rows.iter().map(inbox_event).collect::<Result<Vec<_>, _>>()?;
    events.sort_by(|a, b| (a.next_try_ms, a.created_ms, &a.key).cmp(&(b.next_try_ms, b.created_ms, &b.key)));
    Ok(events)
}

/// Frees a stored event's lease after a failed run, with the next try and the failure.
pub(crate) async fn inbox_retry(
    conn: &mut AnyConnection,
    key: &str,
    next_try_ms: i64,
    error: &str,
    now_ms: i64,
) -> Result<bool, JournalError> {
    let done = sqlx::query(
        "UPDATE midas_inbox SET lease_owner = NULL, lease_until_ms = NULL, next_try_ms = $1, last_error = $2, \
         updated_ms = $3 WHERE event_key = $4 AND state = 'stored'",
    )
    .bind(next_try_ms)
    .bind(error)
    .bind(now_ms)
    .bind(key)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(done.rows_affected() == 1)
}

/// Sets a stored event aside: no worker leases it until it is requeued.
pub(crate) async fn inbox_needs_attention(
    conn: &mut AnyConnection,
    key: &str,
    error: &str,
    now_ms: i64,
) -> Result<bool, JournalError> {
    let done = sqlx::query(
        "UPDATE midas_inbox SET state = 'attention', lease_owner = NULL, lease_until_ms = NULL, last_error = $1, \
         updated_ms = $2 WHERE event_key = $3 AND state = 'stored'",
    )
    .bind(error)
    .bind(now_ms)
    .bind(key)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(done.rows_affected() == 1)
}

/// Up to `limit` events set aside, oldest first.
pub(crate) async fn inbox_needing_attention(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<InboxEvent>, JournalError> {
    let query = format!(
        "SELECT {INBOX_EVENT} FROM midas_inbox WHERE state = 'attention' ORDER BY created_ms, event_key LIMIT $1"
    );
    let rows = sqlx::query(&query).bind(limit).fetch_all(&mut *conn).await.map_err(database)?;
    rows.iter().map(inbox_event).collect()
}

/// Puts an event set aside back in the queue, due at once, attempts from zero.
pub(crate) async fn inbox_requeue(
    conn: &mut AnyConnection,
    key: &str,
    now_ms: i64,
) -> Result<bool, JournalError> {
    let done = sqlx::query(
        "UPDATE midas_inbox SET state = 'stored', attempts = 0, next_try_ms = 0, updated_ms = $1 \
         WHERE event_key = $2 AND state = 'attention'",
    )
    .bind(now_ms)
    .bind(key)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(done.rows_affected() == 1)
}
