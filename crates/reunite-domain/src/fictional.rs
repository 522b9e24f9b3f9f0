//! Fictional cases for demonstrations and benchmarks: deterministic from a seed, with the
//! variety real registrations have — Hangul birth names, Hanja when known, Chinese aliases,
//! South Korean names, pinyin spellings, partial and lunar dates, approximate years, missing
//! fields. Free-text fields say that they are fictional.
//!
//! No IO, no clock, no global state: the caller gives the seed.
//!
//! ```
//! let a = reunite_domain::fictional::case(7, 1, "demo-");
//! let b = reunite_domain::fictional::case(7, 1, "demo-");
//! assert_eq!(a, b);
//! assert_eq!(a.id, "demo-0001");
//! assert!(a.validate().is_empty());
//! ```

use crate::record::{
    Calendar, Case, Cause, Child, Consent, ContactStatus, Name, NameKind, PartialDate, Person,
    Place, Separation, Sex,
};

/// SplitMix64: small, fast, good enough for made-up data (not for anything secret).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// True with probability `pct` percent.
    pub fn pct(&mut self, pct: u32) -> bool {
        self.below(100) < pct as usize
    }
    /// One element of a slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Korean surnames: (North Korean Hangul, South Korean Hangul, Hanja, pinyin).
const SURNAMES: &[(&str, &str, &str, &str)] = &[
    ("김", "김", "金", "Jin"),
    ("리", "이", "李", "Li"),
    ("박", "박", "朴", "Piao"),
    ("최", "최", "崔", "Cui"),
    ("정", "정", "鄭", "Zheng"),
    ("강", "강", "姜", "Jiang"),
    ("조", "조", "趙", "Zhao"),
    ("윤", "윤", "尹", "Yin"),
    ("장", "장", "張", "Zhang"),
    ("림", "임", "林", "Lin"),
    ("한", "한", "韓", "Han"),
    ("오", "오", "吳", "Wu"),
    ("신", "신", "申", "Shen"),
    ("황", "황", "黃", "Huang"),
    ("류", "유", "柳", "Liu"),
];

/// Given-name syllables of women born in the North: (Hangul, Hanja, simplified Hanzi, pinyin).
const F_SYL: &[(&str, &str, &str, &str)] = &[
    ("영", "英", "英", "ying"),
    ("순", "順", "顺", "shun"),
    ("희", "姬", "姬", "ji"),
    ("자", "子", "子", "zi"),
    ("옥", "玉", "玉", "yu"),
    ("미", "美", "美", "mei"),
    ("정", "貞", "贞", "zhen"),
    ("숙", "淑", "淑", "shu"),
    ("화", "花", "花", "hua"),
    ("선", "善", "善", "shan"),
    ("은", "銀", "银", "yin"),
    ("경", "京", "京", "jing"),
    ("련", "蓮", "莲", "lian"),
    ("향", "香", "香", "xiang"),
    ("춘", "春", "春", "chun"),
    ("명", "明", "明", "ming"),
    ("금", "琴", "琴", "qin"),
    ("실", "實", "实", "shi"),
];

/// Names women took in the South (given names only).
const SK_GIVEN: &[&str] = &[
    "수진", "지은", "서연", "민정", "은주", "혜진", "지현", "유진", "소영", "현숙", "미경", "나래",
];

/// Chinese women's given names (an alias in China is often a Chinese name outright).
const CN_F_GIVEN: &[(&str, &str)] = &[
    ("丽", "li"),
    ("华", "hua"),
    ("梅", "mei"),
    ("芳", "fang"),
    ("秀英", "xiuying"),
    ("玉兰", "yulan"),
    ("春花", "chunhua"),
    ("桂英", "guiying"),
    ("凤", "feng"),
    ("红梅", "hongmei"),
];

/// Chinese surnames of fathers: (Hanzi, pinyin).
const CN_SUR: &[(&str, &str)] = &[
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("赵", "Zhao"),
    ("黄", "Huang"),
    ("周", "Zhou"),
    ("吴", "Wu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("高", "Gao"),
    ("于", "Yu"),
];

/// Children's given names: (Hanzi, pinyin, Korean reading, sex).
const CHILD_GIVEN: &[(&str, &str, &str, Sex)] = &[
    ("明", "ming", "명", Sex::M),
    ("伟", "wei", "위", Sex::M),
    ("强", "qiang", "강", Sex::M),
    ("浩", "hao", "호", Sex::M),
    ("杰", "jie", "걸", Sex::M),
    ("磊", "lei", "뢰", Sex::M),
    ("俊杰", "junjie", "준걸", Sex::M),
    ("丽", "li", "려", Sex::F),
    ("娜", "na", "나", Sex::F),
    ("婷", "ting", "정", Sex::F),
    ("欣怡", "xinyi", "흔이", Sex::F),
    ("雪", "xue", "설", Sex::F),
    ("晓燕", "xiaoyan", "효연", Sex::F),
];

/// North Korean places of origin.
const NK_PLACES: &[&str] = &[
    "함경북도 회령시",
    "함경북도 무산군",
    "함경북도 청진시",
    "함경북도 온성군",
    "양강도 혜산시",
    "양강도 김형직군",
    "함경남도 함흥시",
    "평안남도 평성시",
    "자강도 강계시",
    "평양시",
    "Hoeryong",
    "Musan",
];

/// Chinese places: (province, prefecture, county, town).
const CN_PLACES: &[(&str, &str, &str, &str)] = &[
    ("黑龙江省", "鸡西市", "密山市", "连珠山镇"),
    ("黑龙江省", "牡丹江市", "宁安市", "渤海镇"),
    ("黑龙江省", "哈尔滨市", "五常市", "山河镇"),
    ("吉林省", "延边州", "和龙市", "八家子镇"),
    ("吉林省", "延边州", "龙井市", "三合镇"),
    ("吉林省", "延边州", "图们市", "月晴镇"),
    ("吉林省", "白山市", "长白县", "十四道沟镇"),
    ("辽宁省", "丹东市", "宽甸县", "长甸镇"),
    ("辽宁省", "沈阳市", "新民市", "大民屯镇"),
    ("山东省", "临沂市", "沂南县", "界湖镇"),
    ("河北省", "保定市", "涞源县", "银坊镇"),
];

const VILLAGES: &[&str] = &["新村", "红旗村", "东升村", "太平村", "前进村", "和平屯"];

const WITH_WHOM: &[&str] = &[
    "아버지와 할머니 (가상)",
    "父亲和奶奶（虚构）",
    "큰아버지 집 (가상)",
    "father's family (fictional)",
    "外婆家（虚构）",
];

fn name(text: String, kind: Option<NameKind>) -> Name {
    Name { text, kind }
}

fn date(r: &mut Rng, from: i32, span: usize) -> Option<PartialDate> {
    if r.pct(8) {
        return None;
    }
    let year = from + r.below(span) as i32;
    if r.pct(12) {
        // Known only roughly ("about 45 in 2024").
        return Some(PartialDate {
            year: Some(year),
            approx_years: 2 + r.below(4) as u8,
            ..Default::default()
        });
    }
    let calendar = if r.pct(25) {
        Calendar::Lunar
    } else {
        Calendar::Solar
    };
    let month = r.pct(65).then(|| 1 + r.below(12) as u8);
    let day = match month {
        Some(_) if r.pct(60) => Some(1 + r.below(28) as u8),
        _ => None,
    };
    Some(PartialDate {
        year: Some(year),
        month,
        day,
        calendar,
        approx_years: 0,
    })
}

fn cn_place(r: &mut Rng, depth: usize, fictional: bool) -> Place {
    let (prov, pref, county, town) = *r.pick(CN_PLACES);
    let parts = [prov, pref, county, town, *r.pick(VILLAGES)];
    let n = depth.clamp(1, 5);
    let mut text = if r.pct(20) {
        // Written short, as people say it.
        parts[1..n.max(2)].join(" ")
    } else {
        parts[..n].join(" ")
    };
    if fictional {
        text.push_str("（虚构）");
    }
    Place {
        text,
        country: Some("CN".into()),
    }
}

/// One fictional case, id `{prefix}{i:04}`.
pub fn case(seed: u64, i: u64, prefix: &str) -> Case {
    let mut r = Rng::new(seed ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let r = &mut r;
    let (sur_n, sur_s, sur_h, sur_p) = *r.pick(SURNAMES);
    let g: Vec<_> = (0..if r.pct(8) { 1 } else { 2 })
        .map(|_| *r.pick(F_SYL))
        .collect();
    let hangul: String = g.iter().map(|s| s.0).collect();
    let mut names = vec![name(format!("{sur_n}{hangul}"), Some(NameKind::Birth))];
    if r.pct(40) {
        let hanja: String = g.iter().map(|s| s.1).collect();
        names.push(name(format!("{sur_h}{hanja}"), Some(NameKind::Birth)));
    }
    if r.pct(75) {
        // The alias used in China: her name in Chinese characters, or a Chinese name.
        let (alias, pinyin) = if r.pct(55) {
            let h: String = g.iter().map(|s| s.2).collect();
            let p: String = g.iter().map(|s| s.3).collect();
            (format!("{sur_h}{h}"), format!("{sur_p} {}", capitalise(&p)))
        } else {
            let (cs, cp) = *r.pick(CN_SUR);
            let (cg, cgp) = *r.pick(CN_F_GIVEN);
            (format!("{cs}{cg}"), format!("{cp} {}", capitalise(cgp)))
        };
        names.push(name(alias, Some(NameKind::Alias)));
        if r.pct(20) {
            names.push(name(pinyin, Some(NameKind::Alias)));
        }
    }
    if r.pct(55) {
        let sk_sur = if r.pct(70) { sur_s } else { r.pick(SURNAMES).1 };
        names.push(name(
            format!("{sk_sur}{}", r.pick(SK_GIVEN)),
            Some(NameKind::Current),
        ));
    }
    if r.pct(10) {
        names.push(name(format!("{}이", g[0].0), Some(NameKind::Nickname)));
    }
    let mother = Person {
        names,
        sex: Some(Sex::F),
        birth: date(r, 1962, 34),
        birthplace: r.pct(88).then(|| Place {
            text: format!("{} (가상)", r.pick(NK_PLACES)),
            country: Some("KP".into()),
        }),
    };
    let (f_sur, f_sur_p) = *r.pick(CN_SUR);
    let n_children = match r.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    let children = (0..n_children)
        .map(|_| {
            let (cg, cgp, ck, sex) = *r.pick(CHILD_GIVEN);
            let mut names = Vec::new();
            if r.pct(92) {
                names.push(name(format!("{f_sur}{cg}"), Some(NameKind::Birth)));
            }
            if r.pct(35) {
                names.push(name(format!("{sur_s}{ck}"), Some(NameKind::Alias)));
            }
            if r.pct(15) {
                names.push(name(
                    format!("{f_sur_p} {}", capitalise(cgp)),
                    Some(NameKind::Alias),
                ));
            }
            if r.pct(30) {
                let nick = if r.pct(50) {
                    format!("小{}", cg.chars().next().unwrap_or('宝'))
                } else {
                    let c: String = cg.chars().take(1).collect();
                    format!("{c}{c}")
                };
                names.push(name(nick, Some(NameKind::Nickname)));
            }
            Child {
                names,
                sex: r.pct(90).then_some(sex),
                birth: date(r, 1996, 20),
                birthplace: r.pct(75).then(|| cn_place(r, 3, false)),
                last_known: r.pct(60).then(|| cn_place(r, 4, true)),
                with_whom: r.pct(45).then(|| r.pick(WITH_WHOM).to_string()),
            }
        })
        .collect();
    let father = r.pct(85).then(|| {
        let given = *r.pick(&["建国", "德明", "永生", "国庆", "志刚", "海", "军"]);
        let mut names = vec![name(format!("{f_sur}{given}"), None)];
        if r.pct(10) {
            names.push(name(format!("老{f_sur}"), Some(NameKind::Nickname)));
        }
        Person {
            names,
            sex: Some(Sex::M),
            birth: if r.pct(40) { date(r, 1950, 25) } else { None },
            birthplace: None,
        }
    });
    let separation = r.pct(85).then(|| Separation {
        date: date(r, 2000, 22),
        place: r.pct(60).then(|| cn_place(r, 2, false)),
        cause: match r.below(20) {
            0..=6 => Some(Cause::Repatriation),
            7..=15 => Some(Cause::Flight),
            16..=17 => Some(Cause::Trafficking),
            18 => Some(Cause::Other),
            _ => None,
        },
    });
    let mut residence_cn = r.pct(80).then(|| cn_place(r, 5, true));
    let children: Vec<Child> = children;
    let marked = mother.birthplace.is_some()
        || residence_cn.is_some()
        || children
            .iter()
            .any(|c| c.last_known.is_some() || c.with_whom.is_some());
    if !marked {
        // Every fictional case says so in at least one free-text field.
        residence_cn = Some(cn_place(r, 3, true));
    }
    let contact = match r.below(10) {
        0..=2 => Some(ContactStatus::None),
        3..=4 => Some(ContactStatus::ContactNoMeeting),
        5 => Some(ContactStatus::BlockedByFamily),
        6..=8 => Some(ContactStatus::UnknownWhereabouts),
        _ => None,
    };
    let consent = r.pct(85).then(|| Consent {
        findable: r.pct(80),
        by_child: r.pct(75),
        by_relatives: r.pct(50),
        statistics: r.pct(60),
        disclose_after_approval: r.pct(55),
    });
    Case {
        id: format!("{prefix}{i:04}"),
        mother,
        children,
        father,
        separation,
        residence_cn,
        contact,
        consent,
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_cases_are_valid_varied_and_marked_fictional() {
        let cases: Vec<Case> = (1..=500).map(|i| case(42, i, "demo-")).collect();
        for c in &cases {
            assert!(c.validate().is_empty(), "{}: {:?}", c.id, c.validate());
        }
        let count = |f: &dyn Fn(&Case) -> bool| cases.iter().filter(|c| f(c)).count();
        let has_kind = |c: &Case, k| c.mother.names.iter().any(|n| n.kind == Some(k));
        assert!(count(&|c| has_kind(c, NameKind::Alias)) > 250);
        assert!(count(&|c| has_kind(c, NameKind::Current)) > 200);
        assert!(count(&|c| c.mother.names.len() >= 3) > 150);
        let lunar = count(&|c| {
            c.mother
                .birth
                .is_some_and(|d| d.calendar == Calendar::Lunar)
        });
        assert!(lunar > 50, "{lunar}");
        assert!(count(&|c| c.mother.birth.is_some_and(|d| d.approx_years > 0)) > 20);
        assert!(count(&|c| c.mother.birth.is_some_and(|d| d.month.is_none())) > 50);
        assert!(count(&|c| c.father.is_none()) > 30);
        assert!(count(&|c| c.children.len() >= 2) > 100);
        // Every case says somewhere that it is made up.
        for c in &cases {
            let j = format!(
                "{:?}{:?}",
                c.mother.birthplace.as_ref().map(|p| &p.text),
                c.residence_cn.as_ref().map(|p| &p.text)
            );
            let marked = j.contains("가상")
                || j.contains("虚构")
                || c.children.iter().any(|ch| {
                    ch.last_known
                        .as_ref()
                        .is_some_and(|p| p.text.contains("虚构"))
                        || ch.with_whom.as_ref().is_some_and(|w| {
                            w.contains("虚构") || w.contains("가상") || w.contains("fictional")
                        })
                });
            assert!(marked, "{} is not marked as fictional", c.id);
        }
    }
}
