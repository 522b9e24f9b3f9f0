//! Syncing the office with a mirror that keeps its own database (a disposable intake node on
//! its own SQLite file, reachable from the office): requests and seekers' answers come in,
//! the office's replies and the other mirrors' requests go out, so that every mirror answers
//! every code. Nothing here needs a key: every row is ciphertext on both sides, and the
//! office side is an [`IntakeStore`] too.
//!
//! Retention stays consistent: a request either side lets expire (quiet since `cutoff`) is
//! not carried over, and the mirror drops the expired requests the office no longer has, so
//! a request the office deleted is never brought back. Each side is written in one
//! transaction; a sync interrupted half-way is simply run again (every insert is
//! idempotent).

use crate::StoreError;
use crate::intake::IntakeStore;
use reunite_domain::Timestamp;
use std::collections::{HashMap, HashSet};

/// What one sync moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Requests brought from the mirror to the office.
    pub requests_in: usize,
    /// Requests sent to the mirror (filed elsewhere).
    pub requests_out: usize,
    /// Messages brought in (seekers' answers).
    pub messages_in: usize,
    /// Messages sent out (the office's replies, answers given on other mirrors).
    pub messages_out: usize,
    /// Expired requests the office no longer has, dropped from the mirror.
    pub pruned: usize,
}

#[derive(Clone)]
struct Req {
    id: String,
    code_lookup: Vec<u8>,
    sealed_request: Vec<u8>,
    sealed_reply_key: Vec<u8>,
    status: String,
    created_at: i64,
    last_activity: i64,
}

#[derive(Clone)]
struct Msg {
    id: String,
    request_id: String,
    direction: String,
    body: Vec<u8>,
    created_at: i64,
}

/// A request row as the database returns it.
type ReqRow = (String, Vec<u8>, Vec<u8>, Vec<u8>, String, i64, i64);

impl IntakeStore {
    async fn sync_rows(&self) -> Result<(Vec<Req>, Vec<Msg>), StoreError> {
        let reqs: Vec<ReqRow> = sqlx::query_as(
            "SELECT id, code_lookup, sealed_request, sealed_reply_key, status, created_at, \
             last_activity FROM intake_requests ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let msgs: Vec<(String, String, String, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT id, request_id, direction, body, created_at FROM intake_messages ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok((
            reqs.into_iter()
                .map(|r| Req {
                    id: r.0,
                    code_lookup: r.1,
                    sealed_request: r.2,
                    sealed_reply_key: r.3,
                    status: r.4,
                    created_at: r.5,
                    last_activity: r.6,
                })
                .collect(),
            msgs.into_iter()
                .map(|m| Msg {
                    id: m.0,
                    request_id: m.1,
                    direction: m.2,
                    body: m.3,
                    created_at: m.4,
                })
                .collect(),
        ))
    }

    /// Writes requests and messages (skipping what exists), updates statuses and activity
    /// times, deletes `prune`, in one transaction.
    async fn sync_write(
        &self,
        reqs: &[Req],
        msgs: &[Msg],
        status: &[(String, String, i64)],
        prune: &[String],
    ) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        for id in prune {
            for q in [
                "DELETE FROM intake_messages WHERE request_id = $1",
                "DELETE FROM intake_requests WHERE id = $1",
            ] {
                sqlx::query(&self.backend.sql(q))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let q = self.backend.sql(
            "INSERT INTO intake_requests (id, code_lookup, sealed_request, sealed_reply_key, \
             status, created_at, last_activity) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT DO NOTHING",
        );
        for r in reqs {
            sqlx::query(&q)
                .bind(&r.id)
                .bind(&r.code_lookup)
                .bind(&r.sealed_request)
                .bind(&r.sealed_reply_key)
                .bind(&r.status)
                .bind(r.created_at)
                .bind(r.last_activity)
                .execute(&mut *tx)
                .await?;
        }
        let q = self.backend.sql(
            "INSERT INTO intake_messages (id, request_id, direction, body, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        );
        for m in msgs {
            sqlx::query(&q)
                .bind(&m.id)
                .bind(&m.request_id)
                .bind(&m.direction)
                .bind(&m.body)
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?;
        }
        let q = self.backend.sql(
            "UPDATE intake_requests SET status = $1, \
             last_activity = CASE WHEN last_activity < $2 THEN $2 ELSE last_activity END \
             WHERE id = $3",
        );
        for (id, st, last) in status {
            sqlx::query(&q)
                .bind(st)
                .bind(*last)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Syncs this (the office's) intake data with a mirror's own database. Requests quiet
    /// since `cutoff` are neither carried over nor kept on the mirror if the office does not
    /// have them.
    pub async fn sync_with_mirror(
        &self,
        mirror: &IntakeStore,
        cutoff: Timestamp,
    ) -> Result<SyncReport, StoreError> {
        let (o_reqs, o_msgs) = self.sync_rows().await?;
        let (m_reqs, m_msgs) = mirror.sync_rows().await?;
        let o_ids: HashSet<&str> = o_reqs.iter().map(|r| r.id.as_str()).collect();
        let m_ids: HashSet<&str> = m_reqs.iter().map(|r| r.id.as_str()).collect();
        let live = |r: &Req| r.last_activity >= cutoff.millis();

        // In: what the mirror filed that the office lacks (unless expired).
        let req_in: Vec<Req> = m_reqs
            .iter()
            .filter(|r| !o_ids.contains(r.id.as_str()) && live(r))
            .map(|r| Req {
                status: crate::intake::STATUS_NEW.to_string(),
                ..r.clone()
            })
            .collect();
        // Out: what the office has that the mirror lacks (unless expired).
        let req_out: Vec<Req> = o_reqs
            .iter()
            .filter(|r| !m_ids.contains(r.id.as_str()) && live(r))
            .cloned()
            .collect();
        // Pruned: expired on the mirror and gone from the office.
        let prune: Vec<String> = m_reqs
            .iter()
            .filter(|r| !o_ids.contains(r.id.as_str()) && !live(r))
            .map(|r| r.id.clone())
            .collect();
        let office_has: HashSet<&str> = o_ids
            .iter()
            .copied()
            .chain(req_in.iter().map(|r| r.id.as_str()))
            .collect();
        let mirror_has: HashSet<&str> = m_ids
            .iter()
            .copied()
            .filter(|id| !prune.iter().any(|p| p == id))
            .chain(req_out.iter().map(|r| r.id.as_str()))
            .collect();
        let o_msg_ids: HashSet<&str> = o_msgs.iter().map(|m| m.id.as_str()).collect();
        let m_msg_ids: HashSet<&str> = m_msgs.iter().map(|m| m.id.as_str()).collect();
        let msg_in: Vec<Msg> = m_msgs
            .iter()
            .filter(|m| !o_msg_ids.contains(m.id.as_str()))
            .filter(|m| office_has.contains(m.request_id.as_str()))
            .cloned()
            .collect();
        let msg_out: Vec<Msg> = o_msgs
            .iter()
            .filter(|m| !m_msg_ids.contains(m.id.as_str()))
            .filter(|m| mirror_has.contains(m.request_id.as_str()))
            .cloned()
            .collect();

        // Activity moves both ways (the later time wins); the office's status (opened,
        // kept) goes to the mirror so that its retention spares what the office keeps.
        let mut in_latest: HashMap<&str, i64> = HashMap::new();
        for m in &msg_in {
            let e = in_latest
                .entry(m.request_id.as_str())
                .or_insert(m.created_at);
            *e = (*e).max(m.created_at);
        }
        let o_status: Vec<(String, String, i64)> = o_reqs
            .iter()
            .filter_map(|r| {
                in_latest
                    .get(r.id.as_str())
                    .map(|t| (r.id.clone(), r.status.clone(), *t))
            })
            .collect();
        let m_status: Vec<(String, String, i64)> = o_reqs
            .iter()
            .filter(|r| m_ids.contains(r.id.as_str()))
            .map(|r| (r.id.clone(), r.status.clone(), r.last_activity))
            .collect();

        // The office first: what reaches it is safe before anything leaves the mirror.
        self.sync_write(&req_in, &msg_in, &o_status, &[]).await?;
        mirror
            .sync_write(&req_out, &msg_out, &m_status, &prune)
            .await?;
        Ok(SyncReport {
            requests_in: req_in.len(),
            requests_out: req_out.len(),
            messages_in: msg_in.len(),
            messages_out: msg_out.len(),
            pruned: prune.len(),
        })
    }
}
