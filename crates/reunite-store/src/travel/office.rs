//! The office: opening a trip, the board, acknowledging alerts.

use super::{AlertView, BoardRow, CheckinView, SELECT_META, TripDetail, TripPlan, meta_from_row};
use crate::cases::CaseActor;
use crate::db::tx::one_row_or_rollback;
use crate::{Store, StoreError, seal};
use reunite_domain::travel::{Stage, TripStatus};
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
            "SELECT id, trip_id, stage, deadline_at, raised_at, acked_at, acked_by, ack_note_enc \
             FROM trip_alerts WHERE trip_id = $1 ORDER BY raised_at, stage, id",
        );
        let rows = sqlx::query(&q).bind(trip_id).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            let acked_at: i64 = r.try_get("acked_at")?;
            let acked = if acked_at > 0 {
                let enc: Option<Vec<u8>> = r.try_get("ack_note_enc")?;
                let note = match enc {
                    Some(enc) => {
                        let ctx = seal::field("trip_alerts", "ack_note_enc", &id);
                        String::from_utf8_lossy(&reunite_crypto::open_field(key, &ctx, &enc)?)
                            .into_owned()
                    }
                    None => String::new(),
                };
                Some((Timestamp(acked_at), r.try_get("acked_by")?, note))
            } else {
                None
            };
            out.push(AlertView {
                stage: Stage::from_number(r.try_get("stage")?)
                    .ok_or(StoreError::Corrupt("alert stage"))?,
                trip_id: r.try_get("trip_id")?,
                deadline_at: Timestamp(r.try_get("deadline_at")?),
                raised_at: Timestamp(r.try_get("raised_at")?),
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
                .filter(|a| a.acked.is_none() && a.stage >= Stage::OnCall)
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

    /// Acknowledges an alert with a note (required). `Conflict` if it was acknowledged
    /// already. Returns the trip id.
    pub async fn acknowledge_trip_alert(
        &self,
        alert_id: &str,
        note: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        if note.trim().is_empty() {
            return Err(StoreError::Conflict("an acknowledgement needs a note"));
        }
        let q = self
            .backend
            .sql("SELECT trip_id FROM trip_alerts WHERE id = $1");
        let (trip_id,): (String,) = sqlx::query_as(&q)
            .bind(alert_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (key_id, key) = self.trip_key(&trip_id).await?;
        let who = self.audit_actor(actor).await?;
        let by = match actor {
            CaseActor::Staff(u) | CaseActor::Member(u) => u.0.clone(),
            CaseActor::Cli => "cli".into(),
            CaseActor::Demo => "demo".into(),
        };
        let event = self
            .trip_event(
                &who,
                Action::RecordChange,
                &trip_id,
                "trip_alert_acknowledged",
            )
            .await?;
        let enc = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field("trip_alerts", "ack_note_enc", alert_id),
            note.as_bytes(),
        );
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE trip_alerts SET acked_at = $1, acked_by = $2, ack_note_enc = $3 \
             WHERE id = $4 AND acked_at = 0",
        );
        let done = sqlx::query(&q)
            .bind(now.millis())
            .bind(by)
            .bind(enc)
            .bind(alert_id)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(StoreError::Conflict("the alert was acknowledged already"));
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(trip_id)
    }
}
