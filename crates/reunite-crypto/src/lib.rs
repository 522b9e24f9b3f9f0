//! reunite-crypto
#![forbid(unsafe_code)]
