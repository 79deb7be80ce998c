//! UPDATE: bounded or every row.

use guardrail_core::{IntentKind, Object};
use pg_query::protobuf::UpdateStmt;

use super::{Rule, Status};
use crate::names::{inner, relation};
use crate::truth::{Targets, reach};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "update",
    intents: &[IntentKind::DataUpdateAll, IntentKind::DataUpdate],
    status: Status::Stable,
    catches: "UPDATE statements anywhere in the text, and whether their WHERE clause bounds them: \
              no WHERE clause, one with FROM but no WHERE, or a WHERE that does not depend on the \
              row updates every row.",
    why: "An unbounded UPDATE overwrites a column in every row at once; the old values are gone \
          unless a backup holds them.",
    example: "UPDATE accounts SET balance = 0",
    look_alike: "UPDATE accounts SET balance = 0 WHERE id = 42",
    gaps: "As for DELETE: the schema is unknown, so a condition that happens to hold for every \
           row (`WHERE id > 0`) counts as bounded.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &UpdateStmt) -> Flow {
    // UPDATE pg_settings is SET by another spelling.
    super::restrictions::settings_update(walker, statement);
    let table = statement.relation.as_ref();
    let mut targets = Targets::of(table).with(statement.with_clause.as_ref());
    // Columns of tables joined with FROM vary per row too; the written
    // table joined again is a copy of it.
    for from in statement.from_clause.iter().filter_map(inner) {
        targets.join(from);
    }
    let reach = reach(statement.where_clause.as_deref().and_then(inner), &targets);
    let object = table.map(|table| Object::new("table", relation(table)));
    super::emit_write(walker, reach, (IntentKind::DataUpdate, IntentKind::DataUpdateAll), object, table);
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn unbounded_updates_are_told_from_bounded_ones() {
        check(&[
            ("UPDATE accounts SET balance = 0", "data.update_all unbounded table:accounts"),
            ("UPDATE accounts a SET balance = 0 FROM owners o", "data.update_all unbounded table:accounts"),
            ("UPDATE accounts SET balance = 0 WHERE 1 = 1", "data.update_all unbounded table:accounts"),
            ("UPDATE accounts SET balance = 0 WHERE 'on'", "data.update_all unbounded table:accounts"),
            ("UPDATE accounts SET balance = 0 WHERE balance = balance", "data.update_all unbounded table:accounts"),
            ("UPDATE accounts SET balance = 0 WHERE id = 42", "data.update bounded table:accounts"),
            (
                "UPDATE accounts a SET balance = 0 FROM owners o WHERE o.id = a.owner_id",
                "data.update bounded table:accounts",
            ),
            ("UPDATE accounts SET balance = 0 WHERE id = ANY($1)", "data.update bounded table:accounts"),
            ("UPDATE accounts SET balance = 0 WHERE false", "data.update bounded table:accounts"),
            (
                "WITH u AS (UPDATE accounts SET balance = 0 RETURNING id) SELECT * FROM u",
                "data.read unbounded table:u; data.update_all unbounded table:accounts",
            ),
        ]);
    }
}
