//! Who works on which case, decided by admins without reading any case: the assignment
//! list (case number, status, registered, caseworker, team — nothing of the record), the
//! teams and their members, and the standing duties (travel, intake). Admins only, after a
//! recent re-authentication; every change is audited by the store.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, format_utc, render, render_status};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use reunite_domain::{CaseStatus, Duty, Role, UserId, Vocab};
use reunite_store::access::TeamNameError;
use serde::Deserialize;
use std::collections::HashMap;

/// Rows per page of the assignment list.
const PAGE: i64 = 50;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/office/assignments", get(list))
        .route("/office/assignments/{id}", post(assign))
        .route("/office/teams", get(teams).post(create_team))
        .route("/office/teams/members", post(set_member))
        .route("/office/teams/duties", post(set_duty))
}

fn admin(staff: &Staff, state: &OfficeState, here: &str) -> Result<(), WebError> {
    policy::require(staff, Act::Open, Subject::Assignments)?;
    staff.recent(state, here)
}

/// Staff who may work on cases (active caseworkers and admins), by name.
async fn case_staff(state: &OfficeState) -> Result<Vec<(String, String)>, WebError> {
    let mut users: Vec<(String, String)> = state
        .store()
        .list_users()
        .await?
        .into_iter()
        .filter(|u| matches!(u.role, Role::Caseworker | Role::Admin) && u.active())
        .map(|u| (u.id.0, u.username.into_inner()))
        .collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(users)
}

// ---------------------------------------------------------------------------------------
// Assignments

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    unassigned: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    saved: Option<String>,
}

pub(crate) struct AssignRow {
    id: String,
    status: &'static str,
    created: String,
    assigned: String,
    team: String,
}

#[derive(Template)]
#[template(path = "office/assignments/list.html")]
pub(crate) struct ListPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    rows: Vec<AssignRow>,
    staff: Vec<(String, String)>,
    teams: Vec<(String, String)>,
    unassigned: bool,
    total: String,
    prev: Option<String>,
    next: Option<String>,
    notice: Option<&'static str>,
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    admin(&staff, &state, "/office/assignments")?;
    let t = staff.t();
    let unassigned = q.unassigned.is_some();
    let page = q.page.unwrap_or(0).max(0);
    let (items, total) = state
        .store()
        .case_assignments(unassigned, page * PAGE, PAGE)
        .await?;
    let rows = items
        .into_iter()
        .map(|c| AssignRow {
            status: c
                .status
                .parse::<CaseStatus>()
                .map(|s| t.label(s))
                .unwrap_or(""),
            created: format_utc(c.created_at),
            assigned: c.assigned_to.map(|u| u.0).unwrap_or_default(),
            team: c.team_id.unwrap_or_default(),
            id: c.id,
        })
        .collect();
    let link = |p: i64| {
        format!(
            "/office/assignments?page={p}{}",
            if unassigned { "&unassigned=1" } else { "" }
        )
    };
    let teams = state
        .store()
        .list_teams()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(render(&ListPage {
        t,
        title: t.s("assign.title"),
        nav: staff.nav("/office/assignments"),
        rows,
        staff: case_staff(&state).await?,
        teams,
        unassigned,
        total: t.f("cases.total", &[("n", &total.to_string())]),
        prev: (page > 0).then(|| link(page - 1)),
        next: ((page + 1) * PAGE < total).then(|| link(page + 1)),
        notice: q.saved.map(|_| t.s("case.saved")),
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    team: String,
}

/// `POST /office/assignments/{id}`: the case's caseworker and team.
pub(crate) async fn assign(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Assignments)?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, "/office/assignments")?;
    let to = (!form.to.is_empty()).then(|| UserId(form.to.clone()));
    if let Some(u) = &to
        && !case_staff(&state).await?.iter().any(|(id, _)| *id == u.0)
    {
        return Err(WebError::BadRequest);
    }
    let team = (!form.team.is_empty()).then_some(form.team.as_str());
    let store = state.store();
    if store.case_meta(&id).await?.is_none() {
        return Err(WebError::NotFound);
    }
    if let Some(tid) = team
        && !store.list_teams().await?.iter().any(|t| t.id == tid)
    {
        return Err(WebError::BadRequest);
    }
    store
        .assign_case(&id, to.as_ref(), &staff.case_actor(), state.now())
        .await?;
    store
        .set_case_team(&id, team, &staff.case_actor(), state.now())
        .await?;
    Ok(Redirect::to("/office/assignments?saved=1").into_response())
}

// ---------------------------------------------------------------------------------------
// Teams and duties

pub(crate) struct MemberRow {
    user_id: String,
    name: String,
    supervisor: bool,
}

pub(crate) struct TeamRow {
    id: String,
    name: String,
    members: Vec<MemberRow>,
}

pub(crate) struct DutyRow {
    user_id: String,
    name: String,
    duties: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "office/assignments/teams.html")]
pub(crate) struct TeamsPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    teams: Vec<TeamRow>,
    staff: Vec<(String, String)>,
    duties: Vec<DutyRow>,
    name: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct TeamsQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn teams_page(
    state: &OfficeState,
    staff: &Staff,
    name: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
) -> Result<TeamsPage, WebError> {
    let t = staff.t();
    let people = case_staff(state).await?;
    let names: HashMap<&str, &str> = people
        .iter()
        .map(|(id, n)| (id.as_str(), n.as_str()))
        .collect();
    let teams = state
        .store()
        .list_teams()
        .await?
        .into_iter()
        .map(|team| TeamRow {
            members: team
                .members
                .iter()
                .map(|m| MemberRow {
                    user_id: m.user_id.0.clone(),
                    name: names.get(m.user_id.0.as_str()).unwrap_or(&"").to_string(),
                    supervisor: m.supervisor,
                })
                .collect(),
            id: team.id,
            name: team.name,
        })
        .collect();
    let held = state.store().all_duties().await?;
    let duties = people
        .iter()
        .map(|(id, name)| DutyRow {
            user_id: id.clone(),
            name: name.clone(),
            duties: Duty::ALL
                .iter()
                .map(|d| {
                    (
                        d.as_str(),
                        t.label(*d),
                        held.iter().any(|(u, h)| u.0 == *id && h == d),
                    )
                })
                .collect(),
        })
        .collect();
    Ok(TeamsPage {
        t,
        title: t.s("team.title"),
        nav: staff.nav("/office/teams"),
        teams,
        staff: people,
        duties,
        name,
        error,
        notice,
    })
}

pub(crate) async fn teams(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<TeamsQuery>,
) -> Result<Response, WebError> {
    admin(&staff, &state, "/office/teams")?;
    let notice = q.saved.map(|_| staff.t().s("case.saved"));
    Ok(render(
        &teams_page(&state, &staff, String::new(), None, notice).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TeamForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub(crate) async fn create_team(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(form): Form<TeamForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Assignments)?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, "/office/teams")?;
    match state
        .store()
        .create_team(&form.name, &staff.case_actor(), state.now())
        .await?
    {
        Ok(_) => Ok(Redirect::to("/office/teams?saved=1").into_response()),
        Err(e) => {
            let key = match e {
                TeamNameError::Empty => "team.err.empty",
                TeamNameError::TooLong => "team.err.long",
                TeamNameError::Taken => "team.err.taken",
            };
            let page = teams_page(&state, &staff, form.name.clone(), Some(key), None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    user: String,
    /// `member`, `supervisor` or `remove`.
    #[serde(default)]
    action: String,
}

pub(crate) async fn set_member(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(form): Form<MemberForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Assignments)?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, "/office/teams")?;
    let membership = match form.action.as_str() {
        "member" => Some(false),
        "supervisor" => Some(true),
        "remove" => None,
        _ => return Err(WebError::BadRequest),
    };
    if !case_staff(&state)
        .await?
        .iter()
        .any(|(id, _)| *id == form.user)
    {
        return Err(WebError::BadRequest);
    }
    state
        .store()
        .set_team_member(
            &form.team,
            &UserId(form.user.clone()),
            membership,
            &staff.case_actor(),
            state.now(),
        )
        .await?;
    Ok(Redirect::to("/office/teams?saved=1").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct DutyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    duty: String,
    /// `on` or `off`.
    #[serde(default)]
    set: String,
}

pub(crate) async fn set_duty(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(form): Form<DutyForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Assignments)?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, "/office/teams")?;
    let Ok(duty) = form.duty.parse::<Duty>() else {
        return Err(WebError::BadRequest);
    };
    let on = match form.set.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(WebError::BadRequest),
    };
    if !case_staff(&state)
        .await?
        .iter()
        .any(|(id, _)| *id == form.user)
    {
        return Err(WebError::BadRequest);
    }
    state
        .store()
        .set_duty(
            &UserId(form.user.clone()),
            duty,
            on,
            &staff.case_actor(),
            state.now(),
        )
        .await?;
    Ok(Redirect::to("/office/teams?saved=1").into_response())
}
