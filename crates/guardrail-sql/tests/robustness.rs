//! No input crashes the analyzer, however deep or strange.
//!
//! The deep cases run on a 256 KiB thread, far smaller than any real
//! thread, so the stack sizing in `parse.rs` (not the luck of a big main
//! thread) is what keeps them alive: a stack overflow aborts this whole test
//! binary, loudly.

use guardrail_core::{Intent, IntentKind, Scope};

fn analyze_on_small_stack(sql: String) -> Vec<Intent> {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || guardrail_sql::analyze(&sql).intents)
        .expect("spawning a thread")
        .join()
        .expect("the analyzer panicked")
}

fn ids(intents: &[Intent]) -> Vec<String> {
    intents.iter().map(|intent| format!("{} {}", intent.kind, intent.scope)).collect()
}

fn nested_subqueries(depth: usize) -> String {
    let mut sql = String::from("SELECT 1");
    for _ in 0..depth {
        sql = format!("SELECT * FROM ({sql}) AS x");
    }
    sql
}

#[test]
fn deep_legal_queries_are_still_analysed() {
    // (description, sql, expected intents)
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("25 nested subqueries, past prost's default limit", nested_subqueries(25), vec!["data.read bounded"]),
        ("1000 nested subqueries", nested_subqueries(1000), vec!["data.read bounded"]),
        ("4990 chained additions", format!("SELECT 1{}", "+1".repeat(4990)), vec!["data.read bounded"]),
        ("4990 chained concatenations", format!("SELECT 'a'{}", "||'a'".repeat(4990)), vec!["data.read bounded"]),
        ("2000 NOTs", format!("SELECT {} true", "NOT ".repeat(2000)), vec!["data.read bounded"]),
        (
            "2000 nested calls",
            format!("SELECT {}1{}", "abs(".repeat(2000), ")".repeat(2000)),
            vec!["data.read bounded"],
        ),
        (
            "100000 ANDs (flattened by the grammar)",
            format!("SELECT 1 WHERE true{}", " AND true".repeat(100_000)),
            vec!["data.read bounded"],
        ),
        (
            "a DELETE whose constant WHERE is 2000 additions deep",
            format!("DELETE FROM users WHERE 1{} > 0", "+1".repeat(2000)),
            vec!["data.delete_all unbounded"],
        ),
        (
            "a DELETE whose row-dependent WHERE is 2000 additions deep",
            format!("DELETE FROM users WHERE id{} = 7", "+1".repeat(2000)),
            vec!["data.delete bounded"],
        ),
        (
            "a dangerous call 500 subqueries down",
            format!(
                "SELECT * FROM ({}) AS x",
                nested_subqueries(500).replacen("SELECT 1", "SELECT pg_read_file('/etc/passwd')", 1)
            ),
            vec!["data.read bounded", "server.read_file server"],
        ),
    ];
    for (description, sql, expected) in cases {
        let intents = analyze_on_small_stack(sql);
        assert_eq!(ids(&intents), expected, "{description}");
    }
}

#[test]
fn deeper_than_the_parser_allows_is_unknown() {
    let cases = [
        ("10000 chained additions", format!("SELECT 1{}", "+1".repeat(10_000))),
        ("100000 chained additions", format!("SELECT 1{}", "+1".repeat(100_000))),
        ("5000 nested subqueries", nested_subqueries(5000)),
        ("100000 open parentheses", format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000))),
        ("10000 NOTs", format!("SELECT {} true", "NOT ".repeat(10_000))),
    ];
    for (description, sql) in cases {
        let intents = analyze_on_small_stack(sql);
        assert_eq!(intents.len(), 1, "{description}: {:?}", ids(&intents));
        assert_eq!((intents[0].kind, intents[0].scope), (IntentKind::Unknown, Scope::Unbounded), "{description}");
    }
}

/// Long runs of operator characters take PostgreSQL's scanner time
/// quadratic in their length (see `parse.rs`): they are refused before
/// parsing, while the same characters in strings, quoted names, bodies and
/// line comments (which the scanner reads in linear time) are not.
#[test]
fn operator_runs_the_scanner_would_take_quadratic_time_over_are_unknown() {
    let refused = [
        ("4000 nested comment starts", format!("SELECT 1 {}{}", "/*".repeat(4000), "*/".repeat(4000))),
        ("comment starts inside a comment", format!("SELECT 1 /* {} */", "/*".repeat(2000))),
        ("unterminated comment starts", format!("SELECT 1 {}", "/*".repeat(4000))),
        ("a 2000-character operator", format!("SELECT 1 {} 1", "+".repeat(2000))),
        ("comment starts after a string", format!("SELECT 'a' {}{}", "+/*".repeat(1000), "*/".repeat(1000))),
    ];
    for (description, sql) in refused {
        let intents = analyze_on_small_stack(sql);
        assert_eq!(intents.len(), 1, "{description}: {:?}", ids(&intents));
        assert_eq!((intents[0].kind, intents[0].scope), (IntentKind::Unknown, Scope::Unbounded), "{description}");
        let note = intents[0].note.as_deref().unwrap_or_default();
        assert!(note.contains("operator characters"), "{description}: {note}");
    }
    let line = "=".repeat(5000);
    let read = vec!["data.read bounded"];
    let analysed = [
        ("a string", format!("SELECT '{line}'"), read.clone()),
        ("an escape string with an escaped quote", format!("SELECT E'it\\'s {line}'"), read.clone()),
        ("a string with a doubled quote", format!("SELECT 'it''s {line}'"), read.clone()),
        ("a quoted name", format!("SELECT 1 AS \"{line}\""), read.clone()),
        ("a line comment", format!("SELECT 1 -- {line}\n"), read.clone()),
        ("a dollar-quoted string", format!("SELECT $x${line}$x$"), read.clone()),
        ("an untagged dollar-quoted string", format!("SELECT $${line}$$"), read.clone()),
        ("a banner comment", format!("/*{}*/ SELECT 1", "*".repeat(200)), read.clone()),
        (
            "a function body",
            format!("CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$ SELECT '{line}' $body$"),
            vec!["schema.create bounded"],
        ),
        ("what follows the string is still seen", format!("SELECT '{line}'; DROP TABLE users"), {
            let mut intents = read.clone();
            intents.push("schema.drop bounded");
            intents
        }),
    ];
    for (description, sql, expected) in analysed {
        let intents = analyze_on_small_stack(sql);
        assert_eq!(ids(&intents), expected, "{description}");
    }
}

#[test]
fn deep_plpgsql_bodies_do_not_crash() {
    let depth = 200;
    let body = format!("{}DELETE FROM users;{}", "IF true THEN ".repeat(depth), " END IF;".repeat(depth));
    let intents = analyze_on_small_stack(format!("DO $$ BEGIN {body} END $$"));
    // libpg_query's JSON for this body nests past serde_json's limit: the
    // body is unknown, and still never allowed.
    assert!(intents.iter().any(|intent| intent.kind == IntentKind::CodeAnonymousBlock));
    assert!(
        intents.iter().any(|intent| matches!(intent.kind, IntentKind::Unknown | IntentKind::DataDeleteAll)),
        "{:?}",
        ids(&intents)
    );
}

#[test]
fn sql_nested_in_sql_beyond_eight_bodies_is_unknown() {
    let mut sql = String::from("DELETE FROM users");
    for _ in 0..12 {
        sql = format!("SELECT query_to_xml({}, true, true, '')", quote(&sql));
    }
    let intents = analyze_on_small_stack(sql);
    assert!(intents.iter().any(|intent| intent.kind == IntentKind::Unknown), "{:?}", ids(&intents));
}

fn quote(sql: &str) -> String {
    format!("'{}'", sql.replace('\'', "''"))
}

#[test]
fn spans_always_lie_inside_the_text_on_character_boundaries() {
    let texts = [
        "DELETE FROM \"ユーザー\" WHERE 1 = 1; SELECT pg_read_file('/ét/ç')",
        "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
        "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'é'; DELETE FROM t; END $$",
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM ''é''.t'",
        "SELECT 1; SELEC",
    ];
    for text in texts {
        for intent in guardrail_sql::analyze(text).intents {
            assert!(intent.span.start <= intent.span.end && intent.span.end <= text.len(), "{text:?}: {intent:?}");
            assert!(intent.span.slice(text).is_some(), "{text:?}: span {:?} splits a character", intent.span);
        }
    }
}

/// Found by the `analyze` fuzz target: libpg_query's PL/pgSQL compile
/// writes past a fixed array of 100 arguments, and the JSON dump then
/// follows a corrupted pointer (SIGSEGV). The fuzzer's input, minimized.
#[test]
fn regression_plpgsql_function_with_more_than_100_arguments() {
    let minimized = include_bytes!("fixtures/crash-plpgsql-114-arguments.sql");
    for sql in [
        String::from_utf8_lossy(minimized).into_owned(),
        format!(
            "CREATE FUNCTION k({}) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
            (0..200).map(|i| format!("p{i} int")).collect::<Vec<_>>().join(", ")
        ),
    ] {
        let intents = analyze_on_small_stack(sql);
        assert!(intents.iter().any(|intent| intent.kind == IntentKind::Unknown), "{:?}", ids(&intents));
    }
    // At the limit, the body is still read.
    let at_limit = format!(
        "CREATE FUNCTION k({}) RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; RETURN 1; END $$",
        (0..100).map(|i| format!("p{i} int")).collect::<Vec<_>>().join(", ")
    );
    assert_eq!(ids(&analyze_on_small_stack(at_limit)), ["schema.create bounded", "data.delete_all unbounded"]);
}
