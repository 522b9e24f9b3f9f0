//! Name parsing and [`PreparedName`]: the parses of a name (surname and given name) over
//! the syllables of `syllable.rs`, prepared once for many comparisons.

use crate::hangul;
use crate::latin;
use crate::tables::{self, COMPOUND_SURNAMES, TABLES};

pub use crate::script::{Script, normalize, script_of, tokens};
pub(crate) use crate::syllable::*;

/// One reading of a name: surname syllables and given-name syllables.
#[derive(Clone)]
pub(crate) struct Parse {
    /// The surname syllables, then the given-name ones.
    syls: Box<[SylRef]>,
    n_sur: usize,
    /// Where the skeleton of this parse ends in the name's buffer (see
    /// [`PreparedName::skel`]).
    skel_end: usize,
    pub has_unknown: bool,
}

impl Parse {
    /// The surname syllables.
    pub fn sur(&self) -> &[SylRef] {
        &self.syls[..self.n_sur]
    }

    /// The given-name syllables.
    pub fn given(&self) -> &[SylRef] {
        &self.syls[self.n_sur..]
    }

    /// The surname syllables and the given-name ones.
    #[inline]
    pub fn parts(&self) -> (&[SylRef], &[SylRef]) {
        self.syls.split_at(self.n_sur)
    }

    /// The surname syllables, then the given-name ones.
    pub fn syls(&self) -> &[SylRef] {
        &self.syls
    }
}

impl std::fmt::Debug for Parse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parse")
            .field("sur", &self.sur())
            .field("given", &self.given())
            .field("has_unknown", &self.has_unknown)
            .finish()
    }
}

/// A name parsed once, with the readings of every syllable computed, ready for many cheap
/// comparisons with [`crate::compare`].
///
/// ```
/// use reunite_names::{compare, Level, PreparedName};
/// let a = PreparedName::new("리영자");
/// let b = PreparedName::new("Lee Young-ja");
/// assert!(compare(&a, &b).level >= Level::SameReading);
/// ```
#[derive(Clone)]
pub struct PreparedName {
    /// The normalized text, then the skeletons of the parses (ASCII), one allocation.
    buf: Box<str>,
    text_len: usize,
    pub(crate) hash: u64,
    pub(crate) parses: Box<[Parse]>,
    pub(crate) surname_key: u64,
    /// The blocking keys, then the reading keys, one allocation.
    keys: Box<[u64]>,
    n_blocking: usize,
}

impl std::fmt::Debug for PreparedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedName")
            .field("text", &self.text())
            .field("hash", &self.hash)
            .field("parses", &self.parses)
            .field("surname_key", &self.surname_key)
            .field("keys", &self.blocking_keys())
            .field("reading_keys", &self.reading_keys())
            .finish()
    }
}

pub(crate) fn fnv(tag: u8, vals: impl IntoIterator<Item = u16>) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325 ^ tag as u64;
    h = h.wrapping_mul(0x100000001b3);
    for v in vals {
        for b in v.to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

#[derive(Clone, Copy, PartialEq)]
enum Interp {
    Korean,
    Pinyin,
    Raw,
}

impl PreparedName {
    /// Parses and prepares a name written in any mix of Hangul, Han characters and Latin.
    /// Never fails: an unreadable name gives a name that matches nothing but itself.
    pub fn new(text: &str) -> PreparedName {
        let norm = normalize(text);
        let toks = tokens(&norm);
        let mut parses = Vec::new();
        let has_latin = toks.iter().any(|t| t.1 == Script::Latin);
        if has_latin {
            let lat: Vec<Option<latin::LatinToken>> = toks
                .iter()
                .map(|t| (t.1 == Script::Latin).then(|| latin::normalize_token(t.0)))
                .collect();
            let any_pinyin_mark = lat.iter().flatten().any(|l| l.pinyin_marked);
            let any_mr_mark = lat
                .iter()
                .flatten()
                .any(|l| l.mr_marked || l.text.contains('\''));
            let mut interps = Vec::new();
            if !any_pinyin_mark {
                interps.push(Interp::Korean);
            }
            if !any_mr_mark {
                interps.push(Interp::Pinyin);
            }
            let mut ok = false;
            for interp in interps {
                if let Some(ts) = build_tokens(&toks, &lat, interp) {
                    ok = true;
                    order_parses(ts, interp, &mut parses);
                }
            }
            if !ok && let Some(ts) = build_tokens(&toks, &lat, Interp::Raw) {
                order_parses(ts, Interp::Raw, &mut parses);
            }
        } else if let Some(ts) = build_tokens(&toks, &[], Interp::Korean) {
            order_parses(ts, Interp::Korean, &mut parses);
        }
        // The text and the skeletons in one buffer (skeletons are ASCII).
        let mut buf =
            String::with_capacity(norm.len() + parses.iter().map(|p| p.1.len()).sum::<usize>());
        buf.push_str(&norm);
        let parses: Box<[Parse]> = parses
            .into_iter()
            .map(|(mut p, skel)| {
                buf.extend(skel.iter().map(|&b| char::from(b)));
                p.skel_end = buf.len();
                p
            })
            .collect();
        let mut name = PreparedName {
            hash: fnv(0, norm.encode_utf16()),
            buf: buf.into_boxed_str(),
            text_len: norm.len(),
            parses,
            surname_key: 0,
            keys: Box::default(),
            n_blocking: 0,
        };
        crate::keys::compute(&mut name);
        name
    }

    /// Reads a little of every part a comparison reads and mixes it (the value means
    /// nothing). A caller about to compare many names scattered over a large heap reads a few
    /// of them this way first, so that the memory reads overlap instead of each comparison
    /// waiting for its own.
    pub fn touch(&self) -> u64 {
        let mut x = self.hash ^ self.buf.as_bytes().first().copied().unwrap_or(0) as u64;
        for p in &self.parses {
            x ^= p.skel_end as u64;
            for s in p.syls.iter() {
                x ^= s.kor.as_slice().len() as u64 ^ s.kor_inf[0] ^ s.man_close[0];
            }
        }
        x
    }

    /// The normalized text.
    pub(crate) fn text(&self) -> &str {
        &self.buf[..self.text_len]
    }

    /// Coarse phonetic skeleton of the given name of parse `i`, for names whose syllables do
    /// not align.
    pub(crate) fn skel(&self, i: usize) -> &[u8] {
        let start = match i.checked_sub(1) {
            Some(j) => self.parses[j].skel_end,
            None => self.text_len,
        };
        &self.buf.as_bytes()[start..self.parses[i].skel_end]
    }

    /// Sets the keys: blocking keys, then reading keys.
    pub(crate) fn set_keys(&mut self, blocking: Vec<u64>, reading: &[u64]) {
        self.n_blocking = blocking.len();
        let mut keys = blocking;
        keys.extend_from_slice(reading);
        self.keys = keys.into_boxed_slice();
    }

    /// The normalized text.
    pub fn normalized(&self) -> &str {
        self.text()
    }

    /// Whether any reading was found (false for empty or unreadable input).
    pub fn is_empty(&self) -> bool {
        self.parses.is_empty()
    }

    /// The canonical surname key, for term-frequency adjustment: the folded Korean reading of
    /// the surname, so 김, 金, Kim, Gim and Jīn give the same key (and 이, 리, 李, Lee, Rhee, Yi
    /// another). 0 when there is no surname.
    pub fn surname_key(&self) -> u64 {
        self.surname_key
    }

    /// Blocking keys: a few keys (usually 1–4) such that variants of one name in any script
    /// share at least one. Each combines a candidate surname reading with the coarse initial
    /// consonant of the given name.
    pub fn blocking_keys(&self) -> &[u64] {
        &self.keys[..self.n_blocking]
    }

    /// Whole-name reading keys: the name read syllable by syllable in Korean (initial-sound
    /// law folded) and in Mandarin (toneless pinyin), with the most likely reading of each
    /// syllable first and at most one or two second choices per key, so that 李英子, 리영자,
    /// 이영자, "Li Yingzi", "Ri Yong Ja" and "Lee Young-ja" share at least one. Readings that
    /// have to be inferred (the Korean reading of a pinyin syllable, the Mandarin reading of a
    /// Hangul one) go through the Hanja read so, most common first. At most 16 keys, computed
    /// in [`PreparedName::new`]; empty when a syllable has no reading or there is no given name.
    pub fn reading_keys(&self) -> &[u64] {
        &self.keys[self.n_blocking..]
    }

    /// The surname and given name of the preferred parse as Hangul (first reading of each
    /// syllable), if every syllable has a Korean reading.
    pub fn hangul(&self) -> Option<(String, String)> {
        let p = self.parses.first()?;
        let f = |v: &[SylRef]| -> Option<String> {
            v.iter()
                .map(|s| s.kor.as_slice().first().map(|&k| hangul::to_char(k)))
                .collect()
        };
        Some((f(p.sur())?, f(p.given())?))
    }

    /// Approximate heap and inline size in bytes (without the allocator's overhead). Shared
    /// syllables are not counted: they are interned once for the whole process.
    pub fn size_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.buf.len()
            + self.keys.len() * 8
            + self
                .parses
                .iter()
                .map(|p| {
                    std::mem::size_of::<Parse>()
                        + p.syls.len() * std::mem::size_of::<SylRef>()
                        + p.syls
                            .iter()
                            .map(|s| match s {
                                SylRef::Shared(_) => 0,
                                SylRef::Owned(s) => std::mem::size_of::<Syl>() + s.label.len(),
                            })
                            .sum::<usize>()
                })
                .sum::<usize>()
    }
}

struct Tok {
    syls: Vec<SylRef>,
    latin: bool,
    surname_like: bool,
}

fn build_tokens(
    toks: &[(&str, Script)],
    lat: &[Option<latin::LatinToken>],
    interp: Interp,
) -> Option<Vec<Tok>> {
    let t = &*TABLES;
    let mut out = Vec::new();
    let n_tokens = toks
        .iter()
        .filter(|t| matches!(t.1, Script::Hangul | Script::Han | Script::Latin))
        .count();
    for (k, (text, script)) in toks.iter().enumerate() {
        match script {
            Script::Hangul | Script::Han => {
                let chars: Vec<char> = text
                    .chars()
                    .filter(|c| script_of(*c) != Script::Other)
                    .collect();
                // Surname length: first token of several, or a compound surname at the start.
                let first = out.is_empty();
                let sur_len = if first {
                    let two: String = chars.iter().take(2).collect();
                    let compound = chars.len() >= 3
                        && (COMPOUND_SURNAMES.contains(&two.as_str())
                            || t.surnames.contains_key(two.as_str()));
                    if n_tokens > 1 && chars.len() <= 2 {
                        chars.len()
                    } else if compound {
                        2
                    } else {
                        1
                    }
                } else {
                    0
                };
                let mut syls = Vec::new();
                for (i, &c) in chars.iter().enumerate() {
                    if hangul::is_syllable(c) {
                        syls.push(SylRef::hangul(c));
                    } else if script_of(c) == Script::Han {
                        let sur = if i < sur_len {
                            let key: String = chars[..sur_len].iter().collect();
                            t.surnames.get(key.as_str()).map(|ids| {
                                if sur_len == 1 {
                                    &ids[..]
                                } else {
                                    &ids[i..i + 1]
                                }
                            })
                        } else {
                            None
                        };
                        syls.push(SylRef::han(c, sur.filter(|s| !s.is_empty())));
                    }
                }
                if syls.is_empty() {
                    continue;
                }
                if first && sur_len < syls.len() && sur_len > 0 {
                    let given = syls.split_off(sur_len);
                    out.push(Tok {
                        syls,
                        latin: false,
                        surname_like: true,
                    });
                    out.push(Tok {
                        syls: given,
                        latin: false,
                        surname_like: false,
                    });
                } else {
                    out.push(Tok {
                        syls,
                        latin: false,
                        surname_like: first,
                    });
                }
            }
            Script::Latin => {
                let lt = lat.get(k)?.as_ref()?;
                let syls: Vec<SylRef> = match interp {
                    Interp::Korean => latin::decode_korean(&lt.text)?
                        .iter()
                        .map(|(p, sp)| SylRef::korean(p, sp))
                        .collect(),
                    Interp::Pinyin => latin::decode_pinyin(&lt.text)?
                        .into_iter()
                        .map(SylRef::pinyin)
                        .collect(),
                    Interp::Raw => match latin::decode_korean(&lt.text) {
                        Some(d) => d.iter().map(|(p, sp)| SylRef::korean(p, sp)).collect(),
                        None => vec![SylRef::unknown(&lt.text.replace(['-', '\''], ""))],
                    },
                };
                if syls.is_empty() {
                    continue;
                }
                let surname_like = match (interp, syls.as_slice()) {
                    (Interp::Pinyin, [s]) => t.surname_by_pinyin.contains_key(&s.man.as_slice()[0]),
                    (Interp::Pinyin, _) => false,
                    (_, [s]) => s
                        .kor
                        .as_slice()
                        .iter()
                        .any(|k| t.korean_surname_rank.contains_key(k)),
                    (_, [a, b]) => {
                        let pair = |x: &Syl| x.kor.as_slice().to_vec();
                        COMPOUND_SURNAMES.iter().any(|c| {
                            let mut it = c.chars().filter_map(hangul::index).map(hangul::fold);
                            match (it.next(), it.next()) {
                                (Some(x), Some(y)) => pair(a).contains(&x) && pair(b).contains(&y),
                                _ => false,
                            }
                        })
                    }
                    _ => false,
                };
                out.push(Tok {
                    syls,
                    latin: true,
                    surname_like,
                });
            }
            Script::Other => {}
        }
    }
    (!out.is_empty()).then_some(out)
}

fn order_parses(mut ts: Vec<Tok>, _interp: Interp, parses: &mut Vec<(Parse, Vec<u8>)>) {
    let n = ts.len();
    if n == 1 {
        // One token: surname is its first syllable (or a compound surname).
        let tok = ts.pop().unwrap_or(Tok {
            syls: Vec::new(),
            latin: false,
            surname_like: false,
        });
        let mut syls = tok.syls;
        let sur_len = if tok.latin && syls.len() >= 3 && compound_at_start(&syls) {
            2
        } else {
            1
        };
        let given = syls.split_off(sur_len.min(syls.len()));
        parses.push(make_parse(syls, given));
        return;
    }
    let any_latin = ts.iter().any(|t| t.latin);
    let first_ok = ts[0].surname_like;
    let last_ok = ts[n - 1].surname_like && ts[n - 1].latin;
    let first_multi = ts[0].syls.len() >= 2;
    let surname_first = !any_latin || first_ok || !last_ok;
    let given_first = any_latin && last_ok && (!first_ok || (n == 2 && first_multi));
    if surname_first {
        let sur = ts[0].syls.clone();
        let given = ts[1..]
            .iter()
            .flat_map(|t| t.syls.iter().cloned())
            .collect();
        parses.push(make_parse(sur, given));
    }
    if given_first {
        let sur = ts[n - 1].syls.clone();
        let given = ts[..n - 1]
            .iter()
            .flat_map(|t| t.syls.iter().cloned())
            .collect();
        parses.push(make_parse(sur, given));
    }
}

fn compound_at_start(syls: &[SylRef]) -> bool {
    COMPOUND_SURNAMES.iter().any(|c| {
        let mut it = c.chars().filter_map(hangul::index).map(hangul::fold);
        match (it.next(), it.next()) {
            (Some(x), Some(y)) => {
                syls[0].kor.as_slice().contains(&x) && syls[1].kor.as_slice().contains(&y)
            }
            _ => false,
        }
    })
}

/// A parse and the skeleton of its given name (placed in the name's buffer afterwards).
fn make_parse(sur: Vec<SylRef>, given: Vec<SylRef>) -> (Parse, Vec<u8>) {
    let spelled: String = given.iter().map(|s| s.spelling()).collect();
    let has_unknown = sur.iter().chain(&given).any(|s| s.src == Src::Unknown);
    let n_sur = sur.len();
    let mut syls = Vec::with_capacity(sur.len() + given.len());
    syls.extend(sur);
    syls.extend(given);
    let parse = Parse {
        syls: syls.into_boxed_slice(),
        n_sur,
        skel_end: 0,
        has_unknown,
    };
    (parse, skeleton(&spelled))
}

/// A coarse phonetic skeleton of a romanized string: consonants merged by place, vowels by
/// romanization confusions, repeats collapsed.
pub(crate) fn skeleton(s: &str) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let m = match c {
            b'g' | b'k' | b'q' | b'c' => b'k',
            b'd' | b't' => b't',
            b'b' | b'p' | b'f' => b'p',
            b'j' | b'z' => b'j',
            b's' | b'x' => b's',
            b'r' | b'l' => b'l',
            b'n' => b'n',
            b'm' => b'm',
            b'h' => {
                // h only counts at the start of a syllable (after a consonant it marks
                // aspiration, after a vowel at the end it is a spelling device).
                let next_vowel = b.get(i + 1).is_some_and(|x| b"aeiouwy".contains(x));
                let prev_cons = i > 0 && !b"aeiouwy".contains(&b[i - 1]);
                if next_vowel && (i == 0 || !prev_cons || b[i - 1] == b'n' || b[i - 1] == b'g') {
                    b'h'
                } else {
                    continue;
                }
            }
            b'a' => b'a',
            b'e' | b'o' | b'u' | b'v' => b'o',
            b'i' | b'y' => b'i',
            b'w' => continue,
            _ => continue,
        };
        if out.last() != Some(&m) {
            out.push(m);
        }
    }
    out
}

/// Compact readings of a name for display: one entry per syllable of the preferred parse.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SyllableReadings {
    /// The syllable as written.
    pub text: String,
    /// `surname` or `given`.
    pub part: &'static str,
    /// Korean readings (Hangul, folded by the initial-sound law).
    pub korean: Vec<String>,
    /// Mandarin readings (toneless pinyin; ü written v).
    pub mandarin: Vec<String>,
    /// Mandarin readings inferred from the Korean ones through the Hanja that read so.
    pub mandarin_via_hanja: Vec<String>,
    /// Korean readings inferred from pinyin through the Hanja that read so.
    pub korean_via_hanja: Vec<String>,
}

/// The readings of each syllable of `text` (all parses).
pub fn readings(text: &str) -> Vec<Vec<SyllableReadings>> {
    let n = PreparedName::new(text);
    let t = &*TABLES;
    let kid_syl = &*crate::keys::KID_SYL;
    n.parses
        .iter()
        .map(|p| {
            p.sur()
                .iter()
                .map(|s| (s, "surname"))
                .chain(p.given().iter().map(|s| (s, "given")))
                .map(|(s, part)| SyllableReadings {
                    text: s.label.to_string(),
                    part,
                    korean: s
                        .kor
                        .as_slice()
                        .iter()
                        .map(|&k| hangul::to_char(k).to_string())
                        .collect(),
                    mandarin: s
                        .man
                        .as_slice()
                        .iter()
                        .map(|&m| t.pinyin[m as usize].to_string())
                        .collect(),
                    mandarin_via_hanja: (0..t.pinyin.len() as u16)
                        .filter(|&m| tables::bit_get(&s.man_inf, m))
                        .map(|m| t.pinyin[m as usize].to_string())
                        .collect(),
                    korean_via_hanja: (0..kid_syl.len() as u16)
                        .filter(|&k| tables::bit_get(&s.kor_inf, k))
                        .map(|k| hangul::to_char(kid_syl[k as usize]).to_string())
                        .collect(),
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_handles_width_spacing_and_scripts() {
        assert_eq!(normalize("ＫＩＭ  Jong—Il"), "kim jong-il");
        assert_eq!(normalize("한국은korea"), "한국은 korea");
        assert_eq!(normalize("Kim J. -Il"), "kim j il");
        assert_eq!(normalize("Lǐ Yīnghào"), "lǐ yīnghào");
    }

    #[test]
    fn hangul_compound_surnames_parse() {
        let n = PreparedName::new("남궁민수");
        assert_eq!(
            n.hangul().unwrap(),
            ("남궁".to_string(), "민수".to_string())
        );
        let n = PreparedName::new("欧阳修文");
        assert_eq!(n.parses[0].sur().len(), 2);
        let n = PreparedName::new("김정일");
        assert_eq!(n.hangul().unwrap(), ("김".to_string(), "정일".to_string()));
    }

    fn shared(s: &SylRef) -> Option<*const Syl> {
        match s {
            SylRef::Shared(x) => Some(*x as *const Syl),
            SylRef::Owned(_) => None,
        }
    }

    #[test]
    fn syllables_from_the_tables_are_shared() {
        let a = PreparedName::new("김영자");
        let b = PreparedName::new("김철수 Kim");
        let (sa, sb) = (&a.parses[0].sur()[0], &b.parses[0].sur()[0]);
        assert!(shared(sa).is_some() && shared(sa) == shared(sb));
        for text in [
            "金英子",
            "Kim Young-ja",
            "Jīn Yīngzǐ",
            "Ch'oe Ch'ŏl-su",
            "欧阳修文",
        ] {
            for p in PreparedName::new(text).parses.iter() {
                assert!(p.syls().iter().all(|s| shared(s).is_some()), "{text}");
            }
        }
        // A surname character takes its surname readings: another syllable than the same
        // character in a given name.
        let (x, y) = (PreparedName::new("单雄信"), PreparedName::new("王单"));
        assert_ne!(
            shared(&x.parses[0].sur()[0]),
            shared(&y.parses[0].given()[0])
        );
    }

    #[test]
    fn syllables_from_arbitrary_input_are_owned() {
        // An undecodable Latin token: its label is the input's text.
        let n = PreparedName::new("Xzq Wvb");
        assert!(n.parses[0].has_unknown);
        assert!(n.parses[0].syls().iter().all(|s| shared(s).is_none()));
        // A Han character without readings.
        let c = (0x20000..0x2A6DF)
            .filter_map(char::from_u32)
            .find(|c| !TABLES.han.contains_key(c))
            .expect("an unread character");
        let n = PreparedName::new(&format!("金{c}"));
        assert!(shared(&n.parses[0].sur()[0]).is_some());
        assert!(shared(&n.parses[0].given()[0]).is_none());
        assert_eq!(n.parses[0].given()[0].label.as_ref(), c.to_string());
    }

    #[test]
    fn latin_order_is_detected() {
        let n = PreparedName::new("Syngman Rhee");
        assert!(
            n.parses
                .iter()
                .all(|p| p.sur().len() == 1 && p.sur()[0].label.as_ref() == "rhee")
        );
        let n = PreparedName::new("Kim Jong-il");
        assert_eq!(n.parses[0].sur()[0].label.as_ref(), "kim");
        assert_eq!(n.parses[0].given().len(), 2);
    }
}
