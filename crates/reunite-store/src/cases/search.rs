//! The in-memory case search index of this process: refresh, warm-up and search.

use super::index::{CaseFilter, CasePage, Entry};
use super::{CaseActor, RawCase, SELECT_CASE, index, open_raw, raw_from_row};
use crate::{Store, StoreError};
use reunite_domain::{Action, Case, NewAuditEvent, Timestamp};
use std::sync::Arc;

impl Store {
    /// Brings this process's search index up to date with the database (every case on the
    /// first call, then only what changed since). Returns the number of cases indexed.
    pub async fn refresh_case_index(&self) -> Result<usize, StoreError> {
        let handle = &self.case_index;
        let _one = handle.refresh.lock().await;
        let mut since = handle.index.read().await.last_seq;
        loop {
            let q = self.backend.sql(&format!(
                "{SELECT_CASE} WHERE c.change_seq > $1 ORDER BY c.change_seq LIMIT 4000"
            ));
            let rows = sqlx::query(&q).bind(since).fetch_all(&self.pool).await?;
            if rows.is_empty() {
                break;
            }
            let raws = rows
                .iter()
                .map(raw_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            since = raws.last().map(|r| r.change_seq).unwrap_or(since);
            let keys = Arc::clone(&self.keys);
            // Decrypting and preparing names is CPU work: off the async threads, in two
            // halves so that two cores share it.
            let mid = raws.len() / 2;
            let mut raws = raws;
            let second = raws.split_off(mid);
            let k2 = Arc::clone(&keys);
            let a = tokio::task::spawn_blocking(move || prepare_all(&keys, raws));
            let b = tokio::task::spawn_blocking(move || prepare_all(&k2, second));
            let (a, b) = (a.await, b.await);
            let mut prepared = a.map_err(|_| StoreError::Corrupt("index task"))??;
            prepared.extend(b.map_err(|_| StoreError::Corrupt("index task"))??);
            let mut index = handle.index.write().await;
            for p in prepared {
                index.upsert(p);
            }
        }
        Ok(handle.index.read().await.len())
    }

    /// Cases changed after `since` (by `change_seq`), at most `limit`, opened, each with
    /// its `change_seq` (for the matcher's index, which catches up like the search index).
    pub(crate) async fn cases_changed_since(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<(Case, i64)>, StoreError> {
        let q = self.backend.sql(&format!(
            "{SELECT_CASE} WHERE c.change_seq > $1 ORDER BY c.change_seq LIMIT $2"
        ));
        let rows = sqlx::query(&q)
            .bind(since)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let raws = rows
            .iter()
            .map(raw_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let keys = Arc::clone(&self.keys);
        tokio::task::spawn_blocking(move || {
            raws.iter()
                .map(|raw| Ok((open_raw(&keys, raw)?.case, raw.change_seq)))
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .await
        .map_err(|_| StoreError::Corrupt("index task"))?
    }

    /// Starts building the search index in the background (call at server start so the
    /// first search does not wait).
    pub fn warm_case_index(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            match store.refresh_case_index().await {
                Ok(n) => tracing::info!(cases = n, "case index ready"),
                Err(e) => tracing::error!(error = %e, "case index failed"),
            }
        });
    }

    /// Searches cases by name (any script), child's name, place, status and assignment.
    /// Writes an audit event (`sensitive_read`, `case_list`) first: the result holds names.
    pub async fn search_cases(
        &self,
        filter: &CaseFilter,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<CasePage, StoreError> {
        let audit_actor = self.audit_actor(actor).await?;
        self.append_audit(
            &NewAuditEvent {
                actor: audit_actor,
                action: Action::SensitiveRead,
                subject: "cases".into(),
                detail: "case_list".into(),
            },
            now,
        )
        .await?;
        self.refresh_case_index().await?;
        let index = self.case_index.index.read().await;
        Ok(index.search(filter))
    }
}

fn prepare_all(
    keys: &crate::platform::keys::KeyCache,
    raws: Vec<RawCase>,
) -> Result<Vec<index::Prepared>, StoreError> {
    raws.iter()
        .map(|raw| {
            let s = open_raw(keys, raw)?;
            Ok(index::prepare(Entry::from_case(
                &s.case,
                s.status,
                s.assigned_to,
                s.team_id,
                s.version,
                raw.change_seq,
                s.updated_at.millis(),
            )))
        })
        .collect()
}
