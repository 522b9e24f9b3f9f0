//! Reading cases: metadata, the opened record, history and export.

use super::{
    CaseActor, CaseMeta, CaseVersion, Change, SELECT_CASE, StoredCase, VERSIONS, open_raw,
    parse_status, raw_from_row, version_row,
};
use crate::{Store, StoreError, seal};
use reunite_domain::{Action, NewAuditEvent, Timestamp, UserId};
use sqlx::Row;

impl Store {
    /// Every case id (not personal data), for checking an import against the database.
    pub async fn case_ids(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM cases")
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().collect())
    }

    /// Number of cases.
    pub async fn count_cases(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Status, assignment and version of a case, without reading (or auditing) the record:
    /// enough to decide whether someone may read it.
    pub async fn case_meta(&self, id: &str) -> Result<Option<CaseMeta>, StoreError> {
        let q = self
            .backend
            .sql("SELECT id, status, assigned_to, team_id, version FROM cases WHERE id = $1");
        type MetaRow = (String, String, Option<String>, Option<String>, i64);
        let row: Option<MetaRow> = sqlx::query_as(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(id, status, assigned_to, team_id, version)| {
            Ok(CaseMeta {
                id,
                status: parse_status(&status)?,
                assigned_to: assigned_to.map(UserId),
                team_id,
                version,
            })
        })
        .transpose()
    }

    async fn fetch_case(&self, id: &str) -> Result<StoredCase, StoreError> {
        let q = self.backend.sql(&format!("{SELECT_CASE} WHERE c.id = $1"));
        let row = sqlx::query(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        open_raw(&self.keys, &raw_from_row(&row)?)
    }

    /// Reads a case. The audit event (`sensitive_read`, `detail`) is written first; if it
    /// cannot be written nothing is read.
    pub async fn read_case(
        &self,
        id: &str,
        actor: &CaseActor,
        detail: &str,
        now: Timestamp,
    ) -> Result<StoredCase, StoreError> {
        if self.case_meta(id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let audit_actor = self.audit_actor(actor).await?;
        let subject = self.pseudonym("case", id).await?;
        self.append_audit(
            &NewAuditEvent {
                actor: audit_actor,
                action: Action::SensitiveRead,
                subject,
                detail: detail.into(),
            },
            now,
        )
        .await?;
        self.fetch_case(id).await
    }

    /// A case's history, newest first. Audited like a read (it holds earlier versions).
    pub async fn case_history(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Vec<CaseVersion>, StoreError> {
        let meta_q = self.backend.sql("SELECT key_id FROM cases WHERE id = $1");
        let key_id: String = sqlx::query_scalar(&meta_q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let audit_actor = self.audit_actor(actor).await?;
        let subject = self.pseudonym("case", id).await?;
        self.append_audit(
            &NewAuditEvent {
                actor: audit_actor,
                action: Action::SensitiveRead,
                subject,
                detail: "case_history".into(),
            },
            now,
        )
        .await?;
        let key = self.data_key(&key_id).await?;
        let q = self.backend.sql(
            "SELECT version, at, actor, change_enc FROM case_versions WHERE case_id = $1 \
             ORDER BY version DESC",
        );
        let rows: Vec<(i64, i64, String, Vec<u8>)> =
            sqlx::query_as(&q).bind(id).fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(version, at, actor, enc)| {
                let row = version_row(id, version);
                let plain = reunite_crypto::open_field(
                    &key,
                    &seal::field(VERSIONS, "change_enc", &row),
                    &enc,
                )?;
                let ch: Change = serde_json::from_slice(&plain)
                    .map_err(|_| StoreError::Corrupt("case change"))?;
                Ok(CaseVersion {
                    version,
                    at: Timestamp(at),
                    actor,
                    kind: ch.kind,
                    fields: ch.fields,
                    previous: ch.previous,
                })
            })
            .collect()
    }

    /// Writes every case, oldest id first, to `sink` (for export). One audit event
    /// (`export`) is written before anything is read; returns the number written.
    pub async fn export_cases(
        &self,
        actor: &CaseActor,
        now: Timestamp,
        sink: &mut (dyn FnMut(StoredCase) -> Result<(), StoreError> + Send),
    ) -> Result<u64, StoreError> {
        let total = self.count_cases().await?;
        let audit_actor = self.audit_actor(actor).await?;
        self.append_audit(
            &NewAuditEvent {
                actor: audit_actor,
                action: Action::Export,
                subject: "cases".into(),
                detail: format!("count:{total}"),
            },
            now,
        )
        .await?;
        let mut after = String::new();
        let mut n = 0u64;
        loop {
            let q = self.backend.sql(&format!(
                "{SELECT_CASE} WHERE c.id > $1 ORDER BY c.id LIMIT 2000"
            ));
            let rows = sqlx::query(&q).bind(&after).fetch_all(&self.pool).await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            for r in &rows {
                sink(open_raw(&self.keys, &raw_from_row(r)?)?)?;
                n += 1;
            }
        }
        Ok(n)
    }
}
