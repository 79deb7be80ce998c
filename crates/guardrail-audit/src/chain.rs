//! The hash chain: what a record is, and how its hash is computed.
//!
//! Each node keeps its own chain. Record `n` of a node carries the hash of
//! record `n - 1` (`prev`), and its own hash covers every field, `prev`
//! included, so changing, removing, inserting or reordering any record
//! breaks the chain at that record. Fields are length-prefixed before
//! hashing, so no two different records hash the same bytes.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev` of every chain's first record.
    pub const GENESIS: Hash = Hash([0; 32]);

    pub fn of(bytes: &[u8]) -> Hash {
        Hash(Sha256::digest(bytes).into())
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Hash> {
        let mut bytes = [0; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Hash(bytes))
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// One entry of the activity record as stored. `body` is the event as JSON,
/// kept as the exact text that was hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The Guardrail node that wrote the record; each node has its own chain.
    pub node: String,
    /// Position in the node's chain, from 1, without gaps.
    pub seq: u64,
    /// When the record was written, in nanoseconds since the Unix epoch.
    pub time: i64,
    /// The event's kind: `decision`, `outcome`, `prompt`, `response`, `tool_output`.
    pub kind: String,
    pub body: String,
    pub prev: Hash,
    pub hash: Hash,
}

/// Domain separation: a record hash is never mistaken for any other digest.
const RECORD_DOMAIN: &[u8] = b"guardrail.record.v1\n";

/// The hash a record with these fields must carry.
pub fn record_hash(node: &str, seq: u64, time: i64, kind: &str, body: &str, prev: Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(RECORD_DOMAIN);
    field(&mut hasher, node.as_bytes());
    hasher.update(seq.to_be_bytes());
    hasher.update(time.to_be_bytes());
    field(&mut hasher, kind.as_bytes());
    field(&mut hasher, body.as_bytes());
    hasher.update(prev.0);
    Hash(hasher.finalize().into())
}

fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

impl Record {
    /// Chains a new record after `prev` (the node's head, or genesis).
    pub fn chain(node: &str, seq: u64, time: i64, kind: &str, body: String, prev: Hash) -> Record {
        let hash = record_hash(node, seq, time, kind, &body, prev);
        Record { node: node.to_owned(), seq, time, kind: kind.to_owned(), body, prev, hash }
    }

    /// Whether the stored hash is the hash of the stored fields.
    pub fn is_intact(&self) -> bool {
        record_hash(&self.node, self.seq, self.time, &self.kind, &self.body, self.prev) == self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let record = Record::chain("n1", 7, 1_000, "decision", "{\"a\":1}".into(), Hash::of(b"x"));
        assert!(record.is_intact());
        let variants: [fn(&mut Record); 6] = [
            |r| r.node.push('x'),
            |r| r.seq += 1,
            |r| r.time += 1,
            |r| r.kind = "outcome".into(),
            |r| r.body.push(' '),
            |r| r.prev = Hash::GENESIS,
        ];
        for change in variants {
            let mut changed = record.clone();
            change(&mut changed);
            assert!(!changed.is_intact(), "{changed:?}");
        }
    }

    #[test]
    fn fields_are_length_prefixed() {
        // Moving bytes from one field to the next must change the hash.
        let a = record_hash("ab", 1, 0, "c", "", Hash::GENESIS);
        let b = record_hash("a", 1, 0, "bc", "", Hash::GENESIS);
        assert_ne!(a, b);
    }

    #[test]
    fn hashes_round_trip_through_hex() {
        let hash = Hash::of(b"guardrail");
        assert_eq!(Hash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(Hash::from_hex("zz"), None);
    }
}
