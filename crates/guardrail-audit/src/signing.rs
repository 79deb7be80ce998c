//! Signed checkpoints: every so often the recorder signs its chain's head
//! (node, sequence number, hash, time) with an Ed25519 key. A checkpoint
//! kept where the node cannot rewrite it pins the log up to that point:
//! a log cut back behind it, or rewritten before it, no longer matches.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::chain::Hash;

/// The key's file name inside the data directory.
pub const KEY_FILE: &str = "signing.key";

/// A signed statement that `node`'s chain had `seq` records, the last
/// with hash `head`, at `time`; and that records `first` to `seq` are the
/// ones this signer appended (one checkpoint per committed batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub node: String,
    /// The first record this checkpoint vouches for as its signer's own
    /// append: records `first..=seq` were written in the batch it seals.
    /// `seq + 1` when it seals no new record (a checkpoint made on demand);
    /// absent in checkpoints of the first format, made every so often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<u64>,
    pub seq: u64,
    #[serde(with = "hash_hex")]
    pub head: Hash,
    /// Nanoseconds since the Unix epoch.
    pub time: i64,
    /// The signer's public key, hex.
    pub key: String,
    /// The Ed25519 signature over [`Checkpoint::message`], hex.
    pub signature: String,
}

const CHECKPOINT_DOMAIN: &[u8] = b"guardrail.checkpoint.v1\n";
const SEALED_CHECKPOINT_DOMAIN: &[u8] = b"guardrail.checkpoint.v2\n";

impl Checkpoint {
    /// The bytes signed.
    pub fn message(node: &str, first: Option<u64>, seq: u64, head: Hash, time: i64) -> Vec<u8> {
        let mut message = match first {
            None => CHECKPOINT_DOMAIN.to_vec(),
            Some(_) => SEALED_CHECKPOINT_DOMAIN.to_vec(),
        };
        message.extend((node.len() as u64).to_be_bytes());
        message.extend(node.as_bytes());
        if let Some(first) = first {
            message.extend(first.to_be_bytes());
        }
        message.extend(seq.to_be_bytes());
        message.extend(head.0);
        message.extend(time.to_be_bytes());
        message
    }

    /// Whether the signature is the key's over the checkpoint's fields.
    pub fn signature_is_valid(&self) -> bool {
        signed_by(
            &self.key,
            &Checkpoint::message(&self.node, self.first, self.seq, self.head, self.time),
            &self.signature,
        )
    }

    /// The records this checkpoint vouches for as its signer's own append,
    /// given the checkpoint before it (for the first format, which says
    /// nothing of batches: everything since that one).
    pub fn sealed(&self, previous: Option<u64>) -> std::ops::RangeInclusive<u64> {
        self.first.unwrap_or(previous.map_or(1, |seq| seq + 1))..=self.seq
    }
}

/// Reads a public key from hex.
pub fn decode_key(text: &str) -> Option<VerifyingKey> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// A node's signing key, loaded from (or created in) its data directory.
#[derive(Clone)]
pub struct CheckpointSigner {
    key: SigningKey,
}

impl CheckpointSigner {
    /// Loads the key in `dir`, generating it on first use. The file is
    /// readable only by its owner; a key file others can read is refused.
    pub fn load_or_create(dir: &Path) -> Result<CheckpointSigner, String> {
        remove_stale_temporaries(dir);
        match CheckpointSigner::load_from(dir)? {
            Some(signer) => Ok(signer),
            None => CheckpointSigner::generate()?.install(dir, KEY_FILE),
        }
    }

    /// Loads the key in `dir`, if there is one, after removing key files
    /// half-written by killed processes.
    pub fn load_existing(dir: &Path) -> Result<Option<CheckpointSigner>, String> {
        remove_stale_temporaries(dir);
        CheckpointSigner::load_from(dir)
    }

    /// Loads the key in `dir`, if there is one.
    pub fn load_from(dir: &Path) -> Result<Option<CheckpointSigner>, String> {
        CheckpointSigner::load(&dir.join(KEY_FILE))
    }

    /// A new key, in memory only.
    pub fn generate() -> Result<CheckpointSigner, String> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| format!("cannot generate a signing key: {error}"))?;
        Ok(CheckpointSigner { key: SigningKey::from_bytes(&seed) })
    }

    pub(crate) fn load(path: &Path) -> Result<Option<CheckpointSigner>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("cannot read the signing key {}: {error}", path.display())),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(path).map_err(|error| format!("{}: {error}", path.display()))?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(format!(
                    "the signing key {} can be read by others (mode {:o}); run `chmod 600 {}`",
                    path.display(),
                    mode & 0o777,
                    path.display()
                ));
            }
        }
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed)
            .map_err(|_| format!("the signing key {} is not 64 hex digits", path.display()))?;
        Ok(Some(CheckpointSigner { key: SigningKey::from_bytes(&seed) }))
    }

    /// Writes the key to `dir/name`, readable only by its owner, unless a
    /// key is there already: then that one is loaded and returned (a
    /// process racing to create the key either wins or loads the winner's).
    pub fn install(self, dir: &Path, name: &str) -> Result<CheckpointSigner, String> {
        crate::data_dir::create_private(dir)?;
        let path = dir.join(name);
        let temporary = self.write_temporary(dir, &path)?;
        let linked = std::fs::hard_link(&temporary, &path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => {
                // The link is durable before anything is signed with the key.
                if let Ok(directory) = std::fs::File::open(dir) {
                    let _ = directory.sync_all();
                }
                Ok(self)
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => CheckpointSigner::load(&path)?
                .ok_or_else(|| format!("the signing key {} vanished while being created", path.display())),
            Err(error) => Err(format!("cannot write the signing key {}: {error}", path.display())),
        }
    }

    /// Writes the key to `dir/name`, replacing what is there (a rotation
    /// taking effect), atomically.
    pub fn replace(&self, dir: &Path, name: &str) -> Result<(), String> {
        let path = dir.join(name);
        let temporary = self.write_temporary(dir, &path)?;
        std::fs::rename(&temporary, &path).map_err(|error| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write the signing key {}: {error}", path.display())
        })?;
        if let Ok(directory) = std::fs::File::open(dir) {
            let _ = directory.sync_all();
        }
        Ok(())
    }

    /// The key written, synced, under a name private to this process.
    fn write_temporary(&self, dir: &Path, path: &Path) -> Result<PathBuf, String> {
        let temporary: PathBuf = dir.join(format!("{KEY_FILE}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary)?;
            writeln!(file, "{}", hex::encode(self.key.to_bytes()))?;
            file.sync_all()
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(format!("cannot write the signing key {}: {error}", path.display()));
        }
        Ok(temporary)
    }

    /// This key's endorsement of `next` as `node`'s signing key from now on.
    pub fn endorse(&self, node: &str, next: &str) -> String {
        hex::encode(self.key.sign(&key_message(ENDORSEMENT_DOMAIN, node, next)).to_bytes())
    }

    /// This (new) key's acceptance of the hand-over from `previous`: without
    /// it, any key could "hand over" to the real one and borrow its trust.
    pub fn accept(&self, node: &str, previous: &str) -> String {
        hex::encode(self.key.sign(&key_message(ACCEPTANCE_DOMAIN, node, previous)).to_bytes())
    }

    /// The public half, hex: what `guardrail audit pubkey` prints.
    pub fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// A short fingerprint of the public key, for messages.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_key())
    }

    /// Signs the head `seq`/`head` of `node`'s chain, sealing records
    /// `first..=seq` as appended by this signer.
    pub fn sign(&self, node: &str, first: u64, seq: u64, head: Hash, time: i64) -> Checkpoint {
        let signature = self.key.sign(&Checkpoint::message(node, Some(first), seq, head, time));
        Checkpoint {
            node: node.to_owned(),
            first: Some(first),
            seq,
            head,
            time,
            key: self.public_key(),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// Whether `endorsement` is `previous`'s signature handing `node`'s
/// signing over to `next`.
pub fn endorsement_is_valid(previous: &str, node: &str, next: &str, endorsement: &str) -> bool {
    signed_by(previous, &key_message(ENDORSEMENT_DOMAIN, node, next), endorsement)
}

/// Whether `acceptance` is `next`'s signature taking `node`'s signing over
/// from `previous`.
pub fn acceptance_is_valid(next: &str, node: &str, previous: &str, acceptance: &str) -> bool {
    signed_by(next, &key_message(ACCEPTANCE_DOMAIN, node, previous), acceptance)
}

/// Whether `signature` (hex) is public key `key`'s (hex) over `message`.
fn signed_by(key: &str, message: &[u8], signature: &str) -> bool {
    let Some(key) = decode_key(key) else { return false };
    let mut bytes = [0u8; 64];
    if hex::decode_to_slice(signature, &mut bytes).is_err() {
        return false;
    }
    key.verify(message, &Signature::from_bytes(&bytes)).is_ok()
}

const ENDORSEMENT_DOMAIN: &[u8] = b"guardrail.key-rotation.v1\n";
const ACCEPTANCE_DOMAIN: &[u8] = b"guardrail.key-acceptance.v1\n";

/// The bytes signed about a key change: the domain, the node, the other key.
fn key_message(domain: &[u8], node: &str, key: &str) -> Vec<u8> {
    let mut message = domain.to_vec();
    message.extend((node.len() as u64).to_be_bytes());
    message.extend(node.as_bytes());
    message.extend(key.trim().as_bytes());
    message
}

/// Removes key files half-written by processes that are gone (killed
/// between writing and linking): `signing.key.PID.tmp` with no process PID.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(&format!("{KEY_FILE}.")))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The first 16 hex digits of SHA-256 of a public key's hex.
pub fn fingerprint(public_key: &str) -> String {
    hex::encode(&Sha256::digest(public_key.trim().as_bytes())[..8])
}

mod hash_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::chain::Hash;

    pub fn serialize<S: Serializer>(hash: &Hash, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hash.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(deserializer)?;
        Hash::from_hex(&text).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_verify_and_any_change_breaks_them() {
        let dir = tempfile::tempdir().unwrap();
        let signer = CheckpointSigner::load_or_create(dir.path()).unwrap();
        let checkpoint = signer.sign("n1", 8, 10, Hash::of(b"head"), 1_000);
        assert!(checkpoint.signature_is_valid());
        let changes: [fn(&mut Checkpoint); 6] = [
            |c| c.seq = 9,
            |c| c.node = "n2".into(),
            |c| c.head = Hash::GENESIS,
            |c| c.time += 1,
            |c| c.first = Some(1),
            |c| c.first = None,
        ];
        for change in changes {
            let mut forged = checkpoint.clone();
            change(&mut forged);
            assert!(!forged.signature_is_valid(), "{forged:?}");
        }
    }

    #[test]
    fn a_rotation_is_valid_only_when_the_previous_key_endorses_it() {
        let old = CheckpointSigner::generate().unwrap();
        let new = CheckpointSigner::generate().unwrap();
        let endorsement = old.endorse("n1", &new.public_key());
        assert!(endorsement_is_valid(&old.public_key(), "n1", &new.public_key(), &endorsement));
        assert!(!endorsement_is_valid(&old.public_key(), "n2", &new.public_key(), &endorsement));
        assert!(!endorsement_is_valid(&new.public_key(), "n1", &new.public_key(), &endorsement));
        let forged = new.endorse("n1", &new.public_key());
        assert!(!endorsement_is_valid(&old.public_key(), "n1", &new.public_key(), &forged));
    }

    #[test]
    fn a_key_file_left_half_written_by_a_killed_process_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        // No process has this id (beyond the kernel's pid_max).
        let stale = dir.path().join(format!("{KEY_FILE}.4294967.tmp"));
        std::fs::write(&stale, "0").unwrap();
        CheckpointSigner::load_or_create(dir.path()).unwrap();
        assert!(!stale.exists());
    }

    #[test]
    fn the_key_is_created_once_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = CheckpointSigner::load_or_create(dir.path()).unwrap();
        let again = CheckpointSigner::load_or_create(dir.path()).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(KEY_FILE);
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let error = CheckpointSigner::load_or_create(dir.path()).err().unwrap();
            assert!(error.contains("can be read by others"), "{error}");
        }
    }
}
