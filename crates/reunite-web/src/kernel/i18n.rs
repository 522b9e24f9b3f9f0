//! User-facing text in Korean, Simplified Chinese and English.
//!
//! Messages live in `locales/<lang>/<feature>.txt` as `key = text` lines, one file per
//! feature (the same feature names as the folders of `src/`), compiled into the binary and
//! merged into one catalogue per language at first use. A small format of our own instead of
//! Fluent: the interface needs no plural rules in Korean or Chinese, and the English strings
//! avoid them, so named placeholders (`{role}`) are all we need. Tests check that every
//! language has exactly the same keys with the same placeholders, that no key is defined
//! twice, that every file on disk is compiled in, and that every key a template or handler
//! uses exists.

use reunite_domain::Lang;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The feature files, in the order they are merged. A file on disk that is missing here
/// fails `every_locale_file_is_compiled_in`.
macro_rules! locale_files {
    ($($feature:literal),* $(,)?) => {
        #[cfg(test)]
        const FEATURES: &[&str] = &[$($feature),*];
        const SOURCES: [(Lang, &[&str]); 3] = [
            (Lang::En, &[$(include_str!(concat!("../../locales/en/", $feature, ".txt"))),*]),
            (Lang::Ko, &[$(include_str!(concat!("../../locales/ko/", $feature, ".txt"))),*]),
            (Lang::Zh, &[$(include_str!(concat!("../../locales/zh/", $feature, ".txt"))),*]),
        ];
    };
}

locale_files!(
    "common", "auth", "admin", "cases", "requests", "review", "member", "dna", "travel", "checkin",
    "public", "access", "tasks", "casework",
);

type Catalog = HashMap<&'static str, &'static str>;

/// The `key = text` lines of one file, in order.
fn entries(src: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
}

static CATALOGS: LazyLock<HashMap<Lang, Catalog>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(l, files)| (*l, files.iter().flat_map(|s| entries(s)).collect()))
        .collect()
});

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

/// The language of a short code, exactly as [`lang_code`] prints it (`ko`, `zh`, `en`):
/// the one parser of the codes in forms, URLs and stored records. Unlike
/// [`Lang::from_tag`], nothing else is accepted (no `ko-KR`, no `KO`).
pub fn lang_from_code(code: &str) -> Option<Lang> {
    Lang::ALL.into_iter().find(|l| lang_code(*l) == code)
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
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    #[test]
    fn every_language_has_the_same_keys() {
        let en = keys(Lang::En);
        assert!(en.len() > 50);
        assert_eq!(keys(Lang::Ko), en, "Korean keys differ from English");
        assert_eq!(keys(Lang::Zh), en, "Chinese keys differ from English");
    }

    #[test]
    fn no_key_is_defined_twice() {
        for (lang, files) in SOURCES {
            let mut seen = BTreeSet::new();
            for (feature, src) in FEATURES.iter().zip(files) {
                for (k, _) in entries(src) {
                    assert!(
                        seen.insert(k),
                        "{lang:?}: {k} defined twice (again in {feature})"
                    );
                }
            }
        }
    }

    #[test]
    fn every_locale_file_is_compiled_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        for lang in ["en", "ko", "zh"] {
            let mut on_disk: Vec<String> = std::fs::read_dir(root.join(lang))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            let mut listed: Vec<String> = FEATURES.iter().map(|f| f.to_string()).collect();
            listed.sort();
            assert_eq!(on_disk, listed, "locales/{lang}/ and locale_files! differ");
        }
    }

    /// The `{name}` placeholders of a message.
    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn placeholders_agree_across_languages() {
        let mut differ = Vec::new();
        for key in keys(Lang::En) {
            let en = placeholders(Tr::new(Lang::En).s(key));
            for lang in [Lang::Ko, Lang::Zh] {
                let other = placeholders(Tr::new(lang).s(key));
                if other != en {
                    differ.push(format!("{key} ({lang:?}): {other:?} vs English {en:?}"));
                }
            }
        }
        assert!(differ.is_empty(), "placeholders differ: {differ:#?}");
    }

    /// Every file under a folder, however deep.
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        walk(&root.join("templates"), &mut files);
        walk(&root.join("src"), &mut files);
        // Nested folders are searched too: a page moved into a feature folder stays checked.
        assert!(
            files
                .iter()
                .any(|f| f.components().count() > root.components().count() + 2),
            "no file in a nested folder was found"
        );
        let mut used = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for marker in ["t.s(\"", "t.f(\"", "msg(\""] {
                for part in text.split(marker).skip(1) {
                    if let Some(end) = part.find('"') {
                        used.push(part[..end].to_string());
                    }
                }
            }
        }
        assert!(used.len() > 30, "found only {} keys", used.len());
        let missing: Vec<_> = used.iter().filter(|k| !has_key(k)).collect();
        assert!(missing.is_empty(), "missing messages: {missing:?}");
    }

    /// A message with a `{placeholder}` shown through `t.s(…)` would show the braces to the
    /// reader: such messages must go through `t.f(…)`.
    #[test]
    fn messages_with_placeholders_are_filled_where_used() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        walk(&root.join("templates"), &mut files);
        walk(&root.join("src"), &mut files);
        let mut unfilled = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for part in text.split("t.s(\"").skip(1) {
                let Some(end) = part.find('"') else { continue };
                let key = &part[..end];
                for lang in Lang::ALL {
                    if has_key(key) && !placeholders(Tr::new(lang).s(key)).is_empty() {
                        unfilled.push(format!("{} uses {key} ({lang:?}) unfilled", file.display()));
                    }
                }
            }
        }
        assert!(unfilled.is_empty(), "{unfilled:#?}");
    }

    #[test]
    fn placeholders_are_filled() {
        let t = Tr::new(Lang::En);
        assert_eq!(t.f("audit.total", &[("n", "3")]), "3 events");
        assert_eq!(Tr::new(Lang::Zh).f("audit.total", &[("n", "3")]), "共 3 条");
    }
}
