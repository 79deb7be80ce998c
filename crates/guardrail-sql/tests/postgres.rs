//! The analyzer against a real PostgreSQL server.
//!
//! The server is GUARDRAIL_TEST_DATABASE_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres); each test makes its own
//! database and drops it afterwards. A server that cannot be reached fails
//! the test, with how to start one: a green run means these ran.

use guardrail_core::IntentKind;
use guardrail_testdb::TestDatabase;

/// What the analyzer says a write reaches, checked against what PostgreSQL
/// does: every row for `*_all`, fewer for the bounded intents.
#[test]
fn unbounded_means_every_row_to_postgresql_too() {
    let mut database = TestDatabase::new("unbounded");
    let setup = "
        CREATE TABLE users (id int PRIMARY KEY, active boolean NOT NULL, email text,
                            created_at timestamptz NOT NULL, balance int NOT NULL);
        INSERT INTO users SELECT g, g % 2 = 0, CASE WHEN g % 3 = 0 THEN NULL ELSE 'u' || g || '@x' END,
                                 now() - g * interval '10 days', g * 100
        FROM generate_series(1, 10) AS g;
        CREATE TABLE banned (user_id int);
        INSERT INTO banned VALUES (2), (3);
        CREATE TABLE orders (id int, user_id int);
        INSERT INTO orders VALUES (1, 1), (2, 5);";
    database.client.batch_execute(setup).unwrap();
    let total = 10;

    let cases = [
        "DELETE FROM users",
        "DELETE FROM users USING orders",
        "DELETE FROM users WHERE 1=1",
        "DELETE FROM users WHERE 2 > 1 AND 'a' = 'a'",
        "DELETE FROM users WHERE true",
        "DELETE FROM users WHERE 'yes'",
        "DELETE FROM users WHERE 'on'",
        "DELETE FROM users WHERE 't'::boolean",
        "DELETE FROM users WHERE 1::bool",
        "DELETE FROM users WHERE id = id",
        "DELETE FROM users u WHERE u.id = u.id",
        "DELETE FROM users WHERE id = 1 OR 1 = 1",
        "DELETE FROM users WHERE NOT false",
        "DELETE FROM users WHERE 1 IN (1, 2)",
        "DELETE FROM users WHERE 5 BETWEEN 1 AND 10",
        "DELETE FROM users WHERE 5 BETWEEN SYMMETRIC 10 AND 1",
        "DELETE FROM users WHERE 2 + 2 = 4",
        "DELETE FROM users WHERE 7 / 2 = 3",
        "DELETE FROM users WHERE -7 % 3 = -1",
        "DELETE FROM users WHERE '12' = 12",
        "DELETE FROM users WHERE NULL IS NULL",
        "DELETE FROM users WHERE 1 IS NOT DISTINCT FROM 1",
        "DELETE FROM users WHERE NULL IS DISTINCT FROM 1",
        "DELETE FROM users WHERE (1 = 1) IS TRUE",
        "DELETE FROM users WHERE (1 = 0) IS NOT TRUE",
        "DELETE FROM users WHERE email IS NULL OR email IS NOT NULL",
        "DELETE FROM users WHERE active OR NOT active",
        "DELETE FROM users WHERE now() > '2020-01-01'",
        "DELETE FROM users WHERE random() < 2",
        "DELETE FROM users WHERE EXISTS (SELECT 1 FROM banned)",
        "DELETE FROM users WHERE (SELECT count(*) FROM banned) > 0",
        "UPDATE users SET balance = 0",
        "UPDATE users SET balance = 0 FROM orders",
        "UPDATE users SET balance = 0 WHERE balance = balance",
        "UPDATE users SET balance = 0 WHERE 'y'",
        // Bounded: fewer than every row.
        "DELETE FROM users WHERE id = 1",
        "DELETE FROM users WHERE created_at < now() - interval '30 days'",
        "DELETE FROM users WHERE id = 1 AND 1 = 1",
        "DELETE FROM users USING orders WHERE users.id = orders.user_id",
        "DELETE FROM users WHERE id IN (SELECT user_id FROM banned)",
        "DELETE FROM users u WHERE EXISTS (SELECT 1 FROM banned b WHERE b.user_id = u.id)",
        "DELETE FROM users WHERE 1 = 0",
        "DELETE FROM users WHERE NULL",
        "DELETE FROM users WHERE id <> id",
        "DELETE FROM users WHERE 1 IN (2, 3)",
        "DELETE FROM users WHERE 5 NOT BETWEEN 1 AND 10",
        "DELETE FROM users WHERE email IS NULL",
        "UPDATE users SET balance = 0 WHERE id = 42",
        "UPDATE users SET balance = 0 WHERE active",
        "UPDATE users SET balance = 0 FROM orders WHERE orders.user_id = users.id",
    ];

    let mut disagreements = Vec::new();
    for sql in cases {
        let intents = guardrail_sql::analyze(sql).intents;
        let kinds: Vec<IntentKind> = intents.iter().map(|intent| intent.kind).collect();
        let unbounded = match kinds.as_slice() {
            [IntentKind::DataDeleteAll] | [IntentKind::DataUpdateAll] => true,
            [IntentKind::DataDelete] | [IntentKind::DataUpdate] => false,
            other => panic!("{sql}: expected one write intent, got {other:?}"),
        };
        let mut transaction = database.client.transaction().unwrap();
        let affected = transaction.execute(sql, &[]).unwrap_or_else(|error| panic!("{sql}: {error}"));
        transaction.rollback().unwrap();
        if unbounded != (affected == total) {
            disagreements.push(format!(
                "{sql}: analyzer says {}, PostgreSQL touched {affected} of {total} rows",
                if unbounded { "every row" } else { "bounded" }
            ));
        }
    }
    assert!(disagreements.is_empty(), "the analyzer and PostgreSQL disagree:\n{}", disagreements.join("\n"));
}

/// Every volatile pg_catalog function of the families the function table
/// covers is in it.
#[test]
fn the_function_table_covers_the_servers_functions() {
    let mut database = TestDatabase::new("functions");
    let rows = database
        .client
        .query(
            "SELECT DISTINCT proname::text FROM pg_proc
             WHERE pronamespace = 'pg_catalog'::regnamespace AND provolatile = 'v' AND (
                  proname ~ '^pg_(read|ls_)' OR proname IN ('pg_stat_file', 'lo_import', 'lo_export')
               OR proname ~ '^pg_(terminate|cancel)_backend$' OR proname ~ '^pg_stat_reset'
               OR proname ~ '^pg_(create|drop|copy)_.*replication_slot$' OR proname = 'pg_replication_slot_advance'
               OR proname ~ '^pg_replication_origin_(create|drop|advance|session_setup|session_reset|xact_setup|xact_reset)$')
             ORDER BY 1",
            &[],
        )
        .unwrap();
    assert!(rows.len() > 20, "the query should find the server's file and admin functions");
    let missing: Vec<String> = rows
        .iter()
        .map(|row| row.get::<_, String>(0))
        .filter(|name| !guardrail_sql::rules::FUNCTIONS.iter().any(|function| function.name == name))
        .collect();
    assert!(missing.is_empty(), "functions missing from rules::FUNCTIONS: {missing:?}");
}

/// What the analyzer calls temporary is temporary to PostgreSQL.
#[test]
fn temporary_objects_are_temporary_to_postgresql() {
    let mut database = TestDatabase::new("temporary");
    let cases = [
        ("CREATE TEMP TABLE a (id int)", "a", true),
        ("CREATE TEMPORARY TABLE b (id int)", "b", true),
        ("CREATE TABLE pg_temp.c (id int)", "c", true),
        ("CREATE TEMP TABLE d AS SELECT 1 AS x", "d", true),
        ("SELECT 1 AS x INTO TEMP e", "e", true),
        ("CREATE TEMP VIEW f AS SELECT 1 AS x", "f", true),
        ("CREATE TEMP SEQUENCE g", "g", true),
        ("CREATE TABLE h (id int)", "h", false),
        ("CREATE UNLOGGED TABLE i (id int)", "i", false),
        ("SELECT 1 AS x INTO j", "j", false),
    ];
    for (sql, name, temporary) in cases {
        let intents = guardrail_sql::analyze(sql).intents;
        let says_temporary = intents.iter().any(|intent| intent.kind == IntentKind::SchemaCreateTemporary);
        let says_lasting = intents.iter().any(|intent| intent.kind == IntentKind::SchemaCreate);
        assert_eq!((says_temporary, says_lasting), (temporary, !temporary), "{sql}");
        database.client.batch_execute(sql).unwrap();
        let persistence: i8 = database
            .client
            .query_one("SELECT relpersistence FROM pg_class WHERE relname = $1", &[&name])
            .unwrap()
            .get(0);
        assert_eq!(persistence as u8 == b't', temporary, "{sql}: relpersistence {}", persistence as u8 as char);
    }
}
