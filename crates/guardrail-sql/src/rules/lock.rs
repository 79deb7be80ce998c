//! LOCK TABLE.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::LockStmt;

use super::{Rule, Status};
use crate::names::{inner, relation};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "lock",
    intents: &[IntentKind::LockExclusive, IntentKind::LockTable],
    status: Status::Stable,
    catches: "LOCK TABLE in ACCESS EXCLUSIVE mode, which is also the mode of a bare `LOCK t`, as \
              lock.exclusive; the weaker modes, which let others read, as lock.table.",
    why: "An ACCESS EXCLUSIVE lock blocks every reader and writer of the table until the \
          transaction ends; an agent that forgets to commit takes the application down.",
    example: "LOCK TABLE users",
    look_alike: "LOCK TABLE users IN SHARE MODE",
    gaps: "None known.",
};

/// `AccessExclusiveLock` in PostgreSQL's lockdefs.h.
const ACCESS_EXCLUSIVE: i32 = 8;

pub(crate) fn check(walker: &mut Walker<'_>, statement: &LockStmt) -> Flow {
    let intent = if statement.mode >= ACCESS_EXCLUSIVE { IntentKind::LockExclusive } else { IntentKind::LockTable };
    for table in statement.relations.iter().filter_map(inner) {
        if let NodeEnum::RangeVar(table) = table {
            walker.emit(intent, Scope::Bounded, Some(Object::new("table", relation(table))));
        }
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn lock_modes() {
        check(&[
            ("LOCK TABLE users", "lock.exclusive bounded table:users"),
            ("LOCK users IN ACCESS EXCLUSIVE MODE NOWAIT", "lock.exclusive bounded table:users"),
            ("LOCK TABLE a, b IN ACCESS SHARE MODE", "lock.table bounded table:a; lock.table bounded table:b"),
            ("LOCK TABLE users IN EXCLUSIVE MODE", "lock.table bounded table:users"),
        ]);
    }
}
