//! `reunite names …` subcommands.
use anyhow::{Context, bail};
use clap::Subcommand;
use reunite_names::{PreparedName, System, explain, readings, romanize_name, romanize_text};

/// `reunite names` subcommands.
#[derive(Debug, Subcommand)]
pub enum NamesCmd {
    /// Korean and Mandarin readings of each syllable of a name.
    Readings {
        /// The name, in any script.
        text: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Romanize a Korean name (Hangul or Hanja), or running text with --words.
    Romanize {
        /// The name or text.
        text: String,
        /// rr (Revised Romanization), mr (McCune–Reischauer / ALA-LC) or nk (North Korean).
        #[arg(long, default_value = "rr")]
        system: String,
        /// Treat the text as words and place names (sound changes across syllables).
        #[arg(long)]
        words: bool,
    },
    /// Compare two names: level, similarity and which readings met.
    Compare {
        /// First name.
        a: String,
        /// Second name.
        b: String,
        /// Print JSON (`level`, `similarity`, `explain`).
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `reunite names` subcommand.
pub fn run(cmd: NamesCmd) -> anyhow::Result<()> {
    match cmd {
        NamesCmd::Readings { text, json } => {
            let r = readings(&text);
            if r.is_empty() {
                bail!("no readable name in {text:?}");
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            for (i, parse) in r.iter().enumerate() {
                if r.len() > 1 {
                    println!("reading {}:", i + 1);
                }
                for s in parse {
                    println!(
                        "{}\t{}\tkorean: {}\tmandarin: {}\tmandarin via hanja: {}\tkorean via hanja: {}",
                        s.text,
                        s.part,
                        s.korean.join(" "),
                        s.mandarin.join(" "),
                        s.mandarin_via_hanja.join(" "),
                        s.korean_via_hanja.join(" ")
                    );
                }
            }
            Ok(())
        }
        NamesCmd::Romanize {
            text,
            system,
            words,
        } => {
            let sys = System::parse(&system)
                .with_context(|| format!("unknown system {system:?} (rr, mr or nk)"))?;
            let out = if words {
                romanize_text(&text, sys)
            } else {
                romanize_name(&text, sys)
                    .with_context(|| format!("{text:?} has no Korean reading to romanize"))?
            };
            println!("{out}");
            Ok(())
        }
        NamesCmd::Compare { a, b, json } => {
            let e = explain(&PreparedName::new(&a), &PreparedName::new(&b));
            if json {
                let v = serde_json::json!({
                    "level": e.level,
                    "similarity": e.similarity,
                    "explain": e.meetings,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{}\t{:.3}", e.level, e.similarity);
                for l in e.lines() {
                    println!("  {l}");
                }
            }
            Ok(())
        }
    }
}
