//! reunite-names
#![forbid(unsafe_code)]
