//! The tasks of one case: the list, the form that adds one, marking one done.

use super::{Row, row};
use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, render, render_status};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::UserId;
use reunite_domain::task::{Due, LINK_KINDS, MAX_TASK_TEXT};
use reunite_store::{CaseMeta, NewTask};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "office/tasks/case.html")]
pub(crate) struct CasePage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    case_id: String,
    rows: Vec<Row>,
    acts: bool,
    assignees: Vec<(String, String)>,
    links: Vec<(&'static str, &'static str)>,
    tz: String,
    f: TaskForm,
    errors: Vec<String>,
    saved: bool,
}

/// The add form (also read from the query string to pre-fill a link).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TaskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    due_time: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    link_kind: String,
    #[serde(default)]
    link_id: String,
    #[serde(default)]
    saved: Option<String>,
}

/// Who may be given a task of the case: its caseworker, its team and the asker, each only
/// if the policy lets her open the case. (id, sign-in name).
async fn assignees(
    state: &OfficeState,
    staff: &Staff,
    meta: &CaseMeta,
) -> Result<Vec<(String, String)>, WebError> {
    let mut ids: Vec<UserId> = vec![staff.user.id.clone()];
    ids.extend(meta.assigned_to.clone());
    if let Some(team) = &meta.team_id {
        for t in state.store().list_teams().await? {
            if &t.id == team {
                ids.extend(t.members.into_iter().map(|m| m.user_id));
            }
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for id in ids {
        if out.iter().any(|(i, _)| *i == id.0) {
            continue;
        }
        let Some(user) = state.store().user_by_id(&id).await? else {
            continue;
        };
        if user.disabled {
            continue;
        }
        let reach = state.store().reach(&id).await?;
        let Some((_, rel)) = state.store().relation(&id, &meta.id, state.now()).await? else {
            continue;
        };
        let rel = reunite_store::access::Relation {
            glass: false,
            ..rel
        };
        if policy::allows(user.role, &reach, Act::Open, Subject::Case(rel)) {
            out.push((id.0, user.username.expose().clone()));
        }
    }
    Ok(out)
}

async fn page(
    state: &OfficeState,
    staff: &Staff,
    meta: &CaseMeta,
    acts: bool,
    f: TaskForm,
    errors: Vec<String>,
) -> Result<CasePage, WebError> {
    let t = staff.t();
    let tz = state.cfg().office_tz.clone();
    let now = state.now();
    let tasks = state
        .store()
        .tasks_of_case(&meta.id, &staff.case_actor(), now)
        .await?;
    let here = format!("/office/cases/{}/tasks", enc(&meta.id));
    Ok(CasePage {
        t,
        title: t.f("tasks.case_title", &[("id", &meta.id)]),
        nav: staff.nav(&here),
        case_id: meta.id.clone(),
        rows: tasks
            .iter()
            .map(|x| row(t, x, &staff.user.id.0, &tz, now))
            .collect(),
        acts,
        assignees: if acts {
            assignees(state, staff, meta).await?
        } else {
            Vec::new()
        },
        links: LINK_KINDS
            .iter()
            .map(|k| (*k, t.s(&format!("tasks.link.{k}"))))
            .collect(),
        tz,
        saved: f.saved.is_some(),
        f,
        errors,
    })
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
    Query(mut f): Query<TaskForm>,
) -> Result<Response, WebError> {
    let meta = policy::case(&state, &staff, &case_id).await?;
    staff.recent(&state, &format!("/office/cases/{}/tasks", enc(&case_id)))?;
    let acts = policy::case_to_act(&state, &staff, &case_id).await.is_ok();
    if !LINK_KINDS.contains(&f.link_kind.as_str()) {
        f.link_kind.clear();
        f.link_id.clear();
    }
    f.link_id.truncate(100);
    f.what.clear();
    if f.assignee.is_empty() {
        f.assignee = staff.user.id.0.clone();
    }
    Ok(render(&page(&state, &staff, &meta, acts, f, vec![]).await?))
}

pub(crate) async fn create(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
    Form(f): Form<TaskForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let meta = policy::case_to_act(&state, &staff, &case_id).await?;
    staff.recent(&state, &format!("/office/cases/{}/tasks", enc(&case_id)))?;
    let t = staff.t();
    let tz = state.cfg().office_tz.clone();
    let mut errors = Vec::new();
    let what = f.what.trim();
    if what.is_empty() {
        errors.push(format!("{}: {}", t.s("tasks.what"), t.s("problem.missing")));
    } else if what.chars().count() > MAX_TASK_TEXT {
        errors.push(format!(
            "{}: {}",
            t.s("tasks.what"),
            t.s("problem.too_long")
        ));
    }
    let due = Due::parse(&tz, &f.due_on, &f.due_time);
    if due.is_none() {
        errors.push(format!("{}: {}", t.s("tasks.due"), t.s("tasks.err.due")));
    }
    let allowed = assignees(&state, &staff, &meta).await?;
    if !allowed.iter().any(|(id, _)| *id == f.assignee) {
        errors.push(format!(
            "{}: {}",
            t.s("tasks.assignee"),
            t.s("tasks.err.assignee")
        ));
    }
    let link = match (f.link_kind.trim(), f.link_id.trim()) {
        ("", _) => None,
        (kind, id) if LINK_KINDS.contains(&kind) && !id.is_empty() && id.len() <= 100 => {
            Some((kind.to_string(), id.to_string()))
        }
        _ => {
            errors.push(format!("{}: {}", t.s("tasks.link"), t.s("tasks.err.link")));
            None
        }
    };
    let Some(due) = due.filter(|_| errors.is_empty()) else {
        let p = page(&state, &staff, &meta, true, f, errors).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p));
    };
    state
        .store()
        .create_task(
            &NewTask {
                case_id: case_id.clone(),
                what: what.to_string(),
                due,
                overdue_at: due.overdue_at(&tz),
                assigned_to: UserId(f.assignee.clone()),
                link,
            },
            &staff.case_actor(),
            state.now(),
        )
        .await?;
    Ok(Redirect::to(&format!("/office/cases/{}/tasks?saved=1", enc(&case_id))).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DoneForm {
    #[serde(default)]
    csrf: String,
    /// Where to go back to: `mine` for "my tasks", else the case's tasks.
    #[serde(default)]
    back: String,
}

pub(crate) async fn done(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(task_id): Path<String>,
    Form(f): Form<DoneForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let case_id = state
        .store()
        .case_of_task(&task_id)
        .await?
        .ok_or(WebError::NotFound)?;
    policy::case_to_act(&state, &staff, &case_id).await?;
    let back = if f.back == "mine" {
        "/office/tasks".to_string()
    } else {
        format!("/office/cases/{}/tasks", enc(&case_id))
    };
    staff.recent(&state, &back)?;
    match state
        .store()
        .complete_task(&task_id, &staff.case_actor(), state.now())
        .await
    {
        Ok(()) | Err(reunite_store::StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&back).into_response())
}
