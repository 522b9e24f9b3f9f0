//! Retention of places and the travel briefing.

use crate::cases::CaseActor;
use crate::{Store, StoreError};
use reunite_domain::{Action, NewAuditEvent, Timestamp};

impl Store {
    /// Deletes the places and check-in cities of trips that returned before `cutoff`.
    /// Returns how many trips were purged. Each purge commits with its audit event.
    pub async fn purge_trip_places(
        &self,
        cutoff: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let q = self.backend.sql(
            "SELECT id FROM trips WHERE status = 'returned' AND returned_at > 0 \
             AND returned_at < $1 AND purged_at = 0",
        );
        let ids: Vec<(String,)> = sqlx::query_as(&q)
            .bind(cutoff.millis())
            .fetch_all(&self.pool)
            .await?;
        let mut n = 0;
        for (id,) in ids {
            let event = self
                .trip_event(
                    "retention",
                    Action::RecordChange,
                    &id,
                    "trip_places_deleted",
                )
                .await?;
            let (_g, mut tx) = self.begin_write().await?;
            let q = self
                .backend
                .sql("UPDATE trips SET places_enc = NULL, purged_at = $1 WHERE id = $2");
            sqlx::query(&q)
                .bind(now.millis())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            let q = self
                .backend
                .sql("UPDATE trip_checkins SET city_enc = NULL WHERE trip_id = $1");
            sqlx::query(&q).bind(&id).execute(&mut *tx).await?;
            self.append_audit_in(&mut tx, &event, now).await?;
            tx.commit().await?;
            n += 1;
        }
        Ok(n)
    }

    /// The briefing text an admin saved for `lang`, if any (the shipped text otherwise).
    pub async fn travel_briefing(&self, lang: &str) -> Result<Option<String>, StoreError> {
        self.setting(&format!("travel.briefing.{lang}")).await
    }

    /// Saves the briefing text for `lang` (empty: back to the shipped text), audited.
    pub async fn set_travel_briefing(
        &self,
        lang: &str,
        text: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let who = self.audit_actor(actor).await?;
        let event = NewAuditEvent {
            actor: who,
            action: Action::RecordChange,
            subject: format!("travel_briefing_{lang}"),
            detail: "travel_briefing".into(),
        };
        let key = format!("travel.briefing.{lang}");
        let (_g, mut tx) = self.begin_write().await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        if text.trim().is_empty() {
            let q = self.backend.sql("DELETE FROM settings WHERE key = $1");
            sqlx::query(&q).bind(&key).execute(&mut *tx).await?;
        } else {
            let q = self.backend.sql(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            );
            sqlx::query(&q)
                .bind(&key)
                .bind(text)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
