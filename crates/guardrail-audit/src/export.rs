//! Exports: the record as JSON lines, or as OCSF events for a SIEM.
//!
//! OCSF classes: Datastore Activity (6005) for SQL decisions, Process
//! Activity (1007) for shell commands, API Activity (6003) for prompts,
//! responses and tool output. The decision is `action_id` (1 allowed, 2
//! denied) and `disposition_id` (1 allowed, 2 blocked, 99 other: held for
//! approval or a justification). Agent conversations use OpenTelemetry's
//! GenAI attribute names (`gen_ai.*`) under `unmapped`.

use std::collections::HashMap;

use guardrail_core::{ActionKind, Verdict};
use serde_json::{Map, Value, json};

use crate::event::{ContentEvent, DecisionEvent, Event, KeyEvent, OutcomeEvent, SessionEvent, SessionPhase};
use crate::query::Entry;
use crate::time::rfc3339;

/// The OCSF schema version the export follows.
pub const OCSF_VERSION: &str = "1.3.0";

/// One record as a JSON object: where it sits in the chain, then the event.
pub fn jsonl(entry: &Entry) -> Value {
    let record = &entry.record;
    let mut object = Map::new();
    object.insert("node".into(), json!(record.node));
    object.insert("seq".into(), json!(record.seq));
    object.insert("time".into(), json!(rfc3339(record.time)));
    object.insert("kind".into(), json!(record.kind));
    if let Ok(Value::Object(event)) = serde_json::to_value(&entry.event) {
        for (key, value) in event {
            if key != "kind" {
                object.insert(key, value);
            }
        }
    }
    object.insert("prev".into(), json!(record.prev.to_hex()));
    object.insert("hash".into(), json!(record.hash.to_hex()));
    Value::Object(object)
}

/// Turns records into OCSF events. Outcomes take their class from the
/// decision they follow, which an export reads first.
#[derive(Default)]
pub struct Ocsf {
    languages: HashMap<(String, u64), ActionKind>,
}

impl Ocsf {
    pub fn event(&mut self, entry: &Entry) -> Value {
        let record = &entry.record;
        let mut event = match &entry.event {
            Event::Decision(decision) => {
                self.languages.insert((record.node.clone(), record.seq), decision.language);
                decision_event(decision)
            }
            Event::Outcome(outcome) => {
                let language = self.languages.get(&(record.node.clone(), outcome.decision)).copied();
                outcome_event(outcome, language)
            }
            Event::Prompt(content) => content_event(content, "prompt"),
            Event::Response(content) => content_event(content, "response"),
            Event::ToolOutput(content) => content_event(content, "tool_output"),
            Event::Key(key) => key_event(key),
            Event::Session(session) => session_event(session),
            Event::Approval(approval) => approval_event(approval),
            Event::Identity(identity) => identity_event(identity),
            // OCSF's base event: what the record is cannot be said.
            Event::Unreadable(unreadable) => json!({
                "class_uid": 0,
                "class_name": "Base Event",
                "category_uid": 0,
                "activity_id": 0,
                "type_uid": 0,
                "severity_id": 4,
                "message": format!("a {} record that does not read: {}", unreadable.stored_kind, unreadable.error),
                "unmapped": {"guardrail.kind": "unreadable", "guardrail.stored_kind": unreadable.stored_kind},
            }),
        };
        let object = event.as_object_mut().expect("events are objects");
        object.insert("time".into(), json!(record.time / 1_000_000));
        object.insert("time_dt".into(), json!(rfc3339(record.time)));
        object.insert(
            "metadata".into(),
            json!({
                "version": OCSF_VERSION,
                "uid": format!("{}#{}", record.node, record.seq),
                "log_name": "guardrail activity record",
                "product": {"name": "Guardrail", "vendor_name": "Guardrail", "version": env!("CARGO_PKG_VERSION")},
            }),
        );
        let unmapped = object.entry("unmapped").or_insert_with(|| json!({}));
        unmapped["guardrail.node"] = json!(record.node);
        unmapped["guardrail.seq"] = json!(record.seq);
        unmapped["guardrail.hash"] = json!(record.hash.to_hex());
        unmapped["guardrail.prev"] = json!(record.prev.to_hex());
        event
    }
}

fn class(language: Option<ActionKind>) -> (u32, &'static str, u32, &'static str) {
    match language {
        Some(ActionKind::Sql) => (6005, "Datastore Activity", 6, "Application Activity"),
        Some(ActionKind::Shell) => (1007, "Process Activity", 1, "System Activity"),
        // An agent's tool call (a file tool, an MCP tool) is an API call.
        Some(ActionKind::Tool) | None => (6003, "API Activity", 6, "Application Activity"),
    }
}

/// Common class fields; `type_uid` is `class_uid * 100 + activity_id`.
fn base(language: Option<ActionKind>, activity: (u32, &str)) -> Value {
    let (class_uid, class_name, category_uid, category_name) = class(language);
    json!({
        "class_uid": class_uid,
        "class_name": class_name,
        "category_uid": category_uid,
        "category_name": category_name,
        "activity_id": activity.0,
        "activity_name": activity.1,
        "type_uid": class_uid * 100 + activity.0,
    })
}

/// The Datastore Activity for SQL intents: delete, create, update, query.
fn sql_activity(decision: &DecisionEvent) -> (u32, &'static str) {
    let has = |words: &[&str]| decision.intents.iter().any(|intent| words.iter().any(|word| intent.id.contains(word)));
    if has(&["delete", "drop", "truncate"]) {
        (7, "Delete")
    } else if has(&["create", "insert"]) {
        (6, "Create")
    } else if has(&["update", "alter", "write", "grant", "revoke", "privilege", "password", "config"]) {
        (2, "Update")
    } else if has(&["read", "select", "export"]) {
        (4, "Query")
    } else {
        (99, "Other")
    }
}

fn actor(actor: &crate::event::RecordedActor) -> Value {
    let mut value = json!({"user": {"name": actor.id, "uid": actor.id, "type": actor.kind.as_str()}});
    if let Some(principal) = &actor.on_behalf_of {
        value["invoked_by"] = json!(principal);
    }
    value
}

fn decision_event(decision: &DecisionEvent) -> Value {
    let activity = match decision.language {
        ActionKind::Sql => sql_activity(decision),
        ActionKind::Shell => (1, "Launch"),
        ActionKind::Tool => (99, "Other"),
    };
    let mut event = base(Some(decision.language), activity);
    let (action_id, action, disposition_id, disposition) = match decision.verdict {
        Verdict::Allow => (1, "Allowed", 1, "Allowed"),
        Verdict::Deny => (2, "Denied", 2, "Blocked"),
        Verdict::RequireApproval => (2, "Denied", 99, "Held for approval"),
        Verdict::RequireJustification => (2, "Denied", 99, "Justification required"),
    };
    let text = decision.text.preview();
    event["action_id"] = json!(action_id);
    event["action"] = json!(action);
    event["disposition_id"] = json!(disposition_id);
    event["disposition"] = json!(disposition);
    event["severity_id"] = json!(if decision.verdict == Verdict::Allow { 1 } else { 3 });
    event["message"] = json!(decision.reason);
    event["actor"] = actor(&decision.actor);
    event["policy"] = json!({"uid": decision.rule, "name": decision.rule, "version": decision.policy_version});
    match decision.language {
        ActionKind::Sql => {
            event["database"] = json!({"name": decision.target});
            event["query_info"] = json!({"query_string": text});
        }
        ActionKind::Shell => {
            // OCSF's Process object keeps the working directory in its own attribute.
            event["process"] = json!({"cmd_line": text, "working_directory": decision.cwd});
            event["device"] = json!({"hostname": decision.target});
        }
        ActionKind::Tool => {
            event["api"] = json!({"operation": text, "request": {"uid": decision.session}});
            event["device"] = json!({"hostname": decision.target});
        }
    }
    let mut unmapped = json!({
        "guardrail.verdict": decision.verdict.as_str(),
        "guardrail.intents": decision.intents,
        "guardrail.channel": decision.channel,
        "guardrail.environment": decision.environment,
    });
    if decision.text.blob().is_some() {
        unmapped["guardrail.text_sha256"] = json!(decision.text.blob());
    }
    if let Some(justification) = &decision.justification {
        unmapped["guardrail.justification"] = json!(justification);
    }
    if let Some(session) = &decision.session {
        unmapped["gen_ai.conversation.id"] = json!(session);
    }
    if decision.actor.kind == guardrail_core::ActorKind::Agent {
        unmapped["gen_ai.agent.name"] = json!(decision.actor.id);
        unmapped["gen_ai.operation.name"] = json!("execute_tool");
    }
    // A tool call through the MCP proxy: OpenTelemetry's MCP and GenAI
    // attributes (the arguments as recorded: secrets masked).
    if decision.channel.starts_with("mcp:")
        && let Ok(call) = serde_json::from_str::<Value>(decision.text.preview())
    {
        unmapped["mcp.method.name"] = json!("tools/call");
        if let Some(session) = &decision.session {
            unmapped["mcp.session.id"] = json!(session);
        }
        if let Some(tool) = call["tool"].as_str() {
            unmapped["gen_ai.tool.name"] = json!(tool.rsplit("__").next().unwrap_or(tool));
        }
        unmapped["gen_ai.tool.call.arguments"] = call["input"].clone();
        if let Some(id) = &decision.call {
            unmapped["gen_ai.tool.call.id"] = json!(id);
        }
    }
    event["unmapped"] = unmapped;
    event
}

fn outcome_event(outcome: &OutcomeEvent, language: Option<ActionKind>) -> Value {
    let mut event = base(language, (99, "Other"));
    let (status_id, status) = match outcome.status {
        crate::event::OutcomeStatus::Succeeded => (1, "Success"),
        crate::event::OutcomeStatus::Failed => (2, "Failure"),
        crate::event::OutcomeStatus::NotRun => (99, "Not run"),
    };
    event["status_id"] = json!(status_id);
    event["status"] = json!(status);
    event["severity_id"] = json!(1);
    if let Some(duration) = outcome.duration_ms {
        event["duration"] = json!(duration.round() as i64);
    }
    if let Some(error) = &outcome.error {
        event["status_detail"] = json!(error);
    }
    if let Some(code) = outcome.exit_code {
        event["exit_code"] = json!(code);
    }
    event["unmapped"] = json!({
        "guardrail.outcome_of": outcome.decision,
        "guardrail.rows": outcome.rows,
        "guardrail.output_sha256": outcome.output_sha256,
    });
    event
}

/// A change of the node's signing key: configuration of the record itself.
fn key_event(key: &KeyEvent) -> Value {
    let mut event = base(None, (99, "Other"));
    event["severity_id"] = json!(if key.previous.is_some() && key.endorsement.is_none() { 4 } else { 1 });
    event["message"] = json!(format!("signing key {}: {}", crate::signing::fingerprint(&key.key), key.reason));
    event["unmapped"] = json!({
        "guardrail.kind": "key",
        "guardrail.key": key.key,
        "guardrail.previous_key": key.previous,
        "guardrail.endorsed": key.endorsement.is_some(),
    });
    event
}

/// OCSF Account Change (3001): an API token or a console user created or
/// deleted.
fn identity_event(identity: &crate::event::IdentityEvent) -> Value {
    let activity = match identity.change {
        crate::event::IdentityChange::Added => (1, "Create"),
        crate::event::IdentityChange::Removed => (6, "Delete"),
    };
    json!({
        "class_uid": 3001,
        "class_name": "Account Change",
        "category_uid": 3,
        "category_name": "Identity & Access Management",
        "activity_id": activity.0,
        "activity_name": activity.1,
        "type_uid": 3001 * 100 + activity.0,
        "severity_id": 1,
        "status_id": 1,
        "status": "Success",
        "actor": {"user": {"name": identity.by}},
        "user": {"name": identity.actor.id, "type": identity.actor.kind.as_str(), "groups": identity.roles.iter().map(|role| json!({"name": role})).collect::<Vec<_>>()},
        "message": format!("{} {} {}", identity.credential, identity.actor.id, identity.change.as_str()),
        "unmapped": {"guardrail.kind": "identity", "guardrail.credential": identity.credential, "guardrail.file": identity.file},
    })
}

/// OCSF Authentication (3002): a logon, a logoff, or a refused logon.
fn session_event(session: &SessionEvent) -> Value {
    let activity = match session.phase {
        SessionPhase::Started | SessionPhase::Refused => (1, "Logon"),
        SessionPhase::Ended => (2, "Logoff"),
    };
    let mut event = json!({
        "class_uid": 3002,
        "class_name": "Authentication",
        "category_uid": 3,
        "category_name": "Identity & Access Management",
        "activity_id": activity.0,
        "activity_name": activity.1,
        "type_uid": 3002 * 100 + activity.0,
    });
    let refused = session.phase == SessionPhase::Refused;
    event["severity_id"] = json!(if refused { 3 } else { 1 });
    event["status_id"] = json!(if refused { 2 } else { 1 });
    event["status"] = json!(if refused { "Failure" } else { "Success" });
    event["actor"] = actor(&session.actor);
    event["user"] = json!({"name": session.actor.id});
    event["is_cleartext"] = json!(!session.tls);
    if let Some(peer) = &session.peer {
        event["src_endpoint"] = json!({"ip": peer.rsplit_once(':').map_or(peer.as_str(), |(ip, _)| ip)});
    }
    event["service"] = json!({"name": session.channel});
    event["message"] = json!(format!("session {} on {}", session.phase.as_str(), session.target));
    if let Some(detail) = &session.detail {
        event["status_detail"] = json!(detail);
    }
    event["unmapped"] = json!({
        "guardrail.kind": "session",
        "guardrail.session": session.session,
        "guardrail.target": session.target,
    });
    event
}

/// An approval request's change, as OCSF's User Access Management (3005):
/// a person grants (or refuses) one use of an action. The activity is
/// "Other" (99), named by the transition.
fn approval_event(approval: &crate::event::ApprovalEvent) -> Value {
    use crate::approval::Transition;
    let transition = approval.transition.as_str();
    let refused = matches!(approval.transition, Transition::Denied | Transition::Expired | Transition::Cancelled);
    let mut event = json!({
        "class_uid": 3005,
        "class_name": "User Access Management",
        "category_uid": 3,
        "category_name": "Identity & Access Management",
        "activity_id": 99,
        "activity_name": transition,
        "type_uid": 3005 * 100 + 99,
        "severity_id": if refused { 3 } else { 1 },
        "status_id": if refused { 2 } else { 1 },
        "status": if refused { "Failure" } else { "Success" },
    });
    event["actor"] = json!({"user": {"name": approval.by, "uid": approval.by}});
    event["user"] = actor(&approval.actor)["user"].clone();
    event["message"] = json!(format!(
        "approval request {} {}: {} on {}",
        approval.id,
        approval.state.as_str(),
        approval.rule,
        approval.target
    ));
    if let Some(reason) = &approval.reason {
        event["status_detail"] = json!(reason);
    }
    event["unmapped"] = json!({
        "guardrail.kind": "approval",
        "guardrail.approval": approval.id,
        "guardrail.digest": approval.digest,
        "guardrail.policy_version": approval.policy_version,
        "guardrail.decision": approval.decision,
    });
    event
}

fn content_event(content: &ContentEvent, kind: &str) -> Value {
    let (activity, operation, attribute) = match kind {
        "prompt" => ((1, "Create"), "chat", "gen_ai.input.messages"),
        "response" => ((1, "Create"), "chat", "gen_ai.output.messages"),
        _ => ((2, "Read"), "execute_tool", "gen_ai.tool.call.result"),
    };
    let mut event = base(None, activity);
    event["severity_id"] = json!(1);
    event["actor"] = actor(&content.actor);
    event["api"] = json!({"operation": operation, "service": {"name": content.channel}});
    let mut unmapped = json!({
        "gen_ai.operation.name": operation,
        "gen_ai.agent.name": content.actor.id,
        attribute: content.content.preview(),
        "guardrail.kind": kind,
    });
    if let Some(sha256) = content.content.blob() {
        unmapped["guardrail.content_sha256"] = json!(sha256);
    }
    if let Some(session) = content.session.as_ref().or(content.prompt.as_ref()) {
        unmapped["gen_ai.conversation.id"] = json!(session);
    }
    if let Some(tool) = &content.tool {
        unmapped["gen_ai.tool.name"] = json!(tool);
    }
    event["unmapped"] = unmapped;
    event
}
