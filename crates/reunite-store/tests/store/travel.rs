//! Travel safety: registration, briefing before activation, check-ins, escalation with a
//! simulated clock across a restart and a DST change, duress that only the office can
//! close, retention of places, sealing. Written once, run on both backends.

use crate::helpers;
use crate::helpers::TestDb;
use reunite_domain::travel::{Schedule, Stage};
use reunite_domain::{Case, Name, Person, Timestamp};
use reunite_store::{
    CaseActor, CheckinKind, NewTrip, Store, StoreError, TripContact, TripPlaces, TripPlan,
    TripStatus, TwoPerson, TwoPersonRefusal,
};

const CANARY_CITY: &str = "Canarycity-延吉-4471";
const CANARY_STAY: &str = "Canary-hotel-88";

fn utc(s: &str) -> Timestamp {
    let t: jiff_ts::Ts = s.parse().unwrap();
    Timestamp(t.as_millisecond())
}

/// jiff is the domain crate's; the tests reach it through a tiny parser of their own.
mod jiff_ts {
    pub struct Ts(i64);
    impl Ts {
        pub fn as_millisecond(&self) -> i64 {
            self.0
        }
    }
    impl std::str::FromStr for Ts {
        type Err = ();
        // `YYYY-MM-DDTHH:MM:SSZ` only.
        fn from_str(s: &str) -> Result<Self, ()> {
            let n = |a: usize, b: usize| s[a..b].parse::<i64>().map_err(|_| ());
            let (y, m, d) = (n(0, 4)?, n(5, 7)?, n(8, 10)?);
            let (hh, mm, ss) = (n(11, 13)?, n(14, 16)?, n(17, 19)?);
            // Days from civil (Howard Hinnant).
            let y2 = if m <= 2 { y - 1 } else { y };
            let era = y2.div_euclid(400);
            let yoe = y2 - era * 400;
            let mp = (m + 9) % 12;
            let doy = (153 * mp + 2) / 5 + d - 1;
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            let days = era * 146_097 + doe - 719_468;
            Ok(Ts(((days * 86_400) + hh * 3600 + mm * 60 + ss) * 1000))
        }
    }
}

async fn case(s: &Store) -> String {
    let id = format!("case-{}", helpers::unique("t"));
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
    s.create_case(
        &c,
        reunite_domain::CaseStatus::Open,
        None,
        &CaseActor::Cli,
        Timestamp(1_700_000_000_000),
    )
    .await
    .unwrap();
    id
}

fn new_trip(case_id: &str, tz: &str) -> NewTrip {
    let policy = reunite_crypto::PasswordPolicy {
        m_kib: 1024,
        t: 1,
        p: 1,
    };
    NewTrip {
        case_id: case_id.into(),
        plan: TripPlan {
            starts_on: "2026-03-07".into(),
            ends_on: "2026-03-20".into(),
            purpose: "visit her son".into(),
            lang: "ko".into(),
            reminder_to: "email:m@example.org".into(),
            contacts: vec![TripContact {
                name: "sister".into(),
                address: "sms:+821012345678".into(),
            }],
        },
        places: TripPlaces {
            cities: CANARY_CITY.into(),
            stays: CANARY_STAY.into(),
        },
        schedule: Schedule {
            interval_mins: 24 * 60,
            window_start_min: 18 * 60,
            window_end_min: 22 * 60,
            tz: tz.into(),
            grace_mins: 60,
        },
        pin_phc: reunite_crypto::hash_password(&policy, "1357").unwrap(),
        duress_phc: reunite_crypto::hash_password(&policy, "2468").unwrap(),
    }
}

/// A staff account other than the command line (the second person of the two).
fn second() -> CaseActor {
    CaseActor::Staff(reunite_domain::UserId("user-second".into()))
}

/// A case with an active trip registered, briefed and started at `t0`.
async fn active_trip(s: &Store, t0: Timestamp) -> (String, String) {
    let c = case(s).await;
    let (id, code) = s
        .create_trip(&new_trip(&c, "Asia/Shanghai"), &CaseActor::Cli, t0)
        .await
        .unwrap();
    s.confirm_trip_briefing(&id, "zh", "h", &CaseActor::Cli, t0)
        .await
        .unwrap();
    s.activate_trip(&id, &CaseActor::Cli, t0).await.unwrap();
    (id, code.to_string())
}

async fn alerts(s: &Store, trip: &str) -> Vec<Stage> {
    s.read_trip(trip, &CaseActor::Cli, Timestamp(1))
        .await
        .unwrap()
        .alerts
        .iter()
        .map(|a| a.stage)
        .collect()
}

both_backends!(registration_needs_the_briefing, |db: TestDb| async move {
    let s = &db.store;
    let c = case(s).await;
    let t0 = utc("2026-03-01T00:00:00Z");
    let (id, code) = s
        .create_trip(&new_trip(&c, "Asia/Shanghai"), &CaseActor::Cli, t0)
        .await
        .unwrap();
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    // Not active yet: the code opens nothing, activation is refused without the briefing.
    assert!(s.checkin_target(&code).await.unwrap().is_none());
    assert!(matches!(
        s.activate_trip(&id, &CaseActor::Cli, t0).await,
        Err(StoreError::Conflict(_))
    ));
    s.confirm_trip_briefing(&id, "ko", "abc", &CaseActor::Cli, t0)
        .await
        .unwrap();
    let meta = s.trip_meta(&id).await.unwrap().unwrap();
    assert_eq!(meta.briefed.as_ref().unwrap().1, "ko");
    let due = s.activate_trip(&id, &CaseActor::Cli, t0).await.unwrap();
    // 08:00 Shanghai + 24 h is outside 18–22; the day's window end, 22:00 = 14:00 UTC.
    assert_eq!(due, utc("2026-03-01T14:00:00Z"));
    let target = s.checkin_target(&code).await.unwrap().unwrap();
    assert_eq!(target.trip_id, id);
    assert!(s.checkin_target("00000000").await.unwrap().is_none() || code.as_str() == "00000000");
    // Opened, the plan and places come back; the database holds neither in clear.
    let d = s.read_trip(&id, &CaseActor::Cli, t0).await.unwrap();
    assert_eq!(d.plan.contacts[0].address, "sms:+821012345678");
    assert_eq!(d.places.unwrap().cities, CANARY_CITY);
    let raw: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT plan_enc FROM trips")
        .fetch_all(s.pool_for_tests())
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw[0].0).contains("+8210"));
    let trips = s.trips_of_case(&c).await.unwrap();
    assert_eq!(trips.len(), 1);
    assert_eq!(trips[0].status, TripStatus::Active);
});

#[tokio::test]
async fn escalation_across_restart_and_dst_sqlite() {
    escalation_across_restart_and_dst(helpers::Kind::Sqlite).await;
}

#[tokio::test]
async fn escalation_across_restart_and_dst_postgres() {
    escalation_across_restart_and_dst(helpers::Kind::Postgres).await;
}

async fn escalation_across_restart_and_dst(kind: helpers::Kind) {
    let (ring, copy, _) = helpers::ring();
    let Some(db) = helpers::open_with(kind, ring).await else {
        return;
    };
    let c = case(&db.store).await;
    // She checks in at 23:00 on 7 March in New York (EST); clocks go forward that night.
    let start = utc("2026-03-08T04:00:00Z");
    let (id, code) = db
        .store
        .create_trip(&new_trip(&c, "America/New_York"), &CaseActor::Cli, start)
        .await
        .unwrap();
    db.store
        .confirm_trip_briefing(&id, "ko", "h", &CaseActor::Cli, start)
        .await
        .unwrap();
    let due = db
        .store
        .activate_trip(&id, &CaseActor::Cli, start)
        .await
        .unwrap();
    // 22:00 EDT on 8 March is 02:00 UTC on the 9th (it would be 03:00 without the change).
    assert_eq!(due, utc("2026-03-09T02:00:00Z"));
    let s = &db.store;
    assert_eq!(
        s.travel_escalate(utc("2026-03-09T01:59:59Z"))
            .await
            .unwrap()
            .raised,
        0
    );
    assert!(alerts(s, &id).await.is_empty());
    assert_eq!(s.travel_escalate(due).await.unwrap().raised, 1);
    assert_eq!(alerts(s, &id).await, vec![Stage::Reminder]);
    // A second run at the same moment raises nothing (idempotent).
    assert_eq!(s.travel_escalate(due).await.unwrap().raised, 0);

    // Restart in the middle of the window: a new process with the same database.
    let s2 = db.reopen(reunite_crypto::KeyRing::new(copy, vec![])).await;
    assert_eq!(
        s2.travel_escalate(utc("2026-03-09T02:59:59Z"))
            .await
            .unwrap()
            .raised,
        0
    );
    assert_eq!(
        s2.travel_escalate(utc("2026-03-09T03:00:00Z"))
            .await
            .unwrap()
            .raised,
        1
    );
    assert_eq!(alerts(s, &id).await, vec![Stage::Reminder, Stage::OnCall]);
    // The process was down past the senior stage: the next run raises it, once.
    assert_eq!(
        s2.travel_escalate(utc("2026-03-09T05:30:00Z"))
            .await
            .unwrap()
            .raised,
        1
    );
    assert_eq!(
        s.travel_escalate(utc("2026-03-09T05:31:00Z"))
            .await
            .unwrap()
            .raised,
        0
    );
    assert_eq!(
        alerts(s, &id).await,
        vec![Stage::Reminder, Stage::OnCall, Stage::Senior]
    );
    // Messages: the reminder to her, on-call, senior and the contacts; none twice.
    let out = s
        .travel_outbox_due(utc("2026-03-09T06:00:00Z"), 100)
        .await
        .unwrap();
    let mut targets: Vec<&str> = out.iter().map(|o| o.target.as_str()).collect();
    targets.sort();
    assert_eq!(targets, vec!["contacts", "oncall", "senior", "traveller"]);
    assert_eq!(
        s.travel_heartbeat().await.unwrap(),
        Some(utc("2026-03-09T05:31:00Z"))
    );
    // She checks in: the next deadline is computed from now, and nothing escalates.
    let target = s.checkin_target(&code).await.unwrap().unwrap();
    s.record_checkin(
        &target.trip_id,
        CheckinKind::Ok,
        "",
        utc("2026-03-09T06:00:00Z"),
    )
    .await
    .unwrap();
    let meta = s.trip_meta(&id).await.unwrap().unwrap();
    assert_eq!(meta.stage_sent, 0);
    assert_eq!(meta.next_due_at, Some(utc("2026-03-10T02:00:00Z")));
    assert_eq!(
        s.travel_escalate(utc("2026-03-09T23:00:00Z"))
            .await
            .unwrap()
            .raised,
        0
    );
    // Delivering addresses and marking sent works and is kept.
    let d = s
        .travel_delivery(&id, utc("2026-03-09T06:00:00Z"))
        .await
        .unwrap();
    assert_eq!(d.lang, "ko");
    for o in &out {
        s.travel_outbox_result(&o.id, true, Timestamp(0), utc("2026-03-09T06:01:00Z"))
            .await
            .unwrap();
    }
    assert!(
        s.travel_outbox_due(utc("2026-03-10T00:00:00Z"), 100)
            .await
            .unwrap()
            .is_empty()
    );
    s2.close().await;
    if let Some(schema) = &db.schema {
        db.store.close().await;
        reunite_store::postgres::drop_schema(&db.url, schema)
            .await
            .unwrap();
    }
}

both_backends!(
    duress_is_closed_only_by_the_office,
    |db: TestDb| async move {
        let s = &db.store;
        let c = case(s).await;
        let t0 = utc("2026-03-01T00:00:00Z");
        let (id, code) = s
            .create_trip(&new_trip(&c, "Asia/Shanghai"), &CaseActor::Cli, t0)
            .await
            .unwrap();
        s.confirm_trip_briefing(&id, "zh", "h", &CaseActor::Cli, t0)
            .await
            .unwrap();
        s.activate_trip(&id, &CaseActor::Cli, t0).await.unwrap();
        let t1 = utc("2026-03-01T12:00:00Z");
        s.record_checkin(&id, CheckinKind::Duress, CANARY_CITY, t1)
            .await
            .unwrap();
        // The deadline moved as for a normal check-in (no reminder will reach her phone).
        let meta = s.trip_meta(&id).await.unwrap().unwrap();
        assert_eq!(meta.next_due_at, Some(utc("2026-03-02T12:00:00Z")));
        assert_eq!(alerts(s, &id).await, vec![Stage::Duress]);
        let out = s.travel_outbox_due(t1, 100).await.unwrap();
        let mut targets: Vec<&str> = out.iter().map(|o| o.target.as_str()).collect();
        targets.sort();
        assert_eq!(targets, vec!["oncall", "senior"]);
        // Everything her side can do: a normal check-in, then "I am back".
        let t2 = t1.plus_secs(600);
        s.record_checkin(&id, CheckinKind::Ok, "", t2)
            .await
            .unwrap();
        s.record_checkin(&id, CheckinKind::Back, "", t2.plus_secs(60))
            .await
            .unwrap();
        assert_eq!(
            s.trip_meta(&id).await.unwrap().unwrap().status,
            TripStatus::Returned
        );
        assert!(s.checkin_target(&code).await.unwrap().is_none());
        // The duress alert is still open and on the board, first.
        let board = s.travel_board(&CaseActor::Cli, t2).await.unwrap();
        let row = board.iter().find(|r| r.meta.id == id).unwrap();
        assert!(row.duress);
        assert_eq!(row.last_city, "");
        assert_eq!(board[0].meta.id, id);
        // Only acknowledgements with a note, by two different people, close it.
        let alert = row.open_alerts[0].id.clone();
        assert!(matches!(
            s.acknowledge_trip_alert(&alert, "  ", &CaseActor::Cli, t2)
                .await,
            Err(StoreError::Conflict(_))
        ));
        let first = s
            .acknowledge_trip_alert(
                &alert,
                "called her sister; she is safe",
                &CaseActor::Cli,
                t2,
            )
            .await
            .unwrap();
        assert_eq!(first.step, TwoPerson::Proposed);
        assert!(matches!(
            s.acknowledge_trip_alert(&alert, "again", &CaseActor::Cli, t2)
                .await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::ProposalWaiting))
        ));
        assert!(
            s.travel_board(&CaseActor::Cli, t2)
                .await
                .unwrap()
                .iter()
                .any(|r| r.meta.id == id && r.duress)
        );
        s.confirm_trip_alert(&alert, "spoke to her myself", &second(), t2)
            .await
            .unwrap();
        assert!(matches!(
            s.confirm_trip_alert(&alert, "again", &CaseActor::Demo, t2)
                .await,
            Err(StoreError::Conflict(_))
        ));
        let d = s.read_trip(&id, &CaseActor::Cli, t2).await.unwrap();
        let proposed = d.alerts[0].proposed.as_ref().unwrap();
        assert_eq!(
            (proposed.1.as_str(), proposed.2.as_str()),
            ("cli", "called her sister; she is safe")
        );
        let acked = d.alerts[0].acked.as_ref().unwrap();
        assert_eq!(
            (acked.1.as_str(), acked.2.as_str()),
            ("user-second", "spoke to her myself")
        );
        assert_eq!(d.checkins[0].city, CANARY_CITY);
        assert_eq!(d.checkins[0].kind, "duress");
        let board = s.travel_board(&CaseActor::Cli, t2).await.unwrap();
        assert!(board.iter().all(|r| r.meta.id != id));
    }
);

// Issue 16, finding 2: wrong PINs are counted for the whole trip (a check-in does not reset
// the count, only the throttle's), and past the threshold the office gets one open alert
// "many wrong PINs" (on-call only, nothing for her); after an acknowledgement the next
// wrong PIN raises a new one.
both_backends!(
    wrong_pins_are_counted_for_the_trip_and_alert_the_office,
    |db: TestDb| async move {
        let s = &db.store;
        let c = case(s).await;
        let t0 = utc("2026-03-01T00:00:00Z");
        let (id, code) = s
            .create_trip(&new_trip(&c, "Asia/Shanghai"), &CaseActor::Cli, t0)
            .await
            .unwrap();
        s.confirm_trip_briefing(&id, "zh", "h", &CaseActor::Cli, t0)
            .await
            .unwrap();
        s.activate_trip(&id, &CaseActor::Cli, t0).await.unwrap();
        for i in 0..4 {
            s.record_wrong_pin(&id, i % 2 == 0, 5, t0.plus_secs(i))
                .await
                .unwrap();
        }
        assert!(alerts(s, &id).await.is_empty());
        let t1 = t0.plus_secs(10);
        s.record_wrong_pin(&id, false, 5, t1).await.unwrap();
        assert_eq!(alerts(s, &id).await, vec![Stage::WrongPins]);
        let out = s.travel_outbox_due(t1, 100).await.unwrap();
        let targets: Vec<&str> = out
            .iter()
            .filter(|o| o.trip_id == id)
            .map(|o| o.target.as_str())
            .collect();
        assert_eq!(targets, vec!["oncall"]);
        // One open alert, however many more wrong PINs.
        s.record_wrong_pin(&id, false, 5, t1.plus_secs(1))
            .await
            .unwrap();
        assert_eq!(alerts(s, &id).await, vec![Stage::WrongPins]);
        // Her check-in (answered "saved") restarts the throttle, not the count.
        s.record_page_checkin(&id, CheckinKind::Ok, "", true, t1.plus_secs(2))
            .await
            .unwrap();
        let t = s.checkin_target(&code).await.unwrap().unwrap();
        assert_eq!((t.wrong_pins, t.throttle_wrong), (6, 0));
        assert_eq!(s.trip_meta(&id).await.unwrap().unwrap().wrong_pins, 6);
        // One recorded while answers were spaced out leaves the throttle as it was.
        s.record_wrong_pin(&id, true, 5, t1.plus_secs(3))
            .await
            .unwrap();
        s.record_page_checkin(&id, CheckinKind::Ok, "", false, t1.plus_secs(4))
            .await
            .unwrap();
        let t = s.checkin_target(&code).await.unwrap().unwrap();
        assert_eq!((t.wrong_pins, t.throttle_wrong), (7, 1));
        assert_eq!(t.last_attempt_at, t1.plus_secs(3));
        assert_eq!(
            s.trip_meta(&id).await.unwrap().unwrap().last_checkin_at,
            Some(t1.plus_secs(4))
        );
        let spaced: Vec<bool> = s
            .read_trip(&id, &CaseActor::Cli, t1)
            .await
            .unwrap()
            .checkins
            .iter()
            .map(|c| c.spaced)
            .collect();
        assert_eq!(spaced, vec![false, true]);
        // Acknowledged: the next wrong PIN raises a new alert.
        let board = s.travel_board(&CaseActor::Cli, t1).await.unwrap();
        let row = board.iter().find(|r| r.meta.id == id).unwrap();
        assert_eq!(row.open_alerts.len(), 1);
        assert!(!row.duress);
        // Many wrong PINs take two people, like duress: one acknowledgement leaves it open,
        // so the wrong PINs that follow still raise nothing new and it stays on the board.
        let wrong = row.open_alerts[0].id.clone();
        let first = s
            .acknowledge_trip_alert(&wrong, "called her", &CaseActor::Cli, t1)
            .await
            .unwrap();
        assert_eq!(first.step, TwoPerson::Proposed);
        s.record_wrong_pin(&id, true, 5, t1.plus_secs(30))
            .await
            .unwrap();
        assert_eq!(alerts(s, &id).await, vec![Stage::WrongPins]);
        let board = s.travel_board(&CaseActor::Cli, t1).await.unwrap();
        let row = board.iter().find(|r| r.meta.id == id).unwrap();
        assert_eq!(row.open_alerts.len(), 1);
        assert!(row.open_alerts[0].proposed.is_some());
        assert!(matches!(
            s.confirm_trip_alert(&wrong, "me again", &CaseActor::Cli, t1)
                .await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::SamePerson))
        ));
        s.confirm_trip_alert(&wrong, "called her too", &second(), t1)
            .await
            .unwrap();
        s.record_wrong_pin(&id, true, 5, t1.plus_secs(60))
            .await
            .unwrap();
        assert_eq!(
            alerts(s, &id).await,
            vec![Stage::WrongPins, Stage::WrongPins]
        );
    }
);

// Issue 16, finding 3: after a duress check-in (the page records the duress PIN with
// "finished" as a duress check-in too), no message goes to her own address for that trip,
// whatever her side does next: a reminder queued before it is dropped, later reminders are
// not queued, while on-call, senior and contacts are still alerted.
both_backends!(
    after_duress_nothing_goes_to_her_own_address,
    |db: TestDb| async move {
        let s = &db.store;
        for then_ok in [false, true] {
            let c = case(s).await;
            let t0 = utc("2026-03-01T00:00:00Z");
            let (id, _) = s
                .create_trip(&new_trip(&c, "Asia/Shanghai"), &CaseActor::Cli, t0)
                .await
                .unwrap();
            s.confirm_trip_briefing(&id, "zh", "h", &CaseActor::Cli, t0)
                .await
                .unwrap();
            s.activate_trip(&id, &CaseActor::Cli, t0).await.unwrap();
            let mine = |out: Vec<reunite_store::OutboxItem>| -> Vec<String> {
                out.into_iter()
                    .filter(|o| o.trip_id == id)
                    .map(|o| o.target)
                    .collect()
            };
            // The first deadline (22:00 Shanghai, 14:00 UTC) passes: a reminder is queued.
            let d1 = utc("2026-03-01T14:00:00Z");
            s.travel_escalate(d1).await.unwrap();
            assert_eq!(
                mine(s.travel_outbox_due(d1, 100).await.unwrap()),
                vec!["traveller"]
            );
            // She is forced to check in; the second time round a normal check-in follows.
            let t1 = d1.plus_secs(60);
            s.record_checkin(&id, CheckinKind::Duress, "", t1)
                .await
                .unwrap();
            if then_ok {
                s.record_checkin(&id, CheckinKind::Ok, "", t1.plus_secs(60))
                    .await
                    .unwrap();
            }
            let meta = s.trip_meta(&id).await.unwrap().unwrap();
            assert_eq!(meta.status, TripStatus::Active);
            let d2 = meta.next_due_at.unwrap();
            // Through the next deadline and both grace periods.
            for t in [d2, d2.plus_secs(3600), d2.plus_secs(7200)] {
                s.travel_escalate(t).await.unwrap();
            }
            let mut targets = mine(s.travel_outbox_due(d2.plus_secs(7200), 100).await.unwrap());
            targets.sort();
            assert_eq!(
                targets,
                vec!["contacts", "oncall", "oncall", "senior", "senior"],
                "then_ok={then_ok}"
            );
            let stages = alerts(s, &id).await;
            assert!(stages.contains(&Stage::OnCall), "{stages:?}");
            assert!(stages.contains(&Stage::Senior), "{stages:?}");
        }
    }
);

both_backends!(
    retention_deletes_places_after_return,
    |db: TestDb| async move {
        let s = &db.store;
        let c = case(s).await;
        let t0 = utc("2026-03-01T00:00:00Z");
        let mut ids = Vec::new();
        for back_days in [40, 10] {
            let (id, _) = s
                .create_trip(&new_trip(&c, "Asia/Shanghai"), &CaseActor::Cli, t0)
                .await
                .unwrap();
            s.confirm_trip_briefing(&id, "en", "h", &CaseActor::Cli, t0)
                .await
                .unwrap();
            s.activate_trip(&id, &CaseActor::Cli, t0).await.unwrap();
            s.record_checkin(&id, CheckinKind::Ok, CANARY_CITY, t0.plus_secs(3600))
                .await
                .unwrap();
            let now = utc("2026-05-01T00:00:00Z");
            s.record_checkin(
                &id,
                CheckinKind::Back,
                "",
                now.plus_secs(-back_days * 86_400),
            )
            .await
            .unwrap();
            ids.push(id);
        }
        let now = utc("2026-05-01T00:00:00Z");
        let n = s
            .purge_trip_places(now.plus_secs(-30 * 86_400), now)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let old = s.read_trip(&ids[0], &CaseActor::Cli, now).await.unwrap();
        assert!(old.places.is_none());
        assert!(old.checkins.iter().all(|c| c.city.is_empty()));
        assert!(old.meta.purged_at.is_some());
        let recent = s.read_trip(&ids[1], &CaseActor::Cli, now).await.unwrap();
        assert_eq!(recent.places.unwrap().stays, CANARY_STAY);
        // No sealed place of the old trip is left in the database at all.
        let q = match db.kind {
            helpers::Kind::Sqlite => {
                "SELECT COUNT(*) FROM trip_checkins WHERE trip_id = ?1 AND city_enc IS NOT NULL"
            }
            helpers::Kind::Postgres => {
                "SELECT COUNT(*) FROM trip_checkins WHERE trip_id = $1 AND city_enc IS NOT NULL"
            }
        };
        let left: i64 = sqlx::query_scalar(q)
            .bind(&ids[0])
            .fetch_one(s.pool_for_tests())
            .await
            .unwrap();
        assert_eq!(left, 0);
        // A second run does nothing more.
        assert_eq!(
            s.purge_trip_places(now.plus_secs(-30 * 86_400), now)
                .await
                .unwrap(),
            0
        );
    }
);

// Issue 16, finding 4: a coerced caseworker alone cannot silence a duress alert. Her
// acknowledgement is a proposal that leaves the alert open (on the board, escalating to the
// office as before, nothing to her phone), she cannot confirm it herself, and her request to
// end the trip leaves the watch on; a second account closes the alert and ends the trip.
// Each step is audited without its note, and the notes are sealed.
both_backends!(
    one_person_cannot_close_a_duress_alert_or_end_its_trip,
    |db: TestDb| async move {
        let s = &db.store;
        let t0 = utc("2026-03-01T00:00:00Z");
        let (id, _) = active_trip(s, t0).await;
        let t1 = utc("2026-03-01T12:00:00Z");
        s.record_checkin(&id, CheckinKind::Duress, "", t1)
            .await
            .unwrap();
        let coerced = CaseActor::Staff(reunite_domain::UserId("user-coerced".into()));
        let board = s.travel_board(&coerced, t1).await.unwrap();
        let alert = board.iter().find(|r| r.meta.id == id).unwrap().open_alerts[0]
            .id
            .clone();
        let t2 = t1.plus_secs(60);
        let note = "she is fine, I called her canarynote-5109";
        let first = s.acknowledge_trip_alert(&alert, note, &coerced, t2).await;
        let ended = s.end_trip(&id, &coerced, t2).await;
        // Still open, still on the board (first), the trip still watched.
        let board = s.travel_board(&coerced, t2).await.unwrap();
        let row = board
            .iter()
            .find(|r| r.meta.id == id)
            .expect("one person took the trip off the board");
        assert!(row.duress, "one person closed the duress alert");
        assert_eq!(row.open_alerts.len(), 1);
        assert!(row.open_alerts[0].acked.is_none());
        assert_eq!(board[0].meta.id, id);
        let meta = s.trip_meta(&id).await.unwrap().unwrap();
        assert_eq!(meta.status, TripStatus::Active, "one person ended the trip");
        // Both steps were recorded as proposals, waiting for a second person.
        assert_eq!(first.unwrap().step, TwoPerson::Proposed);
        assert_eq!(ended.unwrap(), TwoPerson::Proposed);
        let proposed = row.open_alerts[0].proposed.clone().unwrap();
        assert_eq!(
            (proposed.0, proposed.1.as_str(), proposed.2.as_str()),
            (t2, "user-coerced", note)
        );
        assert_eq!(meta.end_proposed, Some((t2, "user-coerced".to_string())));
        // She cannot confirm her own proposals, nor make a second one; nothing changes.
        let t3 = t2.plus_secs(60);
        assert!(matches!(
            s.confirm_trip_alert(&alert, "confirmed", &coerced, t3)
                .await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::SamePerson))
        ));
        assert!(matches!(
            s.acknowledge_trip_alert(&alert, "again", &coerced, t3)
                .await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::ProposalWaiting))
        ));
        assert!(matches!(
            s.confirm_end_trip(&id, &coerced, t3).await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::SamePerson))
        ));
        assert!(matches!(
            s.end_trip(&id, &coerced, t3).await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::ProposalWaiting))
        ));
        // A mother's own account is never one of the two.
        let member = CaseActor::Member(reunite_domain::UserId("user-member".into()));
        assert!(matches!(
            s.confirm_trip_alert(&alert, "x", &member, t3).await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::NotOffice))
        ));
        assert!(matches!(
            s.confirm_end_trip(&id, &member, t3).await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::NotOffice))
        ));
        let d = s.read_trip(&id, &CaseActor::Cli, t3).await.unwrap();
        assert!(d.alerts[0].acked.is_none());
        assert_eq!(d.alerts[0].proposed.as_ref().unwrap().0, t2);
        assert_eq!(d.meta.status, TripStatus::Active);
        assert_eq!(d.meta.end_proposed, Some((t2, "user-coerced".to_string())));
        // Escalation goes on exactly as before: the duress messages to on-call and senior are
        // still to be sent, the next missed deadline reaches on-call, senior and contacts,
        // and nothing goes to her own address.
        let due = meta.next_due_at.unwrap();
        for t in [due, due.plus_secs(3600), due.plus_secs(7200)] {
            s.travel_escalate(t).await.unwrap();
        }
        assert_eq!(
            alerts(s, &id).await,
            vec![Stage::Duress, Stage::Reminder, Stage::OnCall, Stage::Senior]
        );
        let mut targets: Vec<String> = s
            .travel_outbox_due(due.plus_secs(7200), 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.trip_id == id)
            .map(|o| o.target)
            .collect();
        targets.sort();
        assert_eq!(
            targets,
            vec!["contacts", "oncall", "oncall", "senior", "senior"]
        );
        // The new alerts dropped the request to end (made before them): nothing to confirm.
        let t4 = due.plus_secs(7300);
        assert_eq!(s.trip_meta(&id).await.unwrap().unwrap().end_proposed, None);
        assert!(matches!(
            s.confirm_end_trip(&id, &second(), t4).await,
            Err(StoreError::SecondPerson(TwoPersonRefusal::NothingToConfirm))
        ));
        // A second account confirms with her own note: closed, with both people on it.
        s.confirm_trip_alert(&alert, "I called her sister too", &second(), t4)
            .await
            .unwrap();
        let d = s.read_trip(&id, &CaseActor::Cli, t4).await.unwrap();
        let a = d.alerts.iter().find(|a| a.id == alert).unwrap();
        assert_eq!(a.proposed.as_ref().unwrap().1, "user-coerced");
        assert_eq!(
            a.acked.clone().unwrap(),
            (
                t4,
                "user-second".to_string(),
                "I called her sister too".to_string()
            )
        );
        assert!(
            !s.travel_board(&second(), t4)
                .await
                .unwrap()
                .iter()
                .any(|r| r.meta.id == id && r.duress)
        );
        // The missed check-in alerts are closed by one person each.
        for a in d.alerts.iter().filter(|a| a.stage != Stage::Duress) {
            let done = s
                .acknowledge_trip_alert(&a.id, "she called back", &second(), t4)
                .await
                .unwrap();
            assert_eq!(done.step, TwoPerson::Done);
        }
        // No open alert left: ending is one step again. Put one back (many wrong PINs) and
        // it takes two: proposed by one, confirmed by another.
        for i in 0..5 {
            s.record_wrong_pin(&id, true, 5, t4.plus_secs(i))
                .await
                .unwrap();
        }
        let t5 = t4.plus_secs(60);
        assert_eq!(
            s.end_trip(&id, &second(), t5).await.unwrap(),
            TwoPerson::Proposed
        );
        assert_eq!(
            s.trip_meta(&id).await.unwrap().unwrap().status,
            TripStatus::Active
        );
        s.confirm_end_trip(&id, &coerced, t5.plus_secs(1))
            .await
            .unwrap();
        let meta = s.trip_meta(&id).await.unwrap().unwrap();
        assert_eq!(meta.status, TripStatus::Returned);
        assert_eq!(meta.returned_at, Some(t5.plus_secs(1)));

        // Audited: who (pseudonyms), what, when; never the note.
        let events = s.audit_page(0, 10_000).await.unwrap().events;
        let details: Vec<&str> = events.iter().map(|e| e.detail.as_str()).collect();
        for d in [
            "trip_alert_ack_proposed",
            "trip_alert_ack_confirmed",
            "trip_alert_acknowledged",
            "trip_end_proposed",
            "trip_end_confirmed",
        ] {
            assert!(details.contains(&d), "{d} not audited: {details:?}");
        }
        let proposed_by = events
            .iter()
            .find(|e| e.detail == "trip_alert_ack_proposed")
            .unwrap();
        let confirmed_by = events
            .iter()
            .find(|e| e.detail == "trip_alert_ack_confirmed")
            .unwrap();
        assert_ne!(proposed_by.actor, confirmed_by.actor);
        assert_eq!(proposed_by.at, t2);
        assert_eq!(
            events
                .iter()
                .filter(|e| e.detail == "trip_alert_ack_proposed")
                .count(),
            1,
            "the one proposal, not the refused attempts"
        );
        for e in &events {
            assert!(!format!("{e:?}").contains("canarynote"), "{e:?}");
        }
        let raw: Vec<(Option<Vec<u8>>,)> =
            sqlx::query_as("SELECT proposal_note_enc FROM trip_alerts")
                .fetch_all(s.pool_for_tests())
                .await
                .unwrap();
        assert!(raw.iter().any(|r| r.0.is_some()));
        for enc in raw.into_iter().filter_map(|r| r.0) {
            assert!(!String::from_utf8_lossy(&enc).contains("canarynote"));
        }
    }
);

// Races (issue 16, finding 4): two people confirming the same proposal at once close it
// once; an end decided while a duress check-in comes in never passes over it.
both_backends!(
    second_person_steps_at_the_same_moment_stay_consistent,
    |db: TestDb| async move {
        let s = &db.store;
        let t0 = utc("2026-03-01T00:00:00Z");
        for round in 0..8 {
            let (id, _) = active_trip(s, t0).await;
            let t1 = t0.plus_secs(3600);
            s.record_checkin(&id, CheckinKind::Duress, "", t1)
                .await
                .unwrap();
            let d = s.read_trip(&id, &CaseActor::Cli, t1).await.unwrap();
            let alert = d.alerts[0].id.clone();
            s.acknowledge_trip_alert(&alert, "first", &CaseActor::Cli, t1)
                .await
                .unwrap();
            let (b, c) = (
                CaseActor::Staff(reunite_domain::UserId("user-b".into())),
                CaseActor::Staff(reunite_domain::UserId("user-c".into())),
            );
            let t2 = t1.plus_secs(60);
            let (rb, rc) = tokio::join!(
                s.confirm_trip_alert(&alert, "b", &b, t2),
                s.confirm_trip_alert(&alert, "c", &c, t2),
            );
            assert!(
                rb.is_ok() != rc.is_ok(),
                "round {round}: exactly one confirmation wins: {rb:?} {rc:?}"
            );
            let loser = if rb.is_ok() { rc } else { rb };
            assert!(matches!(loser, Err(StoreError::Conflict(_))), "{loser:?}");
            let d = s.read_trip(&id, &CaseActor::Cli, t2).await.unwrap();
            let acked = d.alerts[0].acked.clone().unwrap();
            assert_eq!(acked.2, if acked.1 == "user-b" { "b" } else { "c" });

            // No open alert now: one person may end it, unless a duress check-in comes in at
            // the same moment. Whatever the order, a trip that has a duress check-in recorded
            // while it was active was not ended by one person over it.
            let t3 = t2.plus_secs(60);
            let (ended, checked) = tokio::join!(
                s.end_trip(&id, &b, t3),
                s.record_checkin(&id, CheckinKind::Duress, "", t3.plus_secs(1)),
            );
            checked.unwrap();
            let meta = s.trip_meta(&id).await.unwrap().unwrap();
            let open = s
                .read_trip(&id, &CaseActor::Cli, t3)
                .await
                .unwrap()
                .alerts
                .iter()
                .filter(|a| a.is_open())
                .count();
            assert_eq!(open, 1, "round {round}: the new duress alert is open");
            match ended {
                // The end came first: her duress check-in found the trip ended (recorded,
                // alert raised and on the board, deadline not moved).
                Ok(TwoPerson::Done) => {
                    assert_eq!(meta.status, TripStatus::Returned);
                    assert_eq!(meta.last_checkin_at, Some(t1), "round {round}");
                }
                // The duress came first: the end failed, or became a proposal.
                Ok(TwoPerson::Proposed) | Err(StoreError::Conflict(_)) => {
                    assert_eq!(meta.status, TripStatus::Active, "round {round}");
                    assert_eq!(meta.last_checkin_at, Some(t3.plus_secs(1)));
                }
                other => panic!("round {round}: {other:?}"),
            }
        }
    }
);
