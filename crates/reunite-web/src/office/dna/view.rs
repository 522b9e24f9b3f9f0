//! One test: its page, and the update of its status, dates and chain of custody.

use super::*;
use crate::kernel::error::WebError;
use crate::kernel::render::{Nav, enc, format_utc, render, render_status};
use crate::policy;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_store::{CustodyNote, StoreError};
use serde::Deserialize;

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

pub(super) async fn view_page(
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
        .read_dna_test(tid, &staff.case_actor(), state.now())
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
        status: t.label(test.meta.status),
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
        statuses: t.options::<DnaStatus>(None),
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

/// Opens a test (who may, after a recent re-authentication); returns its page's address.
pub(super) async fn open_test(
    state: &OfficeState,
    staff: &Staff,
    tid: &str,
) -> Result<String, WebError> {
    let here = format!("/office/dna/{}", enc(tid));
    policy::dna_test(state, staff, tid).await?;
    staff.recent(state, &here)?;
    Ok(here)
}

/// The test's page again, saying that someone else changed it meanwhile.
pub(super) async fn conflict(
    state: &OfficeState,
    staff: &Staff,
    tid: &str,
    profiles_text: String,
) -> Result<Response, WebError> {
    let errors = vec![staff.t().s("dna.conflict").to_string()];
    let page = view_page(state, staff, tid, None, errors, profiles_text).await?;
    Ok(render_status(StatusCode::CONFLICT, &page))
}

pub(crate) async fn view(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(tid): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, WebError> {
    open_test(&state, &staff, &tid).await?;
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
    policy::dna_test_to_act(&state, &staff, &tid).await?;
    staff.check_csrf(&f.csrf)?;
    let t = staff.t();
    let here = open_test(&state, &staff, &tid).await?;
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
        .read_dna_test(&tid, &staff.case_actor(), state.now())
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
        .update_dna_test(
            &tid,
            f.version,
            status,
            &d,
            &staff.case_actor(),
            state.now(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{here}?saved=1")).into_response()),
        Err(StoreError::Conflict(_)) => conflict(&state, &staff, &tid, String::new()).await,
        Err(e) => Err(WebError::from(e)),
    }
}
