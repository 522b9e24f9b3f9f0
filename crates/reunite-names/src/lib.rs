//! Names across scripts: Hangul, Hanja, Hanzi, pinyin and romanizations.
//!
//! Names are compared by how each character is *read*. Every Han character has Korean readings
//! (Hangul) and Mandarin readings (pinyin); every Hangul syllable has the Mandarin readings of
//! the Hanja that read so; romanized Korean decodes to candidate Hangul syllables and pinyin to
//! Mandarin syllables. Two syllables meet where their readings meet, after folding the
//! initial-sound law (리/이, 로/노 …).
//!
//! The crate does no IO; its tables (generated from Unihan, libhangul's hanja.txt and
//! pinyin-pro's surname list, see `data/NOTICE`) are compiled in and decoded once on first use.
//! Its only global state that changes is a cache that changes no result: each distinct syllable
//! read from the tables is built once and shared by every prepared name (bounded by the tables,
//! not by the input).
//!
//! ```
//! use reunite_names::{compare, Level, PreparedName};
//! let mother = PreparedName::new("리영자");
//! for variant in ["이영자", "李英子", "Li Yingzi", "Ri Yong Ja", "Lee Young-ja"] {
//!     let c = compare(&mother, &PreparedName::new(variant));
//!     assert!(c.level >= Level::SameReading, "{variant}");
//! }
//! ```
#![forbid(unsafe_code)]

mod compare;
mod hangul;
mod keys;
mod latin;
mod name;
mod romanize;
mod script;
mod syllable;
mod tables;

pub use compare::{Comparison, Explanation, How, Level, Meeting, compare, explain};
pub use name::{PreparedName, Script, SyllableReadings, normalize, readings, script_of, tokens};
pub use romanize::{System, romanize_text};

/// Romanizes a Korean personal name (Hangul or Hanja; surname first) in the given system.
/// Hanja are read with their name reading. Returns `None` when some syllable has no Korean
/// reading (for example Latin input).
///
/// ```
/// use reunite_names::{romanize_name, System};
/// assert_eq!(romanize_name("김정일", System::Nk).as_deref(), Some("Kim Jong Il"));
/// assert_eq!(romanize_name("鄭一亨", System::Mr).as_deref(), Some("Chŏng Ir-hyŏng"));
/// assert_eq!(romanize_name("김정일", System::Rr).as_deref(), Some("Gim Jeong-il"));
/// ```
pub fn romanize_name(text: &str, system: System) -> Option<String> {
    let n = PreparedName::new(text);
    let p = n.parses.first()?;
    let first = |v: &[name::SylRef], surname: bool| -> Option<Vec<u16>> {
        v.iter()
            .map(|s| {
                if s.src == name::Src::Han {
                    let e = tables::TABLES.han.get(&s.label.chars().next()?)?;
                    if surname {
                        e.surname_reading()
                    } else {
                        e.given_reading()
                    }
                } else if s.src == name::Src::Hangul {
                    s.label.chars().next().and_then(hangul::index)
                } else {
                    None
                }
            })
            .collect()
    };
    let mut sur = first(p.sur(), true)?;
    let mut given = first(p.given(), false)?;
    // Hanja are read the Southern way in RR and MR: the initial-sound law applies at the start
    // of the surname and of the given name (李 → 이, 龍 → 용), not inside (金一龍 → 일룡).
    if system != System::Nk {
        for (v, s) in [(&mut sur, p.sur()), (&mut given, p.given())] {
            if let (Some(x), Some(s)) = (v.first_mut(), s.first())
                && s.src == name::Src::Han
            {
                *x = hangul::fold(*x);
            }
        }
    }
    // Inside a Hanja given name 렬/률 are spelled 열/율 after a vowel or ㄴ (烈 in 斗烈 → 두열).
    for k in 1..given.len() {
        let (pi, pv, pf) = hangul::split(given[k - 1]);
        let (i, v, f) = hangul::split(given[k]);
        let _ = (pi, pv);
        if p.given().get(k).is_some_and(|s| s.src == name::Src::Han)
            && i == hangul::I_R
            && matches!((v, f), (6, 8) | (17, 8))
            && matches!(pf, 0 | 4)
        {
            given[k] = hangul::join((hangul::I_ZERO, v, f));
        }
    }
    Some(romanize::romanize_parts(&sur, &given, system))
}
