//! The data directory: where the embedded store and the signing key live.

use std::path::{Path, PathBuf};

/// The environment variable naming the data directory.
pub const ENV: &str = "GUARDRAIL_DATA_DIR";

/// `$GUARDRAIL_DATA_DIR`, else `$XDG_DATA_HOME/guardrail`, else
/// `~/.local/share/guardrail`.
pub fn default_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(ENV).filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(data).join("guardrail"));
    }
    match std::env::var_os("HOME").filter(|dir| !dir.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/guardrail")),
        None => Err(format!("no data directory: set {ENV} or HOME, or pass --data-dir")),
    }
}

/// Creates `dir` (and its parents) if missing; a directory Guardrail
/// creates is readable only by its owner.
pub fn create_private(dir: &Path) -> Result<(), String> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|error| format!("cannot create the data directory {}: {error}", dir.display()))
}

/// This machine's name, the default node id.
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|name| name.trim().to_owned())
        .find(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|name| !name.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}
