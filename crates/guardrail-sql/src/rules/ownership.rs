//! ALTER ... OWNER TO and REASSIGN OWNED.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;

use super::{Rule, Status};
use crate::names::{self, inner, object_kind, relation, role_name};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "ownership",
    intents: &[IntentKind::PrivilegeOwnerChange],
    status: Status::Stable,
    catches: "ALTER <object> ... OWNER TO for every kind of object (ALTER TABLE ... OWNER TO is \
              judged with the other ALTER TABLE sub-commands), and REASSIGN OWNED, which hands \
              everything a role owns to another.",
    why: "An object's owner can drop it, change it and grant on it; giving ownership away gives \
          all of that away.",
    example: "REASSIGN OWNED BY alice TO mallory",
    look_alike: "SELECT owner FROM ownership_log LIMIT 5",
    gaps: "None known.",
};

pub(crate) fn check(walker: &mut Walker<'_>, node: &NodeEnum) -> Flow {
    match node {
        NodeEnum::AlterOwnerStmt(statement) => {
            let name = match (&statement.relation, statement.object.as_deref().and_then(inner)) {
                (Some(range), _) => relation(range),
                (None, Some(object)) => names::object(object),
                (None, None) => String::new(),
            };
            let owner = statement.newowner.as_ref().map(role_name).unwrap_or_default();
            walker
                .emit(
                    IntentKind::PrivilegeOwnerChange,
                    Scope::Bounded,
                    Some(Object::new(object_kind(statement.object_type), name)),
                )
                .note = Some(format!("new owner {owner}"));
        }
        NodeEnum::ReassignOwnedStmt(statement) => {
            let owner = statement.newrole.as_ref().map(role_name).unwrap_or_default();
            for role in statement.roles.iter().filter_map(inner) {
                walker
                    .emit(
                        IntentKind::PrivilegeOwnerChange,
                        Scope::Unbounded,
                        Some(Object::new("role", names::object(role))),
                    )
                    .note = Some(format!("every object it owns goes to {owner}"));
            }
        }
        _ => {}
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn ownership_changes() {
        check(&[
            ("ALTER FUNCTION f(int) OWNER TO bob", "privilege.owner_change bounded function:f"),
            ("ALTER SCHEMA app OWNER TO bob", "privilege.owner_change bounded schema:app"),
            ("ALTER DATABASE prod OWNER TO bob", "privilege.owner_change bounded database:prod"),
            (
                "REASSIGN OWNED BY alice, carol TO mallory",
                "privilege.owner_change unbounded role:alice; privilege.owner_change unbounded role:carol",
            ),
        ]);
    }
}
