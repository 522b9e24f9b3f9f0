//! Allele designations and marker names.
use std::fmt;

use crate::error::AlleleError;

/// An STR allele designation: a repeat number with an optional one-digit microvariant
/// (`9.3` = nine full repeats plus three bases). Stored in tenths of a repeat, so `9.3` is 93
/// and ordering is numeric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Allele(u32);

impl Allele {
    /// The allele with `tenths` tenths of a repeat (`Allele::from_tenths(93)` is `9.3`).
    pub const fn from_tenths(tenths: u32) -> Self {
        Self(tenths)
    }

    /// The designation in tenths of a repeat.
    pub const fn tenths(self) -> u32 {
        self.0
    }

    /// The number of full repeats (9 for `9.3`).
    pub const fn repeats(self) -> u32 {
        self.0 / 10
    }

    /// The microvariant digit (3 for `9.3`, 0 for `10`).
    pub const fn microvariant(self) -> u32 {
        self.0 % 10
    }

    /// Parses `10`, `9.3`, `17.4`. Off-ladder calls (`OL`) and anything non-numeric are
    /// rejected with a specific error so that a lab export with an unresolved call is never
    /// silently mistaken for a genotype.
    pub fn parse(s: &str) -> Result<Self, AlleleError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(AlleleError::Empty);
        }
        if t.eq_ignore_ascii_case("OL") || t.to_ascii_uppercase().starts_with("OL") {
            return Err(AlleleError::OffLadder(t.to_string()));
        }
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        let valid_int =
            !int.is_empty() && int.len() <= 4 && int.bytes().all(|b| b.is_ascii_digit());
        if !valid_int {
            return Err(AlleleError::Invalid(t.to_string()));
        }
        let repeats: u32 = int
            .parse()
            .map_err(|_| AlleleError::Invalid(t.to_string()))?;
        let micro = match frac {
            None => 0,
            Some(f) if f.len() == 1 && f.as_bytes()[0].is_ascii_digit() => {
                u32::from(f.as_bytes()[0] - b'0')
            }
            Some(_) => return Err(AlleleError::Invalid(t.to_string())),
        };
        Ok(Self(repeats * 10 + micro))
    }
}

impl fmt::Display for Allele {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.microvariant() == 0 {
            write!(f, "{}", self.repeats())
        } else {
            write!(f, "{}.{}", self.repeats(), self.microvariant())
        }
    }
}

impl std::str::FromStr for Allele {
    type Err = AlleleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A marker (locus) name, compared by a canonical key: upper case, letters and digits only,
/// so `Penta E`, `PENTA_E` and `PentaE` name the same marker, as do `vWA` and `VWA`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Marker(String);

impl Marker {
    /// The marker named `name` (any spelling).
    pub fn new(name: &str) -> Self {
        Self(
            name.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        )
    }

    /// The canonical key (`PENTAE`).
    pub fn key(&self) -> &str {
        &self.0
    }

    /// Sex-determining and Y markers that appear in genotype exports but carry no autosomal
    /// STR allele (Amelogenin, Yindel, DYS…); profile parsers skip them.
    pub fn is_non_autosomal(&self) -> bool {
        let k = self.0.as_str();
        k == "AMEL" || k.starts_with("AMELOGENIN") || k == "YINDEL" || k.starts_with("DYS")
    }
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_integers_and_microvariants() {
        assert_eq!(Allele::parse("10").unwrap().tenths(), 100);
        assert_eq!(Allele::parse(" 9.3 ").unwrap().tenths(), 93);
        assert_eq!(Allele::parse("9.3").unwrap().to_string(), "9.3");
        assert_eq!(Allele::parse("12").unwrap().to_string(), "12");
        assert!(Allele::parse("9.3").unwrap() < Allele::parse("10").unwrap());
    }

    #[test]
    fn rejects_off_ladder_and_garbage() {
        assert_eq!(
            Allele::parse("OL"),
            Err(AlleleError::OffLadder("OL".into()))
        );
        assert_eq!(
            Allele::parse("ol"),
            Err(AlleleError::OffLadder("ol".into()))
        );
        assert!(matches!(Allele::parse("X"), Err(AlleleError::Invalid(_))));
        assert!(matches!(
            Allele::parse("9.33"),
            Err(AlleleError::Invalid(_))
        ));
        assert!(matches!(Allele::parse("-1"), Err(AlleleError::Invalid(_))));
        assert_eq!(Allele::parse(""), Err(AlleleError::Empty));
    }

    #[test]
    fn marker_names_are_canonical() {
        assert_eq!(Marker::new("Penta E"), Marker::new("PENTA_E"));
        assert_eq!(Marker::new("vWA"), Marker::new("VWA"));
        assert!(Marker::new("AMEL").is_non_autosomal());
        assert!(!Marker::new("TH01").is_non_autosomal());
    }
}
