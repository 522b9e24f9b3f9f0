//! Escalation of missed check-ins and the outbox of alert messages.

use super::{
    Delivery, EscalationReport, HEARTBEAT_SETTING, OutboxItem, SELECT_META, meta_from_row,
};
use crate::{Store, StoreError};
use reunite_domain::travel::Stage;
use reunite_domain::{Action, Timestamp};
use sqlx::Row;

impl Store {
    /// One scheduler run at `now`: raises every stage that active trips' missed deadlines
    /// have reached and that was not raised yet, and records the run for the watchdog.
    /// Idempotent; safe to run from several processes.
    pub async fn travel_escalate(&self, now: Timestamp) -> Result<EscalationReport, StoreError> {
        let q = self.backend.sql(&format!(
            "{SELECT_META} WHERE status = 'active' AND next_due_at > 0 AND next_due_at <= $1 \
             ORDER BY next_due_at"
        ));
        let rows = sqlx::query(&q)
            .bind(now.millis())
            .fetch_all(&self.pool)
            .await?;
        let mut report = EscalationReport::default();
        for row in &rows {
            let meta = meta_from_row(row)?;
            let Some(deadline) = meta.next_due_at else {
                continue;
            };
            let Some(reached) = meta.schedule.stage_at(deadline, now) else {
                continue;
            };
            if reached.number() <= meta.stage_sent {
                continue;
            }
            let event = self
                .trip_event("scheduler", Action::RecordCreate, &meta.id, "trip_alert")
                .await?;
            let (_g, mut tx) = self.begin_write().await?;
            // Only if nobody checked in or escalated since we read the row.
            let q = self.backend.sql(
                "UPDATE trips SET stage_sent = $1 WHERE id = $2 AND status = 'active' \
                 AND next_due_at = $3 AND stage_sent = $4",
            );
            let done = sqlx::query(&q)
                .bind(reached.number())
                .bind(&meta.id)
                .bind(deadline.millis())
                .bind(meta.stage_sent)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                continue;
            }
            self.append_audit_in(&mut tx, &event, now).await?;
            for stage in [Stage::Reminder, Stage::OnCall, Stage::Senior] {
                if stage.number() > meta.stage_sent
                    && stage <= reached
                    && self
                        .insert_alert(&mut tx, &meta.id, stage, deadline, now)
                        .await?
                {
                    report.raised += 1;
                }
            }
            tx.commit().await?;
        }
        self.set_setting(HEARTBEAT_SETTING, &now.millis().to_string())
            .await?;
        Ok(report)
    }

    /// When the scheduler last ran (any process).
    pub async fn travel_heartbeat(&self) -> Result<Option<Timestamp>, StoreError> {
        Ok(self
            .setting(HEARTBEAT_SETTING)
            .await?
            .and_then(|v| v.parse().ok())
            .map(Timestamp))
    }

    /// Number of active trips (the watchdog only matters when there are some).
    pub async fn active_trip_count(&self) -> Result<i64, StoreError> {
        let q = "SELECT COUNT(*) FROM trips WHERE status = 'active'";
        let n: i64 = sqlx::query_scalar(q).fetch_one(&self.pool).await?;
        Ok(n)
    }

    /// Messages due to be sent at `now`, oldest first. Never one to the traveller of a trip
    /// with a duress check-in (those are dropped at the duress check-in; this also holds
    /// for one read just before it).
    pub async fn travel_outbox_due(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let q = self.backend.sql(
            "SELECT o.id, o.alert_id, a.trip_id, o.target, a.stage, a.deadline_at, o.attempts \
             FROM trip_outbox o JOIN trip_alerts a ON a.id = o.alert_id \
             WHERE o.sent_at = 0 AND o.next_try_at <= $1 \
             AND NOT (o.target = 'traveller' AND EXISTS (SELECT 1 FROM trip_checkins c \
             WHERE c.trip_id = a.trip_id AND c.kind = 'duress')) \
             ORDER BY o.created_at, o.id LIMIT $2",
        );
        let rows = sqlx::query(&q)
            .bind(now.millis())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxItem {
                    id: r.try_get("id")?,
                    alert_id: r.try_get("alert_id")?,
                    trip_id: r.try_get("trip_id")?,
                    target: r.try_get("target")?,
                    stage: Stage::from_number(r.try_get("stage")?)
                        .ok_or(StoreError::Corrupt("alert stage"))?,
                    deadline_at: Timestamp(r.try_get("deadline_at")?),
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Opens what a message to her or her contacts needs. Audited (`trip_addresses`, by the
    /// scheduler) before anything is opened.
    pub async fn travel_delivery(
        &self,
        trip_id: &str,
        now: Timestamp,
    ) -> Result<Delivery, StoreError> {
        let event = self
            .trip_event(
                "scheduler",
                Action::SensitiveRead,
                trip_id,
                "trip_addresses",
            )
            .await?;
        self.append_audit(&event, now).await?;
        let plan = self.open_plan(trip_id).await?;
        Ok(Delivery {
            lang: plan.lang.clone(),
            reminder_to: plan.reminder_to.clone(),
            contacts: plan.contacts.iter().map(|c| c.address.clone()).collect(),
        })
    }

    /// Marks a message sent (or retried later, when `retry_at` is given).
    pub async fn travel_outbox_result(
        &self,
        id: &str,
        sent: bool,
        retry_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = if sent {
            self.backend.sql(
                "UPDATE trip_outbox SET sent_at = $1, attempts = attempts + 1 \
                 WHERE id = $3 AND $2 = $2",
            )
        } else {
            self.backend.sql(
                "UPDATE trip_outbox SET next_try_at = $2, attempts = attempts + 1 \
                 WHERE id = $3 AND $1 = $1",
            )
        };
        sqlx::query(&q)
            .bind(now.millis())
            .bind(retry_at.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
