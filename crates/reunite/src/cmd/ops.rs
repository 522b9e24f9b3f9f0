//! `reunite keys rotate`, `reunite audit verify`, `reunite backup`, `reunite restore`.

use crate::config::{self, DataDir};
use crate::{SystemClock, open_store, progress_bar};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use reunite_domain::{Action, Clock, NewAuditEvent};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// `reunite keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Re-wraps every data key under a new master key, then destroys the old one.
    /// Resumes an interrupted rotation. Stop every `reunite serve` process first and give
    /// them the new keys directory afterwards.
    Rotate(DataArg),
}

/// `reunite audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Checks the audit chain; exits with status 1 if it was changed, cut or reordered.
    Verify(DataArg),
}

/// A data directory argument.
#[derive(Debug, Args)]
pub struct DataArg {
    /// The data directory.
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
}

/// `reunite backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The data directory.
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
    /// The encrypted backup file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// A file holding the backup passphrase (else REUNITE_BACKUP_PASSPHRASE).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

/// `reunite restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The data directory to create (must be missing or empty).
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
    /// The encrypted backup file.
    #[arg(long)]
    pub from: PathBuf,
    /// A file holding the backup passphrase (else REUNITE_BACKUP_PASSPHRASE).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

pub async fn keys(cmd: KeysCmd) -> Result<()> {
    let KeysCmd::Rotate(a) = cmd;
    let dd = DataDir::load(&a.data)?;
    if std::env::var("REUNITE_MASTER_KEY_FILE").is_ok() {
        bail!(
            "key rotation works on DIR/keys; with REUNITE_MASTER_KEY_FILE, rotate by hand (see SECURITY.md)"
        );
    }
    let keys_dir = dd.keys_dir();
    // Resume if an earlier run already made a new current key; otherwise make one.
    let store = open_store(&dd).await?;
    let pending = store.keys_pending_rotation().await?;
    store.close().await;
    if pending == 0 {
        let new = reunite_crypto::MasterKey::generate();
        reunite_crypto::keyfile::add_key(&keys_dir, &new, true)
            .context("cannot write the new master key")?;
        eprintln!("new master key {}", new.id());
    } else {
        eprintln!("resuming: {pending} data keys are not yet under the current master key");
    }
    let store = open_store(&dd).await?;
    let pending = store.keys_pending_rotation().await?;
    let bar = progress_bar(pending, "re-wrapping data keys");
    let report = store
        .rewrap_data_keys("cli", SystemClock.now(), &mut |done, _| {
            bar.set_position(done)
        })
        .await?;
    bar.finish_and_clear();
    let in_use = store.master_keys_in_use().await?;
    store.close().await;
    let ring = dd.key_ring()?;
    let current = ring.current().id().clone();
    let mut destroyed = 0;
    for id in ring.ids() {
        if id != current && !in_use.contains(&id) {
            reunite_crypto::keyfile::destroy_key(&keys_dir, &id)
                .with_context(|| format!("cannot destroy the old key {id}"))?;
            destroyed += 1;
        }
    }
    println!(
        "Re-wrapped {} of {} data keys under {current}; destroyed {destroyed} old master key(s).",
        report.rewrapped, report.total
    );
    Ok(())
}

pub async fn audit(cmd: AuditCmd) -> Result<()> {
    let AuditCmd::Verify(a) = cmd;
    let dd = DataDir::load(&a.data)?;
    let store = open_store(&dd).await?;
    let bar = progress_bar(0, "verifying the audit chain");
    let report = store
        .verify_audit(&mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await?;
    bar.finish_and_clear();
    store.close().await;
    match report.broken {
        None => {
            println!(
                "The audit chain is intact: {} events checked.",
                report.events
            );
            Ok(())
        }
        Some(b) => {
            bail!(
                "the audit chain is broken at event {}: {} ({} events before it are intact)",
                b.seq,
                b.kind,
                report.events
            )
        }
    }
}

fn passphrase(file: Option<&Path>) -> Result<String> {
    let p = match file {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the passphrase file {}", f.display()))?
            .trim_end_matches(['\n', '\r'])
            .to_string(),
        None => std::env::var("REUNITE_BACKUP_PASSPHRASE").map_err(|_| {
            anyhow::anyhow!(
                "give the backup passphrase with --passphrase-file FILE or REUNITE_BACKUP_PASSPHRASE"
            )
        })?,
    };
    if p.chars().count() < reunite_crypto::backup::MIN_PASSPHRASE_CHARS {
        bail!(
            "the backup passphrase must have at least {} characters",
            reunite_crypto::backup::MIN_PASSPHRASE_CHARS
        );
    }
    Ok(p)
}

const BACKUP_HEADER: &str = "reunite-backup-v1";

pub async fn backup(a: BackupArgs) -> Result<()> {
    let pass = passphrase(a.passphrase_file.as_deref())?;
    let dd = DataDir::load(&a.data)?;
    if a.out.exists() {
        bail!("{} exists; choose a new file name", a.out.display());
    }
    let ring = dd.key_ring()?;
    let store = open_store(&dd).await?;
    store
        .append_audit(
            &NewAuditEvent {
                actor: "cli".into(),
                action: Action::Backup,
                subject: String::new(),
                detail: String::new(),
            },
            SystemClock.now(),
        )
        .await?;
    // The plaintext (keys and the dump, whose personal fields are still envelopes) exists
    // only in memory; the file gets only ciphertext.
    let mut plain: Vec<u8> = Vec::new();
    writeln!(plain, "{BACKUP_HEADER}")?;
    let mut keys: Vec<String> = vec![ring.current().to_text().to_string()];
    for id in ring.ids() {
        if &id != ring.current().id()
            && let Some(k) = ring.get(&id)
        {
            keys.push(k.to_text().to_string());
        }
    }
    writeln!(plain, "{}", keys.join(" "))?;
    let bar = progress_bar(0, "reading the database");
    let stats = store.dump(&mut plain, &mut |n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    store.close().await;
    let tmp = a.out.with_extension("partial");
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let file = open
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    let bar = progress_bar(plain.len() as u64, "encrypting");
    reunite_crypto::backup::encrypt(
        &pass,
        plain.as_slice(),
        std::io::BufWriter::new(file),
        &mut |n| bar.set_position(n),
    )?;
    bar.finish_and_clear();
    std::fs::rename(&tmp, &a.out)?;
    plain.iter_mut().for_each(|b| *b = 0);
    println!(
        "Wrote an encrypted backup of {} records to {}.",
        stats.total(),
        a.out.display()
    );
    Ok(())
}

pub async fn restore(a: RestoreArgs) -> Result<()> {
    let pass = passphrase(a.passphrase_file.as_deref())?;
    if !config::is_empty_dir(&a.data)? {
        bail!(
            "{} is not empty; restore only into a new or empty directory",
            a.data.display()
        );
    }
    let file = std::fs::File::open(&a.from)
        .with_context(|| format!("cannot open {}", a.from.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(size, "decrypting");
    let mut plain = Vec::new();
    // Everything is decrypted and authenticated before anything is written.
    reunite_crypto::backup::decrypt(&pass, std::io::BufReader::new(file), &mut plain, &mut |n| {
        bar.set_position(n)
    })
    .context("cannot decrypt the backup")?;
    bar.finish_and_clear();
    let mut reader = std::io::BufReader::new(plain.as_slice());
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if line.trim_end() != BACKUP_HEADER {
        bail!("{} is not a reunite backup", a.from.display());
    }
    line.clear();
    reader.read_line(&mut line)?;
    let mut keys = Vec::new();
    for text in line.split_whitespace() {
        keys.push(
            reunite_crypto::MasterKey::from_text(text).context("the backup's keys are damaged")?,
        );
    }
    let Some(current) = keys.first() else {
        bail!("the backup holds no master key");
    };
    config::create_private_dir(&a.data)?;
    let mut dd = DataDir {
        dir: a.data.clone(),
        config: config::Config::default(),
    };
    dd.write_config()?;
    dd.apply_env()?;
    let keys_dir = dd.keys_dir();
    config::create_private_dir(&keys_dir)?;
    reunite_crypto::keyfile::add_key(&keys_dir, current, true)?;
    for k in &keys[1..] {
        reunite_crypto::keyfile::add_key(&keys_dir, k, false)?;
    }
    let store = open_store(&dd).await?;
    let bar = progress_bar(0, "restoring records");
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest)?;
    let stats = store
        .restore_dump(&mut std::io::BufReader::new(rest.as_slice()), &mut |n| {
            bar.set_position(n)
        })
        .await?;
    bar.finish_and_clear();
    let report = store.verify_audit(&mut |_, _| {}).await?;
    if let Some(b) = report.broken {
        bail!(
            "restored, but the audit chain is broken at event {}: {}",
            b.seq,
            b.kind
        );
    }
    store
        .append_audit(
            &NewAuditEvent {
                actor: "cli".into(),
                action: Action::Restore,
                subject: String::new(),
                detail: String::new(),
            },
            SystemClock.now(),
        )
        .await?;
    store.close().await;
    plain.iter_mut().for_each(|b| *b = 0);
    println!(
        "Restored {} records into {}.",
        stats.total(),
        a.data.display()
    );
    Ok(())
}
