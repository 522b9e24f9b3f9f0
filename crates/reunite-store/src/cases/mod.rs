//! Cases: a mother's separation case, sealed as one envelope under its own data key, with a
//! sealed history of every version and an audit event for every change and every read.
//!
//! Reads that reveal anything about a case (a view, a history, a list of names) write their
//! audit event first, in its own committed transaction, and return nothing if that fails.
//! Changes commit together with their audit event.

pub(crate) mod index;
mod read;
mod search;
mod write;

use crate::{Store, StoreError, seal};
use index::CaseIndex;
use reunite_crypto::KeyId;
use reunite_domain::{Case, CaseStatus, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

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
    pub(crate) fn column(&self) -> &str {
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
    /// The team the case belongs to.
    pub team_id: Option<String>,
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
    /// The team the case belongs to.
    pub team_id: Option<String>,
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

const SELECT_CASE: &str = "SELECT c.id, c.key_id, c.record_enc, c.status, c.assigned_to, c.team_id, \
     c.version, c.change_seq, c.created_at, c.updated_at, \
     d.purpose, d.master_key_id, d.wrapped FROM cases c JOIN data_keys d ON d.id = c.key_id";

struct RawCase {
    id: String,
    key_id: String,
    record_enc: Vec<u8>,
    status: String,
    assigned_to: Option<String>,
    team_id: Option<String>,
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
        team_id: r.try_get("team_id")?,
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
        team_id: raw.team_id.clone(),
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
}
