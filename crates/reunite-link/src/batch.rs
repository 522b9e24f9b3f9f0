//! Batch linkage: the requests are prepared and indexed once, the cases stream through in
//! chunks (each case is prepared once, blocked against the requests and compared at once),
//! then the model is trained on what was seen and the pairs are scored.
//!
//! The caller does the reading and may run [`Linker::process`] on several threads (it takes
//! `&self`); [`Linker::absorb`] collects the results in order.

use std::collections::HashMap;

use reunite_domain::record::{Case, MatchRecord};

use crate::block::{self, Facets, KeyHash, Side};
use crate::compare::{self, Gamma};
use crate::index::sort_matches;
use crate::model::{self, Params, TermFreq, Weights};
use crate::prepared::{NameCache, PRecord};

/// Names kept prepared (names recur: one prepared name serves many cases).
pub const NAME_CACHE: usize = 50_000;

/// Batch settings.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    /// Most matches per request.
    pub top: usize,
    /// Least probability written.
    pub threshold: f64,
    /// Seed of the random pair sampling (for u).
    pub seed: u64,
    /// Use these parameters instead of training.
    pub params: Option<Params>,
    /// Deduplication: the query side is the cases themselves; only pairs (i, j) with i < j.
    pub dedupe: bool,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            top: 5,
            threshold: 0.5,
            seed: 1,
            params: None,
            dedupe: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Pair {
    query: u32,
    case: u32,
    pattern: u64,
    child: u16,
    tf: [u64; 3],
}

/// What one chunk of cases produced.
#[derive(Debug, Default)]
pub struct ChunkResult {
    ids: Vec<(u32, String)>,
    pairs: Vec<Pair>,
    blocked: HashMap<u64, u64>,
    random: HashMap<u64, u64>,
    tf: TermFreq,
}

/// Counts of what happened, for progress and reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Cases seen.
    pub cases: usize,
    /// Query records (requests, or cases in dedupe).
    pub queries: usize,
    /// Candidate pairs compared.
    pub pairs: usize,
    /// Random pairs compared for u.
    pub random_pairs: usize,
    /// EM iterations.
    pub em_iterations: usize,
}

/// The batch linker.
#[derive(Debug)]
pub struct Linker {
    cfg: BatchConfig,
    queries: Vec<PRecord>,
    query_facets: Vec<Facets>,
    query_ids: Vec<String>,
    postings: HashMap<u64, Vec<u32>, KeyHash>,
    init: Weights,
    ids: Vec<String>,
    n_cases: usize,
    /// Pairs, chunk by chunk as absorbed (moved, never copied, so memory peaks once).
    pairs: Vec<Vec<Pair>>,
    blocked: HashMap<u64, u64>,
    random: HashMap<u64, u64>,
    tf: TermFreq,
}

fn hash2(seed: u64, a: u64) -> u64 {
    let mut x = seed ^ a.wrapping_mul(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D049BB133111EB);
    x ^ (x >> 31)
}

impl Linker {
    /// Prepares and indexes the query side: `(id, prepared record)` in output order.
    pub fn new(queries: Vec<(String, PRecord)>, cfg: BatchConfig) -> Linker {
        let mut postings: HashMap<u64, Vec<u32>, KeyHash> = HashMap::default();
        let mut recs = Vec::with_capacity(queries.len());
        let mut facets = Vec::with_capacity(queries.len());
        let mut ids = Vec::with_capacity(queries.len());
        for (i, (id, r)) in queries.into_iter().enumerate() {
            let f = block::facets(&r, Side::Indexed);
            for k in block::anchors(&f) {
                postings.entry(k).or_default().push(i as u32);
            }
            recs.push(r);
            facets.push(f);
            ids.push(id);
        }
        for v in postings.values_mut() {
            v.shrink_to_fit();
        }
        let init = cfg.params.clone().unwrap_or_default().weights();
        Linker {
            cfg,
            queries: recs,
            query_facets: facets,
            query_ids: ids,
            postings,
            init,
            ids: Vec::new(),
            pairs: Vec::new(),
            blocked: HashMap::new(),
            random: HashMap::new(),
            tf: TermFreq::default(),
            n_cases: 0,
        }
    }

    /// Number of query records.
    pub fn n_queries(&self) -> usize {
        self.queries.len()
    }

    /// Blocks and compares a chunk of cases, each with its index (unique over all cases,
    /// e.g. its line number; gaps are allowed). Thread-safe: run chunks on several threads
    /// and absorb the results in any order.
    pub fn process(&self, cases: &[(u32, Case)]) -> ChunkResult {
        self.process_cached(cases, &mut NameCache::new(NAME_CACHE))
    }

    /// [`Linker::process`] with a name cache the caller keeps between chunks (one per
    /// thread), so a name prepared for one chunk serves the next.
    pub fn process_cached(&self, cases: &[(u32, Case)], cache: &mut NameCache) -> ChunkResult {
        let mut out = ChunkResult::default();
        let w = &self.init;
        let child_score = |l: &[u8; 3]| w.child_score(l);
        let nq = self.queries.len() as u64;
        let mut seen: Vec<u32> = Vec::new();
        for (ci, case) in cases {
            let ci = *ci;
            let rec = PRecord::from_case_cached(case, cache);
            out.tf.add_record(&rec, 1);
            out.ids.push((ci, case.id.clone()));
            // Candidates: the queries sharing an anchor key, kept if they share a whole key
            // (the same pairs as intersecting `block::keys`, with far fewer lookups).
            let facets = block::facets(&rec, Side::Query);
            seen.clear();
            for k in block::anchors(&facets) {
                if let Some(v) = self.postings.get(&k) {
                    seen.extend_from_slice(v);
                }
            }
            seen.sort_unstable();
            seen.dedup();
            for &q in &seen {
                if self.cfg.dedupe && q >= ci {
                    continue;
                }
                if !block::shares(&self.query_facets[q as usize], &facets) {
                    continue;
                }
                let g = compare::compare(&self.queries[q as usize], &rec, &child_score);
                let p = g.pattern();
                *out.blocked.entry(p).or_insert(0) += 1;
                out.pairs.push(Pair {
                    query: q,
                    case: ci,
                    pattern: p,
                    child: g.child.unwrap_or(u16::MAX),
                    tf: g.tf,
                });
            }
            // Random pairs for u: many per case at first, fewer later, so small and large
            // inputs both get enough.
            if nq > 0 {
                let h = hash2(self.cfg.seed, ci as u64);
                let k = if ci < 20_000 {
                    5
                } else if h.is_multiple_of(16) {
                    1
                } else {
                    0
                };
                for j in 0..k {
                    let q = (hash2(h, j + 1) % nq) as u32;
                    if self.cfg.dedupe && q == ci {
                        continue;
                    }
                    let g = compare::compare(&self.queries[q as usize], &rec, &child_score);
                    *out.random.entry(g.pattern()).or_insert(0) += 1;
                }
            }
        }
        out
    }

    /// Takes many chunks' results at once (reserving memory once).
    pub fn absorb_all(&mut self, rs: Vec<ChunkResult>) {
        for r in rs {
            self.absorb(r);
        }
    }

    /// Takes a chunk's results.
    pub fn absorb(&mut self, r: ChunkResult) {
        for (i, id) in r.ids {
            let i = i as usize;
            if self.ids.len() <= i {
                self.ids.resize(i + 1, String::new());
            }
            self.ids[i] = id;
            self.n_cases += 1;
        }
        self.pairs.push(r.pairs);
        for (k, v) in r.blocked {
            *self.blocked.entry(k).or_insert(0) += v;
        }
        for (k, v) in r.random {
            *self.random.entry(k).or_insert(0) += v;
        }
        self.tf.merge(&r.tf);
    }

    /// Trains (unless parameters were given), scores and selects. Returns the matches per
    /// query in query order, best first, the parameters used, and counts.
    pub fn finish(self) -> (Vec<MatchRecord>, Params, Stats) {
        let mut stats = Stats {
            cases: self.n_cases,
            queries: self.queries.len(),
            pairs: self.pairs.iter().map(Vec::len).sum(),
            random_pairs: self.random.values().sum::<u64>() as usize,
            em_iterations: 0,
        };
        let params = match self.cfg.params.clone() {
            Some(p) => p,
            None => {
                // Duplicates are rare; starting EM from "most records have a match" would
                // let it settle on the much larger class of merely similar mothers.
                let mut init = Params::default();
                if self.cfg.dedupe {
                    init.match_rate = 0.02;
                }
                let t = model::train(&self.blocked, &self.random, self.queries.len(), &init);
                stats.em_iterations = t.iterations;
                t.params
            }
        };
        let w = params.weights();
        let n_cases = self.n_cases;
        let prior = model::prior_log2_odds(params.match_rate, n_cases);
        let mut per_query: Vec<Vec<(f64, u32, u32)>> = vec![Vec::new(); self.queries.len()];
        for (c, chunk) in self.pairs.iter().enumerate() {
            for (i, p) in chunk.iter().enumerate() {
                let g = gamma(p);
                let s = model::weight(&g, &w, &self.tf, prior);
                if model::probability(s) >= self.cfg.threshold {
                    per_query[p.query as usize].push((s, c as u32, i as u32));
                }
            }
        }
        let mut out = Vec::new();
        for (q, mut v) in per_query.into_iter().enumerate() {
            v.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
            v.truncate(self.cfg.top);
            let mut recs: Vec<MatchRecord> = v
                .into_iter()
                .map(|(_, c, i)| {
                    let p = &self.pairs[c as usize][i as usize];
                    let s = model::score(&gamma(p), &w, &self.tf, prior);
                    MatchRecord {
                        request: self.query_ids[q].clone(),
                        case: self.ids[p.case as usize].clone(),
                        child: (p.child != u16::MAX && !self.cfg.dedupe)
                            .then_some(p.child as usize),
                        probability: s.probability,
                        match_weight: s.match_weight,
                        explain: s.explain,
                    }
                })
                .collect();
            sort_matches(&mut recs);
            out.extend(recs);
        }
        (out, params, stats)
    }
}

fn gamma(p: &Pair) -> Gamma {
    Gamma {
        levels: Gamma::unpack(p.pattern),
        child: (p.child != u16::MAX).then_some(p.child),
        tf: p.tf,
    }
}

/// Links in memory: a convenience over [`Linker`] for small inputs and tests.
pub fn link(
    cases: &[Case],
    requests: &[reunite_domain::record::TracingRequest],
    cfg: BatchConfig,
) -> (Vec<MatchRecord>, Params, Stats) {
    let queries = requests
        .iter()
        .map(|r| (r.id.clone(), PRecord::from_request(r)))
        .collect();
    let mut l = Linker::new(queries, cfg);
    let indexed: Vec<(u32, Case)> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (i as u32, c.clone()))
        .collect();
    let r = l.process(&indexed);
    l.absorb(r);
    l.finish()
}

/// Deduplicates cases in memory: pairs of cases that are likely the same mother.
pub fn dedupe(cases: &[Case], mut cfg: BatchConfig) -> (Vec<MatchRecord>, Params, Stats) {
    cfg.dedupe = true;
    let queries = cases
        .iter()
        .map(|c| (c.id.clone(), PRecord::from_case(c)))
        .collect();
    let mut l = Linker::new(queries, cfg);
    let indexed: Vec<(u32, Case)> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (i as u32, c.clone()))
        .collect();
    let r = l.process(&indexed);
    l.absorb(r);
    l.finish()
}
