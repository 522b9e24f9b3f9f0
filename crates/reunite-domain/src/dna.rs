//! DNA tests: the vocabulary of their workflow (the store keeps the tests themselves).

use crate::vocab::Vocab;
use serde::{Deserialize, Serialize};

/// Where a DNA test stands. Stored in clear: it identifies nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnaStatus {
    /// Registered in the office; samples not yet sent.
    Registered,
    /// Samples sent to the lab.
    SamplesSent,
    /// The lab's profiles were imported.
    ProfilesReceived,
    /// The report was issued.
    Reported,
    /// Cancelled.
    Cancelled,
}

impl DnaStatus {
    /// The stored spelling ([`Vocab::as_str`]).
    pub fn as_str(self) -> &'static str {
        Vocab::as_str(self)
    }

    /// Parses the stored spelling (as `FromStr` does).
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}
