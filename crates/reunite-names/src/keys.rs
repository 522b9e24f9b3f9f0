//! Canonical surname keys and blocking keys.

use std::sync::LazyLock;

use crate::hangul;
use crate::name::{PreparedName, Src, Syl, fnv};
use crate::tables::{self, TABLES};

/// Korean reading id -> folded syllable.
pub(crate) static KID_SYL: LazyLock<Vec<u16>> = LazyLock::new(|| {
    let t = &*TABLES;
    let mut v = vec![0u16; t.man_inf.len()];
    for (s, &k) in t.kid.iter().enumerate() {
        if k != u16::MAX {
            v[k as usize] = s as u16;
        }
    }
    v
});

/// Candidate folded Korean readings of a surname syllable, most likely first (at most 4).
fn surname_candidates(s: &Syl) -> Vec<u16> {
    let t = &*TABLES;
    let mut out: Vec<u16> = Vec::new();
    match s.src {
        Src::Hangul | Src::Han => out.extend(s.kor.as_slice().first()),
        Src::Korean => {
            let mut c: Vec<(u16, u16)> = s
                .kor
                .as_slice()
                .iter()
                .map(|&k| {
                    (
                        t.korean_surname_rank.get(&k).copied().unwrap_or(u16::MAX),
                        k,
                    )
                })
                .collect();
            c.sort();
            let ranked = c.iter().filter(|x| x.0 != u16::MAX).count();
            out.extend(c.iter().take(ranked.clamp(1, 2)).map(|x| x.1));
        }
        Src::Pinyin => {
            if let Some(v) = s
                .man
                .as_slice()
                .first()
                .and_then(|p| t.surname_by_pinyin.get(p))
            {
                out.extend(v.iter().take(4));
            }
        }
        Src::Unknown => {}
    }
    out
}

fn classes(s: &Syl) -> Vec<u8> {
    let mut out = Vec::new();
    let mut add = |c: u8| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    match s.src {
        Src::Pinyin => {
            let kid_syl = &*KID_SYL;
            for (k, &syl) in kid_syl.iter().enumerate() {
                if tables::bit_get(&s.kor_inf, k as u16) {
                    add(hangul::initial_class(syl));
                }
            }
        }
        Src::Unknown => {
            let sk = crate::name::skeleton(&s.label);
            add(match sk.first() {
                Some(b'k') => b'K',
                Some(b't') => b'T',
                Some(b'p') => b'P',
                Some(b'j') => b'J',
                Some(b's') => b'S',
                Some(b'l') | Some(b'n') => b'N',
                Some(b'm') => b'M',
                Some(b'h') => b'H',
                _ => b'0',
            });
        }
        _ => {
            for &k in s.kor.as_slice() {
                add(hangul::initial_class(k));
            }
        }
    }
    out
}

pub(crate) fn compute(name: &mut PreparedName) {
    let mut keys = Vec::new();
    let mut surname_key = 0;
    for p in &name.parses {
        // Surname keys: the product of each surname syllable's candidates (compound surnames
        // take their first candidates).
        let cands: Vec<Vec<u16>> = p.sur.iter().map(surname_candidates).collect();
        let mut sur_keys: Vec<(u64, Vec<u16>)> = Vec::new();
        if cands.iter().all(|c| !c.is_empty()) && !cands.is_empty() {
            for &first in &cands[0] {
                let mut v = vec![first];
                v.extend(cands[1..].iter().map(|c| c[0]));
                sur_keys.push((fnv(1, v.iter().copied()), v));
            }
        } else if !p.sur.is_empty() {
            let sk = crate::name::skeleton(
                &p.sur
                    .iter()
                    .map(|s| s.label.to_string())
                    .collect::<String>(),
            );
            sur_keys.push((fnv(2, sk.iter().map(|&b| b as u16)), Vec::new()));
        }
        if surname_key == 0
            && let Some(k) = sur_keys.first()
        {
            surname_key = k.0;
        }
        let cls = p.given.first().map(classes).unwrap_or_else(|| vec![b'-']);
        for (sk, _) in &sur_keys {
            for &c in &cls {
                let k = fnv(
                    3,
                    [
                        (*sk & 0xffff) as u16,
                        (*sk >> 16) as u16,
                        (*sk >> 32) as u16,
                        (*sk >> 48) as u16,
                        c as u16,
                    ],
                );
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
    }
    name.surname_key = surname_key;
    name.keys = keys;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surname_key_is_canonical_across_scripts() {
        let k = PreparedName::new("김").surname_key();
        for s in ["金", "Kim", "Gim", "Jīn", "김정일", "Kim Jong Il"] {
            assert_eq!(PreparedName::new(s).surname_key(), k, "{s}");
        }
        let lee = PreparedName::new("이").surname_key();
        for s in ["리", "李", "Lee", "Rhee", "Yi", "Ri", "Lǐ"] {
            assert_eq!(PreparedName::new(s).surname_key(), lee, "{s}");
        }
        assert_ne!(k, lee);
    }
}
