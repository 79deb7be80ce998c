//! The embedded store: one SQLite file, WAL mode, `synchronous = FULL`, so
//! that a committed append has been fsync'd.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Appended, Head, Made, Pending, Seal, Store, StoreError, Stored, read_hash};
use crate::approval::{Change, Request, Transition};
use crate::chain::{Hash, Record, record_hash};
use crate::signing::Checkpoint;

/// What says something of approval requests: approval records, and
/// decisions that used an approval. Indexed (partially: appends of other
/// records pay only this test) and queried with this very expression, so
/// that the index serves the query.
macro_rules! approval_records {
    () => {
        "(kind = 'approval' OR kind = 'decision' AND instr(body, '\"approval\":\"') > 0)"
    };
}

/// Schema migrations, in order; `PRAGMA user_version` is how many have run.
/// Never edit one that has shipped: add another.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE records (
        id    INTEGER PRIMARY KEY,
        node  TEXT NOT NULL,
        seq   INTEGER NOT NULL,
        time  INTEGER NOT NULL,
        kind  TEXT NOT NULL,
        body  TEXT NOT NULL,
        prev  TEXT NOT NULL,
        hash  TEXT NOT NULL,
        UNIQUE (node, seq)
    );
    CREATE TABLE blobs (
        sha256  TEXT PRIMARY KEY,
        content BLOB NOT NULL
    );
    CREATE TABLE checkpoints (
        node      TEXT NOT NULL,
        seq       INTEGER NOT NULL,
        head      TEXT NOT NULL,
        time      INTEGER NOT NULL,
        key       TEXT NOT NULL,
        signature TEXT NOT NULL,
        PRIMARY KEY (node, seq)
    );
",
    "
    ALTER TABLE checkpoints ADD COLUMN first INTEGER;
",
    // Approval requests (crate::approval): the request as JSON, with the
    // columns it is found by.
    "
    CREATE TABLE approvals (
        id             TEXT PRIMARY KEY,
        digest         TEXT NOT NULL,
        policy_version TEXT NOT NULL,
        state          TEXT NOT NULL,
        requested_at   INTEGER NOT NULL,
        body           TEXT NOT NULL
    );
    CREATE INDEX approvals_by_action ON approvals (digest, policy_version);
    CREATE INDEX approvals_by_state ON approvals (state, requested_at);
",
    // What an approval rests on, read when it is used (approval records
    // and decisions that used one: `approval_records!`).
    concat!("CREATE INDEX records_approvals ON records (time) WHERE ", approval_records!(), ";"),
];

pub struct SqliteStore {
    connection: Connection,
    /// The checkpoints' `first` column, as a select list item (a record
    /// opened read-only may predate it).
    first: &'static str,
    /// Opened to write: checkpoints its WAL when closed.
    writable: bool,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            crate::data_dir::create_private(parent).map_err(StoreError::Io)?;
        }
        // The record is private to its owner: created 0600 before SQLite
        // opens it (its -wal and -shm files take the same mode).
        #[cfg(unix)]
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            let created = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
            if let Err(error) = created
                && error.kind() != std::io::ErrorKind::AlreadyExists
            {
                return Err(StoreError::Io(format!("cannot create {}: {error}", path.display())));
            }
        }
        let mut connection = Connection::open(path)?;
        // Appends from several processes (hooks are one process per call)
        // wait for each other instead of failing.
        connection.busy_timeout(BUSY_TIMEOUT)?;
        wal_mode(&connection)?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        // SQLite's own checkpoint on closing the last connection takes an
        // exclusive lock to delete the WAL, which processes opening the
        // record at that moment (64 agent hooks at once) meet as "database
        // is locked". Each process checkpoints passively when it closes
        // instead (see `Drop`).
        connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        // A WAL left long (a burst of appends) is cut back once it has been
        // checkpointed: the next process to open the record reads all of a
        // WAL it cannot trust the index of, which a long one makes slow.
        connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        migrate(&mut connection)?;
        Ok(SqliteStore { connection, first: "first", writable: true })
    }

    /// Opens the record to read it, writing nothing, not even its WAL
    /// index: a read-only copy of a data directory can be verified. When
    /// SQLite cannot open it read-only in place (no WAL index and no right
    /// to make one), the file is read as immutable: as of its last WAL
    /// checkpoint, which the recorder makes whenever its process closes.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let readable = |connection: Connection| -> Result<(Connection, usize), rusqlite::Error> {
            let version = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
            Ok((connection, version))
        };
        let (connection, version) = match Connection::open_with_flags(path, flags).and_then(readable) {
            Ok(opened) => opened,
            Err(_) => {
                let uri = format!("file:{}?immutable=1", uri_path(path));
                Connection::open_with_flags(uri, flags).and_then(readable)?
            }
        };
        let version = super::known_schema(version, MIGRATIONS.len())?;
        Ok(SqliteStore { connection, first: if version >= 2 { "first" } else { "NULL" }, writable: false })
    }
}

impl Drop for SqliteStore {
    /// Copies what the WAL holds into the database file, as far as no
    /// reader holds it back, without waiting for anyone: acknowledged
    /// records do not stay in a WAL, where one damaged frame makes SQLite
    /// drop every frame after it on recovery.
    fn drop(&mut self) {
        if self.writable {
            let _ = self.connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            // And when no one else is using the record right now, the WAL is
            // emptied: the next process to open the record then has no WAL
            // to read through. Never waits for anyone.
            if self.connection.busy_timeout(Duration::ZERO).is_ok() {
                let _ = self.connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            }
        }
    }
}

/// A path as the path part of an SQLite `file:` URI.
fn uri_path(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for byte in absolute.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Puts the database in WAL mode. Switching takes an exclusive lock that
/// SQLite does not wait for (no busy handler): processes creating the
/// record at once retry until the first one's switch is done.
fn wal_mode(connection: &Connection) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    loop {
        let mode: String = connection.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
        if mode.eq_ignore_ascii_case("wal") {
            return Ok(());
        }
        match connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == rusqlite::ErrorCode::DatabaseBusy && started.elapsed() < BUSY_TIMEOUT => {}
            Ok(mode) => {
                return Err(StoreError::Io(format!("the record cannot use a write-ahead log (journal mode {mode})")));
            }
            Err(error) => return Err(error.into()),
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The bytes a checkpointed WAL is cut back to.
const WAL_SIZE_LIMIT: i64 = 256 * 1024;

/// How long a writer waits for another process's lock on the record.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    // A record already at this version needs nothing: reading the version
    // takes no write lock and commits nothing, so a short-lived process
    // (an agent hook) pays no extra fsync for opening the store.
    if schema_version(connection)? == MIGRATIONS.len() {
        return Ok(());
    }
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Read again under the write lock: another process may have migrated.
    let version = schema_version(&transaction)?;
    for migration in &MIGRATIONS[version..] {
        transaction.execute_batch(migration)?;
    }
    transaction.pragma_update(None, "user_version", MIGRATIONS.len())?;
    transaction.commit()?;
    Ok(())
}

/// The record's schema version; newer than this guardrail knows is an error.
fn schema_version(connection: &Connection) -> Result<usize, StoreError> {
    let version: usize = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    super::known_schema(version, MIGRATIONS.len())
}

const RECORD_COLUMNS: &str = "node, seq, time, kind, body, prev, hash";

fn record(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Record> {
    Ok(Record {
        node: row.get(first)?,
        seq: row.get::<_, i64>(first + 1)? as u64,
        time: row.get(first + 2)?,
        kind: row.get(first + 3)?,
        body: row.get(first + 4)?,
        prev: read_hash(&row.get::<_, String>(first + 5)?),
        hash: read_hash(&row.get::<_, String>(first + 6)?),
    })
}

fn checkpoint(row: &rusqlite::Row<'_>) -> rusqlite::Result<Checkpoint> {
    Ok(Checkpoint {
        node: row.get(0)?,
        first: row.get::<_, Option<i64>>(6)?.map(|first| first as u64),
        seq: row.get::<_, i64>(1)? as u64,
        head: read_hash(&row.get::<_, String>(2)?),
        time: row.get(3)?,
        key: row.get(4)?,
        signature: row.get(5)?,
    })
}

fn insert_checkpoint(connection: &Connection, checkpoint: &Checkpoint) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT OR IGNORE INTO checkpoints (node, seq, head, time, key, signature, first)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            checkpoint.node,
            checkpoint.seq as i64,
            checkpoint.head.to_hex(),
            checkpoint.time,
            checkpoint.key,
            checkpoint.signature,
            checkpoint.first.map(|first| first as i64)
        ])?;
    Ok(())
}

/// Appends `batch` to `node`'s chain and its checkpoint, inside the
/// caller's transaction (which holds the write lock).
fn append_in(
    transaction: &Connection,
    node: &str,
    batch: &[Pending],
    seal: Seal<'_>,
    starts_chain: bool,
) -> Result<Option<Appended>, StoreError> {
    let head = head(transaction, node)?;
    if starts_chain && head.is_some() {
        return Ok(None);
    }
    let first = super::first_sealed(head);
    let (mut seq, mut prev) = head.map_or((0, Hash::GENESIS), |head| (head.seq, head.hash));
    let mut heads = Vec::with_capacity(batch.len());
    {
        let mut insert_record = transaction.prepare_cached(
            "INSERT INTO records (node, seq, time, kind, body, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut insert_blob =
            transaction.prepare_cached("INSERT OR IGNORE INTO blobs (sha256, content) VALUES (?1, ?2)")?;
        for pending in batch {
            for blob in &pending.blobs {
                insert_blob.execute(params![blob.sha256, blob.content])?;
            }
            seq += 1;
            let hash = record_hash(node, seq, pending.time, pending.kind, &pending.body, prev);
            insert_record.execute(params![
                node,
                seq as i64,
                pending.time,
                pending.kind,
                pending.body,
                prev.to_hex(),
                hash.to_hex()
            ])?;
            prev = hash;
            heads.push(Head { seq, hash });
        }
    }
    let Some(&last) = heads.last() else {
        return Err(StoreError::Io("an empty batch has nothing to seal".into()));
    };
    let checkpoint = seal(first, last);
    insert_checkpoint(transaction, &checkpoint)?;
    Ok(Some((heads, checkpoint)))
}

fn approval_rows(
    connection: &Connection,
    sql: &str,
    values: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Request>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    let bodies = statement.query_map(values, |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    bodies
        .iter()
        .map(|body| {
            serde_json::from_str(body)
                .map_err(|error| StoreError::Incompatible(format!("an approval request cannot be read: {error}")))
        })
        .collect()
}

/// A change's writes, in the caller's transaction.
struct Writes<'t>(&'t Connection);

impl super::ApprovalWrites for Writes<'_> {
    fn append(&mut self, node: &str, batch: &[Pending], seal: Seal<'_>) -> Result<Appended, StoreError> {
        append_in(self.0, node, batch, seal, false)?.ok_or_else(|| StoreError::Io("the record was not appended".into()))
    }

    fn save(&mut self, request: &Request) -> Result<(), StoreError> {
        save_approval(self.0, request)
    }

    fn approval_records(&mut self, since: i64) -> Result<Vec<crate::approval::Recorded>, StoreError> {
        let mut statement = self.0.prepare_cached(concat!(
            // INDEXED BY: an error, never a scan of the whole record, if
            // the index ever stops serving the query.
            "SELECT kind, body, time FROM records INDEXED BY records_approvals WHERE ",
            approval_records!(),
            " AND time >= ?1 ORDER BY time"
        ))?;
        let rows = statement
            .query_map(params![since], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(super::approval_events(rows))
    }
}

fn save_approval(connection: &Connection, request: &Request) -> Result<(), StoreError> {
    let body = serde_json::to_string(request).expect("requests serialize");
    connection
        .prepare_cached(
            "INSERT INTO approvals (id, digest, policy_version, state, requested_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
        )?
        .execute(params![
            request.id,
            request.digest,
            request.policy_version,
            request.state.as_str(),
            request.requested_at,
            body
        ])?;
    Ok(())
}

impl Store for SqliteStore {
    fn append(
        &mut self,
        node: &str,
        batch: &[Pending],
        seal: Seal<'_>,
        starts_chain: bool,
    ) -> Result<Option<Appended>, StoreError> {
        // IMMEDIATE takes the write lock before reading the head, so no
        // other writer can chain onto the same head.
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let appended = append_in(&transaction, node, batch, seal, starts_chain)?;
        if appended.is_some() {
            transaction.commit()?;
        }
        Ok(appended)
    }

    fn seq_range(&mut self, node: &str) -> Result<(u64, i64, i64), StoreError> {
        Ok(self.connection.query_row(
            "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM records WHERE node = ?1",
            params![node],
            |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?, row.get(2)?)),
        )?)
    }

    fn recent(&mut self, node: &str, limit: usize) -> Result<Vec<Record>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE node = ?1 ORDER BY seq DESC LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![node, limit as i64], |row| record(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn head(&mut self, node: &str) -> Result<Option<Head>, StoreError> {
        head(&self.connection, node)
    }

    fn scan(&mut self, after: i64, limit: usize) -> Result<Vec<Stored>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(&format!("SELECT id, {RECORD_COLUMNS} FROM records WHERE id > ?1 ORDER BY id LIMIT ?2"))?;
        let rows = statement
            .query_map(params![after, limit as i64], |row| Ok(Stored { id: row.get(0)?, record: record(row, 1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn last_id(&mut self) -> Result<i64, StoreError> {
        let mut statement = self.connection.prepare_cached("SELECT coalesce(max(id), 0) FROM records")?;
        Ok(statement.query_row([], |row| row.get(0))?)
    }

    fn chain(&mut self, node: &str, after: u64, limit: usize) -> Result<Vec<Record>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE node = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
        ))?;
        let rows = statement.query_map(params![node, after as i64, limit as i64], |row| record(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record(&mut self, node: &str, seq: u64) -> Result<Option<Record>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE node = ?1 AND seq = ?2"))?;
        Ok(statement.query_row(params![node, seq as i64], |row| record(row, 0)).optional()?)
    }

    fn nodes(&mut self) -> Result<Vec<String>, StoreError> {
        let mut statement =
            self.connection.prepare("SELECT node FROM records UNION SELECT node FROM checkpoints ORDER BY node")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn blob(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut statement = self.connection.prepare_cached("SELECT content FROM blobs WHERE sha256 = ?1")?;
        Ok(statement.query_row(params![sha256], |row| row.get(0)).optional()?)
    }

    fn add_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        Ok(insert_checkpoint(&self.connection, checkpoint)?)
    }

    fn last_checkpoint(&mut self, node: &str) -> Result<Option<Checkpoint>, StoreError> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT node, seq, head, time, key, signature, {} FROM checkpoints WHERE node = ?1 ORDER BY seq DESC LIMIT 1",
            self.first
        ))?;
        Ok(statement.query_row(params![node], checkpoint).optional()?)
    }

    fn checkpoints(&mut self, node: Option<&str>) -> Result<Vec<Checkpoint>, StoreError> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT node, seq, head, time, key, signature, {} FROM checkpoints
             WHERE ?1 IS NULL OR node = ?1 ORDER BY node, seq",
            self.first
        ))?;
        let rows = statement.query_map(params![node], checkpoint)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn change_approval(
        &mut self,
        node: &str,
        id: Option<&str>,
        change: &Change,
        now: i64,
        record: &mut dyn FnMut(&Request, Transition) -> Pending,
        seal: Seal<'_>,
    ) -> Result<Made, StoreError> {
        // The write lock first: no other gate changes the request meanwhile.
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows = match (id, change.action()) {
            (Some(id), _) => approval_rows(&transaction, "SELECT body FROM approvals WHERE id = ?1", &[&id])?,
            (None, Some((digest, policy_version))) => approval_rows(
                &transaction,
                "SELECT body FROM approvals WHERE digest = ?1 AND policy_version = ?2",
                &[&digest, &policy_version],
            )?,
            (None, None) => Vec::new(),
        };
        let changed = super::make(rows, id, change, now, node, record, seal, &mut Writes(&transaction))?;
        if changed.sealed.is_some() {
            transaction.commit()?;
        }
        Ok(changed)
    }

    fn approval(&mut self, id: &str) -> Result<Option<Request>, StoreError> {
        Ok(approval_rows(&self.connection, "SELECT body FROM approvals WHERE id = ?1", &[&id])?.pop())
    }

    fn approvals(&mut self) -> Result<Vec<Request>, StoreError> {
        approval_rows(&self.connection, "SELECT body FROM approvals ORDER BY requested_at DESC", &[])
    }
}

fn head(connection: &Connection, node: &str) -> Result<Option<Head>, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT seq, hash FROM records WHERE node = ?1 ORDER BY seq DESC LIMIT 1")?;
    Ok(statement
        .query_row(params![node], |row| {
            Ok(Head { seq: row.get::<_, i64>(0)? as u64, hash: read_hash(&row.get::<_, String>(1)?) })
        })
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(path: &Path) -> usize {
        Connection::open(path).unwrap().pragma_query_value(None, "user_version", |row| row.get(0)).unwrap()
    }

    #[test]
    fn opening_creates_the_schema_once_and_reopening_keeps_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("record.sqlite3");
        let mut store = SqliteStore::open(&path).unwrap();
        let pending = Pending { time: 1, kind: "test", body: "{}".into(), blobs: Vec::new() };
        let signer = crate::CheckpointSigner::generate().unwrap();
        let seal = |first, head: Head| signer.sign("node", first, head.seq, head.hash, 1);
        store.append("node", std::slice::from_ref(&pending), &seal, false).unwrap();
        drop(store);
        assert_eq!(version(&path), MIGRATIONS.len());
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(head(&store.connection, "node").unwrap().map(|head| head.seq), Some(1));
        let (_, checkpoint) = store.append("node", &[pending], &seal, false).unwrap().unwrap();
        assert_eq!(head(&store.connection, "node").unwrap().map(|head| head.seq), Some(2));
        assert_eq!((checkpoint.first, checkpoint.seq), (Some(2), 2));
        assert_eq!(store.checkpoints(Some("node")).unwrap().len(), 2, "every batch is sealed as it commits");
    }

    #[test]
    fn a_record_from_a_newer_guardrail_is_refused_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("record.sqlite3");
        drop(SqliteStore::open(&path).unwrap());
        let newer = MIGRATIONS.len() + 1;
        Connection::open(&path).unwrap().pragma_update(None, "user_version", newer).unwrap();
        let error = SqliteStore::open(&path).err().expect("a newer schema is refused");
        assert!(matches!(error, StoreError::Incompatible(_)), "{error}");
        assert!(error.to_string().contains("upgrade guardrail"), "{error}");
        assert_eq!(version(&path), newer);
    }
}
