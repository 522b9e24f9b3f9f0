//! The check-in page: finding a trip by its code, wrong PINs, check-ins.

use super::{CheckinKind, CheckinTarget, code_lookup, targets};
use crate::platform::keys::SystemKey;
use crate::{Store, StoreError, seal};
use reunite_domain::travel::Stage;
use reunite_domain::{Action, Timestamp};
use sqlx::Row;

impl Store {
    /// The active trip a check-in code belongs to, if any.
    pub async fn checkin_target(&self, code: &str) -> Result<Option<CheckinTarget>, StoreError> {
        let index = self.system_key(SystemKey::Index).await?;
        let lookup = code_lookup(&index, code);
        let q = self.backend.sql(
            "SELECT id, pin_phc, duress_phc, wrong_pins, throttle_wrong, last_attempt_at FROM trips \
             WHERE code_lookup = $1 AND status = 'active'",
        );
        let row = sqlx::query(&q)
            .bind(lookup.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(CheckinTarget {
                trip_id: r.try_get("id")?,
                pin_phc: r.try_get("pin_phc")?,
                duress_phc: r.try_get("duress_phc")?,
                wrong_pins: r.try_get("wrong_pins")?,
                throttle_wrong: r.try_get("throttle_wrong")?,
                last_attempt_at: Timestamp(r.try_get("last_attempt_at")?),
            })
        })
        .transpose()
    }

    /// Counts a wrong PIN for a trip: in the trip's total (for the office, never reset) and
    /// in the throttle's count. `answered`: the attempt was answered truthfully (not while
    /// answers were being spaced out), so the next answer is spaced from now. Once the
    /// total reaches `alert_after`, an office alert "many wrong PINs" (on-call only, never
    /// her own address) is raised in the same transaction unless one is open already; after
    /// an acknowledgement, the next wrong PIN raises a new one.
    pub async fn record_wrong_pin(
        &self,
        trip_id: &str,
        answered: bool,
        alert_after: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let event = self
            .trip_event("traveller", Action::SignInFailed, trip_id, "trip_wrong_pin")
            .await?;
        let alert_event = self
            .trip_event("traveller", Action::RecordCreate, trip_id, "trip_alert")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = if answered {
            self.backend.sql(
                "UPDATE trips SET wrong_pins = wrong_pins + 1, throttle_wrong = throttle_wrong + 1, \
                 last_attempt_at = $1 WHERE id = $2",
            )
        } else {
            self.backend.sql(
                "UPDATE trips SET wrong_pins = wrong_pins + 1, throttle_wrong = throttle_wrong + 1 \
                 WHERE id = $2 AND $1 = $1",
            )
        };
        sqlx::query(&q)
            .bind(now.millis())
            .bind(trip_id)
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        let q = self.backend.sql(
            "SELECT t.wrong_pins, (SELECT COUNT(*) FROM trip_alerts a WHERE a.trip_id = t.id \
             AND a.stage = $1 AND a.acked_at = 0) AS open_alerts FROM trips t WHERE t.id = $2",
        );
        let row = sqlx::query(&q)
            .bind(Stage::WrongPins.number())
            .bind(trip_id)
            .fetch_one(&mut *tx)
            .await?;
        let total: i64 = row.try_get("wrong_pins")?;
        let open: i64 = row.try_get("open_alerts")?;
        if total >= alert_after.max(1)
            && open == 0
            && self
                .insert_alert(&mut tx, trip_id, Stage::WrongPins, now, now)
                .await?
        {
            self.append_audit_in(&mut tx, &alert_event, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a check-in. `Ok` and `Duress` move the deadline exactly alike (so that
    /// nothing on her side shows a difference); `Duress` also raises the highest alert in
    /// the same transaction, which only an acknowledgement in the office closes. `Back` ends
    /// the trip. The count of wrong PINs is kept; the throttle's count starts again (as
    /// after a check-in answered "saved": see [`Store::record_page_checkin`]).
    pub async fn record_checkin(
        &self,
        trip_id: &str,
        kind: CheckinKind,
        city: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.record_page_checkin(trip_id, kind, city, true, now)
            .await
    }

    /// [`Store::record_checkin`] as the check-in page does it: `answered` says whether the
    /// page answers "saved" (then the throttle's count of wrong PINs starts again and the
    /// next answer may come at once) or, while answers are being spaced out, the same as
    /// to a wrong PIN (then the throttle is left as it is). A check-in is recorded either
    /// way (marked `spaced` when not answered, for the office); the trip's count of wrong
    /// PINs is never reset.
    pub async fn record_page_checkin(
        &self,
        trip_id: &str,
        kind: CheckinKind,
        city: &str,
        answered: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let meta = self.trip_meta(trip_id).await?.ok_or(StoreError::NotFound)?;
        let due = meta
            .schedule
            .next_deadline(now)
            .map_err(|_| StoreError::Corrupt("trip schedule"))?;
        let (key_id, key) = self.trip_key(trip_id).await?;
        let checkin_event = self
            .trip_event("traveller", Action::RecordChange, trip_id, "trip_checkin")
            .await?;
        let alert_event = self
            .trip_event("traveller", Action::RecordCreate, trip_id, "trip_alert")
            .await?;
        let id = crate::new_id("chk");
        let city_enc = (!city.is_empty()).then(|| {
            reunite_crypto::seal_field(
                &key,
                &key_id,
                &seal::field("trip_checkins", "city_enc", &id),
                city.as_bytes(),
            )
        });
        let (_g, mut tx) = self.begin_write().await?;
        // Rows first, the audit events last: on PostgreSQL the audit event takes the audit
        // chain's lock until commit, and every other writer of a trip (ending it, escalation,
        // wrong PINs) locks the trip's row before that lock; taking them the other way round
        // here deadlocked with an office ending the trip at the same moment.
        let q = self.backend.sql(
            "INSERT INTO trip_checkins (id, trip_id, kind, at, city_enc, spaced) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(trip_id)
            .bind(kind.as_str())
            .bind(now.millis())
            .bind(city_enc)
            .bind(i64::from(!answered))
            .execute(&mut *tx)
            .await?;
        let throttle = if answered {
            ", throttle_wrong = 0, last_attempt_at = $1"
        } else {
            ""
        };
        let q = match kind {
            CheckinKind::Back => self.backend.sql(&format!(
                "UPDATE trips SET status = 'returned', returned_at = $1, last_checkin_at = $1, \
                 updated_at = $1{throttle} WHERE id = $3 AND status = 'active' AND $2 = $2"
            )),
            CheckinKind::Ok | CheckinKind::Duress => self.backend.sql(&format!(
                "UPDATE trips SET last_checkin_at = $1, next_due_at = $2, stage_sent = 0, \
                 updated_at = $1{throttle} WHERE id = $3 AND status = 'active'"
            )),
        };
        sqlx::query(&q)
            .bind(now.millis())
            .bind(due.millis())
            .bind(trip_id)
            .execute(&mut *tx)
            .await?;
        if kind == CheckinKind::Duress {
            // Her phone may be in other hands from now on: a message to her that is still
            // waiting is dropped (and `insert_alert` queues none for this trip again).
            let q = self.backend.sql(
                "DELETE FROM trip_outbox WHERE target = 'traveller' AND sent_at = 0 \
                 AND alert_id IN (SELECT id FROM trip_alerts WHERE trip_id = $1)",
            );
            sqlx::query(&q).bind(trip_id).execute(&mut *tx).await?;
            self.insert_alert(&mut tx, trip_id, Stage::Duress, now, now)
                .await?;
        }
        self.append_audit_in(&mut tx, &checkin_event, now).await?;
        if kind == CheckinKind::Duress {
            self.append_audit_in(&mut tx, &alert_event, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Inserts an alert and its outgoing messages unless it exists. True if inserted. After
    /// a duress check-in on the trip, nothing is queued for the traveller herself. Every
    /// alert inserted counts in `trips.alert_seq` and drops a waiting end proposal.
    pub(super) async fn insert_alert(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        trip_id: &str,
        stage: Stage,
        deadline: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let alert_id = crate::new_id("alert");
        let q = self.backend.sql(
            "INSERT INTO trip_alerts (id, trip_id, stage, deadline_at, raised_at, acked_at, \
             acked_by, ack_note_enc) VALUES ($1, $2, $3, $4, $5, 0, '', NULL) \
             ON CONFLICT (trip_id, deadline_at, stage) DO NOTHING",
        );
        let done = sqlx::query(&q)
            .bind(&alert_id)
            .bind(trip_id)
            .bind(stage.number())
            .bind(deadline.millis())
            .bind(now.millis())
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        // One more alert on the trip: a request to end it that waits for a second person was
        // made before this alert and is dropped, and an end being decided right now (which
        // compares alert_seq) fails instead of passing over it (issue 16, finding 4).
        let q = self.backend.sql(
            "UPDATE trips SET alert_seq = alert_seq + 1, end_proposed_at = 0, \
             end_proposed_by = '' WHERE id = $1",
        );
        sqlx::query(&q).bind(trip_id).execute(&mut **tx).await?;
        let q = self
            .backend
            .sql("SELECT COUNT(*) FROM trip_checkins WHERE trip_id = $1 AND kind = 'duress'");
        let duress: i64 = sqlx::query_scalar(&q)
            .bind(trip_id)
            .fetch_one(&mut **tx)
            .await?;
        for target in targets(stage) {
            if duress > 0 && target == "traveller" {
                continue;
            }
            let q = self.backend.sql(
                "INSERT INTO trip_outbox (id, alert_id, target, created_at, next_try_at, \
                 sent_at, attempts) VALUES ($1, $2, $3, $4, $4, 0, 0)",
            );
            sqlx::query(&q)
                .bind(crate::new_id("msg"))
                .bind(&alert_id)
                .bind(target)
                .bind(now.millis())
                .execute(&mut **tx)
                .await?;
        }
        Ok(true)
    }
}
