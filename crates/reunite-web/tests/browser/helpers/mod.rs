//! Harness of the browser tests: chromedriver and headless Chromium ([`driver`]), the few
//! page actions the tests repeat ([`ui`]), and the applications they drive ([`apps`]).
//!
//! The HTTP tests' harness (`tests/office/helpers`) is a module of that other test binary;
//! without `#[path]` includes this binary cannot name it, so it carries its own, smaller
//! harness: only what the browser tests use.

pub mod apps;
pub mod driver;
pub mod ui;

/// A name no other test uses (directories, profiles, case ids).
pub fn unique(prefix: &str) -> String {
    let t: String = reunite_crypto::random_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    format!("{prefix}-{}", t.to_lowercase())
}
