//! SET, RESET and SHOW, and settings changed for a role or database.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::{AlterDatabaseSetStmt, VariableSetKind, VariableSetStmt, VariableShowStmt};

use super::{Rule, Status};
use crate::names::{self, inner};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "set",
    intents: &[
        IntentKind::IntegrityDisableTriggers,
        IntentKind::PrivilegeSetRole,
        IntentKind::TransactionControl,
        IntentKind::SessionSet,
        IntentKind::SessionShow,
        IntentKind::SchemaAlter,
    ],
    status: Status::Stable,
    catches: "SET, SET LOCAL, RESET and SHOW, and the same settings changed lastingly by ALTER \
              DATABASE ... SET. session_replication_role set to anything but origin switches off \
              triggers and foreign keys; SET ROLE and SET SESSION AUTHORIZATION act as another \
              role; SET TRANSACTION controls the transaction; any other setting is ordinary.",
    why: "session_replication_role = replica is how replication tools write without firing \
          triggers or checking foreign keys; anyone else using it writes data the database would \
          otherwise refuse.",
    example: "SET session_replication_role = replica",
    look_alike: "SET session_replication_role = origin",
    gaps: "Settings that risk data in other ways (zero_damaged_pages, fsync, full_page_writes) are \
           superuser-only and reported as ordinary here; ALTER SYSTEM of them is caught.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &VariableSetStmt) -> Flow {
    let kind = VariableSetKind::try_from(statement.kind).unwrap_or(VariableSetKind::Undefined);
    if kind == VariableSetKind::VarSetMulti {
        // SET TRANSACTION ..., SET SESSION CHARACTERISTICS AS TRANSACTION ...
        walker.emit(IntentKind::TransactionControl, Scope::Session, None);
        return Flow::Skip;
    }
    if kind == VariableSetKind::VarResetAll {
        walker.emit(IntentKind::SessionSet, Scope::Session, None);
        return Flow::Skip;
    }
    let value = match kind {
        VariableSetKind::VarSetValue => Some(first_value(statement).unwrap_or("")),
        _ => None,
    };
    judge_setting(walker, &statement.name, value, Scope::Session, None);
    Flow::Skip
}

pub(crate) fn check_show(walker: &mut Walker<'_>, statement: &VariableShowStmt) -> Flow {
    walker.emit(IntentKind::SessionShow, Scope::Session, Some(Object::new("setting", statement.name.clone())));
    Flow::Skip
}

pub(crate) fn check_database(walker: &mut Walker<'_>, statement: &AlterDatabaseSetStmt) -> Flow {
    walker.emit(IntentKind::SchemaAlter, Scope::Bounded, Some(Object::new("database", statement.dbname.clone())));
    if let Some(setting) = &statement.setstmt {
        judge_lasting_setting(walker, setting);
    }
    Flow::Skip
}

/// A setting changed for every future session of a role or database:
/// only what bypasses integrity is reported beyond the change itself.
pub(crate) fn judge_lasting_setting(walker: &mut Walker<'_>, setting: &VariableSetStmt) {
    let is_set = VariableSetKind::try_from(setting.kind) == Ok(VariableSetKind::VarSetValue);
    if is_set && disables_triggers(&setting.name, first_value(setting)) {
        walker.emit(
            IntentKind::IntegrityDisableTriggers,
            Scope::Bounded,
            Some(Object::new("setting", setting.name.clone())),
        );
    }
}

fn first_value(statement: &VariableSetStmt) -> Option<&str> {
    statement.args.first().and_then(inner).and_then(names::string)
}

fn disables_triggers(name: &str, value: Option<&str>) -> bool {
    name.eq_ignore_ascii_case("session_replication_role")
        && value.is_some_and(|value| {
            !value.trim().eq_ignore_ascii_case("origin") && !value.trim().eq_ignore_ascii_case("default")
        })
}

/// Judges setting `name` to `value` (`None`: reset to default). Shared with
/// `set_config()`, which sets by another spelling.
pub(crate) fn judge_setting(
    walker: &mut Walker<'_>,
    name: &str,
    value: Option<&str>,
    scope: Scope,
    location: Option<i32>,
) {
    let lowered = name.to_ascii_lowercase();
    let (intent, object) = if disables_triggers(&lowered, value) {
        (IntentKind::IntegrityDisableTriggers, Object::new("setting", lowered))
    } else if matches!(lowered.as_str(), "role" | "session_authorization")
        && value.is_some_and(|value| !value.eq_ignore_ascii_case("none") && !value.eq_ignore_ascii_case("default"))
    {
        (IntentKind::PrivilegeSetRole, Object::new("role", value.unwrap_or_default()))
    } else if lowered.starts_with("transaction_") {
        (IntentKind::TransactionControl, Object::new("setting", lowered))
    } else {
        (IntentKind::SessionSet, Object::new("setting", lowered))
    };
    match location {
        Some(location) => walker.emit_at(intent, scope, Some(object), location),
        None => walker.emit(intent, scope, Some(object)),
    };
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn settings_and_what_they_switch_off() {
        check(&[
            (
                "SET session_replication_role = replica",
                "integrity.disable_triggers session setting:session_replication_role",
            ),
            (
                "SET LOCAL session_replication_role TO 'local'",
                "integrity.disable_triggers session setting:session_replication_role",
            ),
            ("SET session_replication_role = origin", "session.set session setting:session_replication_role"),
            ("SET session_replication_role TO DEFAULT", "session.set session setting:session_replication_role"),
            ("RESET session_replication_role", "session.set session setting:session_replication_role"),
            ("SET ROLE admin", "privilege.set_role session role:admin"),
            ("SET SESSION AUTHORIZATION postgres", "privilege.set_role session role:postgres"),
            ("SET ROLE NONE", "session.set session setting:role"),
            ("RESET ROLE", "session.set session setting:role"),
            ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "transaction.control session"),
            ("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "transaction.control session"),
            ("SET transaction_read_only = on", "transaction.control session setting:transaction_read_only"),
            ("SET search_path TO app, public", "session.set session setting:search_path"),
            ("SET statement_timeout = '5s'", "session.set session setting:statement_timeout"),
            ("SET TIME ZONE 'UTC'", "session.set session setting:timezone"),
            ("RESET ALL", "session.set session"),
            ("SHOW search_path", "session.show session setting:search_path"),
            ("SHOW ALL", "session.show session setting:all"),
            (
                "ALTER DATABASE app SET session_replication_role = replica",
                "schema.alter bounded database:app; integrity.disable_triggers bounded setting:session_replication_role",
            ),
            ("ALTER DATABASE app SET work_mem = '64MB'", "schema.alter bounded database:app"),
        ]);
    }
}
