//! PostgreSQL's own regression SQL through the analyzer: every file whole,
//! and every statement alone, with an answer and no panic.
//!
//! The corpus is `../shared/corpora/pg-regress` beside this repository
//! (override with GUARDRAIL_CORPORA). If it is missing the test fails: a
//! green run means it ran.

use std::path::PathBuf;

use guardrail_core::IntentKind;

fn corpus_files() -> Vec<PathBuf> {
    let root = std::env::var_os("GUARDRAIL_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora"));
    let directory = root.join("pg-regress");
    let mut files = Vec::new();
    for sub in ["regression_suite", "plpgsql"] {
        let entries = std::fs::read_dir(directory.join(sub)).unwrap_or_else(|error| {
            panic!(
                "cannot read the pg-regress corpus at {}: {error}\n\
                 it ships in ../shared/corpora; set GUARDRAIL_CORPORA to its directory",
                directory.display()
            )
        });
        files.extend(
            entries.map(|entry| entry.unwrap().path()).filter(|path| path.extension().is_some_and(|e| e == "sql")),
        );
    }
    files.sort();
    assert!(files.len() >= 250, "expected the corpus's 256 files, found {}", files.len());
    files
}

#[test]
fn every_regression_statement_gets_an_answer() {
    let mut statements = 0;
    let mut unknown = 0;
    let mut counts: std::collections::BTreeMap<IntentKind, usize> = Default::default();
    for file in corpus_files() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // The whole file: many statements are meant to fail, so a file is
        // often unknown as a whole; it must still be answered.
        let whole = guardrail_sql::analyze(&text).intents;
        assert!(!whole.is_empty(), "{}: no intents for the whole file", file.display());

        // Statement by statement, split by PostgreSQL's scanner.
        let pieces = pg_query::split_with_scanner(&text).unwrap_or_default();
        for piece in pieces {
            statements += 1;
            let intents = guardrail_sql::analyze(piece).intents;
            for intent in &intents {
                assert!(intent.span.end <= piece.len(), "{}: span past the end for {piece:?}", file.display());
                *counts.entry(intent.kind).or_default() += 1;
            }
            if intents.iter().any(|intent| intent.kind == IntentKind::Unknown) {
                unknown += 1;
            }
        }
    }
    println!("{statements} statements; {unknown} with an unknown intent");
    for (kind, count) in &counts {
        println!("{count:>7}  {kind}");
    }
    assert!(statements > 40_000, "the corpus should hold tens of thousands of statements, found {statements}");
}

/// The shape cache (statements that differ only in numbers share an
/// analysis) against fresh analyses, over every regression statement: each
/// statement primes the cache, then a copy with every number changed must be
/// answered exactly as a fresh analysis answers it.
#[test]
fn the_shape_cache_answers_every_regression_statement_as_a_fresh_analysis_does() {
    use pg_query::protobuf::Token;
    let mut compared = 0;
    for file in corpus_files() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for piece in pg_query::split_with_scanner(&text).unwrap_or_default() {
            let Ok(scanned) = pg_query::scan(piece) else { continue };
            let numbers: Vec<(usize, usize)> = scanned
                .tokens
                .iter()
                .filter(|token| token.token == Token::Iconst as i32 || token.token == Token::Fconst as i32)
                .map(|token| (token.start as usize, token.end as usize))
                .collect();
            if numbers.is_empty() || piece.len() > 4096 {
                continue;
            }
            // Every number changed: 0 becomes 1, anything else 0, and a
            // decimal gets digits added.
            let mut variant = String::with_capacity(piece.len() + 8);
            let mut last = 0;
            for (start, end) in &numbers {
                variant.push_str(&piece[last..*start]);
                let number = &piece[*start..*end];
                variant.push_str(match number {
                    "0" => "1",
                    _ if number.contains('.') => "12.345",
                    _ => "0",
                });
                last = *end;
            }
            variant.push_str(&piece[last..]);
            let _ = guardrail_sql::analyze(piece);
            let cached = guardrail_sql::analyze(&variant);
            assert_eq!(cached, guardrail_sql::analyze_afresh(&variant), "{variant}\nafter {piece}");
            compared += 1;
        }
    }
    println!("{compared} statements with numbers compared");
    assert!(compared > 10_000, "{compared}");
}
