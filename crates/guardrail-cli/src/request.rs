//! The JSON request format of `check --jsonl` and `policy test`.

use guardrail_core::{Action, ActionContext, ActionKind, Actor, ActorKind};
use serde::Deserialize;

/// One request: the action's text and, optionally, who, where and why.
/// Unknown fields are an error, so that a misspelt `justfication` is
/// reported instead of silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    #[serde(default = "default_kind")]
    pub kind: ActionKind,
    pub text: String,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub actor_kind: Option<ActorKind>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub prompt_id: Option<String>,
}

fn default_kind() -> ActionKind {
    ActionKind::Sql
}

impl Request {
    pub fn into_action(self) -> Action {
        let mut action = Action::new(self.kind, self.text);
        if let Some(id) = self.actor {
            action.actor.id = id;
        }
        if let Some(kind) = self.actor_kind {
            action.actor.kind = kind;
        }
        action.actor.roles = self.roles;
        if let Some(target) = self.target {
            action.target = target;
        }
        if let Some(channel) = self.channel {
            action.channel = channel;
        }
        action.context = ActionContext {
            justification: self.justification,
            environment: self.environment.unwrap_or_else(|| ActionContext::DEFAULT_ENVIRONMENT.to_owned()),
            session: self.session,
            prompt: self.prompt_id,
            cwd: self.cwd,
            call: None,
        };
        action
    }
}

/// Builds an action from `check`'s flags.
pub fn action_from_flags(args: &crate::cli::CheckArgs, text: String) -> Action {
    let mut action = Action::new(args.kind.into(), text);
    action.actor = Actor {
        id: args.actor.clone().unwrap_or_else(|| Actor::ANONYMOUS.to_owned()),
        kind: args.actor_kind.into(),
        roles: args.roles.clone(),
        on_behalf_of: args.on_behalf_of.clone(),
    };
    action.target = args.target.clone();
    action.context.justification = args.justification.clone();
    action.context.environment = args.environment.clone();
    action.context.cwd = args.cwd.clone();
    action.context.session = args.session.clone();
    action.context.prompt = args.prompt_id.clone();
    action
}
