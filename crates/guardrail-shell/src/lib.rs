//! The shell analyzer: what a bash command line would run, and what that
//! would do.
//!
//! A line is parsed with a real bash grammar (`brush-parser`), never matched
//! with patterns: quotes and escapes are spliced the way the shell splices
//! them (`r''m`, `\rm`, `$'\x72\x6d'`), every command of every list,
//! pipeline, subshell, loop body and substitution is visited, and code
//! handed to another shell (`bash -c`, `eval`, `ssh host '...'`, here-docs
//! and pipes into a shell, `find -exec`, `xargs`) is parsed and walked in
//! turn. Each command is then judged by what its program would do, as
//! intents ([`guardrail_core::IntentKind`]); the registry of that knowledge
//! is [`rules::RULES`], one file per family of tools.
//!
//! The key design choice: the analyzer resolves rather than guesses. A word
//! is resolved to the text the shell would pass, variables assigned earlier
//! in the line included; a path is resolved against the working directory
//! (through `cd`) and scoped (workspace, temporary, elsewhere, system,
//! device). What cannot be resolved is said so: a command name that comes
//! from an expansion is `code.dynamic`, a path known only at run time is
//! `unbounded`. The policy decides what to do about either.
//!
//! This crate knows nothing of policy, and does no I/O: it never looks at
//! the file system, so a check judges the text, not the machine it runs on.

mod braces;
pub mod catalogue;
pub mod effects;
mod flow;
pub mod given;
mod interpreters;
pub mod lexicon;
mod locations;
mod paths;
pub mod rules;
pub mod runs_later;
mod walk;
mod words;

use guardrail_core::{Analysis, Analyzer};

/// The shell analyzer. Cheap to build and to share between threads.
#[derive(Clone, Debug, Default)]
pub struct ShellAnalyzer {
    home: Option<String>,
    /// The running gate's own places, beside those every installation
    /// uses: touching them is `gate.tamper`.
    protected: Vec<(String, locations::GateFile)>,
}

impl ShellAnalyzer {
    /// An analyzer that resolves `~` and `$HOME` to `home`: the home
    /// directory of the user the commands run as. Without one, `~` is
    /// known only as "a home directory", which is scoped as a system path.
    pub fn new(home: Option<String>) -> ShellAnalyzer {
        let home = home.filter(|home| home.starts_with('/')).map(|home| paths::normalize_absolute(&home));
        ShellAnalyzer { home, protected: Vec::new() }
    }

    /// The same analyzer, protecting the running gate's data directory and
    /// its configuration files, policies and binary (absolute paths), as it
    /// protects the places every installation uses.
    pub fn protecting(
        mut self,
        data_dirs: impl IntoIterator<Item = String>,
        configuration: impl IntoIterator<Item = String>,
    ) -> ShellAnalyzer {
        let absolute = |path: &String| path.starts_with('/');
        self.protected.extend(
            data_dirs
                .into_iter()
                .filter(absolute)
                .map(|dir| (paths::normalize_absolute(&dir), locations::GateFile::Data)),
        );
        self.protected.extend(
            configuration
                .into_iter()
                .filter(absolute)
                .map(|path| (paths::normalize_absolute(&path), locations::GateFile::Config)),
        );
        self
    }

    /// An analyzer for the current user, from `$HOME`.
    pub fn for_current_user() -> ShellAnalyzer {
        ShellAnalyzer::new(std::env::var("HOME").ok())
    }
}

impl Analyzer for ShellAnalyzer {
    fn analyze(&self, action: &guardrail_core::Action) -> Analysis {
        self.analyze_in(&action.text, action.context.cwd.as_deref())
    }
}

impl ShellAnalyzer {
    /// Analyzes `text` as run in `cwd`, the workspace. Relative paths are
    /// resolved against it; without one, they are taken to lie in the
    /// workspace, wherever that is.
    pub fn analyze_in(&self, text: &str, cwd: Option<&str>) -> Analysis {
        let workspace = cwd.filter(|cwd| cwd.starts_with('/')).map(paths::normalize_absolute);
        walk::analyze(text, workspace, self.home.clone(), &self.protected)
    }
}

pub use walk::FileTool;

impl ShellAnalyzer {
    /// What an agent's file tool (`Write`, `Edit`, `Read`) does to `path`,
    /// resolved against `cwd`: judged like the same effect of any program
    /// (its scope, credentials, code planted where it runs later, the
    /// gate's own files). Spans lie in `path`.
    pub fn file_tool(&self, tool: FileTool<'_>, path: &str, cwd: Option<&str>) -> Analysis {
        let workspace = cwd.filter(|cwd| cwd.starts_with('/')).map(paths::normalize_absolute);
        walk::file_tool(tool, path, workspace, self.home.clone(), &self.protected)
    }
}

/// `text` with its `%XX` escapes decoded (a URL's path, a percent-encoded
/// argument); a `%` not followed by two hex digits stays as it is.
pub fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = text.get(index + 1..index + 3)
            && hex.bytes().all(|digit| digit.is_ascii_hexdigit())
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `word` as one shell word: as it is when every character is plain,
/// else single-quoted, so that bash reads it back exactly.
pub fn quote(word: &str) -> String {
    let plain =
        !word.is_empty() && word.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_./=:,+@%^".contains(&byte));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}

/// Analyzes a command line with no known workspace or home directory.
pub fn analyze(text: &str) -> Analysis {
    ShellAnalyzer::default().analyze_in(text, None)
}

#[cfg(test)]
mod tests;
