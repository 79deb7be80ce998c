//! TRUNCATE.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::TruncateStmt;

use super::{Rule, Status};
use crate::names::{inner, relation};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "truncate",
    intents: &[IntentKind::DataTruncate],
    status: Status::Stable,
    catches: "TRUNCATE of one or more tables, one intent per table.",
    why: "TRUNCATE empties tables at once, bypasses DELETE triggers, and with CASCADE empties \
          every table that references them.",
    example: "TRUNCATE orders, order_items CASCADE",
    look_alike: "DELETE FROM orders WHERE id = 7",
    gaps: "None known.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &TruncateStmt) -> Flow {
    for table in statement.relations.iter().filter_map(inner) {
        if let NodeEnum::RangeVar(table) = table {
            let scope = if walker.is_temporary(table) { Scope::Temporary } else { Scope::Unbounded };
            walker.emit(IntentKind::DataTruncate, scope, Some(Object::new("table", relation(table))));
        }
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn each_truncated_table_is_an_intent() {
        check(&[
            ("TRUNCATE users", "data.truncate unbounded table:users"),
            (
                "TRUNCATE TABLE a, public.b RESTART IDENTITY CASCADE",
                "data.truncate unbounded table:a; data.truncate unbounded table:public.b",
            ),
            ("SELECT 'truncate users' LIMIT 1", "data.read bounded"),
        ]);
    }
}
