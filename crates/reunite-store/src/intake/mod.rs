//! The public side's storage: [`IntakeStore`], a handle that can only write sealed tracing
//! requests, look up the (encrypted) replies for a code's lookup hash, append sealed
//! answers and delete expired requests.
//!
//! An intake node holds no master key and no office secret key. `IntakeStore` is opened
//! without a key ring ([`IntakeStore::open`]) or derived from a full [`Store`]
//! ([`Store::intake`]) and exposes no method that returns plaintext or a key: everything
//! it stores arrives already sealed by the caller (`reunite_crypto::seal` to the office's
//! public key), everything it returns is ciphertext that only the holder of the tracing
//! code (or the office) can open. The type system keeps intake code away from the master
//! key: there is no path from an `IntakeStore` to a `Store`.

pub(crate) mod mirror_sync;
pub(crate) mod office;

use crate::{Backend, OpenOptions, Store, StoreError, WriteGuard};
use reunite_crypto::{DataKey, OfficePublicKey, Peppers, Zeroizing};
use reunite_domain::Timestamp;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::sync::Arc;

/// Status of a request that the office has never opened.
pub const STATUS_NEW: &str = "new";
/// Status of a request the office has read.
pub const STATUS_OPENED: &str = "opened";
/// Status of a request the office keeps (under review, matched): retention spares it.
pub const STATUS_KEPT: &str = "kept";

/// Direction of a message written by the office (encrypted under the reply key).
pub const FROM_OFFICE: &str = "office";
/// Direction of a message written by the seeker (sealed to the office).
pub const FROM_SEEKER: &str = "seeker";

/// The storage handle of the public side. Cheap to clone.
#[derive(Clone, Debug)]
pub struct IntakeStore {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    write_gate: Arc<tokio::sync::Mutex<()>>,
}

/// What a new tracing request is stored as: nothing in it is readable by the intake node.
#[derive(Clone)]
pub struct NewIntake {
    /// Keyed Argon2id hash of the tracing code (`Peppers::code_lookup`).
    pub code_lookup: [u8; 32],
    /// The request, sealed to the office's public key.
    pub sealed_request: Vec<u8>,
    /// The reply key (derived from the code with pepper 2), sealed to the office's public key.
    pub sealed_reply_key: Vec<u8>,
}

impl std::fmt::Debug for NewIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewIntake(<sealed>)")
    }
}

/// One message as stored: the body is ciphertext.
#[derive(Clone)]
pub struct StoredMessage {
    /// Message id (binds the envelope of office messages).
    pub id: String,
    /// [`FROM_OFFICE`] or [`FROM_SEEKER`].
    pub direction: String,
    /// Envelope (office) or sealed box (seeker).
    pub body: Vec<u8>,
    /// When it was written.
    pub created_at: Timestamp,
}

impl std::fmt::Debug for StoredMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StoredMessage({}, {}, <sealed>)",
            self.id, self.direction
        )
    }
}

impl IntakeStore {
    /// Opens a database as an intake node: no key ring. Applies pending migrations (a
    /// mirror's local SQLite file starts empty; on a shared PostgreSQL database migrations
    /// take an advisory lock).
    pub async fn open(opts: OpenOptions) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&opts.url)?;
        let pool_opts = AnyPoolOptions::new().max_connections(opts.max_connections.max(1));
        let pool = match backend {
            Backend::Sqlite => crate::db::sqlite::connect(pool_opts, &opts.url).await?,
            Backend::Postgres => {
                crate::db::postgres::connect(pool_opts, &opts.url, opts.pg_schema.as_deref())
                    .await?
            }
        };
        crate::db::migrate::run(&pool, backend).await?;
        Ok(IntakeStore {
            pool,
            backend,
            write_gate: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn begin_write(
        &self,
    ) -> Result<(WriteGuard, sqlx::Transaction<'static, sqlx::Any>), StoreError> {
        crate::db::tx::begin_write(&self.pool, self.backend, &self.write_gate).await
    }

    /// Stores a new request. [`StoreError::Conflict`] if the code's lookup hash is taken
    /// (a 66-bit code collision: the caller draws a new code).
    pub async fn submit(&self, new: &NewIntake, now: Timestamp) -> Result<String, StoreError> {
        let id = crate::new_id("r");
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("SELECT COUNT(*) FROM intake_requests WHERE code_lookup = $1");
        let n: i64 = sqlx::query_scalar(&q)
            .bind(new.code_lookup.to_vec())
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Err(StoreError::Conflict("code"));
        }
        let q = self.backend.sql(
            "INSERT INTO intake_requests (id, code_lookup, sealed_request, sealed_reply_key, \
             status, created_at, last_activity) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(new.code_lookup.to_vec())
            .bind(new.sealed_request.clone())
            .bind(new.sealed_reply_key.clone())
            .bind(STATUS_NEW)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The office's messages to the holder of the code with this lookup hash, oldest first.
    /// Empty both when there are none and when no request has this code: the public side
    /// must not be able to tell the two apart, so it is not told.
    pub async fn office_messages(
        &self,
        code_lookup: &[u8; 32],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let q = self.backend.sql(
            "SELECT m.id, m.direction, m.body, m.created_at FROM intake_messages m \
             JOIN intake_requests r ON r.id = m.request_id \
             WHERE r.code_lookup = $1 AND m.direction = $2 ORDER BY m.created_at, m.id",
        );
        let rows: Vec<(String, String, Vec<u8>, i64)> = sqlx::query_as(&q)
            .bind(code_lookup.to_vec())
            .bind(FROM_OFFICE)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, direction, body, at)| StoredMessage {
                id,
                direction,
                body,
                created_at: Timestamp(at),
            })
            .collect())
    }

    /// Appends the seeker's answer (sealed to the office) to the request with this code.
    /// Returns whether a request was found; the public side answers alike either way.
    pub async fn append_answer(
        &self,
        code_lookup: &[u8; 32],
        sealed_body: &[u8],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("SELECT id FROM intake_requests WHERE code_lookup = $1");
        let id: Option<String> = sqlx::query_scalar(&q)
            .bind(code_lookup.to_vec())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(id) = id else {
            return Ok(false);
        };
        insert_message(self.backend, &mut tx, &id, FROM_SEEKER, sealed_body, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Retention: deletes every request that the office does not keep and whose thread has
    /// been quiet since before `cutoff` (unmatched requests, codes no one used), with its
    /// messages. Returns how many requests were deleted.
    pub async fn purge_expired(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        // Expired: not kept, quiet since the cutoff, and no match still alive (one the
        // office rejected, she declined, either side withdrew or the office closed does not
        // count). Its dead candidates and their steps go with it.
        const EXPIRED: &str = "SELECT id FROM intake_requests WHERE status <> $1 \
             AND last_activity < $2 AND NOT EXISTS (SELECT 1 FROM match_candidates c \
             WHERE c.request_id = intake_requests.id \
             AND c.state NOT IN ('rejected', 'declined', 'withdrawn', 'closed'))";
        let (_g, mut tx) = self.begin_write().await?;
        for q in [
            "DELETE FROM match_steps WHERE candidate_id IN (SELECT id FROM match_candidates \
             WHERE request_id IN (EXPIRED))",
            "DELETE FROM match_candidates WHERE request_id IN (EXPIRED)",
            "DELETE FROM intake_messages WHERE request_id IN (EXPIRED)",
        ] {
            let q = self.backend.sql(&q.replace("EXPIRED", EXPIRED));
            sqlx::query(&q)
                .bind(STATUS_KEPT)
                .bind(cutoff.millis())
                .execute(&mut *tx)
                .await?;
        }
        let q = self.backend.sql(&format!(
            "DELETE FROM intake_requests WHERE id IN ({EXPIRED})"
        ));
        let n = sqlx::query(&q)
            .bind(STATUS_KEPT)
            .bind(cutoff.millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Number of stored requests (for operators and tests; reveals nothing per request).
    pub async fn count_requests(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM intake_requests")
            .fetch_one(&self.pool)
            .await?)
    }
}

pub(crate) async fn insert_message(
    backend: Backend,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    request_id: &str,
    direction: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<String, StoreError> {
    let id = crate::new_id("msg");
    insert_message_with_id(backend, tx, &id, request_id, direction, body, now).await?;
    Ok(id)
}

pub(crate) async fn insert_message_with_id(
    backend: Backend,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    request_id: &str,
    direction: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<(), StoreError> {
    let q = backend.sql(
        "INSERT INTO intake_messages (id, request_id, direction, body, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    );
    sqlx::query(&q)
        .bind(id)
        .bind(request_id)
        .bind(direction)
        .bind(body.to_vec())
        .bind(now.millis())
        .execute(&mut **tx)
        .await?;
    let q = backend.sql("UPDATE intake_requests SET last_activity = $1 WHERE id = $2");
    sqlx::query(&q)
        .bind(now.millis())
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// The intake handle over this store's database (for a process that serves both the
    /// office and the public pages). It shares the pool, not the keys.
    pub fn intake(&self) -> IntakeStore {
        IntakeStore {
            pool: self.pool.clone(),
            backend: self.backend,
            write_gate: self.write_gate.clone(),
        }
    }
}

/// What an intake node holds: the office's public key and the two peppers. Parsed from the
/// mirror file written by `reunite intake export-keys`. `Debug` is redacted.
pub struct IntakeKeys {
    /// The office's public key, to seal requests, reply keys and answers.
    pub office: OfficePublicKey,
    /// Pepper 1 (code lookup) and pepper 2 (reply keys); never equal.
    pub peppers: Peppers,
}

impl std::fmt::Debug for IntakeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntakeKeys(<redacted>)")
    }
}

const KEYS_HEADER: &str = "reunite-intake-keys-v1";

impl IntakeKeys {
    /// From the public key and the two pepper keys; refuses equal peppers.
    pub fn new(
        office: OfficePublicKey,
        lookup: DataKey,
        reply: DataKey,
    ) -> Result<Self, StoreError> {
        Ok(IntakeKeys {
            office,
            peppers: Peppers::new(lookup, reply)?,
        })
    }

    /// Parses the mirror key file:
    ///
    /// ```text
    /// reunite-intake-keys-v1
    /// office-public-key = reunite-office-pk-v1:…
    /// pepper-lookup = reunite-data-key-v1:…
    /// pepper-reply = reunite-data-key-v1:…
    /// ```
    ///
    /// Fails on anything else, a missing line, or equal peppers.
    pub fn from_text(text: &str) -> Result<Self, StoreError> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some(KEYS_HEADER) {
            return Err(StoreError::Corrupt("intake key file header"));
        }
        let (mut pk, mut lookup, mut reply) = (None, None, None);
        for l in lines {
            let (k, v) = l
                .split_once('=')
                .ok_or(StoreError::Corrupt("intake key file line"))?;
            match k.trim() {
                "office-public-key" => pk = Some(OfficePublicKey::from_text(v.trim())?),
                "pepper-lookup" => lookup = Some(DataKey::from_text(v.trim())?),
                "pepper-reply" => reply = Some(DataKey::from_text(v.trim())?),
                _ => return Err(StoreError::Corrupt("intake key file: unknown entry")),
            }
        }
        match (pk, lookup, reply) {
            (Some(pk), Some(l), Some(r)) => IntakeKeys::new(pk, l, r),
            _ => Err(StoreError::Corrupt("intake key file: missing entry")),
        }
    }
}

/// Writes the mirror key file text for [`IntakeKeys::from_text`].
pub(crate) fn keys_text(
    pk: &OfficePublicKey,
    lookup: &DataKey,
    reply: &DataKey,
) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::new());
    s.push_str(KEYS_HEADER);
    s.push_str("\noffice-public-key = ");
    s.push_str(&pk.to_text());
    s.push_str("\npepper-lookup = ");
    s.push_str(&lookup.to_text());
    s.push_str("\npepper-reply = ");
    s.push_str(&reply.to_text());
    s.push('\n');
    s
}
