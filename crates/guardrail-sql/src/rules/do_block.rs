//! DO: anonymous code blocks.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::DoStmt;

use super::{Rule, Status};
use crate::names::{self, inner, options};
use crate::plpgsql;
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "do_block",
    intents: &[IntentKind::CodeAnonymousBlock, IntentKind::CodeOpaque],
    status: Status::Stable,
    catches: "DO blocks. A PL/pgSQL body is parsed with PL/pgSQL's own parser and every statement \
              in it judged; a body in another language is opaque.",
    why: "A DO block is a program: loops, conditions and dynamic SQL can do in one statement what \
          would take many, and hide it from a quick read.",
    example: "DO $$ BEGIN PERFORM 1; END $$",
    look_alike: "SELECT 'DO $$ BEGIN END $$' LIMIT 1",
    gaps: "See dynamic_sql for EXECUTE inside the body.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &DoStmt) -> Flow {
    let mut language = "plpgsql".to_owned();
    for option in options(&statement.args) {
        if option.defname == "language"
            && let Some(name) = option.arg.as_deref().and_then(inner).and_then(names::string)
        {
            language = name.to_ascii_lowercase();
        }
    }
    walker.emit(IntentKind::CodeAnonymousBlock, Scope::Unbounded, Some(Object::new("language", language.clone())));
    if language == "plpgsql" {
        plpgsql::analyze(walker);
    } else {
        walker.emit(IntentKind::CodeOpaque, Scope::Unbounded, Some(Object::new("language", language))).note =
            Some("the analyzer cannot read code in this language".to_owned());
    }
    crate::walk::Flow::Skip
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn do_bodies_are_walked() {
        check(&[
            ("DO $$ BEGIN RAISE NOTICE 'hi'; END $$", "code.anonymous_block unbounded language:plpgsql"),
            (
                "DO $$ BEGIN DELETE FROM users; END $$",
                "code.anonymous_block unbounded language:plpgsql; data.delete_all unbounded table:users",
            ),
            (
                "DO LANGUAGE plpgsql $body$ BEGIN IF now() > '2020-01-01' THEN TRUNCATE audit; END IF; END $body$",
                "code.anonymous_block unbounded language:plpgsql; data.truncate unbounded table:audit",
            ),
            (
                "DO $$ BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity; END $$",
                "code.anonymous_block unbounded language:plpgsql; admin.terminate_backend server function:pg_terminate_backend",
            ),
            (
                "DO $$ DECLARE n int := (SELECT count(*) FROM pg_ls_dir('/')); BEGIN END $$",
                "code.anonymous_block unbounded language:plpgsql; server.read_file server file:/",
            ),
            (
                "DO 'BEGIN DELETE FROM users WHERE note = ''x''; END'",
                "code.anonymous_block unbounded language:plpgsql; data.delete bounded table:users",
            ),
            (
                "DO $$ import os $$ LANGUAGE plpython3u",
                "code.anonymous_block unbounded language:plpython3u; code.opaque unbounded language:plpython3u",
            ),
            ("DO $$ BEGIN DELETE FROM $$", "code.anonymous_block unbounded language:plpgsql; unknown unbounded"),
            ("DO $$ BEGIN DO_SOMETHING; END $$", "code.anonymous_block unbounded language:plpgsql; unknown unbounded"),
        ]);
    }
}
