//! `reunite intake sync`: the office pulls requests and answers from mirrors that keep their
//! own database, and pushes its replies (and the other mirrors' requests) back, so that any
//! mirror answers any code. No key is needed on either side: every row is ciphertext.

use crate::config::DataDir;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use reunite_domain::Clock;
use reunite_store::{IntakeStore, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

/// `reunite intake …`
#[derive(Debug, Subcommand)]
pub enum IntakeCmd {
    /// Syncs the office's database with mirrors that keep their own (SQLite file or
    /// PostgreSQL database reachable from the office).
    Sync(SyncArgs),
}

/// `reunite intake sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The office's data directory.
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
    /// A mirror's database: `sqlite:///path/to/mirror.db` or `postgres://…`. Repeat for
    /// several mirrors.
    #[arg(long = "mirror", required = true)]
    pub mirrors: Vec<String>,
}

pub async fn run(c: IntakeCmd) -> Result<()> {
    match c {
        IntakeCmd::Sync(a) => sync(a).await,
    }
}

async fn sync(a: SyncArgs) -> Result<()> {
    let dd = DataDir::load(&a.data)?;
    crate::init_logging(&dd.config.log);
    let office = IntakeStore::open(OpenOptions::new(dd.database_url()))
        .await
        .context("cannot open the office database")?;
    let now = crate::SystemClock.now();
    let cutoff = now.plus_millis(-dd.config.intake_retention_days.max(1) * 86_400_000);
    let mut err = std::io::stderr().lock();
    for (i, url) in a.mirrors.iter().enumerate() {
        reunite_store::Backend::from_url(url)
            .with_context(|| format!("mirror {} must be a sqlite: or postgres: URL", i + 1))?;
        let mirror = IntakeStore::open(OpenOptions::new(url.clone()))
            .await
            .with_context(|| format!("cannot open mirror {}", i + 1))?;
        let r = office
            .sync_with_mirror(&mirror, cutoff)
            .await
            .with_context(|| format!("syncing mirror {} failed; run it again", i + 1))?;
        // Counts only: the URL may name a host, and logs and terminals are kept plain.
        writeln!(
            err,
            "mirror {}: {} requests in, {} out; {} messages in, {} out; {} expired removed",
            i + 1,
            r.requests_in,
            r.requests_out,
            r.messages_in,
            r.messages_out,
            r.pruned
        )?;
        mirror.close().await;
    }
    Ok(())
}
