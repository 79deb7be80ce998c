//! Every other CREATE and ALTER: schema changes, and temporary objects.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::RangeVar;

use super::{Rule, Status};
use crate::names::{self, inner, is_temporary, object_kind, relation};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "schema_change",
    intents: &[
        IntentKind::SchemaCreate,
        IntentKind::SchemaAlter,
        IntentKind::SchemaDropConstraint,
        IntentKind::SchemaCreateTemporary,
    ],
    status: Status::Stable,
    catches: "CREATE and ALTER of every kind of object not covered by a more specific rule \
              (tables, views, indexes, schemas, extensions, types, triggers, policies, servers, \
              subscriptions, ...), CREATE TABLE AS, RENAME, COMMENT ON and SECURITY LABEL. \
              Temporary tables, views and sequences are reported apart: they vanish with the \
              session. ALTER DOMAIN ... DROP CONSTRAINT or DROP NOT NULL drops a constraint.",
    why: "Schema changes are how applications evolve, and how they break: a new index locks writes \
          while it builds, a renamed column breaks every query that names it.",
    example: "CREATE INDEX users_email ON users (email)",
    look_alike: "CREATE TEMP TABLE scratch AS SELECT 1 AS x",
    gaps: "An index, trigger or policy on a temporary table is reported as a lasting schema change.",
};

/// Judges the DDL statements it knows; `None` for any other node.
pub(crate) fn check(walker: &mut Walker<'_>, node: &NodeEnum) -> Option<Flow> {
    use super::restrictions;
    match node {
        NodeEnum::CreatePolicyStmt(statement) => restrictions::policy(
            walker,
            statement.table.as_ref(),
            &statement.policy_name,
            statement.permissive,
            [statement.qual.as_deref(), statement.with_check.as_deref()],
        ),
        NodeEnum::AlterPolicyStmt(statement) => restrictions::policy(
            walker,
            statement.table.as_ref(),
            &statement.policy_name,
            true,
            [statement.qual.as_deref(), statement.with_check.as_deref()],
        ),
        NodeEnum::CreateUserMappingStmt(statement) => {
            restrictions::user_mapping(walker, &statement.servername, &statement.options)
        }
        NodeEnum::AlterUserMappingStmt(statement) => {
            restrictions::user_mapping(walker, &statement.servername, &statement.options)
        }
        NodeEnum::CreateSubscriptionStmt(statement) => {
            restrictions::subscription(walker, &statement.subname, &statement.conninfo)
        }
        NodeEnum::AlterSubscriptionStmt(statement) => {
            restrictions::subscription(walker, &statement.subname, &statement.conninfo)
        }
        _ => {}
    }
    let (intent, scope, object) = classify(node)?;
    walker.emit(intent, scope, object);
    Some(Flow::Descend)
}

fn create(kind: &str, name: impl Into<String>) -> (IntentKind, Scope, Option<Object>) {
    (IntentKind::SchemaCreate, Scope::Bounded, Some(Object::new(kind, name)))
}

fn alter(kind: &str, name: impl Into<String>) -> (IntentKind, Scope, Option<Object>) {
    (IntentKind::SchemaAlter, Scope::Bounded, Some(Object::new(kind, name)))
}

/// CREATE of a relation that may be temporary.
fn create_relation(kind: &str, range: Option<&RangeVar>) -> (IntentKind, Scope, Option<Object>) {
    match range {
        Some(range) if is_temporary(range) => {
            (IntentKind::SchemaCreateTemporary, Scope::Temporary, Some(Object::new(kind, relation(range))))
        }
        Some(range) => create(kind, relation(range)),
        None => (IntentKind::SchemaCreate, Scope::Bounded, None),
    }
}

fn classify(node: &NodeEnum) -> Option<(IntentKind, Scope, Option<Object>)> {
    use NodeEnum as N;
    let unnamed = |intent| Some((intent, Scope::Bounded, None));
    Some(match node {
        N::CreateStmt(statement) => create_relation("table", statement.relation.as_ref()),
        N::CreateForeignTableStmt(statement) => create(
            "foreign_table",
            statement.base_stmt.as_ref().and_then(|base| base.relation.as_ref()).map(relation).unwrap_or_default(),
        ),
        N::ViewStmt(statement) => create_relation("view", statement.view.as_ref()),
        N::CreateSeqStmt(statement) => create_relation("sequence", statement.sequence.as_ref()),
        N::CreateTableAsStmt(statement) => {
            let kind = object_kind(statement.objtype);
            create_relation(kind, statement.into.as_deref().and_then(|into| into.rel.as_ref()))
        }
        N::IndexStmt(statement) => {
            let table = statement.relation.as_ref().map(relation).unwrap_or_default();
            let name = if statement.idxname.is_empty() { format!("on {table}") } else { statement.idxname.clone() };
            create("index", name)
        }
        N::CreateSchemaStmt(statement) => create("schema", statement.schemaname.clone()),
        N::CreateExtensionStmt(statement) => create("extension", statement.extname.clone()),
        N::CreatedbStmt(statement) => create("database", statement.dbname.clone()),
        N::CreateTrigStmt(statement) => {
            let table = statement.relation.as_ref().map(relation).unwrap_or_default();
            create("trigger", format!("{table}.{}", statement.trigname))
        }
        N::CreateEventTrigStmt(statement) => create("event_trigger", statement.trigname.clone()),
        N::CreatePolicyStmt(statement) => {
            let table = statement.table.as_ref().map(relation).unwrap_or_default();
            create("policy", format!("{table}.{}", statement.policy_name))
        }
        N::DefineStmt(statement) => create(object_kind(statement.kind), names::dotted(&statement.defnames)),
        N::CreateDomainStmt(_)
        | N::CreateEnumStmt(_)
        | N::CompositeTypeStmt(_)
        | N::CreateRangeStmt(_)
        | N::CreateCastStmt(_)
        | N::CreateConversionStmt(_)
        | N::CreateTransformStmt(_)
        | N::CreateOpClassStmt(_)
        | N::CreateOpFamilyStmt(_)
        | N::CreatePlangStmt(_)
        | N::CreateAmStmt(_)
        | N::CreateStatsStmt(_)
        | N::CreateFdwStmt(_)
        | N::CreateForeignServerStmt(_)
        | N::CreateUserMappingStmt(_)
        | N::CreateSubscriptionStmt(_)
        | N::CreatePublicationStmt(_)
        | N::CreateTableSpaceStmt(_)
        | N::ImportForeignSchemaStmt(_) => return unnamed(IntentKind::SchemaCreate),

        N::CommentStmt(statement) => alter(
            object_kind(statement.objtype),
            statement.object.as_deref().and_then(inner).map(names::object).unwrap_or_default(),
        ),
        N::SecLabelStmt(statement) => alter(
            object_kind(statement.objtype),
            statement.object.as_deref().and_then(inner).map(names::object).unwrap_or_default(),
        ),
        N::RenameStmt(statement) => {
            let name = match (&statement.relation, statement.object.as_deref().and_then(inner)) {
                (Some(range), _) => relation(range),
                (None, Some(object)) => names::object(object),
                (None, None) => statement.subname.clone(),
            };
            alter(object_kind(statement.rename_type), name)
        }
        N::AlterSeqStmt(statement) => alter("sequence", statement.sequence.as_ref().map(relation).unwrap_or_default()),
        N::AlterDatabaseStmt(statement) => alter("database", statement.dbname.clone()),
        N::AlterExtensionStmt(statement) => alter("extension", statement.extname.clone()),
        N::AlterObjectSchemaStmt(statement) => {
            let name = match (&statement.relation, statement.object.as_deref().and_then(inner)) {
                (Some(range), _) => relation(range),
                (None, Some(object)) => names::object(object),
                (None, None) => String::new(),
            };
            alter(object_kind(statement.object_type), name)
        }
        N::AlterDomainStmt(statement) => {
            let domain = names::dotted(&statement.type_name);
            match statement.subtype.as_str() {
                // 'X': DROP CONSTRAINT; 'N': DROP NOT NULL (see AlterDomainStmt in parsenodes.h).
                "X" => (
                    IntentKind::SchemaDropConstraint,
                    Scope::Bounded,
                    Some(Object::new("domain", format!("{domain}.{}", statement.name))),
                ),
                "N" => (
                    IntentKind::SchemaDropConstraint,
                    Scope::Bounded,
                    Some(Object::new("domain", format!("{domain} NOT NULL"))),
                ),
                _ => alter("domain", domain),
            }
        }
        N::AlterEventTrigStmt(statement) if statement.tgenabled == "D" => (
            IntentKind::IntegrityDisableTriggers,
            Scope::Bounded,
            Some(Object::new("event_trigger", statement.trigname.clone())),
        ),
        N::AlterEventTrigStmt(statement) => alter("event_trigger", statement.trigname.clone()),
        N::AlterTableMoveAllStmt(_) => (IntentKind::SchemaAlter, Scope::Unbounded, None),
        N::AlterCollationStmt(_)
        | N::AlterDatabaseRefreshCollStmt(_)
        | N::AlterEnumStmt(_)
        | N::AlterExtensionContentsStmt(_)
        | N::AlterFdwStmt(_)
        | N::AlterForeignServerStmt(_)
        | N::AlterFunctionStmt(_)
        | N::AlterObjectDependsStmt(_)
        | N::AlterOperatorStmt(_)
        | N::AlterOpFamilyStmt(_)
        | N::AlterPolicyStmt(_)
        | N::AlterSubscriptionStmt(_)
        | N::AlterUserMappingStmt(_)
        | N::AlterPublicationStmt(_)
        | N::AlterStatsStmt(_)
        | N::AlterTableSpaceOptionsStmt(_)
        | N::AlterTsconfigurationStmt(_)
        | N::AlterTsdictionaryStmt(_)
        | N::AlterTypeStmt(_)
        | N::ReplicaIdentityStmt(_) => return unnamed(IntentKind::SchemaAlter),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn lasting_objects_are_schema_changes_and_temporary_ones_are_not() {
        check(&[
            ("CREATE TABLE t (id int)", "schema.create bounded table:t"),
            ("CREATE TEMP TABLE t (id int)", "schema.create_temporary temporary table:t"),
            ("CREATE TEMPORARY TABLE t (id int) ON COMMIT DROP", "schema.create_temporary temporary table:t"),
            ("CREATE TABLE pg_temp.t (id int)", "schema.create_temporary temporary table:pg_temp.t"),
            ("CREATE UNLOGGED TABLE t (id int)", "schema.create bounded table:t"),
            ("CREATE TEMP VIEW v AS SELECT 1", "schema.create_temporary temporary view:v"),
            ("CREATE VIEW v AS SELECT * FROM users", "schema.create bounded view:v"),
            ("CREATE TEMP SEQUENCE s", "schema.create_temporary temporary sequence:s"),
            ("CREATE TABLE archive AS SELECT * FROM users", "schema.create bounded table:archive"),
            ("CREATE TEMP TABLE scratch AS SELECT * FROM users", "schema.create_temporary temporary table:scratch"),
            ("CREATE MATERIALIZED VIEW mv AS SELECT 1", "schema.create bounded materialized_view:mv"),
            ("CREATE INDEX CONCURRENTLY ON users (email)", "schema.create bounded index:on users"),
            (
                "CREATE SCHEMA app CREATE TABLE t (id int)",
                "schema.create bounded schema:app; schema.create bounded table:t",
            ),
            ("CREATE EXTENSION pgcrypto", "schema.create bounded extension:pgcrypto"),
            ("CREATE DATABASE scratch", "schema.create bounded database:scratch"),
            (
                "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION f()",
                "schema.create bounded trigger:users.t",
            ),
            (
                "CREATE POLICY p ON users USING (true)",
                "integrity.disable_row_security bounded policy:users.p; schema.create bounded policy:users.p",
            ),
            ("CREATE POLICY p ON users USING (owner = current_user)", "schema.create bounded policy:users.p"),
            ("CREATE POLICY p ON users AS RESTRICTIVE USING (true)", "schema.create bounded policy:users.p"),
            ("CREATE TYPE mood AS ENUM ('ok')", "schema.create bounded"),
            ("CREATE AGGREGATE agg (int) (sfunc = int4pl, stype = int)", "schema.create bounded aggregate:agg"),
            ("COMMENT ON TABLE users IS 'people'", "schema.alter bounded table:users"),
            ("ALTER TABLE users RENAME TO people", "schema.alter bounded table:users"),
            ("ALTER INDEX users_pkey RENAME TO users_pk", "schema.alter bounded index:users_pkey"),
            ("ALTER SEQUENCE s RESTART", "schema.alter bounded sequence:s"),
            ("ALTER TABLE users SET SCHEMA archive", "schema.alter bounded table:users"),
            ("ALTER DOMAIN d DROP CONSTRAINT positive", "schema.drop_constraint bounded domain:d.positive"),
            ("ALTER DOMAIN d DROP NOT NULL", "schema.drop_constraint bounded domain:d NOT NULL"),
            ("ALTER DOMAIN d SET DEFAULT 1", "schema.alter bounded domain:d"),
            ("ALTER EVENT TRIGGER guard DISABLE", "integrity.disable_triggers bounded event_trigger:guard"),
            ("ALTER EVENT TRIGGER guard ENABLE", "schema.alter bounded event_trigger:guard"),
            ("ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b", "schema.alter unbounded"),
            (
                "CREATE TABLE t (id int DEFAULT (pg_read_file('/etc/passwd'))::int)",
                "schema.create bounded table:t; server.read_file server file:/etc/passwd",
            ),
        ]);
    }
}
