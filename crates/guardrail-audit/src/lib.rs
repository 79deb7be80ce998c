//! Guardrail's activity record: every decision of the gate, every outcome,
//! every prompt, response and tool output, durable before the action runs
//! and tamper-evident after.
//!
//! - [`Recorder`]: appends events with group commit; a [`Receipt`] is proof
//!   that an event is durable.
//! - [`Gate`]: a `Guard` with its recorder: decide, record, then answer.
//! - [`chain`]: each node's records form a hash chain; [`signing`] signs
//!   checkpoints of the chain's head with the node's Ed25519 key.
//! - [`verify`](mod@verify): recomputes everything and names the first bad record.
//! - [`store`]: SQLite in a data directory, or PostgreSQL shared by nodes.
//!
//! Why a hash chain per node and signed checkpoints, rather than a Merkle
//! tree: appends stay O(1) and verification is one pass in order; the
//! checkpoints give what a tree's signed root would, a statement of the
//! log's size and content that the node cannot take back once exported.
//!
//! Only this crate writes the record. Texts are masked before they become
//! events (`guardrail_core::secret`), so nothing here holds a secret in clear.

pub mod anchor;
pub mod approval;
pub mod chain;
pub mod data_dir;
pub mod event;
pub mod export;
mod gate;
pub mod query;
mod recorder;
pub mod replay;
pub mod signing;
pub mod store;
pub mod time;
pub mod verify;

pub use chain::{Hash, Record};
pub use event::{Event, OutcomeEvent, OutcomeStatus};
pub use gate::{Awaited, Checked, Gate, Permit, Submitted, approved};
pub use recorder::{
    ApprovalChanged, ApprovalError, ApprovalRecord, ApprovalTicket, ContentDetails, ContentKind, Entry, Receipt,
    RecordError, Recorder, RecorderConfig, Ticket, now,
};
pub use signing::{Checkpoint, CheckpointSigner};
pub use store::{Location, Store, StoreError};
