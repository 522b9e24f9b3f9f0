//! A mother's own trips (issue 8, in her member account): she registers a trip to China for
//! her case — the same form and rules as her caseworker's — reads the safety briefing in
//! her language and confirms it herself; the confirmation is recorded with the text she
//! read. Starting a trip, the board and the alerts stay with the office.

use super::her_case;
use crate::OfficeState;
use crate::extract::MemberUser;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{enc, format_utc, render, render_status};
use crate::office::travel::{TripForm, briefing_text, hash_pins, parse_trip, short, text_hash};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use reunite_store::{CaseActor, StoreError, TripStatus};
use serde::Deserialize;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/member/trips", get(list).post(create))
        .route("/member/trips/{id}", get(view))
        .route("/member/trips/{id}/briefing", post(confirm))
}

pub(crate) struct TripRow {
    id: String,
    short: String,
    status: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "member/trips.html")]
pub(crate) struct TripsPage {
    t: Tr,
    title: &'static str,
    trips: Vec<TripRow>,
    form: TripForm,
    error: Option<&'static str>,
    created: Option<(String, String)>,
    checkin_path: String,
    action: String,
    csrf: String,
}

async fn trips_page(
    state: &OfficeState,
    m: &MemberUser,
    form: TripForm,
    error: Option<&'static str>,
    created: Option<(String, String)>,
) -> Result<TripsPage, WebError> {
    let t = m.t();
    let case_id = her_case(state, m).await?;
    let trips = state
        .store()
        .trips_of_case(&case_id)
        .await?
        .into_iter()
        .map(|x| TripRow {
            short: short(&x.id),
            status: t.label(x.status),
            created: format_utc(x.created_at),
            id: x.id,
        })
        .collect();
    Ok(TripsPage {
        t,
        title: t.s("member.trips"),
        trips,
        form: form.without_secrets(),
        error,
        created,
        checkin_path: state.cfg().checkin.path.clone(),
        action: "/member/trips".into(),
        csrf: m.session.csrf.clone(),
    })
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    m: MemberUser,
) -> Result<Response, WebError> {
    let mut form = TripForm::defaults();
    form.lang = crate::kernel::i18n::lang_code(m.lang()).into();
    Ok(render(&trips_page(&state, &m, form, None, None).await?))
}

pub(crate) async fn create(
    State(state): State<OfficeState>,
    m: MemberUser,
    Form(form): Form<TripForm>,
) -> Result<Response, WebError> {
    m.check_csrf(&form.csrf)?;
    let lang = m.lang();
    let case_id = her_case(&state, &m).await?;
    let (mut trip, pin, duress) = match parse_trip(&case_id, &form) {
        Ok(x) => x,
        Err(key) => {
            let page = trips_page(&state, &m, form, Some(key), None).await?;
            return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    hash_pins(&state, &mut trip, pin, duress).await?;
    let (id, code) = state
        .store()
        .create_trip(&trip, &CaseActor::Member(m.user.id.clone()), state.now())
        .await?;
    let mut fresh = TripForm::defaults();
    fresh.lang = crate::kernel::i18n::lang_code(lang).into();
    let page = trips_page(&state, &m, fresh, None, Some((id, code.to_string()))).await?;
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "member/trip.html")]
pub(crate) struct TripPage {
    t: Tr,
    title: String,
    id: String,
    status: &'static str,
    briefed: Option<String>,
    needs_briefing: bool,
    briefing: String,
    csrf: String,
}

/// Her trip: only one of her own case's.
async fn her_trip(
    state: &OfficeState,
    m: &MemberUser,
    id: &str,
) -> Result<reunite_store::TripMeta, WebError> {
    let case_id = her_case(state, m).await?;
    match state.store().trip_meta(id).await {
        Ok(Some(t)) if t.case_id == case_id => Ok(t),
        Ok(_) => Err(WebError::NotFound),
        Err(e) => Err(WebError::from(e)),
    }
}

pub(crate) async fn view(
    State(state): State<OfficeState>,
    m: MemberUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = m.t();
    let trip = her_trip(&state, &m, &id).await?;
    let briefing = briefing_text(&state, m.lang()).await?;
    Ok(render(&TripPage {
        t,
        title: t.f("member.trip_title", &[("id", &short(&id))]),
        status: t.label(trip.status),
        briefed: trip.briefed.as_ref().map(|b| format_utc(b.0)),
        needs_briefing: trip.briefed.is_none() && trip.status == TripStatus::Planned,
        briefing,
        csrf: m.session.csrf.clone(),
        id,
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    confirmed: String,
}

/// She confirms the briefing she read (the language and a hash of the text are recorded).
pub(crate) async fn confirm(
    State(state): State<OfficeState>,
    m: MemberUser,
    Path(id): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    m.check_csrf(&form.csrf)?;
    her_trip(&state, &m, &id).await?;
    let blang = crate::kernel::i18n::lang_from_code(&form.lang).ok_or(WebError::BadRequest)?;
    if form.confirmed != "1" {
        return Err(WebError::BadRequest);
    }
    let text = briefing_text(&state, blang).await?;
    match state
        .store()
        .confirm_trip_briefing(
            &id,
            crate::kernel::i18n::lang_code(blang),
            &text_hash(&text),
            &CaseActor::Member(m.user.id.clone()),
            state.now(),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/member/trips/{}", enc(&id))).into_response()),
        Err(StoreError::NotFound) => Err(WebError::NotFound),
        Err(StoreError::Conflict(_)) => Err(WebError::BadRequest),
        Err(e) => Err(WebError::from(e)),
    }
}
