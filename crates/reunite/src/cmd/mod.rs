//! One module per subcommand family.
pub mod cases;
pub mod intake;
pub mod kinship;
pub mod link;
pub mod names;
pub mod ops;
pub mod platform;
pub mod travel;
pub mod users;
