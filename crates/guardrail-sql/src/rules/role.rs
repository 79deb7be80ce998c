//! CREATE ROLE / USER / GROUP and ALTER ROLE.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::{AlterRoleSetStmt, AlterRoleStmt, CreateRoleStmt, Node};

use super::set;
use super::{Rule, Status};
use crate::names::{self, option_bool, options, role_name};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "role",
    intents: &[
        IntentKind::PrivilegeEscalate,
        IntentKind::PrivilegePassword,
        IntentKind::PrivilegeGrant,
        IntentKind::PrivilegeRoleCreate,
        IntentKind::PrivilegeRoleAlter,
    ],
    status: Status::Stable,
    catches: "CREATE and ALTER of roles, users and groups: granting SUPERUSER, CREATEROLE, \
              CREATEDB, REPLICATION or BYPASSRLS is escalation; setting a PASSWORD is a credential \
              change; IN ROLE, ROLE and ADMIN grant membership; ALTER ROLE ... SET changes the \
              role's settings (and is judged like SET for what it sets).",
    why: "Role attributes are the database's root of trust: a role with SUPERUSER can do \
          anything, including reading the server's files and running programs.",
    example: "ALTER ROLE app WITH SUPERUSER",
    look_alike: "ALTER ROLE app WITH NOSUPERUSER",
    gaps: "Attributes granted through membership in another role are not seen.",
};

/// Role options that grant superuser-like power when true.
const ESCALATING_OPTIONS: &[(&str, &str)] = &[
    ("superuser", "SUPERUSER"),
    ("createrole", "CREATEROLE"),
    ("createdb", "CREATEDB"),
    ("isreplication", "REPLICATION"),
    ("bypassrls", "BYPASSRLS"),
];

pub(crate) fn check_create(walker: &mut Walker<'_>, statement: &CreateRoleStmt) -> Flow {
    let role = Object::new("role", statement.role.clone());
    if !judge_options(walker, &role, &statement.options) {
        walker.emit(IntentKind::PrivilegeRoleCreate, Scope::Bounded, Some(role));
    }
    Flow::Skip
}

pub(crate) fn check_alter(walker: &mut Walker<'_>, statement: &AlterRoleStmt) -> Flow {
    let role = Object::new("role", statement.role.as_ref().map(role_name).unwrap_or_default());
    if !judge_options(walker, &role, &statement.options) {
        walker.emit(IntentKind::PrivilegeRoleAlter, Scope::Bounded, Some(role));
    }
    Flow::Skip
}

pub(crate) fn check_alter_set(walker: &mut Walker<'_>, statement: &AlterRoleSetStmt) -> Flow {
    let role = statement.role.as_ref().map(role_name).unwrap_or_else(|| "ALL".to_owned());
    walker.emit(IntentKind::PrivilegeRoleAlter, Scope::Bounded, Some(Object::new("role", role)));
    if let Some(setting) = &statement.setstmt {
        set::judge_lasting_setting(walker, setting);
    }
    Flow::Skip
}

/// Emits an intent for each notable option; whether any was emitted.
fn judge_options(walker: &mut Walker<'_>, role: &Object, list: &[Node]) -> bool {
    let mut emitted = false;
    for option in options(list) {
        if let Some((_, attribute)) = ESCALATING_OPTIONS.iter().find(|(name, _)| *name == option.defname) {
            if option_bool(option) == Some(true) {
                walker.emit(IntentKind::PrivilegeEscalate, Scope::Bounded, Some(role.clone())).note =
                    Some(format!("grants {attribute}"));
                emitted = true;
            }
            continue;
        }
        match option.defname.as_str() {
            "password" => {
                // PASSWORD NULL removes the password; any other value sets one.
                walker.emit(IntentKind::PrivilegePassword, Scope::Bounded, Some(role.clone()));
                emitted = true;
            }
            "addroleto" | "rolemembers" | "adminmembers" => {
                let roles = match option.arg.as_deref().and_then(names::inner) {
                    Some(pg_query::NodeEnum::List(list)) => names::dotted_each(&list.items).join(", "),
                    _ => String::new(),
                };
                walker.emit(IntentKind::PrivilegeGrant, Scope::Bounded, Some(role.clone())).note =
                    Some(format!("membership: {roles}"));
                emitted = true;
            }
            _ => {}
        }
    }
    emitted
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn role_attributes_passwords_and_memberships() {
        check(&[
            ("CREATE ROLE reader", "privilege.role_create bounded role:reader"),
            ("CREATE USER app LOGIN", "privilege.role_create bounded role:app"),
            ("CREATE ROLE boss SUPERUSER", "privilege.escalate bounded role:boss"),
            (
                "CREATE ROLE boss WITH CREATEROLE CREATEDB",
                "privilege.escalate bounded role:boss; privilege.escalate bounded role:boss",
            ),
            ("CREATE ROLE r REPLICATION", "privilege.escalate bounded role:r"),
            ("CREATE ROLE r BYPASSRLS", "privilege.escalate bounded role:r"),
            ("CREATE USER app PASSWORD 'hunter2'", "privilege.password bounded role:app"),
            ("CREATE ROLE r IN ROLE admins", "privilege.grant bounded role:r"),
            ("ALTER ROLE app WITH SUPERUSER", "privilege.escalate bounded role:app"),
            ("ALTER USER app PASSWORD 'x'", "privilege.password bounded role:app"),
            ("ALTER ROLE app NOSUPERUSER", "privilege.role_alter bounded role:app"),
            ("ALTER ROLE app CONNECTION LIMIT 5", "privilege.role_alter bounded role:app"),
            ("ALTER ROLE app SET search_path = app", "privilege.role_alter bounded role:app"),
            (
                "ALTER ROLE app SET session_replication_role = replica",
                "privilege.role_alter bounded role:app; integrity.disable_triggers bounded setting:session_replication_role",
            ),
            ("ALTER ROLE ALL SET statement_timeout = 0", "privilege.role_alter bounded role:ALL"),
        ]);
    }
}
