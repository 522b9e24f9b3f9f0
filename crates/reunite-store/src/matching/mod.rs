//! The office's matcher: every tracing request is opened by the office process and matched
//! against all cases the moment it can be (a job calls [`Store::match_new_requests`]), and
//! every new or edited case is matched against the requests already filed
//! ([`Store::match_case`]). What it finds becomes a `proposed` candidate in the review
//! queue; nobody is told anything until people have verified, asked and approved.
//!
//! The index is `reunite_link::Index` over every case, in this process's memory, caught up
//! with the database through `cases.change_seq` like the search index (several office
//! processes each keep their own; the unique (request, case) pair makes their proposals
//! idempotent).

pub(crate) mod review;

use crate::{Store, StoreError};
use reunite_domain::{MatchRecord, Timestamp, TracingRequest};
use reunite_link::{Index, SearchOptions};
use serde::{Deserialize, Serialize};

/// What the public side seals for the office: the request, the seeker's language and the
/// free text note. Written by the intake node, read only here.
#[derive(Debug, Serialize, Deserialize)]
pub struct RequestPayload {
    /// Format version (1).
    pub v: u8,
    /// The seeker's language (`zh`, `ko`, `en`).
    pub lang: String,
    /// The structured request.
    pub request: TracingRequest,
    /// What the seeker wrote in their own words.
    pub note: String,
}

/// How the matcher proposes.
#[derive(Debug, Clone, Copy)]
pub struct MatchSettings {
    /// Least probability proposed to a caseworker.
    pub threshold: f64,
    /// Most candidates proposed per request.
    pub top: usize,
}

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings {
            threshold: 0.5,
            top: 5,
        }
    }
}

/// What one matcher run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchRun {
    /// Requests opened and matched.
    pub requests: usize,
    /// Candidates newly proposed.
    pub proposed: usize,
    /// Requests that could not be read (sealed for another key, damaged): marked so they
    /// are not retried forever; the office sees them in the request list.
    pub unreadable: usize,
}

#[derive(Debug)]
pub(crate) struct MatchHandle {
    index: tokio::sync::RwLock<(Index, i64)>,
    refresh: tokio::sync::Mutex<()>,
    /// The last `change_seq` whose cases were matched against the filed requests (set when
    /// the index is first built: what existed then was matched when its requests came in).
    matched_seq: tokio::sync::Mutex<Option<i64>>,
}

impl Default for MatchHandle {
    fn default() -> Self {
        MatchHandle {
            index: tokio::sync::RwLock::new((Index::new(Default::default()), 0)),
            refresh: tokio::sync::Mutex::new(()),
            matched_seq: tokio::sync::Mutex::new(None),
        }
    }
}

impl Store {
    /// Brings this process's matching index up to date with the database. Returns the
    /// number of cases indexed.
    pub async fn refresh_match_index(&self) -> Result<usize, StoreError> {
        let handle = &self.match_index;
        let _one = handle.refresh.lock().await;
        let mut since = handle.index.read().await.1;
        loop {
            let batch = self.cases_changed_since(since, 4000).await?;
            let Some(last) = batch.last().map(|c| c.1) else {
                break;
            };
            since = last;
            let mut g = handle.index.write().await;
            for (case, _) in batch {
                // A case the matcher cannot read (it failed validation on an older
                // version) is left out rather than stopping the others.
                if g.0.insert(case).is_err() {
                    tracing::warn!("a case is not matchable");
                }
            }
            g.1 = since;
        }
        let mut matched = handle.matched_seq.lock().await;
        if matched.is_none() {
            *matched = Some(since);
        }
        Ok(handle.index.read().await.0.len())
    }

    /// Opens the requests not matched yet (up to `limit`), matches each against every
    /// case and proposes what reaches the threshold.
    pub async fn match_new_requests(
        &self,
        settings: MatchSettings,
        limit: i64,
        now: Timestamp,
    ) -> Result<MatchRun, StoreError> {
        let q = self.backend.sql(
            "SELECT id, sealed_request FROM intake_requests WHERE matched_at IS NULL \
             ORDER BY created_at, id LIMIT $1",
        );
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(&q)
            .bind(limit.max(1))
            .fetch_all(&self.pool)
            .await?;
        let mut run = MatchRun::default();
        if rows.is_empty() {
            return Ok(run);
        }
        self.refresh_match_index().await?;
        let sk = self.office_secret_key().await?;
        let opts = SearchOptions {
            top: settings.top,
            threshold: settings.threshold,
            ..SearchOptions::default()
        };
        for (id, sealed) in rows {
            let found = match open_payload(&sk, &sealed) {
                Some(mut p) => {
                    p.request.id = id.clone();
                    let g = self.match_index.index.read().await;
                    g.0.search(&p.request, &opts).unwrap_or_default()
                }
                None => {
                    run.unreadable += 1;
                    Vec::new()
                }
            };
            run.proposed += self.propose_matches(&found, now).await?;
            let q = self
                .backend
                .sql("UPDATE intake_requests SET matched_at = $1 WHERE id = $2");
            sqlx::query(&q)
                .bind(now.millis())
                .bind(&id)
                .execute(&self.pool)
                .await?;
            run.requests += 1;
        }
        Ok(run)
    }

    /// Matches every case created or changed since the last run (in this process, by
    /// another process on the same database, or by `reunite import`) against every request
    /// already matched once, and proposes the pairs that reach the threshold. Returns how
    /// many are new.
    pub async fn match_changed_cases(
        &self,
        settings: MatchSettings,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        self.refresh_match_index().await?;
        let mut matched = self.match_index.matched_seq.lock().await;
        let since = matched.unwrap_or(0);
        let q = self
            .backend
            .sql("SELECT id, change_seq FROM cases WHERE change_seq > $1 ORDER BY change_seq");
        let changed: Vec<(String, i64)> =
            sqlx::query_as(&q).bind(since).fetch_all(&self.pool).await?;
        let Some(last) = changed.last().map(|c| c.1) else {
            return Ok(0);
        };
        let q = self.backend.sql(
            "SELECT id, sealed_request FROM intake_requests WHERE matched_at IS NOT NULL \
             ORDER BY created_at, id",
        );
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(&q).fetch_all(&self.pool).await?;
        let mut found: Vec<MatchRecord> = Vec::new();
        if !rows.is_empty() {
            let sk = self.office_secret_key().await?;
            let g = self.match_index.index.read().await;
            for (id, sealed) in rows {
                let Some(mut p) = open_payload(&sk, &sealed) else {
                    continue;
                };
                p.request.id = id;
                for (case_id, _) in &changed {
                    if let Some(m) = g.0.score_pair(&p.request, case_id)
                        && m.probability >= settings.threshold
                    {
                        found.push(m);
                    }
                }
            }
        }
        let n = self.propose_matches(&found, now).await?;
        *matched = Some(last);
        Ok(n)
    }
}

impl RequestPayload {
    /// Reads an opened payload (what [`Store::intake_open`] returns).
    pub fn parse(bytes: &[u8]) -> Option<RequestPayload> {
        serde_json::from_slice(bytes).ok()
    }
}

fn open_payload(sk: &reunite_crypto::OfficeSecretKey, sealed: &[u8]) -> Option<RequestPayload> {
    let bytes = reunite_crypto::open_sealed(sk, sealed).ok()?;
    RequestPayload::parse(&bytes)
}
