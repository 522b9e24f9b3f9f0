//! The lifecycle of a case in the office: its status and who works on it. These are not part
//! of the interchange record ([`crate::Case`]) — another NGO's file carries no status — but
//! they are domain concepts the office filters and assigns by. Neither identifies anyone, so
//! the store keeps them in clear next to the sealed record.

use crate::vocab::Vocab;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Registered; tracing under way.
    #[default]
    Open,
    /// Mother and child (or a relative) are in contact through the office.
    InContact,
    /// They have met.
    Reunited,
    /// Closed (withdrawn, deceased, duplicate …).
    Closed,
}

impl CaseStatus {
    /// Stable identifier used in storage, URLs and forms ([`Vocab::as_str`]).
    pub fn as_str(self) -> &'static str {
        Vocab::as_str(self)
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a field path points, for messages: `children[1].birth.month` →
/// (`children.birth.month`, `Some(1)`) so that a user interface can look up one label per
/// field and say which child it means.
pub fn generic_path(path: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(path.len());
    let mut idx = Vec::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            let mut n = String::new();
            for d in chars.by_ref() {
                if d == ']' {
                    break;
                }
                n.push(d);
            }
            if let Ok(i) = n.parse() {
                idx.push(i);
            }
        } else {
            out.push(c);
        }
    }
    (out, idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in CaseStatus::ALL {
            assert_eq!(s.as_str().parse::<CaseStatus>(), Ok(s));
        }
        assert!("reopened".parse::<CaseStatus>().is_err());
        assert_eq!(CaseStatus::default(), CaseStatus::Open);
    }

    #[test]
    fn generic_paths() {
        assert_eq!(
            generic_path("children[1].names[0].text"),
            ("children.names.text".to_string(), vec![1, 0])
        );
        assert_eq!(
            generic_path("mother.birth.month"),
            ("mother.birth.month".to_string(), vec![])
        );
    }
}
