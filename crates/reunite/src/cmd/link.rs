//! `reunite link` and `reunite dedupe`: batch linkage of JSON Lines files.
//!
//! The requests (or, for dedupe, the cases) are read and prepared first. The cases file is
//! then read twice, in blocks of whole lines handed to two worker threads (see
//! `reunite_link::batch`): the first pass parses only the lines of the training sample
//! (`--train-sample`, about 50,000 cases; the others are counted) and trains the model
//! (unless `--params` is given); the second parses every line, scores every candidate pair
//! and keeps the best per request. The matches are written per request, best first. Bad
//! lines are reported on standard error with their line number, each once (a sampled line in
//! the first pass, any other in the second), and skipped; the command fails at the end if
//! any were found and `--strict`. A bad line outside the sample is counted among the cases
//! for the prior: each such line shifts every weight by about 1.44 / n bits (n cases).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use reunite_domain::record::{Case, MatchRecord, TracingRequest};
use reunite_link::batch::{Tops, TrainChunk};
use reunite_link::prepared::{NameCache, SharedNames};
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
    /// About how many cases train the model: a seeded random sample of the cases file (all
    /// of it when smaller).
    #[arg(long, default_value_t = reunite_link::batch::SAMPLE_TARGET as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub train_sample: u64,
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
    /// About how many cases train the model: a seeded random sample of the cases file (all
    /// of it when smaller).
    #[arg(long, default_value_t = reunite_link::batch::SAMPLE_TARGET as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub train_sample: u64,
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
    line: &[u8],
    validate: impl Fn(&T) -> Vec<reunite_domain::record::FieldProblem>,
) -> Result<Option<T>, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let v: T =
        serde_json::from_slice(line).map_err(|e| format!("{}:{line_no}: {e}", file.display()))?;
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
                                .map(|(n, l)| parse_line(path, *n, l.as_bytes(), validate))
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
    names: &std::sync::Arc<SharedNames>,
    f: fn(&T, &mut NameCache) -> PRecord,
) -> Vec<PRecord> {
    if items.is_empty() {
        return Vec::new();
    }
    let half = items.len().div_ceil(THREADS);
    std::thread::scope(|s| {
        let hs: Vec<_> = items
            .chunks(half)
            .map(|part| {
                let mut cache = NameCache::shared(names.clone());
                s.spawn(move || part.iter().map(|x| f(x, &mut cache)).collect::<Vec<_>>())
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("prepare thread"))
            .collect()
    })
}

/// CPU time this process has used (user + system), for the pass timings; 0 where
/// `/proc` is missing.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Number of lines of a file (the last one may lack its newline).
fn count_lines(path: &Path) -> anyhow::Result<usize> {
    use std::io::Read;
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut n, mut last) = (0usize, b'\n');
    loop {
        let k = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if k == 0 {
            break;
        }
        n += buf[..k].iter().filter(|&&b| b == b'\n').count();
        last = buf[k - 1];
    }
    Ok(n + usize::from(last != b'\n'))
}

/// Bytes the reader hands a worker at a time (whole lines; a longer line goes whole).
const BLOCK: usize = 1 << 20;

/// Whole lines of a file, with the number of the first.
struct Lines {
    first: usize,
    bytes: Vec<u8>,
}

/// Reads `f` in blocks of whole lines and sends each with its first line's number.
fn read_blocks(
    path: &Path,
    f: &mut File,
    tx: &std::sync::mpsc::SyncSender<Lines>,
) -> anyhow::Result<()> {
    use std::io::Read;
    let mut carry: Vec<u8> = Vec::new();
    let mut line_no = 1usize;
    loop {
        let mut buf = std::mem::take(&mut carry);
        let start = buf.len();
        buf.resize(start + BLOCK, 0);
        let mut filled = start;
        while filled < buf.len() {
            let n = f
                .read(&mut buf[filled..])
                .with_context(|| format!("{}: cannot read near line {line_no}", path.display()))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        let eof = filled < buf.len();
        buf.truncate(filled);
        if buf.is_empty() {
            return Ok(());
        }
        // Whole lines go now; the rest of the last one waits for the next block.
        let cut = if eof {
            buf.len()
        } else {
            match buf.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => {
                    carry = buf;
                    continue;
                }
            }
        };
        carry = buf[cut..].to_vec();
        buf.truncate(cut);
        let lines =
            buf.iter().filter(|&&b| b == b'\n').count() + usize::from(buf.last() != Some(&b'\n'));
        let first = line_no;
        line_no += lines;
        if tx.send(Lines { first, bytes: buf }).is_err() || eof {
            return Ok(());
        }
    }
}

/// Streams the cases file through `work`: this thread reads blocks of whole lines,
/// `THREADS` workers parse the lines `wanted` picks (by index from 0; the others are only
/// counted) and hand the valid cases (each with its index, so order does not matter) and
/// the number of non-blank lines skipped to `work`, with their own state. Bad lines are
/// reported with their line number where `report` says (a line another pass reported is
/// not reported twice). Returns the workers' states and the count of bad lines reported.
fn stream_cases<S: Send>(
    path: &Path,
    label: &str,
    wanted: impl Fn(u32) -> bool + Sync,
    report: impl Fn(u32) -> bool + Sync,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &[(u32, Case)], usize) + Sync,
) -> anyhow::Result<(Vec<S>, usize)> {
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let pb = bar(path, label);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Lines>(THREADS);
    let rx = std::sync::Mutex::new(rx);
    let (etx, erx) = std::sync::mpsc::channel::<String>();
    let (init, work, wanted, report) = (&init, &work, &wanted, &report);
    let (states, read) = std::thread::scope(|s| {
        let hs: Vec<_> = (0..THREADS)
            .map(|_| {
                let (etx, rx, pb) = (etx.clone(), &rx, &pb);
                s.spawn(move || {
                    let mut state = init();
                    loop {
                        let Ok(block) = rx.lock().expect("queue").recv() else {
                            break;
                        };
                        let mut cases = Vec::new();
                        let mut skipped = 0usize;
                        let body = block.bytes.strip_suffix(b"\n").unwrap_or(&block.bytes);
                        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
                            let n = block.first + i;
                            let index = (n - 1) as u32;
                            if !wanted(index) {
                                skipped += usize::from(!line.iter().all(u8::is_ascii_whitespace));
                                continue;
                            }
                            match parse_line(path, n, line, Case::validate) {
                                Ok(Some(c)) => cases.push((index, c)),
                                Ok(None) => {}
                                Err(e) => {
                                    if report(index) {
                                        let _ = etx.send(e);
                                    }
                                }
                            }
                        }
                        work(&mut state, &cases, skipped);
                        pb.inc(block.bytes.len() as u64);
                    }
                    state
                })
            })
            .collect();
        drop(etx);
        let read = read_blocks(path, &mut f, &tx);
        drop(tx);
        let states: Vec<S> = hs
            .into_iter()
            .map(|h| h.join().expect("link thread"))
            .collect();
        (states, read)
    });
    read?;
    let mut bad = 0usize;
    for e in erx.iter() {
        bad += 1;
        pb.suspend(|| eprintln!("{e}"));
    }
    pb.finish_and_clear();
    Ok((states, bad))
}

/// Both passes of the linker over a cases file; returns the bad-line count. The first
/// pass parses only the sampled lines (and reports those that are bad); the second parses
/// every line and reports the bad lines the first did not read.
fn link_file(linker: &mut Linker, path: &Path) -> anyhow::Result<(Vec<Tops>, usize)> {
    linker.expect_cases(count_lines(path)?);
    let (t, c) = (std::time::Instant::now(), cpu_seconds());
    let l: &Linker = linker;
    let (trained, bad_sampled) = stream_cases(
        path,
        "train",
        |i| l.samples(i),
        |_| true,
        || (l.name_cache(), Vec::new(), 0usize),
        |(cache, out, unread): &mut (NameCache, Vec<TrainChunk>, usize), cases, skipped| {
            out.push(l.train_chunk(cases, cache));
            *unread += skipped;
        },
    )?;
    for (_, chunks, unread) in trained {
        for c in chunks {
            linker.absorb_train(c);
        }
        linker.add_unread_cases(unread);
    }
    linker.train();
    eprintln!(
        "first pass (count, check, train): {:.1?}, CPU {:.1} s",
        t.elapsed(),
        cpu_seconds() - c
    );
    let (t, c) = (std::time::Instant::now(), cpu_seconds());
    let l: &Linker = linker;
    let (scored, bad_rest) = stream_cases(
        path,
        "score",
        |_| true,
        |i| !l.samples(i),
        || (l.name_cache(), Tops::default()),
        |(cache, tops): &mut (NameCache, Tops), cases, _| l.score_chunk(cases, cache, tops),
    )?;
    eprintln!(
        "second pass (score): {:.1?}, CPU {:.1} s",
        t.elapsed(),
        cpu_seconds() - c
    );
    Ok((
        scored.into_iter().map(|s| s.1).collect(),
        bad_sampled + bad_rest,
    ))
}

/// Both passes of the linker over in-memory cases (dedupe), on `THREADS` threads.
fn link_all(linker: &mut Linker, cases: Vec<Case>) -> Vec<Tops> {
    let indexed: Vec<(u32, Case)> = cases
        .into_iter()
        .enumerate()
        .map(|(i, c)| (i as u32, c))
        .collect();
    linker.expect_cases(indexed.len());
    fn each<S: Send>(
        indexed: &[(u32, Case)],
        init: impl Fn() -> S + Sync,
        work: impl Fn(&mut S, &[(u32, Case)]) + Sync,
    ) -> Vec<S> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let (init, work, next) = (&init, &work, &next);
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(move || {
                        let mut state = init();
                        loop {
                            let i = next.fetch_add(CHUNK / 4, std::sync::atomic::Ordering::Relaxed);
                            if i >= indexed.len() {
                                break;
                            }
                            let end = (i + CHUNK / 4).min(indexed.len());
                            work(&mut state, &indexed[i..end]);
                        }
                        state
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("link thread"))
                .collect()
        })
    }
    let l: &Linker = linker;
    let trained = each(
        &indexed,
        || (l.name_cache(), Vec::new()),
        |(cache, out): &mut (NameCache, Vec<TrainChunk>), cases| {
            out.push(l.train_chunk(cases, cache))
        },
    );
    for (_, chunks) in trained {
        for c in chunks {
            linker.absorb_train(c);
        }
    }
    linker.train();
    let l: &Linker = linker;
    each(
        &indexed,
        || (l.name_cache(), Tops::default()),
        |(cache, tops): &mut (NameCache, Tops), cases| l.score_chunk(cases, cache, tops),
    )
    .into_iter()
    .map(|s| s.1)
    .collect()
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
    let names = std::sync::Arc::new(SharedNames::default());
    let recs = prepare(&requests, &names, PRecord::from_request_cached);
    let queries: Vec<(String, PRecord)> = requests.into_iter().map(|r| r.id).zip(recs).collect();
    let cfg = BatchConfig {
        top: args.top,
        threshold: args.threshold,
        seed: args.seed,
        sample_target: args.train_sample.try_into().unwrap_or(usize::MAX),
        params: load_params(args.params.as_ref())?,
        dedupe: false,
    };
    let mut linker = Linker::with_names(queries, cfg, names);
    eprintln!(
        "requests read, prepared and indexed: {:.1?}, CPU {:.1} s",
        t0.elapsed(),
        cpu_seconds()
    );
    let (tops, bad) = link_file(&mut linker, &args.cases)?;
    reader.bad += bad;
    let (matches, params, stats) = linker.finish(tops);
    // The process exits next: freeing the index's millions of small allocations one by one
    // would only cost time.
    std::mem::forget(linker);
    eprintln!(
        "{} requests, {} cases ({} trained on: {} pairs, {} random pairs, {} EM iterations), {} candidate pairs ({} compared to the end); {} matches in {:.1?}",
        stats.queries,
        stats.cases,
        stats.sampled,
        stats.training_pairs,
        stats.random_pairs,
        stats.em_iterations,
        stats.pairs,
        stats.scored_pairs,
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
    let names = std::sync::Arc::new(SharedNames::default());
    let recs = prepare(&cases, &names, PRecord::from_case_cached);
    let queries: Vec<(String, PRecord)> = cases.iter().map(|c| c.id.clone()).zip(recs).collect();
    let cfg = BatchConfig {
        top: args.top,
        threshold: args.threshold,
        seed: args.seed,
        sample_target: args.train_sample.try_into().unwrap_or(usize::MAX),
        params: load_params(args.params.as_ref())?,
        dedupe: true,
    };
    let mut linker = Linker::with_names(queries, cfg, names);
    let tops = link_all(&mut linker, cases);
    let (matches, params, stats) = linker.finish(tops);
    std::mem::forget(linker);
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
