//! Reads of stored credentials: the catalogs that hold password hashes and
//! connection strings with passwords, by any route that names them.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::{ColumnRef, RangeVar};

use super::{Rule, Status};
use crate::names::{inner, relation, string};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "credentials",
    intents: &[IntentKind::SecretRead],
    status: Status::Preview,
    catches: "Any reference to a catalog that holds credentials (pg_authid, pg_shadow, \
              pg_user_mapping, pg_user_mappings, information_schema.user_mapping_options), and to \
              columns that hold them (rolpassword, passwd, subconninfo, umoptions), wherever it \
              appears: a SELECT, TABLE, COPY, a view or function body, a subquery.",
    why: "Password hashes can be cracked or replayed, and user mappings and subscriptions hold \
          other servers' passwords in clear.",
    example: "SELECT rolname, rolpassword FROM pg_authid",
    look_alike: "SELECT rolname FROM pg_roles",
    gaps: "A column reached through `*` of pg_subscription is not seen; reading pg_subscription's \
           connection string by name is.",
};

/// `SELECT * FROM pg_subscription`: every column, the connection string
/// (and its password) among them.
pub(crate) fn check_star(walker: &mut Walker<'_>, select: &pg_query::protobuf::SelectStmt) {
    let star = select.target_list.iter().filter_map(inner).any(|target| {
        matches!(target, pg_query::NodeEnum::ResTarget(target) if target.val.as_deref().and_then(inner).is_some_and(|value| matches!(value, pg_query::NodeEnum::ColumnRef(column) if column.fields.iter().filter_map(inner).any(|field| matches!(field, pg_query::NodeEnum::AStar(_))))))
    });
    if !star {
        return;
    }
    for item in select.from_clause.iter().filter_map(inner) {
        if let pg_query::NodeEnum::RangeVar(range) = item
            && range.relname.eq_ignore_ascii_case("pg_subscription")
        {
            walker.emit(IntentKind::SecretRead, Scope::Server, Some(Object::new("table", relation(range)))).note =
                Some("every column of pg_subscription, its connection strings among them".to_owned());
        }
    }
}

/// Catalogs whose rows hold credentials.
const CATALOGS: &[&str] = &["pg_authid", "pg_shadow", "pg_user_mapping", "pg_user_mappings", "user_mapping_options"];

/// MySQL's and MariaDB's tables of accounts and password hashes (their
/// SQL reaches this analyzer through agents' database tools).
const MYSQL_CATALOGS: &[&str] = &["user", "global_priv"];

/// Columns that hold credentials, in whatever catalog (MySQL's
/// `authentication_string` among them).
const COLUMNS: &[&str] = &["rolpassword", "subconninfo", "umoptions", "authentication_string"];

pub(crate) fn check_relation(walker: &mut Walker<'_>, range: &RangeVar) -> Flow {
    let name = range.relname.to_ascii_lowercase();
    let schema = range.schemaname.to_ascii_lowercase();
    let catalog = schema.is_empty() || schema == "pg_catalog" || schema == "information_schema";
    if catalog && CATALOGS.contains(&name.as_str()) || schema == "mysql" && MYSQL_CATALOGS.contains(&name.as_str()) {
        walker.emit(IntentKind::SecretRead, Scope::Server, Some(Object::new("table", relation(range)))).note =
            Some(format!("{} holds credentials", relation(range)));
    }
    Flow::Descend
}

pub(crate) fn check_column(walker: &mut Walker<'_>, column: &ColumnRef) -> Flow {
    let last = column.fields.iter().filter_map(inner).filter_map(string).next_back();
    if let Some(last) = last
        && COLUMNS.contains(&last.to_ascii_lowercase().as_str())
    {
        walker.emit(IntentKind::SecretRead, Scope::Server, Some(Object::new("column", last))).note =
            Some(format!("{last} holds credentials"));
    }
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use guardrail_core::IntentKind;

    #[test]
    fn credentials_are_read_by_any_route() {
        let cases: &[(&str, bool)] = &[
            ("SELECT * FROM pg_authid", true),
            ("TABLE pg_shadow", true),
            ("COPY pg_authid TO STDOUT", true),
            ("COPY (SELECT usename, passwd FROM pg_shadow) TO STDOUT", true),
            ("SELECT subname, subconninfo FROM pg_subscription", true),
            ("SELECT * FROM pg_catalog.pg_user_mappings", true),
            ("CREATE VIEW v AS SELECT rolpassword FROM pg_authid", true),
            ("SELECT 1 WHERE EXISTS (SELECT 1 FROM pg_authid WHERE rolpassword IS NULL)", true),
            ("SELECT rolname FROM pg_roles", false),
            ("SELECT usename FROM pg_user", false),
            ("SELECT subname FROM pg_subscription", false),
            ("SELECT * FROM myapp.pg_authid", false),
            ("SELECT user, host, authentication_string FROM mysql.user", true),
            ("SELECT * FROM mysql.global_priv", true),
            ("SELECT * FROM myapp.user", false),
        ];
        for (sql, reads) in cases {
            let found = crate::analyze(sql).intents.iter().any(|intent| intent.kind == IntentKind::SecretRead);
            assert_eq!(found, *reads, "{sql}");
        }
    }
}
