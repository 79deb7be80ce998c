//! Replaying a draft policy over recorded decisions: what it would have
//! decided on the same actions, before it is deployed.
//!
//! Each decision is judged again from what the record holds: the actor,
//! channel, target, environment, session and justification, and the
//! intents the analyzer found then (with their scopes and objects). The
//! analyzer does not run again (the recorded text has its secrets masked,
//! and the analyzer may have changed since), so a replay shows what the
//! *policy* changes, nothing else. The record does not hold the actor's
//! roles: a draft that tests `principal in Role::...` is judged as if the
//! actor held none, and says so.

use guardrail_core::{Action, Actor, Analysis, Guard, Intent, IntentKind, Object, Scope, Span, Verdict};

use crate::event::{DecisionEvent, Event};
use crate::query::{self, Filter, ReadError};
use crate::store::Store;

/// A recorded decision that the draft would decide otherwise.
#[derive(Clone, Debug)]
pub struct Changed {
    pub node: String,
    pub seq: u64,
    pub time: i64,
    pub actor: String,
    pub channel: String,
    /// The action's text as recorded (secrets masked).
    pub text: String,
    pub was: Verdict,
    pub was_rule: String,
    pub would: Verdict,
    pub would_rule: String,
    pub would_reason: String,
}

/// What a replay found.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    /// How many recorded decisions were judged again.
    pub replayed: usize,
    /// Those the draft decides otherwise (verdict or rule), newest first.
    pub changed: Vec<Changed>,
}

/// Judges the last `last` recorded decisions with `draft`.
pub fn replay(store: &mut dyn Store, draft: &Guard, last: usize) -> Result<Replay, ReadError> {
    let filter = Filter { kind: Some("decision".into()), ..Filter::default() };
    let (entries, _) = query::latest(store, &filter, last)?;
    let mut replay = Replay::default();
    for entry in entries.iter().rev() {
        let Event::Decision(event) = &entry.event else { continue };
        replay.replayed += 1;
        let decision = judge_again(event, draft);
        if decision.verdict != event.verdict || decision.rule != event.rule {
            replay.changed.push(Changed {
                node: entry.record.node.clone(),
                seq: entry.record.seq,
                time: entry.record.time,
                actor: event.actor.id.clone(),
                channel: event.channel.clone(),
                text: event.text.preview().to_owned(),
                was: event.verdict,
                was_rule: event.rule.clone(),
                would: decision.verdict,
                would_rule: decision.rule.clone(),
                would_reason: decision.reason.clone(),
            });
        }
    }
    Ok(replay)
}

/// The draft's decision on a recorded action, from its recorded intents.
pub fn judge_again(event: &DecisionEvent, draft: &Guard) -> guardrail_core::Decision {
    let mut actor = Actor::new(event.actor.id.clone(), event.actor.kind);
    actor.on_behalf_of = event.actor.on_behalf_of.clone();
    let mut action = Action::new(event.language, event.text.preview().to_owned());
    action.actor = actor;
    action.channel = event.channel.clone();
    action.target = event.target.clone();
    action.context.environment = event.environment.clone();
    action.context.session = event.session.clone();
    action.context.cwd = event.cwd.clone();
    action.context.justification = event.justified.then(|| event.justification.clone().unwrap_or_default());
    let intents = event
        .intents
        .iter()
        .map(|recorded| {
            let kind = IntentKind::from_id(&recorded.id).unwrap_or(IntentKind::Unknown);
            let scope: Scope =
                serde_json::from_value(serde_json::Value::String(recorded.scope.clone())).unwrap_or(Scope::Unbounded);
            let mut intent = Intent::new(kind, scope, Span::new(recorded.span[0], recorded.span[1]));
            if let Some(object) = &recorded.object {
                let (kind, name) = object.split_once(' ').unwrap_or(("", object));
                intent = intent.with_object(Object::new(kind, name));
            }
            intent
        })
        .collect();
    draft.judge(&action, Analysis { intents, secrets: Vec::new() })
}
