//! Agents' hook protocols: what Claude Code, Codex, Cursor and Gemini CLI
//! send before and after a tool call, read as actions for the gate, and the
//! gate's decision written back in each agent's terms.
//!
//! Every agent lets a command run when its hook fails in any way other
//! than the one it defines as blocking, so every error here is returned to
//! the caller, which answers with the blocking status; nothing here answers
//! "allow" for what it could not judge. Two callers: `guardrail hook`, a
//! process per event, and `guardrail serve`'s hook socket, which answers
//! the same events for thin `guardrail hook` clients.

use guardrail_audit::event::Event as Recorded;
use guardrail_audit::{
    Awaited, ContentDetails, ContentKind, Entry, Gate, Location, OutcomeEvent, OutcomeStatus, Recorder,
};
use guardrail_core::{Action, ActionKind, Actor, ActorKind, Decision, Verdict};
use serde_json::{Value, json};

use std::time::{Duration, Instant};

use crate::DecisionPool;

/// The agents whose hook protocols the gate speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agent {
    ClaudeCode,
    Codex,
    Cursor,
    Gemini,
}

impl Agent {
    pub const ALL: [Agent; 4] = [Agent::ClaudeCode, Agent::Codex, Agent::Cursor, Agent::Gemini];

    /// The agent's name in commands and records (`claude-code`, ...).
    pub fn id(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
            Agent::Cursor => "cursor",
            Agent::Gemini => "gemini",
        }
    }

    pub fn from_id(id: &str) -> Option<Agent> {
        Agent::ALL.into_iter().find(|agent| agent.id() == id)
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

/// Reads one hook event in `agent`'s format. An event of a name the gate
/// does not know (or another agent's) that carries a tool call is
/// unreadable, so blocked and recorded: only events without one (a
/// notification, a session's start or stop) are let be.
fn event(agent: Agent, input: &Value) -> Event {
    let read = known_event(agent, input);
    let present = |field: &str| input.get(field).is_some_and(|value| !value.is_null());
    if read == Event::Other && (present("tool_name") || present("tool_input") || present("command")) {
        let name = input["hook_event_name"].as_str().unwrap_or("(none)");
        return Event::Unreadable(format!(
            "{} sent an event Guardrail does not know, {name:?}, with a tool call in it",
            agent.id()
        ));
    }
    read
}

fn known_event(agent: Agent, input: &Value) -> Event {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let name = input["hook_event_name"].as_str().unwrap_or("");
    let cwd = text(&input["cwd"]);
    match agent {
        Agent::ClaudeCode | Agent::Codex => {
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
        Agent::Cursor => match name {
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
        Agent::Gemini => {
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
fn session(agent: Agent, input: &Value) -> Option<String> {
    let field = if agent == Agent::Cursor { "conversation_id" } else { "session_id" };
    input[field].as_str().map(str::to_owned)
}

/// What answers hook events: a recording gate and, to find the decision
/// on a call that has finished, its record.
pub struct Hooks<'a> {
    pub gate: &'a Gate,
    /// Decides off the caller's thread within the pool's deadline (a
    /// daemon's); without one, the caller's thread decides (a hook process,
    /// whose watchdog bounds it).
    pub pool: Option<&'a DecisionPool>,
    /// The record the gate writes to.
    pub location: &'a Location,
    /// Told of each decision, how long it took in all, and how long its
    /// record took to be durable (a daemon's metrics).
    pub observe: Option<&'a Observer<'a>>,
    /// The console's address: a held action's answer links its request.
    pub console: Option<&'a str>,
    /// How long a held action waits for a person's approval before the
    /// agent is answered (zero: not at all). Approved meanwhile, the call
    /// is allowed, once; else the answer names the request.
    pub hold: Duration,
}

/// How often a held hook looks at its request.
const APPROVAL_POLL: Duration = Duration::from_millis(250);

/// The longest hold a hook may ask for: agents' hook timeouts are minutes
/// at most, and a hook that outlives its agent's timeout lets the call run.
pub const MAX_HOLD: Duration = Duration::from_secs(600);

/// What is told of each decision: the decision, how long it took in all,
/// and how long its record took.
pub type Observer<'a> = dyn Fn(&Decision, Duration, Duration) + Sync + 'a;

/// Whether `input` is an event the gate judges or records at all; the
/// others are let be, with nothing recorded and no gate needed.
pub fn needs_gate(agent: Agent, input: &Value) -> bool {
    event(agent, input) != Event::Other
}

impl Hooks<'_> {
    /// Answers one event, `raw` as the agent sent it and `input` its JSON:
    /// `None` is "no output" (the agent's plain allow); an error is the
    /// blocking answer, with why.
    pub fn answer(&self, agent: Agent, raw: &str, input: &Value) -> Result<Option<String>, String> {
        let event = event(agent, input);
        if event == Event::Other {
            return Ok(None);
        }
        let recorder = self.gate.recorder().ok_or("the gate does not record")?;
        let actor = Actor::new(agent.id(), ActorKind::Agent);
        let channel = format!("hook:{}", agent.id());
        let session = session(agent, input);
        let event_name = input["hook_event_name"].as_str().unwrap_or("").to_owned();
        // The agent's id for the tool call, in its event before and after it.
        let call = input["tool_use_id"].as_str().filter(|id| !id.is_empty()).map(str::to_owned);
        let judge = |mut action: Action, cwd: Option<String>| {
            action.context.call = call.clone();
            action.actor = actor.clone();
            action.channel = channel.clone();
            action.target = guardrail_audit::data_dir::hostname();
            action.context.cwd = cwd;
            action.context.session = session.clone();
            self.judge(action)
        };
        match event {
            Event::Command { command, cwd } => {
                let decision = judge(Action::new(ActionKind::Shell, command), cwd)?;
                Ok(respond(agent, &event_name, &decision, ActionKind::Shell))
            }
            Event::Tool { tool, input, cwd } => {
                let decision = judge(Action::new(ActionKind::Tool, guardrail_tools::call_text(&tool, &input)), cwd)?;
                Ok(respond(agent, &event_name, &decision, ActionKind::Tool))
            }
            // Recorded as it came (the gate judges it unknown), then blocked:
            // what cannot be read is never allowed.
            Event::Unreadable(why) => {
                judge(Action::new(ActionKind::Tool, raw.to_owned()), None)?;
                Err(format!("the hook event is not a tool call Guardrail can read: {why}"))
            }
            Event::Output { command, output } => {
                // The call ran: its decision's outcome, and who let it run
                // when the gate held it and the agent asked the person at
                // its prompt.
                let outcome = match &call {
                    Some(call) => self.outcome_of(recorder, agent, call, input),
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
    /// node's latest records: it ran (it failed when the agent says its
    /// tool did); a held decision that ran was let run by the person the
    /// agent asked.
    fn outcome_of(&self, recorder: &Recorder, agent: Agent, call: &str, input: &Value) -> Option<OutcomeEvent> {
        /// How far back a call's decision is looked for.
        const RECENT: usize = 500;
        let mut store = self.location.open_read_only().ok()?;
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
        // Only a call that needs a justification is answered "ask", and
        // only in Claude Code and Cursor (the person at the prompt lets it
        // run); the rest of what is not allowed is answered "deny".
        let asked = asks_the_person(agent, verdict);
        let refused = verdict != Verdict::Allow && !asked;
        Some(OutcomeEvent {
            decision: seq,
            status: if failed { OutcomeStatus::Failed } else { OutcomeStatus::Succeeded },
            approved_by: asked.then(|| format!("the person at {}'s permission prompt", agent.id())),
            // The agent ran a call the gate refused: the record says so.
            error: refused.then(|| format!("{} ran this call although the gate answered deny", agent.id())),
            ..OutcomeEvent::default()
        })
    }

    /// Judges one action through the gate; the decision is recorded before
    /// it is returned. A held action opens (or finds) its approval request.
    fn judge(&self, action: Action) -> Result<Decision, String> {
        let started = Instant::now();
        let (checked, recording) = match self.pool {
            None => (self.gate.check(&action), started),
            Some(pool) => {
                let action = Gate::as_judged(&action);
                let decision = pool.decide(action.as_ref().clone()).map_err(|error| error.to_string())?;
                let recording = Instant::now();
                (self.gate.check_decided(&action, decision), recording)
            }
        };
        let checked = checked.map_err(|error| error.to_string())?;
        if let Some(observe) = self.observe {
            observe(&checked.decision, started.elapsed(), recording.elapsed());
        }
        let mut decision = (*checked.decision).clone();
        // A held action waits for a person: say which request, and how it runs.
        if decision.verdict == Verdict::RequireApproval {
            let request = self
                .gate
                .request_approval(&action, &checked)
                .map_err(|error| error.to_string())?
                .wait()
                .map_err(|error| error.to_string())?
                .request;
            let mut ended = request.ended(guardrail_audit::now());
            if ended.is_none() && !self.hold.is_zero() {
                let until = Instant::now() + self.hold.min(MAX_HOLD);
                let held = &checked.decision;
                match self.gate.await_approval(&action, held, &request.id, until, APPROVAL_POLL, &mut || true) {
                    // Approved meanwhile: the decision to run it, recorded.
                    Ok(Awaited::Approved(ran)) => return Ok((*ran.decision).clone()),
                    Ok(Awaited::Ended(now)) => ended = now.ended(guardrail_audit::now()),
                    Ok(Awaited::Waiting) => {}
                    Err(error) => return Err(error.to_string()),
                }
            }
            let at = match self.console {
                Some(console) => format!("at {}/console/approvals/{} or ", console.trim_end_matches('/'), request.id),
                None => String::new(),
            };
            decision.reason = match ended {
                None => format!(
                    "{}. Approval request {id}: a person approves it {at}with `guardrail approvals approve {id}`; \
                     once approved, run the identical command again and it runs once",
                    decision.reason,
                    id = request.id
                ),
                // Ended without running: the agent should not send it again.
                Some(ended) => format!(
                    "{}. Approval request {}: {ended}; it did not run, and the identical call is refused while the \
                     request stands",
                    decision.reason, request.id
                ),
            };
        }
        Ok(decision)
    }
}

/// Whether the agent is answered "ask" (its user decides at its prompt):
/// only for a call that needs a justification, and only in Claude Code and
/// Cursor (Codex's "ask" fails open; Gemini CLI's older builds allow it). A
/// call held for approval is denied, naming its request: the person at the
/// prompt is most often whom the agent acts for, who may never approve it,
/// and an answer there would bind nothing to the request, its role or its
/// count of approvals.
fn asks_the_person(agent: Agent, verdict: Verdict) -> bool {
    verdict == Verdict::RequireJustification && matches!(agent, Agent::ClaudeCode | Agent::Cursor)
}

/// The decision in the agent's protocol, for the event `event`.
fn respond(agent: Agent, event: &str, decision: &Decision, kind: ActionKind) -> Option<String> {
    let mut reason = format!("guardrail: {}: {} (rule {})", decision.verdict, decision.reason, decision.rule);
    // Agents send only text: say how to give the justification in it.
    if decision.verdict == Verdict::RequireJustification {
        reason.push_str(match kind {
            ActionKind::Sql => ". To go ahead, say why in the statement: /* justification: <why> */",
            _ => ". To go ahead, say why at the end of the command: # justification: <why>",
        });
    }
    let ask = asks_the_person(agent, decision.verdict);
    let answer = match (agent, decision.verdict) {
        // After the edit there is nothing to allow or deny; it is recorded.
        (Agent::Cursor, _) if event == "afterFileEdit" => return None,
        // Cursor's file reads take allow or deny, not ask.
        (Agent::Cursor, Verdict::Allow) if event == "beforeReadFile" => json!({"permission": "allow"}),
        (Agent::Cursor, _) if event == "beforeReadFile" => json!({"permission": "deny"}),
        // Claude Code and Codex: no output lets the command run through
        // the agent's own permission flow.
        (Agent::ClaudeCode | Agent::Codex, Verdict::Allow) => return None,
        (Agent::ClaudeCode | Agent::Codex, _) => {
            let decision = if ask { "ask" } else { "deny" };
            json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": decision,
                "permissionDecisionReason": reason,
            }})
        }
        (Agent::Cursor, Verdict::Allow) => json!({"permission": "allow"}),
        (Agent::Cursor, _) => json!({
            "permission": if ask { "ask" } else { "deny" },
            "user_message": reason,
            "agent_message": reason,
        }),
        (Agent::Gemini, Verdict::Allow) => json!({"decision": "allow"}),
        // Older Gemini CLI builds treat "ask" as allow: deny, and say why.
        (Agent::Gemini, _) => json!({"decision": "deny", "reason": reason, "systemMessage": reason}),
    };
    Some(answer.to_string())
}

/// The hook socket of `guardrail serve`, in the data directory: while the
/// daemon runs, `guardrail hook` hands each event to it (one decision by a
/// process that is already running, one group-committed record) instead of
/// starting a gate and opening the record itself.
///
/// One request per connection, a JSON line each way:
/// `{"agent": "claude-code", "settings": "<digest>", "input": "<the event as sent>"}`,
/// answered by `{"output": "<for the agent>" | null}`, `{"block": "why"}`, or
/// `{"unserved": "why"}` when the daemon judges with other settings (another
/// policy, store or node) than the hook would: the hook then judges itself.
pub mod socket {
    use std::time::Duration;

    use serde_json::{Value, json};

    /// The socket's file name in the data directory.
    pub const FILE: &str = "hooks.sock";

    /// The most a request may hold: an agent's event with a tool's output.
    pub const MAX_REQUEST: usize = 16 << 20;

    /// What the daemon answers.
    #[derive(Debug, PartialEq, Eq)]
    pub enum Answer {
        /// What to print for the agent; `None`, nothing (its plain allow).
        Output(Option<String>),
        /// The blocking answer, and why.
        Block(String),
        /// The daemon does not judge with the hook's settings.
        Unserved(String),
    }

    /// The digest of what decides how an event is judged and where it is
    /// recorded: the policy (`None`, the built-in one; else its sources'
    /// validation key), the store, the node and the anchors. A hook is
    /// served only by a daemon whose settings have the same digest.
    pub fn settings(policy: Option<&str>, store: &str, node: &str, anchors: &[String]) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in [policy.unwrap_or("built-in"), store, node].into_iter().chain(anchors.iter().map(String::as_str)) {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    /// One event for the daemon: the agent, the hook's settings digest,
    /// the event as the agent sent it, and how long a held action may
    /// wait for approval.
    pub struct Request {
        pub agent: super::Agent,
        pub settings: String,
        pub input: String,
        pub hold: Duration,
    }

    impl Request {
        pub fn to_line(&self) -> String {
            let mut line = json!({
                "agent": self.agent.id(),
                "settings": self.settings,
                "input": self.input,
                "hold_ms": self.hold.as_millis() as u64,
            })
            .to_string();
            line.push('\n');
            line
        }

        /// Reads a request line; a hold longer than [`super::MAX_HOLD`] is
        /// cut to it.
        pub fn parse(line: &str) -> Result<Request, String> {
            let value: Value =
                serde_json::from_str(line).map_err(|error| format!("the request is not JSON: {error}"))?;
            let agent = value["agent"].as_str().and_then(super::Agent::from_id).ok_or("the request names no agent")?;
            let settings = value["settings"].as_str().ok_or("the request has no settings")?.to_owned();
            let input = value["input"].as_str().ok_or("the request has no input")?.to_owned();
            let hold = Duration::from_millis(value["hold_ms"].as_u64().unwrap_or(0)).min(super::MAX_HOLD);
            Ok(Request { agent, settings, input, hold })
        }
    }

    impl Answer {
        pub fn to_line(&self) -> String {
            let mut line = match self {
                Answer::Output(output) => json!({"output": output}),
                Answer::Block(why) => json!({"block": why}),
                Answer::Unserved(why) => json!({"unserved": why}),
            }
            .to_string();
            line.push('\n');
            line
        }

        pub fn parse(line: &str) -> Result<Answer, String> {
            let value: Value =
                serde_json::from_str(line).map_err(|error| format!("the answer is not JSON: {error}"))?;
            let text = |field: &str| value[field].as_str().map(str::to_owned);
            if let Some(why) = text("block") {
                Ok(Answer::Block(why))
            } else if let Some(why) = text("unserved") {
                Ok(Answer::Unserved(why))
            } else if value.get("output").is_some() {
                Ok(Answer::Output(text("output")))
            } else {
                Err("the answer says nothing".to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_lines_read_back_as_written() {
        for answer in [
            socket::Answer::Output(None),
            socket::Answer::Output(Some("{\"decision\": \"deny\"}\nline".into())),
            socket::Answer::Block("no".into()),
            socket::Answer::Unserved("other policy".into()),
        ] {
            let line = answer.to_line();
            assert_eq!(line.matches('\n').count(), 1, "one line: {line}");
            assert_eq!(socket::Answer::parse(&line).unwrap(), answer);
        }
        let request = socket::Request {
            agent: Agent::Cursor,
            settings: "abc".into(),
            input: "{\"a\":\n1}".into(),
            hold: Duration::from_secs(20),
        };
        let line = request.to_line();
        assert_eq!(line.matches('\n').count(), 1);
        let read = socket::Request::parse(&line).unwrap();
        assert_eq!(
            (read.agent, read.settings, read.input, read.hold),
            (Agent::Cursor, "abc".into(), request.input, request.hold)
        );
        assert!(socket::Request::parse(r#"{"agent": "vim", "settings": "", "input": ""}"#).is_err());
        // An older client sends no hold; a hold beyond the longest is cut to it.
        let line = r#"{"agent": "codex", "settings": "", "input": "", "hold_ms": 99999999}"#;
        assert_eq!(socket::Request::parse(line).unwrap().hold, MAX_HOLD);
        let line = r#"{"agent": "codex", "settings": "", "input": ""}"#;
        assert_eq!(socket::Request::parse(line).unwrap().hold, Duration::ZERO);
        assert!(socket::Answer::parse("{}").is_err());
        assert_ne!(socket::settings(None, "s", "n", &[]), socket::settings(Some("k"), "s", "n", &[]));
        assert_ne!(socket::settings(None, "ab", "c", &[]), socket::settings(None, "a", "bc", &[]));
    }

    #[test]
    fn each_agent_event_is_read_from_its_own_fields() {
        let cases: &[(Agent, Value, Event)] = &[
            (
                Agent::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "cwd": "/w", "tool_input": {"command": "ls"}}),
                Event::Command { command: "ls".into(), cwd: Some("/w".into()) },
            ),
            (
                Agent::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": {"file_path": "x"}}),
                Event::Tool { tool: "Edit".into(), input: json!({"file_path": "x"}), cwd: None },
            ),
            (
                Agent::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "bash", "tool_input": {"command": "ls"}}),
                Event::Command { command: "ls".into(), cwd: None },
            ),
            (
                Agent::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": ["rm", "-rf", "/"]}}),
                Event::Unreadable("Bash's command is not text".into()),
            ),
            (
                Agent::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": null}}),
                Event::Unreadable("Bash's command is not text".into()),
            ),
            (
                Agent::ClaudeCode,
                json!({"hook_event_name": "PreToolUse", "tool_input": {"command": "ls"}}),
                Event::Unreadable("the event names no tool".into()),
            ),
            (
                Agent::Cursor,
                json!({"hook_event_name": "beforeMCPExecution", "tool_name": "query", "tool_input": "{\"sql\": \"DROP TABLE t\"}", "workspace_roots": ["/w"]}),
                Event::Tool { tool: "query".into(), input: json!({"sql": "DROP TABLE t"}), cwd: Some("/w".into()) },
            ),
            (
                Agent::Gemini,
                json!({"hook_event_name": "BeforeTool", "tool_name": "write_file", "cwd": "/w", "tool_input": {"file_path": "/etc/x", "content": "y"}}),
                Event::Tool {
                    tool: "write_file".into(),
                    input: json!({"file_path": "/etc/x", "content": "y"}),
                    cwd: Some("/w".into()),
                },
            ),
            (
                Agent::ClaudeCode,
                json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": {"stdout": "a", "stderr": ""}}),
                Event::Output { command: "ls".into(), output: "a".into() },
            ),
            (
                Agent::Codex,
                json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": "a\n"}),
                Event::Output { command: "ls".into(), output: "a\n".into() },
            ),
            (
                Agent::Cursor,
                json!({"hook_event_name": "beforeShellExecution", "command": "rm -rf x", "cwd": "/w"}),
                Event::Command { command: "rm -rf x".into(), cwd: Some("/w".into()) },
            ),
            (
                Agent::Cursor,
                json!({"hook_event_name": "beforeSubmitPrompt", "prompt": "hi"}),
                Event::Prompt("hi".into()),
            ),
            // An event the gate does not know, with a tool call in it (a new
            // event name, another agent's event, none at all): blocked.
            (
                Agent::Cursor,
                json!({"hook_event_name": "somethingNew", "command": "rm -rf /srv"}),
                Event::Unreadable(
                    "cursor sent an event Guardrail does not know, \"somethingNew\", with a tool call in it".into(),
                ),
            ),
            (
                Agent::Cursor,
                json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}}),
                Event::Unreadable(
                    "cursor sent an event Guardrail does not know, \"PreToolUse\", with a tool call in it".into(),
                ),
            ),
            (
                Agent::ClaudeCode,
                json!({"tool_name": "Bash", "tool_input": {"command": "ls"}}),
                Event::Unreadable(
                    "claude-code sent an event Guardrail does not know, \"(none)\", with a tool call in it".into(),
                ),
            ),
            // Without one (a notification, a stop): let be.
            (Agent::ClaudeCode, json!({"hook_event_name": "Notification", "message": "waiting"}), Event::Other),
            (Agent::Cursor, json!({"hook_event_name": "stop", "status": "completed"}), Event::Other),
            (
                Agent::Gemini,
                json!({"hook_event_name": "BeforeTool", "tool_name": "run_shell_command", "cwd": "/w", "tool_input": {"command": "ls", "dir_path": "pkg"}}),
                Event::Command { command: "ls".into(), cwd: Some("/w/pkg".into()) },
            ),
            (
                Agent::Gemini,
                json!({"hook_event_name": "AfterTool", "tool_name": "run_shell_command", "tool_input": {"command": "ls"}, "tool_response": {"llmContent": "Output: a"}}),
                Event::Output { command: "ls".into(), output: "Output: a".into() },
            ),
        ];
        for (agent, input, expected) in cases {
            assert_eq!(&event(*agent, input), expected, "{agent:?} {input}");
        }
    }
}
