//! Mutation models for parent–child transmission (as in pedmut / Familias).
use serde::Serialize;

use crate::allele::Allele;

/// A mutation model. Matrices are built over the full allele list of a locus (the frequency
/// table plus any observed allele), so the whole table matters once a model is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MutationModel {
    /// No mutation: a Mendelian inconsistency gives likelihood 0.
    #[default]
    None,
    /// All mutations equally likely: off-diagonal `rate / (n − 1)`.
    Equal,
    /// Mutation to allele `j` proportional to its frequency:
    /// `M = (1 − a)·I + a·1pᵀ`, `a = rate / Σ p(1 − p)`. Stationary (`pM = p`).
    Proportional,
    /// Familias' extended stepwise model (pedmut `stepwise`): within a microvariant group
    /// the rate is shared in proportion to `range^|steps|`; `rate2` is shared equally among
    /// the other groups.
    Stepwise,
    /// Mutation by exactly one repeat up or down, the rate split equally between the
    /// neighbours present in the table (the whole rate to the single neighbour at an edge; no
    /// mutation for an allele without neighbours).
    OneStep,
}

/// A mutation model with its parameters, per sex.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MutationSpec {
    /// The model.
    pub model: MutationModel,
    /// Mutation rate of maternal transmissions.
    pub rate_female: f64,
    /// Mutation rate of paternal transmissions.
    pub rate_male: f64,
    /// Stepwise: relative probability of `n + 1` versus `n` steps (Familias' range; 0.1).
    pub range: f64,
    /// Stepwise: rate of mutations between microvariant groups (Familias' rate2; 0).
    pub rate2: f64,
}

impl Default for MutationSpec {
    fn default() -> Self {
        Self::none()
    }
}

impl MutationSpec {
    /// No mutation.
    pub const fn none() -> Self {
        Self {
            model: MutationModel::None,
            rate_female: 0.0,
            rate_male: 0.0,
            range: 0.1,
            rate2: 0.0,
        }
    }

    /// `model` with the same `rate` for both sexes (range 0.1, rate2 0).
    pub const fn new(model: MutationModel, rate: f64) -> Self {
        Self {
            model,
            rate_female: rate,
            rate_male: rate,
            range: 0.1,
            rate2: 0.0,
        }
    }

    /// Whether any mutation is possible.
    pub fn is_on(&self) -> bool {
        self.model != MutationModel::None
            && (self.rate_female > 0.0 || self.rate_male > 0.0 || self.rate2 > 0.0)
    }
}

/// The row-major `n × n` transition matrix `M[from][to]` of `model` over `alleles` with
/// frequencies `freqs` (used by the proportional model, which rescales them to sum 1).
pub fn mutation_matrix(
    model: MutationModel,
    alleles: &[Allele],
    freqs: &[f64],
    rate: f64,
    range: f64,
    rate2: f64,
) -> Vec<f64> {
    let n = alleles.len();
    let mut m = vec![0.0; n * n];
    if n == 1 || model == MutationModel::None {
        for i in 0..n {
            m[i * n + i] = 1.0;
        }
        return m;
    }
    let nf = n as f64;
    match model {
        MutationModel::None => unreachable!("handled above"),
        MutationModel::Equal => {
            for i in 0..n {
                for j in 0..n {
                    m[i * n + j] = if i == j {
                        1.0 - rate
                    } else {
                        rate / (nf - 1.0)
                    };
                }
            }
        }
        MutationModel::Proportional => {
            let total: f64 = freqs.iter().sum();
            let p: Vec<f64> = freqs.iter().map(|f| f / total).collect();
            let alpha = rate / p.iter().map(|q| q * (1.0 - q)).sum::<f64>();
            for i in 0..n {
                for j in 0..n {
                    let d = if i == j { 1.0 - alpha } else { 0.0 };
                    m[i * n + j] = d + alpha * p[j];
                }
            }
        }
        MutationModel::Stepwise => {
            for i in 0..n {
                let gi = alleles[i].microvariant();
                let same: Vec<usize> = (0..n)
                    .filter(|&j| alleles[j].microvariant() == gi)
                    .collect();
                let n_same = same.len();
                let n_other = n - n_same;
                let diag = if n_other == 0 {
                    1.0 - rate
                } else if n_same == 1 {
                    1.0 - rate2
                } else {
                    1.0 - rate - rate2
                };
                m[i * n + i] = diag;
                let steps = |j: usize| {
                    (f64::from(alleles[i].tenths()) - f64::from(alleles[j].tenths())).abs() / 10.0
                };
                let w_sum: f64 = same
                    .iter()
                    .filter(|&&j| j != i)
                    .map(|&j| range.powf(steps(j)))
                    .sum();
                for j in 0..n {
                    if j == i {
                        continue;
                    }
                    m[i * n + j] = if alleles[j].microvariant() == gi {
                        range.powf(steps(j)) / w_sum * rate
                    } else {
                        rate2 / n_other as f64
                    };
                }
            }
        }
        MutationModel::OneStep => {
            for i in 0..n {
                let t = alleles[i].tenths();
                let nb: Vec<usize> = (0..n)
                    .filter(|&j| alleles[j].tenths() + 10 == t || t + 10 == alleles[j].tenths())
                    .collect();
                if nb.is_empty() {
                    m[i * n + i] = 1.0;
                    continue;
                }
                m[i * n + i] = 1.0 - rate;
                for &j in &nb {
                    m[i * n + j] = rate / nb.len() as f64;
                }
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn als(v: &[&str]) -> Vec<Allele> {
        v.iter().map(|s| Allele::parse(s).unwrap()).collect()
    }

    /// V11: pedmut `tests/testthat/test-mutationMatrix.R`, stepwise matrix.
    #[test]
    fn v11_pedmut_stepwise_matrix() {
        let a = als(&["1", "1.5", "2", "3"]);
        let m = mutation_matrix(MutationModel::Stepwise, &a, &[0.25; 4], 0.6, 0.5, 0.3);
        let expected = [
            [0.1, 0.3, 0.4, 0.2],
            [0.1, 0.7, 0.1, 0.1],
            [0.3, 0.3, 0.1, 0.3],
            [0.2, 0.3, 0.4, 0.1],
        ];
        for i in 0..4 {
            for j in 0..4 {
                assert!(
                    (m[i * 4 + j] - expected[i][j]).abs() < 1e-12,
                    "M[{i}][{j}] = {}",
                    m[i * 4 + j]
                );
            }
        }
    }

    /// V11: equal model rate 0.1 on 3 alleles has diagonal 0.9; proportional rows sum to 1
    /// and have equal off-diagonal columns.
    #[test]
    fn v11_equal_and_proportional() {
        let a = als(&["1", "2", "3"]);
        let m = mutation_matrix(MutationModel::Equal, &a, &[0.2, 0.3, 0.5], 0.1, 0.1, 0.0);
        for i in 0..3 {
            assert!((m[i * 3 + i] - 0.9).abs() < 1e-15);
        }
        let m = mutation_matrix(
            MutationModel::Proportional,
            &a,
            &[0.2, 0.3, 0.5],
            0.1,
            0.1,
            0.0,
        );
        for i in 0..3 {
            let s: f64 = m[i * 3..i * 3 + 3].iter().sum();
            assert!((s - 1.0).abs() < 1e-12);
        }
        assert!((m[3] - m[2 * 3]).abs() < 1e-15); // M[2,1] = M[3,1]
        // Stationary: p·M = p.
        let p = [0.2, 0.3, 0.5];
        for j in 0..3 {
            let pm: f64 = (0..3).map(|i| p[i] * m[i * 3 + j]).sum();
            assert!((pm - p[j]).abs() < 1e-12);
        }
    }
}
