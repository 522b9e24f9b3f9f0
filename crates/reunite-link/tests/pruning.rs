//! The batch scores pairs with pruning (a pair whose weight provably cannot reach the
//! threshold or the request's top list is dropped before its names are compared) and trains
//! on a sample of the cases when they are many. These tests hold it to brute force: every
//! pair that shares a blocking key, compared in full with the same parameters.

use reunite_domain::record::{Case, MatchRecord, TracingRequest};
use reunite_link::block::{self, Side};
use reunite_link::generate::generate;
use reunite_link::model::{self, TermFreq};
use reunite_link::{BatchConfig, PRecord, Params, batch, compare};

/// What the batch should answer: all blocked pairs scored in full, those at or over the
/// threshold, best first (ties by case id), at most `top` per request.
fn brute_force(
    cases: &[Case],
    requests: &[TracingRequest],
    params: &Params,
    top: usize,
    threshold: f64,
) -> Vec<MatchRecord> {
    let w = params.weights();
    let crecs: Vec<PRecord> = cases.iter().map(PRecord::from_case).collect();
    let cfacets: Vec<_> = crecs
        .iter()
        .map(|r| block::facets(r, Side::Query))
        .collect();
    let mut tf = TermFreq::default();
    for r in &crecs {
        tf.add_record(r, 1);
    }
    let prior = model::prior_log2_odds(params.match_rate, cases.len());
    let mut out = Vec::new();
    for req in requests {
        let rrec = PRecord::from_request(req);
        let rf = block::facets(&rrec, Side::Indexed);
        let mut v: Vec<MatchRecord> = Vec::new();
        for (j, c) in crecs.iter().enumerate() {
            if !block::shares(&rf, &cfacets[j]) {
                continue;
            }
            let g = compare::compare(&rrec, c, &|l| w.child_score(l));
            let s = model::score(&g, &w, &tf, prior);
            if s.probability >= threshold {
                v.push(MatchRecord {
                    request: req.id.clone(),
                    case: cases[j].id.clone(),
                    child: g.child.map(|c| c as usize),
                    probability: s.probability,
                    match_weight: s.match_weight,
                    explain: s.explain,
                });
            }
        }
        reunite_link::index::sort_matches(&mut v);
        v.truncate(top);
        out.extend(v);
    }
    out
}

#[test]
fn pruned_batch_equals_brute_force() {
    let (cases, requests, _) = generate(5, 2000, 250, 0.2);
    // Trained parameters (realistic weights), then fixed so both sides use the same.
    let (_, params, _) = batch::link(&cases, &requests, BatchConfig::default());
    for (top, threshold) in [(5, 0.5), (1, 0.5), (5, 0.0), (3, 0.9)] {
        let cfg = BatchConfig {
            top,
            threshold,
            params: Some(params.clone()),
            ..Default::default()
        };
        let (got, _, stats) = batch::link(&cases, &requests, cfg);
        let want = brute_force(&cases, &requests, &params, top, threshold);
        assert!(!want.is_empty());
        assert_eq!(got.len(), want.len(), "top {top}, threshold {threshold}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                (&g.request, &g.case, g.child),
                (&w.request, &w.case, w.child)
            );
            assert_eq!(g.match_weight, w.match_weight);
            assert_eq!(g.explain, w.explain);
        }
        // Pruning did skip work (otherwise this test would prove nothing about it).
        if threshold > 0.0 {
            assert!(
                stats.scored_pairs * 10 < stats.pairs * 9,
                "{} of {} pairs compared to the end",
                stats.scored_pairs,
                stats.pairs
            );
        }
    }
}

/// F1 of the top candidate per request at p >= 0.5.
fn f1(matches: &[MatchRecord], requests: &[TracingRequest], truth: &[Option<String>]) -> f64 {
    let (mut tp, mut fp) = (0.0, 0.0);
    for (r, t) in requests.iter().zip(truth) {
        if let Some(m) = matches.iter().find(|m| m.request == r.id) {
            if Some(&m.case) == t.as_ref() {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
        }
    }
    let registered = truth.iter().filter(|t| t.is_some()).count() as f64;
    let (p, r) = (tp / (tp + fp), tp / registered);
    2.0 * p * r / (p + r)
}

#[test]
fn training_on_a_sample_matches_as_well_as_training_on_all() {
    let (cases, requests, truth) = generate(9, 4000, 500, 0.2);
    let all = batch::link(&cases, &requests, BatchConfig::default());
    let cfg = BatchConfig {
        sample_target: 1000,
        ..Default::default()
    };
    let sampled = batch::link(&cases, &requests, cfg);
    assert_eq!(all.2.sampled, cases.len());
    assert!(
        (800..1300).contains(&sampled.2.sampled),
        "{} cases sampled",
        sampled.2.sampled
    );
    assert_eq!(sampled.2.cases, cases.len());
    let (fa, fs) = (
        f1(&all.0, &requests, &truth.request_case),
        f1(&sampled.0, &requests, &truth.request_case),
    );
    assert!(fa > 0.9, "F1 trained on all {fa}");
    assert!((fa - fs).abs() < 0.02, "F1 all {fa}, sample {fs}");
    // The match rate is estimated per request whose mother could be in the sample, not per
    // sampled case (that would be four times too low here). The sample holds the mothers of
    // only about 100 requests, so it is a rough estimate at this size.
    let (ra, rs) = (all.1.match_rate, sampled.1.match_rate);
    assert!(
        (ra - rs).abs() < 0.25 * ra,
        "match rate all {ra}, sample {rs}"
    );
}
