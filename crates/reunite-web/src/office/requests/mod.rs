//! Tracing requests in the office: the list (nothing identifying: requests stay sealed),
//! opening one (re-authentication, audited by the store before anything is opened), the
//! thread with the seeker, replies, and keeping a request from the retention job.
//!
//! Replies reach a seeker's phone, which may be inspected: a reply that names the
//! organisation or carries a sensitive keyword ([`crate::kernel::words`]) is refused before
//! anything is stored, with the word named so the caseworker can rewrite it.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render, render_status};
use crate::kernel::words::find_sensitive;
use crate::office::cases::{PersonView, date_text, person_view, place_text};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use reunite_domain::{Lang, TracingRequest};
use serde::Deserialize;

/// Requests shown in the list.
const LIST_LIMIT: i64 = 500;
/// Longest reply (the same bound as a seeker's note).
const MAX_REPLY: usize = crate::public::intake::form::MAX_NOTE;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/office/requests", get(list))
        .route("/office/requests/{id}", get(view))
        .route("/office/requests/{id}/reply", post(reply))
        .route("/office/requests/{id}/keep", post(keep))
}

// ---------------------------------------------------------------------------------------
// Helpers

fn status_label(t: Tr, status: &str) -> &'static str {
    match status {
        "new" => t.s("req.status.new"),
        "kept" => t.s("req.status.kept"),
        _ => t.s("req.status.opened"),
    }
}

fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

fn date_only(t: reunite_domain::Timestamp) -> String {
    format_utc(t)[..10].to_string()
}

// ---------------------------------------------------------------------------------------
// List

pub(crate) struct ListRow {
    id: String,
    short: String,
    status: &'static str,
    filed: String,
    last: String,
    messages: i64,
}

#[derive(Template)]
#[template(path = "office/requests/list.html")]
pub(crate) struct ListPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    rows: Vec<ListRow>,
    total: String,
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Request)?;
    let t = staff.t();
    let store = state.store();
    let items = store.intake_list(LIST_LIMIT).await?;
    // On intake duty: every request. Otherwise those a match links to her cases.
    let linked = if policy::may(&staff, Act::Open, Subject::RequestOf(Default::default())) {
        None
    } else {
        let cases = store
            .visible_case_ids(&staff.user.id, false, state.now())
            .await?;
        Some(store.requests_of_cases(&cases).await?)
    };
    let rows: Vec<ListRow> = items
        .into_iter()
        .filter(|s| linked.as_ref().is_none_or(|l| l.contains(&s.id)))
        .map(|s| ListRow {
            short: short_id(&s.id),
            status: status_label(t, &s.status),
            filed: date_only(s.created_at),
            last: format_utc(s.last_activity),
            messages: s.messages,
            id: s.id,
        })
        .collect();
    Ok(render(&ListPage {
        t,
        title: t.s("req.title"),
        nav: staff.nav("/office/requests"),
        total: t.f("req.total", &[("n", &rows.len().to_string())]),
        rows,
    }))
}

// ---------------------------------------------------------------------------------------
// View

/// What the public side seals (see `intake::Payload`); unknown fields are ignored so a
/// later version still opens.
#[derive(Deserialize)]
struct OpenedPayload {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    request: TracingRequest,
    #[serde(default)]
    note: String,
}

pub(crate) struct MessageView {
    from_office: bool,
    from: &'static str,
    time: String,
    text: String,
}

#[derive(Template)]
#[template(path = "office/requests/view.html")]
pub(crate) struct ViewPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    status: &'static str,
    filed: String,
    seeker_lang: &'static str,
    relation: &'static str,
    sought: PersonView,
    seeker: PersonView,
    father: Option<PersonView>,
    sep_when: String,
    sep_where: String,
    sep_how: &'static str,
    residence: String,
    note: String,
    messages: Vec<MessageView>,
    kept: bool,
    reply: String,
    error: Option<String>,
    notice: Option<&'static str>,
    max_reply: usize,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ViewQuery {
    #[serde(default)]
    sent: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

/// Opens the request (audited by the store) and renders it, with a reply form holding
/// `reply` and an optional error.
async fn open_page(
    state: &OfficeState,
    staff: &Staff,
    id: &str,
    reply: String,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<ViewPage, WebError> {
    let t = staff.t();
    let actor = staff.actor(state).await?;
    let opened = state.store().intake_open(id, &actor, state.now()).await?;
    let payload: OpenedPayload = serde_json::from_slice(&opened.payload)
        .map_err(|e| WebError::internal(format!("request payload: {e}")))?;
    let r = &payload.request;
    let sep = r.separation.clone().unwrap_or_default();
    let status = if opened.status == "new" {
        "opened"
    } else {
        opened.status.as_str()
    };
    let messages = opened
        .messages
        .iter()
        .map(|m| {
            let from_office = m.direction == "office";
            MessageView {
                from_office,
                from: if from_office {
                    t.s("req.from_office")
                } else {
                    t.s("req.from_seeker")
                },
                time: format_utc(m.created_at),
                text: m.text.as_str().to_string(),
            }
        })
        .collect();
    let here = format!("/office/requests/{}", enc(id));
    Ok(ViewPage {
        t,
        title: t.f("req.view_title", &[("id", &short_id(&opened.id))]),
        nav: staff.nav(&here),
        id: opened.id.clone(),
        status: status_label(t, status),
        filed: format_utc(opened.created_at),
        seeker_lang: Lang::from_tag(&payload.lang)
            .map(|l| Tr::new(l).s("lang.name"))
            .unwrap_or("?"),
        relation: t.label_or(r.relation, "case.unknown"),
        sought: person_view(t, &r.sought),
        seeker: person_view(t, &r.seeker),
        father: r.father.as_ref().map(|f| person_view(t, f)),
        sep_when: date_text(t, &sep.date),
        sep_where: place_text(t, &sep.place),
        sep_how: t.label_or(sep.cause, "case.unknown"),
        residence: place_text(t, &r.residence_cn),
        note: payload.note.clone(),
        messages,
        kept: status == "kept",
        reply,
        error,
        notice,
        max_reply: MAX_REPLY,
    })
}

pub(crate) async fn view(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Request)?;
    policy::request(&state, &staff, &id).await?;
    let here = format!("/office/requests/{}", enc(&id));
    staff.recent(&state, &here)?;
    let t = staff.t();
    let notice = if q.sent.is_some() {
        Some(t.s("req.sent"))
    } else if q.saved.is_some() {
        Some(t.s("req.saved"))
    } else {
        None
    };
    let page = open_page(&state, &staff, &id, String::new(), None, notice).await?;
    Ok(render(&page))
}

// ---------------------------------------------------------------------------------------
// Reply and keep

#[derive(Debug, Deserialize)]
pub(crate) struct ReplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// Why a reply may not be sent, in the staff member's language.
pub(crate) fn reply_problem(t: Tr, text: &str) -> Option<String> {
    if text.is_empty() {
        Some(t.s("req.err.empty").to_string())
    } else if text.chars().count() > MAX_REPLY {
        Some(t.f("req.err.too_long", &[("n", &MAX_REPLY.to_string())]))
    } else {
        find_sensitive(text).map(|w| t.f("req.err.sensitive", &[("word", w)]))
    }
}

pub(crate) async fn reply(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Request)?;
    policy::request(&state, &staff, &id).await?;
    staff.check_csrf(&form.csrf)?;
    let here = format!("/office/requests/{}", enc(&id));
    // The answer shows the request again (on a refusal), so the same rule as opening it.
    staff.recent(&state, &here)?;
    let t = staff.t();
    let text = form.text.trim().to_string();
    if let Some(problem) = reply_problem(t, &text) {
        let page = open_page(&state, &staff, &id, form.text, Some(problem), None).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let actor = staff.actor(&state).await?;
    state
        .store()
        .intake_reply(&id, &text, &actor, state.now())
        .await?;
    Ok(Redirect::to(&format!("{here}?sent=1")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    keep: String,
}

pub(crate) async fn keep(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<KeepForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Request)?;
    policy::request(&state, &staff, &id).await?;
    staff.check_csrf(&form.csrf)?;
    let kept = match form.keep.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(WebError::BadRequest),
    };
    let actor = staff.actor(&state).await?;
    state
        .store()
        .intake_set_kept(&id, kept, &actor, state.now())
        .await?;
    Ok(Redirect::to(&format!("/office/requests/{}?saved=1", enc(&id))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reunite_domain::Lang;

    #[test]
    fn replies_are_checked_before_sending() {
        let t = Tr::new(Lang::En);
        assert!(reply_problem(t, "").is_some());
        assert!(reply_problem(t, &"a".repeat(MAX_REPLY + 1)).is_some());
        let p = reply_problem(Tr::new(Lang::Ko), "탈북 관련").unwrap();
        assert!(p.contains("탈북"), "{p}");
        assert_eq!(reply_problem(t, "Please write when it suits you."), None);
    }
}
