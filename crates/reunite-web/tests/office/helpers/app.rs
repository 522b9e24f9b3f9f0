//! The office application on a random port with a fresh SQLite database and a manual clock.

use super::client::Client;
use super::gate::{self, Held};
use super::public::PublicApp;
use reunite_crypto::{KeyRing, MasterKey, PasswordPolicy};
use reunite_domain::time::ManualClock;
use reunite_domain::{Clock, Lang, Role, UserId, Username};
use reunite_store::{NewUser, OpenOptions, Store};
use reunite_web::{OfficeState, WebConfig};
use std::path::PathBuf;
use std::sync::Arc;

/// Cheap hashing for tests; production parameters are checked in their own test.
pub const FAST: PasswordPolicy = PasswordPolicy {
    m_kib: 1024,
    t: 1,
    p: 1,
};

pub const ADMIN_PASSWORD: &str = "first-admin-password-123";

/// The password of accounts made by [`TestApp::sign_in_as`].
pub const STAFF_PASSWORD: &str = "caseworker passphrase 1";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub dir: PathBuf,
    _gate: Arc<Held>,
}

impl TestApp {
    /// The office with the default configuration (fast hashing) and a first admin.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut WebConfig)) -> Self {
        let gate = gate::shared().await;
        let dir = super::temp_dir("reunite-web-test");
        let url = reunite_store::sqlite::url_for_path(&dir.join("reunite.db"));
        let store = Store::open(
            OpenOptions::new(url),
            KeyRing::new(MasterKey::generate(), vec![]),
        )
        .await
        .unwrap();
        let clock = Arc::new(ManualClock::new(super::real_now()));
        store.ensure_system_keys(clock.now()).await.unwrap();
        let mut config = WebConfig {
            password_policy: FAST,
            ..WebConfig::default()
        };
        tweak(&mut config);
        let phc = reunite_crypto::hash_password(&config.password_policy, ADMIN_PASSWORD).unwrap();
        store
            .create_user(
                &NewUser {
                    username: Username::parse("admin").unwrap(),
                    role: Role::Admin,
                    password_phc: phc,
                    lang: Lang::En,
                    must_change_password: true,
                },
                "cli",
                clock.now(),
            )
            .await
            .unwrap();
        Self::serve(store, clock, dir, config, gate).await
    }

    /// The office over the public side's database and clock.
    pub async fn over(public: &PublicApp, reauth_secs: i64) -> Self {
        let config = WebConfig {
            password_policy: FAST,
            reauth_secs,
            ..WebConfig::default()
        };
        let gate = gate::shared().await;
        let (store, clock) = (public.office.clone(), public.clock.clone());
        Self::serve(store, clock, public.dir.clone(), config, gate).await
    }

    async fn serve(
        store: Store,
        clock: Arc<ManualClock>,
        dir: PathBuf,
        config: WebConfig,
        gate: Arc<Held>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = OfficeState::new(store.clone(), clock.clone(), config);
        tokio::spawn(async move {
            reunite_web::serve(listener, state).await.unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            store,
            clock,
            dir,
            _gate: gate,
        }
    }

    /// [`TestApp::sign_in_as`], on travel duty (on call): every trip and alert opens for
    /// her, whoever the case belongs to.
    pub async fn sign_in_on_call(
        &self,
        name: &str,
        role: Role,
        lang: Lang,
    ) -> (Client, UserId, Vec<u8>) {
        let (c, id, secret) = self.sign_in_as(name, role, lang).await;
        self.store
            .set_duty(
                &id,
                reunite_domain::Duty::Travel,
                true,
                &reunite_store::CaseActor::Cli,
                self.clock.now(),
            )
            .await
            .unwrap();
        (c, id, secret)
    }

    /// Creates an account that has finished setup (its own password, TOTP enrolled) and
    /// signs it in with password and code. Returns the client, the account id and the TOTP
    /// secret.
    pub async fn sign_in_as(
        &self,
        name: &str,
        role: Role,
        lang: Lang,
    ) -> (Client, UserId, Vec<u8>) {
        let phc = reunite_crypto::hash_password(&FAST, STAFF_PASSWORD).unwrap();
        let id = self
            .store
            .create_user(
                &NewUser {
                    username: Username::parse(name).unwrap(),
                    role,
                    password_phc: phc,
                    lang,
                    must_change_password: false,
                },
                "cli",
                self.clock.now(),
            )
            .await
            .unwrap();
        let secret = format!("totp-secret-of-{name}").into_bytes();
        self.store
            .set_totp_pending(&id, &secret, self.clock.now())
            .await
            .unwrap();
        self.store
            .confirm_totp(&id, 1, "cli", self.clock.now())
            .await
            .unwrap();
        let mut c = Client::new(self);
        let code = next_code(self, &secret);
        let p = c
            .post(
                "/office/login",
                &[
                    ("username", name),
                    ("password", STAFF_PASSWORD),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location(), "/office");
        (c, id, secret)
    }

    /// The audit trail, oldest first: (action, detail).
    pub async fn audit(&self) -> Vec<(String, String)> {
        self.store
            .audit_page(0, 1000)
            .await
            .unwrap()
            .events
            .into_iter()
            .map(|e| (e.action.to_string(), e.detail))
            .collect()
    }

    /// The audit trail as `action/detail` lines.
    pub async fn audit_details(&self) -> Vec<String> {
        let events = self.audit().await;
        events
            .into_iter()
            .map(|(a, d)| format!("{a}/{d}"))
            .collect()
    }
}

/// RFC 4648 base32 (as shown on the enrolment page, spaces allowed).
pub fn base32_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = A.iter().position(|&x| x == c).unwrap() as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buf >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// Signs in the first admin from scratch: one-time password, new password, TOTP
/// enrolment. Returns the TOTP secret and the new password.
pub async fn admin_full_sign_in(app: &TestApp, c: &mut Client) -> (Vec<u8>, String) {
    let p = c
        .post(
            "/office/login",
            &[
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("code", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), "/office/setup");
    let setup = c.get("/office/setup").await;
    let csrf = setup.input("csrf").unwrap();
    let new_pw = "a new admin passphrase";
    let p = c
        .post(
            "/office/setup/password",
            &[
                ("csrf", &csrf),
                ("new_password", new_pw),
                ("new_password_again", new_pw),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let setup = c.get("/office/setup").await;
    let key = setup.by_id("totp-key").expect("enrolment key shown");
    let secret = base32_decode(&key);
    let code = reunite_crypto::totp::code_at(&secret, app.clock.now().millis() / 1000);
    let p = c
        .post("/office/setup/totp", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), "/office");
    (secret, new_pw.to_string())
}

/// The code for the next unused time step (codes are accepted once).
pub fn next_code(app: &TestApp, secret: &[u8]) -> String {
    app.clock.advance_millis(30_000);
    reunite_crypto::totp::code_at(secret, app.clock.now().millis() / 1000)
}
