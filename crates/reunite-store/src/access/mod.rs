//! Who stands in what relation to a case: teams and their members, standing duties
//! (travel, intake), and break-glass openings. The store answers facts ("she is on the
//! case's team"); the web crate's policy module decides what the facts allow.
//!
//! Team names and memberships describe the office, not the mothers, and are kept in clear.
//! A break-glass reason is sealed under the case's data key, bound to its row.

use crate::cases::CaseMeta;
use crate::db::tx::one_row_or_rollback;
use crate::{CaseActor, Store, StoreError, seal};
use reunite_domain::{Action, Duty, NewAuditEvent, Timestamp, UserId, Vocab};
use sqlx::Row;

/// Longest team name.
pub const MAX_TEAM_NAME: usize = 80;

/// A team of staff who share cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Opaque id.
    pub id: String,
    /// Its name (office structure, not personal data of a mother).
    pub name: String,
    /// Its members.
    pub members: Vec<TeamMember>,
}

/// One member of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// The account.
    pub user_id: UserId,
    /// A supervisor of the team (reads what the team reads, and is named for restricted
    /// work such as counselling notes).
    pub supervisor: bool,
}

/// What one staff member reaches beyond the cases assigned to her.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Teams she belongs to.
    pub teams: Vec<String>,
    /// Teams she supervises (a subset of `teams`).
    pub supervises: Vec<String>,
    /// Her standing duties.
    pub duties: Vec<Duty>,
}

impl Reach {
    /// Whether she holds `duty`.
    pub fn has(&self, duty: Duty) -> bool {
        self.duties.contains(&duty)
    }
}

/// One staff member's relation to one case: the facts a decision needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    /// The case is assigned to her.
    pub assigned: bool,
    /// She is on the case's team.
    pub team: bool,
    /// She supervises the case's team.
    pub supervisor: bool,
    /// She opened it under break-glass and the time has not run out.
    pub glass: bool,
}

/// A break-glass opening, as the case's team sees it.
#[derive(Debug, Clone)]
pub struct GlassEntry {
    /// Who opened the case.
    pub user_id: UserId,
    /// When.
    pub at: Timestamp,
    /// Until when the opening lasts.
    pub until: Timestamp,
    /// Her reason (opened only for the case's team).
    pub reason: String,
}

/// A case as an admin sees it on the assignment page: nothing of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAssignment {
    /// Interchange id.
    pub id: String,
    /// Status (stored in clear).
    pub status: String,
    /// Assigned caseworker.
    pub assigned_to: Option<UserId>,
    /// Team.
    pub team_id: Option<String>,
    /// Registered.
    pub created_at: Timestamp,
}

/// Why a team could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamNameError {
    /// Empty after trimming.
    Empty,
    /// Longer than [`MAX_TEAM_NAME`].
    TooLong,
    /// Another team has it.
    Taken,
}

impl Store {
    async fn access_event(
        &self,
        actor: &CaseActor,
        action: Action,
        subject: String,
        detail: &str,
    ) -> Result<NewAuditEvent, StoreError> {
        Ok(NewAuditEvent {
            actor: self.audit_actor(actor).await?,
            action,
            subject,
            detail: detail.into(),
        })
    }

    /// Makes a team. Names are unique (compared after trimming).
    pub async fn create_team(
        &self,
        name: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Result<String, TeamNameError>, StoreError> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(Err(TeamNameError::Empty));
        }
        if name.chars().count() > MAX_TEAM_NAME {
            return Ok(Err(TeamNameError::TooLong));
        }
        let id = crate::new_id("team");
        let event = self
            .access_event(
                actor,
                Action::AccountChange,
                format!("team:{id}"),
                "team_create",
            )
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("SELECT COUNT(*) FROM teams WHERE name = $1");
        let taken: i64 = sqlx::query_scalar(&q)
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        if taken > 0 {
            return Ok(Err(TeamNameError::Taken));
        }
        let q = self
            .backend
            .sql("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)");
        sqlx::query(&q)
            .bind(&id)
            .bind(name)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// Every team with its members, by name.
    pub async fn list_teams(&self) -> Result<Vec<Team>, StoreError> {
        let rows = sqlx::query("SELECT id, name FROM teams ORDER BY name, id")
            .fetch_all(&self.pool)
            .await?;
        let members = sqlx::query(
            "SELECT team_id, user_id, supervisor FROM team_members ORDER BY team_id, user_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut teams = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get("id")?;
            let mut t = Team {
                id: id.clone(),
                name: r.try_get("name")?,
                members: Vec::new(),
            };
            for m in &members {
                let team: String = m.try_get("team_id")?;
                if team == id {
                    t.members.push(TeamMember {
                        user_id: UserId(m.try_get("user_id")?),
                        supervisor: m.try_get::<i64, _>("supervisor")? != 0,
                    });
                }
            }
            teams.push(t);
        }
        Ok(teams)
    }

    /// Adds `user` to a team (or changes whether she supervises it), or with `None` takes
    /// her off it. `NotFound` if the team or the account does not exist.
    pub async fn set_team_member(
        &self,
        team_id: &str,
        user: &UserId,
        membership: Option<bool>,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let detail = match membership {
            Some(true) => "team_supervisor",
            Some(false) => "team_member",
            None => "team_leave",
        };
        let subject = self.pseudonym("user", &user.0).await?;
        let event = self
            .access_event(actor, Action::AccountChange, subject, detail)
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "SELECT (SELECT COUNT(*) FROM teams WHERE id = $1) + \
                    (SELECT COUNT(*) FROM users WHERE id = $2)",
        );
        let n: i64 = sqlx::query_scalar(&q)
            .bind(team_id)
            .bind(&user.0)
            .fetch_one(&mut *tx)
            .await?;
        if n != 2 {
            return Err(StoreError::NotFound);
        }
        let q = self
            .backend
            .sql("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2");
        sqlx::query(&q)
            .bind(team_id)
            .bind(&user.0)
            .execute(&mut *tx)
            .await?;
        if let Some(supervisor) = membership {
            let q = self.backend.sql(
                "INSERT INTO team_members (team_id, user_id, supervisor, added_at) \
                 VALUES ($1, $2, $3, $4)",
            );
            sqlx::query(&q)
                .bind(team_id)
                .bind(&user.0)
                .bind(i64::from(supervisor))
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
        }
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives or takes a standing duty. `NotFound` if the account does not exist.
    pub async fn set_duty(
        &self,
        user: &UserId,
        duty: Duty,
        on: bool,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let subject = self.pseudonym("user", &user.0).await?;
        let detail = if on { "duty_grant" } else { "duty_remove" };
        let event = self
            .access_event(actor, Action::AccountChange, subject, detail)
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql("SELECT COUNT(*) FROM users WHERE id = $1");
        let n: i64 = sqlx::query_scalar(&q)
            .bind(&user.0)
            .fetch_one(&mut *tx)
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let q = self
            .backend
            .sql("DELETE FROM staff_duties WHERE user_id = $1 AND duty = $2");
        sqlx::query(&q)
            .bind(&user.0)
            .bind(duty.as_str())
            .execute(&mut *tx)
            .await?;
        if on {
            let q = self.backend.sql(
                "INSERT INTO staff_duties (user_id, duty, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4)",
            );
            sqlx::query(&q)
                .bind(&user.0)
                .bind(duty.as_str())
                .bind(actor.column())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
        }
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every staff member's duties (for the accounts page).
    pub async fn all_duties(&self) -> Result<Vec<(UserId, Duty)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT user_id, duty FROM staff_duties ORDER BY user_id, duty")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(u, d)| Some((UserId(u), d.parse().ok()?)))
            .collect())
    }

    /// What `user` reaches beyond her own cases: her teams and duties.
    pub async fn reach(&self, user: &UserId) -> Result<Reach, StoreError> {
        let q = self
            .backend
            .sql("SELECT team_id, supervisor FROM team_members WHERE user_id = $1");
        let rows: Vec<(String, i64)> = sqlx::query_as(&q)
            .bind(&user.0)
            .fetch_all(&self.pool)
            .await?;
        let q = self
            .backend
            .sql("SELECT duty FROM staff_duties WHERE user_id = $1 ORDER BY duty");
        let duties: Vec<(String,)> = sqlx::query_as(&q)
            .bind(&user.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(Reach {
            supervises: rows
                .iter()
                .filter(|r| r.1 != 0)
                .map(|r| r.0.clone())
                .collect(),
            teams: rows.into_iter().map(|r| r.0).collect(),
            duties: duties
                .into_iter()
                .filter_map(|d| d.0.parse().ok())
                .collect(),
        })
    }

    /// `user`'s relation to a case, with what may be known of the case without reading it;
    /// `None` if there is no such case.
    pub async fn relation(
        &self,
        user: &UserId,
        case_id: &str,
        now: Timestamp,
    ) -> Result<Option<(CaseMeta, Relation)>, StoreError> {
        let Some(meta) = self.case_meta(case_id).await? else {
            return Ok(None);
        };
        let (team, supervisor) = match &meta.team_id {
            None => (false, false),
            Some(team) => {
                let q = self
                    .backend
                    .sql("SELECT supervisor FROM team_members WHERE team_id = $1 AND user_id = $2");
                let row: Option<(i64,)> = sqlx::query_as(&q)
                    .bind(team)
                    .bind(&user.0)
                    .fetch_optional(&self.pool)
                    .await?;
                (row.is_some(), row.is_some_and(|r| r.0 != 0))
            }
        };
        let q = self.backend.sql(
            "SELECT COUNT(*) FROM break_glass WHERE user_id = $1 AND case_id = $2 AND until_at > $3",
        );
        let glass: i64 = sqlx::query_scalar(&q)
            .bind(&user.0)
            .bind(case_id)
            .bind(now.millis())
            .fetch_one(&self.pool)
            .await?;
        let rel = Relation {
            assigned: meta.assigned_to.as_ref() == Some(user),
            team,
            supervisor,
            glass: glass > 0,
        };
        Ok(Some((meta, rel)))
    }

    /// Puts a case in a team (or in none). Audited; the case's version grows so every
    /// office list sees the change.
    pub async fn set_case_team(
        &self,
        case_id: &str,
        team_id: Option<&str>,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let subject = self.pseudonym("case", case_id).await?;
        let event = self
            .access_event(actor, Action::RecordChange, subject, "team")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        if let Some(t) = team_id {
            let q = self.backend.sql("SELECT COUNT(*) FROM teams WHERE id = $1");
            let n: i64 = sqlx::query_scalar(&q).bind(t).fetch_one(&mut *tx).await?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
        let seq = self.next_change_seq(&mut tx).await?;
        let q = self
            .backend
            .sql("UPDATE cases SET team_id = $1, change_seq = $2, updated_at = $3 WHERE id = $4");
        let done = sqlx::query(&q)
            .bind(team_id)
            .bind(seq)
            .bind(now.millis())
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(StoreError::NotFound);
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cases as the assignment page lists them (no record is opened): newest first,
    /// optionally only those without a caseworker. Returns the page and the total.
    pub async fn case_assignments(
        &self,
        unassigned_only: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<CaseAssignment>, i64), StoreError> {
        let filter = if unassigned_only {
            " WHERE assigned_to IS NULL"
        } else {
            ""
        };
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM cases{filter}"))
            .fetch_one(&self.pool)
            .await?;
        let q = self.backend.sql(&format!(
            "SELECT id, status, assigned_to, team_id, created_at FROM cases{filter} \
             ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
        ));
        let rows = sqlx::query(&q)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(CaseAssignment {
                    id: r.try_get("id")?,
                    status: r.try_get("status")?,
                    assigned_to: r.try_get::<Option<String>, _>("assigned_to")?.map(UserId),
                    team_id: r.try_get("team_id")?,
                    created_at: Timestamp(r.try_get("created_at")?),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((items, total))
    }

    /// Opens a case that is not hers for `minutes`, with her reason: recorded (the reason
    /// sealed), audited before anything of the case is read, and shown to the case's team.
    pub async fn break_glass(
        &self,
        user: &UserId,
        case_id: &str,
        reason: &str,
        minutes: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let q = self.backend.sql("SELECT key_id FROM cases WHERE id = $1");
        let (key_id,): (String,) = sqlx::query_as(&q)
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let key = self.data_key(&key_id).await?;
        let id = crate::new_id("glass");
        let enc = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field("break_glass", "reason_enc", &id),
            reason.as_bytes(),
        );
        let subject = self.pseudonym("case", case_id).await?;
        let event = self
            .access_event(
                &CaseActor::Staff(user.clone()),
                Action::BreakGlass,
                subject,
                "opened",
            )
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "INSERT INTO break_glass (id, user_id, case_id, key_id, reason_enc, at, until_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(&user.0)
            .bind(case_id)
            .bind(&key_id)
            .bind(enc)
            .bind(now.millis())
            .bind(now.millis() + minutes * 60_000)
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every break-glass opening of a case, newest first, with the reasons opened (for the
    /// case's team; the caller decides who sees this).
    pub async fn glass_of_case(&self, case_id: &str) -> Result<Vec<GlassEntry>, StoreError> {
        let q = self.backend.sql(
            "SELECT id, user_id, key_id, reason_enc, at, until_at FROM break_glass \
             WHERE case_id = $1 ORDER BY at DESC, id",
        );
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get("id")?;
            let key_id: String = r.try_get("key_id")?;
            let key = self.data_key(&key_id).await?;
            let enc: Vec<u8> = r.try_get("reason_enc")?;
            let plain = reunite_crypto::open_field(
                &key,
                &seal::field("break_glass", "reason_enc", &id),
                &enc,
            )?;
            out.push(GlassEntry {
                user_id: UserId(r.try_get("user_id")?),
                at: Timestamp(r.try_get("at")?),
                until: Timestamp(r.try_get("until_at")?),
                reason: String::from_utf8_lossy(&plain).into_owned(),
            });
        }
        Ok(out)
    }

    /// The cases `user` works on (assigned to her, or in one of her teams), and, with
    /// `with_glass`, those she holds open under break-glass at `now`.
    pub async fn visible_case_ids(
        &self,
        user: &UserId,
        with_glass: bool,
        now: Timestamp,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let q = self.backend.sql(
            "SELECT id FROM cases WHERE assigned_to = $1 \
             OR team_id IN (SELECT team_id FROM team_members WHERE user_id = $1)",
        );
        let mut ids: std::collections::HashSet<String> = sqlx::query_as::<_, (String,)>(&q)
            .bind(&user.0)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
        if with_glass {
            let q = self
                .backend
                .sql("SELECT case_id FROM break_glass WHERE user_id = $1 AND until_at > $2");
            let rows: Vec<(String,)> = sqlx::query_as(&q)
                .bind(&user.0)
                .bind(now.millis())
                .fetch_all(&self.pool)
                .await?;
            ids.extend(rows.into_iter().map(|r| r.0));
        }
        Ok(ids)
    }

    /// The case a trip belongs to, or the case of the trip an alert belongs to.
    pub async fn case_of_trip_or_alert(
        &self,
        trip_id: Option<&str>,
        alert_id: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let q = self.backend.sql(
            "SELECT t.case_id FROM trips t WHERE t.id = $1 \
             UNION SELECT t.case_id FROM trips t JOIN trip_alerts a ON a.trip_id = t.id \
             WHERE a.id = $2",
        );
        let row: Option<(String,)> = sqlx::query_as(&q)
            .bind(trip_id.unwrap_or(""))
            .bind(alert_id.unwrap_or(""))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// The tracing requests a match links to any of `cases`.
    pub async fn requests_of_cases(
        &self,
        cases: &std::collections::HashSet<String>,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT DISTINCT request_id, case_id FROM match_candidates")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, c)| cases.contains(c))
            .map(|(r, _)| r)
            .collect())
    }

    /// The cases linked by a match to a tracing request (who, besides intake, may open it).
    pub async fn cases_of_request(&self, request_id: &str) -> Result<Vec<String>, StoreError> {
        let q = self.backend.sql(
            "SELECT DISTINCT case_id FROM match_candidates WHERE request_id = $1 ORDER BY case_id",
        );
        let rows: Vec<(String,)> = sqlx::query_as(&q)
            .bind(request_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
