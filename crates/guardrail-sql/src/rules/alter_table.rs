//! ALTER TABLE (and ALTER INDEX, VIEW, SEQUENCE, ...): each sub-command.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableStmt, AlterTableType};

use super::{Rule, Status};
use crate::names::{inner, object_kind, relation, role_name};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "alter_table",
    intents: &[
        IntentKind::SchemaDropColumn,
        IntentKind::SchemaDropConstraint,
        IntentKind::IntegrityDisableTriggers,
        IntentKind::IntegrityDisableRowSecurity,
        IntentKind::PrivilegeOwnerChange,
        IntentKind::SchemaAlter,
    ],
    status: Status::Stable,
    catches: "Each sub-command of ALTER TABLE and its kin: DROP COLUMN, DROP CONSTRAINT and DROP \
              NOT NULL; DISABLE TRIGGER (named, ALL or USER); DISABLE or NO FORCE ROW LEVEL \
              SECURITY; OWNER TO; anything else is a schema change.",
    why: "Dropping a column destroys its data; dropping a constraint or disabling triggers or \
          row-level security lets bad or unauthorised writes through without error.",
    example: "ALTER TABLE users DROP COLUMN email",
    look_alike: "ALTER TABLE users ADD COLUMN email text",
    gaps: "Sub-commands that rewrite the table (ALTER COLUMN TYPE) hold a heavy lock while they \
           run; they are reported as schema.alter, not lock.exclusive.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &AlterTableStmt) -> Flow {
    let table = statement.relation.as_ref().map(relation).unwrap_or_default();
    let kind = object_kind(statement.objtype);
    for command in statement.cmds.iter().filter_map(inner) {
        let NodeEnum::AlterTableCmd(command) = command else {
            continue;
        };
        let part = |name: &str| Object::new(kind, format!("{table}.{name}"));
        let whole = || Object::new(kind, table.clone());
        let (intent, object) = match AlterTableType::try_from(command.subtype).unwrap_or(AlterTableType::Undefined) {
            AlterTableType::AtDropColumn => (IntentKind::SchemaDropColumn, part(&command.name)),
            AlterTableType::AtDropConstraint => (IntentKind::SchemaDropConstraint, part(&command.name)),
            AlterTableType::AtDropNotNull => {
                (IntentKind::SchemaDropConstraint, part(&format!("{} NOT NULL", command.name)))
            }
            AlterTableType::AtDisableTrig | AlterTableType::AtDisableTrigAll | AlterTableType::AtDisableTrigUser => {
                (IntentKind::IntegrityDisableTriggers, whole())
            }
            AlterTableType::AtDisableRowSecurity | AlterTableType::AtNoForceRowSecurity => {
                (IntentKind::IntegrityDisableRowSecurity, whole())
            }
            AlterTableType::AtChangeOwner => {
                let owner = command.newowner.as_ref().map(role_name).unwrap_or_default();
                walker.emit(IntentKind::PrivilegeOwnerChange, Scope::Bounded, Some(whole())).note =
                    Some(format!("new owner {owner}"));
                continue;
            }
            _ => (IntentKind::SchemaAlter, whole()),
        };
        walker.emit(intent, Scope::Bounded, Some(object));
    }
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn each_sub_command_is_judged() {
        check(&[
            ("ALTER TABLE users DROP COLUMN email", "schema.drop_column bounded table:users.email"),
            (
                "ALTER TABLE users DROP COLUMN IF EXISTS a, DROP b CASCADE",
                "schema.drop_column bounded table:users.a; schema.drop_column bounded table:users.b",
            ),
            (
                "ALTER TABLE users DROP CONSTRAINT users_email_key",
                "schema.drop_constraint bounded table:users.users_email_key",
            ),
            (
                "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
                "schema.drop_constraint bounded table:users.email NOT NULL",
            ),
            ("ALTER TABLE users DISABLE TRIGGER ALL", "integrity.disable_triggers bounded table:users"),
            ("ALTER TABLE users DISABLE TRIGGER audit", "integrity.disable_triggers bounded table:users"),
            ("ALTER TABLE users DISABLE TRIGGER USER", "integrity.disable_triggers bounded table:users"),
            ("ALTER TABLE users DISABLE ROW LEVEL SECURITY", "integrity.disable_row_security bounded table:users"),
            ("ALTER TABLE users NO FORCE ROW LEVEL SECURITY", "integrity.disable_row_security bounded table:users"),
            ("ALTER TABLE users OWNER TO mallory", "privilege.owner_change bounded table:users"),
            ("ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int", "schema.alter bounded table:users"),
            ("ALTER TABLE users ENABLE TRIGGER ALL", "schema.alter bounded table:users"),
            ("ALTER TABLE users ENABLE ROW LEVEL SECURITY", "schema.alter bounded table:users"),
            (
                "ALTER TABLE users ALTER COLUMN id SET DEFAULT pg_read_file('/etc/passwd')",
                "schema.alter bounded table:users; server.read_file server file:/etc/passwd",
            ),
            ("ALTER INDEX users_pkey RENAME TO users_pk", "schema.alter bounded index:users_pkey"),
            ("ALTER SEQUENCE s RESTART", "schema.alter bounded sequence:s"),
            ("ALTER VIEW v OWNER TO bob", "privilege.owner_change bounded view:v"),
        ]);
    }
}
