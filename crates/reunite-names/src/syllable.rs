//! Syllables: every way a Hangul, Hanja/Hanzi, romanized or pinyin syllable can be read,
//! computed once and interned for the life of the process (bounded by the tables).

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock, PoisonError, RwLock};

use crate::hangul;
use crate::latin;
use crate::tables::{Bits, TABLES};

/// A small inline set of u16 values.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Small {
    n: u8,
    v: [u16; 7],
}

impl std::fmt::Debug for Small {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Small {
    pub fn push(&mut self, x: u16) {
        if (self.n as usize) < self.v.len() && !self.as_slice().contains(&x) {
            self.v[self.n as usize] = x;
            self.n += 1;
        }
    }
    pub fn as_slice(&self) -> &[u16] {
        &self.v[..self.n as usize]
    }
}

/// Where a syllable came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Src {
    Hangul,
    Han,
    Korean,
    Pinyin,
    Unknown,
}

/// One syllable with its candidate readings.
#[derive(Debug, Clone)]
pub(crate) struct Syl {
    pub src: Src,
    /// Folded Hangul readings.
    pub kor: Small,
    /// The jamo of each of `kor`, for close readings (computed once: syllables are shared).
    pub kor_jamo: [hangul::JamoInfo; 7],
    /// Korean reading ids of `kor` (for the bit sets).
    pub kor_kid: Small,
    /// Pinyin ids.
    pub man: Small,
    /// Korean reading ids inferred from pinyin through the Hanja that read so.
    pub kor_inf: Bits,
    /// Pinyin ids inferred from Korean readings through the Hanja that read so.
    pub man_inf: Bits,
    /// Korean reading ids close (jamo distance) to a reading inferred from pinyin.
    pub kor_inf_close: Bits,
    /// Pinyin ids within edit distance 1 of `man`.
    pub man_close: Bits,
    /// The text of the syllable as written.
    pub label: Box<str>,
}

impl Syl {
    pub(crate) fn new(src: Src, label: &str) -> Syl {
        Syl {
            src,
            kor: Small::default(),
            kor_jamo: Default::default(),
            kor_kid: Small::default(),
            man: Small::default(),
            kor_inf: [0; 8],
            man_inf: [0; 8],
            kor_inf_close: [0; 8],
            man_close: [0; 8],
            label: label.into(),
        }
    }

    pub(crate) fn add_kor(&mut self, folded: u16, infer: bool) {
        let t = &*TABLES;
        let n = self.kor.as_slice().len();
        self.kor.push(folded);
        if self.kor.as_slice().len() > n {
            self.kor_jamo[n] = hangul::jamo_info(folded);
        }
        let k = t.kid_of(folded);
        if k != u16::MAX {
            self.kor_kid.push(k);
            if infer {
                for (w, x) in self.man_inf.iter_mut().zip(&t.man_inf[k as usize]) {
                    *w |= x;
                }
            }
        }
    }

    pub(crate) fn hangul(c: char) -> Syl {
        let mut s = Syl::new(Src::Hangul, &c.to_string());
        if let Some(i) = hangul::index(c) {
            s.add_kor(hangul::fold(i), true);
        }
        s
    }

    pub(crate) fn finish(mut self) -> Syl {
        let t = &*TABLES;
        for &m in self.man.as_slice() {
            if let Some(b) = t.pinyin_close.get(m as usize) {
                for (w, x) in self.man_close.iter_mut().zip(b) {
                    *w |= x;
                }
            }
        }
        for (w, &word) in self.kor_inf.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let k = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some(b) = t.kid_close.get(k) {
                    for (d, x) in self.kor_inf_close.iter_mut().zip(b) {
                        *d |= x;
                    }
                }
            }
        }
        self
    }

    pub(crate) fn han(c: char, surname: Option<&[u16]>) -> Syl {
        let t = &*TABLES;
        let mut s = Syl::new(Src::Han, &c.to_string());
        if let Some(ids) = surname {
            for &p in ids {
                s.man.push(p);
            }
        }
        if let Some(e) = t.han.get(&c) {
            let first = if surname.is_some() {
                e.surname_reading()
            } else {
                e.given_reading()
            };
            if let Some(r) = first {
                s.add_kor(hangul::fold(r), false);
            }
            for r in e.kor.iter() {
                s.add_kor(hangul::fold(r.0), false);
            }
            for &p in e.man.iter() {
                s.man.push(p);
            }
        }
        s.finish()
    }

    pub(crate) fn korean(cands: &[u16], label: &str) -> Syl {
        let mut s = Syl::new(Src::Korean, label);
        for &c in cands {
            s.add_kor(c, true);
        }
        s
    }

    pub(crate) fn pinyin(p: u16) -> Syl {
        let t = &*TABLES;
        let mut s = Syl::new(Src::Pinyin, t.pinyin[p as usize]);
        s.man.push(p);
        if let Some(b) = t.kor_inf.get(p as usize) {
            s.kor_inf = *b;
        }
        s.finish()
    }

    /// A romanization-like spelling used for the fallback key.
    pub(crate) fn spelling(&self) -> String {
        match self.src {
            Src::Hangul | Src::Han => self
                .kor
                .as_slice()
                .first()
                .map(|&k| crate::romanize::syllable_rr(k))
                .unwrap_or_default(),
            _ => self.label.to_string(),
        }
    }
}

/// A syllable of a parse, shared or owned.
///
/// A syllable is a pure function of what it is built from: a Hangul syllable, a Han character
/// (and the surname readings it takes at the start of a name), a romanized Korean spelling or
/// a pinyin syllable. Those are interned: built once, kept for the life of the process and
/// shared by every name that has them, so that a prepared name holds pointers (there are a
/// few thousand distinct syllables in real names against hundreds of millions of syllables
/// held). The interned set is bounded by the tables, whatever the input: at most 11,172
/// Hangul syllables, the 45,145 Han characters of `data/han.txt` and 553 surname variants,
/// 18,445 romanized Korean spellings and 424 pinyin syllables: 75,739 syllables, 31.8 MB
/// resident if every one of them is met (a `Syl` is 368 bytes); real names meet a few
/// thousand.
///
/// A syllable whose content comes from arbitrary input is owned by its name and freed with it:
/// an undecodable Latin token (its label is the user's text) and a Han character without
/// readings (not in the tables; interning those would let input choose what is kept).
#[derive(Clone)]
pub(crate) enum SylRef {
    Shared(&'static Syl),
    Owned(Box<Syl>),
}

impl std::ops::Deref for SylRef {
    type Target = Syl;
    #[inline]
    fn deref(&self) -> &Syl {
        match self {
            SylRef::Shared(s) => s,
            SylRef::Owned(s) => s,
        }
    }
}

impl std::fmt::Debug for SylRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// A Han character and the surname-mode pinyin it takes at the start of a surname.
type HanKey = (char, Option<&'static [u16]>);

/// The interned syllables: lock-free slots where the source has a dense id, a map for Han.
struct Interned {
    /// By Hangul syllable index.
    hangul: Box<[OnceLock<&'static Syl>]>,
    /// By pinyin id.
    pinyin: Box<[OnceLock<&'static Syl>]>,
    /// By romanized spelling id.
    korean: Box<[OnceLock<&'static Syl>]>,
    /// By character and surname-mode pinyin (for a Han character of a surname).
    han: RwLock<HashMap<HanKey, &'static Syl>>,
}

static INTERNED: LazyLock<Interned> = LazyLock::new(|| {
    let slots = |n: usize| (0..n).map(|_| OnceLock::new()).collect();
    Interned {
        hangul: slots(hangul::SCOUNT as usize),
        pinyin: slots(TABLES.pinyin.len()),
        korean: slots(latin::korean_spelling_count()),
        han: RwLock::new(HashMap::new()),
    }
});

/// Each distinct syllable is leaked once (bounded by the tables, see [`SylRef`]).
fn leak(s: Syl) -> &'static Syl {
    Box::leak(Box::new(s))
}

fn slot(slots: &[OnceLock<&'static Syl>], i: usize, make: impl FnOnce() -> Syl) -> SylRef {
    match slots.get(i) {
        Some(cell) => SylRef::Shared(cell.get_or_init(|| leak(make()))),
        None => SylRef::Owned(Box::new(make())),
    }
}

impl SylRef {
    /// A precomposed Hangul syllable.
    pub(crate) fn hangul(c: char) -> SylRef {
        let i = hangul::index(c).map_or(usize::MAX, usize::from);
        slot(&INTERNED.hangul, i, || Syl::hangul(c))
    }

    /// A Han character; `surname`: the surname-mode pinyin when it starts a surname.
    pub(crate) fn han(c: char, surname: Option<&'static [u16]>) -> SylRef {
        if !TABLES.han.contains_key(&c) {
            return SylRef::Owned(Box::new(Syl::han(c, surname)));
        }
        let map = &INTERNED.han;
        let key = (c, surname);
        if let Some(&s) = map.read().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return SylRef::Shared(s);
        }
        let mut w = map.write().unwrap_or_else(PoisonError::into_inner);
        SylRef::Shared(w.entry(key).or_insert_with(|| leak(Syl::han(c, surname))))
    }

    /// A romanized Korean syllable as spelled.
    pub(crate) fn korean(spelling: &str, sp: &latin::Spelling) -> SylRef {
        slot(&INTERNED.korean, sp.id as usize, || {
            Syl::korean(&sp.cands, &spelling.replace('\'', ""))
        })
    }

    /// A pinyin syllable.
    pub(crate) fn pinyin(p: u16) -> SylRef {
        slot(&INTERNED.pinyin, p as usize, || Syl::pinyin(p))
    }

    /// A token that decodes as nothing (owned: its label is the input's text).
    pub(crate) fn unknown(label: &str) -> SylRef {
        SylRef::Owned(Box::new(Syl::new(Src::Unknown, label)))
    }
}
