//! Travel safety (issue 8): trips of a case, check-ins, escalation alerts and their
//! outgoing messages, acknowledgements, and the retention of places.
//!
//! What identifies a journey is sealed under the trip's own data key: the plan (dates,
//! purpose, reminder address, contacts) in `plan_enc`, the cities and places to stay in
//! `places_enc`, each check-in's city in `trip_checkins.city_enc`, acknowledgement notes in
//! `trip_alerts.ack_note_enc`. The check-in code is kept only as a keyed hash and the two
//! PINs only as Argon2id strings. The schedule and escalation state are in clear, so the
//! scheduler runs without opening anything; it opens a plan only to address a message.
//!
//! Every function takes the actor ([`CaseActor`]) and writes its audit event in the same
//! transaction as the change; reads of sealed values write theirs first. Functions are
//! written for "a person registering a trip", not "a caseworker", so a member's own
//! registration can call the same ones later with her own actor.
//!
//! Escalation is restart-safe and idempotent: alerts are unique per (trip, deadline,
//! stage), and a trip's `stage_sent` moves only with a compare-and-set on the deadline it
//! was computed for, so a second run, a restart in the middle of a window or a second
//! process raises nothing twice and loses nothing.

use crate::cases::CaseActor;
use crate::db::tx::one_row_or_rollback;
use crate::platform::keys::SystemKey;
use crate::{Store, StoreError, seal};
use reunite_crypto::Zeroizing;
pub use reunite_domain::travel::TripStatus;
use reunite_domain::travel::{Schedule, Stage};
use reunite_domain::{Action, NewAuditEvent, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// Digits of a trip's check-in code.
pub const TRIP_CODE_DIGITS: usize = 8;
/// The setting that records the scheduler's last run (UTC ms), for the watchdog.
pub const HEARTBEAT_SETTING: &str = "travel.scheduler_at";
/// The setting that records when the watchdog last alerted.
pub const WATCHDOG_SETTING: &str = "travel.watchdog_at";

/// A contact in South Korea to inform when she does not check in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TripContact {
    /// How the office names the contact.
    pub name: String,
    /// `email:someone@example.org` or `sms:+8210…`.
    pub address: String,
}

impl std::fmt::Debug for TripContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TripContact([redacted])")
    }
}

/// The sealed plan of a trip.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TripPlan {
    /// First day (`YYYY-MM-DD`).
    pub starts_on: String,
    /// Last day (`YYYY-MM-DD`).
    pub ends_on: String,
    /// Why she travels (visiting a child of the case, …).
    pub purpose: String,
    /// Her language for the reminder (`ko`, `zh`, `en`).
    pub lang: String,
    /// Where the neutral reminder goes (`email:…`, `sms:…`), or empty for none.
    pub reminder_to: String,
    /// Contacts in South Korea.
    pub contacts: Vec<TripContact>,
}

impl std::fmt::Debug for TripPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TripPlan([redacted])")
    }
}

/// Cities and places to stay (sealed apart, deleted after return).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TripPlaces {
    /// Cities, as typed.
    pub cities: String,
    /// Places to stay, as typed.
    pub stays: String,
}

impl std::fmt::Debug for TripPlaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TripPlaces([redacted])")
    }
}

/// A trip to register. The PINs arrive hashed (Argon2id PHC strings): hashing is the
/// caller's, with the installation's password policy.
#[derive(Clone)]
pub struct NewTrip {
    /// The case it belongs to.
    pub case_id: String,
    /// Sealed plan.
    pub plan: TripPlan,
    /// Sealed places.
    pub places: TripPlaces,
    /// The check-in schedule (validated by the caller).
    pub schedule: Schedule,
    /// Argon2id of the check-in PIN.
    pub pin_phc: String,
    /// Argon2id of the duress PIN.
    pub duress_phc: String,
}

impl std::fmt::Debug for NewTrip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewTrip({}, [redacted])", self.case_id)
    }
}

/// What may be known about a trip without opening it.
#[derive(Debug, Clone)]
pub struct TripMeta {
    /// `trip-…`.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// Status.
    pub status: TripStatus,
    /// Schedule.
    pub schedule: Schedule,
    /// The briefing confirmation: when, in which language, which text (hash).
    pub briefed: Option<(Timestamp, String, String)>,
    /// When it became active.
    pub activated_at: Option<Timestamp>,
    /// When she came back.
    pub returned_at: Option<Timestamp>,
    /// When the places were deleted.
    pub purged_at: Option<Timestamp>,
    /// The current deadline.
    pub next_due_at: Option<Timestamp>,
    /// The highest stage raised for the current deadline (0: none).
    pub stage_sent: i64,
    /// The last check-in.
    pub last_checkin_at: Option<Timestamp>,
    /// Wrong PINs since the last good one.
    pub wrong_pins: i64,
    /// Registered.
    pub created_at: Timestamp,
}

fn opt(ms: i64) -> Option<Timestamp> {
    (ms > 0).then_some(Timestamp(ms))
}

const SELECT_META: &str = "SELECT id, case_id, status, schedule, briefing_lang, briefing_hash, \
     briefed_at, activated_at, returned_at, purged_at, next_due_at, stage_sent, \
     last_checkin_at, wrong_pins, created_at FROM trips";

fn meta_from_row(r: &sqlx::any::AnyRow) -> Result<TripMeta, StoreError> {
    let status: String = r.try_get("status")?;
    let schedule: String = r.try_get("schedule")?;
    let briefed_at: i64 = r.try_get("briefed_at")?;
    Ok(TripMeta {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        status: TripStatus::parse(&status).ok_or(StoreError::Corrupt("trip status"))?,
        schedule: serde_json::from_str(&schedule)
            .map_err(|_| StoreError::Corrupt("trip schedule"))?,
        briefed: opt(briefed_at).map(|t| {
            (
                t,
                r.try_get("briefing_lang").unwrap_or_default(),
                r.try_get("briefing_hash").unwrap_or_default(),
            )
        }),
        activated_at: opt(r.try_get("activated_at")?),
        returned_at: opt(r.try_get("returned_at")?),
        purged_at: opt(r.try_get("purged_at")?),
        next_due_at: opt(r.try_get("next_due_at")?),
        stage_sent: r.try_get("stage_sent")?,
        last_checkin_at: opt(r.try_get("last_checkin_at")?),
        wrong_pins: r.try_get("wrong_pins")?,
        created_at: Timestamp(r.try_get("created_at")?),
    })
}

/// What the check-in page needs to check a PIN.
#[derive(Clone)]
pub struct CheckinTarget {
    /// The trip.
    pub trip_id: String,
    /// Argon2id of the PIN.
    pub pin_phc: String,
    /// Argon2id of the duress PIN.
    pub duress_phc: String,
    /// Wrong PINs since the last good one.
    pub wrong_pins: i64,
    /// The last attempt that was checked.
    pub last_attempt_at: Timestamp,
}

impl std::fmt::Debug for CheckinTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckinTarget([redacted])")
    }
}

/// What a check-in was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckinKind {
    /// The PIN: she is fine.
    Ok,
    /// The PIN with "I am back": the trip ends.
    Back,
    /// The duress PIN (with or without "I am back"): the highest alert, silently.
    Duress,
}

impl CheckinKind {
    fn as_str(self) -> &'static str {
        match self {
            CheckinKind::Ok => "ok",
            CheckinKind::Back => "back",
            CheckinKind::Duress => "duress",
        }
    }
}

/// One check-in as the office sees it.
#[derive(Clone)]
pub struct CheckinView {
    /// `ok`, `back` or `duress`.
    pub kind: String,
    /// When.
    pub at: Timestamp,
    /// The city she typed (empty if none, or deleted).
    pub city: String,
}

impl std::fmt::Debug for CheckinView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckinView({}, {:?}, [redacted])", self.kind, self.at)
    }
}

/// One alert as the office sees it.
#[derive(Clone)]
pub struct AlertView {
    /// `alert-…`.
    pub id: String,
    /// The trip.
    pub trip_id: String,
    /// The stage.
    pub stage: Stage,
    /// The missed deadline (for duress: when the duress PIN was used).
    pub deadline_at: Timestamp,
    /// When it was raised.
    pub raised_at: Timestamp,
    /// Acknowledgement: when, by which account id, the note.
    pub acked: Option<(Timestamp, String, String)>,
}

impl std::fmt::Debug for AlertView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlertView({}, {:?})", self.id, self.stage)
    }
}

/// A trip opened for the office: the plan, the places (until deleted), the timeline.
#[derive(Debug, Clone)]
pub struct TripDetail {
    /// What is in clear.
    pub meta: TripMeta,
    /// The plan.
    pub plan: TripPlan,
    /// The places, unless the retention job deleted them.
    pub places: Option<TripPlaces>,
    /// Check-ins, oldest first.
    pub checkins: Vec<CheckinView>,
    /// Alerts, oldest first.
    pub alerts: Vec<AlertView>,
}

/// One line of the caseworkers' board.
#[derive(Debug, Clone)]
pub struct BoardRow {
    /// What is in clear.
    pub meta: TripMeta,
    /// The city of the last check-in (empty if none was typed).
    pub last_city: String,
    /// Alerts to the office (on-call and above) not yet acknowledged.
    pub open_alerts: Vec<AlertView>,
    /// An unacknowledged duress alert exists.
    pub duress: bool,
    /// The deadline has passed.
    pub overdue: bool,
}

/// An outgoing message waiting to be sent.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    /// `msg-…`.
    pub id: String,
    /// The alert.
    pub alert_id: String,
    /// The trip.
    pub trip_id: String,
    /// Who it goes to (`traveller`, `oncall`, `senior`, `contacts`).
    pub target: String,
    /// The alert's stage.
    pub stage: Stage,
    /// The deadline (or duress time).
    pub deadline_at: Timestamp,
    /// Attempts so far.
    pub attempts: i64,
}

/// Addresses and language for one outgoing message, opened from the plan.
#[derive(Clone)]
pub struct Delivery {
    /// Her language.
    pub lang: String,
    /// Her reminder address (may be empty).
    pub reminder_to: String,
    /// The contacts' addresses.
    pub contacts: Vec<String>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Delivery([redacted])")
    }
}

/// What one scheduler run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EscalationReport {
    /// Alerts raised.
    pub raised: u64,
}

fn code_lookup(key: &reunite_crypto::DataKey, code: &str) -> [u8; 32] {
    reunite_crypto::blind_index(key, "trip_code", code.as_bytes())
}

/// A fresh check-in code: eight digits from the CSPRNG.
fn new_code() -> Zeroizing<String> {
    let b = reunite_crypto::random_bytes::<8>();
    let n = u64::from_le_bytes(*b) % 10u64.pow(TRIP_CODE_DIGITS as u32);
    Zeroizing::new(format!("{n:0width$}", width = TRIP_CODE_DIGITS))
}

/// A stage's targets as stored.
fn targets(stage: Stage) -> Vec<&'static str> {
    stage.targets().iter().map(|t| t.as_str()).collect()
}

impl Store {
    async fn trip_event(
        &self,
        actor: &str,
        action: Action,
        trip_id: &str,
        detail: &str,
    ) -> Result<NewAuditEvent, StoreError> {
        Ok(NewAuditEvent {
            actor: actor.to_string(),
            action,
            subject: self.pseudonym("trip", trip_id).await?,
            detail: detail.into(),
        })
    }

    async fn trip_key(
        &self,
        trip_id: &str,
    ) -> Result<(String, reunite_crypto::DataKey), StoreError> {
        let q = self.backend.sql("SELECT key_id FROM trips WHERE id = $1");
        let (key_id,): (String,) = sqlx::query_as(&q)
            .bind(trip_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let key = self.data_key(&key_id).await?;
        Ok((key_id, key))
    }

    /// Registers a trip (status `planned`). Returns its id and the check-in code, which is
    /// shown once and kept only as a keyed hash. `NotFound` if the case does not exist.
    pub async fn create_trip(
        &self,
        new: &NewTrip,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(String, Zeroizing<String>), StoreError> {
        if self.case_meta(&new.case_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let index = self.system_key(SystemKey::Index).await?;
        let who = self.audit_actor(actor).await?;
        let plan = Zeroizing::new(
            serde_json::to_vec(&new.plan).map_err(|_| StoreError::Corrupt("trip plan"))?,
        );
        let places = Zeroizing::new(
            serde_json::to_vec(&new.places).map_err(|_| StoreError::Corrupt("trip places"))?,
        );
        let schedule =
            serde_json::to_string(&new.schedule).map_err(|_| StoreError::Corrupt("schedule"))?;
        for _ in 0..5 {
            let id = crate::new_id("trip");
            let code = new_code();
            let lookup = code_lookup(&index, &code);
            let event = self
                .trip_event(&who, Action::RecordCreate, &id, "trip")
                .await?;
            let (_g, mut tx) = self.begin_write().await?;
            let q = self
                .backend
                .sql("SELECT id FROM trips WHERE code_lookup = $1");
            let taken: Option<(String,)> = sqlx::query_as(&q)
                .bind(lookup.to_vec())
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                continue;
            }
            self.append_audit_in(&mut tx, &event, now).await?;
            let (key_id, key) = self.new_data_key(&mut tx, "trips", now).await?;
            let plan_enc = reunite_crypto::seal_field(
                &key,
                &key_id,
                &seal::field("trips", "plan_enc", &id),
                &plan,
            );
            let places_enc = reunite_crypto::seal_field(
                &key,
                &key_id,
                &seal::field("trips", "places_enc", &id),
                &places,
            );
            let q = self.backend.sql(
                "INSERT INTO trips (id, case_id, key_id, plan_enc, places_enc, code_lookup, \
                 pin_phc, duress_phc, schedule, status, briefing_lang, briefing_hash, \
                 briefed_at, activated_at, returned_at, purged_at, next_due_at, stage_sent, \
                 last_checkin_at, wrong_pins, last_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', 0, 0, 0, 0, 0, 0, \
                 0, 0, 0, $11, $11)",
            );
            sqlx::query(&q)
                .bind(&id)
                .bind(&new.case_id)
                .bind(&key_id)
                .bind(plan_enc)
                .bind(places_enc)
                .bind(lookup.to_vec())
                .bind(&new.pin_phc)
                .bind(&new.duress_phc)
                .bind(&schedule)
                .bind(TripStatus::Planned.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok((id, code));
        }
        Err(StoreError::Conflict("no free check-in code"))
    }

    /// What is in clear about a trip.
    pub async fn trip_meta(&self, id: &str) -> Result<Option<TripMeta>, StoreError> {
        let q = self.backend.sql(&format!("{SELECT_META} WHERE id = $1"));
        let row = sqlx::query(&q).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(meta_from_row).transpose()
    }

    /// The trips of a case, newest first (nothing sealed).
    pub async fn trips_of_case(&self, case_id: &str) -> Result<Vec<TripMeta>, StoreError> {
        let q = self.backend.sql(&format!(
            "{SELECT_META} WHERE case_id = $1 ORDER BY created_at DESC, id"
        ));
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        rows.iter().map(meta_from_row).collect()
    }

    /// Records that she read and confirmed the safety briefing (in `lang`, the text whose
    /// hash is `text_hash`). Only a planned trip; `Conflict` otherwise.
    pub async fn confirm_trip_briefing(
        &self,
        id: &str,
        lang: &str,
        text_hash: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let who = self.audit_actor(actor).await?;
        let event = self
            .trip_event(&who, Action::RecordChange, id, "trip_briefing_confirmed")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE trips SET briefing_lang = $1, briefing_hash = $2, briefed_at = $3, \
             updated_at = $3 WHERE id = $4 AND status = 'planned'",
        );
        let done = sqlx::query(&q)
            .bind(lang)
            .bind(text_hash)
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(self.trip_missing_or(id, "the trip is not planned").await);
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn trip_missing_or(&self, id: &str, why: &'static str) -> StoreError {
        match self.trip_meta(id).await {
            Ok(Some(_)) => StoreError::Conflict(why),
            Ok(None) => StoreError::NotFound,
            Err(e) => e,
        }
    }

    /// Starts the trip: check-ins are expected from now on. Refused (`Conflict`) unless the
    /// briefing was confirmed and the trip is planned.
    pub async fn activate_trip(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Timestamp, StoreError> {
        let meta = self.trip_meta(id).await?.ok_or(StoreError::NotFound)?;
        if meta.briefed.is_none() {
            return Err(StoreError::Conflict("the briefing is not confirmed"));
        }
        let due = meta
            .schedule
            .next_deadline(now)
            .map_err(|_| StoreError::Corrupt("trip schedule"))?;
        let who = self.audit_actor(actor).await?;
        let event = self
            .trip_event(&who, Action::RecordChange, id, "trip_activated")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE trips SET status = 'active', activated_at = $1, next_due_at = $2, \
             stage_sent = 0, updated_at = $1 \
             WHERE id = $3 AND status = 'planned' AND briefed_at > 0",
        );
        let done = sqlx::query(&q)
            .bind(now.millis())
            .bind(due.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(StoreError::Conflict("the trip is not planned"));
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(due)
    }

    /// Ends an active trip from the office (she called to say she is back). Open alerts
    /// stay open until someone acknowledges them.
    pub async fn end_trip(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let who = self.audit_actor(actor).await?;
        let event = self
            .trip_event(&who, Action::RecordChange, id, "trip_ended")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE trips SET status = 'returned', returned_at = $1, updated_at = $1 \
             WHERE id = $2 AND status = 'active'",
        );
        let done = sqlx::query(&q)
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = one_row_or_rollback(tx, done.rows_affected()).await? else {
            return Err(self.trip_missing_or(id, "the trip is not active").await);
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // The check-in page

    /// The active trip a check-in code belongs to, if any.
    pub async fn checkin_target(&self, code: &str) -> Result<Option<CheckinTarget>, StoreError> {
        let index = self.system_key(SystemKey::Index).await?;
        let lookup = code_lookup(&index, code);
        let q = self.backend.sql(
            "SELECT id, pin_phc, duress_phc, wrong_pins, last_attempt_at FROM trips \
             WHERE code_lookup = $1 AND status = 'active'",
        );
        let row = sqlx::query(&q)
            .bind(lookup.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(CheckinTarget {
                trip_id: r.try_get("id")?,
                pin_phc: r.try_get("pin_phc")?,
                duress_phc: r.try_get("duress_phc")?,
                wrong_pins: r.try_get("wrong_pins")?,
                last_attempt_at: Timestamp(r.try_get("last_attempt_at")?),
            })
        })
        .transpose()
    }

    /// Counts a wrong PIN for a trip.
    pub async fn record_wrong_pin(&self, trip_id: &str, now: Timestamp) -> Result<(), StoreError> {
        let event = self
            .trip_event("traveller", Action::SignInFailed, trip_id, "trip_wrong_pin")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE trips SET wrong_pins = wrong_pins + 1, last_attempt_at = $1 WHERE id = $2",
        );
        sqlx::query(&q)
            .bind(now.millis())
            .bind(trip_id)
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a check-in. `Ok` and `Duress` move the deadline exactly alike (so that no
    /// reminder reaches her phone after a duress check-in and nothing on her side shows a
    /// difference); `Duress` also raises the highest alert in the same transaction, which
    /// only an acknowledgement in the office closes. `Back` ends the trip.
    pub async fn record_checkin(
        &self,
        trip_id: &str,
        kind: CheckinKind,
        city: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let meta = self.trip_meta(trip_id).await?.ok_or(StoreError::NotFound)?;
        let due = meta
            .schedule
            .next_deadline(now)
            .map_err(|_| StoreError::Corrupt("trip schedule"))?;
        let (key_id, key) = self.trip_key(trip_id).await?;
        let checkin_event = self
            .trip_event("traveller", Action::RecordChange, trip_id, "trip_checkin")
            .await?;
        let alert_event = self
            .trip_event("traveller", Action::RecordCreate, trip_id, "trip_alert")
            .await?;
        let id = crate::new_id("chk");
        let city_enc = (!city.is_empty()).then(|| {
            reunite_crypto::seal_field(
                &key,
                &key_id,
                &seal::field("trip_checkins", "city_enc", &id),
                city.as_bytes(),
            )
        });
        let (_g, mut tx) = self.begin_write().await?;
        self.append_audit_in(&mut tx, &checkin_event, now).await?;
        let q = self.backend.sql(
            "INSERT INTO trip_checkins (id, trip_id, kind, at, city_enc) VALUES ($1, $2, $3, $4, $5)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(trip_id)
            .bind(kind.as_str())
            .bind(now.millis())
            .bind(city_enc)
            .execute(&mut *tx)
            .await?;
        let q = match kind {
            CheckinKind::Back => self.backend.sql(
                "UPDATE trips SET status = 'returned', returned_at = $1, last_checkin_at = $1, \
                 wrong_pins = 0, last_attempt_at = $1, updated_at = $1 \
                 WHERE id = $3 AND status = 'active' AND $2 = $2",
            ),
            CheckinKind::Ok | CheckinKind::Duress => self.backend.sql(
                "UPDATE trips SET last_checkin_at = $1, next_due_at = $2, stage_sent = 0, \
                 wrong_pins = 0, last_attempt_at = $1, updated_at = $1 \
                 WHERE id = $3 AND status = 'active'",
            ),
        };
        sqlx::query(&q)
            .bind(now.millis())
            .bind(due.millis())
            .bind(trip_id)
            .execute(&mut *tx)
            .await?;
        if kind == CheckinKind::Duress {
            self.append_audit_in(&mut tx, &alert_event, now).await?;
            self.insert_alert(&mut tx, trip_id, Stage::Duress, now, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Inserts an alert and its outgoing messages unless it exists. True if inserted.
    async fn insert_alert(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        trip_id: &str,
        stage: Stage,
        deadline: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let alert_id = crate::new_id("alert");
        let q = self.backend.sql(
            "INSERT INTO trip_alerts (id, trip_id, stage, deadline_at, raised_at, acked_at, \
             acked_by, ack_note_enc) VALUES ($1, $2, $3, $4, $5, 0, '', NULL) \
             ON CONFLICT (trip_id, deadline_at, stage) DO NOTHING",
        );
        let done = sqlx::query(&q)
            .bind(&alert_id)
            .bind(trip_id)
            .bind(stage.number())
            .bind(deadline.millis())
            .bind(now.millis())
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for target in targets(stage) {
            let q = self.backend.sql(
                "INSERT INTO trip_outbox (id, alert_id, target, created_at, next_try_at, \
                 sent_at, attempts) VALUES ($1, $2, $3, $4, $4, 0, 0)",
            );
            sqlx::query(&q)
                .bind(crate::new_id("msg"))
                .bind(&alert_id)
                .bind(target)
                .bind(now.millis())
                .execute(&mut **tx)
                .await?;
        }
        Ok(true)
    }

    // -----------------------------------------------------------------------------------
    // Escalation

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

    /// Messages due to be sent at `now`, oldest first.
    pub async fn travel_outbox_due(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let q = self.backend.sql(
            "SELECT o.id, o.alert_id, a.trip_id, o.target, a.stage, a.deadline_at, o.attempts \
             FROM trip_outbox o JOIN trip_alerts a ON a.id = o.alert_id \
             WHERE o.sent_at = 0 AND o.next_try_at <= $1 ORDER BY o.created_at, o.id LIMIT $2",
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

    // -----------------------------------------------------------------------------------
    // The office

    async fn open_plan(&self, trip_id: &str) -> Result<TripPlan, StoreError> {
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
            "SELECT id, kind, at, city_enc FROM trip_checkins WHERE trip_id = $1 ORDER BY at, id",
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

    // -----------------------------------------------------------------------------------
    // Retention and the briefing

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
