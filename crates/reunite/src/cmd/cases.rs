//! `reunite import cases FILE` and `reunite export cases`: JSON Lines in the format of
//! INTERCHANGE.md.
//!
//! An import reads and checks the whole file first and reports every problem with its line
//! number and field; nothing is written unless every line is valid (or `--skip-invalid`
//! says to leave the bad lines out, which are then listed). The write is one transaction.

use crate::config::DataDir;
use crate::{SystemClock, open_store, progress_bar};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use reunite_domain::{Case, Clock};
use reunite_store::CaseActor;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

/// `reunite import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Imports mothers' cases from a JSON Lines file (INTERCHANGE.md), all or nothing.
    Cases(ImportCasesArgs),
}

/// `reunite export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// Exports every case as JSON Lines (INTERCHANGE.md), for backup or transfer.
    Cases(ExportCasesArgs),
}

/// `reunite import cases`.
#[derive(Debug, Args)]
pub struct ImportCasesArgs {
    /// The JSON Lines file (one case per line).
    pub file: PathBuf,
    /// The data directory.
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
    /// Import the valid lines and report the ones left out, instead of importing nothing.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// `reunite export cases`.
#[derive(Debug, Args)]
pub struct ExportCasesArgs {
    /// The data directory.
    #[arg(long, env = "REUNITE_DATA")]
    pub data: PathBuf,
    /// The file to write (created with owner-only permissions; must not exist). Standard
    /// output if not given.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// A problem found on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line number.
    pub line: usize,
    /// Field path (`mother.birth.month`), or empty when the line is not a case at all.
    pub field: String,
    /// What is wrong (English; the command line is for administrators).
    pub message: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.field, self.message)
        }
    }
}

/// What reading a file found: the valid cases (with their line numbers) and the problems.
#[derive(Debug, Default)]
pub struct Checked {
    /// Valid cases and the line each came from.
    pub cases: Vec<(usize, Case)>,
    /// Every problem, in line order.
    pub problems: Vec<LineProblem>,
}

/// serde's messages end with " at line 1 column 57": the line is ours to give, the column
/// is noise for a caseworker's administrator.
fn clean_serde_message(m: &str) -> String {
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m.to_string(),
    }
}

/// Checks every line: JSON, the record's shape, [`Case::validate`], ids repeated in the
/// file and ids already registered.
pub fn check_lines(
    input: impl BufRead,
    taken: &std::collections::HashSet<String>,
    progress: &mut dyn FnMut(u64),
) -> Result<Checked> {
    let mut out = Checked::default();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut bytes = 0u64;
    for (i, line) in input.lines().enumerate() {
        let lineno = i + 1;
        let line = line.with_context(|| format!("cannot read line {lineno}"))?;
        bytes += line.len() as u64 + 1;
        if lineno.is_multiple_of(1000) {
            progress(bytes);
        }
        if line.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(&line);
        let case: Case = match serde_path_to_error::deserialize(&mut de) {
            Ok(c) => c,
            Err(e) => {
                let path = e.path().to_string();
                out.problems.push(LineProblem {
                    line: lineno,
                    field: if path == "." { String::new() } else { path },
                    message: clean_serde_message(&e.into_inner().to_string()),
                });
                continue;
            }
        };
        if let Err(e) = de.end() {
            out.problems.push(LineProblem {
                line: lineno,
                field: String::new(),
                message: clean_serde_message(&e.to_string()),
            });
            continue;
        }
        let problems = case.validate();
        let mut ok = problems.is_empty();
        for p in problems {
            out.problems.push(LineProblem {
                line: lineno,
                field: p.field.clone(),
                message: p.problem.english().to_string(),
            });
        }
        if !case.id.is_empty() {
            if let Some(first) = first_line.get(&case.id) {
                ok = false;
                out.problems.push(LineProblem {
                    line: lineno,
                    field: "id".into(),
                    message: format!("the same id is on line {first}"),
                });
            } else {
                first_line.insert(case.id.clone(), lineno);
                if taken.contains(&case.id) {
                    ok = false;
                    out.problems.push(LineProblem {
                        line: lineno,
                        field: "id".into(),
                        message: "a case with this id is already registered".into(),
                    });
                }
            }
        }
        if ok {
            out.cases.push((lineno, case));
        }
    }
    progress(bytes);
    Ok(out)
}

/// `reunite import cases`.
pub async fn import(cmd: ImportCmd) -> Result<()> {
    let ImportCmd::Cases(args) = cmd;
    let dd = DataDir::load(&args.data)?;
    let store = open_store(&dd).await?;
    if !store.is_initialized().await? {
        bail!("the database has not been initialised; run `reunite init` first");
    }
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let taken = store.case_ids().await?;
    let bar = progress_bar(size, "checking");
    let checked = check_lines(BufReader::new(file), &taken, &mut |b| bar.set_position(b))?;
    bar.finish_and_clear();
    let mut err = std::io::stderr().lock();
    for p in &checked.problems {
        writeln!(err, "{p}")?;
    }
    let bad_lines: std::collections::BTreeSet<usize> =
        checked.problems.iter().map(|p| p.line).collect();
    if !bad_lines.is_empty() && !args.skip_invalid {
        bail!(
            "{} problem(s) on {} line(s); nothing was imported (fix the file, or use \
             --skip-invalid to import only the valid lines)",
            checked.problems.len(),
            bad_lines.len()
        );
    }
    if !bad_lines.is_empty() {
        let list: Vec<String> = bad_lines.iter().map(|l| l.to_string()).collect();
        writeln!(
            err,
            "skipped {} invalid line(s): {}",
            bad_lines.len(),
            list.join(", ")
        )?;
    }
    drop(err);
    let cases: Vec<Case> = checked.cases.into_iter().map(|(_, c)| c).collect();
    let bar = progress_bar(cases.len() as u64, "importing");
    let n = store
        .import_cases(&cases, &CaseActor::Cli, SystemClock.now(), &mut |k| {
            bar.set_position(k)
        })
        .await
        .map_err(|e| anyhow::anyhow!("nothing was imported: {e}"))?;
    bar.finish_and_clear();
    store.close().await;
    println!("Imported {n} case(s).");
    Ok(())
}

fn create_private_file(path: &std::path::Path) -> Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).with_context(|| {
        format!(
            "cannot create {} (an export never overwrites a file)",
            path.display()
        )
    })
}

/// `reunite export cases`.
pub async fn export(cmd: ExportCmd) -> Result<()> {
    let ExportCmd::Cases(args) = cmd;
    let dd = DataDir::load(&args.data)?;
    let store = open_store(&dd).await?;
    if !store.is_initialized().await? {
        bail!("the database has not been initialised; run `reunite init` first");
    }
    let total = store.count_cases().await?;
    let mut out: Box<dyn Write + Send> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(create_private_file(p)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let bar = progress_bar(total as u64, "exporting");
    let mut n = 0u64;
    let mut io_error = None;
    let result = store
        .export_cases(&CaseActor::Cli, SystemClock.now(), &mut |c| {
            let line = serde_json::to_string(&c.case)
                .map_err(|_| reunite_store::StoreError::Corrupt("case record"))?;
            if let Err(e) = writeln!(out, "{line}") {
                io_error = Some(e);
                return Err(reunite_store::StoreError::Corrupt("write failed"));
            }
            n += 1;
            if n.is_multiple_of(500) {
                bar.set_position(n);
            }
            Ok(())
        })
        .await;
    bar.finish_and_clear();
    if let Some(e) = io_error {
        return Err(e).context("cannot write the export");
    }
    result?;
    out.flush().context("cannot write the export")?;
    store.close().await;
    if let Some(p) = &args.out {
        eprintln!(
            "Exported {n} case(s) to {}. The file holds personal data in clear: keep it \
             encrypted and delete it when done.",
            p.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, taken: &[&str]) -> Checked {
        let taken = taken.iter().map(|s| s.to_string()).collect();
        check_lines(text.as_bytes(), &taken, &mut |_| {}).unwrap()
    }

    fn lines(c: &Checked) -> Vec<String> {
        c.problems.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn every_problem_is_reported_with_line_and_field() {
        let text = [
            r#"{"id": "c-1", "mother": {"names": [{"text": "리영자"}]}}"#,
            r#"{"id": "c-2", "mother": {"names": [{"text": "김순희"}], "birth": {"year": 1979, "month": 13}}}"#,
            "",
            r#"{"id": "c-3", "mother": {"names": [{"text": "박"}]}, "fathr": {}}"#,
            r#"{"id": "c-4", "mother": {"names": [{"text": "최", "kind": "maiden"}]}}"#,
            r#"{"id": "c-1", "mother": {"names": [{"text": "리영자"}]}}"#,
            r#"not json"#,
            r#"{"id": "c-9", "mother": {"names": [{"text": "한"}]}}"#,
            r#"{"id": "c-10", "mother": {"names": []}, "children": [{"birth": {"month": 2, "day": 30}}]}"#,
        ]
        .join("\n");
        let c = check(&text, &["c-9"]);
        let got = lines(&c);
        assert_eq!(got[0], "line 2: mother.birth.month: month must be 1 to 12");
        assert!(
            got[1].starts_with("line 4: fathr: unknown field `fathr`"),
            "{got:?}"
        );
        assert!(
            got[2].starts_with("line 5: mother.names[0].kind: unknown variant `maiden`"),
            "{got:?}"
        );
        assert_eq!(got[3], "line 6: id: the same id is on line 1");
        assert!(got[4].starts_with("line 7: expected"), "{got:?}");
        assert_eq!(
            got[5],
            "line 8: id: a case with this id is already registered"
        );
        assert_eq!(got[6], "line 9: mother.names: is required");
        assert_eq!(
            got[7],
            "line 9: children[0].birth.day: day does not exist in that month"
        );
        assert_eq!(got.len(), 8);
        let ok: Vec<_> = c.cases.iter().map(|(l, c)| (*l, c.id.as_str())).collect();
        assert_eq!(ok, vec![(1, "c-1")]);
    }
}
