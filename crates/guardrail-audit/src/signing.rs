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
/// with hash `head`, at `time`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub node: String,
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

impl Checkpoint {
    /// The bytes signed.
    pub fn message(node: &str, seq: u64, head: Hash, time: i64) -> Vec<u8> {
        let mut message = CHECKPOINT_DOMAIN.to_vec();
        message.extend((node.len() as u64).to_be_bytes());
        message.extend(node.as_bytes());
        message.extend(seq.to_be_bytes());
        message.extend(head.0);
        message.extend(time.to_be_bytes());
        message
    }

    /// Whether the signature is the key's over the checkpoint's fields.
    pub fn signature_is_valid(&self) -> bool {
        let Some(key) = decode_key(&self.key) else { return false };
        let mut signature = [0u8; 64];
        if hex::decode_to_slice(&self.signature, &mut signature).is_err() {
            return false;
        }
        key.verify(&Checkpoint::message(&self.node, self.seq, self.head, self.time), &Signature::from_bytes(&signature))
            .is_ok()
    }
}

/// Reads a public key from hex.
pub fn decode_key(text: &str) -> Option<VerifyingKey> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// A node's signing key, loaded from (or created in) its data directory.
pub struct CheckpointSigner {
    key: SigningKey,
}

impl CheckpointSigner {
    /// Loads the key in `dir`, generating it on first use. The file is
    /// readable only by its owner; a key file others can read is refused.
    pub fn load_or_create(dir: &Path) -> Result<CheckpointSigner, String> {
        let path = dir.join(KEY_FILE);
        match CheckpointSigner::load(&path)? {
            Some(signer) => Ok(signer),
            None => CheckpointSigner::create(dir, &path),
        }
    }

    /// Loads the key in `dir`, if there is one.
    pub fn load_from(dir: &Path) -> Result<Option<CheckpointSigner>, String> {
        CheckpointSigner::load(&dir.join(KEY_FILE))
    }

    fn load(path: &Path) -> Result<Option<CheckpointSigner>, String> {
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

    fn create(dir: &Path, path: &Path) -> Result<CheckpointSigner, String> {
        crate::data_dir::create_private(dir)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| format!("cannot generate a signing key: {error}"))?;
        // Written under a private name, then linked into place: a process
        // racing to create the key either wins or loads the winner's key.
        let temporary: PathBuf = dir.join(format!("{KEY_FILE}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary)?;
            writeln!(file, "{}", hex::encode(seed))?;
            file.sync_all()
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(format!("cannot write the signing key {}: {error}", path.display()));
        }
        let linked = std::fs::hard_link(&temporary, path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(CheckpointSigner { key: SigningKey::from_bytes(&seed) }),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => CheckpointSigner::load(path)?
                .ok_or_else(|| format!("the signing key {} vanished while being created", path.display())),
            Err(error) => Err(format!("cannot write the signing key {}: {error}", path.display())),
        }
    }

    /// The public half, hex: what `guardrail audit pubkey` prints.
    pub fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// A short fingerprint of the public key, for messages.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_key())
    }

    pub fn sign(&self, node: &str, seq: u64, head: Hash, time: i64) -> Checkpoint {
        let signature = self.key.sign(&Checkpoint::message(node, seq, head, time));
        Checkpoint {
            node: node.to_owned(),
            seq,
            head,
            time,
            key: self.public_key(),
            signature: hex::encode(signature.to_bytes()),
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
        let checkpoint = signer.sign("n1", 10, Hash::of(b"head"), 1_000);
        assert!(checkpoint.signature_is_valid());
        let changes: [fn(&mut Checkpoint); 4] =
            [|c| c.seq = 9, |c| c.node = "n2".into(), |c| c.head = Hash::GENESIS, |c| c.time += 1];
        for change in changes {
            let mut forged = checkpoint.clone();
            change(&mut forged);
            assert!(!forged.signature_is_valid(), "{forged:?}");
        }
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
