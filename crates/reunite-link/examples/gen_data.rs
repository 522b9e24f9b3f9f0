//! Writes a generated benchmark as JSON Lines: `cases.jsonl`, `requests.jsonl` and
//! `truth.jsonl` (request id → case id or null) and `duplicates.jsonl` (the same mother
//! registered twice).
//!
//! Run: `cargo run --release -p reunite-link --example gen_data -- DIR N_CASES N_REQUESTS [SEED]`

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(a.first().map_or("bench-data", |s| s.as_str()));
    let n_cases: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let n_req: usize = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let seed: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    std::fs::create_dir_all(&dir)?;
    let (cases, requests, truth) = reunite_link::generate::generate(seed, n_cases, n_req, 0.2);
    let mut w = BufWriter::new(std::fs::File::create(dir.join("cases.jsonl"))?);
    for c in &cases {
        serde_json::to_writer(&mut w, c)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    let mut w = BufWriter::new(std::fs::File::create(dir.join("requests.jsonl"))?);
    for r in &requests {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    let mut w = BufWriter::new(std::fs::File::create(dir.join("truth.jsonl"))?);
    for (r, t) in requests.iter().zip(&truth.request_case) {
        serde_json::to_writer(&mut w, &serde_json::json!({"request": r.id, "case": t}))?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    let mut w = BufWriter::new(std::fs::File::create(dir.join("duplicates.jsonl"))?);
    for (a, b) in &truth.duplicate_cases {
        serde_json::to_writer(&mut w, &serde_json::json!({"case": a, "duplicate": b}))?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    eprintln!(
        "wrote {} cases and {} requests to {}",
        cases.len(),
        requests.len(),
        dir.display()
    );
    Ok(())
}
