//! reunite-domain
#![forbid(unsafe_code)]
