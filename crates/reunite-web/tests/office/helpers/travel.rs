//! Shared by the travel tests: an app with a small check-in floor, a case, an active trip.

use super::{FAST, TestApp};
use reunite_domain::travel::Schedule;
use reunite_domain::{Case, CaseStatus, Clock, Name, Person};
use reunite_store::{CaseActor, NewTrip, TripContact, TripPlaces, TripPlan};

pub const PIN: &str = "1357";
pub const DURESS: &str = "2468";
pub const CITY: &str = "Yanji-canary-5521";

pub async fn app_with_floor(floor_ms: u64) -> TestApp {
    TestApp::spawn_with(|c| {
        c.checkin.floor_ms = floor_ms;
        c.checkin.burst = 10_000;
        c.checkin.refill_ms = 1;
    })
    .await
}

pub async fn new_case(app: &TestApp) -> String {
    new_case_for(app, None).await
}

/// A case assigned to a caseworker (who may then register its trips).
pub async fn new_case_for(app: &TestApp, assigned: Option<&reunite_domain::UserId>) -> String {
    let id = super::unique("case");
    let c = Case {
        id: id.clone(),
        mother: Person {
            names: vec![Name {
                text: "리영자".into(),
                kind: None,
            }],
            ..Default::default()
        },
        ..Default::default()
    };
    app.store
        .create_case(
            &c,
            CaseStatus::Open,
            assigned,
            &CaseActor::Cli,
            app.clock.now(),
        )
        .await
        .unwrap();
    id
}

/// An active trip registered through the store (the office pages are tested apart).
pub async fn active_trip(
    app: &TestApp,
    reminder_to: &str,
    contacts: Vec<TripContact>,
) -> (String, String) {
    let case_id = new_case(app).await;
    let trip = NewTrip {
        case_id,
        plan: TripPlan {
            starts_on: "2026-03-01".into(),
            ends_on: "2026-03-10".into(),
            purpose: "visit".into(),
            lang: "zh".into(),
            reminder_to: reminder_to.into(),
            contacts,
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
        duress_phc: reunite_crypto::hash_password(&FAST, DURESS).unwrap(),
    };
    let now = app.clock.now();
    let (id, code) = app
        .store
        .create_trip(&trip, &CaseActor::Cli, now)
        .await
        .unwrap();
    brief_and_start(app, &id, "zh").await;
    (id, code.to_string())
}

/// Records the briefing (in `lang`) and starts the trip, as the office would.
pub async fn brief_and_start(app: &TestApp, trip: &str, lang: &str) {
    let now = app.clock.now();
    app.store
        .confirm_trip_briefing(trip, lang, "h", &CaseActor::Cli, now)
        .await
        .unwrap();
    app.store
        .activate_trip(trip, &CaseActor::Cli, now)
        .await
        .unwrap();
}
