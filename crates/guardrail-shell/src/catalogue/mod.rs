//! Programs described as data: which options take values, which operands
//! are paths read, written or deleted, which are code, hosts or data sent,
//! and what the program does with its input and output.
//!
//! One declaration is all a new program needs: [`apply`] reads its
//! arguments the way the program would and hands each effect to
//! [`crate::effects`], which judges it the same way for every program.
//! `docs/shell.md` lists the catalogue, and a test runs every entry's
//! example and look-alike.

mod programs;

use std::collections::HashMap;

use guardrail_core::Span;

pub use programs::CATALOGUE;

use crate::effects::{Lang, Write};
use crate::flow::{Mark, Stream};
use crate::rules::options;
use crate::walk::{Command, Walker};
use crate::words::Arg;

/// What an operand, or an option's value, is to the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A file it reads.
    Read,
    /// A file or directory it reads whole, recursively (`tar`, `zip -r`).
    ReadTree,
    /// A file it writes whole, creating or replacing it.
    Write,
    /// A file it appends to.
    Append,
    /// A file it edits in place.
    Edit,
    /// A directory it writes files into whose names the line does not show.
    WriteInto,
    /// A file it deletes or moves away.
    Delete,
    /// A directory tree it deletes.
    DeleteTree,
    /// A file whose mode or owner it changes.
    Permission,
    /// A `chmod` mode.
    Mode,
    /// Data it sends over the network: text, `@file` or `<file` as curl
    /// reads them, `-` or `@-` for its standard input.
    Send,
    /// A file it uploads.
    Upload,
    /// A host or URL it connects to; a name looked up is sent too.
    Host,
    /// A source or destination that may be on another host (`scp`,
    /// `rsync`, `aws s3 cp`): the last one is the destination.
    Transfer,
    /// Code it runs.
    Code(Lang),
    /// A file of code it runs.
    Script(Lang),
    /// A key or certificate file it authenticates with: used, not sent.
    Credential,
    /// A password, passphrase or token given inline: used, not sent, and
    /// masked wherever the text is shown.
    Password,
    /// The directory the operands are relative to (`tar -C DIR`).
    Base,
    /// Anything else: a count, a name, a format.
    Other,
}

/// What the operands are, by position.
#[derive(Clone, Copy, Debug)]
pub struct Operands {
    /// The first operands, in order.
    pub first: &'static [Role],
    /// The operands after them.
    pub rest: Role,
    /// The last operand, when there are at least two (`cp`'s target).
    pub last: Option<Role>,
    /// Operands written `key=value` (`dd of=...`), by key.
    pub keyed: &'static [(&'static str, Role)],
}

impl Operands {
    /// Every operand has the same role.
    pub const fn all(role: Role) -> Operands {
        Operands { first: &[], rest: role, last: None, keyed: &[] }
    }

    /// The last operand is the target, the others are sources.
    pub const fn sources_target(sources: Role, target: Role) -> Operands {
        Operands { first: &[], rest: sources, last: Some(target), keyed: &[] }
    }

    /// The first operands have these roles, the others `rest`.
    pub const fn each(first: &'static [Role], rest: Role) -> Operands {
        Operands { first, rest, last: None, keyed: &[] }
    }
}

/// Flags that change what a program does.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// Any of these flags selects the mode.
    pub flags: &'static [&'static str],
    /// What the operands are in this mode.
    pub operands: Option<Operands>,
    /// Options whose values mean something else in this mode.
    pub options: &'static [(&'static str, Role)],
    /// Deletions and permission changes reach whole trees.
    pub recursive: bool,
    /// The program only reports what it would do (`--dry-run`).
    pub inert: bool,
    /// What it does with its standard input in this mode.
    pub stdin: Option<Stdin>,
    /// It talks to the network in this mode (`openssl s_client`).
    pub network: bool,
    /// It writes into the working directory unless an option or operand
    /// names the directory (`tar -x`, `cpio -i`).
    pub into_working_directory: bool,
}

impl Mode {
    pub const NONE: Mode = Mode {
        flags: &[],
        operands: None,
        options: &[],
        recursive: false,
        inert: false,
        stdin: None,
        network: false,
        into_working_directory: false,
    };

    pub const fn recursive(flags: &'static [&'static str]) -> Mode {
        Mode { flags, recursive: true, ..Mode::NONE }
    }

    pub const fn inert(flags: &'static [&'static str]) -> Mode {
        Mode { flags, inert: true, ..Mode::NONE }
    }

    pub const fn operands(flags: &'static [&'static str], operands: Operands) -> Mode {
        Mode { flags, operands: Some(operands), ..Mode::NONE }
    }
}

/// Where an interpreter's code comes from.
#[derive(Clone, Copy, Debug)]
pub struct Script {
    pub lang: Lang,
    /// Options whose value is code (`-c`, `-e`).
    pub code: &'static [&'static str],
    /// Options whose value is a file of code (`-f`).
    pub files: &'static [&'static str],
    /// Without those options, what the first operand is.
    pub first: First,
    /// Options that name a module to run instead (`python3 -m pytest`):
    /// then the operands are the module's arguments.
    pub modules: &'static [&'static str],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum First {
    /// Code (`sed 's/x/y/'`, `awk '{print}'`).
    Code,
    /// A file of code (`python3 app.py`); with none, standard input is the
    /// code (`curl ... | python3`).
    File,
}

/// What a program does with its standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdin {
    /// Reads it as data: its marks flow to the output.
    Data,
    /// Sends it over the network.
    Sent,
    /// Ignores it.
    Ignored,
}

/// What a program writes, to its output or to the files it writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// What it read, unchanged (`cp`, `tee`, `dd`).
    Copy,
    /// What it read, transformed: the marks of its inputs flow on.
    Derived,
    /// Nothing of what it read (a count, a digest).
    Digest,
    /// What it downloaded.
    Network,
}

/// A program described as data.
#[derive(Debug)]
pub struct Program {
    /// Its names; a path's last component is matched (`/usr/bin/tee`).
    pub names: &'static [&'static str],
    /// What it does, for the docs.
    pub does: &'static str,
    /// Options that take a value, and what the value is. Options not named
    /// take none.
    pub options: &'static [(&'static str, Role)],
    pub operands: Operands,
    /// Flags that change what it does, in order; later modes win.
    pub modes: &'static [Mode],
    /// The code it runs, for interpreters.
    pub script: Option<Script>,
    pub stdin: Stdin,
    pub output: Output,
    /// Whether it talks to the network: any argument it is given may be sent.
    pub network: bool,
    /// Whether it writes into the working directory unless an option or
    /// operand names the directory (`unzip`, `7z x`).
    pub into_working_directory: bool,
    /// Whether options end at the first operand, as for programs that pass
    /// the rest on (interpreters: `python3 app.py --force`).
    pub posix: bool,
    /// Old `tar`-style flags: a first argument without a dash is flags.
    pub bundled: bool,
    /// A command line showing an effect, and a harmless look-alike.
    pub example: &'static str,
    pub look_alike: &'static str,
}

impl Program {
    pub const DEFAULT: Program = Program {
        names: &[],
        does: "",
        options: &[],
        operands: Operands::all(Role::Other),
        modes: &[],
        script: None,
        stdin: Stdin::Data,
        output: Output::Derived,
        network: false,
        into_working_directory: false,
        posix: false,
        bundled: false,
        example: "",
        look_alike: "",
    };
}

/// The catalogue's entry for a program, by name.
pub(crate) fn find(program: &str) -> Option<&'static Program> {
    static INDEX: std::sync::OnceLock<HashMap<&'static str, &'static Program>> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        for entry in CATALOGUE {
            for name in entry.names {
                index.insert(*name, entry);
            }
        }
        index
    });
    index.get(program).copied().or_else(|| {
        // Versioned interpreters: python3.12, perl5.36, lua5.4.
        let base = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        (base != program).then(|| index.get(base).copied()).flatten()
    })
}

/// One argument with the role it has for the program: an option's value
/// or a `key=value` operand carries only the value.
struct Part {
    arg: Arg,
    role: Role,
    /// Its index among the arguments.
    index: usize,
}

/// Judges a command the catalogue describes, and returns what it writes on
/// its output.
/// `-x`, `-rw`, `-s`: a chmod mode taking permissions away.
fn is_dash_mode(text: &str) -> bool {
    text.len() > 1 && text.starts_with('-') && text[1..].chars().all(|c| "rwxXst".contains(c))
}

pub(crate) fn apply(walker: &mut Walker, program: &Program, command: &Command<'_>) -> Stream {
    let span = command.span;
    let bundled;
    let args: &[Arg] = if program.bundled
        && let Some(first) = command.args.first()
        && !first.text.starts_with('-')
        && !first.dynamic
        && first.text.chars().all(|c| c.is_ascii_alphabetic())
    {
        bundled = std::iter::once(Arg { text: format!("-{}", first.text), ..first.clone() })
            .chain(command.args[1..].iter().cloned())
            .collect::<Vec<Arg>>();
        &bundled
    } else if program.names.contains(&"chmod")
        && let Some(at) = command.args.iter().position(|arg| is_dash_mode(&arg.text))
    {
        // `chmod -x FILE`: a symbolic mode that takes something away
        // starts with a dash, and is the mode, not an option.
        bundled = command
            .args
            .iter()
            .enumerate()
            .map(
                |(index, arg)| {
                    if index == at { Arg { text: format!("a{}", arg.text), ..arg.clone() } } else { arg.clone() }
                },
            )
            .collect::<Vec<Arg>>();
        &bundled
    } else {
        command.args
    };

    let taking: Vec<&str> = program
        .options
        .iter()
        .chain(program.modes.iter().flat_map(|mode| mode.options.iter()))
        .map(|(name, _)| *name)
        .chain(program.script.iter().flat_map(|script| script.code.iter().chain(script.files.iter()).copied()))
        .collect();
    let parsed = options(args, &taking, program.posix);
    let modes: Vec<&Mode> = program.modes.iter().filter(|mode| parsed.has_any(mode.flags)).collect();
    if modes.iter().any(|mode| mode.inert) {
        return Stream::Unknown;
    }
    let recursive = modes.iter().any(|mode| mode.recursive);
    let operand_roles = modes.iter().rev().find_map(|mode| mode.operands).unwrap_or(program.operands);
    let option_role = |name: &str| -> Role {
        modes
            .iter()
            .rev()
            .flat_map(|mode| mode.options.iter())
            .chain(program.options.iter())
            .find(|(option, _)| *option == name)
            .map(|(_, role)| *role)
            .unwrap_or(Role::Other)
    };

    let mut parts: Vec<Part> = Vec::new();
    // Option values, with the spans and marks of the arguments they came from.
    for ((name, value), index) in parsed.values.iter().zip(&parsed.value_index) {
        let role = if program.script.is_some_and(|script| script.code.contains(&name.as_str())) {
            Role::Code(program.script.map(|script| script.lang).unwrap_or(Lang::Opaque))
        } else if program.script.is_some_and(|script| script.files.contains(&name.as_str())) {
            Role::Script(program.script.map(|script| script.lang).unwrap_or(Lang::Opaque))
        } else {
            option_role(name)
        };
        let arg = Arg { text: value.clone(), ..args[*index].clone() };
        parts.push(Part { arg, role, index: *index });
    }

    // Operands: after options, what is left, up to the first operand when
    // options end there.
    let operands: Vec<(usize, &Arg)> = match parsed.rest {
        Some(start) => args[start..].iter().enumerate().map(|(offset, arg)| (start + offset, arg)).collect(),
        None => parsed.operand_index.iter().copied().zip(parsed.operands.iter().copied()).collect(),
    };
    let module = program.script.and_then(|script| script.modules.iter().find_map(|option| parsed.value(option)));
    let code_given = parts.iter().any(|part| matches!(part.role, Role::Code(_) | Role::Script(_))) || module.is_some();
    if let Some(module) = module {
        // Everything after `-m MODULE` is the module's.
        let after = program
            .script
            .iter()
            .flat_map(|script| script.modules.iter())
            .find_map(|option| parsed.values.iter().zip(&parsed.value_index).find(|((name, _), _)| name == option))
            .map_or(args.len(), |(_, index)| index + 1);
        let module_args: Vec<(usize, &Arg)> = args.iter().enumerate().skip(after).collect();
        module_effects(walker, module, &module_args, command.span);
    }
    // `tar -C DIR`: operands are relative to DIR.
    let base = parts.iter().find(|part| part.role == Role::Base).map(|part| part.arg.clone());
    let rebased: Vec<(usize, Arg)>;
    let operands: Vec<(usize, &Arg)> = match &base {
        Some(base) if !base.dynamic => {
            rebased = operands
                .iter()
                .map(|(index, arg)| {
                    let text = if arg.text.starts_with('/') {
                        arg.text.clone()
                    } else {
                        format!("{}/{}", base.text.trim_end_matches('/'), arg.text)
                    };
                    (*index, Arg { text, ..(*arg).clone() })
                })
                .collect();
            rebased.iter().map(|(index, arg)| (*index, arg)).collect()
        }
        _ => operands,
    };
    let mut operands = operands.as_slice();
    let mut stdin_is_code = false;
    if let Some(script) = program.script
        && !code_given
    {
        match (script.first, operands.split_first()) {
            (First::Code, Some(((index, code), rest))) => {
                parts.push(Part { arg: (*code).clone(), role: Role::Code(script.lang), index: *index });
                operands = rest;
            }
            (First::File, Some(((index, file), rest))) => {
                parts.push(Part { arg: (*file).clone(), role: Role::Script(script.lang), index: *index });
                let rest: Vec<Arg> = rest.iter().map(|(_, arg)| (*arg).clone()).collect();
                walker.conventional_outputs(&rest, command.span);
                // What follows a script are its own arguments.
                operands = &[];
            }
            (_, None) => stdin_is_code = true,
        }
    }
    assign_operands(operands, &operand_roles, &mut parts);

    let mut reads: Vec<Stream> = Vec::new();
    let mut writes: Vec<(Arg, Write)> = Vec::new();
    let stdin = modes.iter().rev().find_map(|mode| mode.stdin).unwrap_or(program.stdin);
    let network = program.network || modes.iter().any(|mode| mode.network);
    let mut stdin_sent = stdin == Stdin::Sent;
    let mut stdin_read = stdin == Stdin::Data;
    let sink = sink_name(&parts, command.program);
    let mode_value = parts.iter().find(|part| part.role == Role::Mode).map(|part| part.arg.text.clone());

    for part in &parts {
        let arg = &part.arg;
        match part.role {
            Role::Read => {
                if arg.text == "-" {
                    stdin_read = true;
                } else {
                    reads.push(walker.read_path(arg, false));
                }
            }
            Role::ReadTree => reads.push(walker.read_path(arg, true)),
            Role::Write | Role::Append | Role::Edit => {
                if arg.text == "-" || arg.text == "/dev/stdout" {
                    continue;
                }
                let how = match part.role {
                    Role::Append => Write::Append,
                    Role::Edit => {
                        reads.push(walker.read_path(arg, false));
                        Write::Edit
                    }
                    _ => Write::Replace,
                };
                writes.push((arg.clone(), how));
            }
            Role::WriteInto => walker.write_into(arg, span, None),
            Role::Delete => walker.delete_path(arg, recursive, span, delete_note(command.program)),
            Role::DeleteTree => walker.delete_path(arg, true, span, None),
            Role::Permission => walker.permission_path(arg, recursive, mode_value.as_deref(), span),
            Role::Send => {
                let text = arg.text.as_str();
                let file = text.strip_prefix('@').or_else(|| text.strip_prefix('<'));
                let file = file.or_else(|| text.split_once("=@").map(|(_, file)| file));
                let file = file.or_else(|| text.split_once("=<").map(|(_, file)| file));
                // curl -F 'f=@file;type=text/plain'
                let file = file.map(|file| file.split(';').next().unwrap_or(file));
                match file {
                    Some("-") => stdin_sent = true,
                    Some(file) => {
                        let read = walker.read_path(&Arg { text: file.to_owned(), ..arg.clone() }, false);
                        walker.send(read.mark().as_ref(), &sink, command.program, span);
                    }
                    None if text == "-" => stdin_sent = true,
                    None => {
                        let written = written_secret(&arg.text, &sink);
                        walker.send(Mark::worst(arg.mark.clone(), written).as_ref(), &sink, command.program, span)
                    }
                }
            }
            Role::Upload => {
                if arg.text == "-" {
                    stdin_sent = true;
                } else {
                    let read = walker.read_path(arg, true);
                    walker.send(read.mark().as_ref(), &sink, command.program, span);
                }
            }
            Role::Host => {
                let written = written_secret(&arg.text, &sink);
                walker.send(Mark::worst(arg.mark.clone(), written).as_ref(), &sink, command.program, span)
            }
            Role::Code(lang) => {
                // tar --checkpoint-action=exec=CMD: only `exec=` runs a command.
                let text = match part_option(args, part.index) {
                    Some(option) if option.starts_with("--checkpoint-action") => match arg.text.strip_prefix("exec=") {
                        Some(code) => code.to_owned(),
                        None => continue,
                    },
                    _ => arg.text.clone(),
                };
                let source = if arg.dynamic { Stream::marked(arg.mark.clone()) } else { Stream::Text(text) };
                walker.run_code(lang, &source, span, command.program);
            }
            Role::Script(lang) => {
                stdin_read = false;
                script(walker, lang, arg, part.index, command, span);
            }
            Role::Password => walker.secret(&arg.text, arg.span),
            Role::Credential | Role::Mode | Role::Other | Role::Transfer | Role::Base => {}
        }
        // A `file://` URL is a file read here, whatever program fetches it
        // (`curl file:///home/me/.ssh/id_rsa`).
        if network
            && !arg.dynamic
            && let Some(path) = file_url(&arg.text)
        {
            let read = walker.read_path(&Arg::literal(path, arg.span), false);
            reads.push(read);
        }
        // Whatever a network program is given may leave with it.
        if network && !matches!(part.role, Role::Credential | Role::Password | Role::Send | Role::Host | Role::Upload) {
            walker.send(arg.mark.as_ref(), &sink, command.program, span);
        }
    }
    transfer(walker, &parts, command, &mut reads);
    // An extraction with no directory named writes where the shell is.
    let into_working_directory = program.into_working_directory || modes.iter().any(|mode| mode.into_working_directory);
    if into_working_directory && !parts.iter().any(|part| matches!(part.role, Role::WriteInto | Role::Base)) {
        walker.write_into(&Arg::literal(".", span), span, Some("extracted into the working directory"));
    }

    if stdin_is_code && let Some(script) = program.script {
        stdin_read = false;
        if !matches!(command.input, Stream::Terminal) {
            walker.run_code(script.lang, &command.input.clone(), span, &format!("text piped into {}", command.program));
        }
    }
    if stdin_sent {
        let written = match &command.input {
            Stream::Text(text) => written_secret(text, &sink),
            _ => None,
        };
        walker.send(Mark::worst(command.input.mark(), written).as_ref(), &sink, command.program, span);
    }
    if stdin_read {
        reads.push(command.input.clone());
    }

    let produced = match program.output {
        Output::Network => Stream::Network,
        Output::Digest => Stream::Unknown,
        Output::Copy => match reads.as_slice() {
            [only] => only.clone(),
            many => Stream::derived(many.iter()),
        },
        Output::Derived => Stream::derived(reads.iter()),
    };
    // `install -m 4755`: a set-user-id file written.
    if let Some(mode) = &mode_value
        && crate::effects::sets_id_bit(mode)
    {
        for (target, _) in &writes {
            walker.permission_path(target, false, Some(mode), span);
        }
    }
    // A target that is a directory (`cp a b DIR/`) receives each source under its name.
    let sources: Vec<&Arg> = parts
        .iter()
        .filter(|part| matches!(part.role, Role::Read | Role::ReadTree | Role::Delete))
        .map(|part| &part.arg)
        .collect();
    for (target, how) in &writes {
        let into_directory = operand_roles.last.is_some() && (target.text.ends_with('/') || sources.len() > 1);
        if into_directory && !target.dynamic {
            for source in &sources {
                let name = source.text.trim_end_matches('/').rsplit('/').next().unwrap_or(&source.text);
                let file = Arg { text: format!("{}/{name}", target.text.trim_end_matches('/')), ..target.clone() };
                let content = walker.read_path(source, false);
                walker.write_path(&file, &content, *how, span, None);
            }
        } else {
            walker.write_path(target, &produced, *how, span, None);
        }
    }
    if writes.is_empty() || program.output == Output::Network && writes.iter().all(|(arg, _)| arg.text == "-") {
        produced
    } else {
        Stream::Unknown
    }
}

/// The option an argument at `index` is the value of, when it is one.
fn part_option(args: &[Arg], index: usize) -> Option<&str> {
    let arg = args.get(index)?;
    if arg.text.starts_with("--") {
        return Some(arg.text.as_str());
    }
    args.get(index.checked_sub(1)?).map(|option| option.text.as_str())
}

/// Modules run with `python3 -m` whose arguments are files they write.
fn module_effects(walker: &mut Walker, module: &str, operands: &[(usize, &Arg)], span: Span) {
    // Operands, without options and the values of those that take one.
    let mut files: Vec<&Arg> = Vec::new();
    let mut skip = false;
    for (_, arg) in operands {
        if skip {
            skip = false;
        } else if arg.text.starts_with('-') {
            skip = matches!(arg.text.as_str(), "--indent" | "--tab-size");
        } else {
            files.push(arg);
        }
    }
    match module {
        // json.tool INFILE OUTFILE
        "json.tool" => {
            if let [_, output, ..] = files.as_slice() {
                walker.write_path(
                    output,
                    &Stream::Unknown,
                    Write::Replace,
                    span,
                    Some("written by python -m json.tool"),
                );
            }
        }
        // zipfile -e ARCHIVE DIR, tarfile -e ARCHIVE DIR
        "zipfile" | "tarfile" if operands.iter().any(|(_, arg)| arg.is("-e") || arg.is("--extract")) => {
            if let Some(directory) = files.get(1) {
                walker.write_into(directory, span, Some("extracted into"));
            }
        }
        _ => {
            let args: Vec<Arg> = operands.iter().map(|(_, arg)| (*arg).clone()).collect();
            walker.conventional_outputs(&args, span);
        }
    }
}

/// Gives each operand its role: keyed ones by key, the first by position,
/// the last as a target when there are two or more.
fn assign_operands(operands: &[(usize, &Arg)], roles: &Operands, parts: &mut Vec<Part>) {
    let mut positional: Vec<(usize, &Arg)> = Vec::new();
    for (at, arg) in operands {
        let keyed = roles.keyed.iter().find_map(|(key, role)| {
            arg.text.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')).map(|value| (value, *role))
        });
        match keyed {
            Some((value, role)) => {
                parts.push(Part { arg: Arg { text: value.to_owned(), ..(*arg).clone() }, role, index: *at })
            }
            None => positional.push((*at, arg)),
        }
    }
    let count = positional.len();
    for (index, (at, arg)) in positional.into_iter().enumerate() {
        let role = if let Some(role) = roles.first.get(index) {
            *role
        } else if let Some(last) = roles.last
            && index == count - 1
            && count - roles.first.len() >= 2
        {
            last
        } else {
            roles.rest
        };
        parts.push(Part { arg: (*arg).clone(), role, index: at });
    }
}

/// A file of code run by an interpreter: what the line wrote there, or
/// what arrives on standard input, a descriptor or `<(...)`.
fn script(walker: &mut Walker, lang: Lang, file: &Arg, index: usize, command: &Command<'_>, span: Span) {
    let what = format!("{} {}", command.program, file.text);
    if let Some(stream) = command.substitutions.get(&index) {
        walker.run_code(lang, &stream.clone(), span, &format!("{} <(...)", command.program));
        return;
    }
    if file.dynamic {
        walker.run_code(lang, &Stream::marked(file.mark.clone()), span, &what);
        return;
    }
    match file.text.as_str() {
        "-" | "/dev/stdin" | "/proc/self/fd/0" | "/dev/fd/0" => {
            walker.run_code(lang, &command.input.clone(), span, &format!("text piped into {}", command.program))
        }
        path if path.starts_with("/dev/fd/") || path.starts_with("/proc/self/fd/") => {
            walker.run_code(lang, &Stream::Unknown, span, &what)
        }
        _ => {
            let place = walker.place(file);
            if let Some(content) = walker.content_of(&place.name) {
                walker.run_code(lang, &content, span, &what);
            }
        }
    }
}

/// Sources and destinations that may lie on other hosts: a local source
/// sent to a remote destination is data sent; a remote source copied here
/// is a download written to the destination.
fn transfer(walker: &mut Walker, parts: &[Part], command: &Command<'_>, reads: &mut Vec<Stream>) {
    let operands: Vec<&Arg> = parts.iter().filter(|part| part.role == Role::Transfer).map(|part| &part.arg).collect();
    let Some((destination, sources)) = operands.split_last() else {
        return;
    };
    let span = command.span;
    if sources.is_empty() {
        return;
    }
    if is_remote(destination) {
        for source in sources.iter().filter(|source| !is_remote(source)) {
            let read = walker.read_path(source, true);
            walker.send(read.mark().as_ref(), &destination.text, command.program, span);
            reads.push(read);
        }
        // `scp x root@host:/etc/nginx/nginx.conf` writes that file there.
        // Trees applications are deployed to (`/srv`, `/opt`, `/var/www`)
        // are where a copy to a server is meant to go.
        const DEPLOY_ROOTS: &[&str] =
            &["/srv/", "/opt/", "/var/www/", "/data/", "/app/", "/home/", "/tmp/", "/var/tmp/"];
        if !destination.text.contains("://")
            && let Some((host, path)) = destination.text.split_once(':')
            && path.starts_with('/')
            && !DEPLOY_ROOTS.iter().any(|root| path.starts_with(root))
        {
            let host = host.rsplit('@').next().unwrap_or(host).to_owned();
            let target = Arg { text: path.to_owned(), ..(*destination).clone() };
            let into = path.ends_with('/') || sources.len() > 1;
            walker.on_remote(crate::rules::remote::Remote::host(host), "/", |walker| {
                if into {
                    walker.write_into(&target, span, None);
                } else {
                    walker.write_path(&target, &Stream::Unknown, Write::Replace, span, None);
                }
            });
        }
    } else {
        let content = if sources.iter().any(|source| is_remote(source)) {
            Stream::Network
        } else {
            Stream::derived(sources.iter().map(|source| walker.read_path(source, true)).collect::<Vec<_>>().iter())
        };
        if destination.text.ends_with('/') || sources.len() > 1 {
            walker.write_into(destination, span, None);
        } else {
            walker.write_path(destination, &content, Write::Replace, span, None);
        }
    }
}

/// Whether a transfer operand names another host: `host:path`,
/// `user@host:path`, or a URL (`s3://`, `rsync://`, `gs://`).
pub(crate) fn is_remote(arg: &Arg) -> bool {
    let text = arg.text.as_str();
    if text.contains("://") {
        return true;
    }
    match text.split_once(':') {
        Some((host, _)) => !host.is_empty() && !host.contains('/') && !text.starts_with('/') && !text.starts_with('.'),
        None => false,
    }
}

/// The mark of data the command spells out and sends to `sink`: secret
/// when the detectors find a secret in it and the host collects requests
/// for whoever holds a link. Elsewhere a token in a header, a URL or a
/// request body is taken for its intended use.
fn written_secret(text: &str, sink: &str) -> Option<Mark> {
    if !crate::rules::network::collects(sink) || guardrail_core::secret::detect(text).is_empty() {
        return None;
    }
    Some(Mark::Secret("a secret written in the command".to_owned()))
}

/// What a network program sends to, for intents: its first host or URL.
fn sink_name(parts: &[Part], program: &str) -> String {
    parts
        .iter()
        .find(|part| part.role == Role::Host && !part.arg.text.is_empty())
        .map(|part| part.arg.text.clone())
        .or_else(|| parts.iter().find(|part| part.arg.text.contains("://")).map(|part| part.arg.text.clone()))
        .unwrap_or_else(|| program.to_owned())
}

fn delete_note(program: &str) -> Option<&'static str> {
    match program {
        "mv" => Some("mv moves it away"),
        "shred" => Some("shred overwrites it first: unrecoverable"),
        "gzip" | "bzip2" | "xz" | "lzma" | "compress" | "gunzip" | "bunzip2" | "unxz" | "lzip" | "pigz" => {
            Some("replaced by its compressed or decompressed form")
        }
        _ => None,
    }
}

/// The local path a `file://` URL names (`file:///etc/passwd`,
/// `file://localhost/etc/passwd`, percent-decoded).
fn file_url(text: &str) -> Option<String> {
    let scheme = text.get(..7)?;
    if !scheme.eq_ignore_ascii_case("file://") {
        return None;
    }
    let rest = &text[7..];
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    path.starts_with('/').then(|| crate::percent_decoded(path))
}
