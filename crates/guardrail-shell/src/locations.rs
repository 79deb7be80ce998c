//! What a path is to the machine, beyond where it lies: a file that holds
//! credentials, shell history or a log, a place where code runs later, or
//! one that grants access or privilege.
//!
//! Every effect on a path goes through these: `>`, `tee`, `cp`, `sed -i`,
//! `curl -o` and Python's `open(..., "w")` writing `~/.bashrc` all plant
//! code in it, whichever program wrote it. Paths are the resolved names of
//! [`crate::paths::Place`]: absolute, or `./relative` when the workspace's
//! own path is unknown; a home directory the analyzer could not resolve is
//! `/home/~`.

/// A place where what is written runs later, and how its content reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Planted {
    /// Shell code, run at log-in, start-up or by a scheduler as a script.
    Shell,
    /// A crontab: schedule fields, then a command. System crontabs name the
    /// user after the schedule.
    Cron { user_field: bool },
    /// A systemd unit: its `Exec...=` lines run.
    Systemd,
    /// Git's configuration: hooks paths, ssh commands, editors, aliases
    /// with `!` and filters all run programs.
    GitConfig,
    /// ssh's client configuration: `ProxyCommand`, `LocalCommand`.
    SshConfig,
    /// Python's start-up hooks: `sitecustomize.py`, `.pth` files.
    Python,
    /// Libraries the dynamic loader preloads into every program.
    Preload,
    /// An editor's start-up file (vim's can run shell commands).
    Editor,
}

impl Planted {
    /// What the place is, for notes.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Planted::Shell => "a shell start-up file or a script run later",
            Planted::Cron { .. } => "a crontab",
            Planted::Systemd => "a systemd unit",
            Planted::GitConfig => "git's configuration",
            Planted::SshConfig => "ssh's configuration",
            Planted::Python => "Python's start-up hooks",
            Planted::Preload => "the dynamic loader's preload list",
            Planted::Editor => "an editor's start-up file",
        }
    }
}

/// Shell start-up files, by their path below a home directory.
const HOME_SHELL_FILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".bash_aliases",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    ".zlogout",
    ".kshrc",
    ".mkshrc",
    ".cshrc",
    ".tcshrc",
    ".login",
    ".logout",
    ".xprofile",
    ".xinitrc",
    ".xsession",
    ".xsessionrc",
    ".ssh/rc",
    ".config/fish/config.fish",
    ".pam_environment",
];

/// Directories below a home directory whose files are code run later.
const HOME_SHELL_DIRS: &[&str] = &[".config/fish/conf.d", ".config/fish/functions", ".config/autostart"];

/// System files that are shell code run at log-in, boot or by schedulers.
const SYSTEM_SHELL_FILES: &[&str] = &[
    "/etc/profile",
    "/etc/bash.bashrc",
    "/etc/bashrc",
    "/etc/zshrc",
    "/etc/zshenv",
    "/etc/zprofile",
    "/etc/environment",
    "/etc/rc.local",
    "/etc/csh.cshrc",
    "/etc/csh.login",
];

/// System directories whose files are shell code run later.
const SYSTEM_SHELL_DIRS: &[&str] = &[
    "/etc/profile.d",
    "/etc/zsh",
    "/etc/init.d",
    "/etc/rc.d",
    "/etc/cron.hourly",
    "/etc/cron.daily",
    "/etc/cron.weekly",
    "/etc/cron.monthly",
    "/etc/update-motd.d",
    "/etc/X11/Xsession.d",
    "/etc/NetworkManager/dispatcher.d",
    "/etc/network/if-up.d",
    "/etc/network/if-pre-up.d",
    "/etc/apt/apt.conf.d",
    "/etc/udev/rules.d",
    "/etc/logrotate.d",
];

/// Directories of systemd units.
const SYSTEMD_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/etc/systemd/user",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/usr/lib/systemd/user",
    "/run/systemd/system",
    "/etc/init",
];

/// Files that grant access or privilege, and what they are.
const PRIVILEGE_FILES: &[(&str, &str)] = &[
    ("/etc/sudoers", "sudo's rules"),
    ("/etc/doas.conf", "doas's rules"),
    ("/etc/passwd", "the machine's accounts"),
    ("/etc/shadow", "the machine's passwords"),
    ("/etc/group", "the machine's groups"),
    ("/etc/gshadow", "the machine's group passwords"),
    ("/etc/subuid", "the machine's subordinate ids"),
    ("/etc/subgid", "the machine's subordinate ids"),
    ("/etc/ssh/sshd_config", "the ssh server's configuration"),
    ("/etc/login.defs", "the machine's log-in rules"),
    ("/etc/securetty", "the machine's log-in rules"),
];

/// Directories whose files grant access or privilege.
const PRIVILEGE_DIRS: &[(&str, &str)] = &[
    ("/etc/sudoers.d", "sudo's rules"),
    ("/etc/pam.d", "the machine's authentication (PAM)"),
    ("/etc/security", "the machine's authentication (PAM)"),
    ("/etc/ssh/sshd_config.d", "the ssh server's configuration"),
    ("/etc/polkit-1", "polkit's rules"),
    ("/usr/share/polkit-1/rules.d", "polkit's rules"),
];

/// Files that hold credentials, by their path below a home directory.
const HOME_CREDENTIAL_FILES: &[&str] = &[
    ".netrc",
    ".pgpass",
    ".my.cnf",
    ".mylogin.cnf",
    ".git-credentials",
    ".docker/config.json",
    ".npmrc",
    ".pypirc",
    ".vault-token",
    ".boto",
    ".s3cfg",
    ".config/gh/hosts.yml",
    ".config/hub",
    ".config/doctl/config.yaml",
    ".config/gcloud/credentials.db",
    ".config/gcloud/access_tokens.db",
    ".config/gcloud/application_default_credentials.json",
    ".terraform.d/credentials.tfrc.json",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".gem/credentials",
    ".composer/auth.json",
    ".config/composer/auth.json",
    ".m2/settings.xml",
    ".kube/config",
    ".aws/credentials",
    ".aws/config",
    ".azure/accessTokens.json",
    ".config/rclone/rclone.conf",
    ".config/op/config",
    ".config/containers/auth.json",
];

/// Directories below a home directory that hold credentials: everything
/// in them, and the directories themselves, are secret.
const HOME_CREDENTIAL_DIRS: &[&str] = &[
    ".ssh",
    ".aws",
    ".kube",
    ".config/gcloud",
    ".azure",
    ".gnupg",
    ".password-store",
    ".oci",
    ".docker",
    ".vault",
    ".local/share/keyrings",
    ".config/gh",
    ".config/hub",
    ".terraform.d",
    ".config/doctl",
];

/// Files browsers and desktop keyrings keep saved passwords, cookies and
/// keys in, below any profile directory.
const BROWSER_CREDENTIAL_FILES: &[&str] = &[
    "Login Data",
    "Login Data For Account",
    "Cookies",
    "Web Data",
    "logins.json",
    "key4.db",
    "key3.db",
    "cookies.sqlite",
    "signons.sqlite",
    "Local State",
];

/// Where browsers keep their profiles, below a home directory.
const BROWSER_PROFILES: &[&str] = &[
    ".config/google-chrome",
    ".config/chromium",
    ".config/BraveSoftware",
    ".config/microsoft-edge",
    ".config/vivaldi",
    ".config/opera",
    ".mozilla/firefox",
    "snap/firefox",
    "snap/chromium",
    "Library/Application Support/Google/Chrome",
    "Library/Application Support/Firefox",
];

/// Files in `~/.ssh` that are not secret.
const SSH_PUBLIC: &[&str] = &["known_hosts", "known_hosts.old", "config", "authorized_keys", "authorized_keys2"];

/// System files that hold credentials.
const SYSTEM_CREDENTIAL_FILES: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/kubernetes/admin.conf",
    "/etc/kubernetes/kubelet.conf",
    "/etc/rancher/k3s/k3s.yaml",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
    "/run/secrets/kubernetes.io/serviceaccount/token",
    "/etc/mysql/debian.cnf",
    "/root/.my.cnf",
];

/// System directories that hold credentials.
const SYSTEM_CREDENTIAL_DIRS: &[&str] = &[
    "/etc/ssl/private",
    "/etc/kubernetes/pki",
    "/run/secrets",
    "/var/run/secrets",
    "/etc/letsencrypt/live",
    "/etc/letsencrypt/archive",
];

/// The part of `path` below the home directory it lies in, when it lies in
/// one: the user's own (`home`), `/root`, or a child of `/home` or `/Users`.
pub(crate) fn below_home<'p>(path: &'p str, home: Option<&str>) -> Option<&'p str> {
    if let Some(home) = home
        && let Some(rest) = path.strip_prefix(home).and_then(|rest| rest.strip_prefix('/'))
    {
        return Some(rest);
    }
    if let Some(rest) = path.strip_prefix("/root/") {
        return Some(rest);
    }
    for parent in ["/home/", "/Users/"] {
        if let Some(rest) = path.strip_prefix(parent) {
            return rest.split_once('/').map(|(_, below)| below);
        }
    }
    None
}

/// Whether `path` is `dir` or lies below it.
fn at_or_below(path: &str, dir: &str) -> bool {
    path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// Whether `path` lies strictly below `dir`.
fn below(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir).is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
}

/// Where code written to `path` runs later, if it does.
pub(crate) fn planted(path: &str, home: Option<&str>) -> Option<Planted> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if let Some(rest) = below_home(path, home) {
        if HOME_SHELL_FILES.contains(&rest) || HOME_SHELL_DIRS.iter().any(|dir| below(rest, dir)) {
            return Some(Planted::Shell);
        }
        if matches!(rest, ".gitconfig" | ".config/git/config") {
            return Some(Planted::GitConfig);
        }
        if rest == ".ssh/config" {
            return Some(Planted::SshConfig);
        }
        if matches!(
            rest,
            ".vimrc"
                | ".gvimrc"
                | ".exrc"
                | ".config/nvim/init.vim"
                | ".config/nvim/init.lua"
                | ".emacs"
                | ".emacs.d/init.el"
                | ".inputrc"
        ) {
            return Some(Planted::Editor);
        }
        if below(rest, ".config/systemd/user") || below(rest, ".local/share/systemd/user") {
            return Some(Planted::Systemd);
        }
    }
    if SYSTEM_SHELL_FILES.contains(&path) || SYSTEM_SHELL_DIRS.iter().any(|dir| below(path, dir)) {
        return Some(Planted::Shell);
    }
    if path == "/etc/crontab" || path == "/etc/anacrontab" || below(path, "/etc/cron.d") {
        return Some(Planted::Cron { user_field: path != "/etc/anacrontab" });
    }
    if below(path, "/var/spool/cron") {
        return Some(Planted::Cron { user_field: false });
    }
    if SYSTEMD_DIRS.iter().any(|dir| below(path, dir)) {
        return Some(Planted::Systemd);
    }
    if path == "/etc/gitconfig" {
        return Some(Planted::GitConfig);
    }
    if path == "/etc/ssh/ssh_config" || below(path, "/etc/ssh/ssh_config.d") {
        return Some(Planted::SshConfig);
    }
    if path == "/etc/ld.so.preload" {
        return Some(Planted::Preload);
    }
    // Anywhere, the workspace included: git runs hooks on commit, checkout
    // and merge, and reads .git/config's hooksPath and aliases.
    if path.contains("/.git/hooks/") || path.starts_with(".git/hooks/") {
        return Some(Planted::Shell);
    }
    if path.ends_with("/.git/config") || path == ".git/config" {
        return Some(Planted::GitConfig);
    }
    // direnv runs a directory's .envrc on entering it, once allowed.
    if name == ".envrc" {
        return Some(Planted::Shell);
    }
    if (path.contains("/site-packages/") || path.contains("/dist-packages/"))
        && (matches!(name, "sitecustomize.py" | "usercustomize.py") || name.ends_with(".pth"))
    {
        return Some(Planted::Python);
    }
    None
}

/// What access or privilege writing to `path` grants, if it does.
pub(crate) fn privilege(path: &str, home: Option<&str>) -> Option<&'static str> {
    if let Some((_, what)) = PRIVILEGE_FILES.iter().find(|(file, _)| *file == path) {
        return Some(what);
    }
    if let Some((_, what)) = PRIVILEGE_DIRS.iter().find(|(dir, _)| below(path, dir)) {
        return Some(what);
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    if matches!(name, "authorized_keys" | "authorized_keys2")
        && (below_home(path, home).is_some_and(|rest| rest.starts_with(".ssh/")) || path.contains("/.ssh/"))
    {
        return Some("ssh's authorized keys: who may log in");
    }
    None
}

/// Whether `path` holds credentials: a private key, a cloud CLI's
/// credentials, `.env`, `/etc/shadow`, a process's environment, or
/// anything in a directory of them (`~/.ssh`, `~/.aws`, `~/.kube`).
pub(crate) fn is_credential(path: &str, home: Option<&str>) -> bool {
    let path = path.trim_start_matches('@');
    let name = path.rsplit('/').next().unwrap_or(path);
    if let Some(rest) = below_home(path, home) {
        if HOME_CREDENTIAL_FILES.contains(&rest) {
            return true;
        }
        if let Some(dir) = HOME_CREDENTIAL_DIRS.iter().find(|dir| at_or_below(rest, dir)) {
            let public = *dir == ".ssh" && (SSH_PUBLIC.contains(&name) || name.ends_with(".pub"));
            return !public;
        }
        if BROWSER_PROFILES.iter().any(|profiles| at_or_below(rest, profiles))
            && BROWSER_CREDENTIAL_FILES.contains(&name)
        {
            return true;
        }
    }
    if SYSTEM_CREDENTIAL_FILES.contains(&path) || SYSTEM_CREDENTIAL_DIRS.iter().any(|dir| at_or_below(path, dir)) {
        return true;
    }
    // /proc/<pid>/environ, /proc/self/environ, /proc/*/environ.
    if path.starts_with("/proc/") && name == "environ" {
        return true;
    }
    if path.starts_with("/etc/ssh/ssh_host_") && !name.ends_with(".pub") {
        return true;
    }
    name.starts_with("id_") && path.contains("/.ssh/") && !name.ends_with(".pub")
        || (name.starts_with("id_rsa") || name.starts_with("id_ed25519") || name.starts_with("id_ecdsa"))
            && !name.ends_with(".pub")
        || name == ".env"
        || name.starts_with(".env.")
            && !name.ends_with(".example")
            && !name.ends_with(".sample")
            && !name.ends_with(".template")
        || name.ends_with(".pem") && !name.contains("cert") && !name.contains("chain") && !name.contains("ca")
        || name.ends_with(".key") && !name.ends_with(".pub.key")
        || name.ends_with(".p12")
        || name.ends_with(".pfx")
        || name.ends_with(".keystore")
        || name.ends_with(".jks")
        || name.ends_with(".kdbx")
        || is_history_or_log(path) && !path.starts_with("/var/log")
        || matches!(
            name,
            ".netrc" | ".pgpass" | ".git-credentials" | "credentials" | ".vault-token" | "secrets.yml" | "secrets.yaml"
        ) && !path.contains("/src/")
}

/// Whether reading the whole tree at `path` reads credentials: a home
/// directory, `/root`, `/home`, `/etc` or `/` hold them somewhere below.
pub(crate) fn holds_credentials(path: &str, home: Option<&str>) -> bool {
    if is_credential(path, home) {
        return true;
    }
    matches!(path, "/" | "/etc" | "/root" | "/home" | "/Users" | "/home/~")
        || home == Some(path)
        || path.strip_prefix("/home/").is_some_and(|user| !user.is_empty() && !user.contains('/'))
        || path.strip_prefix("/Users/").is_some_and(|user| !user.is_empty() && !user.contains('/'))
}

/// Whether `path` is shell history or a system log: erasing it hides what
/// was done.
pub(crate) fn is_history_or_log(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        ".bash_history"
            | ".zsh_history"
            | ".history"
            | ".sh_history"
            | ".python_history"
            | ".psql_history"
            | ".mysql_history"
            | ".node_repl_history"
            | ".sqlite_history"
            | ".lesshst"
            | ".viminfo"
    ) || path.starts_with("/var/log/")
        || path == "/var/log"
        || path.starts_with("/var/audit")
        || path.starts_with("/var/account")
        || name == "wtmp"
        || name == "btmp"
        || name == "lastlog"
        || name == "utmp"
        || path.contains("/.local/share/fish/fish_history")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: Option<&str> = Some("/home/dev");

    #[test]
    fn credential_files_and_look_alikes() {
        for path in [
            "/home/dev/.ssh/id_rsa",
            "/home/~/.ssh/id_ed25519",
            "/root/.aws/credentials",
            "/home/dev/.aws",
            "/home/dev/.aws/sso/cache/x.json",
            "/home/dev/.kube/config",
            "/home/dev/.config/gcloud",
            "/home/dev/.ssh",
            "/home/dev/app/.env",
            "./config/.env.production",
            "/etc/shadow",
            "/home/dev/app/server.key",
            "@/home/u/.netrc",
            "/proc/1/environ",
            "/proc/self/environ",
            "/proc/*/environ",
            "/etc/ssl/private/site.key",
            "/var/run/secrets/kubernetes.io/serviceaccount/token",
        ] {
            assert!(is_credential(path, HOME), "{path}");
        }
        for path in [
            "/home/dev/.ssh/id_rsa.pub",
            "/home/dev/.ssh/known_hosts",
            "/home/dev/.ssh/config",
            "/home/dev/app/.env.example",
            "/home/dev/app/README.md",
            "/etc/hosts",
            "/home/dev/app/keyboard.rs",
            "/home/dev/app/cert-chain.pem",
            "/proc/cpuinfo",
            "/home/dev/.config/git/config",
        ] {
            assert!(!is_credential(path, HOME), "{path}");
        }
    }

    #[test]
    fn places_where_code_runs_later() {
        let cases: &[(&str, Option<Planted>)] = &[
            ("/home/dev/.bashrc", Some(Planted::Shell)),
            ("/home/~/.zshrc", Some(Planted::Shell)),
            ("/root/.profile", Some(Planted::Shell)),
            ("/etc/profile.d/x.sh", Some(Planted::Shell)),
            ("/etc/cron.d/job", Some(Planted::Cron { user_field: true })),
            ("/var/spool/cron/crontabs/dev", Some(Planted::Cron { user_field: false })),
            ("/etc/systemd/system/x.service", Some(Planted::Systemd)),
            ("/home/dev/.config/systemd/user/x.service", Some(Planted::Systemd)),
            ("/home/dev/app/.git/hooks/pre-commit", Some(Planted::Shell)),
            ("/home/dev/app/.git/config", Some(Planted::GitConfig)),
            ("/home/dev/.gitconfig", Some(Planted::GitConfig)),
            ("/home/dev/.ssh/config", Some(Planted::SshConfig)),
            ("/etc/ld.so.preload", Some(Planted::Preload)),
            ("/usr/lib/python3/dist-packages/evil.pth", Some(Planted::Python)),
            ("/home/dev/app/.bashrc", None),
            ("/home/dev/app/src/main.rs", None),
            ("/home/dev/notes.txt", None),
            ("/etc/hosts", None),
        ];
        for (path, expected) in cases {
            assert_eq!(planted(path, HOME), *expected, "{path}");
        }
    }

    #[test]
    fn places_that_grant_access() {
        for path in [
            "/etc/sudoers",
            "/etc/sudoers.d/dev",
            "/home/dev/.ssh/authorized_keys",
            "/root/.ssh/authorized_keys",
            "/etc/pam.d/sshd",
            "/etc/passwd",
        ] {
            assert!(privilege(path, HOME).is_some(), "{path}");
        }
        for path in ["/etc/hosts", "/home/dev/.ssh/known_hosts", "/home/dev/app/authorized_keys.md"] {
            assert!(privilege(path, HOME).is_none(), "{path}");
        }
    }
}

/// What of the gate itself a place is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GateFile {
    /// The key that signs the record's checkpoints: reading it is forging.
    Key,
    /// The activity record and the rest of the data directory.
    Data,
    /// The gate's configuration and policies.
    Config,
    /// An agent's settings, which hold the hook that calls the gate.
    Hooks,
    /// The gate's binary.
    Binary,
}

impl GateFile {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            GateFile::Key => "the gate's keys and secrets (its signing key, the daemon's serve.toml)",
            GateFile::Data => "the gate's activity record and data directory",
            GateFile::Config => "the gate's configuration and policies",
            GateFile::Hooks => "an agent's hook or MCP server settings, through which it calls the gate",
            GateFile::Binary => "the gate's binary",
        }
    }
}

/// The gate's places below a home directory.
const GATE_HOME: &[(&str, GateFile)] = &[
    (".local/share/guardrail", GateFile::Data),
    (".config/guardrail", GateFile::Config),
    (".claude/settings.json", GateFile::Hooks),
    (".claude/settings.local.json", GateFile::Hooks),
    (".codex/hooks.json", GateFile::Hooks),
    (".codex/config.toml", GateFile::Hooks),
    (".cursor/hooks.json", GateFile::Hooks),
    (".gemini/settings.json", GateFile::Hooks),
    // MCP servers, which `guardrail mcp install` puts behind the gate.
    (".claude.json", GateFile::Hooks),
    (".cursor/mcp.json", GateFile::Hooks),
    (".cargo/bin/guardrail", GateFile::Binary),
    (".local/bin/guardrail", GateFile::Binary),
];

/// The gate's places on the machine.
const GATE_SYSTEM: &[(&str, GateFile)] = &[
    ("/etc/guardrail", GateFile::Config),
    ("/var/lib/guardrail", GateFile::Data),
    ("/usr/local/bin/guardrail", GateFile::Binary),
    ("/usr/bin/guardrail", GateFile::Binary),
    ("/opt/guardrail", GateFile::Binary),
    ("/etc/claude-code", GateFile::Hooks),
    ("/etc/gemini-cli", GateFile::Hooks),
    ("/etc/codex", GateFile::Hooks),
    ("/etc/cursor", GateFile::Hooks),
];

/// Agents' project-level settings, wherever the project is.
const GATE_PROJECT: &[&str] = &[
    "/.claude/settings.json",
    "/.claude/settings.local.json",
    "/.cursor/hooks.json",
    "/.gemini/settings.json",
    "/.codex/hooks.json",
    "/.cursor/mcp.json",
];

/// What of the gate `path` is, if it is the gate's: `protected` are the
/// places the running gate uses (its data directory, configuration,
/// policies, binary), beside the places every installation uses.
pub(crate) fn gate_file(path: &str, home: Option<&str>, protected: &[(String, GateFile)]) -> Option<GateFile> {
    if is_glob(path) {
        // A project's hook settings: the pattern's last parts match them.
        let parts: Vec<&str> = path.split('/').collect();
        let project = GATE_PROJECT.iter().any(|suffix| {
            let wanted: Vec<&str> = suffix.trim_start_matches('/').split('/').collect();
            parts.len() >= wanted.len()
                && parts[parts.len() - wanted.len()..].iter().zip(&wanted).all(|(glob, part)| wildcard(glob, part))
        });
        if project {
            return Some(GateFile::Hooks);
        }
        return gate_places(home, protected).into_iter().find_map(|(place, what)| {
            let reaches = glob_at_or_below(path, &place)?;
            // Below the data directory, a last part that matches the key's
            // name reaches the key (`.../guardrail/sign*`).
            let last = path.rsplit('/').next().unwrap_or(path);
            Some(if what == GateFile::Data && reaches && wildcard(last, SIGNING_KEY) { GateFile::Key } else { what })
        });
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let data = |what: GateFile| {
        if what == GateFile::Data && (name.starts_with(SIGNING_KEY) || name == SERVE_CONFIG) {
            GateFile::Key
        } else {
            what
        }
    };
    if let Some((_, what)) = protected.iter().find(|(place, _)| at_or_below(path, place)) {
        return Some(data(*what));
    }
    if let Some(rest) = below_home(path, home)
        && let Some((_, what)) = GATE_HOME.iter().find(|(place, _)| at_or_below(rest, place))
    {
        return Some(data(*what));
    }
    if let Some((_, what)) = GATE_SYSTEM.iter().find(|(place, _)| at_or_below(path, place)) {
        return Some(data(*what));
    }
    GATE_PROJECT.iter().any(|suffix| path.ends_with(suffix)).then_some(GateFile::Hooks)
}

/// Whether deleting or moving the tree at `path` takes a place of the gate
/// with it (`rm -rf ~/.local`, `mv ~/.claude /tmp`).
pub(crate) fn holds_gate(path: &str, home: Option<&str>, protected: &[(String, GateFile)]) -> bool {
    if is_glob(path) {
        // `~/.local/share/guard*` holds the data directory.
        return gate_places(home, protected).iter().any(|(place, _)| glob_above(path, place));
    }
    let under = |place: &str| below(place, path);
    protected.iter().any(|(place, _)| under(place))
        || home.is_some_and(|home| GATE_HOME.iter().any(|(place, _)| under(&format!("{home}/{place}"))))
        || GATE_SYSTEM.iter().any(|(place, _)| under(place))
        // A project's `.claude`, `.cursor`, `.gemini` or `.codex` holds its hook settings.
        || GATE_PROJECT.iter().any(|suffix| {
            let dir = suffix.rsplit_once('/').map_or(*suffix, |(dir, _)| dir);
            !dir.is_empty() && path.trim_end_matches('/').ends_with(dir)
        })
}

/// How many levels below `dir` the nearest gate place lies.
pub(crate) fn gate_depth_below(dir: &str, home: Option<&str>, protected: &[(String, GateFile)]) -> Option<usize> {
    gate_places(home, protected)
        .iter()
        .filter(|(place, _)| below(place, dir))
        .map(|(place, _)| place[dir.len()..].matches('/').count())
        .min()
}

/// Whether a path is a glob pattern the shell would expand.
fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// Every place of the gate, as absolute paths.
fn gate_places(home: Option<&str>, protected: &[(String, GateFile)]) -> Vec<(String, GateFile)> {
    let mut places: Vec<(String, GateFile)> = protected.to_vec();
    if let Some(home) = home {
        places.extend(GATE_HOME.iter().map(|(place, what)| (format!("{home}/{place}"), *what)));
    }
    places.extend(GATE_SYSTEM.iter().map(|(place, what)| ((*place).to_owned(), *what)));
    places
}

/// Whether glob `pattern` can name `place` or something below it: its
/// first parts match the place's parts. `Some(true)` when it names
/// something strictly below the place.
fn glob_at_or_below(pattern: &str, place: &str) -> Option<bool> {
    let (pattern, place): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), place.split('/').collect());
    if pattern.len() < place.len() {
        return None;
    }
    let matches = pattern.iter().zip(&place).all(|(glob, part)| *glob == "**" || wildcard(glob, part));
    matches.then_some(pattern.len() > place.len())
}

/// Whether glob `pattern` can name a directory above `place`.
fn glob_above(pattern: &str, place: &str) -> bool {
    let (pattern, place): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), place.split('/').collect());
    pattern.len() < place.len() && pattern.iter().zip(&place).all(|(glob, part)| wildcard(glob, part))
}

/// Whether one part of a path matches a shell wildcard (`*`, `?`, and a
/// bracket expression taken as any one character).
pub(crate) fn wildcard(glob: &str, text: &str) -> bool {
    fn go(glob: &[char], text: &[char]) -> bool {
        match glob.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) => (0..=text.len()).any(|skip| go(rest, &text[skip..])),
            Some(('?', rest)) => !text.is_empty() && go(rest, &text[1..]),
            Some(('[', rest)) => match rest.iter().position(|c| *c == ']') {
                Some(end) => !text.is_empty() && go(&rest[end + 1..], &text[1..]),
                None => text.first() == Some(&'[') && go(rest, &text[1..]),
            },
            Some((c, rest)) => text.first() == Some(c) && go(rest, &text[1..]),
        }
    }
    let (glob, text): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    go(&glob, &text)
}

/// The signing key's file name in a data directory.
pub(crate) const SIGNING_KEY: &str = "signing.key";

/// The daemon's configuration in the data directory: its tokens' digests,
/// people's password verifiers, webhooks' signing secrets.
pub(crate) const SERVE_CONFIG: &str = "serve.toml";
