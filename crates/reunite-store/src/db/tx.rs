//! Helpers for write transactions.

use crate::{Backend, StoreError, WriteGuard};
use std::sync::Arc;

/// Serialises writers on SQLite (one writer at a time; PostgreSQL locks rows itself).
pub(crate) type WriteGate = Arc<tokio::sync::Mutex<()>>;

/// Starts a write transaction, queued behind other writers of this process on SQLite.
pub(crate) async fn begin_write(
    pool: &sqlx::AnyPool,
    backend: Backend,
    gate: &WriteGate,
) -> Result<(WriteGuard, Tx), StoreError> {
    let guard = match backend {
        Backend::Sqlite => Some(gate.clone().lock_owned().await),
        Backend::Postgres => None,
    };
    let tx = pool.begin().await?;
    Ok((WriteGuard { _gate: guard }, tx))
}

/// A write transaction (see `Store::begin_write`).
pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// After a compare-and-set UPDATE of one row: the transaction back if the UPDATE changed
/// exactly one row, otherwise `None` after rolling it back, and the caller reports the
/// conflict. Roll back now: a dropped transaction is rolled back later, and until then it
/// holds SQLite's write lock against the next writer.
pub(crate) async fn one_row_or_rollback(
    tx: Tx,
    rows_affected: u64,
) -> Result<Option<Tx>, StoreError> {
    if rows_affected == 1 {
        Ok(Some(tx))
    } else {
        tx.rollback().await?;
        Ok(None)
    }
}
