//! The configuration file: which policy, store, data directory, node,
//! anchors and actor the gate uses, so that neither a hook's command line
//! nor an agent's environment has to say it.
//!
//! The first file found is the configuration: `$GUARDRAIL_CONFIG`, then
//! the system's `/etc/guardrail/config.toml`, then the user's
//! `~/.config/guardrail/config.toml` (`$XDG_CONFIG_HOME`). A system file
//! makes the user's unread: on a managed machine the administrator's
//! settings are the gate's. Its values are defaults under the command
//! line and the `GUARDRAIL_*` variables, which a governed agent cannot set
//! for the gate (the analyzers hold both, and the file itself, as
//! `gate.tamper`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What a configuration file may say.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A Cedar policy file or directory.
    pub policy: Option<PathBuf>,
    /// The record's store: postgres://..., sqlite:PATH or a file path.
    pub store: Option<String>,
    /// The data directory: the embedded record and the signing key.
    pub data_dir: Option<PathBuf>,
    /// This node's name.
    pub node: Option<String>,
    /// Witnesses of every checkpoint.
    #[serde(default)]
    pub anchors: Vec<String>,
    /// Who acts, for `guardrail exec` (default: the OS user).
    pub actor: Option<String>,
}

/// The system-wide configuration file.
pub const SYSTEM: &str = "/etc/guardrail/config.toml";

/// Where the configuration is looked for, in order.
pub fn candidates() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(path) = std::env::var_os("GUARDRAIL_CONFIG").filter(|path| !path.is_empty()) {
        paths.push(PathBuf::from(path));
    }
    paths.push(PathBuf::from(SYSTEM));
    let user = std::env::var_os("XDG_CONFIG_HOME").filter(|dir| !dir.is_empty()).map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").filter(|dir| !dir.is_empty()).map(|home| PathBuf::from(home).join(".config"))
    });
    if let Some(dir) = user {
        paths.push(dir.join("guardrail/config.toml"));
    }
    paths
}

/// The configuration in force and where it was read, if any file exists.
pub fn load() -> Result<Option<(PathBuf, Config)>, String> {
    for path in candidates() {
        match std::fs::read_to_string(&path) {
            Ok(text) => return read(&path, &text).map(|config| Some((path, config))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(format!("cannot read the configuration {}: {error}", path.display())),
        }
    }
    Ok(None)
}

fn read(path: &Path, text: &str) -> Result<Config, String> {
    let mut config: Config = toml::from_str(text).map_err(|error| format!("{}: {error}", path.display()))?;
    // Relative paths are relative to the file, not to wherever the gate runs.
    let base = path.parent().unwrap_or(Path::new("/"));
    for relative in [&mut config.policy, &mut config.data_dir].into_iter().flatten() {
        if relative.is_relative() {
            *relative = base.join(&*relative);
        }
    }
    Ok(config)
}

/// The variables the configuration file set (not the caller's own).
pub static APPLIED: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();

/// Whether the configuration file, not the caller, gave variable `name`.
pub fn from_file(name: &str) -> bool {
    APPLIED.get().is_some_and(|names| names.contains(&name))
}

/// Puts the configuration's values where the command line reads its
/// defaults (the `GUARDRAIL_*` variables), under any already set. Runs
/// first thing in `main`, before any thread exists.
pub fn apply() -> Result<Option<PathBuf>, String> {
    let Some((path, config)) = load()? else { return Ok(None) };
    let mut applied = Vec::new();
    let mut set = |name: &'static str, value: Option<String>| {
        if let Some(value) = value
            && std::env::var_os(name).is_none()
        {
            // SAFETY: called at the start of `main`, before any other
            // thread is started, so nothing reads the environment meanwhile.
            unsafe { std::env::set_var(name, value) };
            applied.push(name);
        }
    };
    set("GUARDRAIL_POLICY", config.policy.map(|path| path.display().to_string()));
    set("GUARDRAIL_STORE", config.store);
    set("GUARDRAIL_DATA_DIR", config.data_dir.map(|path| path.display().to_string()));
    set("GUARDRAIL_NODE", config.node);
    set("GUARDRAIL_ANCHORS", (!config.anchors.is_empty()).then(|| config.anchors.join(",")));
    set("GUARDRAIL_ACTOR", config.actor);
    let _ = APPLIED.set(applied);
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_is_read_and_its_paths_are_made_absolute() {
        let text =
            "policy = \"policies\"\nstore = \"postgres://gate@db/audit\"\nanchors = [\"file:/var/log/a.jsonl\"]\n";
        let config = read(Path::new("/etc/guardrail/config.toml"), text).unwrap();
        assert_eq!(config.policy.as_deref(), Some(Path::new("/etc/guardrail/policies")));
        assert_eq!(config.anchors, ["file:/var/log/a.jsonl"]);
        let error = read(Path::new("/etc/guardrail/config.toml"), "polcy = \"x\"\n").unwrap_err();
        assert!(error.contains("unknown field"), "{error}");
    }
}
