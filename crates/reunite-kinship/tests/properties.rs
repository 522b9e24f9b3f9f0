//! Property tests of the Verify section, and search ≡ pairwise consistency.
mod common;

use proptest::prelude::*;
use reunite_kinship::*;

/// Markers of the shipped table used in the generated profiles, with their alleles.
fn markers() -> Vec<(String, Vec<String>)> {
    FrequencyTable::default_east_asia()
        .loci()
        .take(8)
        .map(|(_, l)| {
            (
                l.name.clone(),
                l.alleles.iter().map(|(a, _)| a.to_string()).collect(),
            )
        })
        .collect()
}

/// Per marker: mother allele indexes, child allele indexes (raw, possibly out of range).
fn duo() -> impl Strategy<Value = Vec<(usize, usize, usize, usize)>> {
    proptest::collection::vec((0usize..64, 0usize..64, 0usize..64, 0usize..64), 8)
}

fn options() -> impl Strategy<Value = LrOptions> {
    (
        0usize..5,
        prop_oneof![Just(0.0), Just(0.01)],
        prop_oneof![Just(0.0), Just(0.01)],
    )
        .prop_map(|(m, theta, silent)| {
            let model = [
                MutationModel::None,
                MutationModel::Equal,
                MutationModel::Proportional,
                MutationModel::Stepwise,
                MutationModel::OneStep,
            ][m];
            LrOptions {
                theta,
                silent_frequency: silent,
                mutation: MutationSpec::new(model, 0.002),
                ..LrOptions::default()
            }
        })
}

fn csv(rows: &[(String, String, String, String)]) -> String {
    let mut s = String::from("person,marker,allele1,allele2\n");
    for (p, m, a, b) in rows {
        s.push_str(&format!("{p},{m},{a},{b}\n"));
    }
    s
}

fn duo_rows(
    spec: &[(usize, usize, usize, usize)],
    swap: bool,
) -> Vec<(String, String, String, String)> {
    let ms = markers();
    let mut rows = Vec::new();
    for ((name, als), &(a, b, c, d)) in ms.iter().zip(spec) {
        let pick = |i: usize| als[i % als.len()].clone();
        let (a, b, c, d) = (pick(a), pick(b), pick(c), pick(d));
        let (a, b, c, d) = if swap { (b, a, d, c) } else { (a, b, c, d) };
        rows.push(("MO".into(), name.clone(), a, b));
        rows.push(("CH".into(), name.clone(), c, d));
    }
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The LR of a duo is unchanged by swapping the allele order in the input.
    #[test]
    fn duo_lr_ignores_allele_order(spec in duo(), o in options()) {
        let t = FrequencyTable::default_east_asia();
        let h = Hypothesis::pairwise(Relation::ParentChild, "MO", "CH");
        let x = likelihood_ratio(&t, &ProfileSet::parse_csv(&csv(&duo_rows(&spec, false))).unwrap(), &h, &o).unwrap();
        let y = likelihood_ratio(&t, &ProfileSet::parse_csv(&csv(&duo_rows(&spec, true))).unwrap(), &h, &o).unwrap();
        prop_assert_eq!(x.lr, y.lr);
        prop_assert_eq!(x.inconsistent_loci, y.inconsistent_loci);
    }

    /// Without a mutation model, a locus where mother and child share no allele gives 0.
    #[test]
    fn exclusion_without_mutation_is_zero(spec in duo(), theta in prop_oneof![Just(0.0), Just(0.02)]) {
        let t = FrequencyTable::default_east_asia();
        let ms = markers();
        let (name, als) = &ms[0];
        // Force disjoint genotypes at the first marker.
        let n = als.len();
        let (a, b) = (spec[0].0 % n, spec[0].1 % n);
        let others: Vec<usize> = (0..n).filter(|&i| i != a && i != b).collect();
        let (c, d) = (others[spec[0].2 % others.len()], others[spec[0].3 % others.len()]);
        let mut rows = duo_rows(&spec, false);
        rows.retain(|r| &r.1 != name);
        rows.push(("MO".into(), name.clone(), als[a].clone(), als[b].clone()));
        rows.push(("CH".into(), name.clone(), als[c].clone(), als[d].clone()));
        let p = ProfileSet::parse_csv(&csv(&rows)).unwrap();
        let o = LrOptions { theta, ..LrOptions::default() };
        for h in [Hypothesis::pairwise(Relation::ParentChild, "MO", "CH"), common::ped("FA+MO>CH")] {
            let r = likelihood_ratio(&t, &p, &h, &o).unwrap();
            prop_assert_eq!(r.lr, 0.0);
            prop_assert!(r.inconsistent_loci >= 1);
            prop_assert_eq!(r.log10_lr, f64::NEG_INFINITY);
        }
    }

    /// A locus typed in one person only changes nothing.
    #[test]
    fn locus_missing_on_one_side_changes_nothing(spec in duo(), o in options(), extra in 0usize..64, who in any::<bool>()) {
        let t = FrequencyTable::default_east_asia();
        let mut rows = duo_rows(&spec[..7], false);
        let before = likelihood_ratio(&t, &ProfileSet::parse_csv(&csv(&rows)).unwrap(),
            &Hypothesis::pairwise(Relation::ParentChild, "MO", "CH"), &o).unwrap();
        let (name, als) = &markers()[7];
        let a = als[extra % als.len()].clone();
        rows.push((if who { "MO" } else { "CH" }.into(), name.clone(), a.clone(), a));
        let after = likelihood_ratio(&t, &ProfileSet::parse_csv(&csv(&rows)).unwrap(),
            &Hypothesis::pairwise(Relation::ParentChild, "MO", "CH"), &o).unwrap();
        prop_assert_eq!(before.lr, after.lr);
        prop_assert_eq!(before.log10_lr, after.log10_lr);
        prop_assert_eq!(before.inconsistent_loci, after.inconsistent_loci);
    }

    /// The search's table look-ups give the same LR as `likelihood_ratio` for every profile.
    #[test]
    fn search_agrees_with_pairwise_lr(specs in proptest::collection::vec(duo(), 4), o in options(), rel in 0usize..6) {
        let t = FrequencyTable::default_east_asia();
        // Mutation is modelled for parent–child searches; other relations use the κ form.
        let relation = if o.mutation.is_on() { Relation::ParentChild } else { Relation::ALL[rel] };
        let mut rows = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            for r in duo_rows(spec, false) {
                let person = if r.0 == "MO" { format!("P{i}") } else { format!("Q{i}") };
                rows.push((person, r.1, r.2, r.3));
            }
        }
        let p = ProfileSet::parse_csv(&csv(&rows)).unwrap();
        let db = ProfileDatabase::build(&t, p.profiles()).unwrap();
        let query = p.get("P0").unwrap();
        let search = SearchOptions { relation, top: 100, threshold: 1.0 };
        let rep = db.search(&t, query, &o, &search).unwrap();
        prop_assert_eq!(rep.searched, p.len() - 1);
        prop_assert_eq!(rep.hits.len(), p.len() - 1);
        for hit in &rep.hits {
            let direct = likelihood_ratio(&t, &p, &Hypothesis::pairwise(relation, "P0", &hit.person), &o).unwrap().lr;
            let ok = (hit.lr == direct) || ((hit.lr - direct).abs() <= 1e-9 * direct.abs());
            prop_assert!(ok, "{}: search {} vs direct {}", hit.person, hit.lr, direct);
        }
        for w in rep.hits.windows(2) {
            prop_assert!(w[0].lr >= w[1].lr);
        }
    }
}

#[test]
fn search_counts_threshold_and_excludes_the_query() {
    let t = common::v1_table();
    let p = common::profiles(&[
        ("MO", "10/11"),
        ("C1", "10/12"),
        ("C2", "12/13"),
        ("C3", "10/10"),
        ("C4", "11/13"),
    ]);
    let db = ProfileDatabase::build(&t, p.profiles()).unwrap();
    let rep = db
        .search(
            &t,
            p.get("MO").unwrap(),
            &LrOptions::default(),
            &SearchOptions {
                relation: Relation::ParentChild,
                top: 2,
                threshold: 3.0,
            },
        )
        .unwrap();
    assert_eq!(rep.searched, 4);
    assert_eq!(rep.hits.len(), 2);
    assert_eq!(rep.hits[0].person, "C3"); // 10/10: 1/(2·0.1) = 5
    common::close(rep.hits[0].lr, 5.0, 1e-12, "C3");
    common::close(rep.hits[1].lr, 2.5, 1e-12, "C1");
    assert_eq!(rep.above_threshold, 1);
    common::close(
        rep.expected_unrelated_above_threshold,
        4.0 / 3.0,
        1e-12,
        "N/T",
    );
}

#[test]
fn errors_are_typed() {
    let t = common::v1_table();
    let p = common::profiles(&[("MO", "10/11"), ("CH", "10/14")]);
    let h = Hypothesis::pairwise(Relation::ParentChild, "MO", "CH");
    let e = likelihood_ratio(&t, &p, &h, &LrOptions::default()).unwrap_err();
    assert!(matches!(e, KinshipError::UnknownAllele { .. }), "{e}");
    // With a floor the unseen allele gets it.
    let o = LrOptions {
        min_frequency: MinFrequency::Floor(0.01),
        normalize: false,
        ..LrOptions::default()
    };
    common::close(
        likelihood_ratio(&t, &p, &h, &o).unwrap().lr,
        1.0 / (4.0 * 0.1),
        1e-12,
        "floor",
    );
    let o = LrOptions {
        min_frequency: MinFrequency::SampleSize(250),
        ..LrOptions::default()
    };
    assert!(likelihood_ratio(&t, &p, &h, &o).is_ok());
    let e = likelihood_ratio(
        &t,
        &p,
        &Hypothesis::pairwise(Relation::ParentChild, "MO", "XX"),
        &LrOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e, KinshipError::UnknownPerson("XX".into()));
    let e = likelihood_ratio(&t, &p, &common::ped("A+B>C"), &LrOptions::default()).unwrap_err();
    assert!(matches!(e, KinshipError::TooFewTyped(_)));
    assert!(matches!(
        Pedigree::parse("A+B>C; C+D>A"),
        Err(PedigreeError::Cycle(_))
    ));
    assert!(matches!(
        Pedigree::parse("A+B>C; B+D>E"),
        Err(PedigreeError::SexConflict(_))
    ));
    assert!(matches!(
        Pedigree::parse("A>C"),
        Err(PedigreeError::Syntax { .. })
    ));
    let o = LrOptions {
        theta: 1.5,
        ..LrOptions::default()
    };
    assert!(matches!(
        likelihood_ratio(&t, &p, &h, &o),
        Err(KinshipError::InvalidOption(_))
    ));
}

#[test]
fn posterior_and_log10() {
    let t = common::v1_table();
    let p = common::profiles(&[("MO", "10/10"), ("CH", "10/10")]);
    let h = Hypothesis::pairwise(Relation::ParentChild, "MO", "CH");
    let r = likelihood_ratio(&t, &p, &h, &LrOptions::default()).unwrap();
    common::close(r.posterior, 10.0 / 11.0, 1e-12, "posterior at ½");
    let r = likelihood_ratio(
        &t,
        &p,
        &h,
        &LrOptions {
            prior: 0.1,
            ..LrOptions::default()
        },
    )
    .unwrap();
    common::close(r.posterior, 1.0 / 1.9, 1e-12, "posterior at 0.1");
    common::close(r.log10_lr, 1.0, 1e-12, "log10");
}
