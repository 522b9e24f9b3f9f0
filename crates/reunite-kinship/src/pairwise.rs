//! Pairwise relationships by IBD coefficients (κ0, κ1, κ2), and their pedigrees.
use serde::Serialize;

use crate::error::PedigreeError;
use crate::pedigree::{Pedigree, Sex};

/// A relationship between two persons `a` and `b` (non-inbred, unlinked markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// `a` is a parent of `b` (κ = 0, 1, 0).
    ParentChild,
    /// Full siblings (κ = ¼, ½, ¼).
    FullSiblings,
    /// Half siblings (κ = ½, ½, 0).
    HalfSiblings,
    /// `a` is a grandparent of `b` (κ = ½, ½, 0).
    Grandparent,
    /// `a` is an aunt or uncle of `b` (κ = ½, ½, 0).
    AuntUncle,
    /// First cousins (κ = ¾, ¼, 0).
    FirstCousins,
}

impl Relation {
    /// All relations.
    pub const ALL: [Relation; 6] = [
        Self::ParentChild,
        Self::FullSiblings,
        Self::HalfSiblings,
        Self::Grandparent,
        Self::AuntUncle,
        Self::FirstCousins,
    ];

    /// The IBD coefficients (κ0, κ1, κ2).
    pub fn kappa(self) -> [f64; 3] {
        match self {
            Self::ParentChild => [0.0, 1.0, 0.0],
            Self::FullSiblings => [0.25, 0.5, 0.25],
            Self::HalfSiblings | Self::Grandparent | Self::AuntUncle => [0.5, 0.5, 0.0],
            Self::FirstCousins => [0.75, 0.25, 0.0],
        }
    }

    /// The CLI spelling (`parent-child`, `full-siblings`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::ParentChild => "parent-child",
            Self::FullSiblings => "full-siblings",
            Self::HalfSiblings => "half-siblings",
            Self::Grandparent => "grandparent",
            Self::AuntUncle => "aunt-uncle",
            Self::FirstCousins => "first-cousins",
        }
    }

    /// Parses the CLI spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == s)
    }

    /// A pedigree realising the relation between `a` and `b`, with untyped connecting
    /// persons named `#1`, `#2`, …. Every connecting parent has sex `line_sex` (it only
    /// matters with sex-specific mutation rates): with `Female`, `a` is the mother, maternal
    /// grandmother, maternal half-sibling, maternal aunt of `b`, and so on.
    pub fn pedigree(self, a: &str, b: &str, line_sex: Sex) -> Result<Pedigree, PedigreeError> {
        if a == b {
            return Err(PedigreeError::SamePerson(a.to_string()));
        }
        let mut p = Pedigree::default();
        // fam(parent on the line, mate, child)
        let mut fam = |line: &str, mate: &str, child: &str| match line_sex {
            Sex::Female => p.add_family(mate, line, child),
            Sex::Male => p.add_family(line, mate, child),
        };
        match self {
            Self::ParentChild => fam(a, "#1", b)?,
            Self::FullSiblings => {
                fam("#1", "#2", a)?;
                fam("#1", "#2", b)?;
            }
            Self::HalfSiblings => {
                fam("#1", "#2", a)?;
                fam("#1", "#3", b)?;
            }
            Self::Grandparent => {
                fam(a, "#1", "#2")?;
                fam("#2", "#3", b)?;
            }
            Self::AuntUncle => {
                fam("#1", "#2", a)?;
                fam("#1", "#2", "#3")?;
                fam("#3", "#4", b)?;
            }
            Self::FirstCousins => {
                fam("#1", "#2", "#3")?;
                fam("#1", "#2", "#4")?;
                fam("#3", "#5", a)?;
                fam("#4", "#6", b)?;
            }
        }
        Ok(p)
    }
}

/// Sampling-formula probability of drawing allele `a` given prior draws.
fn draw(counts: &mut Vec<(usize, u32)>, drawn: &mut u32, a: usize, p: &[f64], theta: f64) -> f64 {
    let m = counts.iter().find(|x| x.0 == a).map_or(0, |x| x.1);
    let n = f64::from(*drawn);
    let pr = if *drawn == 0 {
        p[a]
    } else {
        (f64::from(m) * theta + (1.0 - theta) * p[a]) / (1.0 + (n - 1.0) * theta)
    };
    match counts.iter_mut().find(|x| x.0 == a) {
        Some(x) => x.1 += 1,
        None => counts.push((a, 1)),
    }
    *drawn += 1;
    pr
}

/// For true genotypes `ga = (a1, a2)` and `gb = (b1, b2)` (allele states with
/// frequencies `p`, co-ancestry `theta`): `P(ga)` and `P(gb | ga, k alleles IBD)` for
/// k = 0, 1, 2. `b`'s non-IBD alleles are drawn with the sampling formula after `a`'s two
/// alleles, which is exact for non-inbred relationships by exchangeability.
pub(crate) fn ibd_terms(
    ga: (usize, usize),
    gb: (usize, usize),
    p: &[f64],
    theta: f64,
) -> (f64, [f64; 3]) {
    let base = || {
        let mut c = Vec::with_capacity(4);
        let mut n = 0u32;
        let w = draw(&mut c, &mut n, ga.0, p, theta) * draw(&mut c, &mut n, ga.1, p, theta);
        (c, n, if ga.0 == ga.1 { w } else { 2.0 * w })
    };
    let (mut c, mut n, pa) = base();
    let w = draw(&mut c, &mut n, gb.0, p, theta) * draw(&mut c, &mut n, gb.1, p, theta);
    let p0 = if gb.0 == gb.1 { w } else { 2.0 * w };
    // One allele IBD: b carries one of a's alleles (½ each); the other is a new draw.
    let mut p1 = 0.0;
    for ibd in [ga.0, ga.1] {
        let other = if gb.0 == ibd {
            Some(gb.1)
        } else if gb.1 == ibd {
            Some(gb.0)
        } else {
            None
        };
        if let Some(o) = other {
            let (mut c, mut n, _) = base();
            p1 += 0.5 * draw(&mut c, &mut n, o, p, theta);
        }
    }
    let same = (ga.0 == gb.0 && ga.1 == gb.1) || (ga.0 == gb.1 && ga.1 == gb.0);
    (pa, [p0, p1, if same { 1.0 } else { 0.0 }])
}

/// `(P(obs | κ), P(obs | unrelated))` summed over the true genotypes consistent with the
/// observations (`ca`, `cb`: candidate genotypes as allele-state pairs).
pub(crate) fn kappa_likelihoods(
    kappa: [f64; 3],
    ca: &[(usize, usize)],
    cb: &[(usize, usize)],
    p: &[f64],
    theta: f64,
) -> (f64, f64) {
    let (mut h1, mut h2) = (0.0, 0.0);
    for &ga in ca {
        for &gb in cb {
            let (pa, t) = ibd_terms(ga, gb, p, theta);
            h1 += pa * (kappa[0] * t[0] + kappa[1] * t[1] + kappa[2] * t[2]);
            h2 += pa * t[0];
        }
    }
    (h1, h2)
}
