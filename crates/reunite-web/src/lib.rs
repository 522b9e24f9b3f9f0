//! The web tier: the only crate that knows HTTP. Server-rendered pages (askama), our own
//! CSS, no script needed, no request to any other origin, strict security headers on every
//! response.
//!
//! The office side (staff) is built here from an [`OfficeState`], which holds the store and
//! therefore the master key. The public intake side (a later step) is built from a state
//! that holds only the office's public sealing key, so a public handler cannot decrypt
//! anything by construction.
#![forbid(unsafe_code)]

mod admin;
mod auth;
mod cases;
mod dna;
mod error;
mod headers;
pub mod i18n;
pub mod intake;
mod intake_form;
mod intake_office;
pub mod intake_words;
mod member;
mod pages;
mod ratelimit;
mod review;
mod totp;
pub mod travel;
pub mod travel_checkin;
pub mod travel_notify;

use axum::Router;
use axum::routing::{get, post};
use reunite_crypto::PasswordPolicy;
use reunite_domain::Clock;
use reunite_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

pub use error::WebError;
pub use intake::{IntakeConfig, IntakeState, combined_router, intake_router};
pub use ratelimit::RateLimiter;

/// Settings of the web tier.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The neutral title shown in the browser tab.
    pub title: String,
    /// Served over TLS (directly or behind a TLS proxy): adds HSTS.
    pub tls: bool,
    /// Password hashing cost. Production uses [`PasswordPolicy::PRODUCTION`]; only tests
    /// lower it.
    pub password_policy: PasswordPolicy,
    /// Sessions end after this long without a request (seconds).
    pub session_idle_secs: i64,
    /// Sessions end this long after sign-in whatever happens (seconds).
    pub session_absolute_secs: i64,
    /// Sensitive work needs a re-authentication this recent (seconds).
    pub reauth_secs: i64,
    /// Sign-in attempts allowed in a burst per client.
    pub login_burst: u32,
    /// Milliseconds for one more sign-in attempt to become available.
    pub login_refill_ms: i64,
    /// Name shown in authenticator apps.
    pub totp_issuer: String,
    /// What the matcher proposes to the review queue.
    pub matching: reunite_store::MatchSettings,
    /// The travellers' check-in page (travel safety).
    pub checkin: travel_checkin::CheckinConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            title: "Notes".into(),
            tls: false,
            password_policy: PasswordPolicy::PRODUCTION,
            session_idle_secs: 15 * 60,
            session_absolute_secs: 12 * 3600,
            reauth_secs: 15 * 60,
            login_burst: 10,
            login_refill_ms: 6_000,
            totp_issuer: "Notes".into(),
            matching: reunite_store::MatchSettings::default(),
            checkin: travel_checkin::CheckinConfig::default(),
        }
    }
}

/// What office handlers share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OfficeState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    cfg: WebConfig,
    login_limiter: RateLimiter,
    checkin_limiter: RateLimiter,
}

impl OfficeState {
    /// A state over a store.
    pub fn new(store: Store, clock: Arc<dyn Clock>, cfg: WebConfig) -> Self {
        let login_limiter = RateLimiter::new(cfg.login_burst, cfg.login_refill_ms);
        let checkin_limiter = RateLimiter::new(cfg.checkin.burst, cfg.checkin.refill_ms);
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                cfg,
                login_limiter,
                checkin_limiter,
            }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }
    pub(crate) fn now(&self) -> reunite_domain::Timestamp {
        self.inner.clock.now()
    }
    pub(crate) fn cfg(&self) -> &WebConfig {
        &self.inner.cfg
    }
    pub(crate) fn checkin_limiter(&self) -> &RateLimiter {
        &self.inner.checkin_limiter
    }

    /// Matches a new or edited case (and whatever else changed) against the requests
    /// already filed, in the background (the caseworker does not wait; the review queue
    /// shows what it finds).
    pub(crate) fn match_cases_soon(&self) {
        let state = self.clone();
        tokio::spawn(async move {
            let settings = state.cfg().matching;
            match state
                .store()
                .match_changed_cases(settings, state.now())
                .await
            {
                Ok(n) if n > 0 => tracing::info!(proposed = n, "case matched"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "matching a case failed"),
            }
        });
    }
}

/// The whole application router (office, static files, health).
pub fn router(state: OfficeState) -> Router {
    let tls = state.cfg().tls;
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/office") }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/style.css", get(pages::stylesheet))
        .route("/favicon.ico", get(pages::favicon))
        .route("/office", get(pages::home))
        .route("/office/login", get(auth::login_form).post(auth::login))
        .route("/office/logout", post(auth::logout))
        .route("/office/setup", get(auth::setup_form))
        .route("/office/setup/password", post(auth::setup_password))
        .route("/office/setup/totp", post(auth::setup_totp))
        .route("/office/reauth", get(auth::reauth_form).post(auth::reauth))
        .route("/office/lang", post(auth::set_lang))
        .route("/office/users", get(admin::users).post(admin::create_user))
        .route("/office/users/{id}", post(admin::update_user))
        .route("/office/audit", get(admin::audit))
        .merge(cases::routes())
        .merge(dna::routes())
        .merge(intake_office::routes())
        .merge(review::routes())
        .merge(member::routes())
        .merge(travel::routes())
        .merge(travel_checkin::routes(&state.cfg().checkin))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(headers::log_requests))
        .layer(axum::middleware::from_fn(headers::reject_cross_site))
        .layer(axum::middleware::map_response(
            move |r: axum::response::Response| async move { headers::security_headers(r, tls) },
        ))
        .with_state(state)
}

/// Serves a router (the public side alone, or the public side in front of the office)
/// until the process is asked to stop.
pub async fn serve_router(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// Serves until the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn serve(listener: tokio::net::TcpListener, state: OfficeState) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
