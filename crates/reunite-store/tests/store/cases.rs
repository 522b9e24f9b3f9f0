//! Cases: sealed storage, history, assignment, search across scripts, import/export, audit.
//! Written once, run on both backends.

use crate::helpers;
use crate::helpers::TestDb;
use reunite_crypto::{KeyRing, MasterKey};
use reunite_domain::{
    Action, Calendar, Case, CaseStatus, Cause, Child, Name, NameKind, PartialDate, Person, Place,
    Separation, Sex, Timestamp, UserId,
};
use reunite_store::{Assigned, CaseActor, CaseFilter, ChangeKind, StoreError};

const T0: Timestamp = Timestamp(1_700_000_000_000);

fn name(text: &str, kind: Option<NameKind>) -> Name {
    Name {
        text: text.into(),
        kind,
    }
}

fn place(text: &str, country: &str) -> Option<Place> {
    Some(Place {
        text: text.into(),
        country: Some(country.into()),
    })
}

/// A mother with three names in three scripts and two children.
fn sample(id: &str) -> Case {
    Case {
        id: id.into(),
        mother: Person {
            names: vec![
                name("리영자", Some(NameKind::Birth)),
                name("李英子", Some(NameKind::Alias)),
                name("이수진", Some(NameKind::Current)),
            ],
            sex: Some(Sex::F),
            birth: Some(PartialDate {
                year: Some(1979),
                month: Some(3),
                day: Some(8),
                calendar: Calendar::Lunar,
                approx_years: 0,
            }),
            birthplace: place("함경북도 회령시", "KP"),
        },
        children: vec![
            Child {
                names: vec![
                    name("王明", Some(NameKind::Birth)),
                    name("명이", Some(NameKind::Nickname)),
                ],
                sex: Some(Sex::M),
                birth: Some(PartialDate {
                    year: Some(2004),
                    month: Some(6),
                    ..Default::default()
                }),
                birthplace: place("黑龙江省 鸡西市", "CN"),
                last_known: place("黑龙江省 鸡西市 密山市", "CN"),
                with_whom: Some("祖母".into()),
            },
            Child {
                names: vec![name("王丽", None)],
                sex: Some(Sex::F),
                ..Default::default()
            },
        ],
        father: Some(Person {
            names: vec![name("王建国", None)],
            ..Default::default()
        }),
        separation: Some(Separation {
            date: Some(PartialDate {
                year: Some(2011),
                ..Default::default()
            }),
            place: place("鸡西", "CN"),
            cause: Some(Cause::Repatriation),
        }),
        residence_cn: place("黑龙江省 鸡西市 密山市 连珠山镇", "CN"),
        contact: Some(reunite_domain::ContactStatus::UnknownWhereabouts),
        consent: Some(reunite_domain::Consent {
            findable: true,
            by_child: true,
            ..Default::default()
        }),
    }
}

/// A plain case with one mother's name.
fn plain(id: &str, mother: &str) -> Case {
    Case {
        id: id.into(),
        mother: Person {
            names: vec![name(mother, None)],
            ..Default::default()
        },
        ..Default::default()
    }
}

fn q(db: &TestDb, sql: &str) -> String {
    match db.kind {
        helpers::Kind::Sqlite => sql.replace('$', "?"),
        helpers::Kind::Postgres => sql.to_string(),
    }
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

/// A test database whose master key the test keeps (to open it again, or restore into
/// another).
async fn open_keeping(kind: helpers::Kind) -> Option<(TestDb, String)> {
    let mk = MasterKey::generate();
    let text = mk.to_text().to_string();
    let db = helpers::open_with(kind, KeyRing::new(mk, vec![])).await?;
    Some((db, text))
}

fn ring_from(text: &str) -> KeyRing {
    KeyRing::new(MasterKey::from_text(text).unwrap(), vec![])
}

async fn open_empty(kind: helpers::Kind, ring: KeyRing) -> Option<reunite_store::Store> {
    let dir = std::env::temp_dir().join(helpers::unique("reunite-restore"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut o = match kind {
        helpers::Kind::Sqlite => {
            reunite_store::OpenOptions::new(reunite_store::sqlite::url_for_path(&dir.join("r.db")))
        }
        helpers::Kind::Postgres => {
            let url = std::env::var("REUNITE_TEST_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty())?;
            let mut o = reunite_store::OpenOptions::new(url);
            o.pg_schema = Some(helpers::unique("r"));
            o
        }
    };
    o.max_connections = 2;
    Some(reunite_store::Store::open(o, ring).await.unwrap())
}

fn ids(p: &reunite_store::CasePage) -> Vec<&str> {
    p.items.iter().map(|c| c.id.as_str()).collect()
}

both_backends!(
    create_read_round_trip_and_every_read_is_audited,
    |db: TestDb| async move {
        let s = &db.store;
        let cw = user(&db, "cw.one").await;
        let actor = CaseActor::Staff(cw.clone());
        let c = sample("c-000001");
        s.create_case(&c, CaseStatus::Open, Some(&cw), &actor, T0)
            .await
            .unwrap();
        let again = s.create_case(&c, CaseStatus::Open, None, &actor, T0).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let meta = s.case_meta("c-000001").await.unwrap().unwrap();
        assert_eq!(meta.assigned_to.as_ref(), Some(&cw));
        assert_eq!(meta.version, 1);
        let before = actions(&db).await.len();
        let got = s
            .read_case("c-000001", &actor, "case", T0.plus_secs(1))
            .await
            .unwrap();
        assert_eq!(got.case, c);
        assert_eq!(got.status, CaseStatus::Open);
        assert_eq!(got.version, 1);
        let after = actions(&db).await;
        assert_eq!(after.len(), before + 1);
        assert_eq!(
            after.last().unwrap(),
            &(
                Action::SensitiveRead.as_str().to_string(),
                "case".to_string()
            )
        );
        // The audit subject is a pseudonym, never the id or a name.
        let page = s.audit_page(0, 1).await.unwrap();
        assert!(page.events[0].subject.starts_with("case:"));
        assert!(!page.events[0].subject.contains("c-000001"));
        assert!(matches!(
            s.read_case("c-404", &actor, "case", T0).await,
            Err(StoreError::NotFound)
        ));
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
    records_are_sealed_and_bound_to_their_row,
    |db: TestDb| async move {
        let s = &db.store;
        let actor = CaseActor::Cli;
        s.create_case(&sample("c-a"), CaseStatus::Open, None, &actor, T0)
            .await
            .unwrap();
        s.create_case(&plain("c-b", "박순희"), CaseStatus::Open, None, &actor, T0)
            .await
            .unwrap();
        let pool = s.pool_for_tests();
        let (enc, key): (Vec<u8>, String) = sqlx::query_as(&q(
            &db,
            "SELECT record_enc, key_id FROM cases WHERE id = $1",
        ))
        .bind("c-a")
        .fetch_one(pool)
        .await
        .unwrap();
        for needle in ["리영자", "李英子", "王明", "鸡西", "회령"] {
            assert!(
                !enc.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in clear"
            );
        }
        sqlx::query(&q(
            &db,
            "UPDATE cases SET record_enc = $1, key_id = $2 WHERE id = $3",
        ))
        .bind(&enc)
        .bind(&key)
        .bind("c-b")
        .execute(pool)
        .await
        .unwrap();
        let r = s.read_case("c-b", &actor, "case", T0).await;
        assert!(matches!(r, Err(StoreError::Crypto(_))), "{r:?}");
    }
);

both_backends!(
    edits_keep_a_history_of_who_changed_what,
    |db: TestDb| async move {
        let s = &db.store;
        let a = user(&db, "cw.a").await;
        let b = user(&db, "cw.b").await;
        let c = sample("c-h");
        s.create_case(
            &c,
            CaseStatus::Open,
            Some(&a),
            &CaseActor::Staff(a.clone()),
            T0,
        )
        .await
        .unwrap();
        let mut edited = c.clone();
        edited.mother.names[1].text = "李英姬".into();
        edited.children[1].birth = Some(PartialDate {
            year: Some(2007),
            ..Default::default()
        });
        let v = s
            .update_case(
                &edited,
                CaseStatus::InContact,
                1,
                &CaseActor::Staff(b.clone()),
                T0.plus_secs(60),
            )
            .await
            .unwrap();
        assert_eq!(v, 2);
        // Saving from a stale version is refused and changes nothing.
        let mut stale = c.clone();
        stale.mother.names[0].text = "다른이름".into();
        let r = s
            .update_case(
                &stale,
                CaseStatus::Open,
                1,
                &CaseActor::Staff(a.clone()),
                T0,
            )
            .await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
        // Saving without a change adds no version.
        let same = s
            .update_case(
                &edited,
                CaseStatus::InContact,
                2,
                &CaseActor::Staff(b.clone()),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(same, 2);
        s.assign_case("c-h", Some(&b), &CaseActor::Cli, T0.plus_secs(120))
            .await
            .unwrap();
        let got = s
            .read_case("c-h", &CaseActor::Cli, "case", T0)
            .await
            .unwrap();
        assert_eq!(got.case, edited);
        assert_eq!(got.status, CaseStatus::InContact);
        assert_eq!(got.assigned_to.as_ref(), Some(&b));
        assert_eq!(got.version, 3);
        let h = s.case_history("c-h", &CaseActor::Cli, T0).await.unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].kind, ChangeKind::Assign);
        assert_eq!(h[0].actor, "cli");
        assert_eq!(h[0].fields, vec!["assigned_to"]);
        assert_eq!(h[1].kind, ChangeKind::Edit);
        assert_eq!(h[1].actor, b.0);
        assert_eq!(h[1].at, T0.plus_secs(60));
        assert_eq!(
            h[1].fields,
            vec!["status", "children[1].birth.year", "mother.names[1].text"]
        );
        assert_eq!(h[1].previous.as_ref(), Some(&c));
        assert_eq!(h[2].kind, ChangeKind::Create);
        assert_eq!(h[2].actor, a.0);
        assert!(h[2].previous.is_none());
        let acts = actions(&db).await;
        let details: Vec<_> = acts.iter().map(|(a, d)| format!("{a}/{d}")).collect();
        assert!(details.contains(&"record_change/case".to_string()));
        assert!(details.contains(&"record_change/assignment".to_string()));
        assert!(details.contains(&"sensitive_read/case_history".to_string()));
    }
);

both_backends!(
    search_finds_a_case_by_any_name_in_any_script,
    |db: TestDb| async move {
        let s = &db.store;
        let a = user(&db, "cw.search").await;
        let actor = CaseActor::Cli;
        s.create_case(&sample("c-1"), CaseStatus::Open, Some(&a), &actor, T0)
            .await
            .unwrap();
        for (i, n) in ["김순희", "박영희", "최은주", "张丽华"].iter().enumerate() {
            s.create_case(
                &plain(&format!("c-x{i}"), n),
                CaseStatus::Closed,
                None,
                &actor,
                T0,
            )
            .await
            .unwrap();
        }
        let actor = &actor;
        let find = |f: CaseFilter| async move { s.search_cases(&f, actor, T0).await.unwrap() };
        let by_name = |n: &str| CaseFilter {
            name: Some(n.into()),
            ..Default::default()
        };
        // The Chinese alias as written, the Hangul birth name read the Southern way,
        // pinyin and a romanization of the birth name, the South Korean name.
        for q in [
            "李英子",
            "이영자",
            "Li Yingzi",
            "Ri Yong Ja",
            "이수진",
            "王建国",
        ] {
            assert_eq!(ids(&find(by_name(q)).await), vec!["c-1"], "query {q}");
        }
        assert!(find(by_name("정미란")).await.items.is_empty());
        // A child's name (and nickname), only among children.
        let child = |n: &str| CaseFilter {
            child: Some(n.into()),
            ..Default::default()
        };
        assert_eq!(ids(&find(child("王明")).await), vec!["c-1"]);
        assert_eq!(ids(&find(child("Wang Li")).await), vec!["c-1"]);
        assert!(find(child("李英子")).await.items.is_empty());
        // Place, status, assignment.
        let by_place = CaseFilter {
            place: Some("密山".into()),
            ..Default::default()
        };
        assert_eq!(ids(&find(by_place).await), vec!["c-1"]);
        let closed = CaseFilter {
            status: Some(CaseStatus::Closed),
            ..Default::default()
        };
        assert_eq!(find(closed).await.total, 4);
        let mine = CaseFilter {
            assigned: Some(Assigned::To(a.clone())),
            ..Default::default()
        };
        assert_eq!(ids(&find(mine).await), vec!["c-1"]);
        let nobody = CaseFilter {
            assigned: Some(Assigned::Nobody),
            ..Default::default()
        };
        assert_eq!(find(nobody).await.total, 4);
        // Paging: 5 cases, 2 per page.
        let mut seen = Vec::new();
        for page in 0..3 {
            let p = find(CaseFilter {
                offset: page * 2,
                limit: 2,
                ..Default::default()
            })
            .await;
            assert_eq!(p.total, 5);
            seen.extend(p.items.into_iter().map(|c| c.id));
        }
        seen.sort();
        assert_eq!(seen, vec!["c-1", "c-x0", "c-x1", "c-x2", "c-x3"]);
        // The summary carries the mother's names and the children's first names.
        let p = find(by_name("李英子")).await;
        let c = &p.items[0];
        assert_eq!(c.mother_names.len(), 3);
        assert_eq!(c.children, 2);
        assert_eq!(c.child_names[0].expose(), "王明");
        assert_eq!(c.child_names[1].expose(), "王丽");
        // An edit is found at once under its new name, and no longer under the old one.
        let mut e = plain("c-x0", "金顺姬");
        e.mother.names.push(name("Kim Sun Hui", None));
        s.update_case(&e, CaseStatus::Closed, 1, actor, T0)
            .await
            .unwrap();
        assert_eq!(ids(&find(by_name("Kim Sun Hui")).await), vec!["c-x0"]);
        assert!(
            find(by_name("김순희"))
                .await
                .items
                .iter()
                .any(|c| c.id == "c-x0")
        );
        assert!(
            find(by_name("박영희"))
                .await
                .items
                .iter()
                .all(|c| c.id != "c-x0")
        );
        // Every search was audited.
        let n = actions(&db)
            .await
            .iter()
            .filter(|(_, d)| d == "case_list")
            .count();
        assert!(n >= 15, "{n}");
    }
);

both_backends!(
    another_process_sees_changes_in_its_index,
    |db: TestDb| async move {
        let (db, key) = open_keeping(db.kind).await.unwrap();
        let other = db.reopen(ring_from(&key)).await;
        let actor = CaseActor::Cli;
        let f = CaseFilter {
            name: Some("김철수".into()),
            ..Default::default()
        };
        assert_eq!(
            db.store.search_cases(&f, &actor, T0).await.unwrap().total,
            0
        );
        other
            .create_case(&plain("c-o", "김철수"), CaseStatus::Open, None, &actor, T0)
            .await
            .unwrap();
        let p = db.store.search_cases(&f, &actor, T0).await.unwrap();
        assert_eq!(ids(&p), vec!["c-o"]);
        let mut e = plain("c-o", "최영수");
        e.children.push(Child::default());
        other
            .update_case(&e, CaseStatus::Reunited, 1, &actor, T0)
            .await
            .unwrap();
        assert_eq!(
            db.store.search_cases(&f, &actor, T0).await.unwrap().total,
            0
        );
        let p = db
            .store
            .search_cases(
                &CaseFilter {
                    status: Some(CaseStatus::Reunited),
                    ..Default::default()
                },
                &actor,
                T0,
            )
            .await
            .unwrap();
        assert_eq!(ids(&p), vec!["c-o"]);
        assert_eq!(p.items[0].children, 1);
    }
);

both_backends!(
    import_is_all_or_nothing_and_export_round_trips,
    |db: TestDb| async move {
        let s = &db.store;
        let actor = CaseActor::Cli;
        s.create_case(
            &plain("c-taken", "한미숙"),
            CaseStatus::Open,
            None,
            &actor,
            T0,
        )
        .await
        .unwrap();
        let mut batch: Vec<Case> = (0..30)
            .map(|i| plain(&format!("c-{i:03}"), "홍길순"))
            .collect();
        batch[3] = sample("c-003");
        batch.push(plain("c-taken", "한미숙"));
        let r = s.import_cases(&batch, &actor, T0, &mut |_| {}).await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
        assert_eq!(s.count_cases().await.unwrap(), 1);
        // A duplicate inside the batch fails in the database: still nothing half-written.
        batch.pop();
        batch.push(plain("c-000", "홍길순"));
        assert!(
            s.import_cases(&batch, &actor, T0, &mut |_| {})
                .await
                .is_err()
        );
        assert_eq!(s.count_cases().await.unwrap(), 1);
        batch.pop();
        let mut last = 0;
        let n = s
            .import_cases(&batch, &actor, T0, &mut |k| last = k)
            .await
            .unwrap();
        assert_eq!((n, last), (30, 30));
        let mut out = Vec::new();
        let exported = s
            .export_cases(&actor, T0, &mut |c| {
                out.push(c.case);
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(exported, 31);
        let mut want = batch.clone();
        want.push(plain("c-taken", "한미숙"));
        want.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(out, want);
        let acts = actions(&db).await;
        assert!(acts.contains(&("import".into(), "count:30".into())));
        assert!(acts.contains(&("export".into(), "count:31".into())));
        // Imported cases are found by the search index like any other.
        let p = s
            .search_cases(
                &CaseFilter {
                    name: Some("Li Yingzi".into()),
                    ..Default::default()
                },
                &actor,
                T0,
            )
            .await
            .unwrap();
        assert_eq!(ids(&p), vec!["c-003"]);
        let h = s.case_history("c-003", &actor, T0).await.unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].kind, ChangeKind::Import);
    }
);

both_backends!(
    reads_are_refused_when_the_audit_cannot_be_written,
    |db: TestDb| async move {
        let s = &db.store;
        s.create_case(&sample("c-r"), CaseStatus::Open, None, &CaseActor::Cli, T0)
            .await
            .unwrap();
        sqlx::query("DROP TABLE audit_events")
            .execute(s.pool_for_tests())
            .await
            .unwrap();
        assert!(
            s.read_case("c-r", &CaseActor::Cli, "case", T0)
                .await
                .is_err()
        );
        assert!(s.case_history("c-r", &CaseActor::Cli, T0).await.is_err());
        assert!(
            s.search_cases(&CaseFilter::default(), &CaseActor::Cli, T0)
                .await
                .is_err()
        );
        let mut e = sample("c-r");
        e.mother.names.pop();
        assert!(
            s.update_case(&e, CaseStatus::Open, 1, &CaseActor::Cli, T0)
                .await
                .is_err()
        );
        let meta = s.case_meta("c-r").await.unwrap().unwrap();
        assert_eq!(
            meta.version, 1,
            "the edit did not happen without its audit event"
        );
    }
);

both_backends!(cases_survive_dump_and_restore, |db: TestDb| async move {
    let (db, key) = open_keeping(db.kind).await.unwrap();
    let s = &db.store;
    let a = user(&db, "cw.dump").await;
    s.create_case(
        &sample("c-d"),
        CaseStatus::Open,
        Some(&a),
        &CaseActor::Cli,
        T0,
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    s.dump(&mut buf, &mut |_| {}).await.unwrap();
    let text = String::from_utf8(buf.clone()).unwrap();
    assert!(text.contains("\"t\":\"cases\""));
    assert!(text.contains("\"t\":\"case_versions\""));
    assert!(!text.contains("리영자"));
    let dst = open_empty(db.kind, ring_from(&key)).await.unwrap();
    dst.restore_dump(&mut std::io::Cursor::new(buf), &mut |_| {})
        .await
        .unwrap();
    let got = dst
        .read_case("c-d", &CaseActor::Cli, "case", T0)
        .await
        .unwrap();
    assert_eq!(got.case, sample("c-d"));
    assert_eq!(got.assigned_to, Some(a));
    assert_eq!(
        dst.case_history("c-d", &CaseActor::Cli, T0)
            .await
            .unwrap()
            .len(),
        1
    );
});
