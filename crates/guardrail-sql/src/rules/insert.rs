//! INSERT.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::{InsertStmt, OnConflictAction};

use super::{Rule, Status};
use crate::names::{inner, relation};
use crate::truth::Targets;
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "insert",
    intents: &[IntentKind::DataInsert],
    status: Status::Stable,
    catches: "INSERT statements anywhere in the text, including ON CONFLICT DO UPDATE upserts \
              (which only touch the conflicting rows).",
    why: "Inserting is a bounded write; it is reported so policies can restrict it by table or actor.",
    example: "INSERT INTO audit_log (event) VALUES ('login')",
    look_alike: "SELECT 'INSERT INTO audit_log' LIMIT 1",
    gaps: "INSERT ... SELECT may copy many rows; it is still reported as bounded.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &InsertStmt) -> Flow {
    let object = statement.relation.as_ref().map(|table| Object::new("table", relation(table)));
    walker.emit(IntentKind::DataInsert, Scope::Bounded, object.clone());
    // `INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE ...`: every
    // row of t conflicts with itself, so every row is updated.
    let updates = statement.on_conflict_clause.as_ref().is_some_and(|clause| {
        OnConflictAction::try_from(clause.action) == Ok(OnConflictAction::OnconflictUpdate)
            && clause.where_clause.is_none()
    });
    let targets = Targets::of(statement.relation.as_ref()).with(statement.with_clause.as_ref());
    if updates
        && let Some(NodeEnum::SelectStmt(select)) = statement.select_stmt.as_deref().and_then(inner)
        && targets.whole_copy(select)
    {
        walker.emit(IntentKind::DataUpdateAll, Scope::Unbounded, object).note =
            Some("every row is inserted again, conflicts with itself and is updated".to_owned());
    }
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn inserts_are_bounded_writes_and_their_queries_are_walked() {
        check(&[
            ("INSERT INTO t VALUES (1)", "data.insert bounded table:t"),
            ("INSERT INTO t SELECT * FROM u", "data.insert bounded table:t"),
            ("INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1", "data.insert bounded table:t"),
            (
                "INSERT INTO t VALUES (pg_read_file('/etc/passwd'))",
                "data.insert bounded table:t; server.read_file server file:/etc/passwd",
            ),
            (
                "WITH d AS (DELETE FROM old RETURNING *) INSERT INTO archive SELECT * FROM d",
                "data.insert bounded table:archive; data.delete_all unbounded table:old",
            ),
        ]);
    }
}
