//! Inputs for Guardrail's benchmarks: real SQL from PostgreSQL's regression
//! suite (`../shared/corpora/pg-regress`, or GUARDRAIL_CORPORA).

use std::path::PathBuf;

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
