//! The public, anonymous side: a child (or a relative) files a tracing request, keeps a
//! code, and checks back for the office's replies.
//!
//! Built so that a state using it as an oracle learns nothing, and a phone that visited it
//! carries nothing:
//!
//! * handlers get an [`IntakeState`], which holds the office's *public* key, the two
//!   peppers and an [`IntakeStore`] — no master key, no secret key, no decrypting store
//!   method exists on any of them;
//! * one URL for everything (the configured prefix, `/` by default): every step is a POST
//!   to it with a hidden `step`, so the history holds that one neutral address;
//! * no cookie, no script needed, nothing from another origin, neutral title and icon;
//! * the check-back page is rendered from the language and the office's messages only, so
//!   "no such code", "no reply yet" and every state behind a request give the same bytes;
//!   each attempt costs two Argon2id derivations and is padded to a fixed minimum time.

pub(crate) mod form;

use super::chrome::{self, Chrome, field, form_lang, html, pad, script, stylesheet};
use crate::extract::{ClientAddressSource, ClientKey};
use crate::kernel::headers;
use crate::kernel::i18n::Tr;
use crate::kernel::kdf::KdfQueue;
use crate::kernel::ratelimit::RateLimiter;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use form::{Input, SectionView};
use reunite_crypto::{TracingCode, seal};
use reunite_domain::{Clock, Lang, Timestamp};
use reunite_store::{IntakeKeys, IntakeStore, NewIntake, StoreError};
use std::sync::Arc;

/// Settings of the public side.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// Where the public pages live: `/` or `/something/` (one neutral URL).
    pub prefix: String,
    /// The neutral browser title (`REUNITE_PUBLIC_TITLE`).
    pub title: String,
    /// The icon (bytes and content type); a plain neutral shape by default.
    pub icon: Option<(Vec<u8>, String)>,
    /// Where the quick-exit control leads (a neutral, commonly visited site).
    pub exit_url: String,
    /// Every check-back and answer takes at least this long (ms), whatever happened.
    pub check_floor_ms: u64,
    /// Every submission takes at least this long (ms).
    pub submit_floor_ms: u64,
    /// Submissions allowed in a burst per client, and ms to earn one more.
    pub submit_burst: u32,
    /// See `submit_burst`.
    pub submit_refill_ms: i64,
    /// Check-backs and answers allowed in a burst per client, and ms to earn one more.
    pub check_burst: u32,
    /// See `check_burst`.
    pub check_refill_ms: i64,
    /// Served over TLS: HSTS.
    pub tls: bool,
    /// How the client's address is found for the rate limits (trusted proxies).
    pub client_address: crate::ClientAddressPolicy,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self {
            prefix: "/".into(),
            title: "Notes".into(),
            icon: None,
            exit_url: "https://www.baidu.com/".into(),
            check_floor_ms: 1500,
            submit_floor_ms: 1000,
            submit_burst: 5,
            submit_refill_ms: 10 * 60_000,
            check_burst: 10,
            check_refill_ms: 30_000,
            tls: false,
            client_address: crate::ClientAddressPolicy::default(),
        }
    }
}

impl ClientAddressSource for IntakeState {
    fn client_address(&self) -> &crate::ClientAddressPolicy {
        &self.cfg().client_address
    }
}

/// What public handlers share: the public key, the peppers, the intake-only store.
/// Nothing in it can decrypt a request. Cheap to clone.
#[derive(Clone, Debug)]
pub struct IntakeState {
    inner: Arc<IntakeInner>,
}

#[derive(Debug)]
struct IntakeInner {
    keys: IntakeKeys,
    store: IntakeStore,
    clock: Arc<dyn Clock>,
    cfg: IntakeConfig,
    submit_limiter: RateLimiter,
    check_limiter: RateLimiter,
    /// At most one code derivation per core at a time: Argon2id (19 MiB each) run by dozens
    /// at once thrash the memory bus and every request gets slower; queued, they finish at
    /// the machine's rate.
    kdf: KdfQueue,
}

impl IntakeState {
    /// A state from the keys a mirror holds and an intake store.
    pub fn new(
        keys: IntakeKeys,
        store: IntakeStore,
        clock: Arc<dyn Clock>,
        mut cfg: IntakeConfig,
    ) -> Self {
        if !cfg.prefix.starts_with('/') {
            cfg.prefix.insert(0, '/');
        }
        if !cfg.prefix.ends_with('/') {
            cfg.prefix.push('/');
        }
        Self {
            inner: Arc::new(IntakeInner {
                submit_limiter: RateLimiter::new(cfg.submit_burst, cfg.submit_refill_ms),
                check_limiter: RateLimiter::new(cfg.check_burst, cfg.check_refill_ms),
                kdf: KdfQueue::for_this_machine(),
                keys,
                store,
                clock,
                cfg,
            }),
        }
    }

    fn cfg(&self) -> &IntakeConfig {
        &self.inner.cfg
    }

    /// Runs a code derivation off the async threads, one per core at a time.
    async fn derive<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        self.inner.kdf.run(f).await
    }
    fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }
}

/// The public routes without layers or fallback (to sit in front of the office router).
fn routes(state: IntakeState) -> Router {
    let p = state.cfg().prefix.clone();
    Router::new()
        .route(&p, get(landing).post(step))
        .route(&format!("{p}p.css"), get(stylesheet))
        .route(&format!("{p}p.js"), get(script))
        .route(&format!("{p}icon"), get(icon))
        .with_state(state)
}

fn layered(r: Router, tls: bool, route_only: bool) -> Router {
    let headers_layer = axum::middleware::map_response(move |r: Response| async move {
        headers::security_headers(r, tls)
    });
    if route_only {
        r.route_layer(axum::middleware::from_fn(headers::log_requests))
            .route_layer(axum::middleware::from_fn(headers::reject_cross_site))
            .route_layer(headers_layer)
    } else {
        r.layer(axum::middleware::from_fn(headers::log_requests))
            .layer(axum::middleware::from_fn(headers::reject_cross_site))
            .layer(headers_layer)
    }
}

/// The public side alone (`reunite serve --role intake`): the public pages and a neutral
/// "not found" for everything else.
pub fn intake_router(state: IntakeState) -> Router {
    let tls = state.cfg().tls;
    let fallback_state = state.clone();
    let r = routes(state).fallback(move || async move { not_found(&fallback_state) });
    layered(r, tls, false)
}

/// The public pages in front of the office (one process serving both).
pub fn combined_router(intake: IntakeState, office: Router) -> Router {
    let tls = intake.cfg().tls;
    layered(routes(intake), tls, true).fallback_service(office)
}

// ---------------------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "public/intake/home.html")]
struct HomePage {
    c: Chrome,
}

#[derive(Template)]
#[template(path = "public/intake/form.html")]
struct FormPage {
    c: Chrome,
    sections: Vec<SectionView>,
    form_error: &'static str,
    has_errors: bool,
}

#[derive(Template)]
#[template(path = "public/intake/code.html")]
struct CodePage {
    c: Chrome,
    code: String,
}

#[derive(Template)]
#[template(path = "public/intake/check.html")]
struct CheckPage {
    c: Chrome,
    error: &'static str,
    typed: String,
}

pub(crate) struct MessageView {
    pub date: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "public/intake/thread.html")]
struct ThreadPage {
    c: Chrome,
    code: String,
    messages: Vec<MessageView>,
    notice: &'static str,
    error: &'static str,
    answer: String,
}

fn chrome(state: &IntakeState, lang: Lang) -> Chrome {
    let cfg = state.cfg();
    Chrome::new(lang, &cfg.title, cfg.prefix.clone(), &cfg.exit_url)
}

fn not_found(state: &IntakeState) -> Response {
    chrome(state, Lang::Zh).notice(StatusCode::NOT_FOUND, Tr::new(Lang::Zh).s("pub.not_found"))
}

async fn landing(State(state): State<IntakeState>) -> Response {
    html(
        StatusCode::OK,
        &HomePage {
            c: chrome(&state, Lang::Zh),
        },
    )
}

async fn icon(State(state): State<IntakeState>) -> Response {
    match &state.cfg().icon {
        Some((bytes, ctype)) => (
            [(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_str(ctype)
                    .unwrap_or(axum::http::HeaderValue::from_static("image/x-icon")),
            )],
            bytes.clone(),
        )
            .into_response(),
        None => chrome::icon().await,
    }
}

// ---------------------------------------------------------------------------------------
// Steps (every one a POST to the one URL)

async fn step(
    State(state): State<IntakeState>,
    ClientKey(client): ClientKey,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let start = tokio::time::Instant::now();
    let lang = form_lang(field(&pairs, "lang"));
    match field(&pairs, "step").unwrap_or("") {
        "form" => form_page(&state, lang, &Input::default(), &Vec::new()),
        "submit" => {
            if !state.inner.submit_limiter.check(&client, state.now()) {
                return too_many(&state, lang);
            }
            let r = submit(&state, lang, &pairs).await;
            pad(start, state.cfg().submit_floor_ms).await;
            r
        }
        "check" => html(
            StatusCode::OK,
            &CheckPage {
                c: chrome(&state, lang),
                error: "",
                typed: String::new(),
            },
        ),
        "read" | "answer" => {
            if !state.inner.check_limiter.check(&client, state.now()) {
                return too_many(&state, lang);
            }
            let r = check_back(&state, lang, &pairs).await;
            pad(start, state.cfg().check_floor_ms).await;
            r
        }
        "exit" => chrome(&state, lang).exit(),
        _ => html(
            StatusCode::OK,
            &HomePage {
                c: chrome(&state, lang),
            },
        ),
    }
}

fn too_many(state: &IntakeState, lang: Lang) -> Response {
    chrome(state, lang).notice(
        StatusCode::TOO_MANY_REQUESTS,
        Tr::new(lang).s("pub.too_many"),
    )
}

fn form_page(
    state: &IntakeState,
    lang: Lang,
    input: &Input,
    problems: &form::Problems,
) -> Response {
    let t = Tr::new(lang);
    let form_error = problems
        .iter()
        .find(|p| p.0 == "_form")
        .map(|p| t.s(p.1))
        .unwrap_or("");
    let page = FormPage {
        c: chrome(state, lang),
        sections: form::sections(t, input, problems),
        form_error,
        has_errors: !problems.is_empty(),
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(status, &page)
}

/// What the office opens: the request, the free text and the seeker's language.
#[derive(serde::Serialize)]
struct Payload<'a> {
    v: u8,
    lang: &'static str,
    request: &'a reunite_domain::TracingRequest,
    note: &'a str,
}

fn this_year(now: Timestamp) -> i64 {
    // Days since 1970 to a year, good to a day at the turn of the year (enough for forms).
    1970 + now.millis().div_euclid(86_400_000 * 1461 / 4)
}

async fn submit(state: &IntakeState, lang: Lang, pairs: &[(String, String)]) -> Response {
    let input = Input::from_pairs(pairs);
    let (request, note) = match form::parse(&input, this_year(state.now())) {
        Ok(x) => x,
        Err(problems) => return form_page(state, lang, &input, &problems),
    };
    let payload = Payload {
        v: 1,
        lang: crate::kernel::i18n::lang_code(lang),
        request: &request,
        note: &note,
    };
    let Ok(json) = serde_json::to_vec(&payload) else {
        return failure(state, lang);
    };
    let json = reunite_crypto::Zeroizing::new(json);
    for _ in 0..3 {
        let st = state.clone();
        // Two Argon2id derivations (tens of ms each): off the async threads.
        let derived = state
            .derive(move || {
                let code = TracingCode::generate();
                let p = &st.inner.keys.peppers;
                let lookup = p.code_lookup(&code);
                let reply_key = p.reply_key(&code);
                let sealed_reply_key = seal(&st.inner.keys.office, reply_key.to_text().as_bytes());
                (code, lookup, sealed_reply_key)
            })
            .await;
        let Ok((code, code_lookup, sealed_reply_key)) = derived else {
            return failure(state, lang);
        };
        let new = NewIntake {
            code_lookup,
            sealed_request: seal(&state.inner.keys.office, &json),
            sealed_reply_key,
        };
        match state.inner.store.submit(&new, state.now()).await {
            Ok(_) => {
                return html(
                    StatusCode::OK,
                    &CodePage {
                        c: chrome(state, lang),
                        code: code.to_string(),
                    },
                );
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => {
                tracing::error!(error = %e, "intake submit failed");
                return failure(state, lang);
            }
        }
    }
    failure(state, lang)
}

fn failure(state: &IntakeState, lang: Lang) -> Response {
    chrome(state, lang).notice(
        StatusCode::SERVICE_UNAVAILABLE,
        Tr::new(lang).s("pub.failure"),
    )
}

fn date(t: Timestamp) -> String {
    let s = crate::kernel::render::format_utc(t);
    s[..10].to_string()
}

async fn check_back(state: &IntakeState, lang: Lang, pairs: &[(String, String)]) -> Response {
    let typed = field(pairs, "code").unwrap_or("").trim().to_string();
    let Ok(code) = TracingCode::parse(&typed) else {
        return html(
            StatusCode::OK,
            &CheckPage {
                c: chrome(state, lang),
                error: Tr::new(lang).s("pub.err.code"),
                typed: typed.chars().take(64).collect(),
            },
        );
    };
    let answering = field(pairs, "step") == Some("answer");
    let answer = field(pairs, "answer").unwrap_or("").trim().to_string();
    let mut error = "";
    let mut notice = "";
    if answering {
        if answer.is_empty() {
            error = "pub.err.answer_empty";
        } else if answer.chars().count() > form::MAX_NOTE {
            error = "pub.err.too_long";
        }
    }
    // The same work whatever the code: both derivations, one lookup.
    let st = state.clone();
    let shown = code.to_string();
    let derived = state
        .derive(move || {
            let p = &st.inner.keys.peppers;
            (p.code_lookup(&code), p.reply_key(&code))
        })
        .await;
    let Ok((lookup, reply_key)) = derived else {
        return failure(state, lang);
    };
    if answering && error.is_empty() {
        let sealed = seal(&state.inner.keys.office, answer.as_bytes());
        if let Err(e) = state
            .inner
            .store
            .append_answer(&lookup, &sealed, state.now())
            .await
        {
            tracing::error!(error = %e, "intake answer failed");
            return failure(state, lang);
        }
        notice = "pub.answer_sent";
    }
    let stored = match state.inner.store.office_messages(&lookup).await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "intake lookup failed");
            return failure(state, lang);
        }
    };
    let mut messages = Vec::with_capacity(stored.len());
    for m in &stored {
        // A message that does not open with this code's key is not this seeker's.
        if let Ok(text) = reunite_store::open_reply(&reply_key, m) {
            messages.push(MessageView {
                date: date(m.created_at),
                text: String::from_utf8_lossy(&text).into_owned(),
            });
        }
    }
    let t = Tr::new(lang);
    html(
        StatusCode::OK,
        &ThreadPage {
            c: chrome(state, lang),
            code: shown,
            messages,
            notice: if notice.is_empty() { "" } else { t.s(notice) },
            error: if error.is_empty() { "" } else { t.s(error) },
            // Kept only when it could not be sent, so nothing is lost.
            answer: if notice.is_empty() {
                answer
            } else {
                String::new()
            },
        },
    )
}

/// The retention job's one run: deletes requests the office does not keep whose thread has
/// been quiet for `retention_days` (unmatched requests, codes nobody used). Time is an
/// input, so the schedule is tested with a simulated clock.
pub async fn purge_expired(
    store: &IntakeStore,
    now: Timestamp,
    retention_days: i64,
) -> Result<u64, StoreError> {
    store
        .purge_expired(now.plus_secs(-retention_days.max(1) * 86_400))
        .await
}
