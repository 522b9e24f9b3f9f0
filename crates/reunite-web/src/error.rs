//! Errors of the web tier, mapped to a status, a stable code a user can quote, and a message
//! in the user's language — in this one place.

use crate::i18n::Tr;
use crate::pages::{ErrorPage, render_status};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use reunite_domain::Lang;

/// What went wrong, as the user is told.
#[derive(Debug)]
pub enum WebError {
    /// No such page or record.
    NotFound(Lang),
    /// The account may not do this.
    Forbidden(Lang),
    /// Malformed request.
    BadRequest(Lang),
    /// Form token missing or wrong.
    Csrf(Lang),
    /// Too many attempts.
    RateLimited(Lang),
    /// The audit event could not be written, so the action was refused.
    AuditFailed(Lang),
    /// Anything else; the cause is logged (without values) under an incident id.
    Internal(Lang, String),
}

impl WebError {
    /// An internal error from any cause: the cause is logged with an incident id that the
    /// user sees, so the admin can find the log line.
    pub fn internal(lang: Lang, cause: impl std::fmt::Display) -> Self {
        let incident = &reunite_crypto::random_token()[..8];
        tracing::error!(incident, error = %cause, "internal error");
        WebError::Internal(lang, incident.to_string())
    }

    fn parts(&self) -> (StatusCode, String, &'static str, Lang) {
        match self {
            WebError::NotFound(l) => (
                StatusCode::NOT_FOUND,
                "RE-404".into(),
                "error.not_found",
                *l,
            ),
            WebError::Forbidden(l) => (
                StatusCode::FORBIDDEN,
                "RE-403".into(),
                "error.forbidden",
                *l,
            ),
            WebError::BadRequest(l) => (
                StatusCode::BAD_REQUEST,
                "RE-400".into(),
                "error.bad_request",
                *l,
            ),
            WebError::Csrf(l) => (StatusCode::FORBIDDEN, "RE-CSRF".into(), "error.csrf", *l),
            WebError::RateLimited(l) => (
                StatusCode::TOO_MANY_REQUESTS,
                "RE-429".into(),
                "error.rate_limited",
                *l,
            ),
            WebError::AuditFailed(l) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "RE-AUDIT".into(),
                "error.audit_failed",
                *l,
            ),
            WebError::Internal(l, incident) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("RE-500-{incident}"),
                "error.internal",
                *l,
            ),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, code, key, lang) = self.parts();
        let t = Tr::new(lang);
        render_status(
            status,
            &ErrorPage {
                t,
                title: t.s("error.title"),
                code,
                message: t.s(key),
            },
        )
    }
}

/// A storage error as the user is told: a missing record is "not found"; anything else
/// (including a read refused because its audit event could not be written, THREAT-MODEL 17)
/// is an internal error logged under an incident id.
pub(crate) fn store_error(lang: Lang, e: reunite_store::StoreError) -> WebError {
    match e {
        reunite_store::StoreError::NotFound => WebError::NotFound(lang),
        other => WebError::internal(lang, other),
    }
}

/// The answer for any unknown path.
pub(crate) async fn not_found(headers: axum::http::HeaderMap) -> Response {
    WebError::NotFound(crate::auth::guess_lang(&headers, None)).into_response()
}
