//! Where records live: SQLite in a data directory (the default), or a
//! PostgreSQL database shared by several nodes.
//!
//! A store only keeps what it is given and hands it back. Chaining happens
//! inside [`Store::append`], under the store's lock for the node, so two
//! processes appending to one node's chain cannot fork it.

mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};

pub use self::postgres::PostgresStore;
pub use self::sqlite::SqliteStore;
use crate::approval::{self, Change, Refused, State, Transition};
use crate::chain::{Hash, Record};
use crate::event::Blob;
use crate::signing::Checkpoint;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Postgres(String),
    #[error("{0}")]
    Io(String),
    /// The store holds something this version cannot read.
    #[error("{0}")]
    Incompatible(String),
}

/// Refuses a record whose schema `version` is newer than the `known`
/// migrations of this guardrail: it could not read what it holds.
fn known_schema(version: usize, known: usize) -> Result<usize, StoreError> {
    if version > known {
        return Err(StoreError::Incompatible(format!(
            "the record's schema is version {version}, newer than this guardrail knows ({known}); upgrade guardrail"
        )));
    }
    Ok(version)
}

impl From<::postgres::Error> for StoreError {
    /// The server's own message, which the error's `Display` leaves out.
    fn from(error: ::postgres::Error) -> StoreError {
        StoreError::Postgres(match error.as_db_error() {
            Some(db) => match db.detail() {
                Some(detail) => format!("{}: {} ({detail})", db.severity(), db.message()),
                None => format!("{}: {}", db.severity(), db.message()),
            },
            None => error.to_string(),
        })
    }
}

/// The head of a node's chain: its last record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
}

/// One record to append, before it is chained.
#[derive(Clone, Debug)]
pub struct Pending {
    pub time: i64,
    pub kind: &'static str,
    pub body: String,
    pub blobs: Vec<Blob>,
}

/// A record with its place in the store's order of arrival (across nodes).
#[derive(Clone, Debug)]
pub struct Stored {
    pub id: i64,
    pub record: Record,
}

/// A batch's records, as appended, and the checkpoint sealing them.
pub type Appended = (Vec<Head>, Checkpoint);

/// Signs a batch as it is appended: given the first record the batch
/// seals and the chain's new head, the checkpoint to store with it.
pub type Seal<'a> = &'a dyn Fn(u64, Head) -> Checkpoint;

pub trait Store: Send {
    /// Appends `batch` to `node`'s chain and `seal`'s checkpoint of it in
    /// one durable transaction, and returns each record's sequence number
    /// and hash, in order, with the checkpoint. Either all are stored or
    /// none: no record is ever acknowledged unsigned. With `starts_chain`,
    /// the batch is appended only as the chain's first records: when the
    /// chain has any, nothing is appended and the answer is `None`.
    fn append(
        &mut self,
        node: &str,
        batch: &[Pending],
        seal: Seal<'_>,
        starts_chain: bool,
    ) -> Result<Option<Appended>, StoreError>;

    /// How many records `node` has, and its lowest and highest sequence
    /// numbers (as stored, which a tampered store may make anything).
    fn seq_range(&mut self, node: &str) -> Result<(u64, i64, i64), StoreError>;

    /// `node`'s latest `limit` records, newest first.
    fn recent(&mut self, node: &str, limit: usize) -> Result<Vec<Record>, StoreError>;

    fn head(&mut self, node: &str) -> Result<Option<Head>, StoreError>;

    /// Records in order of arrival, after store id `after`, at most `limit`.
    fn scan(&mut self, after: i64, limit: usize) -> Result<Vec<Stored>, StoreError>;

    /// The store id of the record stored last (0 when there is none): what
    /// a reader compares to learn that the record grew.
    fn last_id(&mut self) -> Result<i64, StoreError>;

    /// `node`'s records in chain order, after sequence number `after`, at most `limit`.
    fn chain(&mut self, node: &str, after: u64, limit: usize) -> Result<Vec<Record>, StoreError>;

    fn record(&mut self, node: &str, seq: u64) -> Result<Option<Record>, StoreError>;

    /// Every node that has written a record or a checkpoint.
    fn nodes(&mut self) -> Result<Vec<String>, StoreError>;

    fn blob(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;

    fn add_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), StoreError>;

    /// The node's latest checkpoint (one read, however long the record).
    fn last_checkpoint(&mut self, node: &str) -> Result<Option<Checkpoint>, StoreError>;

    /// The node's checkpoints in sequence order (every node's when `None`).
    fn checkpoints(&mut self, node: Option<&str>) -> Result<Vec<Checkpoint>, StoreError>;

    /// Applies `change` at `now` to an approval request and appends the
    /// record `record` makes of the result, sealed by `seal`, in one
    /// transaction: both or neither. The request is `Open`'s own, the one
    /// named `id`, or for `Consume` without an id the oldest usable
    /// approval of the same digest and policy version. Opening a request
    /// for an action that already has one pending returns that one and
    /// appends nothing. A change the rules refuse changes nothing, and says
    /// why. Requests among those read whose clock ran out are recorded as
    /// expired in the same batch, whatever becomes of the change; the
    /// answer carries the batch's checkpoint whenever anything was written.
    fn change_approval(
        &mut self,
        node: &str,
        id: Option<&str>,
        change: &Change,
        now: i64,
        record: &mut dyn FnMut(&approval::Request, Transition) -> Pending,
        seal: Seal<'_>,
    ) -> Result<Made, StoreError>;

    /// One approval request.
    fn approval(&mut self, id: &str) -> Result<Option<approval::Request>, StoreError>;

    /// Every approval request, newest first, as stored (a stored state lags
    /// the clock: see [`approval::as_of`]).
    fn approvals(&mut self) -> Result<Vec<approval::Request>, StoreError>;
}

/// What a change made: the request after it, and, when it appended its
/// record, the transition and the record's place.
#[derive(Clone, Debug)]
pub struct Changed {
    pub request: approval::Request,
    pub made: Option<(Transition, Head)>,
}

/// What [`Store::change_approval`] did: the change (or why not), and the
/// checkpoint sealing what it wrote (the change's record, and any expiries
/// found on the way), when it wrote anything.
#[derive(Debug)]
pub struct Made {
    pub changed: Result<Changed, Refused>,
    pub sealed: Option<Checkpoint>,
}

/// What a change comes to, given the store's `rows` (requests as stored,
/// read under the store's lock): the request already waiting for the same
/// action (`Open` without an id), or the request after the change.
pub(crate) enum Step {
    Waiting(approval::Request),
    Made(approval::Request, Transition),
}

/// The request a change applies to (its own for `Open`, by id, or the
/// approval `Consume` may use), and the change applied to it.
pub(crate) fn step(rows: Vec<approval::Request>, id: Option<&str>, change: &Change, now: i64) -> Result<Step, Refused> {
    let current = match (id, change) {
        (Some(id), _) => rows.into_iter().find(|request| request.id == id),
        // The same action waiting already, or denied while its request
        // would still wait: a denial stands until then (asking again at
        // once does not reach the inbox again).
        (None, Change::Open(new)) => rows.into_iter().find(|request| {
            let state = request.state_at(now);
            (state == State::Pending || state == State::Denied && now < request.wait_until)
                && request.actor == new.actor
                && request.target == new.target
        }),
        (None, Change::Consume { .. }) => rows
            .into_iter()
            .filter(|request| request.state_at(now) == State::Approved)
            .min_by_key(|request| request.requested_at),
        (None, _) => None,
    };
    let (request, transition) = match (current, change) {
        // The action waits already (or was denied): that request, nothing new.
        (Some(existing), Change::Open(_)) if id.is_none() => return Ok(Step::Waiting(existing)),
        (None, Change::Open(_)) => approval::apply(None, change, now)?,
        (None, Change::Consume { .. }) if id.is_none() => return Err(Refused::NoApproval),
        (None, _) => return Err(Refused::Unknown(id.unwrap_or_default().to_owned())),
        (Some(current), _) => approval::apply(Some(&current), change, now)?,
    };
    Ok(Step::Made(request, transition))
}

/// How a store writes a change inside its transaction.
pub(crate) trait ApprovalWrites {
    /// Appends records to `node`'s chain, sealed by one checkpoint.
    fn append(&mut self, node: &str, batch: &[Pending], seal: Seal<'_>) -> Result<Appended, StoreError>;
    /// Stores the request as changed.
    fn save(&mut self, request: &approval::Request) -> Result<(), StoreError>;
    /// What the records stored since `since` (nanoseconds), of any node,
    /// say of approval requests: approval records, and decisions that used
    /// an approval. Both stores keep a partial index of exactly these
    /// (appends of other records pay nothing but its test).
    fn approval_records(&mut self, since: i64) -> Result<Vec<approval::Recorded>, StoreError>;
}

/// How far apart two gates' clocks may be: an approval's records are
/// looked for from this long before its request was opened.
const CLOCK_SKEW_NS: i64 = 10 * 60 * 1_000_000_000;

/// What stored `(kind, body, time)` rows say of approval requests.
pub(crate) fn approval_events(rows: impl IntoIterator<Item = (String, String, i64)>) -> Vec<approval::Recorded> {
    rows.into_iter().filter_map(|(kind, body, time)| approval::Recorded::of(&kind, &body, time)).collect()
}

/// The change `change` to the request found in `rows` (read under the
/// store's lock), written with its record through `writes`: the one path
/// every store takes. One batch under one checkpoint: the expiries found on
/// the way, then the change's record. The caller commits when it is sealed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn make(
    mut rows: Vec<approval::Request>,
    id: Option<&str>,
    change: &Change,
    now: i64,
    node: &str,
    record: &mut dyn FnMut(&approval::Request, Transition) -> Pending,
    seal: Seal<'_>,
    writes: &mut dyn ApprovalWrites,
) -> Result<Made, StoreError> {
    // Requests whose clock ran out are recorded as expired, whatever the
    // change: the record says when a request stopped counting.
    let mut batch = Vec::new();
    let mut changed = Vec::new();
    for row in rows.iter_mut().filter(|row| !row.state.is_final() && row.state_at(now) == State::Expired) {
        let (request, transition) = approval::apply(Some(row), &Change::Expire, now)
            .map_err(|refused| StoreError::Io(format!("expiring {}: {refused}", row.id)))?;
        batch.push(record(&request, transition));
        changed.push(request.clone());
        *row = request;
    }
    let mut outcome = step(rows, id, change, now);
    // An approval is used only on what the signed record says of it.
    if let Ok(Step::Made(request, Transition::Consumed)) = &outcome {
        let recorded = writes.approval_records(request.requested_at.saturating_sub(CLOCK_SKEW_NS))?;
        if let Err(refused) = approval::in_record(request, &recorded, now) {
            outcome = Err(refused);
        }
    }
    if let Ok(Step::Made(request, transition)) = &outcome {
        batch.push(record(request, *transition));
    }
    let appended = if batch.is_empty() { None } else { Some(writes.append(node, &batch, seal)?) };
    let result = match outcome {
        Ok(Step::Made(mut request, transition)) => {
            let (heads, _) = appended.as_ref().expect("a change made has its record in the batch");
            let head = *heads.last().expect("the change's record is the batch's last");
            if transition == Transition::Consumed {
                request.consumed_by = Some(head.seq);
            }
            changed.push(request.clone());
            Ok(Changed { request, made: Some((transition, head)) })
        }
        Ok(Step::Waiting(request)) => Ok(Changed { request, made: None }),
        Err(refused) => Err(refused),
    };
    for request in &changed {
        writes.save(request)?;
    }
    Ok(Made { changed: result, sealed: appended.map(|(_, checkpoint)| checkpoint) })
}

impl Change {
    /// The action (digest, policy version) a change reaches without an id:
    /// opening a request, or using an approval.
    pub(crate) fn action(&self) -> Option<(&str, &str)> {
        match self {
            Change::Open(request) => Some((&request.digest, &request.policy_version)),
            Change::Consume { digest, policy_version } => Some((digest, policy_version)),
            _ => None,
        }
    }
}

/// Which store to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://...`).
    Postgres(String),
}

impl Location {
    /// The file name of the embedded store inside a data directory.
    pub const SQLITE_FILE: &'static str = "record.sqlite3";

    /// Reads `postgres://...`, `postgresql://...`, `sqlite:PATH`, or a path
    /// to an SQLite file.
    pub fn parse(text: &str) -> Result<Location, String> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Location::Postgres(text.to_owned()));
        }
        let path = text.strip_prefix("sqlite://").or_else(|| text.strip_prefix("sqlite:")).unwrap_or(text);
        if path.is_empty() || text.contains("://") && !text.starts_with("sqlite:") {
            return Err(format!(
                "cannot read {:?} as a store: expected postgres://..., sqlite:PATH or a file path",
                guardrail_core::secret::redact(text, &[])
            ));
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    /// The embedded store of a data directory.
    pub fn in_data_dir(dir: &Path) -> Location {
        Location::Sqlite(dir.join(Location::SQLITE_FILE))
    }

    /// Opens (creating and migrating if needed) the store.
    pub fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            Location::Sqlite(path) => Box::new(SqliteStore::open(path)?),
            Location::Postgres(url) => Box::new(PostgresStore::open(url)?),
        })
    }

    /// Opens the store to read it, changing nothing: an embedded record
    /// can be read from a read-only copy of a data directory.
    pub fn open_read_only(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            Location::Sqlite(path) => Box::new(SqliteStore::open_read_only(path)?),
            Location::Postgres(url) => Box::new(PostgresStore::open(url)?),
        })
    }
}

impl std::fmt::Display for Location {
    /// The location with any password masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&guardrail_core::secret::redact(url, &[])),
        }
    }
}

/// The first record a new batch seals, after `head`: the next one, always.
/// (A batch never vouches for records it did not write; an old record's
/// unsealed tail is sealed once, by the recorder, after it has checked the
/// old checkpoint: `Recorder::open`.)
pub(crate) fn first_sealed(head: Option<Head>) -> u64 {
    head.map_or(1, |head| head.seq + 1)
}

/// Parses a stored hash column; a malformed one reads as a hash nothing
/// matches, so verification reports the record instead of failing to read.
pub(crate) fn read_hash(text: &str) -> Hash {
    Hash::from_hex(text).unwrap_or(Hash([0xff; 32]))
}
