//! Quality of the matcher on the generated benchmark: precision, recall and F1 of the top
//! candidate at the default threshold, recall@5, the false-candidate share of requests whose
//! mother is not registered, and blocking pair recall.
//!
//! Run: `cargo bench -p reunite-link --bench quality -- [n_cases] [n_requests] [seed]`

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use reunite_link::block::{self, Side};
use reunite_link::generate::generate;
use reunite_link::{BatchConfig, PRecord, batch};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n_cases: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let n_req: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let threshold = 0.5;
    let t0 = Instant::now();
    let (cases, requests, truth) = generate(seed, n_cases, n_req, 0.2);
    eprintln!(
        "generated {} cases, {} requests in {:.1?}",
        cases.len(),
        requests.len(),
        t0.elapsed()
    );

    // Same mother registered twice counts as the right answer too.
    let mut same: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (a, b) in &truth.duplicate_cases {
        same.entry(a).or_default().insert(b);
        same.entry(b).or_default().insert(a);
    }
    let correct = |req: usize, case: &str| -> bool {
        match &truth.request_case[req] {
            Some(t) => t == case || same.get(t.as_str()).is_some_and(|s| s.contains(case)),
            None => false,
        }
    };

    let t1 = Instant::now();
    let cfg = BatchConfig {
        top: 5,
        threshold: 0.0,
        seed: 7,
        ..Default::default()
    };
    let (matches, params, stats) = batch::link(&cases, &requests, cfg);
    let link_time = t1.elapsed();
    let mut by_req: HashMap<&str, Vec<&reunite_domain::record::MatchRecord>> = HashMap::new();
    for m in &matches {
        by_req.entry(m.request.as_str()).or_default().push(m);
    }
    let (mut tp, mut fp, mut registered, mut at5, mut unreg, mut unreg_hit) = (0, 0, 0, 0, 0, 0);
    for (i, r) in requests.iter().enumerate() {
        let list = by_req.get(r.id.as_str()).cloned().unwrap_or_default();
        let top = list.first().filter(|m| m.probability >= threshold);
        if truth.request_case[i].is_some() {
            registered += 1;
            if list.iter().take(5).any(|m| correct(i, &m.case)) {
                at5 += 1;
            }
        } else {
            unreg += 1;
            if top.is_some() {
                unreg_hit += 1;
            }
        }
        if let Some(m) = top {
            if correct(i, &m.case) {
                tp += 1;
            } else {
                fp += 1;
            }
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / registered.max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(1e-12);

    // Blocking pair recall: does the true pair share a key?
    let case_idx: HashMap<&str, usize> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let (mut pairs_true, mut pairs_kept) = (0, 0);
    for (i, r) in requests.iter().enumerate() {
        if let Some(c) = &truth.request_case[i] {
            pairs_true += 1;
            let rf = block::facets(&PRecord::from_request(r), Side::Indexed);
            let cf = block::facets(
                &PRecord::from_case(&cases[case_idx[c.as_str()]]),
                Side::Query,
            );
            if block::shares(&rf, &cf) {
                pairs_kept += 1;
            }
        }
    }
    println!(
        "cases {} requests {} (registered {registered}, unregistered {unreg}), seed {seed}",
        cases.len(),
        requests.len()
    );
    println!(
        "candidate pairs {} ({:.1} per request), random pairs {}, EM iterations {}",
        stats.pairs,
        stats.pairs as f64 / requests.len() as f64,
        stats.random_pairs,
        stats.em_iterations
    );
    println!(
        "estimated match rate {:.3} (true {:.3})",
        params.match_rate,
        registered as f64 / requests.len() as f64
    );
    println!(
        "top candidate at p >= {threshold}: precision {precision:.4} recall {recall:.4} F1 {f1:.4}"
    );
    println!("recall@5 {:.4}", at5 as f64 / registered.max(1) as f64);
    println!(
        "false-candidate share (unregistered with a candidate >= {threshold}) {:.4}",
        unreg_hit as f64 / unreg.max(1) as f64
    );
    println!(
        "blocking pair recall {:.4}",
        pairs_kept as f64 / pairs_true.max(1) as f64
    );
    println!("link time {link_time:.2?}");
    if std::env::var("SHOW_PARAMS").is_ok() {
        println!("{}", params.to_json());
    }
}
