//! Disaster victim identification (DVI) on top of the pedigree likelihoods, after dvir.
//!
//! A problem has victims (typed, unknown identity) and reference families: pedigrees with
//! typed references and untyped missing persons. A victim may be placed as a missing person
//! when their sexes agree (an unknown sex agrees with both).
//!
//! * **Pairwise LR** of victim V and missing person M: "V is M" (V's profile placed on M in
//!   M's family) against "V is unrelated to the family", i.e.
//!   `L(family with V as M) / (L(family) · L(V))`.
//! * **Joint assignments**: each victim to at most one missing person (or unassigned), each
//!   missing person at most one victim. The LR of an assignment is relative to "nobody
//!   identified"; families and unassigned victims are independent, so it is the product over
//!   families of `L(family with its assigned victims) / (L(family) · Π L(victim))`.
//!   Assignments with LR 0 (excluded) are dropped; with a flat prior over assignments the
//!   posterior of an assignment is its LR over the sum, and the posterior of a pair is the
//!   sum over the assignments that contain it.
//!
//! Each family likelihood ratio is computed by [`likelihood_ratio`] (so mutation, θ, silent
//! alleles and rare-allele floors follow [`LrOptions`]), as the LR of the family with the
//! victims placed divided by the LR of the family alone.
use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use thiserror::Error;

use crate::error::KinshipError;
use crate::freq::FrequencyTable;
use crate::lr::{Hypothesis, LrOptions, likelihood_ratio};
use crate::pedigree::{Pedigree, Sex};
use crate::profile::{Profile, ProfileSet};

/// Largest number of joint assignments enumerated before
/// [`DviError::TooManyAssignments`] is returned.
pub const MAX_ASSIGNMENTS: usize = 1_000_000;

/// A victim: a typed person of unknown identity.
#[derive(Debug, Clone, PartialEq)]
pub struct Victim {
    /// The victim's profile (`person` is the victim's identifier).
    pub profile: Profile,
    /// Sex, when known.
    pub sex: Option<Sex>,
}

/// A missing person of a reference family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPerson {
    /// Name of the person in the family's pedigree (unique over the problem).
    pub name: String,
    /// Sex; when `None`, the sex the pedigree gives a parent is used, if any.
    pub sex: Option<Sex>,
}

/// A reference family: a pedigree, its typed references and its missing persons.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceFamily {
    /// The pedigree; persons without a profile in `references` are untyped.
    pub pedigree: Pedigree,
    /// Profiles of the typed relatives.
    pub references: ProfileSet,
    /// The missing persons (untyped persons of the pedigree).
    pub missing: Vec<MissingPerson>,
}

/// A DVI problem.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DviProblem {
    /// The victims.
    pub victims: Vec<Victim>,
    /// The reference families.
    pub families: Vec<ReferenceFamily>,
}

/// A DVI problem that cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DviError {
    /// Two victims have the same identifier.
    #[error("victim {0} listed twice")]
    DuplicateVictim(String),
    /// Two missing persons have the same name.
    #[error("missing person {0} listed twice")]
    DuplicateMissing(String),
    /// A missing person is not a person of their family's pedigree.
    #[error("missing person {0} is not in the family's pedigree")]
    MissingNotInPedigree(String),
    /// A missing person has a reference profile.
    #[error("missing person {0} is typed as a reference")]
    MissingIsTyped(String),
    /// Too many joint assignments to enumerate.
    #[error("more than {0} joint assignments")]
    TooManyAssignments(usize),
}

/// Pairwise LRs of every victim against every missing person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairwiseMatrix {
    /// Victim identifiers (rows).
    pub victims: Vec<String>,
    /// Missing-person names (columns), family by family.
    pub missing: Vec<String>,
    /// `lr[v][m]`: LR of "victim v is missing person m" against "v is unrelated to m's
    /// family"; `None` when the sexes are incompatible.
    pub lr: Vec<Vec<Option<f64>>>,
}

/// One joint assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    /// For each victim (in problem order), the index of the missing person (in
    /// [`PairwiseMatrix::missing`] / [`JointReport::missing`] order) or `None`.
    pub missing_of_victim: Vec<Option<usize>>,
    /// LR against "nobody identified".
    pub lr: f64,
    /// Posterior probability under a flat prior over the assignments.
    pub posterior: f64,
}

/// The posterior probability of one victim–missing-person pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairPosterior {
    /// Victim index.
    pub victim: usize,
    /// Missing-person index.
    pub missing: usize,
    /// Sum of the posteriors of the assignments containing the pair.
    pub posterior: f64,
}

/// The joint assignments of a DVI problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointReport {
    /// Victim identifiers.
    pub victims: Vec<String>,
    /// Missing-person names.
    pub missing: Vec<String>,
    /// Assignments with a positive LR, highest LR first (ties in enumeration order).
    pub assignments: Vec<Assignment>,
    /// Number of sex-compatible assignments dropped because their LR is 0.
    pub excluded: usize,
    /// Posterior of every sex-compatible pair that occurs in a kept assignment.
    pub pair_posteriors: Vec<PairPosterior>,
}

/// Victims placed on missing persons of one family: `(victim, global missing index)`.
type Placement = Vec<(usize, usize)>;

/// Checked problem: global missing list and per-family lookups.
struct Prepared<'a> {
    problem: &'a DviProblem,
    /// `(family, name, sex)` per global missing index.
    missing: Vec<(usize, String, Option<Sex>)>,
}

fn sex_ok(a: Option<Sex>, b: Option<Sex>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

impl<'a> Prepared<'a> {
    fn new(problem: &'a DviProblem) -> Result<Self, KinshipError> {
        let mut seen = BTreeSet::new();
        for v in &problem.victims {
            if !seen.insert(v.profile.person.as_str()) {
                return Err(DviError::DuplicateVictim(v.profile.person.clone()).into());
            }
        }
        let mut names = BTreeSet::new();
        let mut missing = Vec::new();
        for (f, fam) in problem.families.iter().enumerate() {
            for m in &fam.missing {
                if !names.insert(m.name.as_str()) {
                    return Err(DviError::DuplicateMissing(m.name.clone()).into());
                }
                let Some(pos) = fam.pedigree.position(&m.name) else {
                    return Err(DviError::MissingNotInPedigree(m.name.clone()).into());
                };
                if fam.references.get(&m.name).is_some() {
                    return Err(DviError::MissingIsTyped(m.name.clone()).into());
                }
                let sex = m.sex.or(fam.pedigree.persons()[pos].sex);
                missing.push((f, m.name.clone(), sex));
            }
        }
        Ok(Self { problem, missing })
    }

    fn compatible(&self, v: usize, m: usize) -> bool {
        sex_ok(self.problem.victims[v].sex, self.missing[m].2)
    }

    /// LR of `family` with the victims placed as `(victim, global missing)` against the
    /// family alone and the victims unrelated.
    fn family_lr(
        &self,
        freqs: &FrequencyTable,
        family: usize,
        placed: &[(usize, usize)],
        opts: &LrOptions,
    ) -> Result<f64, KinshipError> {
        let fam = &self.problem.families[family];
        let mut profiles = fam.references.clone();
        for &(v, m) in placed {
            let mut p = self.problem.victims[v].profile.clone();
            p.person.clone_from(&self.missing[m].1);
            profiles.insert(p);
        }
        let hyp = Hypothesis::Pedigree(fam.pedigree.clone());
        let lr_of = |set: &ProfileSet| match likelihood_ratio(freqs, set, &hyp, opts) {
            Ok(r) => Ok(r.lr),
            // Fewer than two typed persons: nothing to compare, LR 1.
            Err(KinshipError::TooFewTyped(_)) => Ok(1.0),
            Err(e) => Err(e),
        };
        Ok(lr_of(&profiles)? / lr_of(&fam.references)?)
    }
}

/// Pairwise LR of every victim against every sex-compatible missing person.
pub fn pairwise_lr(
    freqs: &FrequencyTable,
    problem: &DviProblem,
    opts: &LrOptions,
) -> Result<PairwiseMatrix, KinshipError> {
    let prep = Prepared::new(problem)?;
    let mut lr = Vec::with_capacity(problem.victims.len());
    for v in 0..problem.victims.len() {
        let mut row = Vec::with_capacity(prep.missing.len());
        for m in 0..prep.missing.len() {
            row.push(if prep.compatible(v, m) {
                Some(prep.family_lr(freqs, prep.missing[m].0, &[(v, m)], opts)?)
            } else {
                None
            });
        }
        lr.push(row);
    }
    Ok(PairwiseMatrix {
        victims: victim_names(problem),
        missing: prep.missing.iter().map(|m| m.1.clone()).collect(),
        lr,
    })
}

fn victim_names(problem: &DviProblem) -> Vec<String> {
    problem
        .victims
        .iter()
        .map(|v| v.profile.person.clone())
        .collect()
}

/// All placements of victims on the missing persons `ms` of one family (each missing person
/// gets at most one sex-compatible victim, each victim at most one place).
fn family_placements(prep: &Prepared<'_>, ms: &[usize], limit: usize) -> Option<Vec<Placement>> {
    fn rec(
        prep: &Prepared<'_>,
        ms: &[usize],
        cur: &mut Vec<(usize, usize)>,
        out: &mut Vec<Placement>,
        limit: usize,
    ) -> bool {
        let Some((&m, rest)) = ms.split_first() else {
            out.push(cur.clone());
            return out.len() <= limit;
        };
        if !rec(prep, rest, cur, out, limit) {
            return false;
        }
        for v in 0..prep.problem.victims.len() {
            if prep.compatible(v, m) && cur.iter().all(|&(u, _)| u != v) {
                cur.push((v, m));
                let ok = rec(prep, rest, cur, out, limit);
                cur.pop();
                if !ok {
                    return false;
                }
            }
        }
        true
    }
    let mut out = Vec::new();
    rec(prep, ms, &mut Vec::new(), &mut out, limit).then_some(out)
}

/// Enumerates the joint assignments, ranks them by LR against "nobody identified" and gives
/// posteriors under a flat prior over assignments.
pub fn joint_assignments(
    freqs: &FrequencyTable,
    problem: &DviProblem,
    opts: &LrOptions,
) -> Result<JointReport, KinshipError> {
    let prep = Prepared::new(problem)?;
    let nv = problem.victims.len();
    // Per family: every placement with its LR.
    let mut per_family: Vec<Vec<(Placement, f64)>> = Vec::new();
    for f in 0..problem.families.len() {
        let ms: Vec<usize> = (0..prep.missing.len())
            .filter(|&m| prep.missing[m].0 == f)
            .collect();
        let placements = family_placements(&prep, &ms, MAX_ASSIGNMENTS)
            .ok_or(DviError::TooManyAssignments(MAX_ASSIGNMENTS))?;
        let mut opts_f = Vec::with_capacity(placements.len());
        for pl in placements {
            let lr = if pl.is_empty() {
                1.0
            } else {
                prep.family_lr(freqs, f, &pl, opts)?
            };
            opts_f.push((pl, lr));
        }
        per_family.push(opts_f);
    }
    // Combine families with disjoint victims.
    let mut all: Vec<(Vec<Option<usize>>, f64)> = Vec::new();
    let mut stack: Vec<(usize, Vec<Option<usize>>, f64)> = vec![(0, vec![None; nv], 1.0)];
    while let Some((f, cur, lr)) = stack.pop() {
        if f == per_family.len() {
            all.push((cur, lr));
            if all.len() > MAX_ASSIGNMENTS {
                return Err(DviError::TooManyAssignments(MAX_ASSIGNMENTS).into());
            }
            continue;
        }
        // Reverse so that the first placement is expanded first (stable enumeration order).
        for (pl, flr) in per_family[f].iter().rev() {
            if pl.iter().all(|&(v, _)| cur[v].is_none()) {
                let mut next = cur.clone();
                for &(v, m) in pl {
                    next[v] = Some(m);
                }
                stack.push((f + 1, next, lr * flr));
            }
        }
    }
    let total_all = all.len();
    all.retain(|a| a.1 != 0.0);
    let excluded = total_all - all.len();
    all.sort_by(|a, b| b.1.total_cmp(&a.1));
    let sum: f64 = all.iter().map(|a| a.1).sum();
    let mut pairs: HashMap<(usize, usize), f64> = HashMap::new();
    let assignments: Vec<Assignment> = all
        .into_iter()
        .map(|(missing_of_victim, lr)| {
            let posterior = lr / sum;
            for (v, m) in missing_of_victim.iter().enumerate() {
                if let Some(m) = m {
                    *pairs.entry((v, *m)).or_insert(0.0) += posterior;
                }
            }
            Assignment {
                missing_of_victim,
                lr,
                posterior,
            }
        })
        .collect();
    let mut pair_posteriors: Vec<PairPosterior> = pairs
        .into_iter()
        .map(|((victim, missing), posterior)| PairPosterior {
            victim,
            missing,
            posterior,
        })
        .collect();
    pair_posteriors.sort_by_key(|p| (p.victim, p.missing));
    Ok(JointReport {
        victims: victim_names(problem),
        missing: prep.missing.iter().map(|m| m.1.clone()).collect(),
        assignments,
        excluded,
        pair_posteriors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allele::Allele;
    use crate::profile::Genotype;

    fn g(s: &str) -> Genotype {
        let (a, b) = s.split_once('/').unwrap();
        Genotype::pair(Allele::parse(a).unwrap(), Allele::parse(b).unwrap())
    }

    fn table(p: &[f64]) -> FrequencyTable {
        FrequencyTable::from_entries(
            p.iter()
                .enumerate()
                .map(|(i, &f)| ("L", Allele::parse(&(i + 1).to_string()).unwrap(), f)),
        )
        .unwrap()
    }

    fn refs(typed: &[(&str, &str)]) -> ProfileSet {
        let mut s = ProfileSet::new();
        for (p, x) in typed {
            s.insert(Profile::new(p).with("L", g(x)));
        }
        s
    }

    fn victim(name: &str, x: &str, sex: Option<Sex>) -> Victim {
        Victim {
            profile: Profile::new(name).with("L", g(x)),
            sex,
        }
    }

    fn missing(name: &str, sex: Option<Sex>) -> MissingPerson {
        MissingPerson {
            name: name.into(),
            sex,
        }
    }

    fn close(a: f64, b: f64, tol: f64, what: &str) {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1e-300),
            "{what}: {a} vs {b}"
        );
    }

    /// V11 dvir test-synthetic.R / test-pairwise.R: victim V vs missing child M of typed
    /// parents 1/2 × 1/2, p1 = 0.1: V = 1/1 → 25; V = 2/2 → 1/(4·0.9²) = 0.3086419753;
    /// parents 1/1 × 1/1 and V = 2/2 → excluded (LR 0).
    #[test]
    fn v11_dvir_synthetic_pairwise() {
        let t = table(&[0.1, 0.9]);
        let case = |fa: &str, mo: &str, v: &str| DviProblem {
            victims: vec![victim("V", v, None)],
            families: vec![ReferenceFamily {
                pedigree: Pedigree::parse("FA+MO>M").unwrap(),
                references: refs(&[("FA", fa), ("MO", mo)]),
                missing: vec![missing("M", None)],
            }],
        };
        let o = LrOptions::default();
        let lr = |fa, mo, v| pairwise_lr(&t, &case(fa, mo, v), &o).unwrap().lr[0][0].unwrap();
        close(lr("1/2", "1/2", "1/1"), 25.0, 1e-9, "V11 dvir V=1/1");
        close(
            lr("1/2", "1/2", "2/2"),
            0.3086419753,
            1e-9,
            "V11 dvir V=2/2",
        );
        assert_eq!(lr("1/1", "1/1", "2/2"), 0.0, "V11 dvir exclusion");
        // The joint view of the exclusion keeps only "nobody identified".
        let j = joint_assignments(&t, &case("1/1", "1/1", "2/2"), &o).unwrap();
        assert_eq!(j.assignments.len(), 1);
        assert_eq!(j.excluded, 1);
        assert_eq!(j.assignments[0].missing_of_victim, vec![None]);
    }

    /// dvir `example2` (data-raw/example2.R): one locus, 10 alleles of frequency 0.1;
    /// victims V1 1/1 (male), V2 1/2 (male), V3 3/4 (female); family 1 M1 × R1(2/2) → M2
    /// (M2 male), family 2 R2(3/3) × MO2 → M3 (female). The victims' sexes are those of
    /// example2, as implied by the NA pattern of the vector.
    fn example2() -> DviProblem {
        DviProblem {
            victims: vec![
                victim("V1", "1/1", Some(Sex::Male)),
                victim("V2", "1/2", Some(Sex::Male)),
                victim("V3", "3/4", Some(Sex::Female)),
            ],
            families: vec![
                ReferenceFamily {
                    pedigree: Pedigree::parse("M1+R1>M2").unwrap(),
                    references: refs(&[("R1", "2/2")]),
                    missing: vec![missing("M1", None), missing("M2", Some(Sex::Male))],
                },
                ReferenceFamily {
                    pedigree: Pedigree::parse("R2+MO2>M3").unwrap(),
                    references: refs(&[("R2", "3/3")]),
                    missing: vec![missing("M3", Some(Sex::Female))],
                },
            ],
        }
    }

    /// V11 dvir example2: pairwise LR matrix V1:(M1 1, M2 0), V2:(M1 1, M2 5), V3:(M3 5),
    /// other cells NA (sex-incompatible).
    #[test]
    fn v11_dvir_example2_pairwise() {
        let t = table(&[0.1; 10]);
        let m = pairwise_lr(&t, &example2(), &LrOptions::default()).unwrap();
        assert_eq!(m.missing, vec!["M1", "M2", "M3"]);
        let expected = [
            [Some(1.0), Some(0.0), None],
            [Some(1.0), Some(5.0), None],
            [None, None, Some(5.0)],
        ];
        for (v, row) in expected.iter().enumerate() {
            for (k, e) in row.iter().enumerate() {
                match (m.lr[v][k], e) {
                    (Some(a), Some(b)) => close(a, *b, 1e-9, "V11 dvir example2 pairwise"),
                    (a, b) => assert_eq!(a, *b, "V11 dvir example2 V{} M{}", v + 1, k + 1),
                }
            }
        }
    }

    /// V11 dvir example2 (test-joint.R): joint assignments ranked by LR 250, 50, 25, 5, 5,
    /// 5, 5, 1, 1, 1 (loglik −16.11810 … −21.63956, i.e. ln 250 apart); posteriors under a
    /// flat prior: V1=M1 0.87931034, V2=M2 0.94827586, V3=M3 0.83333333.
    #[test]
    fn v11_dvir_example2_joint() {
        let t = table(&[0.1; 10]);
        let j = joint_assignments(&t, &example2(), &LrOptions::default()).unwrap();
        let lrs: Vec<f64> = j.assignments.iter().map(|a| a.lr).collect();
        let expected = [250.0, 50.0, 25.0, 5.0, 5.0, 5.0, 5.0, 1.0, 1.0, 1.0];
        assert_eq!(lrs.len(), expected.len(), "{lrs:?}");
        for (a, b) in lrs.iter().zip(expected) {
            close(*a, b, 1e-9, "V11 dvir example2 joint LR");
        }
        close(
            lrs[0].ln(),
            -16.11810 - -21.63956,
            1e-6,
            "V11 dvir example2 loglik range",
        );
        // Best: V1=M1, V2=M2, V3=M3. Sex-compatible assignments with V1=M2 are excluded.
        assert_eq!(
            j.assignments[0].missing_of_victim,
            vec![Some(0), Some(1), Some(2)]
        );
        assert_eq!(j.excluded, 4);
        let post = |v: usize, m: usize| {
            j.pair_posteriors
                .iter()
                .find(|p| p.victim == v && p.missing == m)
                .unwrap()
                .posterior
        };
        close(post(0, 0), 0.87931034, 1e-7, "V11 dvir example2 V1=M1");
        close(post(1, 1), 0.94827586, 1e-7, "V11 dvir example2 V2=M2");
        close(post(2, 2), 0.83333333, 1e-7, "V11 dvir example2 V3=M3");
        let total: f64 = j.assignments.iter().map(|a| a.posterior).sum();
        close(total, 1.0, 1e-12, "posteriors sum to 1");
    }

    #[test]
    fn dvi_errors() {
        let t = table(&[0.1; 10]);
        let o = LrOptions::default();
        let mut p = example2();
        p.families[0].missing.push(missing("R1", None));
        assert_eq!(
            pairwise_lr(&t, &p, &o).unwrap_err(),
            KinshipError::Dvi(DviError::MissingIsTyped("R1".into()))
        );
        let mut p = example2();
        p.families[1].missing.push(missing("X", None));
        assert_eq!(
            joint_assignments(&t, &p, &o).unwrap_err(),
            KinshipError::Dvi(DviError::MissingNotInPedigree("X".into()))
        );
        let mut p = example2();
        p.victims.push(victim("V1", "1/2", None));
        assert_eq!(
            pairwise_lr(&t, &p, &o).unwrap_err(),
            KinshipError::Dvi(DviError::DuplicateVictim("V1".into()))
        );
    }
}
