//! Threat model requirement 16: no log line holds names, codes, passwords, addresses, user
//! agents or free text. Canary values go in through every office endpoint (as user names,
//! passwords, codes, paths, queries, headers, form fields); then the captured logs (at the
//! most verbose level), the database file and its WAL are searched for them.

mod common;

use common::{Client, admin_full_sign_in, spawn};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sink() -> &'static Sink {
    static SINK: OnceLock<Sink> = OnceLock::new();
    SINK.get_or_init(|| {
        let s = Sink::default();
        let writer = s.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        s
    })
}

const CANARIES: [&str; 8] = [
    "canaryuser7731",
    "CanaryPass-8842-xyz",
    "canaryagent/9.9",
    "203.0.113.77",
    "canarypath5521",
    "canaryquery6613",
    "canaryform4410",
    "canarynewstaff3301",
];

#[tokio::test]
async fn canaries_never_reach_logs_or_disk_in_clear() {
    let sink = sink();
    let app = spawn().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(CANARIES[2])
        .build()
        .unwrap();
    // Unknown user, wrong password, odd headers, paths and queries.
    http.post(format!("{}/office/login?x={}", app.base, CANARIES[5]))
        .header("x-forwarded-for", CANARIES[3])
        .form(&[
            ("username", CANARIES[0]),
            ("password", CANARIES[1]),
            ("code", "424242"),
        ])
        .send()
        .await
        .unwrap();
    http.get(format!("{}/office/{}", app.base, CANARIES[4]))
        .send()
        .await
        .unwrap();
    http.get(format!(
        "{}/office/reauth?next=/office/{}",
        app.base, CANARIES[5]
    ))
    .send()
    .await
    .unwrap();
    // Signed in: forms with canaries, a new account with a canary name, a bad language.
    let mut c = Client::new(&app);
    admin_full_sign_in(&app, &mut c).await;
    let csrf = c.get("/office/users").await.input("csrf").unwrap();
    c.post(
        "/office/users",
        &[
            ("csrf", &csrf),
            ("username", CANARIES[7]),
            ("role", "caseworker"),
        ],
    )
    .await;
    c.post(
        "/office/users",
        &[
            ("csrf", &csrf),
            ("username", CANARIES[6]),
            ("role", CANARIES[6]),
        ],
    )
    .await;
    c.post(
        "/office/lang",
        &[
            ("csrf", &csrf),
            ("lang", CANARIES[6]),
            ("back", CANARIES[6]),
        ],
    )
    .await;
    c.post(
        "/office/users/nonexistent",
        &[("csrf", CANARIES[6]), ("role", "admin")],
    )
    .await;
    c.get(&format!("/office/audit?page={}", CANARIES[5])).await;

    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("request"),
        "the request log was captured: {logs}"
    );
    for canary in CANARIES {
        assert!(!logs.contains(canary), "log contains {canary}:\n{logs}");
    }
    // The admin password and one-time passwords too.
    assert!(!logs.contains(common::ADMIN_PASSWORD));

    // On disk: the new account's name exists only sealed.
    let mut files = 0;
    for e in std::fs::read_dir(&app.dir).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        files += 1;
        for canary in CANARIES {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "{canary} found in {}",
                p.display()
            );
        }
    }
    assert!(files >= 2, "database and WAL are searched");
    let created = app
        .store
        .user_by_username(&reunite_domain::Username::parse(CANARIES[7]).unwrap())
        .await
        .unwrap();
    assert!(created.is_some(), "the canary account really was written");
}
