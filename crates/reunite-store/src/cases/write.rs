//! Writing cases: creating, importing, editing and assigning, each with its version row
//! and audit event.

use super::{
    CaseActor, Change, ChangeKind, SELECT_CASE, TABLE, VERSIONS, changed_fields, open_raw,
    raw_from_row, version_row,
};
use crate::db::tx::one_row_or_rollback;
use crate::{Store, StoreError, seal};
use reunite_crypto::DataKey;
use reunite_domain::{Action, Case, CaseStatus, NewAuditEvent, Timestamp, UserId};

impl Store {
    /// The next change sequence number. Call only after `append_audit_in` in the same
    /// transaction: on PostgreSQL that holds the chain's advisory lock until commit, so the
    /// numbers are handed out in commit order (SQLite has one writer anyway).
    pub(crate) async fn next_change_seq(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ) -> Result<i64, StoreError> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(change_seq) FROM cases")
            .fetch_one(&mut **tx)
            .await?;
        Ok(n.unwrap_or(0) + 1)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_case_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        case: &Case,
        status: CaseStatus,
        assigned_to: Option<&UserId>,
        kind: ChangeKind,
        actor: &CaseActor,
        seq: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (key_id, key) = self.new_data_key(tx, "cases", now).await?;
        let record = serde_json::to_vec(case).map_err(|_| StoreError::Corrupt("case record"))?;
        let enc = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field(TABLE, "record_enc", &case.id),
            &record,
        );
        let q = self.backend.sql(
            "INSERT INTO cases (id, key_id, record_enc, status, assigned_to, version, change_seq, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)",
        );
        sqlx::query(&q)
            .bind(&case.id)
            .bind(&key_id)
            .bind(enc)
            .bind(status.as_str())
            .bind(assigned_to.map(|u| u.0.clone()))
            .bind(seq)
            .bind(now.millis())
            .execute(&mut **tx)
            .await?;
        self.insert_version_in(
            tx,
            &case.id,
            1,
            &key_id,
            &key,
            &Change {
                kind,
                fields: Vec::new(),
                previous: None,
            },
            actor,
            now,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_version_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: &str,
        version: i64,
        key_id: &str,
        key: &DataKey,
        change: &Change,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_vec(change).map_err(|_| StoreError::Corrupt("case change"))?;
        let row = version_row(id, version);
        let enc = reunite_crypto::seal_field(
            key,
            key_id,
            &seal::field(VERSIONS, "change_enc", &row),
            &body,
        );
        let q = self.backend.sql(
            "INSERT INTO case_versions (case_id, version, at, actor, change_enc) \
             VALUES ($1, $2, $3, $4, $5)",
        );
        sqlx::query(&q)
            .bind(id)
            .bind(version)
            .bind(now.millis())
            .bind(actor.column())
            .bind(enc)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Registers a new case. `Conflict` if the id is taken. The record must be valid
    /// (`Case::validate`); the store does not judge content.
    pub async fn create_case(
        &self,
        case: &Case,
        status: CaseStatus,
        assigned_to: Option<&UserId>,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let audit_actor = self.audit_actor(actor).await?;
        let subject = self.pseudonym("case", &case.id).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let exists: i64 =
            sqlx::query_scalar(&self.backend.sql("SELECT COUNT(*) FROM cases WHERE id = $1"))
                .bind(&case.id)
                .fetch_one(&mut *tx)
                .await?;
        if exists > 0 {
            return Err(StoreError::Conflict("case id taken"));
        }
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: audit_actor,
                action: Action::RecordCreate,
                subject,
                detail: "case".into(),
            },
            now,
        )
        .await?;
        let seq = self.next_change_seq(&mut tx).await?;
        self.insert_case_in(
            &mut tx,
            case,
            status,
            assigned_to,
            ChangeKind::Create,
            actor,
            seq,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Imports many cases in one transaction: all of them or none. `Conflict` if any id is
    /// taken. One audit event for the whole import. `progress` gets the cases written.
    pub async fn import_cases(
        &self,
        cases: &[Case],
        actor: &CaseActor,
        now: Timestamp,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64, StoreError> {
        let audit_actor = self.audit_actor(actor).await?;
        let taken = self.case_ids().await?;
        if cases.iter().any(|c| taken.contains(&c.id)) {
            return Err(StoreError::Conflict("case id taken"));
        }
        let (_g, mut tx) = self.begin_write().await?;
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: audit_actor,
                action: Action::Import,
                subject: "cases".into(),
                detail: format!("count:{}", cases.len()),
            },
            now,
        )
        .await?;
        let mut seq = self.next_change_seq(&mut tx).await?;
        let mut n = 0u64;
        for case in cases {
            self.insert_case_in(
                &mut tx,
                case,
                CaseStatus::Open,
                None,
                ChangeKind::Import,
                actor,
                seq,
                now,
            )
            .await?;
            seq += 1;
            n += 1;
            if n.is_multiple_of(500) {
                progress(n);
            }
        }
        tx.commit().await?;
        progress(n);
        Ok(n)
    }

    /// Saves a new version of a case. `expected_version` is the version the editor started
    /// from: if someone saved in between, `Conflict` and nothing changes. Returns the new
    /// version (the same one if nothing changed).
    pub async fn update_case(
        &self,
        case: &Case,
        status: CaseStatus,
        expected_version: i64,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let audit_actor = self.audit_actor(actor).await?;
        let subject = self.pseudonym("case", &case.id).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(&format!("{SELECT_CASE} WHERE c.id = $1"));
        let row = sqlx::query(&q)
            .bind(&case.id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let raw = raw_from_row(&row)?;
        if raw.version != expected_version {
            return Err(StoreError::Conflict("case changed since it was opened"));
        }
        let before = open_raw(&self.keys, &raw)?;
        let mut fields = changed_fields(&before.case, case);
        if before.status != status {
            fields.insert(0, "status".into());
        }
        if fields.is_empty() {
            return Ok(raw.version);
        }
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: audit_actor,
                action: Action::RecordChange,
                subject,
                detail: "case".into(),
            },
            now,
        )
        .await?;
        let seq = self.next_change_seq(&mut tx).await?;
        let key = self.data_key(&raw.key_id).await?;
        let record = serde_json::to_vec(case).map_err(|_| StoreError::Corrupt("case record"))?;
        let enc = reunite_crypto::seal_field(
            &key,
            &raw.key_id,
            &seal::field(TABLE, "record_enc", &case.id),
            &record,
        );
        let version = raw.version + 1;
        let q = self.backend.sql(
            "UPDATE cases SET record_enc = $1, status = $2, version = $3, change_seq = $4, \
             updated_at = $5 WHERE id = $6 AND version = $7",
        );
        let done = sqlx::query(&q)
            .bind(enc)
            .bind(status.as_str())
            .bind(version)
            .bind(seq)
            .bind(now.millis())
            .bind(&case.id)
            .bind(raw.version)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(StoreError::Conflict("case changed since it was opened"));
        };
        self.insert_version_in(
            &mut tx,
            &case.id,
            version,
            &raw.key_id,
            &key,
            &Change {
                kind: ChangeKind::Edit,
                fields,
                previous: Some(before.case),
            },
            actor,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Assigns a case to a caseworker (or to nobody).
    pub async fn assign_case(
        &self,
        id: &str,
        to: Option<&UserId>,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let audit_actor = self.audit_actor(actor).await?;
        let subject = self.pseudonym("case", id).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("SELECT key_id, version, assigned_to FROM cases WHERE id = $1");
        let (key_id, version, current): (String, i64, Option<String>) = sqlx::query_as(&q)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.as_deref() == to.map(|u| u.0.as_str()) {
            return Ok(());
        }
        if let Some(u) = to {
            let n: i64 =
                sqlx::query_scalar(&self.backend.sql("SELECT COUNT(*) FROM users WHERE id = $1"))
                    .bind(&u.0)
                    .fetch_one(&mut *tx)
                    .await?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: audit_actor,
                action: Action::RecordChange,
                subject,
                detail: "assignment".into(),
            },
            now,
        )
        .await?;
        let seq = self.next_change_seq(&mut tx).await?;
        let q = self.backend.sql(
            "UPDATE cases SET assigned_to = $1, version = $2, change_seq = $3, updated_at = $4 \
             WHERE id = $5",
        );
        sqlx::query(&q)
            .bind(to.map(|u| u.0.clone()))
            .bind(version + 1)
            .bind(seq)
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let key = self.data_key(&key_id).await?;
        self.insert_version_in(
            &mut tx,
            id,
            version + 1,
            &key_id,
            &key,
            &Change {
                kind: ChangeKind::Assign,
                fields: vec!["assigned_to".into()],
                previous: None,
            },
            actor,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
