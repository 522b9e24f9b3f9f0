//! Break-glass: a caseworker opens a case that is not hers. She gives a reason, after a
//! recent re-authentication; the store records it (reason sealed) and audits it before
//! anything of the case is read; the opening lasts [`GLASS_MINUTES`], lets her read and
//! never act for the mother, and is listed on the case page for the case's team.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render_status};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_store::access::Relation;
use serde::Deserialize;
use std::collections::HashMap;

/// How long a break-glass opening lasts.
pub(crate) const GLASS_MINUTES: i64 = 60;
/// Shortest and longest reason, in characters.
const MIN_REASON: usize = 10;
const MAX_REASON: usize = 500;

/// One opening, as the case's team reads it.
pub(crate) struct GlassRow {
    pub(crate) text: String,
}

#[derive(Template)]
#[template(path = "office/cases/glass.html")]
pub(crate) struct GlassPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    minutes: String,
    reason: String,
    error: Option<&'static str>,
}

fn page(staff: &Staff, id: &str, reason: String, error: Option<&'static str>) -> GlassPage {
    let t = staff.t();
    GlassPage {
        t,
        title: t.s("glass.title").to_string(),
        nav: staff.nav(&format!("/office/cases/{}", enc(id))),
        id: id.to_string(),
        minutes: t.f("glass.minutes", &[("n", &GLASS_MINUTES.to_string())]),
        reason,
        error,
    }
}

/// The answer to someone who may not open a case: the break-glass form if she may break
/// the glass (403 with the form), a plain refusal otherwise.
pub(crate) async fn offer(
    _state: &OfficeState,
    staff: &Staff,
    id: &str,
    rel: Relation,
) -> Result<Response, WebError> {
    policy::require(staff, Act::BreakGlass, Subject::Case(rel))?;
    Ok(render_status(
        StatusCode::FORBIDDEN,
        &page(staff, id, String::new(), None),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct GlassForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /office/cases/{id}/break-glass`.
pub(crate) async fn open(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<GlassForm>,
) -> Result<Response, WebError> {
    let (meta, rel) = policy::relation(&state, &staff, &id).await?;
    policy::require(&staff, Act::BreakGlass, Subject::Case(rel))?;
    staff.check_csrf(&form.csrf)?;
    let here = format!("/office/cases/{}", enc(&id));
    staff.recent(&state, &here)?;
    let reason = form.reason.trim();
    let n = reason.chars().count();
    if !(MIN_REASON..=MAX_REASON).contains(&n) {
        return Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(
                &staff,
                &id,
                form.reason.clone(),
                Some(if n < MIN_REASON {
                    "glass.err.short"
                } else {
                    "glass.err.long"
                }),
            ),
        ));
    }
    state
        .store()
        .break_glass(&staff.user.id, &meta.id, reason, GLASS_MINUTES, state.now())
        .await?;
    Ok(Redirect::to(&here).into_response())
}

/// The openings of a case, in words, for its team.
pub(crate) async fn rows(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
    names: &HashMap<String, String>,
) -> Result<Vec<GlassRow>, WebError> {
    let t = staff.t();
    Ok(state
        .store()
        .glass_of_case(case_id)
        .await?
        .into_iter()
        .map(|g| GlassRow {
            text: t.f(
                "glass.row",
                &[
                    (
                        "who",
                        names.get(&g.user_id.0).map_or(g.user_id.0.as_str(), |s| s),
                    ),
                    ("at", &format_utc(g.at)),
                    ("until", &format_utc(g.until)),
                    ("reason", &g.reason),
                ],
            ),
        })
        .collect())
}

/// A team's name, or "no team".
pub(crate) async fn team_name(
    state: &OfficeState,
    team_id: Option<&str>,
) -> Result<String, WebError> {
    let Some(id) = team_id else {
        return Ok(String::new());
    };
    Ok(state
        .store()
        .list_teams()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .map(|t| t.name)
        .unwrap_or_default())
}
