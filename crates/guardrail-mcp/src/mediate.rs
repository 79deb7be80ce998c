//! What the proxy does with each message of one session, whatever carries
//! it (stdio lines or HTTP bodies and event streams): the client's
//! `tools/call` requests judged and recorded before the server sees them,
//! the server's answers masked, recorded and (listings) filtered on their
//! way back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use guardrail_audit::event::{SessionEvent, SessionPhase};
use guardrail_audit::{ContentDetails, ContentKind, Entry, Gate};
use guardrail_core::{Action, ActionKind, Actor, Decision, Verdict};
use serde_json::{Value, json};

/// How a session judges and records.
#[derive(Clone, Debug)]
pub struct McpSettings {
    /// The server's name, as tools are named in the record
    /// (`mcp__NAME__tool`).
    pub server: String,
    /// Who calls the tools.
    pub actor: Actor,
    /// The target recorded with each call (the machine, by default).
    pub target: String,
    /// The directory paths in arguments are scoped against.
    pub cwd: Option<String>,
    /// This session's id, recorded with each call (`mcp.session.id`).
    pub session: String,
    /// The longest message accepted from either side, in bytes.
    pub max_message: usize,
    /// The largest tool result passed to the client, in bytes: a larger
    /// one is replaced by a result marked `isError` saying so.
    pub max_result: usize,
    /// How long a call held for approval waits for a person's answer
    /// before the proxy answers with the request (zero: not at all).
    pub approval_hold: Duration,
    /// The console's address, for links to approval requests.
    pub console: Option<String>,
    /// What arguments are, by tool and argument name (`sql`, `shell`,
    /// `path`...: [`guardrail_tools::Reading`]), besides what their names
    /// and the tools' schemas say: configuration, which only adds.
    pub readings: HashMap<String, HashMap<String, String>>,
}

impl McpSettings {
    pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;
    pub const DEFAULT_MAX_RESULT: usize = 4 << 20;
    pub const DEFAULT_APPROVAL_HOLD: Duration = Duration::from_secs(30);

    /// Settings for `server` with the defaults: the machine as target, no
    /// session id yet, the default limits and hold.
    pub fn new(server: impl Into<String>, actor: Actor) -> McpSettings {
        McpSettings {
            server: server.into(),
            actor,
            target: guardrail_audit::data_dir::hostname(),
            cwd: None,
            session: String::new(),
            max_message: McpSettings::DEFAULT_MAX_MESSAGE,
            max_result: McpSettings::DEFAULT_MAX_RESULT,
            approval_hold: McpSettings::DEFAULT_APPROVAL_HOLD,
            console: None,
            readings: HashMap::new(),
        }
    }

    /// Adds what an argument is, `TOOL.ARGUMENT=READING` (`run.q=sql`):
    /// read as that too, besides what its name and schema say.
    pub fn add_reading(&mut self, spec: &str) -> Result<(), String> {
        let bad = || format!("{spec:?}: a reading is TOOL.ARGUMENT=KIND (run.q=sql)");
        let (place, kind) = spec.split_once('=').ok_or_else(bad)?;
        let (tool, argument) = place.split_once('.').ok_or_else(bad)?;
        if tool.is_empty() || argument.is_empty() {
            return Err(bad());
        }
        let reading: guardrail_tools::Reading = kind.trim().parse().map_err(|error| format!("{spec:?}: {error}"))?;
        self.readings.entry(tool.to_owned()).or_default().insert(argument.to_owned(), reading.to_string());
        Ok(())
    }

    fn channel(&self) -> String {
        format!("mcp:{}", self.server)
    }

    fn tool_name(&self, tool: &str) -> String {
        format!("mcp__{}__{tool}", self.server)
    }
}

/// How often a held call looks at its approval request.
const APPROVAL_POLL: Duration = Duration::from_millis(500);
/// How often a held call tells a client that asked for progress that it
/// still waits.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What to do with a client's message.
pub(crate) enum Relay {
    /// Forward it: as it came, or this text instead (the call without the
    /// `justification` argument the gate read, which the server does not
    /// take).
    Forward(Option<String>),
    /// Answer the client instead of forwarding.
    Answer(String),
    /// A call held for a person's approval: wait for it ([`Mediator::wait`]).
    Hold(Box<Held>),
}

/// A call waiting for a person's approval.
pub(crate) struct Held {
    id: Value,
    /// The call as the client sent it.
    message: Value,
    tool: String,
    action: Action,
    decision: Arc<Decision>,
    request: String,
    /// The client's progress token, when it asked for progress.
    progress: Option<Value>,
    /// What the client is told if no approval comes in time.
    refusal: String,
}

/// What is awaited from the server, by request id.
enum Awaited {
    Call(String),
    ToolList,
}

/// One session between a client and a server, as the gate sees it.
pub(crate) struct Mediator {
    gate: Gate,
    settings: McpSettings,
    /// By request id (as JSON text).
    awaited: Mutex<HashMap<String, Awaited>>,
    /// What the server's `tools/list` answers said of each tool.
    tools: Mutex<HashMap<String, ToolFacts>>,
    started: Mutex<bool>,
}

/// What a server says of one of its tools.
#[derive(Clone, Default)]
struct ToolFacts {
    /// Its `annotations`: they may make a judgement stricter, never looser.
    annotations: Option<Value>,
    /// Whether its input schema takes a `justification` of its own.
    takes_justification: bool,
    /// What its arguments are, as its input schema describes them.
    readings: serde_json::Map<String, Value>,
}

impl Mediator {
    pub(crate) fn new(gate: Gate, settings: McpSettings) -> Mediator {
        Mediator { gate, settings, awaited: Mutex::default(), tools: Mutex::default(), started: Mutex::new(false) }
    }

    /// Judges a client's message: a `tools/call` is decided (and recorded)
    /// before the server sees it.
    pub(crate) fn client_message(&self, message: &Value) -> Relay {
        let id = message.get("id");
        match message.get("method").and_then(Value::as_str) {
            Some("tools/call") => {}
            Some("tools/list") => {
                if let Some(id) = id {
                    self.await_answer(id, Awaited::ToolList);
                }
                return Relay::Forward(None);
            }
            Some("initialize") => {
                self.session(SessionPhase::Started, Some(describe_client(&message["params"])));
                return Relay::Forward(None);
            }
            Some("resources/read") => return self.resource_read(message),
            // A prompt's text is recorded, masked, on its way back.
            Some("prompts/get") => {
                if let (Some(id), Some(name)) = (id, message["params"]["name"].as_str()) {
                    self.await_answer(id, Awaited::Call(format!("prompt:{name}")));
                }
                return Relay::Forward(None);
            }
            _ => return Relay::Forward(None),
        }
        let id = id.cloned().unwrap_or(Value::Null);
        let params = &message["params"];
        let Some(tool) = params.get("name").and_then(Value::as_str) else {
            return Relay::Answer(error(&id, -32602, "guardrail: a tools/call names no tool"));
        };
        let action = self.call_action(tool, params.get("arguments").cloned().unwrap_or_else(|| json!({})), &id);
        let checked = match self.gate.check(&action) {
            Ok(checked) => checked,
            Err(problem) => {
                return Relay::Answer(refused(
                    &id,
                    &format!("guardrail: the call was not run: its decision could not be recorded ({problem})"),
                ));
            }
        };
        let decision = &checked.decision;
        match decision.verdict {
            Verdict::Allow => {
                self.await_answer(&id, Awaited::Call(tool.to_owned()));
                self.without_justification(message, tool)
            }
            Verdict::RequireApproval => {
                let request = self.gate.request_approval(&action, &checked).and_then(|ticket| {
                    ticket.wait().map_err(|error| match error {
                        guardrail_audit::ApprovalError::Record(error) => error,
                        other => guardrail_audit::RecordError::Failed(other.to_string()),
                    })
                });
                let held = ruling(decision);
                let ended = request.as_ref().ok().and_then(|changed| changed.request.ended(guardrail_audit::now()));
                match request {
                    // Denied while its request stands: said, not asked again.
                    Ok(changed) if let Some(ended) = ended => Relay::Answer(refused(
                        &id,
                        &format!(
                            "{held} Approval request {} was {ended}; do not make the identical call again.",
                            changed.request.id
                        ),
                    )),
                    Ok(changed) => {
                        let request = changed.request.id;
                        let refusal = format!(
                            "{held} Approval request {request}{}: a person approves it with `guardrail approvals \
                             approve {request}` (or in the console); once approved, make the identical call again \
                             and it runs once.",
                            self.link(&request)
                        );
                        if self.settings.approval_hold.is_zero() {
                            return Relay::Answer(refused(&id, &refusal));
                        }
                        Relay::Hold(Box::new(Held {
                            message: message.clone(),
                            progress: params.pointer("/_meta/progressToken").cloned(),
                            id,
                            tool: tool.to_owned(),
                            action,
                            decision: Arc::clone(decision),
                            request,
                            refusal,
                        }))
                    }
                    Err(problem) => {
                        Relay::Answer(refused(&id, &format!("{held} (no approval request could be opened: {problem})")))
                    }
                }
            }
            Verdict::RequireJustification => Relay::Answer(refused(
                &id,
                &format!("{}. Add a \"justification\" argument saying why, and call again.", ruling(decision)),
            )),
            Verdict::Deny => Relay::Answer(refused(&id, &ruling(decision))),
        }
    }

    /// A resource read, judged as the call `read_resource {"uri": URI}` (a
    /// `file://` URI is a read of that file): allowed, it goes on and its
    /// contents are masked and recorded on their way back; otherwise the
    /// client gets an error saying why (and, held, the approval request).
    fn resource_read(&self, message: &Value) -> Relay {
        let id = message.get("id").cloned().unwrap_or(Value::Null);
        let Some(uri) = message["params"]["uri"].as_str() else {
            return Relay::Answer(error(&id, -32602, "guardrail: a resources/read names no uri"));
        };
        let action = self.call_action("read_resource", json!({"uri": uri}), &id);
        let checked = match self.gate.check(&action) {
            Ok(checked) => checked,
            Err(problem) => {
                let why =
                    format!("guardrail: the resource was not read: its decision could not be recorded ({problem})");
                return Relay::Answer(error(&id, -32603, &why));
            }
        };
        let decision = &checked.decision;
        let why = match decision.verdict {
            Verdict::Allow => {
                self.await_answer(&id, Awaited::Call("read_resource".into()));
                return Relay::Forward(None);
            }
            Verdict::Deny | Verdict::RequireJustification => ruling(decision),
            Verdict::RequireApproval => {
                let request = self.gate.request_approval(&action, &checked).map(|ticket| ticket.wait());
                match request {
                    Ok(Ok(changed)) => format!(
                        "{} Approval request {}{}.",
                        ruling(decision),
                        changed.request.id,
                        self.link(&changed.request.id)
                    ),
                    _ => ruling(decision),
                }
            }
        };
        Relay::Answer(error(&id, -32001, &why))
    }

    /// The call as the server should see it: a `justification` argument
    /// is the gate's, unless the tool's schema takes one.
    fn without_justification(&self, message: &Value, tool: &str) -> Relay {
        let given = message.pointer("/params/arguments/justification").is_some();
        let its_own = self.facts(tool).takes_justification;
        if !given || its_own {
            return Relay::Forward(None);
        }
        let mut message = message.clone();
        if let Some(arguments) = message.pointer_mut("/params/arguments").and_then(Value::as_object_mut) {
            arguments.remove("justification");
        }
        Relay::Forward(Some(message.to_string()))
    }

    /// Waits up to the hold for a person to approve `held`, telling the
    /// client that it waits (`progress` sends a notification, if the client
    /// asked for them): approved, the approval is used and the call goes to
    /// the server; denied, cancelled, expired or not answered in time, the
    /// client is answered with the request.
    pub(crate) fn wait(&self, held: Box<Held>, progress: &mut dyn FnMut(String) -> bool) -> Relay {
        let start = Instant::now();
        let mut told = None::<Instant>;
        let mut go_on = || {
            let Some(token) = &held.progress else { return true };
            if told.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
                return true;
            }
            told = Some(Instant::now());
            let note = json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {
                "progressToken": token,
                "progress": start.elapsed().as_secs(),
                "total": self.settings.approval_hold.as_secs(),
                "message": format!("guardrail: waiting for a person to approve request {}{}", held.request, self.link(&held.request)),
            }});
            // False when the client went away.
            progress(note.to_string())
        };
        let until = start + self.settings.approval_hold;
        let awaited =
            self.gate.await_approval(&held.action, &held.decision, &held.request, until, APPROVAL_POLL, &mut go_on);
        if let Ok(guardrail_audit::Awaited::Approved(_)) = awaited {
            self.await_answer(&held.id, Awaited::Call(held.tool.clone()));
            return self.without_justification(&held.message, &held.tool);
        }
        Relay::Answer(refused(&held.id, &held.refusal))
    }

    /// A server's message on its way to the client: a call's result is
    /// masked and recorded; a tool listing loses the tools this actor may
    /// never call.
    pub(crate) fn server_message(&self, line: String) -> String {
        let Ok(mut message) = serde_json::from_str::<Value>(&line) else { return line };
        let Some(id) = message.get("id").map(Value::to_string) else { return line };
        if message.get("method").is_some() {
            return line; // a request of the server's own (sampling, roots)
        }
        let Some(awaited) = self.awaited.lock().ok().and_then(|mut awaited| awaited.remove(&id)) else { return line };
        match awaited {
            Awaited::ToolList => {
                if self.filter_listing(&mut message) {
                    message.to_string()
                } else {
                    line
                }
            }
            Awaited::Call(tool) => self.call_result(&tool, line, message),
        }
    }

    /// Answers every call still awaited with an error: the server is gone.
    pub(crate) fn server_gone(&self) -> Vec<String> {
        let owed: Vec<String> = self
            .awaited
            .lock()
            .map(|mut awaited| {
                awaited.drain().filter(|(_, what)| matches!(what, Awaited::Call(_))).map(|(id, _)| id).collect()
            })
            .unwrap_or_default();
        owed.into_iter()
            .map(|id| {
                let id: Value = serde_json::from_str(&id).unwrap_or(Value::Null);
                error(&id, -32603, "guardrail: the MCP server ended before answering this call")
            })
            .collect()
    }

    /// Whether `id` is a call the server owes an answer to.
    pub(crate) fn awaits_call(&self, id: &Value) -> bool {
        self.awaited.lock().is_ok_and(|awaited| matches!(awaited.get(&id.to_string()), Some(Awaited::Call(_))))
    }

    /// Records the end of the session (once it started).
    pub(crate) fn end(&self, how: &str) {
        self.session(SessionPhase::Ended, Some(how.to_owned()));
    }

    /// What the server said of `tool` (nothing, before it listed it).
    fn facts(&self, tool: &str) -> ToolFacts {
        self.tools.lock().ok().and_then(|known| known.get(tool).cloned()).unwrap_or_default()
    }

    fn await_answer(&self, id: &Value, what: Awaited) {
        if let Ok(mut awaited) = self.awaited.lock() {
            awaited.insert(id.to_string(), what);
        }
    }

    /// The action a call to `tool` with `arguments` is, as the gate judges it.
    fn call_action(&self, tool: &str, arguments: Value, id: &Value) -> Action {
        let mut call = json!({"tool": self.settings.tool_name(tool), "input": arguments});
        let ToolFacts { annotations, mut readings, .. } = self.facts(tool);
        if let Some(annotations) = annotations {
            call["annotations"] = annotations;
        }
        // What its arguments are, as its schema and the configuration say.
        if let Some(configured) = self.settings.readings.get(tool) {
            readings.extend(configured.iter().map(|(name, kind)| (name.clone(), Value::String(kind.clone()))));
        }
        if !readings.is_empty() {
            call["readings"] = Value::Object(readings);
        }
        let mut action = Action::new(ActionKind::Tool, call.to_string());
        action.actor = self.settings.actor.clone();
        action.channel = self.settings.channel();
        action.target = self.settings.target.clone();
        action.context.cwd = self.settings.cwd.clone();
        action.context.call = Some(id.to_string());
        action.context.session = Some(self.settings.session.clone());
        action
    }

    /// Remembers each listed tool's annotations, and removes the tools the
    /// policy denies this actor whatever the arguments (judged with none:
    /// arguments only ever add to what a call does). Whether it changed.
    fn filter_listing(&self, message: &mut Value) -> bool {
        let Some(tools) = message.pointer_mut("/result/tools").and_then(Value::as_array_mut) else { return false };
        if let Ok(mut known) = self.tools.lock() {
            for tool in tools.iter() {
                let Some(name) = tool["name"].as_str() else { continue };
                let readings = tool
                    .pointer("/inputSchema/properties")
                    .and_then(Value::as_object)
                    .map(|properties| {
                        properties
                            .iter()
                            .filter_map(|(argument, schema)| {
                                let reading = guardrail_tools::reading_of_schema(schema)?;
                                Some((argument.clone(), Value::String(reading.to_string())))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                // A listing without annotations keeps those said before:
                // they only ever make a call stricter.
                let annotations = tool
                    .get("annotations")
                    .cloned()
                    .or_else(|| known.get(name).and_then(|facts| facts.annotations.clone()));
                let facts = ToolFacts {
                    annotations,
                    takes_justification: tool.pointer("/inputSchema/properties/justification").is_some(),
                    readings,
                };
                known.insert(name.to_owned(), facts);
            }
        }
        let before = tools.len();
        tools.retain(|tool| {
            let Some(name) = tool["name"].as_str() else { return true };
            let action = self.call_action(name, json!({}), &Value::Null);
            let denied = self.gate.guard().check(&action).verdict == Verdict::Deny;
            if denied {
                tracing::debug!(tool = name, actor = %self.settings.actor.id, "not listed: the policy denies it");
            }
            !denied
        });
        tools.len() != before
    }

    fn call_result(&self, tool: &str, line: String, mut message: Value) -> String {
        let mut changed = false;
        if line.len() > self.settings.max_result && message.get("result").is_some() {
            let why = format!(
                "guardrail: {tool}'s result is {} bytes, more than the {} this proxy passes on; ask for less (a \
                 narrower query, a smaller file, a page of it)",
                line.len(),
                self.settings.max_result
            );
            message["result"] = json!({"content": [{"type": "text", "text": why}], "isError": true});
            changed = true;
        }
        if let Some(result) = message.get_mut("result") {
            changed |= mask(result);
        }
        let shown = message.get("result").or_else(|| message.get("error")).map(Value::to_string).unwrap_or_default();
        if let Some(recorder) = self.gate.recorder() {
            let details = ContentDetails {
                channel: self.settings.channel(),
                session: Some(self.settings.session.clone()),
                prompt: None,
                tool: Some(self.settings.tool_name(tool)),
            };
            let entry = Entry::content(ContentKind::ToolOutput, &self.settings.actor, details, &shown);
            if let Err(problem) = recorder.submit(entry) {
                tracing::error!(%problem, "a tool's result could not be recorded");
            }
        }
        if changed { message.to_string() } else { line }
    }

    /// Records the session's start (at `initialize`) or end (if it started).
    fn session(&self, phase: SessionPhase, detail: Option<String>) {
        let Ok(mut started) = self.started.lock() else { return };
        match phase {
            SessionPhase::Started if *started => return, // initialized again
            SessionPhase::Ended if !*started => return,
            _ => {}
        }
        *started = phase == SessionPhase::Started;
        let Some(recorder) = self.gate.recorder() else { return };
        let event = SessionEvent {
            phase,
            actor: (&self.settings.actor).into(),
            channel: self.settings.channel(),
            session: self.settings.session.clone(),
            target: self.settings.target.clone(),
            peer: None,
            tls: false,
            detail,
        };
        if let Err(problem) = recorder.submit(Entry::session(event)) {
            tracing::error!(%problem, "the MCP session's start or end could not be recorded");
        }
    }

    fn link(&self, request: &str) -> String {
        match &self.settings.console {
            Some(console) => format!(" ({}/console/approvals/{request})", console.trim_end_matches('/')),
            None => String::new(),
        }
    }
}

/// Why `decision` keeps an action from running, with its rule.
fn ruling(decision: &Decision) -> String {
    let (rule, reason) = (&decision.rule, &decision.reason);
    match decision.verdict {
        Verdict::Deny => format!("guardrail: denied by rule {rule}: {reason}"),
        Verdict::RequireJustification => format!("guardrail: needs a justification by rule {rule}: {reason}"),
        Verdict::RequireApproval => format!("guardrail: held for a person's approval by rule {rule}: {reason}."),
        Verdict::Allow => format!("guardrail: allowed by rule {rule}"),
    }
}

/// Who the client says it is, and the protocol it asks for.
fn describe_client(params: &Value) -> String {
    let text = |value: &Value| value.as_str().map(|text| text.chars().take(80).collect::<String>());
    format!(
        "client {} {}, protocol {}",
        text(&params["clientInfo"]["name"]).unwrap_or_else(|| "(unnamed)".into()),
        text(&params["clientInfo"]["version"]).unwrap_or_default(),
        text(&params["protocolVersion"]).unwrap_or_else(|| "(none)".into()),
    )
}

/// Masks secrets in every string of `value`, and whatever a field named
/// for a secret or for personal data holds (`password`, `ssn`, as in rows
/// a database tool returns, also when they come as JSON text); whether
/// anything was.
fn mask(value: &mut Value) -> bool {
    mask_at(value, 0)
}

fn mask_at(value: &mut Value, depth: usize) -> bool {
    const DEEPEST: usize = 32;
    if depth > DEEPEST {
        return false;
    }
    match value {
        Value::String(text) => {
            // Rows as JSON text (`[{"email": ..., "password_hash": ...}]`).
            let trimmed = text.trim_start();
            if (trimmed.starts_with('{') || trimmed.starts_with('['))
                && let Ok(mut inner) = serde_json::from_str::<Value>(text)
                && (inner.is_object() || inner.is_array())
            {
                if mask_at(&mut inner, depth + 1) {
                    *text = inner.to_string();
                    return true;
                }
                return false;
            }
            match guardrail_core::secret::redact(text, &[]) {
                std::borrow::Cow::Owned(masked) => {
                    *text = masked;
                    true
                }
                std::borrow::Cow::Borrowed(_) => false,
            }
        }
        Value::Array(items) => items.iter_mut().fold(false, |any, item| mask_at(item, depth + 1) | any),
        Value::Object(fields) => fields.iter_mut().fold(false, |any, (name, field)| {
            let whole = matches!(field, Value::String(_) | Value::Number(_))
                && guardrail_core::secret::names_sensitive_data(name)
                && field.as_str().is_none_or(|text| !text.is_empty() && text != MASKED);
            if whole {
                *field = Value::String(MASKED.into());
                return true;
            }
            mask_at(field, depth + 1) | any
        }),
        _ => false,
    }
}

/// What a masked value reads as.
const MASKED: &str = "****";

/// A tool result the model reads as a failed call, with why.
pub(crate) fn refused(id: &Value, text: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}], "isError": true}})
        .to_string()
}

pub(crate) fn error(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_of_a_result_is_masked() {
        let mut result = json!({"content": [{"type": "text", "text": "password=hunter2-secret-value"}], "structuredContent": {"token": "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"}});
        assert!(mask(&mut result));
        let text = result.to_string();
        assert!(
            !text.contains("hunter2-secret-value") && !text.contains("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"),
            "{text}"
        );
        assert!(!mask(&mut json!({"content": [{"type": "text", "text": "12 files"}]})));
    }

    #[test]
    fn fields_named_for_secrets_or_personal_data_are_masked_also_in_rows_as_text() {
        let rows = json!([{"id": 1, "email": "a@b.c", "password_hash": "$2b$12$abcdefghijklmnopqrstuv", "ssn": "078-05-1120", "card_number": 4111111111111111u64}]);
        let mut result =
            json!({"content": [{"type": "text", "text": rows.to_string()}], "structuredContent": {"rows": rows}});
        assert!(mask(&mut result));
        let text = result.to_string();
        for hidden in ["abcdefghijklmnopqrstuv", "078-05-1120", "4111111111111111"] {
            assert!(!text.contains(hidden), "{hidden}: {text}");
        }
        assert!(text.contains("a@b.c"), "other columns pass: {text}");
        let mut plain = json!({"content": [{"type": "text", "text": "[{\"id\": 1, \"token_count\": 5}]"}]});
        assert!(!mask(&mut plain), "{plain}");
    }

    #[test]
    fn clients_are_described_bounded() {
        let params =
            json!({"protocolVersion": "2025-11-25", "clientInfo": {"name": "x".repeat(500), "version": "1.2"}});
        let described = describe_client(&params);
        assert!(described.ends_with(" 1.2, protocol 2025-11-25") && described.len() < 120, "{described}");
        assert_eq!(describe_client(&json!({})), "client (unnamed) , protocol (none)");
    }
}
