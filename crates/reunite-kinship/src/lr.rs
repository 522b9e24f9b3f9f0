//! Likelihood ratios of pedigree hypotheses against "the typed persons are unrelated".
use std::collections::BTreeSet;

use serde::Serialize;

use crate::allele::{Allele, Marker};
use crate::engine::{EnginePerson, likelihood};
use crate::error::KinshipError;
use crate::freq::{FrequencyTable, LocusFrequencies};
use crate::locus::{LocusModel, ModelOptions};
use crate::mutation::MutationSpec;
use crate::pairwise::{Relation, kappa_likelihoods};
use crate::pedigree::{Pedigree, Sex};
use crate::profile::{Genotype, ProfileSet};

/// How an untyped founder with a single child passes on an allele when the mutation model
/// is not stationary (see `shared/testdata/kinship-vectors.md`, V4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FounderConvention {
    /// The founder is a person of the pedigree: their allele is drawn from `p` and then
    /// transmitted through the mutation matrix, so the child receives `p·M`. This is what
    /// forrel and Familias do when the person is kept (the default).
    #[default]
    Mutated,
    /// The founder is pruned: the child receives an allele drawn from `p` (Familias R when
    /// the person is absent from the data matrix). Identical for stationary models.
    Population,
}

/// Minimum allele frequency for rare alleles and alleles absent from the table.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub enum MinFrequency {
    /// No floor; an observed allele absent from the table is an error.
    #[default]
    None,
    /// Every frequency is at least this value; unlisted alleles get it.
    Floor(f64),
    /// `5 / 2N` for a database of `N` persons (Budowle et al.).
    SampleSize(u32),
}

impl MinFrequency {
    fn value(self) -> Option<f64> {
        match self {
            Self::None => None,
            Self::Floor(f) => Some(f),
            Self::SampleSize(n) => Some(5.0 / (2.0 * f64::from(n.max(1)))),
        }
    }
}

/// Options of a likelihood-ratio computation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LrOptions {
    /// Co-ancestry coefficient θ (F_ST) of the Balding–Nichols sampling formula; 0 = HWE.
    pub theta: f64,
    /// Mutation model for parent–child transmissions.
    pub mutation: MutationSpec,
    /// Convention for untyped founders under a non-stationary mutation model.
    pub founders: FounderConvention,
    /// Frequency of a silent (null) allele at every marker; 0 = none. A single observed
    /// allele then means `a/a` or `a/silent`.
    pub silent_frequency: f64,
    /// Minimum allele frequency.
    pub min_frequency: MinFrequency,
    /// Rescale each marker's frequencies (after the floor and added alleles) to sum to
    /// `1 − silent_frequency`.
    pub normalize: bool,
    /// Prior probability of H1 for the posterior.
    pub prior: f64,
    /// Sex of the connecting parents in pedigrees built for pairwise relations (the parent
    /// in parent–child); only matters with sex-specific mutation rates.
    pub line_sex: Sex,
    /// Largest number of genotype combinations enumerated at one locus.
    pub max_states: f64,
}

impl Default for LrOptions {
    fn default() -> Self {
        Self {
            theta: 0.0,
            mutation: MutationSpec::none(),
            founders: FounderConvention::Mutated,
            silent_frequency: 0.0,
            min_frequency: MinFrequency::None,
            normalize: true,
            prior: 0.5,
            line_sex: Sex::Female,
            max_states: 2e8,
        }
    }
}

impl LrOptions {
    pub(crate) fn validate(&self) -> Result<(), KinshipError> {
        let bad = |s: String| Err(KinshipError::InvalidOption(s));
        if !(0.0..1.0).contains(&self.theta) {
            return bad(format!("theta {} not in [0, 1)", self.theta));
        }
        if !(0.0..1.0).contains(&self.silent_frequency) {
            return bad(format!(
                "silent frequency {} not in [0, 1)",
                self.silent_frequency
            ));
        }
        if !(self.prior > 0.0 && self.prior < 1.0) {
            return bad(format!("prior {} not in (0, 1)", self.prior));
        }
        let m = &self.mutation;
        for r in [m.rate_female, m.rate_male, m.rate2] {
            if !(0.0..=1.0).contains(&r) {
                return bad(format!("mutation rate {r} not in [0, 1]"));
            }
        }
        if m.rate_female + m.rate2 > 1.0 || m.rate_male + m.rate2 > 1.0 {
            return bad("rate + rate2 exceeds 1".into());
        }
        if m.range.is_nan() || m.range <= 0.0 {
            return bad(format!("range {} must be positive", m.range));
        }
        if let Some(f) = self.min_frequency.value()
            && !(f > 0.0 && f < 1.0)
        {
            return bad(format!("minimum frequency {f} not in (0, 1)"));
        }
        Ok(())
    }

    pub(crate) fn model_options(&self, mutation: MutationSpec) -> ModelOptions {
        ModelOptions {
            floor: self.min_frequency.value(),
            silent: self.silent_frequency,
            normalize: self.normalize,
            mutation,
        }
    }
}

/// The hypothesis H1 (H2 is always "the typed persons are unrelated").
#[derive(Debug, Clone, PartialEq)]
pub enum Hypothesis {
    /// A pairwise relationship between two typed persons.
    Pairwise {
        /// The relationship (`a` is the parent, grandparent, aunt/uncle when directional).
        relation: Relation,
        /// First person.
        a: String,
        /// Second person.
        b: String,
    },
    /// A pedigree; persons without a profile are untyped.
    Pedigree(Pedigree),
}

impl Hypothesis {
    /// A pairwise hypothesis.
    pub fn pairwise(relation: Relation, a: &str, b: &str) -> Self {
        Self::Pairwise {
            relation,
            a: a.to_string(),
            b: b.to_string(),
        }
    }
}

/// The result at one marker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocusLr {
    /// Marker name (as in the frequency table).
    pub marker: String,
    /// Likelihood ratio at this marker (1 when fewer than two involved persons are typed).
    pub lr: f64,
    /// Whether the genotypes are inconsistent with H1 without mutation (an exclusion).
    pub inconsistent: bool,
}

/// The result of a likelihood-ratio computation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LrReport {
    /// Combined LR (product over markers, unlinked). `0/0` gives NaN and `x/0` gives ∞, as
    /// IEEE arithmetic does.
    pub lr: f64,
    /// log10 of the combined LR (sum of per-marker logs).
    pub log10_lr: f64,
    /// Posterior probability of H1 at the prior of the options.
    pub posterior: f64,
    /// Number of markers inconsistent with H1 without mutation.
    pub inconsistent_loci: usize,
    /// Per-marker results, in marker order.
    pub loci: Vec<LocusLr>,
    /// Markers typed in the involved persons but absent from the frequency table (ignored).
    pub skipped_markers: Vec<String>,
}

/// The posterior probability of H1 given `lr` and the prior probability `prior`.
pub fn posterior_probability(lr: f64, prior: f64) -> f64 {
    if lr.is_infinite() {
        return 1.0;
    }
    lr * prior / (lr * prior + (1.0 - prior))
}

/// Computes the LR of `hyp` against "the typed persons are unrelated".
///
/// Markers are treated as unlinked and multiplied. A marker typed in fewer than two of the
/// involved persons contributes 1.
pub fn likelihood_ratio(
    freqs: &FrequencyTable,
    profiles: &ProfileSet,
    hyp: &Hypothesis,
    opts: &LrOptions,
) -> Result<LrReport, KinshipError> {
    opts.validate()?;
    let ped = match hyp {
        Hypothesis::Pairwise { relation, a, b } => {
            for x in [a, b] {
                if profiles.get(x).is_none() {
                    return Err(KinshipError::UnknownPerson(x.clone()));
                }
            }
            relation.pedigree(a, b, opts.line_sex)?
        }
        Hypothesis::Pedigree(p) => p.clone(),
    };
    let typed: Vec<usize> = (0..ped.persons().len())
        .filter(|&i| profiles.get(&ped.persons()[i].name).is_some())
        .collect();
    if typed.len() < 2 {
        return Err(KinshipError::TooFewTyped(
            typed
                .iter()
                .map(|&i| ped.persons()[i].name.clone())
                .collect(),
        ));
    }
    let mut markers: BTreeSet<Marker> = BTreeSet::new();
    for &i in &typed {
        let prof = profiles.get(&ped.persons()[i].name).expect("typed");
        markers.extend(prof.loci.keys().cloned());
    }
    let mut loci = Vec::new();
    let mut skipped = Vec::new();
    for marker in &markers {
        let Some(lf) = freqs.locus(marker) else {
            skipped.push(marker.to_string());
            continue;
        };
        let obs: Vec<Option<Genotype>> = ped
            .persons()
            .iter()
            .map(|p| profiles.get(&p.name).and_then(|pr| pr.get(marker)).copied())
            .collect();
        let locus = locus_lr(&lf.name, lf, &ped, &obs, hyp, opts)?;
        loci.push(locus);
    }
    let lr: f64 = loci.iter().map(|l| l.lr).product();
    let log10_lr: f64 = loci.iter().map(|l| l.lr.log10()).sum();
    Ok(LrReport {
        lr,
        log10_lr,
        posterior: posterior_probability(lr, opts.prior),
        inconsistent_loci: loci.iter().filter(|l| l.inconsistent).count(),
        loci,
        skipped_markers: skipped,
    })
}

/// The LR at one marker; `obs` is indexed like `ped.persons()`.
pub(crate) fn locus_lr(
    name: &str,
    lf: &LocusFrequencies,
    ped: &Pedigree,
    obs: &[Option<Genotype>],
    hyp: &Hypothesis,
    opts: &LrOptions,
) -> Result<LocusLr, KinshipError> {
    let n_typed = obs.iter().filter(|o| o.is_some()).count();
    if n_typed < 2 {
        return Ok(LocusLr {
            marker: name.to_string(),
            lr: 1.0,
            inconsistent: false,
        });
    }
    let observed: BTreeSet<Allele> = obs.iter().flatten().flat_map(|g| g.alleles()).collect();
    let plain = LocusModel::build(
        name,
        lf,
        &observed,
        &opts.model_options(MutationSpec::none()),
        true,
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
    let fast = match hyp {
        Hypothesis::Pairwise { relation, a, b } => Some((
            *relation,
            ped.position(a).expect("a is in the pedigree"),
            ped.position(b).expect("b is in the pedigree"),
        )),
        Hypothesis::Pedigree(_) => None,
    };
    let (lr, inconsistent) = lr_with_models(&plain, mutated.as_ref(), ped, obs, fast, opts)
        .map_err(|states| KinshipError::TooComplex {
            marker: name.to_string(),
            states,
        })?;
    Ok(LocusLr {
        marker: name.to_string(),
        lr,
        inconsistent,
    })
}

/// The LR and inconsistency flag at one marker given prebuilt models: `plain` without
/// mutation (possibly lumped), `mutated` with the mutation model (never lumped). `fast` names
/// a pairwise relation and its two persons, which allows the closed κ form when no mutation,
/// silent allele or partial genotype is involved. `Err(states)` when too complex.
pub(crate) fn lr_with_models(
    plain: &LocusModel,
    mutated: Option<&LocusModel>,
    ped: &Pedigree,
    obs: &[Option<Genotype>],
    fast: Option<(Relation, usize, usize)>,
    opts: &LrOptions,
) -> Result<(f64, bool), f64> {
    if let Some((relation, ia, ib)) = fast
        && mutated.is_none()
        && let (Some(ga), Some(gb)) = (&obs[ia], &obs[ib])
    {
        let states = |g: &Genotype| -> Vec<(usize, usize)> {
            plain
                .candidates(g)
                .into_iter()
                .map(|gt| (plain.gts[gt].0 as usize, plain.gts[gt].1 as usize))
                .collect()
        };
        let (h1, h2) = kappa_likelihoods(
            relation.kappa(),
            &states(ga),
            &states(gb),
            &plain.p,
            opts.theta,
        );
        return Ok((h1 / h2, relation == Relation::ParentChild && h1 == 0.0));
    }
    let persons: Vec<EnginePerson> = ped
        .persons()
        .iter()
        .zip(obs)
        .map(|(p, o)| EnginePerson {
            father: p.father,
            mother: p.mother,
            obs: *o,
        })
        .collect();
    let unrelated: Vec<EnginePerson> = obs
        .iter()
        .flatten()
        .map(|g| EnginePerson {
            father: None,
            mother: None,
            obs: Some(*g),
        })
        .collect();
    let (theta, conv, lim) = (opts.theta, opts.founders, opts.max_states);
    let h1_plain = likelihood(plain, &persons, theta, conv, lim)?;
    let h2 = likelihood(plain, &unrelated, theta, conv, lim)?;
    let h1 = match mutated {
        Some(m) => likelihood(m, &persons, theta, conv, lim)?,
        None => h1_plain,
    };
    Ok((h1 / h2, h1_plain == 0.0))
}
