//! Threat model requirement 16 for travel: canaries typed into the trip form (cities,
//! places, purpose, contacts, reminder address) and the check-in page (city), the
//! check-in number and the acknowledgement notes (the first person's and the second's)
//! never reach the logs (at the most verbose level), the database file or its WAL in clear,
//! while delivery fails and logs its errors.

use crate::helpers;
use crate::helpers::travel::{DURESS, PIN, app_with_floor, brief_and_start, new_case_for};
use helpers::Client;
use reunite_domain::{Clock, Lang, Role};
use reunite_store::CaseActor;

const CANARIES: [&str; 8] = [
    "canarycity8812",
    "canarystay7261",
    "canarypurpose5520",
    "canarycontact4410",
    "canaryreminder3391",
    "canarycheckincity2290",
    "canaryacknote1187",
    "canaryconfirmnote6634",
];

#[tokio::test]
async fn travel_canaries_never_reach_logs_or_disk_in_clear() {
    let sink = helpers::logs::log_sink();
    let app = app_with_floor(1).await;
    let (mut c, cw, _) = app
        .sign_in_as("cw.canary", Role::Caseworker, Lang::En)
        .await;
    let case_id = new_case_for(&app, Some(&cw)).await;
    let path = format!("/office/cases/{case_id}/trips");
    let csrf = c.get(&path).await.input("csrf").unwrap();
    let contacts = format!("{}; sms:+821012345678", CANARIES[3]);
    let reminder = format!("email:{}@example.org", CANARIES[4]);
    let p = c
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("starts_on", "2026-04-01"),
                ("ends_on", "2026-04-12"),
                ("cities", CANARIES[0]),
                ("stays", CANARIES[1]),
                ("purpose", CANARIES[2]),
                ("lang", "ko"),
                ("reminder_to", &reminder),
                ("contacts", &contacts),
                ("interval_hours", "24"),
                ("window_start", "00:00"),
                ("window_end", "24:00"),
                ("tz", "Asia/Shanghai"),
                ("grace", "60"),
                ("pin", PIN),
                ("duress_pin", DURESS),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let code = p.by_id("trip-code").unwrap();
    let trip = app.store.trips_of_case(&case_id).await.unwrap()[0]
        .id
        .clone();
    let now = app.clock.now();
    brief_and_start(&app, &trip, "ko").await;
    let mut public = Client::new(&app);
    for pin in [PIN, DURESS, "0000"] {
        public
            .post(
                "/n/",
                &[
                    ("step", "save"),
                    ("lang", "ko"),
                    ("number", &code),
                    ("pin", pin),
                    ("place", CANARIES[5]),
                ],
            )
            .await;
    }
    // Escalate and try to deliver to relays that are not there: errors are logged.
    let cfg = reunite_web::jobs::notify::NotifyConfig {
        smtp_relay: "127.0.0.1:9".into(),
        smtp_from: "notes@example.org".into(),
        sms_webhook: "http://127.0.0.1:9/send".into(),
        oncall: vec!["email:oncall@example.org".into()],
        senior: vec!["sms:+821099990000".into()],
        staff_lang: Lang::Ko,
    };
    let later = now.plus_secs(3 * 86_400);
    let r = reunite_web::jobs::notify::run_once(&app.store, &cfg, later)
        .await
        .unwrap();
    assert!(r.failed > 0, "delivery failed and was logged: {r:?}");
    let alerts = app
        .store
        .read_trip(&trip, &CaseActor::Cli, later)
        .await
        .unwrap()
        .alerts;
    let csrf = c
        .get(&format!("/office/travel/trips/{trip}"))
        .await
        .input("csrf")
        .unwrap();
    let p = c
        .post(
            &format!("/office/travel/alerts/{}/ack", alerts[0].id),
            &[("csrf", &csrf), ("note", CANARIES[6])],
        )
        .await;
    assert_eq!(p.status, 303);
    // The duress alert waits for a second person, who confirms with her own note.
    assert_eq!(alerts[0].stage, reunite_domain::travel::Stage::Duress);
    let (mut second, _, _) = app
        .sign_in_on_call("cw.canary2", Role::Caseworker, Lang::En)
        .await;
    let csrf2 = second
        .csrf_of(&format!("/office/travel/trips/{trip}"))
        .await;
    let p = second
        .post(
            &format!("/office/travel/alerts/{}/confirm", alerts[0].id),
            &[("csrf", &csrf2), ("note", CANARIES[7])],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    c.get("/office/travel").await;

    // Every test's logs (the strict search); this test's own were captured.
    let logs = sink.text();
    assert!(
        sink.this_test().contains("travel message not delivered"),
        "{logs}"
    );
    for canary in CANARIES.iter().chain([&code.as_str(), &"+821012345678"]) {
        assert!(!logs.contains(canary), "log contains {canary}:\n{logs}");
    }
    helpers::logs::assert_not_on_disk(&app.dir, &CANARIES);
    // The canaries really were written (sealed).
    let d = app
        .store
        .read_trip(&trip, &CaseActor::Cli, later)
        .await
        .unwrap();
    assert_eq!(d.places.unwrap().cities, CANARIES[0]);
    assert!(d.checkins.iter().any(|c| c.city == CANARIES[5]));
    let a = &d.alerts[0];
    assert_eq!(a.proposed.as_ref().unwrap().2, CANARIES[6]);
    assert_eq!(a.acked.as_ref().unwrap().2, CANARIES[7]);
}
