//! The statements of the purchases table, one function per operation, over one connection
//! inside a transaction the caller opened. Every value is bound, never spliced into the text.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::JournalError;
use crate::purchase::{DeliveryClaim, PurchaseEntry, PurchaseIntent, PurchaseState};
use crate::sql::{Dialect, Lease};

const COLUMNS: &str = "env, out_trade_no, openid, zone_id, launch_api, kind, product_id, quantity, total_fee, \
                       attach, sign_data, fingerprint, state, delivered_by, wx_order_id, reason, created_ms, updated_ms, \
                       notify_pending";

fn database(error: sqlx::Error) -> JournalError {
    JournalError::database(&error)
}

fn entry(row: &AnyRow) -> Result<(PurchaseEntry, String), JournalError> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(database);
    let out_trade_no = text("out_trade_no")?;
    let state_name = text("state")?;
    let state = PurchaseState::parse(&state_name).ok_or_else(|| JournalError::Corrupt {
        order_id: out_trade_no.clone(),
        what: format!("purchase state `{state_name}`"),
    })?;
    let entry = PurchaseEntry {
        intent: PurchaseIntent {
            env: text("env")?,
            out_trade_no,
            openid: text("openid")?,
            zone_id: text("zone_id")?,
            launch_api: text("launch_api")?,
            kind: text("kind")?,
            product_id: row.try_get("product_id").map_err(database)?,
            quantity: row.try_get("quantity").map_err(database)?,
            total_fee: row.try_get("total_fee").map_err(database)?,
            attach: text("attach")?,
            sign_data: text("sign_data")?,
        },
        state,
        delivered_by: row.try_get("delivered_by").map_err(database)?,
        wx_order_id: row.try_get("wx_order_id").map_err(database)?,
        reason: row.try_get("reason").map_err(database)?,
        created_ms: row.try_get("created_ms").map_err(database)?,
        updated_ms: row.try_get("updated_ms").map_err(database)?,
        notify_pending: row.try_get::<i64, _>("notify_pending").map_err(database)? != 0,
    };
    Ok((entry, text("fingerprint")?))
}

/// Records a launched purchase as awaiting payment, or finds the same purchase recorded
/// before; another purchase under the `out_trade_no` is refused.
pub(crate) async fn await_payment(
    conn: &mut AnyConnection,
    dialect: Dialect,
    intent: &PurchaseIntent,
    fingerprint: &str,
    now_ms: i64,
) -> Result<PurchaseEntry, JournalError> {
    sqlx::query(
        "INSERT INTO midas_purchase (env, out_trade_no, openid, zone_id, launch_api, kind, product_id, quantity, \
         total_fee, attach, sign_data, fingerprint, state, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'awaiting_payment', $13, $13) \
         ON CONFLICT (env, out_trade_no) DO NOTHING",
    )
    .bind(&intent.env)
    .bind(&intent.out_trade_no)
    .bind(&intent.openid)
    .bind(&intent.zone_id)
    .bind(&intent.launch_api)
    .bind(&intent.kind)
    .bind(intent.product_id.as_deref())
    .bind(intent.quantity)
    .bind(intent.total_fee)
    .bind(&intent.attach)
    .bind(&intent.sign_data)
    .bind(fingerprint)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    let (found, recorded) = get(conn, dialect, &intent.env, &intent.out_trade_no)
        .await?
        .ok_or_else(|| JournalError::Database { message: "a recorded purchase vanished".to_owned() })?;
    if recorded != fingerprint {
        return Err(JournalError::OrderIdReused {
            order_id: intent.out_trade_no.clone(),
            recorded_api: found.intent.launch_api,
            recorded_openid: found.intent.openid,
        });
    }
    Ok(found)
}

/// One purchase and its fingerprint.
pub(crate) async fn get(
    conn: &mut AnyConnection,
    dialect: Dialect,
    env: &str,
    out_trade_no: &str,
) -> Result<Option<(PurchaseEntry, String)>, JournalError> {
    let query = format!(
        "SELECT {COLUMNS}, lease_owner, lease_until_ms FROM midas_purchase WHERE env = $1 AND out_trade_no = $2{}",
        match dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    );
    let row = sqlx::query(&query)
        .bind(env)
        .bind(out_trade_no)
        .fetch_optional(&mut *conn)
        .await
        .map_err(database)?;
    row.as_ref().map(entry).transpose()
}

/// Claims the delivery of a purchase: leased to `lease.owner` when it awaits payment and no
/// live lease holds it.
pub(crate) async fn claim_delivery(
    conn: &mut AnyConnection,
    dialect: Dialect,
    env: &str,
    out_trade_no: &str,
    lease: &Lease,
) -> Result<DeliveryClaim, JournalError> {
    let query = format!(
        "SELECT {COLUMNS}, lease_owner, lease_until_ms FROM midas_purchase WHERE env = $1 AND out_trade_no = $2{}",
        match dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    );
    let Some(row) = sqlx::query(&query)
        .bind(env)
        .bind(out_trade_no)
        .fetch_optional(&mut *conn)
        .await
        .map_err(database)?
    else {
        return Ok(DeliveryClaim::Unknown);
    };
    let (found, _) = entry(&row)?;
    match found.state {
        PurchaseState::Delivered => return Ok(DeliveryClaim::Delivered(Box::new(found))),
        PurchaseState::Closed => return Ok(DeliveryClaim::Closed(Box::new(found))),
        PurchaseState::AwaitingPayment => {}
    }
    let until: Option<i64> = row.try_get("lease_until_ms").map_err(database)?;
    if until.is_some_and(|until| until > lease.now_ms) {
        return Ok(DeliveryClaim::InProgress);
    }
    sqlx::query(
        "UPDATE midas_purchase SET lease_owner = $1, lease_until_ms = $2 WHERE env = $3 AND out_trade_no = $4",
    )
    .bind(&lease.owner)
    .bind(lease.until_ms)
    .bind(env)
    .bind(out_trade_no)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(DeliveryClaim::First(Box::new(found)))
}

/// What [`decide`] records.
pub(crate) struct Decision<'a> {
    /// Delivered or closed.
    pub(crate) state: PurchaseState,
    /// Who delivered it, or why it was closed.
    pub(crate) note: Option<&'a str>,
    /// WeChat's order id, when known.
    pub(crate) wx_order_id: Option<&'a str>,
    /// A delivery WeChat still has to be told of.
    pub(crate) notify: bool,
}

/// Moves an awaiting purchase to `state` (delivered or closed) and frees its lease; `false`
/// when it was not awaiting any more.
pub(crate) async fn decide(
    conn: &mut AnyConnection,
    env: &str,
    out_trade_no: &str,
    decision: Decision<'_>,
    now_ms: i64,
) -> Result<bool, JournalError> {
    let Decision { state, note, wx_order_id, notify } = decision;
    let (delivered_by, reason) = match state {
        PurchaseState::Delivered => (note, None),
        _ => (None, note),
    };
    let done = sqlx::query(
        "UPDATE midas_purchase SET state = $1, delivered_by = $2, reason = $3, \
         wx_order_id = COALESCE($4, wx_order_id), updated_ms = $5, lease_owner = NULL, lease_until_ms = NULL, \
         notify_pending = $6 WHERE env = $7 AND out_trade_no = $8 AND state = 'awaiting_payment'",
    )
    .bind(state.as_str())
    .bind(delivered_by)
    .bind(reason)
    .bind(wx_order_id)
    .bind(now_ms)
    .bind(i64::from(notify && state == PurchaseState::Delivered))
    .bind(env)
    .bind(out_trade_no)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(done.rows_affected() == 1)
}

/// Frees a lease `owner` holds on a purchase, deciding nothing.
pub(crate) async fn release(
    conn: &mut AnyConnection,
    env: &str,
    out_trade_no: &str,
    owner: &str,
) -> Result<(), JournalError> {
    sqlx::query(
        "UPDATE midas_purchase SET lease_owner = NULL, lease_until_ms = NULL \
         WHERE env = $1 AND out_trade_no = $2 AND lease_owner = $3",
    )
    .bind(env)
    .bind(out_trade_no)
    .bind(owner)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(())
}

/// Ends a pending notify of a delivered purchase and frees its lease; `false` when none was
/// pending.
pub(crate) async fn notified(
    conn: &mut AnyConnection,
    env: &str,
    out_trade_no: &str,
    now_ms: i64,
) -> Result<bool, JournalError> {
    let done = sqlx::query(
        "UPDATE midas_purchase SET notify_pending = 0, updated_ms = $1, lease_owner = NULL, lease_until_ms = NULL \
         WHERE env = $2 AND out_trade_no = $3 AND state = 'delivered' AND notify_pending = 1",
    )
    .bind(now_ms)
    .bind(env)
    .bind(out_trade_no)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    Ok(done.rows_affected() == 1)
}

/// Which purchases [`lease`] takes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Leased {
    /// Awaiting payment: what the reconciler looks up.
    Awaiting,
    /// Delivered with `notify_provide_goods` still pending.
    ToNotify,
}

/// Leases up to `limit` purchases of `which` kind, unchanged since `older_than_ms` and not
/// leased to a live holder, oldest first.
pub(crate) async fn lease(
    conn: &mut AnyConnection,
    dialect: Dialect,
    which: Leased,
    older_than_ms: i64,
    limit: i64,
    lease: &Lease,
) -> Result<Vec<PurchaseEntry>, JournalError> {
    let kind = match which {
        Leased::Awaiting => "state = 'awaiting_payment'",
        Leased::ToNotify => "state = 'delivered' AND notify_pending = 1",
    };
    let query = format!(
        "UPDATE midas_purchase SET lease_owner = $1, lease_until_ms = $2 \
         WHERE (env, out_trade_no) IN (SELECT env, out_trade_no FROM midas_purchase \
         WHERE {kind} AND updated_ms <= $3 AND (lease_until_ms IS NULL OR lease_until_ms <= $4) \
         ORDER BY created_ms LIMIT $5{}) \
         RETURNING {COLUMNS}",
        match dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    );
    let rows = sqlx::query(&query)
        .bind(&lease.owner)
        .bind(lease.until_ms)
        .bind(older_than_ms)
        .bind(lease.now_ms)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(database)?;
    rows.iter().map(|row| entry(row).map(|(entry, _)| entry)).collect()
}

/// Every purchase, or those in `state`, oldest first.
pub(crate) async fn list(
    conn: &mut AnyConnection,
    state: Option<PurchaseState>,
) -> Result<Vec<PurchaseEntry>, JournalError> {
    let rows = match state {
        Some(state) => {
            let query = format!(
                "SELECT {COLUMNS} FROM midas_purchase WHERE state = $1 ORDER BY created_ms, out_trade_no"
            );
            sqlx::query(&query).bind(state.as_str()).fetch_all(&mut *conn).await
        }
        None => {
            let query = format!("SELECT {COLUMNS} FROM midas_purchase ORDER BY created_ms, out_trade_no");
            sqlx::query(&query).fetch_all(&mut *conn).await
        }
    }
    .map_err(database)?;
    rows.iter().map(|row| entry(row).map(|(entry, _)| entry)).collect()
}
