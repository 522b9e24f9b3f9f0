//! `reunite link` and `reunite dedupe`.
use clap::Args;

/// `reunite link` arguments.
#[derive(Debug, Args)]
pub struct LinkArgs {}

/// `reunite dedupe` arguments.
#[derive(Debug, Args)]
pub struct DedupeArgs {}

/// Runs `reunite link`.
pub fn link(_args: LinkArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}

/// Runs `reunite dedupe`.
pub fn dedupe(_args: DedupeArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
