//! `reunite link` and `reunite dedupe`: batch linkage of JSON Lines files.
//!
//! The requests (or, for dedupe, the cases) are read and prepared first; the cases then
//! stream through in chunks on two threads, each case prepared once, blocked and compared;
//! the model is trained on what was seen (unless `--params` is given) and the matches are
//! written, per request, best first. Bad lines are reported on standard error with their
//! line number and skipped; the command fails at the end if any were found and `--strict`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use reunite_domain::record::{Case, MatchRecord, TracingRequest};
use reunite_link::{BatchConfig, Linker, PRecord, Params};
use serde::de::DeserializeOwned;

/// `reunite link` arguments.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// Cases, one JSON object per line.
    #[arg(long)]
    pub cases: PathBuf,
    /// Tracing requests, one JSON object per line.
    #[arg(long)]
    pub requests: PathBuf,
    /// Most matches written per request.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Least probability written.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Load trained parameters (JSON) instead of training.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Save the parameters used (JSON).
    #[arg(long)]
    pub save_params: Option<PathBuf>,
    /// Seed of the random pair sampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fail (after reporting them all) if any input line is bad.
    #[arg(long)]
    pub strict: bool,
}

/// `reunite dedupe` arguments.
#[derive(Debug, Args)]
pub struct DedupeArgs {
    /// Cases, one JSON object per line.
    #[arg(long)]
    pub cases: PathBuf,
    /// Least probability written.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Most pairs written per case.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Load trained parameters (JSON) instead of training.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Save the parameters used (JSON).
    #[arg(long)]
    pub save_params: Option<PathBuf>,
    /// Seed of the random pair sampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fail (after reporting them all) if any input line is bad.
    #[arg(long)]
    pub strict: bool,
}

const CHUNK: usize = 16_384;
const THREADS: usize = 2;

fn bar(path: &Path, what: &str) -> ProgressBar {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {elapsed}")
            .expect("template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Parses one line; bad lines become messages with their line number.
fn parse_line<T: DeserializeOwned>(
    file: &Path,
    line_no: usize,
    line: &str,
    validate: impl Fn(&T) -> Vec<reunite_domain::record::FieldProblem>,
) -> Result<Option<T>, String> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let v: T =
        serde_json::from_str(line).map_err(|e| format!("{}:{line_no}: {e}", file.display()))?;
    let problems = validate(&v);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        return Err(format!("{}:{line_no}: {}", file.display(), list.join("; ")));
    }
    Ok(Some(v))
}

/// Reads a file in chunks of lines, parsing each chunk on two threads and handing the
/// parsed records (with their line numbers) to `each`.
struct Reader {
    bad: usize,
}

impl Reader {
    fn read<T: DeserializeOwned + Send>(
        &mut self,
        path: &Path,
        what: &str,
        validate: fn(&T) -> Vec<reunite_domain::record::FieldProblem>,
        mut each: impl FnMut(Vec<T>),
    ) -> anyhow::Result<()> {
        let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut r = BufReader::with_capacity(1 << 20, f);
        let pb = bar(path, what);
        let mut line_no = 0usize;
        loop {
            let mut lines: Vec<(usize, String)> = Vec::with_capacity(CHUNK);
            let mut bytes = 0u64;
            while lines.len() < CHUNK {
                let mut s = String::new();
                let n = r
                    .read_line(&mut s)
                    .with_context(|| format!("{}:{}: cannot read", path.display(), line_no + 1))?;
                if n == 0 {
                    break;
                }
                bytes += n as u64;
                line_no += 1;
                lines.push((line_no, s));
            }
            if lines.is_empty() {
                break;
            }
            let half = lines.len().div_ceil(THREADS);
            let results: Vec<Vec<Result<Option<T>, String>>> = std::thread::scope(|s| {
                let hs: Vec<_> = lines
                    .chunks(half)
                    .map(|part| {
                        s.spawn(move || {
                            part.iter()
                                .map(|(n, l)| parse_line(path, *n, l, validate))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                hs.into_iter()
                    .map(|h| h.join().expect("parser thread"))
                    .collect()
            });
            let mut ok = Vec::with_capacity(lines.len());
            for r in results.into_iter().flatten() {
                match r {
                    Ok(Some(v)) => ok.push(v),
                    Ok(None) => {}
                    Err(msg) => {
                        self.bad += 1;
                        pb.suspend(|| eprintln!("{msg}"));
                    }
                }
            }
            each(ok);
            pb.inc(bytes);
        }
        pb.finish_and_clear();
        Ok(())
    }
}

fn prepare<T: Sync>(
    items: &[T],
    f: fn(&T, &mut reunite_link::prepared::NameCache) -> PRecord,
) -> Vec<PRecord> {
    if items.is_empty() {
        return Vec::new();
    }
    let half = items.len().div_ceil(THREADS);
    std::thread::scope(|s| {
        let hs: Vec<_> = items
            .chunks(half)
            .map(|part| {
                s.spawn(move || {
                    // Unbounded: names that recur are kept once.
                    let mut cache = reunite_link::prepared::NameCache::new(usize::MAX);
                    part.iter().map(|x| f(x, &mut cache)).collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("prepare thread"))
            .collect()
    })
}

/// Streams the cases file through the linker: this thread reads chunks of lines, two
/// workers parse, prepare, block and compare them; results are absorbed as they come (each
/// case carries its line number, so order does not matter). Returns the bad-line count.
fn stream_cases(linker: &mut Linker, path: &Path) -> anyhow::Result<usize> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let pb = bar(path, "cases");
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(usize, String)>>(THREADS);
    let rx = std::sync::Mutex::new(rx);
    let (rtx, rrx) = std::sync::mpsc::channel();
    let l: &Linker = linker;
    let mut bad = 0usize;
    let read = std::thread::scope(|s| -> anyhow::Result<()> {
        for _ in 0..THREADS {
            let rtx = rtx.clone();
            let rx = &rx;
            let pb = &pb;
            s.spawn(move || {
                let mut cache =
                    reunite_link::prepared::NameCache::new(reunite_link::batch::NAME_CACHE);
                loop {
                    let Ok(lines) = rx.lock().expect("queue").recv() else {
                        break;
                    };
                    let mut cases = Vec::with_capacity(lines.len());
                    let mut errors = Vec::new();
                    let mut bytes = 0u64;
                    for (n, line) in &lines {
                        bytes += line.len() as u64;
                        match parse_line(path, *n, line, Case::validate) {
                            Ok(Some(c)) => cases.push(((*n - 1) as u32, c)),
                            Ok(None) => {}
                            Err(e) => errors.push(e),
                        }
                    }
                    let res = l.process_cached(&cases, &mut cache);
                    pb.inc(bytes);
                    if rtx.send((res, errors)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(rtx);
        let mut line_no = 0usize;
        loop {
            let mut lines: Vec<(usize, String)> = Vec::with_capacity(CHUNK / 4);
            while lines.len() < CHUNK / 4 {
                let mut s = String::new();
                let n = r
                    .read_line(&mut s)
                    .with_context(|| format!("{}:{}: cannot read", path.display(), line_no + 1))?;
                if n == 0 {
                    break;
                }
                line_no += 1;
                lines.push((line_no, s));
            }
            if lines.is_empty() {
                break;
            }
            if tx.send(lines).is_err() {
                break;
            }
        }
        drop(tx);
        Ok(())
    });
    let mut results = Vec::new();
    for (res, errors) in rrx.iter() {
        for e in errors {
            bad += 1;
            pb.suspend(|| eprintln!("{e}"));
        }
        results.push(res);
    }
    read?;
    linker.absorb_all(results);
    pb.finish_and_clear();
    Ok(bad)
}

/// Runs in-memory cases (dedupe) through the linker on two threads.
fn process_all(linker: &mut Linker, cases: Vec<Case>) {
    let indexed: Vec<(u32, Case)> = cases
        .into_iter()
        .enumerate()
        .map(|(i, c)| (i as u32, c))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::thread::scope(|s| {
        let l: &Linker = linker;
        let hs: Vec<_> = (0..THREADS)
            .map(|_| {
                let (next, indexed) = (&next, &indexed);
                s.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(CHUNK / 4, std::sync::atomic::Ordering::Relaxed);
                        if i >= indexed.len() {
                            break;
                        }
                        let end = (i + CHUNK / 4).min(indexed.len());
                        out.push(l.process(&indexed[i..end]));
                    }
                    out
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("link thread"))
            .collect::<Vec<_>>()
    });
    linker.absorb_all(results);
}

fn load_params(p: Option<&PathBuf>) -> anyhow::Result<Option<Params>> {
    match p {
        None => Ok(None),
        Some(p) => {
            let s = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Ok(Some(
                Params::from_json(&s).with_context(|| format!("{}", p.display()))?,
            ))
        }
    }
}

fn write_out(
    out: Option<&PathBuf>,
    matches: &[MatchRecord],
    params: &Params,
    save: Option<&PathBuf>,
) -> anyhow::Result<()> {
    let sink: Box<dyn Write> = match out {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    for m in matches {
        serde_json::to_writer(&mut w, m)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    if let Some(p) = save {
        std::fs::write(p, params.to_json())
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(())
}

fn finish_bad(bad: usize, strict: bool) -> anyhow::Result<()> {
    if bad > 0 {
        eprintln!("{bad} bad input line(s) skipped");
        if strict {
            anyhow::bail!("{bad} bad input line(s)");
        }
    }
    Ok(())
}

/// Runs `reunite link`.
pub fn link(args: LinkArgs) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let mut reader = Reader { bad: 0 };
    let mut requests: Vec<TracingRequest> = Vec::new();
    reader.read(&args.requests, "requests", TracingRequest::validate, |v| {
        requests.extend(v)
    })?;
    let recs = prepare(&requests, PRecord::from_request_cached);
    let queries: Vec<(String, PRecord)> = requests.into_iter().map(|r| r.id).zip(recs).collect();
    let cfg = BatchConfig {
        top: args.top,
        threshold: args.threshold,
        seed: args.seed,
        params: load_params(args.params.as_ref())?,
        dedupe: false,
    };
    let mut linker = Linker::new(queries, cfg);
    reader.bad += stream_cases(&mut linker, &args.cases)?;
    let (matches, params, stats) = linker.finish();
    eprintln!(
        "{} requests, {} cases, {} candidate pairs, {} random pairs, {} EM iterations; {} matches in {:.1?}",
        stats.queries,
        stats.cases,
        stats.pairs,
        stats.random_pairs,
        stats.em_iterations,
        matches.len(),
        t0.elapsed()
    );
    write_out(
        args.out.as_ref(),
        &matches,
        &params,
        args.save_params.as_ref(),
    )?;
    finish_bad(reader.bad, args.strict)
}

/// Runs `reunite dedupe`.
pub fn dedupe(args: DedupeArgs) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let mut reader = Reader { bad: 0 };
    let mut cases: Vec<Case> = Vec::new();
    reader.read(&args.cases, "cases", Case::validate, |v| cases.extend(v))?;
    let recs = prepare(&cases, PRecord::from_case_cached);
    let queries: Vec<(String, PRecord)> = cases.iter().map(|c| c.id.clone()).zip(recs).collect();
    let cfg = BatchConfig {
        top: args.top,
        threshold: args.threshold,
        seed: args.seed,
        params: load_params(args.params.as_ref())?,
        dedupe: true,
    };
    let mut linker = Linker::new(queries, cfg);
    process_all(&mut linker, cases);
    let (matches, params, stats) = linker.finish();
    eprintln!(
        "{} cases, {} candidate pairs, {} EM iterations; {} pairs in {:.1?}",
        stats.cases,
        stats.pairs,
        stats.em_iterations,
        matches.len(),
        t0.elapsed()
    );
    write_out(
        args.out.as_ref(),
        &matches,
        &params,
        args.save_params.as_ref(),
    )?;
    finish_bad(reader.bad, args.strict)
}
