//! Measures how long a process takes to build its in-memory case search index from the
//! sealed records (what a server does at start-up), then a few searches.
//!
//! ```text
//! cargo run --release -p reunite-store --example case_index_startup -- DATA_DIR [DATABASE_URL]
//! ```
//! DATA_DIR is a `reunite init` data directory (its `keys/` open the records); the database
//! is DATA_DIR/reunite.db unless DATABASE_URL is given.
use reunite_domain::Timestamp;
use reunite_store::{CaseActor, CaseFilter, OpenOptions, Store};
use std::path::PathBuf;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: DATA_DIR [DATABASE_URL]")?,
    );
    let url = std::env::args()
        .nth(2)
        .unwrap_or_else(|| reunite_store::sqlite::url_for_path(&dir.join("reunite.db")));
    let ring = reunite_crypto::keyfile::load_dir(&dir.join("keys"))?;
    let store = Store::open(OpenOptions::new(url), ring).await?;
    let n = store.count_cases().await?;
    let t = Instant::now();
    let indexed = store.refresh_case_index().await?;
    let build = t.elapsed();
    println!("cases in database: {n}");
    println!(
        "index built: {indexed} cases in {:.2} s",
        build.as_secs_f64()
    );
    let now = Timestamp(0);
    for q in ["리영희", "李英姬", "Li Yingji", "王明", "김"] {
        let t = Instant::now();
        let p = store
            .search_cases(
                &CaseFilter {
                    name: Some(q.into()),
                    ..Default::default()
                },
                &CaseActor::Cli,
                now,
            )
            .await?;
        println!(
            "search {q:?}: {} matches in {:.1} ms (audit event included)",
            p.total,
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
