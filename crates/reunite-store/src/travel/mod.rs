//! Travel safety (issue 8): trips of a case, check-ins, escalation alerts and their
//! outgoing messages, acknowledgements, and the retention of places.
//!
//! What identifies a journey is sealed under the trip's own data key: the plan (dates,
//! purpose, reminder address, contacts) in `plan_enc`, the cities and places to stay in
//! `places_enc`, each check-in's city in `trip_checkins.city_enc`, acknowledgement notes in
//! `trip_alerts.ack_note_enc` and `proposal_note_enc`. The check-in code is kept only as a keyed hash and the two
//! PINs only as Argon2id strings. The schedule and escalation state are in clear, so the
//! scheduler runs without opening anything; it opens a plan only to address a message.
//!
//! Every function takes the actor ([`CaseActor`](crate::CaseActor)) and writes its audit
//! event in the same transaction as the change; reads of sealed values write theirs first.
//! Functions are written for "a person registering a trip", not "a caseworker", so a
//! member's own registration can call the same ones later with her own actor.
//!
//! Split by concern: registering and moving a trip (`trips`), the check-in page
//! (`checkin`), escalation and the outbox (`escalation`), the office's views
//! (`office`), retention and the briefing (`retention`).
//!
//! A duress or "many wrong PINs" alert is closed, and a trip with an open office alert is
//! ended, only by two different people (issue 16, finding 4; the rule is
//! `reunite_domain::travel::two_person_step`): the first one's step is a proposal that
//! changes nothing else, the second one's confirmation closes or ends. Each step is one
//! transaction with its audit event and a compare-and-set, so two confirmations at once
//! close once, and an alert raised while a trip is being ended (which adds one to
//! `trips.alert_seq` and drops a waiting end proposal) makes the end fail instead of being
//! lost.
//!
//! Escalation is restart-safe and idempotent: alerts are unique per (trip, deadline,
//! stage), and a trip's `stage_sent` moves only with a compare-and-set on the deadline it
//! was computed for, so a second run, a restart in the middle of a window or a second
//! process raises nothing twice and loses nothing.

use crate::StoreError;
use reunite_crypto::Zeroizing;
use reunite_domain::Timestamp;
pub use reunite_domain::travel::TripStatus;
use reunite_domain::travel::{Schedule, Stage};
pub use reunite_domain::travel::{TwoPerson, TwoPersonRefusal};
use serde::{Deserialize, Serialize};
use sqlx::Row;

mod checkin;
mod escalation;
mod office;
mod retention;
mod trips;

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
    /// Wrong PINs in the whole trip (a good check-in does not reset it).
    pub wrong_pins: i64,
    /// A request to end the trip waiting for a second person: when, by which account id
    /// (issue 16, finding 4). Dropped when an alert is raised; kept after the trip ends.
    pub end_proposed: Option<(Timestamp, String)>,
    /// How many alerts were raised for the trip (ending it is a compare-and-set on it).
    pub alert_seq: i64,
    /// Registered.
    pub created_at: Timestamp,
}

fn opt(ms: i64) -> Option<Timestamp> {
    (ms > 0).then_some(Timestamp(ms))
}

const SELECT_META: &str = "SELECT id, case_id, status, schedule, briefing_lang, briefing_hash, \
     briefed_at, activated_at, returned_at, purged_at, next_due_at, stage_sent, \
     last_checkin_at, wrong_pins, end_proposed_at, end_proposed_by, alert_seq, created_at \
     FROM trips";

fn meta_from_row(r: &sqlx::any::AnyRow) -> Result<TripMeta, StoreError> {
    let status: String = r.try_get("status")?;
    let schedule: String = r.try_get("schedule")?;
    let briefed_at: i64 = r.try_get("briefed_at")?;
    Ok(TripMeta {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        status: status
            .parse::<TripStatus>()
            .map_err(|_| StoreError::Corrupt("trip status"))?,
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
        end_proposed: match opt(r.try_get("end_proposed_at")?) {
            Some(at) => Some((at, r.try_get("end_proposed_by")?)),
            None => None,
        },
        alert_seq: r.try_get("alert_seq")?,
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
    /// Wrong PINs in the whole trip.
    pub wrong_pins: i64,
    /// Wrong PINs since the last check-in that was answered "saved" (the throttle's count).
    pub throttle_wrong: i64,
    /// The last attempt that was answered truthfully.
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
    /// Recorded while answers were spaced out after wrong PINs: the page answered "not
    /// recognised" (she may believe it failed; a guesser may have made it).
    pub spaced: bool,
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
    /// The missed deadline (for duress: when the duress PIN was used; for many wrong PINs:
    /// when the wrong PIN that raised it was typed).
    pub deadline_at: Timestamp,
    /// When it was raised.
    pub raised_at: Timestamp,
    /// The first acknowledgement of an alert that needs two people, waiting for a second,
    /// different one (or, once closed, the first of the two): when, by which account id,
    /// her note.
    pub proposed: Option<(Timestamp, String, String)>,
    /// Acknowledgement, which closes the alert (for an alert that needs two people: the
    /// second person's confirmation): when, by which account id, the note.
    pub acked: Option<(Timestamp, String, String)>,
}

impl AlertView {
    /// An alert to the office (on-call and above) that is not closed: what the board lists,
    /// and what makes ending the trip take two people. Half-acknowledged alerts are open.
    pub fn is_open(&self) -> bool {
        self.acked.is_none() && self.stage.is_office()
    }
}

/// What one person's acknowledgement of an alert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertAck {
    /// The alert's trip.
    pub trip_id: String,
    /// Closed, or (duress, many wrong PINs) recorded as a proposal for a second person.
    pub step: TwoPerson,
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
