//! Follow-ups, tasks and the dashboard of the office home (issue 17): a caseworker's
//! dashboard counts her overdue task and, only on intake duty, new tracing requests, and
//! nothing of a case she is not on; the tasks of a case are refused (403, nothing of them
//! in the body) to a caseworker off the case; a stale session is sent to re-authenticate;
//! the text of a task reaches neither the logs nor the database file in clear.

use crate::helpers;
use crate::helpers::TestApp;
use crate::helpers::travel::new_case_for;
use reunite_domain::task::{DEFAULT_OFFICE_TZ, Due, local_date};
use reunite_domain::{Clock, Duty, Lang, Role};
use reunite_store::{CaseActor, NewTask};

/// The markup of the section with this id.
fn section(body: &str, id: &str) -> String {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let end = body[at..].find("</section>").unwrap();
    body[at..at + end].to_string()
}

const CANARY: &str = "canarytasktext6614";
const OTHER: &str = "canaryothercase9051";

async fn new_request(app: &TestApp) {
    let now = app.clock.now();
    app.store.ensure_intake_keys(now).await.unwrap();
    let keys = app.store.intake_keys().await.unwrap();
    let code = reunite_crypto::TracingCode::generate();
    let payload = serde_json::json!({"v": 1, "lang": "zh", "note": "", "request": {
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
}

#[tokio::test]
async fn dashboard_counts_her_overdue_task_requests_on_intake_and_nothing_of_other_cases() {
    let sink = helpers::logs::log_sink();
    let app = TestApp::spawn().await;
    let (mut c, me, _) = app.sign_in_as("cw.dash", Role::Caseworker, Lang::En).await;
    let (_, other, _) = app
        .sign_in_as("cw.dash.other", Role::Caseworker, Lang::En)
        .await;
    let mine = new_case_for(&app, Some(&me)).await;
    let theirs = new_case_for(&app, Some(&other)).await;
    let now = app.clock.now();
    let yesterday = local_date(DEFAULT_OFFICE_TZ, now, -1);

    // She adds an overdue task to her case through the form.
    let path = format!("/office/cases/{mine}/tasks");
    let csrf = c.csrf_of(&path).await;
    let me_id = me.0.clone();
    let p = c
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("what", &format!("call back {CANARY}")),
                ("due_on", &yesterday),
                ("due_time", ""),
                ("assignee", &me_id),
                ("link_kind", "dna"),
                ("link_id", "dna_123"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Someone she may not open the case of cannot be given a task.
    let p = c
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("what", "x"),
                ("due_on", &yesterday),
                ("assignee", &other.0),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    // The other caseworker's case has a task too — even one assigned to her by mistake.
    let due = Due::parse(DEFAULT_OFFICE_TZ, &yesterday, "").unwrap();
    app.store
        .create_task(
            &NewTask {
                case_id: theirs.clone(),
                what: OTHER.into(),
                due,
                overdue_at: due.overdue_at(DEFAULT_OFFICE_TZ),
                assigned_to: me.clone(),
                link: None,
            },
            &CaseActor::Cli,
            now,
        )
        .await
        .unwrap();
    new_request(&app).await;

    let home = c.get("/office").await;
    assert_eq!(home.status, 200);
    assert!(
        home.by_id("dash-tasks-overdue")
            .unwrap()
            .contains("My overdue tasks: 1"),
        "{}",
        section(&home.body, "dashboard")
    );
    assert!(home.by_id("dash-requests").is_none(), "not on intake duty");
    assert!(!home.body.contains(&theirs) && !home.body.contains(OTHER));
    assert!(!home.body.contains(CANARY), "counts and links only");

    // My tasks: hers, overdue first, with its link; nothing of the other case.
    let list = c.get("/office/tasks").await;
    assert_eq!(list.status, 200);
    let overdue = section(&list.body, "tasks-overdue");
    assert!(overdue.contains(CANARY) && overdue.contains("/office/dna/dna_123"));
    assert!(!list.body.contains(&theirs) && !list.body.contains(OTHER));

    // On intake duty, the new request is counted.
    app.store
        .set_duty(&me, Duty::Intake, true, &CaseActor::Cli, now)
        .await
        .unwrap();
    let home = c.get("/office").await;
    assert!(
        home.by_id("dash-requests")
            .unwrap()
            .contains("New tracing requests: 1"),
        "{}",
        home.body
    );

    // Marked done, it leaves the overdue count and shows among the done ones.
    let task = app
        .store
        .tasks_of_case(&mine, &CaseActor::Cli, now)
        .await
        .unwrap()[0]
        .id
        .clone();
    let csrf = c.csrf_of("/office/tasks").await;
    let p = c
        .post(
            &format!("/office/tasks/{task}/done"),
            &[("csrf", &csrf), ("back", "mine")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/office/tasks");
    let home = c.get("/office").await;
    assert!(home.by_id("dash-tasks-overdue").unwrap().contains(": 0"));
    let done = c.get("/office/tasks?done=1").await;
    assert!(section(&done.body, "tasks-done").contains(CANARY));

    // Canary: neither in the logs nor on disk in clear.
    let logs = sink.text();
    assert!(!logs.contains(CANARY) && !logs.contains(OTHER));
    helpers::logs::assert_not_on_disk(&app.dir, &[CANARY, OTHER]);
}

#[tokio::test]
async fn dashboard_a_caseworker_off_the_case_gets_403_on_its_tasks_and_stale_sessions_reauthenticate()
 {
    let app = TestApp::spawn_with(|c| {
        c.reauth_secs = 60;
        c.session_idle_secs = 3600;
    })
    .await;
    let (mut owner, me, _) = app
        .sign_in_as("cw.tasks.owner", Role::Caseworker, Lang::En)
        .await;
    let (mut off, _, _) = app
        .sign_in_as("cw.tasks.off", Role::Caseworker, Lang::En)
        .await;
    let case_id = new_case_for(&app, Some(&me)).await;
    let now = app.clock.now();
    let due = Due::parse(
        DEFAULT_OFFICE_TZ,
        &local_date(DEFAULT_OFFICE_TZ, now, 1),
        "09:00",
    )
    .unwrap();
    let task = app
        .store
        .create_task(
            &NewTask {
                case_id: case_id.clone(),
                what: CANARY.into(),
                due,
                overdue_at: due.overdue_at(DEFAULT_OFFICE_TZ),
                assigned_to: me.clone(),
                link: None,
            },
            &CaseActor::Cli,
            now,
        )
        .await
        .unwrap();
    let path = format!("/office/cases/{case_id}/tasks");
    let p = owner.get(&path).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains(CANARY));

    // Off the case: refused, and nothing of it in the body.
    let p = off.get(&path).await;
    assert_eq!(p.status, 403);
    assert!(!p.body.contains(CANARY) && !p.body.contains(&task));
    let csrf = off.csrf_of("/office").await;
    let p = off
        .post(&format!("/office/tasks/{task}/done"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 403);
    let p = off
        .post(
            &path,
            &[("csrf", &csrf), ("what", "x"), ("due_on", "2026-01-01")],
        )
        .await;
    assert_eq!(p.status, 403);
    let p = off.get("/office/tasks").await;
    assert!(!p.body.contains(CANARY));
    assert!(
        app.store
            .tasks_of_case(&case_id, &CaseActor::Cli, now)
            .await
            .unwrap()[0]
            .done
            .is_none()
    );

    // Stale re-authentication: sent to re-authenticate, nothing shown.
    app.clock.advance_millis(120_000);
    for path in [path.as_str(), "/office/tasks"] {
        let p = owner.get(path).await;
        assert_eq!(p.status, 303, "{path}");
        assert!(p.location().starts_with("/office/reauth?next="), "{path}");
        assert!(!p.body.contains(CANARY));
    }
}

#[tokio::test]
async fn dashboard_due_times_are_entered_and_shown_in_the_office_zone() {
    let app = TestApp::spawn_with(|c| c.office_tz = "America/New_York".into()).await;
    let (mut c, me, _) = app
        .sign_in_as("cw.tasks.tz", Role::Caseworker, Lang::En)
        .await;
    let case_id = new_case_for(&app, Some(&me)).await;
    // A "+ task" link arrives with what it came from filled in.
    let path = format!("/office/cases/{case_id}/tasks");
    let p = c
        .get(&format!("{path}?link_kind=trip&link_id=trip_9"))
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(p.input("link_id").as_deref(), Some("trip_9"));
    assert!(p.body.contains(r#"<option value="trip" selected>"#));
    let csrf = p.input("csrf").unwrap();
    let p = c
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("what", "ring the consulate"),
                ("due_on", "2030-07-01"),
                ("due_time", "09:30"),
                ("assignee", &me.0),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let t = app
        .store
        .tasks_of_case(&case_id, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap();
    // 09:30 in New York (EDT, UTC−4) is 13:30 UTC.
    assert_eq!(t[0].due, Due::parse("UTC", "2030-07-01", "13:30").unwrap());
    let p = c.get(&path).await;
    assert!(p.body.contains("2030-07-01 09:30"), "{}", p.body);
}
