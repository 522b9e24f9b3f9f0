//! Records prepared once for many comparisons: names parsed, dates normalized, places
//! resolved. A request and a case share one shape: the mother, the children (a request has
//! one, the seeker), the father's names, where the family lived, and the separation year.

use std::collections::HashMap;
use std::sync::Arc;

use reunite_domain::record::{Case, Person, Place, Separation, Sex, TracingRequest};
use reunite_names::PreparedName;

/// A name prepared for linkage: the parsed name, a second reading when the name may be
/// written given name first, and its blocking keys, computed once.
#[derive(Debug)]
pub struct LName {
    /// The name as parsed by `reunite-names`.
    pub name: PreparedName,
    /// A Latin name of several words read with its last word first ("Jing Zhang",
    /// "Yon chun Baek", "XUE XU": Chinese and Korean names are often written given name first
    /// in Latin letters, and a given syllable that is also a surname hides the order).
    pub alt: Option<PreparedName>,
    /// Fine blocking keys: whole-name readings of `name` and `alt`, hashed, in order.
    pub fine: Box<[u64]>,
    /// Coarse blocking keys of `name` and `alt`.
    pub coarse: Box<[u64]>,
    /// The Korean reading of the last syllable of the given name (a nickname keeps it:
    /// 杨杰 → 小杰, 海海), 0 when unknown.
    pub nick: u32,
    /// Whether the name is written as a nickname (小杰, 阿杰, 杰杰): such a name says little
    /// beyond its last syllable, so blocking pairs it with any name that ends in that
    /// syllable.
    pub nick_form: bool,
    /// Hashes of the normalized texts of `name` and `alt` (0 when there is no `alt`): two
    /// names can only be `identical` if one of each side's hashes agree.
    pub text_hashes: [u64; 2],
}

fn text_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100000001b3);
    }
    mix(h) | 1
}

impl std::ops::Deref for LName {
    type Target = PreparedName;
    fn deref(&self) -> &PreparedName {
        &self.name
    }
}

/// Mixes a key from `reunite-names` into the linker's key space.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D049BB133111EB);
    x ^ (x >> 31)
}

/// Whether a normalized name is written as a nickname: two Han characters, a diminutive
/// prefix (小, 阿) and a syllable, or one syllable twice.
fn is_nick_form(text: &str) -> bool {
    let mut c = text.chars().filter(|c| !c.is_whitespace());
    match (c.next(), c.next(), c.next()) {
        (Some(a), Some(b), None) => {
            reunite_names::script_of(b) == reunite_names::Script::Han
                && (a == '小' || a == '阿' || a == b)
        }
        _ => false,
    }
}

/// The text read with its last word first, for a Latin name of two to four words.
fn rotated(text: &str) -> Option<String> {
    let norm = reunite_names::normalize(text);
    let toks = reunite_names::tokens(&norm);
    if !(2..=4).contains(&toks.len()) || toks.iter().any(|t| t.1 != reunite_names::Script::Latin) {
        return None;
    }
    let (last, rest) = toks.split_last()?;
    let mut out = String::from(last.0);
    for t in rest {
        out.push(' ');
        out.push_str(t.0);
    }
    Some(out)
}

impl LName {
    /// Prepares a name.
    pub fn new(text: &str) -> LName {
        let name = PreparedName::new(text);
        let alt = rotated(text).map(|t| PreparedName::new(&t));
        let mut fine: Vec<u64> = Vec::new();
        let mut coarse: Vec<u64> = Vec::new();
        for n in std::iter::once(&name).chain(alt.as_ref()) {
            for &k in n.reading_keys() {
                let k = mix(k);
                if !fine.contains(&k) {
                    fine.push(k);
                }
            }
            for &k in n.blocking_keys() {
                if !coarse.contains(&k) {
                    coarse.push(k);
                }
            }
        }
        let nick = name
            .hangul()
            .and_then(|(_, given)| given.chars().last())
            .map_or(0, |c| c as u32);
        let nick_form = is_nick_form(name.normalized());
        let text_hashes = [
            text_hash(name.normalized()),
            alt.as_ref().map_or(0, |a| text_hash(a.normalized())),
        ];
        LName {
            name,
            alt,
            fine: fine.into(),
            coarse: coarse.into(),
            nick,
            nick_form,
            text_hashes,
        }
    }

    /// The readings to compare: the name, and its other order if any.
    pub fn readings(&self) -> impl Iterator<Item = &PreparedName> {
        std::iter::once(&self.name).chain(self.alt.as_ref())
    }
}

/// A prepared name, shared: the same text prepared once serves many records.
pub type Name = Arc<LName>;

/// Prepared names by their text, so names that recur (they do: 김영순, 王明) are prepared
/// once. Bounded (cleared when full), unbounded, or backed by a [`SharedNames`] that
/// several threads fill together.
#[derive(Debug)]
pub struct NameCache {
    map: HashMap<Box<str>, Name>,
    cap: usize,
    shared: Option<Arc<SharedNames>>,
}

impl NameCache {
    /// A cache of at most `cap` names (0: no caching; `usize::MAX`: unbounded).
    pub fn new(cap: usize) -> NameCache {
        NameCache {
            map: HashMap::new(),
            cap,
            shared: None,
        }
    }

    /// A cache that looks names up in `shared` (one per thread, one `shared` for all).
    pub fn shared(shared: Arc<SharedNames>) -> NameCache {
        NameCache {
            map: HashMap::new(),
            cap: 0,
            shared: Some(shared),
        }
    }

    /// Number of names held (not counting a shared table's).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no name is held here.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Drops the names no record holds any more (a long-lived cache of an index whose
    /// cases are removed and replaced).
    pub fn purge(&mut self) {
        self.map.retain(|_, n| Arc::strong_count(n) > 1);
    }

    /// The prepared name of `text`.
    pub fn get(&mut self, text: &str) -> Name {
        if let Some(s) = &self.shared {
            return s.get(text);
        }
        if self.cap == 0 {
            return Arc::new(LName::new(text));
        }
        if let Some(n) = self.map.get(text) {
            return n.clone();
        }
        if self.map.len() >= self.cap {
            self.map.clear();
        }
        let n = Arc::new(LName::new(text));
        self.map.insert(text.into(), n.clone());
        n
    }
}

/// Prepared names shared by threads: each distinct text is prepared once while it is held
/// (two threads meeting a new name at once may both prepare it; one copy is kept). Sharded
/// so threads seldom wait for each other; bounded: each shard keeps two generations, the
/// names met since the last turn and those of the turn before, and a name found in the old
/// one moves to the new one, so names that recur stay and rare ones age out.
#[derive(Debug)]
pub struct SharedNames {
    shards: Vec<std::sync::Mutex<Generations>>,
    shard_cap: usize,
}

#[derive(Debug, Default)]
struct Generations {
    new: HashMap<Box<str>, Name>,
    old: HashMap<Box<str>, Name>,
}

/// Names a [`SharedNames`] holds at most by default (a prepared name takes about half a
/// kilobyte).
pub const SHARED_NAMES_CAP: usize = 400_000;

impl Default for SharedNames {
    fn default() -> Self {
        Self::new(SHARED_NAMES_CAP)
    }
}

impl SharedNames {
    /// A table of at most about `cap` names.
    pub fn new(cap: usize) -> SharedNames {
        const SHARDS: usize = 64;
        SharedNames {
            shards: (0..SHARDS).map(|_| Default::default()).collect(),
            shard_cap: cap.div_ceil(SHARDS).max(2),
        }
    }

    fn shard(&self, text: &str) -> &std::sync::Mutex<Generations> {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in text.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100000001b3);
        }
        &self.shards[(mix(h) % self.shards.len() as u64) as usize]
    }

    fn insert(&self, g: &mut Generations, text: &str, n: Name) -> Name {
        if g.new.len() >= self.shard_cap / 2 {
            g.old = std::mem::take(&mut g.new);
        }
        g.new.entry(text.into()).or_insert(n).clone()
    }

    /// The prepared name of `text`.
    pub fn get(&self, text: &str) -> Name {
        let shard = self.shard(text);
        {
            let mut g = shard.lock().expect("name table");
            if let Some(n) = g.new.get(text) {
                return n.clone();
            }
            if let Some(n) = g.old.remove(text) {
                return self.insert(&mut g, text, n);
            }
        }
        // Prepared outside the lock: preparing is the slow part.
        let n = Arc::new(LName::new(text));
        let mut g = shard.lock().expect("name table");
        self.insert(&mut g, text, n)
    }

    /// Number of distinct names held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let g = s.lock().expect("name table");
                g.new.len() + g.old.len()
            })
            .sum()
    }

    /// Whether no name is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

use crate::dates::PDate;
use crate::gazetteer::{self, PlaceId};

/// A person prepared for comparison.
#[derive(Debug, Clone, Default)]
pub struct PPerson {
    /// Names (empty ones dropped).
    pub names: Vec<Name>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Birth date.
    pub birth: Option<PDate>,
    /// Birthplace.
    pub place: PlaceId,
}

/// A case or a request prepared for comparison.
#[derive(Debug, Clone, Default)]
pub struct PRecord {
    /// The mother (a request's `sought`).
    pub mother: PPerson,
    /// The children (a request's `seeker` as its only child).
    pub children: Vec<PPerson>,
    /// The father's names.
    pub father: Vec<Name>,
    /// Where the family lived in China.
    pub residence: PlaceId,
    /// Separation year and its approximation.
    pub separation: Option<(i32, u8)>,
}

fn place(p: Option<&Place>) -> PlaceId {
    p.map(|p| gazetteer::resolve(&p.text, p.country.as_deref()))
        .unwrap_or_default()
}

fn names<'a>(
    it: impl IntoIterator<Item = &'a reunite_domain::record::Name>,
    cache: &mut NameCache,
) -> Vec<Name> {
    let mut out: Vec<Name> = Vec::new();
    for n in it {
        let t = n.text.trim();
        if t.is_empty() || t.chars().count() > 100 {
            continue;
        }
        let p = cache.get(t);
        if out.iter().any(|o| o.normalized() == p.normalized()) {
            continue;
        }
        out.push(p);
        if out.len() >= 8 {
            break;
        }
    }
    out
}

fn person(p: &Person, cache: &mut NameCache) -> PPerson {
    PPerson {
        names: names(&p.names, cache),
        sex: p.sex,
        birth: p
            .birth
            .as_ref()
            .map(PDate::new)
            .filter(|d| d.year.is_some()),
        place: place(p.birthplace.as_ref()),
    }
}

fn separation(s: Option<&Separation>) -> Option<(i32, u8)> {
    let d = s?.date?;
    Some((
        d.year.filter(|y| (1800..=2200).contains(y))?,
        d.approx_years.min(30),
    ))
}

impl PRecord {
    /// Reads a little of every part a comparison reads and mixes it (the value means
    /// nothing): a caller about to compare several records scattered in memory touches them
    /// first, so the reads overlap instead of waiting for each other.
    pub fn touch(&self) -> u64 {
        let names = |ns: &[Name]| {
            ns.iter().fold(0u64, |x, n| {
                x ^ n.name.touch() ^ n.alt.as_ref().map_or(0, |a| a.touch())
            })
        };
        let mut x = names(&self.mother.names) ^ names(&self.father);
        for c in &self.children {
            x ^= names(&c.names) ^ c.birth.map_or(0, |d| d.approx as u64);
        }
        x
    }

    /// Prepares a case.
    pub fn from_case(c: &Case) -> PRecord {
        Self::from_case_cached(c, &mut NameCache::new(0))
    }

    /// Prepares a tracing request.
    pub fn from_request(r: &TracingRequest) -> PRecord {
        Self::from_request_cached(r, &mut NameCache::new(0))
    }

    /// Prepares a case, reusing prepared names.
    pub fn from_case_cached(c: &Case, cache: &mut NameCache) -> PRecord {
        PRecord {
            mother: person(&c.mother, cache),
            children: c
                .children
                .iter()
                .take(20)
                .map(|ch| PPerson {
                    names: names(&ch.names, cache),
                    sex: ch.sex,
                    birth: ch
                        .birth
                        .as_ref()
                        .map(PDate::new)
                        .filter(|d| d.year.is_some()),
                    place: place(ch.birthplace.as_ref()),
                })
                .collect(),
            father: c
                .father
                .as_ref()
                .map(|f| names(&f.names, cache))
                .unwrap_or_default(),
            residence: place(c.residence_cn.as_ref()),
            separation: separation(c.separation.as_ref()),
        }
    }

    /// Prepares a tracing request, reusing prepared names.
    pub fn from_request_cached(r: &TracingRequest, cache: &mut NameCache) -> PRecord {
        PRecord {
            mother: person(&r.sought, cache),
            children: vec![person(&r.seeker, cache)],
            father: r
                .father
                .as_ref()
                .map(|f| names(&f.names, cache))
                .unwrap_or_default(),
            residence: place(r.residence_cn.as_ref()),
            separation: separation(r.separation.as_ref()),
        }
    }
}
