//! The SQLite backend: file permissions and connection pragmas.
//!
//! Every connection runs with WAL, `secure_delete` (deleted rows are overwritten, not left in
//! free pages), foreign keys and a busy timeout.

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

/// The pragmas each connection gets.
pub const PRAGMAS: &str = "PRAGMA journal_mode = WAL; \
     PRAGMA secure_delete = ON; \
     PRAGMA foreign_keys = ON; \
     PRAGMA busy_timeout = 10000; \
     PRAGMA synchronous = FULL;";

/// The SQLite URL of a database file (created if missing).
pub fn url_for_path(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Opens a pool with the pragmas applied to every connection. On Unix the database file is
/// created with mode 0600 before SQLite opens it, so its WAL and shared-memory files (which
/// SQLite creates with the database's permissions) are private too.
pub async fn connect(opts: AnyPoolOptions, url: &str) -> Result<AnyPool, sqlx::Error> {
    if let Some(path) = file_path(url) {
        create_private(&path)?;
    }
    opts.after_connect(|conn, _meta| {
        Box::pin(async move {
            conn.execute(PRAGMAS).await?;
            Ok(())
        })
    })
    .connect(url)
    .await
}

fn file_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map(|_| ())
}
