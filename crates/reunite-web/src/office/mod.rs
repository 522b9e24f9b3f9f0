//! The office: staff pages, one folder per feature.

pub(crate) mod admin;
pub(crate) mod assignments;
pub(crate) mod auth;
pub(crate) mod cases;
pub(crate) mod casework;
pub(crate) mod dna;
pub(crate) mod requests;
pub(crate) mod review;
pub(crate) mod tasks;
pub(crate) mod travel;

use crate::OfficeState;
use axum::Router;
use axum::routing::{get, post};

/// Every office route.
pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/office", get(auth::home))
        .route("/office/login", get(auth::login_form).post(auth::login))
        .route("/office/logout", post(auth::logout))
        .route("/office/setup", get(auth::setup_form))
        .route("/office/setup/password", post(auth::setup_password))
        .route("/office/setup/totp", post(auth::setup_totp))
        .route("/office/reauth", get(auth::reauth_form).post(auth::reauth))
        .route("/office/lang", post(auth::set_lang))
        .route("/office/users", get(admin::users).post(admin::create_user))
        .route("/office/users/{id}", post(admin::update_user))
        .route("/office/users/{id}/confirm", post(admin::confirm_user))
        .route("/office/users/{id}/cancel", post(admin::cancel_user))
        .route("/office/audit", get(admin::audit))
        .merge(assignments::routes())
        .merge(cases::routes())
        .merge(casework::routes())
        .merge(dna::routes())
        .merge(requests::routes())
        .merge(review::routes())
        .merge(tasks::routes())
        .merge(travel::routes())
}
