//! What programs do: one family of tools per file, each with its rule.
//!
//! Every rule documents what it catches, why it matters, a dangerous
//! example and a harmless look-alike, and known gaps, as data in its
//! [`Rule`] constant. `docs/intents.md` is generated from [`RULES`], and a
//! test runs each example and look-alike through the analyzer, so the docs
//! cannot claim what the code does not do. A command no rule classifies is
//! `process.run`.

use guardrail_core::{IntentKind, Object, Scope};

use crate::flow::{Mark, Stream};
use crate::walk::{Command, Walker};
use crate::words::Arg;
use crate::{catalogue, lexicon};

pub mod access;
mod carriers;
pub(crate) mod database;
pub(crate) mod files;
pub(crate) mod gate;
mod git;
mod infra;
mod later;
pub(crate) mod network;
mod projects;
pub(crate) mod remote;
mod secrets;
mod system;

/// One rule: the family of programs it knows, the intents it emits, and
/// its documentation.
#[derive(Debug)]
pub struct Rule {
    /// Names the family of tools, not the verdict: `rm`, `git`.
    pub name: &'static str,
    /// The intents it can emit, the most dangerous first.
    pub intents: &'static [IntentKind],
    /// What it catches.
    pub catches: &'static str,
    /// Why that matters.
    pub why: &'static str,
    /// A command line that emits the rule's first intent.
    pub example: &'static str,
    /// A harmless command line that looks alike and does not.
    pub look_alike: &'static str,
    /// What it knowingly misses or over-reports.
    pub gaps: &'static str,
}

/// What no other rule classifies: the program runs, and that is all the
/// analyzer can say of it.
pub(crate) const PROGRAMS: Rule = Rule {
    name: "programs",
    intents: &[IntentKind::ProcessRun],
    catches: "Every command no other rule classifies: reads, builds, tests, editors, package managers, \
              and programs the analyzer does not know. The object is the program's name.",
    why: "Most of what agents run is this, and is allowed; recording it keeps the activity record \
          complete.",
    example: "cargo test --release",
    look_alike: "rm -rf /",
    gaps: "An unknown program may do anything its own code does: scripts and binaries are not read.",
};

/// Every rule, in the order the docs list them.
pub const RULES: &[&Rule] = &[
    &PROGRAMS,
    &carriers::RULE,
    &carriers::INTERPRETERS,
    &files::RULE,
    &files::DISKS,
    &files::PERMISSIONS,
    &files::REDIRECTION,
    &git::RULE,
    &infra::RULE,
    &infra::BACKUPS,
    &infra::MESSAGING,
    &secrets::RULE,
    &database::RULE,
    &network::RULE,
    &network::EXFILTRATION,
    &network::WRITTEN_SECRETS,
    &gate::RULE,
    &remote::RULE,
    &later::RULE,
    &projects::RULE,
    &system::RULE,
    &crate::effects::PERSISTENCE,
    &crate::effects::PRIVILEGE,
    &crate::lexicon::RULE,
];

/// Hands a command to what describes its program: a carrier runs what it
/// carries; a rule or catalogue entry judges what it does; a program none
/// of them describes is read through the verb lexicon. Returns what the
/// command writes on its standard output.
pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> Stream {
    walker.carried = None;
    // Code the line does not show (a script, or code reading its
    // arguments) given the gate's files.
    let runs_code = catalogue::find(command.program).is_some_and(|program| program.script.is_some());
    if runs_code || is_shell(command.program) {
        gate::handed_to_unseen_code(walker, command);
    }
    if carriers::check(walker, command) || remote::check(walker, command) {
        // What the carried command wrote, when it ran one the walker followed.
        return match walker.carried.take() {
            Some(output) if output != Stream::Unknown && output != Stream::Terminal => output,
            _ => output_of(walker, command.program, command.args, command.input.clone()),
        };
    }
    let entry = catalogue::find(command.program);
    if entry.is_some_and(|_| asks_for_help(command.args)) || entry.is_none() && lexicon::inert(command.args) {
        return Stream::Unknown;
    }
    let before = walker.intent_count();
    let by_rule = gate::check(walker, command)
        || files::check(walker, command)
        || git::check(walker, command)
        || infra::check(walker, command)
        || secrets::check(walker, command)
        || database::check(walker, command)
        || system::check(walker, command)
        || projects::check(walker, command);
    // HTTP methods are judged for any network tool, beside its catalogue entry.
    network::check(walker, command);
    // Access granted, opened to everyone or secrets read, by any CLI.
    access::check(walker, command);
    // Whatever the program, setting how many run to zero stops them.
    if let Some(option) = lexicon::scaled_to_zero(command.args)
        && walker.intent_count() == before
    {
        walker.emit(
            IntentKind::InfraDisrupt,
            Scope::Bounded,
            Some(Object::new("resource", format!("{} {option} 0", command.program))),
            command.span,
            Some(format!("{option} 0 stops everything {} ran", command.program)),
        );
    }
    let output = entry.map(|program| catalogue::apply(walker, program, command));
    if command.program == "ln" {
        remember_link(walker, command);
    }
    if entry.is_none() && (!by_rule || walker.intent_count() == before && lexicon::reads_declared(command.program)) {
        lexicon::check(walker, command);
    }
    // A program nobody described, given the gate's files (readers and
    // listers, whose words are data, read them: judged above).
    if entry.is_none() && !by_rule && !lexicon::words_are_data(command.program) {
        gate::handed_to_unseen_code(walker, command);
    }
    // A program nobody described, whose arguments begin with one that is
    // (`ssh-agent bash -c ...`, `sshpass -p x rm -rf /`, `tsp kubectl
    // delete ...`): it may well run the rest as a command, as so many
    // wrappers do; what that command would do is judged too.
    if entry.is_none()
        && !JUDGED_BY_NAME.contains(&command.program)
        && !lexicon::words_are_data(command.program)
        && !lexicon::inert(command.args)
        && let Some(start) = carried_command(command.args)
    {
        carriers::run_from(walker, command, start);
    }
    match output {
        Some(output) if output != Stream::Unknown => output,
        // A digest, a count: nothing of what it read comes out.
        Some(output) if entry.is_some_and(|program| program.output == catalogue::Output::Digest) => output,
        _ => output_of(walker, command.program, command.args, command.input.clone()),
    }
}

/// How far into an unknown program's arguments a command it carries is
/// looked for: wrappers put the command after a few options of their own.
const CARRIED_WITHIN: usize = 4;

/// Programs the rules judge by name that have no catalogue entry: as the
/// first word of a command an unknown program carries, they are taken to
/// start one.
const JUDGED_BY_NAME: &[&str] = &[
    "git",
    "rm",
    "rmdir",
    "mv",
    "cp",
    "dd",
    "shred",
    "truncate",
    "chmod",
    "chown",
    "chgrp",
    "chattr",
    "ln",
    "tee",
    "kill",
    "pkill",
    "killall",
    "crontab",
    "curl",
    "wget",
    "ssh",
    "scp",
    "sftp",
    "rsync",
    "find",
    "mkfs",
    "fdisk",
    "parted",
    "wipefs",
    "mount",
    "umount",
    "systemctl",
    "service",
    "shutdown",
    "reboot",
    "halt",
    "poweroff",
    "iptables",
    "useradd",
    "userdel",
    "usermod",
    "passwd",
    "visudo",
    "sed",
    "perl",
    "python",
    "python3",
    "node",
    "ruby",
    "php",
    "awk",
    "nc",
    "ncat",
    "socat",
    "base64",
    "openssl",
    "gpg",
    "guardrail",
];

/// Where an unknown program's arguments begin a command it may run: the
/// first of its first few arguments that names a program the analyzer
/// knows (catalogued, a shell, wrapper or runner, one a rule judges by
/// name), wherever it stands among them (`sshpass -f FILE rm ...`).
fn carried_command(args: &[Arg]) -> Option<usize> {
    args.iter().take(CARRIED_WITHIN).position(|arg| {
        let name = arg.text.as_str();
        !arg.dynamic
            && !name.starts_with('-')
            && (catalogue::find(name).is_some()
                || carriers::runs_commands(name)
                || lexicon::words_are_data(name)
                || JUDGED_BY_NAME.contains(&name))
    })
}

/// `ln -s TARGET LINK`: paths through LINK later in the line reach TARGET.
fn remember_link(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(command.args, &["-t", "--target-directory", "-S", "--suffix"], false);
    if !parsed.has_any(&["-s", "--symbolic"]) {
        return;
    }
    let (target, link) = match parsed.operands.as_slice() {
        [target, link] => (*target, (*link).clone()),
        [target] => (*target, Arg::literal(target.text.rsplit('/').next().unwrap_or(&target.text), target.span)),
        _ => return,
    };
    if target.dynamic || link.dynamic {
        return;
    }
    let link_place = walker.place(&link);
    // A relative target is relative to the link's own directory.
    let target_text = if target.text.starts_with('/') {
        target.text.clone()
    } else {
        let parent = link_place.name.rsplit_once('/').map(|(parent, _)| parent).unwrap_or(".");
        format!("{parent}/{}", target.text)
    };
    let target_place = walker.place(&Arg::literal(target_text, target.span));
    walker.links.insert(link_place.name, target_place.name);
}

/// Whether a program is a shell.
pub(crate) fn is_shell(program: &str) -> bool {
    carriers::SHELLS.contains(&program)
}

/// Whether the arguments ask a catalogued program to describe itself and
/// do nothing else: `--help` or `--version` before its first operand
/// (after one, it may be an operand: `rm -rf /etc --help` deletes /etc
/// where options end at the first operand).
fn asks_for_help(args: &[Arg]) -> bool {
    args.iter()
        .take_while(|arg| arg.text.starts_with('-') && arg.text != "--")
        .any(|arg| arg.is("--help") || arg.is("--version"))
}

/// What a program writes on its output, as far as the line shows.
pub(crate) fn output_of(walker: &Walker, program: &str, args: &[Arg], input: Stream) -> Stream {
    let literal = |args: &[Arg]| args.iter().all(|arg| !arg.dynamic && !arg.glob);
    match program {
        "echo" => {
            let words: Vec<&Arg> =
                args.iter().skip_while(|arg| matches!(arg.text.as_str(), "-n" | "-e" | "-E" | "-ne" | "-en")).collect();
            if words.iter().all(|arg| !arg.dynamic && !arg.glob) {
                let text = words.iter().map(|arg| arg.text.as_str()).collect::<Vec<_>>().join(" ");
                let text = if args.iter().any(|arg| arg.is("-e") || arg.is("-ne") || arg.is("-en")) {
                    crate::words::ansi_c(&text)
                } else {
                    text
                };
                Stream::Text(text + "\n")
            } else {
                Stream::marked(marks(args))
            }
        }
        "printf" if !literal(args) => Stream::marked(marks(args)),
        "printf" if literal(args) && !args.is_empty() => {
            let format = crate::words::ansi_c(&args[0].text);
            if args.len() == 1 {
                Stream::Text(format.replace("%%", "%"))
            } else if format.trim_end() == "%s" || format.trim_end() == "%s\n" || format == "%s\\n" {
                Stream::Text(args[1..].iter().map(|arg| arg.text.as_str()).collect::<Vec<_>>().join("") + "\n")
            } else {
                printf_format(&format, &args[1..]).map(Stream::Text).unwrap_or(Stream::Unknown)
            }
        }
        "tee" => input,
        "cat" => {
            let files: Vec<&Arg> = args.iter().filter(|arg| !arg.text.starts_with('-') || arg.text == "-").collect();
            match files.as_slice() {
                [] => input,
                [file] if file.text != "-" => walker.read_path(file, false),
                files => Stream::derived(
                    files
                        .iter()
                        .map(|file| if file.text == "-" { input.clone() } else { walker.read_path(file, false) })
                        .collect::<Vec<_>>()
                        .iter(),
                ),
            }
        }
        "curl" | "wget" | "fetch" | "http" | "https" | "aria2c" => Stream::Network,
        // Paths the line can compute: `$(command -v rm)`, `$(mktemp -d)`, `$(dirname "$PWD")`.
        "which" | "command" | "type" | "whence" => {
            let names: Vec<&Arg> = args.iter().filter(|arg| !arg.text.starts_with('-')).collect();
            match names.as_slice() {
                [name] if literal(args) && !name.text.contains('/') => {
                    Stream::Text(format!("/usr/bin/{}\n", name.text))
                }
                [name] if literal(args) => Stream::Text(format!("{}\n", name.text)),
                _ => Stream::Unknown,
            }
        }
        "mktemp" => {
            let parsed = options(args, &["-p", "--tmpdir", "--suffix"], false);
            let directory = match parsed.value("-p").or(parsed.value("--tmpdir")) {
                Some(directory) => directory.to_owned(),
                None => {
                    use crate::words::Resolver;
                    walker.variable("TMPDIR").map(|value| value.text).unwrap_or_else(|| "/tmp".to_owned())
                }
            };
            let template =
                parsed.operands.first().map(|arg| arg.text.clone()).unwrap_or_else(|| "tmp.XXXXXXXXXX".to_owned());
            let path = if template.contains('/') && !parsed.has_any(&["-t", "-p", "--tmpdir"]) {
                walker.place(&Arg::literal(template, guardrail_core::Span::new(0, 0))).name
            } else {
                format!("{}/{template}", directory.trim_end_matches('/'))
            };
            Stream::Text(path + "\n")
        }
        "pwd" => Stream::Text(walker.place(&Arg::literal(".", guardrail_core::Span::new(0, 0))).name + "\n"),
        "dirname" | "basename" | "realpath" | "readlink" if literal(args) => {
            let Some(path) = args.iter().find(|arg| !arg.text.starts_with('-')) else { return Stream::Unknown };
            let text = match program {
                "dirname" => match path.text.trim_end_matches('/').rsplit_once('/') {
                    Some(("", _)) => "/".to_owned(),
                    Some((parent, _)) => parent.to_owned(),
                    None => ".".to_owned(),
                },
                "basename" => path.text.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_owned(),
                _ => walker.place(path).name,
            };
            Stream::Text(text + "\n")
        }
        "find" | "fd" | "fdfind" | "ls" => {
            let root = args.iter().find(|arg| !arg.text.starts_with('-') && !matches!(arg.text.as_str(), "(" | "!"));
            let root = match (program, root) {
                ("find" | "ls", Some(root)) if !root.dynamic => root.text.clone(),
                ("fd" | "fdfind", _) => args
                    .iter()
                    .filter(|arg| !arg.text.starts_with('-'))
                    .nth(1)
                    .map(|arg| arg.text.clone())
                    .unwrap_or_else(|| ".".to_owned()),
                (_, None) => ".".to_owned(),
                _ => return Stream::Unknown,
            };
            let place = walker.place(&Arg::literal(root, guardrail_core::Span::new(0, 0)));
            Stream::Paths(format!("{}/*", place.name.trim_end_matches('/')))
        }
        "base64" | "base32" | "xxd" | "openssl" | "gpg" | "uudecode" | "gunzip" | "zcat" | "bzcat" | "xzcat"
        | "rev" => {
            let decodes = args
                .iter()
                .any(|arg| matches!(arg.text.as_str(), "-d" | "--decode" | "-D" | "-r" | "-decrypt" | "--decrypt"))
                || matches!(program, "gpg" | "uudecode" | "gunzip" | "zcat" | "bzcat" | "xzcat" | "rev");
            let read = args
                .iter()
                .filter(|arg| !arg.text.starts_with('-'))
                .map(|arg| walker.read_path(arg, false))
                .find(|stream| stream.mark().is_some());
            match (&input, program) {
                (Stream::Text(text), "base64") if decodes => {
                    crate::flow::base64_decode(text).map(Stream::Text).unwrap_or(Stream::Decoded)
                }
                // Encoding or decoding keeps a secret secret and a download a download.
                (input, _) if input.secret().is_some() || *input == Stream::Network => input.clone(),
                _ if read.is_some() => read.unwrap_or(Stream::Unknown),
                _ if decodes => Stream::Decoded,
                _ => Stream::Unknown,
            }
        }
        "env" | "printenv" | "set" | "export" | "declare" | "typeset" | "compgen"
            if args.iter().all(|arg| arg.text.starts_with('-')) =>
        {
            Stream::Secret("the environment".to_owned())
        }
        "printenv" => Stream::Secret("the environment".to_owned()),
        _ => {
            if let Some(secret) = secrets::output(program, args) {
                return Stream::Secret(secret);
            }
            // A program the analyzer does not model: unknown output, but
            // whatever marks its input and the files it names carry.
            let reads: Vec<Stream> = args
                .iter()
                .filter(|arg| !arg.text.starts_with('-') || arg.dynamic)
                .map(|arg| if arg.dynamic { Stream::marked(arg.mark.clone()) } else { walker.read_path(arg, false) })
                .collect();
            Stream::derived(reads.iter().chain(std::iter::once(&input)))
        }
    }
}

/// `printf FORMAT ARGS...` with `%s`, `%d` and `%%` conversions, the
/// format reused while arguments remain, as the builtin does.
fn printf_format(format: &str, args: &[Arg]) -> Option<String> {
    let conversions = format.matches('%').count() - 2 * format.matches("%%").count();
    if conversions == 0 || format.contains("%*") {
        return None;
    }
    let mut out = String::new();
    let mut args = args.iter();
    loop {
        let mut chars = format.chars().peekable();
        let mut used = false;
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                '%' => out.push('%'),
                's' | 'd' | 'i' | 'b' | 'q' => {
                    used = true;
                    out.push_str(args.next().map(|arg| arg.text.as_str()).unwrap_or(""));
                }
                _ => return None,
            }
        }
        if !used || args.len() == 0 {
            return Some(out);
        }
    }
}

/// The worst mark of some arguments.
fn marks(args: &[Arg]) -> Option<Mark> {
    args.iter().fold(None, |worst, arg| Mark::worst(worst, arg.mark.clone()))
}

/// Options and operands of a command, parsed the way most Unix tools do.
#[derive(Debug, Default)]
pub(crate) struct Options<'a> {
    /// Every flag seen, short flags one by one (`-rf` gives `-r`, `-f`),
    /// long flags without their `=value`.
    pub flags: Vec<String>,
    /// Values of options that take one, by option.
    pub values: Vec<(String, String)>,
    /// The index in the arguments of each value's argument.
    pub value_index: Vec<usize>,
    /// Operands, in order.
    pub operands: Vec<&'a Arg>,
    /// The index in the arguments of each operand.
    pub operand_index: Vec<usize>,
    /// The index in the arguments of the first operand, when parsing
    /// stopped there (wrappers: the command starts there).
    pub rest: Option<usize>,
}

impl Options<'_> {
    pub(crate) fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|seen| seen == flag)
    }

    pub(crate) fn has_any(&self, flags: &[&str]) -> bool {
        flags.iter().any(|flag| self.has(flag))
    }

    pub(crate) fn value(&self, option: &str) -> Option<&str> {
        self.values.iter().find(|(name, _)| name == option).map(|(_, value)| value.as_str())
    }
}

/// Parses options. `with_value` names the options that take a value
/// (`-n`, `--signal`); `stop` ends parsing at the first operand, as
/// wrappers (`sudo`, `nice`) do.
pub(crate) fn options<'a>(args: &'a [Arg], with_value: &[&str], stop: bool) -> Options<'a> {
    let mut parsed = Options::default();
    let mut index = 0;
    let mut only_operands = false;
    while index < args.len() {
        let arg = &args[index];
        let text = arg.text.as_str();
        if only_operands || !text.starts_with('-') || text == "-" {
            if stop {
                parsed.rest = Some(index);
                return parsed;
            }
            parsed.operands.push(arg);
            parsed.operand_index.push(index);
            index += 1;
            continue;
        }
        if text == "--" {
            only_operands = true;
            index += 1;
            continue;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (format!("--{name}"), Some(value.to_owned())),
                None => (text.to_owned(), None),
            };
            if let Some(value) = inline {
                parsed.values.push((name.clone(), value));
                parsed.value_index.push(index);
            } else if with_value.contains(&name.as_str())
                && let Some(value) = args.get(index + 1)
            {
                parsed.values.push((name.clone(), value.text.clone()));
                parsed.value_index.push(index + 1);
                index += 1;
            }
            parsed.flags.push(name);
            index += 1;
            continue;
        }
        // Single-dash long options (`openssl -in`, `find -delete`): named
        // whole when they take a value, and also recorded whole as a flag.
        if with_value.contains(&text) {
            parsed.flags.push(text.to_owned());
            if let Some(value) = args.get(index + 1) {
                parsed.values.push((text.to_owned(), value.text.clone()));
                parsed.value_index.push(index + 1);
            }
            index += 2;
            continue;
        }
        if text.len() > 2 {
            parsed.flags.push(text.to_owned());
        }
        let cluster: Vec<char> = text[1..].chars().collect();
        for (position, c) in cluster.iter().enumerate() {
            let flag = format!("-{c}");
            if with_value.contains(&flag.as_str()) {
                let inline: String = cluster[position + 1..].iter().collect();
                let value = if !inline.is_empty() {
                    Some(inline)
                } else {
                    index += 1;
                    args.get(index).map(|arg| arg.text.clone())
                };
                if let Some(value) = value {
                    parsed.values.push((flag.clone(), value));
                    parsed.value_index.push(index.min(args.len() - 1));
                }
                parsed.flags.push(flag);
                break;
            }
            parsed.flags.push(flag);
        }
        index += 1;
    }
    parsed
}

/// The first operand that is not an option, and the words after it:
/// `aws s3 rm` → (`s3`, [`rm`, ...]). Options taking values must be named.
pub(crate) fn subcommands<'a>(args: &'a [Arg], with_value: &[&str]) -> Vec<&'a str> {
    let parsed = options(args, with_value, false);
    parsed.operands.iter().map(|arg| arg.text.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_core::Span;

    fn args(line: &str) -> Vec<Arg> {
        line.split_whitespace().map(|word| Arg::literal(word, Span::new(0, 0))).collect()
    }

    #[test]
    fn options_split_clusters_and_values() {
        let line = args("-rf --force=true -n 19 -u2 file -- -x");
        let parsed = options(&line, &["-n", "-u"], false);
        assert_eq!(parsed.flags, ["-rf", "-r", "-f", "--force", "-n", "-u2", "-u"]);
        assert_eq!(parsed.value("-n"), Some("19"));
        assert_eq!(parsed.value("-u"), Some("2"));
        assert_eq!(parsed.value("--force"), Some("true"));
        let operands: Vec<&str> = parsed.operands.iter().map(|arg| arg.text.as_str()).collect();
        assert_eq!(operands, ["file", "-x"]);
    }

    #[test]
    fn wrappers_stop_at_the_command() {
        let line = args("-n 5 rm -rf /");
        let parsed = options(&line, &["-n"], true);
        assert_eq!(parsed.rest, Some(2));
    }
}
