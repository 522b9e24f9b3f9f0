//! The applications the browser drives: the office (with a first admin), the public side
//! served alone as a mirror, and an office with an active trip to check in on.

use reunite_crypto::{KeyRing, MasterKey, PasswordPolicy};
use reunite_domain::time::ManualClock;
use reunite_domain::travel::Schedule;
use reunite_domain::{Case, CaseStatus, Clock, Lang, Name, Person, Role, Timestamp, Username};
use reunite_store::IntakeKeys;
use reunite_store::{CaseActor, NewTrip, NewUser, OpenOptions, Store, TripPlaces, TripPlan};
use reunite_web::{IntakeConfig, IntakeState, OfficeState, WebConfig};
use std::sync::Arc;

/// Cheap hashing for tests.
pub const FAST: PasswordPolicy = PasswordPolicy {
    m_kib: 1024,
    t: 1,
    p: 1,
};
pub const ADMIN_PASSWORD: &str = "first-admin-password-123";
pub const PIN: &str = "1357";
pub const CITY: &str = "Yanji-canary-5521";

/// A fresh database (in a new temp directory) with a master key, and a clock at now.
async fn fresh_store(prefix: &str) -> (Store, Arc<ManualClock>, String) {
    let dir = std::env::temp_dir().join(super::unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    let url = reunite_store::sqlite::url_for_path(&dir.join("reunite.db"));
    let keys = KeyRing::new(MasterKey::generate(), vec![]);
    let store = Store::open(OpenOptions::new(url.clone()), keys)
        .await
        .unwrap();
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(since_epoch.as_millis() as i64)));
    store.ensure_system_keys(clock.now()).await.unwrap();
    (store, clock, url)
}

async fn listen(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { reunite_web::serve_router(listener, app).await.unwrap() });
    format!("http://{addr}")
}

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub clock: Arc<ManualClock>,
}

impl TestApp {
    /// The office, fast hashing, an admin who must still finish setup.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut WebConfig)) -> Self {
        let (store, clock, _) = fresh_store("reunite-browser-test").await;
        let mut config = WebConfig {
            password_policy: FAST,
            ..WebConfig::default()
        };
        tweak(&mut config);
        let admin = NewUser {
            username: Username::parse("admin").unwrap(),
            role: Role::Admin,
            password_phc: reunite_crypto::hash_password(&FAST, ADMIN_PASSWORD).unwrap(),
            lang: Lang::En,
            must_change_password: true,
        };
        store.create_user(&admin, "cli", clock.now()).await.unwrap();
        let state = OfficeState::new(store.clone(), clock.clone(), config);
        let base = listen(reunite_web::router(state)).await;
        Self { base, store, clock }
    }
}

/// RFC 4648 base32 (as shown on the enrolment page, spaces allowed).
pub fn base32_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        buf = (buf << 5) | A.iter().position(|&x| x == c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            out.push((buf >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// The code for the next unused time step (codes are accepted once).
pub fn next_code(app: &TestApp, secret: &[u8]) -> String {
    app.clock.advance_millis(30_000);
    reunite_crypto::totp::code_at(secret, app.clock.now().millis() / 1000)
}

/// The public side served alone, over a database the office (`office`) also opens.
pub struct PublicApp {
    pub base: String,
    pub office: Store,
    pub clock: Arc<ManualClock>,
}

pub fn fast_config() -> IntakeConfig {
    IntakeConfig {
        check_floor_ms: 0,
        submit_floor_ms: 0,
        submit_burst: 1000,
        check_burst: 1000,
        ..IntakeConfig::default()
    }
}

pub async fn spawn_public(cfg: IntakeConfig) -> PublicApp {
    let (office, clock, url) = fresh_store("reunite-browser-intake").await;
    office.ensure_intake_keys(clock.now()).await.unwrap();
    let keys = IntakeKeys::from_text(&office.export_intake_keys().await.unwrap()).unwrap();
    let intake = reunite_store::IntakeStore::open(OpenOptions::new(url))
        .await
        .unwrap();
    let state = IntakeState::new(keys, intake, clock.clone(), cfg);
    let base = listen(reunite_web::intake_router(state)).await;
    PublicApp {
        base,
        office,
        clock,
    }
}

/// An office with a small check-in floor and an active trip; returns the trip id and its
/// check-in number.
pub async fn active_trip() -> (TestApp, String, String) {
    let app = TestApp::spawn_with(|c| {
        c.checkin.floor_ms = 1;
        c.checkin.burst = 10_000;
        c.checkin.refill_ms = 1;
    })
    .await;
    let case = Case {
        id: super::unique("case"),
        mother: Person {
            names: vec![Name {
                text: "리영자".into(),
                kind: None,
            }],
            ..Default::default()
        },
        ..Default::default()
    };
    let (store, now) = (&app.store, app.clock.now());
    let cli = &CaseActor::Cli;
    let open = CaseStatus::Open;
    store
        .create_case(&case, open, None, cli, now)
        .await
        .unwrap();
    let trip = NewTrip {
        case_id: case.id,
        plan: TripPlan {
            starts_on: "2026-03-01".into(),
            ends_on: "2026-03-10".into(),
            purpose: "visit".into(),
            lang: "zh".into(),
            reminder_to: String::new(),
            contacts: vec![],
        },
        places: TripPlaces {
            cities: CITY.into(),
            stays: "hotel".into(),
        },
        schedule: Schedule {
            interval_mins: 24 * 60,
            window_start_min: 0,
            window_end_min: 1440,
            tz: "Asia/Shanghai".into(),
            grace_mins: 60,
        },
        pin_phc: reunite_crypto::hash_password(&FAST, PIN).unwrap(),
        duress_phc: reunite_crypto::hash_password(&FAST, "2468").unwrap(),
    };
    let (id, code) = store.create_trip(&trip, cli, now).await.unwrap();
    let briefed = store.confirm_trip_briefing(&id, "zh", "h", cli, now);
    briefed.await.unwrap();
    store.activate_trip(&id, cli, now).await.unwrap();
    (app, id, code.to_string())
}
