//! A small gazetteer of the Chinese and North Korean places where these families live, so that
//! "黑龙江 密山", "흑룡강성 밀산" and "Mishan" resolve to the same county.
//!
//! The table (`data/gazetteer.tsv`) is compiled in and decoded once on first use; it is
//! immutable afterwards.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A resolved place: the path country → province → prefecture → county, each 0 when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PlaceId {
    /// Country node (0 unknown).
    pub country: u16,
    /// Province node (0 unknown).
    pub province: u16,
    /// Prefecture node (0 unknown).
    pub prefecture: u16,
    /// County node (0 unknown).
    pub county: u16,
}

impl PlaceId {
    /// Whether nothing was resolved.
    pub fn is_unknown(&self) -> bool {
        self.country == 0
    }

    /// The most specific known node at or above prefecture level (for blocking), 0 if none.
    pub fn region(&self) -> u16 {
        if self.prefecture != 0 {
            self.prefecture
        } else if self.province != 0 && self.county != 0 {
            self.county
        } else {
            self.province
        }
    }
}

/// Depth of a node in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Country = 0,
    Province = 1,
    Prefecture = 2,
    County = 3,
}

#[derive(Debug)]
struct Node {
    parent: u16,
    kind: Kind,
}

#[derive(Debug)]
struct Gazetteer {
    nodes: Vec<Node>,
    /// Alias (normalized) → node.
    alias: HashMap<String, u16>,
    /// Longest alias in characters.
    max_chars: usize,
}

const TSV: &str = include_str!("../data/gazetteer.tsv");

/// Administrative suffixes after a Han or Hangul place name, longest first.
const SUFFIXES: &[&str] = &[
    "朝鲜族自治州",
    "朝鮮族自治州",
    "조선족자치주",
    "자치주",
    "自治州",
    "自治区",
    "自治區",
    "自治县",
    "自治縣",
    "特别市",
    "직할시",
    "특별시",
    "地区",
    "地區",
    "省",
    "市",
    "州",
    "县",
    "縣",
    "区",
    "區",
    "盟",
    "镇",
    "鎮",
    "乡",
    "鄉",
    "道",
    "郡",
    "성",
    "시",
    "주",
    "현",
    "도",
    "군",
    "구역",
    "구",
    "읍",
    "진",
    "향",
];

/// Latin words that only say what kind of place it is.
const LATIN_NOISE: &[&str] = &[
    "province",
    "prov",
    "city",
    "county",
    "prefecture",
    "shi",
    "xian",
    "sheng",
    "si",
    "gun",
    "do",
    "zhou",
    "zhen",
    "town",
    "autonomous",
    "region",
    "district",
    "ku",
    "kuyok",
    "guyeok",
];

fn norm_latin(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = match c {
            'ŏ' | 'Ŏ' | 'ǒ' | 'ó' | 'ò' | 'ō' => 'o',
            'ŭ' | 'Ŭ' | 'ǔ' | 'ú' | 'ù' | 'ū' | 'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'u',
            'á' | 'à' | 'ǎ' | 'ā' => 'a',
            'é' | 'è' | 'ě' | 'ē' => 'e',
            'í' | 'ì' | 'ǐ' | 'ī' => 'i',
            c => c,
        };
        if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn is_latin_word_char(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '\'' || c == '-' || (('\u{C0}'..='\u{24F}').contains(&c))
}

static GAZ: LazyLock<Gazetteer> = LazyLock::new(|| {
    let mut nodes = vec![Node {
        parent: 0,
        kind: Kind::Country,
    }];
    let mut keys: HashMap<&str, u16> = HashMap::new();
    let mut alias = HashMap::new();
    let mut max_chars = 1;
    for line in TSV.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [key, parent, kind, _country, names] = cols[..] else {
            panic!("gazetteer line has {} columns: {line}", cols.len());
        };
        let id = nodes.len() as u16;
        let parent = if parent == "-" { 0 } else { keys[parent] };
        let kind = match kind {
            "country" => Kind::Country,
            "province" => Kind::Province,
            "prefecture" => Kind::Prefecture,
            "county" => Kind::County,
            k => panic!("gazetteer kind {k}"),
        };
        nodes.push(Node { parent, kind });
        keys.insert(key, id);
        for n in names.split('|') {
            let n = n.trim();
            let a = if n.chars().any(|c| c.is_ascii_alphabetic()) {
                norm_latin(n)
            } else {
                n.chars().filter(|c| !c.is_whitespace()).collect()
            };
            if a.is_empty() {
                continue;
            }
            max_chars = max_chars.max(a.chars().count());
            // The first entry for an alias wins (provinces are listed before their cities).
            alias.entry(a).or_insert(id);
        }
    }
    Gazetteer {
        nodes,
        alias,
        max_chars,
    }
});

fn path_of(g: &Gazetteer, mut id: u16) -> PlaceId {
    let mut p = PlaceId::default();
    while id != 0 {
        let n = &g.nodes[id as usize];
        match n.kind {
            Kind::Country => p.country = id,
            Kind::Province => p.province = id,
            Kind::Prefecture => p.prefecture = id,
            Kind::County => p.county = id,
        }
        id = n.parent;
    }
    p
}

fn depth(p: &PlaceId) -> u8 {
    if p.county != 0 {
        3
    } else if p.prefecture != 0 {
        2
    } else if p.province != 0 {
        1
    } else {
        0
    }
}

/// Resolves free text to a place. Unknown text gives `PlaceId::default()`; the country code
/// (`KP`, `CN`, `KR`) is used when the text names nothing known.
pub fn resolve(text: &str, country: Option<&str>) -> PlaceId {
    let g = &*GAZ;
    let mut found: Vec<u16> = Vec::new();
    // Latin words: try two words joined ("North Hamgyong", "Jilin City"), then one.
    let words: Vec<String> = text
        .split(|c: char| !is_latin_word_char(c))
        .map(norm_latin)
        .filter(|w| !w.is_empty())
        .collect();
    let mut i = 0;
    while i < words.len() {
        if i + 1 < words.len() {
            let two = format!("{}{}", words[i], words[i + 1]);
            if let Some(&id) = g.alias.get(&two) {
                found.push(id);
                i += 2;
                continue;
            }
        }
        let w = &words[i];
        if LATIN_NOISE.contains(&w.as_str()) {
            i += 1;
            continue;
        }
        if let Some(&id) = g.alias.get(w) {
            found.push(id);
        } else {
            for suf in ["shi", "xian", "sheng", "si", "gun", "do", "zhou"] {
                if let Some(stem) = w.strip_suffix(suf)
                    && stem.len() >= 3
                    && let Some(&id) = g.alias.get(stem)
                {
                    found.push(id);
                    break;
                }
            }
        }
        i += 1;
    }
    // Han and Hangul: greedy longest match, skipping administrative suffixes.
    let chars: Vec<char> = text
        .chars()
        .filter(|c| !c.is_ascii() && !c.is_whitespace() && !is_latin_word_char(*c))
        .collect();
    let mut i = 0;
    let mut buf = String::new();
    while i < chars.len() {
        let mut hit = None;
        for len in (1..=g.max_chars.min(chars.len() - i)).rev() {
            buf.clear();
            buf.extend(&chars[i..i + len]);
            if let Some(&id) = g.alias.get(&buf) {
                hit = Some((id, len));
                break;
            }
        }
        match hit {
            Some((id, len)) => {
                found.push(id);
                i += len;
                for s in SUFFIXES {
                    let n = s.chars().count();
                    if i + n <= chars.len() && chars[i..i + n].iter().copied().eq(s.chars()) {
                        i += n;
                        break;
                    }
                }
            }
            None => i += 1,
        }
    }
    let mut best = PlaceId::default();
    for id in found {
        let p = path_of(g, id);
        if depth(&p) > depth(&best) || best.country == 0 {
            best = p;
        }
    }
    if best.country == 0
        && let Some(c) = country
    {
        let key = match c {
            "CN" => "china",
            "KP" => "dprk",
            "KR" => "southkorea",
            _ => "",
        };
        if let Some(&id) = g.alias.get(key) {
            best = path_of(g, id);
        }
    }
    best
}

/// How alike two places are. Ordered: `Different < SameCountry < … < SameCounty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlaceLevel {
    /// Known and different.
    Different = 0,
    /// Same country only (or one side knows only the country).
    SameCountry = 1,
    /// Same province.
    SameProvince = 2,
    /// Same prefecture.
    SamePrefecture = 3,
    /// Same county.
    SameCounty = 4,
}

/// Compares two resolved places; `None` when either is unknown (neutral).
pub fn compare(a: &PlaceId, b: &PlaceId) -> Option<PlaceLevel> {
    if a.is_unknown() || b.is_unknown() {
        return None;
    }
    if a.country != b.country {
        return Some(PlaceLevel::Different);
    }
    let pairs = [
        (a.province, b.province, PlaceLevel::SameProvince),
        (a.prefecture, b.prefecture, PlaceLevel::SamePrefecture),
        (a.county, b.county, PlaceLevel::SameCounty),
    ];
    let mut level = PlaceLevel::SameCountry;
    for (x, y, l) in pairs {
        if x == 0 || y == 0 {
            // One side stops here: they agree as far as both go.
            continue;
        }
        if x != y {
            // Different provinces are different places; within a province, the places
            // agree as far as their common ancestor.
            return Some(if level == PlaceLevel::SameCountry {
                PlaceLevel::Different
            } else {
                level
            });
        }
        level = l;
    }
    Some(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mishan_in_three_scripts() {
        let a = resolve("黑龙江 密山", None);
        let b = resolve("흑룡강성 밀산시", None);
        let c = resolve("Mishan", None);
        let d = resolve("黑龍江省雞西市密山市", Some("CN"));
        assert!(a.county != 0);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a, d);
        assert_eq!(compare(&a, &c), Some(PlaceLevel::SameCounty));
    }

    #[test]
    fn hierarchy_levels() {
        let yanji = resolve("延吉", None);
        let helong = resolve("吉林省 延边朝鲜族自治州 和龙市 八家子镇", None);
        let jilin = resolve("Jilin", None);
        let jixi = resolve("鸡西", None);
        assert_eq!(compare(&yanji, &helong), Some(PlaceLevel::SamePrefecture));
        assert_eq!(compare(&jilin, &helong), Some(PlaceLevel::SameProvince));
        assert_eq!(compare(&jixi, &helong), Some(PlaceLevel::Different));
        assert_eq!(
            compare(&resolve("中国", None), &helong),
            Some(PlaceLevel::SameCountry)
        );
        assert_eq!(
            compare(&resolve("Hoeryong", None), &jixi),
            Some(PlaceLevel::Different)
        );
        assert_eq!(resolve("", None), PlaceId::default());
        assert_eq!(compare(&resolve("xyz", None), &jixi), None);
        assert_eq!(
            resolve("함경북도 회령시", Some("KP")),
            resolve("Hoeryŏng, North Hamgyŏng", None)
        );
        assert_eq!(
            resolve("Yanbian Korean Autonomous Prefecture", None),
            resolve("연변", None)
        );
    }
}
