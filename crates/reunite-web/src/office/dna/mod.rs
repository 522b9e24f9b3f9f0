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

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render, render_status};
use crate::policy;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use reunite_domain::Lang;
use reunite_kinship::{
    AlleleError, FrequencyTable, Genotype, Hypothesis, KinshipError, LrOptions, LrReport, Marker,
    MinFrequency, MutationModel, MutationSpec, ParseError, ParseErrorKind, ProfileSet, Relation,
    likelihood_ratio,
};
use reunite_store::{
    CaseActor, CustodyNote, DnaDetails, DnaRead, DnaStatus, StoreError, TestedPerson,
};
use serde::Deserialize;
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
        .route("/office/cases/{id}/dna", get(list).post(register))
        .route("/office/dna/{tid}", get(view))
        .route("/office/dna/{tid}/update", post(update))
        .route("/office/dna/{tid}/profiles", post(upload))
        .route("/office/dna/{tid}/report", get(report))
        .route("/office/dna/{tid}/report.pdf", get(report_pdf))
}

// ---------------------------------------------------------------------------------------
// Access

fn actor(staff: &Staff) -> CaseActor {
    CaseActor::Staff(staff.user.id.clone())
}

// ---------------------------------------------------------------------------------------
// Labels

fn status_label(t: Tr, s: DnaStatus) -> &'static str {
    match s {
        DnaStatus::Registered => t.s("dna.status.registered"),
        DnaStatus::SamplesSent => t.s("dna.status.samples_sent"),
        DnaStatus::ProfilesReceived => t.s("dna.status.profiles_received"),
        DnaStatus::Reported => t.s("dna.status.reported"),
        DnaStatus::Cancelled => t.s("dna.status.cancelled"),
    }
}

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

fn statuses(t: Tr) -> Vec<(&'static str, &'static str)> {
    DnaStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_label(t, *s)))
        .collect()
}

fn lang_of(t: Tr) -> &'static str {
    t.code()
}

// ---------------------------------------------------------------------------------------
// The case's tests and registration

#[derive(Template)]
#[template(path = "office/dna/list.html")]
pub(crate) struct ListPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    case_id: String,
    rows: Vec<ListRow>,
    relatives: Vec<(&'static str, &'static str)>,
    f: RegisterForm,
    errors: Vec<String>,
}

pub(crate) struct ListRow {
    id: String,
    status: &'static str,
    profiles: &'static str,
    match_ref: String,
    created: String,
    updated: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lab: String,
    #[serde(default)]
    kit: String,
    #[serde(default)]
    sampled_on: String,
    #[serde(default)]
    relative: String,
    #[serde(default)]
    relative_sample: String,
    #[serde(default)]
    child_sample: String,
    #[serde(default)]
    child_no: String,
    #[serde(default)]
    match_ref: String,
}

impl RegisterForm {
    fn blank() -> Self {
        Self {
            relative: "mother".into(),
            relative_sample: "MO".into(),
            child_sample: "CH".into(),
            child_no: "1".into(),
            ..Self::default()
        }
    }
}

async fn list_page(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
    f: RegisterForm,
    errors: Vec<String>,
) -> Result<ListPage, WebError> {
    let t = staff.t();
    let tests = state.store().list_dna_tests(case_id).await?;
    let here = format!("/office/cases/{}/dna", enc(case_id));
    Ok(ListPage {
        t,
        title: t.f("dna.list_title", &[("id", case_id)]),
        nav: staff.nav(&here),
        case_id: case_id.to_string(),
        rows: tests
            .iter()
            .map(|m| ListRow {
                id: m.id.clone(),
                status: status_label(t, m.status),
                profiles: if m.has_profiles {
                    t.s("dna.profiles_in")
                } else {
                    t.s("dna.profiles_none")
                },
                match_ref: m.match_ref.clone().unwrap_or_default(),
                created: format_utc(m.created_at),
                updated: format_utc(m.updated_at),
            })
            .collect(),
        relatives: relatives(t),
        f,
        errors,
    })
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
) -> Result<Response, WebError> {
    policy::case(&state, &staff, &case_id).await?;
    let page = list_page(&state, &staff, &case_id, RegisterForm::blank(), vec![]).await?;
    Ok(render(&page))
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

pub(crate) async fn register(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
    Form(f): Form<RegisterForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    policy::case(&state, &staff, &case_id).await?;
    let t = staff.t();
    let mut errors = Vec::new();
    if f.lab.trim().is_empty() {
        errors.push(format!("{}: {}", t.s("dna.lab"), t.s("problem.missing")));
    }
    if f.lab.len() > 200 || f.kit.len() > 200 || f.match_ref.len() > 100 {
        errors.push(t.s("problem.too_long").to_string());
    }
    if !valid_date(&f.sampled_on) {
        errors.push(format!(
            "{}: {}",
            t.s("dna.sampled_on"),
            t.s("dna.err.date")
        ));
    }
    if relation_of(&f.relative).is_none() {
        errors.push(format!(
            "{}: {}",
            t.s("dna.relative"),
            t.s("problem.missing")
        ));
    }
    if !valid_sample(&f.relative_sample) || !valid_sample(&f.child_sample) {
        errors.push(t.s("dna.err.sample_label").to_string());
    } else if f.relative_sample.trim() == f.child_sample.trim() {
        errors.push(t.s("dna.err.same_sample").to_string());
    }
    let child_no = f.child_no.trim().parse::<u32>().ok().filter(|n| *n >= 1);
    if child_no.is_none() {
        errors.push(format!(
            "{}: {}",
            t.s("dna.child_no"),
            t.s("dna.err.number")
        ));
    }
    if !errors.is_empty() {
        let page = list_page(&state, &staff, &case_id, f, errors).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let details = DnaDetails {
        lab: f.lab.trim().to_string(),
        kit: f.kit.trim().to_string(),
        sampled_on: f.sampled_on.trim().to_string(),
        persons: vec![
            TestedPerson {
                role: f.relative.clone(),
                sample: f.relative_sample.trim().to_string(),
                child_index: None,
            },
            TestedPerson {
                role: "child".into(),
                sample: f.child_sample.trim().to_string(),
                child_index: child_no.map(|n| n - 1),
            },
        ],
        frequency_table: TABLE_ID.into(),
        ..DnaDetails::default()
    };
    let match_ref = Some(f.match_ref.trim()).filter(|m| !m.is_empty());
    let id = state
        .store()
        .create_dna_test(&case_id, match_ref, &details, &actor(&staff), state.now())
        .await?;
    Ok(Redirect::to(&format!("/office/dna/{}?saved=1", enc(&id))).into_response())
}

// ---------------------------------------------------------------------------------------
// One test

#[derive(Template)]
#[template(path = "office/dna/view.html")]
pub(crate) struct ViewPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    case_id: String,
    match_ref: String,
    status: &'static str,
    status_code: &'static str,
    version: i64,
    has_profiles: bool,
    lab: String,
    kit: String,
    sampled_on: String,
    sent_on: String,
    received_on: String,
    relative_role: String,
    relative: String,
    relative_sample: String,
    child: String,
    child_sample: String,
    hypothesis: String,
    custody: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    relatives: Vec<(&'static str, &'static str)>,
    notice: Option<&'static str>,
    errors: Vec<String>,
    profiles_text: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ViewQuery {
    #[serde(default)]
    saved: Option<String>,
}

fn person(d: &DnaDetails, i: usize) -> TestedPerson {
    d.persons.get(i).cloned().unwrap_or_default()
}

async fn view_page(
    state: &OfficeState,
    staff: &Staff,
    tid: &str,
    notice: Option<&'static str>,
    errors: Vec<String>,
    profiles_text: String,
) -> Result<ViewPage, WebError> {
    let t = staff.t();
    let test = state
        .store()
        .read_dna_test(tid, &actor(staff), state.now())
        .await?;
    let d = &test.details;
    let (rel, ch) = (person(d, 0), person(d, 1));
    let names = staff_names(state).await?;
    let here = format!("/office/dna/{}", enc(tid));
    Ok(ViewPage {
        t,
        title: t.f("dna.view_title", &[("id", tid)]),
        nav: staff.nav(&here),
        id: tid.to_string(),
        case_id: test.meta.case_id.clone(),
        match_ref: test.meta.match_ref.clone().unwrap_or_default(),
        status: status_label(t, test.meta.status),
        status_code: test.meta.status.as_str(),
        version: test.meta.version,
        has_profiles: test.meta.has_profiles,
        lab: d.lab.clone(),
        kit: d.kit.clone(),
        sampled_on: d.sampled_on.clone(),
        sent_on: d.sent_on.clone(),
        received_on: d.received_on.clone(),
        relative_role: rel.role.clone(),
        relative: role_label(t, &rel.role).to_string(),
        relative_sample: rel.sample.clone(),
        child: match ch.child_index {
            Some(i) => t.f("case.child_n", &[("n", &(i + 1).to_string())]),
            None => role_label(t, "child").to_string(),
        },
        child_sample: ch.sample.clone(),
        hypothesis: h1_text(t, &rel.role, &rel.sample, &ch.sample),
        custody: d
            .custody
            .iter()
            .map(|n| {
                let by = names.get(&n.by).cloned().unwrap_or_else(|| n.by.clone());
                (format!("{} · {}", format_utc(n.at), by), n.text.clone())
            })
            .collect(),
        statuses: statuses(t),
        relatives: relatives(t),
        notice,
        errors,
        profiles_text,
    })
}

async fn staff_names(
    state: &OfficeState,
) -> Result<std::collections::HashMap<String, String>, WebError> {
    let users = state.store().list_users().await?;
    Ok(users
        .into_iter()
        .map(|u| (u.id.0, u.username.into_inner()))
        .collect())
}

pub(crate) async fn view(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(tid): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, WebError> {
    let here = format!("/office/dna/{}", enc(&tid));
    policy::dna_test(&state, &staff, &tid).await?;
    staff.recent(&state, &here)?;
    let notice = q.saved.map(|_| staff.t().s("dna.saved"));
    let page = view_page(&state, &staff, &tid, notice, vec![], String::new()).await?;
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
pub(crate) struct UpdateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    status: String,
    #[serde(default)]
    relative: String,
    #[serde(default)]
    sent_on: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn update(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(tid): Path<String>,
    Form(f): Form<UpdateForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let t = staff.t();
    let here = format!("/office/dna/{}", enc(&tid));
    policy::dna_test(&state, &staff, &tid).await?;
    staff.recent(&state, &here)?;
    let mut errors = Vec::new();
    let status = DnaStatus::parse(&f.status);
    if status.is_none() {
        errors.push(format!("{}: {}", t.s("dna.status"), t.s("problem.missing")));
    }
    if !valid_date(&f.sent_on) || !valid_date(&f.received_on) {
        errors.push(t.s("dna.err.date").to_string());
    }
    if !f.relative.is_empty() && relation_of(&f.relative).is_none() {
        errors.push(format!(
            "{}: {}",
            t.s("dna.relative"),
            t.s("problem.missing")
        ));
    }
    if f.note.len() > 4000 {
        errors.push(t.s("problem.too_long").to_string());
    }
    if !errors.is_empty() {
        let page = view_page(&state, &staff, &tid, None, errors, String::new()).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let test = state
        .store()
        .read_dna_test(&tid, &actor(&staff), state.now())
        .await?;
    let mut d = test.details;
    d.sent_on = f.sent_on.trim().to_string();
    d.received_on = f.received_on.trim().to_string();
    if !f.relative.is_empty()
        && let Some(p) = d.persons.get_mut(0)
    {
        p.role = f.relative.clone();
    }
    if !f.note.trim().is_empty() {
        d.custody.push(CustodyNote {
            at: state.now(),
            by: staff.user.id.0.clone(),
            text: f.note.trim().to_string(),
        });
    }
    let status = status.unwrap_or(test.meta.status);
    match state
        .store()
        .update_dna_test(&tid, f.version, status, &d, &actor(&staff), state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{here}?saved=1")).into_response()),
        Err(StoreError::Conflict(_)) => {
            let errors = vec![t.s("dna.conflict").to_string()];
            let page = view_page(&state, &staff, &tid, None, errors, String::new()).await?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(WebError::from(e)),
    }
}

// ---------------------------------------------------------------------------------------
// Profiles

/// A parse error of the lab's file in the user's language, with its line number.
fn parse_error_text(t: Tr, e: &ParseError) -> String {
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

fn kinship_error_text(t: Tr, e: &KinshipError) -> String {
    match e {
        KinshipError::UnknownPerson(s) => t.f("dna.err.sample_missing", &[("sample", s)]),
        KinshipError::TooComplex { marker, .. } => {
            t.f("dna.err.too_complex", &[("marker", marker)])
        }
        _ => t.s("dna.err.compute").to_string(),
    }
}

fn genotype_text(g: &Genotype) -> String {
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

fn hypothesis(d: &DnaDetails) -> Option<(Hypothesis, TestedPerson, TestedPerson)> {
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
    staff.check_csrf(&f.csrf)?;
    let t = staff.t();
    let here = format!("/office/dna/{}", enc(&tid));
    policy::dna_test(&state, &staff, &tid).await?;
    staff.recent(&state, &here)?;
    let test = state
        .store()
        .read_dna_test(&tid, &actor(&staff), state.now())
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
        .set_dna_profiles(&tid, f.version, status, &text, &actor(&staff), state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{here}/report")).into_response()),
        Err(StoreError::Conflict(_)) => {
            let errors = vec![t.s("dna.conflict").to_string()];
            let page = view_page(&state, &staff, &tid, None, errors, f.profiles).await?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
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

// ---------------------------------------------------------------------------------------
// Report

pub(crate) struct LocusRow {
    marker: String,
    a: String,
    b: String,
    lr: Num,
    inconsistent: bool,
}

/// A number for print: `main`, then `× 10^exp` when the exponent is set.
pub(crate) struct Num {
    main: String,
    exp: Option<i32>,
}

fn num(x: f64) -> Num {
    if x.is_nan() {
        return Num {
            main: "—".into(),
            exp: None,
        };
    }
    if x.is_infinite() {
        return Num {
            main: "∞".into(),
            exp: None,
        };
    }
    if x == 0.0 {
        return Num {
            main: "0".into(),
            exp: None,
        };
    }
    let e = x.abs().log10().floor() as i32;
    if (-2..5).contains(&e) {
        let decimals = (3 - e).max(0) as usize;
        Num {
            main: format!("{x:.decimals$}"),
            exp: None,
        }
    } else {
        let m = x / 10f64.powi(e);
        // Rounding can carry the mantissa to 10.000.
        let (m, e) = if format!("{m:.3}") == "10.000" {
            (m / 10.0, e + 1)
        } else {
            (m, e)
        };
        Num {
            main: format!("{m:.3} × 10"),
            exp: Some(e),
        }
    }
}

/// A whole number with thousands separators (`10,000`).
fn grouped(x: f64) -> String {
    let s = format!("{:.0}", x.round());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn posterior_text(p: f64) -> String {
    if p.is_nan() {
        "—".into()
    } else if p * 100.0 > 99.999_999_5 && p < 1.0 {
        "> 99.999999 %".into()
    } else {
        format!("{:.6} %", p * 100.0)
    }
}

/// What the conclusion says, against the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conclusion {
    Supports,
    Below,
    Excludes,
}

fn conclusion(lr: f64, threshold: f64) -> Conclusion {
    if lr == 0.0 {
        Conclusion::Excludes
    } else if lr >= threshold {
        Conclusion::Supports
    } else {
        Conclusion::Below
    }
}

#[derive(Template)]
#[template(path = "office/dna/report.html")]
pub(crate) struct ReportPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    /// For the PDF: the stylesheet inline (the file is opened from disk, not served).
    inline_css: Option<&'static str>,
    id: String,
    case_id: String,
    match_ref: String,
    lab: String,
    kit: String,
    sampled_on: String,
    received_on: String,
    report_date: String,
    relative: String,
    relative_sample: String,
    child: String,
    child_sample: String,
    h1: String,
    h2: String,
    loci: Vec<LocusRow>,
    skipped: String,
    lr: Num,
    lr_raw: String,
    log10: String,
    posterior: String,
    inconsistent: usize,
    database: &'static str,
    licence: &'static str,
    theta: String,
    mutation: String,
    floor: String,
    threshold: String,
    conclusion_code: &'static str,
    conclusion: String,
    lang: &'static str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReportQuery {
    #[serde(default)]
    lang: Option<String>,
}

async fn threshold(state: &OfficeState) -> Result<f64, WebError> {
    let v = state.store().setting(THRESHOLD_SETTING).await?;
    Ok(v.and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|x| x.is_finite() && *x > 0.0)
        .unwrap_or(DEFAULT_THRESHOLD))
}

/// Reads the profiles (audited as `dna_report`), computes the LR and builds the page.
async fn build_report(
    state: &OfficeState,
    staff: &Staff,
    tid: &str,
    t: Tr,
) -> Result<Result<ReportPage, String>, WebError> {
    let (test, profiles) = state
        .store()
        .read_dna_profiles(tid, DnaRead::Report, &actor(staff), state.now())
        .await?;
    let Some(profiles) = profiles else {
        return Ok(Err(t.s("dna.no_profiles").to_string()));
    };
    let d = &test.details;
    let Some((hyp, rel, ch)) = hypothesis(d) else {
        return Ok(Err(t.s("dna.err.compute").to_string()));
    };
    let set = match ProfileSet::parse_csv(&profiles) {
        Ok(s) => s,
        Err(e) => return Ok(Err(parse_error_text(t, &e))),
    };
    let opts = lr_options(relation_of(&rel.role).unwrap_or(Relation::ParentChild));
    let r: LrReport = match likelihood_ratio(&TABLE, &set, &hyp, &opts) {
        Ok(r) => r,
        Err(e) => return Ok(Err(kinship_error_text(t, &e))),
    };
    let threshold = threshold(state).await?;
    let gt = |sample: &str, marker: &str| {
        set.get(sample)
            .and_then(|p| p.get(&Marker::new(marker)))
            .map(|g| genotype_text(g).replace(',', ", "))
            .unwrap_or_else(|| "—".into())
    };
    let c = conclusion(r.lr, threshold);
    let thr = grouped(threshold);
    let relation_words = role_label(t, &rel.role);
    let conclusion_text = match c {
        Conclusion::Supports => t.f(
            "dna.conclusion.supports",
            &[("threshold", &thr), ("role", relation_words)],
        ),
        Conclusion::Below => t.f(
            "dna.conclusion.below",
            &[("threshold", &thr), ("role", relation_words)],
        ),
        Conclusion::Excludes => t.f("dna.conclusion.excludes", &[("role", relation_words)]),
    };
    let m = opts.mutation;
    let here = format!("/office/dna/{}/report", enc(tid));
    Ok(Ok(ReportPage {
        t,
        title: t.f("dna.report_title_id", &[("id", tid)]),
        nav: staff.nav(&here),
        inline_css: None,
        id: tid.to_string(),
        case_id: test.meta.case_id.clone(),
        match_ref: test.meta.match_ref.clone().unwrap_or_default(),
        lab: d.lab.clone(),
        kit: d.kit.clone(),
        sampled_on: d.sampled_on.clone(),
        received_on: d.received_on.clone(),
        report_date: format_utc(state.now())[..10].to_string(),
        relative: relation_words.to_string(),
        relative_sample: rel.sample.clone(),
        child: match ch.child_index {
            Some(i) => t.f("case.child_n", &[("n", &(i + 1).to_string())]),
            None => role_label(t, "child").to_string(),
        },
        child_sample: ch.sample.clone(),
        h1: h1_text(t, &rel.role, &rel.sample, &ch.sample),
        h2: t.f("dna.h2", &[("a", &rel.sample), ("b", &ch.sample)]),
        loci: r
            .loci
            .iter()
            .map(|l| LocusRow {
                marker: l.marker.clone(),
                a: gt(&rel.sample, &l.marker),
                b: gt(&ch.sample, &l.marker),
                lr: num(l.lr),
                inconsistent: l.inconsistent,
            })
            .collect(),
        skipped: r.skipped_markers.join(", "),
        lr: num(r.lr),
        lr_raw: format!("{:e}", r.lr),
        log10: format!("{:.4}", r.log10_lr),
        posterior: posterior_text(r.posterior),
        inconsistent: r.inconsistent_loci,
        database: t.s("dna.database_name"),
        licence: t.s("dna.database_licence"),
        theta: format!("{}", opts.theta),
        mutation: if m.is_on() {
            t.f(
                "dna.mutation_text",
                &[
                    ("female", &m.rate_female.to_string()),
                    ("male", &m.rate_male.to_string()),
                    ("range", &m.range.to_string()),
                ],
            )
        } else {
            t.s("dna.mutation_none").to_string()
        },
        floor: "0.001".into(),
        threshold: thr,
        conclusion_code: match c {
            Conclusion::Supports => "supports",
            Conclusion::Below => "below",
            Conclusion::Excludes => "excludes",
        },
        conclusion: conclusion_text,
        lang: lang_of(t),
    }))
}

#[derive(Template)]
#[template(path = "office/dna/message.html")]
pub(crate) struct MessagePage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    message: String,
    back: String,
}

fn message(staff: &Staff, status: StatusCode, tid: &str, msg: String) -> Response {
    let t = staff.t();
    let back = format!("/office/dna/{}", enc(tid));
    render_status(
        status,
        &MessagePage {
            t,
            title: t.s("dna.report_title").to_string(),
            nav: staff.nav(&back),
            message: msg,
            back,
        },
    )
}

fn report_lang(staff: &Staff, q: &ReportQuery) -> Tr {
    Tr::new(
        q.lang
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or(staff.lang()),
    )
}

pub(crate) async fn report(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(tid): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let here = format!("/office/dna/{}/report", enc(&tid));
    policy::dna_test(&state, &staff, &tid).await?;
    staff.recent(&state, &here)?;
    let t = report_lang(&staff, &q);
    match build_report(&state, &staff, &tid, t).await? {
        Ok(page) => Ok(render(&page)),
        Err(msg) => Ok(message(&staff, StatusCode::CONFLICT, &tid, msg)),
    }
}

pub(crate) async fn report_pdf(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(tid): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let here = format!("/office/dna/{}/report", enc(&tid));
    policy::dna_test(&state, &staff, &tid).await?;
    staff.recent(&state, &here)?;
    let t = report_lang(&staff, &q);
    let Some(chromium) = pdf::find_chromium() else {
        return Ok(message(
            &staff,
            StatusCode::SERVICE_UNAVAILABLE,
            &tid,
            staff.t().s("dna.pdf_unavailable").to_string(),
        ));
    };
    let mut page = match build_report(&state, &staff, &tid, t).await? {
        Ok(p) => p,
        Err(msg) => return Ok(message(&staff, StatusCode::CONFLICT, &tid, msg)),
    };
    page.nav = None;
    page.inline_css = Some(include_str!("../../../static/style.css"));
    let html = page.render()?;
    let bytes = tokio::task::spawn_blocking(move || pdf::print(&chromium, &html)).await??;
    let name = format!("attachment; filename=\"dna-report-{}.pdf\"", enc(&tid));
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

/// Printing HTML to PDF with headless Chromium.
mod pdf {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// `REUNITE_CHROMIUM`, else `chromium` or `chromium-browser` on `PATH`.
    pub(super) fn find_chromium() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("REUNITE_CHROMIUM") {
            let p = PathBuf::from(p);
            return p.is_file().then_some(p);
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
            .find(|p| p.is_file())
    }

    fn running_as_root() -> bool {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }

    /// A private working directory (0700) on a memory file system when there is one, so the
    /// decrypted report does not reach a disk; removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> std::io::Result<Self> {
            use std::os::unix::fs::DirBuilderExt;
            let shm = Path::new("/dev/shm");
            let base = if shm.is_dir() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            };
            let t = reunite_crypto::random_token();
            let tail: String = t.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            let dir = base.join(format!("reunite-pdf-{tail}"));
            std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
            Ok(Self(dir))
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[derive(Debug)]
    pub(super) struct PdfError(String);

    impl From<PdfError> for super::WebError {
        fn from(e: PdfError) -> Self {
            super::WebError::internal(e)
        }
    }

    impl std::fmt::Display for PdfError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "pdf: {}", self.0)
        }
    }

    impl From<std::io::Error> for PdfError {
        fn from(e: std::io::Error) -> Self {
            PdfError(e.to_string())
        }
    }

    /// Prints `html` (self-contained: inline styles, no network) to PDF bytes.
    pub(super) fn print(chromium: &Path, html: &str) -> Result<Vec<u8>, PdfError> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = Scratch::new()?;
        let page = dir.0.join("report.html");
        let out = dir.0.join("report.pdf");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&page)?;
        f.write_all(html.as_bytes())?;
        drop(f);
        let mut cmd = Command::new(chromium);
        cmd.arg("--headless")
            .arg("--disable-gpu")
            .arg("--no-first-run")
            .arg("--no-default-browser-check")
            .arg("--disable-extensions")
            .arg("--disable-background-networking")
            .arg("--disable-sync")
            .arg("--no-pdf-header-footer")
            .arg(format!(
                "--user-data-dir={}",
                dir.0.join("profile").display()
            ))
            .arg(format!("--print-to-pdf={}", out.display()));
        if running_as_root() {
            // Chromium refuses to start its sandbox as root.
            cmd.arg("--no-sandbox");
        }
        cmd.arg(format!("file://{}", page.display()))
            .env("HOME", &dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn()?;
        let deadline = Instant::now() + Duration::from_secs(90);
        let status = loop {
            if let Some(s) = child.try_wait()? {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError("chromium did not finish in 90 s".into()));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if !status.success() {
            return Err(PdfError(format!("chromium exited with {status}")));
        }
        let bytes = std::fs::read(&out)?;
        if !bytes.starts_with(b"%PDF") {
            return Err(PdfError("chromium wrote no PDF".into()));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well_in_print() {
        let s = |x: f64| {
            let n = num(x);
            match n.exp {
                Some(e) => format!("{}^{e}", n.main),
                None => n.main,
            }
        };
        assert_eq!(s(3.75), "3.750");
        assert_eq!(s(0.5), "0.5000");
        assert_eq!(s(1234.5), "1234");
        assert_eq!(s(123_456.0), "1.235 × 10^5");
        assert_eq!(s(9.9996e6), "1.000 × 10^7");
        assert_eq!(s(0.0), "0");
        assert_eq!(s(f64::INFINITY), "∞");
        assert_eq!(s(0.000_12), "1.200 × 10^-4");
        assert_eq!(grouped(10_000.0), "10,000");
        assert_eq!(grouped(100.0), "100");
        assert_eq!(grouped(1_000_000.0), "1,000,000");
    }

    #[test]
    fn conclusions_follow_the_threshold() {
        assert_eq!(conclusion(0.0, 1e4), Conclusion::Excludes);
        assert_eq!(conclusion(9_999.9, 1e4), Conclusion::Below);
        assert_eq!(conclusion(10_000.0, 1e4), Conclusion::Supports);
        assert_eq!(conclusion(f64::INFINITY, 1e4), Conclusion::Supports);
    }

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

    #[test]
    fn canonical_form_parses_back_to_the_same_profiles() {
        let text = "Sample Name\tMarker\tAllele 1\tAllele 2\nMO\tTH01\t6\t9.3\nMO\tvWA\t17\t\nCH\tTH01\t9.3\t?\n";
        let set = ProfileSet::parse_auto(text).unwrap();
        let c = canonical(&set);
        assert_eq!(ProfileSet::parse_csv(&c).unwrap(), set);
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
