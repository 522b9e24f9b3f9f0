//! End-to-end tests of `reunite link` and `reunite dedupe` on small files.
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("reunite-cli-link-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reunite"))
        .args(args)
        .output()
        .expect("run reunite");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `reunite link --cases C --requests R` with more arguments.
fn link(c: &Path, r: &Path, more: &[&str]) -> (bool, String, String) {
    let mut args = vec![
        "link",
        "--cases",
        c.to_str().unwrap(),
        "--requests",
        r.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    run(&args)
}

fn write(p: &Path, lines: &[&str]) {
    std::fs::write(p, lines.join("\n") + "\n").unwrap();
}

const CASES: &[&str] = &[
    r#"{"id":"c-1","mother":{"names":[{"text":"리영자","kind":"birth"},{"text":"金英子","kind":"alias"}],"sex":"f","birth":{"year":1979,"month":3},"birthplace":{"text":"함경북도 회령시","country":"KP"}},"children":[{"names":[{"text":"王明"}],"sex":"m","birth":{"year":2004,"month":6,"day":12}}],"father":{"names":[{"text":"王建国"}]},"separation":{"date":{"year":2011}},"residence_cn":{"text":"흑룡강성 밀산시","country":"CN"}}"#,
    r#"{"id":"c-2","mother":{"names":[{"text":"박순옥"}],"sex":"f","birth":{"year":1970}},"children":[{"names":[{"text":"张丽"}],"sex":"f","birth":{"year":1995}}],"residence_cn":{"text":"延吉"}}"#,
    r#"{"id":"c-3","mother":{"names":[{"text":"최미화"}],"birth":{"year":1985}},"children":[{"names":[{"text":"刘强"}],"birth":{"year":2008}}],"residence_cn":{"text":"Dandong"}}"#,
    r#"{"id":"c-4","mother":{"names":[{"text":"이영자","kind":"current"},{"text":"金英子"}],"birth":{"year":1979}},"children":[{"names":[{"text":"왕명"}],"birth":{"year":2004,"month":6,"day":12}}],"residence_cn":{"text":"Mishan"}}"#,
];

const REQUESTS: &[&str] = &[
    r#"{"id":"r-1","sought":{"names":[{"text":"Jin Yingzi"}],"birth":{"year":1980,"approx_years":3},"birthplace":{"text":"朝鲜","country":"KP"}},"seeker":{"names":[{"text":"王明"},{"text":"Wang Ming"}],"sex":"m","birth":{"year":2004,"month":6,"day":12}},"relation":"child","father":{"names":[{"text":"王建国"}]},"separation":{"date":{"year":2010,"approx_years":1}},"residence_cn":{"text":"黑龙江 密山","country":"CN"}}"#,
    r#"{"id":"r-2","sought":{"names":[{"text":"朴顺玉"}],"birth":{"year":1971,"approx_years":2}},"seeker":{"names":[{"text":"張麗"}],"sex":"f","birth":{"year":1995}},"residence_cn":{"text":"연길"}}"#,
];

#[test]
fn link_writes_best_first_with_explanations_that_add_up() {
    let d = dir("link");
    let (c, r, o) = (d.join("c.jsonl"), d.join("r.jsonl"), d.join("out.jsonl"));
    write(&c, CASES);
    write(&r, REQUESTS);
    let p = d.join("params.json");
    let (ok, _, err) = link(
        &c,
        &r,
        &[
            "--threshold",
            "0",
            "--out",
            o.to_str().unwrap(),
            "--save-params",
            p.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let out = std::fs::read_to_string(&o).unwrap();
    let recs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first_r1 = recs
        .iter()
        .find(|m| m["request"] == "r-1")
        .expect("r-1 matched");
    assert!(
        first_r1["case"] == "c-1" || first_r1["case"] == "c-4",
        "{first_r1}"
    );
    let first_r2 = recs
        .iter()
        .find(|m| m["request"] == "r-2")
        .expect("r-2 matched");
    assert_eq!(first_r2["case"], "c-2");
    // Per request, best first; the explanation adds up to the weight with the prior.
    let mut last: Option<(String, f64)> = None;
    for m in &recs {
        let w = m["match_weight"].as_f64().unwrap();
        if let Some((req, lw)) = &last
            && req == m["request"].as_str().unwrap()
        {
            assert!(w <= *lw);
        }
        last = Some((m["request"].as_str().unwrap().to_string(), w));
        let sum: f64 = m["explain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["log2_bf"].as_f64().unwrap())
            .sum();
        let prior = w - sum;
        assert!(prior < 0.0 && prior > -40.0, "prior {prior}");
        let p = m["probability"].as_f64().unwrap();
        assert!((p - 1.0 / (1.0 + (-w).exp2())).abs() < 1e-9);
    }
    // Saved parameters load again and give the same output.
    let o2 = d.join("out2.jsonl");
    let (ok, _, err) = link(
        &c,
        &r,
        &[
            "--threshold",
            "0",
            "--out",
            o2.to_str().unwrap(),
            "--params",
            p.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    // (JSON keeps the parameters to within a rounding step.)
    let again: Vec<serde_json::Value> = std::fs::read_to_string(&o2)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(again.len(), recs.len());
    for (a, b) in again.iter().zip(&recs) {
        assert_eq!(a["case"], b["case"]);
        let (x, y) = (
            a["match_weight"].as_f64().unwrap(),
            b["match_weight"].as_f64().unwrap(),
        );
        assert!((x - y).abs() < 1e-9, "{x} {y}");
    }
}

#[test]
fn threshold_and_top_limit_the_output() {
    let d = dir("top");
    let (c, r) = (d.join("c.jsonl"), d.join("r.jsonl"));
    write(&c, CASES);
    write(&r, REQUESTS);
    let (ok, out, err) = link(&c, &r, &["--threshold", "0", "--top", "1"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().filter(|l| l.contains("\"r-1\"")).count(), 1);
    let (ok, out, _) = link(&c, &r, &["--threshold", "1.0"]);
    assert!(ok);
    assert!(out.trim().is_empty(), "{out}");
}

#[test]
fn bad_lines_are_reported_with_their_line_number() {
    let d = dir("bad");
    let (c, r) = (d.join("c.jsonl"), d.join("r.jsonl"));
    let mut cases: Vec<&str> = CASES.to_vec();
    cases.insert(
        1,
        r#"{"id":"c-x","mother":{"names":[{"text":"김"}]},"colour":"red"}"#,
    );
    cases.insert(
        3,
        r#"{"id":"c-y","mother":{"names":[{"text":"김순"}],"birth":{"year":1979,"month":13}}}"#,
    );
    write(&c, &cases);
    write(&r, REQUESTS);
    let (ok, out, err) = link(&c, &r, &[]);
    assert!(ok, "{err}");
    assert!(
        err.contains("c.jsonl:2:") && err.contains("colour"),
        "{err}"
    );
    assert!(
        err.contains("c.jsonl:4:") && err.contains("mother.birth.month"),
        "{err}"
    );
    assert!(out.contains("r-1"));
    let (ok, _, _) = link(&c, &r, &["--strict"]);
    assert!(!ok);
    let (ok, _, err) = link(&d.join("missing.jsonl"), &r, &[]);
    assert!(!ok);
    assert!(err.contains("missing.jsonl"), "{err}");
}

#[test]
fn dedupe_finds_the_mother_registered_twice() {
    let d = dir("dedupe");
    let c = d.join("c.jsonl");
    write(&c, CASES);
    let (ok, out, err) = run(&[
        "dedupe",
        "--cases",
        c.to_str().unwrap(),
        "--threshold",
        "0.5",
    ]);
    assert!(ok, "{err}");
    let pairs: Vec<(String, String)> = out
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["request"].as_str().unwrap().to_string(),
                v["case"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        pairs
            .iter()
            .any(|(a, b)| (a == "c-1" && b == "c-4") || (a == "c-4" && b == "c-1")),
        "{out}"
    );
    assert!(
        !pairs.iter().any(|(a, b)| a == "c-2" || b == "c-2"),
        "{out}"
    );
}

/// One JSON object per line.
fn jsonl<T: serde::Serialize>(items: &[T]) -> String {
    items
        .iter()
        .map(|x| serde_json::to_string(x).unwrap() + "\n")
        .collect()
}

/// Two runs on the same files write the same bytes, and the two worker threads of the CLI
/// (whose chunks finish in any order) give what the library gives on one thread.
#[test]
fn link_output_is_the_same_on_every_run_and_as_the_library() {
    let d = dir("repeat");
    let (cases, requests, _) = reunite_link::generate::generate(17, 9000, 300, 0.2);
    // More than two blocks of a megabyte, so both workers take part.
    let (c, r) = (d.join("c.jsonl"), d.join("r.jsonl"));
    std::fs::write(&c, jsonl(&cases)).unwrap();
    std::fs::write(&r, jsonl(&requests)).unwrap();
    let mut outs = Vec::new();
    for i in 0..2 {
        let o = d.join(format!("out{i}.jsonl"));
        let (ok, _, err) = link(&c, &r, &["--out", o.to_str().unwrap()]);
        assert!(ok, "{err}");
        outs.push(std::fs::read_to_string(&o).unwrap());
    }
    assert_eq!(outs[0], outs[1]);
    let (lib, _, _) =
        reunite_link::batch::link(&cases, &requests, reunite_link::BatchConfig::default());
    assert!(lib.len() > 150, "{} matches", lib.len());
    assert_eq!(outs[0], jsonl(&lib));
    // Training on a sample: the CLI's first pass reads only the sampled lines (and counts
    // the others); the library reads them all. The same model, the same output.
    let o = d.join("out-sample.jsonl");
    let (ok, _, err) = link(
        &c,
        &r,
        &["--out", o.to_str().unwrap(), "--train-sample", "2000"],
    );
    assert!(ok, "{err}");
    assert!(err.contains("trained on"), "{err}");
    let cfg = reunite_link::BatchConfig {
        sample_target: 2000,
        ..Default::default()
    };
    let (lib, _, stats) = reunite_link::batch::link(&cases, &requests, cfg);
    assert!(stats.sampled < 3000, "{} sampled", stats.sampled);
    assert_eq!(std::fs::read_to_string(&o).unwrap(), jsonl(&lib));
}

/// With a training sample, bad lines inside and outside the sample are each reported once,
/// with their line number, and counted.
#[test]
fn bad_lines_are_reported_once_whether_sampled_or_not() {
    let d = dir("bad-sampled");
    let (cases, requests, _) = reunite_link::generate::generate(5, 3000, 100, 0.2);
    let mut lines: Vec<String> = cases
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    // Every 150th line is broken: 20 bad lines.
    let bad: Vec<usize> = (0..20).map(|k| 150 * k + 7).collect();
    for &i in &bad {
        lines[i] = format!("{{\"id\": \"c-bad-{i}\", \"mother\": ");
    }
    let (c, r) = (d.join("c.jsonl"), d.join("r.jsonl"));
    std::fs::write(&c, lines.join("\n") + "\n").unwrap();
    std::fs::write(&r, jsonl(&requests)).unwrap();
    // Which of the bad lines the first pass reads (the library's own sampling).
    let mut probe = reunite_link::Linker::new(
        Vec::new(),
        reunite_link::BatchConfig {
            sample_target: 300,
            ..Default::default()
        },
    );
    probe.expect_cases(lines.len());
    let sampled = bad.iter().filter(|&&i| probe.samples(i as u32)).count();
    assert!(sampled > 0 && sampled < bad.len(), "{sampled} sampled");
    let (ok, _, err) = link(&c, &r, &["--train-sample", "300"]);
    assert!(ok, "{err}");
    for &i in &bad {
        let at = format!("c.jsonl:{}:", i + 1);
        assert_eq!(err.matches(&at).count(), 1, "{at} in {err}");
    }
    assert!(err.contains("20 bad input line(s) skipped"), "{err}");
}
