//! Blocking keys. A pair becomes a candidate when it shares one key. Each key combines
//! three facets — mother's name key, child's name key, father's name key (from
//! `reunite-names`, which makes variants of one name in any script share a key), the
//! child's and the mother's birth year, the region of residence — so that posting lists stay
//! short while a true pair, which agrees on most facets, shares at least one key.
//!
//! The indexed side (cases) emits its years as recorded (widened by its own approximation);
//! the query side (requests) widens them by its approximation plus one year, so a pair whose
//! years differ by at most the sum of the approximations plus one always meets.

use crate::prepared::{Name, PRecord};

/// Which side of the index a record is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Stored in the index.
    Indexed,
    /// Looked up.
    Query,
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D049BB133111EB);
    x ^ (x >> 31)
}

fn key(tag: u64, a: u64, b: u64, c: u64) -> u64 {
    (mix(mix(mix(tag ^ mix(a)) ^ b) ^ c.rotate_left(17)) & !0x1f) | tag
}

/// The kind of key (which facets it combines), kept in the low bits of the key.
pub fn tag(key: u64) -> u8 {
    (key & 0x1f) as u8
}

/// Number of key kinds (tags are 1..N_TAGS).
pub const N_TAGS: usize = 16;

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

fn dedup_cap(mut v: Vec<u64>, cap: usize) -> Vec<u64> {
    v.sort_unstable();
    v.dedup();
    v.truncate(cap);
    v
}

fn years(y: Option<i32>, approx: u8, side: Side, cap: u8) -> Vec<u64> {
    let Some(y) = y else { return Vec::new() };
    let w = match side {
        Side::Indexed => approx.min(cap) as i32,
        Side::Query => (approx.min(cap) + 1) as i32,
    };
    (y - w..=y + w).map(|v| v as u64).collect()
}

/// Most keys one record emits (guards against pathological input).
pub const MAX_KEYS: usize = 4000;

/// Fine name keys: the whole name read in Korean and in Mandarin
/// (`PreparedName::reading_keys`), so 리영자, 이영자, 李英子, "Ri Yong Ja" and "Li Yingzi"
/// share one. Kept in order (each name's most likely readings first), at most 24.
pub fn fine_keys(ns: &[Name]) -> Vec<u64> {
    let mut v: Vec<u64> = Vec::new();
    for n in ns {
        for &k in n.reading_keys() {
            let k = mix(k);
            if v.len() < 24 && !v.contains(&k) {
                v.push(k);
            }
        }
    }
    v
}

/// The blocking keys of a prepared record, sorted and deduplicated.
pub fn keys(r: &PRecord, side: Side) -> Vec<u64> {
    let name_keys = |ns: &[Name]| {
        dedup_cap(
            ns.iter()
                .flat_map(|n| n.blocking_keys().iter().copied())
                .collect(),
            8,
        )
    };
    let mk = name_keys(&r.mother.names);
    let ck = dedup_cap(
        r.children
            .iter()
            .flat_map(|c| {
                c.names
                    .iter()
                    .flat_map(|n| n.blocking_keys().iter().copied())
            })
            .collect(),
        16,
    );
    let fk = name_keys(&r.father);
    let mf = fine_keys(&r.mother.names);
    let cf = dedup_cap(
        r.children
            .iter()
            .flat_map(|c| fine_keys(&c.names))
            .collect(),
        32,
    );
    let ff = fine_keys(&r.father);
    // The mother's year in 4-year buckets: her age is often a guess, and a bucket keeps the
    // number of keys of a widened year small.
    let mut my: Vec<u64> = r
        .mother
        .birth
        .map(|d| years(d.year, d.approx, side, 5))
        .unwrap_or_default()
        .into_iter()
        .map(|y| (y as i64).div_euclid(4) as u64)
        .collect();
    my.dedup();
    let mut cy: Vec<u64> = r
        .children
        .iter()
        .filter_map(|c| c.birth)
        .flat_map(|d| years(d.year, d.approx, side, 2))
        .collect();
    cy.sort_unstable();
    cy.dedup();
    let rg: Vec<u64> = match r.residence.region() {
        0 => Vec::new(),
        x => vec![x as u64],
    };
    let mut out = Vec::new();
    let mut cross = |tag: u64, f: &[&[u64]]| {
        let mut acc: Vec<u64> = vec![0];
        for facet in f {
            let mut next = Vec::with_capacity(acc.len() * facet.len());
            for &a in &acc {
                for &x in facet.iter() {
                    next.push(mix(a ^ x.rotate_left(7)));
                }
            }
            acc = next;
            if acc.len() > MAX_KEYS {
                return;
            }
        }
        for a in acc {
            if out.len() < MAX_KEYS {
                out.push(key(tag, a, 0, 0));
            }
        }
    };
    // Whole names with one more facet.
    cross(1, &[&mf, &cf]);
    cross(2, &[&mf, &cy]);
    cross(3, &[&mf, &my]);
    cross(4, &[&mf, &rg]);
    cross(5, &[&mf, &ck]);
    cross(6, &[&cf, &cy]);
    cross(7, &[&cf, &my]);
    cross(8, &[&cf, &rg]);
    cross(9, &[&cf, &mk]);
    cross(10, &[&ff, &ck]);
    cross(11, &[&ff, &cy]);
    // Coarse name keys (typos, pinyin) with more facets.
    cross(12, &[&mk, &ck, &cy, &my]);
    cross(13, &[&mk, &ck, &cy, &rg]);
    cross(14, &[&mk, &ck, &my, &rg]);
    cross(15, &[&mk, &fk, &ck, &cy]);
    out.sort_unstable();
    out.dedup();
    out
}
