//! The gate itself, run from the line it governs: `guardrail` with another
//! policy, store, data directory or actor, its hooks installed or removed,
//! its key rotated, and `GUARDRAIL_*` variables set for it. (Its files are
//! protected by the effects of any program: see `locations::gate_file`.)

use guardrail_core::IntentKind;

use super::{Rule, options};
use crate::walk::{Command, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "gate",
    intents: &[IntentKind::GateTamper],
    catches: "Writing, moving, deleting or re-permissioning the gate's own files by any program: its data \
              directory (record, journal, keys, markers), configuration and policies, binary, and every \
              agent's hook settings (Claude Code, Codex, Cursor, Gemini CLI; user and project level), or \
              a tree holding them; reading its signing key; `sqlite3` changing its record; running \
              `guardrail` with --policy, --data-dir, --store, --actor, --actor-kind, --node or --config \
              (except `check` without --record), `hook install`/`uninstall`, `audit rotate-key`; and \
              GUARDRAIL_* variables set or exported. `guardrail exec` runs what it carries, which is \
              walked.",
    why: "A gate the governed agent can reconfigure, unhook or edit the record of is no gate: one \
          `permit` policy, one emptied settings file or one DELETE on the record undoes it.",
    example: "echo 'permit(principal, action, resource);' > /tmp/p.cedar && guardrail exec --policy /tmp/p.cedar -c 'ls'",
    look_alike: "guardrail audit list --since 1h",
    gaps: "The gate's files are known by where installations put them and where the running gate \
           says it keeps them; a copy of the binary elsewhere, or a hook in a settings file of an \
           agent not listed, is not.",
};

/// Options that choose which gate governs: its policy, record, identity.
const CONFIGURING: &[&str] =
    &["--policy", "--data-dir", "--store", "--actor", "--actor-kind", "--node", "--config", "--deadline", "--memory"];

/// Whether a variable configures the gate.
pub(crate) fn configures_gate(name: &str) -> bool {
    name.starts_with("GUARDRAIL_")
}

/// Variables that move where the gate looks for its record and settings
/// when set for `guardrail` in the same line.
const MOVES_THE_GATE: &[&str] = &["XDG_DATA_HOME", "XDG_CONFIG_HOME", "HOME"];

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    match command.program {
        "guardrail" => guardrail(walker, command),
        // `cargo install guardrail` replaces the gate's binary.
        "cargo" if command.args.first().is_some_and(|arg| arg.text == "install") => {
            let names_the_gate = command.args.iter().any(|arg| {
                let text = arg.text.trim_end_matches('/');
                matches!(text, "guardrail" | "guardrail-cli")
                    || text.ends_with("/guardrail-cli")
                    || text.ends_with("/guardrail")
            });
            if names_the_gate {
                tamper(walker, command, "installs a guardrail binary over the gate's".to_owned());
            }
            false
        }
        "cargo" if command.args.first().is_some_and(|arg| arg.text == "uninstall") => {
            if command.args.iter().skip(1).any(|arg| arg.text.starts_with("guardrail")) {
                tamper(walker, command, "uninstalls the gate's binary".to_owned());
            }
            false
        }
        // Stopping or killing the gate's processes (a daemon, a proxy).
        "kill" | "killall" | "pkill" | "pgrep" if names_the_gate_process(command) => {
            tamper(walker, command, "signals the gate's processes".to_owned());
            false
        }
        // git puts files back, removes them or stashes them away.
        "git" => {
            git(walker, command);
            false
        }
        "tar" | "bsdtar" | "gtar" => {
            tar_extract(walker, command);
            false
        }
        "find" => {
            find_delete(walker, command);
            false
        }
        // A file system mounted over the gate's places hides them.
        "mount" | "umount" | "bindfs" | "unshare" => {
            let hides = command.args.iter().filter(|arg| !arg.text.starts_with('-')).any(|arg| {
                let path = walker.place(arg).name;
                walker.is_gate_place(&path)
            });
            if hides {
                tamper(walker, command, "mounts over or unmounts the gate's files".to_owned());
            }
            false
        }
        "export" | "declare" | "typeset" | "readonly" | "setenv" => {
            let names: Vec<String> = command
                .args
                .iter()
                .filter(|arg| !arg.text.starts_with('-'))
                .map(|arg| arg.text.split('=').next().unwrap_or("").to_owned())
                .filter(|name| configures_gate(name))
                .collect();
            if let Some(name) = names.first() {
                tamper(walker, command, format!("sets {name}, which configures the gate for what follows"));
            }
            false
        }
        _ => false,
    }
}

fn guardrail(walker: &mut Walker, command: &Command<'_>) -> bool {
    let args = command.args;
    // `--record=URL` and `--store URL` take values; the rest are flags here.
    let parsed = options(
        args,
        &[
            "--policy",
            "--data-dir",
            "--store",
            "--actor",
            "--actor-kind",
            "--node",
            "--config",
            "--deadline",
            "--memory",
            "--kind",
            "--cwd",
            "--justification",
            "--session",
            "--target",
            "--environment",
            "--since",
            "--until",
            "--verdict",
            "--intent",
            "--channel",
            "--format",
            "--checkpoints",
            "--anchors",
            "--project",
            "--listen",
            "--upstream",
            "--upstream-ca",
            "--role",
            "--on-behalf-of",
            "--decision-threads",
            "--io-threads",
            "--state",
            "--reason",
            "-n",
            "-c",
        ],
        false,
    );
    let words: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
    let recording = parsed.has("--record") || parsed.values.iter().any(|(name, _)| name == "--record");
    if let Some(name) = MOVES_THE_GATE.iter().find(|name| walker.assigned_here(name)) {
        tamper(walker, command, format!("runs the gate with {name} moved, so it keeps its record elsewhere"));
    }
    let configured = CONFIGURING.iter().find(|option| parsed.has(option));
    match (words.as_slice(), configured) {
        (["hook", "install" | "uninstall", ..], _) => {
            tamper(walker, command, "installs or removes an agent's hook".to_owned());
        }
        // The database proxy holds the database's credential and decides
        // who logs in: an agent neither runs one of its own nor adds itself
        // an identity.
        (["proxy", ..], _) if !parsed.has("--help") && !parsed.has("-h") => {
            tamper(walker, command, "runs the database proxy, or changes who may log in to it".to_owned())
        }
        // A person's answer to a held action: an agent approving (or
        // denying) at the terminal would be deciding in their place.
        // The daemon decides who may approve: an agent neither runs one of
        // its own nor mints itself a token.
        (["serve", ..], _) if !parsed.has("--help") && !parsed.has("-h") => {
            tamper(walker, command, "runs the gate's daemon, or changes who may use its API".to_owned())
        }
        (["approvals", "approve" | "deny", ..], _) if !parsed.has("--help") && !parsed.has("-h") => {
            tamper(walker, command, "approves or denies an action held for a person's approval".to_owned())
        }
        (["approvals", ..], _) => {}
        (["audit", "rotate-key", ..], _) => {
            tamper(walker, command, "replaces the key that signs the record".to_owned())
        }
        // Checking with a policy of one's own changes nothing, unless it is recorded.
        (["check", ..], Some(option)) if recording => {
            tamper(walker, command, format!("records with the gate's {} chosen by the caller", &option[2..]))
        }
        (["check", ..], _) => {}
        // Validating or testing a draft policy governs nothing.
        (["policy", ..], _) => {}
        // Reading a record (this one, or another's) changes nothing;
        // `--actor` there is a filter.
        (["audit", "list" | "show" | "tail" | "verify" | "export" | "checkpoints", ..], _) => {}
        (["doctor", ..], _) => {}
        (_, Some(option)) => {
            tamper(walker, command, format!("runs the gate with its {} chosen by the caller", &option[2..]));
        }
        _ => {}
    }
    // `guardrail exec -- CMD` and `-c 'line'` run what they carry.
    if words.first() == Some(&"exec") {
        if let Some(line) = parsed.value("-c") {
            walker.nested(line, command.span, true);
        } else if let Some(start) = args.iter().position(|arg| arg.text == "--") {
            walker.run(&args[start + 1..], command.input.clone(), command.span, &Default::default());
        } else if let Some(first) = parsed.operand_index.get(1) {
            walker.run(&args[*first..], command.input.clone(), command.span, &Default::default());
        }
    }
    true
}

/// Whether `kill`/`pkill`/`killall` is aimed at the gate by name.
fn names_the_gate_process(command: &Command<'_>) -> bool {
    command.program != "pgrep"
        && command.args.iter().any(|arg| {
            let text = arg.text.trim_start_matches('-');
            text == "guardrail" || text.starts_with("guardrail ") || text.ends_with("/guardrail")
        })
}

/// `git rm`, `mv`, `checkout`, `restore`, `stash`, `clean`, `reset` of
/// the gate's files, or of a tree that holds them (`.claude/`).
fn git(walker: &mut Walker, command: &Command<'_>) {
    let words: Vec<&str> = command.args.iter().map(|arg| arg.text.as_str()).collect();
    let Some(at) = words.iter().position(|word| !word.starts_with('-')) else { return };
    if !matches!(words[at], "rm" | "mv" | "checkout" | "restore" | "stash" | "clean" | "reset" | "apply" | "switch") {
        return;
    }
    let touches = command.args[at + 1..]
        .iter()
        .filter(|arg| !arg.text.starts_with('-') && !arg.text.is_empty())
        .any(|arg| walker.is_gate_place(&walker.place(arg).name));
    if touches {
        tamper(walker, command, format!("has git {} the gate's files", words[at]));
    }
}

/// `tar -x` into the gate's places: the members named, or into a directory
/// at, in or right above one.
fn tar_extract(walker: &mut Walker, command: &Command<'_>) {
    let words: Vec<&str> = command.args.iter().map(|arg| arg.text.as_str()).collect();
    let extracts = words.iter().enumerate().any(|(index, word)| {
        *word == "--extract"
            || *word == "--get"
            || (word.starts_with('-') && !word.starts_with("--") && word.contains('x'))
            || (index == 0 && !word.starts_with('-') && word.contains('x'))
    });
    if !extracts {
        return;
    }
    let mut dir: Option<String> = None;
    let mut members = Vec::new();
    let mut index = 0;
    while index < command.args.len() {
        let arg = &command.args[index];
        let text = arg.text.as_str();
        if text == "-C" || text == "--directory" {
            if let Some(next) = command.args.get(index + 1) {
                dir = Some(walker.place(next).name);
            }
            index += 2;
            continue;
        }
        if let Some(value) = text.strip_prefix("--directory=") {
            dir = Some(walker.place(&crate::words::Arg::literal(value, arg.span)).name);
        } else if text == "-f"
            || text == "--file"
            || (text.starts_with('-') && text.ends_with('f') && !text.starts_with("--"))
        {
            index += 2;
            continue;
        } else if index > 0 && !text.starts_with('-') {
            members.push(text.to_owned());
        }
        index += 1;
    }
    let base = dir.unwrap_or_else(|| walker.place(&crate::words::Arg::literal(".", command.span)).name);
    let hits = if members.is_empty() {
        walker.gate_file_at(&base) || walker.gate_places_below(&base, 1)
    } else {
        members.iter().any(|member| {
            walker.is_gate_place(&format!("{}/{}", base.trim_end_matches('/'), member.trim_end_matches('/')))
        })
    };
    if hits {
        tamper(walker, command, "extracts an archive over the gate's files".to_owned());
    }
}

/// `find ROOT ... -delete` (or `-exec rm`) over a tree holding the gate's
/// files, when its name tests can match them.
fn find_delete(walker: &mut Walker, command: &Command<'_>) {
    let words: Vec<&str> = command.args.iter().map(|arg| arg.text.as_str()).collect();
    let deletes = words.iter().enumerate().any(|(index, word)| {
        *word == "-delete"
            || (matches!(*word, "-exec" | "-execdir" | "-ok" | "-okdir")
                && words.get(index + 1).is_some_and(|program| {
                    matches!(
                        program.rsplit('/').next().unwrap_or(program),
                        "rm" | "shred" | "unlink" | "truncate" | "mv"
                    )
                }))
    });
    if !deletes {
        return;
    }
    let roots: Vec<String> = command
        .args
        .iter()
        .take_while(|arg| !arg.text.starts_with('-') && arg.text != "(" && arg.text != "!")
        .map(|arg| walker.place(arg).name)
        .collect();
    let names: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|(_, word)| matches!(**word, "-name" | "-iname" | "-path" | "-ipath" | "-regex"))
        .filter_map(|(index, _)| words.get(index + 1).copied())
        .collect();
    let gate_names = [
        "record.sqlite3",
        "record.sqlite3-wal",
        "record.sqlite3-shm",
        crate::locations::SIGNING_KEY,
        "settings.json",
        "settings.local.json",
        "hooks.json",
        "config.toml",
        "guardrail",
    ];
    let name_can_match = names.is_empty()
        || names.iter().any(|pattern| {
            let last = pattern.rsplit('/').next().unwrap_or(pattern);
            gate_names.iter().any(|name| {
                crate::locations::wildcard(last, name) || crate::locations::wildcard(&last.to_ascii_lowercase(), name)
            })
        });
    if name_can_match && roots.iter().any(|root| walker.is_gate_place(root)) {
        tamper(walker, command, "deletes files in a tree holding the gate's".to_owned());
    }
}

/// The gate's files handed to code whose effect on them the line does not
/// show: a script's or inline code's arguments (`python3 fix.py
/// ~/.local/share/guardrail/record.sqlite3`), or a program that no rule or
/// catalogue entry describes. What it does with the record, the approvals
/// or the daemon's settings cannot be seen, and they are the gate's:
/// `gate.tamper`. (A program that is described is judged by its effects.)
pub(crate) fn handed_to_unseen_code(walker: &mut Walker, command: &Command<'_>) {
    let handed = command.args.iter().filter(|arg| !arg.dynamic).find_map(|arg| {
        // `--db=PATH` hands PATH.
        let value = match arg.text.split_once('=') {
            Some((option, value)) if option.starts_with('-') => value,
            _ => arg.text.as_str(),
        };
        if value.is_empty() || value.starts_with('-') || value.contains('\n') {
            return None;
        }
        let place = walker.place(&crate::words::Arg::literal(value, arg.span));
        // The record, the approvals, the keys, the daemon's settings and
        // the policies (agents' settings files and the binary are read
        // and inspected by everyday tools, and written by the rules'
        // effects).
        use crate::locations::GateFile;
        walker.gate_file(&place.name).filter(|what| matches!(what, GateFile::Data | GateFile::Key | GateFile::Config))
    });
    if let Some(what) = handed {
        let note =
            format!("hands {} to {}, whose effect on it the line does not show", what.describe(), command.program);
        tamper(walker, command, note);
    }
}

fn tamper(walker: &mut Walker, command: &Command<'_>, note: String) {
    walker.gate_tamper("guardrail", command.span, note);
}
