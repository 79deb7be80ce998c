//! Anchors: witnesses of the record kept outside the data directory.
//!
//! Every checkpoint the recorder signs is handed to each anchor as it is
//! made, before the records it seals are acknowledged. An anchor is only
//! worth something if whoever can write the data directory cannot rewrite
//! it: a file owned by another user or append-only (`chattr +a`), a NATS
//! JetStream stream that denies deletes and purges, a PostgreSQL table on
//! another server that refuses updates and deletes. `audit verify
//! --anchors` reads them back: a record cut, rewritten or wiped no longer
//! matches what they witnessed.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::signing::Checkpoint;

/// The stream checkpoints are witnessed in when a NATS URL names none.
pub const DEFAULT_STREAM: &str = "GUARDRAIL_CHECKPOINTS";
/// The table checkpoints are witnessed in, in a PostgreSQL anchor.
pub const TABLE: &str = "guardrail_anchors";
/// How long an anchor may take to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where checkpoints are witnessed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorSpec {
    /// An append-only file of checkpoints, one JSON object per line.
    File(PathBuf),
    /// A JetStream stream on a NATS server: `nats://HOST:PORT/STREAM`.
    Nats { server: String, stream: String },
    /// The `guardrail_anchors` table of a PostgreSQL database.
    Postgres(String),
}

impl AnchorSpec {
    /// Reads `file:PATH` (or an absolute path), `nats://HOST:PORT[/STREAM]`
    /// or `postgres://...`.
    pub fn parse(text: &str) -> Result<AnchorSpec, String> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("nats://") {
            let (server, stream) = rest.split_once('/').unwrap_or((rest, ""));
            let stream = if stream.is_empty() { DEFAULT_STREAM } else { stream };
            if server.is_empty() || !stream.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(format!(
                    "cannot read {:?} as an anchor: expected nats://HOST:PORT/STREAM",
                    guardrail_core::secret::redact(text, &[])
                ));
            }
            return Ok(AnchorSpec::Nats { server: format!("nats://{server}"), stream: stream.to_owned() });
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(AnchorSpec::Postgres(text.to_owned()));
        }
        let path = text.strip_prefix("file://").or_else(|| text.strip_prefix("file:")).unwrap_or(text);
        if path.starts_with('/') {
            return Ok(AnchorSpec::File(PathBuf::from(path)));
        }
        Err(format!(
            "cannot read {:?} as an anchor: expected file:/ABSOLUTE/PATH, nats://HOST:PORT/STREAM or postgres://...",
            guardrail_core::secret::redact(text, &[])
        ))
    }

    /// Opens the anchor, creating its file, stream or table if needed.
    pub fn open(&self) -> Result<Box<dyn Anchor>, String> {
        let opened: Result<Box<dyn Anchor>, String> = match self {
            AnchorSpec::File(path) => Ok(Box::new(FileAnchor { path: path.clone() })),
            AnchorSpec::Nats { server, stream } => NatsAnchor::open(server, stream).map(|anchor| Box::new(anchor) as _),
            AnchorSpec::Postgres(url) => PostgresAnchor::open(url).map(|anchor| Box::new(anchor) as _),
        };
        opened.map_err(|error| format!("anchor {self}: {error}"))
    }
}

impl std::fmt::Display for AnchorSpec {
    /// The anchor, with any password masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnchorSpec::File(path) => write!(f, "file:{}", path.display()),
            AnchorSpec::Nats { server, stream } => {
                write!(f, "{}/{stream}", guardrail_core::secret::redact(server, &[]))
            }
            AnchorSpec::Postgres(url) => f.write_str(&guardrail_core::secret::redact(url, &[])),
        }
    }
}

/// A witness of checkpoints.
pub trait Anchor: Send {
    /// Keeps `checkpoint`, durably, before returning.
    fn witness(&mut self, checkpoint: &Checkpoint) -> Result<(), String>;
    /// Every checkpoint witnessed, of every node.
    fn read(&mut self) -> Result<Vec<Checkpoint>, String>;
}

struct FileAnchor {
    path: PathBuf,
}

impl Anchor for FileAnchor {
    fn witness(&mut self, checkpoint: &Checkpoint) -> Result<(), String> {
        let mut line = serde_json::to_string(checkpoint).expect("checkpoints serialize");
        line.push('\n');
        let written = (|| {
            let mut file = std::fs::OpenOptions::new().append(true).create(true).open(&self.path)?;
            // One write of the whole line: appends from several processes
            // do not interleave.
            file.write_all(line.as_bytes())?;
            file.sync_data()
        })();
        written.map_err(|error| format!("{}: {error}", self.path.display()))
    }

    fn read(&mut self) -> Result<Vec<Checkpoint>, String> {
        let text = std::fs::read_to_string(&self.path).map_err(|error| format!("{}: {error}", self.path.display()))?;
        let complete = if text.ends_with('\n') { &text[..] } else { &text[..text.rfind('\n').map_or(0, |at| at + 1)] };
        complete
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line)
                    .map_err(|error| format!("{}:{}: not a checkpoint: {error}", self.path.display(), index + 1))
            })
            .collect()
    }
}

/// A JetStream stream that refuses to delete or purge what it holds.
struct NatsAnchor {
    runtime: tokio::runtime::Runtime,
    stream: async_nats::jetstream::stream::Stream,
    jetstream: async_nats::jetstream::Context,
    subject: String,
}

impl NatsAnchor {
    fn open(server: &str, name: &str) -> Result<NatsAnchor, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("cannot start the NATS client: {error}"))?;
        let subject = format!("guardrail.checkpoints.{name}");
        let (jetstream, stream) = runtime.block_on(async {
            let client = async_nats::ConnectOptions::new()
                .connection_timeout(TIMEOUT)
                .name("guardrail")
                .connect(server)
                .await
                .map_err(|error| format!("cannot connect: {error}"))?;
            let mut jetstream = async_nats::jetstream::new(client);
            jetstream.set_timeout(TIMEOUT);
            let stream = match jetstream.get_stream(name).await {
                Ok(stream) => stream,
                Err(error)
                    if matches!(
                        error.kind(),
                        async_nats::jetstream::context::GetStreamErrorKind::JetStream(ref inner)
                            if inner.error_code() == async_nats::jetstream::ErrorCode::STREAM_NOT_FOUND
                    ) =>
                {
                    jetstream
                        .create_stream(async_nats::jetstream::stream::Config {
                            name: name.to_owned(),
                            subjects: vec![subject.clone()],
                            storage: async_nats::jetstream::stream::StorageType::File,
                            deny_delete: true,
                            deny_purge: true,
                            allow_rollup: false,
                            ..Default::default()
                        })
                        .await
                        .map_err(|error| format!("cannot create the stream {name}: {error}"))?
                }
                Err(error) => return Err(format!("cannot read the stream {name}: {error}")),
            };
            Ok::<_, String>((jetstream, stream))
        })?;
        let config = &stream.cached_info().config;
        if !config.deny_delete || !config.deny_purge || config.allow_rollup {
            return Err(format!(
                "the stream {name} lets messages be deleted, purged or rolled up, so it cannot witness anything; \
                 use a stream created with deny_delete and deny_purge (guardrail creates one when it does not exist)"
            ));
        }
        if !config.subjects.iter().any(|pattern| pattern == &subject) {
            return Err(format!("the stream {name} does not take the subject {subject}"));
        }
        Ok(NatsAnchor { runtime, stream, jetstream, subject })
    }
}

impl Anchor for NatsAnchor {
    fn witness(&mut self, checkpoint: &Checkpoint) -> Result<(), String> {
        let payload = serde_json::to_vec(checkpoint).expect("checkpoints serialize");
        self.runtime.block_on(async {
            let ack = self
                .jetstream
                .publish(self.subject.clone(), payload.into())
                .await
                .map_err(|error| format!("cannot publish: {error}"))?;
            ack.await.map_err(|error| format!("the stream did not acknowledge: {error}"))?;
            Ok(())
        })
    }

    fn read(&mut self) -> Result<Vec<Checkpoint>, String> {
        self.runtime.block_on(async {
            let info = self.stream.info().await.map_err(|error| format!("cannot read the stream: {error}"))?;
            let (first, last) = (info.state.first_sequence, info.state.last_sequence);
            let mut checkpoints = Vec::new();
            if info.state.messages == 0 {
                return Ok(checkpoints);
            }
            for sequence in first..=last {
                let message = self
                    .stream
                    .get_raw_message(sequence)
                    .await
                    .map_err(|error| format!("cannot read message {sequence}: {error}"))?;
                let checkpoint = serde_json::from_slice(&message.payload)
                    .map_err(|error| format!("message {sequence} is not a checkpoint: {error}"))?;
                checkpoints.push(checkpoint);
            }
            Ok(checkpoints)
        })
    }
}

/// A table that takes inserts and refuses updates, deletes and truncation.
struct PostgresAnchor {
    client: postgres::Client,
}

impl PostgresAnchor {
    fn open(url: &str) -> Result<PostgresAnchor, String> {
        let error = |error: postgres::Error| crate::store::StoreError::from(error).to_string();
        let mut client = postgres::Client::connect(url, postgres::NoTls).map_err(error)?;
        let exists: bool =
            client.query_one(&format!("SELECT to_regclass('{TABLE}') IS NOT NULL"), &[]).map_err(error)?.get(0);
        if !exists {
            // A witness keeps what it is given: the table refuses to change
            // or lose a row, whoever asks (its owner can still drop the
            // triggers: give the gate a role that may only insert and select).
            client
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {TABLE} (
                         node      TEXT NOT NULL,
                         seq       BIGINT NOT NULL,
                         first     BIGINT,
                         head      TEXT NOT NULL,
                         time      BIGINT NOT NULL,
                         key       TEXT NOT NULL,
                         signature TEXT NOT NULL,
                         witnessed TIMESTAMPTZ NOT NULL DEFAULT now(),
                         PRIMARY KEY (node, seq, key)
                     );
                     CREATE OR REPLACE FUNCTION {TABLE}_keep() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         RAISE EXCEPTION '{TABLE} is a witness: its rows are never changed or removed';
                     END $$;
                     CREATE TRIGGER {TABLE}_keep_rows BEFORE UPDATE OR DELETE ON {TABLE}
                         FOR EACH ROW EXECUTE FUNCTION {TABLE}_keep();
                     CREATE TRIGGER {TABLE}_keep_table BEFORE TRUNCATE ON {TABLE}
                         FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_keep();"
                ))
                .map_err(error)?;
        }
        Ok(PostgresAnchor { client })
    }
}

impl Anchor for PostgresAnchor {
    fn witness(&mut self, checkpoint: &Checkpoint) -> Result<(), String> {
        self.client
            .execute(
                &format!(
                    "INSERT INTO {TABLE} (node, seq, first, head, time, key, signature)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
                ),
                &[
                    &checkpoint.node,
                    &(checkpoint.seq as i64),
                    &checkpoint.first.map(|first| first as i64),
                    &checkpoint.head.to_hex(),
                    &checkpoint.time,
                    &checkpoint.key,
                    &checkpoint.signature,
                ],
            )
            .map_err(|error| crate::store::StoreError::from(error).to_string())?;
        Ok(())
    }

    fn read(&mut self) -> Result<Vec<Checkpoint>, String> {
        let rows = self
            .client
            .query(&format!("SELECT node, seq, first, head, time, key, signature FROM {TABLE} ORDER BY node, seq"), &[])
            .map_err(|error| crate::store::StoreError::from(error).to_string())?;
        Ok(rows
            .iter()
            .map(|row| Checkpoint {
                node: row.get(0),
                seq: row.get::<_, i64>(1) as u64,
                first: row.get::<_, Option<i64>>(2).map(|first| first as u64),
                head: crate::store::read_hash(row.get(3)),
                time: row.get(4),
                key: row.get(5),
                signature: row.get(6),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_read_from_their_addresses() {
        let cases: &[(&str, Option<AnchorSpec>)] = &[
            (
                "file:/var/log/guardrail/anchors.jsonl",
                Some(AnchorSpec::File("/var/log/guardrail/anchors.jsonl".into())),
            ),
            ("/mnt/witness/a.jsonl", Some(AnchorSpec::File("/mnt/witness/a.jsonl".into()))),
            (
                "nats://127.0.0.1:4222/AUDIT",
                Some(AnchorSpec::Nats { server: "nats://127.0.0.1:4222".into(), stream: "AUDIT".into() }),
            ),
            (
                "nats://127.0.0.1:4222",
                Some(AnchorSpec::Nats { server: "nats://127.0.0.1:4222".into(), stream: DEFAULT_STREAM.into() }),
            ),
            ("postgres://w@db2/audit", Some(AnchorSpec::Postgres("postgres://w@db2/audit".into()))),
            ("anchors.jsonl", None),
            ("nats://127.0.0.1:4222/a.b", None),
            ("https://example.com", None),
        ];
        for (text, expected) in cases {
            assert_eq!(AnchorSpec::parse(text).ok(), *expected, "{text}");
        }
        let shown = AnchorSpec::parse("postgres://w:hunter2@db2/audit").unwrap().to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
