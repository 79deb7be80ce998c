//! The shared store: one PostgreSQL database for several Guardrail nodes,
//! each appending to its own chain. A transaction-scoped advisory lock per
//! node serializes appends to one chain; nodes never wait for each other.

use postgres::{Client, NoTls};

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
        "(kind = 'approval' OR kind = 'decision' AND strpos(body, '\"approval\":\"') > 0)"
    };
}

/// Schema migrations, in order; `guardrail_schema` lists those applied.
/// Never edit one that has shipped: add another.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE guardrail_records (
        id    BIGSERIAL PRIMARY KEY,
        node  TEXT NOT NULL,
        seq   BIGINT NOT NULL,
        time  BIGINT NOT NULL,
        kind  TEXT NOT NULL,
        body  TEXT NOT NULL,
        prev  TEXT NOT NULL,
        hash  TEXT NOT NULL,
        UNIQUE (node, seq)
    );
    CREATE TABLE guardrail_blobs (
        sha256  TEXT PRIMARY KEY,
        content BYTEA NOT NULL
    );
    CREATE TABLE guardrail_checkpoints (
        node      TEXT NOT NULL,
        seq       BIGINT NOT NULL,
        head      TEXT NOT NULL,
        time      BIGINT NOT NULL,
        key       TEXT NOT NULL,
        signature TEXT NOT NULL,
        PRIMARY KEY (node, seq)
    );
",
    "
    ALTER TABLE guardrail_checkpoints ADD COLUMN first BIGINT;
",
    // Approval requests (crate::approval): the request as JSON, with the
    // columns it is found by. Shared by every gate on this store.
    "
    CREATE TABLE guardrail_approvals (
        id             TEXT PRIMARY KEY,
        digest         TEXT NOT NULL,
        policy_version TEXT NOT NULL,
        state          TEXT NOT NULL,
        requested_at   BIGINT NOT NULL,
        body           TEXT NOT NULL
    );
    CREATE INDEX guardrail_approvals_by_action ON guardrail_approvals (digest, policy_version);
    CREATE INDEX guardrail_approvals_by_state ON guardrail_approvals (state, requested_at);
",
    // What an approval rests on, read when it is used (approval records
    // and decisions that used one: `approval_records!`).
    concat!("CREATE INDEX guardrail_records_approvals ON guardrail_records (time) WHERE ", approval_records!(), ";"),
];

/// Advisory lock key space: the migration lock, and one lock per node.
const MIGRATION_LOCK: i64 = 0x6775_6172_6472_6169; // "guardrai"

pub struct PostgresStore {
    client: Client,
}

impl PostgresStore {
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        migrate(&mut client)?;
        Ok(PostgresStore { client })
    }
}

fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut transaction = client.transaction()?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    transaction.batch_execute(
        "CREATE TABLE IF NOT EXISTS guardrail_schema (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let version: i32 = transaction.query_one("SELECT coalesce(max(version), 0) FROM guardrail_schema", &[])?.get(0);
    let version = super::known_schema(version as usize, MIGRATIONS.len())?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        transaction.batch_execute(migration)?;
        transaction.execute("INSERT INTO guardrail_schema (version) VALUES ($1)", &[&(index as i32 + 1)])?;
    }
    transaction.commit()?;
    Ok(())
}

const RECORD_COLUMNS: &str = "node, seq, time, kind, body, prev, hash";

fn record(row: &postgres::Row, first: usize) -> Record {
    Record {
        node: row.get(first),
        seq: row.get::<_, i64>(first + 1) as u64,
        time: row.get(first + 2),
        kind: row.get(first + 3),
        body: row.get(first + 4),
        prev: read_hash(row.get(first + 5)),
        hash: read_hash(row.get(first + 6)),
    }
}

/// A checkpoint from `node, seq, head, time, key, signature, first`.
fn checkpoint(row: &postgres::Row) -> Checkpoint {
    Checkpoint {
        node: row.get(0),
        first: row.get::<_, Option<i64>>(6).map(|first| first as u64),
        seq: row.get::<_, i64>(1) as u64,
        head: read_hash(row.get(2)),
        time: row.get(3),
        key: row.get(4),
        signature: row.get(5),
    }
}

fn insert_checkpoint(client: &mut impl postgres::GenericClient, checkpoint: &Checkpoint) -> Result<(), StoreError> {
    client.execute(
        "INSERT INTO guardrail_checkpoints (node, seq, head, time, key, signature, first)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        &[
            &checkpoint.node,
            &(checkpoint.seq as i64),
            &checkpoint.head.to_hex(),
            &checkpoint.time,
            &checkpoint.key,
            &checkpoint.signature,
            &checkpoint.first.map(|first| first as i64),
        ],
    )?;
    Ok(())
}

fn head(client: &mut impl postgres::GenericClient, node: &str) -> Result<Option<Head>, StoreError> {
    let row = client
        .query_opt("SELECT seq, hash FROM guardrail_records WHERE node = $1 ORDER BY seq DESC LIMIT 1", &[&node])?;
    Ok(row.map(|row| Head { seq: row.get::<_, i64>(0) as u64, hash: read_hash(row.get(1)) }))
}

/// Appends `batch` to `node`'s chain and its checkpoint inside the
/// caller's transaction, under the node's advisory lock (taken here).
fn append_in(
    transaction: &mut postgres::Transaction<'_>,
    node: &str,
    batch: &[Pending],
    seal: Seal<'_>,
    starts_chain: bool,
) -> Result<Option<Appended>, StoreError> {
    transaction.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&node])?;
    let head = head(transaction, node)?;
    if starts_chain && head.is_some() {
        return Ok(None);
    }
    let first = super::first_sealed(head);
    let (mut seq, mut prev) = head.map_or((0, Hash::GENESIS), |head| (head.seq, head.hash));
    let mut heads = Vec::with_capacity(batch.len());
    let (mut blob_hashes, mut blob_contents) = (Vec::new(), Vec::new());
    for pending in batch {
        for blob in &pending.blobs {
            blob_hashes.push(blob.sha256.as_str());
            blob_contents.push(blob.content.as_slice());
        }
        seq += 1;
        let hash = record_hash(node, seq, pending.time, pending.kind, &pending.body, prev);
        heads.push((Head { seq, hash }, prev));
        prev = hash;
    }
    if !blob_hashes.is_empty() {
        transaction.execute(
            "INSERT INTO guardrail_blobs (sha256, content) SELECT * FROM unnest($1::text[], $2::bytea[])
             ON CONFLICT (sha256) DO NOTHING",
            &[&blob_hashes, &blob_contents],
        )?;
    }
    // One round trip for the whole batch.
    let seqs: Vec<i64> = heads.iter().map(|(head, _)| head.seq as i64).collect();
    let times: Vec<i64> = batch.iter().map(|pending| pending.time).collect();
    let kinds: Vec<&str> = batch.iter().map(|pending| pending.kind).collect();
    let bodies: Vec<&str> = batch.iter().map(|pending| pending.body.as_str()).collect();
    let prevs: Vec<String> = heads.iter().map(|(_, prev)| prev.to_hex()).collect();
    let hashes: Vec<String> = heads.iter().map(|(head, _)| head.hash.to_hex()).collect();
    transaction.execute(
        "INSERT INTO guardrail_records (node, seq, time, kind, body, prev, hash)
         SELECT $1, seq, time, kind, body, prev, hash
         FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
              WITH ORDINALITY AS batch(seq, time, kind, body, prev, hash, position)
         ORDER BY position",
        &[&node, &seqs, &times, &kinds, &bodies, &prevs, &hashes],
    )?;
    let Some(&(last, _)) = heads.last() else {
        return Err(StoreError::Io("an empty batch has nothing to seal".into()));
    };
    let checkpoint = seal(first, last);
    insert_checkpoint(transaction, &checkpoint)?;
    Ok(Some((heads.into_iter().map(|(head, _)| head).collect(), checkpoint)))
}

fn approval_rows(
    client: &mut impl postgres::GenericClient,
    sql: &str,
    values: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<Request>, StoreError> {
    client
        .query(sql, values)?
        .iter()
        .map(|row| {
            serde_json::from_str(row.get::<_, &str>(0))
                .map_err(|error| StoreError::Incompatible(format!("an approval request cannot be read: {error}")))
        })
        .collect()
}

/// A change's writes, in the caller's transaction.
struct Writes<'a, 't>(&'a mut postgres::Transaction<'t>);

impl super::ApprovalWrites for Writes<'_, '_> {
    fn append(&mut self, node: &str, batch: &[Pending], seal: Seal<'_>) -> Result<Appended, StoreError> {
        append_in(self.0, node, batch, seal, false)?.ok_or_else(|| StoreError::Io("the record was not appended".into()))
    }

    fn save(&mut self, request: &Request) -> Result<(), StoreError> {
        save_approval(self.0, request)
    }

    fn approval_records(&mut self, since: i64) -> Result<Vec<crate::approval::Recorded>, StoreError> {
        let rows = self.0.query(
            concat!(
                "SELECT kind, body, time FROM guardrail_records WHERE ",
                approval_records!(),
                " AND time >= $1 ORDER BY time"
            ),
            &[&since],
        )?;
        Ok(super::approval_events(
            rows.iter().map(|row| (row.get::<_, String>(0), row.get::<_, String>(1), row.get(2))),
        ))
    }
}

fn save_approval(client: &mut impl postgres::GenericClient, request: &Request) -> Result<(), StoreError> {
    let body = serde_json::to_string(request).expect("requests serialize");
    client.execute(
        "INSERT INTO guardrail_approvals (id, digest, policy_version, state, requested_at, body)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
        &[&request.id, &request.digest, &request.policy_version, &request.state.as_str(), &request.requested_at, &body],
    )?;
    Ok(())
}

impl Store for PostgresStore {
    fn append(
        &mut self,
        node: &str,
        batch: &[Pending],
        seal: Seal<'_>,
        starts_chain: bool,
    ) -> Result<Option<Appended>, StoreError> {
        let mut transaction = self.client.transaction()?;
        let appended = append_in(&mut transaction, node, batch, seal, starts_chain)?;
        if appended.is_some() {
            transaction.commit()?;
        }
        Ok(appended)
    }

    fn seq_range(&mut self, node: &str) -> Result<(u64, i64, i64), StoreError> {
        let row = self.client.query_one(
            "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM guardrail_records WHERE node = $1",
            &[&node],
        )?;
        Ok((row.get::<_, i64>(0) as u64, row.get(1), row.get(2)))
    }

    fn recent(&mut self, node: &str, limit: usize) -> Result<Vec<Record>, StoreError> {
        let rows = self.client.query(
            &format!("SELECT {RECORD_COLUMNS} FROM guardrail_records WHERE node = $1 ORDER BY seq DESC LIMIT $2"),
            &[&node, &(limit as i64)],
        )?;
        Ok(rows.iter().map(|row| record(row, 0)).collect())
    }

    fn head(&mut self, node: &str) -> Result<Option<Head>, StoreError> {
        head(&mut self.client, node)
    }

    fn scan(&mut self, after: i64, limit: usize) -> Result<Vec<Stored>, StoreError> {
        let rows = self.client.query(
            &format!("SELECT id, {RECORD_COLUMNS} FROM guardrail_records WHERE id > $1 ORDER BY id LIMIT $2"),
            &[&after, &(limit as i64)],
        )?;
        Ok(rows.iter().map(|row| Stored { id: row.get(0), record: record(row, 1) }).collect())
    }

    fn last_id(&mut self) -> Result<i64, StoreError> {
        let row = self.client.query_one("SELECT coalesce(max(id), 0)::int8 FROM guardrail_records", &[])?;
        Ok(row.get(0))
    }

    fn chain(&mut self, node: &str, after: u64, limit: usize) -> Result<Vec<Record>, StoreError> {
        let rows = self.client.query(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM guardrail_records WHERE node = $1 AND seq > $2 ORDER BY seq LIMIT $3"
            ),
            &[&node, &(after as i64), &(limit as i64)],
        )?;
        Ok(rows.iter().map(|row| record(row, 0)).collect())
    }

    fn record(&mut self, node: &str, seq: u64) -> Result<Option<Record>, StoreError> {
        let row = self.client.query_opt(
            &format!("SELECT {RECORD_COLUMNS} FROM guardrail_records WHERE node = $1 AND seq = $2"),
            &[&node, &(seq as i64)],
        )?;
        Ok(row.map(|row| record(&row, 0)))
    }

    fn nodes(&mut self) -> Result<Vec<String>, StoreError> {
        let rows = self.client.query(
            "SELECT node FROM guardrail_records UNION SELECT node FROM guardrail_checkpoints ORDER BY node",
            &[],
        )?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn blob(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.client.query_opt("SELECT content FROM guardrail_blobs WHERE sha256 = $1", &[&sha256])?;
        Ok(row.map(|row| row.get(0)))
    }

    fn add_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        insert_checkpoint(&mut self.client, checkpoint)
    }

    fn last_checkpoint(&mut self, node: &str) -> Result<Option<Checkpoint>, StoreError> {
        let row = self.client.query_opt(
            "SELECT node, seq, head, time, key, signature, first FROM guardrail_checkpoints
             WHERE node = $1 ORDER BY seq DESC LIMIT 1",
            &[&node],
        )?;
        Ok(row.as_ref().map(checkpoint))
    }

    fn checkpoints(&mut self, node: Option<&str>) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = self.client.query(
            "SELECT node, seq, head, time, key, signature, first FROM guardrail_checkpoints
             WHERE $1::text IS NULL OR node = $1 ORDER BY node, seq",
            &[&node],
        )?;
        Ok(rows.iter().map(checkpoint).collect())
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
        let mut transaction = self.client.transaction()?;
        // Gates sharing the store change one action's requests one at a
        // time: an advisory lock on the action (opening, consuming), and
        // the rows themselves (a vote by id).
        if let Some((digest, _)) = change.action() {
            transaction.execute("SELECT pg_advisory_xact_lock(hashtextextended('approval:' || $1, 0))", &[&digest])?;
        }
        let rows = match (id, change.action()) {
            (Some(id), _) => approval_rows(
                &mut transaction,
                "SELECT body FROM guardrail_approvals WHERE id = $1 FOR UPDATE",
                &[&id],
            )?,
            (None, Some((digest, policy_version))) => approval_rows(
                &mut transaction,
                "SELECT body FROM guardrail_approvals WHERE digest = $1 AND policy_version = $2 FOR UPDATE",
                &[&digest, &policy_version],
            )?,
            (None, None) => Vec::new(),
        };
        let changed = super::make(rows, id, change, now, node, record, seal, &mut Writes(&mut transaction))?;
        if changed.sealed.is_some() {
            transaction.commit()?;
        }
        Ok(changed)
    }

    fn approval(&mut self, id: &str) -> Result<Option<Request>, StoreError> {
        Ok(approval_rows(&mut self.client, "SELECT body FROM guardrail_approvals WHERE id = $1", &[&id])?.pop())
    }

    fn approvals(&mut self) -> Result<Vec<Request>, StoreError> {
        approval_rows(&mut self.client, "SELECT body FROM guardrail_approvals ORDER BY requested_at DESC", &[])
    }
}
