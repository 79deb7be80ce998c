//! The verb lexicon: how to read a command line of a program nobody
//! described. Command-line tools name their actions with a small
//! vocabulary (`delete`, `destroy`, `purge`, `scale`, `stop`; `get`, `list`,
//! `describe`), in the first few words after the program, alone or joined
//! to a noun (`delete-cluster`, `db:drop`, `deleteBucket`). A destroying or
//! disrupting verb of an undeclared program is held (`infra.undeclared`):
//! what it changes is not known, only that it is a change of that kind.
//!
//! Declared cloud and service CLIs use the same lexicon for the verbs their
//! rules do not name, with what is known of them (`infra.destroy`,
//! `infra.disrupt`).

use guardrail_core::{IntentKind, Object, Scope};

use crate::walk::{Command, Walker};
use crate::words::Arg;

/// What a verb does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// Reads or reports: `get`, `list`, `describe`, `logs`, `plan`.
    Read,
    /// Deletes something or its data: `delete`, `destroy`, `purge`.
    Destroy,
    /// Takes something out of service, keeping its data: `stop`, `scale`.
    Disrupt,
}

/// Verbs that delete what they name, or its data.
pub const DESTROY: &[&str] = &[
    "delete",
    "del",
    "destroy",
    "drop",
    "dropdb",
    "remove",
    "rm",
    "rmi",
    "rb",
    "purge",
    "prune",
    "terminate",
    "uninstall",
    "wipe",
    "wipeout",
    "flush",
    "flushall",
    "flushdb",
    "erase",
    "truncate",
    "nuke",
    "teardown",
    "decommission",
    "deregister",
    "unregister",
    "unpublish",
    "yank",
    "obliterate",
    "expunge",
    "shred",
    "unlink",
    "rmdir",
];

/// Verbs that take something out of service without deleting it.
pub const DISRUPT: &[&str] = &[
    "stop",
    "cancel",
    "transfer",
    "unprotect",
    "refund",
    "payout",
    "rotate",
    "mute",
    "kill",
    "killall",
    "disable",
    "scale",
    "detach",
    "reset",
    "revoke",
    "deallocate",
    "drain",
    "cordon",
    "evict",
    "suspend",
    "pause",
    "shutdown",
    "halt",
    "poweroff",
    "reboot",
    "deactivate",
    "down",
    "resize",
    "unmount",
    "umount",
    "mask",
    "isolate",
    "failover",
    "demote",
    "block",
    "lock",
    "ban",
    "quarantine",
];

/// Verbs that read or report, and end the search for a verb.
pub const READ: &[&str] = &[
    "get",
    "list",
    "ls",
    "describe",
    "show",
    "status",
    "logs",
    "log",
    "diff",
    "plan",
    "version",
    "help",
    "info",
    "inspect",
    "view",
    "cat",
    "top",
    "whoami",
    "explain",
    "history",
    "events",
    "search",
    "find",
    "print",
    "validate",
    "lint",
    "check",
    "preview",
    "output",
    "watch",
    "ping",
    "health",
    "doctor",
    "audit",
    "completion",
    "read",
    "fetch",
    "query",
    "tail",
    "dump",
    "export",
    "test",
    "verify",
    "stat",
    "stats",
    "count",
    "wait",
    "whatif",
    "lookup",
    "current",
];

/// Long options that name a destroying action (`--delete`, `--purge`).
const DESTROY_OPTIONS: &[&str] = &[
    "--delete",
    "--destroy",
    "--drop",
    "--purge",
    "--prune",
    "--wipe",
    "--erase",
    "--truncate",
    "--force-delete",
    "--delete-all",
    "--remove-all",
    "--nuke",
    "--uninstall",
];

/// Long options that by wide convention take no value, so the word after
/// them is not theirs (`pgbackrest --force stanza-delete`).
const FLAGS: &[&str] = &[
    "--force",
    "--yes",
    "--all",
    "--recursive",
    "--quiet",
    "--verbose",
    "--confirm",
    "--debug",
    "--json",
    "--wait",
    "--now",
    "--purge",
    "--cascade",
    "--no-wait",
    "--assume-yes",
    "--non-interactive",
    "--interactive",
    "--dry-run",
    "--skip-confirmation",
    "--auto-approve",
    "--insecure",
    "--silent",
    "--sync",
    "--async",
    "--watch",
    "--follow",
    "--permanent",
    "--hard",
    "--soft",
    "--prune",
    "--i-am-sure",
    "--really",
    "--sure",
];

/// Options that make a command report what it would do instead of doing it.
const INERT_OPTIONS: &[&str] =
    &["--dry-run", "--dryrun", "--dry_run", "--noop", "--no-op", "--what-if", "--whatif", "-WhatIf", "--simulate"];

/// Programs whose words are data (patterns, messages, files, package
/// names), not actions: `grep delete file` searches for a word.
const DATA_WORDS: &[&str] = &[
    "echo",
    "printf",
    "print",
    "grep",
    "egrep",
    "fgrep",
    "zgrep",
    "rg",
    "ag",
    "ack",
    "ugrep",
    "git-grep",
    "jq",
    "yq",
    "gojq",
    "jaq",
    "fx",
    "cat",
    "bat",
    "less",
    "more",
    "most",
    "head",
    "tail",
    "man",
    "info",
    "apropos",
    "whatis",
    "which",
    "whereis",
    "type",
    "hash",
    "test",
    "[",
    "[[",
    "expr",
    "let",
    "read",
    "true",
    "false",
    ":",
    "sleep",
    "date",
    "cal",
    "bc",
    "dc",
    "seq",
    "yes",
    "tr",
    "cut",
    "paste",
    "column",
    "fold",
    "fmt",
    "nl",
    "pr",
    "comm",
    "join",
    "diff",
    "cmp",
    "colordiff",
    "delta",
    "ls",
    "exa",
    "eza",
    "lsd",
    "tree",
    "locate",
    "plocate",
    "mlocate",
    "fd",
    "fdfind",
    "mkdir",
    "touch",
    "pwd",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "set",
    "unset",
    "declare",
    "local",
    "typeset",
    "readonly",
    "shift",
    "return",
    "exit",
    "break",
    "continue",
    "wait",
    "jobs",
    "fg",
    "bg",
    "disown",
    "ps",
    "pgrep",
    "top",
    "htop",
    "btop",
    "df",
    "free",
    "uptime",
    "whoami",
    "id",
    "groups",
    "hostname",
    "uname",
    "tput",
    "clear",
    "say",
    "notify-send",
    "logger",
    "wall",
    "alias",
    "unalias",
    "shopt",
    "complete",
    "compgen",
    "printenv",
    "env",
    "nproc",
    "lscpu",
    "lsblk",
    "lsof",
    "ss",
    "netstat",
    "ip",
    "ifconfig",
    "vim",
    "vi",
    "nvim",
    "nano",
    "emacs",
    "code",
    "subl",
    "open",
    "xdg-open",
    "pbcopy",
    "pbpaste",
    "xclip",
    "xsel",
    "tmux-ls",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "bun",
    "pip",
    "pip3",
    "pipx",
    "poetry",
    "uv",
    "uvx",
    "pdm",
    "hatch",
    "conda",
    "mamba",
    "micromamba",
    "gem",
    "bundle",
    "bundler",
    "rake-test",
    "cargo",
    "rustup",
    "go",
    "gofmt",
    "composer",
    "mvn",
    "gradle",
    "gradlew",
    "./gradlew",
    "./mvnw",
    "mvnw",
    "sbt",
    "dotnet",
    "nuget",
    "mix-test",
    "swift-test",
    "pytest",
    "tox",
    "nox",
    "jest",
    "vitest",
    "mocha",
    "rspec",
    "phpunit",
    "ctest",
    "cmake",
    "meson",
    "ninja",
    "bazel",
    "buck",
    "pants",
    "nx",
    "turbo",
    "lerna",
    "tsc",
    "eslint",
    "prettier",
    "black",
    "ruff",
    "flake8",
    "pylint",
    "mypy",
    "pyright",
    "rubocop",
    "golangci-lint",
    "shellcheck",
    "hadolint",
    "clippy",
    "rustfmt",
    "clang-format",
    "nvm",
    "pyenv",
    "rbenv",
    "asdf",
    "mise",
    "volta",
    "fnm",
    "brew-info",
    "sdk",
    "tldr",
    "cheat",
    "history",
    "fc",
    "ssh-keygen",
    "ssh-add",
    "ssh-keyscan",
    "gpg-agent",
    "pass-ls",
    "time",
    "watch",
    "column",
    "sha256sum",
    "md5sum",
    "base64",
    "xxd",
    "od",
    "hexdump",
    "strings",
    "file",
    "stat",
    "du",
    "wc",
    "iconv",
    "dos2unix",
    "unix2dos",
    "convert",
    "magick",
    "ffmpeg",
    "ffprobe",
    "pandoc",
    "asciidoctor",
    "markdownlint",
    "hugo",
    "jekyll",
    "sphinx-build",
    "mkdocs",
    "trivy",
    "grype",
    "syft",
    "semgrep",
    "bandit",
    "gitleaks",
    "trufflehog",
    "cloc",
    "tokei",
    "scc",
    "strace",
    "ltrace",
    "gdb",
    "lldb",
    "valgrind",
    "perf",
    "hyperfine",
    "ab",
    "wrk",
    "hey",
    "vegeta",
    "k6",
    "locust",
    "tcpdump",
    "tshark",
    "nmap",
    "jwt",
    "step",
    "mkcert",
    "certbot-show",
    "git-lfs",
    "pre-commit",
    "husky",
    "commitlint",
    "act",
    "direnv",
    "dotenv",
    "sops-edit",
    "make-help",
    "just-list",
];

/// Declared service and cloud CLIs whose verbs the lexicon reads when
/// their rules name none: what they destroy is infrastructure.
const DECLARED: &[&str] = &[
    "kubectl",
    "oc",
    "kubecolor",
    "k3s",
    "microk8s",
    "helm",
    "docker",
    "podman",
    "nerdctl",
    "docker-compose",
    "podman-compose",
    "aws",
    "gcloud",
    "gsutil",
    "az",
    "doctl",
    "heroku",
    "flyctl",
    "fly",
    "vercel",
    "netlify",
    "firebase",
    "supabase",
    "railway",
    "render",
    "terraform",
    "tofu",
    "terragrunt",
    "pulumi",
    "cdk",
    "eksctl",
    "argocd",
    "velero",
    "istioctl",
    "linkerd",
    "kind",
    "minikube",
    "k3d",
    "vagrant",
    "virsh",
    "VBoxManage",
    "qm",
    "pct",
    "lxc",
    "incus",
    "multipass",
    "nomad",
    "consul",
    "etcdctl",
    "vault",
    "systemctl",
    "service",
    "launchctl",
    "pm2",
    "supervisorctl",
    "rc-service",
    "sv",
    "initctl",
    "gh",
    "glab",
    "hub",
    "stripe",
    "twilio",
    "ibmcloud",
    "oci",
    "linode-cli",
    "hcloud",
    "scw",
    "exo",
    "upcloud",
    "vultr-cli",
    "civo",
    "openstack",
    "nova",
    "swift",
    "cf",
    "kn",
    "skaffold",
    "tilt",
    "kustomize",
    "flux",
    "crossplane",
    "rancher",
    "k9s",
    "mongosh",
    "mongo",
    "redis-cli",
    "psql",
    "mysql",
    "mariadb",
    "clickhouse-client",
    "cqlsh",
    "influx",
    "cockroach",
    "sqlcmd",
    "elasticsearch",
    "opensearch",
    "kafka-topics",
    "rabbitmqctl",
    "rabbitmqadmin",
    "nats",
    "zfs",
    "zpool",
    "lvm",
    "btrfs",
    "mdadm",
    "ceph",
    "rbd",
    "gluster",
    "restic",
    "borg",
    "rclone",
    "velero",
    "kopia",
    "duplicity",
    "tmux",
    "screen",
    "crontab",
    "at",
    "atrm",
    "ufw",
    "firewall-cmd",
    "iptables",
    "nft",
    "tc",
    "wg",
    "nmcli",
];

/// OS package managers: what they remove is software the machine runs.
const SYSTEM_PACKAGES: &[&str] = &[
    "apt", "apt-get", "aptitude", "dpkg", "yum", "dnf", "microdnf", "rpm", "zypper", "apk", "pacman", "yay", "paru",
    "emerge", "snap", "flatpak", "brew", "port", "pkg", "pkgin", "choco", "winget", "scoop", "nix-env",
];

/// What `word` (a subcommand, or a subcommand joined to a noun:
/// `delete-cluster`, `db:drop`, `deleteBucket`) does, if it is a verb.
/// `strict` accepts only a whole word, for words that may be the value of
/// an option before them.
pub fn classify(word: &str, strict: bool) -> Option<Verb> {
    let lookup = |word: &str| -> Option<Verb> {
        let word = word.to_ascii_lowercase();
        if DESTROY.contains(&word.as_str()) {
            Some(Verb::Destroy)
        } else if DISRUPT.contains(&word.as_str()) {
            Some(Verb::Disrupt)
        } else if READ.contains(&word.as_str()) {
            Some(Verb::Read)
        } else {
            None
        }
    };
    if !word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        || !word.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
    {
        return None;
    }
    if let Some(verb) = lookup(word) {
        return Some(verb);
    }
    if strict {
        return None;
    }
    let parts = split_word(word);
    if parts.len() < 2 {
        return None;
    }
    lookup(&parts[0]).or_else(|| lookup(&parts[parts.len() - 1]))
}

/// Options that set how many of something run, by their names' last words.
const CAPACITY: &[&str] = &[
    "replicas",
    "capacity",
    "desired-capacity",
    "desired-count",
    "desired-size",
    "min-size",
    "max-size",
    "min-capacity",
    "max-capacity",
    "count",
    "instance-count",
    "node-count",
    "num-nodes",
    "min-nodes",
    "max-nodes",
    "min-instances",
    "max-instances",
    "instances",
    "scale",
    "size",
];

/// A command that sets how many of something run to zero (`--replicas=0`,
/// `--desired-capacity 0`, `--num-nodes=0`): what ran stops. Returns the
/// option.
pub(crate) fn scaled_to_zero(args: &[Arg]) -> Option<String> {
    args.iter().enumerate().find_map(|(index, arg)| {
        let option = arg.text.strip_prefix("--")?;
        let (name, value) = match option.split_once('=') {
            Some((name, value)) => (name, value.to_owned()),
            None => (option, args.get(index + 1)?.text.clone()),
        };
        let capacity = CAPACITY.iter().any(|word| {
            name.eq_ignore_ascii_case(word)
                || name.len() > word.len()
                    && name[name.len() - word.len()..].eq_ignore_ascii_case(word)
                    && name.as_bytes()[name.len() - word.len() - 1] == b'-'
                    && !name.starts_with("max-count")
        });
        (capacity && value == "0").then(|| format!("--{name}"))
    })
}

/// Splits `delete-cluster`, `db:drop`, `delete_all` and `deleteBucket`
/// into their words.
fn split_word(word: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for piece in word.split(['-', '_', ':']) {
        let mut current = String::new();
        for c in piece.chars() {
            if c.is_ascii_uppercase()
                && !current.is_empty()
                && current.chars().last().is_some_and(|last| last.is_ascii_lowercase())
            {
                parts.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
        if !current.is_empty() {
            parts.push(current);
        }
    }
    parts
}

/// The first verb among a command's first words, and the words up to it.
/// Options are skipped, but a long option naming a destroying action
/// (`--delete`) is a verb of its own.
pub(crate) fn find_verb(args: &[Arg]) -> Option<(Verb, usize)> {
    let mut words = 0;
    let mut after_option = false;
    for (index, arg) in args.iter().enumerate() {
        let text = arg.text.as_str();
        if text == "--" {
            break;
        }
        if text.starts_with('-') {
            let name = text.split('=').next().unwrap_or(text);
            if DESTROY_OPTIONS.contains(&name) {
                return Some((Verb::Destroy, index));
            }
            after_option =
                text.starts_with("--") && !text.contains('=') && !FLAGS.contains(&text) && !text.starts_with("--no-");
            continue;
        }
        if arg.dynamic {
            after_option = false;
            words += 1;
            continue;
        }
        if let Some(verb) = classify(text, after_option) {
            return Some((verb, index));
        }
        words += 1;
        if words >= 4 {
            break;
        }
        after_option = false;
    }
    None
}

/// Whether the arguments only ask the program to describe itself or to
/// report what it would do: `--help`, `-h` last, `help`, `--version`,
/// `--dry-run`.
pub(crate) fn inert(args: &[Arg]) -> bool {
    let first_word = args.iter().find(|arg| !arg.text.starts_with('-'));
    args.iter().take_while(|arg| arg.text != "--").any(|arg| {
        let text = arg.text.as_str();
        let name = text.split('=').next().unwrap_or(text);
        text == "--help"
            || INERT_OPTIONS.contains(&name)
                && !matches!(text.split_once('=').map(|(_, value)| value), Some("none" | "false" | "0"))
    }) || args.last().is_some_and(|arg| arg.is("-h"))
        || first_word.is_some_and(|arg| arg.is("help"))
        || matches!(args, [only] if only.is("--version") || only.is("version") || only.is("-v") || only.is("-V"))
}

/// Whether `program`'s words are data (`echo`, `grep`, `man`, ...), never a
/// command it runs.
pub(crate) fn words_are_data(program: &str) -> bool {
    DATA_WORDS.contains(&program)
}

/// Judges a program no rule and no catalogue entry describes by the verbs
/// in its first words. Returns whether it found one.
pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    let program = command.program;
    if DATA_WORDS.contains(&program) {
        return false;
    }
    if inert(command.args) {
        return false;
    }
    walker.conventional_outputs(command.args, command.span);
    // A program named by its action (`ldapdelete`, `dropuser`,
    // `purge-cache`) does it to what it is given.
    let named = program.trim_end_matches(".sh").trim_end_matches(".py");
    if !DECLARED.contains(&program)
        && !SYSTEM_PACKAGES.contains(&program)
        && (matches!(classify(named, false), Some(Verb::Destroy | Verb::Disrupt)) && named.contains(['-', '_', ':'])
            || names_a_destroyer(named))
    {
        let operands: Vec<&str> =
            command.args.iter().filter(|arg| !arg.text.starts_with('-')).take(3).map(|arg| arg.text.as_str()).collect();
        let name = format!("{program} {}", operands.join(" "));
        let note =
            format!("{program}, a program Guardrail has no declaration for, is named for what it destroys or stops");
        walker.emit(
            IntentKind::InfraUndeclared,
            Scope::Unbounded,
            Some(Object::new("command", name.trim())),
            command.span,
            Some(note),
        );
        return true;
    }
    let Some((verb, at)) = find_verb(command.args) else {
        return false;
    };
    let kind = if SYSTEM_PACKAGES.contains(&program) {
        match verb {
            Verb::Read => return false,
            Verb::Destroy | Verb::Disrupt => IntentKind::InfraDisrupt,
        }
    } else if DECLARED.contains(&program) {
        match verb {
            Verb::Read => return false,
            Verb::Destroy => IntentKind::InfraDestroy,
            Verb::Disrupt => IntentKind::InfraDisrupt,
        }
    } else {
        match verb {
            Verb::Read => return false,
            Verb::Destroy | Verb::Disrupt => IntentKind::InfraUndeclared,
        }
    };
    let words: Vec<&str> = command
        .args
        .iter()
        .filter(|arg| !arg.text.starts_with('-'))
        .take(at + 2)
        .map(|arg| arg.text.as_str())
        .collect();
    let name = format!("{program} {}", words.join(" "));
    let verb_word = &command.args[at].text;
    let note = match kind {
        IntentKind::InfraUndeclared => {
            format!("`{verb_word}` of {program}, a program Guardrail has no declaration for")
        }
        IntentKind::InfraDisrupt if SYSTEM_PACKAGES.contains(&program) => {
            format!("{program} {verb_word} removes software the machine runs")
        }
        _ => format!("{program} {verb_word}"),
    };
    walker.emit(kind, Scope::Unbounded, Some(Object::new("command", name.trim())), command.span, Some(note));
    true
}

/// A program whose name ends with a destroying verb (`ldapdelete`,
/// `lvremove`, `userdel`).
fn names_a_destroyer(name: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "delete",
        "destroy",
        "remove",
        "purge",
        "wipe",
        "erase",
        "truncate",
        "terminate",
        "uninstall",
        "flush",
        "drop",
        "del",
    ];
    let name = name.to_ascii_lowercase();
    ENDINGS.iter().any(|ending| name.len() >= ending.len() + 2 && name.ends_with(ending) && name != "model")
}

/// Whether the lexicon should read this declared program's verbs after its
/// rule found nothing.
pub(crate) fn reads_declared(program: &str) -> bool {
    DECLARED.contains(&program) || SYSTEM_PACKAGES.contains(&program)
}

/// The rule that documents the lexicon.
pub(crate) const RULE: crate::rules::Rule = crate::rules::Rule {
    name: "verb-lexicon",
    intents: &[IntentKind::InfraUndeclared, IntentKind::InfraDisrupt],
    catches: "Programs no rule or catalogue entry describes, read by the verbs in their first words: \
              destroying verbs (delete, destroy, drop, remove, rm, purge, prune, terminate, uninstall, \
              wipe, flush, erase, truncate, ...) and disrupting ones (stop, kill, disable, scale, \
              detach, reset, revoke, deallocate, drain, ...), alone or joined to a noun \
              (delete-cluster, db:drop, deleteBucket), or as options (--delete, --purge), are \
              infra.undeclared. The same verbs of declared cloud and service CLIs that their rules do \
              not name are infra.destroy or infra.disrupt; OS package managers' removals are \
              infra.disrupt. Reading verbs (get, list, describe, logs, plan, ...) end the search; \
              --help, -h, help, --version and --dry-run make a command inert.",
    why: "A guard that only knows the CLIs it was taught lets every other one delete production; \
          the verb is the part of a command line that says what it does.",
    example: "fooctl cluster delete prod",
    look_alike: "fooctl cluster list",
    gaps: "A program whose first words are data (grep, echo, package managers of projects) is \
           declared as such and never read for verbs; a verb hidden in an option's value (nginx -s \
           stop) is not seen.",
};

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_core::Span;

    fn args(line: &str) -> Vec<Arg> {
        line.split_whitespace().map(|word| Arg::literal(word, Span::new(0, 0))).collect()
    }

    #[test]
    fn verbs_alone_and_joined_to_nouns() {
        let cases: &[(&str, Option<Verb>)] = &[
            ("delete", Some(Verb::Destroy)),
            ("Delete", Some(Verb::Destroy)),
            ("delete-cluster", Some(Verb::Destroy)),
            ("cluster-delete", Some(Verb::Destroy)),
            ("db:drop", Some(Verb::Destroy)),
            ("deleteBucket", Some(Verb::Destroy)),
            ("terminate-instances", Some(Verb::Destroy)),
            ("ps:scale", Some(Verb::Disrupt)),
            ("stop", Some(Verb::Disrupt)),
            ("get", Some(Verb::Read)),
            ("describe-instances", Some(Verb::Read)),
            ("deploy", None),
            ("deleted", None),
            ("stopwatch", None),
            ("./remove.sh", None),
            ("/var/lib/delete-me", None),
            ("prod", None),
        ];
        for (word, verb) in cases {
            assert_eq!(classify(word, false), *verb, "{word}");
        }
        assert_eq!(classify("remove-me", true), None);
        assert_eq!(classify("delete", true), Some(Verb::Destroy));
    }

    #[test]
    fn the_first_verb_decides() {
        let cases: &[(&str, Option<Verb>)] = &[
            ("cluster delete prod", Some(Verb::Destroy)),
            ("delete cluster prod", Some(Verb::Destroy)),
            ("--context prod cluster delete x", Some(Verb::Destroy)),
            ("get deletion-policy", Some(Verb::Read)),
            ("describe stop-words", Some(Verb::Read)),
            ("deploy --name remove-me", None),
            ("env prod --purge", Some(Verb::Destroy)),
            ("apps:destroy -a web", Some(Verb::Destroy)),
            ("a b c d delete", None),
        ];
        for (line, verb) in cases {
            assert_eq!(find_verb(&args(line)).map(|(verb, _)| verb), *verb, "{line}");
        }
    }

    #[test]
    fn help_versions_and_dry_runs_are_inert() {
        for line in [
            "cluster delete --help",
            "cluster delete prod -h",
            "help delete",
            "--version",
            "delete x --dry-run",
            "delete x --dry-run=client",
        ] {
            assert!(inert(&args(line)), "{line}");
        }
        for line in ["cluster delete prod", "delete x --dry-run=none", "-h delete prod"] {
            assert!(!inert(&args(line)), "{line}");
        }
    }
}
