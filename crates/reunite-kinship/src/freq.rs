//! Allele frequency tables.
use std::collections::BTreeMap;

use crate::allele::{Allele, Marker};
use crate::error::{ParseError, ParseErrorKind};

/// The East Asian norSTR v2023 table shipped with the crate (MIT, see
/// `data/LICENSE-norSTR.md`): 40 markers (the shared README says 39; the file has 40), rare alleles floored at 0.001.
pub const DEFAULT_TABLE_TEXT: &str = include_str!("../data/east-asia-norSTR-v2023.txt");

/// The licence of [`DEFAULT_TABLE_TEXT`], to be shown with it.
pub const DEFAULT_TABLE_LICENSE: &str = include_str!("../data/LICENSE-norSTR.md");

/// The allele frequencies of one marker.
#[derive(Debug, Clone, PartialEq)]
pub struct LocusFrequencies {
    /// The marker's name as first written in the table (`Penta E`).
    pub name: String,
    /// Alleles in increasing order with their frequencies.
    pub alleles: Vec<(Allele, f64)>,
}

impl LocusFrequencies {
    /// The frequency of `allele`, if listed.
    pub fn get(&self, allele: Allele) -> Option<f64> {
        self.alleles
            .binary_search_by(|(a, _)| a.cmp(&allele))
            .ok()
            .map(|i| self.alleles[i].1)
    }

    /// Sum of the listed frequencies.
    pub fn total(&self) -> f64 {
        self.alleles.iter().map(|(_, p)| p).sum()
    }
}

/// Allele frequencies for a set of markers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrequencyTable {
    markers: BTreeMap<Marker, LocusFrequencies>,
}

fn parse_freq(s: &str) -> Result<f64, ParseErrorKind> {
    match s.trim().parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 1.0 => Ok(p),
        _ => Err(ParseErrorKind::Frequency(s.trim().to_string())),
    }
}

impl FrequencyTable {
    /// The shipped East Asian norSTR v2023 table.
    pub fn default_east_asia() -> Self {
        Self::parse_list(DEFAULT_TABLE_TEXT).expect("the shipped frequency table parses")
    }

    /// A table from already-read entries (`marker name`, allele, frequency).
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = (&'a str, Allele, f64)>,
    ) -> Result<Self, ParseErrorKind> {
        let mut t = Self::default();
        for (m, a, p) in entries {
            t.add(m, a, p)?;
        }
        Ok(t)
    }

    fn add(&mut self, marker: &str, allele: Allele, p: f64) -> Result<(), ParseErrorKind> {
        if !(p > 0.0 && p <= 1.0) {
            return Err(ParseErrorKind::Frequency(p.to_string()));
        }
        let loc = self
            .markers
            .entry(Marker::new(marker))
            .or_insert_with(|| LocusFrequencies {
                name: marker.to_string(),
                alleles: Vec::new(),
            });
        match loc.alleles.binary_search_by(|(a, _)| a.cmp(&allele)) {
            Ok(_) => Err(ParseErrorKind::DuplicateAllele {
                marker: marker.to_string(),
                allele: allele.to_string(),
            }),
            Err(i) => {
                loc.alleles.insert(i, (allele, p));
                Ok(())
            }
        }
    }

    /// Parses the list format: a marker name on its own line, then `allele<TAB>frequency`
    /// lines, a blank line between markers (`#` starts a comment line).
    pub fn parse_list(text: &str) -> Result<Self, ParseError> {
        let mut t = Self::default();
        let mut current: Option<String> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |kind| ParseError { line, kind };
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if raw.contains('\t') {
                let Some(m) = current.as_deref() else {
                    return Err(err(ParseErrorKind::AlleleBeforeMarker));
                };
                let f: Vec<&str> = l
                    .split('\t')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                if f.len() != 2 {
                    return Err(err(ParseErrorKind::FieldCount {
                        expected: 2,
                        found: f.len(),
                    }));
                }
                let a = Allele::parse(f[0]).map_err(|e| err(e.into()))?;
                let p = parse_freq(f[1]).map_err(err)?;
                t.add(m, a, p).map_err(err)?;
            } else {
                if t.markers.contains_key(&Marker::new(l)) {
                    return Err(err(ParseErrorKind::DuplicateMarker(l.to_string())));
                }
                current = Some(l.to_string());
            }
        }
        if t.markers.is_empty() {
            return Err(ParseError {
                line: text.lines().count().max(1),
                kind: ParseErrorKind::Empty,
            });
        }
        Ok(t)
    }

    /// Parses CSV `marker,allele,frequency` (header optional).
    pub fn parse_csv(text: &str) -> Result<Self, ParseError> {
        let mut t = Self::default();
        let mut first = true;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |kind| ParseError { line, kind };
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            if first && f[0].eq_ignore_ascii_case("marker") {
                first = false;
                continue;
            }
            first = false;
            if f.len() != 3 {
                return Err(err(ParseErrorKind::FieldCount {
                    expected: 3,
                    found: f.len(),
                }));
            }
            if f[0].is_empty() {
                return Err(err(ParseErrorKind::EmptyField("marker")));
            }
            let a = Allele::parse(f[1]).map_err(|e| err(e.into()))?;
            let p = parse_freq(f[2]).map_err(err)?;
            t.add(f[0], a, p).map_err(err)?;
        }
        if t.markers.is_empty() {
            return Err(ParseError {
                line: text.lines().count().max(1),
                kind: ParseErrorKind::Empty,
            });
        }
        Ok(t)
    }

    /// Parses either format: CSV when the first data line has two commas, the list format
    /// otherwise.
    pub fn parse_auto(text: &str) -> Result<Self, ParseError> {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        if first.matches(',').count() == 2 {
            Self::parse_csv(text)
        } else {
            Self::parse_list(text)
        }
    }

    /// The frequencies of `marker`.
    pub fn locus(&self, marker: &Marker) -> Option<&LocusFrequencies> {
        self.markers.get(marker)
    }

    /// All markers with their frequencies, by canonical name.
    pub fn loci(&self) -> impl Iterator<Item = (&Marker, &LocusFrequencies)> {
        self.markers.iter()
    }

    /// Number of markers.
    pub fn len(&self) -> usize {
        self.markers.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.markers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_parses() {
        let t = FrequencyTable::default_east_asia();
        assert_eq!(t.len(), 40);
        let penta = t.locus(&Marker::new("PENTA_E")).unwrap();
        assert_eq!(penta.name, "Penta E");
        let tpox = t.locus(&Marker::new("TPOX")).unwrap();
        assert_eq!(tpox.get(Allele::parse("8").unwrap()), Some(0.529882));
        for (_, l) in t.loci() {
            assert!(
                (l.total() - 1.0).abs() < 0.02,
                "{} sums to {}",
                l.name,
                l.total()
            );
        }
    }

    #[test]
    fn list_format_errors_have_line_numbers() {
        let e = FrequencyTable::parse_list("10\t0.5\n").unwrap_err();
        assert_eq!((e.line, e.kind), (1, ParseErrorKind::AlleleBeforeMarker));
        let e = FrequencyTable::parse_list("TH01\n6\t0.5\n7\tx\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = FrequencyTable::parse_list("TH01\n6\t0.5\n\nTH01\n6\t0.5\n").unwrap_err();
        assert_eq!(e.line, 4);
        let e = FrequencyTable::parse_list("TH01\n6\t0.5\n6\t0.2\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = FrequencyTable::parse_list("TH01\nOL\t0.5\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn csv_format() {
        let t = FrequencyTable::parse_auto("marker,allele,frequency\nTH01,9.3,0.3\nTH01,6,0.7\n")
            .unwrap();
        let l = t.locus(&Marker::new("th01")).unwrap();
        assert_eq!(l.alleles[0].0.to_string(), "6");
        let e = FrequencyTable::parse_csv("TH01,9.3,0.3\nTH01,6\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = FrequencyTable::parse_csv("TH01,9.3,0.3\nTH01,6,1.5\n").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
