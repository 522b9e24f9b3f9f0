//! Follow-ups and tasks of a case: when one is due, in the office's time zone, and what it
//! may point at. Times are stored in UTC; the office enters and reads them in its own zone
//! (the `office_tz` setting, an IANA name). No IO and no clock: `now` is a parameter.

use crate::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// The office's zone when none is configured.
pub const DEFAULT_OFFICE_TZ: &str = "Asia/Seoul";

/// What a task may have come from: a match, a tracing request, a DNA test or a trip.
pub const LINK_KINDS: [&str; 4] = ["match", "request", "dna", "trip"];

/// Longest task text, in characters.
pub const MAX_TASK_TEXT: usize = 2000;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether `tz` is an IANA zone name the bundled database knows.
pub fn valid_zone(tz: &str) -> bool {
    TimeZone::get(tz).is_ok()
}

fn zone(tz: &str) -> TimeZone {
    TimeZone::get(tz).unwrap_or(TimeZone::UTC)
}

fn jiff_ts(t: Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(t.millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// When a task is due, as entered: a local date and, optionally, a local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The instant (UTC): the local time given, or local midnight starting the day.
    pub at: Timestamp,
    /// Only a day was given.
    pub all_day: bool,
}

impl Due {
    /// Reads `YYYY-MM-DD` and an optional `HH:MM` as local times in `tz`. A local time
    /// skipped by a DST change resolves to the instant after the gap.
    pub fn parse(tz: &str, date: &str, time: &str) -> Option<Due> {
        let d: Date = date.trim().parse().ok()?;
        let time = time.trim();
        let (t, all_day) = if time.is_empty() {
            (Time::midnight(), true)
        } else {
            let (h, m) = time.split_once(':')?;
            if h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
            (Time::new(h, m, 0, 0).ok()?, false)
        };
        let z = d.to_datetime(t).to_zoned(zone(tz)).ok()?;
        Some(Due {
            at: Timestamp(z.timestamp().as_millisecond()),
            all_day,
        })
    }

    /// The instant from which it is overdue: the time given, or the end of the day.
    pub fn overdue_at(self, tz: &str) -> Timestamp {
        if self.all_day {
            let (_, end) = day_bounds(tz, self.at);
            end
        } else {
            self.at
        }
    }

    /// The local date (`YYYY-MM-DD`) and time (`HH:MM`, empty for a whole day) in `tz`.
    pub fn local(self, tz: &str) -> (String, String) {
        let z = jiff_ts(self.at).to_zoned(zone(tz));
        let date = z.strftime("%Y-%m-%d").to_string();
        let time = if self.all_day {
            String::new()
        } else {
            z.strftime("%H:%M").to_string()
        };
        (date, time)
    }
}

/// The local day containing `t` in `tz`, as UTC instants `[start, end)`.
pub fn day_bounds(tz: &str, t: Timestamp) -> (Timestamp, Timestamp) {
    let z = zone(tz);
    let date = jiff_ts(t).to_zoned(z.clone()).date();
    let at = |d: Date| {
        d.to_datetime(Time::midnight())
            .to_zoned(z.clone())
            .map(|z| Timestamp(z.timestamp().as_millisecond()))
    };
    let start = at(date).unwrap_or(t);
    let end = date
        .tomorrow()
        .ok()
        .and_then(|d| at(d).ok())
        .unwrap_or(start.plus_millis(DAY_MS));
    (start, end)
}

/// The local date (`YYYY-MM-DD`) `days` days after the day of `t` in `tz`.
pub fn local_date(tz: &str, t: Timestamp, days: i64) -> String {
    let date = jiff_ts(t).to_zoned(zone(tz)).date();
    date.checked_add(jiff::Span::new().days(days))
        .unwrap_or(date)
        .strftime("%Y-%m-%d")
        .to_string()
}

/// A UTC instant as local `YYYY-MM-DD HH:MM` in `tz`.
pub fn format_local(t: Timestamp, tz: &str) -> String {
    jiff_ts(t)
        .to_zoned(zone(tz))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_in_seoul_is_nine_hours_ahead_of_utc() {
        let d = Due::parse("Asia/Seoul", "2026-03-02", "").unwrap();
        assert!(d.all_day);
        // 2026-03-01T15:00:00Z
        assert_eq!(d.at, Timestamp(1_772_377_200_000));
        assert_eq!(d.overdue_at("Asia/Seoul"), d.at.plus_millis(DAY_MS));
        assert_eq!(d.local("Asia/Seoul"), ("2026-03-02".into(), String::new()));
        let t = Due::parse("Asia/Seoul", "2026-03-02", "09:30").unwrap();
        assert!(!t.all_day);
        assert_eq!(t.overdue_at("Asia/Seoul"), t.at);
        assert_eq!(t.local("Asia/Seoul").1, "09:30");
        assert_eq!(
            day_bounds("Asia/Seoul", t.at),
            (d.at, d.at.plus_millis(DAY_MS))
        );
        assert_eq!(local_date("Asia/Seoul", t.at, 7), "2026-03-09");
        assert!(Due::parse("Asia/Seoul", "2026-02-30", "").is_none());
        assert!(Due::parse("Asia/Seoul", "2026-03-02", "25:00").is_none());
        assert!(!valid_zone("Mars/Olympus"));
    }
}
