//! The recorder: appends events durably, many callers at once, with group
//! commit.
//!
//! Callers hand events to one writer thread and wait. The writer takes
//! every event waiting, appends them in one transaction (one fsync), then
//! answers each caller with its [`Receipt`]. Under load, batches grow by
//! themselves: while one commit is in flight, the next batch queues.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::chain::Hash;
use crate::event::{Blob, ContentEvent, DecisionEvent, Event, OutcomeEvent, RecordedActor, Text};
use crate::signing::{Checkpoint, CheckpointSigner};
use crate::store::{Location, Pending, Store};

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
#[error("cannot write the activity record: {0}")]
pub struct RecordError(pub String);

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

    /// What happened when the action of decision record `outcome.decision` ran.
    pub fn outcome(outcome: OutcomeEvent) -> Entry {
        Entry { event: Event::Outcome(outcome.masked()), blobs: Vec::new() }
    }

    /// A prompt, response or tool output; `content` is masked here.
    pub fn content(kind: ContentKind, actor: &guardrail_core::Actor, details: ContentDetails, content: &str) -> Entry {
        let mut blobs = Vec::new();
        let event = ContentEvent {
            actor: RecordedActor::from(actor),
            channel: details.channel,
            session: details.session,
            prompt: details.prompt,
            tool: details.tool,
            content: Text::keep(guardrail_core::secret::redact(content, &[]).into_owned(), &mut blobs),
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
    /// Where the signing key is (created on first use).
    pub key_dir: PathBuf,
    /// Sign a checkpoint after this many records...
    pub checkpoint_every: u64,
    /// ...or when a record is written this long after the last checkpoint.
    pub checkpoint_interval: Duration,
    /// The most events one transaction takes.
    pub max_batch: usize,
}

impl RecorderConfig {
    pub const DEFAULT_CHECKPOINT_EVERY: u64 = 1000;
    pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(60);

    pub fn new(location: Location, node: String, key_dir: PathBuf) -> RecorderConfig {
        RecorderConfig {
            location,
            node,
            key_dir,
            checkpoint_every: RecorderConfig::DEFAULT_CHECKPOINT_EVERY,
            checkpoint_interval: RecorderConfig::DEFAULT_CHECKPOINT_INTERVAL,
            max_batch: 1024,
        }
    }
}

enum Job {
    Append(Pending, mpsc::SyncSender<Result<Receipt, RecordError>>),
    Checkpoint(mpsc::SyncSender<Result<Option<Checkpoint>, RecordError>>),
}

/// Appends events to the activity record. Share it (`&Recorder` is enough):
/// concurrent callers are what group commit feeds on.
pub struct Recorder {
    node: String,
    sender: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Opens the store (creating and migrating it) and the signing key, and
    /// starts the writer. Fails, rather than recording nothing, when either
    /// cannot be opened.
    pub fn open(config: RecorderConfig) -> Result<Recorder, RecordError> {
        let signer = CheckpointSigner::load_or_create(&config.key_dir).map_err(RecordError)?;
        let mut store = config.location.open().map_err(|error| RecordError(format!("{}: {error}", config.location)))?;
        let last = store
            .checkpoints(Some(&config.node))
            .map_err(|error| RecordError(error.to_string()))?
            .last()
            .map(|checkpoint| (checkpoint.seq, checkpoint.time));
        let (sender, receiver) = mpsc::channel();
        let mut writer = Writer { store, signer, config: config.clone(), last_checkpoint: last, last_time: 0 };
        let thread = std::thread::Builder::new()
            .name("guardrail-recorder".into())
            .spawn(move || writer.run(receiver))
            .map_err(|error| RecordError(format!("cannot start the recorder: {error}")))?;
        Ok(Recorder { node: config.node, sender: Some(sender), writer: Some(thread) })
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Appends one entry and returns once it is durable.
    pub fn record(&self, entry: Entry) -> Result<Receipt, RecordError> {
        self.submit(entry)?.wait()
    }

    /// Hands one entry to the writer and returns at once; the [`Ticket`]
    /// yields the receipt once the entry is durable. One caller can keep
    /// many appends in flight (a proxy with many sessions on few threads).
    pub fn submit(&self, entry: Entry) -> Result<Ticket, RecordError> {
        let encoded = entry.event.encode(entry.blobs);
        let pending = Pending { time: 0, kind: encoded.kind, body: encoded.body, blobs: encoded.blobs };
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Job::Append(pending, reply))?;
        Ok(Ticket(answer))
    }

    /// Signs a checkpoint of the chain's head now (none if the chain is
    /// empty or already checkpointed at its head).
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, RecordError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Job::Checkpoint(reply))?;
        answer.recv().map_err(|_| stopped())?
    }

    fn send(&self, job: Job) -> Result<(), RecordError> {
        self.sender.as_ref().ok_or_else(stopped)?.send(job).map_err(|_| stopped())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// An append in flight; [`Ticket::wait`] returns its receipt once durable.
#[must_use = "an append is durable only once its ticket says so"]
pub struct Ticket(mpsc::Receiver<Result<Receipt, RecordError>>);

impl Ticket {
    pub fn wait(self) -> Result<Receipt, RecordError> {
        self.0.recv().map_err(|_| stopped())?
    }
}

fn stopped() -> RecordError {
    RecordError("the recorder has stopped".into())
}

struct Writer {
    store: Box<dyn Store>,
    signer: CheckpointSigner,
    config: RecorderConfig,
    /// Sequence number and time of the node's last checkpoint.
    last_checkpoint: Option<(u64, i64)>,
    /// Times never go backwards within a node's chain, whatever the clock does.
    last_time: i64,
}

impl Writer {
    fn run(&mut self, receiver: mpsc::Receiver<Job>) {
        while let Ok(first) = receiver.recv() {
            let mut appends = Vec::new();
            let mut checkpoints = Vec::new();
            let mut next = Some(first);
            while let Some(job) = next.take() {
                match job {
                    Job::Append(pending, reply) => appends.push((pending, reply)),
                    Job::Checkpoint(reply) => checkpoints.push(reply),
                }
                if appends.len() < self.config.max_batch {
                    next = receiver.try_recv().ok();
                }
            }
            if !appends.is_empty() {
                self.append(appends);
            }
            for reply in checkpoints {
                let _ = reply.send(self.checkpoint_head(true));
            }
        }
    }

    fn append(&mut self, appends: Vec<(Pending, mpsc::SyncSender<Result<Receipt, RecordError>>)>) {
        let time = now().max(self.last_time);
        self.last_time = time;
        let (batch, replies): (Vec<Pending>, Vec<_>) =
            appends.into_iter().map(|(pending, reply)| (Pending { time, ..pending }, reply)).unzip();
        match self.store.append(&self.config.node, &batch) {
            Ok(heads) => {
                for (head, reply) in heads.iter().zip(replies) {
                    let receipt = Receipt { node: self.config.node.clone(), seq: head.seq, hash: head.hash };
                    let _ = reply.send(Ok(receipt));
                }
                if let Some(last) = heads.last() {
                    self.maybe_checkpoint(last.seq, time);
                }
            }
            Err(error) => {
                let error = RecordError(format!("{}: {error}", self.config.location));
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }

    fn maybe_checkpoint(&mut self, seq: u64, time: i64) {
        let due = match self.last_checkpoint {
            None => true,
            Some((last_seq, last_time)) => {
                seq >= last_seq + self.config.checkpoint_every
                    || (seq > last_seq && time - last_time >= self.config.checkpoint_interval.as_nanos() as i64)
            }
        };
        if due && let Err(error) = self.checkpoint_head(false) {
            // The records themselves are durable; the next batch retries.
            eprintln!("guardrail: warning: {error}");
        }
    }

    /// Signs and stores a checkpoint of the head. Unless `forced`, only when
    /// the head moved since the last one.
    fn checkpoint_head(&mut self, forced: bool) -> Result<Option<Checkpoint>, RecordError> {
        let error = |error: crate::store::StoreError| RecordError(format!("checkpoint: {error}"));
        let Some(head) = self.store.head(&self.config.node).map_err(error)? else { return Ok(None) };
        if self.last_checkpoint.is_some_and(|(seq, _)| seq == head.seq) && !forced {
            return Ok(None);
        }
        let time = now().max(self.last_time);
        let checkpoint = self.signer.sign(&self.config.node, head.seq, head.hash, time);
        self.store.add_checkpoint(&checkpoint).map_err(error)?;
        self.last_checkpoint = Some((head.seq, time));
        Ok(Some(checkpoint))
    }
}

/// Nanoseconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos().min(i64::MAX as u128) as i64)
}
