//! Test harness: the real application on a random port with a fresh SQLite database, a
//! manual clock, and a tiny cookie-aware HTTP client (the session cookie is `Secure`, which
//! an ordinary client would not send over plain http to 127.0.0.1).
#![allow(dead_code)]

pub mod browser;

use reunite_crypto::{KeyRing, MasterKey, PasswordPolicy};
use reunite_domain::time::ManualClock;
use reunite_domain::{Clock, Lang, Role, Timestamp, Username};
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

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub dir: PathBuf,
    pub config: WebConfig,
}

pub fn unique(prefix: &str) -> String {
    let t: String = reunite_crypto::random_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    format!("{prefix}-{}", t.to_lowercase())
}

pub fn real_now() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    Timestamp(d.as_millis() as i64)
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut WebConfig)) -> TestApp {
    let dir = std::env::temp_dir().join(unique("reunite-web-test"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = reunite_store::sqlite::url_for_path(&dir.join("reunite.db"));
    let store = Store::open(
        OpenOptions::new(url),
        KeyRing::new(MasterKey::generate(), vec![]),
    )
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::new(real_now()));
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = OfficeState::new(store.clone(), clock.clone(), config.clone());
    tokio::spawn(async move {
        reunite_web::serve(listener, state).await.unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        store,
        clock,
        dir,
        config,
    }
}

/// An office app over an existing store and clock (the public side's database, say).
pub async fn office_app(
    store: Store,
    clock: Arc<ManualClock>,
    dir: PathBuf,
    reauth_secs: i64,
) -> TestApp {
    let config = WebConfig {
        password_policy: FAST,
        reauth_secs,
        ..WebConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = OfficeState::new(store.clone(), clock.clone(), config.clone());
    tokio::spawn(async move {
        reunite_web::serve(listener, state).await.unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        store,
        clock,
        dir,
        config,
    }
}

/// A browser-like client: keeps the session cookie, never follows redirects by itself.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn set_cookie(&self) -> Option<&str> {
        self.headers.get("set-cookie").and_then(|v| v.to_str().ok())
    }
    /// The value of a hidden input, e.g. the form token.
    pub fn input(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_string())
    }
    /// The text of the element with this id.
    pub fn by_id(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let start = at + self.body[at..].find('>')? + 1;
        let end = self.body[start..].find('<')?;
        Some(self.body[start..start + end].to_string())
    }
}

impl Client {
    pub fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookie: None,
        }
    }

    fn absorb(&mut self, headers: &reqwest::header::HeaderMap) {
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if name == "__Host-reunite-session" {
                self.cookie = if value.is_empty() {
                    None
                } else {
                    Some(value.to_string())
                };
            }
        }
    }

    async fn finish(&mut self, r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        self.absorb(&headers);
        let body = r.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", format!("__Host-reunite-session={c}"));
        }
        let r = req.send().await.unwrap();
        self.finish(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", format!("__Host-reunite-session={c}"));
        }
        let r = req.send().await.unwrap();
        self.finish(r).await
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

/// The password of accounts made by [`sign_in_as`].
pub const STAFF_PASSWORD: &str = "caseworker passphrase 1";

/// Creates an account that has finished setup (its own password, TOTP enrolled) and signs
/// it in with password and code. Returns the client, the account id and the TOTP secret.
pub async fn sign_in_as(
    app: &TestApp,
    name: &str,
    role: Role,
    lang: Lang,
) -> (Client, reunite_domain::UserId, Vec<u8>) {
    let phc = reunite_crypto::hash_password(&FAST, STAFF_PASSWORD).unwrap();
    let id = app
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
            app.clock.now(),
        )
        .await
        .unwrap();
    let secret = format!("totp-secret-of-{name}").into_bytes();
    app.store
        .set_totp_pending(&id, &secret, app.clock.now())
        .await
        .unwrap();
    app.store
        .confirm_totp(&id, 1, "cli", app.clock.now())
        .await
        .unwrap();
    let mut c = Client::new(app);
    let code = next_code(app, &secret);
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

/// Everything the process logs, at the most verbose level (one subscriber per test binary,
/// installed by the first caller): the canary tests search it.
#[derive(Clone, Default)]
pub struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogSink {
    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

pub fn log_sink() -> &'static LogSink {
    static SINK: std::sync::OnceLock<LogSink> = std::sync::OnceLock::new();
    SINK.get_or_init(|| {
        let s = LogSink::default();
        let writer = s.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        s
    })
}
