//! A case's history of changes, and its assignment to a caseworker.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render};
use crate::policy::{self};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::{Role, UserId};
use serde::Deserialize;

use super::*;

pub(crate) struct HistoryRow {
    version: i64,
    at: String,
    who: String,
    what: &'static str,
    fields: Vec<String>,
}

#[derive(Template)]
#[template(path = "office/cases/history.html")]
pub(crate) struct HistoryPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    rows: Vec<HistoryRow>,
}

pub(crate) async fn history(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = staff.t();
    let meta = policy::case(&state, &staff, &id).await?;
    let here = format!("/office/cases/{}/history", enc(&id));
    staff.recent(&state, &here)?;
    let versions = state
        .store()
        .case_history(&meta.id, &staff.case_actor(), state.now())
        .await?;
    let names = staff_names(&state).await?;
    let rows = versions
        .into_iter()
        .map(|v| HistoryRow {
            version: v.version,
            at: format_utc(v.at),
            who: match v.actor.as_str() {
                "cli" => t.s("case.by_cli").to_string(),
                "demo" => t.s("case.by_demo").to_string(),
                other => names
                    .get(other)
                    .cloned()
                    .unwrap_or_else(|| other.to_string()),
            },
            what: change_label(t, v.kind),
            fields: v.fields.iter().map(|p| field_label(t, p)).collect(),
        })
        .collect();
    Ok(render(&HistoryPage {
        t,
        title: t.f("case.history_title", &[("id", &id)]),
        nav: staff.nav(&here),
        id,
        rows,
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

pub(crate) async fn assign(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.check_csrf(&form.csrf)?;
    let meta = policy::case(&state, &staff, &id).await?;
    let to = (!form.to.is_empty()).then(|| UserId(form.to.clone()));
    if let Some(u) = &to {
        let ok = state
            .store()
            .user_by_id(u)
            .await?
            .is_some_and(|u| u.role == Role::Caseworker && u.active());
        if !ok {
            return Err(WebError::BadRequest);
        }
    }
    state
        .store()
        .assign_case(&meta.id, to.as_ref(), &staff.case_actor(), state.now())
        .await?;
    Ok(Redirect::to(&format!("/office/cases/{}?saved=1", enc(&id))).into_response())
}
