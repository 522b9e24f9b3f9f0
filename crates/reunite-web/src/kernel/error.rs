//! Errors of the web tier, mapped to a status, a stable code a user can quote, and a message
//! in the user's language — in this one place.
//!
//! A handler returns `Result<Response, WebError>` and uses `?` on anything that can fail:
//! storage errors convert with `From`. A `WebError` does not know the reader's language; it
//! becomes a response marked with a [`Failure`], and the [`render_errors`] layer, which every
//! office and member route passes through, renders the error page in the language of whoever
//! is signed in (the extractors record it in a [`LangSlot`]), or else the language the
//! browser asks for.

use crate::extract::guess_lang;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{ErrorPage, render_status};
use axum::extract::{FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::Lang;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

/// What went wrong, as the user is told.
#[derive(Debug)]
pub enum WebError {
    /// No such page or record.
    NotFound,
    /// The account may not do this.
    Forbidden,
    /// Malformed request.
    BadRequest,
    /// Form token missing or wrong.
    Csrf,
    /// Too many attempts.
    RateLimited,
    /// The audit event could not be written, so the action was refused.
    AuditFailed,
    /// Anything else; the cause is logged (without values) under this incident id.
    Internal(String),
    /// Sensitive work without a recent re-authentication: a redirect to the
    /// re-authentication page (the address, which comes back afterwards).
    Reauth(String),
}

impl WebError {
    /// An internal error from any cause: the cause is logged with an incident id that the
    /// user sees, so the admin can find the log line.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let incident = &reunite_crypto::random_token()[..8];
        tracing::error!(incident, error = %cause, "internal error");
        WebError::Internal(incident.to_string())
    }

    fn failure(&self) -> Option<Failure> {
        let (status, code, key) = match self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "RE-404".into(), "error.not_found"),
            WebError::Forbidden => (StatusCode::FORBIDDEN, "RE-403".into(), "error.forbidden"),
            WebError::BadRequest => (
                StatusCode::BAD_REQUEST,
                "RE-400".into(),
                "error.bad_request",
            ),
            WebError::Csrf => (StatusCode::FORBIDDEN, "RE-CSRF".into(), "error.csrf"),
            WebError::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "RE-429".into(),
                "error.rate_limited",
            ),
            WebError::AuditFailed => (
                StatusCode::SERVICE_UNAVAILABLE,
                "RE-AUDIT".into(),
                "error.audit_failed",
            ),
            WebError::Internal(incident) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("RE-500-{incident}"),
                "error.internal",
            ),
            WebError::Reauth(_) => return None,
        };
        Some(Failure { status, code, key })
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.failure() {
            Some(x) => f.write_str(&x.code),
            None => f.write_str("re-authentication needed"),
        }
    }
}

impl std::error::Error for WebError {}

/// A storage error as the user is told: a missing record is "not found"; anything else
/// (including a read refused because its audit event could not be written, THREAT-MODEL 17)
/// is an internal error logged under an incident id.
impl From<reunite_store::StoreError> for WebError {
    fn from(e: reunite_store::StoreError) -> Self {
        match e {
            reunite_store::StoreError::NotFound => WebError::NotFound,
            reunite_store::StoreError::Casework(
                reunite_store::casework::CaseworkRefusal::Restricted,
            ) => WebError::Forbidden,
            other => WebError::internal(other),
        }
    }
}

impl From<reunite_crypto::CryptoError> for WebError {
    fn from(e: reunite_crypto::CryptoError) -> Self {
        WebError::internal(e)
    }
}

/// A blocking task (password hashing, PDF printing) that panicked or was cancelled.
impl From<tokio::task::JoinError> for WebError {
    fn from(e: tokio::task::JoinError) -> Self {
        WebError::internal(e)
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::internal(e)
    }
}

/// The marker a failed response carries until [`render_errors`] renders its page.
#[derive(Debug, Clone)]
struct Failure {
    status: StatusCode,
    code: String,
    key: &'static str,
}

impl Failure {
    fn render(&self, lang: Lang) -> Response {
        let t = Tr::new(lang);
        render_status(
            self.status,
            &ErrorPage {
                t,
                title: t.s("error.title"),
                code: self.code.clone(),
                message: t.s(self.key),
            },
        )
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self.failure() {
            Some(failure) => {
                let mut r = failure.status.into_response();
                r.extensions_mut().insert(failure);
                r
            }
            None => match self {
                WebError::Reauth(to) => Redirect::to(&to).into_response(),
                _ => unreachable!("only Reauth has no failure page"),
            },
        }
    }
}

/// The language of the person a request is for, once an extractor knows it. Cloned into
/// the request by [`render_errors`]; set by the staff and member extractors (and by pages
/// that take the language from a form).
#[derive(Debug, Clone, Default)]
pub(crate) struct LangSlot(Arc<OnceLock<Lang>>);

impl LangSlot {
    /// Records the reader's language (the first one recorded wins).
    pub fn set(&self, lang: Lang) {
        let _ = self.0.set(lang);
    }

    /// Records the reader's language on a request on its way to its handler.
    pub fn set_in(parts: &Parts, lang: Lang) {
        if let Some(slot) = parts.extensions.get::<LangSlot>() {
            slot.set(lang);
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LangSlot {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<LangSlot>()
            .cloned()
            .unwrap_or_default())
    }
}

/// The one place where error pages are rendered: a response that carries a [`Failure`] gets
/// its page in the reader's language.
pub(crate) async fn render_errors(mut req: Request, next: Next) -> Response {
    let fallback = guess_lang(req.headers(), None);
    let slot = LangSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    match res.extensions_mut().remove::<Failure>() {
        Some(failure) => failure.render(slot.0.get().copied().unwrap_or(fallback)),
        None => res,
    }
}

/// The answer for any unknown path.
pub(crate) async fn not_found() -> Response {
    WebError::NotFound.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn body_of(router: Router, accept: &str) -> (StatusCode, String) {
        let res = router
            .layer(axum::middleware::from_fn(render_errors))
            .oneshot(
                Request::builder()
                    .uri("/x")
                    .header("accept-language", accept)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn an_error_page_is_rendered_in_the_readers_language() {
        // Nobody signed in: the browser's language.
        let r = Router::new().route("/x", get(|| async { WebError::Forbidden }));
        let (status, body) = body_of(r, "zh-CN").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            body.contains(Tr::new(Lang::Zh).s("error.forbidden")),
            "{body}"
        );
        assert!(body.contains("RE-403"));

        // Someone whose language is known: hers, whatever the browser says.
        let r = Router::new().route(
            "/x",
            get(|slot: LangSlot| async move {
                slot.set(Lang::En);
                Err::<Response, _>(WebError::from(reunite_store::StoreError::NotFound))
            }),
        );
        let (status, body) = body_of(r, "ko").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            body.contains(Tr::new(Lang::En).s("error.not_found")),
            "{body}"
        );
    }

    #[tokio::test]
    async fn reauthentication_is_a_redirect_not_a_page() {
        let r = Router::new().route(
            "/x",
            get(|| async { WebError::Reauth("/office/reauth?next=/office/cases".into()) }),
        );
        let res = r
            .layer(axum::middleware::from_fn(render_errors))
            .oneshot(Request::builder().uri("/x").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()["location"],
            "/office/reauth?next=/office/cases"
        );
    }
}
