//! The check-in page (issue 8): a public page that looks like nothing in particular.
//!
//! * One configurable path (`/n/` by default) for everything: every step is a POST to it,
//!   so the history holds that one address; no cookie, no storage, no script needed,
//!   neutral title and wording ("Notes", "Number", "PIN", "Save"), quick exit first.
//! * The trip is found by an eight-digit check-in number she learned by heart, kept in the
//!   database only as a keyed hash; the PIN is checked against both Argon2id hashes (the
//!   PIN and the duress PIN) on every attempt, and two dummy verifications run when the
//!   number is unknown, so every attempt costs the same.
//! * The duress PIN is recorded exactly like a check-in and raises the highest alert in
//!   the same transaction; the answer is rendered from the language alone, so it is the
//!   same bytes as a normal check-in, and every attempt is padded to a fixed minimum time.
//! * Wrong PINs never stop her check-in (issue 16): every attempt is checked and her PIN
//!   or duress PIN is always recorded. After a few wrong PINs for a trip, only one answer
//!   per spacing (5 minutes, doubling with every further wrong PIN, at most a day) tells
//!   the truth; every other attempt, right, duress or wrong, gets the "not recognised"
//!   page, so a guesser learns nothing between two answers. The trip's count of wrong
//!   PINs is kept for the office and raises an office alert past a threshold; a
//!   per-address rate limit sits in front.

use crate::OfficeState;
use crate::kernel::i18n::Tr;
use crate::public::chrome::{Chrome, field, form_lang, html, icon, pad, script, stylesheet};
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use reunite_crypto::PasswordCheck;
use reunite_domain::{Lang, Timestamp};
use reunite_store::CheckinKind;

/// Settings of the check-in page.
#[derive(Debug, Clone)]
pub struct CheckinConfig {
    /// Where the page lives (`/n/` by default): one neutral address.
    pub path: String,
    /// The neutral browser title.
    pub title: String,
    /// Where the quick-exit control leads.
    pub exit_url: String,
    /// Every check-in attempt takes at least this long (ms), whatever happened.
    pub floor_ms: u64,
    /// Attempts allowed in a burst per client address, and ms to earn one more.
    pub burst: u32,
    /// See `burst`.
    pub refill_ms: i64,
    /// Wrong PINs for a trip (since her last check-in answered "saved") after which
    /// truthful answers are spaced out.
    pub throttle_after: i64,
    /// Then, one attempt per this many ms is answered truthfully; the spacing doubles with
    /// every further wrong PIN…
    pub throttle_ms: i64,
    /// …up to this many ms.
    pub throttle_max_ms: i64,
    /// Wrong PINs in a trip after which the office is alerted ("many wrong PINs").
    pub alert_after: i64,
}

impl Default for CheckinConfig {
    fn default() -> Self {
        Self {
            path: "/n/".into(),
            title: "Notes".into(),
            exit_url: "https://www.baidu.com/".into(),
            floor_ms: 1500,
            burst: 10,
            refill_ms: 60_000,
            throttle_after: 5,
            throttle_ms: 5 * 60_000,
            throttle_max_ms: 24 * 3_600_000,
            alert_after: 5,
        }
    }
}

impl CheckinConfig {
    /// The path with one leading and one trailing slash.
    pub fn normalized_path(&self) -> String {
        let mut p = self.path.trim().to_string();
        if !p.starts_with('/') {
            p.insert(0, '/');
        }
        if !p.ends_with('/') {
            p.push('/');
        }
        p
    }

    /// Whether answers for a trip are being spaced out at `now`: after `throttle_after`
    /// wrong PINs, the last truthful answer was less than the spacing ago.
    pub fn throttled(&self, throttle_wrong: i64, last_answered: Timestamp, now: Timestamp) -> bool {
        if throttle_wrong < self.throttle_after {
            return false;
        }
        let doublings = (throttle_wrong - self.throttle_after).clamp(0, 30) as u32;
        let spacing = self
            .throttle_ms
            .saturating_mul(1i64 << doublings)
            .min(self.throttle_max_ms.max(self.throttle_ms));
        now.millis_since(last_answered) < spacing
    }
}

/// Longest city she may type.
const MAX_CITY: usize = 100;

pub(crate) fn routes(cfg: &CheckinConfig) -> Router<OfficeState> {
    let p = cfg.normalized_path();
    Router::new()
        .route(&p, get(landing).post(step))
        .route(&format!("{p}p.css"), get(stylesheet))
        .route(&format!("{p}p.js"), get(script))
        .route(&format!("{p}icon"), get(icon))
}

#[derive(Template)]
#[template(path = "public/checkin/form.html")]
struct FormPage {
    c: Chrome,
    error: &'static str,
}

#[derive(Template)]
#[template(path = "public/checkin/done.html")]
struct DonePage {
    c: Chrome,
}

fn chrome(state: &OfficeState, lang: Lang) -> Chrome {
    let cfg = &state.cfg().checkin;
    Chrome::new(lang, &cfg.title, cfg.normalized_path(), &cfg.exit_url)
}

async fn landing(State(state): State<OfficeState>) -> Response {
    form(&state, Lang::Zh, "")
}

fn form(state: &OfficeState, lang: Lang, error: &'static str) -> Response {
    html(
        StatusCode::OK,
        &FormPage {
            c: chrome(state, lang),
            error,
        },
    )
}

async fn step(
    State(state): State<OfficeState>,
    crate::extract::ClientKey(client): crate::extract::ClientKey,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let start = tokio::time::Instant::now();
    let lang = form_lang(field(&pairs, "lang"));
    match field(&pairs, "step").unwrap_or("") {
        "save" => {
            if !state.checkin_limiter().check(&client, state.now()) {
                return chrome(&state, lang).notice(
                    StatusCode::TOO_MANY_REQUESTS,
                    Tr::new(lang).s("checkin.too_many"),
                );
            }
            let r = check_in(&state, lang, &pairs).await;
            pad(start, state.cfg().checkin.floor_ms).await;
            r
        }
        "exit" => chrome(&state, lang).exit(),
        _ => form(&state, lang, ""),
    }
}

/// What an attempt turned out to be.
enum Outcome {
    Checked(CheckinKind),
    /// Wrong PIN for a known trip (counted).
    Wrong(String),
    /// Unknown number (or a trip that is not active).
    Unknown,
}

async fn check_in(state: &OfficeState, lang: Lang, pairs: &[(String, String)]) -> Response {
    let code: String = field(pairs, "number")
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .take(16)
        .collect();
    let pin: String = field(pairs, "pin")
        .unwrap_or("")
        .trim()
        .chars()
        .take(16)
        .collect();
    let city: String = field(pairs, "place")
        .unwrap_or("")
        .trim()
        .chars()
        .take(MAX_CITY)
        .collect();
    let back = field(pairs, "done") == Some("1");
    let now = state.now();
    let cfg = &state.cfg().checkin;
    let target = if code.len() == reunite_store::travel::TRIP_CODE_DIGITS {
        match state.store().checkin_target(&code).await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "check-in lookup failed");
                return failure(state, lang);
            }
        }
    } else {
        None
    };
    // Whether this attempt gets a truthful answer. It is checked, and recorded if right,
    // either way: the spacing slows guessing without swallowing her check-in.
    let throttled = target
        .as_ref()
        .is_some_and(|t| cfg.throttled(t.throttle_wrong, t.last_attempt_at, now));
    let policy = state.cfg().password_policy;
    let hashes = target
        .as_ref()
        .map(|t| (t.pin_phc.clone(), t.duress_phc.clone()));
    // Two Argon2id verifications on every path, in the process's bounded queue.
    let checked = state
        .kdf(move || match hashes {
            Some((p, d)) => {
                let ok = matches!(
                    reunite_crypto::verify_password(&policy, &pin, &p),
                    PasswordCheck::Valid { .. }
                );
                let duress = matches!(
                    reunite_crypto::verify_password(&policy, &pin, &d),
                    PasswordCheck::Valid { .. }
                );
                (ok, duress)
            }
            None => {
                reunite_crypto::dummy_verify(&policy, &pin);
                reunite_crypto::dummy_verify(&policy, &pin);
                (false, false)
            }
        })
        .await;
    let Ok((ok, duress)) = checked else {
        return failure(state, lang);
    };
    let outcome = match &target {
        None => Outcome::Unknown,
        Some(_) if duress => Outcome::Checked(CheckinKind::Duress),
        // While answers are spaced out, "finished" does not end the trip: someone trying
        // every PIN blindly must not be able to end the office's watch by luck.
        Some(_) if ok && back && !throttled => Outcome::Checked(CheckinKind::Back),
        Some(_) if ok => Outcome::Checked(CheckinKind::Ok),
        Some(t) => Outcome::Wrong(t.trip_id.clone()),
    };
    match outcome {
        Outcome::Checked(kind) => {
            let Some(t) = &target else {
                return failure(state, lang);
            };
            if let Err(e) = state
                .store()
                .record_page_checkin(&t.trip_id, kind, &city, !throttled, now)
                .await
            {
                tracing::error!(error = %e, "check-in failed");
                return failure(state, lang);
            }
            if throttled {
                // Recorded, but answered like a wrong PIN: "saved" now would tell a guesser
                // that he hit (docs/travel.md).
                return form(state, lang, Tr::new(lang).s("checkin.error"));
            }
            html(
                StatusCode::OK,
                &DonePage {
                    c: chrome(state, lang),
                },
            )
        }
        Outcome::Wrong(trip_id) => {
            if let Err(e) = state
                .store()
                .record_wrong_pin(&trip_id, !throttled, cfg.alert_after, now)
                .await
            {
                tracing::error!(error = %e, "check-in failed");
            }
            form(state, lang, Tr::new(lang).s("checkin.error"))
        }
        Outcome::Unknown => form(state, lang, Tr::new(lang).s("checkin.error")),
    }
}

fn failure(state: &OfficeState, lang: Lang) -> Response {
    chrome(state, lang).notice(
        StatusCode::SERVICE_UNAVAILABLE,
        Tr::new(lang).s("pub.failure"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_is_normalised() {
        let c = CheckinConfig {
            path: "notes".into(),
            ..CheckinConfig::default()
        };
        assert_eq!(c.normalized_path(), "/notes/");
        assert_eq!(CheckinConfig::default().normalized_path(), "/n/");
    }

    #[test]
    fn answers_are_spaced_out_after_wrong_pins_doubling_up_to_the_cap() {
        let c = CheckinConfig::default();
        let t0 = Timestamp(1_000_000_000_000);
        let min = |m: i64| t0.plus_millis(m * 60_000);
        assert!(!c.throttled(4, t0, t0));
        assert!(c.throttled(5, t0, min(4)));
        assert!(!c.throttled(5, t0, min(5)));
        assert!(c.throttled(6, t0, min(9)));
        assert!(!c.throttled(6, t0, min(10)));
        assert!(c.throttled(7, t0, min(19)));
        assert!(c.throttled(1_000, t0, min(24 * 60 - 1)));
        assert!(!c.throttled(1_000, t0, min(24 * 60)));
    }
}
