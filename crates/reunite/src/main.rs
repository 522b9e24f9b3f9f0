//! The `reunite` binary: command-line parsing and glue. Everything of substance lives in the
//! library crates; this file only routes subcommands to them and owns the process-level
//! concerns (logging, the system clock, progress bars).
#![forbid(unsafe_code)]

mod cmd;
mod config;
mod demo;

use clap::{Parser, Subcommand};

/// mimalloc instead of the C library's allocator: the batch linker allocates and frees
/// tens of millions of small objects (parsed lines, prepared names), where glibc's malloc
/// spent about a seventh of the CPU time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use reunite_domain::{Clock, Timestamp};

#[derive(Debug, Parser)]
#[command(
    name = "reunite",
    version,
    about = "Family tracing and reunion platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates a data directory: configuration, keys, database, first administrator.
    Init(cmd::platform::InitArgs),
    /// Runs the web server.
    Serve(cmd::platform::ServeArgs),
    /// Creates a throw-away installation with fictional data and serves it.
    Demo(cmd::platform::DemoArgs),
    /// Staff accounts made on the server (confirmed at once; on the office's pages an
    /// account made by one administrator waits for another).
    #[command(subcommand)]
    Users(cmd::users::UsersCmd),
    /// Master key operations.
    #[command(subcommand)]
    Keys(cmd::ops::KeysCmd),
    /// Audit trail operations.
    #[command(subcommand)]
    Audit(cmd::ops::AuditCmd),
    /// Writes an encrypted backup (keys and database) to a file.
    Backup(cmd::ops::BackupArgs),
    /// Restores an encrypted backup into a new data directory.
    Restore(cmd::ops::RestoreArgs),
    /// Links tracing requests to cases (batch, JSON Lines).
    Link(cmd::link::LinkArgs),
    /// Finds cases registered twice (batch, JSON Lines).
    Dedupe(cmd::link::DedupeArgs),
    /// Names across scripts: readings, romanization, comparison.
    #[command(subcommand)]
    Names(cmd::names::NamesCmd),
    /// Imports records from JSON Lines files.
    #[command(subcommand)]
    Import(cmd::cases::ImportCmd),
    /// Exports records as JSON Lines files.
    #[command(subcommand)]
    Export(cmd::cases::ExportCmd),
    /// DNA kinship: likelihood ratios and search.
    #[command(subcommand)]
    Kinship(cmd::kinship::KinshipCmd),
    /// Public intake: syncing with mirrors that keep their own database.
    #[command(subcommand)]
    Intake(cmd::intake::IntakeCmd),
}

/// The real clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(d.as_millis() as i64)
    }
}

/// Logs go to standard error, structured, without identifying values (the web tier logs
/// route patterns, never paths or addresses). SQL statement logging is kept at `warn`.
pub fn init_logging(filter: &str) {
    let filter = format!("{filter},sqlx=warn");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// A progress bar on standard error (hidden when standard error is not a terminal).
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    bar
}

/// Opens the store of a data directory.
pub async fn open_store(dd: &config::DataDir) -> anyhow::Result<reunite_store::Store> {
    let ring = dd.key_ring()?;
    let store =
        reunite_store::Store::open(reunite_store::OpenOptions::new(dd.database_url()), ring)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    Ok(store)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Names(c) => cmd::names::run(c),
        Command::Kinship(c) => cmd::kinship::run(c),
        Command::Link(a) => cmd::link::link(a),
        Command::Dedupe(a) => cmd::link::dedupe(a),
        other => runtime().and_then(|rt| {
            rt.block_on(async move {
                match other {
                    Command::Init(a) => cmd::platform::init(a).await,
                    Command::Serve(a) => cmd::platform::serve(a).await,
                    Command::Demo(a) => cmd::platform::demo(a).await,
                    Command::Users(c) => cmd::users::run(c).await,
                    Command::Keys(c) => cmd::ops::keys(c).await,
                    Command::Audit(c) => cmd::ops::audit(c).await,
                    Command::Backup(a) => cmd::ops::backup(a).await,
                    Command::Restore(a) => cmd::ops::restore(a).await,
                    Command::Import(c) => cmd::cases::import(c).await,
                    Command::Export(c) => cmd::cases::export(c).await,
                    Command::Intake(c) => cmd::intake::run(c).await,
                    Command::Names(_)
                    | Command::Kinship(_)
                    | Command::Link(_)
                    | Command::Dedupe(_) => Ok(()),
                }
            })
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
