//! The external vectors of `shared/testdata/kinship-vectors.md`, each test citing its vector.
//! Tolerances follow the file: relative 1e-9 for closed forms, 1e-6 for values printed with
//! about ten significant digits.
mod common;

use common::*;
use reunite_kinship::*;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/kinship-vectors.md"
);

/// V1: single-locus maternity duo (mother MO, child CH, father untyped), θ = 0, 0.01, 0.03;
/// Familias column, checked both by the κ closed form and by the pedigree engine.
#[test]
fn v1_maternity_duo_with_theta() {
    let rows: &[(&str, &str, f64, f64)] = &[
        ("10/10", "10/10", 0.0, 10.0),
        ("10/11", "10/10", 0.0, 5.0),
        ("10/10", "10/11", 0.0, 5.0),
        ("10/11", "10/11", 0.0, 3.75),
        ("10/12", "10/11", 0.0, 2.5),
        ("11/11", "10/11", 0.0, 2.5),
        ("12/13", "10/11", 0.0, 0.0),
        ("10/10", "10/10", 0.01, 7.906976744),
        ("10/11", "10/10", 0.01, 4.285714286),
        ("10/10", "10/11", 0.01, 4.285714286),
        ("10/11", "10/11", 0.01, 3.56541108),
        ("10/12", "10/11", 0.01, 2.339449541),
        ("11/11", "10/11", 0.01, 2.339449541),
        ("12/13", "10/11", 0.01, 0.0),
        ("10/10", "10/10", 0.03, 5.668449198),
        ("10/11", "10/10", 0.03, 3.375796178),
        ("10/10", "10/11", 0.03, 3.375796178),
        ("10/11", "10/11", 0.03, 3.269649888),
        ("10/12", "10/11", 0.03, 2.086614173),
        ("11/11", "10/11", 0.03, 2.086614173),
        ("12/13", "10/11", 0.03, 0.0),
    ];
    let t = v1_table();
    for &(mo, ch, theta, expected) in rows {
        let p = profiles(&[("MO", mo), ("CH", ch)]);
        let o = LrOptions {
            theta,
            ..LrOptions::default()
        };
        let what = format!("V1 MO {mo} CH {ch} θ {theta}");
        let pairwise = lr(
            &t,
            &p,
            &Hypothesis::pairwise(Relation::ParentChild, "MO", "CH"),
            &o,
        );
        close(pairwise, expected, 1e-9, &what);
        let engine = lr(&t, &p, &ped("FA+MO>CH"), &o);
        close(engine, expected, 1e-9, &format!("{what} (pedigree)"));
    }
}

/// V1: the θ closed forms themselves (Balding–Nichols), to 1e-9 relative.
#[test]
fn v1_theta_closed_forms() {
    let t = v1_table();
    let (pa, pb) = (0.1, 0.2);
    for theta in [0.01, 0.03, 0.1] {
        let gf = |k: f64, p: f64| k * theta + (1.0 - theta) * p;
        let o = LrOptions {
            theta,
            ..LrOptions::default()
        };
        let cases: [(&str, &str, f64); 5] = [
            ("10/10", "10/10", (1.0 + 2.0 * theta) / gf(3.0, pa)),
            ("10/11", "10/10", (1.0 + 2.0 * theta) / (2.0 * gf(2.0, pa))),
            ("10/10", "10/11", (1.0 + 2.0 * theta) / (2.0 * gf(2.0, pa))),
            (
                "10/11",
                "10/11",
                (1.0 + 2.0 * theta) * (2.0 * theta + (1.0 - theta) * (pa + pb))
                    / (4.0 * gf(1.0, pa) * gf(1.0, pb)),
            ),
            ("10/12", "10/11", (1.0 + 2.0 * theta) / (4.0 * gf(1.0, pa))),
        ];
        for (mo, ch, expected) in cases {
            let p = profiles(&[("MO", mo), ("CH", ch)]);
            let v = lr(&t, &p, &ped("FA+MO>CH"), &o);
            close(
                v,
                expected,
                1e-9,
                &format!("V1 closed form MO {mo} CH {ch} θ {theta}"),
            );
        }
    }
}

fn v2_relation(name: &str) -> Relation {
    match name {
        "parent" => Relation::ParentChild,
        "fullsib" => Relation::FullSiblings,
        "maternal_halfsib" => Relation::HalfSiblings,
        "grandmother" => Relation::Grandparent,
        "aunt" => Relation::AuntUncle,
        "first_cousin" => Relation::FirstCousins,
        other => panic!("unknown relation {other}"),
    }
}

/// V2: pairwise relationship LR vs unrelated (X typed relative, CH child), by κ and by the
/// equivalent pedigree.
#[test]
fn v2_pairwise_relationships() {
    let rows: &[(&str, &str, &str, f64)] = &[
        ("parent", "10/11", "10/11", 3.75),
        ("parent", "10/10", "10/11", 5.0),
        ("parent", "10/11", "12/13", 0.0),
        ("parent", "12/12", "12/12", 3.333333333),
        ("parent", "10/12", "11/13", 0.0),
        ("fullsib", "10/11", "10/11", 8.375),
        ("fullsib", "10/10", "10/11", 2.75),
        ("fullsib", "10/11", "12/13", 0.25),
        ("fullsib", "12/12", "12/12", 4.694444444),
        ("fullsib", "10/12", "11/13", 0.25),
        ("maternal_halfsib", "10/11", "10/11", 2.375),
        ("maternal_halfsib", "10/10", "10/11", 3.0),
        ("maternal_halfsib", "10/11", "12/13", 0.5),
        ("maternal_halfsib", "12/12", "12/12", 2.166666667),
        ("maternal_halfsib", "10/12", "11/13", 0.5),
        ("grandmother", "10/11", "10/11", 2.375),
        ("grandmother", "10/10", "10/11", 3.0),
        ("grandmother", "10/11", "12/13", 0.5),
        ("grandmother", "12/12", "12/12", 2.166666667),
        ("grandmother", "10/12", "11/13", 0.5),
        ("aunt", "10/11", "10/11", 2.375),
        ("aunt", "10/10", "10/11", 3.0),
        ("aunt", "10/11", "12/13", 0.5),
        ("aunt", "12/12", "12/12", 2.166666667),
        ("aunt", "10/12", "11/13", 0.5),
        ("first_cousin", "10/11", "10/11", 1.6875),
        ("first_cousin", "10/10", "10/11", 2.0),
        ("first_cousin", "10/11", "12/13", 0.75),
        ("first_cousin", "12/12", "12/12", 1.583333333),
        ("first_cousin", "10/12", "11/13", 0.75),
    ];
    let t = v1_table();
    let o = LrOptions::default();
    for &(rel, x, ch, expected) in rows {
        let r = v2_relation(rel);
        let p = profiles(&[("X", x), ("CH", ch)]);
        let what = format!("V2 {rel} X {x} CH {ch}");
        close(
            lr(&t, &p, &Hypothesis::pairwise(r, "X", "CH"), &o),
            expected,
            1e-9,
            &what,
        );
        let pedigree = Hypothesis::Pedigree(r.pedigree("X", "CH", Sex::Female).unwrap());
        close(
            lr(&t, &p, &pedigree, &o),
            expected,
            1e-9,
            &format!("{what} (pedigree)"),
        );
    }
}

/// V3: child vs both maternal grandparents, mother and father untyped.
#[test]
fn v3_child_vs_maternal_grandparents() {
    let rows: &[(&str, &str, &str, f64)] = &[
        ("10/11", "12/13", "10/12", 1.666666667),
        ("10/11", "12/13", "10/10", 2.5),
        ("10/11", "10/12", "10/13", 2.5),
        ("10/10", "10/10", "10/10", 10.0),
        ("11/11", "12/13", "10/13", 0.3125),
        ("11/11", "12/13", "10/11", 1.25),
    ];
    let t = v1_table();
    let h = ped("GF+GM>MO; FA+MO>CH");
    for &(gf, gm, ch, expected) in rows {
        let p = profiles(&[("GF", gf), ("GM", gm), ("CH", ch)]);
        close(
            lr(&t, &p, &h, &LrOptions::default()),
            expected,
            1e-9,
            &format!("V3 GF {gf} GM {gm} CH {ch}"),
        );
    }
    // Hand check of row 1: (p10 + p12) / (8 p10 p12).
    let p = profiles(&[("GF", "10/11"), ("GM", "12/13"), ("CH", "10/12")]);
    close(
        lr(&t, &p, &h, &LrOptions::default()),
        0.4 / (8.0 * 0.1 * 0.3),
        1e-12,
        "V3 hand check",
    );
    // The issue's own spelling, "GF+GM>MO; MO+FA>CH", is the same pedigree without mutation.
    close(
        lr(&t, &p, &ped("GF+GM>MO; MO+FA>CH"), &LrOptions::default()),
        0.4 / 0.24,
        1e-12,
        "V3 issue spelling",
    );
}

fn v4_table() -> FrequencyTable {
    table(&[
        ("9", 0.05),
        ("10", 0.10),
        ("11", 0.20),
        ("12", 0.30),
        ("13", 0.20),
        ("14", 0.10),
        ("15", 0.05),
    ])
}

/// V4: mutation models on a mother–child duo with a Mendelian inconsistency, both untyped
/// founder conventions (father kept: p·M; father pruned: p).
#[test]
fn v4_mutation_models() {
    // (mother, child, model, rate, LR founder kept, LR founder pruned)
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        f64,
        f64,
        Option<f64>,
    );
    let rows: &[Row] = &[
        (
            "12/13",
            "11/14",
            "equal",
            0.001,
            0.001249930556,
            Some(0.00125),
        ),
        (
            "12/13",
            "11/12",
            "equal",
            0.001,
            0.8327777546,
            Some(0.8330555556),
        ),
        (
            "12/12",
            "11/11",
            "equal",
            0.001,
            0.0008330555556,
            Some(0.0008333333333),
        ),
        (
            "12/13",
            "12/14",
            "equal",
            0.001,
            0.8338880324,
            Some(0.8334722222),
        ),
        (
            "12/13",
            "9/15",
            "equal",
            0.001,
            0.003340555556,
            Some(0.003333333333),
        ),
        (
            "12/13",
            "11/14",
            "proportional",
            0.001,
            0.001242236025,
            Some(0.001242236025),
        ),
        (
            "12/13",
            "11/12",
            "proportional",
            0.001,
            0.8335403727,
            Some(0.8335403727),
        ),
        (
            "12/12",
            "11/11",
            "proportional",
            0.001,
            0.001242236025,
            Some(0.001242236025),
        ),
        (
            "12/13",
            "12/14",
            "proportional",
            0.001,
            0.8335403727,
            Some(0.8335403727),
        ),
        (
            "12/13",
            "9/15",
            "proportional",
            0.001,
            0.001242236025,
            Some(0.001242236025),
        ),
        (
            "12/13",
            "11/14",
            "stepwise",
            0.001,
            0.001863209277,
            Some(0.001862921266),
        ),
        (
            "12/13",
            "11/12",
            "stepwise",
            0.001,
            0.833481986,
            Some(0.8334965019),
        ),
        (
            "12/12",
            "11/11",
            "stepwise",
            0.001,
            0.002252213606,
            Some(0.002252252252),
        ),
        (
            "12/13",
            "12/14",
            "stepwise",
            0.001,
            0.8345356043,
            Some(0.8341202261),
        ),
        (
            "12/13",
            "9/15",
            "stepwise",
            0.001,
            0.0002734914759,
            Some(0.0002734484824),
        ),
        ("12/13", "11/14", "onestep", 0.001, 0.0018753125, None),
        ("12/13", "11/12", "onestep", 0.001, 0.8335414583, None),
        ("12/12", "11/11", "onestep", 0.001, 0.0025, None),
        ("12/13", "12/14", "onestep", 0.001, 0.8345827083, None),
        ("12/13", "9/15", "onestep", 0.001, 0.0, None),
    ];
    let t = v4_table();
    for &(mo, ch, model, rate, kept, pruned) in rows {
        let model = match model {
            "equal" => MutationModel::Equal,
            "proportional" => MutationModel::Proportional,
            "stepwise" => MutationModel::Stepwise,
            "onestep" => MutationModel::OneStep,
            other => panic!("{other}"),
        };
        let mutation = MutationSpec::new(model, rate);
        let p = profiles(&[("MO", mo), ("CH", ch)]);
        let what = format!("V4 {model:?} MO {mo} CH {ch}");
        let o = LrOptions {
            mutation,
            ..LrOptions::default()
        };
        let h = Hypothesis::pairwise(Relation::ParentChild, "MO", "CH");
        let r = likelihood_ratio(&t, &p, &h, &o).unwrap();
        close(r.lr, kept, 1e-6, &format!("{what} founder kept"));
        assert_eq!(
            r.inconsistent_loci,
            usize::from(mo.split('/').all(|a| !ch.split('/').any(|b| a == b))),
            "{what}"
        );
        if let Some(pruned) = pruned {
            let o = LrOptions {
                founders: FounderConvention::Population,
                ..o
            };
            close(
                lr(&t, &p, &h, &o),
                pruned,
                1e-6,
                &format!("{what} founder pruned"),
            );
        }
    }
    // Hand check (equal, pruned, row 1): (rate/6)(p11 + p14)/(2 p11 p14).
    let p = profiles(&[("MO", "12/13"), ("CH", "11/14")]);
    let o = LrOptions {
        mutation: MutationSpec::new(MutationModel::Equal, 0.001),
        founders: FounderConvention::Population,
        ..LrOptions::default()
    };
    close(
        lr(&t, &p, &ped("FA+MO>CH"), &o),
        0.001 / 6.0 * 0.3 / 0.04,
        1e-9,
        "V4 hand check",
    );
}

/// V5: silent allele (frequency 0.02); a single observed allele is an apparent homozygote.
#[test]
fn v5_silent_allele() {
    let t = table(&[("10", 0.1), ("11", 0.2), ("12", 0.68)]);
    let o = LrOptions {
        silent_frequency: 0.02,
        ..LrOptions::default()
    };
    let h = Hypothesis::pairwise(Relation::ParentChild, "MO", "CH");
    let (pa, pb, s) = (0.1, 0.2, 0.02);
    let r1 = s / ((pa + 2.0 * s) * (pb + 2.0 * s));
    close(
        lr(&t, &profiles(&[("MO", "10"), ("CH", "11")]), &h, &o),
        0.5952380952,
        1e-9,
        "V5 row 1 printed",
    );
    close(
        lr(&t, &profiles(&[("MO", "10"), ("CH", "11")]), &h, &o),
        r1,
        1e-12,
        "V5 row 1 closed form",
    );
    let r2 =
        (pa * pa * (pa + s) + 2.0 * pa * s * (pa + s / 2.0)) / (pa * pa + 2.0 * pa * s).powi(2);
    close(
        lr(&t, &profiles(&[("MO", "10"), ("CH", "10")]), &h, &o),
        8.367346939,
        1e-9,
        "V5 row 2 printed",
    );
    close(
        lr(&t, &profiles(&[("MO", "10"), ("CH", "10")]), &h, &o),
        r2,
        1e-12,
        "V5 row 2 closed form",
    );
    let t3 = table(&[("10", 0.1), ("11", 0.2), ("12", 0.7)]);
    close(
        lr(
            &t3,
            &profiles(&[("MO", "10/10"), ("CH", "10/10")]),
            &h,
            &LrOptions::default(),
        ),
        10.0,
        1e-12,
        "V5 row 3",
    );
    // Without a silent allele the opposite homozygotes exclude.
    assert_eq!(
        lr(
            &t3,
            &profiles(&[("MO", "10"), ("CH", "11")]),
            &h,
            &LrOptions::default()
        ),
        0.0
    );
}

/// The `NorwegianFrequencies` of Appendix A, read from the shared vectors file (GPL data,
/// so it is read at test time rather than copied into the repository).
fn norwegian_frequencies() -> FrequencyTable {
    let md = std::fs::read_to_string(VECTORS)
        .expect("shared/testdata/kinship-vectors.md beside the repository");
    let appendix = &md[md.find("## Appendix A").expect("Appendix A")..];
    let mut entries = Vec::new();
    for line in appendix.lines().filter(|l| l.starts_with("- `")) {
        let (name, rest) = line[3..].split_once("`:").expect("marker line");
        for item in rest.split_whitespace() {
            let (a, p) = item.split_once('=').expect("allele=freq");
            entries.push((
                name.to_string(),
                Allele::parse(a).unwrap(),
                p.parse::<f64>().unwrap(),
            ));
        }
    }
    FrequencyTable::from_entries(entries.iter().map(|(m, a, p)| (m.as_str(), *a, *p))).unwrap()
}

/// V8: pedFamilias `paternity.fam` (README 760.3445): AF father of CH, mother untyped,
/// extended stepwise, male 0.002, female 0.001, range 0.1, rate2 1e-6.
#[test]
fn v8_pedfamilias_paternity() {
    let t = norwegian_frequencies();
    let rows: &[(&str, &str, &str, f64, f64)] = &[
        ("D3S1358", "17/17", "16/17", 2.447259, 2.450403),
        ("TH01", "6/9", "6/9.3", 1.161000, 1.164481),
        ("D21S11", "28/30", "28/28", 2.964810, 2.971168),
        ("D18S51", "13/16", "15/16", 2.147884, 2.150351),
        ("PENTA_E", "12/13", "12/12", 3.162458, 3.167324),
        ("D5S818", "11/12", "12/13", 0.711214, 0.710211),
        ("D13S317", "11/13", "11/13", 3.188668, 3.194983),
        ("D7S820", "7/11", "11/11", 2.378806, 2.383833),
        ("D16S539", "10/11", "11/11", 1.628903, 1.631429),
        ("CSF1PO", "10/12", "12/12", 1.512173, 1.515745),
    ];
    let mut af = Profile::new("AF");
    let mut ch = Profile::new("CH");
    for &(m, a, c, _, _) in rows {
        af = af.with(m, g(a));
        ch = ch.with(m, g(c));
    }
    let mut set = ProfileSet::new();
    set.insert(af);
    set.insert(ch);
    let h = ped("AF+MO>CH");
    let mutation = MutationSpec {
        model: MutationModel::Stepwise,
        rate_female: 0.001,
        rate_male: 0.002,
        range: 0.1,
        rate2: 1e-6,
    };
    let o = LrOptions {
        mutation,
        ..LrOptions::default()
    };
    let with = likelihood_ratio(&t, &set, &h, &o).unwrap();
    let without = likelihood_ratio(&t, &set, &h, &LrOptions::default()).unwrap();
    for &(m, _, _, lr_mut, lr_plain) in rows {
        let name = t.locus(&Marker::new(m)).unwrap().name.clone();
        let got = |r: &LrReport| r.loci.iter().find(|l| l.marker == name).unwrap().lr;
        close(got(&with), lr_mut, 1e-6, &format!("V8 {m} with mutation"));
        close(
            got(&without),
            lr_plain,
            1e-6,
            &format!("V8 {m} without mutation"),
        );
    }
    close(with.lr, 760.3444856, 1e-8, "V8 total with mutation");
    close(without.lr, 772.3693466, 1e-8, "V8 total without mutation");
    assert_eq!(with.inconsistent_loci, 0);
    // The note: p (not p·M_female) for the untyped mother gives 762.30.
    let pruned = LrOptions {
        founders: FounderConvention::Population,
        ..o
    };
    close(lr(&t, &set, &h, &pruned), 762.30, 1e-5, "V8 mother pruned");
}

/// V11: forrel `test-kinshipLR.R` paternity (AF A/A, CH A/A, mother untyped) and `quickLR`.
#[test]
fn v11_forrel_kinship_lr() {
    let t = FrequencyTable::from_entries([
        ("M1", Allele::parse("1").unwrap(), 0.05),
        ("M1", Allele::parse("2").unwrap(), 0.95),
        ("M2", Allele::parse("1").unwrap(), 0.1),
        ("M2", Allele::parse("2").unwrap(), 0.9),
    ])
    .unwrap();
    let mut set = ProfileSet::new();
    set.insert(Profile::new("AF").with("M1", g("1/1")).with("M2", g("1/1")));
    set.insert(Profile::new("CH").with("M1", g("1/1")).with("M2", g("1/1")));
    let r = likelihood_ratio(&t, &set, &ped("AF+MO>CH"), &LrOptions::default()).unwrap();
    close(r.loci[0].lr, 20.0, 1e-12, "V11 M1");
    close(r.loci[1].lr, 10.0, 1e-12, "V11 M2");
    close(r.lr, 200.0, 1e-12, "V11 both markers");
    close(r.log10_lr, 200f64.log10(), 1e-12, "V11 log10");
    // quickLR: AF 1/1, CH 1/1, p1 = 0.1 → 10.
    let t = table(&[("1", 0.1), ("2", 0.9)]);
    let p = profiles(&[("AF", "1/1"), ("CH", "1/1")]);
    close(
        lr(
            &t,
            &p,
            &Hypothesis::pairwise(Relation::ParentChild, "AF", "CH"),
            &LrOptions::default(),
        ),
        10.0,
        1e-12,
        "V11 quickLR",
    );
    // An infinite LR has posterior 1.
    assert_eq!(posterior_probability(f64::INFINITY, 0.5), 1.0);
    assert!(posterior_probability(f64::NAN, 0.5).is_nan());
}

/// V11: dvir `test-synthetic.R` / `example2` (pairwise LRs with the missing persons).
#[test]
fn v11_dvir() {
    let t = table(&[("1", 0.1), ("2", 0.9)]);
    let h = ped("F+M>V");
    let o = LrOptions::default();
    close(
        lr(
            &t,
            &profiles(&[("F", "1/2"), ("M", "1/2"), ("V", "1/1")]),
            &h,
            &o,
        ),
        25.0,
        1e-12,
        "V11 dvir V=1/1",
    );
    close(
        lr(
            &t,
            &profiles(&[("F", "1/2"), ("M", "1/2"), ("V", "2/2")]),
            &h,
            &o,
        ),
        1.0 / (4.0 * 0.81),
        1e-9,
        "V11 dvir V=2/2",
    );
    assert_eq!(
        lr(
            &t,
            &profiles(&[("F", "1/1"), ("M", "1/1"), ("V", "2/2")]),
            &h,
            &o
        ),
        0.0
    );
    // example2: ten alleles of frequency 0.1; R1 2/2 is the mother of M2, R2 3/3 the father of M3.
    let ten: Vec<(String, f64)> = (1..=10).map(|i| (i.to_string(), 0.1)).collect();
    let ten: Vec<(&str, f64)> = ten.iter().map(|(a, p)| (a.as_str(), *p)).collect();
    let t = table(&ten);
    close(
        lr(
            &t,
            &profiles(&[("R1", "2/2"), ("V1", "1/1")]),
            &ped("V1+R1>M2"),
            &o,
        ),
        1.0,
        1e-12,
        "V1=M1",
    );
    close(
        lr(
            &t,
            &profiles(&[("R1", "2/2"), ("V1", "1/1")]),
            &ped("M1+R1>V1"),
            &o,
        ),
        0.0,
        0.0,
        "V1=M2",
    );
    close(
        lr(
            &t,
            &profiles(&[("R1", "2/2"), ("V2", "1/2")]),
            &ped("V2+R1>M2"),
            &o,
        ),
        1.0,
        1e-12,
        "V2=M1",
    );
    close(
        lr(
            &t,
            &profiles(&[("R1", "2/2"), ("V2", "1/2")]),
            &ped("M1+R1>V2"),
            &o,
        ),
        5.0,
        1e-12,
        "V2=M2",
    );
    close(
        lr(
            &t,
            &profiles(&[("R2", "3/3"), ("V3", "3/4")]),
            &ped("R2+MO2>V3"),
            &o,
        ),
        5.0,
        1e-12,
        "V3=M3",
    );
}
