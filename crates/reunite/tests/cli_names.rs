//! End-to-end tests of `reunite names …` on the built binary.
use std::process::Command;

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reunite"))
        .args(args)
        .output()
        .expect("run reunite");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn readings_lists_korean_and_mandarin() {
    let (ok, out) = run(&["names", "readings", "朴英子"]);
    assert!(ok);
    assert!(out.contains("박"), "{out}");
    assert!(out.contains("piao"), "{out}");
    let (ok, out) = run(&["names", "readings", "--json", "리영자"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0][0]["korean"][0], "이");
}

#[test]
fn romanize_in_three_systems() {
    let r = |a: &[&str]| run(a).1.trim().to_string();
    assert_eq!(
        r(&["names", "romanize", "김정일", "--system", "nk"]),
        "Kim Jong Il"
    );
    assert_eq!(
        r(&["names", "romanize", "鄭一亨", "--system", "mr"]),
        "Chŏng Ir-hyŏng"
    );
    assert_eq!(
        r(&["names", "romanize", "김정아", "--system", "rr"]),
        "Gim Jeong-a"
    );
    assert_eq!(
        r(&["names", "romanize", "종로", "--system", "rr", "--words"]),
        "jongno"
    );
    assert!(!run(&["names", "romanize", "김정일", "--system", "xx"]).0);
}

#[test]
fn compare_json_has_level_similarity_and_explain() {
    let (ok, out) = run(&["names", "compare", "리영자", "Lee Young-ja", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["level"], "same_reading");
    let s = v["similarity"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&s));
    assert_eq!(v["explain"].as_array().unwrap().len(), 3);
    let (ok, out) = run(&["names", "compare", "김정일", "박영수"]);
    assert!(ok);
    assert!(out.starts_with("different"), "{out}");
}
