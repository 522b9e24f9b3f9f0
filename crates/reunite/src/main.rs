//! The `reunite` binary: command-line parsing and glue. Everything of substance lives in the
//! library crates; this file only routes subcommands to them.
#![forbid(unsafe_code)]

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "reunite", version, about = "Family tracing and reunion platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Names across scripts: readings, romanization, comparison.
    #[command(subcommand)]
    Names(cmd::names::NamesCmd),
    /// DNA kinship: likelihood ratios and search.
    #[command(subcommand)]
    Kinship(cmd::kinship::KinshipCmd),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Names(c) => cmd::names::run(c),
        Command::Kinship(c) => cmd::kinship::run(c),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
