//! Transaction control, notifications, cursors and session state.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::DiscardMode;

use super::{Rule, Status};
use crate::names::inner;
use crate::walk::{Flow, Position, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "session",
    intents: &[
        IntentKind::TransactionControl,
        IntentKind::SessionListen,
        IntentKind::SessionNotify,
        IntentKind::SessionReset,
        IntentKind::DataRead,
    ],
    status: Status::Stable,
    catches: "BEGIN, COMMIT, ROLLBACK, SAVEPOINT and two-phase commands, SET CONSTRAINTS; LISTEN, \
              UNLISTEN, NOTIFY; DISCARD and CLOSE; DECLARE CURSOR, whose query is judged as a read; \
              FETCH and MOVE.",
    why: "These change nothing in the data by themselves; they are reported so policies can see \
          them and so nothing passes unclassified.",
    example: "BEGIN",
    look_alike: "SELECT 'BEGIN' LIMIT 1",
    gaps: "FETCH from a cursor declared outside the text is reported as a read of unknown rows.",
};

pub(crate) fn check(walker: &mut Walker<'_>, node: &NodeEnum) -> Flow {
    match node {
        NodeEnum::TransactionStmt(_) | NodeEnum::ConstraintsSetStmt(_) => {
            walker.emit(IntentKind::TransactionControl, Scope::Session, None);
        }
        NodeEnum::ListenStmt(statement) => {
            walker.emit(
                IntentKind::SessionListen,
                Scope::Session,
                Some(Object::new("channel", statement.conditionname.clone())),
            );
        }
        NodeEnum::UnlistenStmt(statement) => {
            walker.emit(
                IntentKind::SessionListen,
                Scope::Session,
                Some(Object::new("channel", statement.conditionname.clone())),
            );
        }
        NodeEnum::NotifyStmt(statement) => {
            walker.emit(
                IntentKind::SessionNotify,
                Scope::Session,
                Some(Object::new("channel", statement.conditionname.clone())),
            );
        }
        NodeEnum::DiscardStmt(statement) => {
            walker.emit(IntentKind::SessionReset, Scope::Session, None);
            // DISCARD ALL runs RESET ALL: back to the login role.
            if DiscardMode::try_from(statement.target) == Ok(DiscardMode::DiscardAll) {
                walker
                    .emit(
                        IntentKind::PrivilegeSetRole,
                        Scope::Session,
                        Some(Object::new("role", "the session's login role")),
                    )
                    .note = Some("DISCARD ALL returns to the session's login role, undoing any SET ROLE".to_owned());
            }
        }
        NodeEnum::ClosePortalStmt(_) => {
            walker.emit(IntentKind::SessionReset, Scope::Session, None);
        }
        NodeEnum::DeclareCursorStmt(statement) => {
            if let Some(query) = statement.query.as_deref().and_then(inner) {
                walker.visit(query, Position::Statement);
            }
        }
        NodeEnum::FetchStmt(statement) => {
            // FETCH ALL asks for LONG_MAX rows.
            crate::shape::numeric_read();
            let scope = if statement.how_many == i64::MAX { Scope::Unbounded } else { Scope::Bounded };
            walker.emit(IntentKind::DataRead, scope, Some(Object::new("cursor", statement.portalname.clone())));
        }
        _ => {}
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn session_commands() {
        check(&[
            ("BEGIN", "transaction.control session"),
            ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", "transaction.control session"),
            (
                "COMMIT; ROLLBACK; SAVEPOINT a; RELEASE a",
                "transaction.control session; transaction.control session; transaction.control session; transaction.control session",
            ),
            ("PREPARE TRANSACTION 'x'", "transaction.control session"),
            ("SET CONSTRAINTS ALL DEFERRED", "transaction.control session"),
            ("LISTEN jobs", "session.listen session channel:jobs"),
            ("UNLISTEN *", "session.listen session channel:"),
            ("NOTIFY jobs, 'go'", "session.notify session channel:jobs"),
            ("DISCARD ALL", "session.reset session; privilege.set_role session role:the session's login role"),
            ("DISCARD PLANS", "session.reset session"),
            ("CLOSE c", "session.reset session"),
            ("DECLARE c CURSOR FOR SELECT * FROM users", "data.read unbounded table:users"),
            ("FETCH 10 FROM c", "data.read bounded cursor:c"),
            ("FETCH ALL FROM c", "data.read unbounded cursor:c"),
            ("MOVE NEXT IN c", "data.read bounded cursor:c"),
        ]);
    }
}
