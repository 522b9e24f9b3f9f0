//! End-to-end tests of `reunite kinship` on small files in a fresh temporary directory.
use std::path::PathBuf;
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("reunite-cli-kinship-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reunite"))
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const FREQS: &str = "L1\n10\t0.1\n11\t0.2\n12\t0.3\n13\t0.4\n\nL2\n9\t0.05\n10\t0.1\n11\t0.2\n12\t0.3\n13\t0.2\n14\t0.1\n15\t0.05\n";

#[test]
fn lr_pairwise_and_pedigree_json() {
    let d = dir("lr");
    let f = d.join("freqs.txt");
    let p = d.join("profiles.csv");
    std::fs::write(&f, FREQS).unwrap();
    std::fs::write(
        &p,
        "person,marker,allele1,allele2\nMO,L1,11,10\nCH,L1,10,11\nMO,L2,12,13\nCH,L2,11,14\nGF,L1,10,11\nGM,L1,12,13\nKID,L1,10,12\n",
    )
    .unwrap();
    let (f, p) = (f.to_str().unwrap(), p.to_str().unwrap());
    // V1 (3.75 at L1) × V4 equal/kept (0.001249930556 at L2).
    let v = json(&run(&[
        "kinship",
        "lr",
        "--freqs",
        f,
        "--profiles",
        p,
        "--relation",
        "parent-child",
        "--a",
        "MO",
        "--b",
        "CH",
        "--mutation",
        "equal",
        "--rate",
        "0.001",
        "--json",
    ]));
    let lr = v["lr"].as_f64().unwrap();
    let l1 = v["loci"][0]["lr"].as_f64().unwrap();
    let l2 = v["loci"][1]["lr"].as_f64().unwrap();
    // L2 is V4 row 1 (equal 0.001, untyped father kept); L1 moves slightly from V1's 3.75.
    assert!((l2 / 0.001249930556 - 1.0).abs() < 1e-6, "{v}");
    assert!((l1 - 3.75).abs() < 0.01 && l1 != 3.75, "{v}");
    assert!((lr - l1 * l2).abs() <= 1e-12 * lr);
    assert_eq!(v["inconsistent_loci"], 1);
    assert_eq!(v["loci"][1]["inconsistent"], true);
    assert!((v["log10_lr"].as_f64().unwrap() - lr.log10()).abs() < 1e-12);
    assert!((v["posterior"].as_f64().unwrap() - lr / (lr + 1.0)).abs() < 1e-12);
    // Without a mutation model L1 is V1's 3.75 and the exclusion at L2 gives 0.
    let v = json(&run(&[
        "kinship",
        "lr",
        "--freqs",
        f,
        "--profiles",
        p,
        "--relation",
        "parent-child",
        "--a",
        "MO",
        "--b",
        "CH",
        "--json",
    ]));
    assert_eq!(v["loci"][0]["lr"].as_f64().unwrap(), 3.75);
    let v = json(&run(&[
        "kinship",
        "lr",
        "--freqs",
        f,
        "--profiles",
        p,
        "--relation",
        "parent-child",
        "--a",
        "MO",
        "--b",
        "CH",
        "--json",
    ]));
    assert_eq!(v["lr"].as_f64().unwrap(), 0.0);
    // V3 row 1: child vs both maternal grandparents, mother and father untyped.
    let v = json(&run(&[
        "kinship",
        "lr",
        "--freqs",
        f,
        "--profiles",
        p,
        "--pedigree",
        "GF+GM>MOM; DAD+MOM>KID",
        "--json",
    ]));
    assert!(
        (v["lr"].as_f64().unwrap() - 1.666666667).abs() < 1e-8,
        "{v}"
    );
    // Text output mentions the LR.
    let out = run(&[
        "kinship",
        "lr",
        "--freqs",
        f,
        "--profiles",
        p,
        "--relation",
        "full-siblings",
        "--a",
        "MO",
        "--b",
        "CH",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("log10 LR"));
}

#[test]
fn malformed_lines_are_reported_with_line_numbers() {
    let d = dir("bad");
    let f = d.join("freqs.csv");
    let p = d.join("profiles.csv");
    std::fs::write(&f, "marker,allele,frequency\nL1,10,0.5\nL1,11,abc\n").unwrap();
    std::fs::write(&p, "person,marker,allele1,allele2\nMO,L1,10,OL\n").unwrap();
    let out = run(&[
        "kinship",
        "lr",
        "--freqs",
        f.to_str().unwrap(),
        "--profiles",
        p.to_str().unwrap(),
        "--relation",
        "parent-child",
        "--a",
        "MO",
        "--b",
        "CH",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");
    let out = run(&[
        "kinship",
        "lr",
        "--profiles",
        p.to_str().unwrap(),
        "--relation",
        "parent-child",
        "--a",
        "MO",
        "--b",
        "CH",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("line 2") && err.contains("off-ladder"),
        "{err}"
    );
}

#[test]
fn search_with_default_table_and_genemapper_profiles() {
    let d = dir("search");
    let p = d.join("export.txt");
    std::fs::write(
        &p,
        "Sample Name\tMarker\tAllele 1\tAllele 2\n\
         MOTHER\tTH01\t6\t9.3\nMOTHER\tvWA\t14\t17\nMOTHER\tAMEL\tX\t\n\
         CHILD\tTH01\t9.3\t9.3\nCHILD\tvWA\t17\t18\n\
         OTHER\tTH01\t7\t8\nOTHER\tvWA\t16\t16\n\
         HALF\tTH01\t6\t\nHALF\tvWA\t15\t16\n",
    )
    .unwrap();
    let v = json(&run(&[
        "kinship",
        "search",
        "--profiles",
        p.to_str().unwrap(),
        "--person",
        "MOTHER",
        "--top",
        "2",
        "--threshold",
        "2",
        "--json",
    ]));
    assert_eq!(v["searched"], 3);
    assert_eq!(v["markers_used"], 2);
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0]["person"], "CHILD");
    assert_eq!(v["above_threshold"], 1);
    assert!((v["expected_unrelated_above_threshold"].as_f64().unwrap() - 1.5).abs() < 1e-12);
    // The top hit's LR equals the pairwise command's.
    let w = json(&run(&[
        "kinship",
        "lr",
        "--profiles",
        p.to_str().unwrap(),
        "--relation",
        "parent-child",
        "--a",
        "MOTHER",
        "--b",
        "CHILD",
        "--json",
    ]));
    let (a, b) = (hits[0]["lr"].as_f64().unwrap(), w["lr"].as_f64().unwrap());
    assert!((a - b).abs() <= 1e-12 * b, "{a} vs {b}");
    let out = run(&[
        "kinship",
        "search",
        "--profiles",
        p.to_str().unwrap(),
        "--person",
        "NOBODY",
    ]);
    assert!(!out.status.success());
}
