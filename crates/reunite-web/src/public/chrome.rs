//! What the public pages share (the intake pages and the check-in page): the chrome around
//! every page, the quick-exit and notice pages, the stylesheet, script and neutral icon,
//! and reading the language and fields of a form.

use crate::kernel::i18n::{Tr, lang_from_code};
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use reunite_domain::Lang;
use std::time::Duration;

/// What every public page needs around its content.
pub(crate) struct Chrome {
    pub t: Tr,
    pub title: String,
    pub prefix: String,
    pub exit_url: String,
}

impl Chrome {
    /// The chrome in `lang` for a side with this neutral title, path and exit address.
    pub(crate) fn new(lang: Lang, title: &str, prefix: String, exit_url: &str) -> Self {
        Chrome {
            t: Tr::new(lang),
            title: title.to_string(),
            prefix,
            exit_url: exit_url.to_string(),
        }
    }

    /// The quick-exit page: straight on to the neutral site.
    pub(crate) fn exit(self) -> Response {
        html(StatusCode::OK, &ExitPage { c: self })
    }

    /// A page with one message.
    pub(crate) fn notice(self, status: StatusCode, message: &'static str) -> Response {
        html(status, &NoticePage { c: self, message })
    }
}

#[derive(Template)]
#[template(path = "public/exit.html")]
struct ExitPage {
    c: Chrome,
}

#[derive(Template)]
#[template(path = "public/notice.html")]
struct NoticePage {
    c: Chrome,
    message: &'static str,
}

/// A rendered page with its status (a bare "error" if the template fails).
pub(crate) fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response(),
    }
}

/// The language a form asks for; Simplified Chinese, the public default, otherwise.
pub(crate) fn form_lang(code: Option<&str>) -> Lang {
    code.and_then(lang_from_code).unwrap_or(Lang::Zh)
}

/// The first value of a form field.
pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Pads a response to a fixed minimum time from the start of the request, so that how long
/// it took says nothing about what happened. A security measure, not a test device.
pub(crate) async fn pad(start: tokio::time::Instant, floor_ms: u64) {
    tokio::time::sleep_until(start + Duration::from_millis(floor_ms)).await;
}

pub(crate) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/public.css"),
    )
        .into_response()
}

pub(crate) async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/public.js"),
    )
        .into_response()
}

/// The neutral icon shipped with reunite.
pub(crate) async fn icon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml")],
        include_str!("../../static/public_icon.svg"),
    )
        .into_response()
}
