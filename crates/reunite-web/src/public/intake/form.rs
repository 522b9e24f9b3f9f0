//! The public tracing-request form: its fields (each optional, with help text), parsing into
//! a [`TracingRequest`], and validation with messages in the seeker's language. Whatever
//! was typed is kept and shown again when something needs fixing.

use crate::kernel::i18n::Tr;
use reunite_domain::{
    Cause, Name, PartialDate, Person, Place, Relation, Separation, Sex, TracingRequest,
};
use std::collections::HashMap;

/// Longest single-line field (characters).
pub(crate) const MAX_FIELD: usize = 200;
/// Longest free text (characters).
pub(crate) const MAX_NOTE: usize = 2000;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Year,
    Small,
    Select(&'static [(&'static str, &'static str)]),
    Area,
}

/// (id, label key, help key or "", kind)
type Spec = (&'static str, &'static str, &'static str, Kind);

const RELATION: &[(&str, &str)] = &[
    ("child", "pub.f.relation_child"),
    ("relative", "pub.f.relation_relative"),
];
const SEX: &[(&str, &str)] = &[
    ("", "pub.f.unknown"),
    ("f", "pub.f.sex_f"),
    ("m", "pub.f.sex_m"),
];
const HOW: &[(&str, &str)] = &[
    ("", "pub.f.unknown"),
    // Neutral values: the page source must not name what happened either.
    ("1", "pub.f.how_sent_back"),
    ("2", "pub.f.how_left"),
    ("3", "pub.f.how_taken"),
    ("4", "pub.f.how_other"),
];

/// The form's sections: (legend key, intro key, fields).
const SECTIONS: &[(&str, &str, &[Spec])] = &[
    (
        "pub.f.you",
        "",
        &[("relation", "pub.f.relation", "", Kind::Select(RELATION))],
    ),
    (
        "pub.f.mother",
        "pub.f.mother_intro",
        &[
            ("m_name1", "pub.f.m_name", "pub.f.m_name_help", Kind::Text),
            ("m_name2", "pub.f.m_name_other", "", Kind::Text),
            ("m_name3", "pub.f.m_name_other", "", Kind::Text),
            ("m_year", "pub.f.m_year", "pub.f.m_year_help", Kind::Year),
            ("m_age", "pub.f.m_age", "pub.f.m_age_help", Kind::Small),
            (
                "m_origin",
                "pub.f.m_origin",
                "pub.f.m_origin_help",
                Kind::Text,
            ),
        ],
    ),
    (
        "pub.f.child",
        "pub.f.child_intro",
        &[
            ("c_name1", "pub.f.c_name", "pub.f.c_name_help", Kind::Text),
            ("c_name2", "pub.f.c_name_other", "", Kind::Text),
            ("c_sex", "pub.f.c_sex", "", Kind::Select(SEX)),
            ("c_year", "pub.f.c_year", "", Kind::Year),
            ("c_month", "pub.f.c_month", "", Kind::Small),
            ("c_day", "pub.f.c_day", "", Kind::Small),
            ("c_place", "pub.f.c_place", "pub.f.c_place_help", Kind::Text),
        ],
    ),
    (
        "pub.f.father",
        "",
        &[
            ("f_name1", "pub.f.f_name", "pub.f.f_name_help", Kind::Text),
            ("f_name2", "pub.f.f_name_other", "", Kind::Text),
        ],
    ),
    (
        "pub.f.family",
        "",
        &[
            ("home", "pub.f.home", "pub.f.home_help", Kind::Text),
            (
                "sep_year",
                "pub.f.sep_year",
                "pub.f.sep_year_help",
                Kind::Year,
            ),
            ("sep_place", "pub.f.sep_place", "", Kind::Text),
            ("sep_how", "pub.f.sep_how", "", Kind::Select(HOW)),
            ("note", "pub.f.note", "pub.f.note_help", Kind::Area),
        ],
    ),
];

/// Every field id of the form.
pub(crate) fn field_ids() -> impl Iterator<Item = &'static str> {
    SECTIONS.iter().flat_map(|s| s.2.iter().map(|f| f.0))
}

/// One field as the template draws it.
pub(crate) struct FieldView {
    pub id: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub value: String,
    pub error: &'static str,
    /// "text", "year", "small", "select", "area"
    pub kind: &'static str,
    pub options: Vec<(&'static str, &'static str, bool)>,
}

pub(crate) struct SectionView {
    pub legend: &'static str,
    pub intro: &'static str,
    pub fields: Vec<FieldView>,
}

/// What was typed, by field id (unknown fields are dropped).
#[derive(Default)]
pub(crate) struct Input(pub HashMap<&'static str, String>);

impl Input {
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut m = HashMap::new();
        for id in field_ids() {
            if let Some((_, v)) = pairs.iter().find(|(k, _)| k == id) {
                m.insert(id, v.clone());
            }
        }
        Input(m)
    }

    fn get(&self, id: &str) -> &str {
        self.0.get(id).map(|s| s.trim()).unwrap_or("")
    }
}

/// Problems by field id (message keys); `_form` for the whole form.
pub(crate) type Problems = Vec<(&'static str, &'static str)>;

pub(crate) fn sections(t: Tr, input: &Input, problems: &Problems) -> Vec<SectionView> {
    SECTIONS
        .iter()
        .map(|(legend, intro, specs)| SectionView {
            legend: t.s(legend),
            intro: if intro.is_empty() { "" } else { t.s(intro) },
            fields: specs
                .iter()
                .map(|&(id, label, help, kind)| {
                    let value = input.0.get(id).cloned().unwrap_or_default();
                    let (kind_name, options) = match kind {
                        Kind::Text => ("text", vec![]),
                        Kind::Year => ("year", vec![]),
                        Kind::Small => ("small", vec![]),
                        Kind::Area => ("area", vec![]),
                        Kind::Select(opts) => (
                            "select",
                            opts.iter()
                                .map(|(v, k)| (*v, t.s(k), value.trim() == *v))
                                .collect(),
                        ),
                    };
                    FieldView {
                        id,
                        label: t.s(label),
                        help: if help.is_empty() { "" } else { t.s(help) },
                        error: problems
                            .iter()
                            .find(|p| p.0 == id)
                            .map(|p| t.s(p.1))
                            .unwrap_or(""),
                        value,
                        kind: kind_name,
                        options,
                    }
                })
                .collect(),
        })
        .collect()
}

fn number(
    input: &Input,
    id: &'static str,
    range: std::ops::RangeInclusive<i64>,
    err: &'static str,
    problems: &mut Problems,
) -> Option<i64> {
    let s = input.get(id);
    if s.is_empty() {
        return None;
    }
    // Full-width digits are common on Chinese keyboards.
    let ascii: String = s
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            _ => c,
        })
        .collect();
    match ascii.parse::<i64>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            problems.push((id, err));
            None
        }
    }
}

fn names(input: &Input, ids: &[&'static str]) -> Vec<Name> {
    ids.iter()
        .map(|id| input.get(id))
        .filter(|s| !s.is_empty())
        .map(|s| Name {
            text: s.to_string(),
            kind: None,
        })
        .collect()
}

fn place(input: &Input, id: &str) -> Option<Place> {
    let s = input.get(id);
    (!s.is_empty()).then(|| Place {
        text: s.to_string(),
        country: None,
    })
}

/// Parses and checks the form. `this_year` bounds years and turns an age into a birth year.
pub(crate) fn parse(input: &Input, this_year: i64) -> Result<(TracingRequest, String), Problems> {
    let mut p: Problems = Vec::new();
    for id in field_ids() {
        let limit = if id == "note" { MAX_NOTE } else { MAX_FIELD };
        if input.get(id).chars().count() > limit {
            p.push((id, "pub.err.too_long"));
        }
    }
    let years = 1900..=this_year;
    let m_year = number(input, "m_year", years.clone(), "pub.err.year", &mut p);
    let m_age = number(input, "m_age", 10..=120, "pub.err.age", &mut p);
    let c_year = number(input, "c_year", years.clone(), "pub.err.year", &mut p);
    let c_month = number(input, "c_month", 1..=12, "pub.err.month", &mut p);
    let c_day = number(input, "c_day", 1..=31, "pub.err.day", &mut p);
    let sep_year = number(input, "sep_year", years, "pub.err.year", &mut p);
    if c_day.is_some() && c_month.is_none() && !p.iter().any(|x| x.0 == "c_month") {
        p.push(("c_day", "pub.err.day_without_month"));
    }
    if let (Some(y), Some(m), Some(d)) = (c_year, c_month, c_day) {
        let max = reunite_domain::record::days_in_month(Some(y as i32), m as u8);
        if d as u8 > max {
            p.push(("c_day", "pub.err.day"));
        }
    }
    let pick = |id: &'static str, allowed: &[(&str, &str)], p: &mut Problems| {
        let v = input.get(id);
        if allowed.iter().any(|(a, _)| *a == v) || v.is_empty() {
            v.to_string()
        } else {
            p.push((id, "pub.err.choice"));
            String::new()
        }
    };
    let relation = pick("relation", RELATION, &mut p);
    let sex = pick("c_sex", SEX, &mut p);
    let how = pick("sep_how", HOW, &mut p);

    let mother_names = names(input, &["m_name1", "m_name2", "m_name3"]);
    let child_names = names(input, &["c_name1", "c_name2"]);
    if mother_names.is_empty() && child_names.is_empty() {
        p.push(("m_name1", "pub.err.need_name"));
        p.push(("c_name1", "pub.err.need_name"));
    }
    let details = [
        "m_year",
        "m_age",
        "m_origin",
        "c_year",
        "c_place",
        "f_name1",
        "f_name2",
        "home",
        "sep_year",
        "sep_place",
    ];
    if details.iter().all(|id| input.get(id).is_empty()) {
        p.push(("_form", "pub.err.need_detail"));
    }
    if !p.is_empty() {
        return Err(p);
    }

    let m_birth = match (m_year, m_age) {
        (Some(y), _) => Some(PartialDate {
            year: Some(y as i32),
            ..PartialDate::default()
        }),
        (None, Some(a)) => Some(PartialDate {
            year: Some((this_year - a) as i32),
            approx_years: 2,
            ..PartialDate::default()
        }),
        _ => None,
    };
    let c_birth = (c_year.is_some() || c_month.is_some()).then(|| PartialDate {
        year: c_year.map(|y| y as i32),
        month: c_month.map(|m| m as u8),
        day: c_day.map(|d| d as u8),
        ..PartialDate::default()
    });
    let father_names = names(input, &["f_name1", "f_name2"]);
    let cause = match how.as_str() {
        "1" => Some(Cause::Repatriation),
        "2" => Some(Cause::Flight),
        "3" => Some(Cause::Trafficking),
        "4" => Some(Cause::Other),
        _ => None,
    };
    let separation = Separation {
        date: sep_year.map(|y| PartialDate {
            year: Some(y as i32),
            approx_years: 1,
            ..PartialDate::default()
        }),
        place: place(input, "sep_place"),
        cause,
    };
    let has_sep = separation.date.is_some() || separation.place.is_some() || cause.is_some();
    let req = TracingRequest {
        id: String::new(),
        sought: Person {
            names: mother_names,
            sex: Some(Sex::F),
            birth: m_birth,
            birthplace: place(input, "m_origin"),
        },
        seeker: Person {
            names: child_names,
            sex: match sex.as_str() {
                "f" => Some(Sex::F),
                "m" => Some(Sex::M),
                _ => None,
            },
            birth: c_birth,
            birthplace: place(input, "c_place"),
        },
        relation: Some(if relation == "relative" {
            Relation::Relative
        } else {
            Relation::Child
        }),
        father: (!father_names.is_empty()).then(|| Person {
            names: father_names,
            ..Person::default()
        }),
        separation: has_sep.then_some(separation),
        residence_cn: place(input, "home"),
    };
    // The domain's own rules as a last check (the form's rules are stricter).
    let mut checked = req.clone();
    checked.id = "r-check".into();
    if !checked.validate().is_empty() {
        return Err(vec![("_form", "pub.err.check")]);
    }
    Ok((req, input.get("note").to_string()))
}
