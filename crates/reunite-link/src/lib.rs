//! reunite-link
#![forbid(unsafe_code)]
