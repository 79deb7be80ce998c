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
        // RESET ALL also returns to the login role.
        walker
            .emit(IntentKind::PrivilegeSetRole, Scope::Session, Some(Object::new("role", "the session's login role")))
            .note = Some("RESET ALL returns to the session's login role, undoing any SET ROLE".to_owned());
        return Flow::Skip;
    }
    let value = match kind {
        VariableSetKind::VarSetValue => Setting::Value(first_value(statement).unwrap_or("")),
        VariableSetKind::VarSetDefault | VariableSetKind::VarReset => Setting::Reset,
        _ => Setting::Computed,
    };
    judge_setting(walker, &statement.name, value, Scope::Session, None);
    Flow::Skip
}

/// What a setting is set to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setting<'a> {
    Value(&'a str),
    /// RESET, SET ... TO DEFAULT.
    Reset,
    /// Only known when it runs (`set_config('x', (SELECT ...), false)`):
    /// judged as the worst value it could take.
    Computed,
}

impl Setting<'_> {
    /// A boolean setting turned off, read as PostgreSQL reads booleans.
    fn is_off(&self) -> bool {
        matches!(self, Setting::Value(value) if crate::names::parse_bool(value) == Some(false))
    }
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
    if is_set && disables_triggers(&setting.name, Setting::Value(first_value(setting).unwrap_or(""))) {
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

/// `session_replication_role = replica` stops triggers and foreign keys
/// from firing; `local` and `origin` leave them working (checked on
/// PostgreSQL 15).
fn disables_triggers(name: &str, value: Setting<'_>) -> bool {
    name.eq_ignore_ascii_case("session_replication_role")
        && match value {
            Setting::Value(value) => value.trim().eq_ignore_ascii_case("replica"),
            Setting::Reset => false,
            Setting::Computed => true,
        }
}

/// Judges setting `name` to `value` (`None`: reset to default). Shared with
/// `set_config()`, which sets by another spelling.
pub(crate) fn judge_setting(
    walker: &mut Walker<'_>,
    name: &str,
    value: Setting<'_>,
    scope: Scope,
    location: Option<i32>,
) {
    let lowered = name.to_ascii_lowercase();
    let mut note = None;
    let (intent, object) = if disables_triggers(&lowered, value) {
        (IntentKind::IntegrityDisableTriggers, Object::new("setting", lowered))
    } else if matches!(lowered.as_str(), "role" | "session_authorization" | "is_superuser") {
        // SET ROLE x acts as x; RESET ROLE, SET ROLE NONE and SET SESSION
        // AUTHORIZATION DEFAULT return to the login role, undoing a
        // restricted one.
        match value {
            Setting::Value(value) if !value.eq_ignore_ascii_case("none") && !value.eq_ignore_ascii_case("default") => {
                (IntentKind::PrivilegeSetRole, Object::new("role", value))
            }
            Setting::Computed => {
                note = Some("switches to a role named only at run time".to_owned());
                (IntentKind::PrivilegeSetRole, Object::new("role", "(computed)"))
            }
            _ => {
                note = Some("returns to the session's login role, undoing a restricted role".to_owned());
                (IntentKind::PrivilegeSetRole, Object::new("role", "the session's login role"))
            }
        }
    } else if lowered == "row_security" && (value.is_off() || value == Setting::Computed) {
        (IntentKind::IntegrityDisableRowSecurity, Object::new("setting", lowered))
    } else if lowered == "allow_system_table_mods" && !value.is_off() && value != Setting::Reset {
        note = Some("lets the system catalogs be changed directly".to_owned());
        (IntentKind::PrivilegeEscalate, Object::new("setting", lowered))
    } else if value == Setting::Computed
        && matches!(
            lowered.as_str(),
            "search_path"
                | "default_transaction_read_only"
                | "transaction_read_only"
                | "check_function_bodies"
                | "lo_compat_privileges"
                | "default_table_access_method"
        )
    {
        // A setting that decides what names reach, or what is enforced,
        // taken from a value only known at run time.
        note = Some(format!("sets {lowered} to a value only known at run time"));
        (IntentKind::CodeDynamic, Object::new("setting", lowered))
    } else if lowered.starts_with("transaction_") {
        (IntentKind::TransactionControl, Object::new("setting", lowered))
    } else {
        (IntentKind::SessionSet, Object::new("setting", lowered))
    };
    let intent = match location {
        Some(location) => walker.emit_at(intent, scope, Some(object), location),
        None => walker.emit(intent, scope, Some(object)),
    };
    if note.is_some() {
        intent.note = note;
    }
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
            // `local` leaves triggers and foreign keys working (checked on PostgreSQL 15).
            ("SET LOCAL session_replication_role TO 'local'", "session.set session setting:session_replication_role"),
            ("SET session_replication_role = origin", "session.set session setting:session_replication_role"),
            ("SET session_replication_role TO DEFAULT", "session.set session setting:session_replication_role"),
            ("RESET session_replication_role", "session.set session setting:session_replication_role"),
            ("SET ROLE admin", "privilege.set_role session role:admin"),
            ("SET SESSION AUTHORIZATION postgres", "privilege.set_role session role:postgres"),
            // Back to the login role: a restricted role undone.
            ("SET ROLE NONE", "privilege.set_role session role:the session's login role"),
            ("RESET ROLE", "privilege.set_role session role:the session's login role"),
            ("RESET SESSION AUTHORIZATION", "privilege.set_role session role:the session's login role"),
            ("SET SESSION AUTHORIZATION DEFAULT", "privilege.set_role session role:the session's login role"),
            (
                "SELECT set_config('role', (SELECT 'admin'), false)",
                "data.read bounded; privilege.set_role session role:(computed)",
            ),
            ("SET allow_system_table_mods = on", "privilege.escalate session setting:allow_system_table_mods"),
            ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "transaction.control session"),
            ("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "transaction.control session"),
            ("SET transaction_read_only = on", "transaction.control session setting:transaction_read_only"),
            ("SET search_path TO app, public", "session.set session setting:search_path"),
            ("SET statement_timeout = '5s'", "session.set session setting:statement_timeout"),
            ("SET TIME ZONE 'UTC'", "session.set session setting:timezone"),
            ("RESET ALL", "privilege.set_role session role:the session's login role"),
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
