//! What every office handler is given: the store, the clock and the settings.

use crate::kernel::kdf::KdfQueue;
use crate::kernel::ratelimit::RateLimiter;
use crate::public::checkin::CheckinConfig;
use reunite_crypto::PasswordPolicy;
use reunite_domain::Clock;
use reunite_store::Store;
use std::sync::Arc;

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
    /// Attempts allowed in a burst per account (sign-in by user name, second-factor
    /// enrolment, re-authentication), whatever client they come from.
    pub account_burst: u32,
    /// Milliseconds for one more attempt per account to become available.
    pub account_refill_ms: i64,
    /// How the client's address is found for the rate limits (trusted proxies).
    pub client_address: crate::ClientAddressPolicy,
    /// Name shown in authenticator apps.
    pub totp_issuer: String,
    /// What the matcher proposes to the review queue.
    pub matching: reunite_store::MatchSettings,
    /// The travellers' check-in page (travel safety).
    pub checkin: CheckinConfig,
    /// A connection must send a request's line and headers within this many ms (also the
    /// longest a kept-alive connection may sit idle). Default 10 s.
    pub header_read_timeout_ms: u64,
    /// A request must be read and answered within this many ms (`503` otherwise). Default
    /// 120 s: above the check-in and intake response floors (seconds) and the DNA PDF
    /// (up to 90 s).
    pub request_timeout_ms: u64,
    /// Open connections per client (TCP peer, IPv6 by /64); trusted proxies are exempt.
    /// Default 64.
    pub max_connections_per_client: usize,
    /// Open connections in all. Default 1024.
    pub max_connections: usize,
    /// The office's time zone (IANA name): task due times are entered and shown in it and
    /// "today" on the dashboard is its day. Stored times stay UTC. Default `Asia/Seoul`.
    pub office_tz: String,
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
            account_burst: 10,
            account_refill_ms: 60_000,
            client_address: crate::ClientAddressPolicy::default(),
            totp_issuer: "Notes".into(),
            matching: reunite_store::MatchSettings::default(),
            checkin: CheckinConfig::default(),
            header_read_timeout_ms: 10_000,
            request_timeout_ms: 120_000,
            max_connections_per_client: 64,
            max_connections: 1024,
            office_tz: reunite_domain::task::DEFAULT_OFFICE_TZ.into(),
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
    account_limiter: RateLimiter,
    checkin_limiter: RateLimiter,
    kdf: KdfQueue,
}

impl OfficeState {
    /// A state over a store.
    pub fn new(store: Store, clock: Arc<dyn Clock>, cfg: WebConfig) -> Self {
        let login_limiter = RateLimiter::new(cfg.login_burst, cfg.login_refill_ms);
        let checkin_limiter = RateLimiter::new(cfg.checkin.burst, cfg.checkin.refill_ms);
        let account_limiter = RateLimiter::new(cfg.account_burst, cfg.account_refill_ms);
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                cfg,
                login_limiter,
                account_limiter,
                checkin_limiter,
                kdf: KdfQueue::for_this_machine(),
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
    /// Appends an audit event. When it cannot be written the caller must refuse what it was
    /// about to do, and the error says so to the user (THREAT-MODEL 17).
    pub(crate) async fn audit(
        &self,
        event: &reunite_domain::NewAuditEvent,
        at: reunite_domain::Timestamp,
    ) -> Result<(), crate::WebError> {
        self.store()
            .append_audit(event, at)
            .await
            .map_err(|_| crate::WebError::AuditFailed)
    }
    /// Runs an Argon2id derivation in the process's one bounded queue.
    pub(crate) async fn kdf<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, crate::WebError> {
        Ok(self.inner.kdf.run(f).await?)
    }

    /// A new one-time password and its hash (for a new account or an invitation).
    pub(crate) async fn one_time_password(
        &self,
    ) -> Result<(reunite_crypto::Zeroizing<String>, String), crate::WebError> {
        let password = reunite_crypto::random_password();
        let policy = self.cfg().password_policy;
        let pw = password.to_string();
        let phc = self
            .kdf(move || reunite_crypto::hash_password(&policy, &pw))
            .await??;
        Ok((password, phc))
    }

    pub(crate) fn login_limiter(&self) -> &RateLimiter {
        &self.inner.login_limiter
    }
    /// Takes one attempt from an account's bucket: `what` names the door (`sign-in` keyed
    /// by the normalised user name, so unknown names are slowed like known ones;
    /// `reauth` and `totp-setup` keyed by the account id). False when it is empty. The
    /// limiter keeps only a keyed hash of the key, under a per-process random key.
    pub(crate) fn account_attempt(&self, what: &str, account: &str) -> bool {
        let key = [what.as_bytes(), b"\0", account.as_bytes()].concat();
        self.inner.account_limiter.check(&key, self.now())
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
