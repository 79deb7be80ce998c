use super::*;
use crate::action::Actor;
use crate::intent::{Object, Scope, Span};

fn intent(kind: IntentKind, scope: Scope) -> Intent {
    Intent::new(kind, scope, Span::new(0, 0)).with_object(Object::new("table", "public.users"))
}

fn judge_with(policy: &Policy, actor: &Actor, intent: &Intent, justification: Option<&str>) -> Outcome {
    let request = Request { actor, intent, target: "app", channel: "cli", environment: "production", justification };
    let memoised = policy.judge(&request);
    let fresh = policy.evaluate(&request);
    assert_eq!(*memoised, fresh, "the memo must agree with a fresh evaluation");
    fresh
}

fn load(text: &str) -> Result<Policy, PolicyError> {
    Policy::from_sources(vec![Source::new("test.cedar", text)])
}

#[test]
fn generated_schema_parses_and_names_every_intent() {
    let schema = policy_schema();
    let actions: Vec<String> = schema.actions().map(|uid| uid.id().unescaped().to_owned()).collect();
    for kind in IntentKind::ALL {
        assert!(actions.iter().any(|action| action == kind.id()), "schema lacks action {kind}");
    }
}

#[test]
fn default_policy_loads_and_reads_its_annotations() {
    let policy = Policy::default_policy();
    assert_eq!(policy.version().len(), 16);
    // The default policy names neither principals nor resources (it tests
    // only the principal's kind), so its memo is keyed on intents, context
    // and the actor's kind alone.
    assert!(!policy.uses_principal);
    assert!(!policy.uses_resource);
}

#[test]
fn verdict_annotations_decide_and_the_strongest_forbid_wins() {
    let policy = load(
        r#"
        @id("all") permit (principal, action, resource);
        @id("soft") @verdict("require_justification") @reason("say why")
        forbid (principal, action in Action::"schema.change", resource);
        @id("hard") @reason("never")
        forbid (principal, action == Action::"schema.drop", resource);
        "#,
    )
    .unwrap();
    let actor = Actor::default();
    let create = judge_with(&policy, &actor, &intent(IntentKind::SchemaCreate, Scope::Bounded), None);
    assert_eq!(
        (create.verdict, create.rule.as_str(), create.reason.as_str()),
        (Verdict::RequireJustification, "soft", "say why")
    );
    let drop = judge_with(&policy, &actor, &intent(IntentKind::SchemaDrop, Scope::Bounded), None);
    assert_eq!((drop.verdict, drop.rule.as_str()), (Verdict::Deny, "hard"));
    let read = judge_with(&policy, &actor, &intent(IntentKind::DataRead, Scope::Bounded), None);
    assert_eq!((read.verdict, read.rule.as_str()), (Verdict::Allow, "all"));
}

#[test]
fn an_intent_no_permit_covers_is_denied_even_under_a_softer_forbid() {
    let policy = load(
        r#"
        @id("reads") permit (principal, action == Action::"data.read", resource);
        @id("soft") @verdict("require_justification")
        forbid (principal, action == Action::"schema.create", resource);
        "#,
    )
    .unwrap();
    let actor = Actor::default();
    let create = judge_with(&policy, &actor, &intent(IntentKind::SchemaCreate, Scope::Bounded), Some("because"));
    assert_eq!((create.verdict, create.rule.as_str()), (Verdict::Deny, RULE_NO_PERMIT));
    let insert = judge_with(&policy, &actor, &intent(IntentKind::DataInsert, Scope::Bounded), None);
    assert_eq!((insert.verdict, insert.rule.as_str()), (Verdict::Deny, RULE_NO_PERMIT));
}

#[test]
fn a_forbid_that_fails_to_evaluate_denies_instead_of_being_skipped() {
    // Cedar skips a policy whose evaluation errors; here that would let the
    // permit through. Guardrail denies.
    let policy = load(
        r#"
        @id("all") permit (principal, action, resource);
        @id("overflow") @verdict("require_approval")
        forbid (principal, action, resource) when { 9223372036854775807 + 1 > 0 };
        "#,
    )
    .unwrap();
    let outcome = judge_with(&policy, &Actor::default(), &intent(IntentKind::DataRead, Scope::Bounded), None);
    assert_eq!((outcome.verdict, outcome.rule.as_str()), (Verdict::Deny, RULE_POLICY_ERROR));
    assert!(outcome.reason.contains("overflow"), "{}", outcome.reason);
}

#[test]
fn obligations_come_from_satisfied_permits_and_merge() {
    let policy = load(
        r#"
        @id("all") permit (principal, action, resource);
        @id("cap") @cap_rows("500") permit (principal, action == Action::"data.read", resource)
            when { context.scope == "unbounded" };
        @id("tighter") @cap_rows("100") @mask_columns("ssn, card")
        permit (principal in Role::"contractor", action == Action::"data.read", resource);
        @id("soft") @verdict("require_justification")
        forbid (principal, action == Action::"data.read", resource) when { resource.name == "secrets" };
        "#,
    )
    .unwrap();
    let mut contractor = Actor::default();
    contractor.roles.push("contractor".to_owned());
    let read = intent(IntentKind::DataRead, Scope::Unbounded);
    let outcome = judge_with(&policy, &contractor, &read, None);
    assert_eq!(outcome.verdict, Verdict::Allow);
    assert_eq!(
        outcome.obligations,
        vec![Obligation::CapRows { rows: 100 }, Obligation::MaskColumns { columns: vec!["ssn".into(), "card".into()] }]
    );
    assert_eq!(outcome.rule, "cap", "a permit with obligations explains an allow better than the baseline");
    // A justified read of a guarded resource keeps the permits' obligations.
    let secrets = Intent::new(IntentKind::DataRead, Scope::Unbounded, Span::new(0, 0))
        .with_object(Object::new("table", "secrets"));
    let outcome = judge_with(&policy, &Actor::default(), &secrets, None);
    assert_eq!(outcome.verdict, Verdict::RequireJustification);
    assert_eq!(outcome.obligations, vec![Obligation::CapRows { rows: 500 }]);
    assert!(policy.uses_principal && policy.uses_resource);
}

#[test]
fn the_memo_keeps_principals_and_resources_apart_when_policies_mention_them() {
    let policy = load(
        r#"
        @id("all") permit (principal, action, resource);
        @id("agents") forbid (principal is Agent, action == Action::"data.insert", resource)
            unless { principal in Role::"writer" };
        @id("ledger") forbid (principal, action == Action::"data.update", resource)
            when { resource.name == "ledger" };
        "#,
    )
    .unwrap();
    let agent = Actor::default();
    let mut writer = Actor::default();
    writer.roles.push("writer".to_owned());
    let human = Actor::new("ada", crate::ActorKind::Human);
    let insert = intent(IntentKind::DataInsert, Scope::Bounded);
    // Alternate so that a memo keyed too coarsely would answer wrongly.
    for _ in 0..2 {
        assert_eq!(judge_with(&policy, &agent, &insert, None).verdict, Verdict::Deny);
        assert_eq!(judge_with(&policy, &writer, &insert, None).verdict, Verdict::Allow);
        assert_eq!(judge_with(&policy, &human, &insert, None).verdict, Verdict::Allow);
    }
    let update = |name: &str| {
        Intent::new(IntentKind::DataUpdate, Scope::Bounded, Span::new(0, 0)).with_object(Object::new("table", name))
    };
    for _ in 0..2 {
        assert_eq!(judge_with(&policy, &agent, &update("ledger"), None).verdict, Verdict::Deny);
        assert_eq!(judge_with(&policy, &agent, &update("users"), None).verdict, Verdict::Allow);
    }
}

#[test]
fn the_memo_keeps_justification_text_apart() {
    let policy = load(
        r#"
        @id("all") permit (principal, action, resource);
        @id("tickets") @verdict("require_approval")
        forbid (principal, action == Action::"schema.create", resource)
        unless { context has justification && context.justification like "INC-*" };
        "#,
    )
    .unwrap();
    let create = intent(IntentKind::SchemaCreate, Scope::Bounded);
    let actor = Actor::default();
    for _ in 0..2 {
        assert_eq!(judge_with(&policy, &actor, &create, Some("INC-1: migrate")).verdict, Verdict::Allow);
        assert_eq!(judge_with(&policy, &actor, &create, Some("trust me")).verdict, Verdict::RequireApproval);
        assert_eq!(judge_with(&policy, &actor, &create, None).verdict, Verdict::RequireApproval);
    }
}

/// Loads `text` and returns the single problem found, as printed.
fn single_error(text: &str) -> String {
    let error = load(text).expect_err("the policy should be rejected");
    assert_eq!(error.diagnostics.len(), 1, "{error}");
    error.to_string()
}

#[test]
fn problems_are_reported_with_file_line_and_a_hint() {
    let cases: &[(&str, &str)] = &[
        (
            "@id(\"a\") permit (principal, action, resource);\n@verdcit(\"deny\") forbid (principal, action, resource);",
            "test.cedar:2:1: unknown annotation @verdcit (did you mean @verdict?)",
        ),
        (
            "@id(\"a\") @verdict(\"maybe\") forbid (principal, action, resource);",
            "test.cedar:1:1: @verdict: unknown verdict \"maybe\"",
        ),
        ("@id(\"a\") @verdict(\"deny\") permit (principal, action, resource);", "@verdict belongs on forbid policies"),
        ("@id(\"a\") @cap_rows(\"lots\") permit (principal, action, resource);", "@cap_rows must be a whole number"),
        (
            "@id(\"a\") permit (principal, action, resource);\n\n@id(\"a\") forbid (principal, action, resource);",
            "test.cedar:3:1: duplicate rule id \"a\"; first used at test.cedar:1",
        ),
        ("@id(\"a\") permit (principal, action, resource) when { 1 + };", "test.cedar:1:"),
        ("@id(\"a\")\nforbid (principal, action == Action::\"data.delet_all\", resource);", "test.cedar:2:"),
    ];
    for (text, expected) in cases {
        let message = single_error(text);
        assert!(message.contains(expected), "for policy:\n{text}\nexpected {expected:?} in:\n{message}");
    }
}

#[test]
fn an_unknown_action_is_named_by_validation() {
    let message = single_error("@id(\"a\")\nforbid (principal, action == Action::\"data.delet_all\", resource);");
    assert!(message.contains("data.delet_all"), "{message}");
}

#[test]
fn policies_without_an_id_are_named_by_source_and_line() {
    let policy = load("\n\nforbid (principal, action, resource);").unwrap();
    let outcome = judge_with(&policy, &Actor::default(), &intent(IntentKind::DataRead, Scope::Bounded), None);
    assert_eq!(outcome.rule, "test.cedar:3");
}

#[test]
fn the_default_policy_validates_against_the_schema() {
    // Policy::default_policy() skips validation at start-up on the strength
    // of this test.
    let validated = Policy::from_sources(vec![Source::new(DEFAULT_POLICY_NAME, DEFAULT_POLICY)]);
    assert!(validated.is_ok(), "{:?}", validated.err());
}

#[test]
fn action_entities_built_from_the_taxonomy_match_the_schema() {
    let from_schema = policy_schema().action_entities().unwrap();
    let built = schema::action_entities();
    let mut expected: Vec<String> = from_schema.iter().map(|entity| format!("{entity}")).collect();
    let mut actual: Vec<String> = built.iter().map(|entity| format!("{entity}")).collect();
    expected.sort();
    actual.sort();
    assert_eq!(actual, expected);
}

/// Cedar's JSON form of the default policy's text, policies named
/// `policy0`, `policy1`, ... in source order as the text parser names them.
fn default_policy_as_json() -> String {
    let parsed = PolicySet::from_str(DEFAULT_POLICY).expect("the default policy parses");
    let mut policies = serde_json::Map::new();
    for policy in parsed.policies() {
        policies.insert(policy.id().to_string(), policy.to_json().expect("a parsed policy has a JSON form"));
    }
    let set = serde_json::json!({ "staticPolicies": policies, "templates": {}, "templateLinks": [] });
    serde_json::to_string_pretty(&set).expect("JSON values serialise") + "\n"
}

#[test]
fn the_pre_parsed_default_policy_is_generated_from_its_text() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/policy/default.cedar.json");
    let expected = default_policy_as_json();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &expected).expect("write default.cedar.json");
        return;
    }
    assert!(
        DEFAULT_POLICY_JSON == expected,
        "src/policy/default.cedar.json is stale; regenerate it with\n  \
         UPDATE_GENERATED=1 cargo test -p guardrail-core the_pre_parsed_default_policy"
    );
}

#[test]
fn the_pre_parsed_default_policy_has_the_rules_of_its_text() {
    let pre_parsed = Policy::default_policy();
    let from_text = Policy::from_sources(vec![Source::new(DEFAULT_POLICY_NAME, DEFAULT_POLICY)]).unwrap();
    assert!(pre_parsed.rule_ids().eq(from_text.rule_ids()), "same rules in the same order");
    assert_eq!(pre_parsed.version(), from_text.version());
    assert_eq!(
        (pre_parsed.uses_principal, pre_parsed.uses_resource),
        (from_text.uses_principal, from_text.uses_resource)
    );
    for kind in IntentKind::ALL {
        for scope in [Scope::Bounded, Scope::Unbounded, Scope::Workspace, Scope::System] {
            let intent = intent(*kind, scope);
            let actor = Actor::default();
            assert_eq!(
                judge_with(&pre_parsed, &actor, &intent, None),
                judge_with(&from_text, &actor, &intent, None),
                "{kind} {scope:?}"
            );
        }
    }
}

#[test]
fn the_memo_key_keeps_what_any_policy_can_see() {
    // (policy, mentions the principal, mentions the resource)
    let cases = [
        ("permit (principal, action, resource);", false, false),
        (r#"permit (principal == User::"ann", action, resource);"#, true, false),
        (r#"permit (principal, action, resource in Cluster::"prod");"#, false, true),
        (r#"permit (principal, action, resource is Table);"#, false, true),
        (r#"permit (principal, action, resource) when { principal.kind == "agent" };"#, true, false),
        (r#"permit (principal, action, resource) unless { resource.name == "x" };"#, false, true),
        (r#"permit (principal, action, resource) when { context.environment == "prod" };"#, false, false),
        (
            r#"permit (principal, action, resource) when { if context.x then [resource].isEmpty() else true };"#,
            false,
            true,
        ),
        (r#"permit (principal, action, resource) when { context.s like "principal*" };"#, false, false),
    ];
    for (text, principal, resource) in cases {
        let parsed = CedarPolicy::from_str(text).unwrap_or_else(|error| panic!("{text}: {error}"));
        assert_eq!(mentions_principal_and_resource(&parsed), (principal, resource), "{text}");
    }
}

#[test]
fn validation_keys_change_with_anything_validation_depends_on() {
    let source = |name: &str, text: &str| vec![Source::new(name, text)];
    let base = validation_key(&source("a.cedar", "permit (principal, action, resource);"));
    assert_eq!(base, validation_key(&source("a.cedar", "permit (principal, action, resource);")));
    assert_ne!(base, validation_key(&source("a.cedar", "permit (principal, action, resource );")));
    assert_ne!(base, validation_key(&source("b.cedar", "permit (principal, action, resource);")));
    // Field boundaries count: moving text between name and body changes the key.
    assert_ne!(validation_key(&source("ab", "c")), validation_key(&source("a", "bc")));
    assert_eq!(base.len(), 64);
}

#[test]
fn validated_sources_skip_only_the_schema_check() {
    // A type error only validation finds.
    let ill_typed =
        vec![Source::new("t.cedar", r#"@id("all") permit (principal, action, resource) when { context.scope == 3 };"#)];
    assert!(Policy::from_sources(ill_typed.clone()).is_err());
    assert!(Policy::from_validated_sources(ill_typed).is_ok());
    // Parsing and Guardrail's own checks still run.
    let misspelt = vec![Source::new("t.cedar", r#"@verdcit("deny") forbid (principal, action, resource);"#)];
    assert!(Policy::from_validated_sources(misspelt).is_err());
    let broken = vec![Source::new("t.cedar", "permit (principal, action, resource")];
    assert!(Policy::from_validated_sources(broken).is_err());
}

#[test]
fn approval_rules_come_from_the_rule_that_holds() {
    let policy = load(
        r#"
        @id("all") permit (principal, action, resource);
        @id("grants") @verdict("require_approval") @approver("dba") @approvals("2")
        forbid (principal, action == Action::"privilege.grant", resource);
        @id("plain") @verdict("require_approval")
        forbid (principal, action == Action::"privilege.revoke", resource);
        "#,
    )
    .unwrap();
    assert_eq!(policy.approval_rule("grants"), ApprovalRule { role: Some("dba".into()), needed: 2 });
    assert_eq!(policy.approval_rule("plain"), ApprovalRule { role: None, needed: 1 });
    assert_eq!(policy.approval_rule("no-such-rule"), ApprovalRule { role: None, needed: 1 });
    // Misplaced or malformed: an error, never a silent default.
    for (text, words) in [
        (r#"@id("p") @approver("dba") permit (principal, action, resource);"#, "@approver belongs"),
        (r#"@id("f") @approver("dba") forbid (principal, action, resource);"#, "@approver belongs"),
        (
            r#"@id("f") @verdict("require_approval") @approvals("0") forbid (principal, action, resource);"#,
            "from 1 to 10",
        ),
        (
            r#"@id("f") @verdict("require_approval") @approver(" ") forbid (principal, action, resource);"#,
            "names no role",
        ),
    ] {
        let error = load(text).err().unwrap_or_else(|| panic!("{text} loaded"));
        assert!(format!("{error:?}").contains(words), "{text}: {error:?}");
    }
}
