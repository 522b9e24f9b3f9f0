//! Staff authentication: sign-in with password and TOTP, first-time setup, sessions,
//! re-authentication for sensitive work, sign-out, language choice.

use crate::error::WebError;
use crate::i18n::Tr;
use crate::pages::{HomePage, LoginPage, Nav, ReauthPage, SetupPage, render, render_status};
use crate::{OfficeState, totp};
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use reunite_crypto::{PasswordCheck, PasswordPolicy};
use reunite_domain::{Action, Lang, NewAuditEvent, Role, Timestamp, Username};
use reunite_store::{Session, SessionStage, User};
use serde::Deserialize;
use std::net::SocketAddr;

/// The session cookie. `__Host-` binds it to this host, path `/`, and requires `Secure`.
pub(crate) const COOKIE: &str = "__Host-reunite-session";

/// Minimum length of a staff password.
pub(crate) const MIN_PASSWORD_CHARS: usize = 12;

/// The language for a request without a signed-in user: `?lang=`, else `Accept-Language`,
/// else Korean (the office works in South Korea).
pub(crate) fn guess_lang(headers: &HeaderMap, query: Option<&str>) -> Lang {
    query
        .and_then(Lang::from_tag)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::Ko)
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(token: &str) -> HeaderValue {
    let v = format!("{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-reunite-session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A signed-in staff member on a page that needs a full session.
#[derive(Debug)]
pub(crate) struct Staff {
    pub user: User,
    pub session: Session,
    pub token_hash: [u8; 32],
}

impl Staff {
    pub fn t(&self) -> Tr {
        Tr::new(self.user.lang)
    }
    pub fn lang(&self) -> Lang {
        self.user.lang
    }
    pub fn nav(&self, here: &str) -> Option<Nav> {
        Some(Nav {
            is_admin: self.user.role == Role::Admin,
            sees_cases: matches!(self.user.role, Role::Admin | Role::Caseworker),
            csrf: self.session.csrf.clone(),
            here: here.to_string(),
        })
    }
    /// The pseudonym used for this person in the audit trail.
    pub async fn actor(&self, state: &OfficeState) -> Result<String, WebError> {
        state
            .store()
            .pseudonym("user", &self.user.id.0)
            .await
            .map_err(|e| WebError::internal(self.lang(), e))
    }
    /// Appends an audit event with this person as the actor. The caller must refuse what it
    /// was about to do when this fails (the error says so to the user).
    pub async fn audit(
        &self,
        state: &OfficeState,
        action: Action,
        subject: &str,
        detail: &str,
    ) -> Result<(), WebError> {
        let actor = self.actor(state).await?;
        state
            .store()
            .append_audit(
                &NewAuditEvent {
                    actor,
                    action,
                    subject: subject.to_string(),
                    detail: detail.to_string(),
                },
                state.now(),
            )
            .await
            .map_err(|_| WebError::AuditFailed(self.lang()))
    }

    /// Checks a form's anti-forgery token against the session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if reunite_crypto::ct_eq(token.as_bytes(), self.session.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(WebError::Csrf(self.lang()))
        }
    }
    /// Sensitive work: the last password-and-code confirmation must be recent, otherwise
    /// the answer is a redirect to the re-authentication page, which comes back here.
    #[allow(clippy::result_large_err)] // the redirect is built once per sensitive request
    pub fn require_recent_auth(&self, state: &OfficeState, here: &str) -> Result<(), Response> {
        let age = state.now().millis_since(self.session.reauth_at);
        if age >= 0 && age <= state.cfg().reauth_secs * 1000 {
            Ok(())
        } else {
            Err(see_other(&format!(
                "/office/reauth?next={}",
                encode_path(here)
            )))
        }
    }
    /// Only these roles may continue.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), WebError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(WebError::Forbidden(self.lang()))
        }
    }
}

fn encode_path(p: &str) -> String {
    p.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A `next` target must be a path inside the office, never another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with("/office") && !next.contains("//") && !next.contains('\\') {
        next
    } else {
        "/office"
    }
}

/// Loads and checks the session; `None` when there is no valid one.
async fn load_session(
    state: &OfficeState,
    headers: &HeaderMap,
) -> Result<Option<(User, Session, [u8; 32])>, WebError> {
    let lang = guess_lang(headers, None);
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    let hash = reunite_crypto::token_hash(&token);
    let store = state.store();
    let Some(session) = store
        .session(&hash)
        .await
        .map_err(|e| WebError::internal(lang, e))?
    else {
        return Ok(None);
    };
    let now = state.now();
    let cfg = state.cfg();
    let idle = now.millis_since(session.last_seen) > cfg.session_idle_secs * 1000;
    let old = now.millis_since(session.created_at) > cfg.session_absolute_secs * 1000;
    if idle || old {
        store
            .delete_session(&hash)
            .await
            .map_err(|e| WebError::internal(lang, e))?;
        return Ok(None);
    }
    let Some(user) = store
        .user_by_id(&session.user_id)
        .await
        .map_err(|e| WebError::internal(lang, e))?
    else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    // Write the activity time at most every 30 s to spare the database.
    if now.millis_since(session.last_seen) > 30_000 {
        store
            .touch_session(&hash, now)
            .await
            .map_err(|e| WebError::internal(lang, e))?;
    }
    Ok(Some((user, session, hash)))
}

impl FromRequestParts<OfficeState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &OfficeState,
    ) -> Result<Self, Self::Rejection> {
        match load_session(state, &parts.headers).await {
            // A member (a mother) is never staff: every office page sends her to her own.
            Ok(Some((user, _, _))) if user.role == Role::Member => Err(see_other("/member")),
            Ok(Some((user, session, token_hash))) if session.stage == SessionStage::Full => {
                Ok(Staff {
                    user,
                    session,
                    token_hash,
                })
            }
            Ok(Some(_)) => Err(see_other("/office/setup")),
            Ok(None) => {
                let had_cookie = session_token(&parts.headers).is_some();
                let to = if had_cookie {
                    "/office/login?expired=1"
                } else {
                    "/office/login"
                };
                let mut r = see_other(to);
                if had_cookie {
                    r.headers_mut().insert(header::SET_COOKIE, clear_cookie());
                }
                Err(r)
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A signed-in mother (a member account) on her own pages. Staff are sent to the office;
/// nobody else gets here.
#[derive(Debug)]
pub(crate) struct MemberUser {
    pub user: User,
    pub session: Session,
}

impl MemberUser {
    pub fn t(&self) -> Tr {
        Tr::new(self.user.lang)
    }
    pub fn lang(&self) -> Lang {
        self.user.lang
    }
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if reunite_crypto::ct_eq(token.as_bytes(), self.session.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(WebError::Csrf(self.lang()))
        }
    }
}

impl FromRequestParts<OfficeState> for MemberUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &OfficeState,
    ) -> Result<Self, Self::Rejection> {
        match load_session(state, &parts.headers).await {
            Ok(Some((user, session, _)))
                if user.role == Role::Member && session.stage == SessionStage::Full =>
            {
                Ok(MemberUser { user, session })
            }
            Ok(Some((user, _, _))) if user.role == Role::Member => Err(see_other("/office/setup")),
            Ok(Some(_)) => Err(see_other("/office")),
            Ok(None) => Err(see_other("/office/login")),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A session in its setup stage (or a full one: setup pages then send it home).
pub(crate) struct SetupStaff {
    user: User,
    session: Session,
    token_hash: [u8; 32],
}

impl FromRequestParts<OfficeState> for SetupStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &OfficeState,
    ) -> Result<Self, Self::Rejection> {
        match load_session(state, &parts.headers).await {
            Ok(Some((user, session, token_hash))) => Ok(SetupStaff {
                user,
                session,
                token_hash,
            }),
            Ok(None) => Err(see_other("/office/login")),
            Err(e) => Err(e.into_response()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginQuery {
    lang: Option<String>,
    expired: Option<String>,
    out: Option<String>,
}

pub(crate) async fn login_form(headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let t = Tr::new(guess_lang(&headers, q.lang.as_deref()));
    let notice = if q.expired.is_some() {
        Some(t.s("login.expired"))
    } else if q.out.is_some() {
        Some(t.s("login.signed_out"))
    } else {
        None
    };
    render(&LoginPage {
        t,
        title: t.s("login.title"),
        notice,
        error: None,
    })
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    lang: String,
}

/// What the password check found, decided on a blocking thread.
enum Verdict {
    Fail,
    Pass { rehash: bool },
}

/// One Argon2id verification on every path: a real one for a known account, a dummy one
/// with the same parameters for an unknown account or an empty password. The answer for
/// every failure is the same page, byte for byte.
async fn check_password(policy: PasswordPolicy, phc: Option<String>, password: String) -> Verdict {
    let job = tokio::task::spawn_blocking(move || match phc {
        Some(phc) if !password.is_empty() => {
            match reunite_crypto::verify_password(&policy, &password, &phc) {
                PasswordCheck::Valid { needs_rehash } => Verdict::Pass {
                    rehash: needs_rehash,
                },
                PasswordCheck::Invalid => Verdict::Fail,
            }
        }
        _ => {
            reunite_crypto::dummy_verify(&policy, &password);
            Verdict::Fail
        }
    });
    job.await.unwrap_or(Verdict::Fail)
}

fn login_failed(t: Tr) -> Response {
    render_status(
        StatusCode::UNAUTHORIZED,
        &LoginPage {
            t,
            title: t.s("login.title"),
            notice: None,
            error: Some(t.s("login.failed")),
        },
    )
}

/// The client's address as a rate-limit key; never stored or logged.
pub(crate) struct ClientKey(Vec<u8>);

impl<S: Send + Sync> FromRequestParts<S> for ClientKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientKey(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|a| a.0.ip().to_string().into_bytes())
                .unwrap_or_default(),
        ))
    }
}

pub(crate) async fn login(
    State(state): State<OfficeState>,
    client: ClientKey,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = guess_lang(&headers, Some(&form.lang));
    let t = Tr::new(lang);
    let now = state.now();
    if !state.inner.login_limiter.check(&client.0, now) {
        return Err(WebError::RateLimited(lang));
    }
    let store = state.store();
    let user = match Username::parse(&form.username) {
        Ok(name) => store
            .user_by_username(&name)
            .await
            .map_err(|e| WebError::internal(lang, e))?,
        Err(_) => None,
    };
    let user = user.filter(|u| !u.disabled);
    let phc = user.as_ref().map(|u| u.password_phc.expose().clone());
    let policy = state.cfg().password_policy;
    let verdict = check_password(policy, phc, form.password.clone()).await;
    let (user, rehash) = match (user, verdict) {
        (Some(u), Verdict::Pass { rehash }) => (u, rehash),
        _ => return fail_sign_in(&state, t, now).await,
    };
    // The second factor, when enrolled, is required; a code is accepted once.
    let stage = if let Some(secret) = &user.totp_secret {
        let Some(step) = totp::verify(
            secret.expose(),
            &form.code,
            now.millis() / 1000,
            user.totp_last_step,
        ) else {
            return fail_sign_in(&state, t, now).await;
        };
        if !store
            .advance_totp_step(&user.id, step)
            .await
            .map_err(|e| WebError::internal(lang, e))?
        {
            return fail_sign_in(&state, t, now).await;
        }
        if user.must_change_password {
            SessionStage::Setup
        } else {
            SessionStage::Full
        }
    } else if user.role == Role::Member && !user.must_change_password {
        // For a mother the second factor is optional: her passphrase is enough.
        SessionStage::Full
    } else {
        SessionStage::Setup
    };
    if rehash {
        let pw = form.password.clone();
        let phc = tokio::task::spawn_blocking(move || reunite_crypto::hash_password(&policy, &pw))
            .await
            .map_err(|e| WebError::internal(lang, e))?
            .map_err(|e| WebError::internal(lang, e))?;
        store
            .set_password(&user.id, &phc, user.must_change_password, None, now)
            .await
            .map_err(|e| WebError::internal(lang, e))?;
    }
    let actor = store
        .pseudonym("user", &user.id.0)
        .await
        .map_err(|e| WebError::internal(lang, e))?;
    store
        .append_audit(
            &NewAuditEvent {
                actor: actor.clone(),
                action: Action::SignIn,
                subject: actor,
                detail: if stage == SessionStage::Full {
                    "full".into()
                } else {
                    "setup".into()
                },
            },
            now,
        )
        .await
        .map_err(|_| WebError::AuditFailed(lang))?;
    // Rotate: whatever session this browser had ends; a new token is issued.
    if let Some(old) = session_token(&headers) {
        let _ = store
            .delete_session(&reunite_crypto::token_hash(&old))
            .await;
    }
    let token = reunite_crypto::random_token();
    let csrf = reunite_crypto::random_token();
    store
        .create_session(
            &reunite_crypto::token_hash(&token),
            &user.id,
            &csrf,
            stage,
            now,
        )
        .await
        .map_err(|e| WebError::internal(lang, e))?;
    let to = match (stage, user.role) {
        (SessionStage::Full, Role::Member) => "/member",
        (SessionStage::Full, _) => "/office",
        _ => "/office/setup",
    };
    let mut r = see_other(to);
    r.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&token));
    Ok(r)
}

async fn fail_sign_in(state: &OfficeState, t: Tr, now: Timestamp) -> Result<Response, WebError> {
    state
        .store()
        .append_audit(
            &NewAuditEvent {
                actor: "anonymous".into(),
                action: Action::SignInFailed,
                subject: String::new(),
                detail: String::new(),
            },
            now,
        )
        .await
        .map_err(|_| WebError::AuditFailed(t.lang))?;
    Ok(login_failed(t))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<OfficeState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let lang = guess_lang(&headers, None);
    if let Some((user, session, hash)) = load_session(&state, &headers).await? {
        if !reunite_crypto::ct_eq(form.csrf.as_bytes(), session.csrf.as_bytes()) {
            return Err(WebError::Csrf(user.lang));
        }
        let store = state.store();
        let actor = store
            .pseudonym("user", &user.id.0)
            .await
            .map_err(|e| WebError::internal(lang, e))?;
        store
            .append_audit(
                &NewAuditEvent {
                    actor,
                    action: Action::SignOut,
                    subject: String::new(),
                    detail: String::new(),
                },
                state.now(),
            )
            .await
            .map_err(|_| WebError::AuditFailed(lang))?;
        store
            .delete_session(&hash)
            .await
            .map_err(|e| WebError::internal(lang, e))?;
        let mut r = see_other(&format!(
            "/office/login?out=1&lang={}",
            crate::i18n::lang_code(user.lang)
        ));
        r.headers_mut().insert(header::SET_COOKIE, clear_cookie());
        return Ok(r);
    }
    let mut r = see_other("/office/login");
    r.headers_mut().insert(header::SET_COOKIE, clear_cookie());
    Ok(r)
}

pub(crate) async fn home(State(_state): State<OfficeState>, staff: Staff) -> Response {
    let t = staff.t();
    render(&HomePage {
        t,
        title: t.s("home.title"),
        nav: staff.nav("/office"),
        role: t.role(staff.user.role.as_str()),
        notice: None,
    })
}

async fn setup_page(
    state: &OfficeState,
    s: &SetupStaff,
    error: Option<&'static str>,
) -> Result<Response, WebError> {
    let t = Tr::new(s.user.lang);
    let need_password = s.user.must_change_password;
    let (qr_svg, key_text) = if need_password {
        (String::new(), String::new())
    } else {
        let secret = match &s.user.totp_pending {
            Some(p) => p.expose().clone(),
            None => {
                let secret = totp::new_secret();
                state
                    .store()
                    .set_totp_pending(&s.user.id, &secret, state.now())
                    .await
                    .map_err(|e| WebError::internal(t.lang, e))?;
                secret
            }
        };
        let uri = totp::otpauth_uri(&state.cfg().totp_issuer, &secret);
        (totp::qr_svg(&uri), totp::grouped(&totp::base32(&secret)))
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render_status(
        status,
        &SetupPage {
            t,
            title: t.s("setup.title"),
            csrf: s.session.csrf.clone(),
            need_password,
            qr_svg,
            key_text,
            error,
        },
    ))
}

pub(crate) async fn setup_form(
    State(state): State<OfficeState>,
    s: SetupStaff,
) -> Result<Response, WebError> {
    if s.session.stage == SessionStage::Full {
        return Ok(see_other("/office"));
    }
    setup_page(&state, &s, None).await
}

#[derive(Deserialize)]
pub(crate) struct NewPasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

/// Checks a new password against the rules; the message key of the first problem.
pub(crate) fn password_problem(new: &str, again: &str) -> Option<&'static str> {
    if new.chars().count() < MIN_PASSWORD_CHARS {
        Some("error.password_short")
    } else if new != again {
        Some("error.password_mismatch")
    } else {
        None
    }
}

pub(crate) async fn setup_password(
    State(state): State<OfficeState>,
    s: SetupStaff,
    Form(form): Form<NewPasswordForm>,
) -> Result<Response, WebError> {
    let t = Tr::new(s.user.lang);
    if !reunite_crypto::ct_eq(form.csrf.as_bytes(), s.session.csrf.as_bytes()) {
        return Err(WebError::Csrf(t.lang));
    }
    if !s.user.must_change_password {
        return Ok(see_other("/office/setup"));
    }
    if let Some(key) = password_problem(&form.new_password, &form.new_password_again) {
        return setup_page(&state, &s, Some(t.s(key))).await;
    }
    let policy = state.cfg().password_policy;
    let old_phc = s.user.password_phc.expose().clone();
    let new = form.new_password.clone();
    let (same, phc) = tokio::task::spawn_blocking(move || {
        let same = matches!(
            reunite_crypto::verify_password(&policy, &new, &old_phc),
            PasswordCheck::Valid { .. }
        );
        (same, reunite_crypto::hash_password(&policy, &new))
    })
    .await
    .map_err(|e| WebError::internal(t.lang, e))?;
    if same {
        return setup_page(&state, &s, Some(t.s("error.password_same"))).await;
    }
    let phc = phc.map_err(|e| WebError::internal(t.lang, e))?;
    let actor = state
        .store()
        .pseudonym("user", &s.user.id.0)
        .await
        .map_err(|e| WebError::internal(t.lang, e))?;
    state
        .store()
        .set_password(&s.user.id, &phc, false, Some(&actor), state.now())
        .await
        .map_err(|e| WebError::internal(t.lang, e))?;
    // A user who already had a second factor (a password reset) is done now, and so is a
    // member, for whom it is optional.
    if s.user.totp_secret.is_some() || s.user.role == Role::Member {
        return promote_session(&state, &s, t.lang).await;
    }
    Ok(see_other("/office/setup"))
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub(crate) async fn setup_totp(
    State(state): State<OfficeState>,
    s: SetupStaff,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    let t = Tr::new(s.user.lang);
    if !reunite_crypto::ct_eq(form.csrf.as_bytes(), s.session.csrf.as_bytes()) {
        return Err(WebError::Csrf(t.lang));
    }
    if s.user.must_change_password {
        return Ok(see_other("/office/setup"));
    }
    let Some(pending) = &s.user.totp_pending else {
        return Ok(see_other("/office/setup"));
    };
    let now = state.now();
    let Some(step) = totp::verify(pending.expose(), &form.code, now.millis() / 1000, 0) else {
        return setup_page(&state, &s, Some(t.s("error.totp_wrong"))).await;
    };
    let actor = state
        .store()
        .pseudonym("user", &s.user.id.0)
        .await
        .map_err(|e| WebError::internal(t.lang, e))?;
    state
        .store()
        .confirm_totp(&s.user.id, step, &actor, now)
        .await
        .map_err(|_| WebError::AuditFailed(t.lang))?;
    promote_session(&state, &s, t.lang).await
}

/// Setup finished: the setup session is replaced by a full one (a new token).
async fn promote_session(
    state: &OfficeState,
    s: &SetupStaff,
    lang: Lang,
) -> Result<Response, WebError> {
    let store = state.store();
    let now = state.now();
    store
        .delete_session(&s.token_hash)
        .await
        .map_err(|e| WebError::internal(lang, e))?;
    let token = reunite_crypto::random_token();
    store
        .create_session(
            &reunite_crypto::token_hash(&token),
            &s.user.id,
            &reunite_crypto::random_token(),
            SessionStage::Full,
            now,
        )
        .await
        .map_err(|e| WebError::internal(lang, e))?;
    let mut r = see_other(if s.user.role == Role::Member {
        "/member"
    } else {
        "/office"
    });
    r.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&token));
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

pub(crate) async fn reauth_form(staff: Staff, Query(q): Query<NextQuery>) -> Response {
    let t = staff.t();
    let next = safe_next(q.next.as_deref().unwrap_or("/office")).to_string();
    render(&ReauthPage {
        t,
        title: t.s("reauth.title"),
        nav: staff.nav("/office"),
        next,
        error: None,
    })
}

#[derive(Deserialize)]
pub(crate) struct ReauthForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

pub(crate) async fn reauth(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(form): Form<ReauthForm>,
) -> Result<Response, WebError> {
    let t = staff.t();
    staff.check_csrf(&form.csrf)?;
    let now = state.now();
    let next = safe_next(&form.next).to_string();
    let verdict = check_password(
        state.cfg().password_policy,
        Some(staff.user.password_phc.expose().clone()),
        form.password.clone(),
    )
    .await;
    let step = match (&verdict, &staff.user.totp_secret) {
        (Verdict::Pass { .. }, Some(secret)) => totp::verify(
            secret.expose(),
            &form.code,
            now.millis() / 1000,
            staff.user.totp_last_step,
        ),
        _ => None,
    };
    let ok = match step {
        Some(step) => state
            .store()
            .advance_totp_step(&staff.user.id, step)
            .await
            .map_err(|e| WebError::internal(t.lang, e))?,
        None => false,
    };
    if !ok {
        return Ok(render_status(
            StatusCode::UNAUTHORIZED,
            &ReauthPage {
                t,
                title: t.s("reauth.title"),
                nav: staff.nav("/office"),
                next,
                error: Some(t.s("login.failed")),
            },
        ));
    }
    staff.audit(&state, Action::Reauthenticate, "", "").await?;
    state
        .store()
        .mark_reauthenticated(&staff.token_hash, now)
        .await
        .map_err(|e| WebError::internal(t.lang, e))?;
    Ok(see_other(&next))
}

#[derive(Deserialize)]
pub(crate) struct LangForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

pub(crate) async fn set_lang(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(form): Form<LangForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let lang = Lang::from_tag(&form.lang).ok_or(WebError::BadRequest(staff.lang()))?;
    state
        .store()
        .set_user_lang(&staff.user.id, lang)
        .await
        .map_err(|e| WebError::internal(lang, e))?;
    Ok(see_other(safe_next(&form.back)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_inside_the_office() {
        assert_eq!(safe_next("/office/users"), "/office/users");
        assert_eq!(safe_next("https://evil.example/"), "/office");
        assert_eq!(safe_next("//evil.example/office"), "/office");
        assert_eq!(safe_next("/office//evil"), "/office");
    }

    #[test]
    fn password_rules() {
        assert_eq!(
            password_problem("short", "short"),
            Some("error.password_short")
        );
        assert_eq!(
            password_problem("long enough pass", "long enough pas"),
            Some("error.password_mismatch")
        );
        assert_eq!(
            password_problem("long enough pass", "long enough pass"),
            None
        );
    }
}
