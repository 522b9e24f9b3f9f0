//! reunite-store
#![forbid(unsafe_code)]
