//! Where an encrypted field is bound. Every envelope the store writes is bound to its
//! table, column and row (and, inside `reunite_crypto`, to the id of the key that sealed
//! it), so a ciphertext copied to another row, column or table fails to open. This module
//! is the one place that spells that binding.

use reunite_crypto::FieldContext;

/// The binding of one field: `table`, `column` and the row's stable id (never a reusable
/// row number).
pub(crate) fn field<'a>(table: &'a str, column: &'a str, row: &'a str) -> FieldContext<'a> {
    FieldContext {
        table,
        column,
        row_id: row,
    }
}
