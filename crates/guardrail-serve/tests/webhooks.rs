//! Webhooks against a real HTTP receiver: every change to a request is
//! delivered, signed, retried when the receiver fails, and resumed from
//! the cursor after a restart without resending.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use guardrail_audit::approval::Approver;
use guardrail_audit::{Gate, Location, Recorder, RecorderConfig};
use guardrail_core::{Action, Actor, ActorKind, Guard, Policy, Verdict};
use guardrail_serve::webhooks::{Dispatcher, Format, WebhookEntry, signature};
use serde_json::Value;

const SECRET: &str = "whsec-test-0123456789";

#[derive(Default)]
struct Received {
    /// (path, event id, timestamp, signature, body)
    requests: Vec<(String, String, u64, String, String)>,
    /// How many requests to fail with 503 first.
    fail: usize,
}

async fn receive(
    State(received): State<Arc<Mutex<Received>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut received = received.lock().unwrap();
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    received.requests.push((
        uri.path().to_owned(),
        header("guardrail-event-id"),
        header("guardrail-timestamp").parse().unwrap_or(0),
        header("guardrail-signature"),
        String::from_utf8_lossy(&body).into_owned(),
    ));
    if received.fail > 0 {
        received.fail -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    StatusCode::NO_CONTENT
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_delivered_signed_retried_and_resumed() {
    let received = Arc::new(Mutex::new(Received { fail: 1, ..Received::default() }));
    let app = axum::Router::new().fallback(axum::routing::post(receive)).with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let location = Location::in_data_dir(dir.path());
    let recorder =
        Recorder::open(RecorderConfig::new(location.clone(), "node-a".into(), dir.path().to_path_buf())).unwrap();
    let guard = Guard::new(Policy::default_policy())
        .with_analyzer(guardrail_core::ActionKind::Sql, Arc::new(guardrail_sql::SqlAnalyzer));
    let gate = Gate::new(guard, Some(recorder));
    // Recorded before the first start: not sent.
    tokio::task::block_in_place(|| gate.check(&Action::sql("SELECT 1")).unwrap());

    let webhooks = vec![
        WebhookEntry { url: format!("{receiver}/json"), secret: SECRET.into(), format: Format::Json },
        WebhookEntry { url: format!("{receiver}/slack"), secret: SECRET.into(), format: Format::Slack },
    ];
    let cursor = dir.path().join("webhooks.cursor");
    let dispatcher =
        Dispatcher::new(location.clone(), webhooks.clone(), cursor.clone(), Some("http://console.example".into()));
    let running = tokio::spawn(dispatcher.run());
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Held, then approved, then used.
    let action = Action::sql("ALTER ROLE app PASSWORD 'rotated-secret-value'")
        .with_actor(Actor::new("agent-7", ActorKind::Agent));
    let gate = tokio::task::spawn_blocking(move || {
        let checked = gate.check(&action).unwrap();
        assert_eq!(checked.decision.verdict, Verdict::RequireApproval);
        let id = gate.request_approval(&action, &checked).unwrap().wait().unwrap().request.id;
        let bob = Approver { id: "bob".into(), kind: ActorKind::Human, roles: vec![] };
        gate.decide_approval(&id, bob, true, "INC-9").unwrap().wait().unwrap();
        assert_eq!(gate.check(&action).unwrap().decision.verdict, Verdict::Allow);
        (gate, id)
    })
    .await
    .unwrap();
    let (gate, id) = gate;

    // Three events to each of two webhooks, one attempt failed and retried.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let delivered = received.lock().unwrap().requests.len();
        if delivered >= 7 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only {delivered} deliveries");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.abort();
    let requests = received.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 7, "{requests:#?}");
    assert_eq!(requests[0].1, requests[1].1, "the failed delivery is sent again, with the same event id");
    let json: Vec<Value> = requests
        .iter()
        .filter(|request| request.0 == "/json")
        .map(|request| serde_json::from_str(&request.4).unwrap())
        .collect();
    let types: Vec<&str> = json.iter().map(|event| event["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["approval.requested", "approval.requested", "approval.approved", "approval.consumed"]);
    assert!(json.iter().all(|event| event["approval"]["id"] == id.as_str()));
    assert_eq!(json[2]["approval"]["by"], "bob");
    assert_eq!(json[2]["approval"]["reason"], "INC-9");
    assert_eq!(json[2]["approval"]["link"], format!("http://console.example/console/approvals/{id}"));
    for (_, event_id, timestamp, signed, body) in &requests {
        assert!(!event_id.is_empty());
        assert_eq!(signed, &signature(SECRET, *timestamp, body.as_bytes()), "every delivery is signed");
        assert!(!body.contains("rotated-secret-value"), "no secret in a webhook: {body}");
    }
    let slack: Vec<Value> = requests
        .iter()
        .filter(|request| request.0 == "/slack")
        .map(|request| serde_json::from_str(&request.4).unwrap())
        .collect();
    assert!(
        slack[1]["text"].as_str().unwrap().contains("was approved (rule `privilege-change`; by bob): INC-9"),
        "{slack:?}"
    );

    // A restart resumes from the cursor: nothing is sent twice, and what
    // came while it was down is sent.
    let later = Action::sql("ALTER ROLE other PASSWORD 'x'").with_actor(Actor::new("agent-8", ActorKind::Agent));
    tokio::task::spawn_blocking(move || {
        let checked = gate.check(&later).unwrap();
        gate.request_approval(&later, &checked).unwrap().wait().unwrap();
    })
    .await
    .unwrap();
    received.lock().unwrap().requests.clear();
    let dispatcher = Dispatcher::new(location, webhooks, cursor, None);
    let running = tokio::spawn(dispatcher.run());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().requests.len() < 2 {
        assert!(std::time::Instant::now() < deadline, "nothing sent after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    running.abort();
    let requests = received.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let event: Value = serde_json::from_str(&requests[0].4).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["approval"]["actor"]["id"].as_str()),
        (Some("approval.requested"), Some("agent-8"))
    );
}
