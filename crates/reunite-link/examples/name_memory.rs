//! Memory and speed of prepared names on generated cases, single-threaded.
//!
//! Prepares the first 100,000 name texts of `generate(42, 100000, 1000, 0.2)` (mothers,
//! children, fathers, in case order; repeats kept, no cache) as `PreparedName`s and then as the
//! linker's `LName`s, and reads VmRSS from /proc/self/status as they are added. The texts are
//! generated in a child process, and the figure per name is the marginal one over the second
//! half (RSS at 100 % minus RSS at 50 %), so that heap freed earlier (by the generator, by the
//! tables' first use) and reused by the first names does not count as zero cost.
//!
//! Run: `cargo run --release -p reunite-link --example name_memory [-- N]`
use std::hint::black_box;
use std::time::Instant;

use reunite_link::generate::generate;
use reunite_link::prepared::LName;
use reunite_names::{PreparedName, compare};

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// The first `n` name texts of the generated cases, one per line (run in a child process, so
/// that the heap the generator frees is not reused by the names measured).
fn print_texts(n: usize) {
    use std::io::Write;
    let (cases, _, _) = generate(42, 100_000, 1000, 0.2);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut k = 0;
    for c in &cases {
        let people = std::iter::once(&c.mother.names)
            .chain(c.children.iter().map(|k| &k.names))
            .chain(c.father.as_ref().map(|f| &f.names));
        for name in people.flatten() {
            if k == n {
                return;
            }
            writeln!(out, "{}", name.text.replace('\n', " ")).expect("stdout");
            k += 1;
        }
    }
}

fn main() {
    use std::io::BufRead;
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--print-texts") {
        print_texts(args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000));
        return;
    }
    let n: usize = first.and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mut child = std::process::Command::new(std::env::current_exe().expect("own path"))
        .args(["--print-texts", &n.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("child");
    let mut texts: Vec<String> = Vec::with_capacity(n);
    for line in std::io::BufReader::new(child.stdout.take().expect("pipe")).lines() {
        texts.push(line.expect("utf-8"));
    }
    assert!(child.wait().expect("child").success());
    let n = texts.len();
    // Tables decoded before measuring.
    black_box(PreparedName::new("김 Kim 金 Jin"));
    black_box(LName::new("Kim Jong Il"));

    let mut names: Vec<PreparedName> = Vec::with_capacity(n);
    let r0 = rss_kib();
    let t = Instant::now();
    let mut half = 0;
    for (i, s) in texts.iter().enumerate() {
        if i == n / 2 {
            half = rss_kib();
        }
        names.push(PreparedName::new(s));
    }
    let prep = t.elapsed();
    let r1 = rss_kib();
    let estimate = names.iter().map(|x| x.size_bytes()).sum::<usize>() / n;
    let per_name = (r1 - half) * 1024 / (n - n / 2) as u64;

    let mut lnames: Vec<LName> = Vec::with_capacity(n);
    let r2 = rss_kib();
    let t = Instant::now();
    for (i, s) in texts.iter().enumerate() {
        if i == n / 2 {
            half = rss_kib();
        }
        lnames.push(LName::new(s));
    }
    let lprep = t.elapsed();
    let r3 = rss_kib();
    let per_lname = (r3 - half) * 1024 / (n - n / 2) as u64;

    // compare: 2,000 names spread over the set, each against the next 500 of them, best of 3.
    let sample: Vec<&PreparedName> = names.iter().step_by((n / 2000).max(1)).take(2000).collect();
    let mut best = f64::MAX;
    let mut checksum = 0u64;
    for _ in 0..3 {
        let t = Instant::now();
        let mut k = 0u64;
        for (i, a) in sample.iter().enumerate() {
            for j in 1..=500 {
                let b = sample[(i + j) % sample.len()];
                let c = compare(black_box(a), black_box(b));
                checksum = checksum.wrapping_add(c.level as u64 + c.similarity.to_bits() as u64);
                k += 1;
            }
        }
        best = best.min(t.elapsed().as_secs_f64() / k as f64);
    }

    println!("{n} generated name texts (repeats kept)");
    println!(
        "PreparedName: RSS +{} KiB in all; {per_name} bytes per name over the second half \
         (size_bytes() estimate {estimate}); new(): {:.2} µs per name",
        r1 - r0,
        prep.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "LName (name + other order + keys): RSS +{} KiB in all; {per_lname} bytes per name over \
         the second half; new(): {:.2} µs per name",
        r3 - r2,
        lprep.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "compare: {:.1} ns per comparison (2,000 × 500, best of 3; checksum {checksum:#x})",
        best * 1e9
    );
    black_box((&names, &lnames));
}
