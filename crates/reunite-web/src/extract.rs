//! Who is asking: the extractors that turn a request into a signed-in staff member, a
//! signed-in mother, a session in setup, or a client key for rate limits; the session cookie.
//! An office handler that takes [`Staff`] cannot be reached by a member account, and one that
//! takes [`MemberUser`] cannot be reached by staff.

use crate::OfficeState;
use crate::kernel::error::{LangSlot, WebError};
use crate::kernel::i18n::Tr;
use crate::kernel::render::Nav;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::{Action, Lang, NewAuditEvent, Role};
use reunite_store::{Session, SessionStage, User};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The session cookie. `__Host-` binds it to this host, path `/`, and requires `Secure`.
pub(crate) const COOKIE: &str = "__Host-reunite-session";

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

pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn set_cookie(token: &str) -> HeaderValue {
    let v = format!("{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(crate) fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-reunite-session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A signed-in staff member on a page that needs a full session.
#[derive(Debug)]
pub(crate) struct Staff {
    pub user: User,
    pub session: Session,
    pub token_hash: [u8; 32],
    /// Her teams and standing duties (for the policy module).
    pub reach: reunite_store::access::Reach,
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
    /// This person as the author of a change to a case and what hangs on it.
    pub fn case_actor(&self) -> reunite_store::CaseActor {
        reunite_store::CaseActor::Staff(self.user.id.clone())
    }
    /// The pseudonym used for this person in the audit trail.
    pub async fn actor(&self, state: &OfficeState) -> Result<String, WebError> {
        Ok(state.store().pseudonym("user", &self.user.id.0).await?)
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
            .audit(
                &NewAuditEvent {
                    actor,
                    action,
                    subject: subject.to_string(),
                    detail: detail.to_string(),
                },
                state.now(),
            )
            .await
    }

    /// Checks a form's anti-forgery token against the session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if reunite_crypto::ct_eq(token.as_bytes(), self.session.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }
    /// Sensitive work: the last password-and-code confirmation must be recent, otherwise
    /// the error is a redirect to the re-authentication page, which comes back to `here`.
    /// One `?` per handler: `staff.recent(&state, &here)?`.
    pub fn recent(&self, state: &OfficeState, here: &str) -> Result<(), WebError> {
        let age = state.now().millis_since(self.session.reauth_at);
        if age >= 0 && age <= state.cfg().reauth_secs * 1000 {
            Ok(())
        } else {
            Err(WebError::Reauth(format!(
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
            Err(WebError::Forbidden)
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

pub(crate) async fn load_session(
    state: &OfficeState,
    headers: &HeaderMap,
) -> Result<Option<(User, Session, [u8; 32])>, WebError> {
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    let hash = reunite_crypto::token_hash(&token);
    let store = state.store();
    let Some(session) = store.session(&hash).await? else {
        return Ok(None);
    };
    let now = state.now();
    let cfg = state.cfg();
    let idle = now.millis_since(session.last_seen) > cfg.session_idle_secs * 1000;
    let old = now.millis_since(session.created_at) > cfg.session_absolute_secs * 1000;
    if idle || old {
        store.delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(user) = store.user_by_id(&session.user_id).await? else {
        return Ok(None);
    };
    // Disabled, or new and not yet confirmed by a second administrator: no session counts.
    if !user.active() {
        return Ok(None);
    }
    // Write the activity time at most every 30 s to spare the database.
    if now.millis_since(session.last_seen) > 30_000 {
        store.touch_session(&hash, now).await?;
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
                LangSlot::set_in(parts, user.lang);
                let reach = match state.store().reach(&user.id).await {
                    Ok(r) => r,
                    Err(e) => return Err(WebError::from(e).into_response()),
                };
                Ok(Staff {
                    user,
                    session,
                    token_hash,
                    reach,
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
            Err(WebError::Csrf)
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
                LangSlot::set_in(parts, user.lang);
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
    pub user: User,
    pub session: Session,
    pub token_hash: [u8; 32],
}

impl FromRequestParts<OfficeState> for SetupStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &OfficeState,
    ) -> Result<Self, Self::Rejection> {
        match load_session(state, &parts.headers).await {
            Ok(Some((user, session, token_hash))) => {
                LangSlot::set_in(parts, user.lang);
                Ok(SetupStaff {
                    user,
                    session,
                    token_hash,
                })
            }
            Ok(None) => Err(see_other("/office/login")),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The client as a rate-limit key: its address as the trusted proxy names it, or the TCP
/// peer (see [`crate::kernel::client`]); IPv6 by its /64. Never stored or logged.
pub(crate) struct ClientKey(pub Vec<u8>);

/// A state that knows how to find the client's address.
pub(crate) trait ClientAddressSource {
    fn client_address(&self) -> &crate::ClientAddressPolicy;
}

impl ClientAddressSource for OfficeState {
    fn client_address(&self) -> &crate::ClientAddressPolicy {
        &self.cfg().client_address
    }
}

impl<S: ClientAddressSource + Send + Sync> FromRequestParts<S> for ClientKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.0.ip());
        let ip = state.client_address().client_ip(peer, &parts.headers);
        Ok(ClientKey(crate::kernel::client::rate_key(ip)))
    }
}
