//! Properties of the matcher: explanations add up, a record matches itself best, training
//! and saving behave, the index follows inserts/updates/removals, and no input panics.

use proptest::prelude::*;
use reunite_domain::record::{
    Calendar, Case, Child, Name, PartialDate, Person, Place, Separation, Sex, TracingRequest,
};
use reunite_link::compare::{self, FIELDS, MISSING};
use reunite_link::dates::PDate;
use reunite_link::generate::generate;
use reunite_link::model::{self, TermFreq};
use reunite_link::{BatchConfig, Index, PRecord, Params, SearchOptions, batch};

mod common;
use common::as_request;

fn trained() -> (Params, Vec<Case>) {
    let (cases, requests, _) = generate(3, 3000, 600, 0.2);
    let (_, params, _) = batch::link(&cases, &requests, BatchConfig::default());
    (params, cases)
}

#[test]
fn explanations_add_up_to_the_weight() {
    let (cases, requests, _) = generate(11, 2000, 400, 0.2);
    let cfg = BatchConfig {
        threshold: 0.0,
        ..Default::default()
    };
    let (matches, params, _) = batch::link(&cases, &requests, cfg);
    assert!(matches.len() > 300);
    let prior = model::prior_log2_odds(params.match_rate, cases.len());
    for m in &matches {
        let sum: f64 = m.explain.iter().map(|e| e.log2_bf).sum();
        assert!((prior + sum - m.match_weight).abs() < 1e-9, "{m:?}");
        assert_eq!(m.explain.len(), FIELDS.len());
        for (e, f) in m.explain.iter().zip(FIELDS) {
            assert_eq!(e.field, f);
            if e.level == "missing" {
                assert_eq!(e.log2_bf, 0.0);
            }
        }
        assert!((m.probability - model::probability(m.match_weight)).abs() < 1e-12);
    }
}

#[test]
fn a_record_matches_itself_best() {
    let (params, cases) = trained();
    let mut index = Index::new(params);
    for c in cases.iter().take(2000) {
        index.insert(c.clone()).unwrap();
    }
    let opts = SearchOptions {
        top: 3,
        threshold: 0.0,
        ..Default::default()
    };
    for c in cases.iter().take(300) {
        let found = index.search(&as_request(c), &opts).unwrap();
        let me = found.iter().find(|m| m.case == c.id).expect("found itself");
        assert!(
            found.iter().all(|m| m.match_weight <= me.match_weight),
            "{}",
            c.id
        );
    }
}

#[test]
fn training_learns_that_agreement_is_evidence() {
    let (params, _) = trained();
    let w = params.weights();
    for f in [0, 3] {
        // Identical names are strong evidence, different names evidence against.
        assert!(w.bf(f, 6) > 5.0, "{f}: {}", w.bf(f, 6));
        assert!(w.bf(f, 0) < -1.0, "{f}: {}", w.bf(f, 0));
    }
    assert!(w.bf(4, 6) > w.bf(4, 2) && w.bf(4, 2) > w.bf(4, 0));
    assert!(
        params.match_rate > 0.6 && params.match_rate < 0.95,
        "{}",
        params.match_rate
    );
    let back = Params::from_json(&params.to_json()).unwrap();
    assert_eq!(back.fields.len(), params.fields.len());
    assert!(Params::from_json("{}").is_err());
    let mut bad = params.clone();
    bad.fields[0].m.pop();
    assert!(Params::from_json(&bad.to_json()).is_err());
}

#[test]
fn term_frequencies_weaken_common_surnames() {
    let mut tf = TermFreq::default();
    let kim = reunite_names::PreparedName::new("김영희").surname_key();
    let pyon = reunite_names::PreparedName::new("편영희").surname_key();
    for i in 0..1000u64 {
        tf.add(0, &[if i % 5 == 0 { kim } else { 1000 + i }], 1);
    }
    tf.add(0, &[pyon], 1);
    assert!(tf.adjust(0, kim) < 0.0);
    assert!(tf.adjust(0, pyon) > 0.0);
    tf.add(0, &[pyon], -1);
    tf.add(0, &[pyon], -1);
}

#[test]
fn index_follows_inserts_updates_and_removals() {
    let (cases, _, _) = generate(5, 500, 0, 0.0);
    let mut index = Index::new(Params::default());
    for c in &cases[1..] {
        index.insert(c.clone()).unwrap();
    }
    let opts = SearchOptions {
        top: 5,
        threshold: 0.0,
        ..Default::default()
    };
    let q = as_request(&cases[0]);
    assert!(
        !index
            .search(&q, &opts)
            .unwrap()
            .iter()
            .any(|m| m.case == cases[0].id)
    );
    index.insert(cases[0].clone()).unwrap();
    assert_eq!(index.search(&q, &opts).unwrap()[0].case, cases[0].id);
    // An update under the same id replaces the old content.
    let mut changed = cases[1].clone();
    changed.id = cases[0].id.clone();
    index.insert(changed).unwrap();
    assert_eq!(index.len(), cases.len());
    let top = index.search(&as_request(&cases[1]), &opts).unwrap();
    assert!(top.iter().any(|m| m.case == cases[0].id));
    assert!(index.remove(&cases[0].id));
    assert!(!index.remove(&cases[0].id));
    assert!(
        !index
            .search(&q, &opts)
            .unwrap()
            .iter()
            .any(|m| m.case == cases[0].id)
    );
    assert_eq!(index.len(), cases.len() - 1);
    // Invalid records are refused with their problems, not searched.
    let mut bad = cases[2].clone();
    bad.id = "bad id!".into();
    assert!(index.insert(bad).is_err());
    assert!(index.search(&TracingRequest::default(), &opts).is_err());
}

#[test]
fn dates_compare_across_calendars_and_swaps() {
    let d = |y, m, dd, cal| {
        PDate::new(&PartialDate {
            year: Some(y),
            month: Some(m),
            day: Some(dd),
            calendar: cal,
            approx_years: 0,
        })
    };
    // 2004-06-12 solar is 4/25 lunar.
    let solar = d(2004, 6, 12, Calendar::Solar);
    let lunar = d(2004, 4, 25, Calendar::Lunar);
    assert_eq!(compare::child_birth(Some(&solar), Some(&lunar)), 6);
    // The lunar birthday written without saying so.
    let unlabelled = d(2004, 4, 25, Calendar::Solar);
    assert_eq!(compare::child_birth(Some(&solar), Some(&unlabelled)), 5);
    assert_eq!(
        compare::child_birth(
            Some(&d(2004, 6, 12, Calendar::Solar)),
            Some(&d(2004, 12, 6, Calendar::Solar))
        ),
        4
    );
    assert_eq!(
        compare::child_birth(Some(&solar), Some(&d(2004, 6, 3, Calendar::Solar))),
        3
    );
    assert_eq!(
        compare::child_birth(Some(&solar), Some(&d(2005, 2, 3, Calendar::Solar))),
        1
    );
    assert_eq!(
        compare::child_birth(Some(&solar), Some(&d(2009, 2, 3, Calendar::Solar))),
        0
    );
    assert_eq!(compare::child_birth(Some(&solar), None), MISSING);
    let about = PDate::new(&PartialDate {
        year: Some(1980),
        approx_years: 3,
        ..Default::default()
    });
    let exact = PDate::new(&PartialDate {
        year: Some(1978),
        month: Some(3),
        ..Default::default()
    });
    assert_eq!(compare::approx_birth(Some(&about), Some(&exact)), 2);
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,12}",
        "[김이박리王李金朴小明英子 ]{0,6}",
        "[a-zA-Z' -]{0,14}",
        "[吉林黑龙江密山延吉함경북도회령시 ]{0,8}",
    ]
}

fn date() -> impl Strategy<Value = Option<PartialDate>> {
    proptest::option::of(
        (
            proptest::option::of(-5000i32..5000),
            proptest::option::of(any::<u8>()),
            proptest::option::of(any::<u8>()),
            any::<bool>(),
            any::<u8>(),
        )
            .prop_map(|(year, month, day, lunar, approx_years)| PartialDate {
                year,
                month,
                day,
                calendar: if lunar {
                    Calendar::Lunar
                } else {
                    Calendar::Solar
                },
                approx_years,
            }),
    )
}

fn person() -> impl Strategy<Value = Person> {
    (
        proptest::collection::vec(text(), 0..3),
        date(),
        proptest::option::of(text()),
        any::<bool>(),
    )
        .prop_map(|(names, birth, place, f)| Person {
            names: names
                .into_iter()
                .map(|text| Name { text, kind: None })
                .collect(),
            sex: Some(if f { Sex::F } else { Sex::M }),
            birth,
            birthplace: place.map(|text| Place {
                text,
                country: None,
            }),
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        person(),
        proptest::collection::vec(person(), 0..3),
        proptest::option::of(person()),
        date(),
        proptest::option::of(text()),
    )
        .prop_map(|(mother, kids, father, sep, res)| Case {
            id: "c-p".into(),
            mother,
            children: kids
                .into_iter()
                .map(|p| Child {
                    names: p.names,
                    sex: p.sex,
                    birth: p.birth,
                    birthplace: p.birthplace,
                    ..Default::default()
                })
                .collect(),
            father,
            separation: Some(Separation {
                date: sep,
                ..Default::default()
            }),
            residence_cn: res.map(|text| Place {
                text,
                country: Some("CN".into()),
            }),
            ..Default::default()
        })
}

/// The batch's candidate test (`block::shares` on facets, found through anchor keys) keeps
/// exactly the pairs that share a blocking key, on generated data where many pairs do, and
/// reads the same from a flat store of facets as from the facets themselves.
#[test]
fn facets_and_anchors_agree_with_keys() {
    use reunite_link::block::{self, Side};
    let (cases, requests, _) = generate(11, 400, 200, 0.2);
    let reqs: Vec<_> = requests
        .iter()
        .map(|r| {
            let f = block::facets(&PRecord::from_request(r), Side::Indexed);
            (block::keys_of(&f), block::anchors(&f), f)
        })
        .collect();
    let mut store = block::FacetStore::default();
    for (_, _, f) in &reqs {
        store.push(f);
    }
    assert_eq!(store.len(), reqs.len());
    let mut shared = 0;
    for c in &cases {
        let f = block::facets(&PRecord::from_case(c), Side::Query);
        let (k, a) = (block::keys_of(&f), block::anchors(&f));
        assert!(k.len() < block::MAX_KEYS);
        for (i, (rk, ra, rf)) in reqs.iter().enumerate() {
            let by_keys = k.iter().any(|x| rk.binary_search(x).is_ok());
            assert_eq!(block::shares(rf, &f), by_keys);
            // What the batch checks: only the kinds of the anchors the two share.
            let tags = a
                .iter()
                .filter(|x| ra.binary_search(x).is_ok())
                .fold(0u32, |t, &x| t | 1 << block::tag(x));
            assert_eq!(block::shares_anchored(tags, rf, &f), by_keys);
            assert_eq!(block::shares(&store.get(i), &f), by_keys);
            for facet in block::FACETS {
                assert_eq!(block::FacetView::get(&store.get(i), facet), rf.get(facet));
            }
            if by_keys {
                shared += 1;
                assert!(a.iter().any(|x| ra.binary_search(x).is_ok()));
            }
        }
    }
    assert!(shared > 100, "{shared}");
}

/// A Latin name written given name first, and a child known by a nickname, still block.
#[test]
fn given_name_first_and_nicknames_block() {
    use reunite_link::block::{self, Side};
    let case: Case = serde_json::from_str(
        r#"{"id":"c-1","mother":{"names":[{"text":"김옥실"},{"text":"Jing Zhang"}]},
        "children":[{"names":[{"text":"小杰"}]}]}"#,
    )
    .unwrap();
    let req: TracingRequest = serde_json::from_str(
        r#"{"id":"r-1","sought":{"names":[{"text":"张晶"}]},
        "seeker":{"names":[{"text":"杨杰"}]}}"#,
    )
    .unwrap();
    let (rc, rr) = (PRecord::from_case(&case), PRecord::from_request(&req));
    assert!(block::shares(
        &block::facets(&rr, Side::Indexed),
        &block::facets(&rc, Side::Query)
    ));
    let w = Params::default().weights();
    let g = compare::compare(&rr, &rc, &|l| w.child_score(l));
    assert!(g.levels[0] >= 5, "{:?}", g.levels);
}

/// A child the mother knows only by a nickname (小宇) meets the child's request (周杰宇, no
/// mother's name) through that child's birth year, the region and the mother's birth year,
/// whichever side holds the nickname; two whole names that merely end alike do not.
#[test]
fn nickname_meets_whole_name_through_years_and_region() {
    use reunite_link::block::{self, Side};
    let case = |child: &str| -> Case {
        serde_json::from_str(&format!(
            r#"{{"id":"c-1","mother":{{"names":[{{"text":"김명춘"}}],"birth":{{"year":1985}}}},
            "residence_cn":{{"text":"辽宁省 丹东市 宽甸县"}},
            "children":[{{"names":[{{"text":"{child}"}}],"birth":{{"year":2006}}}}]}}"#
        ))
        .unwrap()
    };
    let req = |child: &str, year: i32| -> TracingRequest {
        serde_json::from_str(&format!(
            r#"{{"id":"r-1","sought":{{"names":[],"birth":{{"year":1985}}}},
            "residence_cn":{{"text":"辽宁 宽甸县"}},
            "seeker":{{"names":[{{"text":"{child}"}}],"birth":{{"year":{year}}}}}}}"#
        ))
        .unwrap()
    };
    let meet = |c: &str, r: &str, year: i32| {
        let (rc, rr) = (
            PRecord::from_case(&case(c)),
            PRecord::from_request(&req(r, year)),
        );
        let a = block::shares(
            &block::facets(&rr, Side::Indexed),
            &block::facets(&rc, Side::Query),
        );
        let b = block::shares(
            &block::facets(&rc, Side::Indexed),
            &block::facets(&rr, Side::Query),
        );
        assert_eq!(a, b, "{c} / {r}: the sides must not matter");
        a
    };
    assert!(meet("小宇", "周杰宇", 2006));
    assert!(meet("宇宇", "周杰宇", 2007));
    assert!(meet("周杰宇", "小宇", 2006));
    assert!(!meet("王明宇", "周杰宇", 2006));
    // The nickname and the year must be the same child's, and the years close.
    assert!(!meet("小宇", "周杰宇", 2012));
}

/// The father's whole name meets with the region alone (the mother's name an alias the case
/// does not know, the child renamed, no years): not with nothing else.
#[test]
fn father_name_meets_with_region() {
    use reunite_link::block::{self, Side};
    let case: Case = serde_json::from_str(
        r#"{"id":"c-1","mother":{"names":[{"text":"김옥실"}]},"father":{"names":[{"text":"周强伟"}]},
        "residence_cn":{"text":"吉林省 白山市 长白县"},
        "children":[{"names":[{"text":"周林雪"}]}]}"#,
    )
    .unwrap();
    let req = |residence: &str| -> TracingRequest {
        serde_json::from_str(&format!(
            r#"{{"id":"r-1","sought":{{"names":[{{"text":"王丽"}}]}},"father":{{"names":[{{"text":"周强伟"}}]}},
            {residence}"seeker":{{"names":[{{"text":"周春国"}}]}}}}"#
        ))
        .unwrap()
    };
    let rc = PRecord::from_case(&case);
    let meets = |r: &TracingRequest| {
        block::shares(
            &block::facets(&PRecord::from_request(r), Side::Indexed),
            &block::facets(&rc, Side::Query),
        )
    };
    assert!(meets(&req(r#""residence_cn":{"text":"길림성 장백현"},"#)));
    assert!(!meets(&req("")));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any records, valid or not, compare, block and score without panicking, and the
    /// explanation adds up.
    #[test]
    fn no_panic_and_weights_add_up(a in case(), b in case()) {
        let req = as_request(&a);
        let (ra, rb) = (PRecord::from_request(&req), PRecord::from_case(&b));
        let _ = reunite_link::block::keys(&ra, reunite_link::block::Side::Query);
        let _ = reunite_link::block::keys(&rb, reunite_link::block::Side::Indexed);
        let fa = reunite_link::block::facets(&ra, reunite_link::block::Side::Query);
        let fb = reunite_link::block::facets(&rb, reunite_link::block::Side::Indexed);
        let _ = reunite_link::block::anchors(&fa);
        let _ = reunite_link::block::shares(&fb, &fa);
        let w = Params::default().weights();
        let g = compare::compare(&ra, &rb, &|l| w.child_score(l));
        let prior = model::prior_log2_odds(0.8, 1000);
        let s = model::score(&g, &w, &TermFreq::default(), prior);
        let sum: f64 = s.explain.iter().map(|e| e.log2_bf).sum();
        prop_assert!((prior + sum - s.match_weight).abs() < 1e-9);
        prop_assert!(s.probability >= 0.0 && s.probability <= 1.0);
        // The index takes and searches whatever validates.
        let mut index = Index::new(Params::default());
        let _ = index.insert(b.clone());
        let _ = index.search(&req, &SearchOptions::default());
    }

    /// A case always scores at least as high against its own request as any other case does.
    #[test]
    fn self_is_best(a in case(), b in case()) {
        let req = as_request(&a);
        let ra = PRecord::from_request(&req);
        let w = Params::default().weights();
        let tf = TermFreq::default();
        let ga = compare::compare(&ra, &PRecord::from_case(&a), &|l| w.child_score(l));
        let gb = compare::compare(&ra, &PRecord::from_case(&b), &|l| w.child_score(l));
        let own = model::weight(&ga, &w, &tf, 0.0);
        let other = model::weight(&gb, &w, &tf, 0.0);
        let why = |g| {
            model::score(g, &w, &tf, 0.0)
                .explain
                .iter()
                .map(|e| format!("{}={}:{:.3}", e.field, e.level, e.log2_bf))
                .collect::<Vec<_>>()
                .join(" ")
        };
        prop_assert!(
            own >= other - 1e-9,
            "own {own} other {other}\nown: {}\nother: {}\nresidence {:?}",
            why(&ga),
            why(&gb),
            a.residence_cn.as_ref().map(|p| p.text.chars().map(|c| c as u32).collect::<Vec<_>>())
        );
    }
}
