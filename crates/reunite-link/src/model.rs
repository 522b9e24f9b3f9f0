//! Fellegi–Sunter: m- and u-probabilities per field level, the prior, term-frequency
//! adjustment of surnames, scoring with an explanation, EM training, saving and loading.

use std::collections::HashMap;

use reunite_domain::record::ExplainEntry;
use serde::{Deserialize, Serialize};

use crate::compare::{self, FIELDS, Gamma, MISSING, NAME_FIELDS, NF};

/// Parameters of one comparison field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldParams {
    /// Field name (`sought.name`, …).
    pub field: String,
    /// Level names, least alike first.
    pub levels: Vec<String>,
    /// P(level | match).
    pub m: Vec<f64>,
    /// P(level | non-match).
    pub u: Vec<f64>,
}

/// Trained parameters (saved and loaded as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Format version.
    pub version: u32,
    /// Share of requests whose mother is registered (the prior per pair is this divided by
    /// the number of cases searched).
    pub match_rate: f64,
    /// Per-field parameters, in [`FIELDS`] order.
    pub fields: Vec<FieldParams>,
}

/// Bounds on the term-frequency adjustment (log2).
const TF_CLAMP: f64 = 6.0;

impl Default for Params {
    /// Hand-set starting values: what an expert would guess before seeing data.
    fn default() -> Params {
        let name_m = [0.03, 0.04, 0.05, 0.08, 0.1, 0.4, 0.3];
        let name_u = [0.93, 0.05, 0.01, 0.006, 0.002, 0.0015, 0.0005];
        let table: [(&[f64], &[f64]); NF] = [
            (&name_m, &name_u),
            (&[0.05, 0.1, 0.35, 0.4, 0.1], &[0.7, 0.15, 0.1, 0.04, 0.01]),
            // Places: agreeing as far as both sides go is never evidence against (a place
            // known only to the province agrees with itself only at that level).
            (&[0.05, 0.3, 0.2, 0.45], &[0.4, 0.3, 0.2, 0.1]),
            (&name_m, &name_u),
            (
                &[0.04, 0.08, 0.1, 0.1, 0.05, 0.08, 0.55],
                &[0.85, 0.08, 0.05, 0.01, 0.001, 0.001, 0.0005],
            ),
            (&[0.05, 0.95], &[0.5, 0.5]),
            (&name_m, &name_u),
            (&[0.05, 0.3, 0.2, 0.45], &[0.5, 0.3, 0.1, 0.1]),
            (&[0.05, 0.15, 0.4, 0.4], &[0.6, 0.2, 0.1, 0.1]),
        ];
        Params {
            version: 1,
            match_rate: 0.8,
            fields: table
                .iter()
                .enumerate()
                .map(|(i, (m, u))| FieldParams {
                    field: FIELDS[i].to_string(),
                    levels: compare::levels(i).iter().map(|s| s.to_string()).collect(),
                    m: m.to_vec(),
                    u: u.to_vec(),
                })
                .collect(),
        }
    }
}

/// Problems with loaded parameters.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// Not valid JSON for [`Params`].
    #[error("parameters are not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// The fields or levels do not match this version of the model.
    #[error("parameters do not fit this model: {0}")]
    Shape(String),
}

impl Params {
    /// Serializes to pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("params serialize")
    }

    /// Parses and checks JSON written by [`Params::to_json`].
    pub fn from_json(s: &str) -> Result<Params, ParamsError> {
        let p: Params = serde_json::from_str(s)?;
        if p.fields.len() != NF {
            return Err(ParamsError::Shape(format!("{} fields", p.fields.len())));
        }
        for (i, f) in p.fields.iter().enumerate() {
            let n = compare::levels(i).len();
            if f.field != FIELDS[i] || f.m.len() != n || f.u.len() != n {
                return Err(ParamsError::Shape(format!("field {}", f.field)));
            }
            if f.m.iter().chain(&f.u).any(|x| !x.is_finite() || *x <= 0.0) {
                return Err(ParamsError::Shape(format!("{}: probabilities", f.field)));
            }
        }
        if !(p.match_rate > 0.0 && p.match_rate <= 1.0) {
            return Err(ParamsError::Shape("match_rate".into()));
        }
        Ok(p)
    }

    /// log2 Bayes factors per field and level.
    pub fn weights(&self) -> Weights {
        let mut w = [[0.0f64; 8]; NF];
        for (i, f) in self.fields.iter().enumerate() {
            for (l, (m, u)) in f.m.iter().zip(&f.u).enumerate() {
                w[i][l] = (m / u).log2();
            }
        }
        Weights { w }
    }
}

/// log2 Bayes factors, ready for scoring.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    w: [[f64; 8]; NF],
}

impl Weights {
    /// log2 Bayes factor of one field at one level (0 when missing).
    pub fn bf(&self, field: usize, level: u8) -> f64 {
        if level == MISSING {
            0.0
        } else {
            self.w[field][(level as usize).min(7)]
        }
    }

    /// Score of a child pair (name, birth, sex), for choosing the best-fitting child.
    pub fn child_score(&self, l: &[u8; 3]) -> f64 {
        self.bf(3, l[0]) + self.bf(4, l[1]) + self.bf(5, l[2])
    }
}

/// Surname frequencies, one table per name field (mother, child, father), counted on the
/// cases being searched. Kept incrementally so the online index stays current.
#[derive(Debug, Clone, Default)]
pub struct TermFreq {
    tables: [Tf; 3],
}

#[derive(Debug, Clone, Default)]
struct Tf {
    counts: HashMap<u64, u32>,
    total: u64,
    sum_sq: f64,
}

impl Tf {
    fn add(&mut self, key: u64, delta: i64) {
        if key == 0 {
            return;
        }
        let c = self.counts.entry(key).or_insert(0);
        let old = *c as f64;
        let new = (*c as i64 + delta).max(0);
        *c = new as u32;
        self.sum_sq += (new as f64).powi(2) - old * old;
        self.total = (self.total as i64 + (new - old as i64)).max(0) as u64;
        if new == 0 {
            self.counts.remove(&key);
        }
    }

    /// log2 of (expected frequency of an agreeing surname) / (frequency of this one).
    fn adjust(&self, key: u64) -> f64 {
        if key == 0 || self.total < 50 {
            return 0.0;
        }
        let c = self.counts.get(&key).copied().unwrap_or(0).max(1) as f64;
        let expected = self.sum_sq / self.total as f64;
        (expected / c).log2().clamp(-TF_CLAMP, TF_CLAMP)
    }
}

impl TermFreq {
    /// Adds (`delta` = 1) or removes (-1) the surname keys of one record's names in one
    /// field (0 mother, 1 children, 2 father); each key counts once per record.
    pub fn add(&mut self, field: usize, keys: &[u64], delta: i64) {
        let mut seen: Vec<u64> = Vec::with_capacity(keys.len());
        for &k in keys {
            if k != 0 && !seen.contains(&k) {
                seen.push(k);
                self.tables[field].add(k, delta);
            }
        }
    }

    /// Counts a prepared case.
    pub fn add_record(&mut self, r: &crate::prepared::PRecord, delta: i64) {
        let keys: Vec<u64> = r.mother.names.iter().map(|n| n.surname_key()).collect();
        self.add(0, &keys, delta);
        let keys: Vec<u64> = r
            .children
            .iter()
            .flat_map(|c| c.names.iter().map(|n| n.surname_key()))
            .collect();
        self.add(1, &keys, delta);
        let keys: Vec<u64> = r.father.iter().map(|n| n.surname_key()).collect();
        self.add(2, &keys, delta);
    }

    /// Merges another table (batch threads count separately).
    pub fn merge(&mut self, other: &TermFreq) {
        for (t, o) in self.tables.iter_mut().zip(&other.tables) {
            for (&k, &c) in &o.counts {
                t.add(k, c as i64);
            }
        }
    }

    /// The adjustment for name field `i` (0, 1, 2) and surname key.
    pub fn adjust(&self, i: usize, key: u64) -> f64 {
        self.tables[i].adjust(key)
    }

    /// The largest adjustment name field `i` can get (that of a surname seen once or not
    /// at all), so bounds on a pair's weight hold before its names are compared.
    pub fn max_adjust(&self, i: usize) -> f64 {
        let t = &self.tables[i];
        if t.total < 50 {
            return 0.0;
        }
        (t.sum_sq / t.total as f64)
            .log2()
            .clamp(-TF_CLAMP, TF_CLAMP)
    }
}

/// Scores pairs and skips the expensive part of those that cannot reach a floor: the
/// cheap fields (dates, places, sex) are compared first, then the names one field at a
/// time, and a pair is dropped as soon as what is known plus the most every remaining
/// name field could add stays below the floor. The most a name field can add is bounded
/// with the frequencies of the case's own surnames (a common surname cannot get the
/// adjustment of a rare one). A pair that is kept gets exactly the weight and comparison
/// vector of [`crate::compare::compare`] and [`weight`].
#[derive(Debug, Clone, Copy)]
pub struct Scorer<'a> {
    w: &'a Weights,
    tf: &'a TermFreq,
    prior: f64,
    /// Per name field: the most any level adds with the largest adjustment.
    max_name: [f64; 3],
    /// Per name field: the most a level whose surnames agree adds before adjustment, and
    /// the most a level whose surnames do not agree adds.
    max_agree: [f64; 3],
    max_other: [f64; 3],
    /// Per name field: whether surnames are adjusted at all.
    adjusted: [bool; 3],
}

impl<'a> Scorer<'a> {
    /// A scorer with these weights, surname frequencies and prior.
    pub fn new(w: &'a Weights, tf: &'a TermFreq, prior: f64) -> Scorer<'a> {
        let best = |k: usize, agree: bool| {
            let i = NAME_FIELDS[k];
            (0..compare::levels(i).len() as u8)
                .filter(|&l| compare::surname_agrees(l) == agree)
                .map(|l| w.bf(i, l))
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let max_agree = [0, 1, 2].map(|k| best(k, true));
        let max_other = [0, 1, 2].map(|k| best(k, false));
        let max_name = [0, 1, 2].map(|k| (max_agree[k] + tf.max_adjust(k)).max(max_other[k]));
        Scorer {
            w,
            tf,
            prior,
            max_name,
            max_agree,
            max_other,
            adjusted: [0, 1, 2].map(|k| tf.max_adjust(k) != 0.0),
        }
    }

    /// The most name field `k` can add when compared with the case-side names `b`: the
    /// surname key of a pair is that of one of `b`'s readings.
    fn name_max(&self, k: usize, b: &[crate::prepared::Name]) -> f64 {
        if !self.adjusted[k] {
            return self.max_name[k];
        }
        let adj = b
            .iter()
            .flat_map(|y| y.readings())
            .map(|r| self.tf.adjust(k, r.surname_key()))
            .fold(f64::NEG_INFINITY, f64::max);
        (self.max_agree[k] + adj).max(self.max_other[k])
    }

    /// The prior log2 odds.
    pub fn prior(&self) -> f64 {
        self.prior
    }

    fn name_bf(&self, k: usize, level: u8, key: u64) -> f64 {
        let i = NAME_FIELDS[k];
        let mut b = self.w.bf(i, level);
        if level != MISSING && compare::surname_agrees(level) {
            b += self.tf.adjust(k, key);
        }
        b
    }

    /// The weight and comparison vector of request-shaped `a` against case-shaped `b`, or
    /// `None` when the weight is certainly below `floor` (`f64::NEG_INFINITY` keeps all).
    pub fn weigh(
        &self,
        a: &crate::prepared::PRecord,
        b: &crate::prepared::PRecord,
        floor: f64,
    ) -> Option<(f64, Gamma)> {
        use crate::compare::{approx_birth, child_birth, names, place, separation, sex};
        let w = self.w;
        // Sums are added in another order than `weight` adds them: a hair of slack.
        let floor = floor - 1e-9;
        let has = |x: &[crate::prepared::Name], y: &[crate::prepared::Name]| {
            !x.is_empty() && !y.is_empty()
        };
        let l1 = approx_birth(a.mother.birth.as_ref(), b.mother.birth.as_ref());
        let l2 = place(&a.mother.place, &b.mother.place);
        let l7 = place(&a.residence, &b.residence);
        let l8 = separation(a.separation, b.separation);
        let mut sum = self.prior + w.bf(1, l1) + w.bf(2, l2) + w.bf(7, l7) + w.bf(8, l8);
        let mother_max = if has(&a.mother.names, &b.mother.names) {
            self.name_max(0, &b.mother.names)
        } else {
            0.0
        };
        let father_max = if has(&a.father, &b.father) {
            self.name_max(2, &b.father)
        } else {
            0.0
        };
        let mut child_max = f64::NEG_INFINITY;
        for cb in &b.children {
            let mut names_max = None;
            for ca in &a.children {
                let s = w.bf(4, child_birth(ca.birth.as_ref(), cb.birth.as_ref()))
                    + w.bf(5, sex(ca.sex, cb.sex))
                    + if has(&ca.names, &cb.names) {
                        *names_max.get_or_insert_with(|| self.name_max(1, &cb.names))
                    } else {
                        0.0
                    };
                child_max = child_max.max(s);
            }
        }
        if child_max == f64::NEG_INFINITY {
            child_max = 0.0;
        }
        if sum + mother_max + child_max + father_max < floor {
            return None;
        }
        let (mn, mk) = names(&a.mother.names, &b.mother.names);
        sum += self.name_bf(0, mn, mk);
        if sum + child_max + father_max < floor {
            return None;
        }
        let (cl, ck, child) = compare::best_child(a, b, &|l| w.child_score(l));
        sum += self.name_bf(1, cl[0], ck) + w.bf(4, cl[1]) + w.bf(5, cl[2]);
        if sum + father_max < floor {
            return None;
        }
        let (fl, fk) = names(&a.father, &b.father);
        let g = Gamma {
            levels: [mn, l1, l2, cl[0], cl[1], cl[2], fl, l7, l8],
            child,
            tf: [mk, ck, fk],
        };
        Some((weight(&g, w, self.tf, self.prior), g))
    }
}

/// A scored pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// log2 odds of a match.
    pub match_weight: f64,
    /// Its logistic form.
    pub probability: f64,
    /// One entry per field: the prior and these add up to the weight.
    pub explain: Vec<ExplainEntry>,
}

/// The prior log2 odds that a given pair matches, with `n_cases` cases searched.
pub fn prior_log2_odds(match_rate: f64, n_cases: usize) -> f64 {
    let p = (match_rate / n_cases.max(1) as f64).clamp(1e-12, 0.5);
    (p / (1.0 - p)).log2()
}

/// Probability from log2 odds.
pub fn probability(w: f64) -> f64 {
    1.0 / (1.0 + (-w).exp2())
}

/// The weight of a pair without building the explanation (fast path).
pub fn weight(g: &Gamma, w: &Weights, tf: &TermFreq, prior: f64) -> f64 {
    let mut s = prior;
    for i in 0..NF {
        s += field_bf(g, i, w, tf);
    }
    s
}

fn field_bf(g: &Gamma, i: usize, w: &Weights, tf: &TermFreq) -> f64 {
    let l = g.levels[i];
    let mut b = w.bf(i, l);
    if let Some(k) = NAME_FIELDS.iter().position(|&f| f == i)
        && l != MISSING
        && compare::surname_agrees(l)
    {
        b += tf.adjust(k, g.tf[k]);
    }
    b
}

/// Scores a pair with its explanation.
pub fn score(g: &Gamma, w: &Weights, tf: &TermFreq, prior: f64) -> Scored {
    let mut s = prior;
    let mut explain = Vec::with_capacity(NF);
    for (i, name) in FIELDS.iter().enumerate() {
        let b = field_bf(g, i, w, tf);
        s += b;
        let l = g.levels[i];
        explain.push(ExplainEntry {
            field: name.to_string(),
            level: if l == MISSING {
                "missing".to_string()
            } else {
                compare::levels(i)[l as usize].to_string()
            },
            log2_bf: b,
        });
    }
    Scored {
        match_weight: s,
        probability: probability(s),
        explain,
    }
}

/// Pseudo-counts of the starting parameters: how many pairs' worth of belief the hand-set
/// values carry. Small data stays near them; large data overrides them.
const PRIOR_M_PAIRS: f64 = 50.0;
const PRIOR_U_PAIRS: f64 = 2000.0;

/// Level frequencies of a set of comparison patterns (for u from random pairs), starting
/// from `prior` with `weight` pseudo-pairs (and a half-count on every level, so no level is
/// impossible).
pub fn level_frequencies(
    patterns: &HashMap<u64, u64>,
    prior: Option<(&Params, f64)>,
) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = (0..NF)
        .map(|i| match prior {
            Some((p, w)) => p.fields[i].u.iter().map(|u| 0.5 + u * w).collect(),
            None => vec![0.5; compare::levels(i).len()],
        })
        .collect();
    for (&p, &n) in patterns {
        for (i, &l) in Gamma::unpack(p).iter().enumerate() {
            if l != MISSING && (l as usize) < counts[i].len() {
                counts[i][l as usize] += n as f64;
            }
        }
    }
    for c in &mut counts {
        let s: f64 = c.iter().sum();
        for x in c.iter_mut() {
            *x /= s;
        }
    }
    counts
}

/// Result of training.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The parameters.
    pub params: Params,
    /// EM iterations run.
    pub iterations: usize,
    /// Expected number of matches among the blocked pairs.
    pub expected_matches: f64,
}

/// Trains the model. `blocked` counts the comparison patterns of the blocked pairs,
/// `random` those of randomly sampled pairs (for u). `n_requests` is the number of requests
/// whose pairs were blocked. m and the share of matches among blocked pairs come from EM
/// (starting from `init`); u from the random pairs.
pub fn train(
    blocked: &HashMap<u64, u64>,
    random: &HashMap<u64, u64>,
    n_requests: usize,
    init: &Params,
) -> Trained {
    let pats: Vec<([u8; NF], f64)> = blocked
        .iter()
        .map(|(&p, &n)| (Gamma::unpack(p), n as f64))
        .collect();
    let total: f64 = pats.iter().map(|x| x.1).sum();
    let u_random = level_frequencies(random, Some((init, PRIOR_U_PAIRS)));
    let mut m: Vec<Vec<f64>> = init.fields.iter().map(|f| f.m.clone()).collect();
    // u among blocked non-matches starts at the blocked level frequencies.
    let mut ub = level_frequencies(blocked, None);
    let mut lambda = if total > 0.0 {
        (n_requests as f64 * init.match_rate / total).clamp(1e-4, 0.5)
    } else {
        0.1
    };
    let mut iterations = 0;
    let mut expected = 0.0;
    for it in 0..60 {
        iterations = it + 1;
        let mut mc: Vec<Vec<f64>> = init
            .fields
            .iter()
            .map(|f| f.m.iter().map(|x| 0.05 + x * PRIOR_M_PAIRS).collect())
            .collect();
        let mut uc: Vec<Vec<f64>> = m.iter().map(|v| vec![0.05; v.len()]).collect();
        let mut sum_p = 0.0;
        for (levels, n) in &pats {
            let mut lm = lambda.ln();
            let mut lu = (1.0 - lambda).ln();
            for (i, &l) in levels.iter().enumerate() {
                if l != MISSING {
                    lm += m[i][l as usize].ln();
                    lu += ub[i][l as usize].ln();
                }
            }
            let p = 1.0 / (1.0 + (lu - lm).exp());
            sum_p += p * n;
            for (i, &l) in levels.iter().enumerate() {
                if l != MISSING {
                    mc[i][l as usize] += p * n;
                    uc[i][l as usize] += (1.0 - p) * n;
                }
            }
        }
        let norm = |v: &mut Vec<f64>| {
            let s: f64 = v.iter().sum();
            v.iter_mut().for_each(|x| *x /= s);
        };
        mc.iter_mut().for_each(norm);
        uc.iter_mut().for_each(norm);
        let new_lambda = if total > 0.0 {
            (sum_p / total).clamp(1e-6, 0.999)
        } else {
            lambda
        };
        let delta = (new_lambda - lambda).abs()
            + m.iter()
                .flatten()
                .zip(mc.iter().flatten())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
        m = mc;
        ub = uc;
        lambda = new_lambda;
        expected = sum_p;
        if total == 0.0 || delta < 1e-5 {
            break;
        }
    }
    let match_rate = if n_requests > 0 && total > 0.0 {
        (expected / n_requests as f64).clamp(1e-3, 1.0)
    } else {
        init.match_rate
    };
    let fields = (0..NF)
        .map(|i| FieldParams {
            field: FIELDS[i].to_string(),
            levels: compare::levels(i).iter().map(|s| s.to_string()).collect(),
            m: m[i].iter().map(|x| x.max(1e-6)).collect(),
            u: u_random[i].iter().map(|x| x.max(1e-9)).collect(),
        })
        .collect();
    Trained {
        params: Params {
            version: 1,
            match_rate,
            fields,
        },
        iterations,
        expected_matches: expected,
    }
}
