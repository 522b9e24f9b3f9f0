//! STR profiles and their file formats.
use std::collections::{BTreeMap, HashMap};

use crate::allele::{Allele, Marker};
use crate::error::{ParseError, ParseErrorKind};

/// What was observed at one marker for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Genotype {
    /// Two different alleles (stored in increasing order).
    Het(Allele, Allele),
    /// One allele seen: an apparent homozygote. Without a silent allele this is `a/a`; with a
    /// silent allele configured it is `a/a` or `a/silent`. Files may write it `12,12` or `12,`.
    Hom(Allele),
    /// One allele seen and the other unknown (`a/?`, e.g. allelic drop-out suspected): the
    /// second allele may be anything.
    Partial(Allele),
}

impl Genotype {
    /// A genotype from two observed alleles in any order (`a == b` is an apparent homozygote).
    pub fn pair(a: Allele, b: Allele) -> Self {
        use std::cmp::Ordering::*;
        match a.cmp(&b) {
            Less => Self::Het(a, b),
            Greater => Self::Het(b, a),
            Equal => Self::Hom(a),
        }
    }

    /// The alleles seen (one or two).
    pub fn alleles(&self) -> impl Iterator<Item = Allele> {
        let (a, b) = match *self {
            Self::Het(a, b) => (a, Some(b)),
            Self::Hom(a) | Self::Partial(a) => (a, None),
        };
        std::iter::once(a).chain(b)
    }

    /// Reads the two allele fields of a profile row: `("12","13")`, `("12","12")`,
    /// `("12","")` (apparent homozygote) or `("12","?")` (second allele unknown).
    /// Returns `Ok(None)` when both fields are empty (marker not typed).
    pub fn from_fields(a1: &str, a2: &str) -> Result<Option<Self>, ParseErrorKind> {
        let (a1, a2) = (a1.trim(), a2.trim());
        match (a1.is_empty(), a2.is_empty()) {
            (true, true) => Ok(None),
            (true, false) => Err(ParseErrorKind::MissingFirstAllele),
            (false, true) => Ok(Some(Self::Hom(Allele::parse(a1)?))),
            (false, false) if a2 == "?" => Ok(Some(Self::Partial(Allele::parse(a1)?))),
            (false, false) => Ok(Some(Self::pair(Allele::parse(a1)?, Allele::parse(a2)?))),
        }
    }
}

/// One person's STR profile: marker → genotype.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    /// The person's identifier as written in the file.
    pub person: String,
    /// Genotypes by marker.
    pub loci: BTreeMap<Marker, Genotype>,
}

impl Profile {
    /// An empty profile for `person`.
    pub fn new(person: &str) -> Self {
        Self {
            person: person.to_string(),
            loci: BTreeMap::new(),
        }
    }

    /// Adds or replaces the genotype at `marker`.
    pub fn with(mut self, marker: &str, genotype: Genotype) -> Self {
        self.loci.insert(Marker::new(marker), genotype);
        self
    }

    /// The genotype at `marker`, if typed.
    pub fn get(&self, marker: &Marker) -> Option<&Genotype> {
        self.loci.get(marker)
    }
}

/// A set of profiles in file order, addressable by person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileSet {
    profiles: Vec<Profile>,
    index: HashMap<String, usize>,
}

impl ProfileSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a profile, replacing any earlier profile of the same person.
    pub fn insert(&mut self, profile: Profile) {
        match self.index.get(&profile.person) {
            Some(&i) => self.profiles[i] = profile,
            None => {
                self.index
                    .insert(profile.person.clone(), self.profiles.len());
                self.profiles.push(profile);
            }
        }
    }

    /// The profile of `person`.
    pub fn get(&self, person: &str) -> Option<&Profile> {
        self.index.get(person).map(|&i| &self.profiles[i])
    }

    /// All profiles in file order.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    fn add_row(
        &mut self,
        line: usize,
        person: &str,
        marker: &str,
        g: Genotype,
    ) -> Result<(), ParseError> {
        let err = |kind| ParseError { line, kind };
        let i = match self.index.get(person) {
            Some(&i) => i,
            None => {
                self.index.insert(person.to_string(), self.profiles.len());
                self.profiles.push(Profile::new(person));
                self.profiles.len() - 1
            }
        };
        let m = Marker::new(marker);
        if self.profiles[i].loci.insert(m, g).is_some() {
            return Err(err(ParseErrorKind::DuplicateGenotype {
                person: person.to_string(),
                marker: marker.to_string(),
            }));
        }
        Ok(())
    }

    /// Parses CSV `person,marker,allele1,allele2` (header optional; a missing or empty
    /// `allele2` means an apparent homozygote; `?` means the second allele is unknown).
    /// Amelogenin and Y markers are skipped. Every malformed line is an error with its line
    /// number.
    pub fn parse_csv(text: &str) -> Result<Self, ParseError> {
        let mut set = Self::new();
        let mut seen_data = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            if !seen_data && f.first().is_some_and(|s| s.eq_ignore_ascii_case("person")) {
                seen_data = true;
                continue;
            }
            seen_data = true;
            let err = |kind| ParseError { line, kind };
            if f.len() < 3 || f.len() > 4 {
                return Err(err(ParseErrorKind::FieldCount {
                    expected: 4,
                    found: f.len(),
                }));
            }
            if f[0].is_empty() {
                return Err(err(ParseErrorKind::EmptyField("person")));
            }
            if f[1].is_empty() {
                return Err(err(ParseErrorKind::EmptyField("marker")));
            }
            if Marker::new(f[1]).is_non_autosomal() {
                continue;
            }
            let g = Genotype::from_fields(f[2], f.get(3).copied().unwrap_or("")).map_err(err)?;
            if let Some(g) = g {
                set.add_row(line, f[0], f[1], g)?;
            }
        }
        Ok(set)
    }

    /// Parses a GeneMapper-style genotype table export: a header with the columns
    /// `Sample Name`, `Marker`, `Allele 1`, `Allele 2` (other columns ignored; tab-separated,
    /// or comma-separated when the header has no tab). Homozygotes may be written `12 12` or
    /// `12` with an empty `Allele 2`. Amelogenin and Y markers are skipped.
    pub fn parse_genemapper(text: &str) -> Result<Self, ParseError> {
        let mut set = Self::new();
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((h_i, header)) = lines.next() else {
            return Err(ParseError {
                line: 1,
                kind: ParseErrorKind::Empty,
            });
        };
        let sep = if header.contains('\t') { '\t' } else { ',' };
        let cols: Vec<String> = header
            .split(sep)
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let find = |name: &'static str| {
            cols.iter().position(|c| c == name).ok_or(ParseError {
                line: h_i + 1,
                kind: ParseErrorKind::MissingColumn(name),
            })
        };
        let (c_s, c_m, c_1, c_2) = (
            find("sample name")?,
            find("marker")?,
            find("allele 1")?,
            find("allele 2")?,
        );
        let extra: Vec<usize> = cols
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                *i != c_1 && *i != c_2 && c.starts_with("allele ") && c[7..].parse::<u32>().is_ok()
            })
            .map(|(i, _)| i)
            .collect();
        for (i, raw) in lines {
            let line = i + 1;
            let err = |kind| ParseError { line, kind };
            let f: Vec<&str> = raw.split(sep).map(str::trim).collect();
            // Trailing empty cells are often dropped by spreadsheet exports.
            let get = |c: usize| f.get(c).copied().unwrap_or("");
            if f.len() <= c_s.max(c_m) {
                return Err(err(ParseErrorKind::FieldCount {
                    expected: cols.len(),
                    found: f.len(),
                }));
            }
            let (person, marker) = (get(c_s), get(c_m));
            if person.is_empty() {
                return Err(err(ParseErrorKind::EmptyField("sample name")));
            }
            if marker.is_empty() {
                return Err(err(ParseErrorKind::EmptyField("marker")));
            }
            if Marker::new(marker).is_non_autosomal() {
                continue;
            }
            if extra.iter().any(|&c| !get(c).is_empty()) {
                return Err(err(ParseErrorKind::TooManyAlleles));
            }
            if let Some(g) = Genotype::from_fields(get(c_1), get(c_2)).map_err(err)? {
                set.add_row(line, person, marker, g)?;
            }
        }
        Ok(set)
    }

    /// Parses either format, choosing GeneMapper when the first non-empty line has a
    /// `Sample Name` column.
    pub fn parse_auto(text: &str) -> Result<Self, ParseError> {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if first.to_ascii_lowercase().contains("sample name") {
            Self::parse_genemapper(text)
        } else {
            Self::parse_csv(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Allele {
        Allele::parse(s).unwrap()
    }

    #[test]
    fn csv_profiles_with_microvariants_and_homozygotes() {
        let p = ProfileSet::parse_csv(
            "person,marker,allele1,allele2\nMO,TH01,9.3,6\nMO,vWA,17,17\nMO,D8S1179,13\nMO,AMEL,X,Y\nCH,TH01,9.3,?\n",
        )
        .unwrap();
        let mo = p.get("MO").unwrap();
        assert_eq!(
            mo.get(&Marker::new("TH01")),
            Some(&Genotype::Het(a("6"), a("9.3")))
        );
        assert_eq!(mo.get(&Marker::new("VWA")), Some(&Genotype::Hom(a("17"))));
        assert_eq!(
            mo.get(&Marker::new("D8S1179")),
            Some(&Genotype::Hom(a("13")))
        );
        assert_eq!(mo.loci.len(), 3);
        assert_eq!(
            p.get("CH").unwrap().get(&Marker::new("TH01")),
            Some(&Genotype::Partial(a("9.3")))
        );
    }

    #[test]
    fn csv_errors_carry_line_numbers() {
        let e =
            ProfileSet::parse_csv("person,marker,allele1,allele2\nMO,TH01,9.3,6\nMO,FGA,OL,22\n")
                .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(matches!(
            e.kind,
            ParseErrorKind::Allele(crate::AlleleError::OffLadder(_))
        ));
        let e = ProfileSet::parse_csv("MO,TH01,6,7\n\nMO,TH01,6,8\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(matches!(e.kind, ParseErrorKind::DuplicateGenotype { .. }));
        let e = ProfileSet::parse_csv("MO,TH01\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.to_string().starts_with("line 1:"));
    }

    #[test]
    fn genemapper_export() {
        let text = "Sample Name\tPanel\tMarker\tAllele 1\tAllele 2\tAllele 3\n\
                    S1\tGF\tTH01\t6\t9.3\t\n\
                    S1\tGF\tAMEL\tX\tY\t\n\
                    S1\tGF\tFGA\t22\t\t\n\
                    S1\tGF\tvWA\t17\t17\n";
        let p = ProfileSet::parse_auto(text).unwrap();
        let s1 = p.get("S1").unwrap();
        assert_eq!(s1.loci.len(), 3);
        assert_eq!(s1.get(&Marker::new("FGA")), Some(&Genotype::Hom(a("22"))));
        assert_eq!(s1.get(&Marker::new("VWA")), Some(&Genotype::Hom(a("17"))));
        let bad = "Sample Name\tMarker\tAllele 1\tAllele 2\nS1\tTH01\t6\t9.3\nS1\tFGA\tOL\t\n";
        assert_eq!(ProfileSet::parse_genemapper(bad).unwrap_err().line, 3);
        let no_col = "Sample\tMarker\tAllele 1\tAllele 2\n";
        assert_eq!(
            ProfileSet::parse_genemapper(no_col).unwrap_err().kind,
            ParseErrorKind::MissingColumn("sample name")
        );
    }
}
