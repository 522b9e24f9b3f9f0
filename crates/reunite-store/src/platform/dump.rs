//! A logical dump of the database as JSON Lines, the inside of an encrypted backup.
//!
//! Values are copied as stored: envelopes stay envelopes, so the dump is no more readable
//! than the database. Being logical, a dump taken from PostgreSQL restores into SQLite and
//! the other way round. Sessions are not dumped: a restore signs everyone out.

use crate::{Store, StoreError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};
use sqlx::Row;
use std::io::{BufRead, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    OptText,
    Int,
    Blob,
    OptBlob,
    OptInt,
    /// An integer that dumps from before its column existed lack: restored as this value.
    IntOr(i64),
}

/// Tables in restore order (parents before children), with their columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "data_keys",
        &[
            ("id", Kind::Text),
            ("purpose", Kind::Text),
            ("master_key_id", Kind::Text),
            ("wrapped", Kind::Blob),
            ("created_at", Kind::Int),
        ],
    ),
    (
        "users",
        &[
            ("id", Kind::Text),
            ("key_id", Kind::Text),
            ("username_index", Kind::Blob),
            ("username_enc", Kind::Blob),
            ("role", Kind::Text),
            ("password_phc", Kind::Text),
            ("totp_enc", Kind::OptBlob),
            ("totp_pending_enc", Kind::OptBlob),
            ("totp_last_step", Kind::Int),
            ("must_change_password", Kind::Int),
            ("lang", Kind::Text),
            ("disabled", Kind::Int),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
            // Four eyes (migration 8); older dumps restore their accounts confirmed.
            ("confirmed", Kind::IntOr(1)),
            ("pending_by", Kind::OptText),
            ("pending_role", Kind::OptText),
            ("pending_enable", Kind::IntOr(0)),
        ],
    ),
    (
        "audit_events",
        &[
            ("seq", Kind::Int),
            ("event_id", Kind::Text),
            ("at", Kind::Int),
            ("actor", Kind::Text),
            ("action", Kind::Text),
            ("subject", Kind::Text),
            ("detail", Kind::Text),
            ("prev_hash", Kind::Blob),
            ("hash", Kind::Blob),
        ],
    ),
    ("settings", &[("key", Kind::Text), ("value", Kind::OptText)]),
    (
        "teams",
        &[
            ("id", Kind::Text),
            ("name", Kind::Text),
            ("created_at", Kind::Int),
        ],
    ),
    (
        "team_members",
        &[
            ("team_id", Kind::Text),
            ("user_id", Kind::Text),
            ("supervisor", Kind::Int),
            ("added_at", Kind::Int),
        ],
    ),
    (
        "staff_duties",
        &[
            ("user_id", Kind::Text),
            ("duty", Kind::Text),
            ("granted_by", Kind::Text),
            ("granted_at", Kind::Int),
        ],
    ),
    (
        "cases",
        &[
            ("id", Kind::Text),
            ("key_id", Kind::Text),
            ("record_enc", Kind::Blob),
            ("status", Kind::Text),
            ("assigned_to", Kind::OptText),
            ("version", Kind::Int),
            ("change_seq", Kind::Int),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
            ("team_id", Kind::OptText),
        ],
    ),
    (
        "break_glass",
        &[
            ("id", Kind::Text),
            ("user_id", Kind::Text),
            ("case_id", Kind::Text),
            ("key_id", Kind::Text),
            ("reason_enc", Kind::Blob),
            ("at", Kind::Int),
            ("until_at", Kind::Int),
        ],
    ),
    (
        "case_versions",
        &[
            ("case_id", Kind::Text),
            ("version", Kind::Int),
            ("at", Kind::Int),
            ("actor", Kind::Text),
            ("change_enc", Kind::Blob),
        ],
    ),
    (
        "intake_requests",
        &[
            ("id", Kind::Text),
            ("code_lookup", Kind::Blob),
            ("sealed_request", Kind::Blob),
            ("sealed_reply_key", Kind::Blob),
            ("status", Kind::Text),
            ("created_at", Kind::Int),
            ("last_activity", Kind::Int),
            ("matched_at", Kind::OptInt),
        ],
    ),
    (
        "intake_messages",
        &[
            ("id", Kind::Text),
            ("request_id", Kind::Text),
            ("direction", Kind::Text),
            ("body", Kind::Blob),
            ("created_at", Kind::Int),
        ],
    ),
    (
        "dna_tests",
        &[
            ("id", Kind::Text),
            ("case_id", Kind::Text),
            ("match_ref", Kind::OptText),
            ("key_id", Kind::Text),
            ("details_enc", Kind::Blob),
            ("profiles_enc", Kind::OptBlob),
            ("status", Kind::Text),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
            ("version", Kind::Int),
        ],
    ),
    (
        "match_candidates",
        &[
            ("id", Kind::Text),
            ("request_id", Kind::Text),
            ("case_id", Kind::Text),
            ("key_id", Kind::Text),
            ("detail_enc", Kind::Blob),
            ("excerpt_enc", Kind::OptBlob),
            ("state", Kind::Text),
            ("verified_by", Kind::OptText),
            ("approved_by", Kind::OptText),
            ("consent_by", Kind::OptText),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
        ],
    ),
    (
        "match_steps",
        &[
            ("candidate_id", Kind::Text),
            ("seq", Kind::Int),
            ("step", Kind::Text),
            ("from_state", Kind::Text),
            ("to_state", Kind::Text),
            ("actor", Kind::Text),
            ("at", Kind::Int),
            ("note_enc", Kind::OptBlob),
        ],
    ),
    (
        "members",
        &[("user_id", Kind::Text), ("case_id", Kind::Text)],
    ),
    (
        "member_messages",
        &[
            ("id", Kind::Text),
            ("case_id", Kind::Text),
            ("key_id", Kind::Text),
            ("direction", Kind::Text),
            ("body_enc", Kind::Blob),
            ("created_at", Kind::Int),
        ],
    ),
    // Travel safety (issue 8).
    (
        "trips",
        &[
            ("id", Kind::Text),
            ("case_id", Kind::Text),
            ("key_id", Kind::Text),
            ("plan_enc", Kind::Blob),
            ("places_enc", Kind::OptBlob),
            ("code_lookup", Kind::Blob),
            ("pin_phc", Kind::Text),
            ("duress_phc", Kind::Text),
            ("schedule", Kind::Text),
            ("status", Kind::Text),
            ("briefing_lang", Kind::Text),
            ("briefing_hash", Kind::Text),
            ("briefed_at", Kind::Int),
            ("activated_at", Kind::Int),
            ("returned_at", Kind::Int),
            ("purged_at", Kind::Int),
            ("next_due_at", Kind::Int),
            ("stage_sent", Kind::Int),
            ("last_checkin_at", Kind::Int),
            ("wrong_pins", Kind::Int),
            ("last_attempt_at", Kind::Int),
            ("throttle_wrong", Kind::Int),
            ("end_proposed_at", Kind::Int),
            ("end_proposed_by", Kind::Text),
            ("alert_seq", Kind::Int),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
        ],
    ),
    (
        "trip_checkins",
        &[
            ("id", Kind::Text),
            ("trip_id", Kind::Text),
            ("kind", Kind::Text),
            ("at", Kind::Int),
            ("city_enc", Kind::OptBlob),
            ("spaced", Kind::Int),
        ],
    ),
    (
        "trip_alerts",
        &[
            ("id", Kind::Text),
            ("trip_id", Kind::Text),
            ("stage", Kind::Int),
            ("deadline_at", Kind::Int),
            ("raised_at", Kind::Int),
            ("acked_at", Kind::Int),
            ("acked_by", Kind::Text),
            ("ack_note_enc", Kind::OptBlob),
            ("proposed_at", Kind::Int),
            ("proposed_by", Kind::Text),
            ("proposal_note_enc", Kind::OptBlob),
        ],
    ),
    (
        "case_notes",
        &[
            ("id", Kind::Text),
            ("case_id", Kind::Text),
            ("key_id", Kind::Text),
            ("kind", Kind::Text),
            ("visibility", Kind::Text),
            ("author", Kind::Text),
            ("noted_on", Kind::Text),
            ("text_enc", Kind::Blob),
            ("created_at", Kind::Int),
        ],
    ),
    (
        "case_services",
        &[
            ("id", Kind::Text),
            ("case_id", Kind::Text),
            ("key_id", Kind::Text),
            ("kind", Kind::Text),
            ("status", Kind::Text),
            ("provider_enc", Kind::Blob),
            ("start_on", Kind::Text),
            ("end_on", Kind::Text),
            ("amount_minor", Kind::OptInt),
            ("currency", Kind::OptText),
            ("purpose_enc", Kind::OptBlob),
            ("created_by", Kind::Text),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
        ],
    ),
    (
        "referrals",
        &[
            ("id", Kind::Text),
            ("service_id", Kind::Text),
            ("case_id", Kind::Text),
            ("key_id", Kind::Text),
            ("partner_enc", Kind::Blob),
            ("shared", Kind::Text),
            ("extra_enc", Kind::OptBlob),
            ("consent_at", Kind::Int),
            ("outcome", Kind::Text),
            ("created_by", Kind::Text),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
        ],
    ),
    (
        "trip_outbox",
        &[
            ("id", Kind::Text),
            ("alert_id", Kind::Text),
            ("target", Kind::Text),
            ("created_at", Kind::Int),
            ("next_try_at", Kind::Int),
            ("sent_at", Kind::Int),
            ("attempts", Kind::Int),
        ],
    ),
    (
        "tasks",
        &[
            ("id", Kind::Text),
            ("case_id", Kind::Text),
            ("key_id", Kind::Text),
            ("what_enc", Kind::Blob),
            ("due_at", Kind::Int),
            ("all_day", Kind::Int),
            ("overdue_at", Kind::Int),
            ("assigned_to", Kind::Text),
            ("link_kind", Kind::Text),
            ("link_id", Kind::Text),
            ("done_at", Kind::Int),
            ("done_by", Kind::Text),
            ("created_by", Kind::Text),
            ("created_at", Kind::Int),
        ],
    ),
];

/// Tables deliberately left out of dumps.
pub const NOT_DUMPED: &[&str] = &["sessions", "schema_migrations"];

/// Names of the dumped tables (a test checks that every table is either dumped or listed in
/// [`NOT_DUMPED`]).
pub fn dumped_tables() -> Vec<&'static str> {
    TABLES.iter().map(|t| t.0).collect()
}

/// Counts of what a dump or restore moved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpStats {
    /// Rows per table.
    pub rows: Vec<(String, u64)>,
}

impl DumpStats {
    /// All rows.
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|r| r.1).sum()
    }
}

fn order_column(table: &str) -> &'static str {
    match table {
        "audit_events" => "seq",
        "settings" => "key",
        "case_versions" => "case_id, version",
        "match_steps" => "candidate_id, seq",
        "members" => "user_id",
        "team_members" => "team_id, user_id",
        "staff_duties" => "user_id, duty",
        _ => "id",
    }
}

impl Store {
    /// Writes every dumped table as JSON Lines. `progress` gets the rows written so far.
    pub async fn dump(
        &self,
        out: &mut (dyn Write + Send),
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<DumpStats, StoreError> {
        let version = crate::db::migrate::latest_version();
        writeln!(
            out,
            "{}",
            json!({"format": "reunite-dump", "version": 1, "schema": version})
        )?;
        let mut stats = DumpStats::default();
        let mut written = 0u64;
        for (table, cols) in TABLES {
            let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
            let q = format!(
                "SELECT {} FROM {table} ORDER BY {}",
                names.join(", "),
                order_column(table)
            );
            let rows = sqlx::query(&q).fetch_all(&self.pool).await?;
            for r in &rows {
                let mut obj = Map::new();
                for (name, kind) in cols.iter() {
                    let v = match kind {
                        Kind::Text => Value::String(r.try_get(*name)?),
                        Kind::OptText => r
                            .try_get::<Option<String>, _>(*name)?
                            .map_or(Value::Null, Value::String),
                        Kind::Int | Kind::IntOr(_) => Value::from(r.try_get::<i64, _>(*name)?),
                        Kind::Blob => Value::String(B64.encode(r.try_get::<Vec<u8>, _>(*name)?)),
                        Kind::OptBlob => r
                            .try_get::<Option<Vec<u8>>, _>(*name)?
                            .map_or(Value::Null, |b| Value::String(B64.encode(b))),
                        Kind::OptInt => r
                            .try_get::<Option<i64>, _>(*name)?
                            .map_or(Value::Null, Value::from),
                    };
                    obj.insert((*name).to_string(), v);
                }
                writeln!(out, "{}", json!({"t": table, "r": obj}))?;
                written += 1;
                if written.is_multiple_of(1000) {
                    progress(written);
                }
            }
            stats.rows.push(((*table).to_string(), rows.len() as u64));
        }
        progress(written);
        out.flush()?;
        Ok(stats)
    }

    /// Loads a dump into this store, which must be empty (no data keys, users or events).
    /// One transaction: a damaged dump leaves the database as it was.
    pub async fn restore_dump(
        &self,
        input: &mut (dyn BufRead + Send),
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<DumpStats, StoreError> {
        for (table, _) in TABLES {
            if *table == "settings" {
                continue;
            }
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&self.pool)
                .await?;
            if n > 0 {
                return Err(StoreError::Conflict("restore needs an empty database"));
            }
        }
        let (_g, mut tx) = self.begin_write().await?;
        sqlx::query("DELETE FROM settings")
            .execute(&mut *tx)
            .await?;
        let mut lines = input.lines();
        let bad = |line: usize, m: &str| StoreError::Dump {
            line,
            message: m.to_string(),
        };
        let header = lines.next().ok_or_else(|| bad(1, "empty dump"))??;
        let header: Value = serde_json::from_str(&header).map_err(|_| bad(1, "not a dump"))?;
        if header.get("format") != Some(&json!("reunite-dump")) {
            return Err(bad(1, "not a reunite dump"));
        }
        let schema = header.get("schema").and_then(Value::as_i64).unwrap_or(0);
        if schema > crate::db::migrate::latest_version() {
            return Err(StoreError::SchemaTooNew {
                found: schema,
                known: crate::db::migrate::latest_version(),
            });
        }
        let mut counts: Vec<(String, u64)> = TABLES.iter().map(|t| (t.0.to_string(), 0)).collect();
        let mut n = 0u64;
        for (i, line) in lines.enumerate() {
            let lineno = i + 2;
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(&line).map_err(|e| bad(lineno, &e.to_string()))?;
            let table = v
                .get("t")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(lineno, "no table"))?;
            let (ti, (tname, cols)) = TABLES
                .iter()
                .enumerate()
                .find(|(_, t)| t.0 == table)
                .ok_or_else(|| bad(lineno, "unknown table"))?;
            let row = v
                .get("r")
                .and_then(Value::as_object)
                .ok_or_else(|| bad(lineno, "no row"))?;
            let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
            let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
            let q = self.backend.sql(&format!(
                "INSERT INTO {tname} ({}) VALUES ({})",
                names.join(", "),
                placeholders.join(", ")
            ));
            let mut query = sqlx::query(&q);
            for (name, kind) in cols.iter() {
                let val = row.get(*name).unwrap_or(&Value::Null);
                let missing = || bad(lineno, &format!("{tname}.{name} has the wrong type"));
                query = match kind {
                    Kind::Text => query.bind(val.as_str().ok_or_else(missing)?.to_string()),
                    Kind::OptText => query.bind(val.as_str().map(str::to_string)),
                    Kind::Int => query.bind(val.as_i64().ok_or_else(missing)?),
                    Kind::Blob => query.bind(
                        B64.decode(val.as_str().ok_or_else(missing)?)
                            .map_err(|_| missing())?,
                    ),
                    Kind::OptBlob => match val.as_str() {
                        Some(s) => query.bind(Some(B64.decode(s).map_err(|_| missing())?)),
                        None => query.bind(None::<Vec<u8>>),
                    },
                    Kind::OptInt => match val {
                        Value::Null => query.bind(None::<i64>),
                        v => query.bind(Some(v.as_i64().ok_or_else(missing)?)),
                    },
                    Kind::IntOr(default) => match val {
                        Value::Null => query.bind(*default),
                        v => query.bind(v.as_i64().ok_or_else(missing)?),
                    },
                };
            }
            query.execute(&mut *tx).await?;
            counts[ti].1 += 1;
            n += 1;
            if n.is_multiple_of(1000) {
                progress(n);
            }
        }
        tx.commit().await?;
        progress(n);
        Ok(DumpStats { rows: counts })
    }
}
