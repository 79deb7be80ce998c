//! The effect model: what a command does to paths, the network, code and
//! the machine, turned into intents in one place.
//!
//! Programs are described by what they do ([`crate::catalogue`], the rules)
//! and every description ends here: a path written is judged the same
//! whether `>`, `tee`, `cp`, `sed -i`, `dd of=` or `curl -o` wrote it, a
//! secret reaching the network is exfiltration whichever tool carried it,
//! and code is run by one function whatever route it took to the
//! interpreter. New programs need a declaration, not new judgement.

use guardrail_core::{Intent, IntentKind, Object, Scope, Span};

use crate::flow::{Mark, Stream};
use crate::locations::{self, Planted};
use crate::paths::{self, Dir, Place};
use crate::walk::Walker;
use crate::words::Arg;

/// The language of code a program runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Shell,
    Python,
    JavaScript,
    Ruby,
    Perl,
    Php,
    Lua,
    Awk,
    Sed,
    Sql,
    Expect,
    /// A language the analyzer cannot read (Tcl, R, a compiled program).
    Opaque,
}

impl Lang {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Lang::Shell => "shell",
            Lang::Python => "Python",
            Lang::JavaScript => "JavaScript",
            Lang::Ruby => "Ruby",
            Lang::Perl => "Perl",
            Lang::Php => "PHP",
            Lang::Lua => "Lua",
            Lang::Awk => "awk",
            Lang::Sed => "sed",
            Lang::Sql => "SQL",
            Lang::Expect => "Expect",
            Lang::Opaque => "an unreadable language",
        }
    }
}

/// How a file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    /// Replaced whole (`>`, `cp`, `tee`).
    Replace,
    /// Added to (`>>`, `tee -a`).
    Append,
    /// Edited in place (`sed -i`, `perl -pi`): part of the old content stays.
    Edit,
}

impl Walker {
    /// A file written with `content`: a disk destroyed, a log erased, code or
    /// access planted, or a file overwritten, scoped where it lies.
    pub(crate) fn write_path(&mut self, target: &Arg, content: &Stream, how: Write, span: Span, note: Option<&str>) {
        let place = self.place(target);
        if !target.dynamic && paths::is_harmless_device(&place.name) {
            return;
        }
        if !target.dynamic && paths::is_data_device(&place.name) {
            self.destroy_disk(&place.name, span);
            return;
        }
        let object = || Some(Object::new("path", place.name.clone()));
        self.gate_touched(&place, false, span, "writes");
        if locations::is_history_or_log(&place.name) {
            self.emit(IntentKind::LogTamper, place.scope, object(), span, None);
        }
        if let Some(what) = locations::privilege(&place.name, self.layout.home.as_deref()) {
            self.emit(IntentKind::SystemPrivilege, place.scope, object(), span, Some(format!("writes {what}")));
        } else if self.credential_outside(&place) {
            self.emit(
                IntentKind::SecretWrite,
                place.scope,
                object(),
                span,
                Some("overwrites a credential file".to_owned()),
            );
        }
        if let Some(planted) = locations::planted(&place.name, self.layout.home.as_deref()) {
            self.plant(&place, planted, content, span);
        } else if let (Some(runs), Stream::Text(text)) = (crate::runs_later::runs_later(&place.name), content) {
            // A project file a tool runs by itself: what it will run is
            // judged now, as if it ran.
            for command in crate::runs_later::commands(runs, text, &place.name) {
                self.nested(&command, span, true);
            }
        }
        self.emit(IntentKind::FsOverwrite, place.scope, object(), span, note.map(str::to_owned));
        self.remember(&place, content, how);
    }

    /// Keeps what the line wrote to a file, so that reading or running it
    /// later in the line sees it.
    fn remember(&mut self, place: &Place, content: &Stream, how: Write) {
        let kept = match (how, self.files.get(&place.name), content) {
            (Write::Append, Some(Stream::Text(old)), Stream::Text(new))
                if old.len() + new.len() <= crate::words::MAX_VALUE =>
            {
                Stream::Text(format!("{old}{new}"))
            }
            (Write::Append | Write::Edit, Some(old), new) => Stream::derived([old, new]),
            (Write::Edit, None, new) => Stream::derived([new]),
            (_, _, new) => new.clone(),
        };
        self.files.insert(place.name.clone(), kept);
    }

    /// Files written below a directory whose names the line does not show
    /// (`tar -x -C DIR`, `unzip -d DIR`, `cp -r src DIR`): scoped as
    /// everything below it.
    pub(crate) fn write_into(&mut self, dir: &Arg, span: Span, note: Option<&str>) {
        let directory = self.place(dir);
        self.gate_touched(&directory, false, span, "writes into");
        let mut below = dir.clone();
        below.text = format!("{}/*", dir.text.trim_end_matches('/'));
        below.glob = !dir.dynamic;
        let place = self.place(&below);
        if place.scope == Scope::Device {
            self.destroy_disk(&place.name, span);
            return;
        }
        self.emit(
            IntentKind::FsOverwrite,
            place.scope,
            Some(Object::new("path", place.name)),
            span,
            note.map(str::to_owned),
        );
    }

    /// A file or tree deleted (or moved away).
    pub(crate) fn delete_path(&mut self, target: &Arg, recursive: bool, span: Span, note: Option<&str>) {
        let place = self.place(target);
        let object = || Some(Object::new("path", place.name.clone()));
        self.gate_touched(&place, true, span, "deletes or moves");
        if locations::is_history_or_log(&place.name) {
            self.emit(IntentKind::LogTamper, place.scope, object(), span, None);
        }
        if self.credential_outside(&place) {
            self.emit(IntentKind::SecretDelete, place.scope, object(), span, Some("deletes credentials".to_owned()));
        }
        // A repository's own store: its history, branches and stashes, and
        // whatever was never pushed, gone with it.
        if is_repository_store(&place.name, self.layout.workspace.as_deref()) {
            let note = "deletes the repository's history (.git): every commit never pushed is lost".to_owned();
            self.emit(IntentKind::VcsDiscard, place.scope, object(), span, Some(note));
        }
        let kind = if recursive { IntentKind::FsDeleteRecursive } else { IntentKind::FsDelete };
        self.emit(kind, place.scope, object(), span, note.map(str::to_owned));
        self.files.remove(&place.name);
    }

    /// A place of the gate itself written, deleted or re-permissioned, or a
    /// tree holding one (`within`): `gate.tamper`.
    fn gate_touched(&mut self, place: &Place, within: bool, span: Span, how: &str) {
        let home = self.layout.home.as_deref();
        let what = match locations::gate_file(&place.name, home, &self.protected) {
            Some(gate) => gate.describe(),
            // A system tree (`/usr`, `/etc`) is the system-files rule's.
            None if within
                && place.scope != Scope::System
                && locations::holds_gate(&place.name, home, &self.protected) =>
            {
                "a tree holding the gate's files"
            }
            None => return,
        };
        self.emit(
            IntentKind::GateTamper,
            place.scope,
            Some(Object::new("path", place.name.clone())),
            span,
            Some(format!("{how} {what}")),
        );
    }

    /// Whether a place holds credentials and lies outside the workspace and
    /// temporary directories (a project's own `.env` is the project's).
    fn credential_outside(&self, place: &Place) -> bool {
        !matches!(place.scope, Scope::Workspace | Scope::Temporary | Scope::Unbounded)
            && locations::is_credential(&place.name, self.layout.home.as_deref())
    }

    /// A file's or tree's mode or owner changed. A set-user-id bit, and a
    /// changed file that grants access, are privilege.
    pub(crate) fn permission_path(&mut self, target: &Arg, recursive: bool, mode: Option<&str>, span: Span) {
        let place = self.place(target);
        let object = || Some(Object::new("path", place.name.clone()));
        self.gate_touched(&place, recursive, span, "changes the permissions of");
        if mode.is_some_and(sets_id_bit) {
            let note = "sets a set-user-id or set-group-id bit: the program runs with its owner's power".to_owned();
            self.emit(IntentKind::SystemPrivilege, place.scope, object(), span, Some(note));
        }
        if let Some(what) = locations::privilege(&place.name, self.layout.home.as_deref()) {
            self.emit(
                IntentKind::SystemPrivilege,
                place.scope,
                object(),
                span,
                Some(format!("changes who may change {what}")),
            );
        }
        let kind = if recursive { IntentKind::FsPermissionRecursive } else { IntentKind::FsPermission };
        self.emit(kind, place.scope, object(), span, None);
    }

    /// What reading a file gives: its content when the line wrote it, a
    /// secret when it holds credentials. `tree` reads a whole directory
    /// (`tar`, `zip -r`, `scp -r`): a home directory or `/etc` holds
    /// credentials somewhere below.
    pub(crate) fn read_path(&self, arg: &Arg, tree: bool) -> Stream {
        if arg.dynamic {
            // `/proc/$(pgrep app)/environ`: the shape says what it holds.
            if locations::is_credential(&arg.text, self.layout.home.as_deref()) {
                return Stream::Secret(format!("the credentials in {}", arg.text));
            }
            return Stream::marked(arg.mark.clone());
        }
        if crate::walk::network_device(&arg.text).is_some() {
            return Stream::Network;
        }
        let home = self.layout.home.as_deref();
        // A bare name read where the shell started, with nothing written,
        // linked or downloaded on the line: only its name can make it a
        // credential (most arguments are words like `status`).
        if !arg.text.contains(['/', '~']) && self.at_start() {
            return if locations::is_credential(&arg.text, home) {
                Stream::Secret(format!("the credentials in {}", arg.text))
            } else {
                Stream::Unknown
            };
        }
        let place = self.place(arg);
        if let Some(content) = self.content_of(&place.name) {
            return content;
        }
        let whole_data_dir = tree
            && (locations::gate_file(&place.name, home, &self.protected) == Some(locations::GateFile::Data)
                || locations::holds_gate(&place.name, home, &self.protected));
        if whole_data_dir || locations::gate_file(&place.name, home, &self.protected) == Some(locations::GateFile::Key)
        {
            let note = "reads the gate's keys and secrets: whoever holds them can forge the record's checkpoints, \
                        the daemon's logins or its signed notifications";
            let intent = Intent::new(IntentKind::GateTamper, place.scope, self.frame.unwrap_or(arg.span))
                .with_object(Object::new("path", place.name.clone()))
                .with_note(note);
            self.noticed.borrow_mut().push(intent);
            return Stream::Secret("the gate's keys and secrets".to_owned());
        }
        let secret = locations::is_credential(&place.name, home)
            || locations::is_credential(&arg.text, home)
            || tree && locations::holds_credentials(&place.name, home);
        if secret {
            return Stream::Secret(format!("the credentials in {}", arg.text));
        }
        Stream::Unknown
    }

    /// Data sent over the network to `sink`: exfiltration when it is secret.
    pub(crate) fn send(&mut self, data: Option<&Mark>, sink: &str, program: &str, span: Span) {
        if let Some(Mark::Secret(what)) = data {
            self.emit(
                IntentKind::SecretExfiltration,
                Scope::Unbounded,
                Some(Object::new("url", sink)),
                span,
                Some(format!("{program} sends {what} over the network")),
            );
        }
    }

    /// Runs code in `lang` that arrives as `source`: walked when the line
    /// spells it out, remote when downloaded, dynamic otherwise.
    pub(crate) fn run_code(&mut self, lang: Lang, source: &Stream, span: Span, what: &str) {
        match source {
            Stream::Text(code) => self.code_in(lang, &code.clone(), span, what),
            Stream::Network => self.emit(
                IntentKind::CodeRemote,
                Scope::Unbounded,
                None,
                span,
                Some(format!("{what} runs code downloaded from the network")),
            ),
            Stream::Decoded => self.emit(
                IntentKind::CodeDynamic,
                Scope::Unbounded,
                None,
                span,
                Some(format!("{what} runs decoded data the line does not show")),
            ),
            Stream::Secret(_) | Stream::Unknown | Stream::Terminal | Stream::Paths(_) => self.emit(
                IntentKind::CodeDynamic,
                Scope::Unbounded,
                None,
                span,
                Some(format!("{what} runs {} code the line does not show", lang.name())),
            ),
        }
    }

    /// Code the line spells out, in `lang`.
    pub(crate) fn code_in(&mut self, lang: Lang, code: &str, span: Span, what: &str) {
        match lang {
            Lang::Shell => self.nested(code, span, true),
            Lang::Sql => crate::rules::database::sql(self, code, span),
            Lang::Opaque => self.emit(
                IntentKind::CodeDynamic,
                Scope::Unbounded,
                None,
                span,
                Some(format!("{what} runs code in a language the analyzer cannot read")),
            ),
            lang => crate::interpreters::analyze(self, lang, code, span),
        }
    }

    /// Code planted where it runs later, judged as the code it is: what the
    /// line spells out is walked as it will run; what it does not show is
    /// `code.persist`.
    pub(crate) fn plant(&mut self, place: &Place, planted: Planted, content: &Stream, span: Span) {
        let object = || Some(Object::new("path", place.name.clone()));
        let Stream::Text(text) = content else {
            let from = match content {
                Stream::Network => "downloaded from the network",
                Stream::Decoded => "decoded from data",
                _ => "the line does not show",
            };
            let note = format!("plants code {from} into {}, where it runs later", planted.describe());
            self.emit(IntentKind::CodePersist, place.scope, object(), span, Some(note));
            return;
        };
        // Settings that run nothing: a git config branch or user section, a
        // `.pth` file of paths only. Nothing is planted.
        if !runs_anything(planted, &place.name, text) {
            return;
        }
        // Whatever it is, code left to run later, unwatched, is for a person
        // to look at; what it will do is judged as well.
        let note = format!("plants code into {}, where it runs later", planted.describe());
        self.emit(IntentKind::CodePersist, place.scope, object(), span, Some(note));
        // Planted code runs later, in its own process, from the home
        // directory (or the repository, for git), never the workspace.
        let later = self.later_dir(&place.name);
        let saved = std::mem::replace(&mut self.cwd, later);
        match planted {
            Planted::Shell => self.nested(text, span, true),
            Planted::Cron { user_field } => {
                for command in cron_commands(text, user_field) {
                    self.nested(&command, span, true);
                }
            }
            Planted::Systemd => {
                for command in unit_commands(text) {
                    self.nested(&command, span, true);
                }
            }
            Planted::GitConfig => {
                for command in &git_config_commands(text) {
                    self.nested(command, span, true);
                }
            }
            Planted::SshConfig => {
                for command in ssh_config_commands(text) {
                    self.nested(&command, span, true);
                }
            }
            Planted::Python | Planted::Preload | Planted::Editor => {}
        }
        self.cwd = saved;
    }

    /// Where code planted at `path` runs: the repository for git hooks, the
    /// home directory for the rest.
    fn later_dir(&self, path: &str) -> Dir {
        if let Some(index) = path.find("/.git/") {
            return match &path[..index] {
                repository if repository.starts_with('/') => Dir::Absolute(repository.to_owned()),
                _ => self.cwd.clone(),
            };
        }
        match &self.layout.home {
            Some(home) => Dir::Absolute(home.clone()),
            None => Dir::Absolute("/home/~".to_owned()),
        }
    }

    pub(crate) fn destroy_disk(&mut self, device: &str, span: Span) {
        self.emit(IntentKind::DiskDestroy, Scope::Device, Some(Object::new("path", device)), span, None);
    }
}

/// Options that, by wide convention, name a file a program writes.
const OUTPUT_OPTIONS: &[&str] = &[
    "--output",
    "--output-file",
    "--outfile",
    "--out",
    "--out-file",
    "--dest",
    "--destination",
    "--target-file",
    "--save",
    "--save-to",
    "--write-to",
    "--log-file",
    "--logfile",
    "-o",
];

impl Walker {
    /// Files written through the conventional output options of a program
    /// the analyzer has no declaration for (`render.py --output
    /// /etc/nginx/site.conf`): `-o` only when its value looks like a path.
    pub(crate) fn conventional_outputs(&mut self, args: &[Arg], span: Span) {
        for (index, arg) in args.iter().enumerate() {
            let (name, value) = match arg.text.split_once('=') {
                Some((name, value)) if name.starts_with("--") => {
                    (name, Some(Arg { text: value.to_owned(), ..arg.clone() }))
                }
                _ => (arg.text.as_str(), args.get(index + 1).cloned()),
            };
            if !OUTPUT_OPTIONS.contains(&name) {
                continue;
            }
            let Some(value) = value else { continue };
            let path_like = value.dynamic || value.text.contains('/') || value.text.contains('.');
            if value.text == "-" || value.text.starts_with('-') || name == "-o" && !path_like {
                continue;
            }
            self.write_path(&value, &Stream::Unknown, Write::Replace, span, Some("written through its output option"));
        }
    }
}

/// Whether a `chmod` mode sets the set-user-id or set-group-id bit.
pub(crate) fn sets_id_bit(mode: &str) -> bool {
    if mode.chars().all(|c| c.is_ascii_digit()) {
        return mode.len() == 4 && matches!(mode.as_bytes()[0], b'2' | b'4' | b'6');
    }
    mode.split(',')
        .any(|clause| clause.contains('+') && clause.split('+').nth(1).is_some_and(|bits| bits.contains('s')))
        || mode
            .split(',')
            .any(|clause| clause.contains('=') && clause.split('=').nth(1).is_some_and(|bits| bits.contains('s')))
}

/// The commands of a crontab: each line after its schedule (and user).
fn cron_commands(text: &str, user_field: bool) -> Vec<String> {
    let mut commands = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if first.contains('=') && !first.starts_with('@') && !first.contains(['*', '/']) {
            continue;
        }
        let fields = if first.starts_with('@') { 1 } else { 5 } + usize::from(user_field);
        let mut rest = line;
        for _ in 0..fields {
            rest = rest.trim_start();
            rest = rest.find(char::is_whitespace).map_or("", |end| &rest[end..]);
        }
        if !rest.trim().is_empty() {
            commands.push(rest.trim().to_owned());
        }
    }
    commands
}

/// The commands a systemd unit runs: its `Exec...=` lines, without the
/// prefixes that change how a failure is handled.
fn unit_commands(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().split_once('='))
        .filter(|(key, _)| key.trim().starts_with("Exec"))
        .map(|(_, value)| value.trim().trim_start_matches(['-', '@', '+', '!', ':']).to_owned())
        .filter(|command| !command.is_empty())
        .collect()
}

/// Git options whose values are shell commands that git runs.
const GIT_COMMAND_KEYS: &[&str] = &[
    "sshcommand",
    "editor",
    "pager",
    "fsmonitor",
    "askpass",
    "textconv",
    "clean",
    "smudge",
    "process",
    "driver",
    "program",
    "command",
    "helper",
    "cmd",
];

/// Git options that make git run programs other than by a command string.
const GIT_PROGRAM_KEYS: &[&str] =
    &["hookspath", "templatedir", "path", "insteadof", "pushinsteadof", "gitproxy", "worktree"];

/// The shell commands a git configuration file makes git run: aliases
/// starting with `!` and options whose values are commands.
fn git_config_commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim().trim_matches('"');
        if section == "alias" {
            if let Some(command) = value.strip_prefix('!') {
                commands.push(command.to_owned());
            }
        } else if GIT_COMMAND_KEYS.contains(&key.as_str()) {
            commands.push(value.trim_start_matches('!').to_owned());
        }
    }
    commands
}

/// The shell commands an ssh configuration runs: `ProxyCommand`,
/// `LocalCommand`, `KnownHostsCommand`, `Match exec`.
fn ssh_config_commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    for line in text.lines().map(str::trim) {
        let (key, value) = match line.split_once(['=', ' ', '\t']) {
            Some((key, value)) => (key.to_ascii_lowercase(), value.trim().trim_start_matches('=').trim()),
            None => continue,
        };
        match key.as_str() {
            "proxycommand" | "localcommand" | "knownhostscommand" | "remotecommand" => commands.push(value.to_owned()),
            "match" => {
                if let Some(exec) = value.split_once("exec ") {
                    commands.push(exec.1.trim_matches('"').to_owned());
                }
            }
            _ => {}
        }
    }
    commands
}

/// The git options whose values git runs as commands, for `git config KEY
/// VALUE`: `core.sshCommand`, `alias.x` with `!`, filters, helpers.
pub(crate) fn git_option_runs(key: &str, value: &str) -> Option<String> {
    // Any value git reads as a command starts with `!` (aliases,
    // submodule update commands, credential helpers).
    if let Some(command) = value.strip_prefix('!') {
        return Some(command.to_owned());
    }
    let key = key.to_ascii_lowercase();
    let (section, name) = key.split_once('.')?;
    let name = name.rsplit('.').next().unwrap_or(name);
    if section == "alias" {
        return value.strip_prefix('!').map(str::to_owned);
    }
    GIT_COMMAND_KEYS.contains(&name).then(|| value.trim_start_matches('!').to_owned())
}

/// Whether a git option makes git run programs it names: hooks paths,
/// template directories, includes, URL rewrites.
pub(crate) fn git_option_plants(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let name = key.rsplit('.').next().unwrap_or(&key);
    GIT_PROGRAM_KEYS.contains(&name)
}

/// The rule that documents planted code.
pub(crate) const PERSISTENCE: crate::rules::Rule = crate::rules::Rule {
    name: "persistence",
    intents: &[IntentKind::CodePersist],
    catches: "Any write, by any program (>, tee, cp, ln, sed -i, curl -o, an interpreter), to a place \
              where code runs later: shell start-up files (~/.bashrc, ~/.profile, /etc/profile.d), \
              crontabs and cron directories, systemd units, git hooks and git configuration, ssh's \
              configuration, Python's start-up hooks, /etc/ld.so.preload; and git settings whose value \
              is a command (core.sshCommand, core.fsmonitor, aliases with !, hooksPath). Code the line \
              spells out is walked as it will run (from the home directory); code it does not show is \
              code.persist.",
    why: "Planted code runs later, unwatched, with the user's or root's power: the classic way to \
          survive a session or to turn a one-off mistake into a standing one.",
    example: "cp ./hook.sh .git/hooks/pre-commit",
    look_alike: "cp ./hook.sh ./scripts/hook.sh",
    gaps: "Editors (vim, nano) write files the analyzer cannot see; the content of a file copied from \
           elsewhere is unknown, so the copy is held rather than judged.",
};

/// The rule that documents privilege granted on the machine.
pub(crate) const PRIVILEGE: crate::rules::Rule = crate::rules::Rule {
    name: "privilege",
    intents: &[IntentKind::SystemPrivilege],
    catches: "Writes, by any program, to files that grant access or privilege (sudoers and \
              sudoers.d, authorized_keys, /etc/passwd, shadow and group, PAM, sshd_config, polkit), \
              set-user-id and set-group-id bits (chmod u+s, install -m 4755), and account changes \
              (useradd, usermod -aG, passwd, chpasswd, gpasswd, smbpasswd, visudo).",
    why: "One line in sudoers or authorized_keys hands the machine to someone else, and outlives \
          every fix to the code that wrote it.",
    example: "echo 'dev ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/dev",
    look_alike: "sudo cat /etc/sudoers.d/dev",
    gaps: "A set-user-id bit is privilege whoever owns the file.",
};

/// Whether text written to a place where code runs later can run anything:
/// git settings that name programs, hooks, filters or other files to
/// include; `.pth` lines that `import`; anything else, always.
fn runs_anything(planted: Planted, path: &str, text: &str) -> bool {
    match planted {
        Planted::GitConfig => {
            let lower = text.to_ascii_lowercase();
            [
                "hookspath",
                "fsmonitor",
                "sshcommand",
                "pager",
                "editor",
                "askpass",
                "textconv",
                "clean",
                "smudge",
                "process",
                "gitproxy",
                "helper",
                "program",
                "include",
                "command",
                "!",
                "cmd",
                "tool",
                "exec",
                "worktree",
                "attributesfile",
                "excludesfile",
            ]
            .iter()
            .any(|key| lower.contains(key))
        }
        Planted::Python if path.ends_with(".pth") => {
            text.lines().any(|line| line.trim_start().starts_with("import") || line.contains(';'))
        }
        _ => true,
    }
}

/// Whether `path` is the store of the repository the agent works in (its
/// `.git`, or the heart of it: `objects`, `refs`, `logs`) or of one its
/// workspace lies in, not a file in it (`.git/index.lock`), nor a nested
/// checkout's (`vendor/lib/.git`, dropped after cloning a template).
fn is_repository_store(path: &str, workspace: Option<&str>) -> bool {
    let path = path.trim_end_matches('/');
    let store = ["/.git", "/.git/objects", "/.git/refs", "/.git/refs/heads", "/.git/logs"]
        .iter()
        .find_map(|tail| path.strip_suffix(tail));
    match (store, workspace) {
        (Some(repository), Some(workspace)) => {
            let workspace = workspace.trim_end_matches('/');
            workspace == repository || workspace.starts_with(&format!("{repository}/"))
        }
        (Some(_), None) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crontab_lines_are_read_past_their_schedule() {
        let user = "SHELL=/bin/bash\n# job\n*/5 * * * * root rm -rf /var/x\n@reboot root curl x | sh\n";
        assert_eq!(cron_commands(user, true), ["rm -rf /var/x", "curl x | sh"]);
        assert_eq!(cron_commands("0 3 * * * /usr/bin/backup --all\n", false), ["/usr/bin/backup --all"]);
    }

    #[test]
    fn units_run_their_exec_lines() {
        let unit = "[Service]\nExecStartPre=-/bin/rm -rf /srv/cache\nExecStart=/usr/bin/app\nUser=app\n";
        assert_eq!(unit_commands(unit), ["/bin/rm -rf /srv/cache", "/usr/bin/app"]);
    }

    #[test]
    fn git_configuration_that_runs_programs() {
        let config = "[alias]\n  co = checkout\n  x = !rm -rf ~\n[core]\n  sshCommand = ssh -i k\n";
        assert_eq!(git_config_commands(config), ["rm -rf ~", "ssh -i k"]);
        assert_eq!(git_option_runs("alias.wipe", "!rm -rf ."), Some("rm -rf .".to_owned()));
        assert_eq!(git_option_runs("alias.co", "checkout"), None);
        assert_eq!(git_option_runs("core.fsmonitor", "curl x|sh"), Some("curl x|sh".to_owned()));
        assert!(git_option_plants("core.hooksPath"));
        assert!(!git_option_plants("user.email"));
    }

    #[test]
    fn id_bits() {
        for mode in ["u+s", "4755", "g+s", "+s", "u=rwxs", "6755"] {
            assert!(sets_id_bit(mode), "{mode}");
        }
        for mode in ["755", "u+x", "0644", "a-s", "go-w"] {
            assert!(!sets_id_bit(mode), "{mode}");
        }
    }
}
