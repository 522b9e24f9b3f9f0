//! reunite-kinship
#![forbid(unsafe_code)]
