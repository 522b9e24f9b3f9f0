//! STR kinship statistics for reunite: profiles, allele frequencies, likelihood ratios of
//! pedigree hypotheses against "unrelated", and fast parent–child database search.
//!
//! The crate does no IO, reads no clock and holds no global mutable state: parsers take the
//! file content as `&str` and return typed errors that carry line numbers; the binary reads
//! the files.
//!
//! ```
//! use reunite_kinship::{FrequencyTable, ProfileSet, Hypothesis, Relation, LrOptions, likelihood_ratio};
//! let freqs = FrequencyTable::parse_csv("marker,allele,frequency\nTH01,10,0.1\nTH01,11,0.2\nTH01,12,0.3\nTH01,13,0.4\n").unwrap();
//! let profiles = ProfileSet::parse_csv("person,marker,allele1,allele2\nMO,TH01,10,11\nCH,TH01,10,11\n").unwrap();
//! let hyp = Hypothesis::pairwise(Relation::ParentChild, "MO", "CH");
//! let report = likelihood_ratio(&freqs, &profiles, &hyp, &LrOptions::default()).unwrap();
//! assert!((report.lr - 3.75).abs() < 1e-12);
//! ```
#![forbid(unsafe_code)]

mod allele;
mod dvi;
mod engine;
mod error;
mod exclusion;
mod freq;
mod locus;
mod lr;
mod mutation;
mod pairwise;
mod pedigree;
mod profile;
mod search;

pub use allele::{Allele, Marker};
pub use dvi::{
    Assignment, DviError, DviProblem, JointReport, MAX_ASSIGNMENTS, MissingPerson, PairPosterior,
    PairwiseMatrix, ReferenceFamily, Victim, joint_assignments, pairwise_lr,
};
pub use error::{AlleleError, KinshipError, ParseError, ParseErrorKind, PedigreeError};
pub use exclusion::{
    ExclusionReport, LocusExclusion, ParentageMarker, TrioMember, exclusion_power,
    exclusion_power_locus,
};
pub use freq::{DEFAULT_TABLE_LICENSE, DEFAULT_TABLE_TEXT, FrequencyTable, LocusFrequencies};
pub use lr::{
    FounderConvention, Hypothesis, LocusLr, LrOptions, LrReport, MinFrequency, likelihood_ratio,
    posterior_probability,
};
pub use mutation::{MutationModel, MutationSpec, mutation_matrix};
pub use pairwise::Relation;
pub use pedigree::{Pedigree, PedigreePerson, Sex};
pub use profile::{Genotype, Profile, ProfileSet};
pub use search::{ProfileDatabase, SearchHit, SearchOptions, SearchReport};
