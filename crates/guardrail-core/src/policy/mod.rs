//! The policy engine: Cedar policies judge each intent of an action.
//!
//! Policies are Cedar, validated against a schema generated from the intent
//! taxonomy ([`schema_text`]). Cedar only says allow or deny, so Guardrail's
//! other outcomes ride on annotations of `forbid` policies:
//! `@verdict("require_justification" | "require_approval" | "deny")`, with
//! `@reason("...")` for the words shown to the actor and `@id("...")` for the
//! rule's name. Obligations ride on `permit` policies (`@cap_rows("1000")`).
//!
//! Judging one intent:
//! - any policy that fails to evaluate makes the intent `deny` (fail closed;
//!   Cedar itself would skip the policy, which could let the intent through);
//! - otherwise a satisfied `forbid` wins, the strongest `@verdict` among the
//!   satisfied ones deciding;
//! - otherwise a satisfied `permit` allows, carrying its obligations;
//! - otherwise nothing permits the intent, and it is denied.
//!
//! Cedar evaluation costs more than parsing a typical statement, so outcomes
//! are memoised on every input the policies can see. The memo is sound: a
//! key leaves out the principal or the resource only when no policy in the
//! set mentions it (checked on the policies' syntax trees when loading).
//!
//! This module does no I/O: callers hand it policy text.

mod diagnostics;
mod schema;

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Effect, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    Policy as CedarPolicy, PolicyId, PolicySet, Request as CedarRequest, RestrictedExpression, Schema, ValidationMode,
    Validator,
};
use quick_cache::Equivalent;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

pub use diagnostics::{Diagnostic, PolicyError};
pub use schema::schema_text;

use crate::action::{Actor, ActorKind};
use crate::decision::{Obligation, Verdict};
use crate::intent::{Intent, IntentKind};

/// The built-in default policy's source.
pub const DEFAULT_POLICY: &str = include_str!("default.cedar");

/// The default policy pre-parsed: Cedar's JSON form of [`DEFAULT_POLICY`],
/// generated from it (a test keeps the two in step). Reading JSON skips
/// Cedar's text grammar, whose lexer and re-parses were most of a fresh
/// process's start-up, and every agent hook call is a fresh process.
const DEFAULT_POLICY_JSON: &str = include_str!("default.cedar.json");

/// The name the default policy's diagnostics and rules are reported under.
pub const DEFAULT_POLICY_NAME: &str = "<default policy>";

/// The rule reported when a policy fails to evaluate.
pub const RULE_POLICY_ERROR: &str = "policy-error";
/// The rule reported when no `permit` covers an intent.
pub const RULE_NO_PERMIT: &str = "no-permit";

/// Annotations Guardrail reads. Any other annotation is an error, so that a
/// misspelt `@verdcit` cannot silently turn into the default verdict.
const KNOWN_ANNOTATIONS: [&str; 8] =
    ["id", "verdict", "reason", "cap_rows", "mask_columns", "doc", "approver", "approvals"];

/// How many memoised outcomes a policy keeps.
const MEMO_CAPACITY: usize = 16_384;

/// A policy source: a name to report it under (usually a path) and its text.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source { name: name.into(), text: text.into() }
    }
}

/// What a rule says about one intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub verdict: Verdict,
    pub rule: String,
    pub reason: String,
    /// Obligations of the permits that cover the intent. They apply when the
    /// intent runs, whether allowed outright or once justified.
    pub obligations: Vec<Obligation>,
}

/// The inputs of one judgement, borrowed from the action.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub actor: &'a Actor,
    pub intent: &'a Intent,
    pub target: &'a str,
    pub channel: &'a str,
    pub environment: &'a str,
    pub justification: Option<&'a str>,
}

/// What Guardrail reads from one policy's annotations.
#[derive(Clone, Debug)]
struct Rule {
    id: String,
    effect: Effect,
    verdict: Verdict,
    reason: String,
    obligations: Vec<Obligation>,
    /// Who may approve what this rule holds (`require_approval` rules).
    approval: ApprovalRule,
    /// Position in the sources, to break ties deterministically.
    order: usize,
}

/// Who may approve an action a rule holds: `@approver("role")` names the
/// role an approver must hold (any person, when absent), `@approvals("2")`
/// how many must approve (one, when absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApprovalRule {
    pub role: Option<String>,
    pub needed: u32,
}

/// A loaded, validated policy set, ready to judge intents. Shareable across
/// threads.
pub struct Policy {
    set: PolicySet,
    /// The permits alone: asked, when a forbid softer than deny fires,
    /// whether any permit would cover the intent and with which obligations.
    permits: PolicySet,
    rules: std::collections::HashMap<PolicyId, Rule>,
    /// The schema's action entities, with their groups: all a request
    /// needs when no policy mentions the principal or the resource.
    actions: Entities,
    authorizer: Authorizer,
    uses_principal: bool,
    uses_resource: bool,
    version: String,
    sources: Vec<Source>,
    /// Outcomes already judged; `None` when turned off (to measure Cedar).
    memo: Option<Cache<MemoKey, Arc<Outcome>>>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy").field("version", &self.version).field("rules", &self.rules.len()).finish()
    }
}

impl Policy {
    /// The built-in default policy.
    ///
    /// It is compiled in pre-parsed and validated by a test, so it is not
    /// parsed or validated again here: Cedar's grammar and type checker
    /// would be most of a process's start-up, and every agent hook call is
    /// a fresh process.
    pub fn default_policy() -> Policy {
        let source = Source::new(DEFAULT_POLICY_NAME, DEFAULT_POLICY);
        let parse = |_: &Source| Ok(PolicySet::from_json_str(DEFAULT_POLICY_JSON).expect("a test checks it parses"));
        Policy::load(vec![source], parse, false).expect("the built-in default policy is valid; a test checks it")
    }

    /// Parses, checks and validates policies. Every problem found is
    /// reported, each with its source, line and column.
    pub fn from_sources(sources: Vec<Source>) -> Result<Policy, PolicyError> {
        Policy::load(sources, parse_text, true)
    }

    /// Parses and checks policies already validated by
    /// [`Policy::from_sources`], unchanged since: everything but Cedar's
    /// validation against the schema, which is most of loading (tens of
    /// milliseconds, paid by every fresh process). The caller vouches for
    /// the validation by remembering the [`validation_key`] of sources
    /// that passed. A policy that would not have validated still fails
    /// closed when judged: an evaluation error denies.
    pub fn from_validated_sources(sources: Vec<Source>) -> Result<Policy, PolicyError> {
        Policy::load(sources, parse_text, false)
    }

    /// Reads parsed policies' rules. `parse` must name the policies of a
    /// source `policy0`, `policy1`, ... in source order, as Cedar's parser
    /// does.
    fn load(
        sources: Vec<Source>,
        parse: impl Fn(&Source) -> Result<PolicySet, Vec<Diagnostic>>,
        validate: bool,
    ) -> Result<Policy, PolicyError> {
        let mut diagnostics = Vec::new();
        let mut set = PolicySet::new();
        let mut permits = PolicySet::new();
        let mut rules = std::collections::HashMap::new();
        let mut origins: std::collections::HashMap<PolicyId, (usize, usize)> = Default::default();
        let mut order = 0;
        let mut uses_principal = false;
        let mut uses_resource = false;

        for (source_index, source) in sources.iter().enumerate() {
            let parsed = match parse(source) {
                Ok(parsed) => parsed,
                Err(errors) => {
                    diagnostics.extend(errors);
                    continue;
                }
            };
            if parsed.templates().next().is_some() {
                diagnostics.push(Diagnostic::at(
                    source,
                    0,
                    "policy templates are not supported; write static policies",
                ));
            }
            let starts = diagnostics::policy_starts(&source.text);
            let mut parsed: Vec<&CedarPolicy> = parsed.policies().collect();
            parsed.sort_by_key(|policy| policy.id().to_string()[6..].parse::<usize>().unwrap_or(usize::MAX));
            for (index, policy) in parsed.into_iter().enumerate() {
                let offset = starts.get(index).copied().unwrap_or(0);
                let located = |message: String| Diagnostic::at(source, offset, message);
                let id = match annotation(policy, "id") {
                    Some(id) if !id.trim().is_empty() => id.to_owned(),
                    Some(_) => {
                        diagnostics.push(located("@id must not be empty".to_owned()));
                        continue;
                    }
                    None => format!("{}:{}", source.name, diagnostics::line_column(&source.text, offset).0),
                };
                for (key, _) in policy.annotations() {
                    if !KNOWN_ANNOTATIONS.contains(&key) {
                        let hint = diagnostics::did_you_mean(key, &KNOWN_ANNOTATIONS)
                            .map(|known| format!(" (did you mean @{known}?)"))
                            .unwrap_or_default();
                        diagnostics.push(located(format!(
                            "unknown annotation @{key}{hint}; known: @{}",
                            KNOWN_ANNOTATIONS.join(", @")
                        )));
                    }
                }
                let rule = match read_rule(policy, id.clone(), order) {
                    Ok(rule) => rule,
                    Err(message) => {
                        diagnostics.push(located(message));
                        continue;
                    }
                };
                order += 1;
                let policy_id = PolicyId::new(&id);
                if let Some(&(first_source, first_offset)) = origins.get(&policy_id) {
                    let first = &sources[first_source];
                    let (line, _) = diagnostics::line_column(&first.text, first_offset);
                    diagnostics.push(located(format!("duplicate rule id {id:?}; first used at {}:{line}", first.name)));
                    continue;
                }
                origins.insert(policy_id.clone(), (source_index, offset));
                let renamed = policy.new_id(policy_id.clone());
                let (principal, resource) = mentions_principal_and_resource(&renamed);
                uses_principal |= principal;
                uses_resource |= resource;
                if rule.effect == Effect::Permit {
                    permits.add(renamed.clone()).expect("ids are unique");
                }
                set.add(renamed).expect("ids are unique");
                rules.insert(policy_id, rule);
            }
        }

        if validate && diagnostics.is_empty() {
            let validation = Validator::new(policy_schema()).validate(&set, ValidationMode::Strict);
            for error in validation.validation_errors() {
                let (source_index, _) = origins.get(error.policy_id()).copied().unwrap_or((0, 0));
                diagnostics.push(Diagnostic::from_miette(&sources[source_index], error));
            }
        }
        if !diagnostics.is_empty() {
            return Err(PolicyError { diagnostics });
        }

        let actions = schema::action_entities();
        let mut version = digest(sources.iter().map(|source| source.text.as_bytes()));
        version.truncate(16);

        Ok(Policy {
            set,
            permits,
            rules,
            actions,
            authorizer: Authorizer::new(),
            uses_principal,
            uses_resource,
            version,
            sources,
            memo: Some(Cache::new(MEMO_CAPACITY)),
        })
    }

    /// A short hash of the policy sources, recorded with each decision.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Who may approve what rule `rule` holds (anyone, once, for a rule
    /// this policy does not have).
    pub fn approval_rule(&self, rule: &str) -> ApprovalRule {
        self.rules
            .values()
            .find(|candidate| candidate.id == rule)
            .map_or(ApprovalRule { role: None, needed: 1 }, |found| found.approval.clone())
    }

    /// The ids of the policy's rules, in source order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        let mut rules: Vec<&Rule> = self.rules.values().collect();
        rules.sort_by_key(|rule| rule.order);
        rules.into_iter().map(|rule| rule.id.as_str())
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Turns the memo of outcomes off, so that every judgement runs Cedar:
    /// for measuring, and for comparing the two in tests.
    pub fn without_memo(mut self) -> Policy {
        self.memo = None;
        self
    }

    /// Judges one intent.
    pub fn judge(&self, request: &Request<'_>) -> Arc<Outcome> {
        let Some(memo) = &self.memo else {
            return Arc::new(self.evaluate(request));
        };
        let key = MemoKeyRef::new(request, self.uses_principal, self.uses_resource);
        if let Some(outcome) = memo.get(&key) {
            return outcome;
        }
        let outcome = Arc::new(self.evaluate(request));
        memo.insert(key.to_owned(), Arc::clone(&outcome));
        outcome
    }

    /// Judges one intent with Cedar, bypassing the memo.
    pub fn evaluate(&self, request: &Request<'_>) -> Outcome {
        let (cedar_request, entities) = match self.cedar_request(request) {
            Ok(built) => built,
            Err(message) => return policy_error(message),
        };
        let response = self.authorizer.is_authorized(&cedar_request, &self.set, &entities);
        if let Some(error) = response.diagnostics().errors().next() {
            return policy_error(error.to_string());
        }
        let satisfied: Vec<&Rule> = self.satisfied(response.diagnostics().reason());
        match response.decision() {
            CedarDecision::Allow => {
                let decisive = satisfied.iter().copied().min_by_key(|rule| (rule.obligations.is_empty(), rule.order));
                let obligations = merge_obligations(&satisfied);
                match decisive {
                    Some(rule) => Outcome {
                        verdict: Verdict::Allow,
                        rule: rule.id.clone(),
                        reason: rule.reason.clone(),
                        obligations,
                    },
                    None => policy_error("Cedar allowed without a satisfied permit".to_owned()),
                }
            }
            CedarDecision::Deny => {
                let Some(strongest) =
                    satisfied.iter().copied().max_by_key(|rule| (rule.verdict, std::cmp::Reverse(rule.order)))
                else {
                    return Outcome {
                        verdict: Verdict::Deny,
                        rule: RULE_NO_PERMIT.to_owned(),
                        reason: format!("no policy permits {}", request.intent.kind),
                        obligations: Vec::new(),
                    };
                };
                let mut outcome = Outcome {
                    verdict: strongest.verdict,
                    rule: strongest.id.clone(),
                    reason: strongest.reason.clone(),
                    obligations: Vec::new(),
                };
                if strongest.verdict < Verdict::Deny {
                    // A softer forbid only matters if a permit would let the
                    // intent run once its condition is met.
                    let permitted = self.authorizer.is_authorized(&cedar_request, &self.permits, &entities);
                    if let Some(error) = permitted.diagnostics().errors().next() {
                        return policy_error(error.to_string());
                    }
                    if permitted.decision() == CedarDecision::Deny {
                        return Outcome {
                            verdict: Verdict::Deny,
                            rule: RULE_NO_PERMIT.to_owned(),
                            reason: format!("no policy permits {}", request.intent.kind),
                            obligations: Vec::new(),
                        };
                    }
                    outcome.obligations = merge_obligations(&self.satisfied(permitted.diagnostics().reason()));
                }
                outcome
            }
        }
    }

    fn satisfied<'s>(&'s self, ids: impl Iterator<Item = &'s PolicyId>) -> Vec<&'s Rule> {
        let mut rules: Vec<&Rule> = ids.filter_map(|id| self.rules.get(id)).collect();
        rules.sort_by_key(|rule| rule.order);
        rules
    }

    fn cedar_request(&self, request: &Request<'_>) -> Result<(CedarRequest, Cow<'_, Entities>), String> {
        let principal_type = match request.actor.kind {
            ActorKind::Agent => "Agent",
            ActorKind::Human => "Human",
        };
        let principal = uid(principal_type, &request.actor.id);
        let intent = request.intent;
        let action = uid("Action", intent.kind.id());
        let (target_type, object_type) = resource_types(intent);
        let database = uid(target_type, request.target);
        let resource = match &intent.object {
            Some(object) => uid(object_type, &object.name),
            None => database.clone(),
        };

        // Entities only matter to policies that look at them; building them
        // (and Cedar's transitive closure over them) costs more than the
        // evaluation, so they are added only when some policy mentions them.
        let mut extra: Vec<Entity> = Vec::new();
        if self.uses_principal {
            let roles: HashSet<EntityUid> = request.actor.roles.iter().map(|role| uid("Role", role)).collect();
            extra.extend(roles.iter().map(|role| Entity::new_no_attrs(role.clone(), HashSet::new())));
            extra.push(Entity::new_no_attrs(principal.clone(), roles));
        }
        if self.uses_resource {
            let named = |kind: &str, name: &str| {
                [
                    ("kind".to_owned(), RestrictedExpression::new_string(kind.to_owned())),
                    ("name".to_owned(), RestrictedExpression::new_string(name.to_owned())),
                ]
                .into_iter()
                .collect()
            };
            let target_kind = if target_type == "Host" { "host" } else { "database" };
            extra.push(
                Entity::new(database.clone(), named(target_kind, request.target), HashSet::new())
                    .map_err(|error| error.to_string())?,
            );
            if let Some(object) = &intent.object {
                extra.push(
                    Entity::new(resource.clone(), named(&object.kind, &object.name), HashSet::from([database]))
                        .map_err(|error| error.to_string())?,
                );
            }
        }
        let entities = if extra.is_empty() {
            Cow::Borrowed(&self.actions)
        } else {
            Cow::Owned(self.actions.clone().add_entities(extra, None).map_err(|error| error.to_string())?)
        };

        let mut context = vec![
            ("channel".to_owned(), RestrictedExpression::new_string(request.channel.to_owned())),
            ("environment".to_owned(), RestrictedExpression::new_string(request.environment.to_owned())),
            ("scope".to_owned(), RestrictedExpression::new_string(intent.scope.as_str().to_owned())),
        ];
        if let Some(justification) = request.justification {
            context.push(("justification".to_owned(), RestrictedExpression::new_string(justification.to_owned())));
        }
        let context = Context::from_pairs(context).map_err(|error| error.to_string())?;
        let cedar_request =
            CedarRequest::new(principal, action, resource, context, None).map_err(|error| error.to_string())?;
        Ok((cedar_request, entities))
    }
}

/// The entity types of an intent's target and object. Intents of the
/// shell's own kinds act on a `Host` and its `Path`s, `Repository`s,
/// `Cluster`s and other `Resource`s; SQL intents (even those a shell
/// command hands to the SQL analyzer) on a `Database` and its objects.
fn resource_types(intent: &Intent) -> (&'static str, &'static str) {
    use IntentKind as K;
    let shell = matches!(
        intent.kind,
        K::ProcessRun
            | K::FsDelete
            | K::FsDeleteRecursive
            | K::FsOverwrite
            | K::FsPermission
            | K::FsPermissionRecursive
            | K::DiskDestroy
            | K::VcsHistoryRewrite
            | K::VcsDiscard
            | K::InfraDestroy
            | K::SecretDelete
            | K::SecretWrite
            | K::SecretExfiltration
            | K::SystemPower
            | K::SystemKillAll
            | K::SystemForkBomb
            | K::SystemFirewall
            | K::SystemCronRemove
            | K::SystemUserDelete
            | K::LogTamper
            | K::CodeRemote
    );
    if !shell {
        return ("Database", "DatabaseObject");
    }
    let object = match intent.object.as_ref().map(|object| object.kind.as_str()) {
        Some("path") => "Path",
        Some("repository") => "Repository",
        Some("cluster") => "Cluster",
        _ => "Resource",
    };
    ("Host", object)
}

/// The schema every policy is validated against.
pub fn policy_schema() -> Schema {
    Schema::from_cedarschema_str(&schema_text()).expect("the generated schema parses; a test checks it").0
}

fn uid(entity_type: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(entity_type).expect("entity type names are static identifiers"),
        EntityId::new(id),
    )
}

fn policy_error(message: String) -> Outcome {
    Outcome {
        verdict: Verdict::Deny,
        rule: RULE_POLICY_ERROR.to_owned(),
        reason: format!("the policy could not be evaluated, so the action is denied: {message}"),
        obligations: Vec::new(),
    }
}

/// Cedar's parser for policy text; policies are named `policy0`, `policy1`,
/// ... in source order.
fn parse_text(source: &Source) -> Result<PolicySet, Vec<Diagnostic>> {
    PolicySet::from_str(&source.text)
        .map_err(|errors| errors.iter().map(|error| Diagnostic::from_miette(source, error)).collect())
}

/// What validating `sources` depends on, hashed: the sources (names and
/// text), the schema they are validated against, and the versions of
/// Guardrail and Cedar. Sources that passed [`Policy::from_sources`] under
/// one key may be loaded with [`Policy::from_validated_sources`] while the
/// key is the same.
pub fn validation_key(sources: &[Source]) -> String {
    let versions = [env!("CARGO_PKG_VERSION").to_owned(), cedar_policy::get_sdk_version().to_string(), schema_text()];
    let sources = sources.iter().flat_map(|source| [source.name.as_bytes(), source.text.as_bytes()]);
    digest(versions.iter().map(String::as_bytes).chain(sources))
}

/// SHA-256 of `fields`, each prefixed with its length so that no two
/// different lists of fields hash alike, in hex.
fn digest<'a>(fields: impl Iterator<Item = &'a [u8]>) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field);
    }
    hex::encode(hasher.finalize())
}

/// One annotation of a policy. Cedar's own `Policy::annotation` parses the
/// key with its grammar on every call, which costs more at start-up than all
/// the rest of reading a rule.
fn annotation<'p>(policy: &'p CedarPolicy, key: &str) -> Option<&'p str> {
    policy.annotations().find(|(name, _)| *name == key).map(|(_, value)| value)
}

/// Reads Guardrail's annotations from one policy.
fn read_rule(policy: &CedarPolicy, id: String, order: usize) -> Result<Rule, String> {
    let effect = policy.effect();
    let verdict = match (effect, annotation(policy, "verdict")) {
        (Effect::Forbid, None) => Verdict::Deny,
        (Effect::Forbid, Some(text)) => match text.parse::<Verdict>() {
            Ok(Verdict::Allow) => {
                return Err("@verdict(\"allow\") on a forbid has no meaning; write a permit instead".to_owned());
            }
            Ok(verdict) => verdict,
            Err(message) => return Err(format!("@verdict: {message}")),
        },
        (Effect::Permit, None) => Verdict::Allow,
        (Effect::Permit, Some(_)) => {
            return Err("@verdict belongs on forbid policies; a permit always allows".to_owned());
        }
    };
    let mut obligations = Vec::new();
    if let Some(rows) = annotation(policy, "cap_rows") {
        if effect == Effect::Forbid {
            return Err("@cap_rows belongs on permit policies".to_owned());
        }
        let rows = rows
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("@cap_rows must be a whole number of rows, not {rows:?}"))?;
        obligations.push(Obligation::CapRows { rows });
    }
    if let Some(columns) = annotation(policy, "mask_columns") {
        if effect == Effect::Forbid {
            return Err("@mask_columns belongs on permit policies".to_owned());
        }
        let columns: Vec<String> =
            columns.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect();
        if columns.is_empty() {
            return Err("@mask_columns names no columns".to_owned());
        }
        obligations.push(Obligation::MaskColumns { columns });
    }
    let mut approval = ApprovalRule { role: None, needed: 1 };
    let holds = effect == Effect::Forbid && verdict == Verdict::RequireApproval;
    if let Some(role) = annotation(policy, "approver") {
        if !holds {
            return Err("@approver belongs on forbid policies with @verdict(\"require_approval\")".to_owned());
        }
        let role = role.trim();
        if role.is_empty() {
            return Err("@approver names no role".to_owned());
        }
        approval.role = Some(role.to_owned());
    }
    if let Some(count) = annotation(policy, "approvals") {
        if !holds {
            return Err("@approvals belongs on forbid policies with @verdict(\"require_approval\")".to_owned());
        }
        approval.needed = match count.trim().parse::<u32>() {
            Ok(count @ 1..=10) => count,
            _ => return Err(format!("@approvals must be a whole number from 1 to 10, not {count:?}")),
        };
    }
    let reason = match annotation(policy, "reason") {
        Some(reason) => reason.to_owned(),
        None => match effect {
            Effect::Permit => "permitted by policy".to_owned(),
            Effect::Forbid => "forbidden by policy".to_owned(),
        },
    };
    Ok(Rule { id, effect, verdict, reason, obligations, approval, order })
}

/// The obligations of several permits, combined.
fn merge_obligations(rules: &[&Rule]) -> Vec<Obligation> {
    Obligation::merge(rules.iter().flat_map(|rule| &rule.obligations))
}

/// Whether a policy's scope or conditions mention the principal or the
/// resource. When no policy of a set does, its outcomes cannot depend on
/// them, and the memo may leave them out of its key.
fn mentions_principal_and_resource(policy: &CedarPolicy) -> (bool, bool) {
    use cedar_policy::pst::{self, Clause, Expr, Var};
    // The public syntax tree is converted from the parsed policy; `to_json`
    // would parse the policy's text again.
    let Ok(tree) = policy.to_pst() else {
        // Unknown shape: assume the worst, which only costs memo hits.
        return (true, true);
    };
    let body = tree.body();
    let mentions = |variable: Var| {
        body.clauses().iter().any(|clause| {
            let (Clause::When(expr) | Clause::Unless(expr)) = clause;
            expr.reduce(
                &|node| matches!(node, Expr::Var(found) if *found == variable).then_some(true),
                &|a, b| a || b,
                false,
            )
        })
    };
    // `principal is Agent` tests only the actor's kind, which the memo
    // always keys on; it needs neither the actor's name nor its roles.
    let principal = !matches!(body.principal, pst::PrincipalConstraint::Any | pst::PrincipalConstraint::Is(_))
        || mentions(Var::Principal);
    let resource = !matches!(body.resource, pst::ResourceConstraint::Any) || mentions(Var::Resource);
    (principal, resource)
}

/// Every input of a judgement the policies can see, owned for the memo.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MemoKey {
    intent: IntentKind,
    scope: &'static str,
    channel: String,
    environment: String,
    justification: Option<String>,
    /// The actor's kind: always part of the key (a policy may test the
    /// principal's type, `principal is Agent`, without naming anyone).
    kind: ActorKind,
    principal: Option<(ActorKind, String, Vec<String>)>,
    resource: Option<(String, Option<(String, String)>)>,
}

/// The same key borrowed from a request, to look up without allocating.
struct MemoKeyRef<'a> {
    intent: IntentKind,
    scope: &'static str,
    channel: &'a str,
    environment: &'a str,
    justification: Option<&'a str>,
    kind: ActorKind,
    principal: Option<(ActorKind, &'a str, &'a [String])>,
    resource: Option<(&'a str, Option<(&'a str, &'a str)>)>,
}

impl<'a> MemoKeyRef<'a> {
    fn new(request: &Request<'a>, uses_principal: bool, uses_resource: bool) -> MemoKeyRef<'a> {
        let intent = request.intent;
        MemoKeyRef {
            intent: intent.kind,
            scope: intent.scope.as_str(),
            channel: request.channel,
            environment: request.environment,
            justification: request.justification,
            kind: request.actor.kind,
            principal: uses_principal.then_some((
                request.actor.kind,
                request.actor.id.as_str(),
                request.actor.roles.as_slice(),
            )),
            resource: uses_resource.then(|| {
                (request.target, intent.object.as_ref().map(|object| (object.kind.as_str(), object.name.as_str())))
            }),
        }
    }

    fn to_owned(&self) -> MemoKey {
        MemoKey {
            intent: self.intent,
            scope: self.scope,
            channel: self.channel.to_owned(),
            environment: self.environment.to_owned(),
            justification: self.justification.map(str::to_owned),
            kind: self.kind,
            principal: self.principal.map(|(kind, id, roles)| (kind, id.to_owned(), roles.to_vec())),
            resource: self
                .resource
                .map(|(target, object)| (target.to_owned(), object.map(|(k, n)| (k.to_owned(), n.to_owned())))),
        }
    }
}

// Both key forms hash the same fields in the same order, as `Equivalent`
// requires.
impl Hash for MemoKeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.intent.hash(state);
        self.scope.hash(state);
        self.channel.hash(state);
        self.environment.hash(state);
        self.justification.hash(state);
        self.kind.hash(state);
        self.principal.hash(state);
        self.resource.hash(state);
    }
}

impl Hash for MemoKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.intent.hash(state);
        self.scope.hash(state);
        self.channel.as_str().hash(state);
        self.environment.as_str().hash(state);
        self.justification.as_deref().hash(state);
        self.kind.hash(state);
        self.principal.as_ref().map(|(kind, id, roles)| (*kind, id.as_str(), roles.as_slice())).hash(state);
        self.resource
            .as_ref()
            .map(|(target, object)| (target.as_str(), object.as_ref().map(|(k, n)| (k.as_str(), n.as_str()))))
            .hash(state);
    }
}

impl Equivalent<MemoKey> for MemoKeyRef<'_> {
    fn equivalent(&self, key: &MemoKey) -> bool {
        self.intent == key.intent
            && self.scope == key.scope
            && self.channel == key.channel
            && self.environment == key.environment
            && self.justification == key.justification.as_deref()
            && self.kind == key.kind
            && self.principal == key.principal.as_ref().map(|(kind, id, roles)| (*kind, id.as_str(), roles.as_slice()))
            && self.resource
                == key
                    .resource
                    .as_ref()
                    .map(|(target, object)| (target.as_str(), object.as_ref().map(|(k, n)| (k.as_str(), n.as_str()))))
    }
}

#[cfg(test)]
mod tests;
