//! User-facing text in Korean, Simplified Chinese and English.
//!
//! Messages live in `locales/{ko,zh,en}.txt` as `key = text` lines, compiled into the binary.
//! A small format of our own instead of Fluent: the interface needs no plural rules in Korean
//! or Chinese, and the English strings avoid them, so named placeholders (`{role}`) are all
//! we need. Tests check that every language has exactly the same keys and that every key a
//! template or handler uses exists.

use reunite_domain::Lang;
use std::collections::HashMap;
use std::sync::LazyLock;

const SOURCES: [(Lang, &str); 3] = [
    (Lang::En, include_str!("../locales/en.txt")),
    (Lang::Ko, include_str!("../locales/ko.txt")),
    (Lang::Zh, include_str!("../locales/zh.txt")),
];

type Catalog = HashMap<&'static str, &'static str>;

fn parse(src: &'static str) -> Catalog {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

static CATALOGS: LazyLock<HashMap<Lang, Catalog>> =
    LazyLock::new(|| SOURCES.iter().map(|(l, s)| (*l, parse(s))).collect());

/// The messages of one language, handed to templates as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// For a language.
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    /// The message for `key` (the key itself if missing, which tests prevent).
    pub fn s(&self, key: &str) -> &'static str {
        CATALOGS
            .get(&self.lang)
            .and_then(|c| c.get(key).copied())
            .unwrap_or_else(|| {
                tracing::error!(key, "missing message");
                "?"
            })
    }

    /// The message with `{name}` placeholders filled.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.s(key).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// The `lang` attribute value.
    pub fn tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The short code used in URLs and forms (`ko`, `zh`, `en`).
    pub fn code(&self) -> &'static str {
        lang_code(self.lang)
    }

    /// A role's display name.
    pub fn role(&self, role: &str) -> &'static str {
        self.s(&format!("role.{role}"))
    }
}

/// The short code for a language.
pub fn lang_code(l: Lang) -> &'static str {
    match l {
        Lang::Ko => "ko",
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

/// Every key of a language (for tests).
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut k: Vec<_> = CATALOGS
        .get(&lang)
        .map(|c| c.keys().copied().collect())
        .unwrap_or_default();
    k.sort_unstable();
    k
}

/// Whether a key exists in every language.
pub fn has_key(key: &str) -> bool {
    Lang::ALL
        .iter()
        .all(|l| CATALOGS.get(l).is_some_and(|c| c.contains_key(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_same_keys() {
        let en = keys(Lang::En);
        assert!(en.len() > 50);
        assert_eq!(keys(Lang::Ko), en, "Korean keys differ from English");
        assert_eq!(keys(Lang::Zh), en, "Chinese keys differ from English");
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let src_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut used = Vec::new();
        for d in [dir, src_dir] {
            for entry in std::fs::read_dir(d).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for marker in ["t.s(\"", "t.f(\"", "msg(\""] {
                    for part in text.split(marker).skip(1) {
                        if let Some(end) = part.find('"') {
                            used.push(part[..end].to_string());
                        }
                    }
                }
            }
        }
        assert!(used.len() > 30, "found only {} keys", used.len());
        let missing: Vec<_> = used.iter().filter(|k| !has_key(k)).collect();
        assert!(missing.is_empty(), "missing messages: {missing:?}");
    }

    #[test]
    fn placeholders_are_filled() {
        let t = Tr::new(Lang::En);
        assert_eq!(t.f("audit.total", &[("n", "3")]), "3 events");
        assert_eq!(Tr::new(Lang::Zh).f("audit.total", &[("n", "3")]), "共 3 条");
    }
}
