//! Administration: staff accounts and the audit trail. Admins only, and only after a recent
//! re-authentication; every view and change is itself audited.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{
    AuditPageView, AuditRow, UserCreatedPage, UserRow, UsersPage, format_utc, render, render_status,
};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::{Action, Role, UserId, Username, UsernameError};
use reunite_store::{NewUser, StoreError};
use serde::Deserialize;

fn roles(t: Tr) -> Vec<(&'static str, &'static str)> {
    Role::STAFF
        .iter()
        .map(|r| (r.as_str(), t.role(r.as_str())))
        .collect()
}

async fn users_page(
    state: &OfficeState,
    staff: &Staff,
    error: Option<&'static str>,
    form_username: String,
) -> Result<Response, WebError> {
    let t = staff.t();
    // Staff names are personal data: listing them is a sensitive read.
    staff
        .audit(state, Action::SensitiveRead, "users", "list")
        .await?;
    let list = state.store().list_users().await?;
    let users = list
        .into_iter()
        .map(|u| UserRow {
            is_self: u.id == staff.user.id,
            id: u.id.0,
            username: u.username.into_inner(),
            role: u.role.as_str(),
            role_label: t.role(u.role.as_str()),
            second_factor: u.has_second_factor,
            disabled: u.disabled,
            created: format_utc(u.created_at),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render_status(
        status,
        &UsersPage {
            t,
            title: t.s("users.title"),
            nav: staff.nav("/office/users"),
            users,
            roles: roles(t),
            error,
            form_username,
        },
    ))
}

pub(crate) async fn users(
    State(state): State<OfficeState>,
    staff: Staff,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.recent(&state, "/office/users")?;
    users_page(&state, &staff, None, String::new()).await
}

#[derive(Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

pub(crate) async fn create_user(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, "/office/users")?;
    let t = staff.t();
    let lang = staff.lang();
    let username = match Username::parse(&form.username) {
        Ok(u) => u,
        Err(e) => {
            let key = match e {
                UsernameError::Length => "error.username_length",
                UsernameError::Characters => "error.username_chars",
            };
            return users_page(&state, &staff, Some(t.s(key)), form.username).await;
        }
    };
    let Some(role) = form
        .role
        .parse::<Role>()
        .ok()
        .filter(|r| *r != Role::Member)
    else {
        return users_page(&state, &staff, Some(t.s("error.role")), form.username).await;
    };
    let (password, phc) = state.one_time_password().await?;
    let actor = staff.actor(&state).await?;
    let created = state
        .store()
        .create_user(
            &NewUser {
                username: username.clone(),
                role,
                password_phc: phc,
                lang,
                must_change_password: true,
            },
            &actor,
            state.now(),
        )
        .await;
    match created {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            return users_page(
                &state,
                &staff,
                Some(t.s("error.username_taken")),
                form.username,
            )
            .await;
        }
        Err(e) => return Err(WebError::internal(e)),
    }
    Ok(render(&UserCreatedPage {
        t,
        title: t.s("users.created_title"),
        nav: staff.nav("/office/users"),
        intro: t.f("users.created_intro", &[("username", username.expose())]),
        password: password.to_string(),
    }))
}

#[derive(Deserialize)]
pub(crate) struct UpdateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    disabled: Option<String>,
}

pub(crate) async fn update_user(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<UpdateForm>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, "/office/users")?;
    let t = staff.t();
    // Member accounts are made for a case by its caseworker; no staff account becomes one
    // and no member account becomes staff here.
    let Some(role) = form
        .role
        .parse::<Role>()
        .ok()
        .filter(|r| *r != Role::Member)
    else {
        return users_page(&state, &staff, Some(t.s("error.role")), String::new()).await;
    };
    let target = UserId(id);
    if target == staff.user.id {
        return users_page(
            &state,
            &staff,
            Some(t.s("error.self_change")),
            String::new(),
        )
        .await;
    }
    // A member account stays a member account (only disabling it is an admin's to do).
    let role = match state.store().user_by_id(&target).await {
        Ok(Some(u)) if u.role == Role::Member => Role::Member,
        Ok(_) => role,
        Err(e) => return Err(WebError::internal(e)),
    };
    let actor = staff.actor(&state).await?;
    match state
        .store()
        .change_account(
            &target,
            role,
            form.disabled.is_some(),
            &staff.user.id,
            &actor,
            state.now(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/office/users").into_response()),
        Err(StoreError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::internal(e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    page: Option<i64>,
}

const AUDIT_PAGE: i64 = 50;

pub(crate) async fn audit(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.recent(&state, "/office/audit")?;
    let t = staff.t();
    let page = q.page.unwrap_or(0).max(0);
    staff.audit(&state, Action::AuditRead, "", "").await?;
    let p = state
        .store()
        .audit_page(page * AUDIT_PAGE, AUDIT_PAGE)
        .await?;
    let rows = p
        .events
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            time: format_utc(e.at),
            actor: e.actor,
            action: action_label(t, e.action),
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    Ok(render(&AuditPageView {
        t,
        title: t.s("audit.title"),
        nav: staff.nav("/office/audit"),
        rows,
        total: t.f("audit.total", &[("n", &p.total.to_string())]),
        newer: (page > 0).then(|| page - 1),
        older: ((page + 1) * AUDIT_PAGE < p.total).then_some(page + 1),
    }))
}

/// An action as shown in the audit trail: its label where it has one (`audit.action.*`),
/// else its stable identifier.
fn action_label(t: Tr, action: String) -> String {
    let key = format!("audit.action.{action}");
    if crate::kernel::i18n::has_key(&key) {
        t.s(&key).to_string()
    } else {
        action
    }
}
