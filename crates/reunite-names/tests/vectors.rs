//! Tests against the external vectors in ../shared/testdata/names/ (written by others).

use reunite_names::{Level, PreparedName, System, compare, romanize_name, romanize_text};
use unicode_normalization::UnicodeNormalization;

/// Canonical equivalence: the vectors mix precomposed and combining breves.
fn nfc(s: &str) -> String {
    s.nfc().collect()
}

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/names/"
);

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn ala_lc_names_at_least_95_percent() {
    let data = read("ala-lc-korean-names.csv");
    let (mut ok, mut total) = (0, 0);
    let mut misses = Vec::new();
    for line in data.lines().skip(1) {
        let Some((h, want)) = line.trim_end().split_once(',') else {
            continue;
        };
        total += 1;
        let got = romanize_name(h, System::Mr).unwrap_or_default();
        if nfc(&got) == nfc(want) {
            ok += 1;
        } else {
            misses.push(format!("{h}\t{want}\t{got}"));
        }
    }
    let pct = 100.0 * ok as f64 / total as f64;
    println!("ALA-LC: {ok}/{total} = {pct:.1}%\n{}", misses.join("\n"));
    assert!(total > 400);
    assert!(pct >= 95.0, "ALA-LC {pct:.1}%");
}

#[test]
fn rr_words_at_least_95_percent() {
    let data = read("rr-romanize-es-hangul.tsv");
    let (mut ok, mut total) = (0, 0);
    let mut misses = Vec::new();
    for line in data.lines().skip(1) {
        let Some((h, want)) = line.trim_end_matches(['\r', '\n']).split_once('\t') else {
            continue;
        };
        total += 1;
        let got = romanize_text(h, System::Rr);
        if got == want {
            ok += 1;
        } else {
            misses.push(format!("{h}\t{want}\t{got}"));
        }
    }
    let pct = 100.0 * ok as f64 / total as f64;
    println!("RR: {ok}/{total} = {pct:.1}%\n{}", misses.join("\n"));
    assert!(total >= 40);
    assert!(pct >= 95.0, "RR {pct:.1}%");
}

struct Person {
    id: String,
    variants: Vec<String>,
    native: Vec<String>,
    distinct: Vec<String>,
}

fn people() -> Vec<Person> {
    let data = read("cross-script-people.tsv");
    data.lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            if c.len() < 7 {
                return None;
            }
            let split = |s: &str| -> Vec<String> {
                s.split('|')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(String::from)
                    .collect()
            };
            let native: Vec<String> = split(c[1]).into_iter().chain(split(c[2])).collect();
            let variants = native
                .iter()
                .cloned()
                .chain(split(c[3]))
                .chain(split(c[4]))
                .collect();
            Some(Person {
                id: c[0].to_string(),
                variants,
                native,
                distinct: split(c[6]),
            })
        })
        .collect()
}

/// Variants the file itself marks as not recoverable by name matching (a legal rename):
/// 태구민 for 태영호 (P38 notes: "pseudonym and legal rename are NOT recoverable").
const RENAMES: &[&str] = &["태구민"];

#[test]
fn cross_script_variants_are_same_or_likely_same() {
    let ps = people();
    assert!(ps.len() >= 30);
    let mut pairs = 0;
    let mut failures = Vec::new();
    let mut by_level = std::collections::BTreeMap::new();
    for p in &ps {
        let prepared: Vec<(String, PreparedName)> = p
            .variants
            .iter()
            .map(|v| (v.clone(), PreparedName::new(v)))
            .collect();
        for (i, (va, a)) in prepared.iter().enumerate() {
            for (vb, b) in &prepared[i + 1..] {
                if RENAMES.contains(&va.as_str()) || RENAMES.contains(&vb.as_str()) {
                    continue;
                }
                pairs += 1;
                let c = compare(a, b);
                *by_level.entry(c.level).or_insert(0) += 1;
                if !c.level.is_likely_same() {
                    failures.push(format!(
                        "{} {va} ~ {vb}: {} {:.2}",
                        p.id, c.level, c.similarity
                    ));
                }
            }
        }
    }
    println!(
        "{pairs} pairs; levels {by_level:?}\n{}",
        failures.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} of {pairs} pairs below likely-same",
        failures.len()
    );
}

#[test]
fn renames_are_not_matched() {
    let a = PreparedName::new("태영호");
    let b = PreparedName::new("태구민");
    assert!(compare(&a, &b).level <= Level::SurnameOnly);
}

#[test]
fn distinct_people_score_below_true_variants() {
    let ps = people();
    let mut checked = 0;
    for p in &ps {
        for d in &p.distinct {
            let Some(q) = ps.iter().find(|q| &q.id == d) else {
                continue;
            };
            let own: Vec<PreparedName> = p.native.iter().map(|v| PreparedName::new(v)).collect();
            let other: Vec<PreparedName> = q.native.iter().map(|v| PreparedName::new(v)).collect();
            let mut min_true = f32::MAX;
            for (i, a) in own.iter().enumerate() {
                for b in &own[i + 1..] {
                    min_true = min_true.min(compare(a, b).similarity);
                }
            }
            let mut max_false = 0.0f32;
            for a in &own {
                for b in &other {
                    max_false = max_false.max(compare(a, b).similarity);
                }
            }
            println!(
                "{} vs {}: max distinct {max_false:.3} < min true {min_true:.3}",
                p.id, q.id
            );
            assert!(max_false < min_true, "{} vs {}", p.id, q.id);
            checked += 1;
        }
    }
    assert!(checked >= 2);
}

#[test]
fn true_variants_share_a_blocking_key() {
    let mut misses = Vec::new();
    for p in people() {
        let prepared: Vec<(String, PreparedName)> = p
            .variants
            .iter()
            .map(|v| (v.clone(), PreparedName::new(v)))
            .collect();
        for (i, (va, a)) in prepared.iter().enumerate() {
            for (vb, b) in &prepared[i + 1..] {
                if RENAMES.contains(&va.as_str()) || RENAMES.contains(&vb.as_str()) {
                    continue;
                }
                if !a
                    .blocking_keys()
                    .iter()
                    .any(|k| b.blocking_keys().contains(k))
                {
                    misses.push(format!("{} {va} ~ {vb}", p.id));
                }
            }
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
}

#[test]
fn cross_script_variants_share_a_reading_key() {
    let ps = people();
    let mut pairs = 0;
    let mut shared = 0;
    let mut misses = Vec::new();
    // Reading keys are whole-name keys: rows that are a surname alone (S01 김 …) have none.
    for p in ps
        .iter()
        .filter(|p| p.native.first().is_some_and(|n| n.chars().count() > 1))
    {
        let prepared: Vec<(String, PreparedName)> = p
            .variants
            .iter()
            .filter(|v| !RENAMES.contains(&v.as_str()))
            .map(|v| (v.clone(), PreparedName::new(v)))
            .collect();
        for (i, (va, a)) in prepared.iter().enumerate() {
            for (vb, b) in &prepared[i + 1..] {
                pairs += 1;
                if a.reading_keys()
                    .iter()
                    .any(|k| b.reading_keys().contains(k))
                {
                    shared += 1;
                } else {
                    misses.push(format!("{} {va} ~ {vb}", p.id));
                }
            }
        }
    }
    let pct = 100.0 * shared as f64 / pairs as f64;
    println!(
        "reading keys shared: {shared}/{pairs} = {pct:.1}%\n{}",
        misses.join("\n")
    );
    assert!(pairs >= 300);
    assert!(pct >= 85.0, "{pct:.1}%");
}
