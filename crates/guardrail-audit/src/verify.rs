//! `audit verify`: recompute every hash, follow every chain, check every
//! checkpoint, and name the first record that is not as it was written.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use crate::chain::{Hash, Record, record_hash};
use crate::event::{Event, Text};
use crate::signing::{Checkpoint, fingerprint};
use crate::store::{Store, StoreError};

/// Records read per query while verifying.
const PAGE: usize = 10_000;
/// How many recent hashes are kept to recognise inserted records.
const RECENT: usize = 1 << 16;
/// How far a renumbered record is looked for.
const MOST_MOVED: u64 = 64;

/// What to trust while verifying.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// Public keys (hex) checkpoints must be signed with. When empty, the
    /// local node's checkpoints must be signed with the local key, and other
    /// nodes' checkpoints are checked against the key they name (and
    /// reported as not anchored).
    pub keys: Vec<String>,
    /// This node and its public key, when known.
    pub local: Option<(String, String)>,
    /// Checkpoints kept outside the store (exported earlier).
    pub external: Vec<Checkpoint>,
}

/// What is wrong, at which record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub node: String,
    /// The first sequence number that is not as written.
    pub seq: u64,
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A record's content does not match its hash.
    Modified,
    /// A record's hash was recomputed: the next record does not follow it.
    Rewritten,
    /// Sequence numbers skip: records were deleted.
    Missing,
    /// Records were added between others, and later ones renumbered up.
    Inserted,
    /// A record sits at another sequence number than it was written with:
    /// records were deleted (and the rest renumbered), or reordered.
    Moved,
    /// The chain does not match a signed checkpoint.
    Diverged,
    /// The log ends before a signed checkpoint's sequence number.
    CutBack,
    /// A checkpoint's signature is invalid, or by a key not trusted.
    BadCheckpoint,
    /// A stored text is missing or does not match its hash.
    Blob,
}

/// One node's chain, as verified.
#[derive(Clone, Debug)]
pub struct NodeReport {
    pub node: String,
    pub records: u64,
    pub head: Option<Hash>,
    pub checkpoints: usize,
    /// The latest valid checkpoint's sequence number.
    pub latest_checkpoint: Option<u64>,
    /// Fingerprints of the keys that signed the node's checkpoints.
    pub signers: Vec<String>,
    /// Whether the signers were trusted (given, or the local key), rather
    /// than taken from the checkpoints themselves.
    pub anchored: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub nodes: Vec<NodeReport>,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies every node's chain in `store` (or only `node`'s).
pub fn verify(store: &mut dyn Store, node: Option<&str>, trust: &Trust) -> Result<Report, StoreError> {
    let mut nodes = store.nodes()?;
    for checkpoint in &trust.external {
        if !nodes.contains(&checkpoint.node) {
            nodes.push(checkpoint.node.clone());
        }
    }
    nodes.sort();
    nodes.retain(|name| node.is_none_or(|node| node == name));
    if let Some(node) = node
        && nodes.is_empty()
    {
        nodes.push(node.to_owned());
    }
    let mut report = Report::default();
    for name in nodes {
        let (node_report, mut problems) = verify_node(store, &name, trust)?;
        report.nodes.push(node_report);
        problems.sort_by_key(|problem| problem.seq);
        report.problems.extend(problems);
    }
    Ok(report)
}

fn verify_node(store: &mut dyn Store, node: &str, trust: &Trust) -> Result<(NodeReport, Vec<Problem>), StoreError> {
    let mut problems = Vec::new();
    let problem = |seq: u64, kind: ProblemKind, message: String| Problem { node: node.to_owned(), seq, kind, message };

    // Checkpoints: the store's and the external ones, each checked.
    let mut checkpoints = store.checkpoints(Some(node))?;
    for external in trust.external.iter().filter(|checkpoint| checkpoint.node == node) {
        if !checkpoints.contains(external) {
            checkpoints.push(external.clone());
        }
    }
    let local_key = trust.local.as_ref().filter(|(local, _)| local == node).map(|(_, key)| key.as_str());
    let anchored = !trust.keys.is_empty() || local_key.is_some();
    let mut signers: Vec<String> = Vec::new();
    let mut valid: BTreeMap<u64, Vec<Checkpoint>> = BTreeMap::new();
    for checkpoint in checkpoints {
        let trusted = if !trust.keys.is_empty() {
            trust.keys.iter().any(|key| key.trim() == checkpoint.key)
        } else {
            local_key.is_none_or(|key| key == checkpoint.key)
        };
        if !checkpoint.signature_is_valid() {
            problems.push(problem(
                checkpoint.seq,
                ProblemKind::BadCheckpoint,
                format!("the checkpoint at record {} has an invalid signature", checkpoint.seq),
            ));
        } else if !trusted {
            problems.push(problem(
                checkpoint.seq,
                ProblemKind::BadCheckpoint,
                format!(
                    "the checkpoint at record {} is signed by key {}, which is not trusted",
                    checkpoint.seq,
                    fingerprint(&checkpoint.key)
                ),
            ));
        } else {
            let signer = fingerprint(&checkpoint.key);
            if !signers.contains(&signer) {
                signers.push(signer);
            }
            valid.entry(checkpoint.seq).or_default().push(checkpoint);
        }
    }

    // The chain, in order.
    let mut expected = 1u64;
    let mut prev = Hash::GENESIS;
    let mut previous_intact = false;
    let mut last_good_checkpoint = 0u64;
    let mut count = 0u64;
    let mut head = None;
    // Hashes of recent records, to tell an insertion from a modification.
    let mut recent: HashMap<Hash, u64> = HashMap::new();
    let mut last_shift: Option<i64> = None;
    let mut after = 0u64;
    loop {
        let page = store.chain(node, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for record in page {
            count += 1;
            let mut linked = true;
            if record.seq != expected {
                problems.push(problem(
                    expected,
                    ProblemKind::Missing,
                    if record.seq == expected + 1 {
                        format!("record {expected} is missing (deleted)")
                    } else {
                        format!("records {expected} to {} are missing (deleted)", record.seq - 1)
                    },
                ));
                linked = false;
            }
            let intact = record.is_intact();
            let shift = if intact { None } else { moved(&record, &recent) };
            let distance = shift.as_ref().map(|shift| shift.written() as i64 - record.seq as i64);
            // A renumbered record that follows the record before it, moved
            // by as much, is a consequence of the problem already reported.
            let consequence = distance.is_some() && distance == last_shift && record.prev == prev;
            last_shift = distance;
            if !intact && !consequence {
                problems.push(match shift {
                    // Written as an earlier record, after the record its
                    // `prev` names, with records between: those were inserted.
                    Some(Shift::Up { written, after }) if after + 1 < record.seq => problem(
                        after + 1,
                        ProblemKind::Inserted,
                        format!(
                            "records {} to {} were inserted: record {} was written as record {written}, after record {after}",
                            after + 1,
                            record.seq - 1,
                            record.seq
                        ),
                    ),
                    Some(shift) => problem(
                        record.seq,
                        ProblemKind::Moved,
                        format!(
                            "record {} was written as record {}: records were deleted, inserted or reordered here",
                            record.seq,
                            shift.written()
                        ),
                    ),
                    None => problem(
                        record.seq,
                        ProblemKind::Modified,
                        format!("record {} was modified: its content does not match its hash", record.seq),
                    ),
                });
            } else if linked && record.prev != prev {
                // This record is as written, but does not follow the one
                // before: that one's hash was recomputed after a change, or
                // records were inserted or reordered there.
                let (seq, message) = if previous_intact && record.seq > 1 {
                    (
                        record.seq - 1,
                        format!(
                            "record {} was modified, inserted or reordered: record {} does not follow it",
                            record.seq - 1,
                            record.seq
                        ),
                    )
                } else {
                    (record.seq, format!("record {} does not follow the record before it", record.seq))
                };
                problems.push(problem(seq, ProblemKind::Rewritten, message));
            }
            if intact && let Some(message) = check_blob(store, &record)? {
                problems.push(problem(record.seq, ProblemKind::Blob, message));
            }
            if let Some(signed) = valid.get(&record.seq) {
                // A chain problem already found since the last good
                // checkpoint explains a mismatch here; it names the record
                // more precisely than the checkpoint can.
                let explained = problems.iter().any(|problem: &Problem| {
                    problem.kind != ProblemKind::BadCheckpoint
                        && problem.seq > last_good_checkpoint
                        && problem.seq <= record.seq
                });
                for checkpoint in signed {
                    if checkpoint.head == record.hash {
                        last_good_checkpoint = record.seq;
                    } else if !explained {
                        problems.push(problem(
                            last_good_checkpoint + 1,
                            ProblemKind::Diverged,
                            format!(
                                "records {} to {} were rewritten: record {} does not match the checkpoint signed at {}",
                                last_good_checkpoint + 1,
                                record.seq,
                                record.seq,
                                crate::time::rfc3339(checkpoint.time)
                            ),
                        ));
                    }
                }
            }
            recent.insert(record.hash, record.seq);
            if recent.len() > RECENT {
                recent.retain(|_, seq| *seq + (RECENT as u64) / 2 > record.seq);
            }
            expected = record.seq + 1;
            prev = record.hash;
            previous_intact = intact;
            head = Some(record.hash);
        }
    }
    let end = expected - 1;
    if let Some((&seq, signed)) = valid.range(end + 1..).next_back() {
        problems.push(problem(
            end + 1,
            ProblemKind::CutBack,
            format!(
                "the log was cut back: it ends at record {end}, but a checkpoint signed at {} covers {seq} records",
                crate::time::rfc3339(signed[0].time)
            ),
        ));
    }
    let latest_checkpoint = valid.range(..=end).next_back().map(|(&seq, _)| seq);
    let report = NodeReport {
        node: node.to_owned(),
        records: count,
        head,
        checkpoints: valid.values().map(Vec::len).sum(),
        latest_checkpoint,
        signers,
        anchored,
    };
    Ok((report, problems))
}

enum Shift {
    /// The record was written with a higher sequence number.
    Down(u64),
    /// The record was written with a lower sequence number, after record `after`.
    Up { written: u64, after: u64 },
}

impl Shift {
    /// The sequence number the record was written with.
    fn written(&self) -> u64 {
        match self {
            Shift::Down(written) | Shift::Up { written, .. } => *written,
        }
    }
}

/// Whether a record that fails its hash is intact under another sequence
/// number: renumbered, not modified.
fn moved(record: &Record, recent: &HashMap<Hash, u64>) -> Option<Shift> {
    let intact_as =
        |seq: u64| record_hash(&record.node, seq, record.time, &record.kind, &record.body, record.prev) == record.hash;
    for distance in 1..=MOST_MOVED {
        if intact_as(record.seq + distance) {
            return Some(Shift::Down(record.seq + distance));
        }
        if distance < record.seq && intact_as(record.seq - distance) {
            let after = recent.get(&record.prev).copied().unwrap_or(record.seq - distance - 1);
            return Some(Shift::Up { written: record.seq - distance, after });
        }
    }
    None
}

/// Whether a record's stored text is there and unchanged.
fn check_blob(store: &mut dyn Store, record: &Record) -> Result<Option<String>, StoreError> {
    let Ok(event) = Event::decode(&record.kind, &record.body) else {
        return Ok(Some(format!("record {} cannot be read as a {} event", record.seq, record.kind)));
    };
    let Some(Text::Stored { sha256, bytes, .. }) = event.text() else { return Ok(None) };
    Ok(match store.blob(sha256)? {
        None => Some(format!("record {}: its stored text {} is missing", record.seq, &sha256[..16])),
        Some(content) if content.len() != *bytes || hex::encode(Sha256::digest(&content)) != *sha256 => {
            Some(format!("record {}: its stored text {} was modified", record.seq, &sha256[..16]))
        }
        Some(_) => None,
    })
}
