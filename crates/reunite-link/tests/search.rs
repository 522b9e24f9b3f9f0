//! The index's search (prepared cases, pruned scoring, only the results explained) returns
//! exactly what comparing and scoring every candidate in full returns, and it follows
//! inserts, updates and removals (surname frequencies included).

use reunite_domain::record::{Case, MatchRecord, TracingRequest};
use reunite_link::block::{self, Side};
use reunite_link::compare;
use reunite_link::generate::generate;
use reunite_link::index::sort_matches;
use reunite_link::model::{self, TermFreq};
use reunite_link::{BatchConfig, Index, PRecord, Params, SearchOptions, batch};

mod common;
use common::as_request;

/// The cases of an index built by inserting `cases` in order (no removals, so the i-th case
/// is in slot i), prepared on their own, with surname frequencies counted on their own.
struct BruteForce<'a> {
    cases: &'a [Case],
    recs: Vec<PRecord>,
    facets: Vec<block::Facets>,
    tf: TermFreq,
}

impl<'a> BruteForce<'a> {
    fn new(cases: &'a [Case]) -> Self {
        let recs: Vec<PRecord> = cases.iter().map(PRecord::from_case).collect();
        let facets = recs
            .iter()
            .map(|r| block::facets(r, Side::Indexed))
            .collect();
        let mut tf = TermFreq::default();
        for r in &recs {
            tf.add_record(r, 1);
        }
        BruteForce {
            cases,
            recs,
            facets,
            tf,
        }
    }

    /// The candidates by definition: every case sharing a key kind with the request, most
    /// kinds first, ties by insertion order, at most `max`.
    fn candidates(&self, rec: &PRecord, max: usize) -> Vec<usize> {
        let f = block::facets(rec, Side::Query);
        let mut c: Vec<(usize, u32)> = (0..self.cases.len())
            .map(|i| (i, block::kinds_shared(&self.facets[i], &f)))
            .filter(|x| x.1 > 0)
            .collect();
        c.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        c.truncate(max);
        c.into_iter().map(|x| x.0).collect()
    }

    /// Every candidate (at most `max`) compared and scored in full, best first.
    fn scored(&self, params: &Params, req: &TracingRequest, max: usize) -> Vec<MatchRecord> {
        let rec = PRecord::from_request(req);
        let w = params.weights();
        let prior = model::prior_log2_odds(params.match_rate, self.cases.len());
        let mut out: Vec<MatchRecord> = self
            .candidates(&rec, max)
            .into_iter()
            .map(|i| {
                let g = compare::compare(&rec, &self.recs[i], &|l| w.child_score(l));
                let s = model::score(&g, &w, &self.tf, prior);
                MatchRecord {
                    request: req.id.clone(),
                    case: self.cases[i].id.clone(),
                    child: g.child.map(|c| c as usize),
                    probability: s.probability,
                    match_weight: s.match_weight,
                    explain: s.explain,
                }
            })
            .collect();
        sort_matches(&mut out);
        out
    }
}

/// What a search should return, from every candidate scored in full.
fn expected(scored: &[MatchRecord], opts: &SearchOptions) -> Vec<MatchRecord> {
    let mut v: Vec<MatchRecord> = scored
        .iter()
        .filter(|m| m.probability >= opts.threshold)
        .cloned()
        .collect();
    v.truncate(opts.top);
    v
}

fn check_exact(params: Params, cases: &[Case], requests: &[TracingRequest]) {
    let mut index = Index::new(params.clone());
    for c in cases {
        index.insert(c.clone()).unwrap();
    }
    let brute = BruteForce::new(cases);
    let mut found = 0;
    let mut compared = 0;
    for max_candidates in [300, 12] {
        for r in requests {
            let scored = brute.scored(&params, r, max_candidates);
            for threshold in [0.0, 0.5, 0.99] {
                for top in [1, 5] {
                    let opts = SearchOptions {
                        top,
                        threshold,
                        max_candidates,
                    };
                    let got = index.search(r, &opts).unwrap();
                    assert_eq!(got, expected(&scored, &opts), "{} with {opts:?}", r.id);
                    found += got.len();
                    compared += 1;
                }
            }
        }
        // The candidates the index compares are those of the definition.
        for r in requests {
            let want: Vec<&str> = brute
                .candidates(&PRecord::from_request(r), max_candidates)
                .into_iter()
                .map(|i| cases[i].id.as_str())
                .collect();
            assert_eq!(index.candidate_ids(r, max_candidates), want, "{}", r.id);
        }
    }
    // Not a vacuous comparison: most searches find something.
    assert!(found > compared / 2, "{found} of {compared}");
}

#[test]
fn search_returns_what_scoring_every_candidate_in_full_returns() {
    let (cases, requests, _) = generate(7, 3000, 300, 0.2);
    check_exact(Params::default(), &cases, &requests);
}

#[test]
fn search_with_trained_parameters_returns_what_scoring_in_full_returns() {
    let (cases, requests, _) = generate(8, 3000, 300, 0.2);
    let (_, params, _) = batch::link(&cases, &requests, BatchConfig::default());
    // Requests made from the cases themselves: many near-ties among relatives and twins.
    let own: Vec<TracingRequest> = cases.iter().step_by(20).map(as_request).collect();
    check_exact(params.clone(), &cases, &requests);
    check_exact(params, &cases, &own);
}

/// Identical cases tie exactly; the tie goes to the smaller case id (as `sort_matches`
/// orders), also when that case is found after the other one.
#[test]
fn ties_go_to_the_smaller_case_id() {
    let (mut cases, _, _) = generate(12, 1500, 0, 0.0);
    let copies: Vec<Case> = cases[..150]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.clone();
            // Half sort before the original ("c-0-…" < "c-00…"), half after.
            c.id = if i % 2 == 0 {
                format!("c-0-{}", c.id)
            } else {
                format!("{}-b", c.id)
            };
            c
        })
        .collect();
    let own: Vec<TracingRequest> = cases[..150].iter().map(as_request).collect();
    cases.extend(copies);
    check_exact(Params::default(), &cases, &own);
}

fn all_results(index: &Index, requests: &[TracingRequest]) -> Vec<Vec<MatchRecord>> {
    let opts = SearchOptions {
        top: 5,
        threshold: 0.0,
        max_candidates: usize::MAX,
    };
    requests
        .iter()
        .map(|r| index.search(r, &opts).unwrap())
        .collect()
}

#[test]
fn inserts_updates_and_removals_leave_no_trace() {
    let (cases, requests, _) = generate(9, 2500, 300, 0.2);
    let mut index = Index::new(Params::default());
    for c in &cases[..2400] {
        index.insert(c.clone()).unwrap();
    }
    let before = all_results(&index, &requests);
    let opts = SearchOptions::default();

    // An insert is visible to the next search.
    let mut extra = cases[2450].clone();
    extra.id = "c-extra".into();
    let q = as_request(&extra);
    assert!(
        !index
            .search(&q, &opts)
            .unwrap()
            .iter()
            .any(|m| m.case == "c-extra")
    );
    index.insert(extra.clone()).unwrap();
    assert!(index.contains("c-extra"));
    assert_eq!(index.len(), 2401);
    let top = index.search(&q, &opts).unwrap();
    assert_eq!(top[0].case, "c-extra");
    assert_eq!(index.score_pair(&q, "c-extra").as_ref(), Some(&top[0]));
    // Nothing reaches a threshold above 1 or a NaN one; top 0 returns nothing.
    for (threshold, top) in [(1.5, 5), (f64::NAN, 5), (0.0, 0)] {
        let opts = SearchOptions {
            top,
            threshold,
            ..SearchOptions::default()
        };
        assert!(index.search(&q, &opts).unwrap().is_empty());
    }

    // An update replaces the content under the same id.
    let mut other = cases[2460].clone();
    other.id = "c-extra".into();
    index.insert(other.clone()).unwrap();
    assert_eq!(index.len(), 2401);
    let top = index.search(&as_request(&other), &opts).unwrap();
    assert_eq!(top[0].case, "c-extra");
    let was = index.search(&q, &opts).unwrap();
    assert!(!was.iter().any(|m| m.case == "c-extra"), "{was:?}");

    // Removed: gone, and the index scores exactly as before (count, prior, frequencies).
    assert!(index.remove("c-extra"));
    assert!(!index.remove("c-extra"));
    assert!(!index.contains("c-extra"));
    assert!(index.score_pair(&q, "c-extra").is_none());
    assert_eq!(index.len(), 2400);
    assert_eq!(all_results(&index, &requests), before);

    // Many cases out and back in (into other slots, in another order): the same results.
    for c in &cases[..600] {
        assert!(index.remove(&c.id));
    }
    assert_ne!(all_results(&index, &requests), before);
    for c in cases[..600].iter().rev() {
        index.insert(c.clone()).unwrap();
    }
    assert_eq!(all_results(&index, &requests), before);

    // An update to the same content changes nothing either.
    for c in &cases[1000..1100] {
        index.insert(c.clone()).unwrap();
    }
    assert_eq!(all_results(&index, &requests), before);
}

#[test]
fn names_of_replaced_cases_are_not_kept_forever() {
    let mut index = Index::new(Params::default());
    let (cases, requests, _) = generate(10, 300, 50, 0.0);
    for c in &cases {
        index.insert(c.clone()).unwrap();
    }
    let before = all_results(&index, &requests);
    // 30,000 cases come and go under 100 ids: far more names than are ever held at once.
    let mut names_seen = 0;
    for round in 0..10u64 {
        let (churn, _, _) = generate(100 + round, 3000, 0, 0.0);
        for (i, mut c) in churn.into_iter().enumerate() {
            c.id = format!("c-churn-{}", i % 100);
            index.insert(c).unwrap();
            names_seen = names_seen.max(index.prepared_names());
        }
    }
    assert!(names_seen <= 2 * 4096, "{names_seen}");
    for i in 0..100 {
        assert!(index.remove(&format!("c-churn-{i}")));
    }
    assert_eq!(index.len(), cases.len());
    assert_eq!(all_results(&index, &requests), before);
}
