//! EXPLAIN, with and without ANALYZE.

use guardrail_core::{IntentKind, Scope};
use pg_query::protobuf::ExplainStmt;

use super::{Rule, Status};
use crate::names::{inner, option_bool, options};
use crate::walk::{Flow, Position, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "explain",
    intents: &[IntentKind::QueryExplain],
    status: Status::Stable,
    catches: "EXPLAIN. A plain EXPLAIN plans its statement without running it, so nothing inside \
              it counts; EXPLAIN ANALYZE runs it, so the statement is judged as if it stood alone.",
    why: "`EXPLAIN ANALYZE DELETE FROM users` deletes every row; `EXPLAIN DELETE FROM users` \
          deletes nothing. Only the ANALYZE option tells them apart.",
    example: "EXPLAIN DELETE FROM users",
    look_alike: "SELECT 'EXPLAIN' LIMIT 1",
    gaps: "None known.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &ExplainStmt) -> Flow {
    walker.emit(IntentKind::QueryExplain, Scope::Session, None);
    let analyze =
        options(&statement.options).any(|option| option.defname == "analyze" && option_bool(option) != Some(false));
    if analyze && let Some(query) = statement.query.as_deref().and_then(inner) {
        walker.visit(query, Position::Statement);
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn only_analyze_runs_the_statement() {
        check(&[
            ("EXPLAIN DELETE FROM users", "query.explain session"),
            ("EXPLAIN (COSTS off) DROP TABLE users", "unknown unbounded"),
            ("EXPLAIN SELECT pg_terminate_backend(1)", "query.explain session"),
            ("EXPLAIN ANALYZE DELETE FROM users", "query.explain session; data.delete_all unbounded table:users"),
            ("EXPLAIN (ANALYZE) DELETE FROM users", "query.explain session; data.delete_all unbounded table:users"),
            (
                "EXPLAIN (ANALYZE true, BUFFERS) UPDATE t SET x = 1",
                "query.explain session; data.update_all unbounded table:t",
            ),
            ("EXPLAIN (ANALYZE off) DELETE FROM users", "query.explain session"),
            ("EXPLAIN (ANALYZE 0) DELETE FROM users", "query.explain session"),
            ("EXPLAIN ANALYZE SELECT * FROM users", "query.explain session; data.read unbounded table:users"),
        ]);
    }
}
