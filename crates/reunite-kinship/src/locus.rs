//! The per-locus model used by the likelihood engine: allele states, frequencies after the
//! rare-allele floor, normalisation, lumping and the silent allele, and the transmission
//! tables of both sexes.
use std::collections::BTreeSet;

use crate::allele::Allele;
use crate::error::KinshipError;
use crate::freq::LocusFrequencies;
use crate::mutation::{MutationSpec, mutation_matrix};
use crate::profile::Genotype;

/// One allele state of a locus model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Label {
    Allele(Allele),
    /// The silent (null) allele: present but never seen.
    Silent,
    /// All unobserved alleles lumped together (exact when no mutation model is used).
    Other,
}

/// Options that shape a locus model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelOptions {
    pub floor: Option<f64>,
    pub silent: f64,
    pub normalize: bool,
    pub mutation: MutationSpec,
}

/// Allele states and transmission tables of one locus.
#[derive(Debug, Clone)]
pub(crate) struct LocusModel {
    pub labels: Vec<Label>,
    pub p: Vec<f64>,
    pub silent: Option<usize>,
    /// Unordered genotypes `(i, j)`, `i <= j`.
    pub gts: Vec<(u16, u16)>,
    /// `k × k` → genotype index.
    gt_index: Vec<u32>,
    /// `[female, male]`: `ngt × k` probability that a parent with genotype `g` transmits
    /// allele `a` (mutation included).
    pub trans: [Vec<f64>; 2],
    /// `[female, male]`: distribution of the allele transmitted by a founder of unknown
    /// genotype, `p·M` (equal to `p` without mutation or with a stationary model).
    pub founder_trans: [Vec<f64>; 2],
    allele_index: Vec<(Allele, usize)>,
}

impl LocusModel {
    /// Builds the model of `marker` from its table entry and the alleles observed in the
    /// persons involved. With `lump`, unobserved alleles are merged into one state.
    pub fn build(
        marker: &str,
        freqs: &LocusFrequencies,
        observed: &BTreeSet<Allele>,
        opts: &ModelOptions,
        lump: bool,
    ) -> Result<Self, KinshipError> {
        let floor = opts.floor.unwrap_or(0.0);
        let mut list: Vec<(Allele, f64)> = freqs
            .alleles
            .iter()
            .map(|&(a, p)| (a, p.max(floor)))
            .collect();
        for &a in observed {
            if freqs.get(a).is_none() {
                match opts.floor {
                    Some(f) if f > 0.0 => list.push((a, f)),
                    _ => {
                        return Err(KinshipError::UnknownAllele {
                            marker: marker.to_string(),
                            allele: a.to_string(),
                        });
                    }
                }
            }
        }
        list.sort_by_key(|x| x.0);
        if opts.normalize {
            let total: f64 = list.iter().map(|x| x.1).sum();
            let target = 1.0 - opts.silent;
            for x in &mut list {
                x.1 *= target / total;
            }
        }
        let mut labels = Vec::new();
        let mut p = Vec::new();
        let mutating = opts.mutation.is_on();
        if lump && !mutating {
            let mut other = 0.0;
            for &(a, f) in &list {
                if observed.contains(&a) {
                    labels.push(Label::Allele(a));
                    p.push(f);
                } else {
                    other += f;
                }
            }
            if other > 0.0 {
                labels.push(Label::Other);
                p.push(other);
            }
        } else {
            for &(a, f) in &list {
                labels.push(Label::Allele(a));
                p.push(f);
            }
        }
        let n_real = labels.len();
        let silent = if opts.silent > 0.0 {
            labels.push(Label::Silent);
            p.push(opts.silent);
            Some(labels.len() - 1)
        } else {
            None
        };
        let k = labels.len();
        if k > 254 {
            return Err(KinshipError::TooManyAlleles(marker.to_string()));
        }
        let mut gts = Vec::with_capacity(k * (k + 1) / 2);
        let mut gt_index = vec![0u32; k * k];
        for i in 0..k {
            for j in i..k {
                gt_index[i * k + j] = gts.len() as u32;
                gt_index[j * k + i] = gts.len() as u32;
                gts.push((i as u16, j as u16));
            }
        }
        // Mutation matrices over the real alleles; the silent allele neither mutates nor is
        // a mutation target.
        let mats: [Vec<f64>; 2] =
            [opts.mutation.rate_female, opts.mutation.rate_male].map(|rate| {
                let mut m = vec![0.0; k * k];
                if mutating {
                    let alleles: Vec<Allele> = labels[..n_real]
                        .iter()
                        .map(|l| match l {
                            Label::Allele(a) => *a,
                            _ => unreachable!("no lumping with mutation"),
                        })
                        .collect();
                    let inner = mutation_matrix(
                        opts.mutation.model,
                        &alleles,
                        &p[..n_real],
                        rate,
                        opts.mutation.range,
                        opts.mutation.rate2,
                    );
                    for i in 0..n_real {
                        m[i * k..i * k + n_real]
                            .copy_from_slice(&inner[i * n_real..(i + 1) * n_real]);
                    }
                    for i in n_real..k {
                        m[i * k + i] = 1.0;
                    }
                } else {
                    for i in 0..k {
                        m[i * k + i] = 1.0;
                    }
                }
                m
            });
        let trans = [0, 1].map(|s| {
            let m = &mats[s];
            let mut t = vec![0.0; gts.len() * k];
            for (g, &(x, y)) in gts.iter().enumerate() {
                let (x, y) = (x as usize, y as usize);
                for a in 0..k {
                    t[g * k + a] = 0.5 * (m[x * k + a] + m[y * k + a]);
                }
            }
            t
        });
        let founder_trans = [0, 1].map(|s| {
            let m = &mats[s];
            (0..k)
                .map(|a| (0..k).map(|x| p[x] * m[x * k + a]).sum())
                .collect::<Vec<f64>>()
        });
        let mut allele_index: Vec<(Allele, usize)> = labels
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                Label::Allele(a) => Some((*a, i)),
                _ => None,
            })
            .collect();
        allele_index.sort_by_key(|x| x.0);
        Ok(Self {
            labels,
            p,
            silent,
            gts,
            gt_index,
            trans,
            founder_trans,
            allele_index,
        })
    }

    /// Number of allele states.
    pub fn k(&self) -> usize {
        self.labels.len()
    }

    /// The state of `allele`.
    pub fn index(&self, allele: Allele) -> Option<usize> {
        self.allele_index
            .binary_search_by(|x| x.0.cmp(&allele))
            .ok()
            .map(|i| self.allele_index[i].1)
    }

    /// The genotype index of states `(i, j)`.
    pub fn gt(&self, i: usize, j: usize) -> usize {
        self.gt_index[i * self.k() + j] as usize
    }

    /// Genotypes consistent with an observation.
    pub fn candidates(&self, g: &Genotype) -> Vec<usize> {
        let idx = |a: Allele| self.index(a).expect("observed alleles are in the model");
        match *g {
            Genotype::Het(a, b) => vec![self.gt(idx(a), idx(b))],
            Genotype::Hom(a) => {
                let i = idx(a);
                let mut v = vec![self.gt(i, i)];
                if let Some(s) = self.silent {
                    v.push(self.gt(i, s));
                }
                v
            }
            Genotype::Partial(a) => {
                let i = idx(a);
                (0..self.k()).map(|j| self.gt(i, j)).collect()
            }
        }
    }
}
