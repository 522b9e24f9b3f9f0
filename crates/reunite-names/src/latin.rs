//! Latin-script input: romanized Korean (RR, McCune–Reischauer, the North Korean system and
//! common passport spellings) and pinyin, decoded into syllables with candidate readings.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::hangul;
use crate::tables::TABLES;

/// A Latin token after normalization.
#[derive(Debug, Clone, Default)]
pub(crate) struct LatinToken {
    /// Lowercase ASCII; `-` marks a syllable boundary; `'` an MR aspiration mark.
    pub text: String,
    /// Carried pinyin tone marks or tone numbers.
    pub pinyin_marked: bool,
    /// Carried McCune–Reischauer breves.
    pub mr_marked: bool,
}

/// Normalizes one whitespace-free Latin token.
pub(crate) fn normalize_token(tok: &str) -> LatinToken {
    use unicode_normalization::UnicodeNormalization;
    let mut out = LatinToken::default();
    let mut s = String::new();
    let mut last_base: Option<char> = None;
    for c in tok.nfd() {
        match c {
            '\u{0306}' => {
                out.mr_marked = true;
                match last_base {
                    Some('o') => s.insert(s.len() - 1, 'e'), // ŏ -> eo
                    Some('u') => s.insert(s.len() - 1, 'e'), // ŭ -> eu
                    _ => {}
                }
            }
            '\u{0304}' | '\u{0301}' | '\u{030C}' | '\u{0300}' => out.pinyin_marked = true,
            '\u{0308}' => {
                if last_base == Some('u') {
                    s.pop();
                    s.push('v');
                    out.pinyin_marked = true;
                }
            }
            c if c.is_ascii_alphabetic() => {
                let l = c.to_ascii_lowercase();
                s.push(l);
                last_base = Some(l);
            }
            '1'..='5' if last_base.is_some() => {
                out.pinyin_marked = true;
                s.push('-');
                last_base = None;
            }
            '\'' | '’' | '‘' | 'ʼ' | '`' => {
                let aspirate =
                    s.ends_with('k') || s.ends_with('t') || s.ends_with('p') || s.ends_with("ch");
                s.push(if aspirate { '\'' } else { '-' });
                last_base = None;
            }
            c if c.is_alphabetic() => {
                // Other letters (e.g. ß) have no reading here; keep a boundary.
                s.push('-');
                last_base = None;
            }
            _ => {
                if !s.ends_with('-') {
                    s.push('-');
                }
                last_base = None;
            }
        }
    }
    out.text = s.trim_matches('-').to_string();
    out
}

/// Spellings of each initial (ㄱ..ㅎ) seen in RR, MR (breves folded, apostrophes kept), the
/// North Korean system and passports.
const INIT_SPELL: [&[&str]; 19] = [
    &["g", "k", "gh", "kh"],
    &["kk", "gg"],
    &["n"],
    &["d", "t"],
    &["tt", "dd"],
    &["r", "l", "rh"],
    &["m"],
    &["b", "p"],
    &["pp", "bb"],
    &["s", "sh"],
    &["ss", "s"],
    &[""],
    &["j", "ch", "z", "jh"],
    &["jj", "tch", "zz"],
    &["ch", "ch'", "chh", "c"],
    &["k", "k'", "kh"],
    &["t", "t'", "th"],
    &["p", "p'", "ph", "f"],
    &["h"],
];
const VOW_SPELL: [&[&str]; 21] = [
    &["a", "ah"],
    &["ae", "ai", "ay"],
    &["ya", "yah"],
    &["yae"],
    &["eo", "o", "u", "uh", "eu"],
    &["e", "eh"],
    &["yeo", "yo", "yu", "you"],
    &["ye"],
    &["o", "oh"],
    &["wa", "wah"],
    &["wae"],
    &["oe", "oi", "we", "oy"],
    &["yo"],
    &["u", "oo", "ou"],
    &["wo", "weo", "won"],
    &["we"],
    &["wi", "wee"],
    &["yu", "yoo", "you"],
    &["eu", "u", "ue", "y"],
    &["ui", "eui", "i", "ee"],
    &["i", "ee"],
];
/// Extra vowel spellings valid only without an initial consonant (우 Woo, 이 Yi).
const VOW_SPELL_ZERO: [(u8, &str); 4] = [(13, "woo"), (13, "wu"), (20, "yi"), (18, "eu")];
const FINAL_SPELL: [(u8, &[&str]); 8] = [
    (0, &[""]),
    (1, &["k", "g"]),
    (4, &["n"]),
    (8, &["l", "r"]),
    (16, &["m"]),
    (17, &["p", "b"]),
    (21, &["ng"]),
    (19, &["t"]),
];
/// Passport and traditional spellings that the regular rules do not produce.
const PASSPORT: &[(&str, &str)] = &[
    ("park", "박"),
    ("bark", "박"),
    ("pack", "박"),
    ("bac", "박"),
    ("kym", "김"),
    ("paik", "백"),
    ("baik", "백"),
    ("back", "백"),
    ("suh", "서"),
    ("huh", "허"),
    ("hur", "허"),
    ("uhm", "엄"),
    ("um", "엄"),
    ("reeh", "리"),
    ("rhie", "리"),
    ("lym", "림"),
    ("yune", "윤"),
    ("yeun", "윤"),
    ("kwang", "강"),
    ("choi", "최"),
    ("sohn", "손"),
    ("shinn", "신"),
    ("ahnn", "안"),
    ("whang", "황"),
    ("moon", "문"),
];

/// A romanized Korean syllable as spelled: a dense id (for interning the syllables built from
/// it) and the folded Hangul syllables it may stand for.
#[derive(Debug)]
pub(crate) struct Spelling {
    pub id: u32,
    pub cands: Vec<u16>,
    /// Whether some candidate is read from a name or education Hanja.
    pub named: bool,
}

/// Latin spelling -> the folded Hangul syllables it may stand for, most likely first: first
/// the syllables that some name or education Hanja reads (given names are nearly all
/// Sino-Korean: "kim" is 김, not 긤); then those the spelling is the own RR, McCune–Reischauer
/// (breves folded, with or without the apostrophe) or North Korean spelling of ("chong" is
/// 정 in MR as much as 총 in RR); then by how usual each letter group is for its jamo (its
/// place in [`INIT_SPELL`], [`VOW_SPELL`], [`FINAL_SPELL`]: "chun" is 춘 in RR before it is 준
/// in MR, and either before 천 or 전 by a rarer vowel spelling).
static KOREAN_SPELLINGS: LazyLock<HashMap<String, Spelling>> = LazyLock::new(|| {
    // Spelling -> (id, [(syllable, least cost)]).
    let mut m: HashMap<String, (u32, Vec<(u16, usize)>)> = HashMap::new();
    let mut add = |k: String, s: u16, cost: usize| {
        let s = hangul::fold(s);
        let id = m.len() as u32;
        let v = &mut m.entry(k).or_insert_with(|| (id, Vec::new())).1;
        match v.iter_mut().find(|x| x.0 == s) {
            Some(x) => x.1 = x.1.min(cost),
            None => v.push((s, cost)),
        }
    };
    for (i, ispell) in INIT_SPELL.iter().enumerate() {
        for (v, vspell) in VOW_SPELL.iter().enumerate() {
            let extra: Vec<&str> = if i == 11 {
                VOW_SPELL_ZERO
                    .iter()
                    .filter(|x| x.0 as usize == v)
                    .map(|x| x.1)
                    .collect()
            } else {
                Vec::new()
            };
            for (f, fspell) in FINAL_SPELL {
                let syl = hangul::join((i as u8, v as u8, f));
                for (ic, is) in ispell.iter().enumerate() {
                    for (vc, vs) in vspell.iter().chain(extra.iter()).enumerate() {
                        for (fc, fs) in fspell.iter().enumerate() {
                            add(format!("{is}{vs}{fs}"), syl, ic + vc + fc);
                        }
                    }
                }
            }
        }
    }
    for (k, h) in PASSPORT {
        for c in h.chars() {
            if let Some(s) = hangul::index(c) {
                add((*k).to_string(), s, 0);
            }
        }
    }
    let t = &*TABLES;
    // Syllables that some Hanja reads as a reading marked for education or names.
    let mut named_set = vec![false; hangul::SCOUNT as usize];
    for e in t.han.values() {
        for r in e.kor.iter().filter(|r| r.1 != 0) {
            named_set[hangul::fold(r.0) as usize] = true;
        }
    }
    let named = |s: u16| named_set.get(s as usize).copied().unwrap_or(false);
    // A syllable's own spellings in RR, MR (breves folded; with and without the apostrophe)
    // and the North Korean system cost nothing: "chong" is 정 in MR as much as 총 in RR.
    let mut canon: HashMap<u16, Vec<String>> = HashMap::new();
    for &(syl, _) in m.values().flat_map(|x| x.1.iter()) {
        canon.entry(syl).or_insert_with(|| {
            let c = hangul::to_char(syl).to_string();
            let mut out: Vec<String> = Vec::new();
            for sys in [crate::System::Rr, crate::System::Mr, crate::System::Nk] {
                let t = normalize_token(&crate::romanize_text(&c, sys)).text;
                for x in [t.replace('\'', ""), t] {
                    if !out.contains(&x) {
                        out.push(x);
                    }
                }
            }
            out
        });
    }
    m.into_iter()
        .map(|(k, (id, mut v))| {
            let own = |s: u16| canon.get(&s).is_some_and(|own| own.contains(&k));
            // Stable: equal ranks keep the order of the tables.
            v.sort_by_key(|&(s, cost)| (!named(s), !own(s), cost));
            let named = v.first().is_some_and(|x| named(x.0));
            let cands = v.into_iter().map(|x| x.0).collect();
            (k, Spelling { id, cands, named })
        })
        .collect()
});

/// Number of distinct romanized Korean syllable spellings (ids are below it).
pub(crate) fn korean_spelling_count() -> usize {
    KOREAN_SPELLINGS.len()
}

/// Segments `chunk` (no boundaries inside) into the fewest pieces accepted by `accept`
/// (which returns a piece's penalty, or `None` to reject it); among those, the least total
/// penalty; then longer pieces first. Returns the piece boundaries.
fn segment(
    chunk: &str,
    max: usize,
    accept: impl Fn(&str) -> Option<u16>,
) -> Option<Vec<(usize, usize)>> {
    let b = chunk.as_bytes();
    let n = b.len();
    // best[i] = ((pieces, penalty), next) for chunk[i..]
    let mut best: Vec<Option<((u16, u16), usize)>> = vec![None; n + 1];
    best[n] = Some(((0, 0), n));
    for i in (0..n).rev() {
        for l in (1..=max.min(n - i)).rev() {
            if !chunk.is_char_boundary(i + l) {
                continue;
            }
            if let Some(((cnt, pen), _)) = best[i + l]
                && let Some(p) = accept(&chunk[i..i + l])
            {
                let c = (cnt + 1, pen.saturating_add(p));
                if best[i].is_none_or(|(old, _)| c < old) {
                    best[i] = Some((c, i + l));
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let (_, nx) = best[i]?;
        out.push((i, nx));
        i = nx;
    }
    Some(out)
}

/// Decodes a normalized token as romanized Korean: one spelling (with its candidate set) per
/// syllable.
pub(crate) fn decode_korean(tok: &str) -> Option<Vec<(&'static str, &'static Spelling)>> {
    let mut out = Vec::new();
    for chunk in tok.split('-').filter(|c| !c.is_empty()) {
        // A syllable no name Hanja reads ("hyek" of "Hyekum") loses to one that some does
        // ("hye kum", 혜금).
        let segs = segment(chunk, 9, |p| {
            KOREAN_SPELLINGS.get(p).map(|s| u16::from(!s.named))
        })?;
        for (a, b) in segs {
            let (k, v) = KOREAN_SPELLINGS.get_key_value(&chunk[a..b])?;
            out.push((k.as_str(), v));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Decodes a normalized token as pinyin (tones already removed): pinyin ids per syllable.
pub(crate) fn decode_pinyin(tok: &str) -> Option<Vec<u16>> {
    if tok.contains('\'') {
        return None;
    }
    let t = &*TABLES;
    let ok = |p: &str| t.pinyin_id.contains_key(p) && p.bytes().any(|c| b"aeiouv".contains(&c));
    let mut out = Vec::new();
    for chunk in tok.split('-').filter(|c| !c.is_empty()) {
        for (a, b) in segment(chunk, 6, |p| ok(p).then_some(0))? {
            out.push(t.pinyin_id[&chunk[a..b]]);
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> u16 {
        hangul::fold(hangul::index(s.chars().next().unwrap()).unwrap())
    }

    #[test]
    fn romanized_korean_decodes_to_candidates() {
        let d = decode_korean(&normalize_token("Jeongah").text).unwrap();
        assert_eq!(d.len(), 2);
        assert!(d[0].1.cands.contains(&h("정")));
        assert!(d[1].1.cands.contains(&h("아")));
        let d = decode_korean(&normalize_token("Ch'ŏl").text).unwrap();
        assert!(d[0].1.cands.contains(&h("철")));
        for s in ["Lee", "Yi", "Rhee", "Ri", "I"] {
            let d = decode_korean(&normalize_token(s).text).unwrap();
            assert!(d[0].1.cands.contains(&h("이")), "{s}");
        }
    }

    #[test]
    fn likeliest_syllables_come_first() {
        for (spelling, first) in [("chun", "춘"), ("kim", "김"), ("geum", "금"), ("kum", "금")]
        {
            let d = decode_korean(spelling).unwrap();
            assert_eq!(d[0].1.cands[0], h(first), "{spelling}");
        }
        // "hee" is 희 in passports as well as 히.
        assert!(decode_korean("hee").unwrap()[0].1.cands.contains(&h("희")));
    }

    #[test]
    fn one_word_given_names_split_at_name_syllables() {
        let d = decode_korean("hyekum").unwrap();
        let parts: Vec<&str> = d.iter().map(|x| x.0).collect();
        assert_eq!(parts, ["hye", "kum"]);
        // Where both splits are name syllables the longer first piece stays: 순옥.
        let d = decode_korean("sunok").unwrap();
        let parts: Vec<&str> = d.iter().map(|x| x.0).collect();
        assert_eq!(parts, ["sun", "ok"]);
    }

    #[test]
    fn pinyin_decodes_with_or_without_tones() {
        let t = &*TABLES;
        let a = decode_pinyin(&normalize_token("Zhèngrì").text).unwrap();
        assert_eq!(a, vec![t.pinyin_id["zheng"], t.pinyin_id["ri"]]);
        assert!(normalize_token("Lǐ").pinyin_marked);
        let b = decode_pinyin(&normalize_token("Jiao'an").text).unwrap();
        assert_eq!(b.len(), 2);
        let c = decode_pinyin(&normalize_token("Lü").text).unwrap();
        assert_eq!(c, vec![t.pinyin_id["lv"]]);
    }
}
