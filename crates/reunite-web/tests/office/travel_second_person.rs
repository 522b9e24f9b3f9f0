//! Issue 16, finding 4: a duress alert (and a "many wrong PINs" alert) is closed, and a trip
//! with an open alert is ended, only by two different people, each re-authenticated with a
//! note of her own. A coerced caseworker alone leaves the alert open and the watch on; she
//! cannot confirm her own step, and is told so in her language.

use crate::helpers::travel::{CITY, DURESS, active_trip, app_with_floor};
use crate::helpers::{Client, TestApp};
use reunite_domain::travel::Stage;
use reunite_domain::{Clock, Lang, Role};
use reunite_store::{CaseActor, TripStatus};

async fn duress(app: &TestApp, code: &str) {
    let mut phone = Client::new(app);
    let p = phone
        .post(
            "/n/",
            &[
                ("step", "save"),
                ("lang", "zh"),
                ("number", code),
                ("pin", DURESS),
                ("place", CITY),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
}

async fn duress_alert(app: &TestApp, trip: &str) -> reunite_store::AlertView {
    app.store
        .read_trip(trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap()
        .alerts
        .into_iter()
        .find(|a| a.stage == Stage::Duress)
        .unwrap()
}

#[tokio::test]
async fn one_caseworker_cannot_silence_a_duress_alert_through_the_office() {
    let app = app_with_floor(1).await;
    let (trip, code) = active_trip(&app, "", vec![]).await;
    duress(&app, &code).await;
    let alert = duress_alert(&app, &trip).await;
    let trip_path = format!("/office/travel/trips/{trip}");

    let (mut first, _, _) = app
        .sign_in_on_call("cw.first", Role::Caseworker, Lang::En)
        .await;
    let p = first.get(&trip_path).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains("a second person confirms"),
        "the form says it takes two: {}",
        p.body
    );
    let csrf = p.input("csrf").unwrap();
    let p = first
        .post(
            &format!("/office/travel/alerts/{}/ack", alert.id),
            &[("csrf", csrf.as_str()), ("note", "called her; she is fine")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), format!("{trip_path}?done=proposed"));
    let p = first
        .post(&format!("{trip_path}/end"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), format!("{trip_path}?done=proposed"));
    // The alert is still open, the trip still watched, and the board still says duress.
    assert!(
        duress_alert(&app, &trip).await.acked.is_none(),
        "closed by one person"
    );
    let meta = app.store.trip_meta(&trip).await.unwrap().unwrap();
    assert_eq!(meta.status, TripStatus::Active, "ended by one person");
    let board = first.get("/office/travel").await;
    assert!(board.body.contains("trip-duress"), "{}", board.body);
    assert!(
        board.body.contains("acknowledged by cw.first")
            && board.body.contains("waiting for a second person"),
        "{}",
        board.body
    );
    assert!(board.body.contains("ending proposed by cw.first"));
    // Her page says what waits, and offers her no confirmation of her own steps.
    let p = first.get(&format!("{trip_path}?done=proposed")).await;
    assert!(p.by_id("trip-notice").is_some(), "{}", p.body);
    assert!(p.body.contains("Acknowledged by cw.first"), "{}", p.body);
    assert!(p.body.contains("called her; she is fine"));
    assert!(p.body.contains("own-proposal"));
    assert!(!p.body.contains("confirm-button"));
    assert!(p.body.contains("id=\"end-proposed\""));
    assert!(p.body.contains("id=\"end-own\""));
    assert!(!p.body.contains("trip-end-confirm"));

    // Confirming her own steps anyway is refused, and nothing changes.
    let p = first
        .post(
            &format!("/office/travel/alerts/{}/confirm", alert.id),
            &[("csrf", csrf.as_str()), ("note", "confirmed")],
        )
        .await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(
        p.by_id("trip-error")
            .unwrap()
            .contains("A second, different person must confirm it"),
        "{}",
        p.body
    );
    let p = first
        .post(
            &format!("{trip_path}/end/confirm"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.by_id("trip-error").is_some(), "{}", p.body);
    let a = duress_alert(&app, &trip).await;
    assert!(a.acked.is_none());
    assert_eq!(a.proposed.as_ref().unwrap().2, "called her; she is fine");
    assert_eq!(
        app.store.trip_meta(&trip).await.unwrap().unwrap().status,
        TripStatus::Active
    );

    // A second, different caseworker sees the first acknowledgement and confirms with her
    // own note: the alert is closed; then she confirms the end: the trip is over.
    let (mut second, _, _) = app
        .sign_in_on_call("cw.second", Role::Caseworker, Lang::En)
        .await;
    let p = second.get(&trip_path).await;
    assert!(p.body.contains("confirm-button"), "{}", p.body);
    assert!(p.body.contains("trip-end-confirm"), "{}", p.body);
    let csrf2 = p.input("csrf").unwrap();
    let p = second
        .post(
            &format!("/office/travel/alerts/{}/confirm", alert.id),
            &[("csrf", csrf2.as_str()), ("note", "I spoke to her myself")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), trip_path);
    let a = duress_alert(&app, &trip).await;
    assert_eq!(a.acked.as_ref().unwrap().2, "I spoke to her myself");
    let p = second
        .post(
            &format!("{trip_path}/end/confirm"),
            &[("csrf", csrf2.as_str())],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        app.store.trip_meta(&trip).await.unwrap().unwrap().status,
        TripStatus::Returned
    );
    let p = second.get(&trip_path).await;
    assert!(
        p.body.contains("First acknowledged by cw.first"),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("Confirmed by cw.second on ") && p.body.contains("I spoke to her myself"),
        "{}",
        p.body
    );
    let board = second.get("/office/travel").await;
    assert!(!board.body.contains(&trip), "{}", board.body);
}

/// The refusal of her own confirmation is told in her language, and changes nothing.
#[tokio::test]
async fn confirming_her_own_step_is_refused_in_her_language() {
    let app = app_with_floor(1).await;
    for (lang, name, text) in [
        (Lang::Ko, "cw.ko", "다른 사람이 최종 확인해야 합니다"),
        (Lang::Zh, "cw.zh", "必须由另一个人复核"),
        (
            Lang::En,
            "cw.en",
            "A second, different person must confirm it",
        ),
    ] {
        let (trip, code) = active_trip(&app, "", vec![]).await;
        duress(&app, &code).await;
        let alert = duress_alert(&app, &trip).await;
        let (mut c, _, _) = app.sign_in_on_call(name, Role::Caseworker, lang).await;
        let trip_path = format!("/office/travel/trips/{trip}");
        let csrf = c.csrf_of(&trip_path).await;
        let p = c
            .post(
                &format!("/office/travel/alerts/{}/ack", alert.id),
                &[("csrf", csrf.as_str()), ("note", "first")],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        for path in [
            format!("/office/travel/alerts/{}/confirm", alert.id),
            format!("/office/travel/alerts/{}/ack", alert.id),
        ] {
            let p = c
                .post(&path, &[("csrf", csrf.as_str()), ("note", "again")])
                .await;
            assert_eq!(p.status, 409, "{name} {path}: {}", p.body);
            assert!(p.by_id("trip-error").is_some(), "{}", p.body);
        }
        let p = c
            .post(
                &format!("/office/travel/alerts/{}/confirm", alert.id),
                &[("csrf", csrf.as_str()), ("note", "again")],
            )
            .await;
        let error = p.by_id("trip-error").unwrap();
        assert!(error.contains(text), "{name}: {error}");
        c.post(&format!("{trip_path}/end"), &[("csrf", csrf.as_str())])
            .await;
        let p = c
            .post(
                &format!("{trip_path}/end/confirm"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(p.status, 409, "{}", p.body);
        assert!(p.by_id("trip-error").unwrap().contains(text), "{}", p.body);
        let d = app
            .store
            .read_trip(&trip, &CaseActor::Cli, app.clock.now())
            .await
            .unwrap();
        assert!(d.alerts.iter().all(|a| a.acked.is_none()), "{name}");
        assert_eq!(d.meta.status, TripStatus::Active, "{name}");
    }
}

/// Missed check-ins keep the single acknowledgement, and a trip without open alerts ends in
/// one step.
#[tokio::test]
async fn a_missed_check_in_and_a_quiet_trip_need_one_person() {
    let app = app_with_floor(1).await;
    let (trip, _) = active_trip(&app, "", vec![]).await;
    let due = app
        .store
        .trip_meta(&trip)
        .await
        .unwrap()
        .unwrap()
        .next_due_at
        .unwrap();
    app.clock.set(due.plus_secs(3600));
    app.store.travel_escalate(app.clock.now()).await.unwrap();
    let (mut c, _, _) = app
        .sign_in_on_call("cw.alone", Role::Caseworker, Lang::En)
        .await;
    let trip_path = format!("/office/travel/trips/{trip}");
    let p = c.get(&trip_path).await;
    assert!(
        p.body.contains("id=\"end-two\""),
        "an open alert: {}",
        p.body
    );
    let csrf = p.input("csrf").unwrap();
    let alerts = app
        .store
        .read_trip(&trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap()
        .alerts;
    assert_eq!(
        alerts.iter().map(|a| a.stage).collect::<Vec<_>>(),
        vec![Stage::Reminder, Stage::OnCall]
    );
    for a in &alerts {
        let p = c
            .post(
                &format!("/office/travel/alerts/{}/ack", a.id),
                &[("csrf", csrf.as_str()), ("note", "she called back")],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location(), trip_path);
    }
    let d = app
        .store
        .read_trip(&trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap();
    assert!(d.alerts.iter().all(|a| a.acked.is_some()));
    let p = c.get(&trip_path).await;
    assert!(!p.body.contains("id=\"end-two\""), "{}", p.body);
    let p = c
        .post(&format!("{trip_path}/end"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), trip_path);
    assert_eq!(
        app.store.trip_meta(&trip).await.unwrap().unwrap().status,
        TripStatus::Returned
    );
}
