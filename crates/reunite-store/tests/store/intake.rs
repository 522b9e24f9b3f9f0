//! Intake storage on both backends: sealed requests, code lookup, replies the seeker opens
//! with the code, sealed answers, retention, and what an intake node can and cannot open.

use crate::helpers;
use reunite_crypto::{DataKey, OfficeSecretKey, Peppers, TracingCode, open_sealed, seal};
use reunite_domain::Timestamp;
use reunite_store::{IntakeKeys, IntakeStore, NewIntake, OpenOptions, open_reply};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const DAY: i64 = 86_400_000;

/// What the public side does on submit, given the keys an intake node holds.
fn file_request(keys: &IntakeKeys, text: &str) -> (TracingCode, NewIntake) {
    let code = TracingCode::generate();
    let reply_key = keys.peppers.reply_key(&code);
    let new = NewIntake {
        code_lookup: keys.peppers.code_lookup(&code),
        sealed_request: seal(&keys.office, text.as_bytes()),
        sealed_reply_key: seal(&keys.office, reply_key.to_text().as_bytes()),
    };
    (code, new)
}

/// The intake node's keys, as a mirror would load them from its key file.
async fn mirror_keys(db: &helpers::TestDb) -> IntakeKeys {
    db.store.ensure_intake_keys(T0).await.unwrap();
    let text = db.store.export_intake_keys().await.unwrap();
    IntakeKeys::from_text(&text).unwrap()
}

both_backends!(
    request_reply_and_answer_round_trip,
    |db: helpers::TestDb| async move {
        let keys = mirror_keys(&db).await;
        let intake = db.store.intake();
        let (code, new) = file_request(&keys, r#"{"canary":"CANARY-INTAKE-1"}"#);
        let id = intake.submit(&new, T0).await.unwrap();
        assert_eq!(intake.count_requests().await.unwrap(), 1);

        // No reply yet: the seeker sees nothing.
        let lookup = keys.peppers.code_lookup(&code);
        assert!(intake.office_messages(&lookup).await.unwrap().is_empty());

        // The office opens it (audited) and replies.
        let list = db.store.intake_list(10).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].status, "new");
        let opened = db.store.intake_open(&id, "user:test", T0).await.unwrap();
        assert_eq!(&opened.payload[..], br#"{"canary":"CANARY-INTAKE-1"}"#);
        assert_eq!(db.store.intake_list(10).await.unwrap()[0].status, "opened");
        db.store
            .intake_reply(
                &id,
                "请留下方便联系的时间。",
                "user:test",
                T0.plus_millis(1),
            )
            .await
            .unwrap();

        // The seeker, holding only the code, reads it.
        let msgs = intake.office_messages(&lookup).await.unwrap();
        assert_eq!(msgs.len(), 1);
        let reply_key = keys.peppers.reply_key(&code);
        let text = open_reply(&reply_key, &msgs[0]).unwrap();
        assert_eq!(
            std::str::from_utf8(&text).unwrap(),
            "请留下方便联系的时间。"
        );

        // Another code reads nothing and cannot open this reply.
        let other = TracingCode::generate();
        assert!(
            intake
                .office_messages(&keys.peppers.code_lookup(&other))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(open_reply(&keys.peppers.reply_key(&other), &msgs[0]).is_err());
        // A reply body moved to another message id does not open.
        let mut moved = msgs[0].clone();
        moved.id = "msg-elsewhere".into();
        assert!(open_reply(&reply_key, &moved).is_err());

        // The seeker answers; an unknown code's answer goes nowhere.
        let sealed = seal(&keys.office, "晚上八点以后".as_bytes());
        assert!(
            intake
                .append_answer(&lookup, &sealed, T0.plus_millis(2))
                .await
                .unwrap()
        );
        assert!(
            !intake
                .append_answer(&keys.peppers.code_lookup(&other), &sealed, T0)
                .await
                .unwrap()
        );
        let opened = db.store.intake_open(&id, "user:test", T0).await.unwrap();
        let thread: Vec<(&str, &str)> = opened
            .messages
            .iter()
            .map(|m| (m.direction.as_str(), m.text.as_str()))
            .collect();
        assert_eq!(
            thread,
            vec![
                ("office", "请留下方便联系的时间。"),
                ("seeker", "晚上八点以后")
            ]
        );
        // The seeker's answers are never handed back to the public side.
        assert_eq!(intake.office_messages(&lookup).await.unwrap().len(), 1);
        // Opening and replying are in the audit chain.
        let report = db.store.verify_audit(&mut |_, _| {}).await.unwrap();
        assert!(report.broken.is_none() && report.events >= 3);
    }
);

both_backends!(
    an_intake_node_cannot_open_what_it_sealed,
    |db: helpers::TestDb| async move {
        let keys = mirror_keys(&db).await;
        let text = db.store.export_intake_keys().await.unwrap();
        assert!(
            !text.contains("office-sk"),
            "the secret key is not exported"
        );
        assert!(!text.contains("master"), "no master key in the mirror file");
        // A mirror opens the database with no key ring at all.
        let mut o = OpenOptions::new(db.url.clone());
        o.pg_schema = db.schema.clone();
        let mirror = IntakeStore::open(o).await.unwrap();
        let (code, new) = file_request(&keys, "CANARY-SEALED");
        mirror.submit(&new, T0).await.unwrap();
        // Everything the mirror holds, tried as the office secret key, opens nothing.
        let mut held: Vec<String> = Vec::new();
        for line in text.lines() {
            if let Some((_, v)) = line.split_once('=') {
                held.push(v.trim().to_string());
            }
        }
        assert_eq!(held.len(), 3);
        for v in &held {
            let b64 = v.rsplit(':').next().unwrap();
            if let Ok(sk) = OfficeSecretKey::from_text(&format!("reunite-office-sk-v1:{b64}")) {
                assert!(open_sealed(&sk, &new.sealed_request).is_err());
                assert!(open_sealed(&sk, &new.sealed_reply_key).is_err());
            }
        }
        // The reply key (derivable on the mirror only with the seeker's code) is not the
        // office key either.
        let rk = keys.peppers.reply_key(&code).to_text();
        let b64 = rk.rsplit(':').next().unwrap();
        let sk = OfficeSecretKey::from_text(&format!("reunite-office-sk-v1:{b64}")).unwrap();
        assert!(open_sealed(&sk, &new.sealed_request).is_err());
        // The office opens what the mirror wrote.
        let list = db.store.intake_list(10).await.unwrap();
        let opened = db
            .store
            .intake_open(&list[0].id, "user:test", T0)
            .await
            .unwrap();
        assert_eq!(&opened.payload[..], b"CANARY-SEALED");
        mirror.close().await;
    }
);

both_backends!(
    retention_deletes_quiet_unkept_requests,
    |db: helpers::TestDb| async move {
        let keys = mirror_keys(&db).await;
        let intake = db.store.intake();
        let (_, a) = file_request(&keys, "old, never opened");
        let (_, b) = file_request(&keys, "old, kept by the office");
        let (code_c, c) = file_request(&keys, "old, but the office replied recently");
        let (_, d) = file_request(&keys, "recent");
        let a = intake.submit(&a, T0).await.unwrap();
        let b = intake.submit(&b, T0).await.unwrap();
        let c = intake.submit(&c, T0).await.unwrap();
        let d = intake.submit(&d, T0.plus_millis(80 * DAY)).await.unwrap();
        db.store
            .intake_set_kept(&b, true, "user:test", T0)
            .await
            .unwrap();
        db.store
            .intake_reply(&c, "reply", "user:test", T0.plus_millis(70 * DAY))
            .await
            .unwrap();
        // 90-day retention, run on day 100.
        let now = T0.plus_millis(100 * DAY);
        let n = intake
            .purge_expired(now.plus_millis(-90 * DAY))
            .await
            .unwrap();
        assert_eq!(n, 1);
        let left: Vec<String> = db
            .store
            .intake_list(10)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert!(!left.contains(&a));
        assert!(left.contains(&b) && left.contains(&c) && left.contains(&d));
        // On day 200 everything but the kept request has gone, messages too.
        let n = intake
            .purge_expired(T0.plus_millis(200 * DAY - 90 * DAY))
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(intake.count_requests().await.unwrap(), 1);
        assert!(
            intake
                .office_messages(&keys.peppers.code_lookup(&code_c))
                .await
                .unwrap()
                .is_empty()
        );
        let msgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM intake_messages")
            .fetch_one(db.store.pool_for_tests())
            .await
            .unwrap();
        assert_eq!(msgs, 0);
    }
);

both_backends!(
    intake_keys_are_created_once_and_survive_reopening,
    |db: helpers::TestDb| async move {
        db.store.ensure_intake_keys(T0).await.unwrap();
        let first = db.store.export_intake_keys().await.unwrap();
        db.store.ensure_intake_keys(T0).await.unwrap();
        assert_eq!(*db.store.export_intake_keys().await.unwrap(), *first);
        // The secret key is stored wrapped: not in clear in settings.
        let values: Vec<String> = sqlx::query_scalar("SELECT value FROM settings")
            .fetch_all(db.store.pool_for_tests())
            .await
            .unwrap();
        assert!(values.iter().all(|v| !v.contains("office-sk")));
    }
);

#[test]
fn equal_peppers_are_refused() {
    let (pk, _sk) = reunite_crypto::office_keypair();
    let k = DataKey::generate();
    let text = format!(
        "reunite-intake-keys-v1\noffice-public-key = {}\npepper-lookup = {}\npepper-reply = {}\n",
        pk.to_text(),
        k.to_text().as_str(),
        k.to_text().as_str()
    );
    let err = IntakeKeys::from_text(&text).unwrap_err();
    assert!(
        err.to_string().contains("equal") || err.to_string().contains("pepper"),
        "{err}"
    );
    assert!(IntakeKeys::from_text("reunite-intake-keys-v1\n").is_err());
    assert!(IntakeKeys::from_text("something else").is_err());
    // Distinct peppers are accepted.
    let ok = format!(
        "reunite-intake-keys-v1\noffice-public-key = {}\npepper-lookup = {}\npepper-reply = {}\n",
        pk.to_text(),
        k.to_text().as_str(),
        DataKey::generate().to_text().as_str()
    );
    assert!(IntakeKeys::from_text(&ok).is_ok());
    let _unused: Option<Peppers> = None;
}
