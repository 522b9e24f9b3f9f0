//! `reunite kinship …` subcommands: likelihood ratios and database search. The files are
//! read here; everything else is `reunite_kinship`.
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use reunite_kinship::{
    FounderConvention, FrequencyTable, Hypothesis, LrOptions, LrReport, MinFrequency,
    MutationModel, MutationSpec, Pedigree, ProfileDatabase, ProfileSet, Relation, SearchOptions,
    SearchReport, Sex,
};

/// `reunite kinship` subcommands.
#[derive(Debug, Subcommand)]
pub enum KinshipCmd {
    /// Likelihood ratio of a relationship or pedigree against "the typed persons are unrelated".
    Lr(LrArgs),
    /// Rank every other profile by the LR of a relationship with one person.
    Search(SearchArgs),
}

/// Relationship names on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RelationArg {
    /// A is a parent of B.
    ParentChild,
    /// Full siblings.
    FullSiblings,
    /// Half siblings.
    HalfSiblings,
    /// A is a grandparent of B.
    Grandparent,
    /// A is an aunt or uncle of B.
    AuntUncle,
    /// First cousins.
    FirstCousins,
}

impl From<RelationArg> for Relation {
    fn from(r: RelationArg) -> Self {
        match r {
            RelationArg::ParentChild => Relation::ParentChild,
            RelationArg::FullSiblings => Relation::FullSiblings,
            RelationArg::HalfSiblings => Relation::HalfSiblings,
            RelationArg::Grandparent => Relation::Grandparent,
            RelationArg::AuntUncle => Relation::AuntUncle,
            RelationArg::FirstCousins => Relation::FirstCousins,
        }
    }
}

/// Mutation model names on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MutationArg {
    /// No mutation.
    None,
    /// All mutations equally likely.
    Equal,
    /// Proportional to the target allele's frequency (stationary).
    Proportional,
    /// Familias' extended stepwise model.
    Stepwise,
    /// One repeat up or down.
    Onestep,
}

/// Sex of connecting parents.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SexArg {
    /// Maternal line.
    Female,
    /// Paternal line.
    Male,
}

/// Untyped-founder convention.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FoundersArg {
    /// Untyped founders pass on p·M (forrel; Familias with the person kept).
    Mutated,
    /// Untyped founders pass on p (Familias pruning).
    Population,
}

/// Options shared by `lr` and `search`.
#[derive(Debug, Args)]
pub struct Common {
    /// Allele frequencies: list format (marker line, then allele<TAB>frequency) or CSV
    /// marker,allele,frequency. Default: the shipped East Asian norSTR v2023 table (MIT).
    #[arg(long)]
    freqs: Option<PathBuf>,
    /// Profiles: CSV person,marker,allele1,allele2 or a GeneMapper genotype table export.
    #[arg(long)]
    profiles: PathBuf,
    /// Co-ancestry coefficient θ (F_ST) for the Balding–Nichols correction.
    #[arg(long, default_value_t = 0.0)]
    theta: f64,
    /// Mutation model for parent–child transmissions.
    #[arg(long, value_enum, default_value = "none")]
    mutation: MutationArg,
    /// Mutation rate for both sexes.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Mutation rate of mothers (overrides --rate).
    #[arg(long)]
    rate_female: Option<f64>,
    /// Mutation rate of fathers (overrides --rate).
    #[arg(long)]
    rate_male: Option<f64>,
    /// Stepwise model: relative probability of one more step.
    #[arg(long, default_value_t = 0.1)]
    range: f64,
    /// Stepwise model: rate of mutations between microvariant groups.
    #[arg(long, default_value_t = 0.0)]
    rate2: f64,
    /// Untyped founders under a non-stationary mutation model.
    #[arg(long, value_enum, default_value = "mutated")]
    founders: FoundersArg,
    /// Frequency of a silent (null) allele; a single observed allele then means a/a or a/silent.
    #[arg(long, default_value_t = 0.0)]
    silent: f64,
    /// Minimum allele frequency (rare and unlisted alleles).
    #[arg(long, default_value_t = 0.001, conflicts_with = "sample_size")]
    min_freq: f64,
    /// Use 5/2N as the minimum allele frequency, N being the frequency database size.
    #[arg(long)]
    sample_size: Option<u32>,
    /// Prior probability of the hypothesis for the posterior.
    #[arg(long, default_value_t = 0.5)]
    prior: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `reunite kinship lr`.
#[derive(Debug, Args)]
pub struct LrArgs {
    #[command(flatten)]
    common: Common,
    /// Pairwise relationship of --a to --b.
    #[arg(long, value_enum, requires_all = ["a", "b"], conflicts_with = "pedigree")]
    relation: Option<RelationArg>,
    /// First person (the parent, grandparent, aunt/uncle for directional relations).
    #[arg(long)]
    a: Option<String>,
    /// Second person.
    #[arg(long)]
    b: Option<String>,
    /// Pedigree as father+mother>child clauses separated by ';' (untyped persons allowed).
    #[arg(long)]
    pedigree: Option<String>,
    /// Sex of the connecting parents of a pairwise relation (selects the mutation rate).
    #[arg(long, value_enum, default_value = "female")]
    line_sex: SexArg,
}

/// `reunite kinship search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    common: Common,
    /// The person whose profile is searched against all the others.
    #[arg(long)]
    person: String,
    /// Relationship of --person to each profile.
    #[arg(long, value_enum, default_value = "parent-child")]
    relation: RelationArg,
    /// How many best profiles to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// LR threshold for counting candidates.
    #[arg(long, default_value_t = 10_000.0)]
    threshold: f64,
    /// Sex of --person's line (selects the mutation rate).
    #[arg(long, value_enum, default_value = "female")]
    line_sex: SexArg,
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

impl Common {
    fn load(&self) -> anyhow::Result<(FrequencyTable, ProfileSet)> {
        let freqs = match &self.freqs {
            Some(p) => FrequencyTable::parse_auto(&read(p)?)
                .with_context(|| format!("in {}", p.display()))?,
            None => FrequencyTable::default_east_asia(),
        };
        let profiles = ProfileSet::parse_auto(&read(&self.profiles)?)
            .with_context(|| format!("in {}", self.profiles.display()))?;
        Ok((freqs, profiles))
    }

    fn options(&self, line_sex: SexArg) -> LrOptions {
        let model = match self.mutation {
            MutationArg::None => MutationModel::None,
            MutationArg::Equal => MutationModel::Equal,
            MutationArg::Proportional => MutationModel::Proportional,
            MutationArg::Stepwise => MutationModel::Stepwise,
            MutationArg::Onestep => MutationModel::OneStep,
        };
        LrOptions {
            theta: self.theta,
            mutation: MutationSpec {
                model,
                rate_female: self.rate_female.unwrap_or(self.rate),
                rate_male: self.rate_male.unwrap_or(self.rate),
                range: self.range,
                rate2: self.rate2,
            },
            founders: match self.founders {
                FoundersArg::Mutated => FounderConvention::Mutated,
                FoundersArg::Population => FounderConvention::Population,
            },
            silent_frequency: self.silent,
            min_frequency: match self.sample_size {
                Some(n) => MinFrequency::SampleSize(n),
                None if self.min_freq > 0.0 => MinFrequency::Floor(self.min_freq),
                None => MinFrequency::None,
            },
            prior: self.prior,
            line_sex: match line_sex {
                SexArg::Female => Sex::Female,
                SexArg::Male => Sex::Male,
            },
            ..LrOptions::default()
        }
    }
}

fn print_lr(r: &LrReport) {
    println!("marker                   LR");
    for l in &r.loci {
        println!(
            "{:<12} {:>14.6e} {}",
            l.marker,
            l.lr,
            if l.inconsistent { "inconsistent" } else { "" }
        );
    }
    if !r.skipped_markers.is_empty() {
        println!(
            "skipped (not in the frequency table): {}",
            r.skipped_markers.join(", ")
        );
    }
    println!("LR         {:.6e}", r.lr);
    println!("log10 LR   {:.4}", r.log10_lr);
    println!("posterior  {:.10}", r.posterior);
    println!("inconsistent loci {}", r.inconsistent_loci);
}

fn print_search(r: &SearchReport) {
    println!("rank  person                           LR   log10 LR");
    for (i, h) in r.hits.iter().enumerate() {
        println!(
            "{:<5} {:<20} {:>14.6e} {:>10.4}",
            i + 1,
            h.person,
            h.lr,
            h.log10_lr
        );
    }
    println!(
        "{} profiles searched on {} markers; {} with LR >= {}; expected unrelated at or above the threshold <= N/T = {:.4}",
        r.searched,
        r.markers_used,
        r.above_threshold,
        r.threshold,
        r.expected_unrelated_above_threshold
    );
}

/// Runs one `reunite kinship` subcommand.
pub fn run(cmd: KinshipCmd) -> anyhow::Result<()> {
    match cmd {
        KinshipCmd::Lr(args) => {
            let (freqs, profiles) = args.common.load()?;
            let hyp = match (&args.relation, &args.pedigree) {
                (Some(r), None) => {
                    let (Some(a), Some(b)) = (&args.a, &args.b) else {
                        bail!("--relation needs --a and --b");
                    };
                    Hypothesis::pairwise((*r).into(), a, b)
                }
                (None, Some(p)) => Hypothesis::Pedigree(Pedigree::parse(p).context("--pedigree")?),
                _ => bail!("give either --relation with --a and --b, or --pedigree"),
            };
            let report = reunite_kinship::likelihood_ratio(
                &freqs,
                &profiles,
                &hyp,
                &args.common.options(args.line_sex),
            )?;
            if args.common.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_lr(&report);
            }
        }
        KinshipCmd::Search(args) => {
            let (freqs, profiles) = args.common.load()?;
            let query = profiles
                .get(&args.person)
                .with_context(|| format!("no profile for {}", args.person))?;
            let db = ProfileDatabase::build(&freqs, profiles.profiles())?;
            let search = SearchOptions {
                relation: args.relation.into(),
                top: args.top,
                threshold: args.threshold,
            };
            let report = db.search(&freqs, query, &args.common.options(args.line_sex), &search)?;
            if args.common.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_search(&report);
            }
        }
    }
    Ok(())
}
