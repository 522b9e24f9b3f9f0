//! Follow-ups and tasks: due and overdue against a given time, who sees which, who did it
//! and when, the text sealed at rest, and the dashboard's counts. Run on both backends.

use crate::helpers::TestDb;
use reunite_domain::task::{Due, day_bounds, local_date};
use reunite_domain::{Case, CaseStatus, Name, Person, Timestamp, UserId};
use reunite_store::{CaseActor, DashboardScope, NewTask, StoreError};
use std::collections::HashSet;

const TZ: &str = "Asia/Seoul";
/// 2026-03-02 10:00 in Seoul.
const NOW: Timestamp = Timestamp(1_772_413_200_000);
const CANARY: &str = "canarytask7730";

async fn user(db: &TestDb, n: &str) -> UserId {
    db.store
        .create_user(
            &reunite_store::NewUser {
                username: reunite_domain::Username::parse(n).unwrap(),
                role: reunite_domain::Role::Caseworker,
                password_phc: "$argon2id$placeholder".into(),
                lang: reunite_domain::Lang::Ko,
                must_change_password: false,
            },
            "cli",
            NOW,
        )
        .await
        .unwrap()
}

async fn case_for(db: &TestDb, id: &str, who: &UserId) {
    let c = Case {
        id: id.into(),
        mother: Person {
            names: vec![Name {
                text: "김순희".into(),
                kind: None,
            }],
            ..Default::default()
        },
        ..Default::default()
    };
    db.store
        .create_case(&c, CaseStatus::Open, Some(who), &CaseActor::Cli, NOW)
        .await
        .unwrap();
}

fn task(case: &str, what: &str, date: &str, time: &str, who: &UserId) -> NewTask {
    let due = Due::parse(TZ, date, time).unwrap();
    NewTask {
        case_id: case.into(),
        what: what.into(),
        due,
        overdue_at: due.overdue_at(TZ),
        assigned_to: who.clone(),
        link: None,
    }
}

both_backends!(
    tasks_are_due_overdue_done_and_sealed,
    |db: TestDb| async move {
        let s = &db.store;
        let (a, b) = (user(&db, "cw.tasks.a").await, user(&db, "cw.tasks.b").await);
        case_for(&db, "c-a", &a).await;
        case_for(&db, "c-b", &b).await;
        let me = CaseActor::Staff(a.clone());
        // Yesterday (overdue), this morning at 09:00 (overdue), today all day (due today),
        // next week (later); and one of b's case, assigned to a by mistake.
        let mut linked = task(
            "c-a",
            &format!("call the lab {CANARY}"),
            "2026-03-01",
            "",
            &a,
        );
        linked.link = Some(("dna".into(), "dna_x".into()));
        let t1 = s.create_task(&linked, &me, NOW).await.unwrap();
        let t2 = s
            .create_task(&task("c-a", "ask", "2026-03-02", "09:00", &a), &me, NOW)
            .await
            .unwrap();
        let t3 = s
            .create_task(&task("c-a", "today", "2026-03-02", "", &a), &me, NOW)
            .await
            .unwrap();
        let t4 = s
            .create_task(&task("c-a", "later", "2026-03-09", "", &a), &me, NOW)
            .await
            .unwrap();
        s.create_task(&task("c-b", "not hers", "2026-03-01", "", &a), &me, NOW)
            .await
            .unwrap();
        // Bad input is refused.
        let mut bad = task("c-a", "x", "2026-03-02", "", &a);
        bad.link = Some(("letter".into(), "l1".into()));
        assert!(matches!(
            s.create_task(&bad, &me, NOW).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.create_task(&task("c-none", "x", "2026-03-02", "", &a), &me, NOW)
                .await,
            Err(StoreError::NotFound)
        ));

        let visible = s.visible_case_ids(&a, false, NOW).await.unwrap();
        assert_eq!(visible, HashSet::from(["c-a".to_string()]));
        let mine = s
            .tasks_of_user(&a, &visible, Some(false), &me, NOW)
            .await
            .unwrap();
        let ids: Vec<_> = mine.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![t1.as_str(), t2.as_str(), t3.as_str(), t4.as_str()]
        );
        assert!(mine.iter().all(|t| t.case_id == "c-a"), "not b's case");
        assert_eq!(mine[0].what, format!("call the lab {CANARY}"));
        assert_eq!(mine[0].link, Some(("dna".into(), "dna_x".into())));
        let overdue: Vec<_> = mine.iter().map(|t| t.overdue(NOW)).collect();
        assert_eq!(overdue, vec![true, true, false, false]);
        // An hour before nine, the morning task was not yet overdue.
        assert!(!mine[1].overdue(NOW.plus_secs(-3 * 3600)));

        // Done: who and when; twice is refused; the filter follows.
        let later = NOW.plus_secs(60);
        s.complete_task(&t2, &me, later).await.unwrap();
        assert!(matches!(
            s.complete_task(&t2, &me, later).await,
            Err(StoreError::Conflict(_))
        ));
        let done = s
            .tasks_of_user(&a, &visible, Some(true), &me, later)
            .await
            .unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].done, Some((a.0.clone(), later)));
        assert!(!done[0].overdue(later));
        let of_case = s.tasks_of_case("c-a", &me, later).await.unwrap();
        assert_eq!(of_case.len(), 4);
        assert_eq!(of_case.last().unwrap().id, t2, "done last");

        // The dashboard counts hers in her cases.
        let (_, today_end) = day_bounds(TZ, NOW);
        let (today, week_end) = (local_date(TZ, NOW, 0), local_date(TZ, NOW, 7));
        let d = s
            .dashboard(
                &DashboardScope {
                    user: &a,
                    cases: &visible,
                    all_trips: false,
                    intake: false,
                    now: later,
                    today_end,
                    today: &today,
                    week_end: &week_end,
                },
                &me,
            )
            .await
            .unwrap();
        assert_eq!((d.tasks_overdue, d.tasks_today, d.cases_due), (1, 1, 1));
        assert_eq!(d.new_requests, None);

        // The text is not in clear in the database.
        let raw: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT what_enc FROM tasks")
            .fetch_all(s.pool_for_tests())
            .await
            .unwrap();
        assert_eq!(raw.len(), 5);
        assert!(
            raw.iter()
                .all(|r| !String::from_utf8_lossy(&r.0).contains(CANARY))
        );
        if db.kind == crate::helpers::Kind::Sqlite {
            for e in std::fs::read_dir(&db.dir).unwrap() {
                let bytes = std::fs::read(e.unwrap().path()).unwrap();
                assert!(!bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
            }
        }
    }
);

fn trip(case_id: &str, starts_on: &str) -> reunite_store::NewTrip {
    let policy = reunite_crypto::PasswordPolicy {
        m_kib: 1024,
        t: 1,
        p: 1,
    };
    reunite_store::NewTrip {
        case_id: case_id.into(),
        plan: reunite_store::TripPlan {
            starts_on: starts_on.into(),
            ends_on: "2026-04-30".into(),
            purpose: "visit".into(),
            lang: "ko".into(),
            reminder_to: String::new(),
            contacts: vec![],
        },
        places: reunite_store::TripPlaces::default(),
        schedule: reunite_domain::travel::Schedule {
            interval_mins: 24 * 60,
            window_start_min: 0,
            window_end_min: 1440,
            tz: "Asia/Shanghai".into(),
            grace_mins: 60,
        },
        pin_phc: reunite_crypto::hash_password(&policy, "1357").unwrap(),
        duress_phc: reunite_crypto::hash_password(&policy, "2468").unwrap(),
    }
}

both_backends!(
    dashboard_counts_only_trips_she_may_open_and_duress_first,
    |db: TestDb| async move {
        let s = &db.store;
        let (a, b) = (user(&db, "cw.dash.a").await, user(&db, "cw.dash.b").await);
        case_for(&db, "c-a", &a).await;
        case_for(&db, "c-b", &b).await;
        let cli = CaseActor::Cli;
        // Hers: one planned in five days, one planned next month.
        s.create_trip(&trip("c-a", "2026-03-07"), &cli, NOW)
            .await
            .unwrap();
        s.create_trip(&trip("c-a", "2026-04-07"), &cli, NOW)
            .await
            .unwrap();
        // Not hers: active, and the duress PIN was used.
        let (other, _) = s
            .create_trip(&trip("c-b", "2026-03-01"), &cli, NOW)
            .await
            .unwrap();
        s.confirm_trip_briefing(&other, "ko", "abc", &cli, NOW)
            .await
            .unwrap();
        s.activate_trip(&other, &cli, NOW).await.unwrap();
        s.record_checkin(&other, reunite_store::CheckinKind::Duress, "", NOW)
            .await
            .unwrap();
        // A DNA test of each case: only hers counts.
        for c in ["c-a", "c-b"] {
            s.create_dna_test(c, None, &reunite_store::DnaDetails::default(), &cli, NOW)
                .await
                .unwrap();
        }
        let visible = s.visible_case_ids(&a, false, NOW).await.unwrap();
        let (_, today_end) = day_bounds(TZ, NOW);
        let (today, week_end) = (local_date(TZ, NOW, 0), local_date(TZ, NOW, 7));
        let scope = |all_trips| DashboardScope {
            user: &a,
            cases: &visible,
            all_trips,
            intake: false,
            now: NOW,
            today_end,
            today: &today,
            week_end: &week_end,
        };
        let me = CaseActor::Staff(a.clone());
        let d = s.dashboard(&scope(false), &me).await.unwrap();
        assert_eq!(
            (d.trips_starting, d.trips_active, d.duress),
            (1, 0, 0),
            "her cases only"
        );
        assert_eq!((d.dna_waiting, d.dna_ready), (1, 0));
        // On travel duty every trip counts, the duress alert too.
        let d = s.dashboard(&scope(true), &me).await.unwrap();
        assert_eq!((d.trips_starting, d.trips_active, d.duress), (1, 1, 1));
    }
);
