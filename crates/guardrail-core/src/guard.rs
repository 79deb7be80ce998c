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
    cache: Option<DecisionCache>,
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
            cache: Some(DecisionCache::new(DEFAULT_CACHE_BYTES)),
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
        self.cache = (bytes > 0).then(|| DecisionCache::new(bytes));
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
        let key = CacheKeyRef::of(action);
        if let Some(decision) = cache.get(&key) {
            return decision;
        }
        let decision = Arc::new(self.decide(action));
        // A text is kept from its second sighting on: most texts that differ
        // in their literals (a driver's statements, pgbench's) never come
        // back, and keeping each would only evict those that do.
        if cache.admits(&key) {
            cache.cache.insert(key.to_owned(), Arc::clone(&decision));
        }
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

/// A [`CacheKey`] borrowed from an action, to look up without copying: its
/// fields hash as the owned key's do, in the same order.
#[derive(Hash)]
struct CacheKeyRef<'a> {
    kind: ActionKind,
    text: &'a str,
    actor: &'a Actor,
    channel: &'a str,
    target: &'a str,
    environment: &'a str,
    justification: Option<&'a str>,
    cwd: Option<&'a str>,
}

impl<'a> CacheKeyRef<'a> {
    fn of(action: &'a Action) -> CacheKeyRef<'a> {
        CacheKeyRef {
            kind: action.kind,
            text: &action.text,
            actor: &action.actor,
            channel: &action.channel,
            target: &action.target,
            environment: &action.context.environment,
            justification: action.context.justification.as_deref(),
            cwd: action.context.cwd.as_deref(),
        }
    }

    fn to_owned(&self) -> CacheKey {
        CacheKey {
            kind: self.kind,
            text: self.text.to_owned(),
            actor: self.actor.clone(),
            channel: self.channel.to_owned(),
            target: self.target.to_owned(),
            environment: self.environment.to_owned(),
            justification: self.justification.map(str::to_owned),
            cwd: self.cwd.map(str::to_owned),
        }
    }
}

impl quick_cache::Equivalent<CacheKey> for CacheKeyRef<'_> {
    fn equivalent(&self, key: &CacheKey) -> bool {
        self.kind == key.kind
            && self.text == key.text
            && *self.actor == key.actor
            && self.channel == key.channel
            && self.target == key.target
            && self.environment == key.environment
            && self.justification == key.justification.as_deref()
            && self.cwd == key.cwd.as_deref()
    }
}

#[derive(Clone)]
struct KeyWeighter;

impl Weighter<CacheKey, Arc<Decision>> for KeyWeighter {
    fn weight(&self, key: &CacheKey, _decision: &Arc<Decision>) -> u64 {
        key.text.len() as u64 + CACHE_ENTRY_OVERHEAD
    }
}

/// Slots of the cache's doorkeeper: the hashes of keys seen once.
const DOORKEEPER_SLOTS: usize = 4096;

/// Decisions by what they depend on, and a doorkeeper that admits a key
/// the second time it is seen.
struct DecisionCache {
    cache: Cache<CacheKey, Arc<Decision>, KeyWeighter>,
    seen: Box<[std::sync::atomic::AtomicU64]>,
}

impl DecisionCache {
    fn new(bytes: u64) -> DecisionCache {
        let estimated_items = (bytes / (CACHE_ENTRY_OVERHEAD + 256)).max(16) as usize;
        DecisionCache {
            cache: Cache::with_weighter(estimated_items, bytes, KeyWeighter),
            seen: (0..DOORKEEPER_SLOTS).map(|_| std::sync::atomic::AtomicU64::new(0)).collect(),
        }
    }

    fn get(&self, key: &CacheKeyRef<'_>) -> Option<Arc<Decision>> {
        self.cache.get(key)
    }

    /// Whether `key` was seen before (by its hash; a collision only admits
    /// a key early). Either way it is remembered as seen.
    fn admits(&self, key: &CacheKeyRef<'_>) -> bool {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let hash = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(key) | 1;
        let slot = &self.seen[(hash % DOORKEEPER_SLOTS as u64) as usize];
        slot.swap(hash, std::sync::atomic::Ordering::Relaxed) == hash
    }
}

#[cfg(test)]
mod tests;
