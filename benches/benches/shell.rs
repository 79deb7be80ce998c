//! Shell decisions in process, and the whole hook call as an agent pays it.
//!
//! `cargo bench -p guardrail-benches --bench shell` prints:
//! - per command of the dcg corpus (733 lines): the bare brush-parser parse
//!   (the baseline), the analyzer (parse and walk), and the whole decision
//!   with the policy memo warm (a long-lived process) and with caches off
//!   (a hook call's fresh process: Cedar judges every intent); medians over rounds, with ratios to the parse measured
//!   in the same rounds, and decisions per second;
//! - per hook call: p50 and p90 wall time of `guardrail hook claude-code`
//!   (a fresh process that reads the event, decides, records durably and
//!   answers), beside `/bin/true`, `guardrail --version` (process start) and
//!   `guardrail check --kind shell` (the same decision, not recorded),
//!   measured interleaved. It uses target/release/guardrail: build it first
//!   (`cargo build --release`); without it the hook part is skipped, saying so.
//!   With `GUARDRAIL_BASELINE=path/to/an/older/guardrail`, that binary's hook
//!   call is measured in the same rounds too, and the ratio printed: build
//!   the commit to compare with in a worktree of its own
//!   (`git worktree add /tmp/base COMMIT && cd /tmp/base && cargo build
//!   --release --target-dir /tmp/base-target`).

use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use guardrail_core::{Action, ActionKind, Guard, Policy};
use guardrail_shell::ShellAnalyzer;

const ROUNDS: usize = 15;
const CALLS: usize = 60;

fn corpus() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpora/dcg/shell.jsonl");
    let text = std::fs::read_to_string(path).expect("the dcg corpus at ../shared/corpora/dcg/shell.jsonl");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("corpus lines are JSON");
            value["text"].as_str().expect("each line has text").to_owned()
        })
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn main() {
    let lines = corpus();
    let analyzer = ShellAnalyzer::new(Some("/home/dev".to_owned()));
    let cold = Guard::new(Policy::default_policy().without_memo())
        .with_analyzer(ActionKind::Shell, Arc::new(analyzer.clone()))
        .with_cache_bytes(0);
    let warm = Guard::new(Policy::default_policy())
        .with_analyzer(ActionKind::Shell, Arc::new(analyzer.clone()))
        .with_cache_bytes(0);
    let actions: Vec<Action> = lines
        .iter()
        .map(|line| {
            let mut action = Action::new(ActionKind::Shell, line.clone());
            action.context.cwd = Some("/home/dev/app".to_owned());
            action
        })
        .collect();

    let parse = |line: &str| {
        let options = brush_parser::ParserOptions::default();
        let mut parser = brush_parser::Parser::new(
            std::io::Cursor::new(line.as_bytes()),
            &options,
            &brush_parser::SourceInfo::default(),
        );
        black_box(parser.parse_program().is_ok());
    };
    let mut timings: [Vec<f64>; 4] = Default::default();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        lines.iter().for_each(|line| parse(line));
        timings[0].push(started.elapsed().as_secs_f64() / lines.len() as f64);
        let started = Instant::now();
        lines.iter().for_each(|line| {
            black_box(analyzer.analyze_in(line, Some("/home/dev/app")));
        });
        timings[1].push(started.elapsed().as_secs_f64() / lines.len() as f64);
        for (guard, timing) in [&warm, &cold].into_iter().zip(&mut timings[2..]) {
            let started = Instant::now();
            actions.iter().for_each(|action| {
                black_box(guard.check(action));
            });
            timing.push(started.elapsed().as_secs_f64() / lines.len() as f64);
        }
    }
    let base = median(&mut timings[0]);
    println!("shell decisions over {} corpus commands, median of {ROUNDS} rounds", lines.len());
    println!("{:<28} {:>10} {:>8} {:>14}", "path", "µs/command", "ratio", "per second");
    for (name, values) in ["brush-parser parse (base)", "analyze", "decide (policy memo warm)", "decide (no caches)"]
        .iter()
        .zip(timings.iter_mut())
    {
        let cost = median(values);
        println!("{name:<28} {:>10.1} {:>8.2} {:>14.0}", cost * 1e6, cost / base, 1.0 / cost);
    }

    let binary = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/guardrail");
    if !std::path::Path::new(binary).exists() {
        println!("\nhook latency: skipped, no release binary at target/release/guardrail (cargo build --release)");
        return;
    }
    let data = std::env::temp_dir().join(format!("guardrail-hook-bench-{}", std::process::id()));
    let event = br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","cwd":"/home/dev/app","session_id":"bench","tool_input":{"command":"git status && cargo test"}}"#;
    let run = |program: &str, args: &[&str], input: Option<&[u8]>| {
        let started = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .env("GUARDRAIL_DATA_DIR", &data)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning");
        if let Some(input) = input {
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        let status = child.wait().unwrap();
        assert!(status.success(), "{program} {args:?} failed");
        started.elapsed().as_secs_f64() * 1e3
    };
    run(binary, &["hook", "claude-code"], Some(event)); // creates the store and key
    let baseline = std::env::var("GUARDRAIL_BASELINE").ok().filter(|path| !path.is_empty());
    let baseline_data = std::env::temp_dir().join(format!("guardrail-hook-bench-baseline-{}", std::process::id()));
    let run_baseline = |baseline: &str| {
        let started = Instant::now();
        let mut child = Command::new(baseline)
            .args(["hook", "claude-code"])
            .env("GUARDRAIL_DATA_DIR", &baseline_data)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning the baseline");
        child.stdin.take().unwrap().write_all(event).unwrap();
        assert!(child.wait().unwrap().success(), "the baseline's hook failed");
        started.elapsed().as_secs_f64() * 1e3
    };
    if let Some(baseline) = &baseline {
        run_baseline(baseline);
    }
    let mut baseline_calls: Vec<f64> = Vec::new();
    let mut calls: [Vec<f64>; 4] = Default::default();
    for _ in 0..CALLS {
        if let Some(baseline) = &baseline {
            baseline_calls.push(run_baseline(baseline));
        }
        calls[0].push(run("/bin/true", &[], None));
        calls[1].push(run(binary, &["--version"], None));
        calls[2].push(run(
            binary,
            &["check", "--kind", "shell", "--cwd", "/home/dev/app", "git status && cargo test"],
            None,
        ));
        calls[3].push(run(binary, &["hook", "claude-code"], Some(event)));
    }
    println!("\nwhole process per call, {CALLS} calls interleaved (ms)");
    println!("{:<40} {:>8} {:>8}", "call", "p50", "p90");
    let names = [
        "/bin/true",
        "guardrail --version (start-up)",
        "guardrail check --kind shell (decide)",
        "guardrail hook claude-code (recorded)",
    ];
    for (name, values) in names.iter().zip(calls.iter_mut()) {
        values.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("{name:<40} {:>8.2} {:>8.2}", values[values.len() / 2], values[values.len() * 9 / 10]);
    }
    if !baseline_calls.is_empty() {
        baseline_calls.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let (before, after) = (baseline_calls[CALLS / 2], calls[3][CALLS / 2]);
        println!(
            "{:<40} {before:>8.2} {:>8.2}\nhook p50, this build against the baseline: {:.2}x",
            "baseline hook claude-code (recorded)",
            baseline_calls[CALLS * 9 / 10],
            after / before
        );
    }
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&baseline_data);
}
