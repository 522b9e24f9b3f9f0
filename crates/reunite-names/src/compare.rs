//! Comparison of prepared names: graded levels, a similarity, and on demand an explanation.

use crate::hangul;
use crate::name::{Parse, PreparedName, Src, Syl, SylRef};
use crate::tables::{self, TABLES};

/// How alike two names are, from most to least alike. The order is meaningful
/// (`Level::SameReading > Level::CloseReading`); the snake_case names are stable.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing meets.
    Different,
    /// The surnames read alike; the given names do not (or one is missing).
    SurnameOnly,
    /// The given names read alike; the surnames differ (a changed or adopted surname).
    GivenOnly,
    /// The surnames read alike and the given names are close as a whole.
    SurnameGivenClose,
    /// Every syllable reads alike or within a small jamo-level or pinyin-level distance.
    CloseReading,
    /// Every syllable shares a reading (after folding the initial-sound law; across scripts
    /// through the Hanja readings).
    SameReading,
    /// The same text after normalization.
    Identical,
}

impl Level {
    /// All levels, least alike first.
    pub const ALL: [Level; 7] = [
        Level::Different,
        Level::SurnameOnly,
        Level::GivenOnly,
        Level::SurnameGivenClose,
        Level::CloseReading,
        Level::SameReading,
        Level::Identical,
    ];

    /// The stable snake_case name (`same_reading`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Different => "different",
            Level::SurnameOnly => "surname_only",
            Level::GivenOnly => "given_only",
            Level::SurnameGivenClose => "surname_given_close",
            Level::CloseReading => "close_reading",
            Level::SameReading => "same_reading",
            Level::Identical => "identical",
        }
    }

    /// Whether the level means the same or likely the same person by name alone
    /// (`surname_given_close` or better).
    pub fn is_likely_same(self) -> bool {
        self >= Level::SurnameGivenClose
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of comparing two names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// The graded level.
    pub level: Level,
    /// A similarity in [0, 1]; 1 only for identical names.
    pub similarity: f32,
}

/// How two syllables met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// They share a Korean reading (after the initial-sound law).
    SameKorean,
    /// They share a Mandarin reading.
    SameMandarin,
    /// A Korean reading of one is the reading of a Hanja that the other's pinyin reads.
    ViaHanja,
    /// Both are pinyin whose Hanja share a Korean reading.
    ViaTwoHanja,
    /// Korean readings within a small jamo-level distance.
    CloseKorean,
    /// Pinyin within a small edit distance.
    ClosePinyin,
    /// The whole given names compared as romanized sound skeletons.
    Skeleton,
    /// No reading meets.
    None,
}

/// One step of an explanation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Meeting {
    /// `surname` or `given`.
    pub part: &'static str,
    /// The syllable(s) on the left as written.
    pub left: String,
    /// The syllable(s) on the right as written.
    pub right: String,
    /// How they met.
    pub how: How,
    /// The reading they met at (Hangul or pinyin), if any.
    pub reading: Option<String>,
    /// The syllable score in [0, 1].
    pub score: f32,
}

/// A comparison with the reasons for it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    /// The level.
    pub level: Level,
    /// The similarity.
    pub similarity: f32,
    /// Which readings met, syllable by syllable, for the best pair of parses.
    pub meetings: Vec<Meeting>,
}

const S_SAME: f32 = 1.0;
const S_CROSS: f32 = 0.95;
const S_DOUBLE: f32 = 0.8;
const S_CLOSE_VIA: f32 = 0.55;
const S_CLOSE_PINYIN: f32 = 0.6;

pub(crate) fn pinyin_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: [usize; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
    let mut cur = [0usize; 8];
    if a.len() > 7 || b.len() > 7 {
        return 9;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let c = if a[i - 1] == b[j - 1] { 0 } else { 1 };
            cur[j] = (prev[j - 1] + c).min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Score of a syllable pair, with how and where they met.
fn syl(a: &Syl, b: &Syl) -> (f32, How, Option<(bool, u16)>) {
    let (ak, bk) = (a.kor.as_slice(), b.kor.as_slice());
    for &x in ak {
        if bk.contains(&x) {
            return (S_SAME, How::SameKorean, Some((true, x)));
        }
    }
    let (am, bm) = (a.man.as_slice(), b.man.as_slice());
    for &x in am {
        if bm.contains(&x) {
            return (S_SAME, How::SameMandarin, Some((false, x)));
        }
    }
    for (i, &k) in a.kor_kid.as_slice().iter().enumerate() {
        if tables::bit_get(&b.kor_inf, k) {
            return (S_CROSS, How::ViaHanja, Some((true, a.kor_at_kid(i))));
        }
    }
    for (i, &k) in b.kor_kid.as_slice().iter().enumerate() {
        if tables::bit_get(&a.kor_inf, k) {
            return (S_CROSS, How::ViaHanja, Some((true, b.kor_at_kid(i))));
        }
    }
    for &m in am {
        if tables::bit_get(&b.man_inf, m) {
            return (S_CROSS, How::ViaHanja, Some((false, m)));
        }
    }
    for &m in bm {
        if tables::bit_get(&a.man_inf, m) {
            return (S_CROSS, How::ViaHanja, Some((false, m)));
        }
    }
    if a.src == Src::Pinyin && b.src == Src::Pinyin && tables::bits_meet(&a.kor_inf, &b.kor_inf) {
        return (S_DOUBLE, How::ViaTwoHanja, None);
    }
    let mut best = (0.0f32, How::None, None);
    for (&x, jx) in ak.iter().zip(&a.kor_jamo) {
        for (&y, jy) in bk.iter().zip(&b.kor_jamo) {
            let s = hangul::jamo_similarity_of(x, jx, y, jy);
            if s > best.0 {
                best = (s, How::CloseKorean, Some((true, x)));
            }
        }
    }
    // Pinyin against Korean readings: close to a Korean reading of the pinyin's Hanja.
    for (p, q) in [(a, b), (b, a)] {
        if p.src == Src::Pinyin
            && q.src != Src::Pinyin
            && best.0 < S_CLOSE_VIA
            && let Some(&k) = q
                .kor_kid
                .as_slice()
                .iter()
                .find(|&&k| tables::bit_get(&p.kor_inf_close, k))
        {
            best = (
                S_CLOSE_VIA,
                How::CloseKorean,
                Some((true, q.kor_at_kid_value(k))),
            );
        }
    }
    if best.0 < S_CLOSE_PINYIN
        && let Some(&m) = bm.iter().find(|&&m| tables::bit_get(&a.man_close, m))
    {
        best = (S_CLOSE_PINYIN, How::ClosePinyin, Some((false, m)));
    }
    best
}

impl Syl {
    fn kor_at_kid_value(&self, k: u16) -> u16 {
        let i = self
            .kor_kid
            .as_slice()
            .iter()
            .position(|&x| x == k)
            .unwrap_or(0);
        self.kor_at_kid(i)
    }

    fn kor_at_kid(&self, i: usize) -> u16 {
        // kor_kid is filled in the same order as kor, skipping readings without an id.
        let t = &*TABLES;
        let k = self.kor_kid.as_slice()[i];
        self.kor
            .as_slice()
            .iter()
            .copied()
            .find(|&s| t.kid_of(s) == k)
            .unwrap_or(0)
    }
}

fn skeleton_similarity(a: &[u8], b: &[u8]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let n = b.len();
    // Two rows of the edit-distance table; on the stack for the usual short skeletons
    // (this runs for millions of name pairs in a batch).
    const STACK: usize = 48;
    let (mut prev_a, mut cur_a) = ([0usize; STACK + 1], [0usize; STACK + 1]);
    let (mut prev_v, mut cur_v);
    let (mut prev, mut cur): (&mut [usize], &mut [usize]) = if n <= STACK {
        (&mut prev_a[..=n], &mut cur_a[..=n])
    } else {
        prev_v = vec![0usize; n + 1];
        cur_v = vec![0usize; n + 1];
        (&mut prev_v[..], &mut cur_v[..])
    };
    for (j, x) in prev.iter_mut().enumerate() {
        *x = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=n {
            let c = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j - 1] + c).min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    1.0 - prev[n] as f32 / a.len().max(b.len()) as f32
}

/// Sequence score: (min, mean) over aligned syllables; None when lengths differ.
fn seq(a: &[SylRef], b: &[SylRef]) -> Option<(f32, f32)> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let mut min = 1.0f32;
    let mut sum = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        let s = syl(x, y).0;
        min = min.min(s);
        sum += s;
    }
    Some((min, sum / a.len() as f32))
}

const W_SUR: f32 = 0.3;

/// Score of a pair of parses; `skels` gives their skeletons, needed only when the given names
/// do not align.
#[inline]
fn score<'a>(pa: &Parse, pb: &Parse, skels: impl FnOnce() -> (&'a [u8], &'a [u8])) -> Comparison {
    let ((sur_a, given_a), (sur_b, given_b)) = (pa.parts(), pb.parts());
    let (s_min, s_mean) = seq(sur_a, sur_b).unwrap_or((0.0, 0.0));
    let s_ok = s_min >= 0.7;
    let (level, sim) = match (given_a.is_empty(), given_b.is_empty()) {
        (true, true) => {
            let l = if s_min >= 0.9 {
                Level::SameReading
            } else if s_min >= 0.5 {
                Level::CloseReading
            } else {
                Level::Different
            };
            (l, s_mean)
        }
        (true, false) | (false, true) => (
            if s_ok {
                Level::SurnameOnly
            } else {
                Level::Different
            },
            W_SUR * s_mean,
        ),
        (false, false) => {
            let aligned = if pa.has_unknown || pb.has_unknown {
                None
            } else {
                seq(given_a, given_b)
            };
            match aligned {
                Some((g_min, g_mean)) => {
                    let l = if s_min >= 0.9 && g_min >= 0.9 {
                        Level::SameReading
                    } else if s_ok && g_min >= 0.5 {
                        Level::CloseReading
                    } else if s_ok && g_mean >= 0.5 {
                        Level::SurnameGivenClose
                    } else if s_ok {
                        Level::SurnameOnly
                    } else if g_min >= 0.9 {
                        Level::GivenOnly
                    } else {
                        Level::Different
                    };
                    (l, W_SUR * s_mean + (1.0 - W_SUR) * g_mean)
                }
                None => {
                    let (ka, kb) = skels();
                    let f = skeleton_similarity(ka, kb);
                    let l = if s_ok && f >= 0.8 {
                        Level::CloseReading
                    } else if s_ok && f >= 0.6 {
                        Level::SurnameGivenClose
                    } else if s_ok {
                        Level::SurnameOnly
                    } else if f >= 0.95 {
                        Level::GivenOnly
                    } else {
                        Level::Different
                    };
                    (l, W_SUR * s_mean + (1.0 - W_SUR) * f * 0.8)
                }
            }
        }
    };
    Comparison {
        level,
        similarity: (sim * 0.99).clamp(0.0, 0.99),
    }
}

fn better(a: Comparison, b: Comparison) -> bool {
    (b.level, b.similarity) > (a.level, a.similarity)
}

/// Compares two prepared names. Cheap: no allocation, a few bit-set operations per syllable.
///
/// ```
/// use reunite_names::{compare, Level, PreparedName};
/// let c = compare(&PreparedName::new("김정일"), &PreparedName::new("Jin Zhengri"));
/// assert_eq!(c.level, Level::SameReading);
/// ```
pub fn compare(a: &PreparedName, b: &PreparedName) -> Comparison {
    best_pair(a, b).0
}

fn best_pair(a: &PreparedName, b: &PreparedName) -> (Comparison, usize, usize) {
    if a.hash == b.hash && a.text() == b.text() {
        return (
            Comparison {
                level: Level::Identical,
                similarity: 1.0,
            },
            0,
            0,
        );
    }
    let mut best = (
        Comparison {
            level: Level::Different,
            similarity: 0.0,
        },
        usize::MAX,
        usize::MAX,
    );
    for (i, pa) in a.parses.iter().enumerate() {
        for (j, pb) in b.parses.iter().enumerate() {
            let c = score(pa, pb, || (a.skel(i), b.skel(j)));
            if best.1 == usize::MAX || better(best.0, c) {
                best = (c, i, j);
            }
        }
    }
    best
}

fn reading_text(r: Option<(bool, u16)>) -> Option<String> {
    r.map(|(korean, v)| {
        if korean {
            hangul::to_char(v).to_string()
        } else {
            TABLES.pinyin[v as usize].to_string()
        }
    })
}

/// Compares two names and says why: which readings met, syllable by syllable.
pub fn explain(a: &PreparedName, b: &PreparedName) -> Explanation {
    let (c, i, j) = best_pair(a, b);
    let mut meetings = Vec::new();
    if let (Some(pa), Some(pb)) = (a.parses.get(i), b.parses.get(j)) {
        let mut part =
            |name: &'static str, x: &[SylRef], y: &[SylRef], skel: Option<(&[u8], &[u8])>| {
                if x.len() == y.len() && skel.is_none() {
                    for (p, q) in x.iter().zip(y) {
                        let (s, how, r) = syl(p, q);
                        meetings.push(Meeting {
                            part: name,
                            left: p.label.to_string(),
                            right: q.label.to_string(),
                            how,
                            reading: reading_text(r),
                            score: s,
                        });
                    }
                } else if !x.is_empty() && !y.is_empty() {
                    let f = skel.map(|(s, t)| skeleton_similarity(s, t)).unwrap_or(0.0);
                    meetings.push(Meeting {
                        part: name,
                        left: x
                            .iter()
                            .map(|s| s.label.as_ref())
                            .collect::<Vec<_>>()
                            .join("-"),
                        right: y
                            .iter()
                            .map(|s| s.label.as_ref())
                            .collect::<Vec<_>>()
                            .join("-"),
                        how: if skel.is_some() {
                            How::Skeleton
                        } else {
                            How::None
                        },
                        reading: None,
                        score: f,
                    });
                }
            };
        part("surname", pa.sur(), pb.sur(), None);
        let unaligned = pa.has_unknown || pb.has_unknown || pa.given().len() != pb.given().len();
        part(
            "given",
            pa.given(),
            pb.given(),
            unaligned.then_some((a.skel(i), b.skel(j))),
        );
    }
    Explanation {
        level: c.level,
        similarity: c.similarity,
        meetings,
    }
}

impl Explanation {
    /// One line per meeting, e.g. `surname 김 ~ Jin: via_hanja at 김 (0.95)`.
    pub fn lines(&self) -> Vec<String> {
        self.meetings
            .iter()
            .map(|m| {
                let how = serde_json::to_value(m.how)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                match &m.reading {
                    Some(r) => format!(
                        "{} {} ~ {}: {} at {} ({:.2})",
                        m.part, m.left, m.right, how, r, m.score
                    ),
                    None => format!(
                        "{} {} ~ {}: {} ({:.2})",
                        m.part, m.left, m.right, how, m.score
                    ),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(a: &str, b: &str) -> Level {
        compare(&PreparedName::new(a), &PreparedName::new(b)).level
    }

    #[test]
    fn cross_script_examples_from_the_issue() {
        for b in [
            "이영자",
            "李英子",
            "Li Yingzi",
            "Ri Yong Ja",
            "Lee Young-ja",
        ] {
            assert!(
                lv("리영자", b) >= Level::SameReading,
                "{b}: {}",
                lv("리영자", b)
            );
        }
        assert!(lv("Kim Jung-ah", "Kim Jeong Ah") >= Level::SameReading);
        assert_eq!(lv("李英子", "金英子"), Level::GivenOnly);
        assert_eq!(lv("김정일", "김정일"), Level::Identical);
        assert!(lv("김정일", "박영수") <= Level::SurnameOnly);
        assert_eq!(lv("김정일", "김영수"), Level::SurnameOnly);
    }

    #[test]
    fn levels_have_stable_names() {
        assert_eq!(
            serde_json::to_string(&Level::SameReading).unwrap(),
            "\"same_reading\""
        );
        for l in Level::ALL {
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.as_str())
            );
        }
    }

    #[test]
    fn explanation_names_the_meeting_reading() {
        let e = explain(
            &PreparedName::new("김정일"),
            &PreparedName::new("Jin Zhengri"),
        );
        assert_eq!(e.meetings.len(), 3);
        assert_eq!(e.meetings[0].how, How::ViaHanja);
    }
}
