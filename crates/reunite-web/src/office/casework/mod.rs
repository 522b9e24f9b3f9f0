//! Casework in the office (issue 17): a case's notes, the services given to the mother,
//! and referrals of a service to a partner with a printable sheet.
//!
//! Who: those who may open the case (`policy::case`) see the pages; only those who work
//! on it (`policy::case_to_act`, not break-glass) add or change anything. A restricted
//! note's text opens only for its author and the supervisors of the case's team
//! (`policy::note`); the store re-checks and audits the read before opening it. Every page
//! shows sealed text, so every page needs a recent re-authentication.

mod notes;
mod services;

use crate::OfficeState;
use axum::Router;
use axum::routing::{get, post};

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route(
            "/office/cases/{id}/notes",
            get(notes::list).post(notes::add),
        )
        .route("/office/notes/{nid}", get(notes::view))
        .route(
            "/office/cases/{id}/services",
            get(services::list).post(services::add),
        )
        .route("/office/services/{sid}/status", post(services::status))
        .route("/office/services/{sid}/referrals", post(services::refer))
        .route("/office/referrals/{rid}/outcome", post(services::outcome))
        .route("/office/referrals/{rid}/sheet", get(services::sheet))
}
