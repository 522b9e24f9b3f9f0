//! Hangul syllable arithmetic, the initial-sound law and jamo-level similarity.

/// First precomposed Hangul syllable (가).
pub(crate) const SBASE: u32 = 0xAC00;
/// Number of precomposed Hangul syllables.
pub(crate) const SCOUNT: u32 = 11172;

/// Jamo indices of a syllable: (initial 0..19, vowel 0..21, final 0..28).
pub(crate) type Jamo = (u8, u8, u8);

pub(crate) const I_N: u8 = 2; // ㄴ
pub(crate) const I_R: u8 = 5; // ㄹ
pub(crate) const I_ZERO: u8 = 11; // ㅇ
pub(crate) const I_H: u8 = 18; // ㅎ

/// Whether `c` is a precomposed Hangul syllable.
pub(crate) fn is_syllable(c: char) -> bool {
    (SBASE..SBASE + SCOUNT).contains(&(c as u32))
}

/// Syllable index (0..11172) of a precomposed syllable.
pub(crate) fn index(c: char) -> Option<u16> {
    is_syllable(c).then(|| (c as u32 - SBASE) as u16)
}

pub(crate) fn split(s: u16) -> Jamo {
    let s = s as u32;
    ((s / 588) as u8, ((s % 588) / 28) as u8, (s % 28) as u8)
}

pub(crate) fn join(j: Jamo) -> u16 {
    (j.0 as u16) * 588 + (j.1 as u16) * 28 + j.2 as u16
}

pub(crate) fn to_char(s: u16) -> char {
    char::from_u32(SBASE + s as u32).unwrap_or('\u{FFFD}')
}

/// Vowels before which ㄹ and ㄴ drop word-initially in the South (ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ ㅣ).
fn y_vowel(v: u8) -> bool {
    matches!(v, 2 | 3 | 6 | 7 | 12 | 17 | 20)
}

/// The South Korean initial-sound law (두음법칙) applied to one syllable:
/// 리→이, 류→유, 림→임, 로→노, 량→양, 녀→여, 락→낙 …
///
/// Folding every syllable with it maps the Northern and Southern spellings of a reading
/// to one form, so 리영자 and 이영자 meet.
pub(crate) fn fold(s: u16) -> u16 {
    let (i, v, f) = split(s);
    let i = match i {
        I_R if y_vowel(v) => I_ZERO,
        I_R => I_N,
        I_N if y_vowel(v) => I_ZERO,
        other => other,
    };
    join((i, v, f))
}

/// Coarse class of an initial consonant, used in blocking keys: plain, aspirated and tense
/// consonants share a class, as do romanizations that confuse them.
pub(crate) fn initial_class(s: u16) -> u8 {
    match split(fold(s)).0 {
        0 | 1 | 15 => b'K',
        3 | 4 | 16 => b'T',
        7 | 8 | 17 => b'P',
        12..=14 => b'J',
        9 | 10 => b'S',
        2 | 5 => b'N',
        6 => b'M',
        18 => b'H',
        _ => b'0',
    }
}

fn vowel_group(v: u8) -> u8 {
    match v {
        4 | 8 | 13 | 18 => 1, // ㅓ ㅗ ㅜ ㅡ: eo/o/u/eu
        6 | 12 | 17 => 2,     // ㅕ ㅛ ㅠ
        1 | 5 => 3,           // ㅐ ㅔ
        3 | 7 => 4,           // ㅒ ㅖ
        10 | 11 | 15 => 5,    // ㅙ ㅚ ㅞ
        19 | 20 => 6,         // ㅢ ㅣ
        9 | 14 => 7,          // ㅘ ㅝ
        _ => 100 + v,
    }
}

fn final_group(f: u8) -> u8 {
    match f {
        4 | 21 => 1,                     // ㄴ ㅇ (n / ng)
        1 | 17 => 2,                     // ㄱ ㅂ (k / p)
        7 | 19 | 22 | 23 | 25 | 27 => 3, // t-like
        _ => 100 + f,
    }
}

/// What [`jamo_similarity`] needs of a syllable, computed once (kept in each syllable's
/// readings, see `Syl::kor_jamo`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct JamoInfo {
    i: u8,
    v: u8,
    f: u8,
    initial_class: u8,
    vowel_group: u8,
    final_group: u8,
}

/// The [`JamoInfo`] of a syllable.
pub(crate) fn jamo_info(s: u16) -> JamoInfo {
    let (i, v, f) = split(s);
    JamoInfo {
        i,
        v,
        f,
        initial_class: initial_class(s),
        vowel_group: vowel_group(v),
        final_group: final_group(f),
    }
}

/// Similarity in [0, 1] of two (already folded) syllables, from their jamo: 1 when equal, about
/// 0.7 for one romanization-confusable difference, lower for more or larger differences.
pub(crate) fn jamo_similarity(a: u16, b: u16) -> f32 {
    jamo_similarity_of(a, &jamo_info(a), b, &jamo_info(b))
}

/// [`jamo_similarity`] of `a` and `b` given their [`jamo_info`].
#[inline]
pub(crate) fn jamo_similarity_of(a: u16, ja: &JamoInfo, b: u16, jb: &JamoInfo) -> f32 {
    if a == b {
        return 1.0;
    }
    let mut pen = 0.0f32;
    if ja.i != jb.i {
        pen += if ja.initial_class == jb.initial_class {
            0.15
        } else {
            0.35
        };
    }
    if ja.v != jb.v {
        pen += if ja.vowel_group == jb.vowel_group {
            0.15
        } else {
            0.35
        };
    }
    if ja.f != jb.f {
        pen += if ja.final_group == jb.final_group {
            0.15
        } else {
            0.3
        };
    }
    ((1.0 - pen) * 0.85).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(c: char) -> u16 {
        index(c).unwrap()
    }

    #[test]
    fn initial_sound_law_folds_north_and_south() {
        for (n, south) in [
            ('리', '이'),
            ('류', '유'),
            ('림', '임'),
            ('로', '노'),
            ('량', '양'),
            ('련', '연'),
            ('려', '여'),
            ('례', '예'),
            ('락', '낙'),
            ('란', '난'),
            ('룡', '용'),
            ('녀', '여'),
        ] {
            assert_eq!(fold(s(n)), fold(s(south)), "{n} {south}");
        }
        assert_ne!(fold(s('노')), fold(s('오')));
    }

    #[test]
    fn jamo_similarity_orders_differences() {
        assert_eq!(jamo_similarity(s('정'), s('정')), 1.0);
        assert!(jamo_similarity(s('정'), s('종')) > jamo_similarity(s('정'), s('장')));
        assert!(jamo_similarity(s('정'), s('김')) < 0.3);
    }
}
