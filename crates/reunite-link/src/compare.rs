//! The comparison model: each field of a request–case pair reaches a graded level.

use reunite_names::Level;

use crate::dates::PDate;
use crate::gazetteer::{self, PlaceId};
use crate::prepared::{Name, PPerson, PRecord};

/// Number of comparison fields.
pub const NF: usize = 9;

/// A level that says the value is missing on one side (neutral).
pub const MISSING: u8 = u8::MAX;

/// The comparison fields, in explain order.
pub const FIELDS: [&str; NF] = [
    "sought.name",
    "sought.birth",
    "sought.birthplace",
    "seeker.name",
    "seeker.birth",
    "seeker.sex",
    "father.name",
    "residence_cn",
    "separation.year",
];

const NAME_LEVELS: &[&str] = &[
    "different",
    "surname_only",
    "given_only",
    "surname_given_close",
    "close_reading",
    "same_reading",
    "identical",
];
const PLACE_LEVELS: &[&str] = &[
    "different",
    "same province",
    "same prefecture",
    "same county",
];

/// The level names of each field, least alike first.
pub fn levels(field: usize) -> &'static [&'static str] {
    match field {
        0 | 3 | 6 => NAME_LEVELS,
        1 => &[
            "different",
            "near",
            "within approx",
            "same year",
            "same month",
        ],
        2 | 7 => PLACE_LEVELS,
        4 => &[
            "different",
            "one year apart",
            "same year",
            "same month",
            "month/day swapped",
            "same day, other calendar",
            "same day",
        ],
        5 => &["different", "same"],
        8 => &["different", "within 3 years", "within approx", "same year"],
        _ => &[],
    }
}

/// Name fields and their index in [`Gamma::tf`].
pub const NAME_FIELDS: [usize; 3] = [0, 3, 6];

/// The comparison vector of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Gamma {
    /// Level per field ([`MISSING`] when either side lacks the value).
    pub levels: [u8; NF],
    /// The case-side child that fitted best (index into the case's children).
    pub child: Option<u16>,
    /// Surname keys of the best name pair of the three name fields (0 when none).
    pub tf: [u64; 3],
}

impl Gamma {
    /// The levels packed in 4 bits each (15 = missing), for counting patterns.
    pub fn pattern(&self) -> u64 {
        let mut p = 0u64;
        for (i, &l) in self.levels.iter().enumerate() {
            let v = if l == MISSING { 15 } else { l.min(14) as u64 };
            p |= v << (4 * i);
        }
        p
    }

    /// Unpacks [`Gamma::pattern`].
    pub fn unpack(p: u64) -> [u8; NF] {
        let mut l = [0u8; NF];
        for (i, x) in l.iter_mut().enumerate() {
            let v = (p >> (4 * i)) & 15;
            *x = if v == 15 { MISSING } else { v as u8 };
        }
        l
    }
}

fn level_index(l: Level) -> u8 {
    match l {
        Level::Different => 0,
        Level::SurnameOnly => 1,
        Level::GivenOnly => 2,
        Level::SurnameGivenClose => 3,
        Level::CloseReading => 4,
        Level::SameReading => 5,
        Level::Identical => 6,
    }
}

/// Whether a name level means the surnames agree (term frequencies apply).
pub fn surname_agrees(level: u8) -> bool {
    matches!(level, 1 | 3..=6)
}

/// Every name against every name; the best pair counts. Returns the level and the
/// surname key of the case-side name of that pair.
pub fn names(a: &[Name], b: &[Name]) -> (u8, u64) {
    if a.is_empty() || b.is_empty() {
        return (MISSING, 0);
    }
    let mut best = (0u8, -1.0f32, 0u64);
    for x in a {
        for y in b {
            for xr in x.readings() {
                for yr in y.readings() {
                    let c = reunite_names::compare(xr, yr);
                    let l = level_index(c.level);
                    if (l, c.similarity) > (best.0, best.1) {
                        best = (l, c.similarity, yr.surname_key());
                    }
                    if l == 6 {
                        return (l, best.2);
                    }
                }
            }
        }
    }
    (best.0, best.2)
}

/// The mother's birth (approximate years allowed on both sides).
pub fn approx_birth(a: Option<&PDate>, b: Option<&PDate>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else {
        return MISSING;
    };
    let (Some(ya), Some(yb)) = (a.year, b.year) else {
        return MISSING;
    };
    let d = (ya - yb).unsigned_abs();
    let tol = (a.approx as u32 + b.approx as u32).max(1);
    if d == 0 {
        if a.approx == 0 && b.approx == 0 && a.month.is_some() && a.month == b.month {
            4
        } else {
            3
        }
    } else if d <= tol {
        2
    } else if d <= tol + 3 {
        1
    } else {
        0
    }
}

/// A child's birth: partial dates, lunar dates converted both ways, month/day swaps.
pub fn child_birth(a: Option<&PDate>, b: Option<&PDate>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else {
        return MISSING;
    };
    let (Some(ya), Some(yb)) = (a.year, b.year) else {
        return MISSING;
    };
    if ya == yb
        && a.day.is_some()
        && (a.month, a.day) == (b.month, b.day)
        && (a.solar.is_none() || b.solar.is_none())
    {
        // The same date as written (also when no calendar can place it).
        return 6;
    }
    if let (Some(x), Some(y)) = (a.solar, b.solar) {
        if x == y {
            return 6;
        }
        if a.other == Some(y) || b.other == Some(x) {
            return 5;
        }
    }
    if ya == yb
        && let (Some(ma), Some(da), Some(mb), Some(db)) = (a.month, a.day, b.month, b.day)
        && ma == db
        && da == mb
        && ma != da
    {
        return 4;
    }
    let d = (ya - yb).unsigned_abs();
    let tol = (a.approx as u32 + b.approx as u32).max(1);
    if d == 0 {
        if a.month.is_some() && a.month == b.month {
            3
        } else {
            2
        }
    } else if d <= tol {
        1
    } else {
        0
    }
}

pub(crate) fn sex(
    a: Option<reunite_domain::record::Sex>,
    b: Option<reunite_domain::record::Sex>,
) -> u8 {
    match (a, b) {
        (Some(x), Some(y)) => (x == y) as u8,
        _ => MISSING,
    }
}

pub(crate) fn place(a: &PlaceId, b: &PlaceId) -> u8 {
    use gazetteer::PlaceLevel as P;
    match gazetteer::compare(a, b) {
        Some(P::Different) => 0,
        // Knowing only the country says nothing here.
        Some(P::SameCountry) | None => MISSING,
        Some(P::SameProvince) => 1,
        Some(P::SamePrefecture) => 2,
        Some(P::SameCounty) => 3,
    }
}

pub(crate) fn separation(a: Option<(i32, u8)>, b: Option<(i32, u8)>) -> u8 {
    let (Some((ya, aa)), Some((yb, ab))) = (a, b) else {
        return MISSING;
    };
    let d = (ya - yb).unsigned_abs();
    if d == 0 {
        3
    } else if d <= (aa as u32 + ab as u32).max(1) {
        2
    } else if d <= 3 {
        1
    } else {
        0
    }
}

/// Levels of a child pair: (name, birth, sex) and the name's surname key.
pub(crate) fn child_pair(a: &PPerson, b: &PPerson) -> ([u8; 3], u64) {
    let (n, k) = names(&a.names, &b.names);
    (
        [
            n,
            child_birth(a.birth.as_ref(), b.birth.as_ref()),
            sex(a.sex, b.sex),
        ],
        k,
    )
}

/// The case-side child that fits the request's child best: its levels (name, birth, sex),
/// the surname key of its name pair and its index (`[MISSING; 3]` and `None` when either
/// side has no child). `child_score` rates a child pair's levels.
pub(crate) fn best_child(
    a: &PRecord,
    b: &PRecord,
    child_score: &dyn Fn(&[u8; 3]) -> f64,
) -> ([u8; 3], u64, Option<u16>) {
    let mut best: Option<(f64, [u8; 3], u64, u16)> = None;
    for ca in &a.children {
        for (j, cb) in b.children.iter().enumerate() {
            let (l, k) = child_pair(ca, cb);
            let s = child_score(&l);
            if best.is_none_or(|b| s > b.0) {
                best = Some((s, l, k, j as u16));
            }
        }
    }
    match best {
        Some((_, l, k, j)) => (l, k, Some(j)),
        None => ([MISSING; 3], 0, None),
    }
}

/// Compares a request-shaped record `a` with a case-shaped record `b`. `child_score` rates
/// a child pair's (name, birth, sex) levels so the best-fitting child is chosen; usually
/// the sum of the model's Bayes factors.
pub fn compare(a: &PRecord, b: &PRecord, child_score: &dyn Fn(&[u8; 3]) -> f64) -> Gamma {
    let (mn, mk) = names(&a.mother.names, &b.mother.names);
    let (cl, ck, child) = best_child(a, b, child_score);
    let (fl, fk) = names(&a.father, &b.father);
    Gamma {
        levels: [
            mn,
            approx_birth(a.mother.birth.as_ref(), b.mother.birth.as_ref()),
            place(&a.mother.place, &b.mother.place),
            cl[0],
            cl[1],
            cl[2],
            fl,
            place(&a.residence, &b.residence),
            separation(a.separation, b.separation),
        ],
        child,
        tf: [mk, ck, fk],
    }
}
