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
            // A REPLICA trigger no longer fires for ordinary writes; an
            // ALWAYS trigger fires even for replication: either changes what
            // the trigger guards.
            AlterTableType::AtEnableReplicaTrig | AlterTableType::AtEnableAlwaysTrig => {
                walker.emit(IntentKind::IntegrityDisableTriggers, Scope::Bounded, Some(part(&command.name))).note =
                    Some("changes when the trigger fires (ENABLE REPLICA or ALWAYS)".to_owned());
                continue;
            }
            AlterTableType::AtAlterColumnType => {
                if let Some(using) = overwritten_by(command) {
                    walker
                        .emit(IntentKind::DataUpdateAll, scope_of(walker, statement), Some(part(&command.name)))
                        .note = Some(format!("USING {using} replaces every value of the column"));
                }
                (IntentKind::SchemaAlter, whole())
            }
            AlterTableType::AtChangeOwner => {
                let owner = command.newowner.as_ref().map(role_name).unwrap_or_default();
                walker.emit(IntentKind::PrivilegeOwnerChange, Scope::Bounded, Some(whole())).note =
                    Some(format!("new owner {owner}"));
                continue;
            }
            _ => (IntentKind::SchemaAlter, whole()),
        };
        let scope = if scope_of(walker, statement) == Scope::Temporary { Scope::Temporary } else { Scope::Bounded };
        walker.emit(intent, scope, Some(object));
    }
    Flow::Descend
}

/// Every row of a temporary table made in the same text is the text's own.
fn scope_of(walker: &Walker<'_>, statement: &AlterTableStmt) -> Scope {
    match &statement.relation {
        Some(table) if walker.is_temporary(table) => Scope::Temporary,
        _ => Scope::Unbounded,
    }
}

/// The USING expression of `ALTER COLUMN ... TYPE ... USING` when it
/// overwrites the column's values: one that does not read the column (a
/// constant, `now()`), or one that reads it through a lossy function or
/// cast (`left(x, 20)`, `round(x)`, `md5(x)`, `x::date`, `x::varchar(10)`).
/// A conversion that keeps the value (`x::uuid`, `x AT TIME ZONE 'UTC'`) is
/// a schema change. Returns a description for the note.
fn overwritten_by(command: &pg_query::protobuf::AlterTableCmd) -> Option<String> {
    let Some(NodeEnum::ColumnDef(definition)) = command.def.as_deref().and_then(inner) else { return None };
    let using = definition.raw_default.as_deref().and_then(inner)?;
    if !reads_column(using, &command.name) {
        return Some("a value that does not read the column".to_owned());
    }
    lossy(using, &command.name).then(|| "an expression that loses part of each value".to_owned())
}

/// Whether an expression mentions the column.
fn reads_column(node: &NodeEnum, column: &str) -> bool {
    if let NodeEnum::ColumnRef(reference) = node {
        return crate::names::column(reference) == Some(column);
    }
    let mut found = false;
    crate::children::for_each_child(node, &mut |_, child| found = found || reads_column(child, column));
    found
}

/// Functions that keep only part of a value.
const LOSSY_FUNCTIONS: &[&str] = &[
    "left",
    "right",
    "substr",
    "substring",
    "round",
    "trunc",
    "floor",
    "ceil",
    "ceiling",
    "md5",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "digest",
    "hashtext",
    "crypt",
    "date_trunc",
    "split_part",
    "btrim",
    "rtrim",
    "ltrim",
    "regexp_replace",
    "overlay",
    "abs",
    "sign",
    "width_bucket",
    "to_char",
];

/// Types a value is cut down to.
const LOSSY_TYPES: &[&str] = &[
    "date", "bool", "boolean", "int2", "smallint", "int4", "integer", "int", "char", "bpchar", "bit", "float4", "real",
];

/// Whether the column's value passes through a lossy function or cast on
/// its way to the new type.
fn lossy(node: &NodeEnum, column: &str) -> bool {
    match node {
        NodeEnum::FuncCall(call) => {
            let name = crate::names::function_name(call).to_ascii_lowercase();
            (LOSSY_FUNCTIONS.contains(&name.as_str())
                && call.args.iter().filter_map(inner).any(|arg| reads_column(arg, column)))
                || call.args.iter().filter_map(inner).any(|arg| lossy(arg, column))
        }
        NodeEnum::TypeCast(cast) => {
            let narrowing = cast.type_name.as_ref().is_some_and(|type_name| {
                let name = crate::names::dotted(&type_name.names);
                let name = name.trim_start_matches("pg_catalog.");
                !type_name.typmods.is_empty() || LOSSY_TYPES.contains(&name)
            });
            let argument = cast.arg.as_deref().and_then(inner);
            narrowing && argument.is_some_and(|argument| reads_column(argument, column))
                || argument.is_some_and(|argument| lossy(argument, column))
        }
        _ => {
            let mut found = false;
            crate::children::for_each_child(node, &mut |_, child| found = found || lossy(child, column));
            found
        }
    }
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
