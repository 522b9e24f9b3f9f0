//! Travel safety: registration, briefing before activation, check-ins, escalation with a
//! simulated clock across a restart and a DST change, duress that only the office can
//! close, retention of places, sealing. Written once, run on both backends.

use crate::helpers;
use crate::helpers::TestDb;
use reunite_domain::travel::{Schedule, Stage};
use reunite_domain::{Case, Name, Person, Timestamp};
use reunite_store::{
    CaseActor, CheckinKind, NewTrip, Store, StoreError, TripContact, TripPlaces, TripPlan,
    TripStatus,
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
        // Only an acknowledgement with a note closes it.
        let alert = row.open_alerts[0].id.clone();
        assert!(matches!(
            s.acknowledge_trip_alert(&alert, "  ", &CaseActor::Cli, t2)
                .await,
            Err(StoreError::Conflict(_))
        ));
        s.acknowledge_trip_alert(
            &alert,
            "called her sister; she is safe",
            &CaseActor::Cli,
            t2,
        )
        .await
        .unwrap();
        assert!(matches!(
            s.acknowledge_trip_alert(&alert, "again", &CaseActor::Cli, t2)
                .await,
            Err(StoreError::Conflict(_))
        ));
        let d = s.read_trip(&id, &CaseActor::Cli, t2).await.unwrap();
        let acked = d.alerts[0].acked.as_ref().unwrap();
        assert_eq!(acked.2, "called her sister; she is safe");
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
        s.acknowledge_trip_alert(&row.open_alerts[0].id, "called her", &CaseActor::Cli, t1)
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
