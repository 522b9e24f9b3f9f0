//! Search one 21-locus profile against 1,000,000 synthetic profiles (parent–child), on one
//! thread. Run: `cargo bench -p reunite-kinship --bench search`.
use std::time::Instant;

use reunite_kinship::{
    Allele, FrequencyTable, Genotype, LrOptions, MutationModel, MutationSpec, Profile,
    ProfileDatabase, SearchOptions,
};

/// A small deterministic generator (xorshift64*), so the benchmark needs no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn sample(rng: &mut Rng, alleles: &[(Allele, f64)]) -> Allele {
    let total: f64 = alleles.iter().map(|x| x.1).sum();
    let mut u = rng.unit() * total;
    for &(a, p) in alleles {
        if u < p {
            return a;
        }
        u -= p;
    }
    alleles[alleles.len() - 1].0
}

fn main() {
    let n: usize = std::env::var("KINSHIP_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let freqs = FrequencyTable::default_east_asia();
    let loci: Vec<(String, Vec<(Allele, f64)>)> = freqs
        .loci()
        .take(21)
        .map(|(_, l)| (l.name.clone(), l.alleles.clone()))
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let profile = |name: String, rng: &mut Rng| {
        let mut p = Profile::new(&name);
        for (m, als) in &loci {
            p = p.with(m, Genotype::pair(sample(rng, als), sample(rng, als)));
        }
        p
    };
    let t0 = Instant::now();
    let query = profile("query".into(), &mut rng);
    let mut db_profiles: Vec<Profile> =
        (0..n).map(|i| profile(format!("P{i}"), &mut rng)).collect();
    // Plant one true child of the query: one allele from the query at every locus.
    let mut child = Profile::new("child");
    for (m, als) in &loci {
        let q = *query
            .loci
            .get(&reunite_kinship::Marker::new(m))
            .expect("typed");
        let from_query = q
            .alleles()
            .nth((rng.next() % 2) as usize)
            .unwrap_or_else(|| q.alleles().next().expect("allele"));
        child = child.with(m, Genotype::pair(from_query, sample(&mut rng, als)));
    }
    db_profiles[n / 2] = child;
    let db = ProfileDatabase::build(&freqs, db_profiles.iter()).expect("database");
    drop(db_profiles);
    eprintln!(
        "built {n} profiles × {} loci in {:.2?}",
        loci.len(),
        t0.elapsed()
    );
    let search = SearchOptions {
        top: 10,
        threshold: 10_000.0,
        ..SearchOptions::default()
    };
    for (label, opts) in [
        ("parent-child, no mutation", LrOptions::default()),
        (
            "parent-child, stepwise 0.002",
            LrOptions {
                mutation: MutationSpec::new(MutationModel::Stepwise, 0.002),
                ..LrOptions::default()
            },
        ),
        (
            "parent-child, theta 0.01",
            LrOptions {
                theta: 0.01,
                ..LrOptions::default()
            },
        ),
    ] {
        let mut times = Vec::new();
        let mut best = (String::new(), 0.0);
        for _ in 0..5 {
            let t = Instant::now();
            let rep = db.search(&freqs, &query, &opts, &search).expect("search");
            times.push(t.elapsed());
            best = (rep.hits[0].person.clone(), rep.hits[0].lr);
        }
        times.sort();
        println!(
            "search 1 × {n} profiles, 21 loci, {label}: median {:.1?} (min {:.1?}, max {:.1?}); best {} LR {:.3e}",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1],
            best.0,
            best.1
        );
    }
}
