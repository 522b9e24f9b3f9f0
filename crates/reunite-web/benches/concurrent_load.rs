//! Memory and time under load (issue 16, finding 5): 32 concurrent sign-ins with a wrong
//! password and 32 concurrent check-ins, with the production Argon2id parameters
//! (m = 64 MiB, t = 3, p = 1) for passwords and PINs, over loopback through the real
//! server (`reunite_web::serve`: the header-read timeout, the connection caps and the
//! request timeout are in place). Rate limits are lifted (a single loopback client would get
//! 429); the check-in response floor stays at its production 1.5 s.
//!
//! Reports p50/p99/max latency per burst and the peak resident memory of this process
//! (server and client together; `VmHWM` from `/proc/self/status`, reset before each
//! scenario through `/proc/self/clear_refs` where the kernel allows it).
//!
//! Then 1,000 slow connections from this one machine, each sending half a request line and
//! headers and then nothing: how many the server still holds open one second later and
//! just after the header-read timeout (10 s).
//!
//! Run: `cargo bench --bench concurrent_load`

use reunite_crypto::{KeyRing, MasterKey, PasswordPolicy};
use reunite_domain::travel::Schedule;
use reunite_domain::{Case, CaseStatus, Lang, Name, Person, Role, Timestamp, Username};
use reunite_store::{CaseActor, NewTrip, NewUser, OpenOptions, Store, TripPlaces, TripPlan};
use reunite_web::{OfficeState, ServeLimits, WebConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 32;
const ROUNDS: usize = 3;

#[derive(Debug)]
struct Clock;
impl reunite_domain::Clock for Clock {
    fn now(&self) -> Timestamp {
        Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64,
        )
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

/// `(VmHWM, VmRSS)` in KiB.
fn memory() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Resets the peak to the current resident set (Linux `clear_refs` 5); false if refused.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

async fn setup() -> (String, String) {
    let dir = std::env::temp_dir().join(format!("reunite-load-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(
        OpenOptions::new(reunite_store::sqlite::url_for_path(&dir.join("b.db"))),
        KeyRing::new(MasterKey::generate(), vec![]),
    )
    .await
    .unwrap();
    let now = reunite_domain::Clock::now(&Clock);
    store.ensure_system_keys(now).await.unwrap();
    let policy = PasswordPolicy::PRODUCTION;
    let phc = reunite_crypto::hash_password(&policy, "the right password").unwrap();
    let id = store
        .create_user(
            &NewUser {
                username: Username::parse("staff").unwrap(),
                role: Role::Caseworker,
                password_phc: phc,
                lang: Lang::En,
                must_change_password: false,
            },
            "bench",
            now,
        )
        .await
        .unwrap();
    store
        .set_totp_pending(&id, &reunite_crypto::totp::new_secret(), now)
        .await
        .unwrap();
    store.confirm_totp(&id, 1, "bench", now).await.unwrap();
    // A case and an active trip, PINs hashed as the office hashes them.
    let case = Case {
        id: "bench-case".into(),
        mother: Person {
            names: vec![Name {
                text: "리영자".into(),
                kind: None,
            }],
            ..Default::default()
        },
        ..Default::default()
    };
    store
        .create_case(&case, CaseStatus::Open, None, &CaseActor::Cli, now)
        .await
        .unwrap();
    let trip = NewTrip {
        case_id: "bench-case".into(),
        plan: TripPlan {
            starts_on: "2026-03-01".into(),
            ends_on: "2026-03-10".into(),
            purpose: "visit".into(),
            lang: "zh".into(),
            reminder_to: String::new(),
            contacts: vec![],
        },
        places: TripPlaces {
            cities: "Yanji".into(),
            stays: "hotel".into(),
        },
        schedule: Schedule {
            interval_mins: 24 * 60,
            window_start_min: 0,
            window_end_min: 1440,
            tz: "Asia/Shanghai".into(),
            grace_mins: 60,
        },
        pin_phc: reunite_crypto::hash_password(&policy, "1357").unwrap(),
        duress_phc: reunite_crypto::hash_password(&policy, "2468").unwrap(),
    };
    let (trip_id, code) = store
        .create_trip(&trip, &CaseActor::Cli, now)
        .await
        .unwrap();
    store
        .confirm_trip_briefing(&trip_id, "zh", "h", &CaseActor::Cli, now)
        .await
        .unwrap();
    store
        .activate_trip(&trip_id, &CaseActor::Cli, now)
        .await
        .unwrap();
    let mut cfg = WebConfig {
        password_policy: policy,
        login_burst: 100_000,
        account_burst: 100_000,
        ..WebConfig::default()
    };
    cfg.checkin.burst = 100_000;
    cfg.checkin.refill_ms = 1;
    reunite_crypto::dummy_verify(&policy, "warm-up");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = OfficeState::new(store, Arc::new(Clock), cfg);
    tokio::spawn(async move { reunite_web::serve(listener, state).await.unwrap() });
    (base, code.to_string())
}

/// `ROUNDS` bursts of `CONCURRENCY` requests sent together; sorted latencies.
async fn bursts(url: &str, form: Vec<(&'static str, String)>, expect: u16) -> Vec<Duration> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let mut out = Vec::new();
    for _ in 0..ROUNDS {
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let (http, url, form) = (http.clone(), url.to_string(), form.clone());
                tokio::spawn(async move {
                    let t = Instant::now();
                    let r = http.post(&url).form(&form).send().await.unwrap();
                    let status = r.status().as_u16();
                    let _ = r.bytes().await.unwrap();
                    (t.elapsed(), status)
                })
            })
            .collect();
        for t in tasks {
            let (d, status) = t.await.unwrap();
            assert_eq!(status, expect, "{url}");
            out.push(d);
        }
    }
    out.sort();
    out
}

fn row(name: &str, l: &[Duration], peak_kib: u64) {
    let q = |p: f64| l[((l.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "| {name} | {} | {CONCURRENCY} | {:.0} | {:.0} | {:.0} | {:.0} |",
        l.len(),
        q(0.5),
        q(0.99),
        q(1.0),
        peak_kib as f64 / 1024.0
    );
}

async fn run() {
    let (base, code) = setup().await;
    let (_, idle) = memory();
    let resettable = reset_peak();
    println!(
        "production Argon2id (m=64 MiB, t=3, p=1); {ROUNDS} bursts of {CONCURRENCY} concurrent requests each; \
         resident after start-up {:.0} MiB; peak reset per scenario: {resettable}",
        idle as f64 / 1024.0
    );
    println!("| scenario | requests | in flight | p50 ms | p99 ms | max ms | peak RSS MiB |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let login = bursts(
        &format!("{base}/office/login"),
        vec![
            ("username", "staff".into()),
            ("password", "a wrong password".into()),
            ("code", "000000".into()),
        ],
        401,
    )
    .await;
    row("sign-in, wrong password", &login, memory().0);
    reset_peak();
    let checkin = bursts(
        &format!("{base}/n/"),
        vec![
            ("step", "save".into()),
            ("lang", "zh".into()),
            ("number", code),
            ("pin", "1357".into()),
            ("place", "Yanji".into()),
        ],
        200,
    )
    .await;
    row("check-in (right PIN, 1.5 s floor)", &checkin, memory().0);
    slow_connections(&base).await;
}

/// Opens 1,000 connections that stop mid-headers; counts those the server keeps open.
async fn slow_connections(base: &str) {
    use tokio::io::AsyncWriteExt;
    let addr = base.trim_start_matches("http://").to_string();
    let mut conns = Vec::new();
    let t = Instant::now();
    for _ in 0..1000 {
        let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await else {
            continue;
        };
        let _ = s
            .write_all(b"POST /office/login HTTP/1.1\r\nHost: x\r\n")
            .await;
        conns.push(s);
    }
    let opened = t.elapsed();
    let open = |conns: &mut Vec<tokio::net::TcpStream>| {
        let mut n = 0;
        for s in conns.iter_mut() {
            let mut buf = [0u8; 64];
            // Still open: nothing to read yet. Closed: end of stream or reset.
            match s.try_read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => n += 1,
                _ => {}
            }
        }
        n
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_1s = open(&mut conns);
    tokio::time::sleep(Duration::from_millis(
        ServeLimits::HEADER_READ_TIMEOUT_MS + 500,
    ))
    .await;
    let after_timeout = open(&mut conns);
    println!(
        "1,000 slow connections (opened in {} ms): {after_1s} still open after 1 s, {after_timeout} after {:.1} s (header-read timeout {} s)",
        opened.as_millis(),
        (ServeLimits::HEADER_READ_TIMEOUT_MS + 1500) as f64 / 1000.0,
        ServeLimits::HEADER_READ_TIMEOUT_MS / 1000
    );
}
