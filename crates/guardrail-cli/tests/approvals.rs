//! Approvals through the `guardrail` binary: a held action opens a request,
//! a person at the terminal approves or denies it, and the identical action
//! then runs once.

mod common;

use std::path::Path;

use common::Run;
use serde_json::Value;

fn guardrail(dir: &Path, args: &[&str]) -> Run {
    let mut command = common::in_data_dir(dir);
    command.args(args);
    common::run(command, b"")
}

/// The operating-system user running the tests: who approves at the terminal.
fn local_user() -> String {
    let output = std::process::Command::new("id").arg("-un").output().expect("running id -un");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

const GRANT: &str = "GRANT ALL ON accounts TO bob";

/// `check --record --json` as `actor`, with its JSON answer.
fn check(dir: &Path, actor: &str, on_behalf_of: Option<&str>) -> (Run, Value) {
    let mut args = vec!["check", "--record", "--json", "--kind", "sql", "--actor", actor, "--actor-kind", "agent"];
    if let Some(person) = on_behalf_of {
        args.extend(["--on-behalf-of", person]);
    }
    args.push(GRANT);
    let run = guardrail(dir, &args);
    let answer = serde_json::from_str(run.stdout.trim()).unwrap_or_else(|_| panic!("{run:?}"));
    (run, answer)
}

fn approval_id(answer: &Value) -> String {
    answer["approval"]["id"].as_str().unwrap_or_else(|| panic!("no approval in {answer}")).to_owned()
}

#[test]
fn a_person_at_the_terminal_approves_one_held_action() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let me = local_user();

    // Held: exit 4, and a pending request named in the answer.
    let (run, answer) = check(dir, "agent-7", Some(&me));
    assert_eq!(run.status, 4, "{run:?}");
    assert_eq!(answer["approval"]["state"], "pending");
    let own = approval_id(&answer);
    // The person an agent acts for cannot approve its request.
    let run = guardrail(dir, &["approvals", "approve", &own]);
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.contains("cannot decide"), "{run:?}");

    let (_, answer) = check(dir, "agent-8", None);
    let id = approval_id(&answer);
    // Sent again before approval: the same request, still held.
    let (run, again) = check(dir, "agent-8", None);
    assert_eq!((run.status, approval_id(&again)), (4, id.clone()));

    let run = guardrail(dir, &["approvals", "show", &id]);
    assert!(run.stdout.contains(GRANT) && run.stdout.contains("privilege-change"), "{run:?}");
    let run = guardrail(dir, &["approvals", "approve", &id, "--reason", "INC-42"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.contains("approved"), "{run:?}");

    // The identical action runs once...
    let (run, answer) = check(dir, "agent-8", None);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(answer["decision"], "allow");
    assert!(answer["reason"].as_str().unwrap().contains(&format!("approved by {me} (INC-42) in {id}")), "{answer}");
    // ...and only once.
    let (run, answer) = check(dir, "agent-8", None);
    assert_eq!(run.status, 4, "{run:?}");
    let next = approval_id(&answer);
    assert_ne!(next, id);

    // A denial needs a reason, and ends the request.
    let run = guardrail(dir, &["approvals", "deny", &next]);
    assert_eq!(run.status, 2, "{run:?}");
    let run = guardrail(dir, &["approvals", "deny", &next, "--reason", "not during the freeze"]);
    assert_eq!(run.status, 0, "{run:?}");

    // What each request came to, by state.
    for (state, expected) in [("consumed", &id), ("denied", &next), ("pending", &own)] {
        let run = guardrail(dir, &["approvals", "list", "--state", state, "--json"]);
        let ids: Vec<String> = run
            .stdout
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, std::slice::from_ref(expected), "{state}: {run:?}");
    }
    let run = guardrail(dir, &["approvals", "list", "--state", "sideways"]);
    assert_eq!(run.status, 2, "{run:?}");

    // The record holds every change, and verifies.
    let run = guardrail(dir, &["audit", "list", "-n", "0"]);
    for line in ["approval requested", "approval approved", "approval denied", "not during the freeze"] {
        assert!(run.stdout.contains(line), "{line}: {run:?}");
    }
    let run = guardrail(dir, &["audit", "verify"]);
    assert_eq!(run.status, 0, "{run:?}");
    let run = guardrail(dir, &["audit", "export", "--format", "ocsf"]);
    let approvals: Vec<Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["unmapped"]["guardrail.kind"] == "approval")
        .collect();
    assert_eq!(approvals.len(), 5, "requested three times, approved, denied: {run:?}");
    assert!(approvals.iter().all(|event| event["class_uid"] == 3005), "{approvals:?}");
}
