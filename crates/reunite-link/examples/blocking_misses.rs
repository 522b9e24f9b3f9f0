//! The true pairs that blocking loses, with what each side wrote, to see why.
//! Run: `cargo run --release -p reunite-link --example blocking_misses -- [n_cases] [n_requests] [seed]`
use reunite_link::PRecord;
use reunite_link::block::{self, Side};
use reunite_link::generate::generate;
use std::collections::HashMap;

fn names(ns: &[reunite_domain::record::Name]) -> String {
    ns.iter()
        .map(|n| n.text.as_str())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = a.first().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let q: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let seed: u64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let (cases, requests, truth) = generate(seed, n, q, 0.2);
    let idx: HashMap<&str, usize> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let (mut tot, mut lost) = (0, 0);
    for (i, r) in requests.iter().enumerate() {
        let Some(t) = &truth.request_case[i] else {
            continue;
        };
        tot += 1;
        let c = &cases[idx[t.as_str()]];
        let rf = block::facets(&PRecord::from_request(r), Side::Indexed);
        let cf = block::facets(&PRecord::from_case(c), Side::Query);
        if block::shares(&rf, &cf) {
            continue;
        }
        lost += 1;
        println!("--- {} / {}", r.id, c.id);
        println!(
            "  mother: req [{}] b={:?} | case [{}] b={:?}",
            names(&r.sought.names),
            r.sought.birth.as_ref().map(|d| (d.year, d.approx_years)),
            names(&c.mother.names),
            c.mother.birth.as_ref().map(|d| (d.year, d.approx_years)),
        );
        println!(
            "  child: req [{}] b={:?} | case {}",
            names(&r.seeker.names),
            r.seeker.birth.as_ref().map(|d| (d.year, d.approx_years)),
            c.children
                .iter()
                .map(|ch| format!(
                    "[{}] b={:?}",
                    names(&ch.names),
                    ch.birth.as_ref().map(|d| (d.year, d.approx_years))
                ))
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!(
            "  father: req [{}] | case [{}]; residence req {:?} | case {:?}",
            r.father
                .as_ref()
                .map(|f| names(&f.names))
                .unwrap_or_default(),
            c.father
                .as_ref()
                .map(|f| names(&f.names))
                .unwrap_or_default(),
            r.residence_cn.as_ref().map(|p| p.text.as_str()),
            c.residence_cn.as_ref().map(|p| p.text.as_str()),
        );
    }
    println!(
        "lost {lost} of {tot}: pair recall {:.4}",
        1.0 - lost as f64 / tot as f64
    );
}
