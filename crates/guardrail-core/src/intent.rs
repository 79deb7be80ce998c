//! Intents: what an action would do, named by a stable dotted id.
//!
//! The taxonomy below is a public interface: policies are written against
//! these ids, the Cedar schema's actions are generated from them, and
//! `docs/intents.md` is generated from this table and the analyzers' rules.
//! Never rename an id silently; add the new one and keep the old as a
//! deprecated alias.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares the intent taxonomy in one place: the enum, its ids, groups and
/// one-line summaries.
macro_rules! taxonomy {
    (
        groups { $( $group:literal => $group_summary:literal, )* }
        intents { $( $variant:ident = $id:literal in [$($parent:literal),*] => $summary:literal, )* }
    ) => {
        /// One kind of effect an action can have. See `docs/intents.md`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum IntentKind {
            $( #[doc = $summary] $variant, )*
        }

        impl IntentKind {
            /// Every intent, in taxonomy order.
            pub const ALL: &'static [IntentKind] = &[ $( IntentKind::$variant, )* ];

            /// The stable dotted id, as policies name it (`data.delete_all`).
            pub const fn id(self) -> &'static str {
                match self { $( IntentKind::$variant => $id, )* }
            }

            /// The action groups this intent belongs to in the policy schema.
            pub const fn groups(self) -> &'static [&'static str] {
                match self { $( IntentKind::$variant => &[$($parent),*], )* }
            }

            /// A one-line description of the effect.
            pub const fn summary(self) -> &'static str {
                match self { $( IntentKind::$variant => $summary, )* }
            }

            /// Looks an intent up by its dotted id.
            pub fn from_id(id: &str) -> Option<IntentKind> {
                match id { $( $id => Some(IntentKind::$variant), )* _ => None }
            }
        }

        /// Action groups of the policy schema: a policy may name a group
        /// (`action in Action::"schema.change"`) to cover all its members.
        pub const GROUPS: &[(&str, &str)] = &[ $( ($group, $group_summary), )* ];
    };
}

taxonomy! {
    groups {
        "data.access" => "Reading data out of the database.",
        "data.write" => "Changing rows of tables.",
        "schema.change" => "Creating, altering or dropping database objects.",
        "privilege.change" => "Changing who may do what: grants, roles, ownership.",
        "server.access" => "Reaching the database server's files and programs, or other servers.",
        "admin.operation" => "Operating the server: configuration, other sessions, server functions.",
        "integrity.bypass" => "Switching off the database's own integrity or access checks.",
        "code.execution" => "Running code whose effect cannot be seen from the text.",
        "session.control" => "Settings and state of the current session.",
        "fs.change" => "Deleting, overwriting or re-permissioning files, and destroying disks.",
        "vcs.change" => "Losing uncommitted work or rewriting a repository's history.",
        "infra.change" => "Destroying or disrupting infrastructure: clusters, cloud resources, services, backups, queues, CI, secrets.",
        "system.operation" => "Operating the machine: power, processes, firewall, users and privileges, scheduled jobs.",
    }
    intents {
        DataRead = "data.read" in ["data.access"]
            => "Reads rows and returns them to the client.",
        DataExport = "data.export" in ["data.access"]
            => "Streams a table or query result out in bulk (COPY ... TO STDOUT).",
        DataInsert = "data.insert" in ["data.write"]
            => "Inserts rows.",
        DataUpdate = "data.update" in ["data.write"]
            => "Updates the rows a WHERE clause or join selects.",
        DataUpdateAll = "data.update_all" in ["data.write"]
            => "Updates every row of a table: no WHERE clause, or one that is always true.",
        DataDelete = "data.delete" in ["data.write"]
            => "Deletes the rows a WHERE clause or join selects.",
        DataDeleteAll = "data.delete_all" in ["data.write"]
            => "Deletes every row of a table: no WHERE clause, or one that is always true.",
        DataTruncate = "data.truncate" in ["data.write"]
            => "Empties tables at once (TRUNCATE).",
        DataRefresh = "data.refresh" in ["data.write"]
            => "Recomputes a materialized view's contents.",
        SchemaCreate = "schema.create" in ["schema.change"]
            => "Creates a lasting database object (table, index, function, extension, ...).",
        SchemaCreateTemporary = "schema.create_temporary" in []
            => "Creates a temporary object that disappears with the session.",
        SchemaAlter = "schema.alter" in ["schema.change"]
            => "Alters, renames or comments on a database object.",
        SchemaDrop = "schema.drop" in ["schema.change"]
            => "Drops a database object (table, database, role, function, ...).",
        SchemaDropColumn = "schema.drop_column" in ["schema.change"]
            => "Drops a column, and the data in it, from a table.",
        SchemaDropConstraint = "schema.drop_constraint" in ["schema.change"]
            => "Drops a constraint that protects the integrity of data.",
        PrivilegeGrant = "privilege.grant" in ["privilege.change"]
            => "Grants privileges on objects, or membership in a role.",
        PrivilegeRevoke = "privilege.revoke" in ["privilege.change"]
            => "Revokes privileges or role membership.",
        PrivilegeEscalate = "privilege.escalate" in ["privilege.change"]
            => "Grants superuser-like power: SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS, or a predefined role that reaches the server.",
        PrivilegeRoleCreate = "privilege.role_create" in ["privilege.change"]
            => "Creates a role or user without superuser-like attributes.",
        PrivilegeRoleAlter = "privilege.role_alter" in ["privilege.change"]
            => "Alters a role's attributes or per-role settings.",
        PrivilegePassword = "privilege.password" in ["privilege.change"]
            => "Sets or changes a role's password.",
        PrivilegeOwnerChange = "privilege.owner_change" in ["privilege.change"]
            => "Changes the owner of objects (ALTER ... OWNER TO, REASSIGN OWNED).",
        PrivilegeSetRole = "privilege.set_role" in ["privilege.change"]
            => "Switches the session to act as another role (SET ROLE, SET SESSION AUTHORIZATION).",
        ServerExecuteProgram = "server.execute_program" in ["server.access"]
            => "Runs a program on the database server (COPY ... PROGRAM).",
        ServerReadFile = "server.read_file" in ["server.access"]
            => "Reads files or directories of the database server.",
        ServerWriteFile = "server.write_file" in ["server.access"]
            => "Writes files on the database server.",
        ServerRemoteExec = "server.remote_exec" in ["server.access"]
            => "Runs SQL on another server through the database (dblink).",
        AdminAlterSystem = "admin.alter_system" in ["admin.operation"]
            => "Changes the server's configuration for every session (ALTER SYSTEM).",
        AdminTerminateBackend = "admin.terminate_backend" in ["admin.operation"]
            => "Kills another session (pg_terminate_backend).",
        AdminCancelBackend = "admin.cancel_backend" in ["admin.operation"]
            => "Cancels another session's running query (pg_cancel_backend).",
        AdminFunction = "admin.function" in ["admin.operation"]
            => "Calls a server administration function or command (pg_reload_conf, CHECKPOINT, replication slots, ...).",
        AdminLoadLibrary = "admin.load_library" in ["admin.operation"]
            => "Loads a shared library into the server process (LOAD).",
        IntegrityDisableTriggers = "integrity.disable_triggers" in ["integrity.bypass"]
            => "Stops triggers and foreign keys from firing (DISABLE TRIGGER, session_replication_role).",
        IntegrityDisableRowSecurity = "integrity.disable_row_security" in ["integrity.bypass"]
            => "Switches off row-level security on a table.",
        LockExclusive = "lock.exclusive" in []
            => "Takes a lock that blocks reads and writes of a table (LOCK ... ACCESS EXCLUSIVE, VACUUM FULL, CLUSTER, ...).",
        LockTable = "lock.table" in []
            => "Takes an explicit table lock that still lets others read.",
        MaintenanceRun = "maintenance.run" in []
            => "Routine maintenance that does not block readers (VACUUM, ANALYZE, REINDEX CONCURRENTLY).",
        CodeCall = "code.call" in ["code.execution"]
            => "Calls a stored procedure, whose body is not part of the text (CALL).",
        CodeAnonymousBlock = "code.anonymous_block" in ["code.execution"]
            => "Runs an anonymous code block (DO).",
        CodeDynamic = "code.dynamic" in ["code.execution"]
            => "Builds code at run time and runs it (dynamic SQL, a command name from an expansion, decoded data piped into a shell), so its effect cannot be read from the text.",
        CodeRemote = "code.remote" in ["code.execution"]
            => "Runs code fetched from the network (curl ... | sh, bash <(curl ...)).",
        CodePersist = "code.persist" in ["code.execution"]
            => "Plants code where it runs later: shell startup files, cron, git hooks and git settings that run programs, systemd units, ssh's configuration.",
        CodeExecutePrepared = "code.execute_prepared" in ["code.execution"]
            => "Executes a prepared statement defined outside the text being checked.",
        CodeOpaque = "code.opaque" in ["code.execution"]
            => "Defines or runs code in a language the analyzer cannot read (C, PL/Python, ...).",
        TransactionControl = "transaction.control" in []
            => "Begins, commits, rolls back or otherwise controls a transaction.",
        SessionSet = "session.set" in ["session.control"]
            => "Changes an ordinary setting of the current session.",
        SessionShow = "session.show" in ["session.control"]
            => "Shows a setting.",
        SessionReset = "session.reset" in ["session.control"]
            => "Releases session state: prepared statements, cursors, temporary objects (DEALLOCATE, CLOSE, DISCARD).",
        SessionListen = "session.listen" in ["session.control"]
            => "Listens for or stops listening for notifications.",
        SessionNotify = "session.notify" in ["session.control"]
            => "Sends a notification to listening sessions.",
        QueryExplain = "query.explain" in []
            => "Shows a query's plan without running it (plain EXPLAIN).",
        ProcessRun = "process.run" in []
            => "Runs a program with no effect the shell analyzer classifies more closely: reads, builds, tests, edits.",
        FsDelete = "fs.delete" in ["fs.change"]
            => "Deletes or moves away named files (rm, unlink, shred, mv's sources).",
        FsDeleteRecursive = "fs.delete_recursive" in ["fs.change"]
            => "Deletes whole directory trees (rm -r, find -delete, rsync --delete).",
        FsOverwrite = "fs.overwrite" in ["fs.change"]
            => "Overwrites or truncates a file (redirection, truncate, cp or dd onto it).",
        FsPermission = "fs.permission" in ["fs.change"]
            => "Changes the mode or owner of named files (chmod, chown, chgrp).",
        FsPermissionRecursive = "fs.permission_recursive" in ["fs.change"]
            => "Changes the mode or owner of whole directory trees (chmod -R, chown -R).",
        DiskDestroy = "disk.destroy" in ["fs.change"]
            => "Destroys a disk or file system: raw writes to a device, mkfs, wipefs.",
        VcsHistoryRewrite = "vcs.history_rewrite" in ["vcs.change"]
            => "Rewrites or deletes shared history: force pushes, remote branch deletion, filter-branch.",
        VcsDiscard = "vcs.discard" in ["vcs.change"]
            => "Throws away uncommitted or unmerged work: reset --hard, clean -f, checkout -- ., branch -D, stash drop.",
        InfraDestroy = "infra.destroy" in ["infra.change"]
            => "Deletes infrastructure or its data: cluster objects, cloud resources, backups, queues and topics, CI objects, HTTP DELETE.",
        InfraDisrupt = "infra.disrupt" in ["infra.change"]
            => "Stops, disables, scales, detaches, resets or revokes a service or resource without deleting its data (systemctl stop, kubectl scale, docker stop).",
        InfraUndeclared = "infra.undeclared" in ["infra.change"]
            => "Runs a destroying or disrupting verb (delete, destroy, stop, scale, ...) of a program the analyzer has no declaration for (fooctl cluster delete prod): what it changes is not known.",
        SecretDelete = "secret.delete" in ["infra.change"]
            => "Deletes, destroys or disables secrets in a secret manager, or credential files outside the workspace (keys, cloud CLI credentials).",
        SecretWrite = "secret.write" in ["infra.change"]
            => "Replaces a secret's value in a secret manager or a credential file outside the workspace, losing the old one.",
        SecretExfiltration = "secret.exfiltration" in []
            => "Sends credentials (key files, cloud CLI credentials, the environment, a secret manager's output) over the network, by any route.",
        SecretRead = "secret.read" in []
            => "Reads stored credentials: password hashes, connection strings with passwords (pg_authid, pg_shadow, pg_user_mappings).",
        SystemPower = "system.power" in ["system.operation"]
            => "Shuts down, reboots or halts the machine.",
        SystemKillAll = "system.kill_all" in ["system.operation"]
            => "Signals every process the user may reach (kill -9 -1) or init.",
        SystemForkBomb = "system.fork_bomb" in ["system.operation"]
            => "Starts processes without bound until the machine stops answering (a fork bomb).",
        SystemFirewall = "system.firewall" in ["system.operation"]
            => "Flushes or disables the firewall.",
        SystemCronRemove = "system.cron_remove" in ["system.operation"]
            => "Removes a user's scheduled jobs (crontab -r).",
        SystemUserDelete = "system.user_delete" in ["system.operation"]
            => "Deletes a user or group account of the machine.",
        SystemPrivilege = "system.privilege" in ["system.operation"]
            => "Grants access or power on the machine: sudoers, authorized_keys, accounts and their groups and passwords, setuid bits, PAM, the dynamic loader's preload.",
        LogTamper = "log.tamper" in []
            => "Erases or switches off shell history or system logs.",
        GateTamper = "gate.tamper" in []
            => "Changes, moves or deletes the gate's own files (its record, keys, configuration, policies, binary) or an agent's hook settings, reads its signing key, or runs the gate with another policy, store, data directory or actor.",
        Unknown = "unknown" in []
            => "Text the analyzer could not parse or classify; judged as the worst case it could be.",
    }
}

impl fmt::Display for IntentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for IntentKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for IntentKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        IntentKind::from_id(&id).ok_or_else(|| serde::de::Error::custom(format!("unknown intent {id:?}")))
    }
}

/// How widely an intent reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Limited to what the text names or selects: some rows, named objects.
    Bounded,
    /// Every row of a table, every object of a kind, or rows without a limit.
    Unbounded,
    /// Only the current session.
    Session,
    /// Temporary objects that vanish with the session, or paths in a
    /// temporary directory (`/tmp`, `/var/tmp`).
    Temporary,
    /// The database server as a whole: its files, programs, processes, configuration.
    Server,
    /// Paths strictly inside the workspace: the working directory a shell
    /// command was checked in.
    Workspace,
    /// Paths outside the workspace that are neither temporary nor system:
    /// other projects, the user's files, the workspace's own root.
    Elsewhere,
    /// The machine's own files: `/`, `/etc`, `/usr`, `/var`, home directories
    /// themselves, and every ancestor of the workspace.
    System,
    /// Devices under `/dev`.
    Device,
}

impl Scope {
    /// The name policies see in `context.scope`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Bounded => "bounded",
            Scope::Unbounded => "unbounded",
            Scope::Session => "session",
            Scope::Temporary => "temporary",
            Scope::Server => "server",
            Scope::Workspace => "workspace",
            Scope::Elsewhere => "elsewhere",
            Scope::System => "system",
            Scope::Device => "device",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A byte range of the action's text: the evidence an intent came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The text this span covers, or `None` if it lies outside `text` or
    /// splits a character.
    pub fn slice<'t>(&self, text: &'t str) -> Option<&'t str> {
        text.get(self.start..self.end)
    }
}

/// What an intent touches: a table, a function, a role, a file, a program...
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Object {
    /// The kind of object, lowercase: `table`, `function`, `role`, `file`, ...
    pub kind: String,
    /// Its name as written in the text (`public.users`), or a path or command.
    pub name: String,
}

impl Object {
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Object {
        Object { kind: kind.into(), name: name.into() }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// One effect an action would have.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Intent {
    #[serde(rename = "id")]
    pub kind: IntentKind,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object: Option<Object>,
    pub scope: Scope,
    /// Where in the action's text the effect was found.
    pub span: Span,
    /// Why the analyzer concluded this, when it is not obvious from the
    /// intent alone: "the WHERE clause is always true", a parse error.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

impl Intent {
    pub fn new(kind: IntentKind, scope: Scope, span: Span) -> Intent {
        Intent { kind, object: None, scope, span, note: None }
    }

    pub fn with_object(mut self, object: Object) -> Intent {
        self.object = Some(object);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Intent {
        self.note = Some(note.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_dotted_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &kind in IntentKind::ALL {
            let id = kind.id();
            assert!(seen.insert(id), "duplicate intent id {id}");
            assert_eq!(IntentKind::from_id(id), Some(kind));
            let well_formed = id == "unknown"
                || id.split('.').count() == 2
                    && id
                        .split('.')
                        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert!(well_formed, "intent id {id} is not <domain>.<effect> in snake_case");
        }
    }

    #[test]
    fn every_group_named_by_an_intent_exists_and_no_group_is_empty() {
        let groups: Vec<&str> = GROUPS.iter().map(|(id, _)| *id).collect();
        for &kind in IntentKind::ALL {
            for group in kind.groups() {
                assert!(groups.contains(group), "{kind} names unknown group {group}");
            }
        }
        for group in &groups {
            assert!(IntentKind::ALL.iter().any(|kind| kind.groups().contains(group)), "group {group} has no members");
            assert!(IntentKind::from_id(group).is_none(), "group {group} shadows an intent");
        }
    }
}
