//! reunite-web
#![forbid(unsafe_code)]
