//! Real clients through the proxy, against the real PostgreSQL: a Rust
//! driver with prepared statements (tokio-postgres), psql, raw sockets.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use guardrail_audit::event::{Event, SessionPhase};
use support::{AGENT, HUMAN, TestProxy, direct};

fn error_of(result: Result<impl std::fmt::Debug, tokio_postgres::Error>) -> (String, String, Option<String>) {
    let error = result.expect_err("the statement should fail");
    let db = error.as_db_error().unwrap_or_else(|| panic!("not a database error: {error}"));
    (db.code().code().to_owned(), db.message().to_owned(), db.hint().map(str::to_owned))
}

#[test]
fn statements_are_judged_and_refusals_are_errors_the_client_can_act_on() {
    let mut proxy = TestProxy::start("proxy_judged");
    direct(&mut proxy, "CREATE TABLE users (id int PRIMARY KEY, email text)");
    direct(&mut proxy, "INSERT INTO users SELECT g, 'u' || g || '@x.io' FROM generate_series(1, 50) g");
    let client = proxy.connect(AGENT);
    // (statement, refused with 42501, rule named in the message)
    let cases: &[(&str, Option<&str>)] = &[
        ("SELECT count(*) FROM users WHERE id < $1", None),
        ("DROP TABLE users", Some("drop")),
        ("TRUNCATE users", Some("truncate")),
        ("DELETE FROM users", Some("unbounded-write")),
        ("UPDATE users SET email = 'x'", Some("unbounded-write")),
        ("ALTER SYSTEM SET fsync = off", Some("server-administration")),
        ("COPY users TO PROGRAM 'sh -c id'", Some("server-access")),
        ("SET session_replication_role = replica", Some("integrity-bypass")),
        ("UPDATE users SET email = 'y' WHERE id = $1", None),
    ];
    proxy.runtime.block_on(async {
        for (sql, refused) in cases {
            let parameters: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                if sql.contains("$1") { vec![&5i32] } else { vec![] };
            let result = client.execute(*sql, &parameters).await;
            match refused {
                None => assert!(result.is_ok(), "{sql}: {result:?}"),
                Some(rule) => {
                    let (code, message, hint) = error_of(result);
                    assert_eq!(code, "42501", "{sql}: {message}");
                    assert!(message.contains(&format!("rule {rule}")), "{sql}: {message}");
                    assert!(hint.is_some(), "{sql}: a hint says how to go on");
                }
            }
            // The connection stays usable after a refusal.
            let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
            assert_eq!(one, 1);
        }
    });
    let count: i64 = direct(&mut proxy, "SELECT count(*) FROM users")[0].get(0);
    assert_eq!(count, 50, "nothing refused ran");
    let email: String = direct(&mut proxy, "SELECT email FROM users WHERE id = 5")[0].get(0);
    assert_eq!(email, "y", "the allowed update ran");

    // Every statement is in the record, with the session around them.
    let events = proxy.events();
    let decisions: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            Event::Decision(decision) => Some(decision),
            _ => None,
        })
        .collect();
    for (sql, refused) in cases {
        let found = decisions.iter().find(|decision| decision.text.preview() == *sql);
        let decision = found.unwrap_or_else(|| panic!("{sql} is not in the record"));
        assert_eq!(decision.channel, "pgproxy");
        assert_eq!(decision.actor.id, "claude");
        assert_eq!(decision.verdict == guardrail_core::Verdict::Allow, refused.is_none(), "{sql}");
    }
    assert!(events.iter().any(|event| matches!(event, Event::Session(s) if s.phase == SessionPhase::Started)));
}

#[test]
fn a_refusal_inside_a_transaction_aborts_it_and_commit_rolls_back() {
    let mut proxy = TestProxy::start("proxy_transaction");
    direct(&mut proxy, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    direct(&mut proxy, "INSERT INTO t VALUES (1, 'before')");
    let mut client = proxy.connect(AGENT);
    proxy.runtime.block_on(async {
        let transaction = client.transaction().await.unwrap();
        transaction.execute("UPDATE t SET v = 'changed' WHERE id = 1", &[]).await.unwrap();
        let (code, _, _) = error_of(transaction.execute("DROP TABLE t", &[]).await);
        assert_eq!(code, "42501");
        // As after any error: the block is aborted.
        let (code, _, _) = error_of(transaction.execute("SELECT 1", &[]).await);
        assert_eq!(code, "25P02");
        // COMMIT of an aborted block rolls back (the driver sees ROLLBACK).
        let _ = transaction.commit().await;
    });
    let value: String = direct(&mut proxy, "SELECT v FROM t WHERE id = 1")[0].get(0);
    assert_eq!(value, "before");

    // SQL's PREPARE and EXECUTE, in separate queries: the EXECUTE is
    // judged with what it runs.
    let output = proxy.psql(
        AGENT,
        &[],
        "PREPARE one(int) AS UPDATE t SET v = 'prepared' WHERE id = $1;\nEXECUTE one(1);\n\
         PREPARE all_of_it AS DELETE FROM t;\nEXECUTE all_of_it;\nSELECT v FROM t WHERE id = 1;\n",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("UPDATE 1") && stdout.contains("prepared"), "{stdout}\n{stderr}");
    assert!(stderr.contains("rule unbounded-write"), "{stderr}");
    direct(&mut proxy, "UPDATE t SET v = 'before' WHERE id = 1");

    // The same with psql's simple protocol, and COMMIT typed by hand.
    let output = proxy.psql(
        AGENT,
        &[],
        "BEGIN;\nUPDATE t SET v = 'psql' WHERE id = 1;\nTRUNCATE t;\nCOMMIT;\nSELECT v FROM t WHERE id = 1;\n",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("ROLLBACK"), "{stdout}\n{stderr}");
    assert!(stdout.contains("before"), "{stdout}");
    assert!(stderr.contains("rule truncate"), "{stderr}");
}

#[test]
fn writes_over_the_row_cap_are_rolled_back_with_the_count() {
    let mut proxy = TestProxy::start("proxy_caps");
    direct(&mut proxy, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    direct(&mut proxy, "INSERT INTO t SELECT g, 'a' FROM generate_series(1, 3000) g");
    let mut agent = proxy.connect(AGENT);
    let human = proxy.connect(HUMAN);
    proxy.runtime.block_on(async {
        // Extended protocol, outside a block: the implicit transaction fails.
        let (code, message, _) = error_of(agent.execute("UPDATE t SET v = 'b' WHERE id > $1", &[&100i32]).await);
        assert_eq!(code, "42501");
        assert!(message.contains("2900 rows") && message.contains("cap of 1000"), "{message}");
        // Under the cap runs.
        assert_eq!(agent.execute("UPDATE t SET v = 'c' WHERE id > $1", &[&2500i32]).await.unwrap(), 500);
        // Inside a block: the block is aborted.
        let transaction = agent.transaction().await.unwrap();
        transaction.execute("UPDATE t SET v = 'd' WHERE id = 1", &[]).await.unwrap();
        let (code, _, _) = error_of(transaction.execute("DELETE FROM t WHERE id > 1500", &[]).await);
        assert_eq!(code, "42501");
        let _ = transaction.commit().await;
        // The simple protocol, outside a block: the proxy's own block rolls back.
        let result = agent.batch_execute("UPDATE t SET v = 'e' WHERE id > 10").await;
        assert!(result.is_err());
        // A write whose count the server does not report cannot be capped.
        for sql in [
            "WITH d AS (DELETE FROM t WHERE id > 10 RETURNING *) SELECT count(*) FROM d",
            "EXPLAIN ANALYZE DELETE FROM t WHERE id > 10",
        ] {
            let (code, message, _) = error_of(agent.execute(sql, &[]).await);
            assert_eq!(code, "42501", "{sql}");
            assert!(message.contains("does not report"), "{sql}: {message}");
        }
        // A person has no write cap in the default policy.
        assert_eq!(human.execute("UPDATE t SET v = 'h' WHERE id > $1", &[&1000i32]).await.unwrap(), 2000);
    });
    let counts: Vec<(String, i64)> = direct(&mut proxy, "SELECT v, count(*) FROM t GROUP BY v ORDER BY v")
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(counts, vec![("a".to_owned(), 1000), ("h".to_owned(), 2000)], "only the person's write stayed");
}

#[test]
fn reads_without_a_limit_are_capped_and_say_so() {
    let mut proxy = TestProxy::start("proxy_reads");
    direct(&mut proxy, "CREATE TABLE t (id int PRIMARY KEY)");
    direct(&mut proxy, "INSERT INTO t SELECT generate_series(1, 1500)");
    let client = proxy.connect(AGENT);
    proxy.runtime.block_on(async {
        assert_eq!(client.query("SELECT id FROM t", &[]).await.unwrap().len(), 1000);
        assert_eq!(client.query("SELECT id FROM t LIMIT 1200", &[]).await.unwrap().len(), 1200);
        let rows = client.simple_query("SELECT id FROM t").await.unwrap();
        let data = rows.iter().filter(|message| matches!(message, tokio_postgres::SimpleQueryMessage::Row(_))).count();
        assert_eq!(data, 1000);
    });
}

#[test]
fn psql_works_unchanged_and_tls_is_terminated() {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(&certificate, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let mut proxy = TestProxy::start_with("proxy_psql", Some((certificate, key)));
    direct(&mut proxy, "CREATE TABLE t (id int PRIMARY KEY, name text)");
    let output = proxy.psql(
        AGENT,
        &["--set=sslmode=require"],
        "\\conninfo\n\\dt\n\\d t\nINSERT INTO t VALUES (1, 'one');\nSELECT name FROM t;\n\
         LISTEN news;\nNOTIFY news, 'hello';\n\
         /* justification: INC-3 idempotent setup */ CREATE TABLE IF NOT EXISTS t (id int);\n",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Notifications and notices pass through.
    assert!(stdout.contains("Asynchronous notification \"news\" with payload \"hello\""), "{stdout}");
    assert!(stderr.contains("relation \"t\" already exists, skipping"), "{stderr}");
    assert!(stdout.contains("public | t    | table"), "{stdout}");
    assert!(stdout.contains("Table \"public.t\""), "{stdout}");
    assert!(stdout.contains(" one"), "{stdout}");
    // Over TLS when asked.
    let tls = std::process::Command::new("psql")
        .args(["-X", "-c", "\\conninfo"])
        .arg(format!("postgres://{}@127.0.0.1:{}/{}?sslmode=require", AGENT.0, proxy.address.port(), proxy.name))
        .env("PGPASSWORD", AGENT.1)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&tls.stdout);
    assert!(stdout.contains("SSL connection"), "{stdout}{}", String::from_utf8_lossy(&tls.stderr));
    let events = proxy.events();
    assert!(
        events.iter().any(|event| matches!(event, Event::Session(s) if s.tls)),
        "the TLS session is recorded as such"
    );
}

#[test]
fn settings_given_at_login_are_judged_like_set() {
    let proxy = TestProxy::start("proxy_login_settings");
    // (libpq options, logs in)
    let cases = [
        ("-c search_path=public", true),
        ("-c statement_timeout=5s", true),
        ("-c role=postgres", false),
        ("-c session_replication_role=replica", false),
        ("-c search_path=public -c session_authorization=postgres", false),
    ];
    for (options, logs_in) in cases {
        let url = format!("{}&options={}", proxy.url(AGENT), options.replace(' ', "%20").replace('=', "%3D"));
        let result = proxy.runtime.block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls));
        match result {
            Ok((client, connection)) => {
                assert!(logs_in, "{options} logged in");
                proxy.runtime.spawn(connection);
                let user: String =
                    proxy.runtime.block_on(client.query_one("SELECT current_user::text", &[])).unwrap().get(0);
                assert_eq!(user, "postgres", "the proxy's own login");
            }
            Err(error) => {
                assert!(!logs_in, "{options}: {error}");
                let db = error.as_db_error().unwrap_or_else(|| panic!("{options}: {error}"));
                assert_eq!(db.code().code(), "42501", "{options}");
                assert!(db.message().contains("login setting"), "{}", db.message());
            }
        }
    }
}

#[test]
fn wrong_passwords_and_unknown_names_fail_alike_and_are_recorded() {
    let proxy = TestProxy::start("proxy_auth");
    let attempts = [(AGENT.0, "wrong"), ("nobody", "whatever"), (AGENT.0, "")];
    for (user, password) in attempts {
        let url = proxy.url((user, password));
        let error = proxy
            .runtime
            .block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls))
            .err()
            .unwrap_or_else(|| panic!("{user}/{password} logged in"));
        let db = error.as_db_error().unwrap_or_else(|| panic!("{error}"));
        assert_eq!(db.code().code(), "28P01");
        assert_eq!(db.message(), format!("password authentication failed for user \"{user}\""));
    }
    let refused = proxy
        .events()
        .into_iter()
        .filter(|event| matches!(event, Event::Session(s) if s.phase == SessionPhase::Refused))
        .count();
    assert_eq!(refused, attempts.len());
}

#[test]
fn copy_runs_both_ways() {
    use futures_util::{SinkExt, StreamExt};
    let mut proxy = TestProxy::start("proxy_copy");
    direct(&mut proxy, "CREATE TABLE t (id int PRIMARY KEY, name text)");
    let client = proxy.connect(AGENT);
    proxy.runtime.block_on(async {
        let sink = client.copy_in("COPY t FROM STDIN").await.unwrap();
        futures_util::pin_mut!(sink);
        let data: String = (1..=20).map(|id| format!("{id}\tname {id}\n")).collect();
        sink.send(bytes::Bytes::from(data)).await.unwrap();
        assert_eq!(sink.finish().await.unwrap(), 20);
        let stream = client.copy_out("COPY t TO STDOUT").await.unwrap();
        let chunks: Vec<_> = stream.collect().await;
        let text: String =
            chunks.into_iter().map(|chunk| String::from_utf8(chunk.unwrap().to_vec()).unwrap()).collect();
        assert_eq!(text.lines().count(), 20);
        assert!(text.starts_with("1\tname 1\n"));
    });
}

#[test]
fn a_running_query_can_be_cancelled_through_the_proxy() {
    let proxy = TestProxy::start("proxy_cancel");
    let client = proxy.connect(AGENT);
    proxy.runtime.block_on(async {
        let token = client.cancel_token();
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            token.cancel_query(tokio_postgres::NoTls).await
        });
        let started = std::time::Instant::now();
        let (code, _, _) = error_of(client.execute("SELECT pg_sleep(30)", &[]).await);
        assert_eq!(code, "57014", "cancelled by the user's request");
        assert!(started.elapsed() < Duration::from_secs(20));
        canceller.await.unwrap().unwrap();
    });
}

#[test]
fn garbage_and_oversized_messages_close_only_their_own_connection() {
    let proxy = TestProxy::start("proxy_garbage");
    let client = proxy.connect(AGENT);
    let port = proxy.address.port();
    let garbage: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &[0, 0, 0, 3],
        &[0xff; 64],
        // A startup packet claiming 1 GB.
        &[0x40, 0, 0, 0, 0, 3, 0, 0],
    ];
    for bytes in garbage {
        let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = socket.write_all(bytes);
        let mut answer = Vec::new();
        let _ = socket.read_to_end(&mut answer);
    }
    // An oversized message after login: a FATAL error, and that connection closes.
    let url = proxy.url(AGENT);
    proxy.runtime.block_on(async {
        let (big, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        let connection = tokio::spawn(connection);
        let text = format!("SELECT '{}'", "x".repeat(2 << 20));
        let error = big.simple_query(&text).await.unwrap_err();
        let db = error.as_db_error().unwrap_or_else(|| panic!("{error}"));
        assert_eq!(db.code().code(), "54000");
        assert!(db.message().contains("over the limit"), "{}", db.message());
        let _ = connection.await;
        // The other session never noticed.
        let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
        assert_eq!(one, 1);
        // The limit is on what clients send: a result larger than it passes.
        let big: String = client.query_one("SELECT repeat('x', 3000000) AS big", &[]).await.unwrap().get(0);
        assert_eq!(big.len(), 3_000_000);
    });
}

#[test]
fn two_hundred_clients_at_once() {
    let mut proxy = TestProxy::start("proxy_many");
    direct(&mut proxy, "CREATE TABLE hits (client int, n int)");
    let url = proxy.url(AGENT);
    proxy.runtime.block_on(async {
        let mut tasks = Vec::new();
        for index in 0..200 {
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                for n in 0..5 {
                    client.execute("INSERT INTO hits VALUES ($1, $2)", &[&index, &n]).await?;
                }
                let (code, _, _) = error_of(client.execute("DELETE FROM hits", &[]).await);
                assert_eq!(code, "42501");
                Ok::<_, tokio_postgres::Error>(())
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
    let count: i64 = direct(&mut proxy, "SELECT count(*) FROM hits")[0].get(0);
    assert_eq!(count, 1000);
}

/// Runs one of `tests/clients/`'s scripts against the proxy as the agent.
fn run_client(proxy: &TestProxy, program: &str, script: &str) {
    let clients = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let program = if program == "python" { clients.join(".venv/bin/python") } else { program.into() };
    let output = std::process::Command::new(&program)
        .arg(clients.join(script))
        .arg(proxy.url(AGENT))
        .current_dir(&clients)
        .output()
        .unwrap_or_else(|error| panic!("{}: {error} (scripts/bootstrap installs the clients)", program.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script}:\n{stdout}\n{stderr}");
    assert!(stdout.lines().filter(|line| line.starts_with("PASS ")).count() >= 10, "{stdout}");
}

#[test]
fn psycopg_runs_unchanged_with_prepared_statements_and_pipelines() {
    let proxy = TestProxy::start("proxy_psycopg");
    run_client(&proxy, "python", "psycopg_client.py");
}

#[test]
fn node_postgres_runs_unchanged() {
    let proxy = TestProxy::start("proxy_node");
    run_client(&proxy, "node", "node_client.js");
}

#[test]
fn sensitive_columns_and_secret_values_are_masked_in_text_and_binary_results() {
    let mut proxy = TestProxy::start("proxy_masking");
    direct(
        &mut proxy,
        "CREATE TABLE people (id int PRIMARY KEY, email text, ssn varchar(11), api_token bytea, pin_hash int, notes text)",
    );
    direct(
        &mut proxy,
        "INSERT INTO people VALUES (1, 'ada@example.com', '123-45-6789', '\\x0102', 7, 'rotated: password=hunter2 today')",
    );
    let client = proxy.connect(AGENT);
    // (column, what tokio-postgres reads in the binary format)
    proxy.runtime.block_on(async {
        let row = client
            .query_one("SELECT id, email, ssn, api_token, notes FROM people WHERE id = $1", &[&1i32])
            .await
            .unwrap();
        assert_eq!(row.get::<_, i32>("id"), 1);
        assert_eq!(row.get::<_, String>("email"), "****", "a column named in the configuration");
        assert_eq!(row.get::<_, String>("ssn"), "****", "a built-in sensitive name");
        assert_eq!(row.get::<_, Option<Vec<u8>>>("api_token"), None, "a binary value that cannot hold stars is NULL");
        let notes: String = row.get("notes");
        assert!(!notes.contains("hunter2") && notes.starts_with("rotated: password="), "{notes}");
        // An alias does not hide where a value comes from.
        let row =
            client.query_one("SELECT ssn AS x, email AS contact FROM people WHERE id = $1", &[&1i32]).await.unwrap();
        assert_eq!(row.get::<_, String>("x"), "****");
        assert_eq!(row.get::<_, String>("contact"), "****");
        // Nor does computing over it, or reading the whole row.
        for sql in [
            "SELECT lower(ssn) AS x FROM people WHERE id = $1",
            "SELECT ssn || '' AS x FROM people WHERE id = $1",
            "SELECT to_json(p)::text AS x FROM people p WHERE id = $1",
            "SELECT x FROM (SELECT substr(email, 1, 30) AS x FROM people) s WHERE $1 = 1",
        ] {
            let row = client.query_one(sql, &[&1i32]).await.unwrap();
            let value: String = row.get("x");
            assert!(!value.contains("123-45") && !value.contains("ada@"), "{sql}: {value}");
        }
        // A computed value over nothing masked passes.
        let row = client
            .query_one("SELECT upper(notes) AS x, id + 1 AS y FROM people WHERE id = $1", &[&1i32])
            .await
            .unwrap();
        assert!(row.get::<_, String>("x").starts_with("ROTATED"));
        assert_eq!(row.get::<_, i32>("y"), 2);
        // The simple protocol (text format) too.
        let messages = client.simple_query("SELECT email, ssn, notes FROM people").await.unwrap();
        let row = messages
            .iter()
            .find_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .unwrap();
        assert_eq!(row.get("email"), Some("****"));
        assert_eq!(row.get("ssn"), Some("****"));
        assert!(!row.get("notes").unwrap().contains("hunter2"));
    });
    let output = proxy.psql(AGENT, &[], "SELECT email, ssn FROM people;\n");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("****") && !stdout.contains("ada@example.com"), "{stdout}");
}

#[test]
fn writes_in_a_block_are_recorded_before_it_commits_with_their_outcomes() {
    let mut proxy = TestProxy::start("proxy_block_records");
    direct(&mut proxy, "CREATE TABLE t (id int PRIMARY KEY, v int)");
    direct(&mut proxy, "INSERT INTO t SELECT g, 0 FROM generate_series(1, 10) g");
    let mut client = proxy.connect(HUMAN);
    proxy.runtime.block_on(async {
        let transaction = client.transaction().await.unwrap();
        for id in 1..=3 {
            transaction.batch_execute(&format!("UPDATE t SET v = {id} WHERE id = {id}")).await.unwrap();
        }
        transaction.commit().await.unwrap();
    });
    let events = proxy.events();
    let mut decisions = std::collections::HashMap::new();
    let mut seq = 0u64;
    let mut outcomes = Vec::new();
    // The record's chain order: seq counts from 1.
    for event in &events {
        seq += 1;
        match event {
            Event::Decision(decision) if decision.text.preview().starts_with("UPDATE") => {
                decisions.insert(seq, decision.text.preview().to_owned());
            }
            Event::Outcome(outcome) => outcomes.push(outcome.clone()),
            _ => {}
        }
    }
    assert_eq!(decisions.len(), 3, "{events:?}");
    for (seq, text) in &decisions {
        let outcome = outcomes.iter().find(|outcome| outcome.decision == *seq);
        let outcome = outcome.unwrap_or_else(|| panic!("no outcome for {text}"));
        assert_eq!(outcome.command.as_deref(), Some("UPDATE 1"), "{text}");
    }
    let sum: i64 = direct(&mut proxy, "SELECT sum(v)::bigint FROM t")[0].get(0);
    assert_eq!(sum, 6);
}

#[test]
fn pgbench_runs_its_read_only_and_write_mixes_through_the_proxy() {
    let proxy = TestProxy::start("proxy_pgbench");
    // pgbench -i drops and creates its tables, which an agent may not do:
    // the database is set up directly.
    let direct_url = proxy.database.url().to_owned();
    let init = std::process::Command::new("pgbench").args(["-q", "-i", "-s", "1", &direct_url]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    for mode in [&["-S"][..], &["-S", "-M", "prepared"], &[], &["-M", "extended"]] {
        let run = std::process::Command::new("pgbench")
            .args(["-n", "-c", "4", "-j", "2", "-t", "50"])
            .args(mode)
            .args(["-h", "127.0.0.1", "-p", &proxy.address.port().to_string(), "-U", AGENT.0, &proxy.name])
            .env("PGPASSWORD", AGENT.1)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success(), "{mode:?}: {stdout}{}", String::from_utf8_lossy(&run.stderr));
        assert!(stdout.contains("number of transactions actually processed: 200/200"), "{mode:?}: {stdout}");
    }
    // Every statement is in the record: 200 selects and 4 x 50 x 7
    // statements of the write mix, twice.
    let decisions = proxy.events().iter().filter(|event| matches!(event, Event::Decision(_))).count();
    assert!(decisions >= 200 * 2 + 1400 * 2, "{decisions} decisions recorded");
}

/// With a hold configured, a held statement waits: the client is told (a
/// NOTICE naming the request and its console link), a person approves it
/// meanwhile, and the statement runs, once, without being sent again; one
/// denied meanwhile is refused at once, before the hold ends.
#[test]
fn a_held_statement_waits_for_the_person_and_runs_when_approved() {
    use guardrail_audit::approval::Approver;
    let mut proxy = TestProxy::start_holding("proxy_hold", Duration::from_secs(20));
    direct(&mut proxy, "CREATE TABLE payroll (id int)");
    let (approver, _keys) = proxy.approver();
    let location = guardrail_audit::Location::in_data_dir(proxy.data_dir.path());
    // The person answers the first request that waits.
    let answer = |approve: bool| {
        let id = first_pending(&location);
        let dana = Approver { id: "dana".into(), kind: guardrail_core::ActorKind::Human, roles: Vec::new() };
        approver.decide_approval(&id, dana, approve, "checked with the auditors").unwrap().wait().unwrap();
        id
    };
    // psql, from a thread of its own while the person answers.
    let (port, database) = (proxy.address.port(), proxy.name.clone());
    let psql = move |script: &'static str| {
        std::process::Command::new("psql")
            .args(["-X", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", AGENT.0, "-d", &database, "-c", script])
            .env("PGPASSWORD", AGENT.1)
            .output()
            .unwrap()
    };
    let started = std::time::Instant::now();
    let output = std::thread::scope(|scope| {
        let psql = scope.spawn(|| psql("GRANT SELECT ON payroll TO PUBLIC"));
        let id = answer(true);
        (psql.join().unwrap(), id)
    });
    let (output, id) = output;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("GRANT"), "the statement ran: {stderr}");
    assert!(
        stderr.contains(&format!(
            "waits for a person's approval: request {id} (http://console.test/console/approvals/{id})"
        )),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(15), "it ran once approved, not at the hold's end");
    let acl: String = direct(&mut proxy, "SELECT relacl::text FROM pg_class WHERE relname = 'payroll'")[0].get(0);
    assert!(acl.contains("=r/"), "PUBLIC can read payroll: {acl}");

    // Denied while it waits: refused then, not at the hold's end.
    let started = std::time::Instant::now();
    let output = std::thread::scope(|scope| {
        let psql = scope.spawn(|| psql("REVOKE SELECT ON payroll FROM PUBLIC"));
        answer(false);
        psql.join().unwrap()
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("needs a person's approval") && stderr.contains("42501") || stderr.contains("ERROR"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(15), "{stderr}");
    let acl: String = direct(&mut proxy, "SELECT relacl::text FROM pg_class WHERE relname = 'payroll'")[0].get(0);
    assert!(acl.contains("=r/"), "the denied REVOKE did not run: {acl}");
}

/// A statement the policy holds for approval: refused with the request's
/// id and how to go on; once a person approves it, the identical statement
/// runs, once, and the record names the approval.
#[test]
fn a_held_statement_runs_once_a_person_approves_it() {
    use guardrail_audit::approval::Approver;
    let mut proxy = TestProxy::start("proxy_approval");
    direct(&mut proxy, "CREATE TABLE payroll (id int)");
    let client = proxy.connect(AGENT);
    let grant = "GRANT SELECT ON payroll TO PUBLIC";
    let held = |result| {
        let (code, message, hint) = error_of(result);
        assert_eq!(code, "42501", "{message}");
        assert!(message.contains("needs a person's approval"), "{message}");
        let hint = hint.expect("a hint");
        let at = hint.find("apr-").unwrap_or_else(|| panic!("no request in {hint}"));
        hint[at..at + 20].to_owned()
    };
    let id = proxy.runtime.block_on(async { held(client.execute(grant, &[]).await) });
    // Sent again while pending (simple protocol this time): the same request.
    let again = proxy.runtime.block_on(async { held(client.simple_query(grant).await.map(|_| 0)) });
    assert_eq!(again, id);

    // A person approves it, through a gate of their own on the same record.
    let (approver, _keys) = proxy.approver();
    let dana = Approver { id: "dana".into(), kind: guardrail_core::ActorKind::Human, roles: Vec::new() };
    approver.decide_approval(&id, dana, true, "read-only access for the audit").unwrap().wait().unwrap();

    proxy.runtime.block_on(async {
        client.execute(grant, &[]).await.expect("the approved statement runs");
        // Once: the next identical statement is held again, with a new request.
        let next = held(client.execute(grant, &[]).await);
        assert_ne!(next, id);
    });
    let acl: String = direct(&mut proxy, "SELECT relacl::text FROM pg_class WHERE relname = 'payroll'")[0].get(0);
    assert!(acl.contains("=r/"), "PUBLIC can read payroll: {acl}");

    let events = proxy.events();
    let ran = events
        .iter()
        .find_map(|event| match event {
            Event::Decision(decision) if decision.approval.as_deref() == Some(id.as_str()) => Some(decision),
            _ => None,
        })
        .expect("the decision to run names its approval");
    assert_eq!(ran.verdict, guardrail_core::Verdict::Allow);
    assert!(ran.reason.contains("approved by dana"), "{}", ran.reason);
}

/// The id of the first request that waits in the record at `location`,
/// once one does (within 15 s).
fn first_pending(location: &guardrail_audit::Location) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let requests = location.open_read_only().unwrap().approvals().unwrap();
        if let Some(request) =
            requests.iter().find(|request| request.state == guardrail_audit::approval::State::Pending)
        {
            return request.id.clone();
        }
        assert!(std::time::Instant::now() < deadline, "nothing waited");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A statement held for approval belongs to the client waiting for it: a
/// client that goes away takes it along (approved afterwards, it does not
/// run), and a client's cancel request (Ctrl-C in psql) refuses it at once.
#[test]
fn a_held_statement_ends_with_its_client_or_its_cancel() {
    use guardrail_audit::approval::{Approver, State};
    let mut proxy = TestProxy::start_holding("proxy_hold_gone", Duration::from_secs(20));
    direct(&mut proxy, "CREATE TABLE payroll (id int)");
    let (approver, _keys) = proxy.approver();
    let location = guardrail_audit::Location::in_data_dir(proxy.data_dir.path());

    // psql sends the statement, then is killed while it waits.
    let mut psql = std::process::Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &proxy.address.port().to_string(), "-U", AGENT.0, "-d", &proxy.name])
        .args(["-c", "GRANT SELECT ON payroll TO PUBLIC"])
        .env("PGPASSWORD", AGENT.1)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let id = first_pending(&location);
    psql.kill().unwrap();
    psql.wait().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let dana = Approver { id: "dana".into(), kind: guardrail_core::ActorKind::Human, roles: Vec::new() };
    approver.decide_approval(&id, dana, true, "too late").unwrap().wait().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let acl: Option<String> =
        direct(&mut proxy, "SELECT relacl::text FROM pg_class WHERE relname = 'payroll'")[0].get(0);
    assert!(!acl.unwrap_or_default().contains("=r/"), "the statement ran after its client went away");
    let request = location.open_read_only().unwrap().approval(&id).unwrap().unwrap();
    assert_eq!(request.state, State::Approved, "its approval is left unused");

    // A cancel request while it waits: refused at once, not at the hold's end.
    let client = proxy.connect(AGENT);
    let cancel = client.cancel_token();
    let started = std::time::Instant::now();
    let result = proxy.runtime.block_on(async {
        let held = client.simple_query("REVOKE SELECT ON payroll FROM PUBLIC");
        let cancelling = async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            cancel.cancel_query(tokio_postgres::NoTls).await.unwrap();
            std::future::pending::<()>().await
        };
        tokio::select! {
            result = held => result,
            () = cancelling => unreachable!(),
        }
    });
    assert!(result.is_err(), "a cancelled statement is refused: {result:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "refused at the cancel, not at the hold's end");
}
