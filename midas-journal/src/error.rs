//! What can go wrong with a journal.

/// A journal operation that failed. Nothing of a failed operation is half-recorded: each runs
/// in a transaction.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The journal could not be opened: an unreachable server, a file that is not a database
    /// (corrupt, or some other file), a path that cannot be created.
    #[error("the journal could not be opened: {message}")]
    Open {
        /// What the database said (never the URL, which may hold a password).
        message: String,
    },
    /// The database holds a `midas_journal` table this journal did not create, or is a
    /// SQLite file of another application: refused rather than written into.
    #[error("the database is not a midas journal: {message}")]
    Foreign {
        /// What gave it away.
        message: String,
    },
    /// The journal was written by a newer version of this crate (schema version `version`
    /// is unknown here): upgrade the service before using it.
    #[error("the journal has schema version {version}, newer than this version of midas-journal knows")]
    NewerSchema {
        /// The unknown schema version found.
        version: i64,
    },
    /// The database failed an operation (gone away, locked past the busy timeout, disk
    /// full). Nothing of the operation was recorded.
    #[error("the journal's database failed: {message}")]
    Database {
        /// What the database said.
        message: String,
    },
    /// `order_id` is recorded for a different order (another API, player, amount or fields):
    /// an order id is never reused. Nothing was sent.
    #[error(
        "order id `{order_id}` is already recorded for a different order ({recorded_api} of player `{recorded_openid}`)"
    )]
    OrderIdReused {
        /// The order id.
        order_id: String,
        /// The API of the recorded order.
        recorded_api: String,
        /// The player of the recorded order.
        recorded_openid: String,
    },
    /// Another client or reconciler is driving this order now (its lease has not expired):
    /// nothing was sent; try again after the lease.
    #[error("order id `{order_id}` is being sent by another instance; try again later")]
    InProgress {
        /// The order id.
        order_id: String,
    },
    /// A row the journal cannot read (an unknown state name): `what` says which.
    #[error("journal entry `{order_id}` is unreadable: {what}")]
    Corrupt {
        /// The order id of the row.
        order_id: String,
        /// What is wrong.
        what: String,
    },
    /// A value refused before anything was stored.
    #[error("{what}")]
    Invalid {
        /// What is wrong and what is expected.
        what: String,
    },
    /// The journal's writer stopped (its runtime shut down).
    #[error("the journal is closed")]
    Closed,
}

impl JournalError {
    pub(crate) fn database(error: &sqlx::Error) -> Self {
        Self::Database { message: describe(error) }
    }

    pub(crate) fn open(error: &sqlx::Error) -> Self {
        Self::Open { message: describe(error) }
    }
}

/// The database's words, without anything a connection string could leak.
fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Configuration(_) => "the connection options are invalid".to_owned(),
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}
