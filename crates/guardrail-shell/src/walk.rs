//! Walks a parsed command line: every command of every list, pipeline,
//! compound command and substitution, with the state the shell would have
//! (working directory, variables, functions, files written earlier in the
//! line), handing each simple command to the rules.

use std::collections::HashMap;

use brush_parser::ast::{
    self, Command as AstCommand, CommandPrefixOrSuffixItem as Item, CompoundCommand, CompoundList, ExtendedTestExpr,
    IoFileRedirectKind, IoFileRedirectTarget, IoRedirect, SeparatorOperator,
};
use brush_parser::{SourceInfo, Token};
use guardrail_core::{Analysis, Intent, IntentKind, Object, Scope, Span};

use crate::effects::{Lang, Write};
use crate::flow::{Mark, Stream};
use crate::paths::{Dir, Layout, Place};
use crate::rules;
use crate::rules::remote::Remote;
use crate::words::{self, Arg, Resolver, Substituted, Value};

/// How deeply code may nest in code (`bash -c "eval '...'"`) before the
/// analyzer stops and calls the rest unknown.
const MAX_CODE_DEPTH: usize = 12;
/// How deeply brackets may nest in one text before the parser is not
/// trusted with it (it recurses once per level).
const MAX_BRACKET_DEPTH: usize = 100;
/// Deepest nesting of subshell and arithmetic-command parentheses followed;
/// see [`refuse_before_parsing`].
const MAX_PAREN_DEPTH: usize = 16;
/// Deepest nesting of parentheses, and of square brackets, within one
/// word; see [`refuse_before_parsing`].
const MAX_WORD_PAREN_DEPTH: usize = 8;
const MAX_WORD_BRACKET_DEPTH: usize = 2;
/// How many values of a `for` loop are walked one by one.
const MAX_LOOP_VALUES: usize = 8;
/// How many commands one analysis walks, counting each time a loop body or
/// function is walked again. Nested loops and calls multiply (eight nested
/// loops of eight values were 16 million walks); past this the rest of the
/// text is unknown.
const MAX_COMMANDS: usize = 10_000;

pub(crate) fn analyze(
    text: &str,
    workspace: Option<String>,
    home: Option<String>,
    protected: &[(String, crate::locations::GateFile)],
) -> Analysis {
    let mut walker = Walker::new(text, workspace, home, protected);
    walker.code(text, None, false);
    walker.finish(text)
}

/// What an agent's file tool does to one path.
#[derive(Clone, Copy, Debug)]
pub enum FileTool<'a> {
    /// Writes the file whole with this content.
    Write(&'a str),
    /// Changes part of the file, putting this text in.
    Edit(&'a str),
    /// Reads the file.
    Read,
    /// Searches the contents of the files at or below the path (which may
    /// end in a glob): a read of every file it matches.
    Search,
    /// Deletes the file.
    Delete,
}

/// A file tool acting on `path` (the whole text), judged like the same
/// effect of any program: its scope, what lives there, the code it plants.
pub(crate) fn file_tool(
    tool: FileTool<'_>,
    path: &str,
    workspace: Option<String>,
    home: Option<String>,
    protected: &[(String, crate::locations::GateFile)],
) -> Analysis {
    // A tool's path is not a shell word, but agents write `~/.bashrc` to
    // tools too, and some tools expand it: read it as the shell would.
    let expanded = expand_tilde(path, home.as_deref());
    let mut walker = Walker::new(path, workspace, home, protected);
    let span = Span::new(0, path.len());
    let target = Arg::literal(expanded, span);
    match tool {
        FileTool::Write(content) => {
            walker.write_path(&target, &Stream::Text(content.to_owned()), crate::effects::Write::Replace, span, None)
        }
        FileTool::Edit(added) => {
            walker.write_path(&target, &Stream::Text(added.to_owned()), crate::effects::Write::Edit, span, None)
        }
        FileTool::Read | FileTool::Search => {
            let search = matches!(tool, FileTool::Search);
            let glob = search && target.text.contains(['*', '?', '[']);
            // A glob's files are read: `.env*` reads `.env` among them.
            let target = if glob { Arg::literal(target.text.replace(['*', '?'], ""), target.span) } else { target };
            if let Stream::Secret(what) = walker.read_path(&target, search) {
                walker.emit(
                    IntentKind::SecretRead,
                    Scope::Bounded,
                    Some(Object::new("path", walker.place(&target).name)),
                    span,
                    Some(format!("reads {what}")),
                );
            }
        }
        FileTool::Delete => walker.delete_path(&target, false, span, None),
    }
    walker.finish(path)
}

/// `~/x` in the home directory, `~user/x` in that user's: as bash reads a
/// leading tilde.
fn expand_tilde(path: &str, home: Option<&str>) -> String {
    let Some(rest) = path.strip_prefix('~') else { return path.to_owned() };
    let (user, tail) = rest.split_once('/').map_or((rest, ""), |(user, tail)| (user, tail));
    let base = match user {
        "" => home.map_or_else(|| "/home/~".to_owned(), str::to_owned),
        "root" => "/root".to_owned(),
        user if user.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) => {
            format!("/home/{user}")
        }
        _ => return path.to_owned(),
    };
    if tail.is_empty() { base } else { format!("{}/{tail}", base.trim_end_matches('/')) }
}

impl Walker {
    fn new(
        text: &str,
        workspace: Option<String>,
        home: Option<String>,
        protected: &[(String, crate::locations::GateFile)],
    ) -> Walker {
        let cwd = match &workspace {
            Some(workspace) => Dir::Absolute(workspace.clone()),
            None => Dir::Workspace(String::new()),
        };
        Walker {
            offsets: (!text.is_ascii()).then(|| text.char_indices().map(|(offset, _)| offset).collect()),
            text_len: text.len(),
            layout: Layout { workspace, home },
            cwd,
            vars: HashMap::new(),
            functions: HashMap::new(),
            calling: Vec::new(),
            concurrent: false,
            files: HashMap::new(),
            depth: 0,
            frame: None,
            budget: MAX_COMMANDS,
            integers: std::collections::HashSet::new(),
            remote: None,
            links: HashMap::new(),
            sockets: HashMap::new(),
            incoming: None,
            lifted: Vec::new(),
            secrets: Vec::new(),
            carried: None,
            downloaded: Vec::new(),
            unparsed: false,
            protected: protected.to_vec(),
            noticed: std::cell::RefCell::new(Vec::new()),
            intents: Vec::new(),
        }
    }

    /// The analysis of `text` once walked.
    fn finish(mut self, text: &str) -> Analysis {
        let noticed = self.noticed.take();
        self.intents.extend(noticed);
        let mut seen = std::collections::HashSet::new();
        self.intents.retain(|intent| seen.insert(intent.clone()));
        let mut secrets = crate::given::spans(text, &self.secrets);
        // A line bash cannot parse cannot be searched for the secrets its
        // commands are given: all of it counts as one, as in SQL.
        if self.unparsed {
            secrets = vec![Span::new(0, text.len())];
        }
        Analysis { intents: self.intents, secrets }
    }
}

/// One simple command, resolved and ready for the rules.
pub(crate) struct Command<'a> {
    /// The program's name without its directory (`git` for `/usr/bin/git`).
    pub program: &'a str,
    /// The arguments after the program's name.
    pub args: &'a [Arg],
    pub input: Stream,
    /// Where the command is in the text being checked.
    pub span: Span,
    /// Streams behind `<(...)` arguments, by index into `args`.
    pub substitutions: &'a HashMap<usize, Stream>,
}

pub(crate) struct Walker {
    /// Byte offset of each character, when the text is not ASCII (the
    /// parser counts characters).
    offsets: Option<Vec<usize>>,
    text_len: usize,
    pub(crate) layout: Layout,
    pub(crate) cwd: Dir,
    vars: HashMap<String, Value>,
    functions: HashMap<String, ast::FunctionBody>,
    /// Functions being walked, to stop at recursion.
    calling: Vec<String>,
    /// Whether the command being walked runs beside others (in a pipeline
    /// or in the background): recursion there is a fork bomb.
    concurrent: bool,
    /// What the line wrote to files, by resolved path: their content when
    /// it spells it out, else the marks of what was written.
    pub(crate) files: HashMap<String, Stream>,
    depth: usize,
    /// While walking code nested in a word (`bash -c '...'`), the word's
    /// span: every intent found inside points at it.
    pub(crate) frame: Option<Span>,
    /// Commands left to walk; see [`MAX_COMMANDS`].
    budget: usize,
    /// Variables declared integer (`declare -i`): what is assigned to them
    /// is evaluated as arithmetic.
    pub(crate) integers: std::collections::HashSet<String>,
    /// Where the commands being walked run, when not in this shell: another
    /// host, a container, a chroot.
    pub(crate) remote: Option<Remote>,
    /// Symbolic links the line made, by resolved link path: their targets.
    pub(crate) links: HashMap<String, String>,
    /// File descriptors the line opened onto the network (`exec
    /// 3<>/dev/tcp/host/port`), by number: the host.
    sockets: HashMap<i32, String>,
    /// What the first command of the next pipeline reads, for lists fed
    /// by a command (`>(cmd)`).
    incoming: Option<Stream>,
    /// Command substitutions lifted out of lines before parsing them
    /// ([`words::lift_line`]), by placeholder number.
    lifted: Vec<String>,
    /// Secrets the commands were given ([`crate::given`]): each value and
    /// the span of the word that gave it.
    secrets: Vec<(String, Span)>,
    /// What the command a carrier ran wrote on its output (`sudo cat x`,
    /// `kubectl exec pod -- env`), for the carrier's own output.
    pub(crate) carried: Option<Stream>,
    /// Directories the line filled from the network (`git clone URL dir`):
    /// what lies in them was downloaded.
    pub(crate) downloaded: Vec<String>,
    /// Whether the line itself could not be parsed.
    unparsed: bool,
    /// The running gate's own places ([`crate::locations::gate_file`]).
    pub(crate) protected: Vec<(String, crate::locations::GateFile)>,
    /// Intents found where the walker only looks (reading the gate's
    /// signing key), added at the end.
    pub(crate) noticed: std::cell::RefCell<Vec<Intent>>,
    intents: Vec<Intent>,
}

impl Walker {
    /// Records an intent of the command at `span`.
    pub(crate) fn emit(
        &mut self,
        kind: IntentKind,
        scope: Scope,
        object: Option<Object>,
        span: Span,
        note: Option<String>,
    ) {
        let mut intent = Intent::new(kind, scope, self.frame.unwrap_or(span));
        intent.object = object;
        intent.note = note;
        self.intents.push(intent);
    }

    /// Whether the walk is still where the check started: the workspace, on
    /// this machine, with no file written, link made or directory
    /// downloaded by the line.
    pub(crate) fn at_start(&self) -> bool {
        let at_workspace = match (&self.cwd, &self.layout.workspace) {
            (Dir::Absolute(cwd), Some(workspace)) => cwd == workspace,
            (Dir::Workspace(cwd), None) => cwd.is_empty(),
            _ => false,
        };
        at_workspace
            && self.remote.is_none()
            && self.files.is_empty()
            && self.links.is_empty()
            && self.downloaded.is_empty()
    }

    /// What the line put at a resolved path: the content it wrote there, or
    /// network data when the path lies in a directory it downloaded.
    pub(crate) fn content_of(&self, name: &str) -> Option<Stream> {
        if let Some(content) = self.files.get(name) {
            return Some(content.clone());
        }
        self.downloaded
            .iter()
            .any(|dir| name.strip_prefix(dir.as_str()).is_some_and(|rest| rest.starts_with('/')))
            .then_some(Stream::Network)
    }

    /// Records a secret a command was given in the word at `span`, to be
    /// masked wherever the text shows it.
    pub(crate) fn secret(&mut self, value: &str, span: Span) {
        if !value.is_empty() && value != "-" {
            self.secrets.push((value.to_owned(), self.frame.unwrap_or(span)));
        }
    }

    /// The intents found since there were `count`.
    pub(crate) fn intents_since(&self, count: usize) -> impl Iterator<Item = &Intent> {
        self.intents.iter().skip(count)
    }

    /// Whether `arg` names one of the gate's own files.
    pub(crate) fn is_gate_file(&self, arg: &Arg) -> bool {
        let place = self.place(arg);
        crate::locations::gate_file(&place.name, self.layout.home.as_deref(), &self.protected).is_some()
    }

    /// The line changes or gets around the gate that governs it, through
    /// `what` (a command, a variable).
    pub(crate) fn gate_tamper(&mut self, what: &str, span: Span, note: String) {
        self.emit(IntentKind::GateTamper, Scope::System, Some(Object::new("command", what)), span, Some(note));
    }

    /// Whether `path` is one of the gate's places, or a tree holding one.
    pub(crate) fn is_gate_place(&self, path: &str) -> bool {
        let home = self.layout.home.as_deref();
        crate::locations::gate_file(path, home, &self.protected).is_some()
            || crate::locations::holds_gate(path, home, &self.protected)
    }

    /// Whether `path` is at or below one of the gate's places.
    pub(crate) fn gate_file_at(&self, path: &str) -> bool {
        self.gate_file(path).is_some()
    }

    /// What of the gate `path` is, if it is at or below one of its places.
    pub(crate) fn gate_file(&self, path: &str) -> Option<crate::locations::GateFile> {
        crate::locations::gate_file(path, self.layout.home.as_deref(), &self.protected)
    }

    /// Whether a gate place lies at most `depth` levels below `dir`
    /// (`~/.local/share` holds the data directory right below it).
    pub(crate) fn gate_places_below(&self, dir: &str, depth: usize) -> bool {
        let dir = dir.trim_end_matches('/');
        crate::locations::holds_gate(dir, self.layout.home.as_deref(), &self.protected)
            && crate::locations::gate_depth_below(dir, self.layout.home.as_deref(), &self.protected)
                .is_some_and(|levels| levels <= depth)
    }

    /// Whether the line itself set `name` (for the command, or before it).
    pub(crate) fn assigned_here(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    pub(crate) fn intent_count(&self) -> usize {
        self.intents.len()
    }

    /// Scopes a path argument: resolved against the working directory, or
    /// `unbounded` when only known at run time.
    pub(crate) fn place(&self, arg: &Arg) -> Place {
        if arg.dynamic {
            let name = match &self.remote {
                Some(remote) => format!("{}:{}", remote.name, arg.text),
                None => arg.text.clone(),
            };
            return Place { name, scope: Scope::Unbounded };
        }
        if let Some(followed) = self.through_link(arg) {
            return self.place(&followed);
        }
        match &self.remote {
            None if arg.glob => self.layout.place_glob(&self.cwd, &arg.text),
            None => self.layout.place(&self.cwd, &arg.text),
            Some(remote) => self.remote_place(remote, arg),
        }
    }

    /// The path `arg` reaches through a symbolic link the line made, when
    /// it goes through one (`ln -s /etc x; rm -rf x/`): a link followed by
    /// more of the path, or a slash, leads to its target.
    fn through_link(&self, arg: &Arg) -> Option<Arg> {
        if self.links.is_empty() || self.remote.is_some() {
            return None;
        }
        let joined = match &self.cwd {
            Dir::Absolute(cwd) if !arg.text.starts_with('/') => format!("{cwd}/{}", arg.text),
            _ => arg.text.clone(),
        };
        let joined = joined.replace("/./", "/");
        self.links.iter().find_map(|(link, target)| {
            let rest =
                joined.strip_prefix(link.as_str()).or_else(|| joined.strip_prefix(link.trim_start_matches("./")))?;
            let rest = rest.strip_prefix('/')?;
            let text = format!("{}/{rest}", target.trim_end_matches('/'));
            Some(Arg { text, ..arg.clone() })
        })
    }

    /// Scopes a path on another host or in a container: through a mount
    /// it is a path of the machine that mount exposes; otherwise it is
    /// the other side's, which has no workspace here (and a new
    /// container's own files are temporary).
    fn remote_place(&self, remote: &Remote, arg: &Arg) -> Place {
        let elsewhere = Layout { workspace: None, home: None };
        let inside = elsewhere.place(&self.cwd, arg.text.trim_end_matches(['*', '/']).trim_end_matches("/*"));
        let mut mounts: Vec<&(String, String)> = remote.mounts.iter().collect();
        mounts.sort_by_key(|(inside, _)| std::cmp::Reverse(inside.len()));
        for (mount, outside) in mounts {
            let rest = if mount == "/" {
                Some(inside.name.as_str())
            } else {
                inside.name.strip_prefix(mount.as_str()).filter(|rest| rest.is_empty() || rest.starts_with('/'))
            };
            if let Some(rest) = rest {
                let path = format!("{}/{}", outside.trim_end_matches('/'), rest.trim_start_matches('/'));
                let path = if arg.text.ends_with('*') { format!("{path}/*") } else { path };
                let mapped = Arg { text: path, ..arg.clone() };
                let layout = if remote.local_mounts { &self.layout } else { &elsewhere };
                let root = Dir::Absolute("/".to_owned());
                let mut place = if mapped.glob {
                    layout.place_glob(&root, &mapped.text)
                } else {
                    layout.place(&root, &mapped.text)
                };
                if !remote.local_mounts {
                    place.name = format!("{}:{}", remote.name, place.name);
                }
                return place;
            }
        }
        let mut place =
            if arg.glob { elsewhere.place_glob(&self.cwd, &arg.text) } else { elsewhere.place(&self.cwd, &arg.text) };
        place.name = format!("{}:{}", remote.name, place.name);
        if remote.ephemeral {
            place.scope = Scope::Temporary;
        }
        place
    }

    /// Parses and walks nested code. `frame` is the span of the word it
    /// came from; `isolated` code runs in a child process, so its `cd` and
    /// variables do not reach the rest of the line.
    /// Walks shell code and returns what its last list writes on its output.
    pub(crate) fn code(&mut self, code: &str, frame: Option<Span>, isolated: bool) -> Stream {
        let span = self.frame.or(frame).unwrap_or(Span::new(0, self.text_len));
        if self.depth >= MAX_CODE_DEPTH {
            self.emit(
                IntentKind::CodeDynamic,
                Scope::Unbounded,
                None,
                span,
                Some("code nested in code too deeply to follow".to_owned()),
            );
            return Stream::Unknown;
        }
        let program = match self.parse_lifting(code) {
            Ok(program) => program,
            Err(why) => {
                self.unparsed |= self.depth == 0;
                self.emit(IntentKind::Unknown, Scope::Unbounded, None, span, Some(why));
                return Stream::Unknown;
            }
        };
        let saved_frame = self.frame;
        self.frame = self.frame.or(frame);
        self.depth += 1;
        let saved = isolated.then(|| (self.cwd.clone(), self.vars.clone()));
        let mut output = Stream::Terminal;
        for list in &program.complete_commands {
            output = self.list_output(list);
        }
        if let Some((cwd, vars)) = saved {
            self.cwd = cwd;
            self.vars = vars;
        }
        self.depth -= 1;
        self.frame = saved_frame;
        output
    }

    /// Parses code; a line the tokenizer rejects because of a here-document
    /// inside `$(...)` is parsed again with those substitutions lifted out
    /// ([`words::lift_line`]), which are then walked where they stand.
    fn parse_lifting(&mut self, code: &str) -> Result<ast::Program, String> {
        match parse(code) {
            Ok(program) => Ok(program),
            Err(why) => match words::lift_line(code, self.lifted.len()) {
                Some((line, codes)) => {
                    let program = parse(&line).map_err(|_| why)?;
                    self.lifted.extend(codes);
                    Ok(program)
                }
                None => Err(why),
            },
        }
    }

    /// Walks code nested in a word at `span` (`bash -c '...'`): every
    /// intent found inside points at that word.
    pub(crate) fn nested(&mut self, code: &str, span: Span, isolated: bool) {
        self.code(code, Some(span), isolated);
    }

    /// Like [`Walker::nested`], returning what the code writes on its output.
    pub(crate) fn nested_output(&mut self, code: &str, span: Span, isolated: bool) -> Stream {
        self.code(code, Some(span), isolated)
    }

    /// Walks shell code whose text arrives on a stream: piped into a shell,
    /// read from `<(...)`, or a file written earlier in the line.
    pub(crate) fn run_stream(&mut self, stream: &Stream, span: Span, what: &str) {
        self.run_code(Lang::Shell, stream, span, what);
    }

    fn list(&mut self, list: &CompoundList) {
        self.list_output(list);
    }

    /// Walks a list and returns what it writes on its output: the last
    /// command's output when it is a single command (`<(curl ...)` is
    /// network data, `<(echo hi)` is text); for longer lists, unknown
    /// content with the worst mark of every command's output.
    fn list_output(&mut self, list: &CompoundList) -> Stream {
        let single = matches!(list.0.as_slice(), [ast::CompoundListItem(and_or, _)]
            if and_or.additional.is_empty() && and_or.first.seq.len() == 1);
        let mut output = Stream::Unknown;
        let mut mark: Option<Mark> = None;
        for ast::CompoundListItem(and_or, separator) in &list.0 {
            let saved = self.concurrent;
            self.concurrent |= matches!(separator, SeparatorOperator::Async);
            output = self.pipeline(&and_or.first);
            mark = Mark::worst(mark, output.mark());
            for next in &and_or.additional {
                match next {
                    ast::AndOr::And(pipeline) | ast::AndOr::Or(pipeline) => {
                        mark = Mark::worst(mark, self.pipeline(pipeline).mark());
                    }
                }
            }
            self.concurrent = saved;
        }
        if single { output } else { Stream::marked(mark) }
    }

    /// Walks code whose first command reads `input` (`... | ssh host cmd`).
    pub(crate) fn code_with_input(&mut self, code: &str, span: Span, input: Stream) {
        if !matches!(input, Stream::Terminal) {
            self.incoming = Some(input);
        }
        self.nested(code, span, true);
        self.incoming = None;
    }

    /// Walks a list whose first command reads `input` (`>(cmd)`).
    fn list_with_input(&mut self, list: &CompoundList, input: Stream) -> Stream {
        let saved = (self.cwd.clone(), self.vars.clone());
        self.incoming = Some(input);
        let output = self.list_output(list);
        self.incoming = None;
        (self.cwd, self.vars) = saved;
        output
    }

    /// Walks a pipeline and returns what its last command writes.
    fn pipeline(&mut self, pipeline: &ast::Pipeline) -> Stream {
        let saved = self.concurrent;
        self.concurrent |= pipeline.seq.len() > 1;
        let mut stream = self.incoming.take().unwrap_or(Stream::Terminal);
        for command in &pipeline.seq {
            stream = self.command(command, stream);
        }
        self.concurrent = saved;
        stream
    }

    fn command(&mut self, command: &AstCommand, input: Stream) -> Stream {
        match self.budget {
            0 => return Stream::Unknown,
            1 => {
                self.budget = 0;
                let span = self.frame.unwrap_or(Span::new(0, self.text_len));
                let why = format!("more than {MAX_COMMANDS} commands to follow, counting loops and calls");
                self.emit(IntentKind::Unknown, Scope::Unbounded, None, span, Some(why));
                return Stream::Unknown;
            }
            _ => self.budget -= 1,
        }
        match command {
            AstCommand::Simple(simple) => self.simple(simple, input),
            AstCommand::Compound(compound, redirects) => {
                let mut input = input;
                let mut outputs: Vec<(Arg, Write, bool)> = Vec::new();
                for redirect in redirects.iter().flat_map(|redirects| redirects.0.iter()) {
                    match self.redirect(redirect, &Stream::Unknown) {
                        Some(stream) => input = stream,
                        None => {
                            if let Some((target, how)) = output_target(redirect) {
                                let stdout = takes_stdout(redirect);
                                outputs.extend(self.resolve(target).into_iter().map(|arg| (arg, how, stdout)));
                            }
                        }
                    }
                }
                let output = self.compound(compound, input);
                for (target, how, stdout) in &outputs {
                    self.write_target(target, stdout.then_some(&output), *how);
                }
                if outputs.iter().any(|(_, _, stdout)| *stdout) { Stream::Unknown } else { output }
            }
            AstCommand::Function(definition) => {
                let name = definition.fname.value.clone();
                if name == "guardrail" {
                    let span = self.frame.unwrap_or(Span::new(0, self.text_len));
                    self.gate_tamper(
                        &name,
                        span,
                        "defines a function in the gate's place, which answers for it".into(),
                    );
                }
                self.functions.insert(name.clone(), definition.body.clone());
                // Bash runs it for every command it cannot find.
                if name == "command_not_found_handle" {
                    self.call(&name, &definition.body.clone(), Span::new(0, self.text_len));
                }
                Stream::Unknown
            }
            AstCommand::ExtendedTest(test) => {
                self.extended_test(&test.expr);
                Stream::Unknown
            }
        }
    }

    /// Walks a compound command whose commands read `input` (the first of
    /// them, or a loop's condition), and returns what it writes: its
    /// output when one command decides it, else the worst mark of all.
    fn compound(&mut self, compound: &CompoundCommand, input: Stream) -> Stream {
        let fed = !matches!(input, Stream::Terminal);
        match compound {
            CompoundCommand::BraceGroup(group) => {
                if fed {
                    self.incoming = Some(input);
                }
                let output = self.list_output(&group.list);
                self.incoming = None;
                return output;
            }
            CompoundCommand::Subshell(subshell) => {
                let saved = (self.cwd.clone(), self.vars.clone());
                if fed {
                    self.incoming = Some(input);
                }
                let output = self.list_output(&subshell.list);
                self.incoming = None;
                (self.cwd, self.vars) = saved;
                return output;
            }
            CompoundCommand::ForClause(clause) => {
                let values: Option<Vec<Arg>> =
                    clause.values.as_ref().map(|words| words.iter().flat_map(|word| self.resolve(word)).collect());
                match values {
                    Some(values) if !values.is_empty() && values.len() <= MAX_LOOP_VALUES => {
                        for value in values {
                            let value =
                                Value { text: value.text, dynamic: value.dynamic, glob: value.glob, mark: value.mark };
                            self.vars.insert(clause.variable_name.clone(), value);
                            self.list(&clause.body.list);
                        }
                    }
                    _ => {
                        self.vars.remove(&clause.variable_name);
                        self.list(&clause.body.list);
                    }
                }
            }
            CompoundCommand::ArithmeticForClause(clause) => {
                let span = self.frame.unwrap_or(Span::new(0, self.text_len));
                for expression in [&clause.initializer, &clause.condition, &clause.updater].into_iter().flatten() {
                    words::arithmetic(self, &expression.value.clone(), span);
                }
                self.list(&clause.body.list)
            }
            CompoundCommand::CaseClause(clause) => {
                self.resolve(&clause.value);
                for case in &clause.cases {
                    if let Some(list) = &case.cmd {
                        self.list(list);
                    }
                }
            }
            CompoundCommand::IfClause(clause) => {
                self.list(&clause.condition);
                self.list(&clause.then);
                for branch in clause.elses.iter().flatten() {
                    if let Some(condition) = &branch.condition {
                        self.list(condition);
                    }
                    self.list(&branch.body);
                }
            }
            CompoundCommand::WhileClause(clause) | CompoundCommand::UntilClause(clause) => {
                // `while read line; do ...; done < file`: the condition reads the input.
                if fed {
                    self.incoming = Some(input);
                }
                self.list(&clause.0);
                self.incoming = None;
                return self.list_output(&clause.1.list);
            }
            CompoundCommand::Arithmetic(arithmetic) => {
                let span = self.frame.unwrap_or(Span::new(0, self.text_len));
                words::arithmetic(self, &arithmetic.expr.value.clone(), span);
            }
        }
        Stream::Unknown
    }

    fn extended_test(&mut self, expression: &ExtendedTestExpr) {
        match expression {
            ExtendedTestExpr::And(left, right) | ExtendedTestExpr::Or(left, right) => {
                self.extended_test(left);
                self.extended_test(right);
            }
            ExtendedTestExpr::Not(inner) | ExtendedTestExpr::Parenthesized(inner) => self.extended_test(inner),
            ExtendedTestExpr::UnaryTest(predicate, word) => {
                let span = self.span_of(word);
                let value = words::resolve_joined(self, &word.value, span);
                // `-v 'a[$(...)]'` evaluates the subscript.
                if matches!(predicate, ast::UnaryPredicate::ShellVariableIsSetAndAssigned) {
                    words::arithmetic(self, &value.text, span);
                }
            }
            ExtendedTestExpr::BinaryTest(predicate, left, right) => {
                let arithmetic = matches!(
                    predicate,
                    ast::BinaryPredicate::ArithmeticEqualTo
                        | ast::BinaryPredicate::ArithmeticNotEqualTo
                        | ast::BinaryPredicate::ArithmeticLessThan
                        | ast::BinaryPredicate::ArithmeticLessThanOrEqualTo
                        | ast::BinaryPredicate::ArithmeticGreaterThan
                        | ast::BinaryPredicate::ArithmeticGreaterThanOrEqualTo
                );
                for word in [left, right] {
                    // No word splitting inside [[ ]].
                    let span = self.span_of(word);
                    let value = words::resolve_joined(self, &word.value, span);
                    if arithmetic {
                        words::arithmetic(self, &value.text, span);
                    }
                }
            }
        }
    }

    /// The span of a word in the text being checked.
    fn span_of(&self, word: &ast::Word) -> Span {
        match &word.loc {
            Some(loc) => Span::new(self.byte(loc.start.index), self.byte(loc.end.index)),
            None => Span::new(0, self.text_len),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.offsets {
            Some(offsets) => offsets.get(char_index).copied().unwrap_or(self.text_len),
            None => char_index.min(self.text_len),
        }
    }

    fn resolve(&mut self, word: &ast::Word) -> Vec<Arg> {
        let span = self.span_of(word);
        words::resolve(self, &word.value, span)
    }

    fn simple(&mut self, command: &ast::SimpleCommand, input: Stream) -> Stream {
        let mut argv: Vec<Arg> = Vec::new();
        let mut assignments: Vec<(String, Value)> = Vec::new();
        let mut redirects: Vec<&IoRedirect> = Vec::new();
        let mut substitutions: HashMap<usize, Stream> = HashMap::new();
        let mut spans: Vec<Span> = Vec::new();
        let mut deferred: Vec<&CompoundList> = Vec::new();

        let items = command.prefix.iter().flat_map(|prefix| prefix.0.iter());
        let suffix = command.suffix.iter().flat_map(|suffix| suffix.0.iter());
        let name = command.word_or_name.iter().map(|word| (true, word));
        let mut ordered: Vec<(bool, Option<&ast::Word>, Option<&Item>)> = Vec::new();
        ordered.extend(items.map(|item| (false, None, Some(item))));
        ordered.extend(name.map(|(_, word)| (true, Some(word), None)));
        ordered.extend(suffix.map(|item| (false, None, Some(item))));

        for (_, word, item) in ordered {
            if let Some(word) = word {
                spans.push(self.span_of(word));
                argv.extend(self.resolve(word));
                continue;
            }
            match item.expect("an item when not the name") {
                Item::Word(word) => {
                    spans.push(self.span_of(word));
                    argv.extend(self.resolve(word));
                }
                Item::AssignmentWord(assignment, word) => {
                    spans.push(self.span_of(word));
                    let span = self.span_of(word);
                    let name = match &assignment.name {
                        ast::AssignmentName::VariableName(name) => name.clone(),
                        ast::AssignmentName::ArrayElementName(name, index) => {
                            // The subscript is expanded, and evaluated when the array is indexed.
                            words::resolve_joined(self, index, span);
                            words::arithmetic(self, index, span);
                            name.clone()
                        }
                    };
                    let mut value = match &assignment.value {
                        ast::AssignmentValue::Scalar(value) => {
                            let span = self.span_of(value);
                            words::resolve_joined(self, &value.value, span)
                        }
                        ast::AssignmentValue::Array(values) => {
                            let mut elements: Vec<Arg> = Vec::new();
                            for (_, value) in values {
                                elements.extend(self.resolve(value));
                            }
                            Value {
                                text: elements.iter().map(|arg| arg.text.as_str()).collect::<Vec<_>>().join(" "),
                                dynamic: elements.iter().any(|arg| arg.dynamic),
                                glob: elements.iter().any(|arg| arg.glob),
                                mark: elements.iter().fold(None, |worst, arg| Mark::worst(worst, arg.mark.clone())),
                            }
                        }
                    };
                    if assignment.append
                        && let Some(old) = self.variable(&name)
                    {
                        let separator =
                            if matches!(assignment.value, ast::AssignmentValue::Array(_)) { " " } else { "" };
                        value = Value {
                            text: format!("{}{separator}{}", old.text, value.text),
                            dynamic: old.dynamic || value.dynamic,
                            glob: old.glob || value.glob,
                            mark: Mark::worst(old.mark, value.mark),
                        };
                    }
                    let value = value.bounded();
                    // `AWS_SECRET_ACCESS_KEY=$b`: what the name holds is a secret,
                    // wherever the line spelled it.
                    if !value.dynamic && guardrail_core::secret::names_a_secret(&name) {
                        self.secret(&value.text, span);
                    }
                    if self.integers.contains(&name) {
                        words::arithmetic(self, &value.text.clone(), span);
                    }
                    // `VAR=x cmd` passes VAR to cmd's environment; the
                    // shell expands cmd's words with the old value.
                    if argv.is_empty() {
                        assignments.push((name, value));
                    } else {
                        argv.push(Arg::literal(format!("{name}={}", value.text), self.span_of(word)));
                    }
                }
                Item::IoRedirect(redirect) => redirects.push(redirect),
                Item::ProcessSubstitution(ast::ProcessSubstitutionKind::Write, subshell) => {
                    // `>(cmd)` reads what the command writes there: walked
                    // once the command's output is known.
                    deferred.push(&subshell.list);
                    argv.push(Arg::literal("/dev/fd/63", Span::new(0, 0)));
                }
                Item::ProcessSubstitution(kind, subshell) => {
                    let stream = self.process_substitution(kind, &subshell.list);
                    // `NAME=<(cmd)` and `--file=<(cmd)` are one word to bash.
                    match argv.last_mut().filter(|last| last.text.ends_with('=')) {
                        Some(last) => {
                            last.text.push_str("/dev/fd/63");
                            substitutions.insert(argv.len() - 1, stream);
                        }
                        None => {
                            substitutions.insert(argv.len(), stream);
                            argv.push(Arg::literal("/dev/fd/63", Span::new(0, 0)));
                        }
                    }
                }
            }
        }

        let span = match (spans.iter().map(|span| span.start).min(), spans.iter().map(|span| span.end).max()) {
            (Some(start), Some(end)) => Span::new(start, end),
            _ => Span::new(0, 0),
        };

        // Redirections: input replaces the pipe, output is written to.
        let mut input = input;
        let mut outputs: Vec<(Arg, Write, bool)> = Vec::new();
        let mut sockets: Vec<(i32, String)> = Vec::new();
        for redirect in &redirects {
            if let IoRedirect::File(
                _,
                IoFileRedirectKind::Write
                | IoFileRedirectKind::Append
                | IoFileRedirectKind::Clobber
                | IoFileRedirectKind::ReadAndWrite,
                IoFileRedirectTarget::ProcessSubstitution(ast::ProcessSubstitutionKind::Write, subshell),
            ) = redirect
            {
                deferred.push(&subshell.list);
                continue;
            }
            if let Some((fd, host)) = self.socket_of(redirect) {
                sockets.push((fd, host));
            }
            match self.redirect(redirect, &Stream::Unknown) {
                Some(stream) => input = stream,
                None => {
                    if let Some((target, how)) = output_target(redirect) {
                        let stdout = takes_stdout(redirect);
                        outputs.extend(self.resolve(target).into_iter().map(|arg| (arg, how, stdout)));
                    }
                }
            }
        }

        // A shell or interpreter whose input or output is a network
        // connection: whoever is at the other end runs commands.
        let program = argv.first().map(|arg| arg.text.rsplit('/').next().unwrap_or("").to_owned()).unwrap_or_default();
        if let Some((_, host)) = sockets.iter().find(|(fd, _)| (0..=2).contains(fd))
            && (crate::rules::is_shell(&program)
                || crate::catalogue::find(&program).is_some_and(|entry| entry.script.is_some()))
        {
            let note = format!("{program} with its input or output on a network connection to {host}: a remote shell");
            self.emit(
                IntentKind::CodeRemote,
                Scope::Unbounded,
                Some(Object::new("url", host.clone())),
                span,
                Some(note),
            );
        }
        // `exec 3<>/dev/tcp/host/port` keeps the connection open for the
        // rest of the line.
        if program == "exec" && argv.len() == 1 {
            self.sockets.extend(sockets.iter().cloned());
        }
        if argv.is_empty() {
            for (name, value) in assignments {
                self.assignment(&name, &value, span);
                self.vars.insert(name, value);
            }
            for (target, how, _) in &outputs {
                self.write_target(target, None, *how);
            }
            for list in deferred {
                self.list_with_input(list, Stream::Unknown);
            }
            return Stream::Unknown;
        }
        for (name, _) in &assignments {
            if crate::rules::gate::configures_gate(name) {
                self.gate_tamper(name, span, format!("sets {name}, which configures the gate, for the command"));
            }
        }
        for (name, value) in &assignments {
            if matches!(name.as_str(), "HISTFILE" | "HISTSIZE" | "HISTFILESIZE")
                || is_command_variable(name)
                || name.starts_with("BASH_FUNC_")
            {
                self.assignment(name, value, span);
            }
        }

        // `VAR=x cmd` sets VAR in cmd's environment only (and for builtins,
        // while they run: `HOME=/etc cd`).
        let saved: Vec<(String, Option<Value>)> =
            assignments.iter().map(|(name, _)| (name.clone(), self.vars.get(name).cloned())).collect();
        for (name, value) in &assignments {
            self.vars.insert(name.clone(), value.clone());
        }
        // Programs take their path's last component as their name.
        let output = self.run(&argv, input, span, &substitutions);
        for (name, old) in saved {
            match old {
                Some(old) => self.vars.insert(name, old),
                None => self.vars.remove(&name),
            };
        }
        // Standard output goes to its targets; another descriptor's (the
        // errors) writes what is not known, and leaves the output flowing.
        for (target, how, stdout) in &outputs {
            self.write_target(target, stdout.then_some(&output), *how);
        }
        // `>&3` onto a connection the line opened.
        for (fd, host) in &sockets {
            if *fd >= 1 {
                self.send(output.mark().as_ref(), host, &program, span);
            }
        }
        for list in deferred {
            self.list_with_input(list, output.clone());
        }
        if outputs.iter().any(|(_, _, stdout)| *stdout) { Stream::Unknown } else { output }
    }

    /// The variables, to be put back when a command's own environment ends.
    pub(crate) fn vars_snapshot(&self) -> HashMap<String, Value> {
        self.vars.clone()
    }

    pub(crate) fn restore_vars(&mut self, vars: HashMap<String, Value>) {
        self.vars = vars;
    }

    /// Switching history off is tampering with it; a prompt command, an
    /// exported function and the commands programs run from their
    /// environment (`GIT_SSH_COMMAND`, `EDITOR`, `PAGER`) are code.
    fn assignment(&mut self, name: &str, value: &Value, span: Span) {
        if is_command_variable(name) || name.starts_with("BASH_FUNC_") {
            // An exported function's value is `() { body; }`.
            let text = value.text.trim_start().strip_prefix("()").unwrap_or(&value.text).to_owned();
            let code = Arg {
                text,
                dynamic: value.dynamic,
                glob: false,
                span,
                raw: value.text.clone(),
                mark: value.mark.clone(),
            };
            if code.dynamic {
                self.run_code(Lang::Shell, &Stream::marked(code.mark), span, name);
            } else {
                self.nested(&code.text, span, true);
            }
            return;
        }
        let tampers = match name {
            "HISTFILE" => value.text.is_empty() || value.text == "/dev/null",
            "HISTSIZE" | "HISTFILESIZE" => value.text == "0",
            _ => false,
        };
        if tampers {
            self.emit(
                IntentKind::LogTamper,
                Scope::Session,
                Some(Object::new("variable", name)),
                span,
                Some("switches shell history off".to_owned()),
            );
        }
    }

    /// Sets a shell variable (`export NAME=value`).
    pub(crate) fn assign(&mut self, name: &str, value: Value, span: Span) {
        self.assignment(name, &value, span);
        self.vars.insert(name.to_owned(), value);
    }

    /// Forgets a variable: from here on it is only known at run time.
    pub(crate) fn unset(&mut self, name: &str) {
        self.vars.insert(name.to_owned(), Value::known(""));
    }

    /// Runs a resolved command: functions, then the rules.
    pub(crate) fn run(
        &mut self,
        argv: &[Arg],
        input: Stream,
        span: Span,
        substitutions: &HashMap<usize, Stream>,
    ) -> Stream {
        let Some(name) = argv.first() else {
            return Stream::Unknown;
        };
        if name.dynamic || name.glob {
            let note = if name.dynamic {
                format!("the command name comes from an expansion ({})", name.text)
            } else {
                format!("the command name is a pattern ({})", name.text)
            };
            self.emit(IntentKind::CodeDynamic, Scope::Unbounded, None, span, Some(note));
            return Stream::Unknown;
        }
        if let Some(body) = self.functions.get(&name.text).cloned() {
            self.call(&name.text, &body, span);
            return Stream::Unknown;
        }
        let program = name.text.rsplit('/').next().unwrap_or(&name.text).to_owned();
        let program = if program.is_empty() { name.text.clone() } else { program };
        // A script written earlier in the line and run by its path.
        if name.text.contains('/') {
            let place = self.place(name);
            if let Some(content) = self.content_of(&place.name) {
                self.run_code(Lang::Shell, &content, span, &name.text);
                return Stream::Unknown;
            }
        }
        let args = &argv[1..];
        let before = self.intent_count();
        let substitutions: HashMap<usize, Stream> = substitutions
            .iter()
            .filter(|(index, _)| **index > 0)
            .map(|(index, stream)| (index - 1, stream.clone()))
            .collect();
        let command = Command { program: &program, args, input, span, substitutions: &substitutions };
        crate::given::check(self, &command);
        let output = rules::check(self, &command);
        if self.intent_count() == before {
            self.emit(IntentKind::ProcessRun, Scope::Bounded, Some(Object::new("command", &program)), span, None);
        }
        output
    }

    fn call(&mut self, name: &str, body: &ast::FunctionBody, span: Span) {
        if self.calling.iter().any(|calling| calling == name) {
            if self.concurrent {
                self.emit(
                    IntentKind::SystemForkBomb,
                    Scope::Unbounded,
                    Some(Object::new("function", name)),
                    span,
                    Some("the function starts copies of itself that run side by side".to_owned()),
                );
            }
            return;
        }
        self.calling.push(name.to_owned());
        let saved = self.concurrent;
        self.concurrent = false;
        self.compound(&body.0, Stream::Terminal);
        self.concurrent = saved;
        self.calling.pop();
    }

    /// Applies a redirection. Returns the new standard input for input
    /// redirections; output redirections are handled by the caller.
    fn redirect(&mut self, redirect: &IoRedirect, _current: &Stream) -> Option<Stream> {
        match redirect {
            IoRedirect::HereDocument(_, here) => {
                if here.requires_expansion && (here.doc.value.contains("$(") || here.doc.value.contains('`')) {
                    // An unquoted here-document's substitutions run in the
                    // shell that reads it, whatever consumes the text.
                    let span = self.span_of(&here.doc);
                    let quoted = format!("\"{}\"", here.doc.value.replace('"', "\\\""));
                    let resolved = words::resolve_joined(self, &quoted, span);
                    return Some(Stream::Text(resolved.text));
                }
                Some(Stream::Text(here.doc.value.clone()))
            }
            IoRedirect::HereString(_, word) => {
                let span = self.span_of(word);
                let value = words::resolve_joined(self, &word.value, span);
                Some(if value.dynamic { Stream::Unknown } else { Stream::Text(value.text + "\n") })
            }
            IoRedirect::File(_, IoFileRedirectKind::Read, IoFileRedirectTarget::Filename(word)) => {
                let args = self.resolve(word);
                let arg = args.first()?;
                Some(self.read_file(arg))
            }
            // `<&3`: standard input from another descriptor, whose content
            // the line does not show.
            IoRedirect::File(
                fd,
                IoFileRedirectKind::DuplicateInput,
                IoFileRedirectTarget::Fd(_) | IoFileRedirectTarget::Duplicate(_),
            ) if fd.is_none_or(|fd| fd == 0) => Some(Stream::Unknown),
            IoRedirect::File(_, _, IoFileRedirectTarget::ProcessSubstitution(kind, subshell)) => {
                let stream = self.process_substitution(kind, &subshell.list);
                matches!(kind, ast::ProcessSubstitutionKind::Read).then_some(stream)
            }
            _ => None,
        }
    }

    /// The descriptor and host of a redirection onto the network:
    /// `>& /dev/tcp/h/p` (output and error), `3<>/dev/tcp/h/p`, or `>&3`
    /// onto a descriptor the line connected earlier.
    fn socket_of(&mut self, redirect: &IoRedirect) -> Option<(i32, String)> {
        match redirect {
            IoRedirect::OutputAndError(word, _) => {
                let target = self.resolve(word).into_iter().next()?;
                network_device(&target.text).map(|host| (1, host.to_owned()))
            }
            IoRedirect::File(fd, kind, IoFileRedirectTarget::Filename(word)) => {
                let target = self.resolve(word).into_iter().next()?;
                let host = network_device(&target.text)?.to_owned();
                let default = if matches!(kind, IoFileRedirectKind::Read) { 0 } else { 1 };
                Some((fd.unwrap_or(default), host))
            }
            IoRedirect::File(fd, IoFileRedirectKind::DuplicateOutput | IoFileRedirectKind::DuplicateInput, target) => {
                // `>& /dev/tcp/h/p` is output and error onto the file.
                if let IoFileRedirectTarget::Duplicate(word) = target
                    && let Some(target) = self.resolve(word).into_iter().next()
                    && let Some(host) = network_device(&target.text)
                {
                    return Some((fd.unwrap_or(1), host.to_owned()));
                }
                let number = match target {
                    IoFileRedirectTarget::Fd(number) => Some(*number),
                    IoFileRedirectTarget::Duplicate(word) => word.value.trim_end_matches('-').parse().ok(),
                    _ => None,
                }?;
                let host = self.sockets.get(&number)?.clone();
                Some((fd.unwrap_or(1), host))
            }
            _ => None,
        }
    }

    /// What reading a file gives: its content when the line wrote it, a
    /// secret when it holds credentials.
    pub(crate) fn read_file(&self, arg: &Arg) -> Stream {
        self.read_path(arg, false)
    }

    fn process_substitution(&mut self, kind: &ast::ProcessSubstitutionKind, list: &CompoundList) -> Stream {
        let saved = (self.cwd.clone(), self.vars.clone());
        let output = self.list_output(list);
        (self.cwd, self.vars) = saved;
        match kind {
            ast::ProcessSubstitutionKind::Read => output,
            ast::ProcessSubstitutionKind::Write => Stream::Unknown,
        }
    }

    /// Output redirected to a file: overwriting it, destroying a disk, or
    /// erasing a log; a script the line may run later; data sent to the
    /// network through `/dev/tcp`.
    fn write_target(&mut self, target: &Arg, output: Option<&Stream>, how: Write) {
        let content = output.cloned().unwrap_or(Stream::Unknown);
        if let Some(host) = network_device(&target.text) {
            self.send(content.mark().as_ref(), host, "a redirection to /dev/tcp", target.span);
            return;
        }
        self.write_path(target, &content, how, target.span, None);
    }

    /// Runs a command substitution's code and returns its output when the
    /// line spells it out (`$(echo ls)`), and the mark of what it prints
    /// (`$(cat ~/.ssh/id_rsa)` is secret).
    fn substitute_code(&mut self, code: &str, span: Span) -> Substituted {
        // The substitution runs, in a subshell: walk it for its effects.
        let output = self.code_output(code, span);
        Substituted { output: literal_output(code, self), mark: output.mark() }
    }

    /// Walks code in a subshell and returns what it writes on its output.
    pub(crate) fn code_output(&mut self, code: &str, span: Span) -> Stream {
        let Ok(program) = self.parse_lifting(code) else {
            self.nested(code, span, true);
            return Stream::Unknown;
        };
        if self.depth >= MAX_CODE_DEPTH {
            self.nested(code, span, true);
            return Stream::Unknown;
        }
        let saved_frame = self.frame;
        self.frame = self.frame.or(Some(span));
        self.depth += 1;
        let saved = (self.cwd.clone(), self.vars.clone());
        let mut mark = None;
        let mut last = Stream::Unknown;
        let lists = program.complete_commands.len();
        for list in &program.complete_commands {
            last = self.list_output(list);
            mark = Mark::worst(mark, last.mark());
        }
        (self.cwd, self.vars) = saved;
        self.depth -= 1;
        self.frame = saved_frame;
        if lists == 1 { last } else { Stream::marked(mark) }
    }
}

impl Resolver for Walker {
    fn variable(&self, name: &str) -> Option<Value> {
        // A nameref (`declare -n ref=target`) reads the variable it names.
        if let Some(Value { text: target, .. }) = self.vars.get(&format!("{NAMEREF}{name}"))
            && target != name
        {
            return self.variable(target);
        }
        if let Some(value) = self.vars.get(name) {
            return Some(value.clone());
        }
        let known = |text: &str| Some(Value::known(text));
        match name {
            "HOME" => known(self.layout.home.as_deref().unwrap_or("/home/~")),
            "TMPDIR" | "TMP" | "TEMP" => known("/tmp"),
            // Where the gate's places are, as the gate itself finds them:
            // `$GUARDRAIL_DATA_DIR/signing.key` is the key.
            "XDG_DATA_HOME" | "XDG_CONFIG_HOME" => {
                let below = if name == "XDG_DATA_HOME" { ".local/share" } else { ".config" };
                let home = self.layout.home.as_deref().unwrap_or("/home/~");
                known(&format!("{}/{below}", home.trim_end_matches('/')))
            }
            "GUARDRAIL_DATA_DIR" => {
                let running = self.protected.iter().find(|(_, what)| *what == crate::locations::GateFile::Data);
                match running {
                    Some((dir, _)) => known(dir),
                    None => {
                        known(&format!("{}/.local/share/guardrail", self.layout.home.as_deref().unwrap_or("/home/~")))
                    }
                }
            }
            "PWD" => match &self.cwd {
                Dir::Absolute(path) => known(path),
                Dir::Workspace(path) => known(if path.is_empty() { "." } else { path }),
            },
            _ => None,
        }
    }

    fn home(&self) -> Option<String> {
        self.layout.home.clone()
    }

    fn substitute(&mut self, code: &str, span: Span) -> Substituted {
        self.substitute_code(code, span)
    }

    fn lifted(&self, index: usize) -> Option<String> {
        self.lifted.get(index).cloned()
    }

    fn unreadable(&mut self, raw: &str, span: Span) {
        let why = if raw.contains('{') {
            "a word bash's grammar here cannot read, or whose braces expand to too many words"
        } else {
            "a word bash's grammar here cannot read"
        };
        self.emit(IntentKind::Unknown, Scope::Unbounded, None, span, Some(why.to_owned()));
    }
}

/// The output of code that only prints literal text (`echo ls`,
/// `printf '%s' x`), without running it again.
fn literal_output(code: &str, walker: &mut Walker) -> Option<String> {
    let program = parse(code).ok()?;
    let [list] = program.complete_commands.as_slice() else {
        return None;
    };
    let [ast::CompoundListItem(and_or, _)] = list.0.as_slice() else {
        return None;
    };
    let [AstCommand::Simple(simple)] = and_or.first.seq.as_slice() else {
        return None;
    };
    if !and_or.additional.is_empty() || simple.prefix.is_some() {
        return None;
    }
    let mut argv = Vec::new();
    for word in simple.word_or_name.iter().chain(simple.suffix.iter().flat_map(|suffix| {
        suffix.0.iter().filter_map(|item| match item {
            Item::Word(word) => Some(word),
            _ => None,
        })
    })) {
        // Words without substitutions only: they are not walked twice.
        if word.value.contains("$(") || word.value.contains('`') {
            return None;
        }
        argv.extend(words::resolve(walker, &word.value, Span::new(0, 0)));
    }
    match rules::output_of(walker, argv.first()?.text.as_str(), &argv[1..], Stream::Unknown) {
        Stream::Text(text) => Some(text),
        _ => None,
    }
}

/// The file an output redirection writes to, and how.
fn output_target(redirect: &IoRedirect) -> Option<(&ast::Word, Write)> {
    match redirect {
        IoRedirect::File(_, IoFileRedirectKind::Append, IoFileRedirectTarget::Filename(word)) => {
            Some((word, Write::Append))
        }
        IoRedirect::File(
            _,
            IoFileRedirectKind::Write | IoFileRedirectKind::Clobber | IoFileRedirectKind::ReadAndWrite,
            IoFileRedirectTarget::Filename(word),
        ) => Some((word, Write::Replace)),
        IoRedirect::OutputAndError(word, append) => Some((word, if *append { Write::Append } else { Write::Replace })),
        _ => None,
    }
}

/// Whether a redirection takes the command's standard output (`>`, `1>`,
/// `&>`), rather than another descriptor (`2>/dev/null`), which leaves the
/// output where it was going.
fn takes_stdout(redirect: &IoRedirect) -> bool {
    match redirect {
        IoRedirect::File(fd, ..) => fd.is_none_or(|fd| fd == 1),
        IoRedirect::OutputAndError(..) => true,
        _ => false,
    }
}

/// The prefix under which namerefs are kept among the variables.
pub(crate) const NAMEREF: &str = "\u{0}nameref:";

/// Environment variables whose value a shell or a program runs as a
/// command.
pub(crate) fn is_command_variable(name: &str) -> bool {
    matches!(
        name,
        "PROMPT_COMMAND"
            | "PS0"
            | "GIT_SSH_COMMAND"
            | "GIT_SSH"
            | "GIT_EDITOR"
            | "GIT_SEQUENCE_EDITOR"
            | "GIT_PAGER"
            | "GIT_ASKPASS"
            | "GIT_EXTERNAL_DIFF"
            | "SSH_ASKPASS"
            | "SUDO_ASKPASS"
            | "EDITOR"
            | "VISUAL"
            | "PAGER"
            | "MANPAGER"
            | "SYSTEMD_PAGER"
            | "LESSOPEN"
            | "LESSCLOSE"
            | "BROWSER"
            | "KUBE_EDITOR"
    )
}

/// The host of a bash network redirection (`/dev/tcp/HOST/PORT`).
pub(crate) fn network_device(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/dev/tcp/").or_else(|| path.strip_prefix("/dev/udp/"))?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// The deepest nesting of brackets in a text, quotes ignored.
/// Parses code with bash's grammar, unless it has a shape the parser
/// cannot be trusted with; the error says why.
fn parse(code: &str) -> Result<ast::Program, String> {
    match parse_once(code) {
        Err(why) if why.contains("unterminated here document") => match requote_heredoc_ends(code) {
            Some(repaired) => parse_once(&repaired).map_err(|_| why),
            None => Err(why),
        },
        parsed => parsed,
    }
}

/// brush-parser's tokenizer, reading a here-document inside `$(...)` in a
/// word, hands the substitution's code on with the closing delimiter
/// quoted as the opening one was (`'EOF'` for `<<'EOF'`), so the code no
/// longer parses. Commit messages written as `"$(cat <<'EOF' ... EOF)"`
/// are this shape. Returns the code with such lines unquoted, when it has
/// any.
fn requote_heredoc_ends(code: &str) -> Option<String> {
    let mut tags: Vec<String> = Vec::new();
    for (index, _) in code.match_indices("<<") {
        let rest = code[index + 2..].trim_start_matches('-').trim_start();
        for quote in ['\'', '"'] {
            if let Some(rest) = rest.strip_prefix(quote)
                && let Some(end) = rest.find(quote)
            {
                tags.push(format!("{quote}{}{quote}", &rest[..end]));
            }
        }
    }
    let mut changed = false;
    let lines: Vec<String> = code
        .split('\n')
        .map(|line| match tags.iter().find(|tag| line.trim_start_matches('\t') == tag.as_str()) {
            Some(tag) => {
                changed = true;
                line.replace(tag.as_str(), &tag[1..tag.len() - 1])
            }
            None => line.to_owned(),
        })
        .collect();
    changed.then(|| lines.join("\n"))
}

fn parse_once(code: &str) -> Result<ast::Program, String> {
    if bracket_depth(code) > MAX_BRACKET_DEPTH {
        return Err("brackets nested too deeply".to_owned());
    }
    if heredoc_tag_it_loops_on(code) {
        return Err("a here-document delimiter bash's tokenizer cannot read".to_owned());
    }
    // brush-parser has panics of its own on some malformed text (an unwrap
    // in its tokenizer, found by the fuzz target): text it cannot read.
    std::panic::catch_unwind(|| {
        let options = words::parser_options();
        let tokens = brush_parser::uncached_tokenize_str(code, &options.tokenizer_options())
            .map_err(|error| format!("bash could not parse this: {}", unquoted(&error.to_string())))?;
        if let Some(why) = refuse_before_parsing(&tokens) {
            return Err(why.to_owned());
        }
        brush_parser::parse_tokens(&tokens, &options, &SourceInfo::default())
            .map_err(|error| format!("bash could not parse this: {}", unquoted(&error.to_string())))
    })
    .unwrap_or_else(|_| Err("bash's parser failed on this text".to_owned()))
}

/// A parser's message without the text it quotes (``near token `x' ``
/// becomes `near token …`): the text may be a secret, and the message is
/// shown.
fn unquoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('`') {
        out.push_str(&rest[..open]);
        match rest[open + 1..].find('\'') {
            Some(close) => {
                out.push('…');
                rest = &rest[open + 1 + close + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a here-document operator is followed by a carriage return or a
/// form feed (`<< \r `): brush-parser's tokenizer then allocates without
/// end (gigabytes in seconds; found by the fuzz target). Read on the raw
/// text, so such bytes after `<<` anywhere, even quoted, are refused.
fn heredoc_tag_it_loops_on(code: &str) -> bool {
    code.match_indices("<<").any(|(index, _)| {
        let rest = code[index + 2..].trim_start_matches('-').trim_start_matches([' ', '\t']);
        rest.starts_with(['\r', '\u{c}'])
    })
}

/// Why brush-parser cannot be trusted with `code`, seen in its tokens:
/// - parentheses (subshells, arithmetic commands; not `$(...)` or quoted
///   text) nested deeper than [`MAX_PAREN_DEPTH`]. At each `(` its grammar
///   tries an arithmetic command `((...))` before a subshell, so unclosed
///   runs (`(((x)(((x)...`) cost time that doubles with each level: 24
///   took seconds;
/// - parentheses nested deeper than [`MAX_WORD_PAREN_DEPTH`], or square
///   brackets deeper than [`MAX_WORD_BRACKET_DEPTH`], inside one word: its
///   word grammar backtracks on array subscripts nested in array subscripts
///   (seven `${a[` deep took more than a minute) and on unclosed parentheses
///   in them (`"${a[((((...]}"`, 24 took 44 s). Both found by the fuzz
///   target; at the limits a word costs at most tens of milliseconds;
/// - a file descriptor number too big for it (`99999999999>x`), which it
///   unwraps and panics on (`parse` catches its panics too; this one is
///   refused with a clearer reason).
fn refuse_before_parsing(tokens: &[Token]) -> Option<&'static str> {
    let mut depth: usize = 0;
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Operator(operator, _) if operator == "(" => {
                depth += 1;
                if depth > MAX_PAREN_DEPTH {
                    return Some("brackets nested too deeply");
                }
            }
            Token::Operator(operator, _) if operator == ")" => depth = depth.saturating_sub(1),
            Token::Word(word, _)
                if matches!(word_nesting(word), (parens, brackets)
                    if parens > MAX_WORD_PAREN_DEPTH || brackets > MAX_WORD_BRACKET_DEPTH) =>
            {
                return Some("brackets nested too deeply");
            }
            Token::Word(word, _)
                if word.len() > 9
                    && word.bytes().all(|byte| byte.is_ascii_digit())
                    && matches!(tokens.get(index + 1), Some(Token::Operator(next, _)) if next.starts_with(['<', '>'])) =>
            {
                return Some("a file descriptor number out of range");
            }
            _ => {}
        }
    }
    None
}

/// The deepest nesting of `(` and of `[` in a word, outside single quotes
/// and escapes.
fn word_nesting(word: &str) -> (usize, usize) {
    let (mut parens, mut brackets) = (0usize, 0usize);
    let (mut deepest_parens, mut deepest_brackets) = (0, 0);
    let mut bytes = word.bytes();
    let mut double_quoted = false;
    while let Some(byte) = bytes.next() {
        match byte {
            b'\\' => {
                bytes.next();
            }
            b'"' => double_quoted = !double_quoted,
            b'\'' if !double_quoted => {
                for byte in bytes.by_ref() {
                    if byte == b'\'' {
                        break;
                    }
                }
            }
            b'(' => {
                parens += 1;
                deepest_parens = deepest_parens.max(parens);
            }
            b')' => parens = parens.saturating_sub(1),
            b'[' => {
                brackets += 1;
                deepest_brackets = deepest_brackets.max(brackets);
            }
            b']' => brackets = brackets.saturating_sub(1),
            _ => {}
        }
    }
    (deepest_parens, deepest_brackets)
}

fn bracket_depth(text: &str) -> usize {
    let mut depth: usize = 0;
    let mut deepest = 0;
    for byte in text.bytes() {
        match byte {
            b'(' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}
