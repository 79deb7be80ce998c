//! Stores to tamper with, and records to tamper with in them.
#![allow(dead_code)]

use std::path::PathBuf;

use guardrail_audit::chain::Hash;
use guardrail_audit::{ContentDetails, ContentKind, Entry, Location, Recorder};
use guardrail_core::{Action, Actor, Guard, Policy};

/// A store whose rows a test can change behind the recorder's back.
/// Statements name tables as `{records}`, `{blobs}` and `{checkpoints}`.
pub trait Backend {
    fn location(&self) -> Location;
    fn execute(&mut self, statement: &str);
    fn query_row(&mut self, statement: &str) -> (i64, String, String, String, String);

    /// Time, kind, body and prev of record `seq`.
    fn fields(&mut self, seq: u64) -> (i64, String, String, Hash) {
        let (time, kind, body, prev, _) =
            self.query_row(&format!("SELECT time, kind, body, prev, hash FROM {{records}} WHERE seq = {seq}"));
        (time, kind, body, Hash::from_hex(&prev).unwrap())
    }

    fn hash(&mut self, seq: u64) -> Hash {
        let (_, _, _, _, hash) =
            self.query_row(&format!("SELECT time, kind, body, prev, hash FROM {{records}} WHERE seq = {seq}"));
        Hash::from_hex(&hash).unwrap()
    }
}

pub struct Sqlite {
    path: PathBuf,
    connection: rusqlite::Connection,
}

impl Sqlite {
    pub fn new(path: PathBuf) -> Sqlite {
        // The recorder creates the schema; open after it has, lazily.
        let connection = rusqlite::Connection::open(&path).unwrap();
        Sqlite { path, connection }
    }

    fn sql(statement: &str) -> String {
        statement
            .replace("{records}", "records")
            .replace("{blobs}", "blobs")
            .replace("{checkpoints}", "checkpoints")
            .replace("{some_bytes}", "X'00FF'")
    }
}

impl Backend for Sqlite {
    fn location(&self) -> Location {
        Location::Sqlite(self.path.clone())
    }

    fn execute(&mut self, statement: &str) {
        self.connection.execute_batch(&Sqlite::sql(statement)).unwrap_or_else(|error| panic!("{statement}: {error}"));
    }

    fn query_row(&mut self, statement: &str) -> (i64, String, String, String, String) {
        self.connection
            .query_row(&Sqlite::sql(statement), [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
            })
            .unwrap_or_else(|error| panic!("{statement}: {error}"))
    }
}

/// A database of its own on the test server, dropped afterwards.
pub struct Postgres(guardrail_testdb::TestDatabase);

impl Postgres {
    pub fn new(test: &str) -> Postgres {
        Postgres(guardrail_testdb::TestDatabase::new(&format!("audit_{test}")))
    }

    fn sql(statement: &str) -> String {
        statement
            .replace("{records}", "guardrail_records")
            .replace("{blobs}", "guardrail_blobs")
            .replace("{checkpoints}", "guardrail_checkpoints")
            .replace("{some_bytes}", "'\\x00ff'::bytea")
    }
}

impl Backend for Postgres {
    fn location(&self) -> Location {
        Location::Postgres(self.0.url().to_owned())
    }

    fn execute(&mut self, statement: &str) {
        self.0.client.batch_execute(&Postgres::sql(statement)).unwrap_or_else(|error| panic!("{statement}: {error}"));
    }

    fn query_row(&mut self, statement: &str) -> (i64, String, String, String, String) {
        let row = self
            .0
            .client
            .query_one(&Postgres::sql(statement), &[])
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
    }
}

/// Records events until the chain holds `count`: after the key record
/// that starts every chain (record 1), decisions on SQL naming `users`, and
/// at seq 10 a prompt long enough to be stored as a blob.
pub fn record_some(recorder: &Recorder, count: u64) {
    let guard = Guard::new(Policy::default_policy());
    for seq in 2..=count {
        let entry = if seq == 10 {
            let prompt = format!("clean up the users table {}", "please ".repeat(1000));
            Entry::content(ContentKind::Prompt, &Actor::default(), ContentDetails::default(), &prompt)
        } else {
            let action = Action::sql(format!("DELETE FROM users WHERE id = {seq}"));
            let decision = guard.check(&action);
            Entry::decision(&action, &decision, guard.policy().version())
        };
        let receipt = recorder.record(entry).unwrap();
        assert_eq!(receipt.seq, seq);
    }
}

/// One append of a typical decision; `acknowledge` is told its sequence
/// number and hash once it is durable.
pub fn record_one(recorder: &Recorder, guard: &Guard, acknowledge: impl FnOnce(u64, String)) {
    let action = Action::sql("UPDATE accounts SET balance = balance - 100 WHERE id = 42");
    let decision = guard.check(&action);
    let entry = Entry::decision(&action, &decision, guard.policy().version());
    let receipt = recorder.record(entry).expect("append");
    acknowledge(receipt.seq, receipt.hash.to_hex());
}
