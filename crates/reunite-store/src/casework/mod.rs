//! Casework of a case (issue 17): dated notes, services given to the mother, referrals of a
//! service to a partner organisation, and follow-ups and tasks.
//!
//! Kind, status, visibility, dates, amount and currency are stored in clear (the statistics
//! count them without opening anything). Every text — a note, a provider, a purpose, a
//! partner, what is typed for the partner — is sealed under the case's data key
//! (`cases.key_id`) and bound to its table, column and row.
//!
//! Reads are audited before anything is opened. Who may read is the web crate's policy;
//! the store re-checks the one rule whose breach would expose the most: a restricted note
//! opens only for its author and for the supervisors of the case's team (caseworkers),
//! never for the rest of the team, an admin or break-glass.

pub mod notes;
pub mod services;
pub(crate) mod tasks;

use crate::{CaseActor, Store, StoreError, seal};
use reunite_crypto::DataKey;
use reunite_domain::{Action, NewAuditEvent};

/// Why a casework write was refused (nothing was changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaseworkRefusal {
    /// A referral without the mother's consent to the sharing.
    #[error("a referral needs the mother's consent to what it shares")]
    NoConsent,
    /// The service cannot go to that status from where it is.
    #[error("the service cannot move to that status")]
    Transition,
    /// A restricted note, to someone who is neither its author nor a supervisor.
    #[error("the note is restricted")]
    Restricted,
    /// A field is missing or malformed.
    #[error("invalid: {0}")]
    Invalid(&'static str),
}

impl Store {
    /// The case's data key (its id and the key), `NotFound` without the case.
    pub(crate) async fn casework_key(
        &self,
        case_id: &str,
    ) -> Result<(String, DataKey), StoreError> {
        let q = self.backend.sql("SELECT key_id FROM cases WHERE id = $1");
        let (key_id,): (String,) = sqlx::query_as(&q)
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let key = self.data_key(&key_id).await?;
        Ok((key_id, key))
    }

    async fn casework_event(
        &self,
        actor: &CaseActor,
        action: Action,
        case_id: &str,
        detail: &str,
    ) -> Result<NewAuditEvent, StoreError> {
        Ok(NewAuditEvent {
            actor: self.audit_actor(actor).await?,
            action,
            subject: self.pseudonym("case", case_id).await?,
            detail: detail.into(),
        })
    }
}

fn seal_text(
    key: &DataKey,
    key_id: &str,
    table: &str,
    column: &str,
    row: &str,
    text: &str,
) -> Vec<u8> {
    reunite_crypto::seal_field(
        key,
        key_id,
        &seal::field(table, column, row),
        text.as_bytes(),
    )
}

fn open_text(
    key: &DataKey,
    table: &str,
    column: &str,
    row: &str,
    enc: &[u8],
) -> Result<String, StoreError> {
    let plain = reunite_crypto::open_field(key, &seal::field(table, column, row), enc)?;
    String::from_utf8(plain.to_vec()).map_err(|_| StoreError::Corrupt("casework text"))
}
