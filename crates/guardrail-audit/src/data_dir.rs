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

/// Writes `text` to `path` readable by its owner only (a file holding
/// verifiers or token digests), through a temporary file renamed into
/// place, so that a crash leaves the old file or the new one.
pub fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let temporary = path.with_extension("new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(|error| format!("{}: {error}", temporary.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| format!("{}: {error}", temporary.display()))?;
    std::fs::rename(&temporary, path).map_err(|error| format!("{}: {error}", path.display()))
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
