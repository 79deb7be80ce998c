//! The HTTP API over a real socket: who may see and decide on held actions.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use guardrail_audit::{Gate, Location, Recorder, RecorderConfig};
use guardrail_core::{Action, ActionKind, Actor, ActorKind, Guard, Policy, Verdict};
use guardrail_serve::{ServeConfig, Server, router};
use serde_json::Value;

/// One HTTP/1.1 request; the status and the JSON body.
fn call(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    match token {
        // A scheme given with the token is sent as given.
        Some(token) if token.contains(' ') => request.push_str(&format!("Authorization: {token}\r\n")),
        Some(token) => request.push_str(&format!("Authorization: Bearer {token}\r\n")),
        None => {}
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

struct Api {
    address: std::net::SocketAddr,
    gate: Arc<Gate>,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn guard() -> Guard {
    Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::new(guardrail_sql::SqlAnalyzer))
}

/// The API on a port of its own, with tokens for `tokens`, and a gate of
/// an agent's on the same record (the one whose actions are held).
fn start(config: &ServeConfig) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::in_data_dir(dir.path());
    let open =
        |node: &str| Recorder::open(RecorderConfig::new(location.clone(), node.into(), dir.path().join(node))).unwrap();
    let server = Arc::new(Server::new(Gate::new(guard(), Some(open("serve"))), location.clone(), config.clone()));
    let gate = Arc::new(Gate::new(guard(), Some(open("agent-host"))));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, router(server)).await });
    Api { address, gate, _dir: dir, _runtime: runtime }
}

fn hold(gate: &Gate, text: &str) -> String {
    let mut actor = Actor::new("agent-7", ActorKind::Agent);
    actor.on_behalf_of = Some("alice".into());
    let action = Action::sql(text).with_actor(actor);
    let checked = gate.check(&action).unwrap();
    assert_eq!(checked.decision.verdict, Verdict::RequireApproval);
    gate.request_approval(&action, &checked).unwrap().wait().unwrap().request.id
}

/// (method, path, token, body, status, error code or the state after)
type Case<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, u16, &'a str);

#[test]
fn people_decide_through_the_api_as_their_token_says() {
    let mut config = ServeConfig::default();
    let bob = config.add_token("bob", ActorKind::Human, vec!["dba".into()]).unwrap();
    let alice = config.add_token("alice", ActorKind::Human, Vec::new()).unwrap();
    let agent = config.add_token("agent-9", ActorKind::Agent, vec!["dba".into()]).unwrap();
    let carol = config.add_token("carol", ActorKind::Human, Vec::new()).unwrap();
    assert!(config.add_token("bob", ActorKind::Human, Vec::new()).is_err(), "one token per name");
    let api = start(&config);
    let id = hold(&api.gate, "GRANT ALL ON accounts TO bob");
    let second = hold(&api.gate, "GRANT ALL ON payroll TO bob");
    let at = |path: &str| path.replace("ID", &id);
    let lower_case = format!("bearer {carol}");
    let basic = format!("Basic {carol}");

    let cases: &[Case] = &[
        ("GET", "/healthz", None, None, 200, ""),
        ("GET", "/v1/approvals", None, None, 401, "unauthenticated"),
        ("GET", "/v1/approvals", Some("grt_0000"), None, 401, "unauthenticated"),
        ("POST", "/v1/approvals/ID/approve", None, None, 401, "unauthenticated"),
        ("GET", "/v1/approvals/ID", Some(&carol), None, 200, "pending"),
        ("GET", "/v1/approvals/apr-nothing", Some(&carol), None, 404, "not_found"),
        ("GET", "/v1/approvals?state=sideways", Some(&carol), None, 400, "bad_request"),
        ("GET", "/v2/anything", Some(&carol), None, 404, "not_found"),
        ("GET", "/v1/approvals?limit=-1", Some(&carol), None, 400, "bad_request"),
        ("GET", "/v1/approvals?limit=5000", Some(&carol), None, 400, "bad_request"),
        // The scheme's name in any case; no other scheme.
        ("GET", "/v1/approvals/ID", Some(&lower_case), None, 200, "pending"),
        ("GET", "/v1/approvals/ID", Some(&basic), None, 401, "unauthenticated"),
        // A body that is not a decision is an error, not a decision without a reason.
        ("POST", "/v1/approvals/ID/deny", Some(&carol), Some(r#"{"reasn": "typo"}"#), 400, "bad_request"),
        ("POST", "/v1/approvals/ID/deny", Some(&carol), Some("reason: no"), 400, "bad_request"),
        // Who may not: whom the agent acts for, an agent (whatever its roles).
        ("POST", "/v1/approvals/ID/approve", Some(&alice), None, 403, "forbidden"),
        ("POST", "/v1/approvals/ID/approve", Some(&agent), None, 403, "forbidden"),
        ("POST", "/v1/approvals/ID/deny", Some(&carol), Some(r#"{"reason": ""}"#), 400, "reason_required"),
        ("POST", "/v1/approvals/ID/approve", Some(&bob), Some(r#"{"reason": "INC-42"}"#), 200, "approved"),
        ("POST", "/v1/approvals/ID/approve", Some(&carol), None, 409, "conflict"),
    ];
    for (method, path, token, body, status, expected) in cases {
        let (got, answer) = call(api.address, method, &at(path), *token, *body);
        assert_eq!(got, *status, "{method} {path}: {answer}");
        if *status >= 400 {
            assert_eq!(answer["error"]["code"], *expected, "{method} {path}: {answer}");
        } else if !expected.is_empty() {
            assert_eq!(answer["state_now"], *expected, "{method} {path}: {answer}");
        }
    }
    // A request sent to a name the daemon is not known by (a page's own
    // name re-pointed at this address) is refused, whatever it asks.
    let mut stream = TcpStream::connect(api.address).unwrap();
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: rebind.evil.example:{}\r\nConnection: close\r\n\r\n",
        api.address.port()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 421") && response.contains("unknown_host"), "{response}");

    // The approval, given through the API, lets the agent's identical action run once.
    let mut actor = Actor::new("agent-7", ActorKind::Agent);
    actor.on_behalf_of = Some("alice".into());
    let action = Action::sql("GRANT ALL ON accounts TO bob").with_actor(actor);
    assert_eq!(api.gate.check(&action).unwrap().decision.verdict, Verdict::Allow);
    assert_eq!(api.gate.check(&action).unwrap().decision.verdict, Verdict::RequireApproval);

    let (status, listed) = call(api.address, "GET", "/v1/approvals?state=pending", Some(&carol), None);
    assert_eq!(status, 200);
    let pending: Vec<&str> = listed.as_array().unwrap().iter().map(|request| request["id"].as_str().unwrap()).collect();
    assert!(pending.contains(&second.as_str()) && !pending.contains(&id.as_str()), "{listed}");
    let (status, denied) =
        call(api.address, "POST", &format!("/v1/approvals/{second}/deny"), Some(&carol), Some(r#"{"reason": "no"}"#));
    assert_eq!((status, denied["state_now"].as_str()), (200, Some("denied")), "{denied}");

    // Withdrawn by whom the agent acts for; nobody else may.
    let third = hold(&api.gate, "GRANT ALL ON ledger TO bob");
    let cancel = format!("/v1/approvals/{third}/cancel");
    let (status, answer) = call(api.address, "POST", &cancel, Some(&carol), None);
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("forbidden")), "{answer}");
    let (status, answer) = call(api.address, "POST", &cancel, Some(&alice), Some(r#"{"reason": "not needed"}"#));
    assert_eq!((status, answer["state_now"].as_str()), (200, Some("cancelled")), "{answer}");
    let (status, answer) = call(api.address, "POST", &format!("/v1/approvals/{third}/approve"), Some(&bob), None);
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("conflict")), "{answer}");
}

#[test]
fn tokens_are_kept_as_digests_and_revoked_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // In a data directory that does not exist yet: made, private.
    let path = dir.path().join("data").join("serve.toml");
    let mut config = ServeConfig::load(&path).unwrap();
    let token = config.add_token("bob", ActorKind::Human, vec!["dba".into()]).unwrap();
    assert!(token.starts_with("grt_") && token.len() == 68);
    config.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&token[4..]), "the token itself is never stored");
    assert!(text.contains(&guardrail_serve::config::token_digest(&token)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let mut config = ServeConfig::load(&path).unwrap();
    assert!(config.revoke("bob"));
    assert!(!config.revoke("bob"));
    std::fs::write(&path, "[[tokens]]\nname = \"x\"\nkind = \"human\"\nsha256 = \"short\"\n").unwrap();
    assert!(ServeConfig::load(&path).unwrap_err().contains("no valid sha256"));
}
