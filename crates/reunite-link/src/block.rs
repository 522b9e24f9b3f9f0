//! Blocking keys. A pair becomes a candidate when it shares one key. Each key combines
//! three facets — mother's name key, child's name key, father's name key (from
//! `reunite-names`, which makes variants of one name in any script share a key), the
//! child's and the mother's birth year, the region of residence — so that posting lists stay
//! short while a true pair, which agrees on most facets, shares at least one key.
//!
//! The indexed side (cases) emits its years as recorded (widened by its own approximation);
//! the query side (requests) widens them by its approximation plus one year, so a pair whose
//! years differ by at most the sum of the approximations plus one always meets.

use crate::prepared::{Name, PRecord, mix};

/// A hasher for keys that are already well mixed (blocking keys): cheaper than SipHash.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let x = self.0;
        (x ^ (x >> 29)).wrapping_mul(0xBF58476D1CE4E5B9) ^ (x >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x100000001B3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 ^= x;
    }
    fn write_u32(&mut self, x: u32) {
        self.0 ^= mix(x as u64);
    }
}

/// Builds [`KeyHasher`]s.
pub type KeyHash = std::hash::BuildHasherDefault<KeyHasher>;

/// Which side of the index a record is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Stored in the index.
    Indexed,
    /// Looked up.
    Query,
}

fn key(tag: u64, a: u64, b: u64, c: u64) -> u64 {
    (mix(mix(mix(tag ^ mix(a)) ^ b) ^ c.rotate_left(17)) & !0x1f) | tag
}

/// The kind of key (which facets it combines), kept in the low bits of the key.
pub fn tag(key: u64) -> u8 {
    (key & 0x1f) as u8
}

/// Number of key kinds (tags are 1..N_TAGS).
pub const N_TAGS: usize = 17;

/// Counts, for hits `(record, key)`, how many different kinds of key each record shares;
/// returns `(record, kinds)` sorted by record.
pub fn count_kinds(hits: &mut [(u32, u8)]) -> Vec<(u32, u32)> {
    hits.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    let mut last: Option<(u32, u8)> = None;
    for &(r, t) in hits.iter() {
        if last == Some((r, t)) {
            continue;
        }
        match out.last_mut() {
            Some(x) if x.0 == r => x.1 += 1,
            _ => out.push((r, 1)),
        }
        last = Some((r, t));
    }
    out
}

/// Pushes a year widened by its approximation (capped at `cap`; one more on the query
/// side), in buckets of `bucket` years.
fn push_years(v: &mut Vec<u64>, y: Option<i32>, approx: u8, side: Side, cap: u8, bucket: i64) {
    let Some(y) = y else { return };
    let w = match side {
        Side::Indexed => approx.min(cap) as i32,
        Side::Query => (approx.min(cap) + 1) as i32,
    };
    v.extend((y - w..=y + w).map(|x| (x as i64).div_euclid(bucket) as u64));
}

/// Most keys one record emits (guards against pathological input).
pub const MAX_KEYS: usize = 4000;

/// Fine name keys: the whole name read in Korean and in Mandarin
/// (`PreparedName::reading_keys`, of both word orders of a Latin name), so 리영자, 이영자,
/// 李英子, "Ri Yong Ja" and "Li Yingzi" share one. Kept in order (each name's most likely
/// readings first), at most 24.
pub fn fine_keys(ns: &[Name]) -> Vec<u64> {
    let mut v: Vec<u64> = Vec::new();
    push_fine(&mut v, 0, ns, 24);
    v
}

/// The facets blocking keys are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Facet {
    /// Mother's whole-name readings.
    MotherFine,
    /// Children's whole-name readings.
    ChildFine,
    /// Father's whole-name readings.
    FatherFine,
    /// Mother's coarse name keys (surname reading + class of the given name's first sound).
    MotherCoarse,
    /// Children's coarse name keys.
    ChildCoarse,
    /// Father's coarse name keys.
    FatherCoarse,
    /// Children's birth years (widened).
    ChildYear,
    /// Mother's birth year in 4-year buckets (widened).
    MotherYear,
    /// Region of residence (prefecture).
    Region,
    /// Children's nicknames (Korean reading of the last given syllable).
    ChildNick,
    /// Each child's nicknames with that child's birth years (widened): binds the two to one
    /// child, where [`ChildNick`] with [`ChildYear`] may take them from two.
    ChildNickYear,
}

/// Number of facets.
pub const N_FACETS: usize = 11;

use Facet::*;

/// The key kinds: a pair is a candidate when, for some kind, it shares a value of every
/// facet of that kind. Tags are 1..N_TAGS, in this order.
pub const KINDS: [&[Facet]; N_TAGS - 1] = [
    // Whole names with one more facet.
    &[MotherFine, ChildFine],
    &[MotherFine, ChildYear],
    &[MotherFine, MotherYear],
    &[MotherFine, Region],
    &[MotherFine, ChildCoarse],
    &[ChildFine, ChildYear],
    &[ChildFine, MotherYear],
    &[ChildFine, Region],
    &[FatherFine, ChildCoarse],
    &[FatherFine, ChildYear],
    // The father's whole name, which both sides rarely give but which is telling when they
    // do, with the region or the child's nickname (session 5: 0.3 candidate pairs per case).
    &[FatherFine, Region],
    &[FatherFine, ChildNick],
    // Coarse name keys (typos, pinyin) with more facets. The region comes before the
    // child's year so that the anchor (the first three facets) has few values.
    &[MotherCoarse, ChildCoarse, Region, ChildYear],
    &[MotherCoarse, FatherCoarse, ChildCoarse, ChildYear],
    // A child written by a nickname (小杰, 涛涛) or another name on one side: the
    // mother's whole name, or her coarse name with two more facets.
    &[MotherFine, ChildNick],
    &[ChildNickYear, Region, MotherYear],
];

/// Facet masks of the kinds.
const KIND_MASKS: [u16; N_TAGS - 1] = {
    let mut out = [0u16; N_TAGS - 1];
    let mut i = 0;
    while i < KINDS.len() {
        let mut j = 0;
        while j < KINDS[i].len() {
            out[i] |= 1 << KINDS[i][j] as u8;
            j += 1;
        }
        i += 1;
    }
    out
};

/// The facet values of a prepared record, each list sorted and deduplicated.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    vals: Vec<u64>,
    ends: [u32; N_FACETS],
}

/// Read access to the facet values of one record.
pub trait FacetView {
    /// The values of one facet, sorted and deduplicated.
    fn get(&self, f: Facet) -> &[u64];
}

impl FacetView for Facets {
    fn get(&self, f: Facet) -> &[u64] {
        Facets::get(self, f)
    }
}

impl Facets {
    /// The values of one facet.
    pub fn get(&self, f: Facet) -> &[u64] {
        let i = f as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.vals[start..self.ends[i] as usize]
    }

    /// Which facets share a value with `other` (bit per facet).
    pub fn meet(&self, other: &Facets) -> u16 {
        let mut m = 0u16;
        for (i, &f) in FACETS.iter().enumerate() {
            if sorted_meet(self.get(f), other.get(f)) {
                m |= 1 << i;
            }
        }
        m
    }

    /// Reads one value per cache line and mixes them: a caller about to compare the
    /// facets of many records scattered in memory reads a few records' facets this way
    /// first, so the reads overlap instead of waiting for each other.
    pub fn touch(&self) -> u64 {
        self.vals.iter().step_by(8).fold(0, |x, &v| x ^ v)
    }

    /// The heap size in bytes.
    pub fn size_bytes(&self) -> usize {
        self.vals.capacity() * 8
    }
}

/// Words before each record's values in a [`FacetStore`]: the facets' ends as 16-bit
/// numbers, four to a word.
const HEADER: usize = N_FACETS.div_ceil(4);

/// The facets of many records in one array: per record its facets' ends, then its values,
/// so that checking a record reads a few adjacent cache lines (and no pointer).
#[derive(Debug, Clone, Default)]
pub struct FacetStore {
    data: Vec<u64>,
    starts: Vec<usize>,
}

/// One record's facets in a [`FacetStore`].
#[derive(Debug, Clone, Copy)]
pub struct FacetRef<'a> {
    ends: [u16; N_FACETS],
    vals: &'a [u64],
}

impl FacetView for FacetRef<'_> {
    fn get(&self, f: Facet) -> &[u64] {
        let i = f as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.vals[start..self.ends[i] as usize]
    }
}

impl FacetStore {
    /// Appends a record's facets; they are record number `len()` before the call.
    pub fn push(&mut self, f: &Facets) {
        self.starts.push(self.data.len());
        // A record holds at most a few hundred values (every facet is capped), far below
        // what 16 bits count.
        let mut header = [0u64; HEADER];
        for (i, &e) in f.ends.iter().enumerate() {
            header[i / 4] |= (e.min(u16::MAX as u32) as u64) << (16 * (i % 4));
        }
        self.data.extend_from_slice(&header);
        self.data.extend_from_slice(&f.vals);
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The facets of record `i`.
    pub fn get(&self, i: usize) -> FacetRef<'_> {
        let s = self.starts[i];
        let mut ends = [0u16; N_FACETS];
        for (j, e) in ends.iter_mut().enumerate() {
            *e = (self.data[s + j / 4] >> (16 * (j % 4))) as u16;
        }
        let n = ends[N_FACETS - 1] as usize;
        FacetRef {
            ends,
            vals: &self.data[s + HEADER..s + HEADER + n],
        }
    }

    /// Reads one word per cache line of record `i` (see [`Facets::touch`]).
    pub fn touch(&self, i: usize) -> u64 {
        let s = self.starts[i];
        let e = self.starts.get(i + 1).copied().unwrap_or(self.data.len());
        self.data[s..e].iter().step_by(8).fold(0, |x, &v| x ^ v)
    }

    /// The heap size in bytes.
    pub fn size_bytes(&self) -> usize {
        self.data.capacity() * 8 + self.starts.capacity() * 8
    }
}

/// Every facet, in the order of their numbers.
pub const FACETS: [Facet; N_FACETS] = [
    MotherFine,
    ChildFine,
    FatherFine,
    MotherCoarse,
    ChildCoarse,
    FatherCoarse,
    ChildYear,
    MotherYear,
    Region,
    ChildNick,
    ChildNickYear,
];

fn sorted_meet(a: &[u64], b: &[u64]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Whether two records' facets (one [`Side::Indexed`], one [`Side::Query`]) share a key of
/// some kind: exactly when [`keys`] of the two share a key (barring hash collisions and
/// the [`MAX_KEYS`] guard, which this does not need).
pub fn shares(a: &impl FacetView, b: &impl FacetView) -> bool {
    // Facets are compared only when a kind needs them, each at most once.
    some_kind_meets(a, b, KINDS.iter().copied())
}

/// [`shares`] for a pair already known to share the anchors of the given tags (bit per tag,
/// see [`anchors`]): only the kinds anchored by those tags are checked, and only the facets
/// after their anchors. Exactly [`shares`] when `tags` holds every tag whose anchor keys the
/// two share (barring hash collisions of anchor keys).
pub fn shares_anchored(tags: u32, a: &impl FacetView, b: &impl FacetView) -> bool {
    let kinds = KINDS
        .iter()
        .zip(ANCHOR_KINDS.iter())
        .filter(|(_, (tag, _))| tags & (1 << tag) != 0)
        .map(|(kind, &(_, depth))| &kind[depth..]);
    some_kind_meets(a, b, kinds)
}

/// Whether, for one of `kinds`, every facet of it meets (each facet compared at most once).
fn some_kind_meets<'k>(
    a: &impl FacetView,
    b: &impl FacetView,
    kinds: impl Iterator<Item = &'k [Facet]>,
) -> bool {
    let (mut known, mut met) = (0u16, 0u16);
    'kinds: for kind in kinds {
        for &f in kind {
            let bit = 1u16 << f as u8;
            if known & bit == 0 {
                known |= bit;
                if sorted_meet(a.get(f), b.get(f)) {
                    met |= bit;
                }
            }
            if met & bit == 0 {
                continue 'kinds;
            }
        }
        return true;
    }
    false
}

/// How many key kinds two records' facets share (0: not a candidate pair).
pub fn kinds_shared(a: &Facets, b: &Facets) -> u32 {
    let m = a.meet(b);
    KIND_MASKS.iter().filter(|&&k| m & k == k).count() as u32
}

/// The facets of a prepared record.
pub fn facets(r: &PRecord, side: Side) -> Facets {
    let mut out = Facets::default();
    facets_into(r, side, &mut out);
    out.vals.shrink_to_fit();
    out
}

/// Appends the fine keys of `ns` to `v` in order, skipping those already there since
/// `from`, until `v` holds `cap` values since `from` (see [`fine_keys`]).
fn push_fine(v: &mut Vec<u64>, from: usize, ns: &[Name], cap: usize) {
    for n in ns {
        for &k in n.fine.iter() {
            if v.len() - from < cap && !v[from..].contains(&k) {
                v.push(k);
            }
        }
    }
}

/// Sorts the values from `from` on, drops repeats, keeps at most `cap` (the least).
fn sort_tail(v: &mut Vec<u64>, from: usize, cap: usize) {
    v[from..].sort_unstable();
    let mut w = from;
    for i in from..v.len() {
        if w == from || v[i] != v[w - 1] {
            v[w] = v[i];
            w += 1;
        }
    }
    v.truncate(w.min(from.saturating_add(cap)));
}

/// [`facets`] into a record the caller reuses (no allocation once it has grown).
pub fn facets_into(r: &PRecord, side: Side, out: &mut Facets) {
    let v = &mut out.vals;
    v.clear();
    let mut ends = [0u32; N_FACETS];
    let mut end = |v: &Vec<u64>, f: Facet| ends[f as usize] = v.len() as u32;
    // Whole-name readings: each name's most likely first, at most 24 per person, then
    // sorted; the children's together at most 32.
    push_fine(v, 0, &r.mother.names, 24);
    sort_tail(v, 0, usize::MAX);
    end(v, MotherFine);
    let from = v.len();
    for c in &r.children {
        let at = v.len();
        push_fine(v, at, &c.names, 24);
    }
    sort_tail(v, from, 32);
    end(v, ChildFine);
    let from = v.len();
    push_fine(v, from, &r.father, 24);
    sort_tail(v, from, usize::MAX);
    end(v, FatherFine);
    // Coarse keys: at most 8 for a parent, 16 for the children.
    let from = v.len();
    v.extend(r.mother.names.iter().flat_map(|n| n.coarse.iter().copied()));
    sort_tail(v, from, 8);
    end(v, MotherCoarse);
    let from = v.len();
    v.extend(
        r.children
            .iter()
            .flat_map(|c| c.names.iter().flat_map(|n| n.coarse.iter().copied())),
    );
    sort_tail(v, from, 16);
    end(v, ChildCoarse);
    let from = v.len();
    v.extend(r.father.iter().flat_map(|n| n.coarse.iter().copied()));
    sort_tail(v, from, 8);
    end(v, FatherCoarse);
    let from = v.len();
    for d in r.children.iter().filter_map(|c| c.birth) {
        push_years(v, d.year, d.approx, side, 2, 1);
    }
    sort_tail(v, from, usize::MAX);
    end(v, ChildYear);
    // The mother's year in 4-year buckets: her age is often a guess, and a bucket keeps the
    // number of keys of a widened year small.
    let from = v.len();
    if let Some(d) = r.mother.birth {
        push_years(v, d.year, d.approx, side, 5, 4);
    }
    sort_tail(v, from, usize::MAX);
    end(v, MotherYear);
    match r.residence.region() {
        0 => {}
        x => v.push(x as u64),
    }
    end(v, Region);
    // Nicknames: the Korean reading of the last syllable of each child name (杨杰 and 小杰
    // share 걸; 涛涛 and 张涛 share 도).
    let from = v.len();
    v.extend(
        r.children
            .iter()
            .flat_map(|c| c.names.iter())
            .filter(|n| n.nick != 0)
            .map(|n| mix(0x6e69636b ^ n.nick as u64)),
    );
    sort_tail(v, from, 16);
    end(v, ChildNick);
    let from = v.len();
    for c in &r.children {
        let Some(d) = c.birth else { continue };
        let at = v.len();
        push_years(v, d.year, d.approx, side, 2, 1);
        let years = v.len();
        for n in c.names.iter().filter(|n| n.nick != 0) {
            // Two names that are both whole (张杰, 李杰) must not meet here: a whole name
            // emits its side's tag, a nickname both tags.
            let (own, other) = match side {
                Side::Indexed => (1, 2),
                Side::Query => (2, 1),
            };
            for tag in [own, other]
                .into_iter()
                .take(if n.nick_form { 2 } else { 1 })
            {
                let base = mix((0x6e69636b ^ n.nick as u64) << 2 | tag);
                for i in at..years {
                    v.push(combine(base, v[i]));
                }
            }
        }
        v.drain(at..years);
    }
    sort_tail(v, from, 32);
    end(v, ChildNickYear);
    out.ends = ends;
}

/// The key of one combination of facet values (`acc` folds the values in order).
fn combine(acc: u64, x: u64) -> u64 {
    mix(acc ^ x.rotate_left(7))
}

/// The blocking keys of a prepared record, sorted and deduplicated.
pub fn keys(r: &PRecord, side: Side) -> Vec<u64> {
    keys_of(&facets(r, side))
}

/// The blocking keys of a record's facets, sorted and deduplicated.
pub fn keys_of(f: &Facets) -> Vec<u64> {
    let mut out = Vec::new();
    for (i, kind) in KINDS.iter().enumerate() {
        let mut acc: Vec<u64> = vec![0];
        for &facet in kind.iter() {
            let vals = f.get(facet);
            let mut next = Vec::with_capacity(acc.len() * vals.len());
            for &a in &acc {
                for &x in vals {
                    next.push(combine(a, x));
                }
            }
            acc = next;
            if acc.len() > MAX_KEYS {
                acc.clear();
                break;
            }
        }
        for a in acc {
            if out.len() < MAX_KEYS {
                out.push(key(i as u64 + 1, a, 0, 0));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Anchor keys of a record: the keys of the first facet (or, for the coarse kinds, the
/// first three) of every kind, which every candidate pair shares at least one of. The batch
/// indexes one side by these (a few dozen keys per record instead of hundreds of combined
/// keys), looks the other side up by them and keeps the records that [`shares`] confirms.
pub fn anchors(f: &Facets) -> Vec<u64> {
    let mut out = Vec::new();
    anchors_into(f, &mut out);
    out
}

/// For each kind: its tag and how many leading facets its anchor combines (kinds with the
/// same anchor facets share the first one's tag, and so their anchor keys).
static ANCHOR_KINDS: std::sync::LazyLock<Vec<(u64, usize)>> = std::sync::LazyLock::new(|| {
    KINDS
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let depth = match kind[0] {
                MotherCoarse => 3,
                ChildNickYear => 3,
                _ => 1,
            };
            let tag = KINDS
                .iter()
                .position(|k| k.len() >= depth && k[..depth] == kind[..depth])
                .unwrap_or(i) as u64
                + 1;
            (tag, depth)
        })
        .collect()
});

/// [`anchors`] into a buffer the caller reuses (cleared first).
pub fn anchors_into(f: &Facets, out: &mut Vec<u64>) {
    out.clear();
    for (i, (kind, &(tag, depth))) in KINDS.iter().zip(ANCHOR_KINDS.iter()).enumerate() {
        if tag != i as u64 + 1 {
            // The same keys as an earlier kind's.
            continue;
        }
        let first = f.get(kind[0]);
        if depth == 1 {
            out.extend(first.iter().map(|&x| key(tag, combine(0, x), 0, 0)));
            continue;
        }
        let second = f.get(kind[1]);
        let third = if depth == 3 { f.get(kind[2]) } else { &[] };
        for &x in first {
            let a = combine(0, x);
            for &y in second {
                let b = combine(a, y);
                if depth == 2 {
                    out.push(key(tag, b, 0, 0));
                    continue;
                }
                for &z in third {
                    out.push(key(tag, combine(b, z), 0, 0));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
}
