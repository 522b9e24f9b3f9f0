//! The batch's blocking on generated files, step by step: anchor keys per record, requests
//! met through them, pairs sharing a whole key, per key kind; which kinds find which true
//! pairs (from the generator's `truth.jsonl` beside the requests), with a greedy search for
//! kinds that cost many candidates and find few true pairs; and the time of each step on
//! one thread.
//! Run: `cargo run --release -p reunite-link --example funnel -- CASES REQUESTS N PARAMS`
//! (N: how many cases from the top of CASES; PARAMS: saved parameters, `--save-params`).
use reunite_domain::record::{Case, TracingRequest};
use reunite_link::PRecord;
use reunite_link::block::{self, Side};
use reunite_link::prepared::{NameCache, SharedNames};
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a[3].parse().unwrap();
    let names: Arc<SharedNames> = Arc::default();
    let mut cache = NameCache::shared(names.clone());
    let reqs: Vec<PRecord> = std::io::BufReader::new(std::fs::File::open(&a[2]).unwrap())
        .lines()
        .map(|l| {
            let r: TracingRequest = serde_json::from_str(&l.unwrap()).unwrap();
            PRecord::from_request_cached(&r, &mut cache)
        })
        .collect();
    let rf: Vec<_> = reqs
        .iter()
        .map(|r| block::facets(r, Side::Indexed))
        .collect();
    let mut post: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut ranch = 0usize;
    for (i, f) in rf.iter().enumerate() {
        let an = block::anchors(f);
        ranch += an.len();
        for k in an {
            post.entry(k).or_default().push(i as u32);
        }
    }
    let lens: Vec<usize> = post.values().map(|v| v.len()).collect();
    println!(
        "requests {} anchors/request {:.1} distinct anchors {} mean posting {:.1} max {}",
        reqs.len(),
        ranch as f64 / reqs.len() as f64,
        post.len(),
        lens.iter().sum::<usize>() as f64 / lens.len() as f64,
        lens.iter().max().unwrap()
    );
    let cases: Vec<Case> = std::io::BufReader::new(std::fs::File::open(&a[1]).unwrap())
        .lines()
        .take(n)
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let t = Instant::now();
    let recs: Vec<PRecord> = cases
        .iter()
        .map(|c| PRecord::from_case_cached(c, &mut cache))
        .collect();
    let t_prep = t.elapsed();
    let t = Instant::now();
    let cf: Vec<_> = recs.iter().map(|r| block::facets(r, Side::Query)).collect();
    let t_fac = t.elapsed();
    let (mut anch, mut hits, mut met, mut shared) = (0usize, 0usize, 0usize, 0usize);
    let mut per_kind = vec![0usize; block::KINDS.len()];
    let mut only_kind = vec![0usize; block::KINDS.len()];
    let mut facet_vals = [0usize; block::N_FACETS];
    let mut seen = Vec::new();
    let mut cand_masks: HashMap<u32, usize> = HashMap::new();
    let mut true_masks: HashMap<u32, usize> = HashMap::new();
    let mut keys = Vec::new();
    for f in &cf {
        for (i, ff) in facet_vals.iter_mut().enumerate() {
            *ff += f.get(block::FACETS[i]).len();
        }
        block::anchors_into(f, &mut keys);
        anch += keys.len();
        seen.clear();
        for k in &keys {
            if let Some(v) = post.get(k) {
                hits += v.len();
                seen.extend_from_slice(v);
            }
        }
        seen.sort_unstable();
        seen.dedup();
        met += seen.len();
        for &q in &seen {
            if !block::shares(&rf[q as usize], f) {
                continue;
            }
            shared += 1;
            let m = rf[q as usize].meet(f);
            let ks: Vec<usize> = (0..block::KINDS.len())
                .filter(|&i| block::KINDS[i].iter().all(|&x| m & (1 << x as u8) != 0))
                .collect();
            for &i in &ks {
                per_kind[i] += 1;
            }
            if ks.len() == 1 {
                only_kind[ks[0]] += 1;
            }
            *cand_masks
                .entry(ks.iter().fold(0u32, |x, &i| x | 1 << i))
                .or_insert(0usize) += 1;
        }
    }
    // True pairs: which kinds find them.
    let mut truth: HashMap<String, Vec<u32>> = HashMap::new();
    let req_ids: Vec<String> = std::io::BufReader::new(std::fs::File::open(&a[2]).unwrap())
        .lines()
        .map(|l| {
            serde_json::from_str::<TracingRequest>(&l.unwrap())
                .unwrap()
                .id
        })
        .collect();
    let rix: HashMap<&str, u32> = req_ids
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i as u32))
        .collect();
    let tpath = std::path::Path::new(&a[2]).with_file_name("truth.jsonl");
    for l in std::io::BufReader::new(std::fs::File::open(tpath).unwrap()).lines() {
        let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
        if let (Some(c), Some(r)) = (v["case"].as_str(), v["request"].as_str()) {
            truth.entry(c.to_string()).or_default().push(rix[r]);
        }
    }
    let (mut tp, mut tp_found) = (0usize, 0usize);
    let mut true_only = vec![0usize; block::KINDS.len()];
    let mut true_any = vec![0usize; block::KINDS.len()];
    for (c, f) in cases.iter().zip(&cf) {
        for &q in truth.get(&c.id).map(|v| v.as_slice()).unwrap_or(&[]) {
            tp += 1;
            let m = rf[q as usize].meet(f);
            let ks: Vec<usize> = (0..block::KINDS.len())
                .filter(|&i| block::KINDS[i].iter().all(|&x| m & (1 << x as u8) != 0))
                .collect();
            if !ks.is_empty() {
                tp_found += 1;
            }
            *true_masks
                .entry(ks.iter().fold(0u32, |x, &i| x | 1 << i))
                .or_insert(0usize) += 1;
            for &i in &ks {
                true_any[i] += 1;
            }
            if ks.len() == 1 {
                true_only[ks[0]] += 1;
            }
        }
    }
    println!(
        "true pairs {tp}, blocked {tp_found} (recall {:.4})",
        tp_found as f64 / tp as f64
    );
    println!(
        "true pairs per kind (any, only): {:?}",
        true_any.iter().zip(&true_only).collect::<Vec<_>>()
    );
    // Greedy: drop the kind that loses the fewest true pairs per candidate saved.
    let count = |m: &HashMap<u32, usize>, set: u32| {
        m.iter()
            .filter(|(k, _)| *k & set != 0)
            .map(|x| x.1)
            .sum::<usize>()
    };
    let mut set: u32 = (1 << block::KINDS.len()) - 1;
    loop {
        let (c0, t0) = (count(&cand_masks, set), count(&true_masks, set));
        println!(
            "set {set:018b}: candidates/case {:.2} true {} ",
            c0 as f64 / cf.len() as f64,
            t0
        );
        let best = (0..block::KINDS.len())
            .filter(|&i| set & (1 << i) != 0)
            .map(|i| {
                let s2 = set & !(1 << i);
                let dc = c0 - count(&cand_masks, s2);
                let dt = t0 - count(&true_masks, s2);
                (i, dc, dt)
            })
            .min_by(|a, b| {
                ((a.2 as f64 + 0.5) / (a.1 as f64 + 1.0))
                    .partial_cmp(&((b.2 as f64 + 0.5) / (b.1 as f64 + 1.0)))
                    .unwrap()
            });
        match best {
            Some((i, dc, dt)) if dt <= 40 => {
                println!(
                    "  drop kind {} {:?}: -{:.2} cand/case, -{} true",
                    i + 1,
                    block::KINDS[i],
                    dc as f64 / cf.len() as f64,
                    dt
                );
                set &= !(1 << i);
            }
            _ => break,
        }
    }
    let n = cf.len() as f64;
    // Stage timings, one thread.
    let mut store = block::FacetStore::default();
    for f in &rf {
        store.push(f);
    }
    let t = Instant::now();
    let mut all_seen: Vec<Vec<u32>> = Vec::new();
    for f in &cf {
        block::anchors_into(f, &mut keys);
        seen.clear();
        for k in &keys {
            if let Some(v) = post.get(k) {
                seen.extend_from_slice(v);
            }
        }
        seen.sort_unstable();
        seen.dedup();
        all_seen.push(seen.clone());
    }
    let t_look = t.elapsed();
    let t = Instant::now();
    let mut cands: Vec<Vec<u32>> = Vec::new();
    for (f, sv) in cf.iter().zip(&all_seen) {
        cands.push(
            sv.iter()
                .copied()
                .filter(|&q| block::shares(&store.get(q as usize), f))
                .collect(),
        );
    }
    let t_shares = t.elapsed();
    let params = reunite_link::Params::from_json(&std::fs::read_to_string(&a[4]).unwrap()).unwrap();
    let w = params.weights();
    let mut tf = reunite_link::model::TermFreq::default();
    for r in &recs {
        tf.add_record(r, 1);
    }
    let scorer = reunite_link::model::Scorer::new(
        &w,
        &tf,
        reunite_link::model::prior_log2_odds(params.match_rate, 1_000_000),
    );
    let t = Instant::now();
    let mut kept = 0usize;
    for (r, cv) in recs.iter().zip(&cands) {
        let cb = scorer.bounds(r);
        for &q in cv {
            if scorer.weigh(&reqs[q as usize], r, &cb, 0.0).is_some() {
                kept += 1;
            }
        }
    }
    let t_weigh = t.elapsed();
    println!(
        "anchors+lookup {:.1} us/case, shares {:.1} us/case, weigh(floor 0) {:.1} us/case ({} kept)",
        t_look.as_secs_f64() * 1e6 / n,
        t_shares.as_secs_f64() * 1e6 / n,
        t_weigh.as_secs_f64() * 1e6 / n,
        kept
    );
    let t = Instant::now();
    let mut nparsed = 0;
    for l in std::io::BufReader::new(std::fs::File::open(&a[1]).unwrap())
        .lines()
        .take(cf.len())
    {
        let c: Case = serde_json::from_str(&l.unwrap()).unwrap();
        nparsed += c.children.len();
    }
    println!(
        "read+parse {:.1} us/case ({nparsed})",
        t.elapsed().as_secs_f64() * 1e6 / n
    );
    println!(
        "cases {} prep {:.1} us/case facets {:.1} us/case",
        cf.len(),
        t_prep.as_secs_f64() * 1e6 / n,
        t_fac.as_secs_f64() * 1e6 / n
    );
    println!(
        "per case: anchors {:.1} posting hits {:.1} met {:.1} sharing a key {:.1}",
        anch as f64 / n,
        hits as f64 / n,
        met as f64 / n,
        shared as f64 / n
    );
    println!(
        "facet values per case {:?}",
        facet_vals
            .iter()
            .map(|&x| (x as f64 / n * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
    for (i, k) in block::KINDS.iter().enumerate() {
        println!(
            "kind {:2} {:?}: pairs/case {:.2} only-this-kind {:.3}",
            i + 1,
            k,
            per_kind[i] as f64 / n,
            only_kind[i] as f64 / n
        );
    }
}
