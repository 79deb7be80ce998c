//! Restrictions undone and credentials stored: row-level security opened
//! by a policy that is true for every row, and user mappings and
//! subscriptions that store another server's password.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::{Node, RangeVar};

use super::{Rule, Status};
use crate::names::{self, inner, relation};
use crate::truth::{Targets, Truth, truth};
use crate::walk::Walker;

pub(crate) const RULE: Rule = Rule {
    name: "restrictions",
    intents: &[IntentKind::IntegrityDisableRowSecurity, IntentKind::PrivilegePassword],
    status: Status::Preview,
    catches: "CREATE POLICY (permissive, the default) and ALTER POLICY whose USING or WITH CHECK \
              condition is true for every row (`true`, `1 = 1`, `tenant_id = tenant_id`, a condition \
              that does not depend on the row): row-level security opened to whoever the policy \
              applies to. CREATE and ALTER USER MAPPING with a password or secret key option, and \
              CREATE and ALTER SUBSCRIPTION with a connection string holding a password: another \
              server's credential stored in the database.",
    why: "Permissive policies are OR-ed together: one that is always true makes every other policy \
          on the table moot. A stored credential lets anyone who can use the mapping or read the \
          subscription reach the other server.",
    example: "CREATE POLICY open_read ON documents USING (true)",
    look_alike: "CREATE POLICY own_rows ON documents USING (owner = current_user)",
    gaps: "A restrictive policy that is always true restricts nothing and is not reported; a \
           condition true for every row only through the data (`id > 0`) is not seen.",
};

/// A policy's conditions: opening when true for every row of its table.
pub(crate) fn policy(
    walker: &mut Walker<'_>,
    table: Option<&RangeVar>,
    name: &str,
    permissive: bool,
    conditions: [Option<&Node>; 2],
) {
    if !permissive {
        return;
    }
    let targets = Targets::of(table);
    let opens = conditions
        .iter()
        .flatten()
        .filter_map(|condition| inner(condition))
        .any(|condition| matches!(truth(condition, &targets), Truth::True | Truth::Constant));
    if opens {
        let table = table.map(relation).unwrap_or_default();
        walker
            .emit(
                IntentKind::IntegrityDisableRowSecurity,
                Scope::Bounded,
                Some(Object::new("policy", format!("{table}.{name}"))),
            )
            .note = Some(
            "a permissive policy true for every row lets whoever it applies to see or change every row".to_owned(),
        );
    }
}

/// Options (`password 'x'`, `aws_secret_access_key 'y'`) that are secrets.
const SECRET_OPTIONS: &[&str] = &["password", "passwd", "secret", "token", "key", "credential"];

/// A user mapping's options: a stored password.
pub(crate) fn user_mapping(walker: &mut Walker<'_>, server: &str, options: &[Node]) {
    let stores = options.iter().filter_map(inner).any(|option| {
        let name = match option {
            NodeEnum::DefElem(element) => element.defname.to_ascii_lowercase(),
            _ => return false,
        };
        SECRET_OPTIONS.iter().any(|secret| name.contains(secret))
    });
    if stores {
        walker.emit(IntentKind::PrivilegePassword, Scope::Bounded, Some(Object::new("server", server))).note =
            Some("stores a credential for another server in a user mapping".to_owned());
    }
}

/// A subscription's connection string: a stored password.
pub(crate) fn subscription(walker: &mut Walker<'_>, name: &str, conninfo: &str) {
    if conninfo.to_ascii_lowercase().contains("password") {
        walker.emit(IntentKind::PrivilegePassword, Scope::Bounded, Some(Object::new("subscription", name))).note =
            Some("stores another server's password in the subscription's connection string".to_owned());
    }
}

/// `UPDATE pg_settings SET setting = ... WHERE name = '...'` is SET by
/// another spelling; a setting named only at run time is judged the worst.
pub(crate) fn settings_update(walker: &mut Walker<'_>, statement: &pg_query::protobuf::UpdateStmt) -> bool {
    let Some(table) = &statement.relation else { return false };
    if !table.relname.eq_ignore_ascii_case("pg_settings")
        || !(table.schemaname.is_empty() || table.schemaname == "pg_catalog")
    {
        return false;
    }
    let value = statement.target_list.iter().filter_map(inner).find_map(|target| match target {
        NodeEnum::ResTarget(target) if target.name == "setting" => {
            Some(target.val.as_deref().and_then(inner).and_then(names::string))
        }
        _ => None,
    });
    let value = match value.flatten() {
        Some(value) => super::set::Setting::Value(value),
        None => super::set::Setting::Computed,
    };
    let name = statement.where_clause.as_deref().and_then(inner).and_then(setting_named);
    match name {
        Some(name) => super::set::judge_setting(walker, &name, value, Scope::Session, None),
        None => {
            walker.emit(IntentKind::CodeDynamic, Scope::Session, Some(Object::new("table", "pg_settings"))).note =
                Some("changes settings chosen at run time through pg_settings".to_owned());
        }
    }
    true
}

/// The setting a `WHERE name = '...'` condition picks.
fn setting_named(condition: &NodeEnum) -> Option<String> {
    let NodeEnum::AExpr(expression) = condition else { return None };
    let sides = [expression.lexpr.as_deref().and_then(inner), expression.rexpr.as_deref().and_then(inner)];
    let column = sides
        .iter()
        .flatten()
        .any(|side| matches!(side, NodeEnum::ColumnRef(column) if names::column(column) == Some("name")));
    if !column {
        return None;
    }
    sides.iter().flatten().find_map(|side| names::string(side)).map(str::to_owned)
}
