//! A deterministic, seeded generator of cases and tracing requests that imitates the noise
//! each side brings, for the quality and speed benchmarks.
//!
//! A family is a North Korean mother, one to three children born in China, a Chinese father
//! and a county where they lived. The mother registers a case in South Korea; a child (or a
//! relative) files a tracing request in China. Each side writes what it knows, in its own
//! script and spelling:
//!
//! * the mother's names: her Korean birth name (Northern spelling), the Chinese alias she was
//!   called in China — half the time the Chinese reading of her own Hanja, half the time an
//!   unrelated Chinese name — and often a new South Korean name (Southern spelling);
//! * the child asks for the mother by the alias in Hanzi or pinyin (all spellings: spaced,
//!   joined, hyphenated, upper case, given name first), sometimes by the Korean name in
//!   Hangul or romanized (Northern or Southern, MR or RR, Lee/Rhee/Yi …), with pinyin-keyboard
//!   homophone typos and simplified/traditional mixing;
//! * the mother names her children in Hanzi, in the Korean reading of the Hanzi (王明 →
//!   왕명), in pinyin or by a nickname (小明, 明明); children may have been renamed;
//! * dates: the mother's birth is a guess on the child's side ("about 45"), children's
//!   birthdays are remembered on the lunar calendar (labelled or not), month and day get
//!   swapped, years are off by one;
//! * places in Hanzi, Korean or pinyin, more or less specific; families move;
//! * any field may be missing; a share of requests seek a mother who is not registered.

#![allow(clippy::type_complexity)] // the name tables are plain tuples, on purpose

mod tables;

use tables::{CGIV, CPLACE, CSUR, KGIV, KPLACE, KSUR};

use reunite_domain::record::{
    Calendar, Case, Cause, Child, Name, NameKind, PartialDate, Person, Place, Relation, Separation,
    Sex, TracingRequest,
};

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_F42D_4C95_7F2D)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability p.
    pub fn p(&mut self, p: f64) -> bool {
        self.f() < p
    }
    /// Uniform in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// Uniform in [lo, hi].
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1) as usize) as i32
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    /// Picks by weights (the second element).
    fn weighted<'a, T>(&mut self, v: &'a [(T, f64)]) -> &'a T {
        let total: f64 = v.iter().map(|x| x.1).sum();
        let mut r = self.f() * total;
        for x in v {
            if r < x.1 {
                return &x.0;
            }
            r -= x.1;
        }
        &v[v.len() - 1].0
    }
}

/// What the generator knows about the truth.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// For each request (in order), the id of the case of its mother, if she registered.
    pub request_case: Vec<Option<String>>,
    /// Pairs of case ids that are the same mother registered twice.
    pub duplicate_cases: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct Family {
    ksur: usize,
    kgiv: Vec<usize>,
    alias: Alias,
    sk_given: Option<Vec<usize>>,
    birth: (i32, u8, u8),
    origin: usize,
    children: Vec<Kid>,
    father: (usize, Vec<usize>),
    residence: usize,
    moved_to: Option<usize>,
    separation: i32,
}

#[derive(Debug, Clone)]
enum Alias {
    /// The Chinese reading of her own Hanja.
    Reading,
    /// An unrelated Chinese name: surname, given characters.
    Other(usize, Vec<usize>),
}

#[derive(Debug, Clone)]
struct Kid {
    given: Vec<usize>,
    renamed: Option<Vec<usize>>,
    sex: Sex,
    birth: (i32, u8, u8),
}

fn name(text: String, kind: Option<NameKind>) -> Name {
    Name { text, kind }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

struct G<'r> {
    r: &'r mut Rng,
}

impl G<'_> {
    fn family(&mut self) -> Family {
        let r = &mut *self.r;
        let ksur = {
            let idx: Vec<(usize, f64)> = KSUR.iter().enumerate().map(|(i, x)| (i, x.1)).collect();
            *r.weighted(&idx)
        };
        let n_giv = if r.p(0.9) { 2 } else { 1 };
        let kgiv: Vec<usize> = (0..n_giv).map(|_| r.below(KGIV.len())).collect();
        let alias = if r.p(0.5) {
            Alias::Reading
        } else {
            let idx: Vec<(usize, f64)> = CSUR.iter().enumerate().map(|(i, x)| (i, x.1)).collect();
            let s = *r.weighted(&idx);
            let n = if r.p(0.7) { 2 } else { 1 };
            Alias::Other(s, (0..n).map(|_| r.below(CGIV.len())).collect())
        };
        let sk_given = r
            .p(0.4)
            .then(|| (0..2).map(|_| r.below(KGIV.len())).collect());
        let by = r.range(1962, 1992);
        let birth = (by, r.range(1, 12) as u8, r.range(1, 28) as u8);
        let origin = r.below(KPLACE.len());
        let idx: Vec<(usize, f64)> = CSUR.iter().enumerate().map(|(i, x)| (i, x.1)).collect();
        let fsur = *r.weighted(&idx);
        let father = (fsur, (0..2).map(|_| r.below(CGIV.len())).collect());
        let n_kids = *r.weighted(&[(1usize, 0.6), (2, 0.3), (3, 0.1)]);
        let mut children = Vec::new();
        let mut cy = by + r.range(17, 28);
        for _ in 0..n_kids {
            let n = if r.p(0.75) { 2 } else { 1 };
            let given = (0..n).map(|_| r.below(CGIV.len())).collect();
            let renamed = r
                .p(0.08)
                .then(|| (0..2).map(|_| r.below(CGIV.len())).collect());
            children.push(Kid {
                given,
                renamed,
                sex: if r.p(0.5) { Sex::M } else { Sex::F },
                birth: (cy.min(2018), r.range(1, 12) as u8, r.range(1, 28) as u8),
            });
            cy += r.range(1, 4);
        }
        let pidx: Vec<(usize, f64)> = CPLACE.iter().enumerate().map(|(i, x)| (i, x.1)).collect();
        let residence = *r.weighted(&pidx);
        let moved_to = r.p(0.08).then(|| *r.weighted(&pidx));
        let separation = children.last().map_or(2010, |k| k.birth.0) + r.range(1, 10);
        Family {
            ksur,
            kgiv,
            alias,
            sk_given,
            birth,
            origin,
            children,
            father,
            residence,
            moved_to,
            separation: separation.min(2022),
        }
    }

    /// The mother's Korean name in Hangul (Northern or Southern spelling).
    fn korean(&self, f: &Family, south: bool, given: &[usize]) -> String {
        let s = KSUR[f.ksur].0;
        let mut out = String::from(if south { s.1 } else { s.0 });
        for &g in given {
            out.push_str(if south { KGIV[g].1 } else { KGIV[g].0 });
        }
        out
    }

    fn romanized_korean(&mut self, f: &Family) -> String {
        let r = &mut *self.r;
        let south = r.p(0.5);
        let sur = *r.pick(KSUR[f.ksur].0.4);
        let parts: Vec<&str> = f
            .kgiv
            .iter()
            .map(|&g| if south { KGIV[g].5 } else { KGIV[g].4 })
            .collect();
        let given = match r.below(3) {
            0 => parts.join(" "),
            1 => parts.join("-"),
            _ => parts.concat(),
        };
        let given: String = cap(&given);
        if r.p(0.15) {
            format!("{given} {sur}")
        } else {
            format!("{sur} {given}")
        }
    }

    /// The alias as (simplified Hanzi chars, traditional, pinyin syllables, homophones).
    fn alias_parts(
        &self,
        f: &Family,
    ) -> Vec<(
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    )> {
        match &f.alias {
            Alias::Reading => {
                let s = KSUR[f.ksur].0;
                let mut v = vec![(s.2, s.2, s.3, &[][..])];
                for &g in &f.kgiv {
                    v.push((KGIV[g].2, KGIV[g].2, KGIV[g].3, &[][..]));
                }
                v
            }
            Alias::Other(s, g) => {
                let s = CSUR[*s].0;
                let mut v = vec![(s.0, s.1, s.2, &[][..])];
                for &x in g {
                    let c = CGIV[x];
                    v.push((c.0, c.1, c.2, c.4));
                }
                v
            }
        }
    }

    /// Chinese text with noise: traditional/simplified mixing and homophone typos.
    fn hanzi(&mut self, parts: &[(&str, &str, &str, &[&str])], typo: f64) -> String {
        let r = &mut *self.r;
        let trad = r.p(0.1);
        let mut out = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 && !p.3.is_empty() && r.p(typo) {
                let h: &&str = r.pick(p.3);
                out.push_str(h);
            } else if trad && r.p(0.7) {
                out.push_str(p.1);
            } else {
                out.push_str(p.0);
            }
        }
        out
    }

    /// Pinyin in its many spellings.
    fn pinyin(&mut self, syl: &[&str]) -> String {
        let r = &mut *self.r;
        let (sur, given) = syl.split_first().map(|(s, g)| (*s, g)).unwrap_or(("", &[]));
        let given_text = match r.below(4) {
            0 => given.join(" "),
            1 => given.join("-"),
            _ => given.concat(),
        };
        let mut t = match r.below(10) {
            0 => format!("{} {}", cap(&given_text), cap(sur)),
            1 => format!("{}{}", sur, given.concat()),
            _ => format!("{} {}", cap(sur), given_text),
        };
        if r.p(0.1) {
            t = t.to_uppercase();
        }
        t.replace('v', if r.p(0.5) { "u" } else { "v" })
    }

    fn child_parts(
        &self,
        f: &Family,
        k: &Kid,
        renamed: bool,
    ) -> Vec<(
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    )> {
        let s = CSUR[f.father.0].0;
        let mut v = vec![(s.0, s.1, s.2, &[][..])];
        let given = if renamed {
            k.renamed.as_ref().unwrap_or(&k.given)
        } else {
            &k.given
        };
        for &g in given {
            let c = CGIV[g];
            v.push((c.0, c.1, c.2, c.4));
        }
        v
    }

    fn date(&mut self, d: (i32, u8, u8), p_full: f64, p_month: f64) -> PartialDate {
        let r = &mut *self.r;
        let x = r.f();
        if x < p_full {
            PartialDate {
                year: Some(d.0),
                month: Some(d.1),
                day: Some(d.2),
                ..Default::default()
            }
        } else if x < p_full + p_month {
            PartialDate {
                year: Some(d.0),
                month: Some(d.1),
                ..Default::default()
            }
        } else {
            PartialDate {
                year: Some(d.0),
                ..Default::default()
            }
        }
    }

    /// A birthday as a family remembers it: sometimes the lunar date, labelled or not.
    fn child_birth(&mut self, d: (i32, u8, u8), lunar: f64) -> PartialDate {
        let mut pd = self.date(d, 0.7, 0.15);
        if pd.day.is_some() && self.r.p(lunar) {
            let z = crate::dates::days_from_civil(d.0, d.1 as u32, d.2 as u32);
            if let Some((y, m, dd)) = crate::dates::days_to_lunar(z) {
                pd.year = Some(y);
                pd.month = Some(m as u8);
                pd.day = Some(dd as u8);
                // Unlabelled 30% of the time — unless the day cannot be a solar one.
                if self.r.p(0.7)
                    || dd as u8 > reunite_domain::record::days_in_month(Some(y), m as u8)
                {
                    pd.calendar = Calendar::Lunar;
                }
            }
        }
        pd
    }

    fn place_text(&mut self, i: usize, korean_side: bool) -> Place {
        let p = CPLACE[i].0;
        let r = &mut *self.r;
        let x = r.f();
        let text = if korean_side {
            if x < 0.5 {
                p.1
            } else if x < 0.8 {
                p.0
            } else {
                p.2
            }
        } else if x < 0.65 {
            // Often shortened: "黑龙江 密山".
            if r.p(0.4) {
                let last = p.0.split(' ').next_back().unwrap_or(p.0);
                return Place {
                    text: format!("{} {}", p.3, last),
                    country: Some("CN".into()),
                };
            }
            p.0
        } else if x < 0.85 {
            p.2
        } else {
            p.3
        };
        Place {
            text: text.to_string(),
            country: r.p(0.5).then(|| "CN".to_string()),
        }
    }

    fn case(&mut self, f: &Family, id: String) -> Case {
        let mut names = vec![name(self.korean(f, false, &f.kgiv), Some(NameKind::Birth))];
        if self.r.p(0.85) {
            let parts = self.alias_parts(f);
            let t = if self.r.p(0.85) {
                self.hanzi(&parts, 0.03)
            } else {
                let syl: Vec<&str> = parts.iter().map(|p| p.2).collect();
                self.pinyin(&syl)
            };
            names.push(name(t, Some(NameKind::Alias)));
        }
        if let Some(g) = &f.sk_given {
            names.push(name(self.korean(f, true, g), Some(NameKind::Current)));
        }
        let r = &mut *self.r;
        let mother = Person {
            names,
            sex: Some(Sex::F),
            birth: r.p(0.95).then(|| PartialDate {
                year: Some(f.birth.0),
                month: r.p(0.7).then_some(f.birth.1),
                ..Default::default()
            }),
            birthplace: r.p(0.8).then(|| {
                let k = KPLACE[f.origin];
                Place {
                    text: if r.p(0.8) { k.0 } else { k.2 }.to_string(),
                    country: Some("KP".into()),
                }
            }),
        };
        let mut children = Vec::new();
        for k in &f.children {
            let parts = self.child_parts(f, k, false);
            let mut names = Vec::new();
            let x = self.r.f();
            if x < 0.5 {
                names.push(name(self.hanzi(&parts, 0.05), Some(NameKind::Birth)));
            } else if x < 0.8 {
                // The Korean reading of the Chinese name (王明 → 왕명).
                let s = CSUR[f.father.0].0.3;
                let g: String = k.given.iter().map(|&g| CGIV[g].3).collect();
                names.push(name(format!("{s}{g}"), Some(NameKind::Birth)));
            } else if x < 0.9 {
                let syl: Vec<&str> = parts.iter().map(|p| p.2).collect();
                names.push(name(self.pinyin(&syl), Some(NameKind::Birth)));
            }
            if x >= 0.9 || self.r.p(0.15) {
                // A nickname: 小明, 明明.
                let c = parts.last().map_or("", |p| p.0);
                let nick = if self.r.p(0.5) {
                    format!("小{c}")
                } else {
                    format!("{c}{c}")
                };
                names.push(name(nick, Some(NameKind::Nickname)));
            }
            let r = &mut *self.r;
            let sex = r.p(0.9).then_some(k.sex);
            let birth = r.p(0.92).then_some(());
            let birth = birth.map(|_| self.child_birth(k.birth, 0.25));
            children.push(Child {
                names,
                sex,
                birth,
                birthplace: None,
                last_known: None,
                with_whom: None,
            });
        }
        let r = &mut *self.r;
        let father = r.p(0.7).then(|| {
            let s = CSUR[f.father.0].0;
            let t = if r.p(0.7) {
                format!(
                    "{}{}",
                    s.0,
                    f.father.1.iter().map(|&g| CGIV[g].0).collect::<String>()
                )
            } else {
                format!(
                    "{}{}",
                    s.3,
                    f.father.1.iter().map(|&g| CGIV[g].3).collect::<String>()
                )
            };
            Person {
                names: vec![name(t, None)],
                ..Default::default()
            }
        });
        let sep = r.p(0.85).then(|| Separation {
            date: Some(PartialDate {
                year: Some(f.separation),
                ..Default::default()
            }),
            place: None,
            cause: Some(*r.pick(&[Cause::Repatriation, Cause::Flight, Cause::Trafficking])),
        });
        let residence = self
            .r
            .p(0.9)
            .then_some(())
            .map(|_| self.place_text(f.residence, true));
        Case {
            id,
            mother,
            children,
            father,
            separation: sep,
            residence_cn: residence,
            contact: None,
            consent: None,
        }
    }

    fn request(&mut self, f: &Family, id: String) -> TracingRequest {
        // Sought: how the child remembers the mother.
        let mut sought_names = Vec::new();
        let n = if self.r.p(0.25) { 2 } else { 1 };
        for _ in 0..n {
            let x = self.r.f();
            let parts = self.alias_parts(f);
            let t = if x < 0.5 {
                self.hanzi(&parts, 0.12)
            } else if x < 0.72 {
                let syl: Vec<&str> = parts.iter().map(|p| p.2).collect();
                self.pinyin(&syl)
            } else if x < 0.88 {
                let south = self.r.p(0.3);
                self.korean(f, south, &f.kgiv)
            } else {
                self.romanized_korean(f)
            };
            if !sought_names.iter().any(|n: &Name| n.text == t) {
                sought_names.push(name(t, None));
            }
        }
        if self.r.p(0.05) {
            sought_names.clear();
        }
        let r = &mut *self.r;
        let sought_birth = r.p(0.75).then(|| {
            let approx = r.range(0, 5) as u8;
            let err = if approx == 0 {
                r.range(-1, 1) * r.p(0.2) as i32
            } else {
                r.range(-(approx as i32), approx as i32)
            };
            PartialDate {
                year: Some(f.birth.0 + err),
                approx_years: approx,
                ..Default::default()
            }
        });
        let sought = Person {
            names: sought_names,
            sex: Some(Sex::F),
            birth: sought_birth,
            birthplace: r.p(0.3).then(|| {
                if r.p(0.5) {
                    Place {
                        text: "朝鲜".into(),
                        country: Some("KP".into()),
                    }
                } else {
                    let k = KPLACE[f.origin];
                    Place {
                        text: if r.p(0.7) { k.1 } else { k.2 }.to_string(),
                        country: Some("KP".into()),
                    }
                }
            }),
        };
        // Seeker: one of the children.
        let k = f.children[r.below(f.children.len())].clone();
        let renamed = k.renamed.is_some();
        let parts = self.child_parts(f, &k, renamed);
        let mut names = vec![name(self.hanzi(&parts, 0.02), None)];
        if self.r.p(0.4) {
            let syl: Vec<&str> = parts.iter().map(|p| p.2).collect();
            names.push(name(self.pinyin(&syl), None));
        }
        if renamed && self.r.p(0.5) {
            let old = self.child_parts(f, &k, false);
            names.push(name(self.hanzi(&old, 0.0), Some(NameKind::Birth)));
        }
        let r = &mut *self.r;
        let mut birth = if r.p(0.9) {
            let mut d = self.child_birth(k.birth, 0.08);
            let r = &mut *self.r;
            if r.p(0.03) && d.day.is_some_and(|x| x <= 12) {
                std::mem::swap(&mut d.month, &mut d.day);
            }
            if r.p(0.04) {
                d.year = d.year.map(|y| y + if r.p(0.5) { 1 } else { -1 });
                d.month = None;
                d.day = None;
            }
            Some(d)
        } else {
            None
        };
        if let Some(d) = &mut birth
            && let (Some(m), Some(dd)) = (d.month, d.day)
            && dd > reunite_domain::record::days_in_month(d.year, m)
            && d.calendar == Calendar::Solar
        {
            d.day = Some(28);
        }
        let r = &mut *self.r;
        let seeker = Person {
            names,
            sex: r.p(0.95).then(|| {
                if r.p(0.01) {
                    if k.sex == Sex::M { Sex::F } else { Sex::M }
                } else {
                    k.sex
                }
            }),
            birth,
            birthplace: None,
        };
        let father = r.p(0.6).then(|| {
            let s = CSUR[f.father.0].0;
            Person {
                names: vec![name(
                    format!(
                        "{}{}",
                        s.0,
                        f.father.1.iter().map(|&g| CGIV[g].0).collect::<String>()
                    ),
                    None,
                )],
                ..Default::default()
            }
        });
        let sep = r.p(0.6).then(|| Separation {
            date: Some(PartialDate {
                year: Some(f.separation + r.range(-1, 1) * r.p(0.3) as i32),
                approx_years: r.range(0, 2) as u8,
                ..Default::default()
            }),
            ..Default::default()
        });
        let res_i = f.moved_to.unwrap_or(f.residence);
        let residence = self
            .r
            .p(0.85)
            .then_some(())
            .map(|_| self.place_text(res_i, false));
        TracingRequest {
            id,
            sought,
            seeker,
            relation: Some(if self.r.p(0.85) {
                Relation::Child
            } else {
                Relation::Relative
            }),
            father,
            separation: sep,
            residence_cn: residence,
        }
    }
}

/// Generates `n_cases` cases and `n_requests` requests; a share `unregistered` of the
/// requests seek a mother who has no case. About 1% of mothers register twice (see
/// [`Truth::duplicate_cases`]). Deterministic for a seed.
pub fn generate(
    seed: u64,
    n_cases: usize,
    n_requests: usize,
    unregistered: f64,
) -> (Vec<Case>, Vec<TracingRequest>, Truth) {
    let mut rng = Rng::new(seed);
    let mut fams: Vec<Family> = Vec::with_capacity(n_cases);
    let mut cases = Vec::with_capacity(n_cases + n_cases / 100);
    let mut truth = Truth::default();
    {
        let mut g = G { r: &mut rng };
        for i in 0..n_cases {
            let f = g.family();
            cases.push(g.case(&f, format!("c-{i:07}")));
            fams.push(f);
        }
        for i in 0..n_cases / 100 {
            let j = g.r.below(n_cases.max(1));
            if let Some(f) = fams.get(j) {
                let f = f.clone();
                let id = format!("c-d{i:06}");
                cases.push(g.case(&f, id.clone()));
                truth.duplicate_cases.push((cases[j].id.clone(), id));
            }
        }
    }
    let mut requests = Vec::with_capacity(n_requests);
    let mut g = G { r: &mut rng };
    for i in 0..n_requests {
        let id = format!("r-{i:07}");
        if fams.is_empty() || g.r.p(unregistered) {
            let f = g.family();
            requests.push(g.request(&f, id));
            truth.request_case.push(None);
        } else {
            let j = g.r.below(fams.len());
            let f = fams[j].clone();
            requests.push(g.request(&f, id));
            truth.request_case.push(Some(cases[j].id.clone()));
        }
    }
    (cases, requests, truth)
}
