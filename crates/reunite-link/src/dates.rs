//! Dates as people remember them: partial, approximate, solar or lunar.
//!
//! The lunisolar calendar is encoded per year (1900–2100) as the published month-length
//! pattern: bits 15…4 say whether months 1…12 are long (30 days) or short (29), bits 3…0 give
//! the leap month (0 = none) and bit 16 whether that leap month is long. Lunar 1900-01-01 was
//! solar 1900-01-31.

use reunite_domain::record::{Calendar, PartialDate};

#[rustfmt::skip]
const LUNAR: [u32; 201] = [
    0x04bd8, 0x04ae0, 0x0a570, 0x054d5, 0x0d260, 0x0d950, 0x16554, 0x056a0, 0x09ad0, 0x055d2,
    0x04ae0, 0x0a5b6, 0x0a4d0, 0x0d250, 0x1d255, 0x0b540, 0x0d6a0, 0x0ada2, 0x095b0, 0x14977,
    0x04970, 0x0a4b0, 0x0b4b5, 0x06a50, 0x06d40, 0x1ab54, 0x02b60, 0x09570, 0x052f2, 0x04970,
    0x06566, 0x0d4a0, 0x0ea50, 0x06e95, 0x05ad0, 0x02b60, 0x186e3, 0x092e0, 0x1c8d7, 0x0c950,
    0x0d4a0, 0x1d8a6, 0x0b550, 0x056a0, 0x1a5b4, 0x025d0, 0x092d0, 0x0d2b2, 0x0a950, 0x0b557,
    0x06ca0, 0x0b550, 0x15355, 0x04da0, 0x0a5b0, 0x14573, 0x052b0, 0x0a9a8, 0x0e950, 0x06aa0,
    0x0aea6, 0x0ab50, 0x04b60, 0x0aae4, 0x0a570, 0x05260, 0x0f263, 0x0d950, 0x05b57, 0x056a0,
    0x096d0, 0x04dd5, 0x04ad0, 0x0a4d0, 0x0d4d4, 0x0d250, 0x0d558, 0x0b540, 0x0b6a0, 0x195a6,
    0x095b0, 0x049b0, 0x0a974, 0x0a4b0, 0x0b27a, 0x06a50, 0x06d40, 0x0af46, 0x0ab60, 0x09570,
    0x04af5, 0x04970, 0x064b0, 0x074a3, 0x0ea50, 0x06b58, 0x055c0, 0x0ab60, 0x096d5, 0x092e0,
    0x0c960, 0x0d954, 0x0d4a0, 0x0da50, 0x07552, 0x056a0, 0x0abb7, 0x025d0, 0x092d0, 0x0cab5,
    0x0a950, 0x0b4a0, 0x0baa4, 0x0ad50, 0x055d9, 0x04ba0, 0x0a5b0, 0x15176, 0x052b0, 0x0a930,
    0x07954, 0x06aa0, 0x0ad50, 0x05b52, 0x04b60, 0x0a6e6, 0x0a4e0, 0x0d260, 0x0ea65, 0x0d530,
    0x05aa0, 0x076a3, 0x096d0, 0x04bd7, 0x04ad0, 0x0a4d0, 0x1d0b6, 0x0d250, 0x0d520, 0x0dd45,
    0x0b5a0, 0x056d0, 0x055b2, 0x049b0, 0x0a577, 0x0a4b0, 0x0aa50, 0x1b255, 0x06d20, 0x0ada0,
    0x14b63, 0x09370, 0x049f8, 0x04970, 0x064b0, 0x168a6, 0x0ea50, 0x06b20, 0x1a6c4, 0x0aae0,
    0x092e0, 0x0d2e3, 0x0c960, 0x0d557, 0x0d4a0, 0x0da50, 0x05d55, 0x056a0, 0x0a6d0, 0x055d4,
    0x052d0, 0x0a9b8, 0x0a950, 0x0b4a0, 0x0b6a6, 0x0ad50, 0x055a0, 0x0aba4, 0x0a5b0, 0x052b0,
    0x0b273, 0x06930, 0x07337, 0x06aa0, 0x0ad50, 0x14b55, 0x04b60, 0x0a570, 0x054e4, 0x0d160,
    0x0e968, 0x0d520, 0x0daa0, 0x16aa6, 0x056d0, 0x04ae0, 0x0a9d4, 0x0a2d0, 0x0d150, 0x0f252,
    0x0d520,
];

/// Days since 1970-01-01 of a Gregorian date.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Gregorian date of a day number.
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn month_len(info: u32, m: u32) -> i32 {
    if info >> (16 - m) & 1 == 1 { 30 } else { 29 }
}

fn leap_month(info: u32) -> u32 {
    info & 0xf
}

fn leap_len(info: u32) -> i32 {
    if info >> 16 & 1 == 1 { 30 } else { 29 }
}

fn year_len(info: u32) -> i32 {
    let mut n: i32 = (1..=12).map(|m| month_len(info, m)).sum();
    if leap_month(info) != 0 {
        n += leap_len(info);
    }
    n
}

fn epoch() -> i32 {
    days_from_civil(1900, 1, 31)
}

/// Solar day number of a lunar date (the ordinary month, not the leap one), if in range.
pub fn lunar_to_days(y: i32, m: u32, d: u32) -> Option<i32> {
    if !(1900..=2100).contains(&y) || !(1..=12).contains(&m) || !(1..=30).contains(&d) {
        return None;
    }
    let mut n = epoch();
    for yy in 1900..y {
        n += year_len(LUNAR[(yy - 1900) as usize]);
    }
    let info = LUNAR[(y - 1900) as usize];
    for mm in 1..m {
        n += month_len(info, mm);
        if leap_month(info) == mm {
            n += leap_len(info);
        }
    }
    Some(n + d as i32 - 1)
}

/// Lunar date (year, month, day) of a solar day number, if in range (leap months are
/// reported as their ordinary month number).
pub fn days_to_lunar(z: i32) -> Option<(i32, u32, u32)> {
    let mut off = z - epoch();
    if off < 0 {
        return None;
    }
    let mut y = 1900;
    loop {
        let info = *LUNAR.get((y - 1900) as usize)?;
        let l = year_len(info);
        if off < l {
            break;
        }
        off -= l;
        y += 1;
    }
    let info = LUNAR[(y - 1900) as usize];
    for m in 1..=12u32 {
        let l = month_len(info, m);
        if off < l {
            return Some((y, m, off as u32 + 1));
        }
        off -= l;
        if leap_month(info) == m {
            let l = leap_len(info);
            if off < l {
                return Some((y, m, off as u32 + 1));
            }
            off -= l;
        }
    }
    None
}

/// A date prepared for comparison: its year (solar), month and day as given, and the
/// solar day numbers it may stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PDate {
    /// The year as given (None when unknown).
    pub year: Option<i32>,
    /// Month as given.
    pub month: Option<u8>,
    /// Day as given.
    pub day: Option<u8>,
    /// How far off the year may be.
    pub approx: u8,
    /// The solar day as declared (lunar dates converted), if the date is complete.
    pub solar: Option<i32>,
    /// The solar day under the other calendar (a solar date read as lunar, or a lunar date
    /// read as solar), if complete.
    pub other: Option<i32>,
}

impl PDate {
    /// Prepares a partial date.
    pub fn new(d: &PartialDate) -> PDate {
        let year = d.year.filter(|y| (1800..=2200).contains(y));
        let month = d.month.filter(|m| (1..=12).contains(m));
        let day = d.day.filter(|x| (1..=31).contains(x) && month.is_some());
        let mut p = PDate {
            year,
            month,
            day,
            approx: d.approx_years.min(30),
            solar: None,
            other: None,
        };
        if let (Some(y), Some(m), Some(dd)) = (year, month, day) {
            let as_solar = (dd <= reunite_domain::record::days_in_month(Some(y), m))
                .then(|| days_from_civil(y, m as u32, dd as u32));
            let as_lunar = lunar_to_days(y, m as u32, dd as u32);
            match d.calendar {
                Calendar::Solar => {
                    p.solar = as_solar;
                    p.other = as_lunar;
                }
                Calendar::Lunar => {
                    p.solar = as_lunar;
                    p.other = as_solar;
                }
            }
            if let (Calendar::Lunar, Some(s)) = (d.calendar, p.solar) {
                // The year in solar terms (a lunar date early in the year falls in the next).
                p.year = Some(civil_from_days(s).0);
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-25567, 0, 12345, 20000, 47482] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn lunar_new_years() {
        // Lunar New Year's Day in known years.
        for (y, m, d) in [
            (1979, 1, 28),
            (1980, 2, 16),
            (1990, 1, 27),
            (2000, 2, 5),
            (2004, 1, 22),
            (2010, 2, 14),
            (2024, 2, 10),
        ] {
            assert_eq!(
                lunar_to_days(y, 1, 1),
                Some(days_from_civil(y, m, d)),
                "{y}"
            );
            assert_eq!(days_to_lunar(days_from_civil(y, m, d)), Some((y, 1, 1)));
        }
        // Chuseok 2004 (8/15 lunar) was 28 September.
        assert_eq!(
            lunar_to_days(2004, 8, 15),
            Some(days_from_civil(2004, 9, 28))
        );
    }

    #[test]
    fn lunar_round_trip() {
        let start = days_from_civil(1940, 3, 1);
        for z in (start..start + 36500).step_by(37) {
            let (y, m, d) = days_to_lunar(z).unwrap();
            let back = lunar_to_days(y, m, d).unwrap();
            // Leap months map back to the ordinary month, one month earlier.
            assert!(back == z || (z - back >= 29 && z - back <= 30), "{z}");
        }
    }
}
