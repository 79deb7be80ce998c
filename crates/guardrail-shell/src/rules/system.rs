//! The machine itself: power, processes, firewall, users, scheduled jobs,
//! shell history and logs.

use guardrail_core::{IntentKind, Object, Scope};

use super::{Rule, options};
use crate::flow::Stream;
use crate::walk::{Command, Walker};
use crate::words::Value;

pub(crate) const RULE: Rule = Rule {
    name: "system",
    intents: &[
        IntentKind::SystemPower,
        IntentKind::SystemKillAll,
        IntentKind::SystemForkBomb,
        IntentKind::SystemFirewall,
        IntentKind::SystemCronRemove,
        IntentKind::SystemUserDelete,
        IntentKind::LogTamper,
    ],
    catches: "shutdown, reboot, halt, poweroff, systemctl poweroff/reboot and init 0/6, baseboard \
              controllers' power off, cycle and reset (ipmitool, racadm); kill of every \
              process (kill -9 -1, kill -- -1, killall5) or of init; fork bombs (a function that runs \
              copies of itself in a pipeline or in the background); firewall flushes (iptables -F, \
              -P ... ACCEPT, nft flush ruleset, ufw disable/reset, stopping firewalld); crontab -r; \
              userdel, deluser, groupdel; history -c, unset HISTFILE, HISTFILE=/dev/null, set +o \
              history, journalctl --vacuum-*. export and unset are followed, so later words see the \
              variables they set.",
    why: "Each of these takes the machine, its defences or its audit trail away from everyone at once.",
    example: "sudo systemctl poweroff",
    look_alike: "sudo systemctl restart nginx",
    gaps: "Service managers other than systemd are not modelled; pkill and killall with broad \
           patterns are process.run.",
};

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    let args = command.args;
    let span = command.span;
    let emit = |walker: &mut Walker, kind: IntentKind, name: &str, note: Option<&str>| {
        walker.emit(kind, Scope::Server, Some(Object::new("system", name)), span, note.map(str::to_owned));
    };
    let history_off = |walker: &mut Walker| {
        walker.emit(IntentKind::LogTamper, Scope::Session, Some(Object::new("history", "shell history")), span, None);
    };
    match command.program {
        "shutdown" | "reboot" | "halt" | "poweroff" => emit(walker, IntentKind::SystemPower, command.program, None),
        // A machine's baseboard controller: power and resets from afar.
        "ipmitool" => {
            let parsed = options(
                args,
                &["-I", "-H", "-U", "-P", "-f", "-p", "-L", "-C", "-y", "-k", "-K", "-E", "-R", "-N", "-T", "-t", "-b"],
                false,
            );
            let verbs: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
            if let ["chassis" | "power", .., "off" | "cycle" | "reset" | "soft" | "diag"]
            | ["power", "off" | "cycle" | "reset" | "soft" | "diag", ..]
            | ["mc", "reset", ..] = verbs.as_slice()
            {
                emit(
                    walker,
                    IntentKind::SystemPower,
                    &verbs.join(" "),
                    Some("through the machine's baseboard controller"),
                )
            }
        }
        "racadm"
            if args
                .iter()
                .any(|arg| matches!(arg.text.as_str(), "powerdown" | "powercycle" | "hardreset" | "graceshutdown")) =>
        {
            emit(walker, IntentKind::SystemPower, "racadm", Some("through the machine's baseboard controller"))
        }
        "init" | "telinit" if args.first().is_some_and(|arg| matches!(arg.text.as_str(), "0" | "6")) => {
            emit(walker, IntentKind::SystemPower, command.program, None)
        }
        "systemctl" => {
            let parsed = options(args, &["-H", "--host", "-M", "--machine", "-t", "--type", "-s", "--signal"], false);
            let verbs: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
            match verbs.as_slice() {
                ["poweroff" | "reboot" | "halt" | "kexec" | "soft-reboot" | "emergency" | "rescue", ..] => {
                    emit(walker, IntentKind::SystemPower, verbs[0], None)
                }
                ["stop" | "disable" | "mask" | "kill", units @ ..]
                    if units.iter().any(|unit| {
                        matches!(
                            unit.trim_end_matches(".service"),
                            "firewalld" | "ufw" | "nftables" | "iptables" | "ip6tables" | "netfilter-persistent"
                        )
                    }) =>
                {
                    emit(walker, IntentKind::SystemFirewall, verbs.join(" ").as_str(), None)
                }
                ["enable" | "link" | "add-wants" | "add-requires" | "edit" | "set-property", ..] => {
                    walker.emit(
                        IntentKind::CodePersist,
                        Scope::Server,
                        Some(Object::new("system", verbs.join(" "))),
                        span,
                        Some("makes a unit start on its own later (at boot, or when what it wants starts)".to_owned()),
                    );
                }
                _ => {}
            }
        }
        "kill" => {
            let targets_all = args.iter().enumerate().any(|(index, arg)| {
                let after_signal = index > 0 || args.len() == 1;
                (arg.text == "-1" && after_signal) || (arg.text == "1" && index == args.len() - 1)
            });
            if targets_all {
                emit(
                    walker,
                    IntentKind::SystemKillAll,
                    "every process",
                    Some("pid -1 signals every process the user may reach"),
                );
            }
        }
        "killall5" => emit(walker, IntentKind::SystemKillAll, "every process", None),
        "iptables" | "ip6tables" | "iptables-legacy" | "iptables-nft" | "ip6tables-legacy" | "ip6tables-nft" => {
            let flushes = args.iter().any(|arg| matches!(arg.text.as_str(), "-F" | "--flush"));
            let opens = args
                .windows(3)
                .any(|window| matches!(window[0].text.as_str(), "-P" | "--policy") && window[2].text == "ACCEPT");
            if flushes || opens {
                emit(walker, IntentKind::SystemFirewall, command.program, None);
            }
        }
        "nft" => {
            let words: Vec<&str> = args.iter().map(|arg| arg.text.as_str()).collect();
            if words.windows(2).any(|pair| pair == ["flush", "ruleset"] || pair[0] == "delete" && pair[1] == "table") {
                emit(walker, IntentKind::SystemFirewall, "nft", None);
            }
        }
        "ufw" if args.first().is_some_and(|arg| matches!(arg.text.as_str(), "disable" | "reset")) => {
            emit(walker, IntentKind::SystemFirewall, "ufw", None)
        }
        "pfctl" if args.iter().any(|arg| arg.text == "-d" || arg.text == "-F") => {
            emit(walker, IntentKind::SystemFirewall, "pfctl", None)
        }
        "crontab" => {
            let parsed = options(args, &["-u"], false);
            if parsed.has("-r") {
                emit(walker, IntentKind::SystemCronRemove, "crontab", None);
            }
        }
        "userdel" | "deluser" | "groupdel" | "delgroup" => {
            let name =
                args.iter().rev().find(|arg| !arg.text.starts_with('-')).map(|arg| arg.text.as_str()).unwrap_or("");
            emit(walker, IntentKind::SystemUserDelete, name, None);
        }
        // `visudo -c` (also `-cf FILE`) only checks the syntax.
        "visudo" if options(args, &["-f", "--file"], false).has_any(&["-c", "--check"]) => return true,
        "useradd" | "adduser" | "usermod" | "groupadd" | "addgroup" | "groupmod" | "gpasswd" | "passwd"
        | "chpasswd" | "chage" | "newusers" | "visudo" | "vipw" | "vigr" | "pwconv" | "chsh" | "setcap"
        | "pam-auth-update" | "smbpasswd" | "pdbedit" | "htdigest" | "ldappasswd" => {
            let name =
                args.iter().rev().find(|arg| !arg.text.starts_with('-')).map(|arg| arg.text.as_str()).unwrap_or("");
            let note = match command.program {
                "setcap" => "gives a program capabilities: root's power in part".to_owned(),
                "visudo" | "vipw" | "vigr" => format!("{} edits who may log in or act as root", command.program),
                program => format!("{program} changes the machine's accounts, groups or passwords"),
            };
            walker.emit(
                IntentKind::SystemPrivilege,
                Scope::Server,
                Some(Object::new("system", name)),
                span,
                Some(note),
            );
        }
        "dscl" if args.iter().any(|arg| arg.text == "-delete") => {
            emit(walker, IntentKind::SystemUserDelete, "dscl", None)
        }
        "history"
            if args
                .iter()
                .any(|arg| arg.text.starts_with('-') && (arg.text.contains('c') || arg.text.contains('d'))) =>
        {
            history_off(walker);
        }
        "journalctl" if args.iter().any(|arg| arg.text.starts_with("--vacuum") || arg.text == "--rotate") => {
            walker.emit(
                IntentKind::LogTamper,
                Scope::Server,
                Some(Object::new("path", "/var/log/journal")),
                span,
                None,
            );
        }
        "set" if args.windows(2).any(|pair| pair[0].text == "+o" && pair[1].text == "history") => {
            history_off(walker);
        }
        "unset" => {
            for arg in args.iter().filter(|arg| !arg.text.starts_with('-')) {
                if arg.text == "HISTFILE" {
                    walker.emit(
                        IntentKind::LogTamper,
                        Scope::Session,
                        Some(Object::new("variable", "HISTFILE")),
                        span,
                        None,
                    );
                }
                subscript(walker, &arg.text, span);
                walker.unset(&arg.text);
            }
            return true;
        }
        "export" | "declare" | "typeset" | "local" | "readonly" => {
            let integer = args.iter().any(|arg| arg.text.starts_with('-') && arg.text.contains('i'));
            let nameref = args.iter().any(|arg| arg.text.starts_with('-') && arg.text.contains('n'));
            for arg in args.iter().filter(|arg| !arg.text.starts_with('-')) {
                let (name, value) = match arg.text.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (arg.text.as_str(), None),
                };
                subscript(walker, name, span);
                if integer {
                    walker.integers.insert(name.to_owned());
                }
                if let Some(value) = value {
                    if nameref {
                        walker.assign(&format!("{}{name}", crate::walk::NAMEREF), Value::known(value), span);
                        continue;
                    }
                    if integer {
                        crate::words::arithmetic(walker, value, span);
                    }
                    let value =
                        Value { text: value.to_owned(), dynamic: arg.dynamic, glob: false, mark: arg.mark.clone() };
                    walker.assign(name, value, span);
                }
            }
            return false;
        }
        // Builtins that evaluate arithmetic, or the subscripts of the
        // variables they name.
        "let" => {
            for arg in args {
                crate::words::arithmetic(walker, &arg.text, span);
            }
            return false;
        }
        "test" | "[" => {
            for pair in args.windows(2) {
                if pair[0].is("-v") {
                    crate::words::arithmetic(walker, &pair[1].text, span);
                }
            }
            return false;
        }
        "printf" => {
            let parsed = options(args, &["-v"], false);
            if let Some(name) = parsed.value("-v") {
                subscript(walker, name, span);
                let value = match super::output_of(
                    walker,
                    "printf",
                    &parsed.operands.iter().map(|arg| (*arg).clone()).collect::<Vec<_>>(),
                    Stream::Terminal,
                ) {
                    Stream::Text(text) => Value::known(text.trim_end_matches('\n')),
                    other => Value::unknown(other.mark()),
                };
                walker.assign(name, value, span);
            }
            return false;
        }
        "read" | "mapfile" | "readarray" => {
            let parsed =
                options(args, &["-a", "-d", "-i", "-n", "-N", "-p", "-t", "-u", "-C", "-c", "-O", "-s"], false);
            for name in parsed
                .values
                .iter()
                .filter(|(option, _)| option == "-a")
                .map(|(_, name)| name.as_str())
                .chain(parsed.operands.iter().map(|arg| arg.text.as_str()))
            {
                subscript(walker, name, span);
                let value = Value { text: String::new(), dynamic: true, glob: false, mark: command.input.mark() };
                walker.assign(name, value, span);
            }
            return false;
        }
        _ => return false,
    }
    true
}

/// A variable name with a subscript (`a[$(...)]`): bash evaluates the
/// subscript, running what it holds.
fn subscript(walker: &mut Walker, name: &str, span: guardrail_core::Span) {
    if let Some((_, index)) = name.split_once('[') {
        crate::words::arithmetic(walker, index.trim_end_matches(']'), span);
    }
}
