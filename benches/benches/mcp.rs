//! What judging SQL inside an MCP tool call costs against judging the same
//! SQL as itself: the tool call's JSON read, its arguments walked, the SQL
//! found and analysed, every intent judged.
//!
//! `cargo bench -p guardrail-benches --bench mcp` times, interleaved round
//! after round on statements from PostgreSQL's regression suite, the
//! decision on each statement (`Action::sql`) and on the call
//! `{"tool": "mcp__postgres__query", "input": {"sql": STATEMENT}}`, both
//! by the gate's full guard with the policy memo warm and no decision cache
//! (every action new), and prints the ratio. The goal: under 1.2x.

use std::hint::black_box;

use guardrail_benches::{Path, ratios};
use guardrail_core::{Action, ActionKind, Policy};

const STATEMENTS: usize = 2_000;

fn main() {
    let statements = guardrail_benches::regression_statements(STATEMENTS);
    let sql: Vec<Action> = statements.iter().map(Action::sql).collect();
    let calls: Vec<Action> = statements
        .iter()
        .map(|statement| {
            let call = serde_json::json!({"tool": "mcp__postgres__query", "input": {"sql": statement}});
            Action::new(ActionKind::Tool, call.to_string())
        })
        .collect();
    let own = guardrail_gate::OwnPlaces { data_dirs: Vec::new(), configuration: Vec::new() };
    let guard = || guardrail_gate::guard(Policy::default_policy(), &own).with_cache_bytes(0);
    let (as_sql, as_call) = (guard(), guard());
    // The same statements, judged as themselves or inside a call: each
    // path's batch is its own (the actions differ by kind).
    let paths = vec![
        Path {
            name: "SQL decision",
            run: Box::new(move |_| {
                for action in &sql {
                    black_box(as_sql.check(black_box(action)));
                }
            }),
        },
        Path {
            name: "tool-call decision",
            run: Box::new(move |_| {
                for action in &calls {
                    black_box(as_call.check(black_box(action)));
                }
            }),
        },
    ];
    let count: Vec<Action> = statements.iter().map(Action::sql).collect();
    for path in &paths {
        (path.run)(&count); // warm the memo
    }
    println!("{} statements from PostgreSQL's regression suite", count.len());
    ratios("SQL judged as itself and inside an MCP tool call", &paths, &count);
}
