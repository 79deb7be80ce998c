//! Lists why statements of a SQL file are unknown, most common first.
//! `cargo run -p guardrail-sql --example corpus_unknowns -- FILE...`

use std::collections::BTreeMap;

fn main() {
    let mut reasons: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).expect("reading a file");
        for piece in pg_query::split_with_scanner(&text).unwrap_or_default() {
            for intent in guardrail_sql::analyze(piece).intents {
                if intent.kind == guardrail_core::IntentKind::Unknown {
                    let note = intent.note.unwrap_or_default();
                    let key: String = note.split(" at or near").next().unwrap_or("").chars().take(90).collect();
                    let entry = reasons.entry(key).or_insert((0, piece.chars().take(100).collect()));
                    entry.0 += 1;
                }
            }
        }
    }
    let mut sorted: Vec<_> = reasons.into_iter().collect();
    sorted.sort_by_key(|(_, (count, _))| std::cmp::Reverse(*count));
    for (reason, (count, example)) in sorted {
        println!("{count:>5}  {reason}\n       e.g. {}", example.replace('\n', " "));
    }
}
