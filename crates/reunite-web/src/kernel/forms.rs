//! Reading submitted forms: the fields by name, and one reader each for the values several
//! forms share (a partial date, a place), so that every form accepts and refuses the same.

use reunite_domain::{Calendar, PartialDate, Place};
use std::collections::BTreeMap;

/// The submitted form, by field name.
pub(crate) struct Fields(pub BTreeMap<String, String>);

impl Fields {
    pub fn get(&self, k: &str) -> &str {
        self.0.get(k).map(|s| s.as_str()).unwrap_or("")
    }
    pub fn on(&self, k: &str) -> bool {
        self.0.contains_key(k)
    }
    /// How many numbered rows `prefix_N_…` the form had.
    pub fn rows(&self, prefix: &str) -> usize {
        self.0
            .keys()
            .filter_map(|k| k.strip_prefix(prefix))
            .filter_map(|rest| rest.split('_').next()?.parse::<usize>().ok())
            .map(|n| n + 1)
            .max()
            .unwrap_or(0)
            .min(reunite_domain::record::MAX_ITEMS + 5)
    }
}

/// A problem found while reading the form itself (a year that is not a number).
pub(crate) struct FormProblem {
    /// Form key of the box (`m_birth`, `c_1_birth` …).
    pub key: String,
    pub message: &'static str,
}

pub(crate) fn date(f: &Fields, key: &str, problems: &mut Vec<FormProblem>) -> Option<PartialDate> {
    let mut bad = false;
    let mut num = |field: &str| -> Option<i64> {
        let s = f.get(&format!("{key}_{field}")).trim();
        if s.is_empty() {
            return None;
        }
        match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                bad = true;
                None
            }
        }
    };
    let year = num("year");
    let month = num("month");
    let day = num("day");
    let approx = num("approx");
    if bad {
        problems.push(FormProblem {
            key: key.into(),
            message: "case.problem.number",
        });
    }
    let clamp_u8 = |n: i64| u8::try_from(n).unwrap_or(u8::MAX);
    let d = PartialDate {
        year: year.map(|y| i32::try_from(y).unwrap_or(i32::MAX)),
        month: month.map(clamp_u8),
        day: day.map(clamp_u8),
        calendar: if f.on(&format!("{key}_lunar")) {
            Calendar::Lunar
        } else {
            Calendar::Solar
        },
        approx_years: approx.map(clamp_u8).unwrap_or(0),
    };
    (!d.is_empty() || d.approx_years > 0).then_some(d)
}

pub(crate) fn place(f: &Fields, key: &str) -> Option<Place> {
    let text = f.get(&format!("{key}_text")).trim().to_string();
    let country = f.get(&format!("{key}_country")).trim().to_uppercase();
    if text.is_empty() && country.is_empty() {
        return None;
    }
    Some(Place {
        text,
        country: (!country.is_empty()).then_some(country),
    })
}
