//! Who stands in what relation to a case: teams, duties, break-glass, the assignment list.
//! Written once, run on both backends.

use crate::helpers::TestDb;
use reunite_domain::{Case, CaseStatus, Duty, Name, Person, Timestamp, UserId};
use reunite_store::access::{Relation, TeamNameError};
use reunite_store::{Assigned, CaseActor, CaseFilter, StoreError};

const T0: Timestamp = Timestamp(1_700_000_000_000);

fn case(id: &str, mother: &str) -> Case {
    Case {
        id: id.into(),
        mother: Person {
            names: vec![Name {
                text: mother.into(),
                kind: None,
            }],
            ..Default::default()
        },
        ..Default::default()
    }
}

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
            T0,
        )
        .await
        .unwrap()
}

async fn details(db: &TestDb) -> Vec<(String, String)> {
    let page = db.store.audit_page(0, 1000).await.unwrap();
    page.events
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

both_backends!(
    teams_decide_who_is_on_a_case_and_what_she_may_list,
    |db: TestDb| async move {
        let s = &db.store;
        let actor = CaseActor::Cli;
        let (a, b, c) = (
            user(&db, "cw.a").await,
            user(&db, "cw.b").await,
            user(&db, "cw.c").await,
        );
        let north = s.create_team("North", &actor, T0).await.unwrap().unwrap();
        // Names are unique after trimming; empty and long names are refused.
        assert_eq!(
            s.create_team("  North ", &actor, T0).await.unwrap(),
            Err(TeamNameError::Taken)
        );
        assert_eq!(
            s.create_team(" ", &actor, T0).await.unwrap(),
            Err(TeamNameError::Empty)
        );
        assert_eq!(
            s.create_team(&"x".repeat(81), &actor, T0).await.unwrap(),
            Err(TeamNameError::TooLong)
        );
        s.set_team_member(&north, &b, Some(false), &actor, T0)
            .await
            .unwrap();
        s.set_team_member(&north, &c, Some(true), &actor, T0)
            .await
            .unwrap();
        s.create_case(
            &case("c-1", "김순희"),
            CaseStatus::Open,
            Some(&a),
            &actor,
            T0,
        )
        .await
        .unwrap();
        s.create_case(&case("c-2", "박영희"), CaseStatus::Open, None, &actor, T0)
            .await
            .unwrap();
        s.set_case_team("c-1", Some(&north), &actor, T0)
            .await
            .unwrap();
        let rel = |u: UserId, id: &'static str| async move {
            s.relation(&u, id, T0).await.unwrap().unwrap().1
        };
        assert_eq!(
            rel(a.clone(), "c-1").await,
            Relation {
                assigned: true,
                ..Relation::default()
            }
        );
        assert_eq!(
            rel(b.clone(), "c-1").await,
            Relation {
                team: true,
                ..Relation::default()
            }
        );
        assert_eq!(
            rel(c.clone(), "c-1").await,
            Relation {
                team: true,
                supervisor: true,
                ..Relation::default()
            }
        );
        assert_eq!(rel(b.clone(), "c-2").await, Relation::default());
        assert!(s.relation(&b, "c-none", T0).await.unwrap().is_none());
        // The list follows the same facts.
        let visible = |u: &UserId, teams: Vec<String>| CaseFilter {
            assigned: Some(Assigned::Visible {
                user: u.clone(),
                teams,
            }),
            ..Default::default()
        };
        let reach = s.reach(&b).await.unwrap();
        assert_eq!(reach.teams, vec![north.clone()]);
        let page = s
            .search_cases(&visible(&b, reach.teams), &CaseActor::Staff(b.clone()), T0)
            .await
            .unwrap();
        let ids: Vec<_> = page.items.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["c-1"]);
        // Taken off the team, she no longer reaches it.
        s.set_team_member(&north, &b, None, &actor, T0)
            .await
            .unwrap();
        assert_eq!(rel(b.clone(), "c-1").await, Relation::default());
        assert!(
            s.visible_case_ids(&b, true, T0).await.unwrap().is_empty(),
            "nothing left for her"
        );
        assert_eq!(
            s.visible_case_ids(&c, false, T0)
                .await
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec!["c-1".to_string()]
        );
        // Unknown team or account: nothing changes.
        assert!(matches!(
            s.set_team_member("team-none", &b, Some(false), &actor, T0)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.set_case_team("c-2", Some("team-none"), &actor, T0).await,
            Err(StoreError::NotFound)
        ));
        let audited = details(&db).await;
        for d in [
            "team_create",
            "team_member",
            "team_supervisor",
            "team_leave",
            "team",
        ] {
            assert!(audited.iter().any(|(_, x)| x == d), "{d} audited");
        }
    }
);

both_backends!(
    duties_are_given_and_taken_and_audited,
    |db: TestDb| async move {
        let s = &db.store;
        let actor = CaseActor::Cli;
        let a = user(&db, "cw.duty").await;
        assert!(!s.reach(&a).await.unwrap().has(Duty::Travel));
        s.set_duty(&a, Duty::Travel, true, &actor, T0)
            .await
            .unwrap();
        // Giving it twice keeps one.
        s.set_duty(&a, Duty::Travel, true, &actor, T0)
            .await
            .unwrap();
        let r = s.reach(&a).await.unwrap();
        assert!(r.has(Duty::Travel) && !r.has(Duty::Intake));
        assert_eq!(
            s.all_duties().await.unwrap(),
            vec![(a.clone(), Duty::Travel)]
        );
        s.set_duty(&a, Duty::Travel, false, &actor, T0)
            .await
            .unwrap();
        assert!(s.reach(&a).await.unwrap().duties.is_empty());
        assert!(matches!(
            s.set_duty(&UserId("u-none".into()), Duty::Intake, true, &actor, T0)
                .await,
            Err(StoreError::NotFound)
        ));
        let audited = details(&db).await;
        assert_eq!(audited.iter().filter(|(_, d)| d == "duty_grant").count(), 2);
        assert_eq!(
            audited.iter().filter(|(_, d)| d == "duty_remove").count(),
            1
        );
    }
);

both_backends!(
    break_glass_opens_for_a_while_with_a_sealed_reason_and_is_audited_first,
    |db: TestDb| async move {
        let s = &db.store;
        let actor = CaseActor::Cli;
        let (a, b) = (user(&db, "cw.own").await, user(&db, "cw.glass").await);
        s.create_case(
            &case("c-g", "최은주"),
            CaseStatus::Open,
            Some(&a),
            &actor,
            T0,
        )
        .await
        .unwrap();
        let reason = "second approval of match m-1, residence unclear";
        s.break_glass(&b, "c-g", reason, 60, T0).await.unwrap();
        let during = Timestamp(T0.millis() + 59 * 60_000);
        let after = Timestamp(T0.millis() + 60 * 60_000);
        assert!(
            s.relation(&b, "c-g", during)
                .await
                .unwrap()
                .unwrap()
                .1
                .glass
        );
        assert!(!s.relation(&b, "c-g", after).await.unwrap().unwrap().1.glass);
        assert!(
            s.visible_case_ids(&b, true, during)
                .await
                .unwrap()
                .contains("c-g")
        );
        assert!(
            !s.visible_case_ids(&b, false, during)
                .await
                .unwrap()
                .contains("c-g")
        );
        // The team reads who, when and why.
        let g = s.glass_of_case("c-g").await.unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].user_id.clone(), g[0].reason.as_str()),
            (b.clone(), reason)
        );
        // The reason is sealed at rest.
        let pool = s.pool_for_tests();
        let (enc,): (Vec<u8>,) = sqlx::query_as("SELECT reason_enc FROM break_glass")
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(!enc.windows(6).any(|w| w == b"second"));
        assert!(
            details(&db)
                .await
                .iter()
                .any(|(a, d)| a == "break_glass" && d == "opened")
        );
        // A case that does not exist cannot be opened.
        assert!(matches!(
            s.break_glass(&b, "c-none", reason, 60, T0).await,
            Err(StoreError::NotFound)
        ));
    }
);

both_backends!(
    the_assignment_list_reads_no_record,
    |db: TestDb| async move {
        let s = &db.store;
        let actor = CaseActor::Cli;
        let a = user(&db, "cw.assign").await;
        s.create_case(
            &case("c-1", "김순희"),
            CaseStatus::Open,
            Some(&a),
            &actor,
            T0,
        )
        .await
        .unwrap();
        s.create_case(&case("c-2", "박영희"), CaseStatus::Closed, None, &actor, T0)
            .await
            .unwrap();
        let before = db.store.audit_page(0, 1000).await.unwrap().events.len();
        let (all, total) = s.case_assignments(false, 0, 10).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!(all.len(), 2);
        let (open, n) = s.case_assignments(true, 0, 10).await.unwrap();
        assert_eq!(
            (n, open[0].id.as_str(), open[0].status.as_str()),
            (1, "c-2", "closed")
        );
        // Nothing was opened, so nothing was read: no sensitive-read event.
        let after = db.store.audit_page(0, 1000).await.unwrap().events.len();
        assert_eq!(before, after);
    }
);
