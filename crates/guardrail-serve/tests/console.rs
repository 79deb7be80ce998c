//! The console's security over a real socket: nothing without a session,
//! forms only from the console's own pages with the session's token,
//! failed logins limited, and no secret from an action (or typed by a
//! person) in any page or API answer.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use guardrail_audit::{Gate, Location, Recorder, RecorderConfig};
use guardrail_core::{Action, ActionKind, Actor, ActorKind, Guard, Policy, Verdict};
use guardrail_serve::{ServeConfig, Server};

const SECRET: &str = "Sup3rS3cret-Value-42";
const PASSWORD: &str = "correct horse battery staple";

struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// One HTTP/1.1 request with the given extra header lines.
fn http(address: SocketAddr, method: &str, path: &str, headers: &[String], body: &str) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(&format!("{header}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    Answer { status: head[9..12].parse().unwrap(), headers: head.to_owned(), body: body.to_owned() }
}

struct Console {
    address: SocketAddr,
    gate: Arc<Gate>,
    /// An API token of a person's.
    token: String,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Console {
    start_with(None)
}

/// The console, its gate evaluating `shadow` beside the enforced policy.
fn start_with(shadow: Option<&str>) -> Console {
    let mut config = ServeConfig::default();
    config.add_user("alice", vec!["dba".into()], PASSWORD).unwrap();
    let token = config.add_token("bob", ActorKind::Human, vec![]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let location = Location::in_data_dir(dir.path());
    let open =
        |node: &str| Recorder::open(RecorderConfig::new(location.clone(), node.into(), dir.path().join(node))).unwrap();
    let guard =
        || Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::new(guardrail_sql::SqlAnalyzer));
    let (mut served, mut gate) =
        (Gate::new(guard(), Some(open("serve"))), Gate::new(guard(), Some(open("agent-host"))));
    if let Some(shadow) = shadow {
        let policy =
            || Policy::from_sources(vec![guardrail_core::policy::Source::new("shadow.cedar", shadow)]).unwrap();
        served = served.with_shadow(Guard::new(policy()));
        gate = gate.with_shadow(Guard::new(policy()));
    }
    let server = Arc::new(Server::new(served, location.clone(), config));
    let gate = Arc::new(gate);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(guardrail_serve::serve(listener, server));
    Console { address, gate, token, _dir: dir, _runtime: runtime }
}

/// Holds `text`, by an agent, and returns the request's id.
fn hold(gate: &Gate, text: &str) -> String {
    let action = Action::sql(text).with_actor(Actor::new("agent-7", ActorKind::Agent));
    let checked = gate.check(&action).unwrap();
    assert_eq!(checked.decision.verdict, Verdict::RequireApproval, "{text}");
    gate.request_approval(&action, &checked).unwrap().wait().unwrap().request.id
}

/// Logs in; the session cookie header and the page's CSRF token.
fn log_in(console: &Console) -> (String, String) {
    let origin = format!("Origin: http://{}", console.address);
    let answer = http(
        console.address,
        "POST",
        "/login",
        &[origin],
        &format!("name=alice&password={}", PASSWORD.replace(' ', "+")),
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    let cookie = answer.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let cookie = format!("Cookie: {}", cookie.split(';').next().unwrap());
    let page = http(console.address, "GET", "/console/approvals", std::slice::from_ref(&cookie), "");
    let at = page.body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page.body[at..at + 64].to_owned();
    (cookie, csrf)
}

#[test]
fn nothing_is_shown_or_done_without_a_session() {
    let console = start();
    let id = hold(&console.gate, "ALTER ROLE app PASSWORD 'another-secret-value'");
    let gets = [
        "/console/approvals".to_owned(),
        format!("/console/approvals/{id}"),
        "/console/activity".to_owned(),
        "/console/records/agent-host/1".to_owned(),
        "/console/policy".to_owned(),
        "/console/integrity".to_owned(),
    ];
    for path in &gets {
        let answer = http(console.address, "GET", path, &[], "");
        assert_eq!((answer.status, answer.header("location")), (303, Some("/login")), "GET {path}");
    }
    let forged =
        "Cookie: guardrail_session=0000000000000000000000000000000000000000000000000000000000000000".to_owned();
    for path in &gets {
        let answer = http(console.address, "GET", path, std::slice::from_ref(&forged), "");
        assert_eq!(answer.status, 303, "GET {path} with a forged session");
    }
    assert_eq!(http(console.address, "GET", "/console/events", &[], "").status, 401);
    for (path, body) in [
        (format!("/console/approvals/{id}/decide"), "csrf=x&verdict=approve&reason=ok"),
        ("/console/policy/replay".to_owned(), "csrf=x&draft=permit(principal,action,resource);"),
        ("/logout".to_owned(), "csrf=x"),
    ] {
        let answer = http(console.address, "POST", &path, &[], body);
        assert!(answer.status == 303 || answer.status == 403, "POST {path}: {}", answer.status);
    }
    for (method, path) in [
        ("GET", "/v1/approvals".to_owned()),
        ("GET", format!("/v1/approvals/{id}")),
        ("POST", format!("/v1/approvals/{id}/approve")),
    ] {
        assert_eq!(http(console.address, method, &path, &[], "").status, 401, "{method} {path}");
    }
    // Still pending: nothing above changed it.
    let (cookie, _) = log_in(&console);
    let page = http(console.address, "GET", &format!("/console/approvals/{id}"), &[cookie], "");
    assert!(page.body.contains("class=\"state pending\""), "{}", page.body);
    // Every page says what may run in it.
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("script-src 'self'")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!page.body.contains("<script>"), "no inline script");
    let handler = page.body.match_indices(" on").any(|(at, _)| {
        let name: String = page.body[at + 3..].chars().take_while(char::is_ascii_alphabetic).collect();
        !name.is_empty() && page.body[at + 3 + name.len()..].starts_with('=')
    });
    assert!(!handler, "no inline event handlers");
}

#[test]
fn forms_need_the_sessions_token_and_the_consoles_own_origin() {
    let console = start();
    let id = hold(&console.gate, "ALTER ROLE app PASSWORD 'another-secret-value'");
    let (cookie, csrf) = log_in(&console);
    let decide = format!("/console/approvals/{id}/decide");
    let own = format!("Origin: http://{}", console.address);
    let cases: &[(Vec<String>, String, u16)] = &[
        // Another site's page posting with the person's cookie.
        (vec![cookie.clone(), "Origin: http://evil.example".into()], format!("csrf={csrf}&verdict=approve"), 403),
        (vec![cookie.clone(), "Sec-Fetch-Site: cross-site".into()], format!("csrf={csrf}&verdict=approve"), 403),
        // The right origin, the wrong token, or none.
        (vec![cookie.clone(), own.clone()], "csrf=0123&verdict=approve".into(), 403),
        (vec![cookie.clone(), own.clone()], "verdict=approve".into(), 422),
    ];
    for (headers, body, status) in cases {
        let answer = http(console.address, "POST", &decide, headers, body);
        assert_eq!(answer.status, *status, "{headers:?} {body}: {}", answer.body);
    }
    let page = http(console.address, "GET", &format!("/console/approvals/{id}"), std::slice::from_ref(&cookie), "");
    assert!(page.body.contains("class=\"state pending\""), "refused forms changed nothing");
    let answer = http(
        console.address,
        "POST",
        &decide,
        &[cookie.clone(), own.clone()],
        &format!("csrf={csrf}&verdict=approve&reason=INC-1"),
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = http(console.address, "GET", &format!("/console/approvals/{id}"), std::slice::from_ref(&cookie), "");
    assert!(page.body.contains("class=\"state approved\""), "{}", page.body);
    // Logged out, the same cookie is worth nothing.
    let answer = http(console.address, "POST", "/logout", &[cookie.clone(), own], &format!("csrf={csrf}"));
    assert_eq!(answer.status, 303);
    assert_eq!(http(console.address, "GET", "/console/approvals", &[cookie], "").status, 303);
}

#[test]
fn failed_logins_are_limited_per_address() {
    let console = start();
    let own = format!("Origin: http://{}", console.address);
    for _ in 0..5 {
        let answer = http(
            console.address,
            "POST",
            "/login",
            std::slice::from_ref(&own),
            "name=alice&password=wrong-password-123",
        );
        assert_eq!(answer.status, 401);
        assert!(!answer.body.contains("wrong-password-123"), "a password is never shown again");
    }
    let right = format!("name=alice&password={}", PASSWORD.replace(' ', "+"));
    let answer = http(console.address, "POST", "/login", std::slice::from_ref(&own), &right);
    assert_eq!(answer.status, 429, "locked out, even with the right password");
    assert!(answer.header("retry-after").is_some());
    assert!(answer.header("set-cookie").is_none());
    // A login from another site is refused before any password is tried.
    let answer = http(console.address, "POST", "/login", &["Origin: http://evil.example".into()], &right);
    assert_eq!(answer.status, 403);
}

#[test]
fn a_secret_in_an_action_or_a_reason_reaches_no_page_and_no_api_answer() {
    let console = start();
    let id = hold(&console.gate, &format!("ALTER ROLE app PASSWORD '{SECRET}'"));
    let denied = Action::sql(format!("CREATE ROLE boss SUPERUSER LOGIN PASSWORD '{SECRET}'"))
        .with_actor(Actor::new("agent-7", ActorKind::Agent));
    assert_eq!(console.gate.check(&denied).unwrap().decision.verdict, Verdict::Deny);
    let (cookie, csrf) = log_in(&console);
    let own = format!("Origin: http://{}", console.address);
    let reason = format!("rotating it; new password={SECRET}");
    let body = format!(
        "csrf={csrf}&verdict=approve&reason={}",
        reason.replace(' ', "+").replace('=', "%3D").replace(';', "%3B")
    );
    let answer =
        http(console.address, "POST", &format!("/console/approvals/{id}/decide"), &[cookie.clone(), own], &body);
    assert_eq!(answer.status, 303, "{}", answer.body);

    let mut pages = vec![
        "/console/approvals".to_owned(),
        format!("/console/approvals/{id}"),
        "/console/activity".to_owned(),
        "/console/activity?text=ALTER".to_owned(),
        "/console/policy".to_owned(),
        "/console/integrity".to_owned(),
    ];
    for seq in 1..=6 {
        pages.push(format!("/console/records/agent-host/{seq}"));
        pages.push(format!("/console/records/serve/{seq}"));
    }
    let mut seen = 0;
    for path in &pages {
        let answer = http(console.address, "GET", path, std::slice::from_ref(&cookie), "");
        if answer.status == 200 {
            seen += 1;
        }
        assert!(!answer.body.contains(SECRET), "GET {path} shows the secret:\n{}", answer.body);
    }
    assert!(seen >= 10, "the pages were shown ({seen})");
    let activity = http(console.address, "GET", "/console/activity", std::slice::from_ref(&cookie), "");
    assert!(
        activity.body.contains("ALTER ROLE app PASSWORD") && activity.body.contains("CREATE ROLE boss"),
        "{}",
        activity.body
    );

    // The API, as a person with a token.
    let bearer = format!("Authorization: Bearer {}", console.token);
    for path in ["/v1/approvals".to_owned(), format!("/v1/approvals/{id}")] {
        let answer = http(console.address, "GET", &path, std::slice::from_ref(&bearer), "");
        assert_eq!(answer.status, 200, "GET {path}");
        assert!(answer.body.contains("ALTER ROLE app PASSWORD"), "{}", answer.body);
        assert!(!answer.body.contains(SECRET), "GET {path} shows the secret:\n{}", answer.body);
    }
}

#[test]
fn metrics_need_a_token_and_count_what_waits() {
    let console = start();
    hold(&console.gate, "ALTER ROLE app PASSWORD 'another-secret-value'");
    assert_eq!(http(console.address, "GET", "/metrics", &[], "").status, 401);
    let bearer = format!("Authorization: Bearer {}", console.token);
    let answer = http(console.address, "GET", "/metrics", &[bearer], "");
    assert_eq!(answer.status, 200);
    assert!(answer.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    for line in [
        "guardrail_approvals_pending 1\n",
        "# TYPE guardrail_decision_seconds histogram\n",
        "guardrail_record_seconds_count 0\n",
    ] {
        assert!(answer.body.contains(line), "{line}: {}", answer.body);
    }
}

#[test]
fn the_openapi_document_names_every_endpoint_and_the_fields_answers_have() {
    let console = start();
    let id = hold(&console.gate, "ALTER ROLE app PASSWORD 'another-secret-value'");
    let answer = http(console.address, "GET", "/openapi.json", &[], "");
    assert_eq!(answer.status, 200);
    let document: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let bearer = format!("Authorization: Bearer {}", console.token);
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 8);
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", &id);
            let answer = http(console.address, &method.to_uppercase(), &concrete, std::slice::from_ref(&bearer), "");
            assert!(!answer.body.contains("no such endpoint"), "{method} {path} is documented but not served");
            let documented: Vec<&String> = operations[method]["responses"].as_object().unwrap().keys().collect();
            assert!(
                documented.contains(&&answer.status.to_string()),
                "{method} {path}: {} is not documented",
                answer.status
            );
        }
    }
    // The approval schema has exactly the fields an answer has (all of
    // them present once a request is decided and used).
    let shown = http(console.address, "GET", &format!("/v1/approvals/{id}"), &[bearer], "");
    let shown: serde_json::Value = serde_json::from_str(&shown.body).unwrap();
    let schema = &document["components"]["schemas"]["Approval"];
    let properties: std::collections::BTreeSet<&String> = schema["properties"].as_object().unwrap().keys().collect();
    for key in shown.as_object().unwrap().keys() {
        assert!(properties.contains(key), "{key} is answered but not documented");
    }
    for required in schema["required"].as_array().unwrap() {
        assert!(shown.get(required.as_str().unwrap()).is_some(), "{required} is required but not answered");
    }
    let optional =
        ["approver_role", "cwd", "environment", "roles", "valid_until", "votes", "cancelled_by", "consumed_by"];
    assert_eq!(properties.len(), schema["required"].as_array().unwrap().len() + optional.len());
}

#[test]
fn a_shadow_policy_is_recorded_beside_each_decision_and_never_enforced() {
    let shadow = "@id(\"open\") permit (principal, action, resource);\n\
                  @id(\"no-passwords\") @verdict(\"deny\") @reason(\"the draft forbids it\")\n\
                  forbid (principal, action == Action::\"privilege.password\", resource);\n";
    let console = start_with(Some(shadow));
    // Enforced: held, as the enforced policy says; the shadow would deny.
    hold(&console.gate, "ALTER ROLE app PASSWORD 'another-secret-value'");
    let allowed = Action::sql("SELECT 1").with_actor(Actor::new("agent-7", ActorKind::Agent));
    assert_eq!(console.gate.check(&allowed).unwrap().decision.verdict, Verdict::Allow);
    let (cookie, _) = log_in(&console);
    let activity = http(console.address, "GET", "/console/activity?kind=decision", std::slice::from_ref(&cookie), "");
    assert_eq!(activity.body.matches("shadow: deny").count(), 1, "{}", activity.body);
    let record = http(console.address, "GET", "/console/records/agent-host/2", std::slice::from_ref(&cookie), "");
    assert!(record.body.contains("would have said") && record.body.contains("no-passwords"), "{}", record.body);
    let policy = http(console.address, "GET", "/console/policy", &[cookie], "");
    assert!(
        policy.body.contains("of the last 2 decisions it saw, it would have decided <strong>1</strong> otherwise"),
        "{}",
        policy.body
    );
}

#[test]
fn a_session_ends_when_its_person_is_removed_even_if_added_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serve.toml");
    let mut config = ServeConfig::default();
    config.add_user("alice", vec!["dba".into()], PASSWORD).unwrap();
    config.save(&path).unwrap();
    let location = Location::in_data_dir(dir.path());
    let recorder =
        Recorder::open(RecorderConfig::new(location.clone(), "serve".into(), dir.path().join("serve"))).unwrap();
    let server = Server::new(
        Gate::new(Guard::new(Policy::default_policy()), Some(recorder)),
        location,
        ServeConfig::load(&path).unwrap(),
    )
    .with_config_file(path.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(guardrail_serve::serve(listener, Arc::new(server)));
    let console = Console {
        address,
        gate: Arc::new(Gate::new(Guard::new(Policy::default_policy()), None)),
        token: String::new(),
        _dir: dir,
        _runtime: runtime,
    };
    let (cookie, _) = log_in(&console);
    assert_eq!(http(address, "GET", "/console/approvals", std::slice::from_ref(&cookie), "").status, 200);
    // Removed, then added again with another password (the only way to
    // change one): the old session does not come back.
    let mut config = ServeConfig::load(&path).unwrap();
    assert!(config.remove_user("alice"));
    config.add_user("alice", vec!["dba".into()], "another long password").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    config.save(&path).unwrap();
    assert_eq!(http(address, "GET", "/console/approvals", std::slice::from_ref(&cookie), "").status, 303);
}

/// Who logged in to the console, from where, and when they left, is in the
/// record; a failed login too, without the name typed when it is nobody's
/// (people type passwords there).
#[test]
fn logins_refusals_and_logouts_are_in_the_record() {
    use guardrail_audit::event::SessionPhase;
    let console = start();
    let own = format!("Origin: http://{}", console.address);
    for body in ["name=hunter2-typed-here&password=x", "name=alice&password=wrong-password-123"] {
        let answer = http(console.address, "POST", "/login", std::slice::from_ref(&own), body);
        assert_eq!(answer.status, 401);
    }
    let (cookie, csrf) = log_in(&console);
    let answer = http(console.address, "POST", "/logout", &[cookie, own], &format!("csrf={csrf}"));
    assert_eq!(answer.status, 303);

    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut store = Location::in_data_dir(console._dir.path()).open_read_only().unwrap();
    let records = store.chain("serve", 0, 1000).unwrap();
    let sessions: Vec<guardrail_audit::event::SessionEvent> = records
        .iter()
        .filter_map(|record| match guardrail_audit::Event::decode(&record.kind, &record.body) {
            Ok(guardrail_audit::Event::Session(session)) if session.channel == "console" => Some(session),
            _ => None,
        })
        .collect();
    let seen: Vec<(SessionPhase, &str)> =
        sessions.iter().map(|session| (session.phase, session.actor.id.as_str())).collect();
    assert_eq!(
        seen,
        [
            (SessionPhase::Refused, "(an unknown name)"),
            (SessionPhase::Refused, "alice"),
            (SessionPhase::Started, "alice"),
            (SessionPhase::Ended, "alice"),
        ]
    );
    assert!(sessions.iter().all(|session| session.peer.as_deref().is_some_and(|peer| peer.starts_with("127.0.0.1:"))));
    assert_eq!(sessions[2].session.len(), 16);
    assert_eq!(sessions[2].session, sessions[3].session, "the logout names the session it ends");
    for record in &records {
        assert!(!record.body.contains("hunter2-typed-here") && !record.body.contains("wrong-password-123"));
    }
}

/// An action's text is shown as it is: characters that reorder a line or
/// redraw a terminal are made visible, on the request's page and in lists.
#[test]
fn control_and_bidirectional_characters_are_shown_not_obeyed() {
    let console = start();
    let id = hold(&console.gate, "GRANT ALL ON payroll TO mallory /* \u{202E} \u{1b}[2K */");
    let (cookie, _) = log_in(&console);
    for path in [format!("/console/approvals/{id}"), "/console/approvals".to_owned()] {
        let page = http(console.address, "GET", &path, std::slice::from_ref(&cookie), "");
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains('\u{202E}') && !page.body.contains('\u{1b}'), "{path}: shown raw");
        assert!(page.body.contains("&lt;U+202E&gt;") && page.body.contains("^[[2K"), "{path}: {}", page.body);
    }
}
