//! `reunite users add`: a staff account made on the server itself.
//!
//! It is confirmed at once. On the office's pages an account made by one administrator waits
//! until another confirms it (issue 16, finding 8), but whoever runs commands on the server
//! already holds the master key, so a second administrator would add nothing here. This is
//! how an office with a single administrator makes its second one.

use crate::config::DataDir;
use crate::{SystemClock, open_store};
use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use reunite_domain::{Clock, Lang, Role, Username};
use reunite_store::{NewUser, StoreError};
use std::io::Write;
use std::path::PathBuf;

/// `reunite users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Creates a staff account, confirmed at once, and prints its one-time password once.
    Add(AddArgs),
}

/// `reunite users add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The data directory.
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
    /// The new account's user name.
    #[arg(long)]
    pub username: String,
    /// What the account may do.
    #[arg(long, value_enum)]
    pub role: StaffRole,
    /// The account's interface language.
    #[arg(long, value_enum, default_value = "ko")]
    pub lang: UiLang,
}

/// The staff roles (a mother's member account is made for her case in the office).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StaffRole {
    /// Accounts, keys, backups, the audit trail.
    Admin,
    /// Cases, matches, disclosures, travel safety.
    Caseworker,
    /// Testimony intake and witness review.
    Reviewer,
    /// Aggregate statistics only.
    Researcher,
}

impl From<StaffRole> for Role {
    fn from(r: StaffRole) -> Role {
        match r {
            StaffRole::Admin => Role::Admin,
            StaffRole::Caseworker => Role::Caseworker,
            StaffRole::Reviewer => Role::Reviewer,
            StaffRole::Researcher => Role::Researcher,
        }
    }
}

/// The interface languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UiLang {
    /// 한국어
    Ko,
    /// 简体中文
    Zh,
    /// English
    En,
}

impl From<UiLang> for Lang {
    fn from(l: UiLang) -> Lang {
        match l {
            UiLang::Ko => Lang::Ko,
            UiLang::Zh => Lang::Zh,
            UiLang::En => Lang::En,
        }
    }
}

pub async fn run(cmd: UsersCmd) -> Result<()> {
    let UsersCmd::Add(a) = cmd;
    let username = Username::parse(&a.username)
        .map_err(|e| anyhow!("the user name {:?} is not valid: {e}", a.username))?;
    let dd = DataDir::load(&a.data)?;
    let store = open_store(&dd).await?;
    let password = reunite_crypto::random_password();
    let pw = password.to_string();
    let phc = tokio::task::spawn_blocking(move || {
        reunite_crypto::hash_password(&reunite_crypto::PasswordPolicy::PRODUCTION, &pw)
    })
    .await??;
    let role = Role::from(a.role);
    let created = store
        .create_user(
            &NewUser {
                username: username.clone(),
                role,
                password_phc: phc,
                lang: a.lang.into(),
                must_change_password: true,
            },
            "cli",
            SystemClock.now(),
        )
        .await;
    store.close().await;
    match created {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            bail!("the user name {} is already taken", username.expose())
        }
        Err(e) => return Err(e.into()),
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Created the account {} ({})",
        username.expose(),
        role.as_str()
    )?;
    writeln!(
        out,
        "One-time password:   {}   (shown once; change it and set up a second factor at first sign-in)",
        password.as_str()
    )?;
    Ok(())
}
