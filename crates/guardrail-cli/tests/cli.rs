//! End-to-end runs of the `guardrail` binary.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::Run;
use serde_json::Value;

/// Runs the binary from the repository root with `stdin` as input.
fn guardrail(args: &[&str], stdin: &[u8]) -> Run {
    let mut command = common::command();
    command.args(args).current_dir(repository());
    common::run(command, stdin)
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn check_exits_with_its_verdict() {
    // (arguments, exit status, start of the first line)
    let cases: &[(&[&str], i32, &str)] = &[
        (&["check", "SELECT 1"], 0, "allow: "),
        (&["check", "--kind", "sql", "DELETE FROM users"], 1, "deny: this would change or delete every row"),
        (&["check", "CREATE INDEX i ON users (email)"], 3, "require_justification: "),
        (
            &["check", "--justification", "INC-1: slow login", "CREATE INDEX i ON users (email)"],
            0,
            "allow: allowed on the justification given",
        ),
        (&["check", "--justification", "INC-1", "DROP TABLE users"], 1, "deny: "),
        (&["check", "CALL cleanup()"], 4, "require_approval: "),
        (&["check", "--actor", "ada", "--actor-kind", "human", "--role", "dba", "TRUNCATE users"], 1, "deny: "),
        (&["check", "SELEC 1"], 4, "require_approval: this does not parse: syntax error"),
        // A justification in the text, as an agent gives it.
        (
            &["check", "/* justification: INC-1: slow login */ CREATE INDEX i ON users (email)"],
            0,
            "allow: allowed on the justification given",
        ),
        (
            &["check", "--kind", "shell", "psql -c 'CREATE INDEX i ON t (a)' # justification: INC-2: slow report"],
            0,
            "allow: allowed on the justification given",
        ),
    ];
    for (args, status, start) in cases {
        let run = guardrail(args, b"");
        assert_eq!(run.status, *status, "{args:?}\n{run:?}");
        assert!(run.stdout.starts_with(start), "{args:?}: expected {start:?}\n{run:?}");
        assert!(run.stdout.contains("[rule: "), "{args:?}\n{run:?}");
    }
}

#[test]
fn explain_shows_each_intent_with_its_evidence() {
    let run = guardrail(
        &["check", "--explain", "SELECT 1;\nWITH g AS (DELETE FROM users RETURNING id) SELECT * FROM g"],
        b"",
    );
    assert_eq!(run.status, 1, "{run:?}");
    assert!(run.stdout.contains("data.delete_all (unbounded) on table users: deny [rule: unbounded-write]"), "{run:?}");
    assert!(run.stdout.contains("there is no WHERE clause"), "{run:?}");
    assert!(run.stdout.contains("  2 | WITH g AS (DELETE FROM users RETURNING id) SELECT * FROM g\n"), "{run:?}");
    // The evidence is the CTE, from its name to its closing parenthesis.
    assert!(
        run.stdout.contains(&format!("    |      {}\n", "^".repeat("g AS (DELETE FROM users RETURNING id)".len()))),
        "{run:?}"
    );
}

#[test]
fn json_output_carries_the_decision_and_every_intent() {
    let run = guardrail(&["check", "--json", "-"], b"SELECT * FROM users; SELECT pg_read_file('/etc/passwd')");
    assert_eq!(run.status, 1, "{run:?}");
    let answer: Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["rule"], "server-access");
    assert_eq!(answer["policy_version"].as_str().unwrap().len(), 16);
    let intents = answer["intents"].as_array().unwrap();
    let ids: Vec<&str> = intents.iter().map(|intent| intent["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["data.read", "data.read", "server.read_file"]);
    assert_eq!(intents[0]["verdict"], "allow");
    assert_eq!(intents[0]["rule"], "cap-unbounded-reads");
    assert_eq!(intents[2]["object"], serde_json::json!({"kind": "file", "name": "/etc/passwd"}));
    assert_eq!(intents[2]["evidence"], "pg_read_file('/etc/passwd')");
    assert_eq!(intents[2]["span"], serde_json::json!({"start": 28, "end": 55}));
}

#[test]
fn jsonl_answers_every_line_in_order_and_never_crashes() {
    let mut input = Vec::new();
    let lines: &[&[u8]] = &[
        br#"{"kind":"sql","text":"DELETE FROM users"}"#,
        br#"{"kind":"sql","text":"CREATE TABLE t (id int)","justification":"INC-9: new table","actor":"bot-7","cwd":"/srv"}"#,
        br#"{"text":"SELECT 1"}"#,
        br#"not json at all"#,
        b"",
        br#"{"kind":"sql","text":"SELECT 1","justfication":"typo"}"#,
        br#"{"kind":"sql"}"#,
        b"{\"kind\":\"sql\",\"text\":\"SELECT '\xff'\"}",
        br#"{"kind":"cobol","text":"DISPLAY 'HI'"}"#,
        br#"{"kind":"shell","text":"rm -rf /"}"#,
        br#"{"kind":"sql","text":"DELETE FROM users"}"#,
    ];
    for line in lines {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    let run = guardrail(&["check", "--jsonl"], &input);
    assert_eq!(run.status, 0, "{run:?}");
    let answers: Vec<Value> =
        run.stdout.lines().map(|line| serde_json::from_str(line).expect("each answer is JSON")).collect();
    assert_eq!(answers.len(), lines.len(), "{run:?}");
    let decisions: Vec<&str> = answers.iter().map(|answer| answer["decision"].as_str().unwrap()).collect();
    assert_eq!(
        decisions,
        ["deny", "allow", "allow", "error", "error", "error", "error", "error", "error", "deny", "deny"]
    );
    let message = |index: usize| answers[index]["message"].as_str().unwrap().to_owned();
    assert!(message(3).starts_with("line 4: "), "{}", message(3));
    assert!(message(4).contains("empty"), "{}", message(4));
    assert!(message(5).contains("unknown field `justfication`"), "{}", message(5));
    assert!(message(6).contains("missing field `text`"), "{}", message(6));
    assert!(message(7).contains("UTF-8"), "{}", message(7));
    assert!(message(8).contains("cobol"), "{}", message(8));
    assert_eq!(answers[0]["intents"][0]["id"], "data.delete_all");
    assert_eq!(answers[1]["justified"], true);
}

#[test]
fn jsonl_answers_each_line_as_soon_as_it_arrives() {
    let mut child = common::command()
        .args(["check", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting guardrail");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if sender.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for (request, expected) in [("SELECT 1", "allow"), ("TRUNCATE t", "deny")] {
        writeln!(stdin, "{}", serde_json::json!({"kind": "sql", "text": request})).unwrap();
        stdin.flush().unwrap();
        // The pipe stays open: the answer must come without end of input.
        let line = receiver.recv_timeout(Duration::from_secs(20)).expect("an answer while stdin is still open");
        let answer: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["decision"], expected);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn text_from_standard_input_with_a_dash() {
    let run = guardrail(&["check", "-"], b"TRUNCATE orders");
    assert_eq!(run.status, 1, "{run:?}");
    assert!(run.stdout.starts_with("deny: TRUNCATE empties"), "{run:?}");
}

#[test]
fn usage_errors_exit_two() {
    for args in [&["check"][..], &["check", "--kind", "cobol", "x"], &["check", "--jsonl", "SELECT 1"], &["frobnicate"]]
    {
        let run = guardrail(args, b"");
        assert_eq!(run.status, 2, "{args:?}\n{run:?}");
        assert!(run.stdout.is_empty(), "{args:?}\n{run:?}");
    }
}

#[test]
fn the_default_policy_passes_its_own_cases() {
    let run = guardrail(&["policy", "test", "policies/default.cases.jsonl"], b"");
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.contains(" passed, 0 failed"), "{run:?}");
}

#[test]
fn the_default_cases_name_every_intent() {
    let text = std::fs::read_to_string(repository().join("policies/default.cases.jsonl")).unwrap();
    let named: std::collections::BTreeSet<String> = text
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .flat_map(|line| {
            let case: Value = serde_json::from_str(line).unwrap();
            case["intents"].as_array().cloned().unwrap_or_default()
        })
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<&str> =
        guardrail_core::IntentKind::ALL.iter().map(|kind| kind.id()).filter(|id| !named.contains(*id)).collect();
    assert!(missing.is_empty(), "policies/default.cases.jsonl has no case for {missing:?}");
}

#[test]
fn the_example_policy_passes_its_cases() {
    let run = guardrail(
        &["policy", "test", "--policy", "policies/examples/read-only.cedar", "policies/examples/read-only.cases.jsonl"],
        b"",
    );
    assert_eq!(run.status, 0, "{run:?}");
}

#[test]
fn policy_test_reports_failures_and_rejects_broken_case_files() {
    let directory = tempfile::tempdir().unwrap();
    let cases = directory.path().join("cases.jsonl");
    std::fs::write(
        &cases,
        "# a comment\n{\"text\":\"DELETE FROM users\",\"expect\":\"allow\",\"name\":\"wrong on purpose\"}\n\
         {\"text\":\"SELECT 1\",\"expect\":\"allow\",\"intents\":[\"data.read\"],\"rule\":\"baseline\"}\n",
    )
    .unwrap();
    let run = guardrail(&["policy", "test", cases.to_str().unwrap()], b"");
    assert_eq!(run.status, 1, "{run:?}");
    assert!(run.stdout.contains("FAIL line 2 (wrong on purpose): DELETE FROM users"), "{run:?}");
    assert!(run.stdout.contains("expected allow, got deny [rule: unbounded-write]"), "{run:?}");
    assert!(run.stdout.ends_with("2 cases: 1 passed, 1 failed\n"), "{run:?}");

    std::fs::write(&cases, "{\"text\":\"SELECT 1\",\"expect\":\"allow\",\"intents\":[\"data.raed\"]}\n").unwrap();
    let run = guardrail(&["policy", "test", cases.to_str().unwrap()], b"");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.contains(":1: unknown intent \"data.raed\""), "{run:?}");
}

#[test]
fn the_default_policy_round_trips_through_a_file() {
    let directory = tempfile::tempdir().unwrap();
    let shown = guardrail(&["policy", "show-default"], b"");
    assert_eq!(shown.status, 0);
    let file = directory.path().join("mine.cedar");
    std::fs::write(&file, &shown.stdout).unwrap();
    let run = guardrail(&["policy", "validate", file.to_str().unwrap()], b"");
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.starts_with("valid: 31 rules, policy version "), "{run:?}");
    // The same policy from a file decides as the built-in one does.
    let run = guardrail(&["check", "--policy", directory.path().to_str().unwrap(), "DELETE FROM users"], b"");
    assert_eq!(run.status, 1, "{run:?}");
}

#[test]
fn invalid_policies_are_reported_with_file_line_and_column() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("bad.cedar");
    std::fs::write(
        &file,
        "@id(\"a\") permit (principal, action, resource);\n\n@id(\"b\") @verdcit(\"deny\")\nforbid (principal, action == Action::\"data.delet_all\", resource);\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let run = guardrail(&["policy", "validate", path], b"");
    assert_eq!(run.status, 1, "{run:?}");
    assert!(
        run.stdout.contains(&format!("{path}:3:1: unknown annotation @verdcit (did you mean @verdict?)")),
        "{run:?}"
    );

    let run = guardrail(&["check", "--policy", path, "SELECT 1"], b"");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.starts_with(&format!("guardrail: {path}:3:1: ")), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");

    let run = guardrail(&["check", "--policy", "/no/such/policy.cedar", "SELECT 1"], b"");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.starts_with("guardrail: /no/such/policy.cedar: "), "{run:?}");
}

#[test]
fn the_schema_is_printed_and_names_every_intent() {
    let run = guardrail(&["policy", "schema"], b"");
    assert_eq!(run.status, 0);
    assert!(run.stdout.contains("action \"data.delete_all\" in [\"data.write\"] appliesTo"), "{run:?}");
}

#[test]
fn secrets_are_never_printed() {
    let sql = "CREATE ROLE app LOGIN PASSWORD 'hunter2'; SELECT dblink_connect('host=db password=s3cret')";
    for args in [&["check", "--explain", sql][..], &["check", "--json", sql]] {
        let run = guardrail(args, b"");
        assert_eq!(run.status, 1, "{run:?}");
        for secret in ["hunter2", "s3cret"] {
            assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{args:?} printed {secret}\n{run:?}");
        }
        assert!(run.stdout.contains("PASSWORD '*******'"), "{run:?}");
    }
    let request = serde_json::json!({"kind": "sql", "text": sql}).to_string() + "\n";
    let run = guardrail(&["check", "--jsonl"], request.as_bytes());
    assert!(!run.stdout.contains("hunter2") && !run.stdout.contains("s3cret"), "{run:?}");
}
