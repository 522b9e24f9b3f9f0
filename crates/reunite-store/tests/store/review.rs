//! Matching requests against cases, the review workflow and its refusals, member accounts
//! and the relay, on both backends.

use crate::helpers;
use reunite_crypto::{TracingCode, seal};
use reunite_domain::review::{AnsweredBy, MatchState, Refusal, Step};
use reunite_domain::{Action, Case, CaseStatus, Lang, Role, Timestamp, UserId, Username};
use reunite_store::{
    CaseActor, DnaDetails, DnaStatus, FROM_MEMBER, FROM_OFFICE, IntakeKeys, MatchSettings,
    NewIntake, NewUser, StoreError,
};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const DAY: i64 = 86_400_000;

fn case(id: &str) -> Case {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "mother": {"names": [{"text": "리영자", "kind": "birth"}, {"text": "李英子", "kind": "alias"}],
                   "sex": "f", "birth": {"year": 1979}},
        "children": [{"names": [{"text": "王明"}], "sex": "m", "birth": {"year": 2004, "month": 5}}],
        "residence_cn": {"text": "吉林省 延吉市", "country": "CN"}
    }))
    .unwrap()
}

fn other_case(id: &str) -> Case {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "mother": {"names": [{"text": "박순희"}], "sex": "f", "birth": {"year": 1965}},
        "children": [{"names": [{"text": "刘洋"}], "sex": "f", "birth": {"year": 1990}}]
    }))
    .unwrap()
}

/// The payload the public side seals: a child looking for 李英子.
fn payload(note: &str) -> String {
    serde_json::json!({
        "v": 1, "lang": "zh", "note": note,
        "request": {
            "id": "ignored",
            "sought": {"names": [{"text": "李英子"}], "birth": {"year": 1980, "approx_years": 2}},
            "seeker": {"names": [{"text": "王明"}], "sex": "m", "birth": {"year": 2004}},
            "residence_cn": {"text": "延吉"}
        }
    })
    .to_string()
}

fn file(keys: &IntakeKeys, text: &str) -> NewIntake {
    let code = TracingCode::generate();
    NewIntake {
        code_lookup: keys.peppers.code_lookup(&code),
        sealed_request: seal(&keys.office, text.as_bytes()),
        sealed_reply_key: seal(
            &keys.office,
            keys.peppers.reply_key(&code).to_text().as_bytes(),
        ),
    }
}

async fn keys(db: &helpers::TestDb) -> IntakeKeys {
    db.store.ensure_intake_keys(T0).await.unwrap();
    IntakeKeys::from_text(&db.store.export_intake_keys().await.unwrap()).unwrap()
}

async fn member(db: &helpers::TestDb, name: &str, case_id: &str) -> UserId {
    db.store
        .create_member(
            &NewUser {
                username: Username::parse(name).unwrap(),
                role: Role::Member,
                password_phc: "$argon2id$test".into(),
                must_change_password: true,
                lang: Lang::Ko,
            },
            case_id,
            "user:cw",
            T0,
        )
        .await
        .unwrap()
}

fn refused(r: Result<impl std::fmt::Debug, StoreError>) -> Refusal {
    match r {
        Err(StoreError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

both_backends!(
    a_request_is_matched_reviewed_and_disclosed_only_by_the_rules,
    |db: helpers::TestDb| async move {
        let s = &db.store;
        let keys = keys(&db).await;
        s.create_case(&case("c-1"), CaseStatus::Open, None, &CaseActor::Cli, T0)
            .await
            .unwrap();
        s.create_case(
            &other_case("c-2"),
            CaseStatus::Open,
            None,
            &CaseActor::Cli,
            T0,
        )
        .await
        .unwrap();
        let req = s
            .intake()
            .submit(&file(&keys, &payload("我妈妈叫李英子")), T0)
            .await
            .unwrap();

        // The matcher opens the request and proposes the right mother only.
        let run = s
            .match_new_requests(MatchSettings::default(), 100, T0)
            .await
            .unwrap();
        assert_eq!((run.requests, run.proposed, run.unreadable), (1, 1, 0));
        let again = s
            .match_new_requests(MatchSettings::default(), 100, T0)
            .await
            .unwrap();
        assert_eq!(again.requests, 0, "a request is matched once");
        let queue = s.list_candidates(None, 50).await.unwrap();
        assert_eq!(queue.len(), 1);
        let m = &queue[0];
        assert_eq!(
            (m.case_id.as_str(), m.request_id.as_str()),
            ("c-1", req.as_str())
        );
        assert_eq!(m.state, MatchState::Proposed);
        assert!(m.probability >= 0.5, "{}", m.probability);
        // Nothing changed since: matching changed cases proposes nothing.
        assert_eq!(
            s.match_changed_cases(MatchSettings::default(), T0)
                .await
                .unwrap(),
            0
        );
        let c = s.candidate(&m.id).await.unwrap();
        assert_eq!(c.detail.child, Some(0));
        assert!(!c.detail.explain.is_empty());

        let (a, b) = (UserId("u-a".into()), UserId("u-b".into()));
        let mom = member(&db, "mother.one", "c-1").await;
        let stranger = member(&db, "mother.two", "c-2").await;
        let id = m.id.as_str();
        let t = |n: i64| T0.plus_millis(n);

        // Verification can wait for a DNA test registered for this match.
        let dna = s
            .create_dna_test(
                "c-1",
                Some(id),
                &DnaDetails::default(),
                &CaseActor::Cli,
                t(0),
            )
            .await
            .unwrap();
        assert_eq!(
            refused(s.match_step(id, Step::Verify, &a, None, None, t(1)).await),
            Refusal::DnaPending
        );
        s.update_dna_test(
            &dna,
            1,
            DnaStatus::Reported,
            &DnaDetails::default(),
            &CaseActor::Cli,
            t(1),
        )
        .await
        .unwrap();
        s.match_step(
            id,
            Step::Verify,
            &a,
            Some("ages and places agree"),
            None,
            t(1),
        )
        .await
        .unwrap();
        // Without her consent, no disclosure.
        assert_eq!(
            refused(s.match_step(id, Step::Connect, &b, None, None, t(2)).await),
            Refusal::NoConsent
        );
        // She cannot answer before she is asked.
        assert_eq!(
            refused(s.member_answer(id, &mom, true, t(3)).await),
            Refusal::NotHers
        );
        s.match_step(
            id,
            Step::AskMother,
            &a,
            None,
            Some("A young man born in 2004 in Yanji is looking for his mother."),
            t(4),
        )
        .await
        .unwrap();
        // Another case's mother cannot answer for her.
        assert_eq!(
            refused(s.member_answer(id, &stranger, true, t(5)).await),
            Refusal::NotHers
        );
        let f = s.member_answer(id, &mom, true, t(6)).await.unwrap();
        assert_eq!(
            (f.state, f.consent),
            (MatchState::Consented, Some(AnsweredBy::Herself))
        );
        // One approver only: refused; the verifier approving again: refused.
        assert_eq!(
            refused(s.match_step(id, Step::Connect, &a, None, None, t(7)).await),
            Refusal::NeedsTwoApprovers
        );
        assert_eq!(
            refused(s.match_step(id, Step::Approve, &a, None, None, t(8)).await),
            Refusal::SameApprover
        );
        s.match_step(id, Step::Approve, &b, Some("checked"), None, t(9))
            .await
            .unwrap();
        let f = s
            .match_step(id, Step::Connect, &b, None, None, t(10))
            .await
            .unwrap();
        assert_eq!(f.state, MatchState::Connected);
        assert_eq!(f.verified_by.as_ref(), Some(&a.0));
        assert_eq!(f.approved_by.as_ref(), Some(&b.0));

        // The trail: proposal and five steps, notes opened, refusals left no trace.
        let steps = s.candidate_steps(id).await.unwrap();
        let names: Vec<&str> = steps.iter().map(|x| x.step.as_str()).collect();
        assert_eq!(
            names,
            ["propose", "verify", "ask", "consent", "approve", "connect"]
        );
        assert_eq!(
            steps[1].note.as_deref().map(|n| n.as_str()),
            Some("ages and places agree")
        );
        assert_eq!(steps[3].actor, mom.0);
        let c = s.candidate(id).await.unwrap();
        assert_eq!(
            c.excerpt.as_deref().map(|e| e.as_str()),
            Some("A young man born in 2004 in Yanji is looking for his mother.")
        );
        let audit = s.audit_page(0, 1000).await.unwrap();
        assert_eq!(
            audit
                .events
                .iter()
                .filter(|e| e.action == Action::Disclosure.as_str())
                .count(),
            1
        );
        assert!(
            s.verify_audit(&mut |_, _| {})
                .await
                .unwrap()
                .broken
                .is_none()
        );

        // Nothing leaves a final state.
        s.match_step(id, Step::MarkReunited, &a, None, None, t(11))
            .await
            .unwrap();
        assert_eq!(
            refused(s.match_step(id, Step::Close, &a, None, None, t(12)).await),
            Refusal::NotNow
        );

        // The relay thread with the mother.
        s.add_member_message("c-1", FROM_OFFICE, "안녕하세요", "user:a", t(13))
            .await
            .unwrap();
        s.add_member_message("c-1", FROM_MEMBER, "고맙습니다", "user:m", t(14))
            .await
            .unwrap();
        let thread = s.member_messages("c-1").await.unwrap();
        assert_eq!(thread.len(), 2);
        assert_eq!(thread[1].text.as_str(), "고맙습니다");
        assert!(s.member_messages("c-2").await.unwrap().is_empty());

        // One member account per case.
        let dup = s
            .create_member(
                &NewUser {
                    username: Username::parse("mother.three").unwrap(),
                    role: Role::Member,
                    password_phc: "x".into(),
                    must_change_password: true,
                    lang: Lang::Ko,
                },
                "c-1",
                "user:cw",
                T0,
            )
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        assert!(
            s.user_by_username(&Username::parse("mother.three").unwrap())
                .await
                .unwrap()
                .is_none(),
            "a refused member account leaves no user behind"
        );
    }
);

both_backends!(
    retention_spares_live_matches_and_deletes_dead_ones,
    |db: helpers::TestDb| async move {
        let s = &db.store;
        let keys = keys(&db).await;
        s.create_case(&case("c-1"), CaseStatus::Open, None, &CaseActor::Cli, T0)
            .await
            .unwrap();
        let intake = s.intake();
        let live = intake
            .submit(&file(&keys, &payload("一")), T0)
            .await
            .unwrap();
        let dead = intake
            .submit(&file(&keys, &payload("二")), T0)
            .await
            .unwrap();
        let none = intake
            .submit(
                &file(&keys, r#"{"v":1,"lang":"zh","note":"","request":{}}"#),
                T0,
            )
            .await
            .unwrap();
        let run = s
            .match_new_requests(MatchSettings::default(), 100, T0)
            .await
            .unwrap();
        assert_eq!((run.requests, run.proposed), (3, 2));
        let of = |r: &str| {
            let r = r.to_string();
            async move { s.candidates_of_request(&r).await.unwrap() }
        };
        let dead_m = of(&dead).await.remove(0);
        s.match_step(
            &dead_m.id,
            Step::Reject,
            &UserId("u-a".into()),
            None,
            None,
            T0,
        )
        .await
        .unwrap();
        assert_eq!(of(&live).await.len(), 1);
        assert!(of(&none).await.is_empty());

        let n = intake.purge_expired(T0.plus_millis(DAY)).await.unwrap();
        assert_eq!(n, 2, "the unmatched and the rejected request go");
        assert_eq!(intake.count_requests().await.unwrap(), 1);
        assert_eq!(s.list_candidates(None, 10).await.unwrap().len(), 1);
        assert!(of(&dead).await.is_empty());
    }
);

both_backends!(
    a_case_registered_later_is_matched_against_filed_requests,
    |db: helpers::TestDb| async move {
        let s = &db.store;
        let keys = keys(&db).await;
        s.create_case(
            &other_case("c-2"),
            CaseStatus::Open,
            None,
            &CaseActor::Cli,
            T0,
        )
        .await
        .unwrap();
        let req = s
            .intake()
            .submit(&file(&keys, &payload("")), T0)
            .await
            .unwrap();
        let run = s
            .match_new_requests(MatchSettings::default(), 10, T0)
            .await
            .unwrap();
        assert_eq!(
            (run.requests, run.proposed),
            (1, 0),
            "her case is not there yet"
        );
        // Her case arrives (an import, another office, a caseworker's form).
        s.create_case(&case("c-1"), CaseStatus::Open, None, &CaseActor::Cli, T0)
            .await
            .unwrap();
        assert_eq!(
            s.match_changed_cases(MatchSettings::default(), T0)
                .await
                .unwrap(),
            1
        );
        let found = s.candidates_of_request(&req).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].case_id, "c-1");
        // Once only.
        assert_eq!(
            s.match_changed_cases(MatchSettings::default(), T0)
                .await
                .unwrap(),
            0
        );
    }
);
