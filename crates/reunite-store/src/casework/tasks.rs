//! Follow-ups and tasks of a case, and the counts of the office home (the dashboard).
//!
//! What is to be done is sealed under the case's data key, bound to (tasks, what_enc, id).
//! When it is due, who it is assigned to, who did it and when, and what it came from are in
//! clear, so lists can be sorted and the dashboard can count without opening anything.
//! The store takes the cases the asker may open (`visible_case_ids`) as a parameter; the
//! web crate's policy decides.

use crate::db::tx::one_row_or_rollback;
use crate::{CaseActor, Store, StoreError, seal};
use reunite_domain::task::{Due, LINK_KINDS, MAX_TASK_TEXT};
use reunite_domain::travel::Stage;
use reunite_domain::{Action, NewAuditEvent, Timestamp, UserId};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// A task to record.
pub struct NewTask {
    /// The case.
    pub case_id: String,
    /// What is to be done (sealed).
    pub what: String,
    /// When it is due.
    pub due: Due,
    /// From when it is overdue (the time given, or the end of the day in the office's zone).
    pub overdue_at: Timestamp,
    /// Who is to do it (a staff member who may open the case; the web checks).
    pub assigned_to: UserId,
    /// What it came from: (kind, id), kind one of [`LINK_KINDS`].
    pub link: Option<(String, String)>,
}

impl std::fmt::Debug for NewTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTask")
            .field("case_id", &self.case_id)
            .field("what", &"[redacted]")
            .field("due", &self.due)
            .finish()
    }
}

/// One task, opened.
#[derive(Clone)]
pub struct Task {
    /// Opaque id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// What is to be done.
    pub what: String,
    /// When it is due.
    pub due: Due,
    /// From when it is overdue.
    pub overdue_at: Timestamp,
    /// Who is to do it.
    pub assigned_to: UserId,
    /// What it came from: (kind, id).
    pub link: Option<(String, String)>,
    /// Who marked it done, and when.
    pub done: Option<(String, Timestamp)>,
    /// Who recorded it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id)
            .field("case_id", &self.case_id)
            .field("what", &"[redacted]")
            .field("due", &self.due)
            .field("done", &self.done.is_some())
            .finish()
    }
}

impl Task {
    /// Not done and due before `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.done.is_none() && self.overdue_at <= now
    }
}

/// What the dashboard counts for one staff member, and over what.
#[derive(Debug)]
pub struct DashboardScope<'a> {
    /// Who asks.
    pub user: &'a UserId,
    /// The cases she may open (not under break-glass).
    pub cases: &'a HashSet<String>,
    /// She is on travel duty: every trip counts, whoever's case.
    pub all_trips: bool,
    /// She is on intake duty: new tracing requests count.
    pub intake: bool,
    /// Now.
    pub now: Timestamp,
    /// The end of today in the office's zone.
    pub today_end: Timestamp,
    /// Today's date in the office's zone (`YYYY-MM-DD`).
    pub today: &'a str,
    /// The date seven days on (`YYYY-MM-DD`).
    pub week_end: &'a str,
}

/// Counts of the office home. Nothing identifying: numbers only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    /// Her tasks, not done, overdue.
    pub tasks_overdue: u64,
    /// Her tasks, not done, due later today.
    pub tasks_today: u64,
    /// Her cases with a task (anyone's) not done and due by the end of today.
    pub cases_due: u64,
    /// New tracing requests (only on intake duty).
    pub new_requests: Option<u64>,
    /// Matches of her cases waiting for a step she may take.
    pub matches_waiting: u64,
    /// DNA tests of her cases waiting for the lab.
    pub dna_waiting: u64,
    /// DNA tests of her cases whose profiles are in, ready for the report.
    pub dna_ready: u64,
    /// Planned trips starting within seven days.
    pub trips_starting: u64,
    /// Trips under way.
    pub trips_active: u64,
    /// Trips with an unacknowledged duress alert.
    pub duress: u64,
    /// Active trips whose check-in is overdue.
    pub checkins_overdue: u64,
}

fn actor_id(actor: &CaseActor) -> String {
    match actor {
        CaseActor::Staff(u) | CaseActor::Member(u) => u.0.clone(),
        CaseActor::Cli => "cli".into(),
        CaseActor::Demo => "demo".into(),
    }
}

const SELECT_TASK: &str = "SELECT id, case_id, key_id, what_enc, due_at, all_day, overdue_at, \
     assigned_to, link_kind, link_id, done_at, done_by, created_by, created_at FROM tasks";

impl Store {
    async fn task_event(
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

    /// Records a task of a case. `NotFound` if the case does not exist; `Conflict` if the
    /// text is empty or too long or the link's kind is unknown.
    pub async fn create_task(
        &self,
        task: &NewTask,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let what = task.what.trim();
        if what.is_empty() || what.chars().count() > MAX_TASK_TEXT {
            return Err(StoreError::Conflict("a task needs a short text"));
        }
        if let Some((kind, id)) = &task.link
            && (!LINK_KINDS.contains(&kind.as_str()) || id.is_empty() || id.len() > 100)
        {
            return Err(StoreError::Conflict("unknown link"));
        }
        let q = self.backend.sql("SELECT key_id FROM cases WHERE id = $1");
        let key_id: String = sqlx::query_scalar(&q)
            .bind(&task.case_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let key = self.data_key(&key_id).await?;
        let id = crate::new_id("task");
        let enc = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field("tasks", "what_enc", &id),
            what.as_bytes(),
        );
        let subject = self.pseudonym("case", &task.case_id).await?;
        let event = self
            .task_event(actor, Action::RecordChange, subject, "task_create")
            .await?;
        let (kind, link) = task.link.clone().unwrap_or_default();
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "INSERT INTO tasks (id, case_id, key_id, what_enc, due_at, all_day, overdue_at, \
             assigned_to, link_kind, link_id, done_at, done_by, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, '', $11, $12)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(&task.case_id)
            .bind(&key_id)
            .bind(enc)
            .bind(task.due.at.millis())
            .bind(i64::from(task.due.all_day))
            .bind(task.overdue_at.millis())
            .bind(&task.assigned_to.0)
            .bind(kind)
            .bind(link)
            .bind(actor_id(actor))
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn open_tasks(&self, rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<Task>, StoreError> {
        let mut keys: HashMap<String, reunite_crypto::DataKey> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get("id")?;
            let key_id: String = r.try_get("key_id")?;
            if !keys.contains_key(&key_id) {
                let k = self.data_key(&key_id).await?;
                keys.insert(key_id.clone(), k);
            }
            let enc: Vec<u8> = r.try_get("what_enc")?;
            let plain = reunite_crypto::open_field(
                &keys[&key_id],
                &seal::field("tasks", "what_enc", &id),
                &enc,
            )?;
            let kind: String = r.try_get("link_kind")?;
            let link_id: String = r.try_get("link_id")?;
            let done_at: i64 = r.try_get("done_at")?;
            out.push(Task {
                case_id: r.try_get("case_id")?,
                what: String::from_utf8(plain.to_vec()).map_err(|_| StoreError::Corrupt("task"))?,
                due: Due {
                    at: Timestamp(r.try_get("due_at")?),
                    all_day: r.try_get::<i64, _>("all_day")? != 0,
                },
                overdue_at: Timestamp(r.try_get("overdue_at")?),
                assigned_to: UserId(r.try_get("assigned_to")?),
                link: (!kind.is_empty()).then_some((kind, link_id)),
                done: (done_at != 0)
                    .then(|| r.try_get("done_by").map(|b| (b, Timestamp(done_at))))
                    .transpose()?,
                created_by: r.try_get("created_by")?,
                created_at: Timestamp(r.try_get("created_at")?),
                id,
            });
        }
        Ok(out)
    }

    /// The tasks of a case (not done first, by due time). Audited before anything is
    /// opened; refused if the audit cannot be written.
    pub async fn tasks_of_case(
        &self,
        case_id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Vec<Task>, StoreError> {
        let subject = self.pseudonym("case", case_id).await?;
        let event = self
            .task_event(actor, Action::SensitiveRead, subject, "tasks_of_case")
            .await?;
        self.append_audit(&event, now).await?;
        let q = self.backend.sql(&format!(
            "{SELECT_TASK} WHERE case_id = $1 \
             ORDER BY CASE WHEN done_at = 0 THEN 0 ELSE 1 END, overdue_at, id"
        ));
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        self.open_tasks(rows).await
    }

    /// The tasks assigned to `user` in the cases she may open (`cases`), by due time;
    /// `done` filters done or not done. Audited before anything is opened.
    pub async fn tasks_of_user(
        &self,
        user: &UserId,
        cases: &HashSet<String>,
        done: Option<bool>,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Vec<Task>, StoreError> {
        let event = self
            .task_event(actor, Action::SensitiveRead, "my_tasks".into(), "my_tasks")
            .await?;
        self.append_audit(&event, now).await?;
        let filter = match done {
            None => "",
            Some(true) => " AND done_at <> 0",
            Some(false) => " AND done_at = 0",
        };
        let q = self.backend.sql(&format!(
            "{SELECT_TASK} WHERE assigned_to = $1{filter} ORDER BY overdue_at, id"
        ));
        let rows: Vec<_> = sqlx::query(&q)
            .bind(&user.0)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .filter(|r| {
                r.try_get::<String, _>("case_id")
                    .is_ok_and(|c| cases.contains(&c))
            })
            .collect();
        self.open_tasks(rows).await
    }

    /// The case a task belongs to.
    pub async fn case_of_task(&self, task_id: &str) -> Result<Option<String>, StoreError> {
        let q = self.backend.sql("SELECT case_id FROM tasks WHERE id = $1");
        Ok(sqlx::query_scalar(&q)
            .bind(task_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Marks a task done, recording who and when. `NotFound` if there is no such task,
    /// `Conflict` if it was done already.
    pub async fn complete_task(
        &self,
        task_id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let case_id = self
            .case_of_task(task_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let subject = self.pseudonym("case", &case_id).await?;
        let event = self
            .task_event(actor, Action::RecordChange, subject, "task_done")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("UPDATE tasks SET done_at = $1, done_by = $2 WHERE id = $3 AND done_at = 0");
        let r = sqlx::query(&q)
            .bind(now.millis())
            .bind(actor_id(actor))
            .bind(task_id)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, r.rows_affected()).await? else {
            return Err(StoreError::Conflict("the task was done already"));
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The counts of the office home for one staff member, over the cases she may open
    /// (and every trip on travel duty). Reads no sealed field except the start dates of
    /// planned trips, and audits that read.
    pub async fn dashboard(
        &self,
        scope: &DashboardScope<'_>,
        actor: &CaseActor,
    ) -> Result<Dashboard, StoreError> {
        let mine = |c: &str| scope.cases.contains(c);
        let mut d = Dashboard::default();
        // Tasks: hers, and her cases with anything due by the end of today.
        // Only what is due by the end of today counts.
        let q = self.backend.sql(
            "SELECT case_id, assigned_to, overdue_at FROM tasks \
             WHERE done_at = 0 AND overdue_at <= $1",
        );
        let rows: Vec<(String, String, i64)> = sqlx::query_as(&q)
            .bind(scope.today_end.millis())
            .fetch_all(&self.pool)
            .await?;
        let mut due_cases = HashSet::new();
        for (case, who, at) in &rows {
            if !mine(case) {
                continue;
            }
            let at = Timestamp(*at);
            if *who == scope.user.0 {
                if at <= scope.now {
                    d.tasks_overdue += 1;
                } else if at <= scope.today_end {
                    d.tasks_today += 1;
                }
            }
            if at <= scope.today_end {
                due_cases.insert(case.as_str());
            }
        }
        d.cases_due = due_cases.len() as u64;
        if scope.intake {
            let q = self
                .backend
                .sql("SELECT COUNT(*) FROM intake_requests WHERE status = $1");
            let n: i64 = sqlx::query_scalar(&q)
                .bind(crate::intake::STATUS_NEW)
                .fetch_one(&self.pool)
                .await?;
            d.new_requests = Some(n as u64);
        }
        // Matches: proposed (to verify), verified (to ask her), approved (to connect);
        // asked and consented wait for someone other than the verifier (her answer, which
        // the verifier may not record; the second approval).
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT case_id, state, verified_by FROM match_candidates \
             WHERE state IN ('proposed', 'verified', 'asked', 'consented', 'approved')",
        )
        .fetch_all(&self.pool)
        .await?;
        d.matches_waiting = rows
            .iter()
            .filter(|(c, state, by)| {
                mine(c)
                    && (matches!(state.as_str(), "proposed" | "verified" | "approved")
                        || by.as_deref() != Some(scope.user.0.as_str()))
            })
            .count() as u64;
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT case_id, status FROM dna_tests \
             WHERE status IN ('registered', 'samples_sent', 'profiles_received')",
        )
        .fetch_all(&self.pool)
        .await?;
        for (c, status) in &rows {
            if mine(c) {
                if status == "profiles_received" {
                    d.dna_ready += 1;
                } else {
                    d.dna_waiting += 1;
                }
            }
        }
        // Trips she may open: her cases', or all on travel duty.
        let trip_ok = |c: &str| scope.all_trips || mine(c);
        let q = self.backend.sql(
            "SELECT t.id, t.case_id, t.status, t.next_due_at, \
             (SELECT COUNT(*) FROM trip_alerts a WHERE a.trip_id = t.id AND a.acked_at = 0 \
              AND a.stage = $1) AS duress \
             FROM trips t WHERE t.status IN ('planned', 'active')",
        );
        let rows = sqlx::query(&q)
            .bind(Stage::Duress.number())
            .fetch_all(&self.pool)
            .await?;
        let mut planned = Vec::new();
        for r in &rows {
            let case: String = r.try_get("case_id")?;
            if !trip_ok(&case) {
                continue;
            }
            let status: String = r.try_get("status")?;
            let next_due: i64 = r.try_get("next_due_at")?;
            let duress: i64 = r.try_get("duress")?;
            if duress > 0 {
                d.duress += 1;
            }
            if status == "active" {
                d.trips_active += 1;
                if next_due > 0 && next_due <= scope.now.millis() {
                    d.checkins_overdue += 1;
                }
            } else {
                planned.push(r.try_get::<String, _>("id")?);
            }
        }
        if !planned.is_empty() {
            let event = self
                .task_event(
                    actor,
                    Action::SensitiveRead,
                    "dashboard".into(),
                    "dashboard_trip_dates",
                )
                .await?;
            self.append_audit(&event, scope.now).await?;
            for id in planned {
                let plan = self.open_plan(&id).await?;
                if scope.today <= plan.starts_on.as_str()
                    && plan.starts_on.as_str() <= scope.week_end
                {
                    d.trips_starting += 1;
                }
            }
        }
        Ok(d)
    }
}
