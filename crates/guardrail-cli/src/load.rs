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
