//! DNA tests in the office: register a test from a case, follow its status and chain of
//! custody, import the lab's profile file, compute the likelihood ratio with the chosen
//! frequency table, and issue the report (page and PDF) a nationality application needs.
//!
//! Who: the case's assigned caseworker, or an admin; nobody else. Profiles are never shown
//! in a list. The test page, the report and the PDF need a recent re-authentication; the
//! store audits every read (`dna_test`, `dna_report`) before anything is decrypted.
//!
//! The PDF is the report page printed by headless Chromium (`chromium --headless
//! --print-to-pdf`), found as `REUNITE_CHROMIUM` or `chromium`/`chromium-browser` on `PATH`:
//! Chromium shapes Korean and Chinese with the system's fonts (Noto CJK on Debian:
//! `fonts-noto-cjk`), so the PDF is the same document as the printed page, with no font
//! shipped by us. Without Chromium the page says so and the browser's own "print to PDF"
//! remains.

mod list;
mod pdf;
mod profiles;
mod report;
mod view;

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::i18n::Tr;
use axum::Router;
use axum::routing::{get, post};
use reunite_kinship::{
    FrequencyTable, LrOptions, MinFrequency, MutationModel, MutationSpec, Relation,
};
use reunite_store::{DnaDetails, DnaStatus, TestedPerson};
use std::sync::LazyLock;

/// The frequency database offered (the one shipped with the kinship library).
const TABLE_ID: &str = "east-asia-norstr-v2023";
/// The setting that overrides the reporting threshold.
const THRESHOLD_SETTING: &str = "dna.lr_threshold";
/// The default threshold: LR ≥ 10,000.
const DEFAULT_THRESHOLD: f64 = 10_000.0;
/// Largest profile file accepted (a 40-locus trio is a few kB).
const MAX_PROFILE_BYTES: usize = 256 * 1024;

static TABLE: LazyLock<FrequencyTable> = LazyLock::new(FrequencyTable::default_east_asia);

/// The relatives the tested person may be, with the relationship each one means to the
/// child. The mother first (the default); the others when the mother cannot be tested. All
/// relatives are on the mother's side, so the connecting parent is female.
const RELATIVES: [(&str, Relation); 7] = [
    ("mother", Relation::ParentChild),
    ("grandmother", Relation::Grandparent),
    ("grandfather", Relation::Grandparent),
    ("aunt", Relation::AuntUncle),
    ("uncle", Relation::AuntUncle),
    ("full_sibling", Relation::FullSiblings),
    ("half_sibling", Relation::HalfSiblings),
];

fn relation_of(role: &str) -> Option<Relation> {
    RELATIVES.iter().find(|(r, _)| *r == role).map(|(_, x)| *x)
}

/// The options of a computation: HWE (θ = 0) and the shipped table's floor of 0.001 for
/// rare and unlisted alleles. For mother–child, Familias' stepwise mutation model (rate
/// 0.002 per transmission, range 0.1), so that a single mutation lowers the LR instead of
/// excluding. The other relationships share no allele necessarily (κ0 > 0), so nothing is
/// excluded by one marker and no mutation model is used (with one, the aunt/uncle pedigree
/// is too large to enumerate at some markers).
pub(crate) fn lr_options(relation: Relation) -> LrOptions {
    let mutation = if relation == Relation::ParentChild {
        MutationSpec::new(MutationModel::Stepwise, 0.002)
    } else {
        MutationSpec::none()
    };
    LrOptions {
        theta: 0.0,
        mutation,
        min_frequency: MinFrequency::Floor(0.001),
        ..LrOptions::default()
    }
}

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route(
            "/office/cases/{id}/dna",
            get(list::list).post(list::register),
        )
        .route("/office/dna/{tid}", get(view::view))
        .route("/office/dna/{tid}/update", post(view::update))
        .route("/office/dna/{tid}/profiles", post(profiles::upload))
        .route("/office/dna/{tid}/report", get(report::report))
        .route("/office/dna/{tid}/report.pdf", get(report::report_pdf))
}

// ---------------------------------------------------------------------------------------
// Access

// ---------------------------------------------------------------------------------------
// Labels

fn role_label(t: Tr, role: &str) -> &'static str {
    match role {
        "mother" => t.s("dna.role.mother"),
        "grandmother" => t.s("dna.role.grandmother"),
        "grandfather" => t.s("dna.role.grandfather"),
        "aunt" => t.s("dna.role.aunt"),
        "uncle" => t.s("dna.role.uncle"),
        "full_sibling" => t.s("dna.role.full_sibling"),
        "half_sibling" => t.s("dna.role.half_sibling"),
        "child" => t.s("dna.role.child"),
        _ => t.s("case.unknown"),
    }
}

/// H1 in words for the relative's role.
fn h1_text(t: Tr, role: &str, a: &str, b: &str) -> String {
    let key = match role {
        "mother" => "dna.h1.mother",
        "grandmother" | "grandfather" => "dna.h1.grandparent",
        "aunt" | "uncle" => "dna.h1.aunt_uncle",
        "full_sibling" => "dna.h1.full_sibling",
        _ => "dna.h1.half_sibling",
    };
    t.f(key, &[("a", a), ("b", b), ("role", role_label(t, role))])
}

fn relatives(t: Tr) -> Vec<(&'static str, &'static str)> {
    RELATIVES
        .iter()
        .map(|(r, _)| (*r, role_label(t, r)))
        .collect()
}

fn person(d: &DnaDetails, i: usize) -> TestedPerson {
    d.persons.get(i).cloned().unwrap_or_default()
}

/// A date as typed: empty, or `YYYY-MM-DD`.
fn valid_date(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() {
        return true;
    }
    let p: Vec<&str> = s.split('-').collect();
    p.len() == 3
        && p[0].len() == 4
        && p.iter()
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
        && p[1].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
        && p[2].parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
}

fn valid_sample(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty() && s.len() <= 64 && !s.contains([',', '\t', '\n', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use reunite_domain::Lang;
    use reunite_kinship::{Hypothesis, ProfileSet, likelihood_ratio};

    #[test]
    fn dates_and_samples_are_checked() {
        assert!(valid_date(""));
        assert!(valid_date("2026-03-02"));
        assert!(!valid_date("2026-13-02"));
        assert!(!valid_date("2 March"));
        assert!(valid_sample("MO-1"));
        assert!(!valid_sample("a,b"));
        assert!(!valid_sample(" "));
    }

    /// Every offered relationship computes on a 20-marker duo with the office's options
    /// (none is refused as too complex).
    #[test]
    fn every_relationship_computes_with_the_office_options() {
        let mut text = String::new();
        for (_, locus) in TABLE.loci().take(20) {
            let a: Vec<String> = locus.alleles.iter().map(|(a, _)| a.to_string()).collect();
            let k = a.len() / 3;
            text.push_str(&format!("A,{},{},{}\n", locus.name, a[k], a[k + 1]));
            text.push_str(&format!("B,{},{},{}\n", locus.name, a[k], a[k + 2]));
        }
        let set = ProfileSet::parse_csv(&text).unwrap();
        for (role, relation) in RELATIVES {
            let r = likelihood_ratio(
                &TABLE,
                &set,
                &Hypothesis::pairwise(relation, "A", "B"),
                &lr_options(relation),
            )
            .unwrap_or_else(|e| panic!("{role}: {e}"));
            assert!(r.lr > 1.0, "{role}: {}", r.lr);
        }
    }

    #[test]
    fn every_relative_has_words() {
        for lang in Lang::ALL {
            let t = Tr::new(lang);
            for (r, _) in RELATIVES {
                assert!(
                    crate::kernel::i18n::has_key(&format!("dna.role.{r}")),
                    "{r}"
                );
                assert!(!h1_text(t, r, "A", "B").contains('{'), "{r}");
            }
        }
    }
}
