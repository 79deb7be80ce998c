//! PREPARE, EXECUTE and DEALLOCATE.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;

use super::{Rule, Status};
use crate::names::inner;
use crate::walk::{Flow, Position, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "prepared",
    intents: &[IntentKind::CodeExecutePrepared, IntentKind::SessionReset],
    status: Status::Stable,
    catches: "PREPARE, whose body is judged as if it ran (it will, on EXECUTE); EXECUTE of a \
              statement prepared earlier in the same text (already judged by its body) or \
              elsewhere (opaque); DEALLOCATE.",
    why: "A prepared statement's name says nothing of what it does: `EXECUTE cleanup` may be a \
          DELETE without a WHERE clause prepared long before.",
    example: "EXECUTE cleanup(42)",
    look_alike: "PREPARE cleanup(int) AS DELETE FROM jobs WHERE id = $1; EXECUTE cleanup(42)",
    gaps: "Statements prepared through the wire protocol (Parse messages) are the proxy's to track.",
};

pub(crate) fn check(walker: &mut Walker<'_>, node: &NodeEnum) -> Flow {
    match node {
        NodeEnum::PrepareStmt(statement) => {
            walker.prepared.push(statement.name.clone());
            if let Some(query) = statement.query.as_deref().and_then(inner) {
                walker.visit(query, Position::Statement);
            }
        }
        NodeEnum::ExecuteStmt(statement) => {
            if !walker.prepared.contains(&statement.name) {
                walker
                    .emit(
                        IntentKind::CodeExecutePrepared,
                        Scope::Unbounded,
                        Some(Object::new("prepared_statement", statement.name.clone())),
                    )
                    .note = Some("prepared outside this text, so its body is not known here".to_owned());
            }
            for parameter in statement.params.iter().filter_map(inner) {
                walker.visit(parameter, Position::Nested);
            }
        }
        _ => {
            walker.emit(IntentKind::SessionReset, Scope::Session, None);
        }
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn prepared_bodies_count_and_unknown_names_are_opaque() {
        check(&[
            ("PREPARE wipe AS DELETE FROM users", "data.delete_all unbounded table:users"),
            ("PREPARE q(int) AS SELECT * FROM users WHERE id = $1", "data.read unbounded table:users"),
            ("PREPARE wipe AS DELETE FROM users; EXECUTE wipe", "data.delete_all unbounded table:users"),
            ("EXECUTE wipe", "code.execute_prepared unbounded prepared_statement:wipe"),
            (
                "EXECUTE q(pg_read_file('/etc/passwd'))",
                "code.execute_prepared unbounded prepared_statement:q; server.read_file server file:/etc/passwd",
            ),
            ("DEALLOCATE ALL", "session.reset session"),
        ]);
    }
}
