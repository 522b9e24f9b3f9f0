//! End-to-end tests of `reunite import cases` and `reunite export cases` on the built
//! binary, with a real data directory.
use reunite_domain::Case;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_reunite"))
        .args(args)
        .env_remove("REUNITE_MASTER_KEY_FILE")
        .env_remove("REUNITE_DATABASE_URL")
        .output()
        .expect("run reunite");
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn temp(name: &str) -> PathBuf {
    let t = reunite_crypto::random_token();
    let tail: String = t
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(10)
        .collect();
    std::env::temp_dir().join(format!("reunite-cli-cases-{name}-{tail}"))
}

fn init() -> PathBuf {
    let dir = temp("data");
    let o = run(&["init", "--data", dir.to_str().unwrap()]);
    assert!(o.ok, "{}", o.stderr);
    dir
}

fn write_lines(path: &Path, cases: &[Case]) {
    let text: String = cases
        .iter()
        .map(|c| serde_json::to_string(c).unwrap() + "\n")
        .collect();
    std::fs::write(path, text).unwrap();
}

fn export(dir: &Path) -> Vec<Case> {
    let o = run(&["export", "cases", "--data", dir.to_str().unwrap()]);
    assert!(o.ok, "{}", o.stderr);
    o.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn an_invalid_file_imports_nothing_and_says_where_every_problem_is() {
    let dir = init();
    let file = temp("bad.jsonl");
    let lines = [
        r#"{"id": "c-1", "mother": {"names": [{"text": "리영자"}, {"text": "李英子", "kind": "alias"}]}}"#,
        r#"{"id": "c-2", "mother": {"names": [{"text": "김순희"}], "birth": {"year": 1979, "month": 13}}}"#,
        r#"{"id": "c-3", "mother": {"names": [{"text": "박"}]}, "fathr": {}}"#,
        r#"{"id": "c-1", "mother": {"names": [{"text": "최"}]}}"#,
        r#"{"id": "c-5", "mother": {"names": [{"text": "한미숙"}]}, "children": [{"names": [{"text": "王丽"}], "birth": {"year": 2003, "month": 2, "day": 30}}]}"#,
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let d = dir.to_str().unwrap();
    let o = run(&["import", "cases", file.to_str().unwrap(), "--data", d]);
    assert!(!o.ok);
    for want in [
        "line 2: mother.birth.month: month must be 1 to 12",
        "line 3: fathr: unknown field `fathr`",
        "line 4: id: the same id is on line 1",
        "line 5: children[0].birth.day: day does not exist in that month",
        "nothing was imported",
    ] {
        assert!(o.stderr.contains(want), "missing {want:?} in\n{}", o.stderr);
    }
    assert!(export(&dir).is_empty());
    // --skip-invalid imports the valid lines and lists the others.
    let o = run(&[
        "import",
        "cases",
        file.to_str().unwrap(),
        "--data",
        d,
        "--skip-invalid",
    ]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr.contains("skipped 4 invalid line(s): 2, 3, 4, 5"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.contains("Imported 1 case(s)."), "{}", o.stdout);
    let got = export(&dir);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].mother.names[1].text, "李英子");
    // The same file again: c-1 is now registered, so the line is refused.
    let o = run(&["import", "cases", file.to_str().unwrap(), "--data", d]);
    assert!(!o.ok);
    assert!(
        o.stderr
            .contains("line 1: id: a case with this id is already registered"),
        "{}",
        o.stderr
    );
    let o = run(&["audit", "verify", "--data", d]);
    assert!(o.ok, "{}{}", o.stdout, o.stderr);
}

#[test]
fn export_then_import_round_trips_to_the_same_records() {
    let a = init();
    let cases: Vec<Case> = (1..=120)
        .map(|i| reunite_domain::fictional::case(99, i, "c-"))
        .collect();
    let file = temp("cases.jsonl");
    write_lines(&file, &cases);
    let o = run(&[
        "import",
        "cases",
        file.to_str().unwrap(),
        "--data",
        a.to_str().unwrap(),
    ]);
    assert!(o.ok, "{}", o.stderr);
    assert!(o.stdout.contains("Imported 120 case(s)."), "{}", o.stdout);
    let out = temp("export.jsonl");
    let o = run(&[
        "export",
        "cases",
        "--data",
        a.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.ok, "{}", o.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the export is readable by others: {mode:o}"
        );
    }
    let exported: Vec<Case> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut want = cases.clone();
    want.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(exported, want);
    // Into a second installation and out again: byte for byte the same file.
    let b = init();
    let o = run(&[
        "import",
        "cases",
        out.to_str().unwrap(),
        "--data",
        b.to_str().unwrap(),
    ]);
    assert!(o.ok, "{}", o.stderr);
    let again = run(&["export", "cases", "--data", b.to_str().unwrap()]);
    assert_eq!(again.stdout, std::fs::read_to_string(&out).unwrap());
    // An export never overwrites a file.
    let o = run(&[
        "export",
        "cases",
        "--data",
        a.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.ok);
    assert!(o.stderr.contains("never overwrites"), "{}", o.stderr);
}
