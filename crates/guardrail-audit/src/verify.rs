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
    /// Records no checkpoint seals: appended without the signing key, or
    /// their checkpoints deleted.
    Unsigned,
    /// The signing key changed without the previous key's endorsement.
    KeyChange,
    /// The record holds nothing of a node whose key or anchors say it wrote.
    Wiped,
}

impl ProblemKind {
    /// Problems of the chain itself first, then what they break.
    fn rank(self) -> u8 {
        match self {
            ProblemKind::Modified
            | ProblemKind::Rewritten
            | ProblemKind::Missing
            | ProblemKind::Inserted
            | ProblemKind::Moved => 0,
            ProblemKind::Blob => 1,
            ProblemKind::Diverged | ProblemKind::CutBack | ProblemKind::Wiped => 2,
            ProblemKind::BadCheckpoint | ProblemKind::KeyChange | ProblemKind::Unsigned => 3,
        }
    }
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
    // A node the checkpoints kept elsewhere, or this node's own key, say
    // has written is verified even when the store holds nothing of it.
    let known =
        trust.external.iter().map(|checkpoint| &checkpoint.node).chain(trust.local.iter().map(|(node, _)| node));
    for name in known {
        if !nodes.contains(name) {
            nodes.push(name.clone());
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
        // This data directory's key signs no chain here: the record it
        // wrote was wiped (or this is another record than its own).
        if let Some((local, key)) = &trust.local
            && *local == name
            && node_report.records == 0
            && problems.is_empty()
        {
            let signs_here =
                store.checkpoints(None)?.iter().chain(&trust.external).any(|checkpoint| checkpoint.key == key.trim());
            if signs_here {
                continue;
            }
            problems.push(Problem {
                node: name.clone(),
                seq: 1,
                kind: ProblemKind::Wiped,
                message: format!(
                    "the record holds nothing signed by this data directory's key ({}), which node {name} records with: \
                     the record was wiped or replaced (its anchors, if any, say how far it went: pass --anchors)",
                    fingerprint(key)
                ),
            });
        }
        report.nodes.push(node_report);
        // At one record, what happened to the chain says more than which
        // signature no longer matches it.
        problems.sort_by_key(|problem| (problem.seq, problem.kind.rank()));
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
    let local_key = trust.local.as_ref().filter(|(local, _)| local == node).map(|(_, key)| key.trim().to_owned());
    let mut roots: Vec<String> = trust.keys.iter().map(|key| key.trim().to_owned()).collect();
    roots.extend(local_key.clone());
    let mut valid: BTreeMap<u64, Vec<Checkpoint>> = BTreeMap::new();
    for checkpoint in checkpoints {
        if checkpoint.signature_is_valid() {
            valid.entry(checkpoint.seq).or_default().push(checkpoint);
        } else {
            problems.push(problem(
                checkpoint.seq,
                ProblemKind::BadCheckpoint,
                format!("the checkpoint at record {} has an invalid signature", checkpoint.seq),
            ));
        }
    }
    // The key checkpoints must be signed with, as the chain hands it on.
    let mut in_force: Option<String> = None;
    let mut keys_seen: Vec<String> = Vec::new();
    // What each accepted checkpoint seals: (first, seq).
    let mut sealed: Vec<(Option<u64>, u64)> = Vec::new();

    // Every record of the node is read below: none may hide outside
    // 1..=count (a sequence number of 0 or less, or one used twice).
    let (stored, lowest, highest) = store.seq_range(node)?;
    if stored > 0 && (lowest < 1 || stored as i64 > highest - lowest + 1) {
        problems.push(problem(
            lowest.max(0) as u64,
            ProblemKind::Inserted,
            format!(
                "node {node} has {stored} records numbered {lowest} to {highest}: records were added outside its chain (a number below 1, or used twice)"
            ),
        ));
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
            let key_event = match (intact, record.kind.as_str()) {
                (true, "key") => match Event::decode(&record.kind, &record.body) {
                    Ok(Event::Key(event)) => Some(event),
                    _ => None,
                },
                _ => None,
            };
            // A first key, or one replacing a lost key, seals its own record.
            if let Some(event) = key_event.as_ref().filter(|event| event.endorsement.is_none()) {
                match (&event.previous, &in_force) {
                    (None, None) => {}
                    (None, Some(current)) => problems.push(problem(
                        record.seq,
                        ProblemKind::KeyChange,
                        format!(
                            "record {} starts a new signing key {} where key {} was in force: the record was restarted or spliced",
                            record.seq,
                            fingerprint(&event.key),
                            fingerprint(current)
                        ),
                    )),
                    (Some(previous), _) => problems.push(problem(
                        record.seq,
                        ProblemKind::KeyChange,
                        format!(
                            "record {} replaces signing key {} with key {} without the old key's endorsement (a lost key was replaced): nothing vouches that the same gate wrote the records on both sides",
                            record.seq,
                            fingerprint(previous),
                            fingerprint(&event.key)
                        ),
                    )),
                }
                in_force = Some(event.key.clone());
                keys_seen.push(event.key.clone());
            }
            if let Some(signed) = valid.get(&record.seq) {
                let current = in_force.get_or_insert_with(|| signed[0].key.clone()).clone();
                if !keys_seen.contains(&current) {
                    keys_seen.push(current.clone());
                }
                for checkpoint in signed {
                    if checkpoint.key == current {
                        sealed.push((checkpoint.first, checkpoint.seq));
                    } else {
                        problems.push(problem(
                            checkpoint.seq,
                            ProblemKind::BadCheckpoint,
                            format!(
                                "the checkpoint at record {} is signed by key {}, but the key in force there is {}: a key change nobody recorded",
                                checkpoint.seq,
                                fingerprint(&checkpoint.key),
                                fingerprint(&current)
                            ),
                        ));
                    }
                }
                let signed: Vec<&Checkpoint> = signed.iter().filter(|checkpoint| checkpoint.key == current).collect();
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
            // A rotation endorsed by the key in force takes effect after the
            // record that holds it (which the old key seals).
            if let Some(event) = key_event.as_ref()
                && let Some(endorsement) = &event.endorsement
            {
                // The old key hands over, and the new key takes over: a key
                // cannot borrow the trust of one that never accepted it.
                let endorsed = in_force.as_deref().is_some_and(|current| {
                    event.previous.as_deref() == Some(current)
                        && crate::signing::endorsement_is_valid(current, node, &event.key, endorsement)
                        && event.acceptance.as_deref().is_some_and(|acceptance| {
                            crate::signing::acceptance_is_valid(&event.key, node, current, acceptance)
                        })
                });
                if !endorsed {
                    problems.push(problem(
                        record.seq,
                        ProblemKind::KeyChange,
                        format!(
                            "record {} changes the signing key to {}, but the key in force ({}) and the new key did not both sign the change",
                            record.seq,
                            fingerprint(&event.key),
                            in_force.as_deref().map_or_else(|| "none".to_owned(), fingerprint)
                        ),
                    ));
                }
                in_force = Some(event.key.clone());
                keys_seen.push(event.key.clone());
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
        let message = if end == 0 {
            format!(
                "the record of node {node} is empty, but a checkpoint signed at {} covers {seq} records: it was wiped",
                crate::time::rfc3339(signed[0].time)
            )
        } else {
            format!(
                "the log was cut back: it ends at record {end}, but a checkpoint signed at {} covers {seq} records",
                crate::time::rfc3339(signed[0].time)
            )
        };
        problems.push(problem(end + 1, ProblemKind::CutBack, message));
    }
    // Every record must be sealed by a checkpoint of its own batch.
    sealed.sort_by_key(|&(_, seq)| seq);
    let mut covered_to = 0u64;
    let mut previous_seal: Option<u64> = None;
    let mut gaps = Vec::new();
    for &(first, seq) in &sealed {
        let from = first.unwrap_or(previous_seal.map_or(1, |previous| previous + 1));
        if from > covered_to + 1 {
            gaps.push((covered_to + 1, (from - 1).min(end)));
        }
        covered_to = covered_to.max(seq);
        previous_seal = Some(seq);
    }
    if covered_to < end {
        gaps.push((covered_to + 1, end));
    }
    for (from, to) in gaps.into_iter().filter(|(from, to)| from <= to && *from <= end) {
        let records = if from == to { format!("record {from} is") } else { format!("records {from} to {to} are") };
        problems.push(problem(
            from,
            ProblemKind::Unsigned,
            format!(
                "{records} sealed by no checkpoint: written without the gate's signing key, or their checkpoints were deleted"
            ),
        ));
    }
    // The keys the chain was signed with must include one trusted.
    let final_key = in_force.clone();
    if let (Some(local), Some(current)) = (&local_key, &final_key)
        && local != current
    {
        problems.push(problem(
            end.max(1),
            ProblemKind::KeyChange,
            format!(
                "this node's signing key ({}) is not the one its record is signed with now ({}): the key was replaced without a recorded rotation",
                fingerprint(local),
                fingerprint(current)
            ),
        ));
    }
    let anchored = !roots.is_empty() && keys_seen.iter().any(|key| roots.contains(key));
    if !trust.keys.is_empty() && !keys_seen.is_empty() && !anchored {
        problems.push(problem(
            1,
            ProblemKind::BadCheckpoint,
            format!(
                "node {node}'s record is signed by key{} {}, none of them trusted",
                if keys_seen.len() == 1 { "" } else { "s" },
                keys_seen.iter().map(|key| fingerprint(key)).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let mut signers: Vec<String> = Vec::new();
    for key in &keys_seen {
        let signer = fingerprint(key);
        if !signers.contains(&signer) {
            signers.push(signer);
        }
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
