//! The data directory and configuration: `DIR/reunite.toml`, overridden by `REUNITE_*`
//! environment variables.
//!
//! ```text
//! DIR/                (0700)
//!   reunite.toml      configuration (no secrets)
//!   reunite.db        SQLite database, with -wal and -shm beside it while running
//!   keys/             master keys (0700; files 0600); or REUNITE_MASTER_KEY_FILE
//! ```

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `reunite.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Database URL; empty means the data directory's SQLite file.
    #[serde(default)]
    pub database_url: String,
    /// The neutral title browsers show.
    #[serde(default = "default_title")]
    pub title: String,
    /// Served over TLS (directly or through a TLS-terminating proxy): sends HSTS.
    #[serde(default)]
    pub tls: bool,
    /// Log filter (tracing-subscriber syntax).
    #[serde(default = "default_log")]
    pub log: String,
    /// The neutral title of the public pages.
    #[serde(default = "default_title")]
    pub public_title: String,
    /// Where the public pages live (one URL), `/` by default.
    #[serde(default = "default_prefix")]
    pub public_prefix: String,
    /// Where the public quick-exit control leads.
    #[serde(default = "default_exit")]
    pub public_exit_url: String,
    /// Days after which unmatched tracing requests and unused codes are deleted.
    #[serde(default = "default_retention")]
    pub intake_retention_days: i64,
    /// Least matcher probability proposed to the review queue.
    #[serde(default = "default_match_threshold")]
    pub match_threshold: f64,
    /// Seconds between two runs of the matcher over new tracing requests.
    #[serde(default = "default_match_interval")]
    pub match_interval_secs: u64,
    /// Proxies (addresses or CIDR blocks) whose client header is believed for the rate
    /// limits; empty: headers are ignored and the TCP peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The header a trusted proxy names the client in: `X-Forwarded-For`, `X-Real-IP` or
    /// `Forwarded`.
    #[serde(default = "default_client_ip_header")]
    pub client_ip_header: String,
    /// The office's time zone (IANA name): task due times are entered and shown in it,
    /// and the dashboard's "today" is its day. Times are stored in UTC.
    #[serde(default = "default_office_tz")]
    pub office_tz: String,
    /// Travel safety (`[travel]`, see `cmd/travel.rs`).
    #[serde(default)]
    pub travel: crate::cmd::travel::TravelConfig,
}

fn default_office_tz() -> String {
    reunite_domain::task::DEFAULT_OFFICE_TZ.into()
}

fn default_client_ip_header() -> String {
    "X-Forwarded-For".into()
}

fn default_match_threshold() -> f64 {
    0.5
}
fn default_match_interval() -> u64 {
    10
}

fn default_prefix() -> String {
    "/".into()
}
fn default_exit() -> String {
    "https://www.baidu.com/".into()
}
fn default_retention() -> i64 {
    180
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_title() -> String {
    "Notes".into()
}
fn default_log() -> String {
    "info".into()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            database_url: String::new(),
            title: default_title(),
            tls: false,
            log: default_log(),
            public_title: default_title(),
            public_prefix: default_prefix(),
            public_exit_url: default_exit(),
            intake_retention_days: default_retention(),
            match_threshold: default_match_threshold(),
            match_interval_secs: default_match_interval(),
            trusted_proxies: Vec::new(),
            client_ip_header: default_client_ip_header(),
            office_tz: default_office_tz(),
            travel: Default::default(),
        }
    }
}

/// A data directory with its configuration resolved.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The directory.
    pub dir: PathBuf,
    /// Resolved configuration.
    pub config: Config,
}

pub const CONFIG_FILE: &str = "reunite.toml";
pub const DB_FILE: &str = "reunite.db";
pub const KEYS_DIR: &str = "keys";
/// The key file of an intake mirror: office public key and peppers (0600).
pub const INTAKE_KEYS_FILE: &str = "intake.keys";

impl DataDir {
    /// Reads `DIR/reunite.toml` and applies environment overrides.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(CONFIG_FILE);
        if !path.exists() {
            bail!(
                "{} is not a reunite data directory (no {CONFIG_FILE}); create one with `reunite init --data {}`",
                dir.display(),
                dir.display()
            );
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let config: Config = toml::from_str(&text)
            .with_context(|| format!("{} is not valid configuration", path.display()))?;
        let mut d = DataDir {
            dir: dir.to_path_buf(),
            config,
        };
        d.apply_env()?;
        Ok(d)
    }

    /// Applies `REUNITE_LISTEN`, `REUNITE_DATABASE_URL`, `REUNITE_TITLE`, `REUNITE_TLS`,
    /// `REUNITE_LOG`.
    pub fn apply_env(&mut self) -> Result<()> {
        let c = &mut self.config;
        if let Ok(v) = std::env::var("REUNITE_LISTEN") {
            c.listen = v;
        }
        if let Ok(v) = std::env::var("REUNITE_DATABASE_URL") {
            c.database_url = v;
        }
        if let Ok(v) = std::env::var("REUNITE_TITLE") {
            c.title = v;
        }
        if let Ok(v) = std::env::var("REUNITE_TLS") {
            c.tls = match v.as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" | "" => false,
                _ => bail!("REUNITE_TLS must be true or false, not {v:?}"),
            };
        }
        if let Ok(v) = std::env::var("REUNITE_LOG") {
            c.log = v;
        }
        if let Ok(v) = std::env::var("REUNITE_PUBLIC_TITLE") {
            c.public_title = v;
        }
        if let Ok(v) = std::env::var("REUNITE_PUBLIC_PREFIX") {
            c.public_prefix = v;
        }
        if let Ok(v) = std::env::var("REUNITE_PUBLIC_EXIT_URL") {
            c.public_exit_url = v;
        }
        if let Ok(v) = std::env::var("REUNITE_INTAKE_RETENTION_DAYS") {
            c.intake_retention_days = v.parse().ok().filter(|d| *d > 0).with_context(|| {
                format!("REUNITE_INTAKE_RETENTION_DAYS must be a number of days, not {v:?}")
            })?;
        }
        if let Ok(v) = std::env::var("REUNITE_MATCH_THRESHOLD") {
            c.match_threshold = v
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .with_context(|| {
                    format!("REUNITE_MATCH_THRESHOLD must be a probability from 0 to 1, not {v:?}")
                })?;
        }
        if let Ok(v) = std::env::var("REUNITE_MATCH_INTERVAL_SECS") {
            c.match_interval_secs = v.parse().ok().filter(|s| *s > 0).with_context(|| {
                format!("REUNITE_MATCH_INTERVAL_SECS must be a number of seconds, not {v:?}")
            })?;
        }
        if let Ok(v) = std::env::var("REUNITE_TRUSTED_PROXIES") {
            c.trusted_proxies = v
                .split(',')
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect();
        }
        if let Ok(v) = std::env::var("REUNITE_CLIENT_IP_HEADER") {
            c.client_ip_header = v;
        }
        if let Ok(v) = std::env::var("REUNITE_OFFICE_TZ") {
            c.office_tz = v;
        }
        // Refuse to start on a proxy list or header that does not parse.
        self.client_address()?;
        let c = &mut self.config;
        if !(0.0..=1.0).contains(&c.match_threshold) {
            bail!(
                "match_threshold must be a probability from 0 to 1, not {}",
                c.match_threshold
            );
        }
        if !reunite_domain::task::valid_zone(&c.office_tz) {
            bail!(
                "office_tz must be an IANA time zone such as Asia/Seoul, not {:?}",
                c.office_tz
            );
        }
        c.travel.apply_env()?;
        Ok(())
    }

    /// How the web tier finds the client's address for its rate limits.
    pub fn client_address(&self) -> Result<reunite_web::ClientAddressPolicy> {
        let c = &self.config;
        let header =
            reunite_web::ClientIpHeader::parse(&c.client_ip_header).with_context(|| {
                format!(
                    "client_ip_header must be X-Forwarded-For, X-Real-IP or Forwarded, not {:?}",
                    c.client_ip_header
                )
            })?;
        reunite_web::ClientAddressPolicy::new(&c.trusted_proxies, header)
            .map_err(anyhow::Error::msg)
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        if self.config.database_url.is_empty() {
            reunite_store::sqlite::url_for_path(&self.dir.join(DB_FILE))
        } else {
            self.config.database_url.clone()
        }
    }

    /// The keys directory.
    pub fn keys_dir(&self) -> PathBuf {
        self.dir.join(KEYS_DIR)
    }

    /// The master key ring: from `REUNITE_MASTER_KEY_FILE` if set (a single key held
    /// outside the data directory), else from `DIR/keys`.
    pub fn key_ring(&self) -> Result<reunite_crypto::KeyRing> {
        if let Ok(path) = std::env::var("REUNITE_MASTER_KEY_FILE") {
            let key = reunite_crypto::keyfile::load_file(Path::new(&path))
                .with_context(|| format!("cannot load the master key from {path}"))?;
            return Ok(reunite_crypto::KeyRing::new(key, Vec::new()));
        }
        reunite_crypto::keyfile::load_dir(&self.keys_dir()).with_context(|| {
            format!(
                "cannot load the master keys from {}",
                self.keys_dir().display()
            )
        })
    }

    /// Writes the configuration file (no secrets in it).
    pub fn write_config(&self) -> Result<()> {
        let text = toml::to_string(&self.config).context("cannot encode the configuration")?;
        let text = format!(
            "# reunite configuration. Environment variables REUNITE_LISTEN, REUNITE_DATABASE_URL,\n\
             # REUNITE_TITLE, REUNITE_TLS and REUNITE_LOG override these values.\n{text}"
        );
        std::fs::write(self.dir.join(CONFIG_FILE), text).context("cannot write the configuration")
    }
}

/// Creates a directory readable only by its owner.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    Ok(())
}

/// Whether a directory is missing or empty.
pub fn is_empty_dir(dir: &Path) -> Result<bool> {
    if !dir.exists() {
        return Ok(true);
    }
    Ok(std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .next()
        .is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_rejects_unknown_fields_and_fills_defaults() {
        let c: Config = toml::from_str("title = \"Garden\"").unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.title, "Garden");
        assert!(toml::from_str::<Config>("titel = \"x\"").is_err());
    }
}
