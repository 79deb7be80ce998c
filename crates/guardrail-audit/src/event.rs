//! What is recorded: gate decisions, their outcomes, and free-standing
//! events (the prompt an agent was given, its response, a tool's output).
//!
//! Every text here is masked before it becomes an event: constructors take
//! the raw text and mask it, so an `Event` never holds a secret in clear.

use guardrail_core::secret;
use guardrail_core::{Action, Decision, Obligation, Verdict};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Texts longer than this are stored once, by content hash, in the blob
/// table, and the record carries the hash and a preview.
pub const INLINE_LIMIT: usize = 4096;
/// Characters of a stored text kept in the record as a preview.
const PREVIEW_CHARS: usize = 200;

/// One event of the activity record (decisions boxed: they are large). Serialized as the record's body; the
/// variant is the record's `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Decision(Box<DecisionEvent>),
    Outcome(OutcomeEvent),
    Prompt(ContentEvent),
    Response(ContentEvent),
    ToolOutput(ContentEvent),
    /// The node's signing key: the first one, or a change of key.
    Key(KeyEvent),
    /// A session of a long-running surface (the database proxy) started,
    /// ended, or was refused at login.
    Session(SessionEvent),
    /// An approval request was opened, decided, cancelled or expired. (Its
    /// consumption is the decision record of the action it let run, which
    /// names it: one record, written in the same transaction.)
    Approval(ApprovalEvent),
    /// Who may reach the daemon changed: an API token or a console user
    /// added or removed.
    Identity(IdentityEvent),
    /// A stored record that does not read as the event its kind names (a
    /// newer version's, or tampered with): never written by the gate, shown
    /// by readers in its place so that one bad record does not hide the
    /// rest. `audit verify` says whether it is as written.
    Unreadable(UnreadableEvent),
}

/// What a reader knows of a record it cannot read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableEvent {
    /// The kind the record says it is.
    pub stored_kind: String,
    /// Why it does not read.
    pub error: String,
}

/// A change to who may reach `guardrail serve` (`guardrail serve token
/// add|revoke`, `guardrail serve user add|remove`), recorded before the
/// configuration file changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityEvent {
    pub change: IdentityChange,
    /// `token` (for the API and MCP endpoints) or `user` (for the console).
    pub credential: String,
    /// Whom it names, as what.
    pub actor: RecordedActor,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Who made the change: the operating-system user.
    pub by: String,
    /// The configuration file changed.
    pub file: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityChange {
    Added,
    Removed,
}

impl IdentityChange {
    pub const fn as_str(self) -> &'static str {
        match self {
            IdentityChange::Added => "added",
            IdentityChange::Removed => "removed",
        }
    }
}

/// A change to an approval request ([`crate::approval`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalEvent {
    pub id: String,
    pub transition: crate::approval::Transition,
    /// The request's state after the change.
    pub state: crate::approval::State,
    /// Who made the change: the approver, the requester, or `gate` (a
    /// request opened on a held decision, or expired).
    pub by: String,
    /// Why, in their words; secrets masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What it is bound to.
    pub digest: String,
    pub policy_version: String,
    /// Who asked, and for what.
    pub actor: RecordedActor,
    pub channel: String,
    pub target: String,
    pub rule: String,
    /// The record of the held decision (same node).
    pub decision: u64,
    /// Who may approve, and how many approvals it takes, as the request
    /// stands: what it was opened with is in its `requested` record, which
    /// a row changed later cannot lower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needed: Option<u32>,
    /// How long an approval stays usable once given (nanoseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_for: Option<i64>,
}

impl ApprovalEvent {
    /// The record of `transition` of `request`, made by `by` for `reason`
    /// (masked here).
    pub fn of(
        request: &crate::approval::Request,
        transition: crate::approval::Transition,
        by: &str,
        reason: Option<&str>,
    ) -> ApprovalEvent {
        ApprovalEvent {
            id: request.id.clone(),
            transition,
            state: request.state,
            by: by.to_owned(),
            reason: reason.filter(|reason| !reason.trim().is_empty()).map(masked),
            digest: request.digest.clone(),
            policy_version: request.policy_version.clone(),
            actor: request.actor.clone(),
            channel: request.channel.clone(),
            target: request.target.clone(),
            rule: request.rule.clone(),
            decision: request.decision_seq,
            approver_role: request.approver_role.clone(),
            needed: Some(request.needed),
            valid_for: Some(request.valid_for),
        }
    }
}

/// A session of a long-running surface: who logged in, from where, how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEvent {
    pub phase: SessionPhase,
    pub actor: RecordedActor,
    pub channel: String,
    pub session: String,
    /// The system the session reaches: a database name.
    pub target: String,
    /// The client's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Whether the client's connection is encrypted.
    pub tls: bool,
    /// Why a login was refused, or how a session ended; secrets masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPhase {
    Started,
    Ended,
    /// The login failed (wrong password, unknown name, the upstream refused).
    Refused,
}

impl SessionPhase {
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionPhase::Started => "started",
            SessionPhase::Ended => "ended",
            SessionPhase::Refused => "refused",
        }
    }
}

/// The key a node signs its checkpoints with from this record on. The
/// first key of a chain names no previous one; a rotation is endorsed by
/// the previous key, and a key that replaces a lost one is not (which
/// `verify` reports: nothing vouches that the same gate went on writing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEvent {
    /// The public key, hex.
    pub key: String,
    /// The key it replaces, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// The previous key's signature handing over to this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<String>,
    /// This key's signature taking over from the previous one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<String>,
    /// Why: `created`, `rotated`, `replaced a lost key`.
    pub reason: String,
}

impl Event {
    pub const KINDS: [&'static str; 9] =
        ["decision", "outcome", "prompt", "response", "tool_output", "key", "session", "approval", "identity"];

    pub fn kind(&self) -> &'static str {
        match self {
            Event::Decision(_) => "decision",
            Event::Outcome(_) => "outcome",
            Event::Prompt(_) => "prompt",
            Event::Response(_) => "response",
            Event::ToolOutput(_) => "tool_output",
            Event::Key(_) => "key",
            Event::Session(_) => "session",
            Event::Approval(_) => "approval",
            Event::Identity(_) => "identity",
            Event::Unreadable(_) => "unreadable",
        }
    }

    /// The actor the event is about, when it names one.
    pub fn actor(&self) -> Option<&RecordedActor> {
        match self {
            Event::Decision(event) => Some(&event.actor),
            Event::Prompt(event) | Event::Response(event) | Event::ToolOutput(event) => Some(&event.actor),
            Event::Session(event) => Some(&event.actor),
            Event::Approval(event) => Some(&event.actor),
            Event::Identity(event) => Some(&event.actor),
            Event::Outcome(_) | Event::Key(_) | Event::Unreadable(_) => None,
        }
    }

    pub fn channel(&self) -> Option<&str> {
        match self {
            Event::Decision(event) => Some(&event.channel),
            Event::Prompt(event) | Event::Response(event) | Event::ToolOutput(event) => Some(&event.channel),
            Event::Session(event) => Some(&event.channel),
            Event::Approval(event) => Some(&event.channel),
            Event::Outcome(_) | Event::Key(_) | Event::Identity(_) | Event::Unreadable(_) => None,
        }
    }

    pub fn session(&self) -> Option<&str> {
        match self {
            Event::Decision(event) => event.session.as_deref(),
            Event::Prompt(event) | Event::Response(event) | Event::ToolOutput(event) => event.session.as_deref(),
            Event::Session(event) => Some(&event.session),
            Event::Outcome(_) | Event::Key(_) | Event::Approval(_) | Event::Identity(_) | Event::Unreadable(_) => None,
        }
    }

    /// The event's main text: the action, the prompt, the output.
    pub fn text(&self) -> Option<&Text> {
        match self {
            Event::Decision(event) => Some(&event.text),
            Event::Prompt(event) | Event::Response(event) | Event::ToolOutput(event) => Some(&event.content),
            Event::Outcome(_)
            | Event::Key(_)
            | Event::Session(_)
            | Event::Approval(_)
            | Event::Identity(_)
            | Event::Unreadable(_) => None,
        }
    }

    /// The event's body as stored and hashed, and the large texts to store
    /// beside it by hash.
    pub(crate) fn encode(&self, blobs: Vec<Blob>) -> Encoded {
        // The variant's fields, without the tag: the kind is a column of
        // its own. Serializing plain data to a String cannot fail.
        let body = match self {
            Event::Decision(event) => serde_json::to_string(event),
            Event::Outcome(event) => serde_json::to_string(event),
            Event::Key(event) => serde_json::to_string(event),
            Event::Session(event) => serde_json::to_string(event),
            Event::Approval(event) => serde_json::to_string(event),
            Event::Identity(event) => serde_json::to_string(event),
            Event::Unreadable(event) => serde_json::to_string(event),
            Event::Prompt(event) | Event::Response(event) | Event::ToolOutput(event) => serde_json::to_string(event),
        }
        .expect("events serialize");
        Encoded { kind: self.kind(), body, blobs }
    }

    /// Reads an event back from its record's kind and body.
    pub fn decode(kind: &str, body: &str) -> Result<Event, String> {
        let unreadable = |error: serde_json::Error| format!("the body is not a {kind} event: {error}");
        Ok(match kind {
            "decision" => Event::Decision(serde_json::from_str(body).map_err(unreadable)?),
            "outcome" => Event::Outcome(serde_json::from_str(body).map_err(unreadable)?),
            "prompt" => Event::Prompt(serde_json::from_str(body).map_err(unreadable)?),
            "response" => Event::Response(serde_json::from_str(body).map_err(unreadable)?),
            "tool_output" => Event::ToolOutput(serde_json::from_str(body).map_err(unreadable)?),
            "key" => Event::Key(serde_json::from_str(body).map_err(unreadable)?),
            "session" => Event::Session(serde_json::from_str(body).map_err(unreadable)?),
            "approval" => Event::Approval(serde_json::from_str(body).map_err(unreadable)?),
            "identity" => Event::Identity(serde_json::from_str(body).map_err(unreadable)?),
            other => return Err(format!("unknown kind of record {other:?}")),
        })
    }
}

/// An event ready to append: its kind, its body's exact text, its blobs.
#[derive(Clone, Debug)]
pub struct Encoded {
    pub kind: &'static str,
    pub body: String,
    pub blobs: Vec<Blob>,
}

/// A large text stored once under its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub sha256: String,
    pub content: Vec<u8>,
}

/// A text as recorded: inline when short, else by content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Inline(String),
    Stored {
        sha256: String,
        bytes: usize,
        /// The first characters, so that listings read without the blob.
        preview: String,
    },
}

impl Text {
    /// Keeps an already masked text inline, or moves it to a blob, which
    /// is pushed to `blobs`. Callers mask: a decision's text with the spans
    /// the gate found (`Decision::secrets`, the detectors' included), other
    /// texts with [`secret::redact`].
    pub fn keep(masked: String, blobs: &mut Vec<Blob>) -> Text {
        if masked.len() <= INLINE_LIMIT {
            return Text::Inline(masked);
        }
        let sha256 = hex::encode(Sha256::digest(masked.as_bytes()));
        let preview = masked.chars().take(PREVIEW_CHARS).collect();
        let bytes = masked.len();
        blobs.push(Blob { sha256: sha256.clone(), content: masked.into_bytes() });
        Text::Stored { sha256, bytes, preview }
    }

    /// The inline text, or the preview of a stored one.
    pub fn preview(&self) -> &str {
        match self {
            Text::Inline(text) => text,
            Text::Stored { preview, .. } => preview,
        }
    }

    pub fn blob(&self) -> Option<&str> {
        match self {
            Text::Inline(_) => None,
            Text::Stored { sha256, .. } => Some(sha256),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedActor {
    pub id: String,
    pub kind: guardrail_core::ActorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl RecordedActor {
    /// Names masked like every other recorded text: a name is the caller's
    /// to choose, and can hold a token.
    pub(crate) fn masked(self) -> RecordedActor {
        RecordedActor { id: masked(&self.id), on_behalf_of: self.on_behalf_of.as_deref().map(masked), ..self }
    }
}

impl From<&guardrail_core::Actor> for RecordedActor {
    fn from(actor: &guardrail_core::Actor) -> RecordedActor {
        RecordedActor { id: actor.id.clone(), kind: actor.kind, on_behalf_of: actor.on_behalf_of.clone() }.masked()
    }
}

/// The gate's decision on one action, recorded before the action runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionEvent {
    pub actor: RecordedActor,
    pub channel: String,
    pub target: String,
    pub environment: String,
    /// The action's language: `sql` or `shell`.
    pub language: guardrail_core::ActionKind,
    /// The action's text, secrets masked.
    pub text: Text,
    pub intents: Vec<RecordedIntent>,
    pub verdict: Verdict,
    pub rule: String,
    pub reason: String,
    /// The version hash of the policy that decided.
    pub policy_version: String,
    /// The action's canonical digest (`Action::digest`): what approvals of
    /// this exact action bind to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<Obligation>,
    /// The actor's justification, secrets masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub justified: bool,
    /// The approval this decision carried out, when a person approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The conversation or prompt the action came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The agent's id for the call, which its outcome is matched by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// What happened, for an action recorded once it ran rather than
    /// before (reads through the database proxy: one record each, written
    /// after the fact; see the README). Its `decision` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeEvent>,
    /// What a shadow policy (evaluated beside the enforced one, never
    /// enforced) would have decided on the same intents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<ShadowDecision>,
}

/// A shadow policy's would-be decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowDecision {
    pub verdict: Verdict,
    pub rule: String,
    pub reason: String,
    pub policy_version: String,
}

/// One intent of a recorded decision, with its own verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedIntent {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub scope: String,
    pub span: [usize; 2],
    pub verdict: Verdict,
    pub rule: String,
}

impl DecisionEvent {
    /// The record of `decision` on `action`, texts masked.
    pub fn new(action: &Action, decision: &Decision, policy_version: &str, blobs: &mut Vec<Blob>) -> DecisionEvent {
        let intents = decision
            .intents
            .iter()
            .map(|judgement| RecordedIntent {
                id: judgement.intent.kind.id().to_owned(),
                object: judgement.intent.object.as_ref().map(|object| masked(&object.to_string())),
                scope: judgement.intent.scope.to_string(),
                span: [judgement.intent.span.start, judgement.intent.span.end],
                verdict: judgement.verdict,
                rule: judgement.rule.clone(),
            })
            .collect();
        DecisionEvent {
            actor: RecordedActor::from(&action.actor),
            channel: masked(&action.channel),
            target: masked(&action.target),
            environment: masked(&action.context.environment),
            language: action.kind,
            // The gate's spans already hold what the detectors find: no
            // second pass over the text on the recording path.
            text: Text::keep(secret::mask(&action.text, &decision.secrets).into_owned(), blobs),
            intents,
            verdict: decision.verdict,
            rule: decision.rule.clone(),
            reason: decision.reason.clone(),
            policy_version: policy_version.to_owned(),
            digest: action.digest(),
            obligations: decision.obligations.clone(),
            justification: action.context.justification.as_deref().map(masked),
            justified: decision.justified,
            approval: None,
            session: action.context.session.as_deref().map(masked),
            prompt: action.context.prompt.as_deref().map(masked),
            cwd: action.context.cwd.as_deref().map(masked),
            call: action.context.call.as_deref().map(masked),
            outcome: None,
            shadow: None,
        }
    }
}

/// What happened when an allowed action ran, appended once known.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OutcomeEvent {
    /// The sequence number of the decision record (same node) this is the outcome of.
    pub decision: u64,
    pub status: OutcomeStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// The error, secrets masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// SHA-256 of the output, when the surface saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_sha256: Option<String>,
    /// The command's tag(s), as the database reported them (`UPDATE 3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Who let a held action run, when the surface asked a person (an
    /// agent's own permission prompt): the person's answer, recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    #[default]
    Succeeded,
    Failed,
    /// The surface did not run the action (refused, or the approval never came).
    NotRun,
}

impl OutcomeEvent {
    /// Masks the error's secrets; call before recording.
    pub fn masked(mut self) -> OutcomeEvent {
        self.error = self.error.as_deref().map(masked);
        self
    }
}

/// A prompt, a response or a tool's output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentEvent {
    pub actor: RecordedActor,
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The conversation or prompt this belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The tool whose output this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The content, secrets masked.
    pub content: Text,
}

/// A short recorded text (a name, a target, a directory) with any secret
/// it holds masked: every field of a record is masked, not only the text.
pub(crate) fn masked(text: &str) -> String {
    secret::redact(text, &[]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let mut blobs = Vec::new();
        let long = "x".repeat(INLINE_LIMIT + 1);
        let event = Event::Prompt(ContentEvent {
            actor: RecordedActor { id: "claude".into(), kind: guardrail_core::ActorKind::Agent, on_behalf_of: None },
            channel: "hook".into(),
            session: Some("s1".into()),
            prompt: None,
            tool: None,
            content: Text::keep(long, &mut blobs),
        });
        assert_eq!(blobs.len(), 1, "a long text goes to a blob");
        let encoded = event.encode(blobs);
        assert_eq!(encoded.kind, "prompt");
        assert!(!encoded.body.contains("\"kind\":\"prompt\""), "the kind is a column of its own");
        assert_eq!(Event::decode(encoded.kind, &encoded.body).unwrap(), event);
    }

    #[test]
    fn texts_are_masked_before_they_become_events() {
        let actor = guardrail_core::Actor::default();
        let details = crate::ContentDetails::default();
        let entry = crate::Entry::content(
            crate::ContentKind::ToolOutput,
            &actor,
            details,
            "PGPASSWORD=hunter2 psql -c 'select 1'",
        );
        assert_eq!(entry.event.text(), Some(&Text::Inline("PGPASSWORD=******* psql -c 'select 1'".into())));
    }

    /// A session's names are the caller's to choose: masked like a text.
    #[test]
    fn every_field_of_a_session_is_masked() {
        let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
        let event = SessionEvent {
            phase: SessionPhase::Started,
            actor: RecordedActor {
                id: format!("agent-{token}"),
                kind: guardrail_core::ActorKind::Agent,
                on_behalf_of: Some(format!("x-{token}")),
            },
            channel: "pgproxy".into(),
            session: format!("s-{token}"),
            target: format!("postgres://admin:s3cret-pw@db/{token}"),
            peer: None,
            tls: false,
            detail: Some(format!("token {token}")),
        };
        let entry = crate::Entry::session(event);
        let body = entry.event.encode(Vec::new()).body;
        assert!(!body.contains(token) && !body.contains("s3cret-pw"), "{body}");
        assert!(body.contains("pgproxy") && body.contains("@db/"), "{body}");
    }
}
