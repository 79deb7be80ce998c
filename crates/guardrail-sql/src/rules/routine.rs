//! CREATE FUNCTION and CREATE PROCEDURE: the routine and its body.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::protobuf::CreateFunctionStmt;
use pg_query::{NodeEnum, ParserOptions};

use super::{Rule, Status};
use crate::names::{self, inner, options};
use crate::plpgsql;
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "routine",
    intents: &[IntentKind::SchemaCreate, IntentKind::CodeOpaque, IntentKind::SchemaCreateTemporary],
    status: Status::Stable,
    catches: "CREATE [OR REPLACE] FUNCTION and PROCEDURE: a schema change whose body is judged by \
              what it would do when called. SQL bodies (quoted or BEGIN ATOMIC) and PL/pgSQL \
              bodies are parsed and walked; bodies in C or untrusted languages (PL/Python, \
              PL/Perl, ...) are opaque. Routines in pg_temp are temporary.",
    why: "A function body runs later, under whoever calls it (or its owner, if SECURITY DEFINER); \
          a DELETE inside it is as dangerous as one typed directly.",
    example: "CREATE FUNCTION purge() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$",
    look_alike: "CREATE TEMP TABLE purge_candidates (id int)",
    gaps: "Bodies that PL/pgSQL's parser rejects (they would fail to be created too) are unknown.",
};

/// PostgreSQL's limit on a routine's arguments (`FUNC_MAX_ARGS` in
/// pg_config_manual.h).
const FUNC_MAX_ARGS: usize = 100;

pub(crate) fn check(walker: &mut Walker<'_>, statement: &CreateFunctionStmt) -> Flow {
    let name = names::dotted(&statement.funcname);
    let kind = if statement.is_procedure { "procedure" } else { "function" };
    let temporary = name.to_ascii_lowercase().starts_with("pg_temp.");
    let (intent, scope) = if temporary {
        (IntentKind::SchemaCreateTemporary, Scope::Temporary)
    } else {
        (IntentKind::SchemaCreate, Scope::Bounded)
    };
    walker.emit(intent, scope, Some(Object::new(kind, name)));

    let mut language = None;
    let mut body = None;
    for option in options(&statement.options) {
        match (option.defname.as_str(), option.arg.as_deref().and_then(inner)) {
            ("language", Some(node)) => language = names::string(node).map(str::to_ascii_lowercase),
            ("as", Some(NodeEnum::List(list))) => body = list.items.first().and_then(inner).and_then(names::string),
            ("as", Some(node)) => body = names::string(node),
            _ => {}
        }
    }
    // A BEGIN ATOMIC or RETURN body was parsed with the statement; the
    // generic walk reaches it.
    if statement.sql_body.is_none() {
        match (language.as_deref(), body) {
            (Some("sql"), Some(body)) => {
                let origin = walker.locate(body);
                walker.nested_sql(body, ParserOptions::DEFAULT, origin);
            }
            // libpg_query copies each argument into a fixed array of
            // FUNC_MAX_ARGS (100) entries without PostgreSQL's own check
            // (pl_comp.c, fn_argvarnos), so a longer list corrupts its
            // memory. PostgreSQL refuses such a function; so does the gate.
            (Some("plpgsql"), Some(_)) if statement.parameters.len() > FUNC_MAX_ARGS => {
                let span = walker.statement;
                walker.intents.push(crate::walk::unknown(
                    span,
                    &format!(
                        "a function with {} parameters: PostgreSQL allows at most {FUNC_MAX_ARGS}",
                        statement.parameters.len()
                    ),
                ));
            }
            (Some("plpgsql"), Some(_)) => plpgsql::analyze(walker),
            (language, _) => {
                let language = language.unwrap_or("(none given)").to_owned();
                walker.emit(IntentKind::CodeOpaque, Scope::Unbounded, Some(Object::new("language", language))).note =
                    Some("the analyzer cannot read a body in this language".to_owned());
            }
        }
    }
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn bodies_are_judged_by_what_they_would_do() {
        check(&[
            (
                "CREATE FUNCTION purge() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$",
                "schema.create bounded function:purge; data.delete_all unbounded table:users",
            ),
            (
                "CREATE OR REPLACE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql",
                "schema.create bounded function:f",
            ),
            (
                "CREATE FUNCTION f() RETURNS void AS 'DELETE FROM t WHERE note = ''x''' LANGUAGE sql",
                "schema.create bounded function:f; data.delete bounded table:t",
            ),
            (
                "CREATE FUNCTION f() RETURNS void BEGIN ATOMIC DELETE FROM users; END",
                "schema.create bounded function:f; data.delete_all unbounded table:users",
            ),
            ("CREATE FUNCTION f(a int) RETURNS int RETURN a + 1", "schema.create bounded function:f"),
            (
                "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN TRUNCATE logs; COMMIT; END $$",
                "schema.create bounded procedure:p; data.truncate unbounded table:logs",
            ),
            (
                "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DROP TABLE ' || TG_ARGV[0]; RETURN NULL; END $$",
                "schema.create bounded function:f; code.dynamic unbounded expression:'DROP TABLE ' || TG_ARGV[0]",
            ),
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'mylib', 'f'",
                "schema.create bounded function:f; code.opaque unbounded language:c",
            ),
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS $$ import os; os.system('rm -rf /') $$",
                "schema.create bounded function:f; code.opaque unbounded language:plpython3u",
            ),
            (
                "CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                "schema.create_temporary temporary function:pg_temp.f",
            ),
            (
                "CREATE FUNCTION f(p text DEFAULT pg_read_file('/etc/passwd')) RETURNS text LANGUAGE sql AS 'SELECT p'",
                "schema.create bounded function:f; server.read_file server file:/etc/passwd",
            ),
        ]);
    }
}
