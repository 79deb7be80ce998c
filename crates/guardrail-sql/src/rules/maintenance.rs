//! VACUUM, ANALYZE, CLUSTER, REINDEX, REFRESH MATERIALIZED VIEW.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;

use super::{Rule, Status};
use crate::names::{inner, option_bool, options, relation};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "maintenance",
    intents: &[IntentKind::LockExclusive, IntentKind::DataRefresh, IntentKind::MaintenanceRun],
    status: Status::Stable,
    catches: "VACUUM FULL, CLUSTER, REINDEX without CONCURRENTLY and REFRESH MATERIALIZED VIEW \
              without CONCURRENTLY, which hold locks that block readers while they rewrite; plain \
              VACUUM, ANALYZE and concurrent REINDEX, which do not.",
    why: "VACUUM FULL and CLUSTER rewrite the whole table under an ACCESS EXCLUSIVE lock: on a big \
          table that is an outage for as long as the rewrite takes.",
    example: "VACUUM FULL orders",
    look_alike: "VACUUM (ANALYZE) orders",
    gaps: "A VACUUM or ANALYZE of the whole database names no table.",
};

pub(crate) fn check(walker: &mut Walker<'_>, node: &NodeEnum) -> Flow {
    let tables: Vec<String> = match node {
        NodeEnum::VacuumStmt(statement) => statement
            .rels
            .iter()
            .filter_map(inner)
            .filter_map(|rel| match rel {
                NodeEnum::VacuumRelation(rel) => rel.relation.as_ref().map(relation),
                _ => None,
            })
            .collect(),
        NodeEnum::ClusterStmt(statement) => statement.relation.iter().map(relation).collect(),
        NodeEnum::ReindexStmt(statement) => match &statement.relation {
            Some(table) => vec![relation(table)],
            None => vec![statement.name.clone()],
        },
        NodeEnum::RefreshMatViewStmt(statement) => statement.relation.iter().map(relation).collect(),
        _ => Vec::new(),
    };
    let heavy = match node {
        NodeEnum::VacuumStmt(statement) => {
            options(&statement.options).any(|option| option.defname == "full" && option_bool(option) != Some(false))
        }
        NodeEnum::ClusterStmt(_) => true,
        NodeEnum::ReindexStmt(statement) => !options(&statement.params)
            .any(|option| option.defname == "concurrently" && option_bool(option) != Some(false)),
        NodeEnum::RefreshMatViewStmt(statement) => !statement.concurrent,
        _ => false,
    };
    let kind = match node {
        NodeEnum::RefreshMatViewStmt(_) => "materialized_view",
        _ => "table",
    };
    let objects: Vec<Option<Object>> = if tables.is_empty() {
        vec![None]
    } else {
        tables.into_iter().map(|table| Some(Object::new(kind, table))).collect()
    };
    for object in objects {
        if let NodeEnum::RefreshMatViewStmt(_) = node {
            walker.emit(IntentKind::DataRefresh, Scope::Bounded, object.clone());
        }
        if heavy {
            walker.emit(IntentKind::LockExclusive, Scope::Bounded, object);
        } else if !matches!(node, NodeEnum::RefreshMatViewStmt(_)) {
            walker.emit(IntentKind::MaintenanceRun, Scope::Bounded, object);
        }
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn rewrites_lock_and_routine_maintenance_does_not() {
        check(&[
            ("VACUUM FULL orders", "lock.exclusive bounded table:orders"),
            (
                "VACUUM (FULL, ANALYZE) orders, items",
                "lock.exclusive bounded table:orders; lock.exclusive bounded table:items",
            ),
            ("VACUUM (FULL false) orders", "maintenance.run bounded table:orders"),
            ("VACUUM orders", "maintenance.run bounded table:orders"),
            ("VACUUM", "maintenance.run bounded"),
            ("ANALYZE orders", "maintenance.run bounded table:orders"),
            ("CLUSTER orders USING orders_pkey", "lock.exclusive bounded table:orders"),
            ("REINDEX TABLE orders", "lock.exclusive bounded table:orders"),
            ("REINDEX (CONCURRENTLY) TABLE orders", "maintenance.run bounded table:orders"),
            ("REINDEX TABLE CONCURRENTLY orders", "maintenance.run bounded table:orders"),
            (
                "REFRESH MATERIALIZED VIEW totals",
                "data.refresh bounded materialized_view:totals; lock.exclusive bounded materialized_view:totals",
            ),
            ("REFRESH MATERIALIZED VIEW CONCURRENTLY totals", "data.refresh bounded materialized_view:totals"),
        ]);
    }
}
