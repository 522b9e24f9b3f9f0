//! An office (either backend) syncing with a mirror that keeps its own SQLite file: a request
//! filed on the mirror reaches the office, the office's reply reaches the seeker through the
//! mirror, the seeker's answer comes back, what the office keeps is spared by the mirror,
//! and what expired is neither carried over nor brought back.

use crate::helpers;
use reunite_crypto::{TracingCode, seal};
use reunite_domain::Timestamp;
use reunite_store::{IntakeKeys, IntakeStore, NewIntake, OpenOptions, open_reply};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const DAY: i64 = 86_400_000;

fn file(keys: &IntakeKeys, text: &str) -> (TracingCode, NewIntake) {
    let code = TracingCode::generate();
    let new = NewIntake {
        code_lookup: keys.peppers.code_lookup(&code),
        sealed_request: seal(&keys.office, text.as_bytes()),
        sealed_reply_key: seal(
            &keys.office,
            keys.peppers.reply_key(&code).to_text().as_bytes(),
        ),
    };
    (code, new)
}

async fn mirror_db(db: &helpers::TestDb) -> IntakeStore {
    let url = reunite_store::sqlite::url_for_path(&db.dir.join("mirror.db"));
    IntakeStore::open(OpenOptions::new(url)).await.unwrap()
}

both_backends!(
    office_and_mirror_exchange_requests_replies_and_answers,
    |db: helpers::TestDb| async move {
        let s = &db.store;
        s.ensure_intake_keys(T0).await.unwrap();
        let keys = IntakeKeys::from_text(&s.export_intake_keys().await.unwrap()).unwrap();
        let office = s.intake();
        let mirror = mirror_db(&db).await;
        let cutoff = |now: Timestamp| now.plus_millis(-30 * DAY);

        // Filed on the mirror; one filed at the office (another mirror, say).
        let (code, new) = file(&keys, "on the mirror");
        let id = mirror.submit(&new, T0).await.unwrap();
        let (code2, new2) = file(&keys, "at the office");
        let id2 = office.submit(&new2, T0).await.unwrap();
        let r = office.sync_with_mirror(&mirror, cutoff(T0)).await.unwrap();
        assert_eq!((r.requests_in, r.requests_out), (1, 1));
        // Again: nothing to move.
        let r = office.sync_with_mirror(&mirror, cutoff(T0)).await.unwrap();
        assert_eq!(r, Default::default());
        let opened = s.intake_open(&id, "user:t", T0).await.unwrap();
        assert_eq!(&opened.payload[..], b"on the mirror");

        // The office replies and keeps it; the seeker reads the reply on the mirror.
        s.intake_reply(&id, "回信", "user:t", T0.plus_millis(1))
            .await
            .unwrap();
        s.intake_set_kept(&id, true, "user:t", T0.plus_millis(2))
            .await
            .unwrap();
        let r = office.sync_with_mirror(&mirror, cutoff(T0)).await.unwrap();
        assert_eq!(r.messages_out, 1);
        let lookup = keys.peppers.code_lookup(&code);
        let msgs = mirror.office_messages(&lookup).await.unwrap();
        assert_eq!(msgs.len(), 1);
        let text = open_reply(&keys.peppers.reply_key(&code), &msgs[0]).unwrap();
        assert_eq!(&text[..], "回信".as_bytes());
        // The other request is answerable on the mirror too.
        assert!(
            mirror
                .append_answer(
                    &keys.peppers.code_lookup(&code2),
                    &seal(&keys.office, "也在镜像上".as_bytes()),
                    T0.plus_millis(3)
                )
                .await
                .unwrap()
        );
        // The seeker answers on the mirror; the answer reaches the office.
        assert!(
            mirror
                .append_answer(
                    &lookup,
                    &seal(&keys.office, "谢谢".as_bytes()),
                    T0.plus_millis(4)
                )
                .await
                .unwrap()
        );
        let r = office.sync_with_mirror(&mirror, cutoff(T0)).await.unwrap();
        assert_eq!(r.messages_in, 2);
        let thread = s.intake_open(&id, "user:t", T0).await.unwrap().messages;
        assert_eq!(thread.last().unwrap().text.as_str(), "谢谢");
        let thread2 = s.intake_open(&id2, "user:t", T0).await.unwrap().messages;
        assert_eq!(thread2.last().unwrap().text.as_str(), "也在镜像上");

        // Sixty days on the office deletes the quiet request it does not keep; the next
        // sync does not bring it back from the mirror but removes it there, and the
        // mirror's own retention spares what the office keeps.
        let later = T0.plus_millis(60 * DAY);
        assert_eq!(office.purge_expired(cutoff(later)).await.unwrap(), 1);
        let r = office
            .sync_with_mirror(&mirror, cutoff(later))
            .await
            .unwrap();
        assert_eq!((r.requests_in, r.pruned), (0, 1), "{r:?}");
        assert_eq!(office.count_requests().await.unwrap(), 1);
        assert_eq!(mirror.count_requests().await.unwrap(), 1);
        assert_eq!(mirror.purge_expired(cutoff(later)).await.unwrap(), 0);
    }
);
