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
    let (sql_texts, call_texts): (Vec<String>, Vec<String>) = (
        sql.iter().map(|action| action.text.clone()).collect(),
        calls.iter().map(|action| action.text.clone()).collect(),
    );
    let tools = guardrail_tools::ToolAnalyzer::default();
    let paths = vec![
        Path {
            name: "SQL analysis",
            run: Box::new(move |_| {
                for text in &sql_texts {
                    black_box(guardrail_sql::analyze(black_box(text)));
                }
            }),
        },
        Path {
            name: "call JSON read",
            run: Box::new({
                let texts = call_texts.clone();
                move |_| {
                    for text in &texts {
                        black_box(serde_json::from_str::<serde_json::Value>(black_box(text)).ok());
                    }
                }
            }),
        },
        Path {
            name: "tool analysis",
            run: Box::new(move |_| {
                for text in &call_texts {
                    black_box(tools.analyze_in(black_box(text), None));
                }
            }),
        },
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
