//! The web tier: the only crate that knows HTTP. Server-rendered pages (askama), our own
//! CSS, no script needed, no request to any other origin, strict security headers on every
//! response.
//!
//! The folders are the features: `office/<feature>/` (staff pages), `member/` (the mother's
//! pages), `public/` (pages for people without an account), `jobs/` (work beside the
//! server); `kernel/` holds what they all use, `extract.rs` who is asking, `policy.rs` what
//! they may open. The office side is built from an [`OfficeState`], which holds the store and
//! therefore the master key. The public intake side is built from an [`IntakeState`] that
//! holds only the office's public sealing key, so a public handler cannot decrypt anything
//! by construction.
#![forbid(unsafe_code)]

mod extract;
pub mod jobs;
mod kernel;
mod member;
mod office;
mod policy;
pub mod public;

use axum::Router;
use axum::routing::get;

pub use kernel::client::{ClientAddressPolicy, ClientIpHeader};
pub use kernel::error::WebError;
pub use kernel::i18n;
pub use kernel::ratelimit::RateLimiter;
pub use kernel::serve::{ServeLimits, serve, serve_router, serve_router_until, serve_router_with};
pub use kernel::state::{OfficeState, WebConfig};
pub use kernel::words::find_sensitive;
pub use public::checkin::CheckinConfig;
pub use public::intake::{
    IntakeConfig, IntakeState, combined_router, intake_router, purge_expired,
};

/// The whole application router (office, member pages, the check-in page, static files,
/// health), with the layers every response passes through.
pub fn router(state: OfficeState) -> Router {
    let tls = state.cfg().tls;
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/office") }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/style.css", get(kernel::render::stylesheet))
        .route("/favicon.ico", get(kernel::render::favicon))
        .merge(office::routes())
        .merge(member::routes())
        .merge(public::checkin::routes(&state.cfg().checkin))
        .fallback(kernel::error::not_found)
        .layer(axum::middleware::from_fn(kernel::error::render_errors))
        .layer(axum::middleware::from_fn(kernel::headers::log_requests))
        .layer(axum::middleware::from_fn(kernel::headers::reject_cross_site))
        .layer(axum::middleware::map_response(
            move |r: axum::response::Response| async move {
                kernel::headers::security_headers(r, tls)
            },
        ))
        .with_state(state)
}
