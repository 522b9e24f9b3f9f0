//! The PostgreSQL backend: connection and optional schema isolation.

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

/// Opens a pool. With `schema`, the schema is created if missing and every connection's
/// `search_path` points at it (tests give each test its own schema).
pub async fn connect(
    opts: AnyPoolOptions,
    url: &str,
    schema: Option<&str>,
) -> Result<AnyPool, sqlx::Error> {
    let Some(schema) = schema else {
        return opts.connect(url).await;
    };
    if !schema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(sqlx::Error::Configuration(
            "schema names are letters, digits and '_'".into(),
        ));
    }
    let create = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
    let set = format!("SET search_path TO {schema}");
    let pool = opts
        .after_connect(move |conn, _meta| {
            let set = set.clone();
            Box::pin(async move {
                conn.execute(set.as_str()).await?;
                Ok(())
            })
        })
        .connect_lazy(url)?;
    // The schema must exist before the first connection sets its search_path to it, which
    // PostgreSQL accepts even for a missing schema; creating it through the pool is fine.
    pool.execute(create.as_str()).await?;
    Ok(pool)
}

/// Drops a schema and everything in it (test clean-up).
pub async fn drop_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    pool.execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
        .await?;
    pool.close().await;
    Ok(())
}
