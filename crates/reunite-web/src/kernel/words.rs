//! The sensitive-keyword list (threat-model requirement 21): words that must never appear
//! in anything sent to a seeker — public pages, their texts in every language, and the
//! office's replies. A phone inspected by the police or a message scanned by a carrier must
//! not show an organisation's name or what the site is about. Kept in this one place; tests
//! check every public template, message and rendered page against it, and the office's
//! replies are refused when they contain one.

/// Lower-case words and fragments (Korean, Chinese, English), matched case-insensitively
/// as substrings.
pub const SENSITIVE_WORDS: &[&str] = &[
    // Korean
    "탈북",
    "북한",
    "조선",
    "북조선",
    "새터민",
    "통일",
    "교회",
    "선교",
    "목사",
    "난민",
    "인신매매",
    "강제송환",
    "국정원",
    "엔지오",
    // Chinese
    "脱北",
    "朝鲜",
    "北韩",
    "北朝",
    "难民",
    "教会",
    "传教",
    "牧师",
    "基督",
    "偷渡",
    "遣返",
    "统一",
    "人口贩卖",
    "拐卖",
    "韩国",
    "南韩",
    "非政府",
    // English
    "defector",
    "north korea",
    "northkorea",
    "dprk",
    "refugee",
    "church",
    "missionar",
    "christian",
    "pastor",
    "ngo",
    "tongil",
    "unification",
    "rfnk",
    "reunite",
    "trafficking",
    "smuggl",
    "repatriat",
    "human rights",
];

/// The first sensitive word found in `text`, if any.
pub fn find_sensitive(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    SENSITIVE_WORDS.iter().copied().find(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_words_in_any_case_and_script() {
        assert_eq!(find_sensitive("A North Korean"), Some("north korea"));
        assert_eq!(find_sensitive("我是脱北者"), Some("脱北"));
        assert_eq!(find_sensitive("탈북민"), Some("탈북"));
        assert_eq!(find_sensitive("请留下方便联系的时间"), None);
        assert!(SENSITIVE_WORDS.iter().all(|w| *w == w.to_lowercase()));
    }
}
