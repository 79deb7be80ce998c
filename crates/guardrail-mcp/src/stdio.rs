//! The stdio transport: the client on our standard input and output, the
//! server a child process; newline-delimited JSON-RPC both ways.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};

use guardrail_audit::Gate;
use serde_json::Value;

use crate::mediate::{McpSettings, Mediator, Relay, error};

type Client = Arc<Mutex<Box<dyn Write + Send>>>;
type Server = Arc<Mutex<ChildStdin>>;

/// Starts `server` and relays between it and the client (`input`,
/// `output`) until either side ends; the server's exit status, or an error
/// when it could not be started.
pub fn run_stdio(
    gate: Gate,
    settings: McpSettings,
    mut server: Command,
    input: impl Read,
    output: impl Write + Send + 'static,
) -> std::io::Result<Option<i32>> {
    let mut child: Child = server.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
    let to_server: Server = Arc::new(Mutex::new(child.stdin.take().expect("piped")));
    let from_server = child.stdout.take().expect("piped");
    let client: Client = Arc::new(Mutex::new(Box::new(output)));
    let max_message = settings.max_message;
    let mediator = Arc::new(Mediator::new(gate, settings));

    // Server to client: results masked and recorded; calls left unanswered
    // when the server ends are answered with an error.
    let back = {
        let (mediator, client) = (Arc::clone(&mediator), Arc::clone(&client));
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_server);
            while let Ok(Some(line)) = read_message(&mut reader, max_message) {
                if send(&client, &mediator.server_message(line)).is_err() {
                    return;
                }
            }
            // The server is gone: nothing it owes will come.
            for answer in mediator.server_gone() {
                let _ = send(&client, &answer);
            }
        })
    };

    // Client to server: every tools/call judged first.
    let mut reader = BufReader::new(input);
    let how = loop {
        let line = match read_message(&mut reader, max_message) {
            Ok(Some(line)) => line,
            Ok(None) => break "the client closed the session".to_owned(),
            Err(why) => {
                let _ = send(&client, &error(&Value::Null, -32700, &format!("guardrail: {why}; this session ends")));
                break format!("ended by the proxy: {why}");
            }
        };
        let message: Value = match serde_json::from_str(&line) {
            Ok(message) => message,
            Err(problem) => {
                let why = format!("the message is not JSON ({problem})");
                let _ = send(&client, &error(&Value::Null, -32700, &format!("guardrail: {why}; this session ends")));
                break format!("ended by the proxy: {why}");
            }
        };
        match mediator.client_message(&message) {
            Relay::Forward(changed) => {
                if forward(&to_server, &client, &message, changed.as_deref().unwrap_or(&line)).is_err() {
                    break "the MCP server is not running".to_owned();
                }
            }
            Relay::Answer(answer) => {
                if send(&client, &answer).is_err() {
                    break "the client went away".to_owned();
                }
            }
            // Waits beside the session, which goes on meanwhile.
            Relay::Hold(held) => {
                let (mediator, client, to_server) =
                    (Arc::clone(&mediator), Arc::clone(&client), Arc::clone(&to_server));
                std::thread::spawn(move || {
                    let relay = mediator.wait(held, &mut |note| send(&client, &note).is_ok());
                    match relay {
                        Relay::Forward(changed) => {
                            let _ = forward(&to_server, &client, &message, changed.as_deref().unwrap_or(&line));
                        }
                        Relay::Answer(answer) => {
                            let _ = send(&client, &answer);
                        }
                        Relay::Hold(_) => unreachable!("a wait ends"),
                    }
                });
            }
        }
    };
    mediator.end(&how);
    // The client is done: the server's input closes, and it should end.
    drop(to_server);
    let status = wait_or_kill(&mut child);
    let _ = back.join();
    Ok(status)
}

/// Sends the client's message on to the server; a server that is gone is
/// answered for (a request gets an error).
fn forward(to_server: &Server, client: &Client, message: &Value, line: &str) -> std::io::Result<()> {
    let written = to_server.lock().map_err(|_| std::io::Error::other("poisoned")).and_then(|mut server| {
        server.write_all(line.as_bytes())?;
        server.write_all(b"\n")?;
        server.flush()
    });
    if written.is_err()
        && let Some(id) = message.get("id")
    {
        let _ = send(client, &error(id, -32603, "guardrail: the MCP server is not running"));
    }
    written
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
}
