//! Batch linkage in two passes over the cases, so that memory stays small and most pairs
//! are never compared in full:
//!
//! 1. **Train.** Every case is counted; a seeded random sample of them (all of them for
//!    inputs up to [`SAMPLE_TARGET`] cases, about that many for larger ones) is prepared,
//!    blocked against the requests and compared in full. The comparison patterns of these
//!    blocked pairs train m by EM, random pairs give u, and the sample's surnames give the
//!    term frequencies.
//! 2. **Score.** Every case is prepared and blocked again; each candidate pair is scored
//!    with the trained weights by [`Scorer`], which drops a pair as soon as it cannot reach
//!    the threshold or the request's current top list; each worker keeps the best pairs per
//!    request, and the lists are merged at the end.
//!
//! The caller does the reading and may run [`Linker::train_chunk`] and
//! [`Linker::score_chunk`] on several threads (they take `&self`).

use std::collections::HashMap;
use std::sync::Arc;

use reunite_domain::record::{Case, MatchRecord};

use crate::block::{self, FacetStore, Facets, KeyHash, Side};
use crate::compare::{self, Gamma};
use crate::index::sort_matches;
use crate::model::{self, Params, Scorer, TermFreq, Weights};
use crate::prepared::{NameCache, PRecord, SharedNames};

/// Cases compared in full for training: inputs up to this size are trained on all their
/// blocked pairs, larger ones on a random sample of about this many cases. At a million
/// cases and 100,000 requests a sample of 50,000 holds about a million blocked pairs and
/// 4,000 true ones; it trained a model whose F1 was within 0.001 of one trained on 100,000
/// (crates/reunite-link/README.md), in half the time.
pub const SAMPLE_TARGET: usize = 50_000;

/// Queries whose facets are read together before they are compared.
const READ_AHEAD: usize = 8;

/// Random pairs compared per sampled case (for u).
const RANDOM_PER_CASE: u64 = 3;

/// Batch settings.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    /// Most matches per request.
    pub top: usize,
    /// Least probability written.
    pub threshold: f64,
    /// Seed of the random sampling (cases for training, pairs for u).
    pub seed: u64,
    /// Use these parameters instead of training.
    pub params: Option<Params>,
    /// Deduplication: the query side is the cases themselves; only pairs (i, j) with i < j.
    pub dedupe: bool,
    /// About how many cases train the model ([`SAMPLE_TARGET`] by default).
    pub sample_target: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            top: 5,
            threshold: 0.5,
            seed: 1,
            params: None,
            dedupe: false,
            sample_target: SAMPLE_TARGET,
        }
    }
}

/// What training on one chunk of cases produced.
#[derive(Debug, Default)]
pub struct TrainChunk {
    cases: usize,
    sampled: usize,
    pairs: usize,
    blocked: HashMap<u64, u64>,
    random: HashMap<u64, u64>,
    tf: TermFreq,
}

/// A kept pair: its weight and what is needed to explain it.
#[derive(Debug, Clone, Copy)]
struct Kept {
    weight: f64,
    case: u32,
    gamma: Gamma,
}

/// The best pairs per request found by one worker (ties at the last place are all kept,
/// so the final order, which breaks ties by case id, does not depend on arrival).
#[derive(Debug, Default)]
pub struct Tops {
    lists: Vec<Vec<Kept>>,
    /// The ids of the cases that were ever kept (few: most cases never make a list).
    ids: HashMap<u32, String>,
    candidates: usize,
    scored: usize,
}

impl Tops {
    /// The least weight a new pair for `q` must reach to be kept.
    fn floor(&self, q: usize, top: usize, threshold: f64) -> f64 {
        match self.lists.get(q) {
            Some(v) if top > 0 && v.len() >= top => v[top - 1].weight.max(threshold),
            _ if top == 0 => f64::INFINITY,
            _ => threshold,
        }
    }

    fn keep(&mut self, q: usize, k: Kept, top: usize) {
        if self.lists.len() <= q {
            self.lists.resize_with(q + 1, Vec::new);
        }
        let v = &mut self.lists[q];
        let at = v.partition_point(|x| x.weight >= k.weight);
        v.insert(at, k);
        if v.len() > top {
            let last = v[top - 1].weight;
            v.retain(|x| x.weight >= last);
        }
    }

    /// Merges another worker's lists.
    fn merge(&mut self, other: Tops, top: usize) {
        for (q, v) in other.lists.into_iter().enumerate() {
            for k in v {
                self.keep(q, k, top);
            }
        }
        for (k, v) in other.ids {
            self.ids.entry(k).or_insert(v);
        }
        self.candidates += other.candidates;
        self.scored += other.scored;
    }
}

/// Counts of what happened, for progress and reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Cases seen.
    pub cases: usize,
    /// Cases compared in full for training.
    pub sampled: usize,
    /// Query records (requests, or cases in dedupe).
    pub queries: usize,
    /// Candidate pairs (sharing a blocking key).
    pub pairs: usize,
    /// Candidate pairs compared in full for training.
    pub training_pairs: usize,
    /// Candidate pairs whose names were compared to the end while scoring (the others
    /// could not reach the threshold or the request's top list).
    pub scored_pairs: usize,
    /// Random pairs compared for u.
    pub random_pairs: usize,
    /// EM iterations.
    pub em_iterations: usize,
}

/// The trained model, ready for scoring.
#[derive(Debug)]
struct Model {
    params: Params,
    weights: Weights,
    tf: TermFreq,
    prior: f64,
    threshold_weight: f64,
}

/// The queries posted under each anchor key, in one array: the map gives a key's range in
/// it, or the query itself when it is alone under the key (most are), so that a lookup
/// touches the map and at most one more place.
#[derive(Debug, Default)]
struct Postings {
    /// Key → (query, 1) or (start in `ids`, length).
    map: HashMap<u64, (u32, u32), KeyHash>,
    ids: Vec<u32>,
}

impl Postings {
    fn new(mut posted: Vec<(u64, u32)>) -> Postings {
        posted.sort_unstable();
        posted.dedup();
        let mut p = Postings::default();
        p.map.reserve(posted.len());
        for run in posted.chunk_by(|a, b| a.0 == b.0) {
            let entry = if let [(_, q)] = run {
                (*q, 1)
            } else {
                let start = p.ids.len() as u32;
                p.ids.extend(run.iter().map(|x| x.1));
                (start, run.len() as u32)
            };
            p.map.insert(run[0].0, entry);
        }
        p.map.shrink_to_fit();
        p
    }

    fn get(&self, k: u64) -> &[u32] {
        match self.map.get(&k) {
            None => &[],
            Some((q, 1)) => std::slice::from_ref(q),
            Some(&(start, n)) => &self.ids[start as usize..(start + n) as usize],
        }
    }
}

/// Buffers one worker reuses from case to case.
#[derive(Debug, Default)]
struct Scratch {
    /// Candidate queries.
    seen: Vec<u32>,
    /// Anchor hits: query << 5 | the anchor key's tag.
    hits: Vec<u64>,
    /// Per candidate query in `seen`, the tags of the anchors it was met by (bit per tag).
    tags: Vec<u32>,
    /// Anchor keys.
    keys: Vec<u64>,
    /// The case's facets.
    facets: Facets,
}

/// The batch linker.
#[derive(Debug)]
pub struct Linker {
    cfg: BatchConfig,
    queries: Vec<PRecord>,
    query_facets: FacetStore,
    query_ids: Vec<String>,
    postings: Postings,
    init: Weights,
    names: Arc<SharedNames>,
    sample_every: u64,
    train: TrainChunk,
    em_iterations: usize,
    model: Option<Model>,
}

fn hash2(seed: u64, a: u64) -> u64 {
    let mut x = seed ^ a.wrapping_mul(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D049BB133111EB);
    x ^ (x >> 31)
}

/// The weight a pair needs for its probability to reach `p`.
fn weight_of_probability(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        (p / (1.0 - p)).log2()
    }
}

impl Linker {
    /// Indexes the query side: `(id, prepared record)` in output order. Prepare them with
    /// [`Linker::names`]-backed caches so the cases share their prepared names.
    pub fn new(queries: Vec<(String, PRecord)>, cfg: BatchConfig) -> Linker {
        Self::with_names(queries, cfg, Arc::default())
    }

    /// [`Linker::new`] with a table of prepared names to share with the cases.
    pub fn with_names(
        queries: Vec<(String, PRecord)>,
        cfg: BatchConfig,
        names: Arc<SharedNames>,
    ) -> Linker {
        let mut posted: Vec<(u64, u32)> = Vec::new();
        let mut recs = Vec::with_capacity(queries.len());
        let mut facets = FacetStore::default();
        let mut ids = Vec::with_capacity(queries.len());
        for (i, (id, r)) in queries.into_iter().enumerate() {
            let f = block::facets(&r, Side::Indexed);
            for k in block::anchors(&f) {
                posted.push((k, i as u32));
            }
            recs.push(r);
            facets.push(&f);
            ids.push(id);
        }
        let postings = Postings::new(posted);
        let init = cfg.params.clone().unwrap_or_default().weights();
        Linker {
            cfg,
            queries: recs,
            query_facets: facets,
            query_ids: ids,
            postings,
            init,
            names,
            sample_every: 1,
            train: TrainChunk::default(),
            em_iterations: 0,
            model: None,
        }
    }

    /// Number of query records.
    pub fn n_queries(&self) -> usize {
        self.queries.len()
    }

    /// The prepared names shared by the queries and the cases.
    pub fn names(&self) -> Arc<SharedNames> {
        self.names.clone()
    }

    /// A name cache for one worker thread (backed by the shared table).
    pub fn name_cache(&self) -> NameCache {
        NameCache::shared(self.names.clone())
    }

    /// Sets how many cases there are about to be (e.g. the number of lines of the file),
    /// which decides the share of them that trains the model. Call before training.
    pub fn expect_cases(&mut self, n: usize) {
        self.sample_every = n.div_ceil(self.cfg.sample_target.max(1)).max(1) as u64;
    }

    /// Whether the case with this index is in the training sample. A reader may skip
    /// parsing the other cases in the first pass and count them with
    /// [`Linker::add_unread_cases`].
    pub fn samples(&self, ci: u32) -> bool {
        self.sample_every <= 1
            || hash2(self.cfg.seed ^ 0x5a4d, ci as u64).is_multiple_of(self.sample_every)
    }

    /// Counts cases that the first pass did not read (outside the sample; see
    /// [`Linker::samples`]): the prior depends on the number of cases.
    pub fn add_unread_cases(&mut self, n: usize) {
        self.train.cases += n;
    }

    /// The candidate queries of a prepared case: sharing an anchor key, kept if they share
    /// a whole key (the same pairs as intersecting `block::keys`, with far fewer lookups).
    fn candidates(&self, ci: u32, rec: &PRecord, scratch: &mut Scratch) {
        let Scratch {
            seen,
            hits,
            tags,
            keys,
            facets,
        } = scratch;
        block::facets_into(rec, Side::Query, facets);
        hits.clear();
        block::anchors_into(facets, keys);
        for &k in keys.iter() {
            let t = block::tag(k) as u64;
            hits.extend(self.postings.get(k).iter().map(|&q| (q as u64) << 5 | t));
        }
        hits.sort_unstable();
        // One entry per query: its id and the tags of the anchors it was met by.
        seen.clear();
        tags.clear();
        for &h in hits.iter() {
            let (q, t) = ((h >> 5) as u32, 1u32 << (h & 0x1f));
            if self.cfg.dedupe && q >= ci {
                break;
            }
            match (seen.last(), tags.last_mut()) {
                (Some(&last), Some(x)) if last == q => *x |= t,
                _ => {
                    seen.push(q);
                    tags.push(t);
                }
            }
        }
        // The queries' facets are scattered over memory: reading a few queries' facets
        // before comparing them lets the reads overlap.
        let mut kept = 0;
        for at in (0..seen.len()).step_by(READ_AHEAD) {
            let end = (at + READ_AHEAD).min(seen.len());
            let touched = seen[at..end]
                .iter()
                .fold(0, |x, &q| x ^ self.query_facets.touch(q as usize));
            std::hint::black_box(touched);
            for i in at..end {
                let q = seen[i];
                if block::shares_anchored(tags[i], &self.query_facets.get(q as usize), facets) {
                    seen[kept] = q;
                    kept += 1;
                }
            }
        }
        seen.truncate(kept);
    }

    /// First pass over a chunk of cases, each with its index (unique over all cases, e.g.
    /// its line number; gaps are allowed): counts them, and compares the sampled ones in
    /// full with their candidates and with random requests. Thread-safe.
    pub fn train_chunk(&self, cases: &[(u32, Case)], cache: &mut NameCache) -> TrainChunk {
        let mut out = TrainChunk {
            cases: cases.len(),
            ..Default::default()
        };
        let w = &self.init;
        let child_score = |l: &[u8; 3]| w.child_score(l);
        let nq = self.queries.len() as u64;
        let mut scratch = Scratch::default();
        for (ci, case) in cases {
            let ci = *ci;
            if !self.samples(ci) {
                continue;
            }
            out.sampled += 1;
            let rec = PRecord::from_case_cached(case, cache);
            out.tf.add_record(&rec, 1);
            if self.cfg.params.is_some() {
                // Parameters given: the sample only counts surnames.
                continue;
            }
            self.candidates(ci, &rec, &mut scratch);
            let seen = &scratch.seen;
            for &q in seen {
                let g = compare::compare(&self.queries[q as usize], &rec, &child_score);
                *out.blocked.entry(g.pattern()).or_insert(0) += 1;
            }
            out.pairs += seen.len();
            if nq > 0 {
                let h = hash2(self.cfg.seed, ci as u64);
                for j in 0..RANDOM_PER_CASE {
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

    /// Takes a chunk's training results.
    pub fn absorb_train(&mut self, r: TrainChunk) {
        let t = &mut self.train;
        t.cases += r.cases;
        t.sampled += r.sampled;
        t.pairs += r.pairs;
        for (k, v) in r.blocked {
            *t.blocked.entry(k).or_insert(0) += v;
        }
        for (k, v) in r.random {
            *t.random.entry(k).or_insert(0) += v;
        }
        t.tf.merge(&r.tf);
    }

    /// Trains the model on what the first pass saw (unless parameters were given).
    pub fn train(&mut self) {
        let t = &self.train;
        let params = match self.cfg.params.clone() {
            Some(p) => p,
            None => {
                // Duplicates are rare; starting EM from "most records have a match" would
                // let it settle on the much larger class of merely similar mothers.
                let mut init = Params::default();
                if self.cfg.dedupe {
                    init.match_rate = 0.02;
                }
                // The sample holds about this share of the requests' true mothers.
                let share = t.sampled as f64 / t.cases.max(1) as f64;
                let n_eff = ((self.queries.len() as f64 * share).round() as usize).max(1);
                let tr = model::train(&t.blocked, &t.random, n_eff, &init);
                self.em_iterations = tr.iterations;
                tr.params
            }
        };
        self.model = Some(Model {
            weights: params.weights(),
            prior: model::prior_log2_odds(params.match_rate, t.cases),
            threshold_weight: weight_of_probability(self.cfg.threshold),
            tf: t.tf.clone(),
            params,
        });
    }

    /// Second pass over a chunk of cases (the same indices as the first): scores every
    /// candidate pair, keeping in `tops` (one per worker thread) the best per query.
    /// Call after [`Linker::train`]. Thread-safe.
    pub fn score_chunk(&self, cases: &[(u32, Case)], cache: &mut NameCache, tops: &mut Tops) {
        let m = self.model.as_ref().expect("train before scoring");
        let scorer = Scorer::new(&m.weights, &m.tf, m.prior);
        let top = self.cfg.top;
        let mut scratch = Scratch::default();
        for (ci, case) in cases {
            let ci = *ci;
            let rec = PRecord::from_case_cached(case, cache);
            self.candidates(ci, &rec, &mut scratch);
            tops.candidates += scratch.seen.len();
            let cb = scorer.bounds(&rec);
            for &q in &scratch.seen {
                let q = q as usize;
                let floor = tops.floor(q, top, m.threshold_weight);
                if let Some((weight, gamma)) = scorer.weigh(&self.queries[q], &rec, &cb, floor) {
                    tops.scored += 1;
                    if model::probability(weight) >= self.cfg.threshold && weight >= floor {
                        tops.ids.entry(ci).or_insert_with(|| case.id.clone());
                        tops.keep(
                            q,
                            Kept {
                                weight,
                                case: ci,
                                gamma,
                            },
                            top,
                        );
                    }
                }
            }
        }
    }

    /// Merges the workers' lists and writes the matches per query in query order, best
    /// first; returns them with the parameters used and counts.
    /// (The linker is left without its model; a caller about to exit may `forget` it
    /// rather than spend seconds freeing millions of small allocations.)
    pub fn finish(&mut self, workers: Vec<Tops>) -> (Vec<MatchRecord>, Params, Stats) {
        let m = self.model.take().expect("train before finishing");
        let top = self.cfg.top;
        let mut all = Tops::default();
        for t in workers {
            all.merge(t, top);
        }
        let ids = &all.ids;
        let stats = Stats {
            cases: self.train.cases,
            sampled: self.train.sampled,
            queries: self.queries.len(),
            pairs: all.candidates,
            training_pairs: self.train.pairs,
            scored_pairs: all.scored,
            random_pairs: self.train.random.values().sum::<u64>() as usize,
            em_iterations: self.em_iterations,
        };
        let mut out = Vec::new();
        for (q, v) in all.lists.into_iter().enumerate() {
            let mut recs: Vec<MatchRecord> = v
                .into_iter()
                .map(|k| {
                    let s = model::score(&k.gamma, &m.weights, &m.tf, m.prior);
                    MatchRecord {
                        request: self.query_ids[q].clone(),
                        case: ids.get(&k.case).cloned().unwrap_or_default(),
                        child: (!self.cfg.dedupe)
                            .then_some(k.gamma.child.map(|c| c as usize))
                            .flatten(),
                        probability: s.probability,
                        match_weight: s.match_weight,
                        explain: s.explain,
                    }
                })
                .collect();
            sort_matches(&mut recs);
            recs.truncate(top);
            out.extend(recs);
        }
        (out, m.params, stats)
    }
}

/// Runs both passes over cases held in memory (one thread).
fn run(mut l: Linker, cases: &[Case]) -> (Vec<MatchRecord>, Params, Stats) {
    let indexed: Vec<(u32, Case)> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (i as u32, c.clone()))
        .collect();
    l.expect_cases(indexed.len());
    let mut cache = l.name_cache();
    let r = l.train_chunk(&indexed, &mut cache);
    l.absorb_train(r);
    l.train();
    let mut tops = Tops::default();
    l.score_chunk(&indexed, &mut cache, &mut tops);
    l.finish(vec![tops])
}

/// Links in memory: a convenience over [`Linker`] for small inputs and tests.
pub fn link(
    cases: &[Case],
    requests: &[reunite_domain::record::TracingRequest],
    cfg: BatchConfig,
) -> (Vec<MatchRecord>, Params, Stats) {
    let names: Arc<SharedNames> = Arc::default();
    let mut cache = NameCache::shared(names.clone());
    let queries = requests
        .iter()
        .map(|r| (r.id.clone(), PRecord::from_request_cached(r, &mut cache)))
        .collect();
    run(Linker::with_names(queries, cfg, names), cases)
}

/// Deduplicates cases in memory: pairs of cases that are likely the same mother.
pub fn dedupe(cases: &[Case], mut cfg: BatchConfig) -> (Vec<MatchRecord>, Params, Stats) {
    cfg.dedupe = true;
    let names: Arc<SharedNames> = Arc::default();
    let mut cache = NameCache::shared(names.clone());
    let queries = cases
        .iter()
        .map(|c| (c.id.clone(), PRecord::from_case_cached(c, &mut cache)))
        .collect();
    run(Linker::with_names(queries, cfg, names), cases)
}
