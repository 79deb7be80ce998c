//! GRANT and REVOKE: privileges on objects, role membership, default privileges.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::{AlterDefaultPrivilegesStmt, GrantRoleStmt, GrantStmt, GrantTargetType, ObjectType};

use super::function_call;
use super::{Rule, Status};
use crate::names::{self, inner, object_kind};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "grant",
    intents: &[IntentKind::PrivilegeEscalate, IntentKind::PrivilegeGrant, IntentKind::PrivilegeRevoke],
    status: Status::Stable,
    catches: "GRANT and REVOKE of privileges on objects, of role membership, and ALTER DEFAULT \
              PRIVILEGES. Granting membership in a role that reaches the server (pg_execute_server_program, \
              pg_read_server_files, pg_write_server_files, pg_read_all_data, pg_write_all_data, \
              pg_signal_backend, pg_maintain) or a cloud provider's superuser role, or EXECUTE on a \
              server-reaching function, is escalation.",
    why: "Privileges decide what every later action may do; granting them widens every account \
          that receives them, often beyond what anyone reviews afterwards.",
    example: "GRANT pg_execute_server_program TO app",
    look_alike: "GRANT SELECT ON reports TO analyst",
    gaps: "Membership in an ordinary role that itself holds superuser-like attributes is reported \
           as a plain grant: the analyzer does not know the roles' attributes.",
};

/// Predefined roles whose members reach past the database's access control,
/// and cloud providers' stand-ins for superuser.
const ESCALATING_ROLES: &[&str] = &[
    "pg_execute_server_program",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_read_all_data",
    "pg_write_all_data",
    "pg_signal_backend",
    "pg_maintain",
    "postgres",
    "rds_superuser",
    "azure_pg_admin",
    "cloudsqlsuperuser",
    "alloydbsuperuser",
];

pub(crate) fn check_grant(walker: &mut Walker<'_>, statement: &GrantStmt) -> Flow {
    let kind = object_kind(statement.objtype);
    let all_in_schema = GrantTargetType::try_from(statement.targtype) == Ok(GrantTargetType::AclTargetAllInSchema);
    let scope = if all_in_schema { Scope::Unbounded } else { Scope::Bounded };
    let grant = if statement.is_grant { IntentKind::PrivilegeGrant } else { IntentKind::PrivilegeRevoke };
    let is_function = matches!(
        ObjectType::try_from(statement.objtype),
        Ok(ObjectType::ObjectFunction | ObjectType::ObjectRoutine | ObjectType::ObjectProcedure)
    );
    let grantees: Vec<String> = statement.grantees.iter().filter_map(inner).map(names::object).collect();
    for object in statement.objects.iter().filter_map(inner) {
        let name = names::object(object);
        let last = name.rsplit('.').next().unwrap_or(&name).to_ascii_lowercase();
        let escalates = statement.is_grant && is_function && function_call::reaches_server(&last);
        let intent = if escalates { IntentKind::PrivilegeEscalate } else { grant };
        walker.emit(intent, scope, Some(Object::new(if all_in_schema { "schema" } else { kind }, name))).note =
            Some(format!("{} {}", if statement.is_grant { "to" } else { "from" }, grantees.join(", ")));
    }
    Flow::Skip
}

pub(crate) fn check_role_grant(walker: &mut Walker<'_>, statement: &GrantRoleStmt) -> Flow {
    let grantees: Vec<String> = statement.grantee_roles.iter().filter_map(inner).map(names::object).collect();
    for role in statement.granted_roles.iter().filter_map(inner) {
        let role = names::object(role);
        let escalates = statement.is_grant && ESCALATING_ROLES.contains(&role.to_ascii_lowercase().as_str());
        let intent = match (statement.is_grant, escalates) {
            (true, true) => IntentKind::PrivilegeEscalate,
            (true, false) => IntentKind::PrivilegeGrant,
            (false, _) => IntentKind::PrivilegeRevoke,
        };
        walker.emit(intent, Scope::Bounded, Some(Object::new("role", role))).note =
            Some(format!("membership {} {}", if statement.is_grant { "for" } else { "of" }, grantees.join(", ")));
    }
    Flow::Skip
}

pub(crate) fn check_default_privileges(walker: &mut Walker<'_>, statement: &AlterDefaultPrivilegesStmt) -> Flow {
    let is_grant = statement.action.as_ref().is_some_and(|action| action.is_grant);
    let intent = if is_grant { IntentKind::PrivilegeGrant } else { IntentKind::PrivilegeRevoke };
    let kind = statement.action.as_ref().map_or("object", |action| object_kind(action.objtype));
    walker.emit(intent, Scope::Unbounded, Some(Object::new("default_privileges", kind))).note =
        Some("applies to every object created from now on".to_owned());
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn grants_revokes_and_escalations() {
        check(&[
            ("GRANT SELECT ON reports TO analyst", "privilege.grant bounded table:reports"),
            ("GRANT ALL ON TABLE a, b TO PUBLIC", "privilege.grant bounded table:a; privilege.grant bounded table:b"),
            ("GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst", "privilege.grant unbounded schema:public"),
            ("REVOKE INSERT ON users FROM app", "privilege.revoke bounded table:users"),
            ("GRANT analyst TO bob", "privilege.grant bounded role:analyst"),
            ("REVOKE analyst FROM bob", "privilege.revoke bounded role:analyst"),
            (
                "GRANT pg_read_server_files TO bob WITH ADMIN OPTION",
                "privilege.escalate bounded role:pg_read_server_files",
            ),
            ("GRANT pg_execute_server_program TO app", "privilege.escalate bounded role:pg_execute_server_program"),
            ("GRANT rds_superuser TO app", "privilege.escalate bounded role:rds_superuser"),
            ("REVOKE pg_read_all_data FROM app", "privilege.revoke bounded role:pg_read_all_data"),
            ("GRANT EXECUTE ON FUNCTION pg_read_file(text) TO app", "privilege.escalate bounded function:pg_read_file"),
            ("GRANT EXECUTE ON FUNCTION report(int) TO app", "privilege.grant bounded function:report"),
            (
                "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO analyst",
                "privilege.grant unbounded default_privileges:table",
            ),
            (
                "ALTER DEFAULT PRIVILEGES REVOKE ALL ON FUNCTIONS FROM PUBLIC",
                "privilege.revoke unbounded default_privileges:function",
            ),
        ]);
    }
}
