//! DNA tests of a case: the lab, kit, sample dates, chain-of-custody notes and the tested
//! persons (by role, never by name) sealed as one envelope; the lab's profiles, once
//! imported, sealed as another; the workflow status in clear.
//!
//! Every change commits together with its audit event. Reading the details writes
//! `sensitive_read/dna_test` first; reading the profiles writes `sensitive_read/dna_profiles`
//! or `sensitive_read/dna_report` (a report shows them), and nothing is returned if that
//! event cannot be written.

use crate::cases::CaseActor;
use crate::db::tx::one_row_or_rollback;
use crate::{Store, StoreError, seal};
pub use reunite_domain::dna::DnaStatus;
use reunite_domain::{Action, NewAuditEvent, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::Row;

const TABLE: &str = "dna_tests";

/// One person whose sample the lab typed. Persons are identified by their role in the case
/// and the sample label the lab uses, never by name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TestedPerson {
    /// Role: `mother`, `child`, `grandmother`, `aunt`, `uncle`, `full_sibling`,
    /// `half_sibling`, …
    pub role: String,
    /// The sample name in the lab's file (`MO-1`, `S2`, …).
    pub sample: String,
    /// For the child: the index of the child in the case record (0-based).
    #[serde(default)]
    pub child_index: Option<u32>,
}

impl std::fmt::Debug for TestedPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestedPerson({}, [redacted])", self.role)
    }
}

/// One chain-of-custody note.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyNote {
    /// When it was written.
    pub at: Timestamp,
    /// Who wrote it (account id, `cli` or `demo`).
    pub by: String,
    /// The note (free text).
    pub text: String,
}

impl std::fmt::Debug for CustodyNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustodyNote({:?}, [redacted])", self.at)
    }
}

/// What the office records about a test (sealed as one envelope).
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DnaDetails {
    /// The laboratory.
    pub lab: String,
    /// The typing kit (`GlobalFiler`, `PowerPlex Fusion`, …).
    pub kit: String,
    /// Date the samples were taken (`YYYY-MM-DD`, as typed).
    #[serde(default)]
    pub sampled_on: String,
    /// Date the samples were sent to the lab.
    #[serde(default)]
    pub sent_on: String,
    /// Date the lab's results came back.
    #[serde(default)]
    pub received_on: String,
    /// The tested persons: the alleged relative first, the child second.
    #[serde(default)]
    pub persons: Vec<TestedPerson>,
    /// Chain-of-custody notes, oldest first.
    #[serde(default)]
    pub custody: Vec<CustodyNote>,
    /// The frequency database chosen (`east-asia-norstr-v2023`).
    #[serde(default)]
    pub frequency_table: String,
}

impl std::fmt::Debug for DnaDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DnaDetails([redacted])")
    }
}

/// What may be known about a test without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnaTestMeta {
    /// Test id (`dna-…`).
    pub id: String,
    /// The case it belongs to.
    pub case_id: String,
    /// The match it verifies, if any.
    pub match_ref: Option<String>,
    /// Status.
    pub status: DnaStatus,
    /// Whether profiles were imported.
    pub has_profiles: bool,
    /// Version, from 1.
    pub version: i64,
    /// Registered.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A test with its details opened.
#[derive(Debug, Clone)]
pub struct DnaTest {
    /// What is in clear.
    pub meta: DnaTestMeta,
    /// The sealed details, opened.
    pub details: DnaDetails,
}

/// Why profiles are read: each has its own audit detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnaRead {
    /// To look at or recompute them (`dna_profiles`).
    Profiles,
    /// To produce the report (`dna_report`).
    Report,
}

impl DnaRead {
    fn detail(self) -> &'static str {
        match self {
            DnaRead::Profiles => "dna_profiles",
            DnaRead::Report => "dna_report",
        }
    }
}

const SELECT_META: &str = "SELECT id, case_id, match_ref, status, \
     CAST(CASE WHEN profiles_enc IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_profiles, \
     version, created_at, updated_at FROM dna_tests";

fn meta_from_row(r: &sqlx::any::AnyRow) -> Result<DnaTestMeta, StoreError> {
    let status: String = r.try_get("status")?;
    let has: i64 = r.try_get("has_profiles")?;
    Ok(DnaTestMeta {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        match_ref: r.try_get("match_ref")?,
        status: status
            .parse::<DnaStatus>()
            .map_err(|_| StoreError::Corrupt("dna status"))?,
        has_profiles: has != 0,
        version: r.try_get("version")?,
        created_at: Timestamp(r.try_get("created_at")?),
        updated_at: Timestamp(r.try_get("updated_at")?),
    })
}

/// The sealed columns of a row.
struct Sealed {
    key_id: String,
    details_enc: Vec<u8>,
    profiles_enc: Option<Vec<u8>>,
}

impl Store {
    async fn dna_event(
        &self,
        actor: &CaseActor,
        action: Action,
        id: &str,
        detail: &str,
    ) -> Result<NewAuditEvent, StoreError> {
        Ok(NewAuditEvent {
            actor: self.audit_actor(actor).await?,
            action,
            subject: self.pseudonym("dna", id).await?,
            detail: detail.into(),
        })
    }

    /// Registers a DNA test of a case. `NotFound` if the case does not exist.
    pub async fn create_dna_test(
        &self,
        case_id: &str,
        match_ref: Option<&str>,
        details: &DnaDetails,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        if self.case_meta(case_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let id = crate::new_id("dna");
        let event = self
            .dna_event(actor, Action::RecordCreate, &id, "dna_test")
            .await?;
        let body = serde_json::to_vec(details).map_err(|_| StoreError::Corrupt("dna details"))?;
        let (_g, mut tx) = self.begin_write().await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        let (key_id, key) = self.new_data_key(&mut tx, TABLE, now).await?;
        let enc = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field(TABLE, "details_enc", &id),
            &body,
        );
        let q = self.backend.sql(
            "INSERT INTO dna_tests (id, case_id, match_ref, key_id, details_enc, profiles_enc, \
             status, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $7, 1)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(case_id)
            .bind(match_ref.map(str::to_string))
            .bind(&key_id)
            .bind(enc)
            .bind(DnaStatus::Registered.as_str())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Status and times of a test, without reading (or auditing) anything sealed.
    pub async fn dna_test_meta(&self, id: &str) -> Result<Option<DnaTestMeta>, StoreError> {
        let q = self.backend.sql(&format!("{SELECT_META} WHERE id = $1"));
        let row = sqlx::query(&q).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(meta_from_row).transpose()
    }

    /// The tests of a case, oldest first: what is in clear only (no profile, no detail).
    pub async fn list_dna_tests(&self, case_id: &str) -> Result<Vec<DnaTestMeta>, StoreError> {
        let q = self.backend.sql(&format!(
            "{SELECT_META} WHERE case_id = $1 ORDER BY created_at, id"
        ));
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        rows.iter().map(meta_from_row).collect()
    }

    async fn dna_sealed(&self, id: &str) -> Result<Sealed, StoreError> {
        let q = self
            .backend
            .sql("SELECT key_id, details_enc, profiles_enc FROM dna_tests WHERE id = $1");
        let row = sqlx::query(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Sealed {
            key_id: row.try_get("key_id")?,
            details_enc: row.try_get("details_enc")?,
            profiles_enc: row.try_get("profiles_enc")?,
        })
    }

    async fn open_details(&self, id: &str, s: &Sealed) -> Result<DnaDetails, StoreError> {
        let key = self.data_key(&s.key_id).await?;
        let plain = reunite_crypto::open_field(
            &key,
            &seal::field(TABLE, "details_enc", id),
            &s.details_enc,
        )?;
        serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt("dna details"))
    }

    /// Reads a test's details. The audit event (`sensitive_read/dna_test`) is written
    /// first; if it cannot be, nothing is read.
    pub async fn read_dna_test(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<DnaTest, StoreError> {
        let meta = self.dna_test_meta(id).await?.ok_or(StoreError::NotFound)?;
        let event = self
            .dna_event(actor, Action::SensitiveRead, id, "dna_test")
            .await?;
        self.append_audit(&event, now).await?;
        let sealed = self.dna_sealed(id).await?;
        let details = self.open_details(id, &sealed).await?;
        Ok(DnaTest { meta, details })
    }

    /// Reads a test with its profiles (none before the import). The audit event
    /// (`sensitive_read/dna_profiles` or `sensitive_read/dna_report`) is written first; if
    /// it cannot be, nothing is read.
    pub async fn read_dna_profiles(
        &self,
        id: &str,
        why: DnaRead,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(DnaTest, Option<String>), StoreError> {
        let meta = self.dna_test_meta(id).await?.ok_or(StoreError::NotFound)?;
        let event = self
            .dna_event(actor, Action::SensitiveRead, id, why.detail())
            .await?;
        self.append_audit(&event, now).await?;
        let sealed = self.dna_sealed(id).await?;
        let details = self.open_details(id, &sealed).await?;
        let profiles = match &sealed.profiles_enc {
            None => None,
            Some(enc) => {
                let key = self.data_key(&sealed.key_id).await?;
                let plain =
                    reunite_crypto::open_field(&key, &seal::field(TABLE, "profiles_enc", id), enc)?;
                Some(
                    String::from_utf8(plain.to_vec())
                        .map_err(|_| StoreError::Corrupt("dna profiles"))?,
                )
            }
        };
        Ok((DnaTest { meta, details }, profiles))
    }

    /// Saves new details and status. `expected_version` is the version the form was opened
    /// at: if someone saved in between, `Conflict` and nothing changes. Returns the new
    /// version.
    pub async fn update_dna_test(
        &self,
        id: &str,
        expected_version: i64,
        status: DnaStatus,
        details: &DnaDetails,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let body = serde_json::to_vec(details).map_err(|_| StoreError::Corrupt("dna details"))?;
        self.change_dna(
            id,
            expected_version,
            status,
            "dna_test",
            ("details_enc", body),
            actor,
            now,
        )
        .await
    }

    /// Stores the imported profiles (canonical text) and sets the status. Same version
    /// check as [`Store::update_dna_test`].
    pub async fn set_dna_profiles(
        &self,
        id: &str,
        expected_version: i64,
        status: DnaStatus,
        profiles: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        self.change_dna(
            id,
            expected_version,
            status,
            "dna_profiles",
            ("profiles_enc", profiles.as_bytes().to_vec()),
            actor,
            now,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn change_dna(
        &self,
        id: &str,
        expected_version: i64,
        status: DnaStatus,
        detail: &str,
        (column, body): (&'static str, Vec<u8>),
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let event = self
            .dna_event(actor, Action::RecordChange, id, detail)
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("SELECT key_id, version FROM dna_tests WHERE id = $1");
        let (key_id, version): (String, i64) = sqlx::query_as(&q)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if version != expected_version {
            return Err(StoreError::Conflict("dna test changed since it was opened"));
        }
        self.append_audit_in(&mut tx, &event, now).await?;
        let key = self.data_key(&key_id).await?;
        let enc = reunite_crypto::seal_field(&key, &key_id, &seal::field(TABLE, column, id), &body);
        // `column` is one of two constants, never input.
        let q = self.backend.sql(&format!(
            "UPDATE dna_tests SET {column} = $1, status = $2, updated_at = $3, \
             version = version + 1 WHERE id = $4 AND version = $5"
        ));
        let done = sqlx::query(&q)
            .bind(enc)
            .bind(status.as_str())
            .bind(now.millis())
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        let Some(tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(StoreError::Conflict("dna test changed since it was opened"));
        };
        tx.commit().await?;
        Ok(expected_version + 1)
    }
}
