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
    /// The people who log in to the console, each with a password.
    #[serde(default, rename = "users", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserEntry>,
    /// The console's address as people reach it (for links in messages);
    /// default `http://` and the listening address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// A PostgreSQL proxy's configuration file to host (relative paths are
    /// relative to this file's directory): its listener runs in the daemon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<std::path::PathBuf>,
    /// Where every change to an approval request is sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<crate::webhooks::WebhookEntry>,
    /// MCP servers fronted over HTTP, each at `/mcp/NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mcp: Vec<McpEntry>,
}

/// An MCP server the daemon fronts: its name (tools are recorded as
/// `mcp__NAME__TOOL`), its Streamable HTTP endpoint, and the environment
/// variable holding the bearer token the proxy presents to it (never
/// written in this file, never shown to clients).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct McpEntry {
    pub name: String,
    pub upstream: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_token_env: Option<String>,
    /// What arguments are, besides what their names and the tools' schemas
    /// say: `"TOOL.ARGUMENT=KIND"` (`"run.q=sql"`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<String>,
}

/// A person who logs in to the console: a name, roles, and an argon2id
/// verifier of the password (PHC string), never the password itself.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    pub argon2: String,
}

/// The fewest characters a console password may have.
pub const MIN_PASSWORD: usize = 12;

/// An argon2id verifier of `password`, with a fresh salt and the crate's
/// recommended cost (OWASP's: 19 MiB, two passes).
pub fn password_verifier(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|error| format!("no randomness: {error}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|error| error.to_string())?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| error.to_string())?
        .to_string())
}

/// Whether `password` matches `verifier` (in time that does not depend on
/// where they differ).
pub fn password_matches(password: &str, verifier: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(verifier)
        .is_ok_and(|hash| argon2::Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
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
        for user in &config.users {
            if argon2::password_hash::PasswordHash::new(&user.argon2).is_err() {
                return Err(format!("{}: user {:?} has no valid argon2 verifier", path.display(), user.name));
            }
        }
        Ok(config)
    }

    /// Adds a person who logs in to the console with `password`; a name in
    /// use is refused, and so is a short password.
    pub fn add_user(&mut self, name: &str, roles: Vec<String>, password: &str) -> Result<(), String> {
        if name.trim().is_empty() {
            return Err("a user needs a name".into());
        }
        if self.users.iter().any(|user| user.name == name) {
            return Err(format!("there is already a user {name:?}; remove it first"));
        }
        if password.chars().count() < MIN_PASSWORD {
            return Err(format!("a password needs at least {MIN_PASSWORD} characters"));
        }
        self.users.push(UserEntry { name: name.to_owned(), roles, argon2: password_verifier(password)? });
        Ok(())
    }

    /// Removes user `name`; whether there was one.
    pub fn remove_user(&mut self, name: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|user| user.name != name);
        self.users.len() != before
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
