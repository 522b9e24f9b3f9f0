//! Travel safety rules, no IO and no clock: when the next check-in of a trip is due and
//! which escalation stage a missed check-in has reached.
//!
//! Deadlines are instants (UTC milliseconds). The traveller's window ("between 18:00 and
//! 22:00 where she is") is local time in an IANA zone and is turned into instants with the
//! time-zone database compiled into the binary (jiff's bundled tzdb), so the result does not
//! depend on the host and is right across daylight-saving changes.
//!
//! The rule (docs/travel.md): the next check-in is due `interval` after the last one. If
//! that moment falls outside her window, the deadline moves back to the end of the window
//! before it when that still leaves her at least half an interval; otherwise forward to the
//! next window's start plus one interval, but never past that window's end.

use crate::Timestamp;
use crate::vocab::Vocab;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Where a trip stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TripStatus {
    /// Registered; not yet active (the briefing must be confirmed first).
    Planned,
    /// Under way: check-ins are expected and missed ones escalate.
    Active,
    /// She is back ("I am back", or the office ended it).
    Returned,
}

impl TripStatus {
    /// The stored spelling ([`Vocab::as_str`]).
    pub fn as_str(self) -> &'static str {
        Vocab::as_str(self)
    }
}

/// Shortest check-in interval (one hour).
pub const MIN_INTERVAL_MINS: u32 = 60;
/// Longest check-in interval (seven days).
pub const MAX_INTERVAL_MINS: u32 = 7 * 24 * 60;

/// When a traveller checks in. Stored in clear with the trip (the scheduler needs it
/// without opening anything); it identifies nobody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Minutes between check-ins (≥ 60).
    pub interval_mins: u32,
    /// Window start, minutes after local midnight (0..1440).
    pub window_start_min: u16,
    /// Window end, minutes after local midnight (start < end ≤ 1440; 1440 is midnight).
    pub window_end_min: u16,
    /// IANA time-zone name of where she travels (`Asia/Shanghai`).
    pub tz: String,
    /// Minutes after a missed deadline before the on-call caseworker is alerted; the
    /// senior caseworker and her contacts follow after twice this.
    pub grace_mins: u32,
}

/// What is wrong with a schedule (a message key each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Interval under an hour or over a week.
    #[error("the interval must be between 1 hour and 7 days")]
    Interval,
    /// Window empty, reversed or out of the day.
    #[error("the window must start before it ends, within one day")]
    Window,
    /// Unknown time zone.
    #[error("unknown time zone")]
    Zone,
    /// Grace period under 5 minutes or over a day.
    #[error("the grace period must be between 5 minutes and 24 hours")]
    Grace,
}

impl ScheduleError {
    /// The message key (`travel.err.*`).
    pub fn key(self) -> &'static str {
        match self {
            ScheduleError::Interval => "travel.err.interval",
            ScheduleError::Window => "travel.err.window",
            ScheduleError::Zone => "travel.err.zone",
            ScheduleError::Grace => "travel.err.grace",
        }
    }
}

/// The kinds of alert: the escalation stages of a missed check-in, in order; duress, above
/// all of them; and many wrong PINs (numbered last, but not a step of the escalation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stage {
    /// At the deadline: a neutral reminder to the traveller.
    Reminder = 1,
    /// After the grace period: the on-call caseworker.
    OnCall = 2,
    /// After twice the grace period: the senior caseworker and her contacts.
    Senior = 3,
    /// The duress PIN was used: on-call and senior at once, whatever the schedule.
    Duress = 4,
    /// Not a stage of a missed check-in: many wrong PINs were typed for the trip (someone
    /// may know her check-in number). On-call only; never her own address.
    WrongPins = 5,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Stage; 5] = [
        Stage::Reminder,
        Stage::OnCall,
        Stage::Senior,
        Stage::Duress,
        Stage::WrongPins,
    ];

    /// The stored number.
    pub fn number(self) -> i64 {
        self as i64
    }

    /// From the stored number.
    pub fn from_number(n: i64) -> Option<Stage> {
        Self::ALL.into_iter().find(|s| s.number() == n)
    }

    /// Who is told at this stage.
    pub fn targets(self) -> &'static [Target] {
        match self {
            Stage::Reminder => &[Target::Traveller],
            Stage::OnCall => &[Target::OnCall],
            Stage::Senior => &[Target::Senior, Target::Contacts],
            Stage::Duress => &[Target::OnCall, Target::Senior],
            Stage::WrongPins => &[Target::OnCall],
        }
    }

    /// Whether closing an alert of this kind takes two different people (issue 16,
    /// finding 4). Duress and many wrong PINs do: each says that someone hostile may be
    /// acting — holding her, or holding her number and guessing her PIN — and nothing on her
    /// side can clear it. Once closed, nothing brings the signal back by itself: a coercer
    /// makes her check in on time, a guesser who has hit her PIN checks in for her instead
    /// of typing wrong ones. So whoever closes it alone, coerced or mistaken, silences the
    /// only sign. A missed check-in does not: it is about her being late, the next missed
    /// deadline raises the next alert anyway, and the on-call caseworker must be able to
    /// clear it alone at night.
    pub fn needs_two_people(self) -> bool {
        matches!(self, Stage::Duress | Stage::WrongPins)
    }

    /// Whether this is an alert to the office (on-call and above), as the board counts open
    /// alerts; the reminder goes to her alone.
    pub fn is_office(self) -> bool {
        self >= Stage::OnCall
    }
}

/// The two-person rule (issue 16, finding 4): what one person's step on an alert, or on
/// ending a trip, does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoPerson {
    /// Done: the alert is closed, or the trip ended.
    Done,
    /// Recorded as a proposal: nothing else changes until a second, different person
    /// confirms it.
    Proposed,
}

/// Why a step under the two-person rule is refused (nothing is changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoPersonRefusal {
    /// The person who proposed it tries to confirm it herself.
    SamePerson,
    /// A confirmation, but nobody has proposed anything (or the proposal was dropped).
    NothingToConfirm,
    /// A first step while a proposal already waits: confirm it (as someone else) instead.
    ProposalWaiting,
    /// Only the office closes alerts and ends trips under the rule, never a member account
    /// (a mother's own account may be in other hands, like her phone).
    NotOffice,
}

impl std::fmt::Display for TwoPersonRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message_key())
    }
}

impl TwoPersonRefusal {
    /// Message key for the user interface.
    pub fn message_key(self) -> &'static str {
        match self {
            TwoPersonRefusal::SamePerson => "travel.refused.same_person",
            TwoPersonRefusal::NothingToConfirm => "travel.refused.nothing_to_confirm",
            TwoPersonRefusal::ProposalWaiting => "travel.refused.proposal_waiting",
            TwoPersonRefusal::NotOffice => "travel.refused.not_office",
        }
    }
}

/// One person's step under the two-person rule. `needs_two`: whether the thing takes two
/// people now (an alert of a [`Stage::needs_two_people`] kind; a trip with an open office
/// alert). `proposed_by`: who proposed it, if anyone. `actor`: who asks (an account id).
/// `confirm`: she asks to confirm a proposal rather than to take the first step.
///
/// * A first step on something that needs one person is done at once (and drops a proposal
///   made while it needed two).
/// * A first step on something that needs two is a proposal, unless one waits already.
/// * A confirmation is done if someone else proposed it; refused to the proposer herself.
pub fn two_person_step(
    needs_two: bool,
    proposed_by: Option<&str>,
    actor: &str,
    confirm: bool,
) -> Result<TwoPerson, TwoPersonRefusal> {
    match (confirm, proposed_by) {
        (false, _) if !needs_two => Ok(TwoPerson::Done),
        (false, None) => Ok(TwoPerson::Proposed),
        (false, Some(_)) => Err(TwoPersonRefusal::ProposalWaiting),
        (true, None) => Err(TwoPersonRefusal::NothingToConfirm),
        (true, Some(p)) if p == actor => Err(TwoPersonRefusal::SamePerson),
        (true, Some(_)) => Ok(TwoPerson::Done),
    }
}

/// Who an alert goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The traveller herself (a neutral reminder only).
    Traveller,
    /// The on-call caseworker (configured).
    OnCall,
    /// The senior caseworker (configured).
    Senior,
    /// The contacts in South Korea registered with the trip.
    Contacts,
}

impl Target {
    /// The stored spelling ([`Vocab::as_str`]).
    pub fn as_str(self) -> &'static str {
        Vocab::as_str(self)
    }
}

fn zone(name: &str) -> Result<TimeZone, ScheduleError> {
    TimeZone::get(name).map_err(|_| ScheduleError::Zone)
}

fn jiff_ts(t: Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(t.millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// The instant of `minute` minutes after local midnight of `date` in `tz` (1440 is the
/// next midnight). A local time skipped by a DST change resolves to the instant after the
/// gap; a repeated one to its first occurrence.
fn local_instant(tz: &TimeZone, date: Date, minute: u16) -> Timestamp {
    let (date, minute) = if minute >= 1440 {
        (date.tomorrow().unwrap_or(date), minute - 1440)
    } else {
        (date, minute)
    };
    let time =
        Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).unwrap_or(Time::midnight());
    let ms = date
        .to_datetime(time)
        .to_zoned(tz.clone())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0);
    Timestamp(ms)
}

impl Schedule {
    /// Checks the bounds and the zone.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if !(MIN_INTERVAL_MINS..=MAX_INTERVAL_MINS).contains(&self.interval_mins) {
            return Err(ScheduleError::Interval);
        }
        if self.window_start_min >= self.window_end_min || self.window_end_min > 1440 {
            return Err(ScheduleError::Window);
        }
        if !(5..=24 * 60).contains(&self.grace_mins) {
            return Err(ScheduleError::Grace);
        }
        zone(&self.tz)?;
        Ok(())
    }

    /// The local window of `date` as instants.
    fn window_on(&self, tz: &TimeZone, date: Date) -> (Timestamp, Timestamp) {
        (
            local_instant(tz, date, self.window_start_min),
            local_instant(tz, date, self.window_end_min),
        )
    }

    /// When the next check-in is due after one at `last` (or the trip's start).
    pub fn next_deadline(&self, last: Timestamp) -> Result<Timestamp, ScheduleError> {
        let tz = zone(&self.tz)?;
        let interval_ms = i64::from(self.interval_mins) * 60_000;
        let candidate = last.plus_millis(interval_ms);
        let day = jiff_ts(candidate).to_zoned(tz.clone()).date();
        // The windows of the day before, the day and the day after cover every case.
        let days = [
            day.yesterday().unwrap_or(day),
            day,
            day.tomorrow().unwrap_or(day),
        ];
        let windows: Vec<(Timestamp, Timestamp)> =
            days.iter().map(|d| self.window_on(&tz, *d)).collect();
        if windows
            .iter()
            .any(|(s, e)| *s <= candidate && candidate <= *e)
        {
            return Ok(candidate);
        }
        // The end of the last window before the candidate, if it leaves half an interval.
        if let Some((_, end)) = windows.iter().rev().find(|(_, e)| *e < candidate)
            && end.millis_since(last) >= interval_ms / 2
        {
            return Ok(*end);
        }
        // Otherwise the next window: one interval after it opens, at most its end.
        let (start, end) = windows
            .iter()
            .find(|(s, _)| *s > candidate)
            .copied()
            .unwrap_or_else(|| self.window_on(&tz, days[2].tomorrow().unwrap_or(days[2])));
        Ok(start.plus_millis(interval_ms).min(end))
    }

    /// The highest stage a missed `deadline` has reached at `now` (`None` before it).
    pub fn stage_at(&self, deadline: Timestamp, now: Timestamp) -> Option<Stage> {
        let grace = i64::from(self.grace_mins) * 60_000;
        let late = now.millis_since(deadline);
        if late < 0 {
            None
        } else if late < grace {
            Some(Stage::Reminder)
        } else if late < 2 * grace {
            Some(Stage::OnCall)
        } else {
            Some(Stage::Senior)
        }
    }

    /// When `stage` of a missed `deadline` is due.
    pub fn stage_due(&self, deadline: Timestamp, stage: Stage) -> Timestamp {
        let grace = i64::from(self.grace_mins) * 60_000;
        match stage {
            Stage::Reminder | Stage::Duress | Stage::WrongPins => deadline,
            Stage::OnCall => deadline.plus_millis(grace),
            Stage::Senior => deadline.plus_millis(2 * grace),
        }
    }
}

/// Parses `HH:MM` (00:00 to 24:00) into minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// Formats minutes after midnight as `HH:MM`.
pub fn format_hhmm(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// A UTC instant as local `YYYY-MM-DD HH:MM` in `tz` (for the board).
pub fn format_local(t: Timestamp, tz: &str) -> String {
    match TimeZone::get(tz) {
        Ok(z) => jiff_ts(t)
            .to_zoned(z)
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => String::new(),
    }
}

/// A check-in PIN: 4 to 8 digits.
pub fn valid_pin(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_people_close_what_one_cannot() {
        use TwoPersonRefusal::*;
        let step = two_person_step;
        // One person suffices: done at once, even over a proposal made while two were needed.
        assert_eq!(step(false, None, "a", false), Ok(TwoPerson::Done));
        assert_eq!(step(false, Some("a"), "a", false), Ok(TwoPerson::Done));
        // Two are needed: the first step is a proposal, and only one waits at a time.
        assert_eq!(step(true, None, "a", false), Ok(TwoPerson::Proposed));
        assert_eq!(step(true, Some("a"), "a", false), Err(ProposalWaiting));
        assert_eq!(step(true, Some("a"), "b", false), Err(ProposalWaiting));
        // The confirmation: by anyone but the proposer, and only of a proposal.
        assert_eq!(step(true, Some("a"), "a", true), Err(SamePerson));
        assert_eq!(step(false, Some("a"), "a", true), Err(SamePerson));
        assert_eq!(step(true, Some("a"), "b", true), Ok(TwoPerson::Done));
        assert_eq!(step(true, None, "b", true), Err(NothingToConfirm));
        // Which alerts need two.
        let two: Vec<Stage> = Stage::ALL
            .into_iter()
            .filter(|s| s.needs_two_people())
            .collect();
        assert_eq!(two, vec![Stage::Duress, Stage::WrongPins]);
        assert!(!Stage::Reminder.is_office() && Stage::OnCall.is_office());
    }

    fn utc(s: &str) -> Timestamp {
        let t: jiff::Timestamp = s.parse().unwrap();
        Timestamp(t.as_millisecond())
    }

    fn sched(tz: &str, interval_h: u32, start: &str, end: &str) -> Schedule {
        Schedule {
            interval_mins: interval_h * 60,
            window_start_min: parse_hhmm(start).unwrap(),
            window_end_min: parse_hhmm(end).unwrap(),
            tz: tz.into(),
            grace_mins: 60,
        }
    }

    #[test]
    fn daily_window_in_china() {
        // 18:00–22:00 in Shanghai is 10:00–14:00 UTC.
        let s = sched("Asia/Shanghai", 24, "18:00", "22:00");
        s.validate().unwrap();
        // Checked in at 20:00 local: due 20:00 local the next day.
        assert_eq!(
            s.next_deadline(utc("2026-03-01T12:00:00Z")).unwrap(),
            utc("2026-03-02T12:00:00Z")
        );
        // Checked in late, at 23:00 local: due at the end of the next day's window.
        assert_eq!(
            s.next_deadline(utc("2026-03-01T15:00:00Z")).unwrap(),
            utc("2026-03-02T14:00:00Z")
        );
        // Checked in early, at 17:00 local: the next day's window end.
        assert_eq!(
            s.next_deadline(utc("2026-03-01T09:00:00Z")).unwrap(),
            utc("2026-03-02T14:00:00Z")
        );
    }

    #[test]
    fn hourly_pauses_at_night() {
        let s = sched("Asia/Shanghai", 1, "08:00", "22:00");
        // 21:30 local: 22:30 is outside, 22:00 leaves only 30 min = half an interval.
        assert_eq!(
            s.next_deadline(utc("2026-03-01T13:30:00Z")).unwrap(),
            utc("2026-03-01T14:00:00Z")
        );
        // 21:45 local: next morning 09:00 local.
        assert_eq!(
            s.next_deadline(utc("2026-03-01T13:45:00Z")).unwrap(),
            utc("2026-03-02T01:00:00Z")
        );
    }

    #[test]
    fn deadlines_follow_local_time_across_dst() {
        // New York springs forward on 2026-03-08 (UTC-5 → UTC-4).
        let s = sched("America/New_York", 24, "18:00", "22:00");
        // 23:00 local on 7 March (04:00 UTC on the 8th): due at 22:00 local on the 8th,
        // which is now 02:00 UTC on the 9th (EDT), not 03:00.
        assert_eq!(
            s.next_deadline(utc("2026-03-08T04:00:00Z")).unwrap(),
            utc("2026-03-09T02:00:00Z")
        );
        // And back in autumn (1 November 2026, UTC-4 → UTC-5).
        assert_eq!(
            s.next_deadline(utc("2026-11-01T03:00:00Z")).unwrap(),
            utc("2026-11-02T03:00:00Z")
        );
    }

    #[test]
    fn stages_follow_the_grace_period() {
        let s = sched("Asia/Shanghai", 24, "00:00", "24:00");
        let d = utc("2026-03-01T00:00:00Z");
        assert_eq!(s.stage_at(d, d.plus_secs(-1)), None);
        assert_eq!(s.stage_at(d, d), Some(Stage::Reminder));
        assert_eq!(s.stage_at(d, d.plus_secs(3599)), Some(Stage::Reminder));
        assert_eq!(s.stage_at(d, d.plus_secs(3600)), Some(Stage::OnCall));
        assert_eq!(s.stage_at(d, d.plus_secs(7200)), Some(Stage::Senior));
        assert_eq!(s.stage_due(d, Stage::Senior), d.plus_secs(7200));
    }

    #[test]
    fn bad_schedules_are_refused() {
        let mut s = sched("Asia/Shanghai", 24, "18:00", "22:00");
        s.interval_mins = 30;
        assert_eq!(s.validate(), Err(ScheduleError::Interval));
        let s = sched("Asia/Shanghai", 24, "22:00", "18:00");
        assert_eq!(s.validate(), Err(ScheduleError::Window));
        let s = sched("Mars/Olympus", 24, "18:00", "22:00");
        assert_eq!(s.validate(), Err(ScheduleError::Zone));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert!(valid_pin("0420") && !valid_pin("12a4") && !valid_pin("123"));
    }
}
