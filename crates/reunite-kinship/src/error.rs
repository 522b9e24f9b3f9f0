//! Typed errors of the crate.
use thiserror::Error;

/// Why an allele designation could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AlleleError {
    /// The field was empty.
    #[error("empty allele")]
    Empty,
    /// An off-ladder call (`OL`): the size lies outside the allelic ladder, so the repeat
    /// number is unknown. It must be resolved in the lab before a kinship computation.
    #[error("off-ladder allele {0:?}: resolve the call before computing kinship")]
    OffLadder(String),
    /// Not a repeat number with at most one decimal digit.
    #[error("invalid allele {0:?}: expected a repeat number such as 12 or 9.3")]
    Invalid(String),
}

/// A malformed line in a frequency table or profile file.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    /// 1-based line number in the input.
    pub line: usize,
    /// What is wrong with the line.
    pub kind: ParseErrorKind,
}

/// What is wrong with one line of input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParseErrorKind {
    /// An allele field could not be read.
    #[error("{0}")]
    Allele(#[from] AlleleError),
    /// A frequency that is not a number in (0, 1].
    #[error("invalid frequency {0:?}: expected a number in (0, 1]")]
    Frequency(String),
    /// An `allele<TAB>frequency` line before any marker name.
    #[error("allele line before any marker name")]
    AlleleBeforeMarker,
    /// A marker listed twice (list format: two blocks with the same name).
    #[error("marker {0} listed twice")]
    DuplicateMarker(String),
    /// The same allele listed twice for one marker.
    #[error("allele {allele} listed twice for marker {marker}")]
    DuplicateAllele {
        /// Marker name.
        marker: String,
        /// Allele designation.
        allele: String,
    },
    /// Wrong number of fields.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Fields expected.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// A required column is absent from the header.
    #[error("header lacks the column {0:?}")]
    MissingColumn(&'static str),
    /// An empty person or marker name.
    #[error("empty {0}")]
    EmptyField(&'static str),
    /// A person typed twice at the same marker.
    #[error("person {person} has two genotypes for marker {marker}")]
    DuplicateGenotype {
        /// Person.
        person: String,
        /// Marker.
        marker: String,
    },
    /// The first allele is missing while the second is present.
    #[error("allele 1 is empty but allele 2 is not")]
    MissingFirstAllele,
    /// More than two alleles at one marker.
    #[error("more than two alleles at one marker")]
    TooManyAlleles,
    /// The input holds no data.
    #[error("no data")]
    Empty,
}

/// A pedigree description that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PedigreeError {
    /// A clause is not `father+mother>child`.
    #[error("clause {clause:?}: expected father+mother>child")]
    Syntax {
        /// The offending clause.
        clause: String,
    },
    /// A child listed with two different pairs of parents.
    #[error("{0} has two different pairs of parents")]
    TwoParentPairs(String),
    /// A person used as a father and as a mother.
    #[error("{0} is used both as a father and as a mother")]
    SexConflict(String),
    /// A person is their own ancestor.
    #[error("the pedigree has a cycle through {0}")]
    Cycle(String),
    /// The two persons of a pairwise relation are the same.
    #[error("{0} cannot be related to themself")]
    SamePerson(String),
    /// The pedigree is empty.
    #[error("empty pedigree")]
    Empty,
}

/// Errors of likelihood-ratio computations and searches.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum KinshipError {
    /// The pedigree is malformed.
    #[error(transparent)]
    Pedigree(#[from] PedigreeError),
    /// A person named by the hypothesis has no profile and must be typed.
    #[error("no profile for {0}")]
    UnknownPerson(String),
    /// The hypothesis has fewer than two typed persons.
    #[error("the hypothesis needs at least two typed persons; typed: {0:?}")]
    TooFewTyped(Vec<String>),
    /// An observed allele is absent from the frequency table and no minimum frequency is set.
    #[error(
        "allele {allele} of marker {marker} is not in the frequency table and no minimum frequency is configured"
    )]
    UnknownAllele {
        /// Marker.
        marker: String,
        /// Allele.
        allele: String,
    },
    /// More alleles at one locus than the compact representation holds.
    #[error("marker {0} has more than 254 alleles")]
    TooManyAlleles(String),
    /// The pedigree needs more enumeration than allowed at one locus.
    #[error(
        "marker {marker}: pedigree too complex ({states:.3e} genotype combinations); drop the mutation model or simplify the pedigree"
    )]
    TooComplex {
        /// Marker.
        marker: String,
        /// Estimated number of genotype combinations.
        states: f64,
    },
    /// An option out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A DVI problem that cannot be computed.
    #[error(transparent)]
    Dvi(#[from] crate::dvi::DviError),
}
