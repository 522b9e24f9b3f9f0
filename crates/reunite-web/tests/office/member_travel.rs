//! A mother registers her own trip in her member account, reads the safety briefing in her
//! language and confirms it herself; the office then sees a briefed trip it can start.
//! Another mother cannot see or touch it.

use crate::helpers;
use crate::helpers::travel::{CITY, DURESS, PIN, app_with_floor, new_case};
use helpers::Client;
use reunite_domain::{Clock, Lang, Role, Username};
use reunite_store::NewUser;

const PASS: &str = "a mother's long passphrase";

async fn mother(app: &helpers::TestApp, name: &str, case_id: &str) -> Client {
    let phc = reunite_crypto::hash_password(&helpers::FAST, PASS).unwrap();
    app.store
        .create_member(
            &NewUser {
                username: Username::parse(name).unwrap(),
                role: Role::Member,
                password_phc: phc,
                must_change_password: false,
                lang: Lang::Ko,
            },
            case_id,
            "cli",
            app.clock.now(),
        )
        .await
        .unwrap();
    let mut c = Client::new(app);
    let p = c
        .post(
            "/office/login",
            &[("username", name), ("password", PASS), ("code", "")],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, "/member"), "{}", p.body);
    c
}

#[tokio::test]
async fn a_mother_registers_her_trip_and_confirms_the_briefing() {
    let app = app_with_floor(1).await;
    let case_id = new_case(&app).await;
    let other_case = new_case(&app).await;
    let mut m = mother(&app, "mother.travel", &case_id).await;
    let mut other = mother(&app, "mother.other", &other_case).await;

    let p = m.get("/member/trips").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let csrf = p.input("csrf").unwrap();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("starts_on", "2026-04-01"),
        ("ends_on", "2026-03-12"),
        ("cities", CITY),
        ("stays", "her son's house"),
        ("purpose", "visit her son"),
        ("lang", "ko"),
        ("reminder_to", ""),
        ("contacts", "sister; sms:+821012345678"),
        ("interval_hours", "24"),
        ("window_start", "18:00"),
        ("window_end", "22:00"),
        ("tz", "Asia/Shanghai"),
        ("grace", "60"),
        ("pin", PIN),
        ("duress_pin", DURESS),
    ];
    // A return before the departure is refused in her language, and nothing typed is lost.
    let p = m.post("/member/trips", &form).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains(CITY) && p.body.contains("lang=\"ko\""));
    form[2].1 = "2026-04-12";
    let p = m.post("/member/trips", &form).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.by_id("trip-code").is_some(),
        "the check-in number is shown once"
    );
    let trips = app.store.trips_of_case(&case_id).await.unwrap();
    assert_eq!(trips.len(), 1);
    let id = trips[0].id.clone();
    assert!(trips[0].briefed.is_none());

    // Another mother sees nothing of it.
    assert_eq!(other.get(&format!("/member/trips/{id}")).await.status, 404);
    let ocsrf = other.get("/member/trips").await.input("csrf").unwrap();
    let p = other
        .post(
            &format!("/member/trips/{id}/briefing"),
            &[("csrf", &ocsrf), ("lang", "ko"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(p.status, 404);

    // She reads the briefing and confirms it.
    let p = m.get(&format!("/member/trips/{id}")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("id=\"confirm-briefing\""));
    let p = m
        .post(
            &format!("/member/trips/{id}/briefing"),
            &[("csrf", &csrf), ("lang", "ko"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(p.status, 303);
    let meta = app.store.trip_meta(&id).await.unwrap().unwrap();
    let (_, lang, _) = meta.briefed.expect("her confirmation is recorded");
    assert_eq!(lang, "ko");
    assert!(
        !m.get(&format!("/member/trips/{id}"))
            .await
            .body
            .contains("confirm-briefing")
    );
    // Staff are not members.
    let (mut cw, _, _) = app.sign_in_as("cw.t", Role::Caseworker, Lang::En).await;
    assert_eq!(cw.get("/member/trips").await.location(), "/office");
}
