//! Cases: a mother's separation case, sealed as one envelope under its own data key, with a
//! sealed history of every version and an audit event for every change and every read.
//!
//! Reads that reveal anything about a case (a view, a history, a list of names) write their
//! audit event first, in its own committed transaction, and return nothing if that fails.
//! Changes commit together with their audit event.

pub(crate) mod index;

use crate::db::tx::one_row_or_rollback;
use crate::{Store, StoreError, seal};
use index::{CaseFilter, CaseIndex, CasePage, Entry};
use reunite_crypto::{DataKey, KeyId};
use reunite_domain::{Action, Case, CaseStatus, NewAuditEvent, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use std::sync::Arc;

const TABLE: &str = "cases";
const VERSIONS: &str = "case_versions";

/// Who changes or reads a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseActor {
    /// A signed-in staff member.
    Staff(UserId),
    /// The command line (import, export).
    Cli,
    /// The demo loader.
    Demo,
    /// A mother in her own member account (her own case only; the web tier checks).
    Member(UserId),
}

impl CaseActor {
    /// What the history table records: the account id, or `cli` / `demo`.
    fn column(&self) -> &str {
        match self {
            CaseActor::Staff(u) => &u.0,
            CaseActor::Cli => "cli",
            CaseActor::Demo => "demo",
            CaseActor::Member(u) => &u.0,
        }
    }
}

/// A case as stored, with what the office keeps beside the record.
#[derive(Debug, Clone)]
pub struct StoredCase {
    /// The record (personal data; `Debug` of its names and places is redacted).
    pub case: Case,
    /// Status.
    pub status: CaseStatus,
    /// Assigned caseworker.
    pub assigned_to: Option<UserId>,
    /// Version, from 1; every change adds one.
    pub version: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// What may be known about a case without reading it: enough to decide who may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMeta {
    /// Interchange id.
    pub id: String,
    /// Status.
    pub status: CaseStatus,
    /// Assigned caseworker.
    pub assigned_to: Option<UserId>,
    /// Version.
    pub version: i64,
}

/// What kind of change a version was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Registered in the office.
    Create,
    /// Imported from a file.
    Import,
    /// Edited.
    Edit,
    /// Assigned to a caseworker (or unassigned).
    Assign,
}

/// One entry of a case's history.
#[derive(Debug, Clone)]
pub struct CaseVersion {
    /// The version this change produced.
    pub version: i64,
    /// When.
    pub at: Timestamp,
    /// Who: an account id, `cli` or `demo`.
    pub actor: String,
    /// What kind of change.
    pub kind: ChangeKind,
    /// The fields that changed (`mother.names[1].text`, `status`, `assigned_to` …).
    pub fields: Vec<String>,
    /// The record before the change (none for the first version).
    pub previous: Option<Case>,
}

/// The sealed part of a history row.
#[derive(Serialize, Deserialize)]
struct Change {
    kind: ChangeKind,
    fields: Vec<String>,
    #[serde(default)]
    previous: Option<Case>,
}

fn version_row(id: &str, version: i64) -> String {
    format!("{id}#{version}")
}

fn parse_status(s: &str) -> Result<CaseStatus, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt("case status"))
}

/// Every leaf of a JSON value as (path, value), paths like `children[0].names[1].text`.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        Value::Array(a) => {
            if a.is_empty() {
                out.push((prefix.to_string(), Value::Array(vec![])));
            }
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        Value::Null => {}
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// The field paths that differ between two versions of a case.
pub fn changed_fields(before: &Case, after: &Case) -> Vec<String> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flatten(
        "",
        &serde_json::to_value(before).unwrap_or(Value::Null),
        &mut a,
    );
    flatten(
        "",
        &serde_json::to_value(after).unwrap_or(Value::Null),
        &mut b,
    );
    let a: std::collections::BTreeMap<_, _> = a.into_iter().collect();
    let b: std::collections::BTreeMap<_, _> = b.into_iter().collect();
    let mut out: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(b.keys().filter(|k| !a.contains_key(*k)).cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The shared in-memory index and the lock that serialises catching up with the database.
#[derive(Debug, Default)]
pub(crate) struct IndexHandle {
    index: tokio::sync::RwLock<CaseIndex>,
    refresh: tokio::sync::Mutex<()>,
}

const SELECT_CASE: &str = "SELECT c.id, c.key_id, c.record_enc, c.status, c.assigned_to, \
     c.version, c.change_seq, c.created_at, c.updated_at, \
     d.purpose, d.master_key_id, d.wrapped FROM cases c JOIN data_keys d ON d.id = c.key_id";

struct RawCase {
    id: String,
    key_id: String,
    record_enc: Vec<u8>,
    status: String,
    assigned_to: Option<String>,
    version: i64,
    change_seq: i64,
    created_at: i64,
    updated_at: i64,
    purpose: String,
    master_key_id: String,
    wrapped: Vec<u8>,
}

fn raw_from_row(r: &sqlx::any::AnyRow) -> Result<RawCase, StoreError> {
    Ok(RawCase {
        id: r.try_get("id")?,
        key_id: r.try_get("key_id")?,
        record_enc: r.try_get("record_enc")?,
        status: r.try_get("status")?,
        assigned_to: r.try_get("assigned_to")?,
        version: r.try_get("version")?,
        change_seq: r.try_get("change_seq")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        purpose: r.try_get("purpose")?,
        master_key_id: r.try_get("master_key_id")?,
        wrapped: r.try_get("wrapped")?,
    })
}

/// Opens a raw row with its data key (unwrapped here: bulk loads should not fill the key
/// cache with a key per case).
fn open_raw(
    keys: &crate::platform::keys::KeyCache,
    raw: &RawCase,
) -> Result<StoredCase, StoreError> {
    let mk_id: KeyId = raw
        .master_key_id
        .parse()
        .map_err(|_| StoreError::Corrupt("master key id"))?;
    let mk = keys
        .ring
        .get(&mk_id)
        .ok_or_else(|| StoreError::MissingKey(mk_id.to_string()))?;
    let key = reunite_crypto::unwrap_key(mk, &raw.key_id, &raw.purpose, &raw.wrapped)?;
    let plain = reunite_crypto::open_field(
        &key,
        &seal::field(TABLE, "record_enc", &raw.id),
        &raw.record_enc,
    )?;
    let case: Case =
        serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt("case record"))?;
    if case.id != raw.id {
        return Err(StoreError::Corrupt("case id"));
    }
    Ok(StoredCase {
        case,
        status: parse_status(&raw.status)?,
        assigned_to: raw.assigned_to.clone().map(UserId),
        version: raw.version,
        created_at: Timestamp(raw.created_at),
        updated_at: Timestamp(raw.updated_at),
    })
}

impl Store {
    /// The actor as the audit chain names it: staff and members by pseudonym.
    pub(crate) async fn audit_actor(&self, actor: &CaseActor) -> Result<String, StoreError> {
        match actor {
            CaseActor::Staff(u) => self.pseudonym("user", &u.0).await,
            CaseActor::Cli => Ok("cli".into()),
            CaseActor::Demo => Ok("demo".into()),
            CaseActor::Member(u) => self.pseudonym("user", &u.0).await,
        }
    }

    /// The next change sequence number. Call only after `append_audit_in` in the same
    /// transaction: on PostgreSQL that holds the chain's advisory lock until commit, so the
    /// numbers are handed out in commit order (SQLite has one writer anyway).
    async fn next_change_seq(
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
            .sql("SELECT id, status, assigned_to, version FROM cases WHERE id = $1");
        let row: Option<(String, String, Option<String>, i64)> = sqlx::query_as(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(id, status, assigned_to, version)| {
            Ok(CaseMeta {
                id,
                status: parse_status(&status)?,
                assigned_to: assigned_to.map(UserId),
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
                s.version,
                raw.change_seq,
                s.updated_at.millis(),
            )))
        })
        .collect()
}
