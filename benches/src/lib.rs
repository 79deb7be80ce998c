//! Inputs for Guardrail's benchmarks: real SQL from PostgreSQL's regression
//! suite (`../shared/corpora/pg-regress`, or GUARDRAIL_CORPORA).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use guardrail_core::Action;

/// Runs one path over a batch of actions.
pub type Run = Box<dyn Fn(&[Action])>;

/// One way of deciding, measured against the others.
pub struct Path {
    pub name: &'static str,
    pub run: Run,
}

/// Up to `limit` distinct statements that PostgreSQL's parser accepts,
/// taken evenly across the corpus so that every kind of statement it
/// tests is represented. Deterministic: the same corpus gives the same set.
pub fn regression_statements(limit: usize) -> Vec<String> {
    let root = std::env::var_os("GUARDRAIL_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora"));
    let mut files = Vec::new();
    for directory in ["pg-regress/regression_suite", "pg-regress/plpgsql"] {
        let path = root.join(directory);
        let entries = std::fs::read_dir(&path)
            .unwrap_or_else(|error| panic!("reading {}: {error} (set GUARDRAIL_CORPORA)", path.display()));
        files.extend(entries.map(|entry| entry.unwrap().path()));
    }
    files.sort();
    let mut all = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for piece in pg_query::split_with_scanner(&text).unwrap_or_default() {
            let piece = piece.trim();
            if !piece.is_empty() && pg_query::parse(piece, 0).is_ok() && seen.insert(piece.to_owned()) {
                all.push(piece.to_owned());
            }
        }
    }
    let step = (all.len() / limit).max(1);
    all.into_iter().step_by(step).take(limit).collect()
}

/// Times every path over `actions`, interleaved over many rounds, and
/// prints medians per action with ratios to the first path's.
pub fn ratios(title: &str, paths: &[Path], actions: &[Action]) {
    const ROUNDS: usize = 21;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); paths.len()];
    for round in 0..ROUNDS {
        // Rotate the order so no path always runs first.
        for offset in 0..paths.len() {
            let index = (round + offset) % paths.len();
            let start = Instant::now();
            (paths[index].run)(actions);
            times[index].push(start.elapsed());
        }
    }
    let median = |samples: &mut Vec<Duration>| {
        samples.sort();
        samples[samples.len() / 2].as_secs_f64() / actions.len() as f64
    };
    let medians: Vec<f64> = times.iter_mut().map(median).collect();
    println!("\n{title} (median of {ROUNDS} interleaved rounds):");
    let baseline = format!("ratio to {}", paths[0].name);
    println!("  {:<16} {:>14} {:>22}", "path", "per action", baseline);
    for (path, seconds) in paths.iter().zip(&medians) {
        println!("  {:<16} {:>11.2} µs {:>22.2}", path.name, seconds * 1e6, seconds / medians[0]);
    }
}
