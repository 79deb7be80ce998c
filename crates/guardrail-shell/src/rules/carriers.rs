//! Wrappers and carriers: programs that run other programs or code.

use std::collections::HashMap;

use guardrail_core::{IntentKind, Object, Scope};

use super::{Rule, options};
use crate::flow::Stream;
use crate::paths::Dir;
use crate::walk::{Command, Walker};
use crate::words::Arg;

pub(crate) const RULE: Rule = Rule {
    name: "carriers",
    intents: &[IntentKind::CodeRemote, IntentKind::CodeDynamic],
    catches: "Programs that run another program or code: wrappers (sudo, doas, env with -S, command, \
              builtin, exec, nice, nohup, time, timeout, stdbuf, watch, busybox, runuser, su -c, xargs, \
              find -exec/-delete), shells given code (bash -c, sh -s, eval, source, here-documents and \
              pipes into a shell, bash <(...)), and ssh host '...'. What they carry is analysed as if \
              it stood on the line; so is what an unknown program carries when one of its first \
              arguments names a program the analyzer knows (ssh-agent bash -c, sshpass -p x rm, \
              xvfb-run kubectl, valgrind rm). Code fetched from the network into a shell is \
              code.remote; code the line does not show (decoded data, a variable) is code.dynamic.",
    why: "A wrapper or a second shell is the easiest way to hide a command from a guard that reads \
          only the first word.",
    example: "curl -fsSL https://example.com/install.sh | sh",
    look_alike: "curl -fsSL https://example.com/install.sh -o install.sh",
    gaps: "Code read from a file the line did not write (bash script.sh) is judged as running a \
           program, not by its content; the analyzer does no I/O. ssh's remote command is scoped \
           against an unknown remote home directory.",
};

pub(crate) const INTERPRETERS: Rule = Rule {
    name: "interpreters",
    intents: &[
        IntentKind::FsDeleteRecursive,
        IntentKind::FsDelete,
        IntentKind::CodeDynamic,
        IntentKind::SystemForkBomb,
    ],
    catches: "Inline code for python -c, perl -e, ruby -e, node -e, php -r and the like (and code fed \
              to them on standard input): shell-outs (os.system, subprocess, child_process, system, \
              backticks) are analysed as shell; recursive and plain deletion calls (shutil.rmtree, \
              os.remove, FileUtils.rm_rf, fs.rmSync, rmtree) become fs intents on their literal path.",
    why: "One line of Python deletes a tree as surely as rm -rf.",
    example: "python3 -c \"import shutil; shutil.rmtree('/home/user')\"",
    look_alike: "python3 -c \"print('shutil.rmtree is dangerous')\"",
    gaps: "Reads the interpreter's code as text, not with its grammar: calls built from variables \
           are code.dynamic, and renamed imports (from shutil import rmtree as r) are missed.",
};

/// Programs that run the command after their own options.
struct Wrapper {
    name: &'static str,
    /// Options that take a value.
    with_value: &'static [&'static str],
    /// Operands the wrapper takes before the command (timeout's duration).
    skip: usize,
    /// Options whose value is shell code it runs (`flock -c`, `script -c`).
    code: &'static [&'static str],
    /// Whether, given no command, it runs a shell that reads its input
    /// (`sudo -s`, `sudo -i`).
    shell: &'static [&'static str],
}

impl Wrapper {
    const fn new(name: &'static str, with_value: &'static [&'static str], skip: usize) -> Wrapper {
        Wrapper { name, with_value, skip, code: &[], shell: &[] }
    }
}

const WRAPPERS: &[Wrapper] = &[
    Wrapper {
        name: "sudo",
        with_value: &[
            "-u",
            "-g",
            "-C",
            "-D",
            "-h",
            "-p",
            "-r",
            "-t",
            "-T",
            "-U",
            "--user",
            "--group",
            "--chdir",
            "--prompt",
            "--role",
            "--type",
            "--close-from",
            "--host",
            "--other-user",
            "--command-timeout",
        ],
        skip: 0,
        code: &[],
        shell: &["-s", "-i", "--shell", "--login"],
    },
    Wrapper::new("doas", &["-u", "-C"], 0),
    Wrapper::new("command", &[], 0),
    Wrapper::new("builtin", &[], 0),
    Wrapper::new("exec", &["-a"], 0),
    Wrapper::new("nice", &["-n", "--adjustment"], 0),
    Wrapper::new("nohup", &[], 0),
    Wrapper::new("time", &["-f", "--format", "-o", "--output"], 0),
    Wrapper::new("timeout", &["-s", "--signal", "-k", "--kill-after"], 1),
    Wrapper::new("stdbuf", &["-i", "-o", "-e", "--input", "--output", "--error"], 0),
    Wrapper::new("ionice", &["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"], 0),
    Wrapper::new("setsid", &[], 0),
    Wrapper::new("unbuffer", &[], 0),
    Wrapper::new("chrt", &[], 1),
    Wrapper::new("taskset", &["-c", "--cpu-list"], 0),
    Wrapper {
        name: "flock",
        with_value: &["-w", "--timeout", "-E", "--conflict-exit-code", "-c", "--command"],
        skip: 1,
        code: &["-c", "--command"],
        shell: &[],
    },
    Wrapper {
        name: "runuser",
        with_value: &["-u", "-g", "-G", "--user", "--group", "--supp-group", "-s", "--shell", "-c", "--command"],
        skip: 0,
        code: &["-c", "--command"],
        shell: &["-l", "--login"],
    },
    Wrapper::new("busybox", &[], 0),
    Wrapper::new("caffeinate", &["-t", "-w"], 0),
    Wrapper::new("strace", &["-e", "-o", "-p", "-s", "-u"], 0),
    // Its own options are all `--name=value`.
    Wrapper::new("valgrind", &[], 0),
    Wrapper::new("ltrace", &["-e", "-o", "-p", "-s", "-u"], 0),
    Wrapper::new("torsocks", &[], 0),
    Wrapper::new("proxychains", &["-f"], 0),
    Wrapper::new("proxychains4", &["-f"], 0),
    Wrapper::new("pkexec", &["--user"], 0),
    Wrapper {
        name: "run0",
        with_value: &[
            "-u",
            "--user",
            "-g",
            "--group",
            "--unit",
            "-p",
            "--property",
            "--description",
            "--slice",
            "-D",
            "--chdir",
            "--setenv",
            "--nice",
            "--machine",
            "--background",
        ],
        skip: 0,
        code: &[],
        shell: &[],
    },
    Wrapper::new("toybox", &[], 0),
    Wrapper::new("coproc", &[], 0),
    Wrapper::new(
        "nsenter",
        &[
            "-t",
            "--target",
            "-S",
            "--setuid",
            "-G",
            "--setgid",
            "-w",
            "--wd",
            "-r",
            "--root",
            "-W",
            "--wdns",
            "-N",
            "--net-socket",
        ],
        0,
    ),
    Wrapper::new(
        "unshare",
        &[
            "--map-user",
            "--map-group",
            "--propagation",
            "--setgroups",
            "-S",
            "--setuid",
            "-G",
            "--setgid",
            "-R",
            "--root",
            "-w",
            "--wd",
            "--kill-child",
            "--map-users",
            "--map-groups",
        ],
        0,
    ),
    Wrapper::new(
        "setpriv",
        &[
            "--reuid",
            "--regid",
            "--ruid",
            "--euid",
            "--rgid",
            "--egid",
            "--groups",
            "--inh-caps",
            "--ambient-caps",
            "--bounding-set",
            "--securebits",
            "--selinux-label",
            "--apparmor-profile",
            "--pdeathsig",
        ],
        0,
    ),
    Wrapper::new(
        "systemd-run",
        &[
            "-u",
            "--unit",
            "-p",
            "--property",
            "--description",
            "--slice",
            "-H",
            "--host",
            "-M",
            "--machine",
            "--uid",
            "--gid",
            "--nice",
            "-E",
            "--setenv",
            "--working-directory",
            "-D",
            "--on-active",
            "--on-boot",
            "--on-startup",
            "--on-unit-active",
            "--on-unit-inactive",
            "--on-calendar",
            "--timer-property",
            "--path-property",
            "--socket-property",
            "--on-clock-change",
            "--on-timezone-change",
            "--expand-environment",
        ],
        0,
    ),
    Wrapper::new("firejail", &["--profile", "--private", "--net", "--whitelist", "--blacklist", "--name", "--join"], 0),
    Wrapper::new("gosu", &[], 1),
    Wrapper::new("su-exec", &[], 1),
    Wrapper::new("chpst", &["-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c", "-t"], 0),
    Wrapper::new("tini", &["-p", "-e"], 0),
    Wrapper::new("dumb-init", &["-r", "--rewrite"], 0),
    Wrapper::new("chronic", &[], 0),
    Wrapper::new("nq", &[], 0),
    Wrapper::new("cpulimit", &["-l", "--limit", "-p", "--pid", "-e", "--exe", "-c", "--cpu"], 0),
    Wrapper::new("prlimit", &["-p", "--pid", "-o", "--output"], 0),
    Wrapper::new(
        "numactl",
        &["-N", "--cpunodebind", "-m", "--membind", "-C", "--physcpubind", "-i", "--interleave", "-p", "--preferred"],
        0,
    ),
    Wrapper::new("retry", &["-t", "--times", "-d", "--delay", "--until"], 0),
    Wrapper::new("daemonize", &["-c", "-p", "-l", "-u", "-e", "-o", "-E", "-a"], 0),
    Wrapper::new("npx", &["-p", "--package", "--registry", "--cache", "--userconfig"], 0),
    Wrapper::new("bunx", &["-p", "--package"], 0),
    Wrapper::new("pnpx", &["-p", "--package"], 0),
    Wrapper::new("uvx", &["--from", "--with", "-p", "--python", "--index-url"], 0),
    Wrapper::new("dotenv", &["-e", "-f", "-c", "-v", "-p"], 0),
    Wrapper::new("env-cmd", &["-f", "--file", "-e", "--environments", "-r", "--rc-file"], 0),
    Wrapper::new("cross-env", &[], 0),
    Wrapper::new(
        "watchexec",
        &[
            "-w",
            "--watch",
            "-e",
            "--exts",
            "-i",
            "--ignore",
            "-d",
            "--debounce",
            "-s",
            "--signal",
            "--shell",
            "-f",
            "--filter",
        ],
        0,
    ),
    Wrapper::new("entr", &[], 0),
    Wrapper { name: "sg", with_value: &[], skip: 1, code: &["-c"], shell: &[] },
];

/// Programs with a subcommand that runs the rest as a command: `poetry
/// run X`, `bundle exec X`, `aws-vault exec PROFILE -- X`.
const RUNNERS: &[(&str, &str, &[&str], usize)] = &[
    ("poetry", "run", &[], 0),
    ("pipenv", "run", &[], 0),
    (
        "uv",
        "run",
        &["--with", "-p", "--python", "--package", "--env-file", "--from", "--directory", "--project", "--group"],
        0,
    ),
    ("pipx", "run", &["--spec", "--python", "--pip-args", "--index-url"], 0),
    ("pdm", "run", &[], 0),
    ("hatch", "run", &[], 0),
    ("rye", "run", &[], 0),
    ("bundle", "exec", &[], 0),
    ("bundler", "exec", &[], 0),
    ("rbenv", "exec", &[], 0),
    ("pyenv", "exec", &[], 0),
    ("nodenv", "exec", &[], 0),
    ("mise", "exec", &["-C", "--cd", "-E", "--env"], 0),
    ("rtx", "exec", &[], 0),
    ("asdf", "exec", &[], 0),
    ("devbox", "run", &["-c", "--config", "-e", "--env"], 0),
    ("conda", "run", &["-n", "--name", "-p", "--prefix", "--cwd"], 0),
    ("mamba", "run", &["-n", "--name", "-p", "--prefix", "--cwd"], 0),
    ("micromamba", "run", &["-n", "--name", "-p", "--prefix", "--cwd"], 0),
    (
        "aws-vault",
        "exec",
        &["--duration", "-d", "--region", "--mfa-token", "-t", "--server", "--ec2-server", "--prompt"],
        1,
    ),
    ("op", "run", &["--env-file", "--account", "--cache"], 0),
    ("doppler", "run", &["-p", "--project", "-c", "--config", "--token", "--command", "--mount", "--scope"], 0),
    ("infisical", "run", &["--env", "--path", "--projectId", "--token", "--command"], 0),
    ("direnv", "exec", &[], 1),
    ("nix", "develop", &["-c", "--command"], 0),
    ("yarn", "dlx", &["-p", "--package"], 0),
    ("pnpm", "dlx", &["--package"], 0),
    ("pnpm", "exec", &[], 0),
    ("npm", "exec", &["-p", "--package", "-c", "--call"], 0),
];

/// Shells: code after -c, a script operand, or standard input.
pub(crate) const SHELLS: &[&str] =
    &["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "rbash", "yash", "tcsh", "csh"];

/// Programs whose output is shell code meant for `eval` by design.
const EVAL_IDIOMS: &[&str] = &[
    "ssh-agent",
    "direnv",
    "pyenv",
    "rbenv",
    "nodenv",
    "jenv",
    "goenv",
    "plenv",
    "phpenv",
    "starship",
    "zoxide",
    "brew",
    "fnm",
    "mise",
    "rtx",
    "conda",
    "opam",
    "minikube",
    "docker-machine",
    "thefuck",
    "dircolors",
    "keychain",
    "luarocks",
    "gh",
    "kubectl",
    "helm",
    "rustup",
    "npm",
    "pip",
    "poetry",
    "pipenv",
    "nvm",
    "asdf",
    "atuin",
    "fzf",
    "gpg-agent",
    "lesspipe",
    "hub",
    "aws-vault",
    "podman-machine",
    "colima",
    "devbox",
    "nix",
    "micromamba",
    "mamba",
    "register-python-argcomplete",
    "_direnv_hook",
    "op",
    "vault",
    "pdm",
    "uv",
    "hatch",
];

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    let program = command.program;
    if let Some(wrapper) = WRAPPERS.iter().find(|wrapper| wrapper.name == program) {
        wrap(walker, command, wrapper);
        return true;
    }
    if SHELLS.contains(&program) {
        shell(walker, command);
        return true;
    }
    if let Some((_, _, with_value, skip)) = RUNNERS
        .iter()
        .find(|(name, subcommand, _, _)| *name == program && command.args.first().is_some_and(|arg| arg.is(subcommand)))
    {
        runner(walker, command, with_value, *skip);
        return true;
    }
    if super::later::check(walker, command) {
        return true;
    }
    match program {
        "env" => env(walker, command),
        "eval" => eval(walker, command),
        "source" | "." => source(walker, command),
        "su" => su(walker, command),
        "find" => find(walker, command),
        "xargs" => xargs(walker, command),
        "watch" => watch(walker, command),
        "cd" | "pushd" => cd(walker, command),
        "popd" => walker.cwd = Dir::Absolute("/<unknown directory>".to_owned()),
        _ => return false,
    }
    true
}

/// Whether `program` is one this rule knows to run other commands: a
/// wrapper, a shell, a runner.
pub(crate) fn runs_commands(program: &str) -> bool {
    WRAPPERS.iter().any(|wrapper| wrapper.name == program)
        || SHELLS.contains(&program)
        || RUNNERS.iter().any(|(name, ..)| *name == program)
        || matches!(program, "env" | "eval" | "source" | "su" | "xargs" | "watch")
}

/// Runs the command that starts at `from` in the arguments.
pub(crate) fn run_from(walker: &mut Walker, command: &Command<'_>, from: usize) {
    if from >= command.args.len() {
        return;
    }
    let shifted: HashMap<usize, Stream> = command
        .substitutions
        .iter()
        .filter(|(index, _)| **index >= from)
        .map(|(index, stream)| (index - from + 1, stream.clone()))
        .collect();
    let output = walker.run(&command.args[from..], command.input.clone(), command.span, &shifted);
    walker.carried = Some(output);
}

fn wrap(walker: &mut Walker, command: &Command<'_>, wrapper: &Wrapper) {
    let parsed = options(command.args, wrapper.with_value, true);
    if wrapper.name == "command" && parsed.has_any(&["-v", "-V"]) {
        return;
    }
    if let Some(code) = wrapper.code.iter().find_map(|option| parsed.value(option)) {
        walker.nested(code, command.span, true);
        return;
    }
    // `flock FILE -c CMD`: the code option may follow the skipped operands.
    if let Some(start) = parsed.rest
        && let Some(option) = command.args.get(start + wrapper.skip)
        && wrapper.code.iter().any(|code| option.is(code))
    {
        match command.args.get(start + wrapper.skip + 1) {
            Some(code) if !code.dynamic => walker.nested(&code.text, command.span, true),
            Some(code) => walker.run_stream(&Stream::marked(code.mark.clone()), command.span, wrapper.name),
            None => {}
        }
        return;
    }
    // `sudo EDITOR=x visudo`: assignments before the command set its environment.
    let mut rest = parsed.rest;
    while let Some(start) = rest
        && matches!(wrapper.name, "sudo" | "doas" | "run0" | "pkexec")
        && command.args.get(start).is_some_and(|arg| is_assignment(&arg.text))
    {
        let (name, value) = command.args[start].text.split_once('=').unwrap_or_default();
        let value = crate::words::Value {
            text: value.to_owned(),
            dynamic: command.args[start].dynamic,
            glob: false,
            mark: command.args[start].mark.clone(),
        };
        walker.assign(name, value, command.span);
        rest = Some(start + 1);
    }
    match rest {
        Some(start) if start + wrapper.skip < command.args.len() => run_from(walker, command, start + wrapper.skip),
        // `sudo -s`, `sudo -i`: a shell that reads its input.
        _ if parsed.has_any(wrapper.shell) && !matches!(command.input, Stream::Terminal) => {
            walker.run_stream(
                &command.input.clone(),
                command.span,
                &format!("text piped into {} {}", wrapper.name, wrapper.shell[0]),
            );
        }
        _ => {}
    }
}

/// `poetry run X`, `bundle exec X`, `aws-vault exec PROFILE -- X`: the
/// command after the subcommand (and after `--` when there is one).
fn runner(walker: &mut Walker, command: &Command<'_>, with_value: &[&str], skip: usize) {
    let args = &command.args[1..];
    let start = match args.iter().position(|arg| arg.is("--")) {
        Some(dash) => Some(dash + 1),
        None => options(args, with_value, true).rest.map(|start| start + skip),
    };
    if let Some(start) = start {
        run_from(walker, command, start + 1);
    }
}

fn env(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(
        command.args,
        &[
            "-u",
            "--unset",
            "-C",
            "--chdir",
            "-S",
            "--split-string",
            "--block-signal",
            "--default-signal",
            "--ignore-signal",
        ],
        true,
    );
    let mut start = parsed.rest.unwrap_or(command.args.len());
    // env -C DIR runs the command there.
    let saved = walker.cwd.clone();
    if let Some(dir) = parsed.value("-C").or(parsed.value("--chdir")) {
        walker.cwd = walker.cwd.join(dir);
    }
    // env -S 'prog args' splits the string into arguments, as a shell would.
    if let Some(split) = parsed.value("-S").or(parsed.value("--split-string")) {
        let rest: Vec<&str> = command.args[start..].iter().map(|arg| arg.raw.as_str()).collect();
        let code = format!("{split} {}", rest.join(" "));
        walker.nested(&code, command.span, true);
        walker.cwd = saved;
        return;
    }
    // NAME=value sets the command's environment: `BASH_ENV=<(curl ...)`,
    // `BASH_FUNC_git%%=() {...}`, `GIT_SSH_COMMAND=...` are code it runs.
    let saved_vars = walker.vars_snapshot();
    while let Some(arg) = command.args.get(start).filter(|arg| is_assignment(&arg.text)) {
        let (name, value) = arg.text.split_once('=').unwrap_or_default();
        if crate::rules::gate::configures_gate(name) {
            walker.gate_tamper(name, command.span, format!("sets {name}, which configures the gate, for the command"));
        }
        if let Some(stream) = command.substitutions.get(&start) {
            walker.files.insert(value.to_owned(), stream.clone());
        }
        let value =
            crate::words::Value { text: value.to_owned(), dynamic: arg.dynamic, glob: false, mark: arg.mark.clone() };
        walker.assign(name, value, command.span);
        start += 1;
    }
    run_from(walker, command, start);
    walker.restore_vars(saved_vars);
    walker.cwd = saved;
}

fn is_assignment(text: &str) -> bool {
    text.split_once('=').is_some_and(|(name, _)| {
        // `BASH_FUNC_name%%` is how bash exports a function.
        let name = name.strip_suffix("%%").filter(|name| name.starts_with("BASH_FUNC_")).unwrap_or(name);
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

fn shell(walker: &mut Walker, command: &Command<'_>) {
    // A non-interactive bash first sources $BASH_ENV (sh: $ENV when
    // interactive): code the line may have planted.
    {
        use crate::words::Resolver;
        let variable = if command.program == "bash" { "BASH_ENV" } else { "ENV" };
        if let Some(value) = walker.variable(variable).filter(|value| !value.text.is_empty() || value.dynamic) {
            let file = Arg {
                text: value.text.clone(),
                dynamic: value.dynamic,
                glob: false,
                span: command.span,
                raw: value.text.clone(),
                mark: value.mark.clone(),
            };
            let content = walker.read_path(&file, false);
            let content = if matches!(content, Stream::Unknown) && !file.dynamic { Stream::Unknown } else { content };
            walker.run_stream(&content, command.span, &format!("${variable} ({})", file.text));
        }
    }
    let mut code: Option<&Arg> = None;
    let mut wants_code = false;
    let mut operand: Option<(usize, &Arg)> = None;
    let mut reads_stdin = false;
    let mut index = 0;
    while index < command.args.len() {
        let arg = &command.args[index];
        let text = arg.text.as_str();
        if wants_code {
            code = Some(arg);
            wants_code = false;
        } else if matches!(text, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            index += 1;
        } else if text == "--" {
            operand = command.args.get(index + 1).map(|arg| (index + 1, arg));
            break;
        } else if (text.starts_with('-') || text.starts_with('+')) && text.len() > 1 && !text.starts_with("--") {
            wants_code |= text.contains('c');
            reads_stdin |= text.contains('s');
        } else if text.starts_with("--") {
        } else {
            operand = Some((index, arg));
            break;
        }
        index += 1;
    }
    let name = command.program;
    // `bash -n` only parses.
    if command
        .args
        .iter()
        .take_while(|arg| arg.text.starts_with('-'))
        .any(|arg| arg.text != "--" && !arg.text.starts_with("--") && arg.text[1..].contains('n'))
    {
        return;
    }
    if let Some(code) = code {
        if code.dynamic {
            walker.emit(
                IntentKind::CodeDynamic,
                Scope::Unbounded,
                None,
                command.span,
                Some(format!("{name} -c runs code only known at run time ({})", code.raw)),
            );
        } else {
            walker.nested(&code.text, command.span, true);
        }
        return;
    }
    match operand {
        Some((index, script)) if !reads_stdin => {
            if let Some(stream) = command.substitutions.get(&index) {
                walker.run_stream(&stream.clone(), command.span, &format!("{name} <(...)"));
            } else if let Some(stream) = descriptor(walker, script, &command.input) {
                walker.run_stream(&stream, command.span, &format!("{name} {}", script.text));
            } else {
                let place = walker.place(script);
                if let Some(content) = walker.content_of(&place.name) {
                    walker.run_stream(&content, command.span, &format!("{name} {}", script.text));
                }
            }
        }
        _ => match &command.input {
            Stream::Terminal => {}
            stream => walker.run_stream(&stream.clone(), command.span, &format!("text piped into {name}")),
        },
    }
}

fn eval(walker: &mut Walker, command: &Command<'_>) {
    if command.args.iter().all(|arg| !arg.dynamic) {
        let code: Vec<&str> = command.args.iter().map(|arg| arg.text.as_str()).collect();
        walker.nested(&code.join(" "), command.span, false);
        return;
    }
    if command.args.iter().all(|arg| !arg.dynamic || is_eval_idiom(&arg.raw)) {
        return;
    }
    let raw: Vec<&str> = command.args.iter().map(|arg| arg.raw.as_str()).collect();
    walker.emit(
        IntentKind::CodeDynamic,
        Scope::Unbounded,
        None,
        command.span,
        Some(format!("eval runs code only known at run time ({})", raw.join(" "))),
    );
}

/// `"$(ssh-agent -s)"` and its kind: a setup tool printing shell code.
fn is_eval_idiom(raw: &str) -> bool {
    let inner = raw.trim_matches('"');
    let inner = inner
        .strip_prefix("$(")
        .and_then(|rest| rest.strip_suffix(')'))
        .or_else(|| inner.strip_prefix('`').and_then(|rest| rest.strip_suffix('`')));
    let Some(inner) = inner else {
        return false;
    };
    if inner.contains(['|', ';', '&', '$', '`', '>', '<', '(']) {
        return false;
    }
    let program = inner.split_whitespace().next().unwrap_or("");
    let program = program.rsplit('/').next().unwrap_or(program);
    EVAL_IDIOMS.contains(&program)
}

fn source(walker: &mut Walker, command: &Command<'_>) {
    let Some(file) = command.args.first() else {
        return;
    };
    if let Some(stream) = command.substitutions.get(&0) {
        walker.run_stream(&stream.clone(), command.span, &format!("{} <(...)", command.program));
        return;
    }
    let place = walker.place(file);
    if let Some(stream) = descriptor(walker, file, &command.input) {
        walker.run_stream(&stream, command.span, &format!("{} {}", command.program, file.text));
    } else if let Some(content) = walker.content_of(&place.name) {
        match content {
            Stream::Text(code) => walker.nested(&code, command.span, false),
            other => walker.run_stream(&other, command.span, &format!("{} {}", command.program, file.text)),
        }
    } else if file.dynamic {
        walker.emit(
            IntentKind::CodeDynamic,
            Scope::Unbounded,
            None,
            command.span,
            Some(format!("{} reads a file named only at run time ({})", command.program, file.raw)),
        );
    }
}

fn su(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(command.args, &["-c", "--command", "-s", "--shell", "-g", "--group", "-G", "-w"], false);
    if let Some(code) = parsed.value("-c").or(parsed.value("--command")) {
        walker.nested(code, command.span, true);
    } else if !matches!(command.input, Stream::Terminal) {
        // `su - root <<EOF`: the user's shell reads its input.
        walker.run_stream(&command.input.clone(), command.span, "text piped into su");
    }
}

fn find(walker: &mut Walker, command: &Command<'_>) {
    let args = command.args;
    let mut index = 0;
    while index < args.len() && matches!(args[index].text.as_str(), "-H" | "-L" | "-P") {
        index += 1;
    }
    let mut roots: Vec<&Arg> = Vec::new();
    while index < args.len()
        && !args[index].text.starts_with('-')
        && !matches!(args[index].text.as_str(), "(" | "!" | "\\(")
    {
        roots.push(&args[index]);
        index += 1;
    }
    let root = roots.first().copied().cloned().unwrap_or_else(|| Arg::literal(".", command.span));
    let matches = below(&root);
    while index < args.len() {
        let text = args[index].text.as_str();
        match text {
            "-delete" => {
                for root in roots.iter().copied().chain((roots.is_empty()).then_some(&root)) {
                    let place = walker.place(&below(root));
                    walker.emit(
                        IntentKind::FsDeleteRecursive,
                        place.scope,
                        Some(Object::new("path", place.name)),
                        command.span,
                        Some("find -delete removes what it matches below this directory".to_owned()),
                    );
                }
            }
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let end = args[index + 1..]
                    .iter()
                    .position(|arg| arg.text == ";" || arg.text == "+")
                    .map(|at| index + 1 + at);
                let end = end.unwrap_or(args.len());
                let argv: Vec<Arg> = args[index + 1..end]
                    .iter()
                    .map(|arg| if arg.text == "{}" { matches.clone() } else { arg.clone() })
                    .collect();
                walker.run(&argv, Stream::Terminal, command.span, &HashMap::new());
                index = end;
            }
            _ => {}
        }
        index += 1;
    }
}

/// A pattern for what lies below `root` (`find`'s matches).
fn below(root: &Arg) -> Arg {
    let mut arg = root.clone();
    arg.text = format!("{}/*", root.text.trim_end_matches('/'));
    arg.glob = true;
    arg
}

fn xargs(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(
        command.args,
        &[
            "-I",
            "-n",
            "-P",
            "-L",
            "-d",
            "-a",
            "-E",
            "-s",
            "--max-args",
            "--max-procs",
            "--max-lines",
            "--delimiter",
            "--arg-file",
            "--eof",
            "--max-chars",
            "--replace",
        ],
        true,
    );
    let Some(start) = parsed.rest else {
        return;
    };
    let span = command.span;
    let extra: Vec<Arg> = match &command.input {
        Stream::Text(text) => text.split_whitespace().map(|word| Arg::literal(word, span)).collect(),
        Stream::Paths(pattern) => {
            let mut arg = Arg::literal(pattern.clone(), span);
            arg.glob = true;
            vec![arg]
        }
        other => vec![Arg {
            text: "<standard input>".to_owned(),
            dynamic: true,
            glob: false,
            span,
            raw: "<stdin>".to_owned(),
            mark: other.mark(),
        }],
    };
    let replace = parsed.value("-I").or(parsed.value("--replace")).map(str::to_owned);
    let mut argv: Vec<Arg> = Vec::new();
    for arg in &command.args[start..] {
        match &replace {
            Some(marker) if arg.text.contains(marker.as_str()) => argv.extend(extra.iter().cloned()),
            _ => argv.push(arg.clone()),
        }
    }
    if replace.is_none() {
        argv.extend(extra);
    }
    walker.run(&argv, Stream::Terminal, span, &HashMap::new());
}

fn watch(walker: &mut Walker, command: &Command<'_>) {
    let parsed = options(command.args, &["-n", "--interval", "-q", "--equexit"], true);
    let Some(start) = parsed.rest else {
        return;
    };
    if parsed.has_any(&["-x", "--exec"]) {
        run_from(walker, command, start);
    } else {
        let code: Vec<&str> = command.args[start..].iter().map(|arg| arg.text.as_str()).collect();
        walker.nested(&code.join(" "), command.span, true);
    }
}

fn cd(walker: &mut Walker, command: &Command<'_>) {
    use crate::words::Resolver;
    let operands: Vec<&Arg> = command.args.iter().filter(|arg| !arg.text.starts_with('-') || arg.text == "-").collect();
    let unknown = || Dir::Absolute("/<unknown directory>".to_owned());
    let previous = walker.cwd.clone();
    let known = |value: Option<crate::words::Value>| match value {
        Some(value) if !value.dynamic && !value.text.is_empty() => Some(value.text),
        _ => None,
    };
    walker.cwd = match operands.first() {
        // `cd` alone goes to $HOME, which the line may have changed.
        None => match known(walker.variable("HOME")) {
            Some(home) => Dir::Absolute(home),
            None => unknown(),
        },
        Some(dir) if dir.text == "-" => match known(walker.variable("OLDPWD")) {
            Some(old) => walker.cwd.join(&old),
            None => unknown(),
        },
        Some(dir) if dir.dynamic || dir.glob => unknown(),
        Some(dir) => {
            // A relative name is looked up in $CDPATH first.
            let cdpath = known(walker.variable("CDPATH")).filter(|_| !dir.text.starts_with(['/', '.']));
            match cdpath.and_then(|cdpath| cdpath.split(':').find(|entry| !entry.is_empty()).map(str::to_owned)) {
                Some(entry) => walker.cwd.join(&entry).join(&dir.text),
                None => walker.cwd.join(&dir.text),
            }
        }
    };
    if let Dir::Absolute(path) = &previous {
        walker.assign("OLDPWD", crate::words::Value::known(path.clone()), command.span);
    }
}

/// What a shell reads when its script is a descriptor or standard input
/// (`bash /dev/stdin`, `source /dev/fd/3`, `bash -`), if it is one.
fn descriptor(walker: &Walker, script: &Arg, input: &Stream) -> Option<Stream> {
    let _ = walker;
    match script.text.as_str() {
        "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0" => Some(input.clone()),
        path if path.starts_with("/dev/fd/") || path.starts_with("/proc/self/fd/") => Some(Stream::Unknown),
        path if crate::walk::network_device(path).is_some() => Some(Stream::Network),
        _ => None,
    }
}
