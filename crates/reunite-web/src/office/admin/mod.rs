//! Administration: staff accounts and the audit trail. Admins only, and only after a recent
//! re-authentication; every view and change is itself audited.
//!
//! Four eyes (issue 16, finding 8): an account made here, a raise of a role and the
//! re-enabling of a disabled account wait until a *different* administrator confirms them on
//! this page; lowering and disabling apply at once, so one administrator can always stop a
//! compromised account. The rule is `reunite_domain::AccountPlan`; the store applies it in
//! one transaction. Accounts made on the server (`reunite init`, `reunite users add`) are
//! confirmed: whoever runs commands there holds the master key already.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{
    AuditPageView, AuditRow, PendingRow, UserCreatedPage, UserRow, UsersPage, format_utc, render,
    render_status,
};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::{Action, Role, UserId, Username, UsernameError};
use reunite_store::{AccountUpdate, Cancellation, Confirmation, NewUser, StoreError, UserSummary};
use serde::Deserialize;
use std::collections::HashMap;

fn roles(t: Tr) -> Vec<(&'static str, &'static str)> {
    Role::STAFF
        .iter()
        .map(|r| (r.as_str(), t.role(r.as_str())))
        .collect()
}

/// What the accounts page says above the list: a refusal (with its status) or a notice.
enum Message {
    None,
    Error(StatusCode, &'static str),
    Notice(&'static str),
}

impl Message {
    fn bad(key: &'static str, t: Tr) -> Message {
        Message::Error(StatusCode::BAD_REQUEST, t.s(key))
    }
}

/// What waits on an account, in words: a new account, a raise, a re-enabling.
fn pending_row(
    t: Tr,
    u: &UserSummary,
    names: &HashMap<String, String>,
    me: &UserId,
) -> Option<PendingRow> {
    let p = u.pending.as_ref()?;
    let becomes = p.role.unwrap_or(u.role);
    let to = t.role(becomes.as_str());
    let what = if !u.confirmed {
        t.f("users.what_new", &[("role", to)])
    } else {
        match (p.role, p.enable) {
            (Some(_), true) => t.f(
                "users.what_role_enable",
                &[("from", t.role(u.role.as_str())), ("to", to)],
            ),
            (Some(_), false) => t.f(
                "users.what_role",
                &[("from", t.role(u.role.as_str())), ("to", to)],
            ),
            (None, _) => t.s("users.what_enable").to_string(),
        }
    };
    Some(PendingRow {
        id: u.id.0.clone(),
        username: u.username.expose().clone(),
        what,
        by: names.get(&p.by.0).cloned().unwrap_or_default(),
        by_me: p.by == *me,
        role: becomes.as_str(),
        enable: if p.enable { "1" } else { "0" },
    })
}

async fn users_page(
    state: &OfficeState,
    staff: &Staff,
    message: Message,
    form_username: String,
) -> Result<Response, WebError> {
    let t = staff.t();
    // Staff names are personal data: listing them is a sensitive read.
    staff
        .audit(state, Action::SensitiveRead, "users", "list")
        .await?;
    let list = state.store().list_users().await?;
    let names: HashMap<String, String> = list
        .iter()
        .map(|u| (u.id.0.clone(), u.username.expose().clone()))
        .collect();
    let pending = list
        .iter()
        .filter_map(|u| pending_row(t, u, &names, &staff.user.id))
        .collect();
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
            confirmed: u.confirmed,
            created: format_utc(u.created_at),
        })
        .collect();
    let (status, error, notice) = match message {
        Message::None => (StatusCode::OK, None, None),
        Message::Error(status, e) => (status, Some(e), None),
        Message::Notice(n) => (StatusCode::OK, None, Some(n)),
    };
    Ok(render_status(
        status,
        &UsersPage {
            t,
            title: t.s("users.title"),
            nav: staff.nav("/office/users"),
            users,
            pending,
            roles: roles(t),
            error,
            notice,
            form_username,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct UsersQuery {
    waiting: Option<String>,
}

pub(crate) async fn users(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<UsersQuery>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.recent(&state, "/office/users")?;
    let message = if q.waiting.is_some() {
        Message::Notice(staff.t().s("users.waiting_notice"))
    } else {
        Message::None
    };
    users_page(&state, &staff, message, String::new()).await
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
            return users_page(&state, &staff, Message::bad(key, t), form.username).await;
        }
    };
    let Some(role) = form
        .role
        .parse::<Role>()
        .ok()
        .filter(|r| *r != Role::Member)
    else {
        return users_page(&state, &staff, Message::bad("error.role", t), form.username).await;
    };
    let (password, phc) = state.one_time_password().await?;
    let actor = staff.actor(&state).await?;
    // It waits for another administrator: until then its one-time password opens nothing.
    let created = state
        .store()
        .create_user_pending(
            &NewUser {
                username: username.clone(),
                role,
                password_phc: phc,
                lang,
                must_change_password: true,
            },
            &staff.user.id,
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
                Message::bad("error.username_taken", t),
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
        return users_page(&state, &staff, Message::bad("error.role", t), String::new()).await;
    };
    let target = UserId(id);
    if target == staff.user.id {
        return users_page(
            &state,
            &staff,
            Message::bad("error.self_change", t),
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
        Ok(AccountUpdate::Done | AccountUpdate::Unchanged) => {
            Ok(Redirect::to("/office/users").into_response())
        }
        Ok(AccountUpdate::Waiting) => Ok(Redirect::to("/office/users?waiting=1").into_response()),
        Ok(AccountUpdate::Unconfirmed) => {
            users_page(
                &state,
                &staff,
                Message::Error(StatusCode::CONFLICT, t.s("error.account_unconfirmed")),
                String::new(),
            )
            .await
        }
        Err(StoreError::Conflict(_)) => {
            users_page(
                &state,
                &staff,
                Message::Error(StatusCode::CONFLICT, t.s("error.account_changed")),
                String::new(),
            )
            .await
        }
        Err(StoreError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::internal(e)),
    }
}

#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    /// The role the account will have, as the page showed it.
    #[serde(default)]
    role: String,
    /// Whether the account will be enabled, as the page showed it (`1`).
    #[serde(default)]
    enable: String,
}

/// A second administrator confirms a new account, a raise or a re-enabling.
pub(crate) async fn confirm_user(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, "/office/users")?;
    let t = staff.t();
    // Any role, a member's too (re-enabling a mother's account waits like any other): the
    // store applies only what waits, and only if it is what this role names.
    let Ok(role) = form.role.parse::<Role>() else {
        return users_page(&state, &staff, Message::bad("error.role", t), String::new()).await;
    };
    let actor = staff.actor(&state).await?;
    let done = state
        .store()
        .confirm_account(
            &UserId(id),
            role,
            form.enable == "1",
            &staff.user.id,
            &actor,
            state.now(),
        )
        .await;
    let refusal = match done {
        Ok(Confirmation::Done) => return Ok(Redirect::to("/office/users").into_response()),
        Ok(Confirmation::OwnChange) => (StatusCode::FORBIDDEN, "error.confirm_own_change"),
        Ok(Confirmation::OwnAccount) => (StatusCode::FORBIDDEN, "error.confirm_own_account"),
        Ok(Confirmation::NotAsShown) => (StatusCode::CONFLICT, "error.account_changed"),
        Err(StoreError::NotFound) => return Err(WebError::NotFound),
        Err(e) => return Err(WebError::internal(e)),
    };
    users_page(
        &state,
        &staff,
        Message::Error(refusal.0, t.s(refusal.1)),
        String::new(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct CancelForm {
    #[serde(default)]
    csrf: String,
}

/// Any administrator, the one who asked too, cancels what waits: a new account is removed,
/// a raise or a re-enabling is dropped.
pub(crate) async fn cancel_user(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, "/office/users")?;
    let t = staff.t();
    let actor = staff.actor(&state).await?;
    match state
        .store()
        .cancel_pending(&UserId(id), &actor, state.now())
        .await
    {
        Ok(Cancellation::Removed | Cancellation::Dropped | Cancellation::NothingPending) => {
            Ok(Redirect::to("/office/users").into_response())
        }
        Err(StoreError::Conflict(_)) => {
            users_page(
                &state,
                &staff,
                Message::Error(StatusCode::CONFLICT, t.s("error.account_changed")),
                String::new(),
            )
            .await
        }
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
