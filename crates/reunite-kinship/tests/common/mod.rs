//! Helpers shared by the integration tests.
#![allow(dead_code)]
use reunite_kinship::*;

/// A one-marker table `L` with the given alleles.
pub fn table(alleles: &[(&str, f64)]) -> FrequencyTable {
    FrequencyTable::from_entries(
        alleles
            .iter()
            .map(|(a, p)| ("L", Allele::parse(a).unwrap(), *p)),
    )
    .unwrap()
}

/// `"10/11"` → het, `"10/10"` or `"10"` → apparent homozygote.
pub fn g(s: &str) -> Genotype {
    match s.split_once('/') {
        Some((a, b)) => Genotype::pair(Allele::parse(a).unwrap(), Allele::parse(b).unwrap()),
        None => Genotype::Hom(Allele::parse(s).unwrap()),
    }
}

/// Profiles typed at marker `L`.
pub fn profiles(typed: &[(&str, &str)]) -> ProfileSet {
    let mut set = ProfileSet::new();
    for (person, geno) in typed {
        set.insert(Profile::new(person).with("L", g(geno)));
    }
    set
}

/// The combined LR.
pub fn lr(freqs: &FrequencyTable, p: &ProfileSet, h: &Hypothesis, o: &LrOptions) -> f64 {
    likelihood_ratio(freqs, p, h, o).unwrap().lr
}

/// Asserts `actual` within relative tolerance `rel` of `expected` (exactly 0 when 0).
#[track_caller]
pub fn close(actual: f64, expected: f64, rel: f64, what: &str) {
    if expected == 0.0 {
        assert_eq!(actual, 0.0, "{what}: expected 0, got {actual}");
    } else {
        let err = ((actual - expected) / expected).abs();
        assert!(
            err <= rel,
            "{what}: expected {expected}, got {actual} (relative error {err:e})"
        );
    }
}

/// The pedigree hypothesis from a string.
pub fn ped(s: &str) -> Hypothesis {
    Hypothesis::Pedigree(Pedigree::parse(s).unwrap())
}

/// The V1–V3 locus: 10=0.1, 11=0.2, 12=0.3, 13=0.4.
pub fn v1_table() -> FrequencyTable {
    table(&[("10", 0.1), ("11", 0.2), ("12", 0.3), ("13", 0.4)])
}
