//! Threat model requirement 16: no log line holds names, codes, passwords, addresses, user
//! agents or free text. Canary values go in through every office endpoint (as user names,
//! passwords, codes, paths, queries, headers, form fields); then the captured logs (at the
//! most verbose level), the database file and its WAL are searched for them.

use crate::helpers;
use crate::helpers::{Client, TestApp, admin_full_sign_in};

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
    let sink = helpers::logs::log_sink();
    let app = TestApp::spawn().await;
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
    // Confirming and cancelling what waits for a second administrator.
    c.post(
        "/office/users/nonexistent/confirm",
        &[
            ("csrf", &csrf),
            ("role", CANARIES[6]),
            ("enable", CANARIES[6]),
        ],
    )
    .await;
    c.post(
        &format!("/office/users/{}/cancel", CANARIES[4]),
        &[("csrf", &csrf)],
    )
    .await;
    c.get(&format!("/office/audit?page={}", CANARIES[5])).await;

    // Every test's logs (the strict search); this test's own were captured.
    let logs = sink.text();
    assert!(
        sink.this_test().contains("request"),
        "the request log was captured: {logs}"
    );
    for canary in CANARIES {
        assert!(!logs.contains(canary), "log contains {canary}:\n{logs}");
    }
    // The admin password and one-time passwords too.
    assert!(!logs.contains(helpers::ADMIN_PASSWORD));

    // On disk: the new account's name exists only sealed.
    helpers::logs::assert_not_on_disk(&app.dir, &CANARIES);
    let created = app
        .store
        .user_by_username(&reunite_domain::Username::parse(CANARIES[7]).unwrap())
        .await
        .unwrap();
    assert!(created.is_some(), "the canary account really was written");
}

/// The same through match review and the mother's pages: a case and a request carrying
/// canaries are matched; the step notes, the text shown to the mother, her account's name and
/// the messages both ways carry canaries; none reaches the logs, the database or its WAL.
#[tokio::test]
async fn review_and_member_canaries_never_reach_logs_or_disk_in_clear() {
    use reunite_domain::{Case, CaseStatus, Clock, Lang, Role};
    use reunite_store::{CaseActor, MatchSettings};
    const C: [&str; 7] = [
        "canarymother5150",
        "canarynote6262",
        "canaryexcerpt7373",
        "canarymember8484",
        "canaryofficemsg9595",
        "canarymembermsg1616",
        "canaryseeker2727",
    ];
    let sink = helpers::logs::log_sink();
    let app = TestApp::spawn().await;
    let (mut cw, cw_id, _) = app
        .sign_in_as("cw.canary", Role::Caseworker, Lang::En)
        .await;
    let case: Case = serde_json::from_value(serde_json::json!({
        "id": "c-canary",
        "mother": {"names": [{"text": "李英子"}, {"text": C[0]}], "birth": {"year": 1979}},
        "children": [{"names": [{"text": "王明"}], "birth": {"year": 2004}}]
    }))
    .unwrap();
    let now = app.clock.now();
    app.store
        .create_case(&case, CaseStatus::Open, Some(&cw_id), &CaseActor::Cli, now)
        .await
        .unwrap();
    app.store.ensure_intake_keys(now).await.unwrap();
    let keys = app.store.intake_keys().await.unwrap();
    let code = reunite_crypto::TracingCode::generate();
    let payload = serde_json::json!({"v": 1, "lang": "zh", "note": C[6], "request": {
        "id": "x", "sought": {"names": [{"text": "李英子"}], "birth": {"year": 1979}},
        "seeker": {"names": [{"text": "王明"}], "birth": {"year": 2004}}}});
    app.store
        .intake()
        .submit(
            &reunite_store::NewIntake {
                code_lookup: keys.peppers.code_lookup(&code),
                sealed_request: reunite_crypto::seal(&keys.office, payload.to_string().as_bytes()),
                sealed_reply_key: reunite_crypto::seal(
                    &keys.office,
                    keys.peppers.reply_key(&code).to_text().as_bytes(),
                ),
            },
            now,
        )
        .await
        .unwrap();
    let run = app
        .store
        .match_new_requests(MatchSettings::default(), 10, now)
        .await
        .unwrap();
    assert_eq!(run.proposed, 1);
    let id = app.store.list_candidates(None, 10).await.unwrap()[0]
        .id
        .clone();
    let page = cw.get(&format!("/office/matches/{id}")).await;
    assert!(
        page.body.contains(C[0]) && page.body.contains(C[6]),
        "both sides shown"
    );
    let csrf = page.input("csrf").unwrap();
    let step = |s: &'static str, extra: (&'static str, &'static str)| {
        vec![
            ("csrf", csrf.clone()),
            ("step", s.into()),
            (extra.0, extra.1.into()),
        ]
    };
    for form in [
        step("verify", ("note", C[1])),
        step("ask", ("excerpt", C[2])),
    ] {
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            cw.post(&format!("/office/matches/{id}/step"), &f)
                .await
                .status,
            303
        );
    }
    let p = cw
        .post(
            "/office/cases/c-canary/member",
            &[("csrf", &csrf), ("username", C[3]), ("lang", "en")],
        )
        .await;
    assert_eq!(p.status, 200);
    let otp = p.by_id("one-time-password").unwrap();
    let p = cw
        .post(
            &format!("/office/matches/{id}/message"),
            &[("csrf", &csrf), ("text", C[4])],
        )
        .await;
    assert_eq!(p.status, 303);
    let mut m = Client::new(&app);
    m.post(
        "/office/login",
        &[("username", C[3]), ("password", &otp), ("code", "")],
    )
    .await;
    let csrf_m = m.get("/office/setup").await.input("csrf").unwrap();
    let pass = "canary member passphrase";
    m.post(
        "/office/setup/password",
        &[
            ("csrf", &csrf_m),
            ("new_password", pass),
            ("new_password_again", pass),
        ],
    )
    .await;
    let home = m.get("/member").await;
    assert!(home.body.contains(C[2]) && home.body.contains(C[4]));
    let csrf_m = home.input("csrf").unwrap();
    let p = m
        .post("/member/messages", &[("csrf", &csrf_m), ("text", C[5])])
        .await;
    assert_eq!(p.status, 303);

    let logs = sink.text();
    for canary in C {
        assert!(!logs.contains(canary), "log contains {canary}");
    }
    assert!(!logs.contains(&otp), "the one-time password is not logged");
    helpers::logs::assert_not_on_disk(&app.dir, &C);
}
