//! Actions: what someone asked to do, who asked, where, and why.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Whether the actor is software acting on someone's behalf or a person.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// An AI agent or other automation. The default: when nobody says who is
    /// acting, the gate assumes the least trusted kind of actor.
    #[default]
    Agent,
    Human,
}

impl ActorKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ActorKind::Agent => "agent",
            ActorKind::Human => "human",
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActorKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "agent" => Ok(ActorKind::Agent),
            "human" => Ok(ActorKind::Human),
            other => Err(format!("unknown actor kind {other:?} (expected \"agent\" or \"human\")")),
        }
    }
}

/// Who is acting.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub kind: ActorKind,
    /// Roles the actor holds; policies match them with `principal in Role::"..."`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The person or service an agent acts for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl Actor {
    /// The id given to an actor nobody named.
    pub const ANONYMOUS: &'static str = "anonymous";

    pub fn new(id: impl Into<String>, kind: ActorKind) -> Actor {
        Actor { id: id.into(), kind, roles: Vec::new(), on_behalf_of: None }
    }
}

impl Default for Actor {
    /// An unnamed agent: the default policy judges unnamed actors as agents.
    fn default() -> Actor {
        Actor::new(Actor::ANONYMOUS, ActorKind::Agent)
    }
}

/// The language an action's text is written in, which picks the analyzer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Sql,
    Shell,
    /// A call of an agent's tool (a file written or read, an MCP tool), as
    /// JSON: `{"tool": NAME, "input": {...}}`.
    Tool,
}

impl ActionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionKind::Sql => "sql",
            ActionKind::Shell => "shell",
            ActionKind::Tool => "tool",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sql" => Ok(ActionKind::Sql),
            "shell" => Ok(ActionKind::Shell),
            "tool" => Ok(ActionKind::Tool),
            other => Err(format!("unknown kind {other:?} (expected \"sql\", \"shell\" or \"tool\")")),
        }
    }
}

/// The justification an action's text carries in a comment: a trailing
/// `# justification: ...` on a shell line, `/* justification: ... */` or
/// `-- justification: ...` in SQL; a tool call's `justification`
/// argument, or such a comment in one of its arguments. The way an agent,
/// whose tools send only text, says why.
pub fn justification_in(kind: ActionKind, text: &str) -> Option<String> {
    const MARK: &str = "justification:";
    let lower = text.to_ascii_lowercase();
    let found = match kind {
        ActionKind::Shell => lower.rmatch_indices(MARK).find_map(|(at, _)| {
            // The comment's `#`, then blanks, right before the mark.
            let before = lower[..at].trim_end_matches([' ', '\t']);
            let hash = before.strip_suffix('#')?;
            let starts_comment = hash.is_empty() || hash.ends_with([' ', '\t', '\n', ';']);
            starts_comment.then(|| {
                let line = &text[at + MARK.len()..];
                line.split('\n').next().unwrap_or("").trim().to_owned()
            })
        }),
        ActionKind::Sql => lower.match_indices(MARK).find_map(|(at, _)| {
            let before = lower[..at].trim_end_matches([' ', '\t']);
            let rest = &text[at + MARK.len()..];
            if before.ends_with("/*") {
                rest.split("*/").next().map(|reason| reason.trim().to_owned())
            } else if before.ends_with("--") {
                rest.split('\n').next().map(|reason| reason.trim().to_owned())
            } else {
                None
            }
        }),
        // A tool call's `justification` argument, else a comment in one of
        // its arguments (SQL's or a shell line's).
        ActionKind::Tool => {
            let call: serde_json::Value = serde_json::from_str(text).ok()?;
            let input = &call["input"];
            match input.get("justification").and_then(serde_json::Value::as_str) {
                Some(reason) => Some(reason.trim().to_owned()),
                None => input.as_object()?.values().filter_map(serde_json::Value::as_str).find_map(|argument| {
                    justification_in(ActionKind::Sql, argument)
                        .or_else(|| justification_in(ActionKind::Shell, argument))
                }),
            }
        }
    };
    found.filter(|reason| !reason.is_empty())
}

/// Why and in what circumstances the action is taken.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionContext {
    /// The actor's stated reason. Satisfies `require_justification`, and
    /// nothing stronger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The environment of the target; `production` unless said otherwise.
    pub environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The prompt or conversation the action came from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The working directory a shell command runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The agent's id for this call (a tool-use id), which its result
    /// carries too: how an outcome finds its decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
}

impl ActionContext {
    pub const DEFAULT_ENVIRONMENT: &'static str = "production";

    /// The justification, if one was given with some content. A blank
    /// justification is no justification.
    pub fn justification(&self) -> Option<&str> {
        self.justification.as_deref().map(str::trim).filter(|text| !text.is_empty())
    }
}

impl Default for ActionContext {
    fn default() -> ActionContext {
        ActionContext {
            justification: None,
            environment: ActionContext::DEFAULT_ENVIRONMENT.to_owned(),
            session: None,
            prompt: None,
            cwd: None,
            call: None,
        }
    }
}

/// One action an agent or a person asked to take.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Action {
    pub actor: Actor,
    /// The surface the action came through: `cli`, `pgproxy`, `hook`, ...
    pub channel: String,
    /// The system acted on: a database name, a host.
    pub target: String,
    pub kind: ActionKind,
    pub text: String,
    pub context: ActionContext,
}

/// Domain separation for action digests.
const ACTION_DOMAIN: &[u8] = b"guardrail.action.v1\n";

impl Action {
    /// The action's canonical digest (SHA-256, hex): what it is, whoever
    /// asks and whenever. It covers the kind, the target, the actor (id,
    /// kind, roles in order), the environment, the working directory and
    /// the exact text: everything that changes what the action does or who
    /// does it. Not the channel, session, prompt or justification, which
    /// change how it was asked, not what it is. Approvals bind to it: other
    /// bytes are another action.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(ACTION_DOMAIN);
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        };
        field(self.kind.as_str().as_bytes());
        field(self.target.as_bytes());
        field(self.actor.id.as_bytes());
        field(self.actor.kind.as_str().as_bytes());
        let mut roles: Vec<&str> = self.actor.roles.iter().map(String::as_str).collect();
        roles.sort_unstable();
        roles.dedup();
        field(roles.join("\n").as_bytes());
        // Whom an agent acts for changes who may approve: an approval given
        // for one person's request is not another's.
        field(self.actor.on_behalf_of.as_deref().unwrap_or("").as_bytes());
        field(self.context.environment.as_bytes());
        field(self.context.cwd.as_deref().unwrap_or("").as_bytes());
        field(self.text.as_bytes());
        let digest = hasher.finalize();
        hex::encode(digest)
    }

    /// The target assumed when none is named.
    pub const DEFAULT_TARGET: &'static str = "default";

    /// An action by an unnamed agent on the default target, in production.
    pub fn new(kind: ActionKind, text: impl Into<String>) -> Action {
        Action {
            actor: Actor::default(),
            channel: "cli".to_owned(),
            target: Action::DEFAULT_TARGET.to_owned(),
            kind,
            text: text.into(),
            context: ActionContext::default(),
        }
    }

    pub fn sql(text: impl Into<String>) -> Action {
        Action::new(ActionKind::Sql, text)
    }

    pub fn with_actor(mut self, actor: Actor) -> Action {
        self.actor = actor;
        self
    }

    pub fn with_justification(mut self, justification: impl Into<String>) -> Action {
        self.context.justification = Some(justification.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::{ActionKind, justification_in};

    #[test]
    fn the_digest_changes_with_what_the_action_is_and_nothing_else() {
        use super::{Action, ActorKind};
        let base = Action::sql("DELETE FROM users WHERE id = 1");
        let digest = base.digest();
        assert_eq!(digest.len(), 64);
        let same: [fn(&mut Action); 3] = [
            |a| a.channel = "pgproxy".into(),
            |a| a.context.session = Some("s9".into()),
            |a| a.context.justification = Some("INC-1".into()),
        ];
        for change in same {
            let mut other = base.clone();
            change(&mut other);
            assert_eq!(other.digest(), digest, "{other:?}");
        }
        let different: [fn(&mut Action); 8] = [
            |a| a.text.push(' '),
            |a| a.actor.on_behalf_of = Some("bob".into()),
            |a| a.target = "billing".into(),
            |a| a.actor.id = "claude".into(),
            |a| a.actor.kind = ActorKind::Human,
            |a| a.actor.roles.push("dba".into()),
            |a| a.context.environment = "staging".into(),
            |a| a.context.cwd = Some("/srv".into()),
        ];
        for change in different {
            let mut other = base.clone();
            change(&mut other);
            assert_ne!(other.digest(), digest, "{other:?}");
        }
    }

    #[test]
    fn justifications_are_read_from_comments() {
        let cases: &[(ActionKind, &str, Option<&str>)] = &[
            (ActionKind::Shell, "rm -rf ../old # justification: INC-42 stale checkout", Some("INC-42 stale checkout")),
            (ActionKind::Shell, "ls\nrm x  #justification: because", Some("because")),
            (ActionKind::Shell, "echo '# justification: no' && rm x", None),
            (ActionKind::Shell, "echo justification: x", None),
            (ActionKind::Shell, "rm x # justification:   ", None),
            (ActionKind::Sql, "/* justification: INC-7 */ CREATE INDEX i ON t (a)", Some("INC-7")),
            (ActionKind::Sql, "CREATE INDEX i ON t (a); -- justification: slow login\n", Some("slow login")),
            (ActionKind::Sql, "SELECT 'justification: no'", None),
            (ActionKind::Tool, "{\"tool\": \"x # justification: y\"}", None),
            (
                ActionKind::Tool,
                r#"{"tool": "q", "input": {"sql": "DROP INDEX i", "justification": " INC-9 "}}"#,
                Some("INC-9"),
            ),
            (
                ActionKind::Tool,
                r#"{"tool": "q", "input": {"sql": "-- justification: INC-8\nDROP INDEX i"}}"#,
                Some("INC-8"),
            ),
            (ActionKind::Tool, r#"{"tool": "q", "input": {"sql": "SELECT 'justification: no'"}}"#, None),
            (ActionKind::Tool, "not json", None),
        ];
        for (kind, text, expected) in cases {
            assert_eq!(justification_in(*kind, text).as_deref(), *expected, "{text}");
        }
    }
}
