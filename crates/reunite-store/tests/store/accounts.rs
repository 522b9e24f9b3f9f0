//! Four eyes for staff accounts (issue 16, finding 8): what one administrator asks that gives
//! more reach waits until another confirms it; what takes reach away applies at once. Each
//! change and its audit event commit together.

use crate::helpers;
use crate::helpers::TestDb;
use reunite_crypto::KeyRing;
use reunite_domain::{Lang, Role, Timestamp, UserId, Username};
use reunite_store::{AccountUpdate, Cancellation, Confirmation, NewUser, PendingChange, Store};

const T0: Timestamp = Timestamp(1_700_000_000_000);

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        role,
        password_phc: "$argon2id$placeholder".into(),
        lang: Lang::En,
        must_change_password: true,
    }
}

async fn admin(s: &Store, name: &str) -> UserId {
    s.create_user(&new_user(name, Role::Admin), "cli", T0)
        .await
        .unwrap()
}

async fn details(s: &Store) -> Vec<String> {
    s.audit_page(0, 1000)
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| format!("{}/{}", e.action, e.detail))
        .collect()
}

both_backends!(
    an_account_made_by_one_admin_waits_for_another,
    |db: TestDb| async move {
        let s = &db.store;
        let a = admin(s, "admin-a").await;
        let b = admin(s, "admin-b").await;
        // Accounts made directly (the server's command line, the demo) are confirmed.
        let direct = s.user_by_id(&a).await.unwrap().unwrap();
        assert!(direct.confirmed && direct.pending.is_none() && direct.active());

        let id = s
            .create_user_pending(&new_user("new-one", Role::Caseworker), &a, "user:a", T0)
            .await
            .unwrap();
        let u = s.user_by_id(&id).await.unwrap().unwrap();
        assert!(!u.confirmed);
        assert!(!u.active(), "an unconfirmed account may not sign in");
        assert_eq!(
            u.pending,
            Some(PendingChange {
                by: a.clone(),
                role: None,
                enable: false
            })
        );
        let listed = s.list_users().await.unwrap();
        let row = listed.iter().find(|r| r.id == id).unwrap();
        assert!(!row.confirmed && row.pending.is_some());

        // Not by its creator, not something other than what waits.
        assert_eq!(
            s.confirm_account(&id, Role::Caseworker, false, &a, "user:a", T0)
                .await
                .unwrap(),
            Confirmation::OwnChange
        );
        assert_eq!(
            s.confirm_account(&id, Role::Admin, false, &b, "user:b", T0)
                .await
                .unwrap(),
            Confirmation::NotAsShown
        );
        // Nor edited while it waits.
        assert_eq!(
            s.change_account(&id, Role::Admin, false, &b, "user:b", T0)
                .await
                .unwrap(),
            AccountUpdate::Unconfirmed
        );
        assert!(!s.user_by_id(&id).await.unwrap().unwrap().confirmed);

        assert_eq!(
            s.confirm_account(&id, Role::Caseworker, false, &b, "user:b", T0)
                .await
                .unwrap(),
            Confirmation::Done
        );
        let u = s.user_by_id(&id).await.unwrap().unwrap();
        assert!(u.confirmed && u.pending.is_none() && u.active());
        assert_eq!(u.role, Role::Caseworker);
        // Done once: a second confirmation finds nothing waiting.
        assert_eq!(
            s.confirm_account(&id, Role::Caseworker, false, &b, "user:b", T0)
                .await
                .unwrap(),
            Confirmation::NotAsShown
        );
        let d = details(s).await;
        assert!(d.contains(&"account_create/caseworker,pending".to_string()));
        assert!(d.contains(&"account_confirm/new:caseworker".to_string()));
        assert_eq!(s.verify_audit(&mut |_, _| {}).await.unwrap().broken, None);
    }
);

both_backends!(
    a_waiting_account_is_removed_when_cancelled,
    |db: TestDb| async move {
        let s = &db.store;
        let a = admin(s, "admin-a").await;
        let b = admin(s, "admin-b").await;
        let keys_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM data_keys")
            .fetch_one(s.pool_for_tests())
            .await
            .unwrap();
        let id = s
            .create_user_pending(&new_user("oops", Role::Reviewer), &a, "user:a", T0)
            .await
            .unwrap();
        assert_eq!(
            s.cancel_pending(&id, "user:a", T0).await.unwrap(),
            Cancellation::Removed
        );
        assert!(s.user_by_id(&id).await.unwrap().is_none());
        let keys_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM data_keys")
            .fetch_one(s.pool_for_tests())
            .await
            .unwrap();
        assert_eq!(
            keys_after, keys_before,
            "its sealed name is shredded with its key"
        );
        // The name can be used again; another admin may cancel too.
        let id = s
            .create_user_pending(&new_user("oops", Role::Reviewer), &a, "user:a", T0)
            .await
            .unwrap();
        assert_eq!(
            s.cancel_pending(&id, "user:b", T0).await.unwrap(),
            Cancellation::Removed
        );
        // A confirmed account is never removed by a cancellation.
        assert_eq!(
            s.cancel_pending(&b, "user:a", T0).await.unwrap(),
            Cancellation::NothingPending
        );
        assert!(s.user_by_id(&b).await.unwrap().is_some());
        assert!(
            details(s)
                .await
                .contains(&"account_change/cancelled:new".to_string())
        );
    }
);

both_backends!(
    raises_wait_and_lowerings_apply_at_once,
    |db: TestDb| async move {
        let s = &db.store;
        let a = admin(s, "admin-a").await;
        let b = admin(s, "admin-b").await;
        let c = s
            .create_user(&new_user("worker", Role::Caseworker), "cli", T0)
            .await
            .unwrap();
        let get = |id: UserId| async move { s.user_by_id(&id).await.unwrap().unwrap() };

        // Caseworker to admin waits.
        assert_eq!(
            s.change_account(&c, Role::Admin, false, &a, "user:a", T0)
                .await
                .unwrap(),
            AccountUpdate::Waiting
        );
        let u = get(c.clone()).await;
        assert_eq!(u.role, Role::Caseworker);
        assert_eq!(
            u.pending,
            Some(PendingChange {
                by: a.clone(),
                role: Some(Role::Admin),
                enable: false
            })
        );
        // Asking the same again changes nothing.
        assert_eq!(
            s.change_account(&c, Role::Caseworker, false, &b, "user:b", T0)
                .await
                .unwrap(),
            AccountUpdate::Unchanged
        );
        assert!(get(c.clone()).await.pending.is_some());
        assert_eq!(
            s.confirm_account(&c, Role::Admin, false, &a, "user:a", T0)
                .await
                .unwrap(),
            Confirmation::OwnChange
        );
        // Nobody confirms a change to their own account.
        assert_eq!(
            s.confirm_account(&c, Role::Admin, false, &c, "user:c", T0)
                .await
                .unwrap(),
            Confirmation::OwnAccount
        );
        assert_eq!(
            s.confirm_account(&c, Role::Admin, false, &b, "user:b", T0)
                .await
                .unwrap(),
            Confirmation::Done
        );
        assert_eq!(get(c.clone()).await.role, Role::Admin);

        // Lowering: at once.
        assert_eq!(
            s.change_account(&c, Role::Caseworker, false, &a, "user:a", T0)
                .await
                .unwrap(),
            AccountUpdate::Done
        );
        assert_eq!(get(c.clone()).await.role, Role::Caseworker);
        // A lowering drops what waited.
        s.change_account(&c, Role::Admin, false, &a, "user:a", T0)
            .await
            .unwrap();
        assert_eq!(
            s.change_account(&c, Role::Researcher, false, &b, "user:b", T0)
                .await
                .unwrap(),
            AccountUpdate::Done
        );
        let u = get(c.clone()).await;
        assert_eq!(u.role, Role::Researcher);
        assert!(u.pending.is_none());
        // Across (researcher to reviewer) is not a lowering: it waits.
        assert_eq!(
            s.change_account(&c, Role::Reviewer, false, &a, "user:a", T0)
                .await
                .unwrap(),
            AccountUpdate::Waiting
        );
        assert_eq!(get(c.clone()).await.role, Role::Researcher);

        // Disabling: at once, sessions end, whatever waited is dropped.
        s.change_account(&c, Role::Admin, false, &a, "user:a", T0)
            .await
            .unwrap();
        s.create_session(
            &[7u8; 32],
            &c,
            "csrf",
            reunite_store::SessionStage::Full,
            T0,
        )
        .await
        .unwrap();
        assert_eq!(
            s.change_account(&c, Role::Researcher, true, &a, "user:a", T0)
                .await
                .unwrap(),
            AccountUpdate::Done
        );
        let u = get(c.clone()).await;
        assert!(u.disabled && u.pending.is_none() && !u.active());
        assert!(s.session(&[7u8; 32]).await.unwrap().is_none());

        // Re-enabling waits; with a raise at the same time, both wait together.
        assert_eq!(
            s.change_account(&c, Role::Caseworker, false, &a, "user:a", T0)
                .await
                .unwrap(),
            AccountUpdate::Waiting
        );
        let u = get(c.clone()).await;
        assert!(u.disabled);
        assert_eq!(u.role, Role::Researcher);
        assert_eq!(
            u.pending,
            Some(PendingChange {
                by: a.clone(),
                role: Some(Role::Caseworker),
                enable: true
            })
        );
        // Cancelling drops it and leaves the account as it was.
        assert_eq!(
            s.cancel_pending(&c, "user:b", T0).await.unwrap(),
            Cancellation::Dropped
        );
        let u = get(c.clone()).await;
        assert!(u.disabled && u.pending.is_none());
        s.change_account(&c, Role::Researcher, false, &a, "user:a", T0)
            .await
            .unwrap();
        assert_eq!(
            s.confirm_account(&c, Role::Researcher, true, &b, "user:b", T0)
                .await
                .unwrap(),
            Confirmation::Done
        );
        assert!(get(c.clone()).await.active());

        let d = details(s).await;
        for line in [
            "account_change/pending:admin",
            "account_confirm/admin",
            "account_change/caseworker",
            "account_change/pending_dropped",
            "account_change/pending:reviewer",
            "account_change/researcher,disabled",
            "account_change/pending:caseworker,enable",
            "account_change/cancelled",
            "account_confirm/enable",
        ] {
            assert!(d.contains(&line.to_string()), "{line} in {d:?}");
        }
        assert_eq!(s.verify_audit(&mut |_, _| {}).await.unwrap().broken, None);
    }
);

both_backends!(
    a_member_account_is_disabled_at_once_and_re_enabled_by_two,
    |db: TestDb| async move {
        let s = &db.store;
        let a = admin(s, "admin-a").await;
        let b = admin(s, "admin-b").await;
        let m = s
            .create_user(&new_user("a-mother", Role::Member), "cli", T0)
            .await
            .unwrap();
        assert_eq!(
            s.change_account(&m, Role::Member, true, &a, "user:a", T0)
                .await
                .unwrap(),
            AccountUpdate::Done
        );
        assert_eq!(
            s.change_account(&m, Role::Member, false, &a, "user:a", T0)
                .await
                .unwrap(),
            AccountUpdate::Waiting
        );
        assert!(s.user_by_id(&m).await.unwrap().unwrap().disabled);
        // What waits is a member's re-enabling: confirming anything else (a staff role)
        // applies nothing.
        assert_eq!(
            s.confirm_account(&m, Role::Caseworker, true, &b, "user:b", T0)
                .await
                .unwrap(),
            Confirmation::NotAsShown
        );
        assert_eq!(
            s.confirm_account(&m, Role::Member, true, &b, "user:b", T0)
                .await
                .unwrap(),
            Confirmation::Done
        );
        let u = s.user_by_id(&m).await.unwrap().unwrap();
        assert!(u.active());
        assert_eq!(u.role, Role::Member);
    }
);

both_backends!(
    what_waits_survives_a_backup_and_restore,
    |db: TestDb| async move {
        let (ring, k1, k2) = helpers::ring();
        let src = helpers::open_with(db.kind, ring).await.unwrap();
        let s = &src.store;
        let a = admin(s, "admin-a").await;
        let c = s
            .create_user(&new_user("worker", Role::Caseworker), "cli", T0)
            .await
            .unwrap();
        s.change_account(&c, Role::Admin, false, &a, "user:a", T0)
            .await
            .unwrap();
        let n = s
            .create_user_pending(&new_user("newbie", Role::Reviewer), &a, "user:a", T0)
            .await
            .unwrap();
        let mut buf = Vec::new();
        s.dump(&mut buf, &mut |_| {}).await.unwrap();
        // Restored with the same master key into a fresh database, it still waits.
        let dst = helpers::open_empty(db.kind, KeyRing::new(k1, vec![]))
            .await
            .unwrap();
        dst.restore_dump(&mut buf.as_slice(), &mut |_| {})
            .await
            .unwrap();
        let u = dst.user_by_id(&n).await.unwrap().unwrap();
        assert!(!u.confirmed && !u.active());
        assert_eq!(u.pending.unwrap().by, a);
        let u = dst.user_by_id(&c).await.unwrap().unwrap();
        assert_eq!(u.role, Role::Caseworker);
        assert_eq!(u.pending.unwrap().role, Some(Role::Admin));
        // A dump from before accounts waited (without these fields) restores them confirmed.
        let old: String = String::from_utf8(buf)
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                if let Some(r) = v.get_mut("r").and_then(|r| r.as_object_mut()) {
                    for k in ["confirmed", "pending_by", "pending_role", "pending_enable"] {
                        r.remove(k);
                    }
                }
                v.to_string() + "\n"
            })
            .collect();
        let dst = helpers::open_empty(db.kind, KeyRing::new(k2, vec![]))
            .await
            .unwrap();
        dst.restore_dump(&mut old.as_bytes(), &mut |_| {})
            .await
            .unwrap();
        let u = dst.user_by_id(&n).await.unwrap().unwrap();
        assert!(u.confirmed && u.pending.is_none());
    }
);

both_backends!(
    accounts_from_before_the_migration_stay_confirmed,
    |db: TestDb| async move {
        let (ring, k1, _) = helpers::ring();
        let db = helpers::open_with(db.kind, ring).await.unwrap();
        let s = &db.store;
        let id = s
            .create_user(&new_user("old-timer", Role::Caseworker), "cli", T0)
            .await
            .unwrap();
        // Take the database back to schema 7 (as an older release left it), with the
        // account in it, and open it again: migration 8 runs over the existing row.
        let pool = s.pool_for_tests();
        for col in ["confirmed", "pending_by", "pending_role", "pending_enable"] {
            sqlx::query(&format!("ALTER TABLE users DROP COLUMN {col}"))
                .execute(pool)
                .await
                .unwrap();
        }
        sqlx::query("DELETE FROM schema_migrations WHERE version = 8")
            .execute(pool)
            .await
            .unwrap();
        let again = db.reopen(KeyRing::new(k1, vec![])).await;
        let u = again.user_by_id(&id).await.unwrap().unwrap();
        assert!(u.confirmed && u.pending.is_none() && u.active());
    }
);
