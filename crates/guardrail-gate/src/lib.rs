//! The gate, wired: which analyzer reads which kind of action, under one
//! policy. Every surface (the CLI's `check`, agent hooks, `exec`, and the
//! proxies and servers of later issues) builds its [`Guard`] here, so no
//! surface judges differently from another, and none of them holds the
//! wiring itself.

pub mod hook;
mod pool;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use guardrail_audit::{Checked, Gate, Permit, Submitted};
use guardrail_core::{ActionKind, Guard, Policy};
pub use pool::{DecisionPool, PoolError};

/// Where the gate that judges keeps its own files, which its analyzers
/// protect as the gate's (`gate.tamper`): its data directories, its policy
/// and configuration, its binary.
#[derive(Clone, Debug, Default)]
pub struct OwnPlaces {
    pub data_dirs: Vec<PathBuf>,
    pub configuration: Vec<PathBuf>,
}

impl OwnPlaces {
    /// The places of the gate this process is: `data_dir` and the default
    /// data directory, the policy at `policy_path`, and this binary unless
    /// it is a build directory's.
    pub fn of_this_process(data_dir: Option<&Path>, policy_path: Option<&Path>) -> OwnPlaces {
        let data_dirs =
            data_dir.map(Path::to_path_buf).into_iter().chain(guardrail_audit::data_dir::default_dir().ok()).collect();
        let binary = std::env::current_exe().ok().filter(|exe| !exe.to_string_lossy().contains("/target/"));
        OwnPlaces { data_dirs, configuration: policy_path.map(Path::to_path_buf).into_iter().chain(binary).collect() }
    }
}

/// A guard with every analyzer: SQL, shell (with the user's home and the
/// gate's own places), and agents' tool calls.
pub fn guard(policy: Policy, own: &OwnPlaces) -> Guard {
    let absolute = |path: &PathBuf| -> Option<String> {
        let path = if path.is_absolute() { path.clone() } else { std::env::current_dir().ok()?.join(path) };
        Some(path.to_string_lossy().into_owned())
    };
    let shell = guardrail_shell::ShellAnalyzer::for_current_user()
        .protecting(own.data_dirs.iter().filter_map(absolute), own.configuration.iter().filter_map(absolute));
    Guard::new(policy)
        .with_analyzer(ActionKind::Sql, Arc::new(guardrail_sql::SqlAnalyzer))
        .with_analyzer(ActionKind::Tool, Arc::new(guardrail_tools::ToolAnalyzer::new(shell.clone())))
        .with_analyzer(ActionKind::Shell, Arc::new(shell))
}
