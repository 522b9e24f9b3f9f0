//! The case list: filters, paging, who sees which cases.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use reunite_domain::{CaseStatus, Role, UserId};
use reunite_store::{Assigned, CaseFilter};
use serde::Deserialize;
use std::collections::HashMap;

use super::*;

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    child: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    assigned: String,
    #[serde(default)]
    page: Option<usize>,
}

pub(crate) struct ListRow {
    id: String,
    mother: String,
    children: String,
    status: &'static str,
    assigned: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "office/cases/list.html")]
pub(crate) struct ListPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    is_admin: bool,
    q: String,
    child: String,
    place: String,
    status: String,
    assigned: String,
    statuses: Vec<(&'static str, &'static str)>,
    caseworkers: Vec<(String, String)>,
    rows: Vec<ListRow>,
    total: String,
    prev: Option<String>,
    next: Option<String>,
}

pub(super) async fn caseworker_options(
    state: &OfficeState,
) -> Result<Vec<(String, String)>, WebError> {
    let users = state.store().list_users().await?;
    Ok(users
        .into_iter()
        .filter(|u| u.role == Role::Caseworker && u.active())
        .map(|u| (u.id.0, u.username.into_inner()))
        .collect())
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Registry)?;
    staff.recent(&state, "/office/cases")?;
    let t = staff.t();
    let is_admin = staff.user.role == Role::Admin;
    let page = q.page.unwrap_or(0);
    let assigned = if !is_admin {
        Some(Assigned::To(staff.user.id.clone()))
    } else if q.assigned == "none" {
        Some(Assigned::Nobody)
    } else if q.assigned.is_empty() {
        None
    } else {
        Some(Assigned::To(UserId(q.assigned.clone())))
    };
    let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let filter = CaseFilter {
        name: nonempty(&q.q),
        child: nonempty(&q.child),
        place: nonempty(&q.place),
        status: q.status.parse().ok(),
        assigned,
        offset: page * PAGE,
        limit: PAGE,
    };
    let result = state
        .store()
        .search_cases(&filter, &staff.case_actor(), state.now())
        .await
        .map_err(|_| WebError::AuditFailed)?;
    let names = if is_admin {
        staff_names(&state).await?
    } else {
        HashMap::new()
    };
    let rows = result
        .items
        .into_iter()
        .map(|c| ListRow {
            mother: c
                .mother_names
                .iter()
                .map(|n| n.expose().as_str())
                .collect::<Vec<_>>()
                .join(" · "),
            children: c
                .child_names
                .iter()
                .map(|n| n.expose().as_str())
                .collect::<Vec<_>>()
                .join(" · "),
            status: t.label(c.status),
            assigned: match &c.assigned_to {
                None => t.s("case.nobody").to_string(),
                Some(u) if *u == staff.user.id => t.s("case.me").to_string(),
                Some(u) => names.get(&u.0).cloned().unwrap_or_else(|| u.0.clone()),
            },
            updated: format_utc(reunite_domain::Timestamp(c.updated_at)),
            id: c.id,
        })
        .collect();
    let link = |p: usize| {
        format!(
            "/office/cases?q={}&child={}&place={}&status={}&assigned={}&page={p}",
            enc(&q.q),
            enc(&q.child),
            enc(&q.place),
            enc(&q.status),
            enc(&q.assigned)
        )
    };
    let caseworkers = if is_admin {
        caseworker_options(&state).await?
    } else {
        Vec::new()
    };
    Ok(render(&ListPage {
        t,
        title: t.s("cases.title"),
        nav: staff.nav("/office/cases"),
        is_admin,
        statuses: t.options::<CaseStatus>(None),
        caseworkers,
        rows,
        total: t.f("cases.total", &[("n", &result.total.to_string())]),
        prev: (page > 0).then(|| link(page - 1)),
        next: ((page + 1) * PAGE < result.total).then(|| link(page + 1)),
        q: q.q,
        child: q.child,
        place: q.place,
        status: q.status,
        assigned: q.assigned,
    }))
}
