//! SELECT: reads returned to the client, bounded by LIMIT or not; SELECT INTO.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::{SelectStmt, SetOperation};

use super::{Rule, Status};
use crate::names::{self, inner, is_temporary, relation};
use crate::walk::{Flow, Position, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "select",
    intents: &[IntentKind::DataRead, IntentKind::SchemaCreate, IntentKind::SchemaCreateTemporary],
    status: Status::Stable,
    catches: "Queries whose rows go back to the client: a SELECT, TABLE or VALUES statement, or the \
              query of a DECLARE CURSOR or EXPLAIN ANALYZE. A read is unbounded when it reads a \
              relation with no LIMIT (or FETCH FIRST), unless it only computes aggregates. \
              SELECT ... INTO creates a table.",
    why: "Reads change nothing, but an unbounded one can pull a whole table through the client; \
          the default policy lets it run with a row cap the surface enforces.",
    example: "SELECT * FROM users",
    look_alike: "-- SELECT * FROM users\nCOMMIT",
    gaps: "A point lookup without LIMIT (`WHERE id = 1`) is reported as unbounded: the schema is \
           unknown, so uniqueness is too. Subqueries inside other statements are not reported as \
           reads.",
};

pub(crate) fn check(walker: &mut Walker<'_>, select: &SelectStmt, position: Position) -> Flow {
    super::credentials::check_star(walker, select);
    whole_relation_calls(walker, select);
    if let Some(into) = select.into_clause.as_deref().and_then(|into| into.rel.as_ref()) {
        let kind = if is_temporary(into) { IntentKind::SchemaCreateTemporary } else { IntentKind::SchemaCreate };
        let scope = if is_temporary(into) { Scope::Temporary } else { Scope::Bounded };
        walker.emit(kind, scope, Some(Object::new("table", relation(into))));
        return Flow::Descend;
    }
    if position == Position::Statement && walker.client_facing() {
        let scope = if bounded(select) { Scope::Bounded } else { Scope::Unbounded };
        let object = first_relation(&select.from_clause).map(|table| Object::new("table", table));
        walker.emit(IntentKind::DataRead, scope, object);
    }
    Flow::Descend
}

/// Whether a query returns a bounded number of rows: it has a LIMIT, is a
/// VALUES list, reads no relation, or only aggregates.
pub(crate) fn bounded(select: &SelectStmt) -> bool {
    let limited = select
        .limit_count
        .as_deref()
        .and_then(inner)
        .is_some_and(|limit| !matches!(limit, NodeEnum::AConst(constant) if constant.isnull));
    if limited || !select.values_lists.is_empty() {
        return true;
    }
    match SetOperation::try_from(select.op) {
        Ok(SetOperation::SetopNone) | Err(_) => {
            select.from_clause.iter().filter_map(inner).all(bounded_source) || only_aggregates(select)
        }
        Ok(_) => select.larg.as_deref().is_some_and(bounded) && select.rarg.as_deref().is_some_and(bounded),
    }
}

/// A FROM item with a bounded number of rows: a bounded subquery, or a
/// join of bounded ones. A table or a set-returning function is not.
fn bounded_source(item: &NodeEnum) -> bool {
    match item {
        NodeEnum::RangeSubselect(subquery) => match subquery.subquery.as_deref().and_then(inner) {
            Some(NodeEnum::SelectStmt(select)) => bounded(select),
            _ => false,
        },
        NodeEnum::JoinExpr(join) => [join.larg.as_deref(), join.rarg.as_deref()]
            .into_iter()
            .all(|side| side.and_then(inner).is_some_and(bounded_source)),
        _ => false,
    }
}

/// `SELECT count(*), max(x) FROM t`: one row, whatever the table holds.
fn only_aggregates(select: &SelectStmt) -> bool {
    select.group_clause.is_empty()
        && !select.target_list.is_empty()
        && select.target_list.iter().filter_map(inner).all(|target| {
            let NodeEnum::ResTarget(target) = target else {
                return false;
            };
            match target.val.as_deref().and_then(inner) {
                Some(NodeEnum::FuncCall(call)) => {
                    call.over.is_none()
                        && AGGREGATES.contains(&names::function_name(call).to_ascii_lowercase().as_str())
                }
                Some(NodeEnum::AConst(_)) => true,
                _ => false,
            }
        })
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "bool_and",
    "bool_or",
    "every",
    "array_agg",
    "string_agg",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "xmlagg",
    "stddev",
    "variance",
];

/// The first table a FROM clause reads, for naming the read.
fn first_relation(from: &[pg_query::protobuf::Node]) -> Option<String> {
    from.iter().filter_map(inner).find_map(|item| match item {
        NodeEnum::RangeVar(table) => Some(relation(table)),
        NodeEnum::JoinExpr(join) => {
            let sides = [join.larg.as_deref(), join.rarg.as_deref()];
            sides.into_iter().flatten().find_map(|side| first_relation(std::slice::from_ref(side)))
        }
        _ => None,
    })
}

/// Calls to per-row destroyers anywhere in an expression (`count(lo_unlink(oid))`).
fn per_row_destroyers(node: &NodeEnum, calls: &mut Vec<String>) {
    if let NodeEnum::FuncCall(call) = node
        && PER_ROW_DESTROYERS.contains(&names::function_name(call).to_ascii_lowercase().as_str())
        && !call.args.is_empty()
    {
        calls.push(names::function_name(call).to_owned());
    }
    crate::children::for_each_child(node, &mut |_, child| per_row_destroyers(child, calls));
}

/// Whether a condition is, or is AND-ed with, `column = literal`.
fn pins_a_literal(condition: &NodeEnum) -> bool {
    match condition {
        NodeEnum::AExpr(expression) if names::string_operator(expression) == Some("=") => {
            let sides = [expression.lexpr.as_deref().and_then(inner), expression.rexpr.as_deref().and_then(inner)];
            sides.iter().flatten().any(|side| matches!(side, NodeEnum::ColumnRef(_)))
                && sides.iter().flatten().any(|side| matches!(side, NodeEnum::AConst(_)))
        }
        NodeEnum::AExpr(expression)
            if matches!(
                pg_query::protobuf::AExprKind::try_from(expression.kind),
                Ok(pg_query::protobuf::AExprKind::AexprIn)
            ) =>
        {
            true
        }
        NodeEnum::BoolExpr(expression)
            if pg_query::protobuf::BoolExprType::try_from(expression.boolop)
                == Ok(pg_query::protobuf::BoolExprType::AndExpr) =>
        {
            expression.args.iter().filter_map(inner).any(pins_a_literal)
        }
        _ => false,
    }
}

/// Functions that destroy what their argument names, called once per row
/// of a query: over a whole catalog or table (`SELECT lo_unlink(oid) FROM
/// pg_largeobject_metadata`) they destroy every one.
const PER_ROW_DESTROYERS: &[&str] = &["lo_unlink"];

fn whole_relation_calls(walker: &mut Walker<'_>, select: &SelectStmt) {
    let from: Vec<&NodeEnum> = select.from_clause.iter().filter_map(inner).collect();
    let Some(source) = from.iter().find_map(|item| match item {
        NodeEnum::RangeVar(range) => Some(relation(range)),
        NodeEnum::RangeSubselect(_) => Some("a subquery".to_owned()),
        _ => None,
    }) else {
        return;
    };
    // Bounded only by a LIMIT, or a WHERE that pins the destroyed thing to
    // a literal (`WHERE oid = 16403`).
    let pinned = select.where_clause.as_deref().and_then(inner).is_some_and(pins_a_literal);
    if select.limit_count.is_some() || pinned {
        return;
    }
    let mut calls = Vec::new();
    for target in select.target_list.iter().filter_map(inner) {
        per_row_destroyers(target, &mut calls);
    }
    if let Some(function) = calls.first() {
        walker.emit(IntentKind::DataDeleteAll, Scope::Unbounded, Some(Object::new("table", source.clone()))).note =
            Some(format!("{function} runs once for every row of {source}"));
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn reads_are_bounded_by_limits_values_and_aggregates() {
        check(&[
            ("SELECT * FROM users", "data.read unbounded table:users"),
            ("TABLE users", "data.read unbounded table:users"),
            ("SELECT * FROM users LIMIT 10", "data.read bounded table:users"),
            ("SELECT * FROM users LIMIT $1", "data.read bounded table:users"),
            ("SELECT * FROM users LIMIT ALL", "data.read unbounded table:users"),
            ("SELECT * FROM users LIMIT NULL", "data.read unbounded table:users"),
            ("SELECT * FROM users FETCH FIRST 5 ROWS ONLY", "data.read bounded table:users"),
            ("SELECT * FROM users u JOIN orders o ON o.uid = u.id", "data.read unbounded table:users"),
            ("SELECT count(*) FROM users", "data.read bounded table:users"),
            ("SELECT count(*) OVER () FROM users", "data.read unbounded table:users"),
            ("SELECT status, count(*) FROM users GROUP BY status", "data.read unbounded table:users"),
            ("SELECT 1", "data.read bounded"),
            ("VALUES (1), (2)", "data.read bounded"),
            ("SELECT 1 UNION SELECT 2", "data.read bounded"),
            ("SELECT a FROM t UNION SELECT 2", "data.read unbounded"),
            ("(SELECT a FROM t UNION SELECT 2) LIMIT 3", "data.read bounded"),
            ("SELECT * FROM generate_series(1, 10)", "data.read unbounded"),
            ("SELECT * FROM (SELECT 1) AS x", "data.read bounded"),
            ("SELECT * FROM (SELECT 1) a JOIN (VALUES (2)) b ON true", "data.read bounded"),
            ("SELECT * FROM (SELECT * FROM users) AS x", "data.read unbounded"),
            ("SELECT * FROM (SELECT 1) a, users", "data.read unbounded table:users"),
            ("SELECT * FROM users WHERE id IN (SELECT uid FROM banned) LIMIT 1", "data.read bounded table:users"),
        ]);
    }

    #[test]
    fn select_into_creates_a_table() {
        check(&[
            ("SELECT * INTO archive FROM users", "schema.create bounded table:archive"),
            ("SELECT * INTO TEMP scratch FROM users", "schema.create_temporary temporary table:scratch"),
        ]);
    }
}
