//! Calls to functions that reach the server, other sessions, or run SQL text.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::FuncCall;
use pg_query::{NodeEnum, ParserOptions};

use super::set;
use super::{Rule, Status};
use crate::names::{self, inner};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "function_call",
    intents: &[
        IntentKind::ServerReadFile,
        IntentKind::ServerWriteFile,
        IntentKind::ServerRemoteExec,
        IntentKind::AdminTerminateBackend,
        IntentKind::AdminCancelBackend,
        IntentKind::AdminFunction,
        IntentKind::IntegrityDisableTriggers,
        IntentKind::PrivilegeSetRole,
        IntentKind::CodeDynamic,
        IntentKind::DataDelete,
        IntentKind::SessionNotify,
        IntentKind::SessionSet,
    ],
    status: Status::Stable,
    catches: "Calls, anywhere in any statement (a SELECT list, a WHERE clause, a column default, an \
              index expression, a view), to the built-in functions in the table `FUNCTIONS`: the \
              server's files (pg_read_file, pg_ls_dir, lo_import, lo_export, adminpack), other \
              sessions (pg_terminate_backend, pg_cancel_backend), administration (pg_reload_conf, \
              replication slots, backups, statistics resets), other servers (dblink), and \
              set_config, judged like SET. Functions that run SQL given as text (query_to_xml, \
              ts_stat, dblink) have a literal argument analyzed as SQL, and a computed one reported \
              as code.dynamic.",
    why: "These functions act outside the statement's tables: they read /etc/passwd or the \
          server's keys, kill other users' sessions, or run SQL the text does not show.",
    example: "SELECT pg_read_file('/etc/passwd')",
    look_alike: "SELECT read_file_count FROM stats LIMIT 1",
    gaps: "Functions are matched by name in any schema, so a user function called pg_read_file is \
           judged like the built-in. A user-defined wrapper with another name is not seen through.",
};

/// Where a function's notable argument is.
#[derive(Clone, Copy, Debug)]
pub enum Argument {
    None,
    /// A path on the server, at this position.
    Path(usize),
    /// SQL text to run, at this position.
    Sql(usize),
    /// SQL text to run, in the last string argument (dblink's overloads).
    LastSql,
}

/// A built-in function with effects beyond its statement.
#[derive(Clone, Copy, Debug)]
pub struct Function {
    pub name: &'static str,
    /// What calling it does; `None` when only its SQL argument matters.
    pub intent: Option<IntentKind>,
    pub argument: Argument,
}

const fn function(name: &'static str, intent: IntentKind, argument: Argument) -> Function {
    Function { name, intent: Some(intent), argument }
}

/// Built-in functions with effects beyond their statement.
///
/// Derived from PostgreSQL 15-18's `pg_proc`: the server-file functions,
/// the signalling functions, the administration functions documented in
/// "System Administration Functions" (configuration, backup, recovery,
/// replication, statistics), plus adminpack's and dblink's.
/// `tests/postgres.rs` checks against a live server that every volatile
/// pg_catalog function of these families is listed here (`pg_%_progress`
/// and other read-only status functions are left out on purpose):
///
/// ```sql
/// SELECT DISTINCT proname FROM pg_proc
/// WHERE pronamespace = 'pg_catalog'::regnamespace AND provolatile = 'v' AND (
///      proname ~ '^pg_(read|ls_)' OR proname IN ('pg_stat_file', 'lo_import', 'lo_export')
///   OR proname ~ '^pg_(terminate|cancel)_backend$' OR proname ~ '^pg_stat_reset'
///   OR proname ~ '^pg_(create|drop|copy)_.*replication_slot$' OR proname = 'pg_replication_slot_advance'
///   OR proname ~ '^pg_replication_origin_(create|drop|advance|session_setup|session_reset|xact_setup|xact_reset)$')
/// ```
pub const FUNCTIONS: &[Function] = &[
    function("pg_read_file", IntentKind::ServerReadFile, Argument::Path(0)),
    function("pg_read_binary_file", IntentKind::ServerReadFile, Argument::Path(0)),
    function("pg_read_file_old", IntentKind::ServerReadFile, Argument::Path(0)),
    function("pg_stat_file", IntentKind::ServerReadFile, Argument::Path(0)),
    function("pg_ls_dir", IntentKind::ServerReadFile, Argument::Path(0)),
    function("pg_ls_logdir", IntentKind::ServerReadFile, Argument::None),
    function("pg_ls_waldir", IntentKind::ServerReadFile, Argument::None),
    function("pg_ls_tmpdir", IntentKind::ServerReadFile, Argument::None),
    function("pg_ls_archive_statusdir", IntentKind::ServerReadFile, Argument::None),
    function("pg_ls_logicalsnapdir", IntentKind::ServerReadFile, Argument::None),
    function("pg_ls_logicalmapdir", IntentKind::ServerReadFile, Argument::None),
    function("pg_ls_replslotdir", IntentKind::ServerReadFile, Argument::None),
    function("pg_ls_summariesdir", IntentKind::ServerReadFile, Argument::None),
    function("pg_logdir_ls", IntentKind::ServerReadFile, Argument::None),
    function("lo_import", IntentKind::ServerReadFile, Argument::Path(0)),
    function("lo_export", IntentKind::ServerWriteFile, Argument::Path(1)),
    function("pg_file_write", IntentKind::ServerWriteFile, Argument::Path(0)),
    function("pg_file_rename", IntentKind::ServerWriteFile, Argument::Path(0)),
    function("pg_file_unlink", IntentKind::ServerWriteFile, Argument::Path(0)),
    function("pg_file_sync", IntentKind::ServerWriteFile, Argument::Path(0)),
    function("dblink_connect", IntentKind::ServerRemoteExec, Argument::None),
    function("dblink_connect_u", IntentKind::ServerRemoteExec, Argument::None),
    function("dblink", IntentKind::ServerRemoteExec, Argument::LastSql),
    function("dblink_exec", IntentKind::ServerRemoteExec, Argument::LastSql),
    function("dblink_send_query", IntentKind::ServerRemoteExec, Argument::LastSql),
    function("dblink_open", IntentKind::ServerRemoteExec, Argument::LastSql),
    function("pg_terminate_backend", IntentKind::AdminTerminateBackend, Argument::None),
    function("pg_cancel_backend", IntentKind::AdminCancelBackend, Argument::None),
    function("pg_reload_conf", IntentKind::AdminFunction, Argument::None),
    function("pg_rotate_logfile", IntentKind::AdminFunction, Argument::None),
    function("pg_switch_wal", IntentKind::AdminFunction, Argument::None),
    function("pg_promote", IntentKind::AdminFunction, Argument::None),
    function("pg_create_restore_point", IntentKind::AdminFunction, Argument::None),
    function("pg_backup_start", IntentKind::AdminFunction, Argument::None),
    function("pg_backup_stop", IntentKind::AdminFunction, Argument::None),
    function("pg_start_backup", IntentKind::AdminFunction, Argument::None),
    function("pg_stop_backup", IntentKind::AdminFunction, Argument::None),
    function("pg_wal_replay_pause", IntentKind::AdminFunction, Argument::None),
    function("pg_wal_replay_resume", IntentKind::AdminFunction, Argument::None),
    function("pg_log_backend_memory_contexts", IntentKind::AdminFunction, Argument::None),
    function("pg_create_physical_replication_slot", IntentKind::AdminFunction, Argument::None),
    function("pg_create_logical_replication_slot", IntentKind::AdminFunction, Argument::None),
    function("pg_drop_replication_slot", IntentKind::AdminFunction, Argument::None),
    function("pg_copy_physical_replication_slot", IntentKind::AdminFunction, Argument::None),
    function("pg_copy_logical_replication_slot", IntentKind::AdminFunction, Argument::None),
    function("pg_replication_slot_advance", IntentKind::AdminFunction, Argument::None),
    function("pg_sync_replication_slots", IntentKind::AdminFunction, Argument::None),
    function("pg_replication_origin_create", IntentKind::AdminFunction, Argument::None),
    function("pg_replication_origin_drop", IntentKind::AdminFunction, Argument::None),
    function("pg_replication_origin_advance", IntentKind::AdminFunction, Argument::None),
    function("pg_replication_origin_session_setup", IntentKind::AdminFunction, Argument::None),
    function("pg_replication_origin_session_reset", IntentKind::AdminFunction, Argument::None),
    function("pg_replication_origin_xact_setup", IntentKind::AdminFunction, Argument::None),
    function("pg_replication_origin_xact_reset", IntentKind::AdminFunction, Argument::None),
    function("pg_logical_emit_message", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_reset", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_reset_shared", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_reset_single_table_counters", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_reset_single_function_counters", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_reset_slru", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_reset_replication_slot", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_reset_subscription_stats", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_reset_backend_stats", IntentKind::AdminFunction, Argument::None),
    function("pg_stat_statements_reset", IntentKind::AdminFunction, Argument::None),
    function("pg_import_system_collations", IntentKind::AdminFunction, Argument::None),
    function("pg_clear_relation_stats", IntentKind::AdminFunction, Argument::None),
    function("pg_clear_attribute_stats", IntentKind::AdminFunction, Argument::None),
    function("pg_restore_relation_stats", IntentKind::AdminFunction, Argument::None),
    function("pg_restore_attribute_stats", IntentKind::AdminFunction, Argument::None),
    function("lo_unlink", IntentKind::DataDelete, Argument::None),
    function("pg_notify", IntentKind::SessionNotify, Argument::None),
    Function { name: "query_to_xml", intent: None, argument: Argument::Sql(0) },
    Function { name: "query_to_xmlschema", intent: None, argument: Argument::Sql(0) },
    Function { name: "query_to_xml_and_xmlschema", intent: None, argument: Argument::Sql(0) },
    Function { name: "ts_stat", intent: None, argument: Argument::Sql(0) },
];

fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|function| function.name == name)
}

/// Whether calling the function reaches the server or other sessions:
/// granting EXECUTE on it is escalation.
pub(crate) fn reaches_server(name: &str) -> bool {
    lookup(name)
        .and_then(|function| function.intent)
        .is_some_and(|intent| intent.groups().iter().any(|group| matches!(*group, "server.access" | "admin.operation")))
}

pub(crate) fn check(walker: &mut Walker<'_>, call: &FuncCall) -> Flow {
    let name = names::function_name(call);
    if name == "set_config" {
        set_config(walker, call);
        return Flow::Descend;
    }
    let Some(function) = lookup(name) else {
        return Flow::Descend;
    };
    let argument = |index: usize| call.args.get(index).and_then(inner);
    let mut object = None;
    let sql_argument = match function.argument {
        Argument::None => None,
        Argument::Path(index) => {
            let path = argument(index).and_then(names::string).map_or_else(|| "(computed)".to_owned(), str::to_owned);
            object = Some(Object::new("file", path));
            None
        }
        Argument::Sql(index) => argument(index),
        Argument::LastSql => call
            .args
            .iter()
            .rev()
            .filter_map(inner)
            .find(|node| names::string(node).is_some())
            .or_else(|| call.args.last().and_then(inner)),
    };
    if let Some(intent) = function.intent {
        let scope = match intent {
            IntentKind::DataDelete => Scope::Bounded,
            IntentKind::SessionNotify => Scope::Session,
            _ => Scope::Server,
        };
        walker.emit_at(intent, scope, object.or_else(|| Some(Object::new("function", name))), call.location);
    }
    if let Some(sql) = sql_argument {
        run_sql_argument(walker, name, sql, call.location);
    }
    Flow::Descend
}

/// SQL handed to a function as text: analyzed when it is a literal, and
/// code.dynamic when it is computed.
fn run_sql_argument(walker: &mut Walker<'_>, name: &str, argument: &NodeEnum, location: i32) {
    match (names::string(argument), argument_location(argument)) {
        (Some(sql), Some(literal)) => {
            let origin = walker.literal_origin(literal, sql);
            walker.nested_sql(sql, ParserOptions::DEFAULT, origin);
        }
        _ => {
            walker
                .emit_at(IntentKind::CodeDynamic, Scope::Unbounded, Some(Object::new("function", name)), location)
                .note = Some(format!("{name} runs SQL computed at run time"));
        }
    }
}

fn argument_location(node: &NodeEnum) -> Option<i32> {
    match node {
        NodeEnum::AConst(constant) => Some(constant.location),
        NodeEnum::TypeCast(cast) => cast.arg.as_deref().and_then(inner).and_then(argument_location),
        _ => None,
    }
}

/// `set_config(name, value, is_local)` is SET by another spelling.
fn set_config(walker: &mut Walker<'_>, call: &FuncCall) {
    let argument = |index: usize| call.args.get(index).and_then(inner).and_then(names::string);
    match argument(0) {
        Some(setting) => {
            let value = match argument(1) {
                Some(value) => set::Setting::Value(value),
                None => set::Setting::Computed,
            };
            set::judge_setting(walker, setting, value, Scope::Session, Some(call.location));
        }
        None => {
            walker
                .emit_at(
                    IntentKind::CodeDynamic,
                    Scope::Session,
                    Some(Object::new("function", "set_config")),
                    call.location,
                )
                .note = Some("set_config with a setting name computed at run time".to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn server_functions_anywhere_in_the_text() {
        check(&[
            ("SELECT pg_read_file('/etc/passwd')", "data.read bounded; server.read_file server file:/etc/passwd"),
            (
                "SELECT pg_catalog.pg_read_binary_file('global/pg_control')",
                "data.read bounded; server.read_file server file:global/pg_control",
            ),
            ("SELECT * FROM pg_ls_dir('.') LIMIT 5", "data.read bounded; server.read_file server file:."),
            ("SELECT lo_import('/etc/shadow')", "data.read bounded; server.read_file server file:/etc/shadow"),
            ("SELECT lo_export(16384, '/tmp/x')", "data.read bounded; server.write_file server file:/tmp/x"),
            (
                "SELECT pg_read_file(p) FROM paths",
                "data.read unbounded table:paths; server.read_file server file:(computed)",
            ),
            (
                "SELECT dblink_exec('host=h', 'DROP TABLE t')",
                "data.read bounded; server.remote_exec server function:dblink_exec; schema.drop bounded table:t",
            ),
            (
                "SELECT * FROM dblink('host=h', 'SELECT 1') AS t(x int) LIMIT 1",
                "data.read bounded; server.remote_exec server function:dblink",
            ),
            (
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'",
                "data.read unbounded table:pg_stat_activity; admin.terminate_backend server function:pg_terminate_backend",
            ),
            (
                "SELECT pg_cancel_backend(42)",
                "data.read bounded; admin.cancel_backend server function:pg_cancel_backend",
            ),
            ("SELECT pg_reload_conf()", "data.read bounded; admin.function server function:pg_reload_conf"),
            (
                "SELECT pg_drop_replication_slot('s')",
                "data.read bounded; admin.function server function:pg_drop_replication_slot",
            ),
            // The OR branch does not depend on the row: if it is true, every row is updated.
            (
                "UPDATE t SET x = 1 WHERE id = 1 AND pg_sleep(0) IS NOT NULL OR pg_cancel_backend(1)",
                "data.update_all unbounded table:t; admin.cancel_backend server function:pg_cancel_backend",
            ),
            (
                "UPDATE t SET x = 1 WHERE id = 1 AND pg_cancel_backend(1)",
                "data.update bounded table:t; admin.cancel_backend server function:pg_cancel_backend",
            ),
            (
                "CREATE INDEX i ON t ((pg_read_file('/etc/passwd')))",
                "schema.create bounded index:i; server.read_file server file:/etc/passwd",
            ),
            (
                "CREATE VIEW v AS SELECT pg_ls_logdir()",
                "schema.create bounded view:v; server.read_file server function:pg_ls_logdir",
            ),
            ("SELECT pg_notify('jobs', 'go')", "data.read bounded; session.notify session function:pg_notify"),
            ("SELECT 'pg_read_file(''/etc/passwd'')' LIMIT 1", "data.read bounded"),
        ]);
    }

    #[test]
    fn sql_given_to_functions_as_text() {
        check(&[
            (
                "SELECT query_to_xml('DELETE FROM users RETURNING id', true, true, '')",
                "data.read bounded; data.delete_all unbounded table:users",
            ),
            (
                "SELECT query_to_xml($q$SELECT pg_read_file('/etc/passwd')$q$, true, true, '')",
                "data.read bounded; server.read_file server file:/etc/passwd",
            ),
            (
                "SELECT query_to_xml(q, true, true, '') FROM queries",
                "data.read unbounded table:queries; code.dynamic unbounded function:query_to_xml",
            ),
            ("SELECT * FROM ts_stat('SELECT vector FROM docs') LIMIT 1", "data.read bounded"),
        ]);
    }

    #[test]
    fn set_config_is_set() {
        check(&[
            (
                "SELECT set_config('session_replication_role', 'replica', false)",
                "data.read bounded; integrity.disable_triggers session setting:session_replication_role",
            ),
            (
                "SELECT set_config('session_replication_role', 'origin', false)",
                "data.read bounded; session.set session setting:session_replication_role",
            ),
            ("SELECT set_config('role', 'admin', false)", "data.read bounded; privilege.set_role session role:admin"),
            (
                "SELECT set_config('search_path', 'app', true)",
                "data.read bounded; session.set session setting:search_path",
            ),
            (
                "SELECT set_config(name, 'x', false) FROM settings",
                "data.read unbounded table:settings; code.dynamic session function:set_config",
            ),
        ]);
    }
}
