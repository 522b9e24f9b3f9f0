//! Load on the public side over loopback: tracing-request submission and check-back, the
//! two things every seeker does, against an intake node on SQLite with the production
//! Argon2id code hashing (19 MiB, t = 2, twice per request).
//!
//! Two configurations: the production response floors (submit 1 s, check-back 1.5 s: a
//! response's timing says nothing about what was found), where throughput is bounded by how
//! many requests wait out their floor together; and no floor, which shows the raw capacity
//! of the machine. Rate limits are lifted for the run (they would answer 429 to a single
//! loopback client).
//!
//! Run: `cargo bench -p reunite-web --bench intake_load`

use reunite_crypto::{KeyRing, MasterKey};
use reunite_domain::Timestamp;
use reunite_store::{IntakeKeys, IntakeStore, OpenOptions, Store};
use reunite_web::{IntakeConfig, IntakeState};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

const FORM: &[(&str, &str)] = &[
    ("lang", "zh"),
    ("step", "submit"),
    ("relation", "child"),
    ("m_name1", "金英子"),
    ("m_name2", "리영자"),
    ("m_year", "1979"),
    ("m_origin", "会宁"),
    ("c_name1", "王明"),
    ("c_sex", "m"),
    ("c_year", "2004"),
    ("c_month", "6"),
    ("c_day", "12"),
    ("c_place", "黑龙江 密山"),
    ("home", "黑龙江 鸡西 密山"),
    ("sep_year", "2010"),
    ("sep_how", "1"),
    ("note", "她左手有一道疤"),
];

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn spawn(cfg: IntakeConfig) -> String {
    let dir = std::env::temp_dir().join(format!(
        "reunite-intake-load-{}-{}",
        std::process::id(),
        cfg.check_floor_ms
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = reunite_store::sqlite::url_for_path(&dir.join("b.db"));
    let office = Store::open(
        OpenOptions::new(url.clone()),
        KeyRing::new(MasterKey::generate(), vec![]),
    )
    .await
    .unwrap();
    office.ensure_system_keys(Timestamp(0)).await.unwrap();
    office.ensure_intake_keys(Timestamp(0)).await.unwrap();
    let keys = IntakeKeys::from_text(&office.export_intake_keys().await.unwrap()).unwrap();
    let intake = IntakeStore::open(OpenOptions::new(url)).await.unwrap();
    let state = IntakeState::new(keys, intake, Arc::new(Clock), cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        reunite_web::serve_router(listener, reunite_web::intake_router(state))
            .await
            .unwrap();
    });
    format!("http://{addr}/")
}

/// The code on a code page (`<… id="code">1234 5678 …</…>`).
fn code_of(body: &str) -> String {
    let at = body.find("id=\"code\"").expect("a code page");
    let start = at + body[at..].find('>').unwrap() + 1;
    let end = body[start..].find('<').unwrap();
    body[start..start + end].to_string()
}

struct Run {
    latencies: Vec<Duration>,
    wall: Duration,
    bodies: Vec<String>,
}

/// `total` requests, at most `concurrency` in flight; `form(i)` is the i-th form.
async fn load(
    url: &str,
    total: usize,
    concurrency: usize,
    form: impl Fn(usize) -> Vec<(String, String)>,
) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let permit = sem.clone().acquire_owned().await.unwrap();
        let (client, url, f) = (client.clone(), url.to_string(), form(i));
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client.post(&url).form(&f).send().await.unwrap();
            assert_eq!(
                r.status(),
                200,
                "the bench expects every answer to be a page"
            );
            let body = r.text().await.unwrap();
            drop(permit);
            (t.elapsed(), body)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    let mut bodies = Vec::with_capacity(total);
    for t in tasks {
        let (d, b) = t.await.unwrap();
        latencies.push(d);
        bodies.push(b);
    }
    let wall = start.elapsed();
    latencies.sort();
    Run {
        latencies,
        wall,
        bodies,
    }
}

fn report(name: &str, concurrency: usize, r: &Run) {
    let n = r.latencies.len();
    let pct = |p: f64| r.latencies[((n as f64 * p).ceil() as usize).clamp(1, n) - 1];
    println!(
        "| {name} | {n} | {concurrency} | {:.1} | {:.0} | {:.0} | {:.0} |",
        n as f64 / r.wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        pct(1.0).as_secs_f64() * 1000.0,
    );
}

async fn scenario(label: &str, cfg: IntakeConfig, n_submit: usize, n_check: usize, conc: usize) {
    let url = spawn(cfg).await;
    let form = |_: usize| {
        FORM.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let submits = load(&url, n_submit, conc, form).await;
    report(&format!("{label}: submit"), conc, &submits);
    let codes: Vec<String> = submits.bodies.iter().map(|b| code_of(b)).collect();
    let check = |i: usize| {
        vec![
            ("step".to_string(), "read".to_string()),
            ("lang".to_string(), "zh".to_string()),
            ("code".to_string(), codes[i % codes.len()].clone()),
        ]
    };
    let checks = load(&url, n_check, conc, check).await;
    report(&format!("{label}: check-back"), conc, &checks);
}

async fn run() {
    let lifted = IntakeConfig {
        submit_burst: 1_000_000,
        check_burst: 1_000_000,
        ..IntakeConfig::default()
    };
    println!("| scenario | requests | in flight | req/s | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    scenario(
        "no floor",
        IntakeConfig {
            submit_floor_ms: 0,
            check_floor_ms: 0,
            ..lifted.clone()
        },
        400,
        800,
        8,
    )
    .await;
    scenario("production floors", lifted, 400, 800, 64).await;
}
