//! CREATE RULE.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::RuleStmt;

use super::{Rule, Status};
use crate::names::relation;
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "rule",
    intents: &[IntentKind::SchemaCreate],
    status: Status::Stable,
    catches: "CREATE RULE, a schema change whose actions are walked as statements: a rule that \
              deletes or truncates on every insert is judged by what it does.",
    why: "A rewrite rule runs its actions whenever its event fires, long after it was created and \
          out of sight of whoever fires it.",
    example: "CREATE RULE wipe AS ON INSERT TO logs DO ALSO DELETE FROM users",
    look_alike: "SELECT 'CREATE RULE' LIMIT 1",
    gaps: "None known.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &RuleStmt) -> Flow {
    let table = statement.relation.as_ref().map(relation).unwrap_or_default();
    walker.emit(
        IntentKind::SchemaCreate,
        Scope::Bounded,
        Some(Object::new("rule", format!("{table}.{}", statement.rulename))),
    );
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn rule_actions_are_judged() {
        check(&[
            (
                "CREATE RULE wipe AS ON INSERT TO logs DO ALSO DELETE FROM users",
                "schema.create bounded rule:logs.wipe; data.delete_all unbounded table:users",
            ),
            ("CREATE RULE r AS ON UPDATE TO t DO INSTEAD (TRUNCATE u; NOTIFY t)", "unknown unbounded"),
            ("CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING", "schema.create bounded rule:t.r"),
            (
                "CREATE RULE r AS ON INSERT TO t DO INSTEAD INSERT INTO u VALUES (new.*)",
                "schema.create bounded rule:t.r; data.insert bounded table:u",
            ),
        ]);
    }
}
