//! `reunite kinship …` subcommands.
use clap::Subcommand;

/// `reunite kinship` subcommands.
#[derive(Debug, Subcommand)]
pub enum KinshipCmd {
    /// Placeholder until the subcommands land.
    Version,
}

/// Runs one `reunite kinship` subcommand.
pub fn run(cmd: KinshipCmd) -> anyhow::Result<()> {
    match cmd {
        KinshipCmd::Version => Ok(()),
    }
}
