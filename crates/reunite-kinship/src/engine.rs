//! Single-locus pedigree likelihoods by enumeration of unordered genotypes in topological
//! order (parents before children), with pruning of impossible branches.
//!
//! * Founder alleles are drawn jointly with the Balding–Nichols sampling formula
//!   `P(a | n drawn, m of them a) = (mθ + (1 − θ)p_a) / (1 + (n − 1)θ)`, which reduces to
//!   Hardy–Weinberg at θ = 0.
//! * A child's genotype `{i, j}` has probability `T_f(i)T_m(j) + T_f(j)T_m(i)` (one term
//!   when `i = j`), `T` being the parent's transmission vector, mutation included.
//! * Untyped persons without children are dropped (they sum to 1). At θ = 0 an untyped
//!   founder with a single child is not enumerated: the child receives from them the allele
//!   distribution `p·M` ([`FounderConvention::Mutated`], forrel/Familias with the person kept)
//!   or `p` ([`FounderConvention::Population`], Familias' pruning).
use crate::locus::LocusModel;
use crate::lr::FounderConvention;
use crate::profile::Genotype;

/// One person of an engine pedigree.
#[derive(Debug, Clone)]
pub(crate) struct EnginePerson {
    pub father: Option<usize>,
    pub mother: Option<usize>,
    pub obs: Option<Genotype>,
}

const FEMALE: usize = 0;
const MALE: usize = 1;

struct Run<'a> {
    m: &'a LocusModel,
    k: usize,
    theta: f64,
    order: Vec<usize>,
    cands: Vec<Vec<usize>>,
    father: Vec<Option<usize>>,
    mother: Vec<Option<usize>>,
    founder: Vec<bool>,
    /// Transmission vector of a reduced (not enumerated) untyped founder.
    reduced: Vec<Option<Vec<f64>>>,
    state: Vec<usize>,
    counts: Vec<u32>,
    drawn: u32,
}

impl Run<'_> {
    fn draw(&mut self, a: usize) -> f64 {
        let pr = if self.drawn == 0 || self.theta == 0.0 {
            self.m.p[a]
        } else {
            let n = f64::from(self.drawn);
            (f64::from(self.counts[a]) * self.theta + (1.0 - self.theta) * self.m.p[a])
                / (1.0 + (n - 1.0) * self.theta)
        };
        self.counts[a] += 1;
        self.drawn += 1;
        pr
    }

    fn undraw(&mut self, a: usize) {
        self.counts[a] -= 1;
        self.drawn -= 1;
    }

    fn tvec(&self, parent: usize, sex: usize) -> &[f64] {
        match &self.reduced[parent] {
            Some(v) => v,
            None => {
                let g = self.state[parent];
                &self.m.trans[sex][g * self.k..(g + 1) * self.k]
            }
        }
    }

    fn rec(&mut self, pos: usize) -> f64 {
        if pos == self.order.len() {
            return 1.0;
        }
        let person = self.order[pos];
        let mut sum = 0.0;
        for ci in 0..self.cands[person].len() {
            let g = self.cands[person][ci];
            let (i, j) = self.m.gts[g];
            let (i, j) = (i as usize, j as usize);
            if self.founder[person] {
                let mut w = self.draw(i) * self.draw(j);
                if i != j {
                    w *= 2.0;
                }
                if w > 0.0 {
                    self.state[person] = g;
                    w *= self.rec(pos + 1);
                    sum += w;
                }
                self.undraw(j);
                self.undraw(i);
            } else {
                let (f, mo) = (
                    self.father[person].expect("non-founder has a father"),
                    self.mother[person].expect("non-founder has a mother"),
                );
                let tf = self.tvec(f, MALE);
                let tm = self.tvec(mo, FEMALE);
                let mut w = tf[i] * tm[j];
                if i != j {
                    w += tf[j] * tm[i];
                }
                if w > 0.0 {
                    self.state[person] = g;
                    sum += w * self.rec(pos + 1);
                }
            }
        }
        sum
    }
}

/// The likelihood of the observations in `persons` under their pedigree, or `Err(states)`
/// when the enumeration would exceed `limit` genotype combinations.
pub(crate) fn likelihood(
    m: &LocusModel,
    persons: &[EnginePerson],
    theta: f64,
    conv: FounderConvention,
    limit: f64,
) -> Result<f64, f64> {
    let n = persons.len();
    let mut active = vec![true; n];
    // Drop untyped persons without (active) children, repeatedly.
    loop {
        let mut nkids = vec![0usize; n];
        for (c, p) in persons.iter().enumerate() {
            if active[c] {
                for par in [p.father, p.mother].into_iter().flatten() {
                    nkids[par] += 1;
                }
            }
        }
        let mut changed = false;
        for c in 0..n {
            if active[c] && persons[c].obs.is_none() && nkids[c] == 0 {
                active[c] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut kids: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n]; // (child, sex of parent role)
    for (c, p) in persons.iter().enumerate() {
        if active[c] {
            if let Some(f) = p.father {
                kids[f].push((c, MALE));
            }
            if let Some(mo) = p.mother {
                kids[mo].push((c, FEMALE));
            }
        }
    }
    let founder: Vec<bool> = persons.iter().map(|p| p.father.is_none()).collect();
    let mut reduced: Vec<Option<Vec<f64>>> = vec![None; n];
    for c in 0..n {
        if active[c] && founder[c] && persons[c].obs.is_none() && kids[c].len() == 1 && theta == 0.0
        {
            let sex = kids[c][0].1;
            reduced[c] = Some(match conv {
                FounderConvention::Mutated => m.founder_trans[sex].clone(),
                FounderConvention::Population => m.p.clone(),
            });
        }
    }
    // Topological order by depth.
    let mut depth = vec![usize::MAX; n];
    fn depth_of(c: usize, persons: &[EnginePerson], depth: &mut [usize]) -> usize {
        if depth[c] != usize::MAX {
            return depth[c];
        }
        let d = match (persons[c].father, persons[c].mother) {
            (Some(f), Some(mo)) => {
                1 + depth_of(f, persons, depth).max(depth_of(mo, persons, depth))
            }
            _ => 0,
        };
        depth[c] = d;
        d
    }
    for c in 0..n {
        depth_of(c, persons, &mut depth);
    }
    let mut order: Vec<usize> = (0..n)
        .filter(|&c| active[c] && reduced[c].is_none())
        .collect();
    order.sort_by_key(|&c| (depth[c], c));
    let all: Vec<usize> = (0..m.gts.len()).collect();
    let cands: Vec<Vec<usize>> = persons
        .iter()
        .map(|p| match &p.obs {
            Some(g) => m.candidates(g),
            None => all.clone(),
        })
        .collect();
    let states: f64 = order.iter().map(|&c| cands[c].len() as f64).product();
    if states > limit {
        return Err(states);
    }
    let mut run = Run {
        m,
        k: m.k(),
        theta,
        order,
        cands,
        father: persons.iter().map(|p| p.father).collect(),
        mother: persons.iter().map(|p| p.mother).collect(),
        founder,
        reduced,
        state: vec![0; n],
        counts: vec![0; m.k()],
        drawn: 0,
    };
    Ok(run.rec(0))
}

#[cfg(test)]
mod tests {
    //! V11: pedprobr `test-likelihood.R`, `test-mutations.R`, `test-theta-correction.R`
    //! (single-pedigree likelihoods, not LRs).
    use std::collections::BTreeSet;

    use super::*;
    use crate::allele::Allele;
    use crate::freq::FrequencyTable;
    use crate::locus::ModelOptions;
    use crate::mutation::{MutationModel, MutationSpec};
    use crate::pedigree::Pedigree;

    fn a(s: &str) -> Allele {
        Allele::parse(s).unwrap()
    }

    /// Likelihood of `ped` with the typed persons `obs` at a locus with alleles 1, 2, ….
    fn lik(
        freqs: &[f64],
        ped: &str,
        obs: &[(&str, Genotype)],
        mutation: MutationSpec,
        theta: f64,
    ) -> f64 {
        let names: Vec<String> = (1..=freqs.len()).map(|i| i.to_string()).collect();
        let t = FrequencyTable::from_entries(names.iter().zip(freqs).map(|(n, p)| ("L", a(n), *p)))
            .unwrap();
        let lf = t.locus(&crate::Marker::new("L")).unwrap();
        let observed: BTreeSet<Allele> = obs.iter().flat_map(|(_, g)| g.alleles()).collect();
        let opts = ModelOptions {
            floor: None,
            silent: 0.0,
            normalize: true,
            mutation,
        };
        let m = LocusModel::build("L", lf, &observed, &opts, !mutation.is_on()).unwrap();
        let mut p = Pedigree::parse(ped).unwrap_or_default();
        for (n, _) in obs {
            p.add_person(n);
        }
        let persons: Vec<EnginePerson> = p
            .persons()
            .iter()
            .map(|q| EnginePerson {
                father: q.father,
                mother: q.mother,
                obs: obs.iter().find(|(n, _)| *n == q.name).map(|x| x.1),
            })
            .collect();
        likelihood(&m, &persons, theta, FounderConvention::Mutated, 1e9).unwrap()
    }

    fn close(x: f64, y: f64) {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1e-300), "{x} vs {y}");
    }

    const NONE: MutationSpec = MutationSpec::none();

    #[test]
    fn v11_pedprobr_trios_sibs_grandparents() {
        let het = Genotype::Het(a("1"), a("2"));
        let (p, q) = (0.2, 0.8);
        close(
            lik(
                &[p, q],
                "FA+MO>CH",
                &[("FA", het), ("MO", het), ("CH", het)],
                NONE,
                0.0,
            ),
            2.0 * p * p * q * q,
        );
        close(
            lik(&[p, q], "FA+MO>CH", &[("FA", het), ("CH", het)], NONE, 0.0),
            p * q,
        );
        let hom2 = Genotype::Hom(a("2"));
        close(
            lik(
                &[p, q],
                "FA+MO>S1; FA+MO>S2",
                &[("S1", hom2), ("S2", hom2)],
                NONE,
                0.0,
            ),
            0.25 * q * q * (1.0 + q) * (1.0 + q),
        );
        close(
            lik(
                &[p, q],
                "PG+X1>FA; MG+X2>MO; FA+MO>CH",
                &[("PG", het), ("MG", het), ("CH", het)],
                NONE,
                0.0,
            ),
            (2.0 * p * q) * (2.0 * p * q) * (3.0 / 8.0 + p * q / 2.0),
        );
        close(
            (2.0 * p * q) * (2.0 * p * q) * (3.0 / 8.0 + p * q / 2.0),
            0.046592,
        );
    }

    #[test]
    fn v11_pedprobr_partial_genotype() {
        // "2/-" with p(1) = 0.8, p(2) = 0.2: 2pq + q² = 0.36.
        let v = lik(
            &[0.8, 0.2],
            "",
            &[("X", Genotype::Partial(a("2")))],
            NONE,
            0.0,
        );
        close(v, 0.36);
    }

    #[test]
    fn v11_pedprobr_mutations() {
        let (h1, h2) = (Genotype::Hom(a("1")), Genotype::Hom(a("2")));
        let equal = MutationSpec::new(MutationModel::Equal, 0.1);
        let v = lik(
            &[0.9, 0.1],
            "FA+MO>CH",
            &[("FA", h1), ("MO", h1), ("CH", h2)],
            equal,
            0.0,
        );
        close(v, 0.9f64.powi(4) * 0.1 * 0.1);
        close(v, 0.006561);
        let prop = MutationSpec::new(MutationModel::Proportional, 0.1);
        let v = lik(
            &[0.9, 0.1],
            "FA+MO>CH",
            &[("FA", h1), ("CH", h2)],
            prop,
            0.0,
        );
        let alpha = 0.1 / (2.0 * 0.9 * 0.1);
        close(v, 0.81 * 0.1 * alpha * 0.1);
        assert!((v - 0.0045).abs() < 1e-12);
    }

    #[test]
    fn v11_pedprobr_theta() {
        // A grandchild A/A alone, p_A = 0.3, θ = 0.01: p(θ + (1 − θ)p) = 0.0921, whether the
        // untyped ancestors are listed or not.
        let aa = Genotype::Hom(a("1"));
        let v = lik(&[0.3, 0.7], "", &[("C", aa)], NONE, 0.01);
        close(v, 0.3 * (0.01 + 0.99 * 0.3));
        let v = lik(&[0.3, 0.7], "GF+GM>FA; FA+MO>C", &[("C", aa)], NONE, 0.01);
        assert!((v - 0.0921).abs() < 1e-12, "{v}");
    }
}
