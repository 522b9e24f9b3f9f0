//! The `reunite` binary.
#![forbid(unsafe_code)]
fn main() {}
