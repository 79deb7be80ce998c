//! PL/pgSQL bodies (DO blocks and functions), read with PL/pgSQL's own parser.
//!
//! libpg_query parses a body into JSON in which every SQL expression is
//! kept as text with the grammar mode to parse it in. Each is parsed and
//! walked like any SQL; the expressions of EXECUTE are dynamic SQL.

use guardrail_core::{IntentKind, Object, Scope, Span};
use pg_query::{NodeEnum, ParserOptions};
use serde_json::Value;

use crate::names::{self, inner};
use crate::parse;
use crate::rules::{Rule, Status};
use crate::walk::{Origin, Walker, unknown};

pub(crate) const RULE: Rule = Rule {
    name: "dynamic_sql",
    intents: &[IntentKind::CodeDynamic],
    status: Status::Stable,
    catches: "EXECUTE in PL/pgSQL (and FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN QUERY \
              EXECUTE) of SQL built at run time. EXECUTE of a single string literal is not \
              dynamic: the literal is analyzed as SQL. The rest of every body is walked statement \
              by statement.",
    why: "`EXECUTE 'DROP TABLE ' || name` does whatever the string says when it runs; no reading \
          of the text can tell what that is.",
    example: "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'users'); END $$",
    look_alike: "DO $$ BEGIN EXECUTE 'SELECT 1'; END $$",
    gaps: "Bodies nested more than 128 JSON levels deep in libpg_query's output are judged unknown.",
};

/// Walks the PL/pgSQL function or DO block whose statement is the
/// walker's current statement.
pub(crate) fn analyze(walker: &mut Walker<'_>) {
    let statement = walker.statement_text();
    // Parsing and walking both recurse as deep as the body nests, so both
    // run on a stack sized for it, with a walker of their own.
    let mut nested = walker.fork();
    let found: Result<(Vec<_>, Vec<_>), String> = parse::with_stack_for(statement.len(), |stack| {
        let functions = stack.and_then(|()| parse_plpgsql(statement))?;
        let mut constants = Constants::new();
        declared_literals(&functions, &mut constants);
        visit(&mut nested, &functions, false, &constants);
        Ok((nested.intents, nested.secrets))
    });
    match found {
        Ok((intents, secrets)) => {
            walker.intents.extend(intents);
            walker.secrets.extend(secrets);
        }
        Err(message) => {
            let span = walker.statement;
            walker.intents.push(unknown(span, &format!("the PL/pgSQL parser rejects this body: {message}")));
            walker.secrets.push(span);
        }
    }
}

/// Parses a CREATE FUNCTION or DO statement's PL/pgSQL into libpg_query's
/// JSON.
///
/// `pg_query::parse_plpgsql` would do, but libpg_query 18 writes invalid
/// JSON for datums it cannot dump (the `TG_*` variables of every trigger
/// function): `{}}` with a stray brace (`dump_function` in
/// pg_query_json_plpgsql.c). The crate then reports only "error parsing
/// JSON" and every trigger function would be unknown. So this calls the C
/// function itself and repairs exactly that defect before parsing.
fn parse_plpgsql(statement: &str) -> Result<Value, String> {
    let input = std::ffi::CString::new(statement)
        .map_err(|_| "the text contains a NUL byte, which PostgreSQL rejects".to_owned())?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the
    // call; the result is read before it is freed, exactly once, with the
    // function libpg_query provides for it.
    let raw = unsafe {
        let result = ffi::pg_query_parse_plpgsql(input.as_ptr());
        let raw = if !result.error.is_null() {
            Err(std::ffi::CStr::from_ptr((*result.error).message).to_string_lossy().into_owned())
        } else if result.plpgsql_funcs.is_null() {
            Err("the PL/pgSQL parser returned nothing".to_owned())
        } else {
            Ok(std::ffi::CStr::from_ptr(result.plpgsql_funcs).to_string_lossy().into_owned())
        };
        ffi::pg_query_free_plpgsql_parse_result(result);
        raw
    }?;
    serde_json::from_str(&raw)
        .or_else(|_| serde_json::from_str(&drop_stray_braces(&raw)))
        .map_err(|error| format!("its parse tree could not be read: {error}"))
}

/// Removes the `}` after an empty array element (`[{}}` or `,{}}` outside
/// strings), which is never valid JSON, so no valid text is changed.
fn drop_stray_braces(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_string = false;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if in_string {
            out.push(byte);
            match byte {
                b'\\' => {
                    if let Some(&escaped) = bytes.get(index + 1) {
                        out.push(escaped);
                        index += 1;
                    }
                }
                b'"' => in_string = false,
                _ => {}
            }
        } else if byte == b'"' {
            in_string = true;
            out.push(byte);
        } else if byte == b'{'
            && bytes.get(index + 1..index + 3) == Some(b"}}")
            && matches!(out.last(), Some(b'[' | b','))
        {
            out.extend_from_slice(b"{}");
            index += 3;
            continue;
        } else {
            out.push(byte);
        }
        index += 1;
    }
    String::from_utf8(out).expect("only ASCII bytes were removed")
}

/// libpg_query's PL/pgSQL entry points, as declared in pg_query.h. The
/// symbols come from the static library the pg_query crate links.
mod ffi {
    use std::os::raw::{c_char, c_int};

    #[repr(C)]
    pub(super) struct PgQueryError {
        pub(super) message: *mut c_char,
        funcname: *mut c_char,
        filename: *mut c_char,
        lineno: c_int,
        cursorpos: c_int,
        context: *mut c_char,
    }

    #[repr(C)]
    pub(super) struct PgQueryPlpgsqlParseResult {
        pub(super) plpgsql_funcs: *mut c_char,
        pub(super) error: *mut PgQueryError,
    }

    unsafe extern "C" {
        pub(super) fn pg_query_parse_plpgsql(input: *const c_char) -> PgQueryPlpgsqlParseResult;
        pub(super) fn pg_query_free_plpgsql_parse_result(result: PgQueryPlpgsqlParseResult);
    }
}

/// Walks libpg_query's PL/pgSQL JSON. `dynamic_query` is set inside an
/// EXECUTE-like statement, whose `query` field is dynamic SQL.
/// Literals the body gives its variables (`pw text := 'x'`, `pw := 'x'`),
/// as written, by variable name.
type Constants = std::collections::HashMap<String, Vec<String>>;

fn declared_literals(value: &Value, constants: &mut Constants) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let given = match key.as_str() {
                    "PLpgSQL_var" => child
                        .get("refname")
                        .and_then(Value::as_str)
                        .zip(child.pointer("/default_val/PLpgSQL_expr/query").and_then(Value::as_str).map(str::trim)),
                    "PLpgSQL_stmt_assign" => child
                        .pointer("/expr/PLpgSQL_expr/query")
                        .and_then(Value::as_str)
                        .and_then(|query| query.split_once(":=").or_else(|| query.split_once('=')))
                        .map(|(name, value)| (name.trim(), value.trim())),
                    _ => None,
                };
                if let Some((name, literal)) = given
                    && (literal.starts_with('\'') || literal.starts_with('$'))
                {
                    constants.entry(name.to_ascii_lowercase()).or_default().push(literal.to_owned());
                }
                declared_literals(child, constants);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| declared_literals(item, constants)),
        _ => {}
    }
}

fn visit(walker: &mut Walker<'_>, value: &Value, dynamic_query: bool, constants: &Constants) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match key.as_str() {
                    "PLpgSQL_expr" => expression(walker, child, false, constants),
                    "PLpgSQL_stmt_dynexecute" | "PLpgSQL_stmt_dynfors" => visit(walker, child, true, constants),
                    "dynquery" => visit_dynamic(walker, child, constants),
                    "query" if dynamic_query => visit_dynamic(walker, child, constants),
                    _ => visit(walker, child, false, constants),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| visit(walker, item, false, constants)),
        _ => {}
    }
}

fn visit_dynamic(walker: &mut Walker<'_>, value: &Value, constants: &Constants) {
    match value.get("PLpgSQL_expr") {
        Some(expr) => expression(walker, expr, true, constants),
        None => visit(walker, value, false, constants),
    }
}

/// Masks the literals given to variables that an expression passes where a
/// secret goes (`format('... PASSWORD %L', pw)`, `crypt(pw, salt)`).
fn secret_variables(walker: &mut Walker<'_>, query: &str, options: ParserOptions, constants: &Constants) {
    if constants.is_empty() {
        return;
    }
    let mut literals: Vec<String> = Vec::new();
    parse::with_tree(query, options, |tree| {
        let Ok(tree) = tree else { return };
        for statement in &tree.stmts {
            if let Some(node) = statement.stmt.as_deref().and_then(inner) {
                passed_secrets(node, constants, &mut literals);
            }
        }
    });
    for literal in literals {
        walker.secret_literal(&literal);
    }
}

fn passed_secrets(node: &NodeEnum, constants: &Constants, out: &mut Vec<String>) {
    for argument in crate::secrets::secret_arguments(node) {
        if let NodeEnum::ColumnRef(reference) = argument
            && let Some(literals) = names::column(reference).and_then(|name| constants.get(&name.to_ascii_lowercase()))
        {
            out.extend(literals.iter().cloned());
        }
    }
    crate::children::for_each_child(node, &mut |_, child| passed_secrets(child, constants, out));
}

/// One SQL expression of the body: `{"query": "...", "parseMode": n}`.
fn expression(walker: &mut Walker<'_>, expr: &Value, dynamic: bool, constants: &Constants) {
    let Some(query) = expr.get("query").and_then(Value::as_str) else {
        return;
    };
    let mode = expr.get("parseMode").and_then(Value::as_i64).and_then(|mode| i32::try_from(mode).ok()).unwrap_or(0);
    let options = ParserOptions::from(mode);
    secret_variables(walker, query, options, constants);
    let origin = walker.locate(query);
    if !dynamic {
        walker.nested_sql(query, options, origin);
        return;
    }
    let literal = parse::with_tree(query, options, |tree| tree.ok().and_then(single_string_literal));
    match literal {
        Some(sql) => {
            // The literal's value is verbatim only without escapes; else
            // its findings point at the expression holding the literal.
            let origin = match (walker.locate(&sql), origin) {
                (Origin::Within(_), Origin::At(offset)) => Origin::Within(Span::new(offset, offset + query.len())),
                (located, _) => located,
            };
            walker.nested_sql(&sql, ParserOptions::DEFAULT, origin);
        }
        None => {
            let span = match origin {
                Origin::At(offset) => Span::new(offset, offset + query.len()),
                Origin::Within(span) => span,
            };
            let mut intent = guardrail_core::Intent::new(IntentKind::CodeDynamic, Scope::Unbounded, span)
                .with_object(Object::new("expression", query));
            intent.note = Some("EXECUTE runs SQL built at run time".to_owned());
            walker.intents.push(intent);
            // What builds the string may itself reach the server.
            walker.nested_sql(query, options, origin);
        }
    }
}

/// The string, when an expression is nothing but one string literal.
fn single_string_literal(tree: &pg_query::protobuf::ParseResult) -> Option<String> {
    let [statement] = tree.stmts.as_slice() else {
        return None;
    };
    let NodeEnum::SelectStmt(select) = statement.stmt.as_deref().and_then(inner)? else {
        return None;
    };
    let [target] = select.target_list.as_slice() else {
        return None;
    };
    let NodeEnum::ResTarget(target) = inner(target)? else {
        return None;
    };
    let value = target.val.as_deref().and_then(inner)?;
    matches!(value, NodeEnum::AConst(_)).then(|| names::string(value).map(str::to_owned))?
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn stray_braces_are_dropped_only_outside_strings() {
        assert_eq!(
            super::drop_stray_braces(r#"{"d":[{"a":1},{}},{}}],"s":"x,{}}"}"#),
            r#"{"d":[{"a":1},{},{}],"s":"x,{}}"}"#
        );
        assert_eq!(super::drop_stray_braces(r#"[{}}]"#), "[{}]");
        let valid = r#"{"b":[{"PLpgSQL_stmt_return":{}}],"q":"a\",{}}"}"#;
        assert_eq!(super::drop_stray_braces(valid), valid);
    }

    #[test]
    fn trigger_functions_are_read_despite_libpg_query_json() {
        check(&[
            (
                "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM audit; RETURN NULL; END $$",
                "schema.create bounded function:f; data.delete_all unbounded table:audit",
            ),
            (
                "CREATE FUNCTION f() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl'; END $$",
                "schema.create bounded function:f",
            ),
        ]);
    }

    #[test]
    fn dynamic_sql_is_opaque_unless_literal() {
        check(&[
            (
                "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'users'); END $$",
                "code.anonymous_block unbounded language:plpgsql; code.dynamic unbounded expression:format('DROP TABLE %I', 'users')",
            ),
            (
                "DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('users'); END $$",
                "code.anonymous_block unbounded language:plpgsql; code.dynamic unbounded expression:'DROP TABLE ' || quote_ident('users')",
            ),
            (
                "DO $$ BEGIN EXECUTE 'TRUNCATE users'; END $$",
                "code.anonymous_block unbounded language:plpgsql; data.truncate unbounded table:users",
            ),
            (
                "DO $$ BEGIN EXECUTE $q$DELETE FROM users$q$; END $$",
                "code.anonymous_block unbounded language:plpgsql; data.delete_all unbounded table:users",
            ),
            (
                "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT ' || 1 LOOP END LOOP; END $$",
                "code.anonymous_block unbounded language:plpgsql; code.dynamic unbounded expression:'SELECT ' || 1",
            ),
            (
                "DO $$ DECLARE c refcursor; BEGIN OPEN c FOR EXECUTE current_setting('x'); END $$",
                "code.anonymous_block unbounded language:plpgsql; code.dynamic unbounded expression:current_setting('x')",
            ),
            (
                "DO $$ BEGIN EXECUTE format('SELECT %s', pg_read_file('/etc/passwd')); END $$",
                "code.anonymous_block unbounded language:plpgsql; code.dynamic unbounded expression:format('SELECT %s', pg_read_file('/etc/passwd')); server.read_file server file:/etc/passwd",
            ),
        ]);
    }
}
