//! CALL of a procedure.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::CallStmt;

use super::{Rule, Status};
use crate::names;
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "call",
    intents: &[IntentKind::CodeCall],
    status: Status::Stable,
    catches: "CALL of a stored procedure. Its arguments are walked like any expression.",
    why: "A procedure's body is not in the text, so what it does (commit, delete, drop) cannot be \
          judged from the call.",
    example: "CALL archive_orders(2024)",
    look_alike: "SELECT 'CALL archive_orders(2024)' LIMIT 1",
    gaps: "Procedures defined in the same text are not looked up; the call is still opaque.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &CallStmt) -> Flow {
    let name = statement.funccall.as_deref().map(|call| names::dotted(&call.funcname)).unwrap_or_default();
    walker.emit(IntentKind::CodeCall, Scope::Unbounded, Some(Object::new("procedure", name)));
    // The call node itself would be judged as a function call; walk only
    // its arguments.
    if let Some(call) = statement.funccall.as_deref() {
        for argument in call.args.iter().filter_map(names::inner) {
            walker.visit(argument, crate::walk::Position::Nested);
        }
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn calls_are_opaque() {
        check(&[
            ("CALL archive_orders(2024)", "code.call unbounded procedure:archive_orders"),
            ("CALL app.cleanup()", "code.call unbounded procedure:app.cleanup"),
            (
                "CALL log_it(pg_read_file('/etc/passwd'))",
                "code.call unbounded procedure:log_it; server.read_file server file:/etc/passwd",
            ),
        ]);
    }
}
