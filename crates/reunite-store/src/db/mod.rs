//! The database: connecting to each backend and the migrations.

pub(crate) mod migrate;
pub mod postgres;
pub mod sqlite;
pub(crate) mod tx;
