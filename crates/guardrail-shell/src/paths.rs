//! Where a path lies: resolving it against the working directory and
//! scoping it (workspace, temporary, elsewhere, system, device).

use guardrail_core::Scope;

/// Directories whose whole tree belongs to the machine.
const SYSTEM_TREES: &[&str] = &[
    "/bin",
    "/boot",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/opt",
    "/proc",
    "/root",
    "/sbin",
    "/snap",
    "/srv",
    "/sys",
    "/usr",
    "/var",
    "/System",
    "/Library",
    "/Applications",
    "/private",
];

/// Directories whose children are home directories: the parent and each
/// home directory itself are system paths, what lies deeper is not.
const HOME_PARENTS: &[&str] = &["/home", "/Users"];

/// Temporary directories: what lies inside them is `temporary`; the
/// directories themselves are shared by every user and are `system`.
pub(crate) const TEMPORARY_ROOTS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// Device files that are safe to write to.
const HARMLESS_DEVICES: &[&str] = &["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero", "/dev/full"];

/// Where a command runs: a known absolute directory, or a directory given
/// relative to the workspace when the workspace's own path is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Absolute(String),
    /// Relative to the workspace; `""` is the workspace itself, and leading
    /// `..` components climb out of it.
    Workspace(String),
}

/// A resolved path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    /// The path as shown in intents: absolute, or relative to the
    /// workspace (`./build`) when its path is unknown.
    pub name: String,
    pub scope: Scope,
}

/// Turns `/a//b/./c/../d/` into `/a/b/d`. `..` above the root stays at
/// the root, as the kernel does.
pub(crate) fn normalize_absolute(path: &str) -> String {
    if is_normal(path) {
        return path.to_owned();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether an absolute path is already normal: no empty, `.` or `..`
/// component, no trailing slash (most paths are: the common case costs
/// no allocation beyond the result).
fn is_normal(path: &str) -> bool {
    path.len() > 1 && path.starts_with('/') && !path[1..].split('/').any(|part| matches!(part, "" | "." | ".."))
}

fn normalize_absolute_owned(path: String) -> String {
    if is_normal(&path) { path } else { normalize_absolute(&path) }
}

/// Normalizes a path relative to the workspace, keeping leading `..`.
fn normalize_relative(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&"..") | None => parts.push(".."),
                Some(_) => {
                    parts.pop();
                }
            },
            part => parts.push(part),
        }
    }
    parts.join("/")
}

impl Dir {
    /// The directory `path` names when the shell is in `self`.
    pub(crate) fn join(&self, path: &str) -> Dir {
        if path.starts_with('/') {
            return Dir::Absolute(normalize_absolute(path));
        }
        match self {
            Dir::Absolute(base) => {
                let mut joined = String::with_capacity(base.len() + 1 + path.len());
                joined.push_str(base);
                joined.push('/');
                joined.push_str(path);
                Dir::Absolute(normalize_absolute_owned(joined))
            }
            Dir::Workspace(base) => Dir::Workspace(normalize_relative(&format!("{base}/{path}"))),
        }
    }

    fn display(&self) -> String {
        match self {
            Dir::Absolute(path) => path.clone(),
            Dir::Workspace(path) if path.is_empty() => ".".to_owned(),
            Dir::Workspace(path) => format!("./{path}"),
        }
    }
}

/// What the analyzer knows of the machine's layout.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// The workspace's absolute path, when the check was given one.
    pub workspace: Option<String>,
    pub home: Option<String>,
}

impl Layout {
    /// Scopes a literal path (no globs) named from `cwd`.
    pub(crate) fn place(&self, cwd: &Dir, path: &str) -> Place {
        let dir = cwd.join(path);
        Place { scope: self.scope(&dir), name: dir.display() }
    }

    /// Scopes what a glob could match: every entry strictly below the
    /// literal directory in front of its first pattern.
    pub(crate) fn place_glob(&self, cwd: &Dir, pattern: &str) -> Place {
        let literal: Vec<&str> = pattern.split('/').take_while(|part| !has_pattern(part)).collect();
        let prefix = literal.join("/");
        let parent = if prefix.is_empty() && pattern.starts_with('/') {
            Dir::Absolute("/".to_owned())
        } else if prefix.is_empty() {
            cwd.clone()
        } else {
            cwd.join(&prefix)
        };
        let name = match &parent {
            Dir::Absolute(parent) if pattern.starts_with('/') || matches!(cwd, Dir::Absolute(_)) => {
                let rest = &pattern[pattern.len().min(prefix.len())..];
                if prefix.is_empty() && !pattern.starts_with('/') {
                    format!("{}/{pattern}", parent.trim_end_matches('/'))
                } else {
                    format!("{}{rest}", parent.trim_end_matches('/'))
                }
            }
            _ => pattern.to_owned(),
        };
        let scope = match &parent {
            Dir::Absolute(parent) if parent == "/" || HOME_PARENTS.contains(&parent.as_str()) => Scope::System,
            Dir::Absolute(parent) => self.scope(&Dir::Absolute(format!("{parent}/entry"))),
            Dir::Workspace(parent) if parent.split('/').all(|part| part == "..") && !parent.is_empty() => {
                // The children of an ancestor include the workspace's own
                // ancestors' siblings: outside, not the machine.
                Scope::Elsewhere
            }
            Dir::Workspace(parent) => self.scope(&Dir::Workspace(format!("{parent}/entry"))),
        };
        Place { name, scope }
    }

    fn scope(&self, dir: &Dir) -> Scope {
        match dir {
            Dir::Workspace(path) if path.is_empty() => Scope::Elsewhere,
            Dir::Workspace(path) if path.split('/').all(|part| part == "..") => Scope::System,
            Dir::Workspace(path) if path.starts_with("..") => Scope::Elsewhere,
            Dir::Workspace(_) => Scope::Workspace,
            Dir::Absolute(path) => self.scope_absolute(path),
        }
    }

    fn scope_absolute(&self, path: &str) -> Scope {
        let under =
            |root: &str| path.len() > root.len() && path.starts_with(root) && path.as_bytes()[root.len()] == b'/';
        if let Some(workspace) = &self.workspace {
            if under(workspace) {
                return Scope::Workspace;
            }
            if path == workspace {
                return Scope::Elsewhere;
            }
            if path == "/" || under(path) && workspace.starts_with(path) {
                return Scope::System;
            }
        }
        if path == "/dev" || under("/dev") && !under("/dev/shm") {
            return Scope::Device;
        }
        if TEMPORARY_ROOTS.iter().any(|root| under(root)) {
            return Scope::Temporary;
        }
        // The user's own files, even when their home is under a system tree
        // (root's is /root): like any home directory's contents.
        if self.home.as_deref().is_some_and(|home| home != "/" && under(home)) {
            return Scope::Elsewhere;
        }
        if path == "/"
            || TEMPORARY_ROOTS.contains(&path)
            || SYSTEM_TREES.iter().any(|root| path == *root || under(root))
            || self.home.as_deref() == Some(path)
            || self
                .home
                .as_deref()
                .is_some_and(|home| home.starts_with(path) && home.as_bytes().get(path.len()) == Some(&b'/'))
        {
            return Scope::System;
        }
        for parent in HOME_PARENTS {
            if path == *parent || under(parent) && !path[parent.len() + 1..].contains('/') {
                return Scope::System;
            }
        }
        Scope::Elsewhere
    }
}

/// Whether a path component holds glob syntax. (Brace expressions are
/// expanded into separate words before paths are scoped.)
pub(crate) fn has_pattern(part: &str) -> bool {
    part.contains(['*', '?', '['])
}

/// Whether writing to `path` (absolute) is writing to a device that holds
/// data: a disk, a partition, a memory device.
pub(crate) fn is_data_device(path: &str) -> bool {
    path.starts_with("/dev/")
        && !HARMLESS_DEVICES.contains(&path)
        && !path.starts_with("/dev/fd/")
        && !path.starts_with("/dev/shm/")
        && !path.starts_with("/dev/pts/")
}

/// Whether writing to `path` is harmless whatever the policy: `/dev/null`
/// and the standard streams.
pub(crate) fn is_harmless_device(path: &str) -> bool {
    HARMLESS_DEVICES.contains(&path) || path.starts_with("/dev/fd/") || path.starts_with("/dev/pts/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_scoped_against_the_workspace() {
        let layout = Layout { workspace: Some("/home/dev/app".to_owned()), home: Some("/home/dev".to_owned()) };
        let cwd = Dir::Absolute("/home/dev/app".to_owned());
        let cases = [
            ("build", "/home/dev/app/build", Scope::Workspace),
            ("./src/../build", "/home/dev/app/build", Scope::Workspace),
            (".", "/home/dev/app", Scope::Elsewhere),
            ("..", "/home/dev", Scope::System),
            ("../other", "/home/dev/other", Scope::Elsewhere),
            ("/", "/", Scope::System),
            ("/etc", "/etc", Scope::System),
            ("/usr/local/bin/x", "/usr/local/bin/x", Scope::System),
            ("/home/user", "/home/user", Scope::System),
            ("/home/user/projects/x", "/home/user/projects/x", Scope::Elsewhere),
            ("/home", "/home", Scope::System),
            ("/tmp/build", "/tmp/build", Scope::Temporary),
            ("/tmp", "/tmp", Scope::System),
            ("/var/tmp/x", "/var/tmp/x", Scope::Temporary),
            ("/var/log/syslog", "/var/log/syslog", Scope::System),
            ("/dev/sda", "/dev/sda", Scope::Device),
            ("/srv/../tmp/x", "/tmp/x", Scope::Temporary),
            ("/opt2/x", "/opt2/x", Scope::Elsewhere),
        ];
        let root = Layout { workspace: Some("/root/app".to_owned()), home: Some("/root".to_owned()) };
        let cwd_root = Dir::Absolute("/root/app".to_owned());
        for (path, scope) in [
            ("/root/notes.txt", Scope::Elsewhere),
            ("/root", Scope::System),
            ("/root/app/x", Scope::Workspace),
            ("/etc", Scope::System),
        ] {
            assert_eq!(root.place(&cwd_root, path).scope, scope, "{path} with home /root");
        }
        for (path, name, scope) in cases {
            let place = layout.place(&cwd, path);
            assert_eq!((place.name.as_str(), place.scope), (name, scope), "{path}");
        }
    }

    #[test]
    fn globs_are_scoped_by_what_they_can_match() {
        let layout = Layout { workspace: Some("/home/dev/app".to_owned()), home: None };
        let cwd = Dir::Absolute("/home/dev/app".to_owned());
        let cases = [
            ("*", Scope::Workspace),
            (".*", Scope::Workspace),
            ("src/*.rs", Scope::Workspace),
            ("/tmp/*", Scope::Temporary),
            ("/*", Scope::System),
            ("/home/*", Scope::System),
            ("/etc/*.conf", Scope::System),
        ];
        for (pattern, scope) in cases {
            assert_eq!(layout.place_glob(&cwd, pattern).scope, scope, "{pattern}");
        }
    }

    #[test]
    fn without_a_known_workspace_relative_paths_stay_relative() {
        let layout = Layout { workspace: None, home: None };
        let cwd = Dir::Workspace(String::new());
        let cases = [
            ("build", "./build", Scope::Workspace),
            (".", ".", Scope::Elsewhere),
            ("..", "./..", Scope::System),
            ("../x", "./../x", Scope::Elsewhere),
            ("/tmp/x", "/tmp/x", Scope::Temporary),
        ];
        for (path, name, scope) in cases {
            let place = layout.place(&cwd, path);
            assert_eq!((place.name.as_str(), place.scope), (name, scope), "{path}");
        }
    }
}
