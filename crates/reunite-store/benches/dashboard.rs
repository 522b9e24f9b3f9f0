//! The dashboard's counts for one caseworker (issue 17): 200 cases she works on, 5,000
//! tasks (a third overdue, some done), on SQLite. Target: p95 ≤ 100 ms. Services (issue 17,
//! another part) are not seeded here: their table is not on this branch.
//!
//! Run: `cargo bench -p reunite-store --bench dashboard` (exits non-zero above the target).

use reunite_crypto::{KeyRing, MasterKey};
use reunite_domain::task::{DEFAULT_OFFICE_TZ as TZ, Due, day_bounds, local_date};
use reunite_domain::{Case, CaseStatus, Lang, Name, Person, Role, Timestamp, Username};
use reunite_store::{CaseActor, DashboardScope, NewTask, NewUser, OpenOptions, Store};
use std::time::Instant;

const CASES: usize = 200;
const TASKS: usize = 5_000;
const RUNS: usize = 200;
/// 2026-03-02 10:00 in Seoul.
const NOW: Timestamp = Timestamp(1_772_413_200_000);

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = std::env::temp_dir().join(format!("reunite-dash-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(
        OpenOptions::new(reunite_store::sqlite::url_for_path(&dir.join("b.db"))),
        KeyRing::new(MasterKey::generate(), vec![]),
    )
    .await
    .unwrap();
    store.ensure_system_keys(NOW).await.unwrap();
    let user = |n: &str| NewUser {
        username: Username::parse(n).unwrap(),
        role: Role::Caseworker,
        password_phc: "$argon2id$placeholder".into(),
        lang: Lang::Ko,
        must_change_password: false,
    };
    let me = store
        .create_user(&user("cw.bench"), "bench", NOW)
        .await
        .unwrap();
    let other = store
        .create_user(&user("cw.other"), "bench", NOW)
        .await
        .unwrap();
    let t0 = Instant::now();
    for i in 0..CASES {
        let c = Case {
            id: format!("case-{i:04}"),
            mother: Person {
                names: vec![Name {
                    text: format!("김순희{i}"),
                    kind: None,
                }],
                ..Default::default()
            },
            ..Default::default()
        };
        store
            .create_case(&c, CaseStatus::Open, Some(&me), &CaseActor::Cli, NOW)
            .await
            .unwrap();
    }
    let actor = CaseActor::Staff(me.clone());
    for i in 0..TASKS {
        // Days from 10 ago to 20 ahead; every other task hers.
        let day = (i % 30) as i64 - 10;
        let due = Due::parse(TZ, &local_date(TZ, NOW, day), "").unwrap();
        let who = if i % 2 == 0 { &me } else { &other };
        let id = store
            .create_task(
                &NewTask {
                    case_id: format!("case-{:04}", i % CASES),
                    what: format!("follow-up number {i}"),
                    due,
                    overdue_at: due.overdue_at(TZ),
                    assigned_to: who.clone(),
                    link: None,
                },
                &actor,
                NOW,
            )
            .await
            .unwrap();
        if i % 7 == 0 {
            store.complete_task(&id, &actor, NOW).await.unwrap();
        }
    }
    println!(
        "seeded {CASES} cases and {TASKS} tasks in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        // What a page load does: her cases, then the counts.
        let cases = store.visible_case_ids(&me, false, NOW).await.unwrap();
        let (_, today_end) = day_bounds(TZ, NOW);
        let (today, week_end) = (local_date(TZ, NOW, 0), local_date(TZ, NOW, 7));
        let d = store
            .dashboard(
                &DashboardScope {
                    user: &me,
                    cases: &cases,
                    all_trips: false,
                    intake: true,
                    now: NOW,
                    today_end,
                    today: &today,
                    week_end: &week_end,
                },
                &actor,
            )
            .await
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(d);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!("dashboard: {:?}", last.unwrap());
    println!(
        "dashboard over {RUNS} runs: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms (target p95 ≤ 100 ms)",
        p(0.5),
        p(0.95),
        times[times.len() - 1]
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    if p(0.95) > 100.0 {
        eprintln!("p95 above 100 ms");
        std::process::exit(1);
    }
}
