//! Page templates (askama, compiled in) and the small static assets.

use crate::kernel::i18n::Tr;
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// What the page chrome needs to show the signed-in navigation.
#[derive(Debug, Clone)]
pub(crate) struct Nav {
    pub is_admin: bool,
    /// Caseworkers and admins work with cases; researchers and reviewers do not.
    pub sees_cases: bool,
    pub csrf: String,
    /// The current path, for returning after a language change.
    pub here: String,
}

/// Renders a template with status 200.
pub(crate) fn render<T: Template>(page: &T) -> Response {
    render_status(StatusCode::OK, page)
}

/// Renders a template with a status.
pub(crate) fn render_status<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "RE-500-TEMPLATE").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub t: Tr,
    pub title: &'static str,
    pub code: String,
    pub message: &'static str,
}

#[derive(Template)]
#[template(path = "office/auth/login.html")]
pub(crate) struct LoginPage {
    pub t: Tr,
    pub title: &'static str,
    pub notice: Option<&'static str>,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "office/auth/setup.html")]
pub(crate) struct SetupPage {
    pub t: Tr,
    pub title: &'static str,
    pub csrf: String,
    pub need_password: bool,
    pub qr_svg: String,
    pub key_text: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "office/auth/reauth.html")]
pub(crate) struct ReauthPage {
    pub t: Tr,
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub next: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "office/home.html")]
pub(crate) struct HomePage {
    pub t: Tr,
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub role: &'static str,
    pub notice: Option<&'static str>,
    /// The counts of what waits for her (caseworkers and admins).
    pub dash: Option<reunite_store::Dashboard>,
}

pub(crate) struct UserRow {
    pub id: String,
    pub username: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub second_factor: bool,
    pub disabled: bool,
    /// False for a new account that waits for a second administrator.
    pub confirmed: bool,
    pub created: String,
    pub is_self: bool,
}

/// Something that waits for a second administrator (issue 16, finding 8).
pub(crate) struct PendingRow {
    pub id: String,
    pub username: String,
    /// What waits, in words.
    pub what: String,
    /// The user name of the administrator who asked.
    pub by: String,
    /// Asked by whoever is looking: only another administrator may confirm.
    pub by_me: bool,
    /// The role the account will have (sent back with the confirmation).
    pub role: &'static str,
    /// `1` when the account will be enabled (sent back with the confirmation).
    pub enable: &'static str,
}

#[derive(Template)]
#[template(path = "office/admin/users.html")]
pub(crate) struct UsersPage {
    pub t: Tr,
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub users: Vec<UserRow>,
    pub pending: Vec<PendingRow>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub error: Option<&'static str>,
    pub notice: Option<&'static str>,
    pub form_username: String,
}

#[derive(Template)]
#[template(path = "office/admin/user_created.html")]
pub(crate) struct UserCreatedPage {
    pub t: Tr,
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub intro: String,
    pub password: String,
}

pub(crate) struct AuditRow {
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "office/admin/audit.html")]
pub(crate) struct AuditPageView {
    pub t: Tr,
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub rows: Vec<AuditRow>,
    pub total: String,
    pub newer: Option<i64>,
    pub older: Option<i64>,
}

/// Percent-encodes a value for a URL path segment or query (RFC 3986 unreserved kept).
pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Formats a UTC timestamp as `YYYY-MM-DD HH:MM`.
pub(crate) fn format_utc(t: reunite_domain::Timestamp) -> String {
    let secs = t.millis().div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(crate) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

pub(crate) async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml")],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(reunite_domain::Timestamp(0)), "1970-01-01 00:00");
        assert_eq!(
            format_utc(reunite_domain::Timestamp::from_secs(1_795_000_000)),
            "2026-11-18 11:06"
        );
        assert_eq!(
            format_utc(reunite_domain::Timestamp::from_secs(951_782_400)),
            "2000-02-29 00:00"
        );
    }
}
