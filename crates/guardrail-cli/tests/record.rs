//! The activity record through the `guardrail` binary: recording, reading,
//! verifying, exporting, and failing closed.

mod common;

use std::path::Path;

use common::Run;
use serde_json::Value;

/// Runs the binary with its data directory in `dir`, `stdin` as input.
fn guardrail(dir: &Path, args: &[&str], stdin: &str) -> Run {
    let mut command = common::in_data_dir(dir);
    command.args(args);
    common::run(command, stdin.as_bytes())
}

fn lines(run: &Run) -> Vec<Value> {
    run.stdout.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("{line}\n{run:?}"))).collect()
}

/// Secrets used below; none may appear anywhere in the data directory.
const SECRETS: &[&str] = &["hunter2hunter2", "s3cr3t-pg-pass", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"];

fn record_a_session(dir: &Path) {
    let cases: &[(&[&str], &str, i32)] = &[
        (&["check", "--record", "--actor", "claude", "--session", "s1", "DELETE FROM users"], "", 1),
        (&["check", "--record", "--actor", "claude", "--session", "s1", "SELECT * FROM users WHERE id = 7"], "", 0),
        (
            &[
                "check",
                "--record",
                "--actor",
                "ada",
                "--actor-kind",
                "human",
                "ALTER ROLE app PASSWORD 'hunter2hunter2'",
            ],
            "",
            4,
        ),
        (
            &["record", "prompt", "--actor", "claude", "--session", "s1"],
            "connect with PGPASSWORD=s3cr3t-pg-pass and clean up",
            0,
        ),
        (
            &["record", "tool-output", "--actor", "claude", "--tool", "bash"],
            "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            0,
        ),
    ];
    for (args, stdin, status) in cases {
        let run = guardrail(dir, args, stdin);
        assert_eq!(run.status, *status, "{args:?}\n{run:?}");
        assert!(run.stdout.contains("recorded: test-node#"), "{args:?}\n{run:?}");
    }
}

#[test]
fn decisions_and_content_are_recorded_masked_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    record_a_session(dir.path());

    let run = guardrail(dir.path(), &["audit", "list", "--json"], "");
    assert_eq!(run.status, 0, "{run:?}");
    let records = lines(&run);
    let summary: Vec<(u64, &str, &str)> = records
        .iter()
        .map(|r| (r["seq"].as_u64().unwrap(), r["kind"].as_str().unwrap(), r["verdict"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "key", "-"),
            (2, "decision", "deny"),
            (3, "decision", "allow"),
            (4, "decision", "require_approval"),
            // The held decision opens an approval request.
            (5, "approval", "-"),
            (6, "prompt", "-"),
            (7, "tool_output", "-")
        ]
    );
    assert_eq!(records[3]["text"], "ALTER ROLE app PASSWORD '**************'");
    assert_eq!(records[5]["content"], "connect with PGPASSWORD=************** and clean up");
    assert_eq!(records[1]["intents"][0]["id"], "data.delete_all");
    assert_eq!(records[1]["actor"]["id"], "claude");
    assert_eq!(records[1]["session"], "s1");
    assert_eq!(records[2]["prev"], records[1]["hash"]);

    // Nothing in clear anywhere on disk: the database, its WAL, the key.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for secret in SECRETS {
            assert!(!bytes.windows(secret.len()).any(|window| window == secret.as_bytes()), "{secret} on disk");
        }
    }

    let run = guardrail(dir.path(), &["audit", "verify"], "");
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.contains("node test-node: 7 records"), "{run:?}");
}

#[test]
fn filters_select_records() {
    let dir = tempfile::tempdir().unwrap();
    record_a_session(dir.path());
    // (filter arguments, sequence numbers listed)
    let cases: &[(&[&str], &[u64])] = &[
        (&[], &[1, 2, 3, 4, 5, 6, 7]),
        (&["--verdict", "deny"], &[2]),
        (&["--intent", "data.delete_all"], &[2]),
        (&["--intent", "data.access"], &[3]),
        (&["--actor", "ada"], &[4, 5]),
        (&["--actor", "claude"], &[2, 3, 6, 7]),
        (&["--kind", "prompt"], &[6]),
        (&["--kind", "approval"], &[5]),
        (&["--kind", "key"], &[1]),
        (&["--session", "s1"], &[2, 3, 6]),
        (&["--text", "delete from"], &[2]),
        (&["--since", "1h"], &[1, 2, 3, 4, 5, 6, 7]),
        (&["--until", "2000-01-01"], &[]),
        (&["--limit", "2"], &[6, 7]),
        (&["--intent", "schema.change"], &[]),
    ];
    for (filter, expected) in cases {
        let mut args = vec!["audit", "list", "--json"];
        args.extend_from_slice(filter);
        let run = guardrail(dir.path(), &args, "");
        assert_eq!(run.status, 0, "{filter:?}\n{run:?}");
        let seqs: Vec<u64> = lines(&run).iter().map(|r| r["seq"].as_u64().unwrap()).collect();
        assert_eq!(&seqs, expected, "{filter:?}");
    }
    for (bad, message) in [
        (&["--verdict", "maybe"][..], "unknown verdict"),
        (&["--since", "yesterday"][..], "cannot read \"yesterday\" as a time"),
        (&["--kind", "decisions"][..], "unknown kind"),
        (&["--intent", "data.delete_everything"][..], "unknown intent"),
    ] {
        let mut args = vec!["audit", "list"];
        args.extend_from_slice(bad);
        let run = guardrail(dir.path(), &args, "");
        assert_eq!(run.status, 2, "{run:?}");
        assert!(run.stderr.contains(message), "{run:?}");
    }
}

/// A reader that stops early (`audit export | head -1`) ends the export
/// quietly, with no error.
#[test]
fn an_export_read_in_part_ends_quietly() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    // More than a pipe holds: the export is still writing when the reader goes.
    let lines = "{\"text\":\"SELECT name FROM users WHERE id = 7\"}\n".repeat(2_000);
    let run = guardrail(dir.path(), &["check", "--jsonl", "--record"], &lines);
    assert_eq!(run.status, 0, "{run:?}");
    let mut child = common::in_data_dir(dir.path())
        .args(["audit", "export"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with('{'), "{first}");
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn show_and_export_ocsf() {
    let dir = tempfile::tempdir().unwrap();
    record_a_session(dir.path());
    let run = guardrail(dir.path(), &["audit", "show", "2"], "");
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.contains("verdict         deny"), "{run:?}");
    assert!(run.stdout.contains("actor           claude (agent)"), "{run:?}");
    let run = guardrail(dir.path(), &["audit", "show", "99"], "");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.contains("node test-node has no record 99"), "{run:?}");

    let run = guardrail(dir.path(), &["audit", "export", "--format", "ocsf"], "");
    assert_eq!(run.status, 0, "{run:?}");
    let mut events = lines(&run);
    assert_eq!(events[0]["unmapped"]["guardrail.kind"], "key", "the chain's key record comes first");
    events.remove(0);
    // (class_uid, activity_id, action_id, disposition_id) per record.
    let shape: Vec<(u64, u64, Option<u64>, Option<u64>)> = events
        .iter()
        .map(|e| {
            (
                e["class_uid"].as_u64().unwrap(),
                e["activity_id"].as_u64().unwrap(),
                e["action_id"].as_u64(),
                e["disposition_id"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (6005, 7, Some(2), Some(2)),
            (6005, 4, Some(1), Some(1)),
            (6005, 2, Some(2), Some(99)),
            (3005, 99, None, None),
            (6003, 1, None, None),
            (6003, 2, None, None),
        ]
    );
    for event in &events {
        assert_eq!(
            event["type_uid"].as_u64().unwrap(),
            event["class_uid"].as_u64().unwrap() * 100 + event["activity_id"].as_u64().unwrap()
        );
    }
    assert_eq!(events[0]["query_info"]["query_string"], "DELETE FROM users");
    assert_eq!(events[4]["unmapped"]["gen_ai.input.messages"], "connect with PGPASSWORD=************** and clean up");
    assert_eq!(events[5]["unmapped"]["gen_ai.tool.name"], "bash");
}

#[test]
fn verify_names_the_first_tampered_record_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    record_a_session(dir.path());
    let exported = guardrail(dir.path(), &["audit", "checkpoints"], "");
    assert_eq!(exported.status, 0, "{exported:?}");
    let anchors = dir.path().join("anchors.jsonl");
    std::fs::write(&anchors, &exported.stdout).unwrap();

    let database = rusqlite::Connection::open(dir.path().join("record.sqlite3")).unwrap();
    database.execute("UPDATE records SET body = replace(body, 'deny', 'allow') WHERE seq = 2", []).unwrap();
    let run = guardrail(dir.path(), &["audit", "verify"], "");
    assert_eq!(run.status, 1, "{run:?}");
    assert!(run.stdout.contains("FAILED: node test-node: the first bad record is 2"), "{run:?}");
    assert!(run.stdout.contains("record 2 was modified"), "{run:?}");

    // Cut back, checkpoints deleted too: only the exported ones tell.
    let dir = tempfile::tempdir().unwrap();
    record_a_session(dir.path());
    let exported = guardrail(dir.path(), &["audit", "checkpoints"], "");
    std::fs::write(&anchors, &exported.stdout).unwrap();
    let database = rusqlite::Connection::open(dir.path().join("record.sqlite3")).unwrap();
    database.execute_batch("DELETE FROM records; DELETE FROM checkpoints").unwrap();
    let run = guardrail(dir.path(), &["audit", "verify", "--checkpoints", anchors.to_str().unwrap(), "--json"], "");
    assert_eq!(run.status, 1, "{run:?}");
    let report = &lines(&run)[0];
    assert_eq!(report["problems"][0]["kind"], "cutback");
    assert_eq!(report["problems"][0]["seq"], 1);
}

#[test]
fn a_decision_that_cannot_be_recorded_is_an_error_not_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    // A data directory that is a file cannot hold a record.
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "").unwrap();
    let run = guardrail(&file, &["check", "--record", "SELECT 1"], "");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "no verdict may be printed: {run:?}");
    assert!(run.stderr.starts_with("guardrail: "), "{run:?}");

    let unreachable = "--record=postgres://guardrail:pa55word@127.0.0.1:1/none";
    let run = guardrail(dir.path(), &["check", unreachable, "SELECT 1"], "");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(!run.stderr.contains("pa55word"), "the store's password is masked in errors: {run:?}");

    // In a stream, the line gets an error answer and the stream goes on.
    let run = guardrail(dir.path(), &["check", "--jsonl", unreachable], "{\"text\":\"SELECT 1\"}\n");
    assert_eq!(run.status, 2, "opening the store fails before any line is answered: {run:?}");

    // Reading a record that does not exist is an error, and creates nothing.
    let empty = tempfile::tempdir().unwrap();
    let run = guardrail(empty.path(), &["audit", "list"], "");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.contains("there is no activity record"), "{run:?}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn check_jsonl_answers_carry_their_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let input = "{\"text\":\"SELECT 1\"}\n{\"text\":\"DROP TABLE users\",\"actor\":\"claude\"}\nnot json\n";
    let run = guardrail(dir.path(), &["check", "--jsonl", "--record"], input);
    assert_eq!(run.status, 0, "{run:?}");
    let answers = lines(&run);
    assert_eq!(answers[0]["record"]["seq"], 2);
    assert_eq!(answers[1]["record"]["seq"], 3);
    assert_eq!(answers[1]["decision"], "deny");
    assert_eq!(answers[2]["decision"], "error");
    let run = guardrail(dir.path(), &["audit", "list", "--json", "--actor", "claude"], "");
    assert_eq!(lines(&run)[0]["text"], "DROP TABLE users");
}

/// Two nodes sharing one PostgreSQL store, each with its own chain and key.
#[test]
fn nodes_share_a_postgres_store_with_chains_of_their_own() {
    let database = guardrail_testdb::TestDatabase::new("cli_record");
    let store = database.url().to_owned();

    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, node) in [(&one, "node-1"), (&two, "node-2"), (&one, "node-1")] {
        let run = guardrail(dir.path(), &["check", &format!("--record={store}"), "--node", node, "DELETE FROM t"], "");
        assert_eq!(run.status, 1, "{run:?}");
    }
    let key_one = guardrail(one.path(), &["audit", "pubkey"], "").stdout.trim().to_owned();
    let key_two = guardrail(two.path(), &["audit", "pubkey"], "").stdout.trim().to_owned();
    assert_ne!(key_one, key_two, "each node has its own key");
    let run = guardrail(
        one.path(),
        &["audit", "verify", "--store", &store, "--pubkey", &key_one, "--pubkey", &key_two, "--json"],
        "",
    );
    assert_eq!(run.status, 0, "{run:?}");
    let report = &lines(&run)[0];
    let nodes: Vec<(&str, u64)> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["node"].as_str().unwrap(), n["records"].as_u64().unwrap()))
        .collect();
    assert_eq!(nodes, [("node-1", 3), ("node-2", 2)]);
    // Trusting only node 1's key, node 2's checkpoints are refused.
    let run = guardrail(one.path(), &["audit", "verify", "--store", &store, "--pubkey", &key_one], "");
    assert_eq!(run.status, 1, "{run:?}");
    assert!(run.stdout.contains("none of them trusted"), "{run:?}");
}

/// The text detectors mask what the grammar does not know is a secret, in
/// the printed answer and in the record alike.
#[test]
fn secrets_the_grammar_cannot_see_are_masked_in_answers_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let token = "abcDEF1234567890xyzUVW";
    let text = format!("UPDATE integrations SET header = 'Authorization: Bearer {token}' WHERE id = 1");
    for args in [&["check", "--record", "--explain", &text][..], &["check", "--record", "--json", &text][..]] {
        let run = guardrail(dir.path(), args, "");
        assert_eq!(run.status, 0, "{run:?}");
        assert!(!run.stdout.contains(token), "{run:?}");
        assert!(run.stdout.contains("Bearer ******"), "{run:?}");
    }
    let run = guardrail(dir.path(), &["audit", "export"], "");
    assert!(!run.stdout.contains(token) && run.stdout.contains("Bearer ******"), "{run:?}");
}

/// Every field a caller names is masked like the text: the actor's and its
/// principal's names, the target, the session, the working directory.
#[test]
fn secrets_in_names_targets_and_context_are_masked_in_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    let key = "AKIAZQ3DPQRSTUVWXY7Z";
    let password = "s3cr3t-target-pw";
    let args = [
        "check".to_owned(),
        "--record".to_owned(),
        "--kind".to_owned(),
        "sql".to_owned(),
        "--actor".to_owned(),
        format!("agent-{token}"),
        "--actor-kind".to_owned(),
        "agent".to_owned(),
        "--on-behalf-of".to_owned(),
        format!("x-{key}"),
        "--session".to_owned(),
        format!("sess-{token}"),
        "--target".to_owned(),
        format!("postgres://admin:{password}@db.internal/prod"),
        "--cwd".to_owned(),
        format!("/tmp/{token}"),
        "GRANT SELECT ON payroll TO analyst".to_owned(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = guardrail(dir.path(), &args, "");
    assert_eq!(run.status, 4, "held, with an approval request: {run:?}");
    let mut seen = String::new();
    for read in [&["audit", "list", "--json"][..], &["audit", "show", "2"], &["approvals", "list", "--json"]] {
        let run = guardrail(dir.path(), read, "");
        assert_eq!(run.status, 0, "{read:?}: {run:?}");
        seen.push_str(&run.stdout);
    }
    assert!(seen.contains("db.internal/prod"), "the target is still named: {seen}");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
    for secret in [token, key, password] {
        assert!(!seen.contains(secret), "{secret} shown or stored");
    }
}

/// A record that does not read (tampered with, or a newer version's) is
/// shown in its place by every reader, and `audit verify` says it is not as
/// written; the records around it are still listed and exported.
#[test]
fn an_unreadable_record_is_shown_in_its_place_not_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    record_a_session(dir.path());
    let database = dir.path().join("record.sqlite3");
    rusqlite::Connection::open(&database)
        .unwrap()
        .execute("UPDATE records SET body = '{\"not\": \"a decision\"}' WHERE seq = 3", [])
        .unwrap();
    let run = guardrail(dir.path(), &["audit", "list", "-n", "0"], "");
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.contains("#3  unreadable") && run.stdout.contains("audit verify"), "{run:?}");
    assert!(run.stdout.contains("#4") && run.stdout.contains("#2"), "the rest is listed: {run:?}");
    let run = guardrail(dir.path(), &["audit", "export", "--format", "ocsf"], "");
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(lines(&run).len(), 7, "{run:?}");
    let run = guardrail(dir.path(), &["audit", "verify"], "");
    assert_eq!(run.status, 1, "verify finds it: {run:?}");
}
