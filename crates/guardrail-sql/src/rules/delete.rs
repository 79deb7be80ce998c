//! DELETE: bounded or every row.

use guardrail_core::{IntentKind, Object};
use pg_query::protobuf::DeleteStmt;

use super::{Rule, Status};
use crate::names::{inner, relation};
use crate::truth::{Targets, reach};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "delete",
    intents: &[IntentKind::DataDeleteAll, IntentKind::DataDelete],
    status: Status::Stable,
    catches: "DELETE statements anywhere in the text (top level, in a CTE, a rule, a function body), \
              and whether their WHERE clause bounds them: no WHERE clause, one with USING but no \
              WHERE, or a WHERE that does not depend on the row (`1 = 1`, `'yes'`, `id = id`, \
              `EXISTS (SELECT 1 FROM other)`) deletes every row.",
    why: "An unbounded DELETE empties the table in one statement. An agent that meant to remove \
          a few rows and lost its WHERE clause, or wrote a tautology, destroys the table's data.",
    example: "DELETE FROM users WHERE 1 = 1",
    look_alike: "SELECT 'DELETE FROM users' AS reminder",
    gaps: "The analyzer does not know the schema: `WHERE id IS NOT NULL` on a NOT NULL column, or \
           `WHERE id > 0` on positive ids, selects every row but counts as bounded. A subquery \
           with an unqualified column is assumed to be correlated (bounded).",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &DeleteStmt) -> Flow {
    let table = statement.relation.as_ref();
    let mut targets = Targets::of(table).with(statement.with_clause.as_ref());
    for item in statement.using_clause.iter().filter_map(inner) {
        targets.join(item);
    }
    let reach = reach(statement.where_clause.as_deref().and_then(inner), &targets);
    let object = table.map(|table| Object::new("table", relation(table)));
    super::emit_write(walker, reach, (IntentKind::DataDelete, IntentKind::DataDeleteAll), object, table);
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn unbounded_deletes_are_told_from_bounded_ones() {
        check(&[
            ("DELETE FROM users", "data.delete_all unbounded table:users"),
            ("delete from public.users;", "data.delete_all unbounded table:public.users"),
            ("DELETE FROM users USING orders", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 1=1", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 2 > 1 AND 'a' = 'a'", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE true", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 'yes'", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 't'::boolean", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 1::bool", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE id = id", "data.delete_all unbounded table:users"),
            ("DELETE FROM users u WHERE u.id = u.id", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE id = 1 OR 1 = 1", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE NOT false", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 1 IN (1, 2)", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 5 BETWEEN 1 AND 10", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 2 + 2 = 4", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 7 / 2 = 3", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE NULL IS NULL", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE 1 IS NOT DISTINCT FROM 1", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE (1 = 1) IS TRUE", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE email IS NULL OR email IS NOT NULL", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE active OR NOT active", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE now() > '2020-01-01'", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE random() < 2", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE EXISTS (SELECT 1 FROM banned)", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE (SELECT count(*) FROM banned) > 0", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE $1", "data.delete_all unbounded table:users"),
            ("DELETE FROM users WHERE id = 3 OR $1", "data.delete_all unbounded table:users"),
            (
                "WITH gone AS (DELETE FROM users RETURNING *) SELECT count(*) FROM gone",
                "data.read bounded table:gone; data.delete_all unbounded table:users",
            ),
            // Bounded: the WHERE clause depends on the row, or is never true.
            ("DELETE FROM users WHERE id = 1", "data.delete bounded table:users"),
            ("DELETE FROM users WHERE id = $1", "data.delete bounded table:users"),
            ("DELETE FROM users WHERE created_at < now() - interval '30 days'", "data.delete bounded table:users"),
            ("DELETE FROM users WHERE id = 1 AND 1 = 1", "data.delete bounded table:users"),
            ("DELETE FROM users USING orders WHERE users.id = orders.user_id", "data.delete bounded table:users"),
            ("DELETE FROM users WHERE id IN (SELECT user_id FROM banned)", "data.delete bounded table:users"),
            (
                "DELETE FROM users u WHERE EXISTS (SELECT 1 FROM banned b WHERE b.user_id = u.id)",
                "data.delete bounded table:users",
            ),
            ("DELETE FROM users WHERE CURRENT OF c", "data.delete bounded table:users"),
            ("DELETE FROM users WHERE 1 = 0", "data.delete bounded table:users"),
            ("DELETE FROM users WHERE NULL", "data.delete bounded table:users"),
            ("DELETE FROM users WHERE id <> id", "data.delete bounded table:users"),
            ("DELETE FROM users WHERE random() = random()", "data.delete_all unbounded table:users"),
        ]);
    }

    #[test]
    fn text_that_merely_mentions_delete_is_data() {
        check(&[
            ("SELECT 'DELETE FROM users' LIMIT 1", "data.read bounded"),
            ("SELECT $$DELETE FROM users$$", "data.read bounded"),
            ("SELECT 1 /* DELETE FROM users; /* nested */ DROP TABLE x; */", "data.read bounded"),
            ("SELECT 1 -- ; DELETE FROM users", "data.read bounded"),
            ("SELECT \"delete\" FROM \"from\" LIMIT 1", "data.read bounded table:from"),
            ("COMMENT ON TABLE users IS 'never DELETE FROM users'", "schema.alter bounded table:users"),
        ]);
    }
}
