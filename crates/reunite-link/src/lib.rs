//! Probabilistic record linkage of tracing requests and cases.
//!
//! A tracing request (what a child files) is compared with a case (what a mother registers)
//! field by field — names across scripts through `reunite-names`, dates partial, approximate
//! and lunar, places through a small gazetteer — and each comparison reaches a graded level.
//! Fellegi–Sunter turns the levels into log2 Bayes factors: m-probabilities by EM on the
//! blocked pairs, u-probabilities from random pairs, the prior from the data, and surnames
//! adjusted by their frequency. Every match carries an explanation whose entries add up, with
//! the prior, to its weight.
//!
//! Two ways in: [`Index`] (insert, update, remove, search one request; what the web tier
//! calls) and [`batch::Linker`] (stream cases against many requests; what `reunite link`
//! runs). No IO, no clock, no global mutable state; randomness takes a seed.
#![forbid(unsafe_code)]

pub mod batch;
pub mod block;
pub mod compare;
pub mod dates;
pub mod gazetteer;
pub mod generate;
pub mod index;
pub mod model;
pub mod prepared;

pub use batch::{BatchConfig, Linker, Stats};
pub use index::{Index, SearchOptions};
pub use model::{Params, ParamsError};
pub use prepared::PRecord;
