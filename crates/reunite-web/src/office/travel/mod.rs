//! Travel safety in the office (issue 8): registering a trip of a case, the safety
//! briefing and its confirmation, starting and ending a trip, the board (duress and
//! overdue first), a trip's timeline and the acknowledgement of alerts — by two different
//! people for duress, many wrong PINs, and ending a trip with an open alert — and the
//! admins' editing of the briefing texts.
//!
//! Everything that opens a trip or the board needs a recent re-authentication and is
//! audited by the store before anything is opened. The public check-in page is in
//! [`crate::public::checkin`]; outgoing messages and the scheduler in
//! [`crate::jobs::notify`].

mod board;
mod briefing;
mod trips;

pub(crate) use briefing::{briefing_text, text_hash};
pub(crate) use trips::{TripForm, hash_pins, parse_trip};

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::format_utc;
use axum::Router;
use axum::routing::{get, post};
use reunite_domain::travel::{Schedule, Stage, format_hhmm};
use reunite_store::{StoreError, TripStatus};

/// Longest free-text field.
const MAX_TEXT: usize = 4000;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/office/travel", get(board::board))
        .route(
            "/office/travel/briefing",
            get(briefing::briefing_form).post(briefing::briefing_save),
        )
        .route(
            "/office/cases/{id}/trips",
            get(trips::case_trips).post(trips::create),
        )
        .route("/office/travel/trips/{id}", get(trips::view))
        .route(
            "/office/travel/trips/{id}/briefing",
            post(trips::confirm_briefing),
        )
        .route("/office/travel/trips/{id}/activate", post(trips::activate))
        .route("/office/travel/trips/{id}/end", post(trips::end))
        .route(
            "/office/travel/trips/{id}/end/confirm",
            post(trips::confirm_end),
        )
        .route("/office/travel/alerts/{id}/ack", post(trips::acknowledge))
        .route(
            "/office/travel/alerts/{id}/confirm",
            post(trips::confirm_ack),
        )
}

// ---------------------------------------------------------------------------------------
// Helpers

fn stage_label(t: Tr, s: Stage) -> &'static str {
    match s {
        Stage::Reminder => t.s("travel.stage.1"),
        Stage::OnCall => t.s("travel.stage.2"),
        Stage::Senior => t.s("travel.stage.3"),
        Stage::Duress => t.s("travel.stage.4"),
        Stage::WrongPins => t.s("travel.stage.5"),
    }
}

fn when(t: Tr, ts: Option<reunite_domain::Timestamp>) -> String {
    ts.map(format_utc)
        .unwrap_or_else(|| t.s("travel.never").to_string())
}

/// How a staff account is named on the trip pages (its user name, opened), or its id.
async fn user_label(state: &OfficeState, id: &str) -> String {
    match state
        .store()
        .user_by_id(&reunite_domain::UserId(id.to_string()))
        .await
    {
        Ok(Some(u)) => u.username.expose().clone(),
        _ => id.to_string(),
    }
}

pub(crate) fn short(id: &str) -> String {
    id.trim_start_matches("trip-").chars().take(8).collect()
}

fn schedule_text(t: Tr, s: &Schedule) -> String {
    t.f(
        "travel.schedule_text",
        &[
            ("hours", &format!("{}", f64::from(s.interval_mins) / 60.0)),
            ("start", &format_hhmm(s.window_start_min)),
            ("end", &format_hhmm(s.window_end_min)),
            ("tz", &s.tz),
            ("grace", &s.grace_mins.to_string()),
        ],
    )
}

fn state_error(e: StoreError) -> WebError {
    match e {
        StoreError::Conflict(_) => WebError::BadRequest,
        other => WebError::from(other),
    }
}
