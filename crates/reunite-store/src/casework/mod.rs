//! Casework around a case: follow-ups and tasks.

pub(crate) mod tasks;
