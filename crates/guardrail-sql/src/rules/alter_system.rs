//! ALTER SYSTEM.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::AlterSystemStmt;

use super::set;
use super::{Rule, Status};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "alter_system",
    intents: &[IntentKind::AdminAlterSystem],
    status: Status::Stable,
    catches: "ALTER SYSTEM SET and RESET, which rewrite postgresql.auto.conf for every session of \
              the server once the configuration is reloaded.",
    why: "One statement can turn off fsync, open the server to the network or change how it \
          authenticates, for everyone, and survives restarts.",
    example: "ALTER SYSTEM SET fsync = off",
    look_alike: "SET work_mem = '64MB'",
    gaps: "None known.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &AlterSystemStmt) -> Flow {
    let name = statement.setstmt.as_ref().map(|setting| setting.name.clone()).unwrap_or_default();
    walker.emit(IntentKind::AdminAlterSystem, Scope::Server, Some(Object::new("setting", name)));
    if let Some(setting) = &statement.setstmt {
        set::judge_lasting_setting(walker, setting);
    }
    Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn alter_system_changes_the_whole_server() {
        check(&[
            ("ALTER SYSTEM SET fsync = off", "admin.alter_system server setting:fsync"),
            ("ALTER SYSTEM RESET ALL", "admin.alter_system server setting:"),
            (
                "ALTER SYSTEM SET session_replication_role = replica",
                "admin.alter_system server setting:session_replication_role; integrity.disable_triggers bounded setting:session_replication_role",
            ),
        ]);
    }
}
