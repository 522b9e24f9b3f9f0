//! Least privilege per case, as an attacker inside the office would try it: a caseworker
//! who is not on a case, an admin, a caseworker without duties. Each refusal shows nothing
//! of the case; what is allowed (the team, break-glass with a reason, duties) is recorded.

use crate::helpers::TestApp;
use crate::helpers::travel::{active_trip, new_case_for};
use reunite_domain::{Clock, Duty, Lang, Role};
use reunite_store::CaseActor;

const CANARY: &str = "리영자";

/// The admin manages who works on what and reads no case: not the list, not the page, not
/// its history; the assignment page names no one.
#[tokio::test]
async fn an_admin_assigns_cases_without_reading_them() {
    let app = TestApp::spawn().await;
    let (mut admin, _, _) = app.sign_in_as("boss", Role::Admin, Lang::En).await;
    let (mut cw, cw_id, _) = app.sign_in_as("cw.one", Role::Caseworker, Lang::En).await;
    let id = new_case_for(&app, None).await;
    for path in [
        format!("/office/cases/{id}"),
        format!("/office/cases/{id}/history"),
        format!("/office/cases/{id}/edit"),
        format!("/office/cases/{id}/dna"),
        format!("/office/cases/{id}/trips"),
    ] {
        let p = admin.get(&path).await;
        assert_eq!(p.status, 403, "{path}");
        assert!(!p.body.contains(CANARY), "{path}");
    }
    let list = admin.get("/office/cases").await;
    // (The list's help text shows 리영자 as an example of a name search; the id is the test.)
    assert!(!list.body.contains(&id), "{}", list.body);
    // The assignment page lists the case by number only, and assigns it.
    let p = admin.get("/office/assignments").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains(&id) && !p.body.contains(CANARY));
    let csrf = p.input("csrf").unwrap();
    let r = admin
        .post(
            &format!("/office/assignments/{id}"),
            &[("csrf", csrf.as_str()), ("to", &cw_id.0), ("team", "")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Now it is hers, and still not the admin's.
    assert!(
        cw.get(&format!("/office/cases/{id}"))
            .await
            .body
            .contains(CANARY)
    );
    assert_eq!(admin.get(&format!("/office/cases/{id}")).await.status, 403);
    // Nobody else manages assignments.
    assert_eq!(cw.get("/office/assignments").await.status, 403);
    assert_eq!(cw.get("/office/teams").await.status, 403);
}

/// A team shares its cases; a caseworker off the team gets the break-glass form, not the
/// case; with a reason she reads it (not edits it), and the team sees who, when and why.
#[tokio::test]
async fn a_team_shares_its_cases_and_break_glass_is_recorded_and_shown() {
    let app = TestApp::spawn().await;
    let (mut a, a_id, _) = app.sign_in_as("cw.a", Role::Caseworker, Lang::En).await;
    let (mut b, b_id, _) = app.sign_in_as("cw.b", Role::Caseworker, Lang::En).await;
    let (mut c, _, _) = app.sign_in_as("cw.c", Role::Caseworker, Lang::En).await;
    let now = app.clock.now();
    let team = app
        .store
        .create_team("North", &CaseActor::Cli, now)
        .await
        .unwrap()
        .unwrap();
    for u in [&a_id, &b_id] {
        app.store
            .set_team_member(&team, u, Some(false), &CaseActor::Cli, now)
            .await
            .unwrap();
    }
    let id = new_case_for(&app, Some(&a_id)).await;
    app.store
        .set_case_team(&id, Some(&team), &CaseActor::Cli, now)
        .await
        .unwrap();
    // B, on the team, reads and lists it.
    assert!(
        b.get(&format!("/office/cases/{id}"))
            .await
            .body
            .contains(CANARY)
    );
    assert!(b.get("/office/cases").await.body.contains(&id));
    // C is not on it: the list does not show it, the page offers break-glass and nothing.
    assert!(!c.get("/office/cases").await.body.contains(&id));
    let p = c.get(&format!("/office/cases/{id}")).await;
    assert_eq!(p.status, 403);
    assert!(!p.body.contains(CANARY));
    assert!(p.body.contains("id=\"break-glass\""), "{}", p.body);
    let csrf = p.input("csrf").unwrap();
    // A reason is needed.
    let r = c
        .post(
            &format!("/office/cases/{id}/break-glass"),
            &[("csrf", csrf.as_str()), ("reason", "need")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(!r.body.contains(CANARY));
    let reason = "second approval, the residence is unclear";
    let r = c
        .post(
            &format!("/office/cases/{id}/break-glass"),
            &[("csrf", csrf.as_str()), ("reason", reason)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let p = c.get(&format!("/office/cases/{id}")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains(CANARY) && p.body.contains("id=\"glass-banner\""));
    // Reading only: no edit, no trips, no acting for the mother.
    assert!(!p.body.contains("id=\"edit-case\""));
    assert_eq!(c.get(&format!("/office/cases/{id}/edit")).await.status, 403);
    assert_eq!(
        c.get(&format!("/office/cases/{id}/trips")).await.status,
        403
    );
    assert_eq!(
        c.get(&format!("/office/cases/{id}/member")).await.status,
        403
    );
    // The team sees it on the case page.
    let p = a.get(&format!("/office/cases/{id}")).await;
    assert!(p.body.contains("id=\"glass-list\"") && p.body.contains(reason));
    // (That it ends after an hour is the store's test
    // `break_glass_opens_for_a_while_with_a_sealed_reason_and_is_audited_first`.)
}

/// Tracing requests open for intake duty and for the team of a linked case; trips for the
/// case's team and travel duty. Without either, the board is empty and a trip is refused.
#[tokio::test]
async fn trips_open_for_the_team_and_travel_duty_only() {
    let app = TestApp::spawn().await;
    let (mut x, x_id, _) = app.sign_in_as("cw.x", Role::Caseworker, Lang::En).await;
    let (trip, _) = active_trip(&app, "email:her@example.org", vec![]).await;
    let board = x.get("/office/travel").await;
    assert_eq!(board.status, 200);
    assert!(!board.body.contains(&trip[..8]), "not her trip");
    let p = x.get(&format!("/office/travel/trips/{trip}")).await;
    assert_eq!(p.status, 403);
    assert!(!p.body.contains(CANARY));
    // On travel duty she sees every trip: whoever the case belongs to, an alert is hers.
    app.store
        .set_duty(&x_id, Duty::Travel, true, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap();
    assert_eq!(
        x.get(&format!("/office/travel/trips/{trip}")).await.status,
        200
    );
    assert!(x.get("/office/travel").await.body.contains(&trip));
}

/// A request opens for intake duty, not for any caseworker.
#[tokio::test]
async fn requests_open_for_intake_duty_only() {
    let public = crate::helpers::public::spawn().await;
    let app = TestApp::over(&public, 3600).await;
    let (mut x, x_id, _) = app.sign_in_as("cw.req", Role::Caseworker, Lang::En).await;
    let c = crate::helpers::public::client();
    let sent = crate::helpers::public::post(
        &c,
        &format!("{}/", public.base),
        &crate::helpers::public::good_form("zh"),
    )
    .await;
    assert_eq!(sent.status, 200);
    let list = app.store.intake_list(10).await.unwrap();
    let rid = list[0].id.clone();
    assert!(!x.get("/office/requests").await.body.contains(&rid[..8]));
    let p = x.get(&format!("/office/requests/{rid}")).await;
    assert_eq!(p.status, 403);
    assert!(!p.body.contains("她左手"));
    app.store
        .set_duty(&x_id, Duty::Intake, true, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap();
    assert!(x.get("/office/requests").await.body.contains(&rid[..8]));
    let p = x.get(&format!("/office/requests/{rid}")).await;
    assert_eq!(p.status, 200, "{}", p.body);
}
