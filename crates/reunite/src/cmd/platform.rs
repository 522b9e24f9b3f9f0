//! `reunite init`, `reunite serve`, `reunite demo`.

use crate::config::{self, DataDir};
use crate::{SystemClock, open_store};
use anyhow::{Context, Result, bail};
use clap::Args;
use reunite_domain::{Action, Clock, Lang, NewAuditEvent, Role, Username};
use reunite_store::NewUser;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `reunite init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The data directory to create (must be missing or empty).
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
    /// The first administrator's user name.
    #[arg(long, default_value = "admin")]
    pub admin: String,
}

/// `reunite serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The data directory.
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
    /// Address to listen on (overrides the configuration).
    #[arg(long)]
    pub listen: Option<String>,
    /// `all`: office and public pages (needs the master key); `intake`: only the public
    /// pages, with only the office's public key and the peppers (DIR/intake.keys).
    #[arg(long, value_enum, default_value = "all")]
    pub role: ServeRole,
}

/// What a `serve` process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServeRole {
    /// The office and the public pages.
    All,
    /// Only the public pages (a mirror).
    Intake,
}

/// `reunite demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Data directory to use (a new temporary one if not given). A directory an earlier
    /// `reunite demo` made is reopened as it was left.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Port to listen on, on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

/// What `init` created.
pub struct Initialised {
    pub admin: String,
    pub password: reunite_crypto::Zeroizing<String>,
}

/// Creates a data directory: configuration, keys, database, system keys, first admin.
pub async fn init_dir(dir: &Path, admin: &str) -> Result<Initialised> {
    let admin_name = Username::parse(admin)
        .map_err(|e| anyhow::anyhow!("the administrator name {admin:?} is not valid: {e}"))?;
    if !config::is_empty_dir(dir)? {
        bail!(
            "{} is not empty; init needs a new or empty directory so that nothing is overwritten",
            dir.display()
        );
    }
    config::create_private_dir(dir)?;
    let mut dd = DataDir {
        dir: dir.to_path_buf(),
        config: config::Config::default(),
    };
    // Settings given through the environment at init (say REUNITE_DATABASE_URL) are kept
    // in the configuration file so that later commands find the same database.
    dd.apply_env()?;
    dd.write_config()?;
    if std::env::var("REUNITE_MASTER_KEY_FILE").is_ok() {
        bail!("unset REUNITE_MASTER_KEY_FILE for init: init creates the keys in DIR/keys");
    }
    reunite_crypto::keyfile::create_dir(&dd.keys_dir()).context("cannot create the keys")?;
    let store = open_store(&dd).await?;
    let clock = SystemClock;
    let now = clock.now();
    if store.count_users().await? > 0 {
        bail!("the database already has accounts; init does not touch an existing database");
    }
    store.ensure_system_keys(now).await?;
    store.ensure_intake_keys(now).await?;
    write_intake_keys(&store, &dd).await?;
    store
        .append_audit(
            &NewAuditEvent {
                actor: "cli".into(),
                action: Action::Init,
                subject: String::new(),
                detail: String::new(),
            },
            now,
        )
        .await?;
    let password = reunite_crypto::random_password();
    let pw = password.to_string();
    let phc = tokio::task::spawn_blocking(move || {
        reunite_crypto::hash_password(&reunite_crypto::PasswordPolicy::PRODUCTION, &pw)
    })
    .await??;
    store
        .create_user(
            &NewUser {
                username: admin_name.clone(),
                role: Role::Admin,
                password_phc: phc,
                lang: Lang::Ko,
                must_change_password: true,
            },
            "cli",
            now,
        )
        .await?;
    store.close().await;
    Ok(Initialised {
        admin: admin_name.expose().to_string(),
        password,
    })
}

pub async fn init(args: InitArgs) -> Result<()> {
    let done = init_dir(&args.data, &args.admin).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Created the data directory {}", args.data.display())?;
    writeln!(out, "First administrator: {}", done.admin)?;
    writeln!(
        out,
        "One-time password:   {}   (shown once; change it and set up a second factor at first sign-in)",
        done.password.as_str()
    )?;
    Ok(())
}

/// Writes the mirror key file `DIR/intake.keys` (0600): the office's public key and the two
/// peppers; copy it into a mirror's data directory.
async fn write_intake_keys(store: &reunite_store::Store, dd: &DataDir) -> Result<()> {
    let text = store.export_intake_keys().await?;
    let path = dd.dir.join(config::INTAKE_KEYS_FILE);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

fn intake_config(dd: &DataDir) -> Result<reunite_web::IntakeConfig> {
    Ok(reunite_web::IntakeConfig {
        prefix: dd.config.public_prefix.clone(),
        title: dd.config.public_title.clone(),
        exit_url: dd.config.public_exit_url.clone(),
        tls: dd.config.tls,
        client_address: dd.client_address()?,
        ..reunite_web::IntakeConfig::default()
    })
}

/// Behind a proxy on this host every client looks like the proxy: say so at start when no
/// proxy is trusted and the listen address is loopback (no client address is logged).
fn warn_if_proxy_untrusted(dd: &DataDir) {
    let loopback = dd
        .config
        .listen
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback());
    if loopback && dd.config.trusted_proxies.is_empty() {
        tracing::warn!(
            "listening on loopback with no trusted_proxies: behind a proxy every client shares \
             one rate limit (see README, \"Running it for real\")"
        );
    }
}

/// Deletes unmatched requests and unused codes past the retention period, every hour.
fn spawn_intake_retention(store: reunite_store::IntakeStore, clock: Arc<dyn Clock>, days: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match reunite_web::purge_expired(&store, clock.now(), days).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "intake retention"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "intake retention failed"),
            }
        }
    });
}

/// Opens and matches new tracing requests against every case, every `secs` seconds (the
/// first run builds the matching index).
fn spawn_matcher(
    store: reunite_store::Store,
    clock: Arc<dyn Clock>,
    settings: reunite_store::MatchSettings,
    secs: u64,
) {
    tokio::spawn(async move {
        if let Err(e) = store.refresh_match_index().await {
            tracing::warn!(error = %e, "matching index failed");
        }
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs.max(1)));
        loop {
            tick.tick().await;
            // Cases changed elsewhere (an import, another office process) first, then the
            // requests filed since the last run.
            match store.match_changed_cases(settings, clock.now()).await {
                Ok(n) if n > 0 => tracing::info!(proposed = n, "matched changed cases"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "matching changed cases failed"),
            }
            match store.match_new_requests(settings, 200, clock.now()).await {
                Ok(r) if r.requests > 0 => tracing::info!(
                    requests = r.requests,
                    proposed = r.proposed,
                    unreadable = r.unreadable,
                    "matched new requests"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "matching failed"),
            }
        }
    });
}

pub async fn serve(args: ServeArgs) -> Result<()> {
    let mut dd = DataDir::load(&args.data)?;
    if let Some(l) = args.listen {
        dd.config.listen = l;
    }
    crate::init_logging(&dd.config.log);
    warn_if_proxy_untrusted(&dd);
    match args.role {
        ServeRole::All => run_server(&dd, None).await,
        ServeRole::Intake => run_intake(&dd).await,
    }
}

/// A mirror: only the public pages, with only the public key and the peppers. The master
/// key and the office's secret key are never loaded (and need not exist on this host).
async fn run_intake(dd: &DataDir) -> Result<()> {
    let path = std::env::var("REUNITE_INTAKE_KEYS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| dd.dir.join(config::INTAKE_KEYS_FILE));
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the intake key file {} (copy DIR/intake.keys from the office)",
            path.display()
        )
    })?;
    // Refuses equal peppers.
    let keys = reunite_store::IntakeKeys::from_text(&text)
        .with_context(|| format!("{} is not a valid intake key file", path.display()))?;
    let store =
        reunite_store::IntakeStore::open(reunite_store::OpenOptions::new(dd.database_url()))
            .await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    spawn_intake_retention(
        store.clone(),
        clock.clone(),
        dd.config.intake_retention_days,
    );
    let state = reunite_web::IntakeState::new(keys, store, clock, intake_config(dd)?);
    let listener = tokio::net::TcpListener::bind(&dd.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", dd.config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(backend = state_backend(dd), "serving the public pages only");
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "reunite (intake) is listening on http://{addr}{}",
            dd.config.public_prefix
        )?;
        out.flush()?;
    }
    // Connection limits; a trusted proxy is exempt from the per-client cap.
    let limits = reunite_web::ServeLimits {
        client_address: dd.client_address()?,
        ..reunite_web::ServeLimits::default()
    };
    reunite_web::serve_router_with(listener, reunite_web::intake_router(state), &limits).await?;
    Ok(())
}

/// Opens everything and serves until stopped. `banner` is printed once listening.
async fn run_server(dd: &DataDir, banner: Option<String>) -> Result<()> {
    let store = open_store(dd).await?;
    if !store.is_initialized().await? {
        bail!("the database has not been initialised; run `reunite init` first");
    }
    // Build the case search index now, not at the first search.
    store.warm_case_index();
    let matching = reunite_store::MatchSettings {
        threshold: dd.config.match_threshold,
        ..reunite_store::MatchSettings::default()
    };
    let cfg = reunite_web::WebConfig {
        title: dd.config.title.clone(),
        tls: dd.config.tls,
        totp_issuer: dd.config.title.clone(),
        matching,
        checkin: dd.config.travel.checkin(&dd.config.public_exit_url),
        client_address: dd.client_address()?,
        office_tz: dd.config.office_tz.clone(),
        ..reunite_web::WebConfig::default()
    };
    // Pay for the dummy hash now, not on the first unknown-user sign-in.
    let policy = cfg.password_policy;
    tokio::task::spawn_blocking(move || reunite_crypto::dummy_verify(&policy, "warm-up")).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let listener = tokio::net::TcpListener::bind(&dd.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", dd.config.listen))?;
    let addr = listener.local_addr()?;
    spawn_session_sweeper(store.clone(), clock.clone());
    // Installations created before intake existed get their office key pair and peppers now.
    store.ensure_intake_keys(clock.now()).await?;
    let intake = reunite_web::IntakeState::new(
        store.intake_keys().await?,
        store.intake(),
        clock.clone(),
        intake_config(dd)?,
    );
    spawn_intake_retention(
        store.intake(),
        clock.clone(),
        dd.config.intake_retention_days,
    );
    spawn_matcher(
        store.clone(),
        clock.clone(),
        matching,
        dd.config.match_interval_secs,
    );
    crate::cmd::travel::spawn_jobs(store.clone(), clock.clone(), &dd.config.travel);
    let limits = reunite_web::ServeLimits::from_config(&cfg);
    let state = reunite_web::OfficeState::new(store, clock, cfg);
    tracing::info!(backend = state_backend(dd), "serving");
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "reunite is listening on http://{addr}/office")?;
        if let Some(b) = banner {
            writeln!(out, "{b}")?;
        }
        out.flush()?;
    }
    let app = reunite_web::combined_router(intake, reunite_web::router(state));
    reunite_web::serve_router_with(listener, app, &limits).await?;
    Ok(())
}

fn state_backend(dd: &DataDir) -> &'static str {
    reunite_store::Backend::from_url(&dd.database_url())
        .map(|b| b.name())
        .unwrap_or("unknown")
}

/// Deletes expired sessions every minute.
fn spawn_session_sweeper(store: reunite_store::Store, clock: Arc<dyn Clock>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = clock.now();
            let d = reunite_web::WebConfig::default();
            if let Err(e) = store
                .purge_sessions(
                    now.plus_secs(-d.session_idle_secs),
                    now.plus_secs(-d.session_absolute_secs),
                )
                .await
            {
                tracing::warn!(error = %e, "session sweep failed");
            }
        }
    });
}

/// The file that marks a data directory as a demo's (so `demo --data DIR` may reopen it).
const DEMO_MARKER: &str = "DEMO";

pub async fn demo(args: DemoArgs) -> Result<()> {
    let dir = match args.data {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "reunite-demo-{}",
            &reunite_crypto::random_token()[..10].to_lowercase()
        )),
    };
    let marker = dir.join(DEMO_MARKER);
    if !config::is_empty_dir(&dir)? {
        if !marker.exists() {
            bail!(
                "{} holds data that `reunite demo` did not make; `reunite serve --data {}` \
                 serves an installation",
                dir.display(),
                dir.display()
            );
        }
        let mut dd = DataDir::load(&dir)?;
        dd.config.listen = format!("127.0.0.1:{}", args.port);
        dd.write_config()?;
        crate::init_logging(&dd.config.log);
        let banner = format!(
            "DEMO (reopened) — every record here is fictional.\n\
             Data directory: {}\n\
             Sign in as caseworker or admin with the passwords you chose; the one-time\n\
             passwords were shown once, when this demo was made.",
            dir.display()
        );
        return run_server(&dd, Some(banner)).await;
    }
    let done = init_dir(&dir, "admin").await?;
    std::fs::write(
        &marker,
        "Made by `reunite demo`: every record here is fictional.\n",
    )?;
    let mut dd = DataDir::load(&dir)?;
    dd.config.listen = format!("127.0.0.1:{}", args.port);
    dd.config.title = "Notes (demo)".into();
    dd.write_config()?;
    crate::init_logging(&dd.config.log);
    let store = open_store(&dd).await?;
    let caseworker_password = crate::demo::load(&store, &SystemClock).await?;
    store.close().await;
    let banner = format!(
        "DEMO — every record here is fictional.\n\
         Data directory: {}\n\
         Casework:       sign in as {}, one-time password {}\n\
         Administration: sign in as admin, one-time password {}\n\
         (each password is one-time: you will choose a new one and set up a second factor;\n\
          the administrator assigns cases and manages accounts but reads no case)",
        dir.display(),
        crate::demo::DEMO_CASEWORKER,
        caseworker_password.as_str(),
        done.password.as_str()
    );
    run_server(&dd, Some(banner)).await
}
