//! Blocking statistics on generated data: candidates per request and pair recall by the
//! number of key kinds shared. Run: `cargo run --release -p reunite-link --example blocking_stats -- 100000`
use reunite_link::PRecord;
use reunite_link::block::{self, Side};
use reunite_link::generate::generate;
use std::collections::HashMap;
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10000);
    let (cases, requests, truth) = generate(42, n, 2000, 0.2);
    let idx: HashMap<&str, usize> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut post: HashMap<u64, Vec<u32>> = HashMap::new();
    for (i, c) in cases.iter().enumerate() {
        for k in block::keys(&PRecord::from_case(c), Side::Indexed) {
            post.entry(k).or_default().push(i as u32);
        }
    }
    let mut cand = [0usize; 6];
    let mut kept = [0usize; 6];
    let mut tot = 0;
    let mut hits_total = 0;
    let mut tag_hits = [0usize; block::N_TAGS];
    for (i, r) in requests.iter().enumerate() {
        let pr = PRecord::from_request(r);
        let mut hits = Vec::new();
        for k in block::keys(&pr, Side::Query) {
            if let Some(v) = post.get(&k) {
                for &s in v {
                    hits.push((s, block::tag(k)));
                    tag_hits[block::tag(k) as usize] += 1;
                }
            }
        }
        hits_total += hits.len();
        let kinds = block::count_kinds(&mut hits);
        let t = truth.request_case[i]
            .as_ref()
            .map(|c| idx[c.as_str()] as u32);
        if t.is_some() {
            tot += 1;
        }
        for m in 1..6 {
            cand[m] += kinds.iter().filter(|x| x.1 as usize >= m).count();
            if let Some(t) = t
                && kinds.iter().any(|x| x.0 == t && x.1 as usize >= m)
            {
                kept[m] += 1;
            }
        }
    }
    println!(
        "cases {} hits/request {:.1}",
        cases.len(),
        hits_total as f64 / 2000.0
    );
    for m in 1..6 {
        println!(
            "min kinds {m}: candidates/request {:.1} recall {:.4}",
            cand[m] as f64 / 2000.0,
            kept[m] as f64 / tot as f64
        );
    }
    println!("hits per tag {:?}", tag_hits);
}
