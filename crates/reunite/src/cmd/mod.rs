//! One module per subcommand family.
pub mod kinship;
pub mod names;
