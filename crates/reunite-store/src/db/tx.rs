//! Helpers for write transactions.

use crate::StoreError;

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
