//! One stdio session: the client on one side, the server (a child process)
//! on the other.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use guardrail_audit::{ContentDetails, ContentKind, Entry, Gate};
use guardrail_core::{Action, ActionKind, Actor, Verdict};
use serde_json::{Value, json};

/// How a session judges and records.
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
}

impl McpSettings {
    pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;
    pub const DEFAULT_MAX_RESULT: usize = 4 << 20;
}

/// What the proxy keeps of a session: the requests in flight it reads the
/// answers of, and what the server said of its tools.
#[derive(Default)]
struct State {
    /// By request id (as JSON text): a call's tool, or a listing (`None`).
    pending: HashMap<String, Option<String>>,
    /// Each tool's `annotations`, from the server's `tools/list` answers:
    /// they may make a judgement stricter, never looser.
    annotations: HashMap<String, Value>,
}

type Shared = Arc<Mutex<State>>;

/// Starts `server` and relays between it and the client (`input`,
/// `output`) until either side ends; the server's exit status, or an error
/// when it could not be started.
pub fn run_stdio(
    gate: Arc<Gate>,
    settings: Arc<McpSettings>,
    mut server: Command,
    input: impl Read,
    output: impl Write + Send + 'static,
) -> std::io::Result<Option<i32>> {
    let mut child: Child = server.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
    let mut to_server = child.stdin.take().expect("piped");
    let from_server = child.stdout.take().expect("piped");
    let client: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(Box::new(output)));
    let shared: Shared = Arc::default();

    // Server to client: results masked and recorded; calls left unanswered
    // when the server ends are answered with an error.
    let back = {
        let (gate, settings, client, shared) =
            (Arc::clone(&gate), Arc::clone(&settings), Arc::clone(&client), Arc::clone(&shared));
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_server);
            while let Ok(Some(line)) = read_message(&mut reader, settings.max_message) {
                let line = from_server_message(&gate, &settings, &shared, line);
                if send(&client, &line).is_err() {
                    return;
                }
            }
            // The server is gone: nothing it owes will come.
            let owed: Vec<String> = shared
                .lock()
                .map(|mut state| state.pending.drain().filter(|(_, call)| call.is_some()).map(|(id, _)| id).collect())
                .unwrap_or_default();
            for id in owed {
                let id: Value = serde_json::from_str(&id).unwrap_or(Value::Null);
                let _ =
                    send(&client, &error(&id, -32603, "guardrail: the MCP server ended before answering this call"));
            }
        })
    };

    // Client to server: every tools/call judged first.
    let mut reader = BufReader::new(input);
    loop {
        let line = match read_message(&mut reader, settings.max_message) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(why) => {
                let _ = send(&client, &error(&Value::Null, -32700, &format!("guardrail: {why}; this session ends")));
                break;
            }
        };
        let message: Value = match serde_json::from_str(&line) {
            Ok(message) => message,
            Err(problem) => {
                let why = format!("guardrail: the message is not JSON ({problem}); this session ends");
                let _ = send(&client, &error(&Value::Null, -32700, &why));
                break;
            }
        };
        match to_server_message(&gate, &settings, &shared, &message) {
            Forward => {
                if to_server
                    .write_all(line.as_bytes())
                    .and_then(|()| to_server.write_all(b"\n"))
                    .and_then(|()| to_server.flush())
                    .is_err()
                {
                    // The server is gone; the other thread answers what is owed.
                    if let Some(id) = message.get("id") {
                        let _ = send(&client, &error(id, -32603, "guardrail: the MCP server is not running"));
                    }
                    break;
                }
            }
            Answer(answer) => {
                if send(&client, &answer).is_err() {
                    break;
                }
            }
        }
    }
    // The client is done: the server's input closes, and it should end.
    drop(to_server);
    let status = wait_or_kill(&mut child);
    let _ = back.join();
    Ok(status)
}

use Relay::{Answer, Forward};

/// What to do with a client's message.
enum Relay {
    Forward,
    /// Answer the client instead of forwarding.
    Answer(String),
}

/// Judges a client's message: a `tools/call` is decided (and recorded)
/// before the server sees it.
fn to_server_message(gate: &Gate, settings: &McpSettings, shared: &Shared, message: &Value) -> Relay {
    match message.get("method").and_then(Value::as_str) {
        Some("tools/call") => {}
        Some("tools/list") => {
            if let (Some(id), Ok(mut state)) = (message.get("id"), shared.lock()) {
                state.pending.insert(id.to_string(), None);
            }
            return Forward;
        }
        _ => return Forward,
    }
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let params = &message["params"];
    let Some(tool) = params.get("name").and_then(Value::as_str) else {
        return Answer(error(&id, -32602, "guardrail: a tools/call names no tool"));
    };
    let arguments = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
    let mut call = json!({"tool": format!("mcp__{}__{tool}", settings.server), "input": arguments});
    if let Some(annotations) = shared.lock().ok().and_then(|state| state.annotations.get(tool).cloned()) {
        call["annotations"] = annotations;
    }
    let mut action = Action::new(ActionKind::Tool, call.to_string());
    action.actor = settings.actor.clone();
    action.channel = format!("mcp:{}", settings.server);
    action.target = settings.target.clone();
    action.context.cwd = settings.cwd.clone();
    action.context.call = Some(id.to_string());
    action.context.session = Some(settings.session.clone());
    let checked = match gate.check(&action) {
        Ok(checked) => checked,
        Err(problem) => {
            return Answer(refused(
                &id,
                &format!("guardrail: the call was not run: its decision could not be recorded ({problem})"),
            ));
        }
    };
    let decision = &checked.decision;
    match decision.verdict {
        Verdict::Allow => {
            if let Ok(mut state) = shared.lock() {
                state.pending.insert(id.to_string(), Some(tool.to_owned()));
            }
            Forward
        }
        Verdict::RequireApproval => {
            let request = gate.request_approval(&action, &checked).and_then(|ticket| {
                ticket.wait().map_err(|error| match error {
                    guardrail_audit::ApprovalError::Record(error) => error,
                    other => guardrail_audit::RecordError::Failed(other.to_string()),
                })
            });
            let how = match request {
                Ok(changed) => format!(
                    " Approval request {id}: a person approves it with `guardrail approvals approve {id}` (or in the console); once approved, make the identical call again and it runs once.",
                    id = changed.request.id
                ),
                Err(problem) => format!(" (no approval request could be opened: {problem})"),
            };
            Answer(refused(
                &id,
                &format!(
                    "guardrail: held for a person's approval by rule {}: {}.{how}",
                    decision.rule, decision.reason
                ),
            ))
        }
        Verdict::RequireJustification => Answer(refused(
            &id,
            &format!(
                "guardrail: needs a justification by rule {}: {}. Add a \"justification\" argument saying why, and call again.",
                decision.rule, decision.reason
            ),
        )),
        Verdict::Deny => {
            Answer(refused(&id, &format!("guardrail: denied by rule {}: {}", decision.rule, decision.reason)))
        }
    }
}

/// A server's message on its way to the client: a call's result is masked
/// and recorded.
fn from_server_message(gate: &Gate, settings: &McpSettings, shared: &Shared, line: String) -> String {
    let Ok(mut message) = serde_json::from_str::<Value>(&line) else { return line };
    let Some(id) = message.get("id").map(Value::to_string) else { return line };
    if message.get("method").is_some() {
        return line; // a request of the server's own (sampling, roots)
    }
    let Some(waited) = shared.lock().ok().and_then(|mut state| state.pending.remove(&id)) else { return line };
    let Some(tool) = waited else {
        // A listing: remember what the server says of each tool.
        if let (Some(tools), Ok(mut state)) = (message["result"]["tools"].as_array(), shared.lock()) {
            for tool in tools {
                if let (Some(name), Some(annotations)) = (tool["name"].as_str(), tool.get("annotations")) {
                    state.annotations.insert(name.to_owned(), annotations.clone());
                }
            }
        }
        return line;
    };
    let mut masked = false;
    if line.len() > settings.max_result && message.get("result").is_some() {
        let why = format!(
            "guardrail: {tool}'s result is {} bytes, more than the {} this proxy passes on; ask for less (a narrower \
             query, a smaller file, a page of it)",
            line.len(),
            settings.max_result
        );
        message["result"] = json!({"content": [{"type": "text", "text": why}], "isError": true});
        masked = true;
    }
    if let Some(result) = message.get_mut("result") {
        masked |= mask(result);
    }
    let shown = message.get("result").or_else(|| message.get("error")).map(Value::to_string).unwrap_or_default();
    if let Some(recorder) = gate.recorder() {
        let details = ContentDetails {
            channel: format!("mcp:{}", settings.server),
            session: Some(settings.session.clone()),
            prompt: None,
            tool: Some(format!("mcp__{}__{tool}", settings.server)),
        };
        if let Err(problem) = recorder.submit(Entry::content(ContentKind::ToolOutput, &settings.actor, details, &shown))
        {
            tracing::error!(%problem, "a tool's result could not be recorded");
        }
    }
    if masked { message.to_string() } else { line }
}

/// Masks secrets in every string of `value`; whether any was.
fn mask(value: &mut Value) -> bool {
    match value {
        Value::String(text) => match guardrail_core::secret::redact(text, &[]) {
            std::borrow::Cow::Owned(masked) => {
                *text = masked;
                true
            }
            std::borrow::Cow::Borrowed(_) => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |any, item| mask(item) | any),
        Value::Object(fields) => fields.values_mut().fold(false, |any, field| mask(field) | any),
        _ => false,
    }
}

/// A tool result the model reads as a failed call, with why.
fn refused(id: &Value, text: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}], "isError": true}})
        .to_string()
}

fn error(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

fn send(client: &Mutex<Box<dyn Write + Send>>, line: &str) -> std::io::Result<()> {
    let mut client = client.lock().map_err(|_| std::io::Error::other("poisoned"))?;
    client.write_all(line.as_bytes())?;
    client.write_all(b"\n")?;
    client.flush()
}

/// One newline-delimited message, without its newline; `None` at the end.
fn read_message(reader: &mut impl BufRead, limit: usize) -> Result<Option<String>, String> {
    let mut line = Vec::new();
    loop {
        let taken = reader
            .by_ref()
            .take((limit + 1 - line.len().min(limit)) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|error| error.to_string())?;
        if taken == 0 {
            return if line.iter().all(u8::is_ascii_whitespace) {
                Ok(None)
            } else {
                Err("the stream ended inside a message".into())
            };
        }
        if line.len() > limit {
            return Err(format!("a message is longer than {limit} bytes"));
        }
        if line.ends_with(b"\n") {
            while line.last().is_some_and(|byte| *byte == b'\n' || *byte == b'\r') {
                line.pop();
            }
            if line.is_empty() {
                continue;
            }
            return String::from_utf8(line).map(Some).map_err(|_| "a message is not UTF-8".into());
        }
    }
}

/// Waits a little for the server to end once its input closed, then kills it.
fn wait_or_kill(child: &mut Child) -> Option<i32> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while std::time::Instant::now() < until {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait().ok().and_then(|status| status.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_whole_bounded_and_one_per_line() {
        let mut reader = BufReader::new(&b"{\"a\":1}\n\n{\"b\":2}\r\n"[..]);
        assert_eq!(read_message(&mut reader, 100).unwrap().as_deref(), Some("{\"a\":1}"));
        assert_eq!(read_message(&mut reader, 100).unwrap().as_deref(), Some("{\"b\":2}"));
        assert_eq!(read_message(&mut reader, 100).unwrap(), None);
        let long = format!("{}\n", "x".repeat(50));
        assert!(read_message(&mut BufReader::new(long.as_bytes()), 10).unwrap_err().contains("longer than 10"));
        assert!(read_message(&mut BufReader::new(&b"{\"cut"[..]), 100).is_err());
    }

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
}
