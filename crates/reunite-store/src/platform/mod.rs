//! What every feature stands on: system and data keys, the audit chain, key rotation,
//! dumps, sessions and user accounts.

pub(crate) mod audit;
pub(crate) mod dump;
pub(crate) mod keys;
pub(crate) mod rotate;
pub(crate) mod sessions;
pub(crate) mod users;
