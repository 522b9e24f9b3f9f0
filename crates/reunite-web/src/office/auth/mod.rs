//! Staff authentication: sign-in with password and TOTP, first-time setup, sessions,
//! re-authentication for sensitive work, sign-out, language choice.

pub(crate) mod totp;

use crate::OfficeState;
use crate::extract::{
    ClientKey, SetupStaff, Staff, clear_cookie, guess_lang, load_session, see_other, session_token,
    set_cookie,
};
use crate::kernel::error::LangSlot;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{HomePage, LoginPage, ReauthPage, SetupPage, render, render_status};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use reunite_crypto::PasswordCheck;
use reunite_domain::{Action, Lang, NewAuditEvent, Role, Timestamp, Username};
use reunite_store::SessionStage;
use serde::Deserialize;

/// Minimum length of a staff password.
pub(crate) const MIN_PASSWORD_CHARS: usize = 12;

/// A `next` target must be a path inside the office, never another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with("/office") && !next.contains("//") && !next.contains('\\') {
        next
    } else {
        "/office"
    }
}

/// Loads and checks the session; `None` when there is no valid one.
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
/// every failure is the same page, byte for byte. A stored hash cheaper than the policy (an
/// account from before the policy rose) is verified and then padded with a dummy at the
/// policy's cost, so that no account answers faster than the others; it is upgraded at this
/// sign-in (`rehash`).
async fn check_password(state: &OfficeState, phc: Option<String>, password: String) -> Verdict {
    let policy = state.cfg().password_policy;
    let job = state.kdf(move || match phc {
        Some(phc) if !password.is_empty() => {
            let weaker = reunite_crypto::is_weaker_than(&policy, &phc);
            let verdict = match reunite_crypto::verify_password(&policy, &password, &phc) {
                PasswordCheck::Valid { needs_rehash } => Verdict::Pass {
                    rehash: needs_rehash,
                },
                PasswordCheck::Invalid => Verdict::Fail,
            };
            if weaker {
                reunite_crypto::dummy_verify(&policy, &password);
            }
            verdict
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

pub(crate) async fn login(
    State(state): State<OfficeState>,
    client: ClientKey,
    slot: LangSlot,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = guess_lang(&headers, Some(&form.lang));
    // Errors of the sign-in page are shown in the language chosen on it.
    slot.set(lang);
    let t = Tr::new(lang);
    let now = state.now();
    if !state.login_limiter().check(&client.0, now) {
        return Err(WebError::RateLimited);
    }
    // Per account, whichever addresses the attempts come from, before anything is looked
    // up: the same key and answer for a known and an unknown name (THREAT-MODEL 9). The
    // code is checked in the same request, so this bucket also limits second-factor
    // guesses at sign-in (a separate answer for them would say the password was right).
    if !state.account_attempt("sign-in", &form.username.trim().to_lowercase()) {
        return Err(WebError::RateLimited);
    }
    let store = state.store();
    let user = match Username::parse(&form.username) {
        Ok(name) => store.user_by_username(&name).await?,
        Err(_) => None,
    };
    let phc = user.as_ref().map(|u| u.password_phc.expose().clone());
    let policy = state.cfg().password_policy;
    let verdict = check_password(&state, phc, form.password.clone()).await;
    // A disabled account, and a new one that no second administrator has confirmed (issue
    // 16, finding 8), is refused only after its password was verified as usual: the same
    // work, the same page and the same audit event as a wrong password, so the answer says
    // nothing about the account.
    let (user, rehash) = match (user, verdict) {
        (Some(u), Verdict::Pass { rehash }) if u.active() => (u, rehash),
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
        if !store.advance_totp_step(&user.id, step).await? {
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
        let phc = state
            .kdf(move || reunite_crypto::hash_password(&policy, &pw))
            .await??;
        store
            .set_password(&user.id, &phc, user.must_change_password, None, now)
            .await?;
    }
    let actor = store.pseudonym("user", &user.id.0).await?;
    state
        .audit(
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
        .await?;
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
        .await?;
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
        .audit(
            &NewAuditEvent {
                actor: "anonymous".into(),
                action: Action::SignInFailed,
                subject: String::new(),
                detail: String::new(),
            },
            now,
        )
        .await?;
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
    if let Some((user, session, hash)) = load_session(&state, &headers).await? {
        if !reunite_crypto::ct_eq(form.csrf.as_bytes(), session.csrf.as_bytes()) {
            return Err(WebError::Csrf);
        }
        let store = state.store();
        let actor = store.pseudonym("user", &user.id.0).await?;
        state
            .audit(
                &NewAuditEvent {
                    actor,
                    action: Action::SignOut,
                    subject: String::new(),
                    detail: String::new(),
                },
                state.now(),
            )
            .await?;
        store.delete_session(&hash).await?;
        let mut r = see_other(&format!(
            "/office/login?out=1&lang={}",
            crate::kernel::i18n::lang_code(user.lang)
        ));
        r.headers_mut().insert(header::SET_COOKIE, clear_cookie());
        return Ok(r);
    }
    let mut r = see_other("/office/login");
    r.headers_mut().insert(header::SET_COOKIE, clear_cookie());
    Ok(r)
}

pub(crate) async fn home(
    State(state): State<OfficeState>,
    staff: Staff,
) -> Result<Response, WebError> {
    let t = staff.t();
    let dash = crate::office::tasks::dashboard(&state, &staff).await?;
    Ok(render(&HomePage {
        t,
        title: t.s("home.title"),
        nav: staff.nav("/office"),
        role: t.role(staff.user.role.as_str()),
        notice: None,
        dash,
    }))
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
                    .await?;
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
        return Err(WebError::Csrf);
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
    let (same, phc) = state
        .kdf(move || {
            let same = matches!(
                reunite_crypto::verify_password(&policy, &new, &old_phc),
                PasswordCheck::Valid { .. }
            );
            (same, reunite_crypto::hash_password(&policy, &new))
        })
        .await?;
    if same {
        return setup_page(&state, &s, Some(t.s("error.password_same"))).await;
    }
    let phc = phc?;
    let actor = state.store().pseudonym("user", &s.user.id.0).await?;
    state
        .store()
        .set_password(&s.user.id, &phc, false, Some(&actor), state.now())
        .await?;
    // A user who already had a second factor (a password reset) is done now, and so is a
    // member, for whom it is optional.
    if s.user.totp_secret.is_some() || s.user.role == Role::Member {
        return promote_session(&state, &s).await;
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
        return Err(WebError::Csrf);
    }
    if s.user.must_change_password {
        return Ok(see_other("/office/setup"));
    }
    let Some(pending) = &s.user.totp_pending else {
        return Ok(see_other("/office/setup"));
    };
    let now = state.now();
    if !state.account_attempt("totp-setup", &s.user.id.0) {
        return Err(WebError::RateLimited);
    }
    let Some(step) = totp::verify(pending.expose(), &form.code, now.millis() / 1000, 0) else {
        return setup_page(&state, &s, Some(t.s("error.totp_wrong"))).await;
    };
    let actor = state.store().pseudonym("user", &s.user.id.0).await?;
    state
        .store()
        .confirm_totp(&s.user.id, step, &actor, now)
        .await
        .map_err(|_| WebError::AuditFailed)?;
    promote_session(&state, &s).await
}

/// Setup finished: the setup session is replaced by a full one (a new token).
async fn promote_session(state: &OfficeState, s: &SetupStaff) -> Result<Response, WebError> {
    let store = state.store();
    let now = state.now();
    store.delete_session(&s.token_hash).await?;
    let token = reunite_crypto::random_token();
    store
        .create_session(
            &reunite_crypto::token_hash(&token),
            &s.user.id,
            &reunite_crypto::random_token(),
            SessionStage::Full,
            now,
        )
        .await?;
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
    // Per account: a stolen session gets a few guesses, then one a minute; each refusal is
    // in the audit trail under the account's pseudonym (never what was typed).
    if !state.account_attempt("reauth", &staff.user.id.0) {
        staff
            .audit(&state, Action::ReauthFailed, "", "too_many")
            .await?;
        return Err(WebError::RateLimited);
    }
    let verdict = check_password(
        &state,
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
        Some(step) => {
            state
                .store()
                .advance_totp_step(&staff.user.id, step)
                .await?
        }
        None => false,
    };
    if !ok {
        staff
            .audit(&state, Action::ReauthFailed, "", "wrong")
            .await?;
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
        .await?;
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
    let lang = Lang::from_tag(&form.lang).ok_or(WebError::BadRequest)?;
    state.store().set_user_lang(&staff.user.id, lang).await?;
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
