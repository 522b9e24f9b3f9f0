//! `reunite names …` subcommands.
use clap::Subcommand;

/// `reunite names` subcommands.
#[derive(Debug, Subcommand)]
pub enum NamesCmd {
    /// Placeholder until the subcommands land.
    Version,
}

/// Runs one `reunite names` subcommand.
pub fn run(cmd: NamesCmd) -> anyhow::Result<()> {
    match cmd {
        NamesCmd::Version => Ok(()),
    }
}
