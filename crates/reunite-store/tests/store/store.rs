//! Storage behaviour, written once and run on both backends.

use crate::helpers;
use crate::helpers::TestDb;
use reunite_crypto::{KeyRing, MasterKey};
use reunite_domain::{Action, Lang, NewAuditEvent, Role, Timestamp, UserId, Username};
use reunite_store::{NewUser, SessionStage, StoreError};

const T0: Timestamp = Timestamp(1_700_000_000_000);

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        role: Role::Caseworker,
        password_phc: "$argon2id$placeholder".into(),
        lang: Lang::Ko,
        must_change_password: true,
    }
}

fn ev(detail: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: "user:test".into(),
        action: Action::SensitiveRead,
        subject: "case:x".into(),
        detail: detail.into(),
    }
}

both_backends!(
    users_round_trip_and_names_are_unique,
    |db: TestDb| async move {
        let s = &db.store;
        let id = s
            .create_user(&new_user("Kim.Caseworker"), "cli", T0)
            .await
            .unwrap();
        let u = s
            .user_by_username(&Username::parse("kim.caseworker").unwrap())
            .await
            .unwrap()
            .expect("found by normalised name");
        assert_eq!(u.id, id);
        assert_eq!(u.username.expose(), "kim.caseworker");
        assert!(u.must_change_password);
        assert_eq!(u.role, Role::Caseworker);
        let again = s.create_user(&new_user("KIM.CASEWORKER"), "cli", T0).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))));
        assert_eq!(s.count_users().await.unwrap(), 1);
        // Lowering and disabling apply at once (raises wait: tests in accounts.rs).
        let admin = s
            .create_user(&new_user("an.admin"), "cli", T0)
            .await
            .unwrap();
        s.change_account(&id, Role::Reviewer, true, &admin, "cli", T0)
            .await
            .unwrap();
        let u = s.user_by_id(&id).await.unwrap().unwrap();
        assert!(u.disabled);
        assert_eq!(u.role, Role::Reviewer);
    }
);

both_backends!(
    ciphertext_moved_to_another_row_fails,
    |db: TestDb| async move {
        let s = &db.store;
        let a = s.create_user(&new_user("alpha"), "cli", T0).await.unwrap();
        let b = s.create_user(&new_user("bravo"), "cli", T0).await.unwrap();
        let pool = s.pool_for_tests();
        let q = |sql: &str| match db.kind {
            helpers::Kind::Sqlite => sql.replace('$', "?"),
            helpers::Kind::Postgres => sql.to_string(),
        };
        let env: Vec<u8> = sqlx::query_scalar(&q("SELECT username_enc FROM users WHERE id = $1"))
            .bind(&a.0)
            .fetch_one(pool)
            .await
            .unwrap();
        // Copy alpha's sealed name into bravo's row, and give bravo alpha's data key too, so
        // only the row binding can catch it.
        let key_a: String = sqlx::query_scalar(&q("SELECT key_id FROM users WHERE id = $1"))
            .bind(&a.0)
            .fetch_one(pool)
            .await
            .unwrap();
        sqlx::query(&q(
            "UPDATE users SET username_enc = $1, key_id = $2 WHERE id = $3",
        ))
        .bind(&env)
        .bind(&key_a)
        .bind(&b.0)
        .execute(pool)
        .await
        .unwrap();
        let r = s.user_by_id(&b).await;
        assert!(matches!(r, Err(StoreError::Crypto(_))), "{r:?}");
        // And into another column of the same row.
        sqlx::query(&q("UPDATE users SET totp_enc = username_enc WHERE id = $1"))
            .bind(&a.0)
            .execute(pool)
            .await
            .unwrap();
        assert!(matches!(s.user_by_id(&a).await, Err(StoreError::Crypto(_))));
    }
);

both_backends!(
    rotation_keeps_every_record_readable,
    |db: TestDb| async move {
        // The store was opened with a ring holding one key; rebuild rings by hand.
        let old = MasterKey::generate();
        let old_text = old.to_text();
        let db = helpers::open_with(db.kind, KeyRing::new(old, vec![]))
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..7 {
            ids.push(
                db.store
                    .create_user(&new_user(&format!("user{i}")), "cli", T0)
                    .await
                    .unwrap(),
            );
        }
        let new = MasterKey::generate();
        let new_text = new.to_text();
        let both = KeyRing::new(new, vec![MasterKey::from_text(&old_text).unwrap()]);
        let store = db.reopen(both).await;
        assert_eq!(store.keys_pending_rotation().await.unwrap(), 9);
        let mut calls = 0;
        let report = store
            .rewrap_data_keys("cli", T0, &mut |_, _| calls += 1)
            .await
            .unwrap();
        assert_eq!(report.rewrapped, 9);
        assert!(calls >= 1);
        assert_eq!(store.keys_pending_rotation().await.unwrap(), 0);
        store.close().await;
        // The old key is gone: only the new one remains, and everything still opens.
        let only_new = KeyRing::new(MasterKey::from_text(&new_text).unwrap(), vec![]);
        let store = db.reopen(only_new).await;
        for (i, id) in ids.iter().enumerate() {
            let u = store.user_by_id(id).await.unwrap().unwrap();
            assert_eq!(u.username.expose(), &format!("user{i}"));
        }
        let report = store.verify_audit(&mut |_, _| {}).await.unwrap();
        assert_eq!(report.broken, None);
        // Without the right key nothing opens.
        store.close().await;
        let wrong = KeyRing::new(MasterKey::generate(), vec![]);
        let store = db.reopen(wrong).await;
        assert!(store.user_by_id(&ids[0]).await.is_err());
    }
);

both_backends!(
    audit_chain_detects_change_removal_reorder_and_truncation,
    |db: TestDb| async move {
        let s = &db.store;
        for i in 0..6 {
            s.append_audit(&ev(&format!("d{i}")), T0.plus_secs(i))
                .await
                .unwrap();
        }
        let ok = s.verify_audit(&mut |_, _| {}).await.unwrap();
        assert_eq!((ok.events, ok.broken), (6, None));
        let pool = s.pool_for_tests();
        let q = |sql: &str| match db.kind {
            helpers::Kind::Sqlite => sql.replace('$', "?"),
            helpers::Kind::Postgres => sql.to_string(),
        };
        let broken_at = || async {
            s.verify_audit(&mut |_, _| {})
                .await
                .unwrap()
                .broken
                .map(|b| b.seq)
        };

        // Changed: one field of event 3.
        sqlx::query(&q("UPDATE audit_events SET detail = 'other' WHERE seq = 3"))
            .execute(pool)
            .await
            .unwrap();
        assert_eq!(broken_at().await, Some(3));
        sqlx::query(&q("UPDATE audit_events SET detail = 'd2' WHERE seq = 3"))
            .execute(pool)
            .await
            .unwrap();
        assert_eq!(broken_at().await, None);

        // Reordered: swap the contents of events 2 and 4.
        let row = |seq: i64| {
            let pool = pool.clone();
            let sql = q("SELECT actor, detail, at, event_id FROM audit_events WHERE seq = $1");
            async move {
                sqlx::query_as::<_, (String, String, i64, String)>(&sql)
                    .bind(seq)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        let (r2, r4) = (row(2).await, row(4).await);
        let set = q("UPDATE audit_events SET detail = $1, at = $2, event_id = $3 WHERE seq = $4");
        for (seq, r, tmp) in [(2i64, &r4, "tmp-a"), (4, &r2, "tmp-b")] {
            sqlx::query(&set)
                .bind(&r.1)
                .bind(r.2)
                .bind(tmp)
                .bind(seq)
                .execute(pool)
                .await
                .unwrap();
        }
        assert_eq!(broken_at().await, Some(2));
        for (seq, r) in [(2i64, &r2), (4, &r4)] {
            sqlx::query(&set)
                .bind(&r.1)
                .bind(r.2)
                .bind(&r.3)
                .bind(seq)
                .execute(pool)
                .await
                .unwrap();
        }
        assert_eq!(broken_at().await, None);

        // Removed from the middle.
        sqlx::query(&q("DELETE FROM audit_events WHERE seq = 5"))
            .execute(pool)
            .await
            .unwrap();
        assert_eq!(broken_at().await, Some(6));

        // Cut off at the end (a fresh chain, then the last event deleted).
        let db2 = helpers::open(db.kind).await.unwrap();
        for i in 0..3 {
            db2.store
                .append_audit(&ev(&format!("e{i}")), T0)
                .await
                .unwrap();
        }
        sqlx::query(&q("DELETE FROM audit_events WHERE seq = 3"))
            .execute(db2.store.pool_for_tests())
            .await
            .unwrap();
        let r = db2.store.verify_audit(&mut |_, _| {}).await.unwrap();
        assert_eq!(r.broken.map(|b| b.seq), Some(2));
    }
);

both_backends!(
    a_change_is_refused_when_its_audit_event_cannot_be_written,
    |db: TestDb| async move {
        let s = &db.store;
        s.create_user(&new_user("before"), "cli", T0).await.unwrap();
        sqlx::query("DROP TABLE audit_events")
            .execute(s.pool_for_tests())
            .await
            .unwrap();
        let r = s.create_user(&new_user("after"), "cli", T0).await;
        assert!(r.is_err());
        assert_eq!(s.count_users().await.unwrap(), 1, "nothing half-written");
        assert!(
            s.user_by_username(&Username::parse("after").unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }
);

both_backends!(sessions_expire_and_rotate, |db: TestDb| async move {
    let s = &db.store;
    let u = s.create_user(&new_user("sess"), "cli", T0).await.unwrap();
    let h1 = reunite_crypto::token_hash("one");
    let h2 = reunite_crypto::token_hash("two");
    s.create_session(&h1, &u, "csrf1", SessionStage::Setup, T0)
        .await
        .unwrap();
    s.create_session(&h2, &u, "csrf2", SessionStage::Full, T0.plus_secs(600))
        .await
        .unwrap();
    let got = s.session(&h1).await.unwrap().unwrap();
    assert_eq!(got.stage, SessionStage::Setup);
    assert_eq!(got.reauth_at, Timestamp(0));
    assert_eq!(
        s.session(&h2).await.unwrap().unwrap().reauth_at,
        T0.plus_secs(600)
    );
    // Idle cut-off between the two: only the older one goes.
    let n = s
        .purge_sessions(T0.plus_secs(300), Timestamp(0))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(s.session(&h1).await.unwrap().is_none());
    s.delete_user_sessions(&u).await.unwrap();
    assert_eq!(s.count_sessions().await.unwrap(), 0);
});

both_backends!(totp_steps_only_move_forward, |db: TestDb| async move {
    let s = &db.store;
    let u = s.create_user(&new_user("totp"), "cli", T0).await.unwrap();
    s.set_totp_pending(&u, b"secret-bytes-0123456", T0)
        .await
        .unwrap();
    s.confirm_totp(&u, 100, "user:x", T0).await.unwrap();
    let user = s.user_by_id(&u).await.unwrap().unwrap();
    assert_eq!(user.totp_secret.unwrap().expose(), b"secret-bytes-0123456");
    assert!(user.totp_pending.is_none());
    assert!(
        !s.advance_totp_step(&u, 100).await.unwrap(),
        "same step twice"
    );
    assert!(s.advance_totp_step(&u, 101).await.unwrap());
    assert!(!s.advance_totp_step(&u, 99).await.unwrap());
});

both_backends!(
    dump_restores_into_an_empty_store_of_either_backend,
    |db: TestDb| async move {
        let s = &db.store;
        let (ring, k1, k2) = helpers::ring();
        let src = helpers::open_with(db.kind, ring).await.unwrap();
        let _ = s;
        let id = src
            .store
            .create_user(&new_user("dumped"), "cli", T0)
            .await
            .unwrap();
        src.store.append_audit(&ev("x"), T0).await.unwrap();
        let mut buf = Vec::new();
        let stats = src.store.dump(&mut buf, &mut |_| {}).await.unwrap();
        assert!(stats.total() >= 5);
        let text = String::from_utf8(buf.clone()).unwrap();
        assert!(!text.contains("dumped"), "names stay sealed in a dump");
        for target in [helpers::Kind::Sqlite, helpers::Kind::Postgres] {
            let key = if target == helpers::Kind::Sqlite {
                &k1
            } else {
                &k2
            };
            let ring = KeyRing::new(MasterKey::from_text(&key.to_text()).unwrap(), vec![]);
            // A fresh, empty database (no system keys yet).
            let Some(dst) = helpers::open_empty(target, ring).await else {
                continue;
            };
            dst.restore_dump(&mut buf.as_slice(), &mut |_| {})
                .await
                .unwrap();
            let u = dst.user_by_id(&id).await.unwrap().unwrap();
            assert_eq!(u.username.expose(), "dumped");
            assert_eq!(dst.verify_audit(&mut |_, _| {}).await.unwrap().broken, None);
            // A second restore into the now non-empty store is refused.
            assert!(matches!(
                dst.restore_dump(&mut buf.as_slice(), &mut |_| {}).await,
                Err(StoreError::Conflict(_))
            ));
        }
        // A damaged dump changes nothing.
        let (ring, _, _) = helpers::ring();
        let dst = helpers::open_empty(helpers::Kind::Sqlite, ring)
            .await
            .unwrap();
        let mut damaged = text.lines().take(4).collect::<Vec<_>>().join("\n");
        damaged.push_str("\n{\"t\":\"users\",\"r\":{\"id\":5}}\n");
        let r = dst.restore_dump(&mut damaged.as_bytes(), &mut |_| {}).await;
        assert!(matches!(r, Err(StoreError::Dump { line: 5, .. })), "{r:?}");
        assert_eq!(dst.count_users().await.unwrap(), 0);
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM data_keys")
            .fetch_one(dst.pool_for_tests())
            .await
            .unwrap();
        assert_eq!(n, 0);
    }
);

both_backends!(
    every_table_is_dumped_or_deliberately_left_out,
    |db: TestDb| async move {
        let tables: Vec<String> = match db.kind {
        helpers::Kind::Sqlite => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(db.store.pool_for_tests())
        .await
        .unwrap(),
        helpers::Kind::Postgres => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(db.store.pool_for_tests())
        .await
        .unwrap(),
    };
        let dumped = reunite_store::dumped_tables();
        for t in &tables {
            assert!(
                dumped.contains(&t.as_str()) || reunite_store::NOT_DUMPED.contains(&t.as_str()),
                "table {t} is neither dumped nor listed in NOT_DUMPED"
            );
        }
        assert!(tables.len() >= 6);
    }
);

/// The two backends' migrations create the same tables with the same columns.
#[tokio::test]
async fn migrations_mirror_each_other() {
    let lite = helpers::open(helpers::Kind::Sqlite).await.unwrap();
    let Some(pg) = helpers::open(helpers::Kind::Postgres).await else {
        return;
    };
    let lite_cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2",
    )
    .fetch_all(lite.store.pool_for_tests())
    .await
    .unwrap();
    let pg_cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY 1, 2",
    )
    .fetch_all(pg.store.pool_for_tests())
    .await
    .unwrap();
    assert_eq!(lite_cols, pg_cols);
    let versions = |kind: &str| -> Vec<String> {
        let dir = format!("{}/migrations/{kind}", env!("CARGO_MANIFEST_DIR"));
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(versions("sqlite"), versions("postgres"));
}

/// A value written through the store is absent from the SQLite file, its WAL and every
/// other file in the directory.
#[tokio::test]
async fn canary_is_not_on_disk_in_clear() {
    let db = helpers::open(helpers::Kind::Sqlite).await.unwrap();
    let canary = "canary-7f3a9-xq";
    db.store
        .create_user(&new_user(canary), "cli", T0)
        .await
        .unwrap();
    db.store.append_audit(&ev("after"), T0).await.unwrap();
    let mut found = Vec::new();
    let mut files = 0;
    for e in std::fs::read_dir(&db.dir).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        files += 1;
        if bytes.windows(canary.len()).any(|w| w == canary.as_bytes()) {
            found.push(p);
        }
    }
    assert!(files >= 2, "database and WAL expected");
    assert!(found.is_empty(), "canary found in {found:?}");
    let _ = UserId(String::new());
}

both_backends!(
    an_interrupted_rotation_resumes_with_what_is_left,
    |db: TestDb| async move {
        let old = MasterKey::generate();
        let old_text = old.to_text();
        let db = helpers::open_with(db.kind, KeyRing::new(old, vec![]))
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(
                db.store
                    .create_user(&new_user(&format!("resume{i}")), "cli", T0)
                    .await
                    .unwrap(),
            );
        }
        let new = MasterKey::generate();
        let new_text = new.to_text();
        let ring = KeyRing::new(new, vec![MasterKey::from_text(&old_text).unwrap()]);
        // A rotation that died after re-wrapping three data keys: do those three by hand.
        let pool = db.store.pool_for_tests();
        let q = |sql: &str| match db.kind {
            helpers::Kind::Sqlite => sql.replace('$', "?"),
            helpers::Kind::Postgres => sql.to_string(),
        };
        let rows: Vec<(String, String, Vec<u8>)> =
            sqlx::query_as("SELECT id, purpose, wrapped FROM data_keys ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        assert_eq!(rows.len(), 7);
        for (id, purpose, wrapped) in rows.iter().take(3) {
            let re = reunite_crypto::rewrap_key(&ring, id, purpose, wrapped)
                .unwrap()
                .unwrap();
            sqlx::query(&q(
                "UPDATE data_keys SET wrapped = $1, master_key_id = $2 WHERE id = $3",
            ))
            .bind(re)
            .bind(ring.current().id().to_string())
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
        }
        let store = db.reopen(ring).await;
        assert_eq!(store.keys_pending_rotation().await.unwrap(), 4);
        let report = store
            .rewrap_data_keys("cli", T0, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!(report.rewrapped, 4, "only what was left");
        assert_eq!(store.keys_pending_rotation().await.unwrap(), 0);
        store.close().await;
        let only_new = KeyRing::new(MasterKey::from_text(&new_text).unwrap(), vec![]);
        let store = db.reopen(only_new).await;
        for (i, id) in ids.iter().enumerate() {
            let u = store.user_by_id(id).await.unwrap().unwrap();
            assert_eq!(u.username.expose(), &format!("resume{i}"));
        }
    }
);
