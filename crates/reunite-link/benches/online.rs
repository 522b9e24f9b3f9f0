//! Online search latency: one request at a time against an index of N cases (one core).
//!
//! Run: `cargo bench -p reunite-link --bench online -- [n_cases] [n_searches] [seed]`

use std::time::Instant;

use reunite_link::generate::generate;
use reunite_link::{Index, Params, SearchOptions};

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n_cases: usize = args
        .first()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let n_search: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let t = Instant::now();
    let (cases, requests, truth) = generate(seed, n_cases, n_search, 0.2);
    eprintln!("generated in {:.1?}", t.elapsed());
    let mut index = Index::new(Params::default());
    let t = Instant::now();
    let n = cases.len();
    for c in cases {
        index.insert(c).expect("valid case");
    }
    let build = t.elapsed();
    println!(
        "index of {n} cases built in {build:.1?} ({:.1} µs per insert), RSS {:.0} MiB",
        build.as_secs_f64() * 1e6 / n as f64,
        rss_mib()
    );
    let opts = SearchOptions {
        top: 5,
        threshold: 0.0,
        ..Default::default()
    };
    let mut times = Vec::with_capacity(requests.len());
    let mut found = 0;
    let mut registered = 0;
    for (r, t_case) in requests.iter().zip(&truth.request_case) {
        let t = Instant::now();
        let res = index.search(r, &opts).expect("valid request");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if let Some(c) = t_case {
            registered += 1;
            if res.iter().any(|m| &m.case == c) {
                found += 1;
            }
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
    println!(
        "search ({} requests): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        q(1.0)
    );
    println!(
        "true case in top 5 (default parameters): {:.4}",
        found as f64 / registered.max(1) as f64
    );
    // An insert is visible to the next search.
    let (extra, req, _) = generate(seed + 1, 1, 1, 0.0);
    let mut c = extra[0].clone();
    c.id = "c-new".into();
    let t = Instant::now();
    index.insert(c).expect("valid");
    let ins = t.elapsed();
    let res = index.search(&req[0], &opts).expect("valid");
    println!(
        "insert {:.1?}; found by the next search: {}",
        ins,
        res.iter().any(|m| m.case == "c-new")
    );
}
