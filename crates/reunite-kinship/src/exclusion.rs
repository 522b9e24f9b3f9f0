//! Exclusion power of a parentage (paternity or maternity) question.
//!
//! Definition (forrel `exclusionPower`): the persons still to be typed are replaced by random,
//! unrelated persons of the population (Hardy–Weinberg genotypes from the frequency table);
//! the exclusion power is the probability that the genotypes then seen are incompatible with
//! the claimed trio "alleged parent + other parent → child" by Mendel's laws (no mutation),
//! given the genotypes of the persons already typed. It is computed by enumerating every
//! genotype of the random persons with its probability; nothing is hard-coded.
//!
//! Over unlinked markers, `EP = 1 − Π(1 − EP_i)`.
use std::collections::BTreeSet;

use serde::Serialize;

use crate::allele::{Allele, Marker};
use crate::error::KinshipError;
use crate::freq::{FrequencyTable, LocusFrequencies};
use crate::locus::LocusModel;
use crate::lr::LrOptions;
use crate::mutation::MutationSpec;
use crate::profile::Genotype;

/// The state of one person of the trio at one marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrioMember {
    /// Not typed and not to be typed (e.g. an absent mother); imposes no constraint.
    Absent,
    /// Already typed with this genotype.
    Typed(Genotype),
    /// To be typed: replaced by a random person of the population, over whose genotypes the
    /// exclusion probability is averaged.
    Random,
}

/// The trio of a parentage question at one marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentageMarker {
    /// The alleged father (paternity) or mother (maternity).
    pub alleged_parent: TrioMember,
    /// The child.
    pub child: TrioMember,
    /// The undisputed other parent.
    pub other_parent: TrioMember,
}

/// Exclusion power at one marker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocusExclusion {
    /// Marker name (as in the frequency table).
    pub marker: String,
    /// Probability of an exclusion at this marker.
    pub power: f64,
}

/// Exclusion power over several markers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExclusionReport {
    /// Combined exclusion power `1 − Π(1 − EP_i)` (unlinked markers).
    pub power: f64,
    /// Per-marker results, in the order given.
    pub loci: Vec<LocusExclusion>,
    /// Markers absent from the frequency table (ignored).
    pub skipped_markers: Vec<String>,
}

/// Exclusion power of a parentage question at one marker with frequencies `freqs`.
///
/// `opts.min_frequency` and `opts.normalize` shape the frequencies; the mutation model is
/// ignored (an exclusion is a Mendelian incompatibility). θ > 0 and silent alleles are
/// refused with [`KinshipError::InvalidOption`]. At most three random persons are
/// enumerated; more than `opts.max_states` genotype combinations gives
/// [`KinshipError::TooComplex`].
pub fn exclusion_power_locus(
    freqs: &LocusFrequencies,
    trio: &ParentageMarker,
    opts: &LrOptions,
) -> Result<f64, KinshipError> {
    opts.validate()?;
    if opts.theta != 0.0 {
        return Err(KinshipError::InvalidOption(
            "exclusion power assumes Hardy–Weinberg genotypes (theta must be 0)".into(),
        ));
    }
    if opts.silent_frequency != 0.0 {
        return Err(KinshipError::InvalidOption(
            "exclusion power does not support silent alleles".into(),
        ));
    }
    let members = [trio.alleged_parent, trio.child, trio.other_parent];
    let observed: BTreeSet<Allele> = members
        .iter()
        .filter_map(|m| match m {
            TrioMember::Typed(g) => Some(*g),
            _ => None,
        })
        .flat_map(|g| g.alleles().collect::<Vec<_>>())
        .collect();
    // No lumping: two different unobserved alleles must stay distinct.
    let model = LocusModel::build(
        &freqs.name,
        freqs,
        &observed,
        &opts.model_options(MutationSpec::none()),
        false,
    )?;
    let ngt = model.gts.len();
    let hwe: Vec<f64> = model
        .gts
        .iter()
        .map(|&(i, j)| {
            let (pi, pj) = (model.p[i as usize], model.p[j as usize]);
            if i == j { pi * pi } else { 2.0 * pi * pj }
        })
        .collect();
    // Per member: the genotype sets it can take, with their probabilities. A typed person
    // contributes one weight-1 set (its consistent genotypes); an absent person any genotype.
    let all: Vec<usize> = (0..ngt).collect();
    let mut options: Vec<Vec<(Vec<usize>, f64)>> = Vec::with_capacity(3);
    let mut states = 1.0;
    for m in members {
        options.push(match m {
            TrioMember::Absent => vec![(all.clone(), 1.0)],
            TrioMember::Typed(g) => vec![(model.candidates(&g), 1.0)],
            TrioMember::Random => {
                states *= ngt as f64;
                (0..ngt).map(|g| (vec![g], hwe[g])).collect()
            }
        });
    }
    if states > opts.max_states {
        return Err(KinshipError::TooComplex {
            marker: freqs.name.clone(),
            states,
        });
    }
    let has = |g: usize, a: u16| model.gts[g].0 == a || model.gts[g].1 == a;
    let compatible = |ap: &[usize], ch: &[usize], op: &[usize]| {
        ch.iter().any(|&c| {
            let (c1, c2) = model.gts[c];
            let from =
                |x: u16, y: u16| ap.iter().any(|&a| has(a, x)) && op.iter().any(|&o| has(o, y));
            from(c1, c2) || from(c2, c1)
        })
    };
    let mut power = 0.0;
    for (ap, wa) in &options[0] {
        for (ch, wc) in &options[1] {
            for (op, wo) in &options[2] {
                if !compatible(ap, ch, op) {
                    power += wa * wc * wo;
                }
            }
        }
    }
    Ok(power)
}

/// Exclusion power of a parentage question over several unlinked markers:
/// `EP = 1 − Π(1 − EP_i)`. Markers absent from `freqs` are skipped and listed.
pub fn exclusion_power(
    freqs: &FrequencyTable,
    markers: &[(Marker, ParentageMarker)],
    opts: &LrOptions,
) -> Result<ExclusionReport, KinshipError> {
    let mut loci = Vec::new();
    let mut skipped = Vec::new();
    for (marker, trio) in markers {
        let Some(lf) = freqs.locus(marker) else {
            skipped.push(marker.to_string());
            continue;
        };
        loci.push(LocusExclusion {
            marker: lf.name.clone(),
            power: exclusion_power_locus(lf, trio, opts)?,
        });
    }
    let keep: f64 = loci.iter().map(|l| 1.0 - l.power).product();
    Ok(ExclusionReport {
        power: 1.0 - keep,
        loci,
        skipped_markers: skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(p: &[f64]) -> FrequencyTable {
        FrequencyTable::from_entries(
            p.iter()
                .enumerate()
                .map(|(i, &f)| ("L", Allele::parse(&(i + 1).to_string()).unwrap(), f)),
        )
        .unwrap()
    }

    fn a(s: &str) -> Allele {
        Allele::parse(s).unwrap()
    }

    fn ep(p: &[f64], trio: ParentageMarker) -> f64 {
        let t = table(p);
        exclusion_power_locus(
            t.locus(&Marker::new("L")).unwrap(),
            &trio,
            &LrOptions::default(),
        )
        .unwrap()
    }

    use TrioMember::{Absent, Random, Typed};

    /// V11 forrel test-exclusion.R "EP works in empty paternity case": claim = nuclearPed(1),
    /// ids = father and child (both random), mother untyped, p = (0.1, 0.9):
    /// EP = 2·p1²·p2² = 0.0162.
    #[test]
    fn v11_forrel_exclusion_empty_paternity() {
        let e = ep(
            &[0.1, 0.9],
            ParentageMarker {
                alleged_parent: Random,
                child: Random,
                other_parent: Absent,
            },
        );
        assert!((e - 2.0 * 0.01 * 0.81).abs() < 1e-12, "{e}");
        assert!((e - 0.0162).abs() < 1e-12);
    }

    /// V11 forrel test-exclusion.R "EP works in paternity case with child typed": child
    /// typed 1 (homozygote), p = (0.5, 0.3, 0.2), alleged father random:
    /// EP = (1 − p1)² = 0.25.
    #[test]
    fn v11_forrel_exclusion_child_typed() {
        let e = ep(
            &[0.5, 0.3, 0.2],
            ParentageMarker {
                alleged_parent: Random,
                child: Typed(Genotype::Hom(a("1"))),
                other_parent: Absent,
            },
        );
        assert!((e - 0.25).abs() < 1e-12, "{e}");
    }

    /// V11 forrel test-exclusion.R "EP works in paternity case with parents typed": father
    /// typed 1 (1/1), mother typed 2 (2/2), the child is the random person (ids = 3),
    /// p = (0.5, 0.3, 0.2): EP = 1 − 2·p1·p2 = 0.7.
    #[test]
    fn v11_forrel_exclusion_parents_typed() {
        let e = ep(
            &[0.5, 0.3, 0.2],
            ParentageMarker {
                alleged_parent: Typed(Genotype::Hom(a("1"))),
                child: Random,
                other_parent: Typed(Genotype::Hom(a("2"))),
            },
        );
        assert!((e - 0.7).abs() < 1e-12, "{e}");
    }

    /// Combined over markers: 1 − Π(1 − EP_i); unknown markers are skipped.
    #[test]
    fn combined_exclusion_power() {
        let mut entries = Vec::new();
        for (m, p) in [("A", [0.1, 0.9]), ("B", [0.5, 0.5])] {
            for (i, f) in p.iter().enumerate() {
                entries.push((m, a(&(i + 1).to_string()), *f));
            }
        }
        let t = FrequencyTable::from_entries(entries).unwrap();
        let trio = ParentageMarker {
            alleged_parent: Random,
            child: Random,
            other_parent: Absent,
        };
        let r = exclusion_power(
            &t,
            &[
                (Marker::new("A"), trio),
                (Marker::new("B"), trio),
                (Marker::new("Z"), trio),
            ],
            &LrOptions::default(),
        )
        .unwrap();
        let (e1, e2) = (2.0 * 0.01 * 0.81, 2.0 * 0.25 * 0.25);
        assert!((r.power - (1.0 - (1.0 - e1) * (1.0 - e2))).abs() < 1e-12);
        assert_eq!(r.skipped_markers, vec!["Z".to_string()]);
        // A typed trio that is consistent never excludes; an inconsistent one always does.
        let fixed = |c: &str| ParentageMarker {
            alleged_parent: Typed(Genotype::Hom(a("1"))),
            child: Typed(Genotype::Hom(a(c))),
            other_parent: Absent,
        };
        assert_eq!(ep(&[0.1, 0.9], fixed("1")), 0.0);
        assert_eq!(ep(&[0.1, 0.9], fixed("2")), 1.0);
        let bad = LrOptions {
            theta: 0.01,
            ..LrOptions::default()
        };
        let t = table(&[0.1, 0.9]);
        assert!(matches!(
            exclusion_power_locus(t.locus(&Marker::new("L")).unwrap(), &fixed("1"), &bad),
            Err(KinshipError::InvalidOption(_))
        ));
    }
}
