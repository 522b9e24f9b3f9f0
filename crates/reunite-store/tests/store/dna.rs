//! DNA tests: sealed details and profiles, row binding, audit of every change and read,
//! refusal when the audit cannot be written, dump. Written once, run on both backends.

use crate::helpers;
use crate::helpers::TestDb;
use reunite_domain::{Case, Name, Person, Timestamp};
use reunite_store::{
    CaseActor, CustodyNote, DnaDetails, DnaRead, DnaStatus, StoreError, TestedPerson,
};

const T0: Timestamp = Timestamp(1_700_000_000_000);
/// A profile allele string that must never be on disk in clear.
const CANARY: &str = "CANARYMO-77";

fn q(db: &TestDb, sql: &str) -> String {
    match db.kind {
        helpers::Kind::Sqlite => sql.replace('$', "?"),
        helpers::Kind::Postgres => sql.to_string(),
    }
}

fn case(id: &str) -> Case {
    Case {
        id: id.into(),
        mother: Person {
            names: vec![Name {
                text: "리영자".into(),
                kind: None,
            }],
            ..Default::default()
        },
        ..Default::default()
    }
}

fn details() -> DnaDetails {
    DnaDetails {
        lab: "Seoul Forensic Lab canary-lab-31".into(),
        kit: "GlobalFiler".into(),
        sampled_on: "2026-03-02".into(),
        persons: vec![
            TestedPerson {
                role: "mother".into(),
                sample: "MO".into(),
                child_index: None,
            },
            TestedPerson {
                role: "child".into(),
                sample: "CH".into(),
                child_index: Some(0),
            },
        ],
        frequency_table: "east-asia-norstr-v2023".into(),
        ..Default::default()
    }
}

fn profiles() -> String {
    format!("person,marker,allele1,allele2\n{CANARY},TH01,6,9.3\nCH,TH01,9.3,9.3\n")
}

async fn actions(db: &TestDb) -> Vec<(String, String)> {
    let page = db.store.audit_page(0, 1000).await.unwrap();
    let mut v: Vec<_> = page
        .events
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect();
    v.reverse();
    v
}

async fn setup(db: &TestDb) -> String {
    let s = &db.store;
    s.create_case(
        &case("c-dna"),
        reunite_domain::CaseStatus::Open,
        None,
        &CaseActor::Cli,
        T0,
    )
    .await
    .unwrap();
    s.create_dna_test("c-dna", None, &details(), &CaseActor::Cli, T0)
        .await
        .unwrap()
}

both_backends!(
    a_test_is_registered_updated_and_read_with_audit,
    |db: TestDb| async move {
        let s = &db.store;
        let id = setup(&db).await;
        assert!(id.starts_with("dna-"));
        // Unknown case: nothing registered.
        assert!(matches!(
            s.create_dna_test("c-none", None, &details(), &CaseActor::Cli, T0)
                .await,
            Err(StoreError::NotFound)
        ));
        let list = s.list_dna_tests("c-dna").await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].status, DnaStatus::Registered);
        assert!(!list[0].has_profiles);
        assert_eq!(list[0].version, 1);
        let t = s.read_dna_test(&id, &CaseActor::Cli, T0).await.unwrap();
        assert_eq!(t.details, details());
        // Status and custody note.
        let mut d = details();
        d.custody.push(CustodyNote {
            at: T0,
            by: "cli".into(),
            text: "sealed bag 4471 handed to courier".into(),
        });
        let v = s
            .update_dna_test(&id, 1, DnaStatus::SamplesSent, &d, &CaseActor::Cli, T0)
            .await
            .unwrap();
        assert_eq!(v, 2);
        // A stale version changes nothing.
        assert!(matches!(
            s.update_dna_test(&id, 1, DnaStatus::Cancelled, &d, &CaseActor::Cli, T0)
                .await,
            Err(StoreError::Conflict(_))
        ));
        let v = s
            .set_dna_profiles(
                &id,
                v,
                DnaStatus::ProfilesReceived,
                &profiles(),
                &CaseActor::Cli,
                T0,
            )
            .await
            .unwrap();
        assert_eq!(v, 3);
        let meta = s.dna_test_meta(&id).await.unwrap().unwrap();
        assert_eq!(meta.status, DnaStatus::ProfilesReceived);
        assert!(meta.has_profiles);
        let (t, p) = s
            .read_dna_profiles(&id, DnaRead::Profiles, &CaseActor::Cli, T0)
            .await
            .unwrap();
        assert_eq!(p.as_deref(), Some(profiles().as_str()));
        assert_eq!(t.details, d);
        let (_, p) = s
            .read_dna_profiles(&id, DnaRead::Report, &CaseActor::Cli, T0)
            .await
            .unwrap();
        assert!(p.is_some());
        let acts = actions(&db).await;
        let dna: Vec<_> = acts
            .iter()
            .filter(|(_, d)| d.starts_with("dna"))
            .cloned()
            .collect();
        let e = |a: &str, d: &str| (a.to_string(), d.to_string());
        assert_eq!(
            dna,
            vec![
                e("record_create", "dna_test"),
                e("sensitive_read", "dna_test"),
                e("record_change", "dna_test"),
                e("record_change", "dna_profiles"),
                e("sensitive_read", "dna_profiles"),
                e("sensitive_read", "dna_report"),
            ]
        );
        // Nothing of the test in the audit trail's clear text.
        let page = s.audit_page(0, 1000).await.unwrap();
        for ev in &page.events {
            assert!(!ev.subject.contains(&id), "{}", ev.subject);
        }
        assert!(
            s.verify_audit(&mut |_, _| {})
                .await
                .unwrap()
                .broken
                .is_none()
        );
    }
);

both_backends!(
    reads_and_changes_are_refused_without_their_audit_event,
    |db: TestDb| async move {
        let s = &db.store;
        let id = setup(&db).await;
        s.set_dna_profiles(
            &id,
            1,
            DnaStatus::ProfilesReceived,
            &profiles(),
            &CaseActor::Cli,
            T0,
        )
        .await
        .unwrap();
        sqlx::query("DROP TABLE audit_events")
            .execute(s.pool_for_tests())
            .await
            .unwrap();
        for why in [DnaRead::Profiles, DnaRead::Report] {
            assert!(
                s.read_dna_profiles(&id, why, &CaseActor::Cli, T0)
                    .await
                    .is_err()
            );
        }
        assert!(s.read_dna_test(&id, &CaseActor::Cli, T0).await.is_err());
        assert!(
            s.update_dna_test(
                &id,
                2,
                DnaStatus::Cancelled,
                &details(),
                &CaseActor::Cli,
                T0
            )
            .await
            .is_err()
        );
        let meta = s.dna_test_meta(&id).await.unwrap().unwrap();
        assert_eq!(
            (meta.version, meta.status),
            (2, DnaStatus::ProfilesReceived),
            "nothing changed without its audit event"
        );
    }
);

both_backends!(
    sealed_columns_are_bound_to_their_row_and_column,
    |db: TestDb| async move {
        let s = &db.store;
        let a = setup(&db).await;
        let b = s
            .create_dna_test("c-dna", Some("m-1"), &details(), &CaseActor::Cli, T0)
            .await
            .unwrap();
        s.set_dna_profiles(
            &a,
            1,
            DnaStatus::ProfilesReceived,
            &profiles(),
            &CaseActor::Cli,
            T0,
        )
        .await
        .unwrap();
        assert_eq!(
            s.dna_test_meta(&b).await.unwrap().unwrap().match_ref,
            Some("m-1".into())
        );
        // Copy a's sealed details and profiles (and key) onto b: b no longer opens.
        let sel = q(
            &db,
            "SELECT key_id, details_enc, profiles_enc FROM dna_tests WHERE id = $1",
        );
        let (key_id, det, prof): (String, Vec<u8>, Option<Vec<u8>>) = sqlx::query_as(&sel)
            .bind(&a)
            .fetch_one(s.pool_for_tests())
            .await
            .unwrap();
        let upd = q(
            &db,
            "UPDATE dna_tests SET key_id = $1, details_enc = $2, profiles_enc = $3 WHERE id = $4",
        );
        sqlx::query(&upd)
            .bind(&key_id)
            .bind(&det)
            .bind(prof.clone())
            .bind(&b)
            .execute(s.pool_for_tests())
            .await
            .unwrap();
        assert!(matches!(
            s.read_dna_test(&b, &CaseActor::Cli, T0).await,
            Err(StoreError::Crypto(_))
        ));
        assert!(
            s.read_dna_profiles(&b, DnaRead::Profiles, &CaseActor::Cli, T0)
                .await
                .is_err()
        );
        // Within a's own row, details moved into the profiles column fail too.
        let upd = q(&db, "UPDATE dna_tests SET profiles_enc = $1 WHERE id = $2");
        sqlx::query(&upd)
            .bind(&det)
            .bind(&a)
            .execute(s.pool_for_tests())
            .await
            .unwrap();
        assert!(
            s.read_dna_profiles(&a, DnaRead::Profiles, &CaseActor::Cli, T0)
                .await
                .is_err()
        );
        // The details of a itself still open.
        assert!(s.read_dna_test(&a, &CaseActor::Cli, T0).await.is_ok());
    }
);

both_backends!(
    dna_tests_are_in_the_dump_as_envelopes,
    |db: TestDb| async move {
        let s = &db.store;
        let id = setup(&db).await;
        s.set_dna_profiles(
            &id,
            1,
            DnaStatus::ProfilesReceived,
            &profiles(),
            &CaseActor::Cli,
            T0,
        )
        .await
        .unwrap();
        let mut buf = Vec::new();
        s.dump(&mut buf, &mut |_| {}).await.unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("\"t\":\"dna_tests\""));
        assert!(!text.contains(CANARY));
        assert!(!text.contains("canary-lab-31"));
    }
);

/// The profile canary and the lab canary are absent from the SQLite file, its WAL and every
/// other file of the database directory.
#[tokio::test]
async fn profiles_are_not_on_disk_in_clear() {
    let db = helpers::open(helpers::Kind::Sqlite).await.unwrap();
    let id = setup(&db).await;
    db.store
        .set_dna_profiles(
            &id,
            1,
            DnaStatus::ProfilesReceived,
            &profiles(),
            &CaseActor::Cli,
            T0,
        )
        .await
        .unwrap();
    let (_, p) = db
        .store
        .read_dna_profiles(&id, DnaRead::Report, &CaseActor::Cli, T0)
        .await
        .unwrap();
    assert!(p.unwrap().contains(CANARY), "the canary was stored");
    let mut found = Vec::new();
    let mut files = 0;
    for e in std::fs::read_dir(&db.dir).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        files += 1;
        for canary in [CANARY, "canary-lab-31"] {
            if bytes.windows(canary.len()).any(|w| w == canary.as_bytes()) {
                found.push((p.clone(), canary));
            }
        }
    }
    assert!(files >= 2, "database and WAL expected");
    assert!(found.is_empty(), "canary found in {found:?}");
}
