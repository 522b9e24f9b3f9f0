//! Data keys: generated per record, stored wrapped by the master key in `data_keys`,
//! unwrapped on first use and cached in memory.

use crate::{Store, StoreError};
use reunite_crypto::{DataKey, KeyId, KeyRing};
use reunite_domain::Timestamp;
use std::collections::HashMap;
use std::sync::RwLock;

/// Keys the whole installation uses, stored like data keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemKey {
    /// Blind indexes (keyed hashes of normalised search keys).
    Index,
    /// The audit chain MAC and record pseudonyms.
    Audit,
}

impl SystemKey {
    const ALL: [SystemKey; 2] = [SystemKey::Index, SystemKey::Audit];

    fn id(self) -> &'static str {
        match self {
            SystemKey::Index => "sys-index",
            SystemKey::Audit => "sys-audit",
        }
    }

    fn purpose(self) -> &'static str {
        match self {
            SystemKey::Index => "index",
            SystemKey::Audit => "audit",
        }
    }
}

/// The key ring and the unwrapped data keys seen so far.
pub(crate) struct KeyCache {
    pub(crate) ring: KeyRing,
    deks: RwLock<HashMap<String, DataKey>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache([redacted])")
    }
}

impl KeyCache {
    pub(crate) fn new(ring: KeyRing) -> Self {
        Self {
            ring,
            deks: RwLock::new(HashMap::new()),
        }
    }

    fn cached(&self, id: &str) -> Option<DataKey> {
        self.deks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    fn remember(&self, id: &str, key: &DataKey) {
        self.deks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), key.clone());
    }
}

pub(crate) async fn system_keys_exist(store: &Store) -> Result<bool, StoreError> {
    let q = store
        .backend
        .sql("SELECT COUNT(*) FROM data_keys WHERE id = $1 OR id = $2");
    let n: i64 = sqlx::query_scalar(&q)
        .bind(SystemKey::Index.id())
        .bind(SystemKey::Audit.id())
        .fetch_one(&store.pool)
        .await?;
    Ok(n == 2)
}

impl Store {
    /// Creates the system keys if they do not exist yet (first start of a data directory).
    pub async fn ensure_system_keys(&self, now: Timestamp) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        for k in SystemKey::ALL {
            let q = self
                .backend
                .sql("SELECT COUNT(*) FROM data_keys WHERE id = $1");
            let n: i64 = sqlx::query_scalar(&q)
                .bind(k.id())
                .fetch_one(&mut *tx)
                .await?;
            if n == 0 {
                let key = DataKey::generate();
                self.insert_data_key(&mut tx, k.id(), k.purpose(), &key, now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn system_key(&self, k: SystemKey) -> Result<DataKey, StoreError> {
        self.data_key(k.id()).await
    }

    /// The data key with this id, unwrapped.
    pub(crate) async fn data_key(&self, id: &str) -> Result<DataKey, StoreError> {
        if let Some(k) = self.keys.cached(id) {
            return Ok(k);
        }
        let q = self
            .backend
            .sql("SELECT purpose, master_key_id, wrapped FROM data_keys WHERE id = $1");
        let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let (purpose, mk_id, wrapped) = row.ok_or_else(|| StoreError::MissingKey(id.into()))?;
        let mk_id: KeyId = mk_id
            .parse()
            .map_err(|_| StoreError::Corrupt("master key id"))?;
        let mk = self
            .keys
            .ring
            .get(&mk_id)
            .ok_or_else(|| StoreError::MissingKey(mk_id.to_string()))?;
        let key = reunite_crypto::unwrap_key(mk, id, &purpose, &wrapped)?;
        self.keys.remember(id, &key);
        Ok(key)
    }

    /// Generates a data key for a new record, stores it wrapped inside `tx`.
    pub(crate) async fn new_data_key(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        purpose: &str,
        now: Timestamp,
    ) -> Result<(String, DataKey), StoreError> {
        let id = crate::new_id("dk");
        let key = DataKey::generate();
        self.insert_data_key(tx, &id, purpose, &key, now).await?;
        Ok((id, key))
    }

    async fn insert_data_key(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: &str,
        purpose: &str,
        key: &DataKey,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mk = self.keys.ring.current();
        let wrapped = reunite_crypto::wrap_key(mk, id, purpose, key);
        let q = self.backend.sql(
            "INSERT INTO data_keys (id, purpose, master_key_id, wrapped, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        );
        sqlx::query(&q)
            .bind(id)
            .bind(purpose)
            .bind(mk.id().to_string())
            .bind(wrapped)
            .bind(now.millis())
            .execute(&mut **tx)
            .await?;
        self.keys.remember(id, key);
        Ok(())
    }

    /// A keyed blind index of a normalised value, for lookups without storing the value.
    pub async fn blind_index(&self, domain: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let k = self.system_key(SystemKey::Index).await?;
        Ok(reunite_crypto::blind_index(&k, domain, value).to_vec())
    }

    /// A stable pseudonym for a record (`user:…`, `case:…`) for the audit trail.
    pub async fn pseudonym(&self, kind: &str, id: &str) -> Result<String, StoreError> {
        let k = self.system_key(SystemKey::Audit).await?;
        Ok(reunite_crypto::pseudonym(&k, kind, id))
    }
}
