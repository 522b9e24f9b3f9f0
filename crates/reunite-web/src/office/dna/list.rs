//! The case's tests and registration.

use super::*;
use crate::kernel::error::WebError;
use crate::kernel::render::{Nav, enc, format_utc, render, render_status};
use crate::policy;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

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
                status: t.label(m.status),
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

pub(crate) async fn register(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
    Form(f): Form<RegisterForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    policy::case_to_act(&state, &staff, &case_id).await?;
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
        .create_dna_test(
            &case_id,
            match_ref,
            &details,
            &staff.case_actor(),
            state.now(),
        )
        .await?;
    Ok(Redirect::to(&format!("/office/dna/{}?saved=1", enc(&id))).into_response())
}
