//! Opens a fresh store on either backend. PostgreSQL tests use REUNITE_TEST_POSTGRES_URL and a
//! schema of their own, so tests run in parallel; without the variable they say they were
//! skipped (CI always sets it).

use reunite_crypto::{KeyRing, MasterKey};
use reunite_store::{OpenOptions, Store};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub store: Store,
    pub kind: Kind,
    pub url: String,
    pub schema: Option<String>,
    pub dir: PathBuf,
}

impl TestDb {
    /// Reopens the same database with another key ring.
    pub async fn reopen(&self, ring: KeyRing) -> Store {
        let mut o = OpenOptions::new(self.url.clone());
        o.pg_schema = self.schema.clone();
        Store::open(o, ring).await.unwrap()
    }
}

pub fn unique(prefix: &str) -> String {
    let t = reunite_crypto::random_token();
    let tail: String = t
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect::<String>()
        .to_lowercase();
    format!("{prefix}_{tail}")
}

pub fn ring() -> (KeyRing, MasterKey, MasterKey) {
    let mk = MasterKey::generate();
    let text = mk.to_text();
    let copy = MasterKey::from_text(&text).unwrap();
    let copy2 = MasterKey::from_text(&text).unwrap();
    (KeyRing::new(mk, vec![]), copy, copy2)
}

pub async fn open(kind: Kind) -> Option<TestDb> {
    let (ring, _, _) = ring();
    open_with(kind, ring).await
}

pub async fn open_with(kind: Kind, ring: KeyRing) -> Option<TestDb> {
    let dir = std::env::temp_dir().join(unique("reunite-store-test"));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, schema) = match kind {
        Kind::Sqlite => (
            reunite_store::sqlite::url_for_path(&dir.join("test.db")),
            None,
        ),
        Kind::Postgres => match std::env::var("REUNITE_TEST_POSTGRES_URL") {
            Ok(u) if !u.is_empty() => (u, Some(unique("t"))),
            _ => {
                eprintln!("skipped: REUNITE_TEST_POSTGRES_URL is not set");
                return None;
            }
        },
    };
    let mut o = OpenOptions::new(url.clone());
    o.pg_schema = schema.clone();
    o.max_connections = 4;
    let store = Store::open(o, ring).await.unwrap();
    store
        .ensure_system_keys(reunite_domain::Timestamp(1_700_000_000_000))
        .await
        .unwrap();
    Some(TestDb {
        store,
        kind,
        url,
        schema,
        dir,
    })
}

/// A fresh, empty database (no system keys yet), as a restore needs.
pub async fn open_empty(kind: Kind, ring: KeyRing) -> Option<Store> {
    let dir = std::env::temp_dir().join(unique("reunite-restore"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut o = match kind {
        Kind::Sqlite => {
            reunite_store::OpenOptions::new(reunite_store::sqlite::url_for_path(&dir.join("r.db")))
        }
        Kind::Postgres => {
            let url = std::env::var("REUNITE_TEST_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty())?;
            let mut o = reunite_store::OpenOptions::new(url);
            o.pg_schema = Some(unique("r"));
            o
        }
    };
    o.max_connections = 2;
    Some(Store::open(o, ring).await.unwrap())
}

/// Writes one test function per backend.
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                if let Some(db) = crate::helpers::open(crate::helpers::Kind::Sqlite).await {
                    ($body)(db).await;
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = crate::helpers::open(crate::helpers::Kind::Postgres).await {
                    let (url, schema) = (db.url.clone(), db.schema.clone());
                    ($body)(db).await;
                    // Leave nothing behind (a failed test keeps its schema for a look;
                    // CI drops leftovers before it starts).
                    if let Some(schema) = schema {
                        reunite_store::postgres::drop_schema(&url, &schema)
                            .await
                            .unwrap();
                    }
                }
            }
        }
    };
}
