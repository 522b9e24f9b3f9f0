//! The in-memory search index of cases: every name and place of every case, decrypted, held
//! only in this process's memory and rebuilt from the sealed records at start-up.
//!
//! Why not keyed blind indexes (HMACs of name keys) in the database: a blind index is
//! deterministic, so equal names give equal index values at rest, and whoever reads the
//! database learns how often each value occurs and which cases share a surname reading or a
//! given name — with 김 for a fifth of Koreans that is a frequency attack handed over on a
//! plate. The fuzzy matching a caseworker needs (리영자 ≈ 李英子 ≈ Li Yingzi) needs every
//! name's readings in memory anyway. So the database holds only envelopes, and each process
//! decrypts once and keeps the index next to the data key cache — which a running server
//! holds anyway (THREAT-MODEL: "office server while running: what is decrypted in memory").
//!
//! Several processes may share one PostgreSQL database: every change to a case gets the
//! next `change_seq` (allocated under the audit chain's lock, so in commit order), and each
//! search first loads the rows whose `change_seq` is above the last one this index has seen.

use reunite_domain::{Case, CaseStatus, UserId};
use reunite_names::{Level, PreparedName, compare, normalize};
use std::collections::HashMap;

/// Whose name an indexed name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The mother's.
    Mother,
    /// A child's (index in the case).
    Child(u16),
    /// The father's.
    Father,
}

#[derive(Clone)]
pub(crate) struct IndexedName {
    pub whose: Whose,
    pub text: Box<str>,
    /// Normalized, spaces removed (for substring search).
    pub flat: Box<str>,
}

#[derive(Clone)]
pub(crate) struct Entry {
    pub id: String,
    pub status: CaseStatus,
    pub assigned_to: Option<UserId>,
    pub team_id: Option<String>,
    pub version: i64,
    pub change_seq: i64,
    pub updated_at: i64,
    pub names: Vec<IndexedName>,
    /// Every place text of the case, normalized, spaces removed, joined by U+001F.
    pub places: Box<str>,
    pub children: u16,
}

/// Which cases a search wants, besides text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Any name of anyone in the case, in any script.
    pub name: Option<String>,
    /// A child's name, in any script.
    pub child: Option<String>,
    /// Part of any place of the case (origin, birthplaces, last known, separation, residence).
    pub place: Option<String>,
    /// Status.
    pub status: Option<CaseStatus>,
    /// Assignment.
    pub assigned: Option<Assigned>,
    /// Skip this many results.
    pub offset: usize,
    /// At most this many results (0 means 50).
    pub limit: usize,
}

/// An assignment filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    /// Assigned to this account.
    To(UserId),
    /// Assigned to nobody.
    Nobody,
    /// What this account may list: the cases assigned to it and those of its teams.
    Visible {
        /// The account.
        user: UserId,
        /// Its teams.
        teams: Vec<String>,
    },
}

/// One line of a case list. Holds names: personal data.
#[derive(Debug, Clone)]
pub struct CaseSummary {
    /// Interchange id.
    pub id: String,
    /// The mother's names as written.
    pub mother_names: Vec<reunite_domain::Sensitive<String>>,
    /// The children's names as written (first name of each child).
    pub child_names: Vec<reunite_domain::Sensitive<String>>,
    /// Number of children.
    pub children: usize,
    /// Status.
    pub status: CaseStatus,
    /// Assigned caseworker.
    pub assigned_to: Option<UserId>,
    /// Version.
    pub version: i64,
    /// Last change (UTC millis).
    pub updated_at: i64,
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct CasePage {
    /// The cases on this page.
    pub items: Vec<CaseSummary>,
    /// How many cases matched in all.
    pub total: usize,
}

fn flat(s: &str) -> String {
    normalize(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

impl Entry {
    pub(crate) fn from_case(
        case: &Case,
        status: CaseStatus,
        assigned_to: Option<UserId>,
        team_id: Option<String>,
        version: i64,
        change_seq: i64,
        updated_at: i64,
    ) -> Entry {
        let mut names = Vec::new();
        let mut push = |whose, text: &str| {
            if !text.trim().is_empty() {
                names.push(IndexedName {
                    whose,
                    text: text.into(),
                    flat: flat(text).into(),
                });
            }
        };
        for n in &case.mother.names {
            push(Whose::Mother, &n.text);
        }
        for (i, c) in case.children.iter().enumerate() {
            for n in &c.names {
                push(Whose::Child(i as u16), &n.text);
            }
        }
        if let Some(f) = &case.father {
            for n in &f.names {
                push(Whose::Father, &n.text);
            }
        }
        let mut places: Vec<String> = Vec::new();
        let mut add = |p: &Option<reunite_domain::Place>| {
            if let Some(p) = p {
                places.push(flat(&p.text));
            }
        };
        add(&case.mother.birthplace);
        for c in &case.children {
            add(&c.birthplace);
            add(&c.last_known);
        }
        if let Some(f) = &case.father {
            add(&f.birthplace);
        }
        if let Some(s) = &case.separation {
            add(&s.place);
        }
        add(&case.residence_cn);
        Entry {
            id: case.id.clone(),
            status,
            assigned_to,
            team_id,
            version,
            change_seq,
            updated_at,
            names,
            places: places.join("\u{1f}").into(),
            children: case.children.len() as u16,
        }
    }
}

/// The index proper.
#[derive(Default)]
pub(crate) struct CaseIndex {
    entries: Vec<Entry>,
    by_id: HashMap<String, u32>,
    /// Blocking key → (entry, name) pairs.
    blocks: HashMap<u64, Vec<(u32, u16)>>,
    pub last_seq: i64,
}

impl std::fmt::Debug for CaseIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaseIndex({} cases, [redacted])", self.entries.len())
    }
}

/// Entries ready to insert, with their names' blocking keys computed (off the async
/// threads: preparing a name costs a few microseconds).
pub(crate) struct Prepared {
    pub entry: Entry,
    pub keys: Vec<Vec<u64>>,
}

pub(crate) fn prepare(entry: Entry) -> Prepared {
    let keys = entry
        .names
        .iter()
        .map(|n| PreparedName::new(&n.text).blocking_keys().to_vec())
        .collect();
    Prepared { entry, keys }
}

impl CaseIndex {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Inserts or replaces an entry (ignored if the index already has a newer change).
    pub(crate) fn upsert(&mut self, p: Prepared) {
        let seq = p.entry.change_seq;
        self.last_seq = self.last_seq.max(seq);
        let slot = match self.by_id.get(&p.entry.id) {
            Some(&i) => {
                if self.entries[i as usize].change_seq >= seq {
                    return;
                }
                for k in self.keys_of(i) {
                    if let Some(v) = self.blocks.get_mut(&k) {
                        v.retain(|(e, _)| *e != i);
                    }
                }
                self.entries[i as usize] = p.entry;
                i
            }
            None => {
                let i = self.entries.len() as u32;
                self.by_id.insert(p.entry.id.clone(), i);
                self.entries.push(p.entry);
                i
            }
        };
        for (ni, keys) in p.keys.iter().enumerate() {
            for k in keys {
                let v = self.blocks.entry(*k).or_default();
                if !v.contains(&(slot, ni as u16)) {
                    v.push((slot, ni as u16));
                }
            }
        }
    }

    /// Blocking keys currently pointing at entry `i` (recomputed: cheaper in memory than
    /// keeping them).
    fn keys_of(&self, i: u32) -> Vec<u64> {
        let mut out: Vec<u64> = self.entries[i as usize]
            .names
            .iter()
            .flat_map(|n| PreparedName::new(&n.text).blocking_keys().to_vec())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Best name level of the query against the case's names of the wanted kind; `None`
    /// when nothing matches. A name matches when it reads alike (surname and given name
    /// close or better, across scripts) or when the query is part of it as written.
    fn name_hits(&self, q: &str, children_only: bool) -> HashMap<u32, u8> {
        let mut hits: HashMap<u32, u8> = HashMap::new();
        let qflat = flat(q);
        if qflat.is_empty() {
            return hits;
        }
        let wanted = |w: Whose| !children_only || matches!(w, Whose::Child(_));
        let qp = PreparedName::new(q);
        // Reading-based: candidates sharing a blocking key.
        let mut seen: std::collections::HashSet<(u32, u16)> = std::collections::HashSet::new();
        for k in qp.blocking_keys() {
            if let Some(v) = self.blocks.get(k) {
                for &(e, ni) in v {
                    if !seen.insert((e, ni)) {
                        continue;
                    }
                    let n = &self.entries[e as usize].names[ni as usize];
                    if !wanted(n.whose) {
                        continue;
                    }
                    let c = compare(&qp, &PreparedName::new(&n.text));
                    if c.level.is_likely_same() {
                        let score = level_score(c.level);
                        let s = hits.entry(e).or_insert(0);
                        *s = (*s).max(score);
                    }
                }
            }
        }
        // Part of the name as written (a given name alone, a surname, a nickname).
        for (e, entry) in self.entries.iter().enumerate() {
            for n in &entry.names {
                if wanted(n.whose) && n.flat.contains(qflat.as_str()) {
                    let score = if *n.flat == *qflat { 10 } else { 1 };
                    let s = hits.entry(e as u32).or_insert(0);
                    *s = (*s).max(score);
                }
            }
        }
        hits
    }

    pub(crate) fn search(&self, f: &CaseFilter) -> CasePage {
        let mut scores: Option<HashMap<u32, u32>> = None;
        let mut intersect = |m: HashMap<u32, u8>| {
            scores = Some(match scores.take() {
                None => m.into_iter().map(|(k, v)| (k, v as u32)).collect(),
                Some(prev) => prev
                    .into_iter()
                    .filter_map(|(k, v)| m.get(&k).map(|w| (k, v + *w as u32)))
                    .collect(),
            });
        };
        if let Some(q) = f.name.as_deref().filter(|q| !q.trim().is_empty()) {
            intersect(self.name_hits(q, false));
        }
        if let Some(q) = f.child.as_deref().filter(|q| !q.trim().is_empty()) {
            intersect(self.name_hits(q, true));
        }
        let place = f.place.as_deref().map(flat).filter(|p| !p.is_empty());
        let keep = |e: &Entry| {
            f.status.is_none_or(|s| e.status == s)
                && match &f.assigned {
                    None => true,
                    Some(Assigned::To(u)) => e.assigned_to.as_ref() == Some(u),
                    Some(Assigned::Nobody) => e.assigned_to.is_none(),
                    Some(Assigned::Visible { user, teams }) => {
                        e.assigned_to.as_ref() == Some(user)
                            || e.team_id.as_ref().is_some_and(|t| teams.contains(t))
                    }
                }
                && place.as_deref().is_none_or(|p| e.places.contains(p))
        };
        let mut found: Vec<(u32, u32)> = match scores {
            Some(s) => s
                .into_iter()
                .filter(|(i, _)| keep(&self.entries[*i as usize]))
                .collect(),
            None => (0..self.entries.len() as u32)
                .filter(|i| keep(&self.entries[*i as usize]))
                .map(|i| (i, 0))
                .collect(),
        };
        // Best match first; then most recently changed; then id, so pages are stable.
        found.sort_by(|a, b| {
            let (ea, eb) = (&self.entries[a.0 as usize], &self.entries[b.0 as usize]);
            b.1.cmp(&a.1)
                .then(eb.updated_at.cmp(&ea.updated_at))
                .then(ea.id.cmp(&eb.id))
        });
        let total = found.len();
        let limit = if f.limit == 0 { 50 } else { f.limit };
        let items = found
            .into_iter()
            .skip(f.offset)
            .take(limit)
            .map(|(i, _)| {
                let e = &self.entries[i as usize];
                let mut child_names = Vec::new();
                let mut last_child = None;
                for n in &e.names {
                    if let Whose::Child(c) = n.whose
                        && last_child != Some(c)
                    {
                        last_child = Some(c);
                        child_names.push(reunite_domain::Sensitive::new(n.text.to_string()));
                    }
                }
                CaseSummary {
                    id: e.id.clone(),
                    mother_names: e
                        .names
                        .iter()
                        .filter(|n| n.whose == Whose::Mother)
                        .map(|n| reunite_domain::Sensitive::new(n.text.to_string()))
                        .collect(),
                    child_names,
                    children: e.children as usize,
                    status: e.status,
                    assigned_to: e.assigned_to.clone(),
                    version: e.version,
                    updated_at: e.updated_at,
                }
            })
            .collect();
        CasePage { items, total }
    }
}

fn level_score(l: Level) -> u8 {
    match l {
        Level::Identical => 10,
        Level::SameReading => 8,
        Level::CloseReading => 6,
        Level::SurnameGivenClose => 4,
        _ => 0,
    }
}
