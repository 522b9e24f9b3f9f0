//! Storage for reunite: one API in domain terms over two backends, SQLite (the embedded
//! default) and PostgreSQL (several `reunite` processes sharing one database).
//!
//! This crate is the encryption boundary: callers hand it plaintext domain values and every
//! identifying value leaves it only as a [`reunite_crypto`] envelope bound to its table,
//! column and row. It is also the only crate that knows SQL.
//!
//! The backends differ in three places only, each in its own module: how a connection is
//! opened and tuned ([`sqlite`], [`postgres`]), the migrations (`migrations/sqlite`,
//! `migrations/postgres`, same version numbers, checked by a test) and the placeholder
//! dialect ([`Backend::sql`]). Everything else is written once.
//!
//! One folder per feature: `cases`, `intake`, `matching`, `dna`, `travel`; what they stand on
//! in `platform` (keys, audit chain, rotation, dumps, sessions, users) and `db` (connections,
//! migrations, transaction helpers). Every envelope is bound to its place by `seal::field`.
#![forbid(unsafe_code)]

pub mod access;
mod cases;
pub mod casework;
mod db;
mod dna;
pub mod intake;
mod matching;
mod platform;
mod seal;
pub mod travel;

pub use db::{postgres, sqlite};

pub use cases::index::{Assigned, CaseFilter, CasePage, CaseSummary};
pub use cases::{CaseActor, CaseMeta, CaseVersion, ChangeKind, StoredCase, changed_fields};
pub use casework::tasks::{Dashboard, DashboardScope, NewTask, Task};
pub use dna::{CustodyNote, DnaDetails, DnaRead, DnaStatus, DnaTest, DnaTestMeta, TestedPerson};
pub use intake::mirror_sync::SyncReport;
pub use intake::office::{IntakeSummary, OpenedIntake, OpenedMessage, open_reply, seal_reply};
pub use intake::{IntakeKeys, IntakeStore, NewIntake, StoredMessage};
pub use matching::review::{
    Candidate, CandidateSummary, FROM_MEMBER, FROM_OFFICE, MemberMessage, StepRecord,
};
pub use matching::{MatchRun, MatchSettings, RequestPayload};
pub use platform::audit::{AuditPage, ChainBreak, VerifyReport};
pub use platform::dump::{DumpStats, NOT_DUMPED, dumped_tables};
pub use platform::keys::SystemKey;
pub use platform::rotate::RotationReport;
pub use platform::sessions::{Session, SessionStage};
pub use platform::users::{
    AccountUpdate, Cancellation, Confirmation, NewUser, PendingChange, User, UserSummary,
};
pub use travel::{
    AlertAck, AlertView, BoardRow, CheckinKind, CheckinTarget, CheckinView, Delivery,
    EscalationReport, NewTrip, OutboxItem, TripContact, TripDetail, TripMeta, TripPlaces, TripPlan,
    TripStatus, TwoPerson, TwoPersonRefusal,
};

use reunite_crypto::{CryptoError, KeyRing};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::sync::Arc;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// From a database URL.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// Queries are written once with `$1, $2 …` placeholders; SQLite reads `?1, ?2 …`
    /// (numbered, so the order of appearance does not matter).
    pub(crate) fn sql(self, q: &str) -> String {
        match self {
            Backend::Postgres => q.to_string(),
            Backend::Sqlite => q.replace('$', "?"),
        }
    }

    /// Short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// What can go wrong in storage. Messages never contain stored values.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Encryption or decryption failed (wrong key, moved or damaged ciphertext).
    #[error("encryption error: {0}")]
    Crypto(#[from] CryptoError),
    /// No such record.
    #[error("not found")]
    NotFound,
    /// The change conflicts with existing data.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A database URL that is neither `sqlite:` nor `postgres:`.
    #[error("the database URL must start with sqlite: or postgres:")]
    UnsupportedUrl,
    /// The database was migrated by a newer version of reunite.
    #[error("the database schema version {found} is newer than this program knows ({known})")]
    SchemaTooNew {
        /// Version in the database.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// A key named by a record is missing from the key ring or the database.
    #[error("the key {0} is missing")]
    MissingKey(String),
    /// Stored data that cannot be what we wrote.
    #[error("corrupt data: {0}")]
    Corrupt(&'static str),
    /// The review rules refuse the step (nothing was changed).
    #[error("refused: {0}")]
    Refused(reunite_domain::review::Refusal),
    /// The two-person rule of travel alerts and trip endings refuses the step (nothing was
    /// changed).
    #[error("refused: {0}")]
    SecondPerson(reunite_domain::travel::TwoPersonRefusal),
    /// A dump file that cannot be read back.
    #[error("line {line}: {message}")]
    Dump {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A casework write or read the rules refuse (nothing was changed or opened).
    #[error("refused: {0}")]
    Casework(casework::CaseworkRefusal),
    /// Reading or writing a dump stream.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// The store: a pool, the key ring and the unwrapped-key cache.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    keys: Arc<platform::keys::KeyCache>,
    /// SQLite allows one writer; writers queue here instead of failing with SQLITE_BUSY.
    /// PostgreSQL needs no gate (the audit chain takes an advisory lock instead).
    write_gate: Arc<tokio::sync::Mutex<()>>,
    /// The in-memory case search index of this process (see `cases::index`).
    case_index: Arc<cases::IndexHandle>,
    /// The in-memory matching index of this process (see `matching`).
    match_index: Arc<matching::MatchHandle>,
}

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// `sqlite:///path/to/reunite.db` or `postgres://…`.
    pub url: String,
    /// PostgreSQL only: use (and create) this schema instead of `public`. Tests give each
    /// test its own schema so they can run in parallel.
    pub pg_schema: Option<String>,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl OpenOptions {
    /// Options for a URL with defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pg_schema: None,
            max_connections: 8,
        }
    }
}

impl Store {
    /// Opens the database, applies pending migrations and loads the key ring.
    pub async fn open(opts: OpenOptions, ring: KeyRing) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&opts.url)?;
        let pool_opts = AnyPoolOptions::new().max_connections(opts.max_connections.max(1));
        let pool = match backend {
            Backend::Sqlite => sqlite::connect(pool_opts, &opts.url).await?,
            Backend::Postgres => {
                postgres::connect(pool_opts, &opts.url, opts.pg_schema.as_deref()).await?
            }
        };
        db::migrate::run(&pool, backend).await?;
        let store = Store {
            pool,
            backend,
            keys: Arc::new(platform::keys::KeyCache::new(ring)),
            write_gate: Arc::new(tokio::sync::Mutex::new(())),
            case_index: Arc::default(),
            match_index: Arc::default(),
        };
        Ok(store)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to return).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction, queued behind other writers on SQLite.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<(WriteGuard, sqlx::Transaction<'static, sqlx::Any>), StoreError> {
        crate::db::tx::begin_write(&self.pool, self.backend, &self.write_gate).await
    }

    /// A setting, if present.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let q = self
            .backend
            .sql("SELECT value FROM settings WHERE key = $1");
        let row: Option<(String,)> = sqlx::query_as(&q)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Sets a setting (not for personal data: settings are stored in clear).
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        );
        sqlx::query(&q)
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The raw pool, for tests that tamper with stored rows on purpose.
    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> &AnyPool {
        &self.pool
    }

    /// Whether the database has been initialised (system keys exist).
    pub async fn is_initialized(&self) -> Result<bool, StoreError> {
        platform::keys::system_keys_exist(self).await
    }
}

/// Held for the duration of a write transaction on SQLite.
#[derive(Debug)]
pub(crate) struct WriteGuard {
    /// Released on drop (never read).
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// A new random identifier with a prefix, e.g. `u-9f2c…` (96 bits).
pub(crate) fn new_id(prefix: &str) -> String {
    let t = reunite_crypto::random_token();
    let mut s = String::with_capacity(prefix.len() + 1 + 16);
    s.push_str(prefix);
    s.push('-');
    s.extend(t.chars().filter(|c| c.is_ascii_alphanumeric()).take(16));
    s
}
