//! The mother's own pages (a member account, made by her caseworker for her case): the
//! questions the office asks her — whether she wants contact with someone who may be her
//! child, shown only as her caseworker chose to word it — with her yes or no, and her
//! messages with the office. Nothing of the office and nothing of other cases is reachable:
//! the [`MemberUser`] extractor admits members only, and every office page refuses them.

use super::her_case;
use crate::OfficeState;
use crate::extract::MemberUser;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{format_utc, render, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use reunite_domain::review::MatchState;
use reunite_store::{FROM_MEMBER, FROM_OFFICE, StoreError};
use serde::Deserialize;

/// Longest message she can write.
const MAX_TEXT: usize = crate::public::intake::form::MAX_NOTE;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/member", get(home))
        .route("/member/answer/{id}", post(answer))
        .route("/member/withdraw/{id}", post(withdraw))
        .route("/member/messages", post(write))
}

pub(crate) struct Question {
    id: String,
    text: String,
    open: bool,
    answer: &'static str,
    can_withdraw: bool,
}

pub(crate) struct MessageRow {
    from_office: bool,
    from: &'static str,
    time: String,
    text: String,
}

#[derive(Template)]
#[template(path = "member/home.html")]
pub(crate) struct HomePage {
    t: Tr,
    title: &'static str,
    csrf: String,
    questions: Vec<Question>,
    messages: Vec<MessageRow>,
    message: String,
    error: Option<String>,
    notice: Option<&'static str>,
    max_text: usize,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct HomeQuery {
    #[serde(default)]
    answered: Option<String>,
    #[serde(default)]
    sent: Option<String>,
}

async fn home_page(
    state: &OfficeState,
    m: &MemberUser,
    message: String,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<HomePage, WebError> {
    let t = m.t();
    let store = state.store();
    let case_id = her_case(state, m).await?;
    let mut questions = Vec::new();
    for s in store.candidates_of_case(&case_id).await? {
        // She sees a question once she has been asked, never the matcher's guesses.
        let answer = match s.state {
            MatchState::Asked => "",
            MatchState::Consented
            | MatchState::Approved
            | MatchState::Connected
            | MatchState::Reunited => t.s("member.answered_yes"),
            MatchState::Declined => t.s("member.answered_no"),
            MatchState::Withdrawn => t.s("member.withdrawn"),
            _ => continue,
        };
        let c = store.candidate(&s.id).await?;
        // A match withdrawn before she was asked was never hers to see.
        let Some(excerpt) = c.excerpt.as_ref().map(|e| e.as_str().to_string()) else {
            continue;
        };
        questions.push(Question {
            text: excerpt,
            open: s.state == MatchState::Asked,
            answer,
            can_withdraw: reunite_domain::review::member_withdraw(&c.facts, &m.user.id.0).is_ok(),
            id: s.id,
        });
    }
    let messages = store
        .member_messages(&case_id)
        .await?
        .into_iter()
        .map(|msg| {
            let from_office = msg.direction == FROM_OFFICE;
            MessageRow {
                from_office,
                from: if from_office {
                    t.s("member.from_office")
                } else {
                    t.s("member.from_me")
                },
                time: format_utc(msg.created_at),
                text: msg.text.as_str().to_string(),
            }
        })
        .collect();
    Ok(HomePage {
        t,
        title: t.s("member.title"),
        csrf: m.session.csrf.clone(),
        questions,
        messages,
        message,
        error,
        notice,
        max_text: MAX_TEXT,
    })
}

pub(crate) async fn home(
    State(state): State<OfficeState>,
    m: MemberUser,
    Query(q): Query<HomeQuery>,
) -> Result<Response, WebError> {
    let t = m.t();
    let notice = if q.answered.is_some() {
        Some(t.s("member.thanks"))
    } else if q.sent.is_some() {
        Some(t.s("req.sent"))
    } else {
        None
    };
    Ok(render(
        &home_page(&state, &m, String::new(), None, notice).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer: String,
}

pub(crate) async fn answer(
    State(state): State<OfficeState>,
    m: MemberUser,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, WebError> {
    m.check_csrf(&form.csrf)?;
    let yes = match form.answer.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(WebError::BadRequest),
    };
    match state
        .store()
        .member_answer(&id, &m.user.id, yes, state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to("/member?answered=1").into_response()),
        // Not hers, or no longer open: the same answer as an unknown id.
        Err(StoreError::Refused(_)) | Err(StoreError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::from(e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// She no longer wants the contact: the match is withdrawn, whatever stage it reached.
pub(crate) async fn withdraw(
    State(state): State<OfficeState>,
    m: MemberUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    m.check_csrf(&form.csrf)?;
    match state
        .store()
        .member_withdraw(&id, &m.user.id, state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to("/member?answered=1").into_response()),
        Err(StoreError::Refused(_)) | Err(StoreError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::from(e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct WriteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

pub(crate) async fn write(
    State(state): State<OfficeState>,
    m: MemberUser,
    Form(form): Form<WriteForm>,
) -> Result<Response, WebError> {
    m.check_csrf(&form.csrf)?;
    let t = m.t();
    let text = form.text.trim();
    let problem = if text.is_empty() {
        Some(t.s("req.err.empty").to_string())
    } else if text.chars().count() > MAX_TEXT {
        Some(t.f("req.err.too_long", &[("n", &MAX_TEXT.to_string())]))
    } else {
        None
    };
    if let Some(p) = problem {
        let page = home_page(&state, &m, form.text.clone(), Some(p), None).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let case_id = her_case(&state, &m).await?;
    let actor = state.store().pseudonym("user", &m.user.id.0).await?;
    state
        .store()
        .add_member_message(&case_id, FROM_MEMBER, text, &actor, state.now())
        .await?;
    Ok(Redirect::to("/member?sent=1").into_response())
}
