//! Writes N fictional cases as JSON Lines (INTERCHANGE.md) to standard output, for the
//! import benchmark:
//!
//! ```text
//! cargo run --release -p reunite --example gen_cases -- 100000 > /tmp/cases-100k.jsonl
//! ```
use std::io::Write;

fn main() -> std::io::Result<()> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in 1..=n {
        let c = reunite_domain::fictional::case(seed, i, "c-");
        serde_json::to_writer(&mut out, &c)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
