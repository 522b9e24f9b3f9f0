//! Staff sessions, kept server-side. The browser holds a random token; the database holds
//! only its SHA-256, so a copy of the database cannot be used to take over a session.

use crate::{Store, StoreError};
use reunite_domain::{Timestamp, UserId};
use sqlx::Row;

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password accepted, but the account must still set a password or enrol a second
    /// factor; nothing else is reachable.
    Setup,
    /// Fully signed in.
    Full,
}

impl SessionStage {
    fn as_str(self) -> &'static str {
        match self {
            SessionStage::Setup => "setup",
            SessionStage::Full => "full",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "setup" => Ok(SessionStage::Setup),
            "full" => Ok(SessionStage::Full),
            _ => Err(StoreError::Corrupt("session stage")),
        }
    }
}

/// A stored session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Whose.
    pub user_id: UserId,
    /// The anti-CSRF token for this session's forms.
    pub csrf: String,
    /// Stage.
    pub stage: SessionStage,
    /// Started.
    pub created_at: Timestamp,
    /// Last request.
    pub last_seen: Timestamp,
    /// Last re-authentication (password and second factor again), or the epoch.
    pub reauth_at: Timestamp,
}

impl Store {
    /// Creates a session. The caller rotates: any earlier session token of this browser is
    /// deleted by the caller before.
    pub async fn create_session(
        &self,
        token_hash: &[u8],
        user: &UserId,
        csrf: &str,
        stage: SessionStage,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "INSERT INTO sessions (token_hash, user_id, csrf, stage, created_at, last_seen, reauth_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        );
        let reauth = if stage == SessionStage::Full {
            now.millis()
        } else {
            0
        };
        sqlx::query(&q)
            .bind(token_hash)
            .bind(&user.0)
            .bind(csrf)
            .bind(stage.as_str())
            .bind(now.millis())
            .bind(reauth)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session for a token hash.
    pub async fn session(&self, token_hash: &[u8]) -> Result<Option<Session>, StoreError> {
        let q = self.backend.sql(
            "SELECT user_id, csrf, stage, created_at, last_seen, reauth_at FROM sessions \
             WHERE token_hash = $1",
        );
        let Some(r) = sqlx::query(&q)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Session {
            user_id: UserId(r.try_get("user_id")?),
            csrf: r.try_get("csrf")?,
            stage: SessionStage::parse(&r.try_get::<String, _>("stage")?)?,
            created_at: Timestamp(r.try_get("created_at")?),
            last_seen: Timestamp(r.try_get("last_seen")?),
            reauth_at: Timestamp(r.try_get("reauth_at")?),
        }))
    }

    /// Marks activity on a session.
    pub async fn touch_session(&self, token_hash: &[u8], now: Timestamp) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2");
        sqlx::query(&q)
            .bind(now.millis())
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a re-authentication.
    pub async fn mark_reauthenticated(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("UPDATE sessions SET reauth_at = $1, last_seen = $1 WHERE token_hash = $2");
        sqlx::query(&q)
            .bind(now.millis())
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends one session (sign-out).
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        sqlx::query(
            &self
                .backend
                .sql("DELETE FROM sessions WHERE token_hash = $1"),
        )
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of an account (password change, disabling).
    pub async fn delete_user_sessions(&self, user: &UserId) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        sqlx::query(&self.backend.sql("DELETE FROM sessions WHERE user_id = $1"))
            .bind(&user.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes sessions idle since `idle_before` or started before `started_before`.
    pub async fn purge_sessions(
        &self,
        idle_before: Timestamp,
        started_before: Timestamp,
    ) -> Result<u64, StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2");
        let n = sqlx::query(&q)
            .bind(idle_before.millis())
            .bind(started_before.millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Number of sessions (for tests and the admin page).
    pub async fn count_sessions(&self) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}
