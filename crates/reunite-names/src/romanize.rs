//! Romanizers: Revised Romanization (names and words), McCune–Reischauer / ALA-LC, and the
//! North Korean system.

use crate::hangul::{self, I_H, I_R, I_ZERO, Jamo};

/// A romanization system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum System {
    /// Revised Romanization of Korean (South Korea, 2000).
    Rr,
    /// McCune–Reischauer as applied by the Library of Congress (ALA-LC).
    Mr,
    /// The North Korean system as used for names in practice (no diacritics; ㅓ and ㅡ written
    /// o and u; aspirates kh, th, ph; names as separate capitalized syllables).
    Nk,
}

impl System {
    /// Parses `rr`, `mr` (also `ala-lc`) or `nk`.
    pub fn parse(s: &str) -> Option<System> {
        match s.to_ascii_lowercase().as_str() {
            "rr" => Some(System::Rr),
            "mr" | "ala-lc" | "alalc" | "mccune-reischauer" => Some(System::Mr),
            "nk" => Some(System::Nk),
            _ => None,
        }
    }
}

const RR_INIT: [&str; 19] = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p",
    "h",
];
const RR_VOW: [&str; 21] = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
];
/// Final consonants before a pause or another consonant (the seven representative sounds).
const FINAL: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
];
const MR_INIT: [&str; 19] = [
    "k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch'", "k'", "t'",
    "p'", "h",
];
const MR_VOW: [&str; 21] = [
    "a", "ae", "ya", "yae", "ŏ", "e", "yŏ", "ye", "o", "wa", "wae", "oe", "yo", "u", "wŏ", "we",
    "wi", "yu", "ŭ", "ŭi", "i",
];
const NK_INIT: [&str; 19] = [
    "k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "kh", "th",
    "ph", "h",
];
const NK_VOW: [&str; 21] = [
    "a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "u", "ui", "i",
];

/// Final consonant index -> the initial it becomes when linked to a following vowel, plus the
/// part that stays behind (for double finals).
fn linked(f: u8) -> (u8, u8) {
    // (final that stays, initial index that moves; 255 = none)
    match f {
        1 => (0, 0),
        2 => (0, 1),
        3 => (1, 9),
        4 => (0, 2),
        5 => (4, 12),
        6 => (4, 255),
        7 => (0, 3),
        8 => (0, 5),
        9 => (8, 0),
        10 => (8, 6),
        11 => (8, 7),
        12 => (8, 9),
        13 => (8, 16),
        14 => (8, 17),
        15 => (0, 5),
        16 => (0, 6),
        17 => (0, 7),
        18 => (17, 9),
        19 => (0, 9),
        20 => (0, 10),
        22 => (0, 12),
        23 => (0, 14),
        24 => (0, 15),
        25 => (0, 16),
        26 => (0, 17),
        27 => (0, 255),
        _ => (f, 255),
    }
}

fn class_k(f: u8) -> bool {
    matches!(f, 1 | 2 | 3 | 9 | 24)
}
fn class_t(f: u8) -> bool {
    matches!(f, 7 | 19 | 20 | 22 | 23 | 25 | 27)
}
fn class_p(f: u8) -> bool {
    matches!(f, 14 | 17 | 18 | 26)
}

/// Sound changes at a syllable junction: given the final `f` of one syllable and the next
/// syllable's jamo, returns (surface final, surface initial) as jamo indices, where the final
/// is a final index (0..28) and the initial an initial index (0..19). Shared by RR and MR.
fn junction(f: u8, next: Jamo, aspirate: bool) -> (u8, u8) {
    let (i, v, _) = next;
    if f == 0 {
        return (0, i);
    }
    if i == I_ZERO {
        if f == 21 {
            return (21, I_ZERO);
        }
        if v == 20 && (f == 7 || f == 25) {
            return (0, if f == 7 { 12 } else { 14 }); // 해돋이, 같이
        }
        let (stay, mv) = linked(f);
        return (stay, if mv == 255 { I_ZERO } else { mv });
    }
    if i == I_H {
        if !aspirate {
            return (f, i);
        }
        if class_k(f) {
            return (0, 15);
        }
        if f == 7 && v == 20 {
            return (0, 14); // 굳히다
        }
        if class_t(f) {
            return (0, 16);
        }
        if class_p(f) {
            return (0, 17);
        }
        if f == 9 {
            return (8, 15);
        }
        return (f, i);
    }
    if matches!(f, 6 | 15 | 27) {
        // ㅎ-final aspirates a following plain stop.
        let stay = match f {
            6 => 4,
            15 => 8,
            _ => 0,
        };
        match i {
            0 => return (stay, 15),
            3 => return (stay, 16),
            12 => return (stay, 14),
            2 => return (if stay == 0 { 4 } else { stay }, 2),
            9 => return (stay, 10),
            _ => return (stay, i),
        }
    }
    if i == 2 || i == 6 {
        if f == 8 && i == 2 {
            return (8, I_R); // 별내 → byeollae
        }
        if class_k(f) {
            return (21, i);
        }
        if class_t(f) {
            return (4, i);
        }
        if class_p(f) {
            return (16, i);
        }
        return (f, i);
    }
    if i == I_R {
        return match f {
            4 | 8 | 13 | 15 => (8, I_R),
            16 | 21 => (f, 2),
            _ if class_k(f) => (21, 2),
            _ if class_p(f) => (16, 2),
            _ if class_t(f) => (4, 2),
            _ => (f, 2),
        };
    }
    (f, i)
}

fn final_str(f: u8) -> &'static str {
    FINAL[f as usize]
}

/// Romanizes a run of syllables as one word with sound changes (RR) or MR voicing.
fn word(sy: &[Jamo], sys: System, sep: &str, out: &mut String) {
    let n = sy.len();
    let mut init_override: Option<u8> = None;
    let mut prev_final: u8 = 0;
    for k in 0..n {
        let (i0, v, f) = sy[k];
        let i = init_override.take().unwrap_or(i0);
        if k > 0 {
            out.push_str(sep);
        }
        out.push_str(&initial(
            sys,
            i,
            k == 0,
            prev_final,
            k > 0 && i0 == I_ZERO && i != I_ZERO,
        ));
        out.push_str(match sys {
            System::Rr => RR_VOW[v as usize],
            System::Mr => MR_VOW[v as usize],
            System::Nk => NK_VOW[v as usize],
        });
        if k + 1 < n {
            let (sf, si) = junction(f, sy[k + 1], sys == System::Rr);
            let next_i0 = sy[k + 1].0;
            // MR writes a linked consonant on the first syllable (Sŏg-u, Ir-han) so that the
            // hyphen falls where the syllables were.
            if sys != System::Rr && next_i0 == I_ZERO && sf == 0 && si != I_ZERO {
                out.push_str(mr_linked(si));
                init_override = Some(I_ZERO);
                prev_final = 0;
                continue;
            }
            if sys != System::Rr && f == 8 && next_i0 == I_H {
                out.push('r'); // 일한 Ir-han
                prev_final = 8;
                init_override = Some(si);
                continue;
            }
            out.push_str(final_str(sf));
            prev_final = sf;
            init_override = Some(si);
        } else {
            out.push_str(final_str(f));
        }
    }
}

fn mr_linked(i: u8) -> &'static str {
    match i {
        0 => "g",
        3 => "d",
        5 => "r",
        7 => "b",
        12 => "j",
        _ => RR_INIT[i as usize],
    }
}

fn initial(sys: System, i: u8, first: bool, prev_final: u8, _linked: bool) -> String {
    match sys {
        System::Rr if i == I_R && prev_final == 8 => "l".to_string(),
        System::Rr => RR_INIT[i as usize].to_string(),
        System::Mr | System::Nk => {
            let voiced_ctx = !first && matches!(prev_final, 0 | 4 | 16 | 21 | 8);
            let s = match i {
                0 | 3 | 7 | 12 if voiced_ctx => {
                    if prev_final == 8 && matches!(i, 3 | 12) {
                        if sys == System::Nk && i == 12 {
                            "j"
                        } else {
                            MR_INIT[i as usize]
                        }
                    } else {
                        ["g", "", "", "d", "", "", "", "b", "", "", "", "", "j"][i as usize]
                    }
                }
                5 if first => "r",
                5 if prev_final == 8 => "l",
                _ => match sys {
                    System::Nk => NK_INIT[i as usize],
                    _ => MR_INIT[i as usize],
                },
            };
            s.to_string()
        }
    }
}

fn jamo_of(c: char) -> Option<Jamo> {
    hangul::index(c).map(hangul::split)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Romanizes running Korean text as words and place names, with sound changes (RR: 종로 →
/// jongno, 같이 → gachi) or MR voicing. Anything that is not Hangul is kept as it is.
pub fn romanize_text(text: &str, sys: System) -> String {
    let mut out = String::new();
    let mut run: Vec<Jamo> = Vec::new();
    let flush = |run: &mut Vec<Jamo>, out: &mut String| {
        if !run.is_empty() {
            word(run, sys, "", out);
            run.clear();
        }
    };
    for c in text.chars() {
        if let Some(j) = jamo_of(c) {
            run.push(j);
            continue;
        }
        flush(&mut run, &mut out);
        match compat_jamo(c, sys) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Romanization of a lone compatibility jamo (ㄱ → g, ㅘ → wa).
fn compat_jamo(c: char, sys: System) -> Option<&'static str> {
    let u = c as u32;
    const CONS: [&str; 30] = [
        "g", "kk", "k", "n", "n", "n", "d", "tt", "r", "l", "m", "l", "l", "l", "p", "l", "m", "b",
        "pp", "p", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h",
    ];
    if (0x3131..=0x314E).contains(&u) {
        return Some(CONS[(u - 0x3131) as usize]);
    }
    if (0x314F..=0x3163).contains(&u) {
        let v = (u - 0x314F) as usize;
        return Some(match sys {
            System::Rr => RR_VOW[v],
            System::Mr => MR_VOW[v],
            System::Nk => NK_VOW[v],
        });
    }
    None
}

/// Romanizes a Korean personal name given as surname and given-name syllables (Hangul).
///
/// * RR: no sound changes inside the given name; syllables joined with a hyphen
///   (`Kim Jeong-il`).
/// * MR (ALA-LC): sound changes across the given name, hyphenated (`Chŏng Ir-hyŏng`); the
///   surname follows the initial-sound law and 이 is written `Yi`.
/// * NK: each given-name syllable a capitalized word with voicing (`Kim Jong Il`,
///   `Pak Pong Ju`).
pub(crate) fn romanize_parts(surname: &[u16], given: &[u16], sys: System) -> String {
    let sur: Vec<Jamo> = surname.iter().map(|&s| hangul::split(s)).collect();
    let giv: Vec<Jamo> = given.iter().map(|&s| hangul::split(s)).collect();
    let mut out = String::new();
    match sys {
        System::Rr => {
            let mut s = String::new();
            for j in &sur {
                syllable_plain(*j, &mut s);
            }
            out.push_str(&capitalize(&s));
            if !giv.is_empty() {
                out.push(' ');
                let mut g = String::new();
                for (k, j) in giv.iter().enumerate() {
                    if k > 0 {
                        g.push('-');
                    }
                    syllable_plain(*j, &mut g);
                }
                out.push_str(&capitalize(&g));
            }
        }
        System::Mr => {
            let folded: Vec<Jamo> = sur
                .iter()
                .enumerate()
                .map(|(k, j)| {
                    if k == 0 {
                        hangul::split(hangul::fold(hangul::join(*j)))
                    } else {
                        *j
                    }
                })
                .collect();
            let mut s = String::new();
            if folded.len() == 1 && folded[0] == (I_ZERO, 20, 0) {
                s.push_str("yi");
            } else {
                word(&folded, sys, "", &mut s);
            }
            out.push_str(&capitalize(&s));
            if !giv.is_empty() {
                out.push(' ');
                let mut g = String::new();
                word(&giv, sys, "-", &mut g);
                out.push_str(&capitalize(&g));
            }
        }
        System::Nk => {
            let mut s = String::new();
            word(&sur, sys, "", &mut s);
            out.push_str(&capitalize(&s));
            let mut prev_final = 0u8;
            for (k, j) in giv.iter().enumerate() {
                out.push(' ');
                let mut g = initial(sys, j.0, k == 0, prev_final, false);
                g.push_str(NK_VOW[j.1 as usize]);
                g.push_str(final_str(j.2));
                out.push_str(&capitalize(&g));
                prev_final = j.2;
            }
        }
    }
    out
}

fn syllable_plain(j: Jamo, out: &mut String) {
    out.push_str(if j.0 == I_R && out.is_empty() {
        "r"
    } else {
        RR_INIT[j.0 as usize]
    });
    out.push_str(RR_VOW[j.1 as usize]);
    out.push_str(final_str(j.2));
}

/// Romanization of one syllable standing alone (RR), used for display and fallback keys.
pub(crate) fn syllable_rr(s: u16) -> String {
    let mut out = String::new();
    syllable_plain(hangul::split(s), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rr_words_apply_sound_changes() {
        for (h, r) in [
            ("종로", "jongno"),
            ("신라", "silla"),
            ("같이", "gachi"),
            ("좋고", "joko"),
        ] {
            assert_eq!(romanize_text(h, System::Rr), r);
        }
    }
}
