//! `guardrail serve`'s configuration file: where it listens, and the API
//! tokens it accepts, each an identity. Only a token's SHA-256 is kept: a
//! token is 32 random bytes, so a fast hash is as good as a slow one, and the
//! file never holds what a caller presents.

use std::path::Path;

use guardrail_core::ActorKind;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(default, rename = "tokens", skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenEntry>,
}

/// An API token: the identity it stands for, and its SHA-256 (hex).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    pub kind: ActorKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    pub sha256: String,
}

/// The prefix of every token, so that secret scanners know one.
pub const TOKEN_PREFIX: &str = "grt_";

impl ServeConfig {
    /// Reads a configuration file; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<ServeConfig, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(ServeConfig::default()),
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        let config: ServeConfig =
            toml::from_str(&text).map_err(|error| format!("{}: {}", path.display(), error.message()))?;
        for entry in &config.tokens {
            if entry.sha256.len() != 64 || hex::decode(&entry.sha256).is_err() {
                return Err(format!("{}: token {:?} has no valid sha256", path.display(), entry.name));
            }
        }
        Ok(config)
    }

    /// Writes the file, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = toml::to_string(self).map_err(|error| error.to_string())?;
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty() && !parent.exists()) {
            guardrail_audit::data_dir::create_private(parent)?;
        }
        guardrail_audit::data_dir::write_private(path, &text)
    }

    /// Mints a token for a new identity and keeps its digest; returns the
    /// token, to be shown once. A name already in use is refused.
    pub fn add_token(&mut self, name: &str, kind: ActorKind, roles: Vec<String>) -> Result<String, String> {
        if name.trim().is_empty() {
            return Err("a token needs a name".into());
        }
        if self.tokens.iter().any(|entry| entry.name == name) {
            return Err(format!("there is already a token for {name:?}; revoke it first"));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|error| format!("no randomness: {error}"))?;
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        self.tokens.push(TokenEntry { name: name.to_owned(), kind, roles, sha256: token_digest(&token) });
        Ok(token)
    }

    /// Removes `name`'s token; whether there was one.
    pub fn revoke(&mut self, name: &str) -> bool {
        let before = self.tokens.len();
        self.tokens.retain(|entry| entry.name != name);
        self.tokens.len() != before
    }
}

/// The SHA-256 of a presented token, hex.
pub fn token_digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two digests in time that does not depend on where they differ.
pub fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
