//! Re-authentication on every path that shows identifying data (THREAT-MODEL 11; issue 16,
//! finding 4): a caseworker whose session is alive but whose last re-authentication is stale
//! walks every office route of a case she is assigned to — pages, forms, and the error
//! re-renders that forms answer with — and finds the case's canary values nowhere.

use super::helpers::{Client, TestApp};
use reunite_domain::travel::Schedule;
use reunite_domain::{Case, CaseStatus, Clock, Lang, Name, Person, Place, Role};
use reunite_store::{CaseActor, NewTrip, TripPlaces, TripPlan};

const MOTHER: &str = "Canarymother Xq71";
const CITY: &str = "Canarycity-xq71";
const STAY: &str = "Canarystay-xq71";
const HOME: &str = "Canaryhome-xq71";
const TASK: &str = "Canarytask-xq71";

#[tokio::test]
async fn a_stale_session_sees_no_identifying_value_on_any_route() {
    let app = TestApp::spawn_with(|c| {
        c.reauth_secs = 60;
        c.session_idle_secs = 3600;
    })
    .await;
    let (mut c, me, _) = app.sign_in_as("walker", Role::Caseworker, Lang::En).await;
    let now = app.clock.now();
    let case_id = super::helpers::unique("case");
    let case = Case {
        id: case_id.clone(),
        mother: Person {
            names: vec![Name {
                text: MOTHER.into(),
                kind: None,
            }],
            ..Default::default()
        },
        residence_cn: Some(Place {
            text: HOME.into(),
            country: Some("CN".into()),
        }),
        ..Default::default()
    };
    app.store
        .create_case(&case, CaseStatus::Open, Some(&me), &CaseActor::Cli, now)
        .await
        .unwrap();
    let trip = NewTrip {
        case_id: case_id.clone(),
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
            stays: STAY.into(),
        },
        schedule: Schedule {
            interval_mins: 24 * 60,
            window_start_min: 0,
            window_end_min: 1440,
            tz: "Asia/Shanghai".into(),
            grace_mins: 60,
        },
        pin_phc: reunite_crypto::hash_password(&super::helpers::FAST, "1357").unwrap(),
        duress_phc: reunite_crypto::hash_password(&super::helpers::FAST, "2468").unwrap(),
    };
    let (trip_id, _) = app
        .store
        .create_trip(&trip, &CaseActor::Cli, now)
        .await
        .unwrap();

    let due = reunite_domain::task::Due::parse("Asia/Seoul", "2026-03-02", "").unwrap();
    app.store
        .create_task(
            &reunite_store::NewTask {
                case_id: case_id.clone(),
                what: TASK.into(),
                due,
                overdue_at: due.overdue_at("Asia/Seoul"),
                assigned_to: me.clone(),
                link: None,
            },
            &CaseActor::Cli,
            now,
        )
        .await
        .unwrap();

    // The form token while the session is still fresh; then the re-authentication goes stale.
    let csrf = c.csrf_of("/office").await;
    app.clock.advance_millis(120_000);

    let gets = [
        "/office".to_string(),
        "/office/cases".to_string(),
        format!("/office/cases?q={}", "Canarymother"),
        format!("/office/cases/{case_id}"),
        format!("/office/cases/{case_id}/edit"),
        format!("/office/cases/{case_id}/history"),
        format!("/office/cases/{case_id}/trips"),
        format!("/office/cases/{case_id}/dna"),
        format!("/office/cases/{case_id}/member"),
        format!("/office/cases/{case_id}/tasks"),
        "/office/tasks".to_string(),
        format!("/office/cases/{case_id}/notes"),
        format!("/office/cases/{case_id}/services"),
        "/office/travel".to_string(),
        format!("/office/travel/trips/{trip_id}"),
        "/office/matches".to_string(),
        "/office/requests".to_string(),
        "/office/audit".to_string(),
        "/office/assignments".to_string(),
        "/office/teams".to_string(),
    ];
    let case_form = [("csrf", csrf.as_str()), ("m_name_0_text", "x")];
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/office/cases/{case_id}/edit"), case_form.to_vec()),
        (
            format!("/office/cases/{case_id}/break-glass"),
            vec![("csrf", csrf.as_str()), ("reason", "x")],
        ),
        (
            format!("/office/cases/{case_id}/trips"),
            vec![("csrf", csrf.as_str()), ("starts_on", "bad")],
        ),
        (
            format!("/office/cases/{case_id}/dna"),
            vec![("csrf", csrf.as_str()), ("relation", "bad")],
        ),
        (
            format!("/office/cases/{case_id}/tasks"),
            vec![("csrf", csrf.as_str()), ("due_on", "bad")],
        ),
        (
            format!("/office/cases/{case_id}/notes"),
            vec![("csrf", csrf.as_str()), ("noted_on", "bad")],
        ),
        (
            format!("/office/cases/{case_id}/services"),
            vec![("csrf", csrf.as_str()), ("kind", "bad")],
        ),
        // Without the confirmation box: the form comes back (422) with the trip on it.
        (
            format!("/office/travel/trips/{trip_id}/briefing"),
            vec![("csrf", csrf.as_str()), ("lang", "zh")],
        ),
        // Not briefed yet: the trip cannot start (409) and the page comes back.
        (
            format!("/office/travel/trips/{trip_id}/activate"),
            vec![("csrf", csrf.as_str())],
        ),
        (
            format!("/office/travel/trips/{trip_id}/end"),
            vec![("csrf", csrf.as_str())],
        ),
        (
            format!("/office/travel/trips/{trip_id}/end/confirm"),
            vec![("csrf", csrf.as_str())],
        ),
    ];

    let mut leaks = Vec::new();
    let mut check = |what: String, status: u16, body: &str| {
        for canary in [MOTHER, CITY, STAY, HOME, TASK, "Canarymother"] {
            if body.contains(canary) {
                leaks.push(format!("{what} ({status}) shows {canary}"));
            }
        }
    };
    for path in &gets {
        let p = c.get(path).await;
        check(format!("GET {path}"), p.status, &p.body);
    }
    for (path, form) in &posts {
        let p = c.post(path, form).await;
        check(format!("POST {path}"), p.status, &p.body);
    }
    assert!(
        leaks.is_empty(),
        "a stale session saw identifying values: {leaks:#?}"
    );

    // And the walk did reach the data: after re-authenticating, the case page shows it.
    let code = super::helpers::next_code(&app, b"totp-secret-of-walker");
    let csrf = c.csrf_of("/office/reauth").await;
    let p = c
        .post(
            "/office/reauth",
            &[
                ("csrf", csrf.as_str()),
                ("password", super::helpers::STAFF_PASSWORD),
                ("code", code.as_str()),
                ("next", "/office"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = c.get(&format!("/office/cases/{case_id}")).await;
    assert!(
        p.body.contains(MOTHER),
        "the case page shows the case once re-authenticated"
    );
    let p = c.get(&format!("/office/travel/trips/{trip_id}")).await;
    assert!(
        p.body.contains(CITY),
        "the trip page shows the trip once re-authenticated"
    );
}

/// Ending a trip and acknowledging an alert — a duress alert above all — change what the
/// office watches; with a stale re-authentication the first steps, the second person's
/// confirmations and the page that offers them are all sent to re-authenticate first, and
/// nothing changes.
#[tokio::test]
async fn ending_a_trip_or_acknowledging_its_alert_needs_a_recent_reauthentication() {
    use super::helpers::travel::{CITY, DURESS, active_trip};
    let app = TestApp::spawn_with(|c| {
        c.reauth_secs = 60;
        c.session_idle_secs = 3600;
        c.checkin.floor_ms = 1;
    })
    .await;
    let (trip, code) = active_trip(&app, "", vec![]).await;
    // Her duress check-in, through the public page.
    let mut phone = Client::new(&app);
    let p = phone
        .post(
            "/n/",
            &[
                ("step", "save"),
                ("lang", "zh"),
                ("number", code.as_str()),
                ("pin", DURESS),
                ("place", CITY),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let alerts = app
        .store
        .read_trip(&trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap()
        .alerts;
    assert!(!alerts.is_empty(), "the duress check-in raised an alert");
    // A first person (fresh) acknowledges the duress alert and asks to end the trip: both wait
    // for a second person.
    let (mut first, _, _) = app
        .sign_in_on_call("fresh.first", Role::Caseworker, Lang::En)
        .await;
    let fcsrf = first.csrf_of(&format!("/office/travel/trips/{trip}")).await;
    for path in [
        format!("/office/travel/alerts/{}/ack", alerts[0].id),
        format!("/office/travel/trips/{trip}/end"),
    ] {
        let p = first
            .post(&path, &[("csrf", fcsrf.as_str()), ("note", "first")])
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert!(p.location().ends_with("?done=proposed"), "{}", p.location());
    }

    let (mut cw, _, _) = app
        .sign_in_on_call("stale.cw", Role::Caseworker, Lang::En)
        .await;
    let csrf = cw.csrf_of("/office").await;
    app.clock.advance_millis(120_000);
    // The page that offers the confirmations, and the confirmations themselves, send a
    // stale session to re-authenticate first.
    let p = cw.get(&format!("/office/travel/trips/{trip}")).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(
        p.location().starts_with("/office/reauth"),
        "{}",
        p.location()
    );
    assert!(!p.body.contains("confirm-button"));
    for path in [
        format!("/office/travel/alerts/{}/confirm", alerts[0].id),
        format!("/office/travel/trips/{trip}/end/confirm"),
    ] {
        let p = cw
            .post(&path, &[("csrf", csrf.as_str()), ("note", "second")])
            .await;
        assert_eq!(p.status, 303, "{path}: {}", p.body);
        assert!(
            p.location().starts_with("/office/reauth"),
            "{path}: {}",
            p.location()
        );
    }
    for a in &alerts {
        let p = cw
            .post(
                &format!("/office/travel/alerts/{}/ack", a.id),
                &[("csrf", csrf.as_str()), ("note", "done")],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert!(
            p.location().starts_with("/office/reauth"),
            "{}",
            p.location()
        );
    }
    let p = cw
        .post(
            &format!("/office/travel/trips/{trip}/end"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(
        p.location().starts_with("/office/reauth"),
        "{}",
        p.location()
    );

    let d = app
        .store
        .read_trip(&trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap();
    assert!(
        d.alerts.iter().all(|a| a.acked.is_none()),
        "an alert was acknowledged"
    );
    assert_eq!(
        d.alerts[0].proposed.as_ref().map(|p| p.2.as_str()),
        Some("first"),
        "only the fresh first step was recorded"
    );
    assert_eq!(
        d.meta.status,
        reunite_store::TripStatus::Active,
        "the trip was ended"
    );
}
