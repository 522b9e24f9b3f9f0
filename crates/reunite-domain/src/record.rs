//! The records that tracing is about — cases, tracing requests, matches — in the shape of
//! `shared/design/INTERCHANGE.md` (JSON Lines). The web forms and the database hold the
//! same information; these types are how it is validated, imported, exported and matched.
//!
//! People know what they know: every field but `id` and `names` may be missing. A name's
//! script is detected (by `reunite-names`), never declared. Unknown JSON fields are an
//! error, not ignored.
//!
//! Fields beyond INTERCHANGE.md (documented in `docs/interchange-extensions.md`) are all
//! optional, so files written by others read unchanged: a child's last known place and
//! with whom, the current contact status, and the mother's consent choices.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A name as written, in any script and order.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    /// The name as written.
    pub text: String,
    /// What kind of name it is, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<NameKind>,
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name([redacted], {:?})", self.kind)
    }
}

/// The kind of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameKind {
    /// The name given at birth (for a North Korean mother, usually in Hangul).
    Birth,
    /// A name used elsewhere, e.g. the Chinese alias she was called in China.
    Alias,
    /// The name in use now (e.g. the name she took in South Korea).
    Current,
    /// A nickname or pet name.
    Nickname,
}

/// Solar (Gregorian) or Korean/Chinese lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Calendar {
    /// Gregorian.
    #[default]
    Solar,
    /// Lunisolar (the date as a family remembers a birthday).
    Lunar,
}

fn is_solar(c: &Calendar) -> bool {
    *c == Calendar::Solar
}
fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// A date known in part: maybe only the year, maybe only roughly ("about 45 in 2024" →
/// year 1979, `approx_years` 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PartialDate {
    /// Year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Month, 1–12.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
    /// Day, 1–31 (1–30 in a lunar month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<u8>,
    /// Calendar of the date.
    #[serde(default, skip_serializing_if = "is_solar")]
    pub calendar: Calendar,
    /// How many years the year may be off.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub approx_years: u8,
}

impl PartialDate {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.year.is_none() && self.month.is_none() && self.day.is_none()
    }
}

/// A place as written, with its country if known.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Free text, e.g. "吉林省 延边州 和龙市 八家子镇" or "Hoeryong".
    pub text: String,
    /// ISO 3166-1 alpha-2 (KP, CN, KR …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl fmt::Debug for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Place([redacted], {:?})", self.country)
    }
}

/// Sex as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// Female.
    #[serde(rename = "f")]
    F,
    /// Male.
    #[serde(rename = "m")]
    M,
}

/// A person as someone remembers her or him.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Every name known.
    #[serde(default)]
    pub names: Vec<Name>,
    /// Sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Birth date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<PartialDate>,
    /// Birthplace (for a mother: her origin in North Korea).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthplace: Option<Place>,
}

/// A child of a case: a person plus where the child was last known to be.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Child {
    /// Every name known (Chinese, Korean, nicknames).
    #[serde(default)]
    pub names: Vec<Name>,
    /// Sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Birth date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<PartialDate>,
    /// Birthplace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthplace: Option<Place>,
    /// Where the child was last known to be (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_known: Option<Place>,
    /// With whom the child was last known to live (extension; free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_whom: Option<String>,
}

// By hand: `with_whom` is free text that may name people, so Debug must not show it.
impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("names", &self.names)
            .field("sex", &self.sex)
            .field("birth", &self.birth)
            .field("birthplace", &self.birthplace)
            .field("last_known", &self.last_known)
            .field("with_whom", &self.with_whom.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Child {
    /// The child as a plain person (for matching).
    pub fn person(&self) -> Person {
        Person {
            names: self.names.clone(),
            sex: self.sex,
            birth: self.birth,
            birthplace: self.birthplace.clone(),
        }
    }
}

/// How mother and child were separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    /// Forced repatriation to North Korea.
    Repatriation,
    /// Flight to South Korea.
    Flight,
    /// Trafficking.
    Trafficking,
    /// Anything else.
    Other,
}

/// The separation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Separation {
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// How.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// What contact exists now between mother and child (extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// No contact.
    None,
    /// They can contact each other but cannot meet.
    ContactNoMeeting,
    /// The Chinese family blocks contact.
    BlockedByFamily,
    /// She does not know where the child is.
    UnknownWhereabouts,
}

/// The mother's consent choices (extension). Every choice defaults to "no": nothing is
/// assumed that she did not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// May she be found at all (may a match be proposed to her)?
    #[serde(default)]
    pub findable: bool,
    /// May her children find her?
    #[serde(default)]
    pub by_child: bool,
    /// May other relatives find her?
    #[serde(default)]
    pub by_relatives: bool,
    /// May her data count in statistics?
    #[serde(default)]
    pub statistics: bool,
    /// May a caseworker disclose her contact after her approval?
    #[serde(default)]
    pub disclose_after_approval: bool,
}

/// A mother's separation case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Identifier, e.g. `c-000123`.
    pub id: String,
    /// The mother.
    pub mother: Person,
    /// Her children.
    #[serde(default)]
    pub children: Vec<Child>,
    /// The Chinese father.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub father: Option<Person>,
    /// The separation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separation: Option<Separation>,
    /// Where the family lived in China.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence_cn: Option<Place>,
    /// Current contact (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactStatus>,
    /// Consent choices (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
}

/// Who files a tracing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// The child.
    Child,
    /// A relative on the child's behalf (`seeker` then describes the child).
    Relative,
}

/// What a seeker files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TracingRequest {
    /// Identifier, e.g. `r-000045`.
    pub id: String,
    /// The mother being sought.
    #[serde(default)]
    pub sought: Person,
    /// The child (the seeker, or the child a relative seeks for).
    #[serde(default)]
    pub seeker: Person,
    /// Child or relative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<Relation>,
    /// The father.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub father: Option<Person>,
    /// The separation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separation: Option<Separation>,
    /// Where the family lived in China.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence_cn: Option<Place>,
}

/// One field's contribution to a match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainEntry {
    /// Which comparison (`sought.name`, `seeker.birth`, …).
    pub field: String,
    /// The level reached (`exact`, `same reading`, …).
    pub level: String,
    /// Its log2 Bayes factor.
    pub log2_bf: f64,
}

/// What the matcher writes for a request–case pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRecord {
    /// Request id.
    pub request: String,
    /// Case id.
    pub case: String,
    /// Index of the best-fitting child in the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child: Option<usize>,
    /// Posterior probability of a match.
    pub probability: f64,
    /// log2 odds of a match.
    pub match_weight: f64,
    /// Per-field contributions; with the prior they add up to `match_weight`.
    pub explain: Vec<ExplainEntry>,
}

/// A problem with one field of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Path of the field, e.g. `children[1].birth.month`.
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

/// The kinds of problems, each with a message key for the user interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A required value is empty.
    Missing,
    /// A month outside 1–12.
    Month,
    /// A day outside the month.
    Day,
    /// A year outside 1900–2100.
    Year,
    /// A day without a month.
    DayWithoutMonth,
    /// A country that is not two capital letters.
    Country,
    /// Text longer than the limit.
    TooLong,
    /// An id with characters other than letters, digits, `-`, `_`, `.`.
    Id,
    /// More than the allowed number of items.
    TooMany,
}

impl Problem {
    /// Message key (the web tier translates it).
    pub fn key(self) -> &'static str {
        match self {
            Problem::Missing => "problem.missing",
            Problem::Month => "problem.month",
            Problem::Day => "problem.day",
            Problem::Year => "problem.year",
            Problem::DayWithoutMonth => "problem.day_without_month",
            Problem::Country => "problem.country",
            Problem::TooLong => "problem.too_long",
            Problem::Id => "problem.id",
            Problem::TooMany => "problem.too_many",
        }
    }

    /// English message (command line).
    pub fn english(self) -> &'static str {
        match self {
            Problem::Missing => "is required",
            Problem::Month => "month must be 1 to 12",
            Problem::Day => "day does not exist in that month",
            Problem::Year => "year must be between 1900 and 2100",
            Problem::DayWithoutMonth => "a day needs a month",
            Problem::Country => "country must be a two-letter ISO code such as KP, CN or KR",
            Problem::TooLong => "is too long",
            Problem::Id => "id may contain only letters, digits, '-', '_' and '.'",
            Problem::TooMany => "has too many items",
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem.english())
    }
}

/// Longest text accepted in one field (characters).
pub const MAX_TEXT: usize = 500;
/// Most names, children or items accepted in one list.
pub const MAX_ITEMS: usize = 50;

struct Check {
    problems: Vec<FieldProblem>,
}

impl Check {
    fn push(&mut self, field: impl Into<String>, problem: Problem) {
        self.problems.push(FieldProblem {
            field: field.into(),
            problem,
        });
    }

    fn text(&mut self, field: &str, t: &str, required: bool) {
        if required && t.trim().is_empty() {
            self.push(field, Problem::Missing);
        }
        if t.chars().count() > MAX_TEXT {
            self.push(field, Problem::TooLong);
        }
    }

    fn id(&mut self, id: &str) {
        if id.is_empty() {
            self.push("id", Problem::Missing);
        } else if id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            self.push("id", Problem::Id);
        }
    }

    fn date(&mut self, field: &str, d: &PartialDate) {
        if let Some(y) = d.year
            && !(1900..=2100).contains(&y)
        {
            self.push(format!("{field}.year"), Problem::Year);
        }
        if let Some(m) = d.month
            && !(1..=12).contains(&m)
        {
            self.push(format!("{field}.month"), Problem::Month);
        }
        if let Some(day) = d.day {
            match d.month {
                None => self.push(format!("{field}.day"), Problem::DayWithoutMonth),
                Some(m) if (1..=12).contains(&m) => {
                    let max = match d.calendar {
                        Calendar::Lunar => 30,
                        Calendar::Solar => days_in_month(d.year, m),
                    };
                    if day == 0 || day > max {
                        self.push(format!("{field}.day"), Problem::Day);
                    }
                }
                Some(_) => {}
            }
        }
    }

    fn place(&mut self, field: &str, p: &Place) {
        self.text(&format!("{field}.text"), &p.text, false);
        if let Some(c) = &p.country
            && (c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()))
        {
            self.push(format!("{field}.country"), Problem::Country);
        }
    }

    fn names(&mut self, field: &str, names: &[Name], required: bool) {
        if names.len() > MAX_ITEMS {
            self.push(field, Problem::TooMany);
        }
        if required && names.iter().all(|n| n.text.trim().is_empty()) {
            self.push(field, Problem::Missing);
        }
        for (i, n) in names.iter().enumerate() {
            self.text(&format!("{field}[{i}].text"), &n.text, true);
        }
    }

    fn person(&mut self, field: &str, p: &Person, names_required: bool) {
        self.names(&format!("{field}.names"), &p.names, names_required);
        if let Some(d) = &p.birth {
            self.date(&format!("{field}.birth"), d);
        }
        if let Some(pl) = &p.birthplace {
            self.place(&format!("{field}.birthplace"), pl);
        }
    }

    fn separation(&mut self, s: &Separation) {
        if let Some(d) = &s.date {
            self.date("separation.date", d);
        }
        if let Some(p) = &s.place {
            self.place("separation.place", p);
        }
    }
}

/// Days in a Gregorian month (February of an unknown year: 29).
pub fn days_in_month(year: Option<i32>, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => match year {
            Some(y) if !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) => 28,
            _ => 29,
        },
        _ => 0,
    }
}

impl Case {
    /// Every problem with this case (empty when valid). The mother needs at least one name.
    pub fn validate(&self) -> Vec<FieldProblem> {
        let mut c = Check {
            problems: Vec::new(),
        };
        c.id(&self.id);
        c.person("mother", &self.mother, true);
        if self.children.len() > MAX_ITEMS {
            c.push("children", Problem::TooMany);
        }
        for (i, ch) in self.children.iter().enumerate() {
            let f = format!("children[{i}]");
            c.names(&format!("{f}.names"), &ch.names, false);
            if let Some(d) = &ch.birth {
                c.date(&format!("{f}.birth"), d);
            }
            if let Some(p) = &ch.birthplace {
                c.place(&format!("{f}.birthplace"), p);
            }
            if let Some(p) = &ch.last_known {
                c.place(&format!("{f}.last_known"), p);
            }
            if let Some(w) = &ch.with_whom {
                c.text(&format!("{f}.with_whom"), w, false);
            }
        }
        if let Some(f) = &self.father {
            c.person("father", f, false);
        }
        if let Some(s) = &self.separation {
            c.separation(s);
        }
        if let Some(p) = &self.residence_cn {
            c.place("residence_cn", p);
        }
        c.problems
    }
}

impl TracingRequest {
    /// Every problem with this request (empty when valid). A request must name the mother
    /// or the child, or it cannot be matched.
    pub fn validate(&self) -> Vec<FieldProblem> {
        let mut c = Check {
            problems: Vec::new(),
        };
        c.id(&self.id);
        c.person("sought", &self.sought, false);
        c.person("seeker", &self.seeker, false);
        let named = |p: &Person| p.names.iter().any(|n| !n.text.trim().is_empty());
        if !named(&self.sought) && !named(&self.seeker) {
            c.push("sought.names", Problem::Missing);
        }
        if let Some(f) = &self.father {
            c.person("father", f, false);
        }
        if let Some(s) = &self.separation {
            c.separation(s);
        }
        if let Some(p) = &self.residence_cn {
            c.place("residence_cn", p);
        }
        c.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = r#"{"id": "c-000123",
 "mother":   {"names": [{"text": "리영자", "kind": "birth"}, {"text": "金英子", "kind": "alias"},
                        {"text": "이수진", "kind": "current"}],
              "sex": "f", "birth": {"year": 1979, "month": 3}, "birthplace": {"text": "함경북도 회령시", "country": "KP"}},
 "children": [{"names": [{"text": "王明", "kind": "birth"}], "sex": "m",
               "birth": {"year": 2004, "month": 6, "day": 12}, "birthplace": {"text": "黑龙江省 鸡西市", "country": "CN"}}],
 "father":   {"names": [{"text": "王建国"}]},
 "separation": {"date": {"year": 2011}, "place": {"text": "鸡西", "country": "CN"}, "cause": "repatriation"},
 "residence_cn": {"text": "黑龙江省 鸡西市 密山市", "country": "CN"}}"#;

    const REQUEST: &str = r#"{"id": "r-000045",
 "sought":   {"names": [{"text": "金英子"}], "birth": {"year": 1980, "approx_years": 3},
              "birthplace": {"text": "朝鲜", "country": "KP"}},
 "seeker":   {"names": [{"text": "王明"}, {"text": "Wang Ming"}], "sex": "m",
              "birth": {"year": 2004, "month": 6, "day": 12}, "birthplace": {"text": "密山", "country": "CN"}},
 "relation": "child",
 "father":   {"names": [{"text": "王建国"}]},
 "separation": {"date": {"year": 2010, "approx_years": 1}},
 "residence_cn": {"text": "黑龙江 密山", "country": "CN"}}"#;

    #[test]
    fn interchange_examples_parse_validate_and_round_trip() {
        let c: Case = serde_json::from_str(CASE).unwrap();
        assert!(c.validate().is_empty(), "{:?}", c.validate());
        assert_eq!(c.mother.names.len(), 3);
        assert_eq!(c.mother.names[1].kind, Some(NameKind::Alias));
        let back: Case = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        let r: TracingRequest = serde_json::from_str(REQUEST).unwrap();
        assert!(r.validate().is_empty());
        assert_eq!(r.sought.birth.unwrap().approx_years, 3);
        assert_eq!(r.relation, Some(Relation::Child));
    }

    #[test]
    fn unknown_fields_are_errors() {
        let bad = CASE.replacen("\"father\"", "\"fathr\"", 1);
        let e = serde_json::from_str::<Case>(&bad).unwrap_err().to_string();
        assert!(e.contains("fathr"), "{e}");
    }

    #[test]
    fn validation_names_each_bad_field() {
        let mut c: Case = serde_json::from_str(CASE).unwrap();
        c.mother.birth = Some(PartialDate {
            year: Some(1979),
            month: Some(2),
            day: Some(30),
            ..Default::default()
        });
        c.children[0].birth = Some(PartialDate {
            month: Some(13),
            ..Default::default()
        });
        c.residence_cn = Some(Place {
            text: "x".into(),
            country: Some("china".into()),
        });
        let fields: Vec<_> = c.validate().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "mother.birth.day",
                "children[0].birth.month",
                "residence_cn.country"
            ]
        );
        c.mother.names.clear();
        assert!(c.validate().iter().any(|p| p.field == "mother.names"));
    }

    #[test]
    fn lunar_days_and_leap_years() {
        let d = |y, m, d, cal| PartialDate {
            year: Some(y),
            month: Some(m),
            day: Some(d),
            calendar: cal,
            approx_years: 0,
        };
        let mut c = Check { problems: vec![] };
        c.date("a", &d(2000, 2, 29, Calendar::Solar));
        c.date("b", &d(1900, 2, 29, Calendar::Solar));
        c.date("c", &d(1990, 12, 30, Calendar::Lunar));
        c.date("e", &d(1990, 1, 31, Calendar::Lunar));
        let fields: Vec<_> = c.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["b.day", "e.day"]);
    }

    #[test]
    fn debug_does_not_show_names_or_places() {
        let c: Case = serde_json::from_str(CASE).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("리영자") && !d.contains("鸡西") && !d.contains("王"));
    }

    #[test]
    fn debug_does_not_show_with_whom() {
        let mut c: Case = serde_json::from_str(CASE).unwrap();
        c.children[0].with_whom = Some("王奶奶".into());
        let d = format!("{c:?}");
        assert!(!d.contains("王奶奶"), "{d}");
    }
}
