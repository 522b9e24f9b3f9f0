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

/// Most reading keys one name keeps.
pub(crate) const MAX_READING_KEYS: usize = 16;
/// Most keys of one reading space (Korean or Mandarin) from one parse.
const KEYS_PER_SPACE: usize = 6;
/// Most candidate readings of one syllable (four: a romanized syllable such as "chong" is
/// the own spelling of 총, 청, 종 and 정 in one system or another).
const CANDS: usize = 4;

/// Candidate readings of one syllable, most likely first.
#[derive(Clone, Copy, Default)]
struct Cands {
    n: u8,
    v: [u16; CANDS],
}

impl Cands {
    fn from(it: impl IntoIterator<Item = u16>) -> Cands {
        let mut c = Cands::default();
        for x in it {
            if (c.n as usize) < CANDS && !c.v[..c.n as usize].contains(&x) {
                c.v[c.n as usize] = x;
                c.n += 1;
            }
        }
        c
    }
}

/// Candidate folded Korean readings of a syllable.
fn kor_cands(s: &Syl, surname: bool) -> Cands {
    let t = &*TABLES;
    let from_pinyin = |s: &Syl| {
        let ranked = s
            .man
            .as_slice()
            .first()
            .and_then(|&m| t.kor_rank.get(m as usize));
        Cands::from(ranked.into_iter().flatten().map(|&k| KID_SYL[k as usize]))
    };
    let c = match (s.src, surname) {
        (Src::Hangul | Src::Han, _) => Cands::from(s.kor.as_slice().iter().take(1).copied()),
        (Src::Korean, false) => Cands::from(s.kor.as_slice().iter().copied()),
        (Src::Korean | Src::Pinyin, true) => Cands::from(surname_candidates(s)),
        (Src::Pinyin, false) => from_pinyin(s),
        (Src::Unknown, _) => Cands::default(),
    };
    if c.n == 0 && s.src == Src::Pinyin {
        from_pinyin(s)
    } else {
        c
    }
}

/// Candidate pinyin ids of a syllable.
fn man_cands(s: &Syl) -> Cands {
    let t = &*TABLES;
    match s.src {
        Src::Han | Src::Pinyin => Cands::from(s.man.as_slice().iter().take(1).copied()),
        Src::Hangul | Src::Korean => {
            let ranked = s
                .kor_kid
                .as_slice()
                .first()
                .and_then(|&k| t.man_rank.get(k as usize));
            Cands::from(ranked.into_iter().flatten().copied())
        }
        Src::Unknown => Cands::default(),
    }
}

/// Most syllables a reading key covers.
const MAX_SYLLABLES: usize = 8;

/// Whole-name keys over one candidate list per syllable (surname syllables, then given
/// ones): combinations in order of the sum of their candidate ranks (all first choices, then
/// one second choice, ...), at most two syllables off their first choice, at most `cap`.
fn product_keys(tag: u8, cands: &[Cands], n_sur: usize, cap: usize, out: &mut Vec<u64>) {
    let n = cands.len();
    if n_sur == 0 || n_sur >= n || n > MAX_SYLLABLES || cands.iter().any(|c| c.n == 0) {
        return;
    }
    let mut emitted = 0;
    let mut emit = |choice: &[u8; MAX_SYLLABLES], out: &mut Vec<u64>| {
        let seq = (0..n).flat_map(|i| {
            let sep = (i == n_sur).then_some(u16::MAX);
            sep.into_iter().chain([cands[i].v[choice[i] as usize]])
        });
        let k = fnv(tag, seq);
        if !out.contains(&k) {
            out.push(k);
        }
        emitted += 1;
        emitted >= cap
    };
    let max_rank = CANDS as u8 - 1;
    for total in 0..=2 * max_rank {
        // One syllable off its first choice by `total`, or two by ranks a + b = total.
        let mut choice = [0u8; MAX_SYLLABLES];
        if total == 0 {
            if emit(&choice, out) {
                return;
            }
            continue;
        }
        for i in 0..n {
            if total <= max_rank && total < cands[i].n {
                choice[i] = total;
                let done = emit(&choice, out);
                choice[i] = 0;
                if done {
                    return;
                }
            }
        }
        for i in 0..n {
            for j in i + 1..n {
                for a in 1..cands[i].n {
                    let Some(b) = total.checked_sub(a) else {
                        continue;
                    };
                    if b == 0 || b >= cands[j].n {
                        continue;
                    }
                    choice[i] = a;
                    choice[j] = b;
                    let done = emit(&choice, out);
                    choice[i] = 0;
                    choice[j] = 0;
                    if done {
                        return;
                    }
                }
            }
        }
    }
}

/// The reading keys of a name: per parse, up to [`KEYS_PER_SPACE`] keys read in Korean and as
/// many in Mandarin, most likely first; then taken from the lists in turn (the first of each,
/// the second of each, ...) so that when they are cut to [`MAX_READING_KEYS`] every parse
/// keeps its likeliest readings ("Li shuyu" read as Korean must not crowd out its pinyin).
fn reading_keys(name: &PreparedName) -> Vec<u64> {
    let mut lists: Vec<Vec<u64>> = Vec::new();
    let mut cands = [Cands::default(); MAX_SYLLABLES];
    for p in &name.parses {
        let n_sur = p.sur().len();
        let n = n_sur + p.given().len();
        if n > MAX_SYLLABLES {
            continue;
        }
        let syls = p.syls().iter();
        for (i, s) in syls.clone().enumerate() {
            cands[i] = kor_cands(s, i < n_sur);
        }
        let mut kor = Vec::new();
        product_keys(10, &cands[..n], n_sur, KEYS_PER_SPACE, &mut kor);
        for (i, s) in syls.enumerate() {
            cands[i] = man_cands(s);
        }
        let mut man = Vec::new();
        product_keys(11, &cands[..n], n_sur, KEYS_PER_SPACE, &mut man);
        lists.push(kor);
        lists.push(man);
    }
    let mut out = Vec::new();
    for rank in 0..KEYS_PER_SPACE {
        for l in &lists {
            if let Some(&k) = l.get(rank)
                && out.len() < MAX_READING_KEYS
                && !out.contains(&k)
            {
                out.push(k);
            }
        }
    }
    out
}

pub(crate) fn compute(name: &mut PreparedName) {
    let reading_keys = reading_keys(name);
    let mut keys = Vec::new();
    let mut surname_key = 0;
    for p in &name.parses {
        // Surname keys: the product of each surname syllable's candidates (compound surnames
        // take their first candidates).
        let cands: Vec<Vec<u16>> = p.sur().iter().map(|s| surname_candidates(s)).collect();
        let mut sur_keys: Vec<(u64, Vec<u16>)> = Vec::new();
        if cands.iter().all(|c| !c.is_empty()) && !cands.is_empty() {
            for &first in &cands[0] {
                let mut v = vec![first];
                v.extend(cands[1..].iter().map(|c| c[0]));
                sur_keys.push((fnv(1, v.iter().copied()), v));
            }
        } else if !p.sur().is_empty() {
            let sk = crate::name::skeleton(
                &p.sur()
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
        let cls = p
            .given()
            .first()
            .map(|s| classes(s))
            .unwrap_or_else(|| vec![b'-']);
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
    name.set_keys(keys, &reading_keys);
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

    fn share(a: &str, b: &str) -> bool {
        let (a, b) = (PreparedName::new(a), PreparedName::new(b));
        a.reading_keys()
            .iter()
            .any(|k| b.reading_keys().contains(k))
    }

    #[test]
    fn reading_keys_meet_across_scripts() {
        for group in [
            &[
                "李英子",
                "리영자",
                "이영자",
                "Li Yingzi",
                "Ri Yong Ja",
                "Lee Young-ja",
            ][..],
            &["金英子", "김영자", "Jin Yingzi", "Kim Young-ja"][..],
        ] {
            for (i, a) in group.iter().enumerate() {
                assert!(!PreparedName::new(a).reading_keys().is_empty(), "{a}");
                for b in &group[i + 1..] {
                    assert!(share(a, b), "{a} ~ {b}");
                }
            }
        }
    }

    /// Romanized Korean names, as written on requests, meet the same name in Hangul or Hanja:
    /// a spelling's likeliest syllables come first ("chun" 춘, "geum" 금), a one-word given
    /// name splits at syllables that name Hanja read ("Hyekum": 혜금, not 혝음), and a name
    /// read both as Korean and as pinyin keeps keys of both readings.
    #[test]
    fn romanized_names_meet_their_hangul_and_hanja() {
        for (a, b) in [
            ("Kim Chunmi", "김춘미"),
            ("Choi Hyang chun", "최향춘"),
            ("Phyon Son chun", "편선춘"),
            ("Gwon Hee-geum", "권희금"),
            ("Kim Hyekum", "김혜금"),
            ("Li shuyu", "李淑玉"),
            ("PIAO JU-LAN", "朴菊蘭"),
        ] {
            assert!(share(a, b), "{a} ~ {b}");
        }
    }

    #[test]
    fn reading_keys_tell_different_names_apart() {
        assert!(!share("李英子", "金英子"));
        assert!(!share("리영자", "김영자"));
        assert!(!share("Li Yingzi", "Jin Yingzi"));
        assert!(!share("리영자", "리영철"));
        assert!(!share("김영자", "김영"));
    }

    #[test]
    fn reading_keys_are_bounded() {
        for s in ["行行行行行行行行", "Li Li Li Li Li Li", "", "123", "x"] {
            assert!(
                PreparedName::new(s).reading_keys().len() <= MAX_READING_KEYS,
                "{s}"
            );
        }
        assert!(PreparedName::new("").reading_keys().is_empty());
    }
}
