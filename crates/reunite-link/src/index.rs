//! The in-memory index the web tier calls: insert, update and remove cases; search one
//! request at a time. An insert is visible to the next search.

use std::collections::HashMap;

use reunite_domain::record::{Case, FieldProblem, MatchRecord, TracingRequest};

use crate::block::{self, Facets, KeyHash, Side};
use crate::compare;
use crate::model::{self, Params, TermFreq, Weights};
use crate::prepared::PRecord;

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
/// ```
/// use reunite_domain::record::{Case, TracingRequest};
/// use reunite_link::{Index, SearchOptions};
/// let case: Case = serde_json::from_str(r#"{"id":"c-1","mother":{"names":[{"text":"리영자"}],
///   "birth":{"year":1979}},"children":[{"names":[{"text":"王明"}],"birth":{"year":2004}}]}"#).unwrap();
/// let req: TracingRequest = serde_json::from_str(r#"{"id":"r-1","sought":{"names":[{"text":"李英子"}],
///   "birth":{"year":1980,"approx_years":2}},"seeker":{"names":[{"text":"Wang Ming"}],"birth":{"year":2004}}}"#).unwrap();
/// let mut index = Index::new(Default::default());
/// index.insert(case).unwrap();
/// let found = index.search(&req, &SearchOptions::default()).unwrap();
/// assert_eq!(found[0].case, "c-1");
/// ```
#[derive(Debug)]
pub struct Index {
    params: Params,
    weights: Weights,
    slots: Vec<Option<Case>>,
    facets: Vec<Facets>,
    free: Vec<u32>,
    ids: HashMap<String, u32>,
    postings: HashMap<u64, Vec<u32>, KeyHash>,
    tf: TermFreq,
}

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

    /// The case with this id.
    pub fn get(&self, id: &str) -> Option<&Case> {
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
        let rec = PRecord::from_case(&case);
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
        self.ids.insert(case.id.clone(), slot);
        self.slots[slot as usize] = Some(case);
        Ok(())
    }

    /// Removes a case; returns whether it was there.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.ids.remove(id) else {
            return false;
        };
        if let Some(case) = self.slots[slot as usize].take() {
            let rec = PRecord::from_case(&case);
            let f = std::mem::take(&mut self.facets[slot as usize]);
            for k in block::anchors(&f) {
                if let Some(v) = self.postings.get_mut(&k) {
                    v.retain(|&s| s != slot);
                    if v.is_empty() {
                        self.postings.remove(&k);
                    }
                }
            }
            self.tf.add_record(&rec, -1);
        }
        self.free.push(slot);
        true
    }

    /// Candidate slots for a prepared request: the cases sharing a blocking key (found
    /// through anchor keys, confirmed on the facets), most shared key kinds first.
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
        let mut c: Vec<(u32, u32)> = seen
            .into_iter()
            .filter_map(|s| {
                let n = block::kinds_shared(&self.facets[s as usize], &f);
                (n > 0).then_some((s, n))
            })
            .collect();
        c.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        c.truncate(max);
        c.into_iter().map(|x| x.0).collect()
    }

    /// Searches one request: matches best first, at most `opts.top`, each at least
    /// `opts.threshold`. An invalid request is refused with its problems.
    pub fn search(
        &self,
        req: &TracingRequest,
        opts: &SearchOptions,
    ) -> Result<Vec<MatchRecord>, Vec<FieldProblem>> {
        let problems = req.validate();
        if !problems.is_empty() {
            return Err(problems);
        }
        let rec = PRecord::from_request(req);
        let prior = model::prior_log2_odds(self.params.match_rate, self.len());
        let w = &self.weights;
        let mut scored = Vec::new();
        for slot in self.candidates(&rec, opts.max_candidates) {
            let Some(case) = &self.slots[slot as usize] else {
                continue;
            };
            let crec = PRecord::from_case(case);
            let g = compare::compare(&rec, &crec, &|l| w.child_score(l));
            let s = model::score(&g, w, &self.tf, prior);
            if s.probability >= opts.threshold {
                scored.push(MatchRecord {
                    request: req.id.clone(),
                    case: case.id.clone(),
                    child: g.child.map(|c| c as usize),
                    probability: s.probability,
                    match_weight: s.match_weight,
                    explain: s.explain,
                });
            }
        }
        sort_matches(&mut scored);
        scored.truncate(opts.top);
        Ok(scored)
    }

    /// Scores one request against one indexed case, without blocking (the caller chose the
    /// pair: a new case against the requests already filed), with the same prior and
    /// weights as [`Index::search`]. `None` if the case is not indexed or the request is
    /// invalid.
    pub fn score_pair(&self, req: &TracingRequest, case_id: &str) -> Option<MatchRecord> {
        if !req.validate().is_empty() {
            return None;
        }
        let case = self.get(case_id)?;
        let rec = PRecord::from_request(req);
        let crec = PRecord::from_case(case);
        let prior = model::prior_log2_odds(self.params.match_rate, self.len());
        let w = &self.weights;
        let g = compare::compare(&rec, &crec, &|l| w.child_score(l));
        let s = model::score(&g, w, &self.tf, prior);
        Some(MatchRecord {
            request: req.id.clone(),
            case: case.id.clone(),
            child: g.child.map(|c| c as usize),
            probability: s.probability,
            match_weight: s.match_weight,
            explain: s.explain,
        })
    }
}

/// Sorts matches best first (ties by case id, so output is deterministic).
pub fn sort_matches(v: &mut [MatchRecord]) {
    v.sort_by(|a, b| {
        b.match_weight
            .total_cmp(&a.match_weight)
            .then_with(|| a.case.cmp(&b.case))
    });
}
