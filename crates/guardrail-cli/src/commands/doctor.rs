//! `guardrail doctor`: whether every installed hook reaches a working gate,
//! and what that gate uses (configuration, policy, record, key, anchors).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use guardrail_audit::signing::CheckpointSigner;
use serde_json::{Value, json};

use crate::Failure;
use crate::cli::{AgentName, DoctorArgs, exit};
use crate::commands::hook::{agent_id, settings_path};

/// One finding: fine, or wrong with what to do.
struct Report {
    out: String,
    failed: usize,
}

impl Report {
    fn ok(&mut self, what: String) {
        self.out.push_str(&format!("ok: {what}\n"));
    }

    fn failed(&mut self, what: String) {
        self.failed += 1;
        self.out.push_str(&format!("FAILED: {what}\n"));
    }

    fn note(&mut self, what: String) {
        self.out.push_str(&format!("note: {what}\n"));
    }
}

pub fn run(args: DoctorArgs) -> Result<i32, Failure> {
    let mut report = Report { out: String::new(), failed: 0 };
    match crate::config::load() {
        Ok(Some((path, _))) => report.ok(format!("configuration {}", path.display())),
        Ok(None) => report.note("no configuration file: built-in defaults (see `guardrail doctor --help`)".into()),
        Err(error) => report.failed(error),
    }
    match crate::load::policy(args.policy.as_deref()) {
        Ok(policy) => report.ok(format!(
            "policy {} (version {})",
            args.policy.as_deref().map_or_else(|| "built in".to_owned(), |path| path.display().to_string()),
            policy.version()
        )),
        Err(error) => report.failed(format!("the policy does not load: {}", Failure::from(error))),
    }
    let data_dir = crate::store::data_dir(&args.store)?;
    match CheckpointSigner::load_from(&data_dir) {
        Ok(Some(signer)) => report.ok(format!("signing key {} in {}", signer.fingerprint(), data_dir.display())),
        Ok(None) => {
            report.note(format!("no signing key in {} yet: it is made with the first record", data_dir.display()))
        }
        Err(error) => report.failed(error),
    }
    match crate::store::location(&args.store, None) {
        Ok(location) => match location.open_read_only() {
            Ok(mut store) => match store.nodes() {
                Ok(nodes) => report.ok(format!("record {location}: {} node(s)", nodes.len())),
                Err(error) => report.failed(format!("record {location}: {error}")),
            },
            Err(error) if matches!(&location, guardrail_audit::Location::Sqlite(path) if !path.exists()) => {
                let _ = error;
                report.note(format!("no record at {location} yet: it is made with the first decision"));
            }
            Err(error) => report.failed(format!("record {location}: {error}")),
        },
        Err(error) => report.failed(error.to_string()),
    }
    for spec in crate::store::anchors(&args.store)? {
        match spec.open().and_then(|mut anchor| anchor.read()) {
            Ok(witnessed) => report.ok(format!("anchor {spec}: {} checkpoint(s) witnessed", witnessed.len())),
            Err(error) => report.failed(format!("anchor {spec}: {error}")),
        }
    }
    let project = std::env::current_dir().ok();
    for agent in [AgentName::ClaudeCode, AgentName::Codex, AgentName::Cursor, AgentName::Gemini] {
        let places =
            [settings_path(agent, None).ok(), project.as_deref().and_then(|dir| settings_path(agent, Some(dir)).ok())];
        let mut seen = Vec::new();
        for path in places.into_iter().flatten() {
            if seen.contains(&path) {
                continue;
            }
            seen.push(path.clone());
            check_settings(agent, &path, &mut report);
        }
    }
    report.out.push_str(if report.failed == 0 {
        "every installed hook reaches a working gate\n"
    } else {
        "some hooks would block every action, or not reach the gate: see above\n"
    });
    crate::print(&report.out)?;
    Ok(if report.failed == 0 { exit::ALLOW } else { exit::DENY })
}

/// The hooks `path` installs for `agent`, each run on a harmless probe.
fn check_settings(agent: AgentName, path: &Path, report: &mut Report) {
    let Ok(text) = std::fs::read_to_string(path) else { return };
    let ours = format!("hook {}", agent_id(agent));
    let settings: Value = match serde_json::from_str(&text) {
        Ok(settings) => settings,
        Err(error) => {
            report.failed(format!(
                "{}: not valid JSON ({error}); {} cannot read its hooks",
                path.display(),
                agent_id(agent)
            ));
            return;
        }
    };
    let mut commands = Vec::new();
    collect_commands(&settings, &ours, &mut commands);
    commands.sort();
    commands.dedup();
    if commands.is_empty() {
        report.note(format!("{}: no Guardrail hook for {}", path.display(), agent_id(agent)));
        return;
    }
    for command in commands {
        // Only a guardrail binary is run: a project's settings are not
        // trusted to say what runs on this machine.
        let program = command.split_whitespace().next().unwrap_or("").trim_matches(['\'', '"']);
        if !(program.starts_with('/') && program.rsplit('/').next() == Some("guardrail")) {
            report.failed(format!(
                "{} hook in {} does not call a guardrail binary by its full path (not run): {command}",
                agent_id(agent),
                path.display()
            ));
            continue;
        }
        match probe(agent, &command) {
            Ok(()) => report.ok(format!("{} hook in {} answers: {command}", agent_id(agent), path.display())),
            Err(why) => report.failed(format!("{} hook in {}: {why}: {command}", agent_id(agent), path.display())),
        }
    }
}

fn collect_commands(value: &Value, ours: &str, out: &mut Vec<String>) {
    match value {
        Value::String(text) if text.contains(ours) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_commands(item, ours, out)),
        Value::Object(fields) => fields.values().for_each(|field| collect_commands(field, ours, out)),
        _ => {}
    }
}

/// Runs a hook command as the agent would, on a harmless command, and
/// checks it allows it: the binary exists, its policy loads and its record
/// takes the decision.
fn probe(agent: AgentName, command: &str) -> Result<(), String> {
    let event = match agent {
        AgentName::Cursor => json!({"hook_event_name": "beforeShellExecution", "command": "true", "cwd": "/"}),
        AgentName::Gemini => {
            json!({"hook_event_name": "BeforeTool", "tool_name": "run_shell_command", "tool_input": {"command": "true"}})
        }
        _ => {
            json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "true"}, "session_id": "guardrail-doctor"})
        }
    };
    let mut child = Command::new("/bin/sh")
        .args(["-c", command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run it: {error}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(event.to_string().as_bytes())
        .map_err(|error| format!("cannot give it an event: {error}"))?;
    let output = child.wait_with_output().map_err(|error| format!("cannot run it: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(0) {
        return Err(format!(
            "it exits {} ({})",
            output.status.code().map_or("on a signal".into(), |code| code.to_string()),
            stderr.trim()
        ));
    }
    if stdout.contains("deny") || stdout.contains("\"ask\"") {
        return Err(format!("it refuses a harmless command ({})", stdout.trim()));
    }
    Ok(())
}
