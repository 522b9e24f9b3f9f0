//! Casework: notes (team and restricted), services, referrals. Written once, run on both
//! backends.

use crate::helpers::{self, TestDb};
use reunite_domain::casework::{
    NoteKind, NoteVisibility, ReferralOutcome, ServiceKind, ServiceStatus, SharedField,
};
use reunite_domain::{Case, CaseStatus, Name, Person, Role, Timestamp, UserId};
use reunite_store::casework::CaseworkRefusal;
use reunite_store::casework::notes::NewNote;
use reunite_store::casework::services::{Economic, NewReferral, NewService};
use reunite_store::{CaseActor, StoreError};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const NOTE_CANARY: &str = "canary-note-7Qx9";
const TEAM_CANARY: &str = "canary-team-note-4Kp2";
const PURPOSE_CANARY: &str = "canary-purpose-8Zr1";
const PARTNER_CANARY: &str = "canary-partner-3Wm5";

fn q(db: &TestDb, sql: &str) -> String {
    match db.kind {
        helpers::Kind::Sqlite => sql.replace('$', "?"),
        helpers::Kind::Postgres => sql.to_string(),
    }
}

async fn user(db: &TestDb, n: &str, role: Role) -> UserId {
    db.store
        .create_user(
            &reunite_store::NewUser {
                username: reunite_domain::Username::parse(n).unwrap(),
                role,
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

struct Setup {
    author: UserId,
    teammate: UserId,
    supervisor: UserId,
    admin: UserId,
}

/// A case assigned to `author`, on a team with `teammate`, `supervisor` (supervising) and
/// `admin` (a plain member).
async fn setup(db: &TestDb) -> Setup {
    let s = &db.store;
    let actor = CaseActor::Cli;
    let author = user(db, "cw.author", Role::Caseworker).await;
    let teammate = user(db, "cw.mate", Role::Caseworker).await;
    let supervisor = user(db, "cw.sup", Role::Caseworker).await;
    let admin = user(db, "ad.min", Role::Admin).await;
    let team = s.create_team("North", &actor, T0).await.unwrap().unwrap();
    s.set_team_member(&team, &author, Some(false), &actor, T0)
        .await
        .unwrap();
    s.set_team_member(&team, &teammate, Some(false), &actor, T0)
        .await
        .unwrap();
    s.set_team_member(&team, &supervisor, Some(true), &actor, T0)
        .await
        .unwrap();
    s.set_team_member(&team, &admin, Some(false), &actor, T0)
        .await
        .unwrap();
    let case = Case {
        id: "c-1".into(),
        mother: Person {
            names: vec![Name {
                text: "김순희".into(),
                kind: None,
            }],
            ..Default::default()
        },
        ..Default::default()
    };
    s.create_case(&case, CaseStatus::Open, Some(&author), &actor, T0)
        .await
        .unwrap();
    s.set_case_team("c-1", Some(&team), &actor, T0)
        .await
        .unwrap();
    Setup {
        author,
        teammate,
        supervisor,
        admin,
    }
}

async fn events(db: &TestDb) -> Vec<String> {
    let page = db.store.audit_page(0, 1000).await.unwrap();
    page.events
        .into_iter()
        .map(|e| format!("{}/{}", e.action, e.detail))
        .collect()
}

async fn restricted_reads(db: &TestDb) -> usize {
    events(db)
        .await
        .iter()
        .filter(|e| *e == "sensitive_read/restricted_note")
        .count()
}

both_backends!(
    a_restricted_note_opens_only_for_its_author_and_the_supervisor,
    |db: TestDb| async move {
        let s = &db.store;
        let u = setup(&db).await;
        let id = s
            .add_note(
                "c-1",
                &NewNote {
                    kind: NoteKind::Counselling,
                    visibility: NoteVisibility::Restricted,
                    noted_on: "2026-03-02".into(),
                    text: NOTE_CANARY.into(),
                },
                &u.author,
                T0,
            )
            .await
            .unwrap();
        s.add_note(
            "c-1",
            &NewNote {
                kind: NoteKind::Call,
                visibility: NoteVisibility::Team,
                noted_on: "2026-03-01".into(),
                text: TEAM_CANARY.into(),
            },
            &u.author,
            T0,
        )
        .await
        .unwrap();
        // The list opens the team's note and never the restricted one's text.
        let list = s
            .list_notes("c-1", &CaseActor::Staff(u.teammate.clone()), T0)
            .await
            .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].id, id);
        assert_eq!(list[0].text, None);
        assert_eq!(list[1].text.as_deref(), Some(TEAM_CANARY));
        // A teammate who is neither author nor supervisor, and an admin on the team, are
        // refused; nothing is audited as read.
        let before = events(&db).await.len();
        for who in [&u.teammate, &u.admin] {
            match s.read_note(&id, who, T0).await {
                Err(StoreError::Casework(CaseworkRefusal::Restricted)) => {}
                other => panic!("{who:?}: {:?}", other.map(|n| n.id)),
            }
        }
        assert_eq!(events(&db).await.len(), before);
        // The author and the supervisor read it; each read is audited.
        for (i, who) in [&u.author, &u.supervisor].into_iter().enumerate() {
            let n = s.read_note(&id, who, T0).await.unwrap();
            assert_eq!(n.text.as_deref(), Some(NOTE_CANARY));
            assert_eq!(restricted_reads(&db).await, i + 1);
        }
        assert_eq!(events(&db).await.len(), before + 2);
        // Not in clear in the database.
        let rows: Vec<(Vec<u8>,)> = sqlx::query_as(&q(&db, "SELECT text_enc FROM case_notes"))
            .fetch_all(s.pool_for_tests())
            .await
            .unwrap();
        for (enc,) in rows {
            for needle in [NOTE_CANARY, TEAM_CANARY] {
                assert!(!enc.windows(needle.len()).any(|w| w == needle.as_bytes()));
            }
        }
    }
);

both_backends!(
    a_restricted_read_is_audited_before_the_text_is_opened,
    |db: TestDb| async move {
        let s = &db.store;
        let u = setup(&db).await;
        let id = s
            .add_note(
                "c-1",
                &NewNote {
                    kind: NoteKind::Counselling,
                    visibility: NoteVisibility::Restricted,
                    noted_on: "2026-03-02".into(),
                    text: NOTE_CANARY.into(),
                },
                &u.author,
                T0,
            )
            .await
            .unwrap();
        // Damage the ciphertext: the read fails at opening, and the audit event was written
        // already.
        sqlx::query(&q(&db, "UPDATE case_notes SET text_enc = $1 WHERE id = $2"))
            .bind(vec![0u8; 40])
            .bind(&id)
            .execute(s.pool_for_tests())
            .await
            .unwrap();
        let before = events(&db).await.len();
        assert!(s.read_note(&id, &u.supervisor, T0).await.is_err());
        assert_eq!(events(&db).await.len(), before + 1);
        assert_eq!(restricted_reads(&db).await, 1);
    }
);

both_backends!(
    services_move_by_the_rule_and_their_texts_are_sealed,
    |db: TestDb| async move {
        let s = &db.store;
        let u = setup(&db).await;
        let actor = CaseActor::Staff(u.author.clone());
        // Economic support needs its amount; others must not carry one.
        let bad = s
            .add_service(
                "c-1",
                &NewService {
                    kind: ServiceKind::Economic,
                    provider: "NGO".into(),
                    start_on: String::new(),
                    end_on: String::new(),
                    economic: None,
                },
                &actor,
                T0,
            )
            .await;
        assert!(matches!(bad, Err(StoreError::Casework(_))));
        let id = s
            .add_service(
                "c-1",
                &NewService {
                    kind: ServiceKind::Economic,
                    provider: "NGO".into(),
                    start_on: "2026-03-01".into(),
                    end_on: String::new(),
                    economic: Some(Economic {
                        amount_minor: 500_000,
                        currency: "KRW".into(),
                        purpose: PURPOSE_CANARY.into(),
                    }),
                },
                &actor,
                T0,
            )
            .await
            .unwrap();
        assert!(matches!(
            s.set_service_status(&id, ServiceStatus::Done, &actor, T0)
                .await,
            Err(StoreError::Casework(CaseworkRefusal::Transition))
        ));
        s.set_service_status(&id, ServiceStatus::InProgress, &actor, T0)
            .await
            .unwrap();
        s.set_service_status(&id, ServiceStatus::Done, &actor, T0)
            .await
            .unwrap();
        let list = s.list_services("c-1", &actor, T0).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].status, ServiceStatus::Done);
        let e = list[0].economic.as_ref().unwrap();
        assert_eq!((e.amount_minor, e.currency.as_str()), (500_000, "KRW"));
        assert_eq!(e.purpose, PURPOSE_CANARY);
        // Kind, status and amount are in clear for the statistics; the purpose is not.
        let (kind, status, amount, purpose): (String, String, i64, Vec<u8>) = sqlx::query_as(&q(
            &db,
            "SELECT kind, status, amount_minor, purpose_enc FROM case_services",
        ))
        .fetch_one(s.pool_for_tests())
        .await
        .unwrap();
        assert_eq!(
            (kind.as_str(), status.as_str(), amount),
            ("economic", "done", 500_000)
        );
        assert!(
            !purpose
                .windows(PURPOSE_CANARY.len())
                .any(|w| w == PURPOSE_CANARY.as_bytes())
        );
    }
);

both_backends!(
    a_referral_without_consent_is_refused_and_changes_nothing,
    |db: TestDb| async move {
        let s = &db.store;
        let u = setup(&db).await;
        let actor = CaseActor::Staff(u.author.clone());
        let sid = s
            .add_service(
                "c-1",
                &NewService {
                    kind: ServiceKind::Legal,
                    provider: "Partner law clinic".into(),
                    start_on: String::new(),
                    end_on: String::new(),
                    economic: None,
                },
                &actor,
                T0,
            )
            .await
            .unwrap();
        let mut r = NewReferral {
            partner: PARTNER_CANARY.into(),
            shared: vec![SharedField::Names, SharedField::Summary],
            contact: "not shared".into(),
            summary: "a summary".into(),
            consent: false,
        };
        let before = events(&db).await.len();
        assert!(matches!(
            s.create_referral(&sid, &r, &actor, T0).await,
            Err(StoreError::Casework(CaseworkRefusal::NoConsent))
        ));
        assert_eq!(events(&db).await.len(), before);
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM referrals")
            .fetch_one(s.pool_for_tests())
            .await
            .unwrap();
        assert_eq!(n, 0);
        r.consent = true;
        let rid = s.create_referral(&sid, &r, &actor, T0).await.unwrap();
        s.set_referral_outcome(&rid, ReferralOutcome::Accepted, &actor, T0)
            .await
            .unwrap();
        let (got, kind) = s.read_referral(&rid, &actor, T0).await.unwrap();
        assert_eq!(kind, ServiceKind::Legal);
        assert_eq!(got.partner, PARTNER_CANARY);
        assert_eq!(got.shared, vec![SharedField::Names, SharedField::Summary]);
        // What she did not agree to share is not even kept.
        assert_eq!(got.extra.contact, "");
        assert_eq!(got.extra.summary, "a summary");
        assert_eq!(got.outcome, ReferralOutcome::Accepted);
        let (enc,): (Vec<u8>,) = sqlx::query_as("SELECT partner_enc FROM referrals")
            .fetch_one(s.pool_for_tests())
            .await
            .unwrap();
        assert!(
            !enc.windows(PARTNER_CANARY.len())
                .any(|w| w == PARTNER_CANARY.as_bytes())
        );
    }
);
