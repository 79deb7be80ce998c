//! DROP of any object, and DROP OWNED.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::DropBehavior;

use super::{Rule, Status};
use crate::names::{self, inner, object_kind, role_name};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "drop",
    intents: &[IntentKind::SchemaDrop, IntentKind::PrivilegeRevoke],
    status: Status::Stable,
    catches: "DROP of every kind of object (table, view, function, schema, database, role, \
              tablespace, subscription, user mapping, ...), one intent per object, and DROP OWNED, \
              which drops everything a role owns.",
    why: "Dropping a table or database destroys its data; dropping a function, trigger, policy or \
          constraint removes behaviour or protection others rely on. CASCADE widens it to every \
          dependent object.",
    example: "DROP TABLE IF EXISTS users CASCADE",
    look_alike: "CREATE TEMP TABLE drop_me (id int)",
    gaps: "Dropping a temporary object is still reported as schema.drop: the analyzer cannot tell \
           which names are temporary.",
};

pub(crate) fn check(walker: &mut Walker<'_>, node: &NodeEnum) -> Flow {
    let mut drop = |kind: &str, name: String, cascade: bool| {
        let intent = walker.emit(IntentKind::SchemaDrop, Scope::Bounded, Some(Object::new(kind, name)));
        if cascade {
            intent.note = Some("CASCADE also drops every object that depends on it".to_owned());
        }
    };
    let cascades = |behavior: i32| DropBehavior::try_from(behavior) == Ok(DropBehavior::DropCascade);
    match node {
        NodeEnum::DropStmt(statement) => {
            let kind = object_kind(statement.remove_type);
            for object in statement.objects.iter().filter_map(inner) {
                // A temporary table, view or sequence the text made.
                let (schema, name) = super::temporary::split(object);
                if matches!(kind, "table" | "view" | "sequence" | "materialized_view")
                    && walker.is_temporary_name(&schema, &name)
                {
                    walker.emit(
                        IntentKind::SchemaDrop,
                        Scope::Temporary,
                        Some(Object::new(kind, names::object(object))),
                    );
                    walker.forget_temporary(Some(&name));
                    continue;
                }
                let intent =
                    walker.emit(IntentKind::SchemaDrop, Scope::Bounded, Some(Object::new(kind, names::object(object))));
                if cascades(statement.behavior) {
                    intent.note = Some("CASCADE also drops every object that depends on it".to_owned());
                }
            }
        }
        NodeEnum::DropdbStmt(statement) => drop("database", statement.dbname.clone(), false),
        NodeEnum::DropRoleStmt(statement) => {
            for role in statement.roles.iter().filter_map(inner) {
                drop("role", names::object(role), false);
            }
        }
        NodeEnum::DropTableSpaceStmt(statement) => drop("tablespace", statement.tablespacename.clone(), false),
        NodeEnum::DropSubscriptionStmt(statement) => {
            drop("subscription", statement.subname.clone(), cascades(statement.behavior))
        }
        NodeEnum::DropUserMappingStmt(statement) => {
            let user = statement.user.as_ref().map(role_name).unwrap_or_default();
            drop("user_mapping", format!("{user} on {}", statement.servername), false)
        }
        NodeEnum::DropOwnedStmt(statement) => {
            for role in statement.roles.iter().filter_map(inner) {
                let role = names::object(role);
                walker.emit(IntentKind::SchemaDrop, Scope::Unbounded, Some(Object::new("role", role.clone()))).note =
                    Some("DROP OWNED drops every object the role owns in this database".to_owned());
                walker.emit(IntentKind::PrivilegeRevoke, Scope::Unbounded, Some(Object::new("role", role)));
            }
        }
        _ => {}
    }
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn every_kind_of_drop_is_a_drop_of_each_object() {
        check(&[
            ("DROP TABLE users", "schema.drop bounded table:users"),
            ("DROP TABLE IF EXISTS a, s.b CASCADE", "schema.drop bounded table:a; schema.drop bounded table:s.b"),
            ("DROP VIEW v", "schema.drop bounded view:v"),
            ("DROP MATERIALIZED VIEW mv", "schema.drop bounded materialized_view:mv"),
            ("DROP INDEX CONCURRENTLY i", "schema.drop bounded index:i"),
            ("DROP FUNCTION f(int)", "schema.drop bounded function:f"),
            ("DROP SCHEMA app CASCADE", "schema.drop bounded schema:app"),
            ("DROP DATABASE prod", "schema.drop bounded database:prod"),
            ("DROP DATABASE IF EXISTS prod WITH (FORCE)", "schema.drop bounded database:prod"),
            ("DROP ROLE alice, bob", "schema.drop bounded role:alice; schema.drop bounded role:bob"),
            ("DROP USER alice", "schema.drop bounded role:alice"),
            ("DROP TABLESPACE fast", "schema.drop bounded tablespace:fast"),
            ("DROP SUBSCRIPTION s", "schema.drop bounded subscription:s"),
            ("DROP USER MAPPING FOR bob SERVER remote", "schema.drop bounded user_mapping:bob on remote"),
            ("DROP TRIGGER audit ON users", "schema.drop bounded trigger:users.audit"),
            ("DROP POLICY p ON users", "schema.drop bounded policy:users.p"),
            ("DROP EXTENSION pgcrypto", "schema.drop bounded extension:pgcrypto"),
            ("DROP TYPE mood", "schema.drop bounded type:mood"),
            ("DROP OWNED BY alice", "schema.drop unbounded role:alice; privilege.revoke unbounded role:alice"),
            ("SELECT 'DROP TABLE users' AS x LIMIT 1", "data.read bounded"),
        ]);
    }
}
