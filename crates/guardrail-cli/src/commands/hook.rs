//! `guardrail hook AGENT`: the gate in an AI coding agent's hook protocol,
//! and `guardrail hook install AGENT`.
//!
//! Each agent sends JSON on standard input and reads its answer on
//! standard output. All four let a command run when a hook fails in any
//! other way than they define as blocking, so every internal error here
//! ends in the one answer all four read as "block": exit status 2 with the
//! reason on standard error.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use guardrail_audit::event::Event as Recorded;
use guardrail_audit::{ContentDetails, ContentKind, Entry, Gate, OutcomeEvent, OutcomeStatus};
use guardrail_core::{Action, ActionKind, Actor, ActorKind, Decision, Verdict};
use serde_json::{Value, json};

use crate::cli::{AgentName, HookAgent, HookArgs};
use crate::{Failure, load};

/// The exit status every agent reads as "block".
const BLOCK: i32 = 2;

/// `--deadline`'s default, in milliseconds.
pub const DEFAULT_DEADLINE_MS: u64 = 20_000;

pub fn run(args: HookArgs) -> Result<i32, Failure> {
    let agent = match args.agent {
        HookAgent::Install => return install(&args),
        HookAgent::Uninstall => return uninstall(&args),
        HookAgent::ClaudeCode => AgentName::ClaudeCode,
        HookAgent::Codex => AgentName::Codex,
        HookAgent::Cursor => AgentName::Cursor,
        HookAgent::Gemini => AgentName::Gemini,
    };
    fail_closed_on_abort(args.memory);
    let watchdog = Watchdog::arm(Duration::from_millis(args.deadline));
    let answered = answer(agent, &args);
    // Disarmed before anything is written: the answer is all or nothing.
    if !watchdog.disarm() {
        return Ok(block(&format!("no answer within {} ms", args.deadline)));
    }
    match answered {
        Ok(Some(output)) => crate::print(&format!("{output}\n")),
        Ok(None) => Ok(0),
        Err(message) => Ok(block(&message)),
    }
}

fn block(message: &str) -> i32 {
    eprintln!("guardrail: blocked, because the hook failed: {message}");
    BLOCK
}

/// Makes the process's own crashes block. Out of memory, a stack overflow
/// or a panic that cannot unwind end a Rust process with SIGABRT, a status
/// every agent reads as "let the command run"; the handler answers exit 2
/// instead. Memory is limited to `mib` MiB (heap and anonymous mappings)
/// so that a parser that allocates without end aborts in moments instead of
/// taking the machine's memory first.
#[cfg(unix)]
fn fail_closed_on_abort(mib: u64) {
    extern "C" fn on_abort(_: libc::c_int) {
        const MESSAGE: &[u8] = b"guardrail: blocked, because the hook failed: it aborted (out of memory?)\n";
        // Only async-signal-safe calls here.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(BLOCK);
        }
    }
    // SAFETY: installs a handler that makes only async-signal-safe calls,
    // and lowers a soft resource limit of this process.
    unsafe {
        libc::signal(libc::SIGABRT, on_abort as *const () as libc::sighandler_t);
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_DATA, &mut limit) == 0 {
            // Below 64 MiB the hook could not start its own threads.
            limit.rlim_cur = (mib.max(64).saturating_mul(1 << 20) as libc::rlim_t).min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_DATA, &limit);
        }
    }
}

#[cfg(not(unix))]
fn fail_closed_on_abort(_mib: u64) {}

/// Blocks and ends the process when no answer is ready by the deadline.
/// Agents let a command run when its hook times out, and the grammars'
/// parsers have inputs that take them exponential time (the analyzer
/// refuses the shapes known so far before parsing); this bounds the rest.
/// An append being recorded at that moment is rolled back by SQLite.
struct Watchdog {
    armed: mpsc::Sender<()>,
    started: Instant,
    deadline: Duration,
}

impl Watchdog {
    fn arm(deadline: Duration) -> Watchdog {
        let (armed, fired) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = fired.recv_timeout(deadline) {
                std::process::exit(block(&format!("no answer within {} ms", deadline.as_millis())));
            }
        });
        Watchdog { armed, started: Instant::now(), deadline }
    }

    /// Stops the watchdog; false if the deadline passed all the same (an
    /// answer that late blocks too, whichever thread saw it first).
    fn disarm(self) -> bool {
        drop(self.armed);
        self.started.elapsed() <= self.deadline
    }
}

/// What the agent's hook event asks.
#[derive(Debug, PartialEq)]
enum Event {
    /// A shell command about to run.
    Command { command: String, cwd: Option<String> },
    /// Another tool about to be called: a file written or read, an MCP tool.
    Tool { tool: String, input: Value, cwd: Option<String> },
    /// A shell command's output, after it ran.
    Output { command: String, output: String },
    /// A prompt the user submitted.
    Prompt(String),
    /// An event about a tool call the hook cannot read as any shape it
    /// knows: blocked, and recorded.
    Unreadable(String),
    /// Anything else: let it be.
    Other,
}

/// Tools that run shell commands, by the name agents give them (any case).
fn is_shell_tool(name: &str) -> bool {
    ["bash", "shell", "run_shell_command", "exec_command", "local_shell"]
        .iter()
        .any(|shell| name.eq_ignore_ascii_case(shell))
}

/// A pre-tool event: a shell command, another tool, or what cannot be read.
fn tool_call(input: &Value, tool_input: &Value, cwd: Option<String>) -> Event {
    let Some(tool) = input["tool_name"].as_str().filter(|tool| !tool.is_empty()) else {
        return Event::Unreadable("the event names no tool".to_owned());
    };
    if is_shell_tool(tool) {
        return match tool_input["command"].as_str() {
            Some(command) => Event::Command { command: command.to_owned(), cwd },
            None => Event::Unreadable(format!("{tool}'s command is not text")),
        };
    }
    if !tool_input.is_object() {
        return Event::Unreadable(format!("{tool}'s input is not an object"));
    }
    Event::Tool { tool: tool.to_owned(), input: tool_input.clone(), cwd }
}

/// Reads one hook event in `agent`'s format.
fn event(agent: AgentName, input: &Value) -> Event {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let name = input["hook_event_name"].as_str().unwrap_or("");
    let cwd = text(&input["cwd"]);
    match agent {
        AgentName::ClaudeCode | AgentName::Codex => {
            let shell = input["tool_name"].as_str().is_some_and(is_shell_tool);
            let command = text(&input["tool_input"]["command"]);
            match (name, command) {
                ("PreToolUse", _) => tool_call(input, &input["tool_input"], cwd),
                ("PostToolUse", Some(command)) if shell => {
                    let response = &input["tool_response"];
                    let output = match response {
                        Value::String(output) => output.clone(),
                        _ => {
                            let stdout = response["stdout"].as_str().unwrap_or("");
                            let stderr = response["stderr"].as_str().unwrap_or("");
                            if stderr.is_empty() { stdout.to_owned() } else { format!("{stdout}\n{stderr}") }
                        }
                    };
                    Event::Output { command, output }
                }
                ("PostToolUse", _) => match input["tool_name"].as_str() {
                    Some(tool) => Event::Output {
                        command: tool.to_owned(),
                        output: match &input["tool_response"] {
                            Value::String(output) => output.clone(),
                            other => other.to_string(),
                        },
                    },
                    None => Event::Other,
                },
                ("UserPromptSubmit", _) => text(&input["prompt"]).map_or(Event::Other, Event::Prompt),
                _ => Event::Other,
            }
        }
        AgentName::Cursor => match name {
            "beforeShellExecution" => match text(&input["command"]) {
                Some(command) => Event::Command { command, cwd },
                None => Event::Unreadable("the shell command is not text".to_owned()),
            },
            // Cursor gives the MCP tool's input as a JSON string.
            "beforeMCPExecution" => {
                let tool_input = match &input["tool_input"] {
                    Value::String(json) => serde_json::from_str(json).unwrap_or(Value::Null),
                    other => other.clone(),
                };
                let cwd = cwd.or_else(|| text(&input["workspace_roots"][0]));
                tool_call(input, &tool_input, cwd)
            }
            "beforeReadFile" => match text(&input["file_path"]) {
                Some(path) => Event::Tool {
                    tool: "Read".to_owned(),
                    input: json!({"file_path": path}),
                    cwd: cwd.or_else(|| text(&input["workspace_roots"][0])),
                },
                None => Event::Unreadable("the file read names no file".to_owned()),
            },
            // After the fact: recorded, judged, and cannot be undone here.
            "afterFileEdit" => match text(&input["file_path"]) {
                Some(path) => Event::Tool {
                    tool: "Edit".to_owned(),
                    input: json!({"file_path": path, "edits": input["edits"]}),
                    cwd: cwd.or_else(|| text(&input["workspace_roots"][0])),
                },
                None => Event::Unreadable("the file edit names no file".to_owned()),
            },
            "afterMCPExecution" => Event::Output {
                command: text(&input["tool_name"]).unwrap_or_default(),
                output: text(&input["result_json"]).unwrap_or_default(),
            },
            "afterShellExecution" => Event::Output {
                command: text(&input["command"]).unwrap_or_default(),
                output: text(&input["output"]).unwrap_or_default(),
            },
            "beforeSubmitPrompt" => text(&input["prompt"]).map_or(Event::Other, Event::Prompt),
            _ => Event::Other,
        },
        AgentName::Gemini => {
            let shell = input["tool_name"].as_str().is_some_and(is_shell_tool);
            let command = text(&input["tool_input"]["command"]);
            match (name, command) {
                ("BeforeTool", _) if shell => {
                    // The command runs in dir_path, relative to the project.
                    let cwd = match (cwd, input["tool_input"]["dir_path"].as_str()) {
                        (_, Some(dir)) if dir.starts_with('/') => Some(dir.to_owned()),
                        (Some(cwd), Some(dir)) => Some(format!("{}/{dir}", cwd.trim_end_matches('/'))),
                        (cwd, _) => cwd,
                    };
                    tool_call(input, &input["tool_input"], cwd)
                }
                ("BeforeTool", _) => tool_call(input, &input["tool_input"], cwd),
                ("AfterTool", Some(command)) if shell => {
                    Event::Output { command, output: text(&input["tool_response"]["llmContent"]).unwrap_or_default() }
                }
                ("AfterTool", _) => match text(&input["tool_name"]) {
                    Some(tool) => Event::Output {
                        command: tool,
                        output: text(&input["tool_response"]["llmContent"])
                            .unwrap_or_else(|| input["tool_response"].to_string()),
                    },
                    None => Event::Other,
                },
                ("BeforeAgent", _) => text(&input["prompt"]).map_or(Event::Other, Event::Prompt),
                _ => Event::Other,
            }
        }
    }
}

/// The agent's session or conversation id.
fn session(agent: AgentName, input: &Value) -> Option<String> {
    let field = if agent == AgentName::Cursor { "conversation_id" } else { "session_id" };
    input[field].as_str().map(str::to_owned)
}

pub fn agent_id(agent: AgentName) -> &'static str {
    match agent {
        AgentName::ClaudeCode => "claude-code",
        AgentName::Codex => "codex",
        AgentName::Cursor => "cursor",
        AgentName::Gemini => "gemini",
    }
}

/// Handles one event; `None` is "no output" (the agent's plain allow).
fn answer(agent: AgentName, args: &HookArgs) -> Result<Option<String>, String> {
    let mut raw = String::new();
    std::io::stdin().read_to_string(&mut raw).map_err(|error| format!("reading standard input: {error}"))?;
    let input: Value = serde_json::from_str(&raw).map_err(|error| format!("the hook input is not JSON: {error}"))?;
    let event = event(agent, &input);
    if event == Event::Other {
        return Ok(None);
    }
    let recorder = crate::store::recorder(&args.store, None).map_err(|failure| failure.to_string())?;
    let actor = Actor::new(agent_id(agent), ActorKind::Agent);
    let channel = format!("hook:{}", agent_id(agent));
    let session = session(agent, &input);
    let event_name = input["hook_event_name"].as_str().unwrap_or("").to_owned();
    // The agent's id for the tool call, in its event before and after it.
    let call = input["tool_use_id"].as_str().filter(|id| !id.is_empty()).map(str::to_owned);
    match event {
        Event::Command { command, cwd } => {
            let mut action = Action::new(ActionKind::Shell, command);
            action.context.call = call;
            let decision = judge(args, recorder, action, cwd, actor, channel, session)?;
            Ok(respond(agent, &event_name, &decision, ActionKind::Shell))
        }
        Event::Tool { tool, input, cwd } => {
            let mut action = Action::new(ActionKind::Tool, guardrail_tools::call_text(&tool, &input));
            action.context.call = call;
            let decision = judge(args, recorder, action, cwd, actor, channel, session)?;
            Ok(respond(agent, &event_name, &decision, ActionKind::Tool))
        }
        // Recorded as it came (the gate judges it unknown), then blocked:
        // what cannot be read is never allowed.
        Event::Unreadable(why) => {
            judge(args, recorder, Action::new(ActionKind::Tool, raw.clone()), None, actor, channel, session)?;
            Err(format!("the hook event is not a tool call Guardrail can read: {why}"))
        }
        Event::Output { command, output } => {
            // The call ran: its decision's outcome, and who let it run when
            // the gate held it and the agent asked the person at its prompt.
            let outcome = match &call {
                Some(call) => outcome_of(args, &recorder, agent, call, &input),
                None => None,
            };
            let details = ContentDetails { channel, session, prompt: None, tool: Some(command) };
            let content = recorder
                .submit(Entry::content(ContentKind::ToolOutput, &actor, details, &output))
                .map_err(|error| error.to_string())?;
            if let Some(outcome) = outcome {
                recorder.record(Entry::outcome(outcome)).map_err(|error| error.to_string())?;
            }
            content.wait().map_err(|error| error.to_string())?;
            Ok(None)
        }
        Event::Prompt(prompt) => {
            let details = ContentDetails { channel, session, prompt: None, tool: None };
            recorder
                .record(Entry::content(ContentKind::Prompt, &actor, details, &prompt))
                .map_err(|error| error.to_string())?;
            Ok(None)
        }
        Event::Other => Ok(None),
    }
}

/// The outcome of the decision on tool call `call`, found among this
/// node's latest records: it ran (it failed when the agent says its tool
/// did); a held decision that ran was let run by the person the agent
/// asked.
fn outcome_of(
    args: &HookArgs,
    recorder: &guardrail_audit::Recorder,
    agent: AgentName,
    call: &str,
    input: &Value,
) -> Option<OutcomeEvent> {
    /// How far back a call's decision is looked for.
    const RECENT: usize = 500;
    let location = crate::store::location(&args.store, None).ok()?;
    let mut store = location.open_read_only().ok()?;
    let node = recorder.node().to_owned();
    let records = store.recent(&node, RECENT).ok()?;
    let (seq, verdict) = records.iter().find_map(|record| match Recorded::decode(&record.kind, &record.body) {
        Ok(Recorded::Decision(decision)) if decision.call.as_deref() == Some(call) => {
            Some((record.seq, decision.verdict))
        }
        _ => None,
    })?;
    let failed = input["tool_response"]["is_error"].as_bool() == Some(true)
        || input["tool_response"]["success"].as_bool() == Some(false);
    let held = matches!(verdict, Verdict::RequireApproval | Verdict::RequireJustification);
    // Only Claude Code and Cursor are answered "ask" (a person decides);
    // the others are answered "deny" for a held call.
    let asked = held && matches!(agent, AgentName::ClaudeCode | AgentName::Cursor);
    let refused = verdict == Verdict::Deny || (held && !asked);
    Some(OutcomeEvent {
        decision: seq,
        status: if failed { OutcomeStatus::Failed } else { OutcomeStatus::Succeeded },
        approved_by: asked.then(|| format!("the person at {}'s permission prompt", agent_id(agent))),
        // The agent ran a call the gate refused: the record says so.
        error: refused.then(|| format!("{} ran this call although the gate answered deny", agent_id(agent))),
        ..OutcomeEvent::default()
    })
}

/// Judges one action through the gate; the decision is recorded before it
/// is returned.
fn judge(
    args: &HookArgs,
    recorder: guardrail_audit::Recorder,
    mut action: Action,
    cwd: Option<String>,
    actor: Actor,
    channel: String,
    session: Option<String>,
) -> Result<Decision, String> {
    let data_dir = crate::store::data_dir(&args.store).map_err(|failure| failure.to_string())?;
    let policy = load::policy_validated_once(args.policy.as_deref(), &data_dir)
        .map_err(|failure| Failure::from(failure).to_string())?;
    let gate = Gate::new(crate::gate(policy, Some(&data_dir), args.policy.as_deref()), Some(recorder));
    action.actor = actor;
    action.channel = channel;
    action.target = guardrail_audit::data_dir::hostname();
    action.context.cwd = cwd;
    action.context.session = session;
    let checked = gate.check(&action).map_err(|error| error.to_string())?;
    let mut decision = (*checked.decision).clone();
    // A held action waits for a person: say which request, and how it runs.
    if decision.verdict == Verdict::RequireApproval {
        let request = gate
            .request_approval(&action, &checked)
            .map_err(|error| error.to_string())?
            .wait()
            .map_err(|error| error.to_string())?
            .request;
        decision.reason = format!(
            "{}. Approval request {id}: a person approves it with `guardrail approvals approve {id}`; \
             once approved, run the identical command again and it runs once",
            decision.reason,
            id = request.id
        );
    }
    Ok(decision)
}

/// The decision in the agent's protocol, for the event `event`.
fn respond(agent: AgentName, event: &str, decision: &Decision, kind: ActionKind) -> Option<String> {
    let mut reason = format!("guardrail: {}: {} (rule {})", decision.verdict, decision.reason, decision.rule);
    // Agents send only text: say how to give the justification in it.
    if decision.verdict == Verdict::RequireJustification {
        reason.push_str(match kind {
            ActionKind::Sql => ". To go ahead, say why in the statement: /* justification: <why> */",
            _ => ". To go ahead, say why at the end of the command: # justification: <why>",
        });
    }
    let held = matches!(decision.verdict, Verdict::RequireApproval | Verdict::RequireJustification);
    let answer = match (agent, decision.verdict) {
        // After the edit there is nothing to allow or deny; it is recorded.
        (AgentName::Cursor, _) if event == "afterFileEdit" => return None,
        // Cursor's file reads take allow or deny, not ask.
        (AgentName::Cursor, Verdict::Allow) if event == "beforeReadFile" => json!({"permission": "allow"}),
        (AgentName::Cursor, _) if event == "beforeReadFile" => json!({"permission": "deny"}),
        // Claude Code and Codex: no output lets the command run through
        // the agent's own permission flow.
        (AgentName::ClaudeCode | AgentName::Codex, Verdict::Allow) => return None,
        // Codex cannot ask: its "ask" fails open, so a held command is denied.
        (AgentName::ClaudeCode | AgentName::Codex, _) => {
            let decision = if held && agent == AgentName::ClaudeCode { "ask" } else { "deny" };
            json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": decision,
                "permissionDecisionReason": reason,
            }})
        }
        (AgentName::Cursor, Verdict::Allow) => json!({"permission": "allow"}),
        (AgentName::Cursor, _) => json!({
            "permission": if held { "ask" } else { "deny" },
            "user_message": reason,
            "agent_message": reason,
        }),
        (AgentName::Gemini, Verdict::Allow) => json!({"decision": "allow"}),
        // Older Gemini CLI builds treat "ask" as allow: deny, and say why.
        (AgentName::Gemini, _) => json!({"decision": "deny", "reason": reason, "systemMessage": reason}),
    };
    Some(answer.to_string())
}

/// Where an agent keeps its hooks, for the user or for one project.
pub fn settings_path(agent: AgentName, project: Option<&Path>) -> Result<PathBuf, String> {
    let base = match project {
        Some(project) => project.to_path_buf(),
        None => PathBuf::from(std::env::var_os("HOME").ok_or("$HOME is not set; give --project DIR")?),
    };
    Ok(match agent {
        AgentName::ClaudeCode => base.join(".claude/settings.json"),
        AgentName::Codex => base.join(".codex/hooks.json"),
        AgentName::Cursor => base.join(".cursor/hooks.json"),
        AgentName::Gemini => base.join(".gemini/settings.json"),
    })
}

/// The hook entries for an agent: (event, matcher, entry).
fn entries(agent: AgentName, command: &str) -> Vec<(&'static str, Value)> {
    let claude = |event: &'static str, matcher: Option<&str>, timeout: u64| {
        let mut entry = json!({"hooks": [{"type": "command", "command": command, "timeout": timeout}]});
        if let Some(matcher) = matcher {
            entry["matcher"] = json!(matcher);
        }
        (event, entry)
    };
    match agent {
        // Every tool: files written and read and MCP tools are judged too.
        AgentName::ClaudeCode => vec![
            claude("PreToolUse", Some("*"), 30),
            claude("PostToolUse", Some("*"), 30),
            claude("UserPromptSubmit", None, 30),
        ],
        AgentName::Codex => vec![claude("PreToolUse", Some(".*"), 30), claude("PostToolUse", Some(".*"), 30)],
        AgentName::Cursor => vec![
            ("beforeShellExecution", json!({"command": command, "timeout": 30, "failClosed": true})),
            ("beforeMCPExecution", json!({"command": command, "timeout": 30, "failClosed": true})),
            ("beforeReadFile", json!({"command": command, "timeout": 30, "failClosed": true})),
            ("afterFileEdit", json!({"command": command, "timeout": 30})),
            ("afterShellExecution", json!({"command": command, "timeout": 30})),
            ("afterMCPExecution", json!({"command": command, "timeout": 30})),
            ("beforeSubmitPrompt", json!({"command": command, "timeout": 30})),
        ],
        AgentName::Gemini => {
            let gemini = |event: &'static str, matcher: Option<&str>| {
                let mut entry =
                    json!({"hooks": [{"name": "guardrail", "type": "command", "command": command, "timeout": 30000}]});
                if let Some(matcher) = matcher {
                    entry["matcher"] = json!(matcher);
                }
                (event, entry)
            };
            vec![gemini("BeforeTool", Some(".*")), gemini("AfterTool", Some(".*")), gemini("BeforeAgent", None)]
        }
    }
}

/// Adds guardrail's hooks to `settings`, keeping everything else, and
/// replacing entries an earlier install wrote. Returns whether it changed.
fn merge(agent: AgentName, settings: &mut Value, command: &str) -> Result<bool, String> {
    if !settings.is_object() {
        return Err("the settings file does not hold a JSON object".to_owned());
    }
    let before = settings.clone();
    if agent == AgentName::Cursor && settings.get("version").is_none() {
        settings["version"] = json!(1);
    }
    let hooks = settings.as_object_mut().expect("checked above").entry("hooks").or_insert_with(|| json!({}));
    let hooks = hooks.as_object_mut().ok_or("\"hooks\" in the settings file is not an object")?;
    for (event, entry) in entries(agent, command) {
        let list = hooks.entry(event).or_insert_with(|| json!([]));
        let list =
            list.as_array_mut().ok_or_else(|| format!("\"hooks.{event}\" in the settings file is not a list"))?;
        // Earlier installs are recognised by their command: `... hook AGENT`.
        let ours = format!("hook {}", agent_id(agent));
        list.retain(|existing| !existing.to_string().contains(&ours));
        list.push(entry);
    }
    Ok(*settings != before)
}

/// The binary hooks call: an installed `guardrail` rather than one in a
/// build directory, which the next `cargo build` or `cargo clean` changes
/// or removes under the agent.
fn hook_binary() -> Result<(PathBuf, Option<String>), Failure> {
    let exe = std::env::current_exe().map_err(Failure::io("finding the guardrail binary"))?;
    let built = |path: &Path| path.components().any(|part| part.as_os_str() == "target");
    if !built(&exe) {
        return Ok((exe, None));
    }
    let installed = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|dir| dir.join("guardrail")).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|candidate| candidate.is_file() && !built(candidate));
    Ok(match installed {
        Some(installed) => (installed, None),
        None => (
            exe.clone(),
            Some(format!(
                "guardrail: warning: {} is a build directory's binary, which the next build changes or removes; \
                 install guardrail (`cargo install --locked --path crates/guardrail-cli`) and install the hook again\n",
                exe.display()
            )),
        ),
    })
}

/// The hook's command line: the binary, the agent, and the settings given
/// to `install` (not those the configuration file gives: the hook reads
/// that file itself, so a change to it reaches every hook).
fn hook_command(exe: &Path, agent: AgentName, args: &HookArgs) -> Result<String, Failure> {
    use guardrail_shell::quote;
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let given = |name: &str| !crate::config::from_file(name);
    let mut command = format!("{} hook {}", quote(&exe.to_string_lossy()), agent_id(agent));
    if let Some(policy) = args.policy.as_deref().filter(|_| given("GUARDRAIL_POLICY")) {
        command.push_str(&format!(" --policy {}", quote(&absolute(policy).to_string_lossy())));
    }
    if let Some(dir) = args.store.data_dir.as_deref().filter(|_| given("GUARDRAIL_DATA_DIR")) {
        command.push_str(&format!(" --data-dir {}", quote(&absolute(dir).to_string_lossy())));
    }
    if let Some(store) = args.store.store.as_deref().filter(|_| given("GUARDRAIL_STORE")) {
        if guardrail_core::secret::redact(store, &[]) != store {
            return Err(Failure::Usage(
                "--store holds a password, which an agent's settings file would keep in clear: name the store in \
                 the configuration file (~/.config/guardrail/config.toml, readable only by you) instead"
                    .into(),
            ));
        }
        command.push_str(&format!(" --store {}", quote(store)));
    }
    if let Some(node) = args.store.node.as_deref().filter(|_| given("GUARDRAIL_NODE")) {
        command.push_str(&format!(" --node {}", quote(node)));
    }
    if !args.store.anchors.is_empty() && given("GUARDRAIL_ANCHORS") {
        if args.store.anchors.iter().any(|anchor| guardrail_core::secret::redact(anchor, &[]) != anchor.as_str()) {
            return Err(Failure::Usage(
                "--anchor holds a password, which an agent's settings file would keep in clear: name the anchors in \
                 the configuration file (~/.config/guardrail/config.toml, readable only by you) instead"
                    .into(),
            ));
        }
        command.push_str(&format!(" --anchor {}", quote(&args.store.anchors.join(","))));
    }
    if args.deadline != DEFAULT_DEADLINE_MS {
        command.push_str(&format!(" --deadline {}", args.deadline));
    }
    Ok(command)
}

/// `hook uninstall AGENT`: removes Guardrail's hooks from the settings,
/// keeping everything else.
fn uninstall(args: &HookArgs) -> Result<i32, Failure> {
    let agent =
        args.install_for.ok_or_else(|| Failure::Usage("name the agent: guardrail hook uninstall AGENT".into()))?;
    let path = settings_path(agent, args.project.as_deref()).map_err(Failure::Usage)?;
    let mut settings: Value = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => {
            return crate::print(&format!("guardrail: {} is empty\n", path.display()));
        }
        Ok(text) => serde_json::from_str(&text)
            .map_err(|error| Failure::Usage(format!("{}: not valid JSON: {error}", path.display())))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return crate::print(&format!("guardrail: {} does not exist: no hook to remove\n", path.display()));
        }
        Err(error) => return Err(Failure::Io(format!("{}: {error}", path.display()))),
    };
    let ours = format!("hook {}", agent_id(agent));
    let mut removed = 0;
    if let Some(hooks) = settings.get_mut("hooks").and_then(Value::as_object_mut) {
        for list in hooks.values_mut().filter_map(Value::as_array_mut) {
            let before = list.len();
            list.retain(|existing| !existing.to_string().contains(&ours));
            removed += before - list.len();
        }
        hooks.retain(|_, list| list.as_array().is_none_or(|list| !list.is_empty()));
    }
    let text = serde_json::to_string_pretty(&settings).expect("JSON values serialize") + "\n";
    if args.dry_run {
        return crate::print(&text);
    }
    write_settings(&path, &text)?;
    crate::print(&format!(
        "guardrail: removed {removed} hook entries for {} from {}\n",
        agent_id(agent),
        path.display()
    ))
}

/// Writes beside the settings file and renames, so an agent never reads
/// half a file.
fn write_settings(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| Failure::Io(format!("{}: {error}", parent.display())))?;
    }
    let temporary = path.with_extension("json.guardrail-tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|error| Failure::Io(format!("{}: {error}", path.display())))
}

fn install(args: &HookArgs) -> Result<i32, Failure> {
    let agent =
        args.install_for.ok_or_else(|| Failure::Usage("name the agent: guardrail hook install AGENT".into()))?;
    let (exe, warning) = hook_binary()?;
    if let Some(warning) = &warning {
        eprint!("{warning}");
    }
    let command = hook_command(&exe, agent, args)?;
    let path = settings_path(agent, args.project.as_deref()).map_err(Failure::Usage)?;
    let mut settings: Value = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => json!({}),
        Ok(text) => serde_json::from_str(&text)
            .map_err(|error| Failure::Usage(format!("{}: not valid JSON: {error}", path.display())))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(error) => return Err(Failure::Io(format!("{}: {error}", path.display()))),
    };
    merge(agent, &mut settings, &command)
        .map_err(|message| Failure::Usage(format!("{}: {message}", path.display())))?;
    let text = serde_json::to_string_pretty(&settings).expect("JSON values serialize") + "\n";
    if args.dry_run {
        return crate::print(&text);
    }
    write_settings(&path, &text)?;
    let mut message = format!("guardrail: {} now calls `{command}` ({})\n", agent_id(agent), path.display());
    if agent == AgentName::Codex {
        message
            .push_str("guardrail: Codex runs new hooks only once trusted: open /hooks in Codex and trust this one\n");
    }
    crate::print(&message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agent_event_is_read_from_its_own_fields() {
        let cases: &[(AgentName, Value, Event)] = &[
            (
                AgentName::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "cwd": "/w", "tool_input": {"command": "ls"}}),
                Event::Command { command: "ls".into(), cwd: Some("/w".into()) },
            ),
            (
                AgentName::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": {"file_path": "x"}}),
                Event::Tool { tool: "Edit".into(), input: json!({"file_path": "x"}), cwd: None },
            ),
            (
                AgentName::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "bash", "tool_input": {"command": "ls"}}),
                Event::Command { command: "ls".into(), cwd: None },
            ),
            (
                AgentName::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": ["rm", "-rf", "/"]}}),
                Event::Unreadable("Bash's command is not text".into()),
            ),
            (
                AgentName::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": null}}),
                Event::Unreadable("Bash's command is not text".into()),
            ),
            (
                AgentName::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_input": {"command": "ls"}}),
                Event::Unreadable("the event names no tool".into()),
            ),
            (
                AgentName::Cursor,
                json!({"hook_event_name": "beforeMCPExecution", "tool_name": "query", "tool_input": "{\"sql\": \"DROP TABLE t\"}", "workspace_roots": ["/w"]}),
                Event::Tool { tool: "query".into(), input: json!({"sql": "DROP TABLE t"}), cwd: Some("/w".into()) },
            ),
            (
                AgentName::Gemini,
                json!({"hook_event_name": "BeforeTool", "tool_name": "write_file", "cwd": "/w", "tool_input": {"file_path": "/etc/x", "content": "y"}}),
                Event::Tool {
                    tool: "write_file".into(),
                    input: json!({"file_path": "/etc/x", "content": "y"}),
                    cwd: Some("/w".into()),
                },
            ),
            (
                AgentName::ClaudeCode,
                json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": {"stdout": "a", "stderr": ""}}),
                Event::Output { command: "ls".into(), output: "a".into() },
            ),
            (
                AgentName::Codex,
                json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": "a\n"}),
                Event::Output { command: "ls".into(), output: "a\n".into() },
            ),
            (
                AgentName::Cursor,
                json!({"hook_event_name": "beforeShellExecution", "command": "rm -rf x", "cwd": "/w"}),
                Event::Command { command: "rm -rf x".into(), cwd: Some("/w".into()) },
            ),
            (
                AgentName::Cursor,
                json!({"hook_event_name": "beforeSubmitPrompt", "prompt": "hi"}),
                Event::Prompt("hi".into()),
            ),
            (
                AgentName::Gemini,
                json!({"hook_event_name": "BeforeTool", "tool_name": "run_shell_command", "cwd": "/w", "tool_input": {"command": "ls", "dir_path": "pkg"}}),
                Event::Command { command: "ls".into(), cwd: Some("/w/pkg".into()) },
            ),
            (
                AgentName::Gemini,
                json!({"hook_event_name": "AfterTool", "tool_name": "run_shell_command", "tool_input": {"command": "ls"}, "tool_response": {"llmContent": "Output: a"}}),
                Event::Output { command: "ls".into(), output: "Output: a".into() },
            ),
        ];
        for (agent, input, expected) in cases {
            assert_eq!(&event(*agent, input), expected, "{agent:?} {input}");
        }
    }

    #[test]
    fn install_keeps_other_settings_and_is_idempotent() {
        for agent in [AgentName::ClaudeCode, AgentName::Codex, AgentName::Cursor, AgentName::Gemini] {
            let mut settings = json!({"theme": "dark", "hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "other"}]}]}});
            assert!(merge(agent, &mut settings, "/bin/guardrail hook x").unwrap());
            let once = settings.clone();
            let command = format!("/bin/guardrail hook {}", agent_id(agent));
            merge(agent, &mut settings, &command).unwrap();
            let twice = settings.clone();
            merge(agent, &mut settings, &command).unwrap();
            assert_eq!(settings, twice, "{agent:?}: a second install changes nothing");
            assert_eq!(settings["theme"], "dark");
            assert_eq!(settings["hooks"]["PreToolUse"][0]["matcher"], "Edit", "{agent:?}: other hooks kept");
            assert!(once.to_string().contains("guardrail"));
            let text = settings.to_string();
            assert_eq!(
                text.matches(&command).count(),
                entries(agent, &command).len(),
                "{agent:?}: one entry per event"
            );
        }
    }
}
