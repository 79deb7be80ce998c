//! CHECKPOINT and LOAD.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;

use super::{Rule, Status};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "admin_command",
    intents: &[IntentKind::AdminLoadLibrary, IntentKind::AdminFunction],
    status: Status::Stable,
    catches: "LOAD, which loads a shared library into the server process, and CHECKPOINT, which \
              forces a checkpoint.",
    why: "LOAD runs a library's initialisation code inside the server; CHECKPOINT causes a burst \
          of I/O on a busy server.",
    example: "LOAD 'auto_explain'",
    look_alike: "SELECT 'LOAD ''auto_explain''' LIMIT 1",
    gaps: "None known.",
};

pub(crate) fn check(walker: &mut Walker<'_>, node: &NodeEnum) -> Flow {
    match node {
        NodeEnum::LoadStmt(statement) => {
            walker.emit(
                IntentKind::AdminLoadLibrary,
                Scope::Server,
                Some(Object::new("library", statement.filename.clone())),
            );
        }
        _ => {
            walker.emit(IntentKind::AdminFunction, Scope::Server, Some(Object::new("command", "CHECKPOINT")));
        }
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn administration_commands() {
        check(&[
            ("LOAD 'auto_explain'", "admin.load_library server library:auto_explain"),
            ("CHECKPOINT", "admin.function server command:CHECKPOINT"),
        ]);
    }
}
