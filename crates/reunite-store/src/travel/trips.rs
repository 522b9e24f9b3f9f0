//! Registering a trip and moving it through its statuses (ending one with an open alert
//! takes two people).

use super::office::office_person;
use super::{NewTrip, SELECT_META, TripMeta, code_lookup, meta_from_row, new_code};
use crate::cases::CaseActor;
use crate::db::tx::one_row_or_rollback;
use crate::platform::keys::SystemKey;
use crate::{Store, StoreError, seal};
use reunite_crypto::Zeroizing;
use reunite_domain::travel::{Stage, TripStatus, TwoPerson, two_person_step};
use reunite_domain::{Action, NewAuditEvent, Timestamp};

impl Store {
    pub(super) async fn trip_event(
        &self,
        actor: &str,
        action: Action,
        trip_id: &str,
        detail: &str,
    ) -> Result<NewAuditEvent, StoreError> {
        Ok(NewAuditEvent {
            actor: actor.to_string(),
            action,
            subject: self.pseudonym("trip", trip_id).await?,
            detail: detail.into(),
        })
    }

    pub(super) async fn trip_key(
        &self,
        trip_id: &str,
    ) -> Result<(String, reunite_crypto::DataKey), StoreError> {
        let q = self.backend.sql("SELECT key_id FROM trips WHERE id = $1");
        let (key_id,): (String,) = sqlx::query_as(&q)
            .bind(trip_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let key = self.data_key(&key_id).await?;
        Ok((key_id, key))
    }

    /// Registers a trip (status `planned`). Returns its id and the check-in code, which is
    /// shown once and kept only as a keyed hash. `NotFound` if the case does not exist.
    pub async fn create_trip(
        &self,
        new: &NewTrip,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(String, Zeroizing<String>), StoreError> {
        if self.case_meta(&new.case_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let index = self.system_key(SystemKey::Index).await?;
        let who = self.audit_actor(actor).await?;
        let plan = Zeroizing::new(
            serde_json::to_vec(&new.plan).map_err(|_| StoreError::Corrupt("trip plan"))?,
        );
        let places = Zeroizing::new(
            serde_json::to_vec(&new.places).map_err(|_| StoreError::Corrupt("trip places"))?,
        );
        let schedule =
            serde_json::to_string(&new.schedule).map_err(|_| StoreError::Corrupt("schedule"))?;
        for _ in 0..5 {
            let id = crate::new_id("trip");
            let code = new_code();
            let lookup = code_lookup(&index, &code);
            let event = self
                .trip_event(&who, Action::RecordCreate, &id, "trip")
                .await?;
            let (_g, mut tx) = self.begin_write().await?;
            let q = self
                .backend
                .sql("SELECT id FROM trips WHERE code_lookup = $1");
            let taken: Option<(String,)> = sqlx::query_as(&q)
                .bind(lookup.to_vec())
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                continue;
            }
            self.append_audit_in(&mut tx, &event, now).await?;
            let (key_id, key) = self.new_data_key(&mut tx, "trips", now).await?;
            let plan_enc = reunite_crypto::seal_field(
                &key,
                &key_id,
                &seal::field("trips", "plan_enc", &id),
                &plan,
            );
            let places_enc = reunite_crypto::seal_field(
                &key,
                &key_id,
                &seal::field("trips", "places_enc", &id),
                &places,
            );
            let q = self.backend.sql(
                "INSERT INTO trips (id, case_id, key_id, plan_enc, places_enc, code_lookup, \
                 pin_phc, duress_phc, schedule, status, briefing_lang, briefing_hash, \
                 briefed_at, activated_at, returned_at, purged_at, next_due_at, stage_sent, \
                 last_checkin_at, wrong_pins, last_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', 0, 0, 0, 0, 0, 0, \
                 0, 0, 0, $11, $11)",
            );
            sqlx::query(&q)
                .bind(&id)
                .bind(&new.case_id)
                .bind(&key_id)
                .bind(plan_enc)
                .bind(places_enc)
                .bind(lookup.to_vec())
                .bind(&new.pin_phc)
                .bind(&new.duress_phc)
                .bind(&schedule)
                .bind(TripStatus::Planned.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok((id, code));
        }
        Err(StoreError::Conflict("no free check-in code"))
    }

    /// What is in clear about a trip.
    pub async fn trip_meta(&self, id: &str) -> Result<Option<TripMeta>, StoreError> {
        let q = self.backend.sql(&format!("{SELECT_META} WHERE id = $1"));
        let row = sqlx::query(&q).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(meta_from_row).transpose()
    }

    /// The trips of a case, newest first (nothing sealed).
    pub async fn trips_of_case(&self, case_id: &str) -> Result<Vec<TripMeta>, StoreError> {
        let q = self.backend.sql(&format!(
            "{SELECT_META} WHERE case_id = $1 ORDER BY created_at DESC, id"
        ));
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        rows.iter().map(meta_from_row).collect()
    }

    /// Records that she read and confirmed the safety briefing (in `lang`, the text whose
    /// hash is `text_hash`). Only a planned trip; `Conflict` otherwise.
    pub async fn confirm_trip_briefing(
        &self,
        id: &str,
        lang: &str,
        text_hash: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let who = self.audit_actor(actor).await?;
        let event = self
            .trip_event(&who, Action::RecordChange, id, "trip_briefing_confirmed")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE trips SET briefing_lang = $1, briefing_hash = $2, briefed_at = $3, \
             updated_at = $3 WHERE id = $4 AND status = 'planned'",
        );
        let done = sqlx::query(&q)
            .bind(lang)
            .bind(text_hash)
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(self.trip_missing_or(id, "the trip is not planned").await);
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn trip_missing_or(&self, id: &str, why: &'static str) -> StoreError {
        match self.trip_meta(id).await {
            Ok(Some(_)) => StoreError::Conflict(why),
            Ok(None) => StoreError::NotFound,
            Err(e) => e,
        }
    }

    /// Starts the trip: check-ins are expected from now on. Refused (`Conflict`) unless the
    /// briefing was confirmed and the trip is planned.
    pub async fn activate_trip(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Timestamp, StoreError> {
        let meta = self.trip_meta(id).await?.ok_or(StoreError::NotFound)?;
        if meta.briefed.is_none() {
            return Err(StoreError::Conflict("the briefing is not confirmed"));
        }
        let due = meta
            .schedule
            .next_deadline(now)
            .map_err(|_| StoreError::Corrupt("trip schedule"))?;
        let who = self.audit_actor(actor).await?;
        let event = self
            .trip_event(&who, Action::RecordChange, id, "trip_activated")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE trips SET status = 'active', activated_at = $1, next_due_at = $2, \
             stage_sent = 0, updated_at = $1 \
             WHERE id = $3 AND status = 'planned' AND briefed_at > 0",
        );
        let done = sqlx::query(&q)
            .bind(now.millis())
            .bind(due.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(StoreError::Conflict("the trip is not planned"));
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(due)
    }

    /// Ends an active trip from the office (she called to say she is back). Without an open
    /// office alert (see [`AlertView::is_open`](super::AlertView::is_open)) it ends at once
    /// (`trip_ended`). With one — unacknowledged or waiting for its second person — the
    /// request is recorded as a proposal (`trip_end_proposed`) and the trip stays active,
    /// watched and escalating, until a second, different person confirms it with
    /// [`Store::confirm_end_trip`]. `Conflict` if the trip is not active, or if an alert was
    /// raised or another request recorded meanwhile (look again);
    /// `SecondPerson(ProposalWaiting)` if a proposal waits (confirm it instead).
    pub async fn end_trip(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<TwoPerson, StoreError> {
        self.end_step(id, actor, false, now).await
    }

    /// The second person's confirmation of a request to end a trip: ends it
    /// (`trip_end_confirmed`). Refused (`SecondPerson(SamePerson)`, nothing changed) to the
    /// account that proposed it; `SecondPerson(NothingToConfirm)` if no request waits (none
    /// was made, or an alert raised since dropped it); `Conflict` if the trip is not active
    /// or changed meanwhile.
    pub async fn confirm_end_trip(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.end_step(id, actor, true, now).await.map(|_| ())
    }

    async fn end_step(
        &self,
        id: &str,
        actor: &CaseActor,
        confirm: bool,
        now: Timestamp,
    ) -> Result<TwoPerson, StoreError> {
        let by = office_person(actor)?;
        let meta = self.trip_meta(id).await?.ok_or(StoreError::NotFound)?;
        if meta.status != TripStatus::Active {
            return Err(StoreError::Conflict("the trip is not active"));
        }
        let q = self.backend.sql(
            "SELECT COUNT(*) FROM trip_alerts WHERE trip_id = $1 AND acked_at = 0 AND stage >= $2",
        );
        let open: i64 = sqlx::query_scalar(&q)
            .bind(id)
            .bind(Stage::OnCall.number())
            .fetch_one(&self.pool)
            .await?;
        let (proposed_at, proposed_by) = match &meta.end_proposed {
            Some((at, by)) => (at.millis(), by.clone()),
            None => (0, String::new()),
        };
        let step = two_person_step(
            open > 0,
            meta.end_proposed.as_ref().map(|(_, by)| by.as_str()),
            &by,
            confirm,
        )
        .map_err(StoreError::SecondPerson)?;
        let who = self.audit_actor(actor).await?;
        let detail = match (step, confirm) {
            (TwoPerson::Proposed, _) => "trip_end_proposed",
            (TwoPerson::Done, true) => "trip_end_confirmed",
            (TwoPerson::Done, false) => "trip_ended",
        };
        let event = self
            .trip_event(&who, Action::RecordChange, id, detail)
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        // Compare-and-set on what the rule was applied to: still active, no alert raised
        // since it was read (an alert adds one to alert_seq), the same request (or none).
        let q = match (step, confirm) {
            (TwoPerson::Proposed, _) => self.backend.sql(
                "UPDATE trips SET end_proposed_at = $1, end_proposed_by = $2, updated_at = $1 \
                 WHERE id = $3 AND status = 'active' AND alert_seq = $4 \
                 AND end_proposed_at = $5 AND end_proposed_by = $6",
            ),
            (TwoPerson::Done, true) => self.backend.sql(
                "UPDATE trips SET status = 'returned', returned_at = $1, updated_at = $1 \
                 WHERE id = $3 AND status = 'active' AND alert_seq = $4 \
                 AND end_proposed_at = $5 AND end_proposed_by = $6 AND end_proposed_by <> $2",
            ),
            (TwoPerson::Done, false) => self.backend.sql(
                "UPDATE trips SET status = 'returned', returned_at = $1, updated_at = $1 \
                 WHERE id = $3 AND status = 'active' AND alert_seq = $4 \
                 AND end_proposed_at = $5 AND end_proposed_by = $6 AND $2 = $2",
            ),
        };
        let done = sqlx::query(&q)
            .bind(now.millis())
            .bind(&by)
            .bind(id)
            .bind(meta.alert_seq)
            .bind(proposed_at)
            .bind(&proposed_by)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(self
                .trip_missing_or(id, "the trip changed meanwhile (an alert or a request)")
                .await);
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(step)
    }
}
