//! The gate: analyze an action, judge each intent, combine into a decision.

use std::borrow::Cow;
use std::sync::Arc;

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::action::{Action, ActionKind, Actor};
use crate::decision::{Decision, Judgement, Obligation, Verdict};
use crate::intent::{Intent, IntentKind, Scope, Span};
use crate::policy::{self, Policy};

/// Turns an action's text into intents. Implementations never fail: what
/// they cannot parse or resolve becomes an intent of its own (`unknown`,
/// `code.dynamic`), which the policy judges. They know nothing of policy.
pub trait Analyzer: Send + Sync {
    /// What `action` would do: its text, read in its context (the working
    /// directory a shell command runs in, and whatever else a kind of
    /// action needs). The guard looks an analyzer up by the action's kind
    /// and hands it the whole action.
    fn analyze(&self, action: &Action) -> Analysis;
}

/// What an analyzer found in a text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The effects the text would have, in text order.
    pub intents: Vec<Intent>,
    /// Where secrets sit in the text (passwords, credentials in connection
    /// strings): masked before the text is printed or stored.
    pub secrets: Vec<Span>,
}

/// The rule reported when an action has no effect at all.
pub const RULE_NO_EFFECT: &str = "no-effect";

/// Bytes of decision cache, by default: texts plus a fixed allowance per entry.
const DEFAULT_CACHE_BYTES: u64 = 32 << 20;
const CACHE_ENTRY_OVERHEAD: u64 = 512;

/// Analyzes, decides and (in a later issue) records every action. Every
/// surface goes through one `Guard`, so no path is judged differently.
pub struct Guard {
    policy: Arc<Policy>,
    sql: Option<Arc<dyn Analyzer>>,
    shell: Option<Arc<dyn Analyzer>>,
    tool: Option<Arc<dyn Analyzer>>,
    cache: Option<Cache<CacheKey, Arc<Decision>, KeyWeighter>>,
}

impl Guard {
    /// A gate with the given policy and no analyzers yet: every action is
    /// `unknown` until one is added for its kind.
    pub fn new(policy: Policy) -> Guard {
        Guard {
            policy: Arc::new(policy),
            sql: None,
            shell: None,
            tool: None,
            cache: Some(new_cache(DEFAULT_CACHE_BYTES)),
        }
    }

    pub fn with_analyzer(mut self, kind: ActionKind, analyzer: Arc<dyn Analyzer>) -> Guard {
        match kind {
            ActionKind::Sql => self.sql = Some(analyzer),
            ActionKind::Shell => self.shell = Some(analyzer),
            ActionKind::Tool => self.tool = Some(analyzer),
        }
        self
    }

    /// Turns the decision cache off (for measuring the uncached path) or
    /// sizes it in bytes.
    pub fn with_cache_bytes(mut self, bytes: u64) -> Guard {
        self.cache = (bytes > 0).then(|| new_cache(bytes));
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Decides one action. Repeated actions (same text, actor, target and
    /// circumstances) are answered from a cache: the decision is a pure
    /// function of those inputs and the policy, which a `Guard` never changes.
    pub fn check(&self, action: &Action) -> Arc<Decision> {
        let Some(cache) = &self.cache else {
            return Arc::new(self.decide(action));
        };
        let key = CacheKey::of(action);
        if let Some(decision) = cache.get(&key) {
            return decision;
        }
        let decision = Arc::new(self.decide(action));
        cache.insert(key, Arc::clone(&decision));
        decision
    }

    /// The intents of an action's text, and where its secrets are, from the
    /// analyzer for its kind.
    pub fn analyze(&self, action: &Action) -> Analysis {
        let analyzer = match action.kind {
            ActionKind::Sql => &self.sql,
            ActionKind::Shell => &self.shell,
            ActionKind::Tool => &self.tool,
        };
        let everything = Span::new(0, action.text.len());
        match analyzer {
            // An analyzer that panics has a bug; the action is unknown, and
            // held, rather than the caller's thread unwinding past the gate.
            // Nothing is known of its secrets, so the whole text is one.
            Some(analyzer) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyzer.analyze(action)))
                .unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|message| (*message).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "no message".to_owned());
                    Analysis {
                        intents: vec![
                            Intent::new(IntentKind::Unknown, Scope::Unbounded, everything)
                                .with_note(format!("the {} analyzer failed: {message}", action.kind)),
                        ],
                        secrets: vec![everything],
                    }
                }),
            None => Analysis {
                intents: vec![
                    Intent::new(IntentKind::Unknown, Scope::Unbounded, everything)
                        .with_note(format!("no {} analyzer is available yet", action.kind)),
                ],
                secrets: Vec::new(),
            },
        }
    }

    fn decide(&self, action: &Action) -> Decision {
        let analysis = self.analyze(action);
        self.judge(action, analysis)
    }

    /// Judges what an analysis found in `action` under the policy: the
    /// decision `check` makes, for an analysis made elsewhere (on another
    /// thread, or none at all when it ran out of time).
    pub fn judge(&self, action: &Action, analysis: Analysis) -> Decision {
        let Analysis { intents, secrets } = analysis;
        let justification = action.context.justification();
        let judgements: Vec<(Judgement, Vec<Obligation>)> = intents
            .into_iter()
            .map(|intent| {
                let outcome = self.policy.judge(&policy::Request {
                    actor: &action.actor,
                    intent: &intent,
                    target: &action.target,
                    channel: &action.channel,
                    environment: &action.context.environment,
                    justification,
                });
                let judgement = Judgement {
                    intent,
                    verdict: outcome.verdict,
                    rule: outcome.rule.clone(),
                    reason: outcome.reason.clone(),
                };
                (judgement, outcome.obligations.clone())
            })
            .collect();
        let mut decision = combine(judgements, justification.is_some());
        // The analyzer's secrets, read from the grammar, and whatever the
        // text detectors find besides (tokens, keys, `PGPASSWORD=`...),
        // wherever the text or what was made of it shows them.
        let mut found = secrets;
        found.extend(crate::secret::detect(&action.text));
        let derived: Vec<&str> = decision
            .intents
            .iter()
            .flat_map(|judgement| {
                let intent = &judgement.intent;
                intent.object.iter().map(|object| object.name.as_str()).chain(intent.note.as_deref())
            })
            .collect();
        let (spans, values) = crate::secret::spread(&action.text, &found, &derived);
        for judgement in &mut decision.intents {
            let intent = &mut judgement.intent;
            if let Some(object) = &mut intent.object
                && let Cow::Owned(masked) = crate::secret::mask_values(&object.name, &action.text, &values)
            {
                object.name = masked;
            }
            if let Some(note) = &mut intent.note
                && let Cow::Owned(masked) = crate::secret::mask_values(note, &action.text, &values)
            {
                *note = masked;
            }
        }
        decision.secrets = spans;
        // Text that could not be read is held by the `unknown` rule; the
        // reason says what could not be read (`this does not parse: ...`),
        // so that it does not look like a hold on what the text does.
        if decision.rule == "unknown"
            && let Some(note) = decision
                .intents
                .iter()
                .find(|judgement| judgement.intent.kind == IntentKind::Unknown)
                .and_then(|judgement| judgement.intent.note.as_deref())
        {
            let what = note
                .strip_prefix("PostgreSQL's parser rejects this text: ")
                .or_else(|| note.strip_prefix("bash could not parse this: "))
                .map_or_else(|| note.to_owned(), |message| format!("this does not parse: {message}"));
            decision.reason = format!("{what}; held for a person to review");
        }
        decision
    }
}

/// Combines per-intent judgements: the most restrictive verdict wins, the
/// first intent in text order breaking ties; a justification lifts
/// `require_justification` to `allow` and nothing stronger.
fn combine(judgements: Vec<(Judgement, Vec<Obligation>)>, justified: bool) -> Decision {
    let effective = |judgement: &Judgement| match judgement.verdict {
        Verdict::RequireJustification if justified => Verdict::Allow,
        verdict => verdict,
    };
    let Some(verdict) = judgements.iter().map(|(judgement, _)| effective(judgement)).max() else {
        return Decision {
            verdict: Verdict::Allow,
            rule: RULE_NO_EFFECT.to_owned(),
            reason: "the text contains nothing to run".to_owned(),
            obligations: Vec::new(),
            intents: Vec::new(),
            justified: false,
            secrets: Vec::new(),
        };
    };
    let used_justification =
        verdict == Verdict::Allow && judgements.iter().any(|(j, _)| j.verdict == Verdict::RequireJustification);
    let decisive = if verdict == Verdict::Allow {
        // The rule worth naming for an allowed action is the one that asked
        // for the justification, else one that attached obligations.
        judgements
            .iter()
            .find(|(j, _)| j.verdict == Verdict::RequireJustification)
            .or_else(|| judgements.iter().find(|(_, obligations)| !obligations.is_empty()))
            .unwrap_or(&judgements[0])
    } else {
        judgements.iter().find(|(j, _)| effective(j) == verdict).expect("the maximum comes from some judgement")
    };
    let (rule, reason) = if used_justification {
        (decisive.0.rule.clone(), format!("allowed on the justification given ({})", decisive.0.reason))
    } else {
        (decisive.0.rule.clone(), decisive.0.reason.clone())
    };
    let obligations = if verdict == Verdict::Allow {
        Obligation::merge(judgements.iter().flat_map(|(_, obligations)| obligations))
    } else {
        Vec::new()
    };
    Decision {
        verdict,
        rule,
        reason,
        obligations,
        intents: judgements.into_iter().map(|(judgement, _)| judgement).collect(),
        justified: used_justification,
        secrets: Vec::new(),
    }
}

/// Everything a decision depends on besides the policy. Session and prompt
/// ids are left out: they are recorded, not judged.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    kind: ActionKind,
    text: String,
    actor: Actor,
    channel: String,
    target: String,
    environment: String,
    justification: Option<String>,
    cwd: Option<String>,
}

impl CacheKey {
    fn of(action: &Action) -> CacheKey {
        CacheKey {
            kind: action.kind,
            text: action.text.clone(),
            actor: action.actor.clone(),
            channel: action.channel.clone(),
            target: action.target.clone(),
            environment: action.context.environment.clone(),
            justification: action.context.justification.clone(),
            cwd: action.context.cwd.clone(),
        }
    }
}

#[derive(Clone)]
struct KeyWeighter;

impl Weighter<CacheKey, Arc<Decision>> for KeyWeighter {
    fn weight(&self, key: &CacheKey, _decision: &Arc<Decision>) -> u64 {
        key.text.len() as u64 + CACHE_ENTRY_OVERHEAD
    }
}

fn new_cache(bytes: u64) -> Cache<CacheKey, Arc<Decision>, KeyWeighter> {
    let estimated_items = (bytes / (CACHE_ENTRY_OVERHEAD + 256)).max(16) as usize;
    Cache::with_weighter(estimated_items, bytes, KeyWeighter)
}

#[cfg(test)]
mod tests;
