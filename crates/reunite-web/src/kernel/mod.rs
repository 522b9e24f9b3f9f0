//! Cross-cutting machinery that every feature uses: errors and their pages, rendering,
//! security headers, rate limits, messages in three languages, the sensitive-word list.

pub mod client;
pub(crate) mod error;
pub(crate) mod forms;
pub(crate) mod headers;
pub mod i18n;
pub(crate) mod kdf;
pub(crate) mod ratelimit;
pub(crate) mod render;
pub(crate) mod serve;
pub(crate) mod state;
pub(crate) mod vocab;
pub mod words;
