//! `guardrail mcp` between a real MCP client (the official Python SDK) and
//! real MCP servers from npm (scripts/bootstrap installs both in
//! tests/mcp/): allowed calls work unchanged, destructive ones are refused
//! with a result the model can read, secrets in results are masked, every
//! call is in the record; a malformed message and a server that dies fail
//! closed.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp")
}

/// Runs the Python SDK client on `plan` through `guardrail mcp` with its
/// data directory in `data`; its answer.
fn client(data: &Path, server: &[&str], calls: Value) -> Value {
    let mut args = vec!["mcp", "--name", "files", "--actor", "agent-7", "--"];
    args.extend_from_slice(server);
    let plan = json!({
        "command": env!("CARGO_BIN_EXE_guardrail"),
        "args": args,
        "env": {"GUARDRAIL_DATA_DIR": data, "GUARDRAIL_NODE": "test-node", "GUARDRAIL_CONFIG": "/dev/null"},
        "calls": calls,
    });
    let python = fixtures().join(".venv/bin/python");
    let mut child = std::process::Command::new(&python)
        .arg(fixtures().join("client.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{} must run (scripts/bootstrap installs it): {error}", python.display()));
    child.stdin.take().unwrap().write_all(plan.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap()
}

/// The record in `data`, as `audit list --json` prints it, and each record.
fn record(data: &Path) -> (String, Vec<Value>) {
    let mut list = common::in_data_dir(data);
    list.args(["audit", "list", "--json", "--limit", "0"]);
    let run = common::run(list, b"");
    assert_eq!(run.status, 0, "{run:?}");
    let records = run.stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    (run.stdout, records)
}

fn filesystem() -> String {
    fixtures().join("node_modules/.bin/mcp-server-filesystem").to_string_lossy().into_owned()
}

#[test]
fn tool_calls_to_a_filesystem_server_are_judged_by_their_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("a.txt"), "hello\n").unwrap();
    let data = dir.path().join("data");
    let inside = |name: &str| files.join(name).to_string_lossy().into_owned();
    // (tool, arguments, refused, what the text says)
    let cases: Vec<(&str, Value, bool, String)> = vec![
        ("read_text_file", json!({"path": inside("a.txt")}), false, "hello".into()),
        ("write_file", json!({"path": "/etc/passwd", "content": "x"}), true, "denied by rule".into()),
        ("write_file", json!({"path": "/home/dev/.bashrc", "content": "curl x | sh"}), true, "guardrail:".into()),
        (
            "write_file",
            json!({"path": inside("b.txt"), "content": "password=hunter2-secret-value\n"}),
            false,
            "Successfully wrote".into(),
        ),
        ("read_text_file", json!({"path": inside("b.txt")}), false, "password=****".into()),
        (
            "move_file",
            json!({"source": inside("a.txt"), "destination": inside("c.txt")}),
            false,
            "Successfully moved".into(),
        ),
    ];
    let calls: Vec<Value> =
        cases.iter().map(|(tool, arguments, ..)| json!({"tool": tool, "arguments": arguments})).collect();
    let answer = client(&data, &[&filesystem(), files.to_str().unwrap()], Value::Array(calls));
    assert!(answer["tools"].as_array().unwrap().iter().any(|tool| tool == "write_file"), "{answer}");
    let results = answer["results"].as_array().unwrap();
    for ((tool, arguments, refused, says), result) in cases.iter().zip(results) {
        assert_eq!(result["is_error"], json!(refused), "{tool} {arguments}: {result}");
        assert!(result["text"].as_str().unwrap().contains(says.as_str()), "{tool} {arguments}: {result}");
    }
    assert!(!files.join("../etc/passwd").exists());
    assert!(!answer.to_string().contains("hunter2-secret-value"), "the secret is masked on its way back");

    // The record: each call's decision, and each result, masked.
    let (listed, records) = record(&data);
    let decisions: Vec<&Value> = records.iter().filter(|record| record["kind"] == "decision").collect();
    assert_eq!(decisions.len(), cases.len(), "{listed}");
    assert!(
        decisions.iter().all(|decision| decision["channel"] == "mcp:files" && decision["actor"]["id"] == "agent-7")
    );
    assert_eq!(decisions[1]["verdict"], "deny");
    assert!(records.iter().any(|record| record["kind"] == "tool_output"), "{listed}");
    assert!(!listed.contains("hunter2-secret-value"), "{listed}");
    let session = decisions[0]["session"].as_str().expect("each call carries the MCP session's id");
    assert!(decisions.iter().all(|decision| decision["session"] == session));

    // Exported with OpenTelemetry's MCP and GenAI attributes.
    let mut export = common::in_data_dir(&data);
    export.args(["audit", "export", "--format", "ocsf"]);
    let run = common::run(export, b"");
    let calls: Vec<Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["unmapped"].clone())
        .filter(|unmapped| unmapped["mcp.method.name"] == "tools/call")
        .collect();
    assert_eq!(calls.len(), cases.len(), "{}", run.stdout);
    assert_eq!(calls[1]["gen_ai.tool.name"], "write_file");
    assert_eq!(calls[1]["gen_ai.tool.call.arguments"]["path"], "/etc/passwd");
    assert_eq!(calls[1]["mcp.session.id"], session);
    assert!(!run.stdout.contains("hunter2-secret-value"), "{}", run.stdout);
}

/// A stand-in server (a shell loop) that answers `tools/list` with
/// `listing` and echoes any other message: what comes back unchanged
/// reached it.
fn listing_server(listing: &str) -> String {
    format!("while read -r line; do case \"$line\" in *tools/list*) echo '{listing}';; *) echo \"$line\";; esac; done")
}

/// The proxy in front of a stand-in server (a shell loop), spoken to
/// directly: what a client sends, what it gets.
struct Raw {
    child: std::process::Child,
    lines: BufReader<std::process::ChildStdout>,
}

impl Raw {
    fn start(data: &Path, server: &str) -> Raw {
        Raw::with(data, server, &["--hold", "0"])
    }

    /// The proxy, holding calls that need approval up to `hold` seconds.
    fn holding(data: &Path, server: &str, hold: u64) -> Raw {
        Raw::with(data, server, &["--hold", &hold.to_string()])
    }

    /// The proxy with `options` (besides `--name stub`).
    fn with(data: &Path, server: &str, options: &[&str]) -> Raw {
        let mut command = common::in_data_dir(data);
        command.args(["mcp", "--name", "stub"]).args(options).args(["--", "sh", "-c", server]);
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap());
        Raw { child, lines }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Ends the session: the proxy's input closes, and it ends.
    fn close(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }

    fn answer(&mut self) -> Value {
        let mut line = String::new();
        self.lines.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line:?}"))
    }
}

#[test]
fn a_malformed_message_ends_the_session_and_a_dead_server_fails_its_calls() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A server that echoes whatever it gets: what reaches it passed the gate.
    let mut raw = Raw::start(&data, "while read -r line; do echo \"$line\"; done");
    raw.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    assert_eq!(raw.answer()["method"], "tools/list", "other methods pass through unchanged");
    raw.send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"query","arguments":{"sql":"DROP TABLE users"}}}"#);
    let refused = raw.answer();
    assert_eq!((refused["id"].clone(), refused["result"]["isError"].clone()), (json!(2), json!(true)), "{refused}");
    assert!(refused["result"]["content"][0]["text"].as_str().unwrap().contains("rule"), "{refused}");
    raw.send("{not json");
    let error = raw.answer();
    assert_eq!(error["error"]["code"], -32700, "{error}");
    assert!(raw.child.wait().unwrap().code().is_some(), "the session ended");

    // A server that dies on the first call it gets: the call is answered
    // with an error, not left hanging, and nothing claims it ran.
    let mut raw = Raw::start(&data, "read -r line; exit 3");
    raw.send(r#"{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"list_tables","arguments":{}}}"#);
    let failed = raw.answer();
    assert_eq!(failed["id"], "c1", "{failed}");
    assert_eq!(failed["error"]["code"], -32603, "{failed}");
    let _ = raw.child.wait();
}

#[test]
fn a_tool_the_server_declares_destructive_is_held_when_its_arguments_say_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A server that lists two tools (one declared destructive) and echoes
    // any other message: what comes back unchanged reached it.
    let listing = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"rollout","inputSchema":{"type":"object"},"annotations":{"destructiveHint":true}},{"name":"status","inputSchema":{"type":"object"},"annotations":{"readOnlyHint":true}}]}}"#;
    let server = listing_server(listing);
    let mut raw = Raw::start(&data, &server);
    raw.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    assert_eq!(raw.answer()["result"]["tools"][0]["name"], "rollout");
    raw.send(
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"rollout","arguments":{"service":"web"}}}"#,
    );
    let held = raw.answer();
    assert_eq!(held["result"]["isError"], true, "{held}");
    let text = held["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("approval") && text.contains("apr-"), "{text}");
    raw.send(
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"status","arguments":{"service":"web"}}}"#,
    );
    let passed = raw.answer();
    assert_eq!(passed["method"], "tools/call", "the read-only tool reached the server: {passed}");
    raw.close();
}

/// The reference PostgreSQL server against the real database: reads run
/// unchanged, `DROP TABLE` is refused before the server sees it, and so is
/// the escape from its read-only transaction (`COMMIT; DROP ...`).
#[test]
fn sql_through_the_postgres_servers_query_tool_is_judged_as_sql() {
    let database = guardrail_testdb::TestDatabase::new("cli_mcp_postgres");
    let mut setup = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    setup
        .batch_execute("CREATE TABLE users (id int, email text); INSERT INTO users VALUES (1, 'a@example.com')")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = fixtures().join("node_modules/.bin/mcp-server-postgres").to_string_lossy().into_owned();
    let calls = json!([
        {"tool": "query", "arguments": {"sql": "SELECT count(*) AS n FROM users"}},
        {"tool": "query", "arguments": {"sql": "DROP TABLE users"}},
        {"tool": "query", "arguments": {"sql": "COMMIT; DROP TABLE users"}},
    ]);
    let answer = client(&dir.path().join("data"), &[&server, database.url()], calls);
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0]["is_error"], false, "{answer}");
    assert!(results[0]["text"].as_str().unwrap().contains("\"n\""), "{answer}");
    for refused in &results[1..] {
        assert_eq!(refused["is_error"], true, "{answer}");
        assert!(refused["text"].as_str().unwrap().contains("rule drop"), "{answer}");
    }
    let left: i64 = setup.query_one("SELECT count(*) FROM users", &[]).unwrap().get(0);
    assert_eq!(left, 1, "the table is still there");
}

/// The reference "everything" server: tools whose arguments carry nothing
/// to judge run unchanged through the proxy.
#[test]
fn calls_with_nothing_to_judge_pass_through_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let server = fixtures().join("node_modules/.bin/mcp-server-everything").to_string_lossy().into_owned();
    let calls = json!([
        {"tool": "echo", "arguments": {"message": "hello through the gate"}},
        {"tool": "get-sum", "arguments": {"a": 2, "b": 40}},
    ]);
    let answer = client(&dir.path().join("data"), &[&server, "stdio"], calls);
    let results = answer["results"].as_array().unwrap();
    assert!(answer["tools"].as_array().unwrap().iter().any(|tool| tool == "echo"), "{answer}");
    assert_eq!(results[0]["is_error"], false, "{answer}");
    assert!(results[0]["text"].as_str().unwrap().contains("hello through the gate"), "{answer}");
    assert!(results[1]["text"].as_str().unwrap().contains("42"), "{answer}");
}

#[test]
fn install_puts_an_agents_stdio_servers_behind_the_gate_and_uninstall_restores_them() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join(".cursor/mcp.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let original = json!({"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv"]},
        "remote": {"url": "https://mcp.example.com/mcp"},
    }});
    std::fs::write(&settings, original.to_string()).unwrap();
    let project = dir.path().to_str().unwrap();
    let run = |verb: &str| {
        let mut command = common::in_data_dir(&dir.path().join("data"));
        command.args(["mcp", verb, "cursor", "--project", project]);
        common::run(command, b"")
    };
    let installed = run("install");
    assert_eq!(installed.status, 0, "{installed:?}");
    assert!(installed.stderr.contains("remote: an HTTP server"), "{installed:?}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    let files = &written["mcpServers"]["files"];
    assert!(files["command"].as_str().unwrap().ends_with("/guardrail"), "{written}");
    assert_eq!(
        files["args"],
        json!(["mcp", "--name", "files", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "/srv"])
    );
    assert_eq!(written["mcpServers"]["remote"], original["mcpServers"]["remote"]);
    let again = run("install");
    assert!(again.stderr.contains("already behind the gate"), "{again:?}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), serde_json::to_string_pretty(&written).unwrap() + "\n");
    assert_eq!(run("uninstall").status, 0);
    let restored: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(restored, original);

    // Codex's TOML, rewritten in place and restored byte for byte.
    let codex = dir.path().join(".codex/config.toml");
    std::fs::create_dir_all(codex.parent().unwrap()).unwrap();
    let original = "# mine\n[mcp_servers.git]\ncommand = \"uvx\"\nargs = [\"mcp-server-git\"]\n";
    std::fs::write(&codex, original).unwrap();
    let run = |verb: &str| {
        let mut command = common::in_data_dir(&dir.path().join("data"));
        command.args(["mcp", verb, "codex", "--project", project]);
        common::run(command, b"")
    };
    assert_eq!(run("install").status, 0);
    let written = std::fs::read_to_string(&codex).unwrap();
    assert!(
        written.starts_with("# mine\n") && written.contains("\"mcp\", \"--name\", \"git\", \"--\", \"uvx\""),
        "{written}"
    );
    assert_eq!(run("uninstall").status, 0);
    assert_eq!(std::fs::read_to_string(&codex).unwrap(), original);
}

#[test]
fn a_result_larger_than_the_cap_is_replaced_by_an_error_the_model_can_act_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = "read -r line; printf '{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"'; \
                  head -c 5000000 /dev/zero | tr '\\0' a; printf '\"}]}}\\n'; read -r line";
    let mut raw = Raw::start(&dir.path().join("data"), server);
    raw.send(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_log","arguments":{}}}"#);
    let capped = raw.answer();
    assert_eq!(capped["result"]["isError"], true, "{}", &capped.to_string()[..200.min(capped.to_string().len())]);
    let text = capped["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("more than the 4194304 this proxy passes on"), "{text}");
    raw.close();
}

/// A tool the policy denies this actor whatever its arguments is not
/// listed; the others are, and a call to the hidden one is still refused.
#[test]
fn tools_the_policy_never_allows_are_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let policy = dir.path().join("policy.cedar");
    std::fs::write(
        &policy,
        "@id(\"all\")\npermit (principal, action, resource);\n\
         @id(\"no-wipes\")\n@reason(\"nobody wipes\")\n\
         forbid (principal, action, resource) when { resource.kind == \"tool\" && resource.name == \"mcp__stub__wipe_all\" };\n",
    )
    .unwrap();
    let listing = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"wipe_all","inputSchema":{"type":"object"}},{"name":"echo","inputSchema":{"type":"object"}}]}}"#;
    let server = listing_server(listing);
    let mut raw = Raw::with(&data, &server, &["--hold", "0", "--policy", policy.to_str().unwrap()]);
    raw.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    let listed = raw.answer();
    let names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo"], "{listed}");
    raw.send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wipe_all","arguments":{}}}"#);
    let refused = raw.answer();
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    assert!(refused["result"]["content"][0]["text"].as_str().unwrap().contains("no-wipes"), "{refused}");
    raw.close();
}

/// A free port on the loopback interface.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something listens on `port`.
fn listening(port: u16, child: &mut std::process::Child) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("exited before listening on {port}: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("nothing listens on {port}");
}

/// One raw HTTP/1.1 exchange: the status and the body.
fn http(port: u16, request: &str) -> (u16, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default())
}

/// The reference server's Streamable HTTP transport, on a port of its own.
fn everything_over_http() -> (std::process::Child, u16) {
    let everything = fixtures().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    let port = free_port();
    let mut upstream = std::process::Command::new("node")
        .arg(&everything)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs the reference server (scripts/bootstrap installs it)");
    listening(port, &mut upstream);
    (upstream, port)
}

/// A token for the agent `agent-7` in the configuration `config`.
fn mint(data: &Path, config: &Path) -> String {
    let mut mint = common::in_data_dir(data);
    mint.args(["serve", "token", "add", "agent-7", "--kind", "agent", "--config"]).arg(config);
    let minted = common::run(mint, b"");
    assert_eq!(minted.status, 0, "{minted:?}");
    minted.stdout.split_whitespace().find(|word| word.starts_with("grt_")).expect("a token").to_owned()
}

/// The Python SDK's HTTP client at `url` with `token`, making `calls`.
fn http_client(url: &str, token: &str, calls: Value) -> Value {
    let plan = json!({"url": url, "token": token, "calls": calls});
    let python = fixtures().join(".venv/bin/python");
    let mut child = std::process::Command::new(&python)
        .arg(fixtures().join("client.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(plan.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)))
}

/// The Streamable HTTP proxy in front of the reference server's HTTP
/// transport, driven by the Python SDK's HTTP client: a caller needs a
/// token, and is who the record says calls; calls work unchanged, secrets
/// in results are masked, a destructive call is refused before the server
/// sees it, and headers that disagree with the body are rejected.
#[test]
fn the_http_proxy_judges_calls_for_the_identity_its_token_names() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("serve.toml");
    let (mut upstream, upstream_port) = everything_over_http();
    let token = mint(&data, &config);

    let port = free_port();
    let mut proxy = common::in_data_dir(&data);
    proxy.args(["mcp", "--name", "everything", "--hold", "0", "--config"]).arg(&config).args([
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--upstream",
        &format!("http://127.0.0.1:{upstream_port}/mcp"),
    ]);
    let mut proxy = proxy.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    listening(port, &mut proxy);

    let url = format!("http://127.0.0.1:{port}/mcp");
    let run = |token: &str, calls: Value| http_client(&url, token, calls);
    let secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    let answer = run(
        &token,
        json!([
            {"tool": "echo", "arguments": {"message": "hello through the gate"}},
            {"tool": "get-sum", "arguments": {"a": 2, "b": 3}},
            {"tool": "echo", "arguments": {"message": format!("token {secret}")}},
            {"tool": "echo", "arguments": {"message": "x", "sql": "DROP TABLE users"}},
        ]),
    );
    let results = answer["results"].as_array().unwrap_or_else(|| panic!("{answer}"));
    assert!(answer["tools"].as_array().unwrap().iter().any(|tool| tool == "get-sum"), "{answer}");
    assert_eq!(results[0]["is_error"], false, "{answer}");
    assert!(results[0]["text"].as_str().unwrap().contains("hello through the gate"), "{answer}");
    assert!(results[1]["text"].as_str().unwrap().contains('5'), "{answer}");
    assert!(!answer.to_string().contains(secret), "masked on its way back: {answer}");
    assert_eq!(results[3]["is_error"], true, "{answer}");
    assert!(results[3]["text"].as_str().unwrap().contains("guardrail: denied"), "{answer}");

    // No token, or one nobody minted: no session at all.
    for token in ["", "grt_not-a-token"] {
        let refused = run(token, json!([]));
        let refused =
            refused["session_error"].as_str().unwrap_or_else(|| panic!("no session without a token: {refused}"));
        assert!(refused.contains("a bearer token is required") || refused.contains("not known"), "{refused}");
    }
    // Headers that say one thing and a body that says another.
    let body = r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}"#;
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nMcp-Method: tools/list\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, said) = http(port, &request);
    assert_eq!(status, 400, "{said}");
    assert!(said.contains("-32020") && said.contains("Mcp-Method"), "{said}");

    // The record: the calls, made by the token's identity, and the session.
    let _ = proxy.kill();
    let _ = proxy.wait();
    let _ = upstream.kill();
    let _ = upstream.wait();
    let (listed, records) = record(&data);
    let decisions: Vec<&Value> = records.iter().filter(|record| record["kind"] == "decision").collect();
    assert_eq!(decisions.len(), 4, "{listed}");
    assert!(
        decisions
            .iter()
            .all(|decision| decision["actor"]["id"] == "agent-7" && decision["channel"] == "mcp:everything")
    );
    assert!(records.iter().any(|record| record["kind"] == "session"), "{listed}");
    assert!(!listed.contains(secret), "{listed}");
}

/// A held call waits: the client that asked for progress hears that it
/// waits and for which request; approved meanwhile, the call runs.
#[test]
fn a_held_call_waits_with_progress_and_runs_once_approved() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let listing = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"rollout","inputSchema":{"type":"object"},"annotations":{"destructiveHint":true}}]}}"#;
    let server = listing_server(listing);
    let mut raw = Raw::holding(&data, &server, 60);
    raw.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    raw.answer();
    raw.send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"rollout","arguments":{"service":"web"},"_meta":{"progressToken":"p-1"}}}"#);
    let progress = raw.answer();
    assert_eq!(progress["method"], "notifications/progress", "{progress}");
    assert_eq!(progress["params"]["progressToken"], "p-1", "{progress}");
    let message = progress["params"]["message"].as_str().unwrap();
    let id = message.split_whitespace().find(|word| word.starts_with("apr-")).expect("the request's id").to_owned();
    let decided = common::decide(&data, "approve", &id, Some("rollout window"));
    assert_eq!(decided.status, 0, "{decided:?}");
    // The call reaches the server (which echoes it), after any more progress.
    let ran = loop {
        let message = raw.answer();
        if message["method"] != "notifications/progress" {
            break message;
        }
    };
    assert_eq!(ran["method"], "tools/call", "{ran}");
    assert_eq!(ran["id"], 2, "{ran}");
    raw.close();
}

/// `guardrail serve` fronts the HTTP servers its configuration names, at
/// `/mcp/NAME`, for its tokens' identities.
#[test]
fn guardrail_serve_fronts_the_mcp_servers_its_configuration_names() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("serve.toml");
    let (mut upstream, upstream_port) = everything_over_http();
    let token = mint(&data, &config);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!("\n[[mcp]]\nname = \"everything\"\nupstream = \"http://127.0.0.1:{upstream_port}/mcp\"\n"));
    std::fs::write(&config, text).unwrap();
    let port = free_port();
    let mut serve = common::in_data_dir(&data);
    serve.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--config"]).arg(&config);
    let mut serve = serve.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    listening(port, &mut serve);
    let answer = http_client(
        &format!("http://127.0.0.1:{port}/mcp/everything"),
        &token,
        json!([
            {"tool": "echo", "arguments": {"message": "served"}},
            {"tool": "echo", "arguments": {"message": "x", "command": "rm -rf /etc"}},
        ]),
    );
    let results = answer["results"].as_array().unwrap_or_else(|| panic!("{answer}"));
    assert!(results[0]["text"].as_str().unwrap().contains("served"), "{answer}");
    assert_eq!(results[1]["is_error"], true, "{answer}");
    let refused = http_client(&format!("http://127.0.0.1:{port}/mcp/everything"), "grt_unknown", json!([]));
    assert!(refused["session_error"].is_string(), "{refused}");
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = upstream.kill();
    let _ = upstream.wait();
    let (listed, records) = record(&data);
    let decisions: Vec<&Value> = records.iter().filter(|record| record["kind"] == "decision").collect();
    assert_eq!(decisions.len(), 2, "{listed}");
    assert!(decisions.iter().all(|decision| decision["actor"]["id"] == "agent-7"), "{listed}");
    assert_eq!(decisions[1]["verdict"], "deny", "{listed}");
}

/// What the tool's input schema says an argument is, and what
/// configuration says (`--reading`), is judged too: SQL under a name that
/// says nothing, a command under another.
#[test]
fn arguments_are_read_as_their_schema_and_the_configuration_say() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let listing = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"run","inputSchema":{"type":"object","properties":{"q":{"type":"string","description":"The SQL query to execute"},"p":{"type":"string"}}}}]}}"#;
    let server = listing_server(listing);
    let mut raw = Raw::with(&data, &server, &["--hold", "0", "--reading", "run.p=shell"]);
    raw.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    raw.answer();
    let cases = [
        (r#"{"q": "DROP TABLE users"}"#, true),
        (r#"{"q": "SELECT 1"}"#, false),
        (r#"{"p": "rm -rf /etc"}"#, true),
        (r#"{"p": "ls -la"}"#, false),
    ];
    for (index, (arguments, refused)) in cases.iter().enumerate() {
        let id = index + 2;
        raw.send(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"run","arguments":{arguments}}}}}"#
        ));
        let answer = raw.answer();
        // The stub echoes what reached it; the gate answers what it refused.
        assert_eq!(answer["result"]["isError"] == true, *refused, "{arguments}: {answer}");
        assert_eq!(answer["method"] == "tools/call", !refused, "{arguments}: {answer}");
    }
    raw.close();
    // A reading that is not one is refused at the start.
    let mut bad = common::in_data_dir(&data);
    bad.args(["mcp", "--reading", "run.p=bash", "--", "true"]);
    let run = common::run(bad, b"");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.contains("not a reading"), "{run:?}");
}
