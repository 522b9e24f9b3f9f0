//! Master key rotation: every data key is unwrapped with the master key it was wrapped
//! under and wrapped again under the current one, in small committed batches. Each row
//! records its master key id, so a rotation that crashes half-way resumes where it stopped:
//! the next run re-wraps exactly the rows not yet under the current key.

use crate::{Store, StoreError};
use reunite_crypto::KeyId;
use reunite_domain::{Action, NewAuditEvent, Timestamp};

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationReport {
    /// Data keys re-wrapped by this run.
    pub rewrapped: u64,
    /// Data keys in all.
    pub total: u64,
}

const BATCH: i64 = 500;

impl Store {
    /// Number of data keys not yet wrapped under the current master key.
    pub async fn keys_pending_rotation(&self) -> Result<u64, StoreError> {
        let q = self
            .backend
            .sql("SELECT COUNT(*) FROM data_keys WHERE master_key_id <> $1");
        let n: i64 = sqlx::query_scalar(&q)
            .bind(self.keys.ring.current().id().to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// Master key ids that still wrap at least one data key.
    pub async fn master_keys_in_use(&self) -> Result<Vec<KeyId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT DISTINCT master_key_id FROM data_keys")
            .fetch_all(&self.pool)
            .await?;
        ids.into_iter()
            .map(|s| s.parse().map_err(|_| StoreError::Corrupt("master key id")))
            .collect()
    }

    /// Re-wraps every data key under the current master key. `progress(done, pending)` is
    /// called after each batch.
    pub async fn rewrap_data_keys(
        &self,
        actor: &str,
        now: Timestamp,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<RotationReport, StoreError> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM data_keys")
            .fetch_one(&self.pool)
            .await?;
        let pending = self.keys_pending_rotation().await?;
        let current = self.keys.ring.current();
        let current_id = current.id().to_string();
        let mut done = 0u64;
        loop {
            let (_g, mut tx) = self.begin_write().await?;
            let q = self.backend.sql(
                "SELECT id, purpose, master_key_id, wrapped FROM data_keys \
                 WHERE master_key_id <> $1 ORDER BY id LIMIT $2",
            );
            let rows: Vec<(String, String, String, Vec<u8>)> = sqlx::query_as(&q)
                .bind(&current_id)
                .bind(BATCH)
                .fetch_all(&mut *tx)
                .await?;
            if rows.is_empty() {
                break;
            }
            for (id, purpose, mk_id, wrapped) in rows {
                let mk_id: KeyId = mk_id
                    .parse()
                    .map_err(|_| StoreError::Corrupt("master key id"))?;
                let old = self
                    .keys
                    .ring
                    .get(&mk_id)
                    .ok_or_else(|| StoreError::MissingKey(mk_id.to_string()))?;
                let key = reunite_crypto::unwrap_key(old, &id, &purpose, &wrapped)?;
                let rewrapped = reunite_crypto::wrap_key(current, &id, &purpose, &key);
                let q = self
                    .backend
                    .sql("UPDATE data_keys SET master_key_id = $1, wrapped = $2 WHERE id = $3");
                sqlx::query(&q)
                    .bind(&current_id)
                    .bind(rewrapped)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                done += 1;
            }
            tx.commit().await?;
            progress(done, pending);
        }
        self.append_audit(
            &NewAuditEvent {
                actor: actor.into(),
                action: Action::KeyRotate,
                subject: String::new(),
                detail: format!("rewrapped:{done}"),
            },
            now,
        )
        .await?;
        Ok(RotationReport {
            rewrapped: done,
            total: total as u64,
        })
    }
}
