//! Finding the activity record from the command line: `--store`,
//! `--data-dir`, `--node` and their environment variables.

use std::path::PathBuf;

use guardrail_audit::anchor::AnchorSpec;
use guardrail_audit::{Location, Recorder, RecorderConfig, Store, data_dir};

use crate::Failure;
use crate::cli::StoreArgs;

pub fn data_dir(args: &StoreArgs) -> Result<PathBuf, Failure> {
    match &args.data_dir {
        Some(dir) => Ok(dir.clone()),
        None => data_dir::default_dir().map_err(Failure::Usage),
    }
}

pub fn node(args: &StoreArgs) -> String {
    args.node.clone().filter(|node| !node.is_empty()).unwrap_or_else(data_dir::hostname)
}

/// The store named by `chosen` (a `--record=STORE`), else `--store`, else
/// the data directory's SQLite file.
pub fn location(args: &StoreArgs, chosen: Option<&str>) -> Result<Location, Failure> {
    match chosen.filter(|store| !store.is_empty()).or(args.store.as_deref().filter(|store| !store.is_empty())) {
        Some(store) => Location::parse(store).map_err(Failure::Usage),
        None => Ok(Location::in_data_dir(&data_dir(args)?)),
    }
}

/// The anchors named by `--anchor` and `GUARDRAIL_ANCHORS`.
pub fn anchors(args: &StoreArgs) -> Result<Vec<AnchorSpec>, Failure> {
    args.anchors
        .iter()
        .filter(|anchor| !anchor.trim().is_empty())
        .map(|anchor| AnchorSpec::parse(anchor).map_err(Failure::Usage))
        .collect()
}

/// How to open a recorder for this node.
pub fn recorder_config(args: &StoreArgs, chosen: Option<&str>) -> Result<RecorderConfig, Failure> {
    let mut config = RecorderConfig::new(location(args, chosen)?, node(args), data_dir(args)?);
    config.anchors = anchors(args)?;
    Ok(config)
}

/// A recorder for this node, creating the store and key on first use.
pub fn recorder(args: &StoreArgs, chosen: Option<&str>) -> Result<Recorder, Failure> {
    Recorder::open(recorder_config(args, chosen)?).map_err(|error| Failure::Io(error.to_string()))
}

/// The store, for reading. An embedded store that does not exist yet is an
/// error, not an empty record created as a side effect of reading.
pub fn open(args: &StoreArgs) -> Result<Box<dyn Store>, Failure> {
    let location = location(args, None)?;
    if let Location::Sqlite(path) = &location
        && !path.exists()
    {
        return Err(Failure::Usage(format!(
            "there is no activity record at {} yet (record with `guardrail check --record`, \
             or point --data-dir or --store at an existing one)",
            path.display()
        )));
    }
    location.open_read_only().map_err(|error| Failure::Io(format!("{location}: {error}")))
}
