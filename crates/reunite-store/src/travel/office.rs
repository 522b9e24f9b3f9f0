//! The office: opening a trip, the board, acknowledging alerts (by two people where the
//! alert says someone hostile may be acting).

use super::{
    AlertAck, AlertView, BoardRow, CheckinView, SELECT_META, TripDetail, TripPlan, meta_from_row,
};
use crate::cases::CaseActor;
use crate::db::tx::one_row_or_rollback;
use crate::{Store, StoreError, seal};
use reunite_domain::travel::{Stage, TripStatus, TwoPerson, TwoPersonRefusal, two_person_step};
use reunite_domain::{Action, NewAuditEvent, Timestamp};
use sqlx::Row;

impl Store {
    pub(crate) async fn open_plan(&self, trip_id: &str) -> Result<TripPlan, StoreError> {
        let (_, key) = self.trip_key(trip_id).await?;
        let q = self.backend.sql("SELECT plan_enc FROM trips WHERE id = $1");
        let (enc,): (Vec<u8>,) = sqlx::query_as(&q)
            .bind(trip_id)
            .fetch_one(&self.pool)
            .await?;
        let ctx = seal::field("trips", "plan_enc", trip_id);
        let plain = reunite_crypto::open_field(&key, &ctx, &enc)?;
        serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt("trip plan"))
    }

    async fn trip_checkins(
        &self,
        trip_id: &str,
        key: &reunite_crypto::DataKey,
    ) -> Result<Vec<CheckinView>, StoreError> {
        let q = self.backend.sql(
            "SELECT id, kind, at, city_enc, spaced FROM trip_checkins WHERE trip_id = $1 \
             ORDER BY at, id",
        );
        let rows = sqlx::query(&q).bind(trip_id).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            let enc: Option<Vec<u8>> = r.try_get("city_enc")?;
            let city = match enc {
                None => String::new(),
                Some(enc) => {
                    let ctx = seal::field("trip_checkins", "city_enc", &id);
                    let plain = reunite_crypto::open_field(key, &ctx, &enc)?;
                    String::from_utf8_lossy(&plain).into_owned()
                }
            };
            out.push(CheckinView {
                kind: r.try_get("kind")?,
                at: Timestamp(r.try_get("at")?),
                spaced: r.try_get::<i64, _>("spaced")? != 0,
                city,
            });
        }
        Ok(out)
    }

    async fn trip_alerts(
        &self,
        trip_id: &str,
        key: &reunite_crypto::DataKey,
    ) -> Result<Vec<AlertView>, StoreError> {
        let q = self.backend.sql(
            "SELECT id, trip_id, stage, deadline_at, raised_at, acked_at, acked_by, ack_note_enc, \
             proposed_at, proposed_by, proposal_note_enc \
             FROM trip_alerts WHERE trip_id = $1 ORDER BY raised_at, stage, id",
        );
        let rows = sqlx::query(&q).bind(trip_id).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            // A sealed note, bound to this alert and its column.
            let note = |column: &str| -> Result<String, StoreError> {
                let enc: Option<Vec<u8>> = r.try_get(column)?;
                Ok(match enc {
                    Some(enc) => {
                        let ctx = seal::field("trip_alerts", column, &id);
                        String::from_utf8_lossy(&reunite_crypto::open_field(key, &ctx, &enc)?)
                            .into_owned()
                    }
                    None => String::new(),
                })
            };
            let acked_at: i64 = r.try_get("acked_at")?;
            let acked = if acked_at > 0 {
                Some((
                    Timestamp(acked_at),
                    r.try_get("acked_by")?,
                    note("ack_note_enc")?,
                ))
            } else {
                None
            };
            let proposed_at: i64 = r.try_get("proposed_at")?;
            let proposed = if proposed_at > 0 {
                Some((
                    Timestamp(proposed_at),
                    r.try_get("proposed_by")?,
                    note("proposal_note_enc")?,
                ))
            } else {
                None
            };
            out.push(AlertView {
                stage: Stage::from_number(r.try_get("stage")?)
                    .ok_or(StoreError::Corrupt("alert stage"))?,
                trip_id: r.try_get("trip_id")?,
                deadline_at: Timestamp(r.try_get("deadline_at")?),
                raised_at: Timestamp(r.try_get("raised_at")?),
                proposed,
                acked,
                id,
            });
        }
        Ok(out)
    }

    /// Opens a trip with its timeline. The audit event (`sensitive_read/trip`) is written
    /// first; if it cannot be, nothing is read.
    pub async fn read_trip(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<TripDetail, StoreError> {
        let meta = self.trip_meta(id).await?.ok_or(StoreError::NotFound)?;
        let who = self.audit_actor(actor).await?;
        let event = self
            .trip_event(&who, Action::SensitiveRead, id, "trip")
            .await?;
        self.append_audit(&event, now).await?;
        let (_, key) = self.trip_key(id).await?;
        let plan = self.open_plan(id).await?;
        let q = self
            .backend
            .sql("SELECT places_enc FROM trips WHERE id = $1");
        let (places_enc,): (Option<Vec<u8>>,) =
            sqlx::query_as(&q).bind(id).fetch_one(&self.pool).await?;
        let places = match places_enc {
            None => None,
            Some(enc) => {
                let ctx = seal::field("trips", "places_enc", id);
                let plain = reunite_crypto::open_field(&key, &ctx, &enc)?;
                Some(serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt("places"))?)
            }
        };
        Ok(TripDetail {
            checkins: self.trip_checkins(id, &key).await?,
            alerts: self.trip_alerts(id, &key).await?,
            meta,
            plan,
            places,
        })
    }

    /// The board: active trips and trips with open office alerts, duress first, then
    /// overdue, then by next deadline. Shows the last check-in's city, so it is a
    /// sensitive read (`sensitive_read/travel_board`), audited first.
    pub async fn travel_board(
        &self,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Vec<BoardRow>, StoreError> {
        let who = self.audit_actor(actor).await?;
        self.append_audit(
            &NewAuditEvent {
                actor: who,
                action: Action::SensitiveRead,
                subject: "travel_board".into(),
                detail: "travel_board".into(),
            },
            now,
        )
        .await?;
        let q = self.backend.sql(&format!(
            "{SELECT_META} WHERE status = 'active' OR id IN \
             (SELECT trip_id FROM trip_alerts WHERE acked_at = 0 AND stage >= $1)"
        ));
        let rows = sqlx::query(&q)
            .bind(Stage::OnCall.number())
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let meta = meta_from_row(r)?;
            let (_, key) = self.trip_key(&meta.id).await?;
            let last_city = self
                .trip_checkins(&meta.id, &key)
                .await?
                .into_iter()
                .rev()
                .find(|c| c.kind != "duress" || !c.city.is_empty())
                .map(|c| c.city)
                .unwrap_or_default();
            let open_alerts: Vec<AlertView> = self
                .trip_alerts(&meta.id, &key)
                .await?
                .into_iter()
                .filter(AlertView::is_open)
                .collect();
            let duress = open_alerts.iter().any(|a| a.stage == Stage::Duress);
            let overdue =
                meta.status == TripStatus::Active && meta.next_due_at.is_some_and(|d| d <= now);
            out.push(BoardRow {
                meta,
                last_city,
                open_alerts,
                duress,
                overdue,
            });
        }
        out.sort_by_key(|r| {
            (
                !r.duress,
                !r.overdue && r.open_alerts.is_empty(),
                r.meta.next_due_at.unwrap_or(Timestamp(i64::MAX)),
            )
        });
        Ok(out)
    }

    /// The trip an alert belongs to (nothing sealed). `NotFound` if there is no such alert.
    pub async fn alert_trip(&self, alert_id: &str) -> Result<String, StoreError> {
        let q = self
            .backend
            .sql("SELECT trip_id FROM trip_alerts WHERE id = $1");
        let (trip_id,): (String,) = sqlx::query_as(&q)
            .bind(alert_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(trip_id)
    }

    /// The first acknowledgement of an alert, with a note (required). A missed check-in is
    /// closed at once. A duress or "many wrong PINs" alert
    /// ([`Stage::needs_two_people`]) is not: the acknowledgement is recorded as a proposal
    /// (`trip_alert_ack_proposed`) and the alert stays open — on the board, escalating, the
    /// wrong-PIN alerting held — until a second, different person confirms it with
    /// [`Store::confirm_trip_alert`]. `Conflict` if it was closed or proposed already (also
    /// by someone at the same moment); `SecondPerson(ProposalWaiting)` if a proposal waits
    /// (confirm it instead); `SecondPerson(NotOffice)` for a member account.
    pub async fn acknowledge_trip_alert(
        &self,
        alert_id: &str,
        note: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<AlertAck, StoreError> {
        self.alert_step(alert_id, note, actor, false, now).await
    }

    /// The second person's confirmation of an acknowledgement that waits for one, with her
    /// own note (required): closes the alert (`trip_alert_ack_confirmed`). Refused
    /// (`SecondPerson(SamePerson)`, nothing changed) to the account that proposed it;
    /// `SecondPerson(NothingToConfirm)` if no proposal waits; `Conflict` if it was closed
    /// already (two confirmations at once close it once). Returns the trip id.
    pub async fn confirm_trip_alert(
        &self,
        alert_id: &str,
        note: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        Ok(self
            .alert_step(alert_id, note, actor, true, now)
            .await?
            .trip_id)
    }

    async fn alert_step(
        &self,
        alert_id: &str,
        note: &str,
        actor: &CaseActor,
        confirm: bool,
        now: Timestamp,
    ) -> Result<AlertAck, StoreError> {
        if note.trim().is_empty() {
            return Err(StoreError::Conflict("an acknowledgement needs a note"));
        }
        let by = office_person(actor)?;
        let q = self.backend.sql(
            "SELECT trip_id, stage, acked_at, proposed_at, proposed_by FROM trip_alerts \
             WHERE id = $1",
        );
        let row = sqlx::query(&q)
            .bind(alert_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let trip_id: String = row.try_get("trip_id")?;
        let stage =
            Stage::from_number(row.try_get("stage")?).ok_or(StoreError::Corrupt("alert stage"))?;
        if row.try_get::<i64, _>("acked_at")? > 0 {
            return Err(StoreError::Conflict("the alert was acknowledged already"));
        }
        let proposed_at: i64 = row.try_get("proposed_at")?;
        let proposed_by: String = row.try_get("proposed_by")?;
        let step = two_person_step(
            stage.needs_two_people(),
            (proposed_at > 0).then_some(proposed_by.as_str()),
            &by,
            confirm,
        )
        .map_err(StoreError::SecondPerson)?;
        let (key_id, key) = self.trip_key(&trip_id).await?;
        let who = self.audit_actor(actor).await?;
        let (column, detail) = match (step, confirm) {
            (TwoPerson::Proposed, _) => ("proposal_note_enc", "trip_alert_ack_proposed"),
            (TwoPerson::Done, true) => ("ack_note_enc", "trip_alert_ack_confirmed"),
            (TwoPerson::Done, false) => ("ack_note_enc", "trip_alert_acknowledged"),
        };
        let event = self
            .trip_event(&who, Action::RecordChange, &trip_id, detail)
            .await?;
        let enc = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field("trip_alerts", column, alert_id),
            note.as_bytes(),
        );
        let (_g, mut tx) = self.begin_write().await?;
        // Compare-and-set on what the rule was applied to: still open, the same proposal (or
        // none), and — for a confirmation — not by its proposer.
        let q = match step {
            TwoPerson::Proposed => self.backend.sql(
                "UPDATE trip_alerts SET proposed_at = $1, proposed_by = $2, \
                 proposal_note_enc = $3 WHERE id = $4 AND acked_at = 0 AND proposed_at = $5 \
                 AND proposed_by = $6",
            ),
            TwoPerson::Done => self.backend.sql(
                "UPDATE trip_alerts SET acked_at = $1, acked_by = $2, ack_note_enc = $3 \
                 WHERE id = $4 AND acked_at = 0 AND proposed_at = $5 AND proposed_by = $6 \
                 AND proposed_by <> $2",
            ),
        };
        let done = sqlx::query(&q)
            .bind(now.millis())
            .bind(&by)
            .bind(enc)
            .bind(alert_id)
            .bind(proposed_at)
            .bind(&proposed_by)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(StoreError::Conflict(
                "the alert was acknowledged by someone else meanwhile",
            ));
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(AlertAck { trip_id, step })
    }
}

/// The account id of an office actor under the two-person rule: staff by account id, the
/// command line and the demo loader by name (each one person). A member account is refused:
/// a mother's own account may be in other hands, like her phone.
pub(super) fn office_person(actor: &CaseActor) -> Result<String, StoreError> {
    match actor {
        CaseActor::Staff(u) => Ok(u.0.clone()),
        CaseActor::Cli => Ok("cli".into()),
        CaseActor::Demo => Ok("demo".into()),
        CaseActor::Member(_) => Err(StoreError::SecondPerson(TwoPersonRefusal::NotOffice)),
    }
}
