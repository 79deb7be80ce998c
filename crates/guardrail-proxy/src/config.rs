//! The proxy's configuration file (TOML): where to listen, the upstream
//! server and its credential, TLS, the identities clients log in as, and
//! what to mask.
//!
//! ```toml
//! listen = "127.0.0.1:6432"
//! upstream = "postgres://guardrail@127.0.0.1:5432/app?sslmode=prefer"
//!
//! [tls]
//! certificate = "server.crt"
//! key = "server.key"
//!
//! [[identities]]
//! name = "claude"
//! kind = "agent"
//! roles = ["app"]
//! verifier = "SCRAM-SHA-256$4096:...$...:..."
//!
//! [masking]
//! columns = ["ssn", "card_number"]
//! ```
//!
//! The upstream's password may sit in the URL, but is better given in the
//! environment (`GUARDRAIL_UPSTREAM_PASSWORD`); either way it is masked
//! wherever the proxy prints or records the URL.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use guardrail_core::ActorKind;
use serde::{Deserialize, Serialize};

use crate::scram::Verifier;

/// The environment variable holding the upstream's password.
pub const UPSTREAM_PASSWORD_ENV: &str = "GUARDRAIL_UPSTREAM_PASSWORD";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    pub listen: Option<SocketAddr>,
    pub upstream: Option<String>,
    /// The environment the upstream is (`production` unless said).
    pub environment: Option<String>,
    pub tls: Option<TlsFiles>,
    #[serde(default)]
    pub identities: Vec<IdentityEntry>,
    #[serde(default)]
    pub masking: Masking,
    /// The largest message a client may send, in bytes (default 64 MiB).
    pub max_message_bytes: Option<usize>,
    /// The most server connections open at once (default 80); clients
    /// beyond wait at login for one to close.
    pub max_server_connections: Option<usize>,
    /// How long a decision may take, in milliseconds (default 2000).
    pub decision_deadline_ms: Option<u64>,
    /// How long a statement held for approval waits for a person, in
    /// milliseconds (default 30000; 0 refuses it at once).
    pub approval_hold_ms: Option<u64>,
    /// The console's address, for the link a held statement's notice gives.
    pub console_url: Option<String>,
    /// The directory the file was read from: relative paths are relative to it.
    #[serde(skip)]
    pub base: PathBuf,
}

/// The certificate chain and private key the proxy terminates TLS with (PEM).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// Someone who logs in to the proxy.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityEntry {
    pub name: String,
    pub kind: ActorKind,
    #[serde(default)]
    pub roles: Vec<String>,
    /// The person an agent acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// SCRAM-SHA-256 verifier of the identity's password.
    pub verifier: String,
}

/// What result values are masked.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Masking {
    /// Column names masked in every result, besides those the built-in
    /// sensitive-name rules match.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Switches the built-in sensitive-name rules off (default on).
    #[serde(default)]
    pub no_builtin_rules: bool,
    /// Switches off scanning text values for secrets (default on).
    #[serde(default)]
    pub no_value_scan: bool,
}

impl ProxyConfig {
    pub fn load(path: &Path) -> Result<ProxyConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
        let mut config: ProxyConfig = toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        config.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for identity in &config.identities {
            Verifier::parse(&identity.verifier)
                .map_err(|error| format!("{}: identity {:?}: {error}", path.display(), identity.name))?;
        }
        let mut names: Vec<&str> = config.identities.iter().map(|identity| identity.name.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!("{}: identity {:?} is named twice", path.display(), pair[0]));
        }
        Ok(config)
    }

    /// `path` made relative to the file's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() { path.to_owned() } else { self.base.join(path) }
    }
}

/// Adds an identity to the file at `path` (created if absent), keeping
/// everything else in it as written.
pub fn add_identity(path: &Path, identity: &IdentityEntry) -> Result<(), String> {
    validate_name(&identity.name)?;
    if path.exists() {
        let config = ProxyConfig::load(path)?;
        if config.identities.iter().any(|existing| existing.name == identity.name) {
            return Err(format!(
                "{}: identity {:?} already exists; remove its [[identities]] entry first to replace it",
                path.display(),
                identity.name
            ));
        }
    }
    #[derive(Serialize)]
    struct One<'i> {
        identities: [&'i IdentityEntry; 1],
    }
    let table = toml::to_string(&One { identities: [identity] }).map_err(|error| error.to_string())?;
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&table);
    guardrail_audit::data_dir::write_private(path, &text)
}

fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 63 || name.chars().any(|c| c.is_control()) {
        return Err(format!("{name:?} is not a usable name: 1 to 63 printable characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_added_without_disturbing_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("proxy.toml");
        std::fs::write(&path, "# the proxy\nupstream = \"postgres://u@h/db\"\n").unwrap();
        let identity = |name: &str| IdentityEntry {
            name: name.into(),
            kind: ActorKind::Agent,
            roles: vec!["app".into()],
            on_behalf_of: None,
            verifier: Verifier::of_password("pw"),
        };
        add_identity(&path, &identity("claude")).unwrap();
        add_identity(&path, &identity("codex")).unwrap();
        let error = add_identity(&path, &identity("claude")).unwrap_err();
        assert!(error.contains("already exists"), "{error}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# the proxy\n"), "{text}");
        let config = ProxyConfig::load(&path).unwrap();
        let names: Vec<&str> = config.identities.iter().map(|identity| identity.name.as_str()).collect();
        assert_eq!(names, ["claude", "codex"]);
        assert_eq!(config.identities[0].roles, ["app"]);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_clear_password_or_an_unknown_field_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("proxy.toml");
        std::fs::write(&path, "[[identities]]\nname = \"a\"\nkind = \"agent\"\nverifier = \"hunter2\"\n").unwrap();
        assert!(ProxyConfig::load(&path).unwrap_err().contains("not a SCRAM-SHA-256 verifier"));
        std::fs::write(&path, "upstream = \"x\"\npassword = \"hunter2\"\n").unwrap();
        assert!(ProxyConfig::load(&path).unwrap_err().contains("unknown field"));
    }
}
