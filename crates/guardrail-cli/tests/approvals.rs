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
    let run = common::decide(dir, "approve", &own, None);
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stdout.contains("cannot decide"), "{run:?}");

    let (_, answer) = check(dir, "agent-8", None);
    let id = approval_id(&answer);
    // Sent again before approval: the same request, still held.
    let (run, again) = check(dir, "agent-8", None);
    assert_eq!((run.status, approval_id(&again)), (4, id.clone()));

    let run = guardrail(dir, &["approvals", "show", &id]);
    assert!(run.stdout.contains(GRANT) && run.stdout.contains("privilege-change"), "{run:?}");
    // Not at a terminal (as an agent runs it), or not confirmed: nothing happens.
    let run = guardrail(dir, &["approvals", "approve", &id, "--reason", "INC-42"]);
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.contains("standard input is not one"), "{run:?}");
    let run = common::at_terminal(dir, &["approvals", "approve", &id, "--reason", "INC-42"], "yes");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stdout.contains("not confirmed"), "{run:?}");
    let run = common::decide(dir, "approve", &id, Some("INC-42"));
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
    let run = common::decide(dir, "deny", &next, None);
    assert_eq!(run.status, 2, "{run:?}");
    let run = common::decide(dir, "deny", &next, Some("not during the freeze"));
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

    // Withdrawn only by who asked, or whom the agent acts for (me).
    let run = guardrail(dir, &["approvals", "cancel", &own, "--actor", "mallory"]);
    assert_eq!(run.status, 2, "{run:?}");
    let run = guardrail(dir, &["approvals", "cancel", &own, "--reason", "not needed after all"]);
    assert_eq!(run.status, 0, "{run:?}");
    let run = guardrail(dir, &["approvals", "show", &own]);
    assert!(run.stdout.contains(": cancelled"), "{run:?}");

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
    assert_eq!(approvals.len(), 6, "requested three times, approved, denied, cancelled: {run:?}");
    assert!(approvals.iter().all(|event| event["class_uid"] == 3005), "{approvals:?}");
}

/// `guardrail exec` of a command the policy holds (taking a service out of
/// service), run by an agent with a `kubectl` of the test's own on its
/// PATH: started in the background, it waits for the person's answer.
fn exec_held(dir: &Path, bin: &Path, extra: &[&str]) -> std::process::Child {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut command = common::in_data_dir(dir);
    command.env("PATH", path).args(["exec", "--actor", "agent-x", "--actor-kind", "agent"]);
    command.args(extra).args(["--", "kubectl", "scale", "deploy/web", "--replicas=0"]);
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command.spawn().expect("starting guardrail exec")
}

/// The id of the one pending request, once exec has opened it.
fn pending(dir: &Path) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let run = guardrail(dir, &["approvals", "list", "--state", "pending", "--json"]);
        if let Some(line) = run.stdout.lines().next() {
            return serde_json::from_str::<Value>(line).unwrap()["id"].as_str().unwrap().to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "exec opened no request: {run:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn finish(child: std::process::Child) -> Run {
    let output = child.wait_with_output().unwrap();
    Run {
        status: output.status.code().expect("exec was killed by a signal"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn exec_waits_for_the_persons_answer() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let kubectl = bin.join("kubectl");
    std::fs::write(&kubectl, "#!/bin/sh\necho \"kubectl ran: $*\"\n").unwrap();
    std::fs::set_permissions(&kubectl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    // Without a terminal (or with --no-wait): refused at once, naming the
    // request to approve.
    let run = finish(exec_held(dir, &bin, &[]));
    assert_eq!(run.status, 126, "{run:?}");
    assert!(run.stderr.contains("guardrail approvals approve apr-"), "{run:?}");
    let first = pending(dir);
    assert!(!run.stdout.contains("kubectl ran"), "{run:?}");

    // Waiting: the same request (the identical command), approved, then run once.
    let child = exec_held(dir, &bin, &["--wait"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(pending(dir), first);
    let approve = common::decide(dir, "approve", &first, Some("maintenance window"));
    assert_eq!(approve.status, 0, "{approve:?}");
    let run = finish(child);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(run.stdout, "kubectl ran: scale deploy/web --replicas=0\n", "{run:?}");

    // Denied: not run, and the reason is said.
    let child = exec_held(dir, &bin, &["--wait"]);
    let next = pending(dir);
    assert_ne!(next, first);
    let deny = common::decide(dir, "deny", &next, Some("not on a Friday"));
    assert_eq!(deny.status, 0, "{deny:?}");
    let run = finish(child);
    assert_eq!(run.status, 126, "{run:?}");
    assert!(run.stderr.contains("is denied by") && run.stderr.contains("not on a Friday"), "{run:?}");
    assert!(!run.stdout.contains("kubectl ran"), "{run:?}");

    // The record: the approved run carries its approval, and its outcome.
    let run = guardrail(dir, &["audit", "list", "-n", "0", "--json"]);
    let records: Vec<Value> = run.stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let ran = records
        .iter()
        .find(|record| record["approval"] == first.as_str())
        .unwrap_or_else(|| panic!("no decision carries {first}: {run:?}"));
    assert_eq!(ran["verdict"], "allow");
    let seq = ran["seq"].as_u64().unwrap();
    assert!(
        records
            .iter()
            .any(|record| record["kind"] == "outcome" && record["decision"] == seq && record["status"] == "succeeded"),
        "{run:?}"
    );
}

/// `guardrail hook codex` with a held command on standard input, started
/// in the background with `extra` arguments.
fn hook_held(dir: &Path, extra: &[&str]) -> std::process::Child {
    hook_held_running(dir, "kubectl scale deploy/web --replicas=0", extra)
}

fn hook_held_running(dir: &Path, line: &str, extra: &[&str]) -> std::process::Child {
    use std::io::Write;
    let mut command = common::in_data_dir(dir);
    command.args(["hook", "codex"]).args(extra);
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("starting guardrail hook");
    let event = serde_json::json!({
        "session_id": "s-hold", "hook_event_name": "PreToolUse", "cwd": dir, "tool_name": "Bash",
        "tool_input": {"command": line},
    });
    child.stdin.take().unwrap().write_all(event.to_string().as_bytes()).unwrap();
    child
}

#[test]
fn a_hook_with_a_hold_waits_for_the_persons_answer() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // No hold (the default): answered at once, held, naming the request.
    let run = finish(hook_held(dir, &[]));
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.contains("\"deny\"") && run.stdout.contains("Approval request apr-"), "{run:?}");
    let first = pending(dir);

    // Held with a hold: the identical call waits; approved meanwhile, the
    // agent is answered with its plain allow (no output), and the decision
    // to run is recorded on the approval.
    let child = hook_held(dir, &["--hold", "60"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(pending(dir), first, "the identical call finds the same request");
    let approve = common::decide(dir, "approve", &first, Some("maintenance window"));
    assert_eq!(approve.status, 0, "{approve:?}");
    let run = finish(child);
    assert_eq!((run.status, run.stdout.as_str()), (0, ""), "{run:?}");

    // Once: the same call again is held again, with a new request.
    let child = hook_held(dir, &["--hold", "60"]);
    let next = pending(dir);
    assert_ne!(next, first);
    // Denied while it waits: the agent is told who denied it and why.
    let deny = common::decide(dir, "deny", &next, Some("not on a Friday"));
    assert_eq!(deny.status, 0, "{deny:?}");
    let run = finish(child);
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.contains("\"deny\"") && run.stdout.contains("denied by"), "{run:?}");
    assert!(run.stdout.contains("not on a Friday") && !run.stdout.contains("run the identical"), "{run:?}");

    // The denial stands while its request would have waited: the identical
    // call is answered at once with it, and opens nothing new.
    let started = std::time::Instant::now();
    let run = finish(hook_held(dir, &["--hold", "60"]));
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{run:?}");
    assert!(run.stdout.contains(&next) && run.stdout.contains("not on a Friday"), "{run:?}");
    let run = guardrail(dir, &["approvals", "list", "--state", "pending"]);
    assert!(run.stdout.contains("no approval requests"), "{run:?}");

    // Undecided within the hold: answered when it runs out, naming the request.
    let started = std::time::Instant::now();
    let run = finish(hook_held_running(dir, "kubectl scale deploy/api --replicas=0", &["--hold", "1"]));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "{run:?}");
    assert!(run.stdout.contains("run the identical command again"), "{run:?}");

    let run = guardrail(dir, &["audit", "list", "-n", "0", "--json"]);
    let records: Vec<Value> = run.stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let ran: Vec<&Value> = records.iter().filter(|record| record["verdict"] == "allow").collect();
    assert_eq!(ran.len(), 1, "one call ran, on its approval: {run:?}");
    assert_eq!(ran[0]["approval"], first.as_str());
}
