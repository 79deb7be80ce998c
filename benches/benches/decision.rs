//! The cost of a decision against the bare parse it starts with.
//!
//! `cargo bench -p guardrail-benches --bench decision` runs criterion on
//! each path, then times them interleaved, round after round, and prints
//! each one's median cost per statement and its ratio to the bare
//! `pg_query::parse` measured in the same rounds (the machines are shared
//! and noisy; only same-run ratios mean anything).
//!
//! Paths:
//! - parse: `pg_query::parse`, libpg_query's parse and protobuf decode.
//! - analyze: parse plus the analyzer's walk.
//! - decide cold: the whole decision with no caches: parse, analysis, and
//!   Cedar for every intent.
//! - decide warm: the whole decision for statements never seen before, with
//!   the policy memo holding the outcomes of intents already judged (the
//!   steady state of a gate: the set of (intent, context) pairs is small).
//! - repeat: a statement seen before, answered from the decision cache.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use guardrail_benches::{Path, ratios};
use guardrail_core::{Action, ActionKind, Guard, Policy};
use guardrail_sql::SqlAnalyzer;

const STATEMENTS: usize = 2_000;

fn guard(memo: bool, cache: bool) -> Guard {
    let policy = if memo { Policy::default_policy() } else { Policy::default_policy().without_memo() };
    let guard = Guard::new(policy).with_analyzer(ActionKind::Sql, Arc::new(SqlAnalyzer));
    if cache { guard } else { guard.with_cache_bytes(0) }
}

fn paths() -> Vec<Path> {
    let cold = guard(false, false);
    let warm = guard(true, false);
    let repeat = guard(true, true);
    vec![
        Path {
            name: "parse",
            run: Box::new(|actions| {
                for action in actions {
                    black_box(pg_query::parse(black_box(&action.text), 0).ok());
                }
            }),
        },
        Path {
            name: "analyze",
            run: Box::new(|actions| {
                for action in actions {
                    black_box(guardrail_sql::analyze(black_box(&action.text)));
                }
            }),
        },
        Path {
            name: "decide cold",
            run: Box::new(move |actions| {
                for action in actions {
                    black_box(cold.check(black_box(action)));
                }
            }),
        },
        Path {
            name: "decide warm",
            run: Box::new(move |actions| {
                for action in actions {
                    black_box(warm.check(black_box(action)));
                }
            }),
        },
        Path {
            name: "repeat",
            run: Box::new(move |actions| {
                for action in actions {
                    black_box(repeat.check(black_box(action)));
                }
            }),
        },
    ]
}

fn main() {
    let statements = guardrail_benches::regression_statements(STATEMENTS);
    let actions: Vec<Action> = statements.iter().map(Action::sql).collect();
    let short: Vec<Action> = actions.iter().filter(|action| action.text.len() <= 100).cloned().collect();
    let paths = paths();
    // Warm the memo and the cache, as a running gate would be.
    for path in &paths {
        (path.run)(&actions);
    }

    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(1));
    let mut group = criterion.benchmark_group("regression statements");
    group.throughput(Throughput::Elements(actions.len() as u64));
    for path in &paths {
        group.bench_function(path.name, |bencher| bencher.iter(|| (path.run)(&actions)));
    }
    group.finish();
    criterion.final_summary();

    let bytes: usize = actions.iter().map(|action| action.text.len()).sum();
    println!(
        "\n{} statements from PostgreSQL's regression suite ({} bytes on average); {} of them 100 bytes or shorter.",
        actions.len(),
        bytes / actions.len(),
        short.len()
    );
    ratios("all statements", &paths, &actions);
    ratios("statements of 100 bytes or fewer", &paths, &short);
}
