//! The recorder: appends events durably, many callers at once, with group
//! commit.
//!
//! Callers hand events to one writer thread and wait. The writer takes
//! every event waiting, appends them in one transaction (one fsync), then
//! answers each caller with its [`Receipt`]. Under load, batches grow by
//! themselves: while one commit is in flight, the next batch queues.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::anchor::{Anchor, AnchorSpec};
use crate::approval::{Change, Refused, Request, Transition};
use crate::chain::Hash;
use crate::event::{
    ApprovalEvent, Blob, ContentEvent, DecisionEvent, Event, KeyEvent, OutcomeEvent, RecordedActor, SessionEvent, Text,
    masked,
};
use crate::signing::{self, Checkpoint, CheckpointSigner};
use crate::store::{Head, Location, Pending, Store};

/// Proof that an event is in the record, durably: only the recorder makes
/// one, after the transaction holding the event has committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub node: String,
    pub seq: u64,
    pub hash: Hash,
}

/// The record could not be written; whatever asked for it must not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The store, the key or an anchor failed; the message says which.
    #[error("cannot write the activity record: {0}")]
    Failed(String),
    /// Too many appends are waiting to be written; this one was not taken.
    #[error("cannot write the activity record: the recorder is overloaded ({0} appends waiting); try again")]
    Overloaded(usize),
    /// The recorder's writer is gone.
    #[error("cannot write the activity record: the recorder has stopped")]
    Stopped,
}

/// An event and the large texts it refers to, ready to record.
#[derive(Clone, Debug)]
pub struct Entry {
    pub event: Event,
    pub blobs: Vec<Blob>,
}

/// The kinds of free-standing content events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentKind {
    Prompt,
    Response,
    ToolOutput,
}

impl Entry {
    /// The size of the record's body; what preparing a record costs, without
    /// appending it (for measurements).
    pub fn encoded_len(&self) -> usize {
        self.event.encode(Vec::new()).body.len()
    }

    /// The gate's decision on an action; texts masked.
    pub fn decision(
        action: &guardrail_core::Action,
        decision: &guardrail_core::Decision,
        policy_version: &str,
    ) -> Entry {
        let mut blobs = Vec::new();
        let event = DecisionEvent::new(action, decision, policy_version, &mut blobs);
        Entry { event: Event::Decision(Box::new(event)), blobs }
    }

    /// The gate's decision on an action that already ran, with what
    /// happened: one record, written after the fact.
    pub fn decision_ran(
        action: &guardrail_core::Action,
        decision: &guardrail_core::Decision,
        policy_version: &str,
        outcome: OutcomeEvent,
    ) -> Entry {
        let mut blobs = Vec::new();
        let mut event = DecisionEvent::new(action, decision, policy_version, &mut blobs);
        event.outcome = Some(OutcomeEvent { decision: 0, ..outcome.masked() });
        Entry { event: Event::Decision(Box::new(event)), blobs }
    }

    /// A session started, ended or was refused; every field masked.
    pub fn session(event: SessionEvent) -> Entry {
        let event = SessionEvent {
            actor: event.actor.masked(),
            channel: masked(&event.channel),
            session: masked(&event.session),
            target: masked(&event.target),
            detail: event.detail.as_deref().map(masked),
            ..event
        };
        Entry { event: Event::Session(event), blobs: Vec::new() }
    }

    /// Who may reach the daemon changed; names masked.
    pub fn identity(event: crate::event::IdentityEvent) -> Entry {
        let event = crate::event::IdentityEvent { actor: event.actor.masked(), ..event };
        Entry { event: Event::Identity(event), blobs: Vec::new() }
    }

    /// What happened when the action of decision record `outcome.decision` ran.
    pub fn outcome(outcome: OutcomeEvent) -> Entry {
        Entry { event: Event::Outcome(outcome.masked()), blobs: Vec::new() }
    }

    /// A prompt, response or tool output; `content` is masked here.
    pub fn content(kind: ContentKind, actor: &guardrail_core::Actor, details: ContentDetails, content: &str) -> Entry {
        let mut blobs = Vec::new();
        let event = ContentEvent {
            actor: RecordedActor::from(actor),
            channel: masked(&details.channel),
            session: details.session.as_deref().map(masked),
            prompt: details.prompt.as_deref().map(masked),
            tool: details.tool.as_deref().map(masked),
            content: Text::keep(masked(content), &mut blobs),
        };
        let event = match kind {
            ContentKind::Prompt => Event::Prompt(event),
            ContentKind::Response => Event::Response(event),
            ContentKind::ToolOutput => Event::ToolOutput(event),
        };
        Entry { event, blobs }
    }
}

/// Where a content event came from.
#[derive(Clone, Debug, Default)]
pub struct ContentDetails {
    pub channel: String,
    pub session: Option<String>,
    pub prompt: Option<String>,
    pub tool: Option<String>,
}

/// How to open a recorder.
#[derive(Clone, Debug)]
pub struct RecorderConfig {
    pub location: Location,
    /// This node's id; its chain is its own.
    pub node: String,
    /// Where the signing key is (created with the node's first record).
    pub key_dir: PathBuf,
    /// Witnesses every checkpoint is handed to before its records are
    /// acknowledged.
    pub anchors: Vec<AnchorSpec>,
    /// The most events one transaction takes.
    pub max_batch: usize,
    /// The most appends waiting to be written; past it an append is
    /// refused as [`RecordError::Overloaded`].
    pub max_pending: usize,
    /// The signing key is lost for good: start a new one, and record that
    /// it replaces the lost one without its endorsement (which `verify`
    /// reports). Without this, a missing key where checkpoints exist is an
    /// error.
    pub replace_lost_key: bool,
}

impl RecorderConfig {
    pub fn new(location: Location, node: String, key_dir: PathBuf) -> RecorderConfig {
        RecorderConfig {
            location,
            node,
            key_dir,
            anchors: Vec::new(),
            max_batch: 1024,
            max_pending: 65_536,
            replace_lost_key: false,
        }
    }
}

/// The data directory's note of the chains it has recorded (node and
/// store), so that a store emptied behind its back is noticed.
struct Started {
    path: PathBuf,
    line: String,
}

impl Started {
    const FILE: &'static str = "chains.started";

    fn new(config: &RecorderConfig) -> Started {
        Started { path: config.key_dir.join(Started::FILE), line: format!("{}\t{}", config.node, config.location) }
    }

    fn recorded(&self) -> bool {
        std::fs::read_to_string(&self.path).is_ok_and(|text| text.lines().any(|line| line == self.line))
    }

    /// Notes the chain, once.
    fn mark(&self) -> Result<(), String> {
        if self.recorded() {
            return Ok(());
        }
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.path).map_err(|error| format!("{}: {error}", self.path.display()))?;
        std::io::Write::write_all(&mut file, format!("{}\n", self.line).as_bytes())
            .map_err(|error| format!("{}: {error}", self.path.display()))
    }
}

/// The file a new key is written to while a rotation is under way.
const NEXT_KEY_FILE: &str = "signing.key.next";

enum Job {
    /// An append nobody lets wait (lazy ones are in the shared buffer).
    Append(Pending, Reply),
    /// Commit what is waiting now, lazy or not.
    Flush,
    /// Lazy appends wait in the shared buffer (sent once per batch of
    /// them, so that each lazy append does not wake the writer).
    LazyWaiting,
    Checkpoint(mpsc::SyncSender<Result<Option<Checkpoint>, RecordError>>),
    Rotate(mpsc::SyncSender<Result<Receipt, RecordError>>),
    /// A change to an approval request, in a transaction of its own with
    /// the record it makes.
    Approval {
        id: Option<String>,
        change: Change,
        record: ApprovalRecord,
        reply: ApprovalReply,
    },
}

/// Makes the record of an approval request's change, from the request as
/// changed.
pub type ApprovalRecord = Box<dyn FnMut(&Request, Transition) -> Entry + Send>;
type ApprovalReply = tokio::sync::oneshot::Sender<Result<ApprovalChanged, ApprovalError>>;

/// Why a change to an approval request was not made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// The rules refuse it (who, when, what state); nothing was written.
    #[error("{0}")]
    Refused(#[from] Refused),
    #[error("{0}")]
    Record(#[from] RecordError),
}

/// A change made: the request after it, and (unless it was already
/// waiting) what happened and where it is recorded.
#[derive(Clone, Debug)]
pub struct ApprovalChanged {
    pub request: Request,
    pub transition: Option<Transition>,
    pub receipt: Option<Receipt>,
}

/// A change to an approval request in flight.
#[must_use = "a change is made only once its ticket says so"]
pub struct ApprovalTicket(tokio::sync::oneshot::Receiver<Result<ApprovalChanged, ApprovalError>>);

impl ApprovalTicket {
    /// Waits for the change, blocking the thread (`.await` it on a runtime).
    pub fn wait(self) -> Result<ApprovalChanged, ApprovalError> {
        self.0.blocking_recv().map_err(|_| ApprovalError::Record(stopped()))?
    }
}

impl std::future::IntoFuture for ApprovalTicket {
    type Output = Result<ApprovalChanged, ApprovalError>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.0.await.map_err(|_| ApprovalError::Record(stopped()))? })
    }
}

/// Appends events to the activity record. Share it (`&Recorder` is enough):
/// concurrent callers are what group commit feeds on.
pub struct Recorder {
    /// Lazy appends, taken by the writer with its next batch.
    lazy: Arc<Mutex<Vec<(Pending, Reply)>>>,
    node: String,
    public_key: String,
    sender: Option<mpsc::SyncSender<Job>>,
    writer: Option<JoinHandle<()>>,
    /// How many appends may wait.
    capacity: usize,
    /// Where the record is, for readers beside the writer.
    location: crate::Location,
}

impl Recorder {
    /// Opens the store (creating and migrating it), the signing key and
    /// the anchors, and starts the writer. Fails, rather than recording
    /// unsigned or unwitnessed, when any of them cannot be opened, when the
    /// key is missing but the record holds checkpoints signed with one, or
    /// when the key is not the one the node's record is signed with.
    pub fn open(config: RecorderConfig) -> Result<Recorder, RecordError> {
        // The store, the key and the anchors are opened on the writer's own
        // thread: their clients may block (or start a runtime of their
        // own), which must not happen on a caller's async runtime thread.
        let (sender, receiver) = mpsc::sync_channel(config.max_pending.max(1));
        let (ready, started) = mpsc::sync_channel(1);
        let (node, capacity) = (config.node.clone(), config.max_pending.max(1));
        let location = config.location.clone();
        let lazy: Arc<Mutex<Vec<(Pending, Reply)>>> = Arc::default();
        let taken = Arc::clone(&lazy);
        let thread = std::thread::Builder::new()
            .name("guardrail-recorder".into())
            .spawn(move || match Writer::start(config) {
                Ok(mut writer) => {
                    let _ = ready.send(Ok(writer.signer.public_key()));
                    writer.run(receiver, &taken);
                    // Lazy appends left when the recorder is dropped are
                    // answered: the record has stopped.
                    for (_, reply) in taken.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).drain(..) {
                        let _ = reply.send(Err(RecordError::Stopped));
                    }
                }
                Err(error) => {
                    let _ = ready.send(Err(error));
                }
            })
            .map_err(|error| RecordError::Failed(format!("cannot start the recorder: {error}")))?;
        let public_key = match started.recv() {
            Ok(Ok(public_key)) => public_key,
            Ok(Err(error)) => {
                let _ = thread.join();
                return Err(error);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(RecordError::Stopped);
            }
        };
        Ok(Recorder { lazy, node, public_key, sender: Some(sender), writer: Some(thread), capacity, location })
    }

    /// Where the record is (to read it; only the recorder writes).
    pub fn location(&self) -> &crate::Location {
        &self.location
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// The public key this recorder signs with, hex.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Appends one entry and returns once it is durable.
    pub fn record(&self, entry: Entry) -> Result<Receipt, RecordError> {
        self.submit(entry)?.wait()
    }

    /// Hands one entry to the writer and returns at once; the [`Ticket`]
    /// yields the receipt once the entry is durable. One caller can keep
    /// many appends in flight (a proxy with many sessions on few threads).
    pub fn submit(&self, entry: Entry) -> Result<Ticket, RecordError> {
        self.enqueue(entry, false)
    }

    /// Like [`Recorder::submit`], for an entry nobody waits on before
    /// acting (what already happened: a read that ran, an outcome): the
    /// writer may hold a batch of such entries up to [`LAZY_WINDOW`] for
    /// more to share its commit (one fsync, one signature), unless an
    /// ordinary append arrives meanwhile.
    pub fn submit_lazy(&self, entry: Entry) -> Result<Ticket, RecordError> {
        self.enqueue(entry, true)
    }

    /// Has the writer commit what waits now, without holding lazy appends
    /// for company: for a caller about to wait on lazy appends. Best
    /// effort: a full queue is already being written.
    pub fn flush(&self) {
        if let Some(sender) = &self.sender {
            let _ = sender.try_send(Job::Flush);
        }
    }

    fn enqueue(&self, entry: Entry, lazy: bool) -> Result<Ticket, RecordError> {
        let encoded = entry.event.encode(entry.blobs);
        let pending = Pending { time: 0, kind: encoded.kind, body: encoded.body, blobs: encoded.blobs };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sender = self.sender.as_ref().ok_or_else(stopped)?;
        if lazy {
            let first = {
                let mut waiting = self.lazy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if waiting.len() >= self.capacity {
                    return Err(RecordError::Overloaded(self.capacity));
                }
                waiting.push((pending, reply));
                waiting.len() == 1
            };
            // The first lazy append of a batch wakes the writer; the rest
            // join it. A full queue needs no wake: the writer takes the
            // lazy appends with every batch.
            if first && let Err(mpsc::TrySendError::Disconnected(_)) = sender.try_send(Job::LazyWaiting) {
                return Err(RecordError::Stopped);
            }
            return Ok(Ticket(answer));
        }
        sender.try_send(Job::Append(pending, reply)).map_err(|error| match error {
            mpsc::TrySendError::Full(_) => RecordError::Overloaded(self.capacity),
            mpsc::TrySendError::Disconnected(_) => RecordError::Stopped,
        })?;
        Ok(Ticket(answer))
    }

    /// Signs a checkpoint of the chain's head now, sealing no new record
    /// (every batch is sealed as it commits); none if the chain is empty.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, RecordError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Job::Checkpoint(reply))?;
        answer.recv().map_err(|_| stopped())?
    }

    /// Replaces the signing key with a new one, endorsed by the old: the
    /// endorsement is recorded (sealed with the old key), then the new key
    /// signs from the next batch on. Returns the rotation's record.
    pub fn rotate_key(&self) -> Result<Receipt, RecordError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Job::Rotate(reply))?;
        answer.recv().map_err(|_| stopped())?
    }

    /// Makes `change` to approval request `id` (see
    /// [`Store::change_approval`] for which request when `id` is `None`),
    /// with the record `record` makes of it, in one transaction.
    pub fn change_approval(
        &self,
        id: Option<&str>,
        change: Change,
        record: ApprovalRecord,
    ) -> Result<ApprovalTicket, RecordError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.send(Job::Approval { id: id.map(str::to_owned), change, record, reply })?;
        Ok(ApprovalTicket(answer))
    }

    fn send(&self, job: Job) -> Result<(), RecordError> {
        self.sender.as_ref().ok_or_else(stopped)?.send(job).map_err(|_| stopped())
    }
}

/// Loads the node's signing key, or makes one where that is safe. Returns
/// the key and, when it was made here, the key it replaces (if any).
#[allow(clippy::type_complexity)]
fn signing_key(
    store: &mut dyn Store,
    config: &RecorderConfig,
) -> Result<(CheckpointSigner, Option<Option<String>>), RecordError> {
    let error = |error: crate::store::StoreError| RecordError::Failed(format!("{}: {error}", config.location));
    let dir = &config.key_dir;
    let path = dir.join(signing::KEY_FILE);
    let in_force = key_in_force(store, &config.node).map_err(error)?;
    // A rotation interrupted after its record was written: finish it.
    let next = dir.join(NEXT_KEY_FILE);
    if let Some(candidate) = CheckpointSigner::load(&next).map_err(RecordError::Failed)? {
        if in_force.as_deref() == Some(candidate.public_key().as_str()) {
            candidate.replace(dir, signing::KEY_FILE).map_err(RecordError::Failed)?;
            let _ = std::fs::remove_file(&next);
        } else if std::fs::metadata(&next)
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > Duration::from_secs(600)))
        {
            // A rotation that never committed, long ago (a rotation under
            // way in another process is left alone).
            let _ = std::fs::remove_file(&next);
        }
    }
    let loaded = CheckpointSigner::load_existing(dir).map_err(RecordError::Failed)?;
    match (loaded, in_force) {
        (Some(signer), None) => Ok((signer, None)),
        (Some(signer), Some(key)) if signer.public_key() == key => Ok((signer, None)),
        (Some(signer), Some(key)) => Err(RecordError::Failed(format!(
            "the signing key {} (key {}) is not the key node {}'s record is signed with (key {}): \
             restore that key, or point --data-dir at the data directory that holds it",
            path.display(),
            signer.fingerprint(),
            config.node,
            signing::fingerprint(&key)
        ))),
        (None, None) => {
            let signer = CheckpointSigner::generate()
                .map_err(RecordError::Failed)?
                .install(dir, signing::KEY_FILE)
                .map_err(RecordError::Failed)?;
            Ok((signer, Some(None)))
        }
        (None, Some(key)) if config.replace_lost_key => {
            let signer = CheckpointSigner::generate()
                .map_err(RecordError::Failed)?
                .install(dir, signing::KEY_FILE)
                .map_err(RecordError::Failed)?;
            Ok((signer, Some(Some(key))))
        }
        (None, Some(key)) => Err(RecordError::Failed(format!(
            "the signing key {} is missing, but node {}'s record is signed with key {}: nothing is recorded \
             without it. Restore the key from a backup; if it is lost for good, `guardrail audit rotate-key \
             --lost` starts a new key and records the break (`audit verify` will report it)",
            path.display(),
            config.node,
            signing::fingerprint(&key)
        ))),
    }
}

/// The key `node`'s checkpoints are signed with now: the latest
/// checkpoint's, or the key a rotation in the batch it seals hands over to.
/// Reads one checkpoint and one batch, however long the record.
fn key_in_force(store: &mut dyn Store, node: &str) -> Result<Option<String>, crate::store::StoreError> {
    let Some(checkpoint) = store.last_checkpoint(node)? else { return Ok(None) };
    if let Some(first) = checkpoint.first.filter(|first| *first <= checkpoint.seq) {
        let batch = store.chain(node, first - 1, (checkpoint.seq - first + 1) as usize)?;
        for record in batch.iter().rev().filter(|record| record.kind == "key") {
            if let Ok(Event::Key(event)) = Event::decode(&record.kind, &record.body) {
                return Ok(Some(event.key));
            }
        }
    }
    Ok(Some(checkpoint.key))
}

impl Drop for Recorder {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// How long the writer may hold a batch of lazy appends
/// ([`Recorder::submit_lazy`]) for more to join it.
pub const LAZY_WINDOW: Duration = Duration::from_millis(5);

/// An append in flight; [`Ticket::wait`] (or `.await`) returns its
/// receipt once durable.
#[must_use = "an append is durable only once its ticket says so"]
pub struct Ticket(tokio::sync::oneshot::Receiver<Result<Receipt, RecordError>>);

impl Ticket {
    /// Waits for the receipt, blocking the thread (not on an async
    /// runtime's thread: `.await` the ticket there).
    pub fn wait(self) -> Result<Receipt, RecordError> {
        self.0.blocking_recv().map_err(|_| stopped())?
    }

    /// The receipt if the append is over (durable or failed), without
    /// waiting: for callers that keep many appends in flight and look at
    /// them now and then.
    pub fn try_result(&mut self) -> Option<Result<Receipt, RecordError>> {
        match self.0.try_recv() {
            Ok(result) => Some(result),
            Err(tokio::sync::oneshot::error::TryRecvError::Empty) => None,
            Err(tokio::sync::oneshot::error::TryRecvError::Closed) => Some(Err(stopped())),
        }
    }
}

impl std::future::IntoFuture for Ticket {
    type Output = Result<Receipt, RecordError>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

    /// Waits for the receipt without blocking the runtime.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.0.await.map_err(|_| stopped())? })
    }
}

fn stopped() -> RecordError {
    RecordError::Stopped
}

type Reply = tokio::sync::oneshot::Sender<Result<Receipt, RecordError>>;

struct Writer {
    store: Box<dyn Store>,
    signer: CheckpointSigner,
    config: RecorderConfig,
    anchors: Vec<(String, Box<dyn Anchor>)>,
    /// Times never go backwards within a node's chain, whatever the clock does.
    last_time: i64,
}

impl Writer {
    /// Opens the store, the key and the anchors, and starts the chain when
    /// it is new: on the writer's thread.
    fn start(config: RecorderConfig) -> Result<Writer, RecordError> {
        let mut store =
            config.location.open().map_err(|error| RecordError::Failed(format!("{}: {error}", config.location)))?;
        let failed = |error: crate::store::StoreError| RecordError::Failed(format!("{}: {error}", config.location));
        let (signer, created) = signing_key(store.as_mut(), &config)?;
        let mut anchors = Vec::with_capacity(config.anchors.len());
        for spec in &config.anchors {
            anchors.push((spec.to_string(), spec.open().map_err(RecordError::Failed)?));
        }
        let public_key = signer.public_key();
        let mut writer = Writer { store, signer, config: config.clone(), anchors, last_time: 0 };
        // A chain starts with the key it is signed with (written once, by
        // whichever process gets there first); a key replacing a lost one
        // is recorded the same way, unendorsed (but accepted by the new key).
        let signer = writer.signer.clone();
        // The note is read before the head: a process that starts the chain
        // notes it only once its first record has committed, so a note seen
        // here means the head read next includes that record (read the
        // other way round, a chain started meanwhile looks wiped).
        let started = Started::new(&config);
        let was_started = started.recorded();
        let head = writer.store.head(&config.node).map_err(failed)?;
        match created {
            Some(Some(previous)) => {
                let event = KeyEvent {
                    key: public_key.clone(),
                    acceptance: Some(signer.accept(&config.node, &previous)),
                    previous: Some(previous),
                    endorsement: None,
                    reason: "replaced a lost key".into(),
                };
                writer.append_alone(Event::Key(event), &signer, false)?;
            }
            // This data directory has recorded this node in this store, and
            // the store now holds nothing of it: it was wiped or replaced.
            Some(None) | None if head.is_none() && was_started => {
                return Err(RecordError::Failed(format!(
                    "the record {} holds nothing of node {}, but this data directory has recorded it there before \
                     ({}): the record was wiped or replaced. Nothing is recorded until a person looks: check it with \
                     `guardrail audit verify --anchors ...`; to start a new record on purpose, use another --node or \
                     remove {}",
                    config.location,
                    config.node,
                    started.path.display(),
                    started.path.display()
                )));
            }
            _ if head.is_none() => {
                let event = KeyEvent {
                    key: public_key.clone(),
                    previous: None,
                    endorsement: None,
                    acceptance: None,
                    reason: "created".into(),
                };
                writer.append_alone(Event::Key(event), &signer, true)?;
            }
            _ => writer.seal_old_tail()?,
        }
        started.mark().map_err(RecordError::Failed)?;
        Ok(writer)
    }

    fn run(&mut self, receiver: mpsc::Receiver<Job>, lazy: &Mutex<Vec<(Pending, Reply)>>) {
        while let Ok(first) = receiver.recv() {
            let mut appends = Vec::new();
            let mut others = Vec::new();
            let mut next = Some(first);
            // Whether only lazy appends (in the buffer) wait so far.
            let mut only_lazy = true;
            let window = std::time::Instant::now() + LAZY_WINDOW;
            while let Some(job) = next.take() {
                match job {
                    Job::Append(pending, reply) => {
                        only_lazy = false;
                        appends.push((pending, reply));
                    }
                    Job::Flush => only_lazy = false,
                    Job::LazyWaiting => {}
                    other => {
                        only_lazy = false;
                        others.push(other);
                    }
                }
                if appends.len() < self.config.max_batch {
                    next = receiver.try_recv().ok();
                    // Only lazy appends so far: wait a little for company.
                    if next.is_none() && only_lazy {
                        let left = window.saturating_duration_since(std::time::Instant::now());
                        if !left.is_zero() {
                            next = receiver.recv_timeout(left).ok();
                        }
                    }
                }
            }
            // The lazy appends that arrived meanwhile go with this batch.
            appends.extend(lazy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).drain(..));
            if !appends.is_empty() {
                self.append(appends);
            }
            for job in others {
                match job {
                    Job::Checkpoint(reply) => {
                        let _ = reply.send(self.checkpoint_head());
                    }
                    Job::Rotate(reply) => {
                        let _ = reply.send(self.rotate());
                    }
                    Job::Approval { id, change, mut record, reply } => {
                        let _ = reply.send(self.change_approval(id.as_deref(), &change, &mut *record));
                    }
                    Job::Append(..) | Job::Flush | Job::LazyWaiting => {
                        unreachable!("appends and flushes are taken above")
                    }
                }
            }
        }
    }

    fn time(&mut self) -> i64 {
        let time = now().max(self.last_time);
        self.last_time = time;
        time
    }

    /// Appends a batch sealed with `signer`'s checkpoint in the same
    /// transaction, then has every anchor witness the checkpoint. Only
    /// then is the batch acknowledged.
    fn commit(
        &mut self,
        batch: &[Pending],
        signer: &CheckpointSigner,
        starts_chain: bool,
    ) -> Result<Option<Vec<Head>>, RecordError> {
        let node = self.config.node.clone();
        let time = batch.first().map_or(0, |pending| pending.time);
        let seal = |first: u64, head: Head| signer.sign(&node, first, head.seq, head.hash, time);
        let appended = self
            .store
            .append(&node, batch, &seal, starts_chain)
            .map_err(|error| RecordError::Failed(format!("{}: {error}", self.config.location)))?;
        let Some((heads, checkpoint)) = appended else { return Ok(None) };
        self.witness(&checkpoint)?;
        Ok(Some(heads))
    }

    fn change_approval(
        &mut self,
        id: Option<&str>,
        change: &Change,
        record: &mut (dyn FnMut(&Request, Transition) -> Entry + Send),
    ) -> Result<ApprovalChanged, ApprovalError> {
        let time = self.time();
        let node = self.config.node.clone();
        let signer = self.signer.clone();
        let seal = |first: u64, head: Head| signer.sign(&node, first, head.seq, head.hash, time);
        let mut pending = |request: &Request, transition: Transition| {
            // A request found expired on the way is recorded as the gate's
            // doing, whoever's change found it.
            let entry = if transition == Transition::Expired && !matches!(change, Change::Expire) {
                let event = ApprovalEvent::of(request, transition, "gate", Some("no decision came in time"));
                Entry { event: Event::Approval(event), blobs: Vec::new() }
            } else {
                record(request, transition)
            };
            let encoded = entry.event.encode(entry.blobs);
            Pending { time, kind: encoded.kind, body: encoded.body, blobs: encoded.blobs }
        };
        let made = self
            .store
            .change_approval(&node, id, change, time, &mut pending, &seal)
            .map_err(|error| RecordError::Failed(format!("{}: {error}", self.config.location)))?;
        // Whatever was written (expiries too, when the change itself is
        // refused) is witnessed before anyone is answered.
        if let Some(checkpoint) = &made.sealed {
            self.witness(checkpoint)?;
        }
        let changed = made.changed?;
        Ok(ApprovalChanged {
            request: changed.request,
            transition: changed.made.map(|(transition, _)| transition),
            receipt: changed.made.map(|(_, head)| Receipt { node, seq: head.seq, hash: head.hash }),
        })
    }

    fn witness(&mut self, checkpoint: &Checkpoint) -> Result<(), RecordError> {
        for (name, anchor) in &mut self.anchors {
            anchor.witness(checkpoint).map_err(|error| {
                RecordError::Failed(format!(
                    "records up to {} are stored but anchor {name} did not witness them: {error}",
                    checkpoint.seq
                ))
            })?;
        }
        Ok(())
    }

    fn append(&mut self, appends: Vec<(Pending, Reply)>) {
        let time = self.time();
        let (batch, replies): (Vec<Pending>, Vec<_>) =
            appends.into_iter().map(|(pending, reply)| (Pending { time, ..pending }, reply)).unzip();
        let signer = self.signer.clone();
        match self.commit(&batch, &signer, false).map(Option::unwrap_or_default) {
            Ok(heads) => {
                for (head, reply) in heads.iter().zip(replies) {
                    let receipt = Receipt { node: self.config.node.clone(), seq: head.seq, hash: head.hash };
                    let _ = reply.send(Ok(receipt));
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }

    /// Appends one event as a batch of its own, sealed by `signer`; with
    /// `starts_chain`, only as the chain's first record (`None` when the
    /// chain has records already).
    fn append_alone(
        &mut self,
        event: Event,
        signer: &CheckpointSigner,
        starts_chain: bool,
    ) -> Result<Option<Receipt>, RecordError> {
        let encoded = event.encode(Vec::new());
        let time = self.time();
        let pending = Pending { time, kind: encoded.kind, body: encoded.body, blobs: encoded.blobs };
        let heads = self.commit(std::slice::from_ref(&pending), signer, starts_chain)?;
        Ok(heads.and_then(|heads| heads.first().copied()).map(|head| Receipt {
            node: self.config.node.clone(),
            seq: head.seq,
            hash: head.hash,
        }))
    }

    /// A checkpoint of the head made on demand: it seals no new record.
    fn checkpoint_head(&mut self) -> Result<Option<Checkpoint>, RecordError> {
        let error = |error: crate::store::StoreError| RecordError::Failed(format!("checkpoint: {error}"));
        let Some(head) = self.store.head(&self.config.node).map_err(error)? else { return Ok(None) };
        let time = self.time();
        let checkpoint = self.signer.sign(&self.config.node, head.seq + 1, head.seq, head.hash, time);
        self.store.add_checkpoint(&checkpoint).map_err(error)?;
        self.witness(&checkpoint)?;
        Ok(Some(checkpoint))
    }

    /// The new key is kept aside first, the old key endorses it (and the
    /// new one accepts) in a record the old key seals, and only then does
    /// the new key take the old one's place: a crash at any point leaves a
    /// key that matches the record. Once the record is committed the new key
    /// is installed, even if an anchor then fails to witness it.
    fn rotate(&mut self) -> Result<Receipt, RecordError> {
        let dir = self.config.key_dir.clone();
        let node = self.config.node.clone();
        let next = CheckpointSigner::generate().map_err(RecordError::Failed)?;
        next.replace(&dir, NEXT_KEY_FILE).map_err(RecordError::Failed)?;
        let event = KeyEvent {
            key: next.public_key(),
            previous: Some(self.signer.public_key()),
            endorsement: Some(self.signer.endorse(&node, &next.public_key())),
            acceptance: Some(next.accept(&node, &self.signer.public_key())),
            reason: "rotated".into(),
        };
        let encoded = Event::Key(event).encode(Vec::new());
        let time = self.time();
        let pending = Pending { time, kind: encoded.kind, body: encoded.body, blobs: encoded.blobs };
        let old = self.signer.clone();
        let seal = |first: u64, head: Head| old.sign(&node, first, head.seq, head.hash, time);
        let appended = self.store.append(&node, std::slice::from_ref(&pending), &seal, false);
        let (heads, checkpoint) = match appended {
            Ok(Some(appended)) => appended,
            Ok(None) => unreachable!("a batch that need not start the chain is always appended"),
            Err(error) => {
                let _ = std::fs::remove_file(dir.join(NEXT_KEY_FILE));
                return Err(RecordError::Failed(format!("{}: {error}", self.config.location)));
            }
        };
        // Committed: the record now names the new key.
        next.replace(&dir, signing::KEY_FILE).map_err(RecordError::Failed)?;
        let _ = std::fs::remove_file(dir.join(NEXT_KEY_FILE));
        self.signer = next;
        self.witness(&checkpoint)?;
        Ok(Receipt { node, seq: heads[0].seq, hash: heads[0].hash })
    }

    /// A record written by the first format (a checkpoint every so often)
    /// has records after its last checkpoint that nothing seals. They are
    /// sealed once, when this recorder first opens it, and only when that
    /// checkpoint is the old format's, signed by this key, and still names
    /// the record it sealed: so that a forged record cannot be sealed this
    /// way.
    fn seal_old_tail(&mut self) -> Result<(), RecordError> {
        let node = self.config.node.clone();
        let error = |error: crate::store::StoreError| RecordError::Failed(format!("checkpoint: {error}"));
        let Some(last) = self.store.last_checkpoint(&node).map_err(error)? else { return Ok(()) };
        let Some(head) = self.store.head(&node).map_err(error)? else { return Ok(()) };
        let genuine = last.first.is_none()
            && last.key == self.signer.public_key()
            && last.signature_is_valid()
            && head.seq > last.seq
            && self.store.record(&node, last.seq).map_err(error)?.is_some_and(|record| record.hash == last.head);
        if !genuine {
            return Ok(());
        }
        let time = self.time();
        let checkpoint = self.signer.sign(&node, last.seq + 1, head.seq, head.hash, time);
        self.store.add_checkpoint(&checkpoint).map_err(error)?;
        self.witness(&checkpoint)
    }
}

/// Nanoseconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos().min(i64::MAX as u128) as i64)
}
