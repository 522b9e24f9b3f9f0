//! The lab's profile file: upload, parsing and checking.

use super::view::{conflict, open_test, view_page};
use super::*;
use crate::kernel::error::WebError;
use crate::kernel::render::render_status;
use crate::policy;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_kinship::{
    AlleleError, Genotype, Hypothesis, KinshipError, ParseError, ParseErrorKind, ProfileSet,
    likelihood_ratio,
};
use reunite_store::StoreError;
use serde::Deserialize;

/// A parse error of the lab's file in the user's language, with its line number.
pub(super) fn parse_error_text(t: Tr, e: &ParseError) -> String {
    let reason = match &e.kind {
        ParseErrorKind::Allele(AlleleError::Empty) => t.s("dna.err.allele_empty").to_string(),
        ParseErrorKind::Allele(AlleleError::OffLadder(v)) => {
            t.f("dna.err.off_ladder", &[("value", v)])
        }
        ParseErrorKind::Allele(AlleleError::Invalid(v)) => {
            t.f("dna.err.allele_invalid", &[("value", v)])
        }
        ParseErrorKind::FieldCount { expected, found } => t.f(
            "dna.err.field_count",
            &[
                ("expected", &expected.to_string()),
                ("found", &found.to_string()),
            ],
        ),
        ParseErrorKind::MissingColumn(c) => t.f("dna.err.missing_column", &[("column", c)]),
        ParseErrorKind::EmptyField(f) => t.f("dna.err.empty_field", &[("field", f)]),
        ParseErrorKind::DuplicateGenotype { person, marker } => t.f(
            "dna.err.duplicate",
            &[("sample", person), ("marker", marker)],
        ),
        ParseErrorKind::MissingFirstAllele => t.s("dna.err.missing_first").to_string(),
        ParseErrorKind::TooManyAlleles => t.s("dna.err.too_many").to_string(),
        ParseErrorKind::Empty => t.s("dna.err.empty").to_string(),
        _ => t.s("dna.err.format").to_string(),
    };
    t.f(
        "dna.err.line",
        &[("line", &e.line.to_string()), ("reason", &reason)],
    )
}

pub(super) fn kinship_error_text(t: Tr, e: &KinshipError) -> String {
    match e {
        KinshipError::UnknownPerson(s) => t.f("dna.err.sample_missing", &[("sample", s)]),
        KinshipError::TooComplex { marker, .. } => {
            t.f("dna.err.too_complex", &[("marker", marker)])
        }
        _ => t.s("dna.err.compute").to_string(),
    }
}

pub(super) fn genotype_text(g: &Genotype) -> String {
    match g {
        Genotype::Het(a, b) => format!("{a},{b}"),
        Genotype::Hom(a) => format!("{a},{a}"),
        Genotype::Partial(a) => format!("{a},?"),
    }
}

/// The canonical form stored: `person,marker,allele1,allele2`, one line per typed marker,
/// persons in file order, markers by their canonical key.
fn canonical(set: &ProfileSet) -> String {
    let mut out = String::from("person,marker,allele1,allele2\n");
    for p in set.profiles() {
        for (m, g) in &p.loci {
            out.push_str(&format!("{},{},{}\n", p.person, m, genotype_text(g)));
        }
    }
    out
}

pub(super) fn hypothesis(d: &DnaDetails) -> Option<(Hypothesis, TestedPerson, TestedPerson)> {
    let (rel, ch) = (person(d, 0), person(d, 1));
    let relation = relation_of(&rel.role)?;
    Some((
        Hypothesis::pairwise(relation, &rel.sample, &ch.sample),
        rel,
        ch,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct UploadForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    profiles: String,
}

pub(crate) async fn upload(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(tid): Path<String>,
    Form(f): Form<UploadForm>,
) -> Result<Response, WebError> {
    policy::dna_test_to_act(&state, &staff, &tid).await?;
    staff.check_csrf(&f.csrf)?;
    let t = staff.t();
    let here = open_test(&state, &staff, &tid).await?;
    let test = state
        .store()
        .read_dna_test(&tid, &staff.case_actor(), state.now())
        .await?;
    let checked = if f.profiles.len() > MAX_PROFILE_BYTES {
        Err(t.s("problem.too_long").to_string())
    } else {
        check_profiles(t, &test.details, &f.profiles)
    };
    let text = match checked {
        Ok(text) => text,
        Err(msg) => {
            let page = view_page(&state, &staff, &tid, None, vec![msg], f.profiles).await?;
            return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let status = match test.meta.status {
        DnaStatus::Registered | DnaStatus::SamplesSent => DnaStatus::ProfilesReceived,
        other => other,
    };
    match state
        .store()
        .set_dna_profiles(
            &tid,
            f.version,
            status,
            &text,
            &staff.case_actor(),
            state.now(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{here}/report")).into_response()),
        Err(StoreError::Conflict(_)) => conflict(&state, &staff, &tid, f.profiles).await,
        Err(e) => Err(WebError::from(e)),
    }
}

/// Parses the lab's file, checks that both registered samples are in it and that the LR
/// can be computed; returns the canonical text to store or a message for the user.
fn check_profiles(t: Tr, d: &DnaDetails, text: &str) -> Result<String, String> {
    let set = ProfileSet::parse_auto(text).map_err(|e| parse_error_text(t, &e))?;
    if set.is_empty() {
        return Err(t.s("dna.err.empty").to_string());
    }
    let (hyp, rel, ch) = hypothesis(d).ok_or_else(|| t.s("dna.err.compute").to_string())?;
    for s in [&rel.sample, &ch.sample] {
        if set.get(s).is_none() {
            return Err(t.f("dna.err.sample_missing", &[("sample", s)]));
        }
    }
    let relation = relation_of(&rel.role).unwrap_or(Relation::ParentChild);
    likelihood_ratio(&TABLE, &set, &hyp, &lr_options(relation))
        .map_err(|e| kinship_error_text(t, &e))?;
    Ok(canonical(&set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_parses_back_to_the_same_profiles() {
        let text = "Sample Name\tMarker\tAllele 1\tAllele 2\nMO\tTH01\t6\t9.3\nMO\tvWA\t17\t\nCH\tTH01\t9.3\t?\n";
        let set = ProfileSet::parse_auto(text).unwrap();
        let c = canonical(&set);
        assert_eq!(ProfileSet::parse_csv(&c).unwrap(), set);
    }
}
