use super::*;
use crate::intent::Object;

/// An analyzer that answers from a fixed table: each line of text is
/// `intent-id scope`.
struct Table;

impl Analyzer for Table {
    fn analyze(&self, action: &Action) -> Analysis {
        let text = &action.text;
        let intents = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let mut words = line.split_whitespace();
                let kind = IntentKind::from_id(words.next().unwrap()).unwrap();
                let scope = match words.next() {
                    Some("unbounded") => Scope::Unbounded,
                    _ => Scope::Bounded,
                };
                Intent::new(kind, scope, Span::new(0, line.len())).with_object(Object::new("table", "t"))
            })
            .collect();
        Analysis { intents, secrets: Vec::new() }
    }
}

fn guard() -> Guard {
    Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::new(Table))
}

fn check(text: &str, justification: Option<&str>) -> (Verdict, String, bool) {
    let mut action = Action::sql(text);
    action.context.justification = justification.map(str::to_owned);
    let decision = guard().check(&action);
    (decision.verdict, decision.rule.clone(), decision.justified)
}

#[test]
fn combination_follows_the_most_restrictive_intent() {
    // (intents, justification, expected verdict, expected rule, justified)
    let cases: &[(&str, Option<&str>, Verdict, &str, bool)] = &[
        ("data.read", None, Verdict::Allow, "baseline", false),
        ("data.read unbounded", None, Verdict::Allow, "cap-unbounded-reads", false),
        ("schema.create", None, Verdict::RequireJustification, "schema-change", false),
        ("schema.create", Some("INC-1: new index for the report"), Verdict::Allow, "schema-change", true),
        ("schema.create", Some("   "), Verdict::RequireJustification, "schema-change", false),
        ("data.read\nschema.create\ncode.call", Some("because"), Verdict::RequireApproval, "opaque-code", false),
        ("code.call", Some("because"), Verdict::RequireApproval, "opaque-code", false),
        ("schema.drop", Some("because"), Verdict::Deny, "drop", false),
        ("schema.create\ndata.delete_all", None, Verdict::Deny, "unbounded-write", false),
        ("lock.exclusive\nadmin.alter_system", None, Verdict::RequireApproval, "heavy-lock", false),
        ("", None, Verdict::Allow, RULE_NO_EFFECT, false),
    ];
    for &(text, justification, verdict, rule, justified) in cases {
        assert_eq!(
            check(text, justification),
            (verdict, rule.to_owned(), justified),
            "intents {text:?} with justification {justification:?}"
        );
    }
}

#[test]
fn obligations_apply_only_to_actions_that_run() {
    let guard = guard();
    let allowed = guard.check(&Action::sql("data.read unbounded\ndata.insert"));
    assert_eq!(allowed.obligations, vec![Obligation::CapRows { rows: 1000 }]);
    let held = guard.check(&Action::sql("data.read unbounded\nschema.create"));
    assert_eq!(held.verdict, Verdict::RequireJustification);
    assert!(held.obligations.is_empty());
}

#[test]
fn a_kind_without_an_analyzer_is_unknown_and_held() {
    let decision = guard().check(&Action::new(ActionKind::Shell, "rm -rf /"));
    assert_eq!(decision.verdict, Verdict::RequireApproval);
    assert_eq!(decision.intents[0].intent.kind, IntentKind::Unknown);
}

#[test]
fn cached_decisions_depend_on_every_input() {
    let guard = guard();
    let plain = Action::sql("schema.create");
    assert_eq!(guard.check(&plain).verdict, Verdict::RequireJustification);
    let justified = plain.clone().with_justification("INC-7");
    assert_eq!(guard.check(&justified).verdict, Verdict::Allow);
    assert_eq!(guard.check(&plain).verdict, Verdict::RequireJustification);
    let uncached =
        Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::new(Table)).with_cache_bytes(0);
    // Checked again, each is answered from the cache, and the same.
    for action in [&plain, &justified, &plain, &justified] {
        assert_eq!(*guard.check(action), *uncached.check(action));
    }
}

/// Counts the texts it is asked to analyze.
struct Counting(std::sync::atomic::AtomicUsize);

impl Analyzer for Counting {
    fn analyze(&self, action: &Action) -> Analysis {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Table.analyze(action)
    }
}

#[test]
fn a_text_is_cached_from_its_second_sighting_on() {
    let counting = Arc::new(Counting(std::sync::atomic::AtomicUsize::new(0)));
    let guard = Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::clone(&counting) as _);
    let analyzed = || counting.0.load(std::sync::atomic::Ordering::Relaxed);
    // Texts seen once are not kept.
    for n in 0..100 {
        guard.check(&Action::sql(format!("data.read {n}")));
    }
    assert_eq!(analyzed(), 100);
    let action = Action::sql("schema.create");
    let first = guard.check(&action);
    let second = guard.check(&action);
    assert_eq!(analyzed(), 102, "a second sighting is decided afresh, and kept");
    let third = guard.check(&action);
    assert_eq!(analyzed(), 102, "a third is answered from the cache");
    assert!(Arc::ptr_eq(&second, &third));
    assert_eq!(*first, *third);
    // Another actor is another key.
    guard.check(&action.clone().with_actor(Actor::new("alice", crate::ActorKind::Human)));
    assert_eq!(analyzed(), 103);
}

struct Broken;

impl Analyzer for Broken {
    fn analyze(&self, _action: &Action) -> Analysis {
        panic!("a bug in a rule")
    }
}

#[test]
fn an_analyzer_that_panics_makes_the_action_unknown() {
    let guard = Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::new(Broken));
    let decision = guard.check(&Action::sql("SELECT 1"));
    assert_eq!(decision.verdict, Verdict::RequireApproval);
    assert_eq!(decision.intents[0].intent.kind, IntentKind::Unknown);
    assert!(decision.intents[0].intent.note.as_deref().unwrap().contains("a bug in a rule"));
    assert_eq!(decision.secrets, vec![Span::new(0, 8)], "with nothing known, the whole text is withheld");
}
