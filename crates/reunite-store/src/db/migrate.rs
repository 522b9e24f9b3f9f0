//! Migrations: numbered SQL files per backend, applied in order, each in a transaction.

use crate::{Backend, StoreError};
use sqlx::AnyPool;

/// (version, name, SQLite SQL, PostgreSQL SQL). Both backends carry the same versions.
pub(crate) const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../migrations/sqlite/0001_foundation.sql"),
        include_str!("../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "cases",
        include_str!("../../migrations/sqlite/0002_cases.sql"),
        include_str!("../../migrations/postgres/0002_cases.sql"),
    ),
    (
        3,
        "intake",
        include_str!("../../migrations/sqlite/0003_intake.sql"),
        include_str!("../../migrations/postgres/0003_intake.sql"),
    ),
    (
        4,
        "dna",
        include_str!("../../migrations/sqlite/0004_dna.sql"),
        include_str!("../../migrations/postgres/0004_dna.sql"),
    ),
    (
        5,
        "review",
        include_str!("../../migrations/sqlite/0005_review.sql"),
        include_str!("../../migrations/postgres/0005_review.sql"),
    ),
    (
        6,
        "travel",
        include_str!("../../migrations/sqlite/0006_travel.sql"),
        include_str!("../../migrations/postgres/0006_travel.sql"),
    ),
    (
        7,
        "wrong_pins",
        include_str!("../../migrations/sqlite/0007_wrong_pins.sql"),
        include_str!("../../migrations/postgres/0007_wrong_pins.sql"),
    ),
    (
        8,
        "account_confirmation",
        include_str!("../../migrations/sqlite/0008_account_confirmation.sql"),
        include_str!("../../migrations/postgres/0008_account_confirmation.sql"),
    ),
    (
        9,
        "teams",
        include_str!("../../migrations/sqlite/0009_teams.sql"),
        include_str!("../../migrations/postgres/0009_teams.sql"),
    ),
    (
        10,
        "second_person",
        include_str!("../../migrations/sqlite/0010_second_person.sql"),
        include_str!("../../migrations/postgres/0010_second_person.sql"),
    ),
    (
        11,
        "casework",
        include_str!("../../migrations/sqlite/0011_casework.sql"),
        include_str!("../../migrations/postgres/0011_casework.sql"),
    ),
    (
        12,
        "tasks",
        include_str!("../../migrations/sqlite/0012_tasks.sql"),
        include_str!("../../migrations/postgres/0012_tasks.sql"),
    ),
];

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    if backend == Backend::Postgres {
        // Several processes may start at once against one database.
        sqlx::query("SELECT pg_advisory_lock(72450001)")
            .execute(&mut *conn)
            .await?;
    }
    let result = apply(&mut conn, backend).await;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock(72450001)")
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
           version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let current = applied.iter().copied().max().unwrap_or(0);
    if current > latest_version() {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known: latest_version(),
        });
    }
    // Every known migration not yet recorded, in order — also one numbered below the
    // newest applied (two features developed side by side may land in either order).
    for &(version, name, lite, pg) in MIGRATIONS {
        if applied.contains(&version) {
            continue;
        }
        let sql = match backend {
            Backend::Sqlite => lite,
            Backend::Postgres => pg,
        };
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query(&backend.sql("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"))
            .bind(version)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "migration applied");
    }
    Ok(())
}
