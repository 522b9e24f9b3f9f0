//! The in-memory index the web tier calls: insert, update and remove cases; search one
//! request at a time. An insert is visible to the next search.

use std::collections::HashMap;

use reunite_domain::record::{Case, FieldProblem, MatchRecord, TracingRequest};

use crate::block::{self, Facets, KeyHash, Side};
use crate::compare::{self, Gamma};
use crate::model::{self, Params, Scorer, TermFreq, Weights};
use crate::prepared::{NameCache, PRecord};

/// What a search returns at most, and how far it looks.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// Most matches returned.
    pub top: usize,
    /// Least probability returned.
    pub threshold: f64,
    /// Most candidates scored in full (those sharing the most blocking keys first).
    pub max_candidates: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            top: 5,
            threshold: 0.0,
            max_candidates: 300,
        }
    }
}

/// An in-memory index of cases.
///
/// Each case is kept prepared for comparison (names parsed once, through a name table the
/// index keeps, so a name that recurs is prepared and stored once), not as the case that was
/// inserted: a search compares the request with the prepared cases at once.
///
/// ```
/// use reunite_domain::record::{Case, TracingRequest};
/// use reunite_link::{Index, SearchOptions};
/// let case: Case = serde_json::from_str(r#"{"id":"c-1","mother":{"names":[{"text":"리영자"}],
///   "birth":{"year":1979}},"children":[{"names":[{"text":"王明"}],"birth":{"year":2004}}]}"#).unwrap();
/// let req: TracingRequest = serde_json::from_str(r#"{"id":"r-1","sought":{"names":[{"text":"李英子"}],
///   "birth":{"year":1980,"approx_years":2}},"seeker":{"names":[{"text":"Wang Ming"}],"birth":{"year":2004}}}"#).unwrap();
/// let mut index = Index::new(Default::default());
/// index.insert(case).unwrap();
/// assert!(index.contains("c-1"));
/// let found = index.search(&req, &SearchOptions::default()).unwrap();
/// assert_eq!(found[0].case, "c-1");
/// assert_eq!(index.score_pair(&req, "c-1").as_ref(), found.first());
/// assert!(index.remove("c-1"));
/// assert!(!index.contains("c-1") && index.search(&req, &SearchOptions::default()).unwrap().is_empty());
/// ```
#[derive(Debug)]
pub struct Index {
    params: Params,
    weights: Weights,
    slots: Vec<Option<Stored>>,
    facets: Vec<Facets>,
    free: Vec<u32>,
    ids: HashMap<String, u32>,
    postings: HashMap<u64, Vec<u32>, KeyHash>,
    tf: TermFreq,
    names: NameCache,
    /// The name table is purged of names no case holds any more when it reaches this size.
    purge_at: usize,
}

/// One indexed case: its id and its prepared record.
#[derive(Debug)]
struct Stored {
    id: Box<str>,
    rec: PRecord,
}

/// How many candidates' records a search reads ahead of comparing them.
const TOUCH_AHEAD: usize = 32;

/// Least size of the name table before it is first purged.
const PURGE_MIN: usize = 4096;

impl Index {
    /// An empty index scoring with `params`.
    pub fn new(params: Params) -> Index {
        Index {
            weights: params.weights(),
            params,
            slots: Vec::new(),
            facets: Vec::new(),
            free: Vec::new(),
            ids: HashMap::new(),
            postings: HashMap::default(),
            tf: TermFreq::default(),
            names: NameCache::new(usize::MAX),
            purge_at: PURGE_MIN,
        }
    }

    /// Replaces the parameters (e.g. after retraining).
    pub fn set_params(&mut self, params: Params) {
        self.weights = params.weights();
        self.params = params;
    }

    /// The parameters in use.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether a case with this id is indexed.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// Number of distinct prepared names held (those of the indexed cases, and at most as
    /// many again of removed or replaced cases, dropped at the next purge).
    pub fn prepared_names(&self) -> usize {
        self.names.len()
    }

    fn stored(&self, id: &str) -> Option<&Stored> {
        self.slots[*self.ids.get(id)? as usize].as_ref()
    }

    /// Inserts a case, or replaces the case with the same id. Invalid cases are refused
    /// with their problems.
    pub fn insert(&mut self, case: Case) -> Result<(), Vec<FieldProblem>> {
        let problems = case.validate();
        if !problems.is_empty() {
            return Err(problems);
        }
        self.remove(&case.id);
        let rec = PRecord::from_case_cached(&case, &mut self.names);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.facets.push(Facets::default());
                (self.slots.len() - 1) as u32
            }
        };
        let f = block::facets(&rec, Side::Indexed);
        for k in block::anchors(&f) {
            self.postings.entry(k).or_default().push(slot);
        }
        self.facets[slot as usize] = f;
        self.tf.add_record(&rec, 1);
        let id = case.id;
        self.slots[slot as usize] = Some(Stored {
            id: id.as_str().into(),
            rec,
        });
        self.ids.insert(id, slot);
        if self.names.len() >= self.purge_at {
            // Names of removed or replaced cases that no case holds any more.
            self.names.purge();
            self.purge_at = (2 * self.names.len()).max(PURGE_MIN);
        }
        Ok(())
    }

    /// Removes a case; returns whether it was there.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.ids.remove(id) else {
            return false;
        };
        if let Some(stored) = self.slots[slot as usize].take() {
            let f = std::mem::take(&mut self.facets[slot as usize]);
            for k in block::anchors(&f) {
                if let Some(v) = self.postings.get_mut(&k) {
                    v.retain(|&s| s != slot);
                    if v.is_empty() {
                        self.postings.remove(&k);
                    }
                }
            }
            self.tf.add_record(&stored.rec, -1);
        }
        self.free.push(slot);
        true
    }

    /// Candidate slots for a prepared request: the cases sharing a blocking key (found
    /// through anchor keys, confirmed on the facets), most shared key kinds first (ties by
    /// slot), at most `max`.
    fn candidates(&self, rec: &PRecord, max: usize) -> Vec<u32> {
        let f = block::facets(rec, Side::Query);
        let mut seen: Vec<u32> = Vec::new();
        for k in block::anchors(&f) {
            if let Some(v) = self.postings.get(&k) {
                seen.extend_from_slice(v);
            }
        }
        seen.sort_unstable();
        seen.dedup();
        let mut c: Vec<(u32, u32)> = Vec::new();
        // The facets of the slots seen are scattered over memory: reading a few slots'
        // facets before comparing them lets the reads overlap (this step takes about 40%
        // less time with a million cases).
        for chunk in seen.chunks(16) {
            let touched = chunk
                .iter()
                .fold(0, |x, &s| x ^ self.facets[s as usize].touch());
            std::hint::black_box(touched);
            for &s in chunk {
                let n = block::kinds_shared(&self.facets[s as usize], &f);
                if n > 0 {
                    c.push((s, n));
                }
            }
        }
        c.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        c.truncate(max);
        c.into_iter().map(|x| x.0).collect()
    }

    /// The ids of the cases a search for `req` compares the request with (what blocking
    /// finds, most shared key kinds first, at most `max`), in that order; empty for an
    /// invalid request. For checking and diagnosing searches.
    pub fn candidate_ids(&self, req: &TracingRequest, max: usize) -> Vec<&str> {
        if !req.validate().is_empty() {
            return Vec::new();
        }
        let rec = PRecord::from_request(req);
        self.candidates(&rec, max)
            .into_iter()
            .filter_map(|s| self.slots[s as usize].as_ref().map(|e| &*e.id))
            .collect()
    }

    /// Searches one request: matches best first, at most `opts.top`, each at least
    /// `opts.threshold`. An invalid request is refused with its problems.
    ///
    /// The candidates are weighed against a floor (the threshold's weight, or the weight of
    /// the `top`-th best match found so far when higher): a candidate is dropped as soon as
    /// it certainly cannot reach it, and only the matches returned are explained. The result
    /// is exactly that of comparing and scoring every candidate in full.
    pub fn search(
        &self,
        req: &TracingRequest,
        opts: &SearchOptions,
    ) -> Result<Vec<MatchRecord>, Vec<FieldProblem>> {
        let problems = req.validate();
        if !problems.is_empty() {
            return Err(problems);
        }
        if opts.top == 0 {
            return Ok(Vec::new());
        }
        let rec = PRecord::from_request(req);
        let prior = model::prior_log2_odds(self.params.match_rate, self.len());
        let scorer = Scorer::new(&self.weights, &self.tf, prior);
        let threshold_floor = weight_floor(opts.threshold);
        // The best so far, best first: (weight, case id, comparison vector).
        let mut best: Vec<(f64, &str, Gamma)> = Vec::with_capacity(opts.top.min(64) + 1);
        let cands = self.candidates(&rec, opts.max_candidates);
        for (i, &slot) in cands.iter().enumerate() {
            if i % TOUCH_AHEAD == 0 {
                // The candidates' prepared names are scattered over a large heap: reading a
                // few records' worth first lets the reads overlap (a quarter off a search
                // with a million cases).
                let touched = cands[i..]
                    .iter()
                    .take(TOUCH_AHEAD)
                    .filter_map(|&s| self.slots[s as usize].as_ref())
                    .fold(0, |x, e| x ^ e.rec.touch());
                std::hint::black_box(touched);
            }
            let Some(stored) = &self.slots[slot as usize] else {
                continue;
            };
            let floor = match best.get(opts.top - 1) {
                Some(last) => threshold_floor.max(last.0),
                None => threshold_floor,
            };
            let cb = scorer.bounds(&stored.rec);
            let Some((weight, g)) = scorer.weigh(&rec, &stored.rec, &cb, floor) else {
                continue;
            };
            // As the threshold is tested on the explained match (a NaN threshold keeps none).
            let reaches = model::probability(weight) >= opts.threshold;
            if !reaches {
                continue;
            }
            let id = &*stored.id;
            // Where it goes in the order of `sort_matches`.
            let at = best.partition_point(|b| {
                b.0.total_cmp(&weight)
                    .reverse()
                    .then_with(|| b.1.cmp(id))
                    .is_lt()
            });
            if at < opts.top {
                best.insert(at, (weight, id, g));
                best.truncate(opts.top);
            }
        }
        let mut out: Vec<MatchRecord> = best
            .into_iter()
            .map(|(_, id, g)| self.explained(req, id, &g, prior))
            .collect();
        sort_matches(&mut out);
        Ok(out)
    }

    fn explained(&self, req: &TracingRequest, case: &str, g: &Gamma, prior: f64) -> MatchRecord {
        let s = model::score(g, &self.weights, &self.tf, prior);
        MatchRecord {
            request: req.id.clone(),
            case: case.to_string(),
            child: g.child.map(|c| c as usize),
            probability: s.probability,
            match_weight: s.match_weight,
            explain: s.explain,
        }
    }

    /// Scores one request against one indexed case, without blocking (the caller chose the
    /// pair: a new case against the requests already filed), with the same prior and
    /// weights as [`Index::search`]. `None` if the case is not indexed or the request is
    /// invalid.
    pub fn score_pair(&self, req: &TracingRequest, case_id: &str) -> Option<MatchRecord> {
        if !req.validate().is_empty() {
            return None;
        }
        let stored = self.stored(case_id)?;
        let rec = PRecord::from_request(req);
        let prior = model::prior_log2_odds(self.params.match_rate, self.len());
        let w = &self.weights;
        let g = compare::compare(&rec, &stored.rec, &|l| w.child_score(l));
        Some(self.explained(req, &stored.id, &g, prior))
    }
}

/// The least weight whose probability reaches `threshold`, or a little less: every weight
/// `w` with `model::probability(w) >= threshold` is at least this (`-∞` for a threshold of
/// 0 or less). The logit is only a start: near 0 and 1 the probability is rounded, so the
/// floor is lowered until its own probability falls short.
fn weight_floor(threshold: f64) -> f64 {
    if threshold.is_nan() || threshold <= 0.0 {
        return f64::NEG_INFINITY;
    }
    // Past about 53 the probability rounds to 1.
    let mut f = if threshold < 1.0 {
        (threshold / (1.0 - threshold)).log2().min(64.0)
    } else {
        64.0
    };
    let mut step = 1e-9f64.max(f.abs() * 1e-12);
    while model::probability(f) >= threshold {
        f -= step;
        step *= 2.0;
    }
    f
}

/// Sorts matches best first (ties by case id, so output is deterministic).
pub fn sort_matches(v: &mut [MatchRecord]) {
    v.sort_by(|a, b| {
        b.match_weight
            .total_cmp(&a.match_weight)
            .then_with(|| a.case.cmp(&b.case))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_floor_keeps_every_weight_that_reaches_the_threshold() {
        assert_eq!(weight_floor(0.0), f64::NEG_INFINITY);
        assert_eq!(weight_floor(-1.0), f64::NEG_INFINITY);
        assert_eq!(weight_floor(f64::NAN), f64::NEG_INFINITY);
        for t in [
            1e-300,
            1e-12,
            0.01,
            0.3,
            0.5,
            0.7,
            0.99,
            0.999_999,
            1.0 - 1e-15,
            1.0,
            1.5,
        ] {
            let f = weight_floor(t);
            assert!(f.is_finite(), "{t}");
            // Neither the floor nor anything below it reaches the threshold.
            assert!(model::probability(f) < t, "{t}: {f}");
            for d in [1e-9, 1e-6, 1e-3, 0.1, 1.0] {
                assert!(model::probability(f - d) < t, "{t}: {f} - {d}");
            }
            if t < 1.0 {
                let logit = (t / (1.0 - t)).log2();
                assert!(f <= logit && f > logit - 3.0, "{t}: {f} vs {logit}");
            }
        }
        // Probabilities round to 1 from a weight of about 53: a threshold of 1 keeps those.
        assert!(weight_floor(1.0) < 54.0);
        assert!(model::probability(54.0) >= 1.0);
    }
}
