//! The audit chain: append-only events, each MAC-linked to the one before with a key that
//! is stored wrapped by the master key, so that someone who can write the database but does
//! not hold the master key cannot rewrite history without `reunite audit verify` noticing.
//!
//! The head of the chain (last sequence number and its hash) is kept in `settings` and
//! MAC-ed as well, so that cutting events off the end is detected too.

use crate::platform::keys::SystemKey;
use crate::{Backend, Store, StoreError};
use reunite_domain::{AuditEvent, NewAuditEvent, Timestamp};
use sqlx::Row;

const GENESIS: [u8; 32] = [0u8; 32];
const HEAD_KEY: &str = "audit.head";

/// A page of the audit trail, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// Events on this page.
    pub events: Vec<AuditEvent>,
    /// Number of events in all.
    pub total: i64,
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// Sequence number at which the problem shows.
    pub seq: i64,
    /// What is wrong.
    pub kind: &'static str,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events checked.
    pub events: i64,
    /// The first break, if any.
    pub broken: Option<ChainBreak>,
}

fn head_bytes(seq: i64, hash: &[u8]) -> Vec<u8> {
    let mut v = b"reunite/audit-head/v1".to_vec();
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(hash);
    v
}

impl Store {
    /// Appends an event in its own transaction. If this fails, the caller must refuse the
    /// action it was about to take.
    pub async fn append_audit(
        &self,
        event: &NewAuditEvent,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        self.append_audit_in(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends an event inside the caller's transaction, so the change and its audit event
    /// commit together or not at all.
    pub(crate) async fn append_audit_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        event: &NewAuditEvent,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let key = self.system_key(SystemKey::Audit).await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(72450002)")
                .execute(&mut **tx)
                .await?;
        }
        let last: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut **tx)
                .await?;
        let (seq, prev) = match last {
            Some((s, h)) => (s + 1, h),
            None => (1, GENESIS.to_vec()),
        };
        let mut ev = AuditEvent {
            seq,
            event_id: crate::new_id("ev"),
            at: now,
            actor: event.actor.clone(),
            action: event.action.as_str().to_string(),
            subject: event.subject.clone(),
            detail: event.detail.clone(),
            prev_hash: prev.clone(),
            hash: Vec::new(),
        };
        let prev_arr: [u8; 32] = prev
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("audit hash length"))?;
        ev.hash = reunite_crypto::audit_link(&key, &prev_arr, &ev.canonical_bytes()).to_vec();
        let q = self.backend.sql(
            "INSERT INTO audit_events (seq, event_id, at, actor, action, subject, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        );
        sqlx::query(&q)
            .bind(ev.seq)
            .bind(&ev.event_id)
            .bind(ev.at.millis())
            .bind(&ev.actor)
            .bind(&ev.action)
            .bind(&ev.subject)
            .bind(&ev.detail)
            .bind(&ev.prev_hash)
            .bind(&ev.hash)
            .execute(&mut **tx)
            .await?;
        let head_mac = reunite_crypto::audit_link(&key, &GENESIS, &head_bytes(seq, &ev.hash));
        let head = format!(
            "{}:{}:{}",
            seq,
            hex::encode(&ev.hash),
            hex::encode(head_mac)
        );
        let q = self.backend.sql(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        );
        sqlx::query(&q)
            .bind(HEAD_KEY)
            .bind(head)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// A page of events, newest first.
    pub async fn audit_page(&self, offset: i64, limit: i64) -> Result<AuditPage, StoreError> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
            .fetch_one(&self.pool)
            .await?;
        let q = self.backend.sql(&format!(
            "{SELECT_EVENT} ORDER BY seq DESC LIMIT $1 OFFSET $2"
        ));
        let rows = sqlx::query(&q)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let events = rows.iter().map(event_from_row).collect::<Result<_, _>>()?;
        Ok(AuditPage { events, total })
    }

    /// Checks the whole chain: sequence without gaps, each link pointing at the event before,
    /// each MAC correct, and the stored head matching the last event.
    pub async fn verify_audit(
        &self,
        progress: &mut (dyn FnMut(i64, i64) + Send),
    ) -> Result<VerifyReport, StoreError> {
        let key = self.system_key(SystemKey::Audit).await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
            .fetch_one(&self.pool)
            .await?;
        let mut expected_seq = 1i64;
        let mut prev = GENESIS.to_vec();
        let mut checked = 0i64;
        let batch = 5_000i64;
        loop {
            let q = self.backend.sql(&format!(
                "{SELECT_EVENT} WHERE seq >= $1 ORDER BY seq LIMIT $2"
            ));
            let rows = sqlx::query(&q)
                .bind(expected_seq)
                .bind(batch)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let ev = event_from_row(r)?;
                let broken = |kind| {
                    Ok(VerifyReport {
                        events: checked,
                        broken: Some(ChainBreak { seq: ev.seq, kind }),
                    })
                };
                if ev.seq != expected_seq {
                    return broken("missing event (gap in sequence)");
                }
                if ev.prev_hash != prev {
                    return broken("link to the previous event does not match");
                }
                let prev_arr: [u8; 32] = match prev.as_slice().try_into() {
                    Ok(a) => a,
                    Err(_) => return broken("malformed hash"),
                };
                let want = reunite_crypto::audit_link(&key, &prev_arr, &ev.canonical_bytes());
                if !reunite_crypto::ct_eq(&want, &ev.hash) {
                    return broken("event content does not match its hash");
                }
                prev = ev.hash.clone();
                expected_seq += 1;
                checked += 1;
            }
            progress(checked, total);
        }
        let last_seq = expected_seq - 1;
        match self.setting(HEAD_KEY).await? {
            None if last_seq == 0 => {}
            None => {
                return Ok(VerifyReport {
                    events: checked,
                    broken: Some(ChainBreak {
                        seq: last_seq,
                        kind: "chain head record is missing",
                    }),
                });
            }
            Some(h) => {
                let ok = check_head(&key, &h, last_seq, &prev);
                if !ok {
                    return Ok(VerifyReport {
                        events: checked,
                        broken: Some(ChainBreak {
                            seq: last_seq,
                            kind: "events after this one were removed (chain head differs)",
                        }),
                    });
                }
            }
        }
        Ok(VerifyReport {
            events: checked,
            broken: None,
        })
    }
}

fn check_head(
    key: &reunite_crypto::DataKey,
    stored: &str,
    last_seq: i64,
    last_hash: &[u8],
) -> bool {
    let mut parts = stored.split(':');
    let (Some(seq), Some(hash), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(seq), Ok(hash), Ok(mac)) = (seq.parse::<i64>(), hex::decode(hash), hex::decode(mac))
    else {
        return false;
    };
    let want = reunite_crypto::audit_link(key, &GENESIS, &head_bytes(seq, &hash));
    seq == last_seq && hash == last_hash && reunite_crypto::ct_eq(&want, &mac)
}

const SELECT_EVENT: &str =
    "SELECT seq, event_id, at, actor, action, subject, detail, prev_hash, hash FROM audit_events";

fn event_from_row(r: &sqlx::any::AnyRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq: r.try_get("seq")?,
        event_id: r.try_get("event_id")?,
        at: Timestamp(r.try_get("at")?),
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}
