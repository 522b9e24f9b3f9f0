//! Fast search of one profile against a large database of profiles.
//!
//! The database stores, per profile, two allele indexes (`u8`) per marker in one contiguous
//! row-major array. For a query, each marker gets a dense table of the single-marker LR for
//! every possible database genotype (computed once with the same code as
//! [`likelihood_ratio`](crate::likelihood_ratio)); scoring a profile is then one table look-up
//! and one multiplication per marker, without allocation.
use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};

use serde::Serialize;

use crate::allele::{Allele, Marker};
use crate::error::KinshipError;
use crate::freq::FrequencyTable;
use crate::locus::LocusModel;
use crate::lr::{LrOptions, lr_with_models};
use crate::mutation::MutationSpec;
use crate::pairwise::Relation;
use crate::profile::{Genotype, Profile};

/// Profiles in a compact columnar form for searching.
#[derive(Debug, Clone)]
pub struct ProfileDatabase {
    /// Markers of the frequency table: (canonical, display name).
    markers: Vec<(Marker, String)>,
    /// Per marker: alleles seen in the table or the database, sorted; the code of an allele
    /// is its position, the code `universe.len()` means "not typed".
    universes: Vec<Vec<Allele>>,
    names: Vec<String>,
    /// `names.len() × 2·markers.len()` codes.
    codes: Vec<u8>,
}

/// Options of a search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SearchOptions {
    /// The relationship of the query (`a`) to each database profile (`b`).
    pub relation: Relation,
    /// How many best hits to return.
    pub top: usize,
    /// LR threshold for counting hits.
    pub threshold: f64,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            relation: Relation::ParentChild,
            top: 10,
            threshold: 10_000.0,
        }
    }
}

/// One ranked profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// Person of the database profile.
    pub person: String,
    /// Combined LR.
    pub lr: f64,
    /// log10 LR.
    pub log10_lr: f64,
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchReport {
    /// Profiles compared (the query itself excluded).
    pub searched: usize,
    /// Markers used (typed in the query and present in the table).
    pub markers_used: usize,
    /// Best hits, highest LR first.
    pub hits: Vec<SearchHit>,
    /// Profiles with LR ≥ threshold.
    pub above_threshold: usize,
    /// The threshold used.
    pub threshold: f64,
    /// Expected number of unrelated profiles reaching the threshold, at most N/T (for an
    /// unrelated profile, P(LR ≥ T) ≤ 1/T).
    pub expected_unrelated_above_threshold: f64,
}

#[derive(PartialEq)]
struct Ranked(f64, usize);
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    // Reversed so that the binary heap's top is the weakest kept hit.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

impl ProfileDatabase {
    /// Encodes `profiles` for the markers of `freqs`. Markers outside the table are ignored;
    /// partial genotypes (`a/?`) are stored as untyped.
    pub fn build<'a>(
        freqs: &FrequencyTable,
        profiles: impl IntoIterator<Item = &'a Profile> + Clone,
    ) -> Result<Self, KinshipError> {
        let markers: Vec<(Marker, String)> = freqs
            .loci()
            .map(|(m, l)| (m.clone(), l.name.clone()))
            .collect();
        let mut sets: Vec<BTreeSet<Allele>> = markers
            .iter()
            .map(|(m, _)| {
                freqs
                    .locus(m)
                    .map(|l| l.alleles.iter().map(|x| x.0).collect())
                    .unwrap_or_default()
            })
            .collect();
        for p in profiles.clone() {
            for (c, (m, _)) in markers.iter().enumerate() {
                if let Some(g) = p.get(m) {
                    sets[c].extend(g.alleles());
                }
            }
        }
        let universes: Vec<Vec<Allele>> =
            sets.into_iter().map(|s| s.into_iter().collect()).collect();
        for (c, u) in universes.iter().enumerate() {
            if u.len() > 254 {
                return Err(KinshipError::TooManyAlleles(markers[c].1.clone()));
            }
        }
        let mut names = Vec::new();
        let mut codes = Vec::new();
        for p in profiles {
            names.push(p.person.clone());
            for (c, (m, _)) in markers.iter().enumerate() {
                let u = &universes[c];
                let code = |a: Allele| u.binary_search(&a).expect("in universe") as u8;
                let missing = u.len() as u8;
                let (x, y) = match p.get(m) {
                    Some(Genotype::Het(a, b)) => (code(*a), code(*b)),
                    Some(Genotype::Hom(a)) => (code(*a), code(*a)),
                    Some(Genotype::Partial(_)) | None => (missing, missing),
                };
                codes.push(x);
                codes.push(y);
            }
        }
        Ok(Self {
            markers,
            universes,
            names,
            codes,
        })
    }

    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the database is empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Ranks every profile of the database other than the query's own (same person name)
    /// by the LR of `search.relation` between `query` and it.
    pub fn search(
        &self,
        freqs: &FrequencyTable,
        query: &Profile,
        opts: &LrOptions,
        search: &SearchOptions,
    ) -> Result<SearchReport, KinshipError> {
        opts.validate()?;
        let nm = self.markers.len();
        // Per used marker: (column, stride, table).
        let mut tables: Vec<(usize, usize, Vec<f64>)> = Vec::new();
        let ped = search
            .relation
            .pedigree("\u{1}query", "\u{1}db", opts.line_sex)?;
        let ia = ped.position("\u{1}query").expect("query");
        let ib = ped.position("\u{1}db").expect("db");
        for (c, (m, name)) in self.markers.iter().enumerate() {
            let Some(qg) = query.get(m) else { continue };
            let Some(lf) = freqs.locus(m) else { continue };
            let u = &self.universes[c];
            let mut observed: BTreeSet<Allele> = u.iter().copied().collect();
            observed.extend(qg.alleles());
            let plain = LocusModel::build(
                name,
                lf,
                &observed,
                &opts.model_options(MutationSpec::none()),
                false,
            )?;
            let mutated = if opts.mutation.is_on() {
                Some(LocusModel::build(
                    name,
                    lf,
                    &observed,
                    &opts.model_options(opts.mutation),
                    false,
                )?)
            } else {
                None
            };
            let stride = u.len() + 1;
            let mut table = vec![1.0; stride * stride];
            let mut obs = vec![None; ped.persons().len()];
            obs[ia] = Some(*qg);
            for x in 0..u.len() {
                for y in x..u.len() {
                    obs[ib] = Some(Genotype::pair(u[x], u[y]));
                    let (lr, _) = lr_with_models(
                        &plain,
                        mutated.as_ref(),
                        &ped,
                        &obs,
                        Some((search.relation, ia, ib)),
                        opts,
                    )
                    .map_err(|states| KinshipError::TooComplex {
                        marker: name.clone(),
                        states,
                    })?;
                    table[x * stride + y] = lr;
                    table[y * stride + x] = lr;
                }
            }
            tables.push((c, stride, table));
        }
        let row = 2 * nm;
        let top = search.top;
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(top + 1);
        let mut above = 0usize;
        let mut searched = 0usize;
        for (i, codes) in self.codes.chunks_exact(row.max(1)).enumerate() {
            if self.names[i] == query.person {
                continue;
            }
            searched += 1;
            let mut lr = 1.0f64;
            for (c, stride, table) in &tables {
                let x = codes[2 * c] as usize;
                let y = codes[2 * c + 1] as usize;
                lr *= table[x * stride + y];
            }
            if lr >= search.threshold {
                above += 1;
            }
            if top > 0 {
                if heap.len() < top {
                    heap.push(Ranked(lr, i));
                } else if heap
                    .peek()
                    .is_some_and(|w| lr.total_cmp(&w.0) == Ordering::Greater)
                {
                    heap.pop();
                    heap.push(Ranked(lr, i));
                }
            }
        }
        let mut hits: Vec<SearchHit> = heap
            .into_sorted_vec()
            .into_iter()
            .map(|Ranked(lr, i)| SearchHit {
                person: self.names[i].clone(),
                lr,
                log10_lr: lr.log10(),
            })
            .collect();
        hits.sort_by(|a, b| b.lr.total_cmp(&a.lr));
        Ok(SearchReport {
            searched,
            markers_used: tables.len(),
            hits,
            above_threshold: above,
            threshold: search.threshold,
            expected_unrelated_above_threshold: searched as f64 / search.threshold,
        })
    }
}
