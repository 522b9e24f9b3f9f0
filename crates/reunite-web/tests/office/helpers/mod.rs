//! Test harness of the HTTP tests: the real application on a random port with a fresh SQLite
//! database and a manual clock ([`app`]), a small cookie-aware client ([`client`]), the public
//! side served alone as a mirror ([`public`]), travel fixtures ([`travel`]), the captured logs
//! ([`logs`]) and the gate that lets a timing test run alone ([`gate`]).
//!
//! All tests run in one process: what used to be per-process (the log subscriber, a quiet
//! machine for timing) is shared here, see [`logs`] and [`gate`].

pub mod app;
pub mod client;
pub mod gate;
pub mod logs;
pub mod public;
pub mod travel;

pub use app::{ADMIN_PASSWORD, FAST, STAFF_PASSWORD, TestApp, admin_full_sign_in, next_code};
pub use client::{Client, Page};

/// A name no other test uses (directories, case ids).
pub fn unique(prefix: &str) -> String {
    let t: String = reunite_crypto::random_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    format!("{prefix}-{}", t.to_lowercase())
}

/// The wall clock as a domain timestamp (the manual clocks start there).
pub fn real_now() -> reunite_domain::Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    reunite_domain::Timestamp(d.as_millis() as i64)
}

/// A fresh data directory under the system's temp directory.
pub fn temp_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
