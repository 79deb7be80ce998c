//! Loading policies from files.

use std::path::Path;

use guardrail_core::Policy;
use guardrail_core::policy::{PolicyError, Source};

/// Why policies could not be loaded.
pub enum LoadError {
    /// A file could not be read, or a directory held no policies.
    Io(String),
    /// The policies were read but are invalid.
    Invalid(PolicyError),
}

/// The policies at `path` (a .cedar file, or a directory whose .cedar files
/// are read in name order), or the built-in default policy.
pub fn policy(path: Option<&Path>) -> Result<Policy, LoadError> {
    match path {
        None => Ok(Policy::default_policy()),
        Some(path) => Policy::from_sources(sources(path)?).map_err(LoadError::Invalid),
    }
}

/// Like [`policy`], for commands that run once per action (agent hooks,
/// `exec`): policies of your own are validated against the schema once,
/// and their [`validation_key`] kept in `data_dir/validated/`, so that
/// later calls with the same policies, schema and versions skip Cedar's
/// validation (tens of milliseconds of every call). The default policy is
/// validated by a test and needs none of this.
///
/// The marker can only skip validation of text that passed it: changing a
/// policy changes its key. If the marker cannot be written, every call
/// validates.
///
/// [`validation_key`]: guardrail_core::policy::validation_key
pub fn policy_validated_once(path: Option<&Path>, data_dir: &Path) -> Result<Policy, LoadError> {
    let Some(path) = path else {
        return Ok(Policy::default_policy());
    };
    let sources = sources(path)?;
    let marker = data_dir.join("validated").join(guardrail_core::policy::validation_key(&sources));
    if marker.is_file() {
        return Policy::from_validated_sources(sources).map_err(LoadError::Invalid);
    }
    let policy = Policy::from_sources(sources).map_err(LoadError::Invalid)?;
    if let Some(dir) = marker.parent()
        && guardrail_audit::data_dir::create_private(dir).is_ok()
    {
        // Best effort: without the marker, the next call validates again.
        let _ = std::fs::write(&marker, "");
    }
    Ok(policy)
}

pub fn sources(path: &Path) -> Result<Vec<Source>, LoadError> {
    let metadata = std::fs::metadata(path).map_err(|error| LoadError::Io(format!("{}: {error}", path.display())))?;
    let files = if metadata.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|error| LoadError::Io(format!("{}: {error}", path.display())))?;
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|file| file.extension().is_some_and(|extension| extension == "cedar"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(LoadError::Io(format!("{}: no .cedar files in this directory", path.display())));
        }
        files
    } else {
        vec![path.to_owned()]
    };
    files
        .into_iter()
        .map(|file| {
            std::fs::read_to_string(&file)
                .map(|text| Source::new(file.display().to_string(), text))
                .map_err(|error| LoadError::Io(format!("{}: {error}", file.display())))
        })
        .collect()
}
