//! What interpreter code does, language by language: each language's
//! module walks its tree-sitter syntax tree, evaluates what it can
//! (string literals and their concatenations, imports and their aliases,
//! variables assigned literal values, objects such as `pathlib.Path(x)`)
//! and hands every call, by its qualified name, to [`Ctx::call`], which
//! looks the name up in the language's table of effects and hands the
//! effect to the shell analyzer's effect model. A call whose name or code
//! is computed (`getattr(os, 'sys' + 'tem')`, `eval(x)`) is `code.dynamic`.

use std::collections::HashMap;

use guardrail_core::{IntentKind, Object, Scope, Span};
use tree_sitter::Node;

use crate::effects::{Lang, Write};
use crate::flow::{Mark, Stream};
use crate::walk::Walker;
use crate::words::Arg;

/// A value the code computes, as far as the analyzer can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    Str(String),
    List(Vec<Val>),
    /// A module, class or function, by qualified name (`os.path`).
    Name(String),
    /// An object made by a constructor the table knows: its class's
    /// qualified name and the constructor's arguments (`pathlib.Path('/x')`,
    /// an open file).
    Object(String, Vec<Val>),
    /// The whole environment (`os.environ`, `process.env`, `%ENV`).
    Env,
    /// Data read from credentials.
    Secret(String),
    Unknown,
}

impl Val {
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Val::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The secret this value carries, if it is or holds one.
    pub(crate) fn secret(&self) -> Option<String> {
        match self {
            Val::Secret(what) => Some(what.clone()),
            Val::Env => Some("the environment".to_owned()),
            Val::List(items) | Val::Object(_, items) => items.iter().find_map(Val::secret),
            _ => None,
        }
    }

    /// Joins two values as string concatenation does.
    pub(crate) fn concat(self, other: Val) -> Val {
        match (self, other) {
            (Val::Str(a), Val::Str(b)) => Val::Str(a + &b),
            (a, b) => match a.secret().or_else(|| b.secret()) {
                Some(secret) => Val::Secret(secret),
                None => Val::Unknown,
            },
        }
    }
}

/// What a call does with its arguments (by position, counting the
/// receiver of a method on a known object as the first).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Does {
    /// Runs argument N with a shell when it is a string, as an argument
    /// vector when it is a list.
    Shell(usize),
    /// Runs the program named by argument N with the rest (or the list at
    /// N + 1) as its arguments.
    Exec(usize),
    /// Deletes the file at argument N.
    Delete(usize),
    /// Deletes the tree at argument N.
    DeleteTree(usize),
    /// Deletes the file at argument N, or the tree with a `recursive`
    /// option.
    DeleteMaybeTree(usize),
    /// Writes the file at argument N.
    Write(usize),
    /// Opens the file at argument N, writing it when argument N + 1 (a
    /// mode) says so; returns the open file.
    Open(usize),
    /// Moves argument N to argument N + 1.
    Move(usize),
    /// Copies onto argument N.
    CopyTo(usize),
    /// Changes the mode or owner of argument N.
    Chmod(usize),
    /// Reads the file at argument N: secret when it holds credentials.
    Read(usize),
    /// Connects or sends to the network; argument N names where.
    Network(usize),
    /// An HTTP DELETE of the URL at argument N.
    HttpDelete(usize),
    /// Evaluates argument N as code in the same language.
    Eval(usize),
    /// Imports the module named by argument N and returns it.
    Import(usize),
    /// Sends a signal to the process at argument N (-1: every process).
    Kill(usize),
    /// Forks the process.
    Fork,
    /// Makes an object of this class with these arguments.
    New,
    /// Returns the whole environment.
    Environment,
    /// Expands a home-relative path (`os.path.expanduser`).
    ExpandUser(usize),
    /// Joins path parts.
    JoinPath,
    /// Returns the home directory.
    Home,
    /// Lists or walks the directory (or matches the pattern) at argument
    /// N: the paths it yields lie below it.
    List(usize),
}

/// The state of one analysis of interpreter code.
pub(crate) struct Ctx<'w> {
    pub walker: &'w mut Walker,
    pub span: Span,
    pub lang: Lang,
    pub source: &'w str,
    /// Names bound by imports and assignments.
    pub env: HashMap<String, Val>,
    table: &'static [(&'static str, Does)],
    /// The first secret the code reads, and where it sends data.
    secret: Option<String>,
    network: Option<String>,
    /// Loops the walk is inside (a fork in a loop is a fork bomb).
    pub loops: usize,
    /// A shell started with no command: it reads commands from whatever
    /// its input is wired to.
    interactive_shell: bool,
    /// Code evaluated from strings inside the code, bounded.
    depth: usize,
    /// Directories and patterns the code lists or walks: a path it computes
    /// lies below one of them.
    walked: Vec<String>,
}

impl<'w> Ctx<'w> {
    pub(crate) fn new(
        walker: &'w mut Walker,
        lang: Lang,
        source: &'w str,
        span: Span,
        table: &'static [(&'static str, Does)],
    ) -> Ctx<'w> {
        Ctx {
            walker,
            span,
            lang,
            source,
            env: HashMap::new(),
            table,
            secret: None,
            network: None,
            loops: 0,
            interactive_shell: false,
            depth: 0,
            walked: Vec::new(),
        }
    }

    /// `name += value` and the like: the text grows by what is added, or is
    /// no longer known.
    pub(crate) fn augment(&mut self, name: &str, operator: &str, value: Val) {
        let grown = if operator == "+=" { self.lookup(name).concat(value) } else { Val::Unknown };
        self.env.insert(name.to_owned(), grown);
    }

    pub(crate) fn text(&self, node: Node<'_>) -> &'w str {
        &self.source[node.byte_range()]
    }

    /// What a name is bound to (an alias, a module, a literal value).
    pub(crate) fn lookup(&self, name: &str) -> Val {
        self.env.get(name).cloned().unwrap_or_else(|| Val::Name(name.to_owned()))
    }

    /// Reports code that cannot be read from the text.
    pub(crate) fn dynamic(&mut self, why: String) {
        self.walker.emit(IntentKind::CodeDynamic, Scope::Unbounded, None, self.span, Some(why));
    }

    /// A call by qualified name. Returns what it yields.
    pub(crate) fn call(&mut self, name: &str, args: &[Val], kwargs: &[(String, Val)]) -> Val {
        self.credentials(name, args, kwargs);
        let Some(does) = self.table.iter().find(|(known, _)| *known == name).map(|(_, does)| *does) else {
            if let Some(value) = self.client_call(name, args) {
                return value;
            }
            // Unknown calls pass on what their arguments carry.
            return match args.iter().chain(kwargs.iter().map(|(_, value)| value)).find_map(Val::secret) {
                Some(secret) => Val::Secret(secret),
                None => Val::Unknown,
            };
        };
        let arg = |index: usize| args.get(index).cloned().unwrap_or(Val::Unknown);
        let kwarg = |key: &str| kwargs.iter().find(|(name, _)| name == key).map(|(_, value)| value.clone());
        let what = format!("{} {name}", self.lang.name());
        match does {
            Does::Shell(index) => {
                let shell = kwarg("shell").is_some_and(|value| {
                    value == Val::Name("True".to_owned()) || value == Val::Name("true".to_owned())
                });
                match arg(index) {
                    Val::Str(code) if shell || !matches!(name, n if n.starts_with("subprocess.")) => self.shell(&code),
                    Val::Str(code) => {
                        self.argv(code.split_whitespace().map(|word| Val::Str(word.to_owned())).collect())
                    }
                    Val::List(items) => self.argv(items),
                    other => self.unseen(&other, &what),
                }
            }
            Does::Exec(index) => {
                let mut argv: Vec<Val> = match args.get(index + 1) {
                    Some(Val::List(items)) => items.clone(),
                    _ => args.iter().skip(index + 1).cloned().collect(),
                };
                match arg(index) {
                    Val::Str(program) => {
                        // execvp('sh', ['sh', '-c', ...]): the list repeats the program.
                        if argv.first().and_then(Val::text) != Some(program.rsplit('/').next().unwrap_or(&program))
                            && argv.first().and_then(Val::text) != Some(&program)
                        {
                            argv.insert(0, Val::Str(program.clone()));
                        }
                        self.argv(argv);
                    }
                    other => self.unseen(&other, &what),
                }
            }
            Does::Delete(index) => {
                // One computed path after another in a loop (`for f in
                // os.walk(...)`, `.each { File.delete }`): a tree's worth.
                let repeated = self.loops > 0;
                self.path_effect(arg(index), |walker, path, span| {
                    let note = if repeated && (path.dynamic || path.glob) {
                        "deleted by interpreter code, one computed path after another in a loop"
                    } else {
                        "deleted by interpreter code"
                    };
                    walker.delete_path(path, repeated && (path.dynamic || path.glob), span, Some(note))
                })
            }
            Does::DeleteTree(index) => self.path_effect(arg(index), |walker, path, span| {
                walker.delete_path(path, true, span, Some("deleted by interpreter code"))
            }),
            Does::DeleteMaybeTree(index) => {
                let recursive = kwargs.iter().any(|(key, value)| {
                    key == "recursive" && matches!(value, Val::Name(name) if name == "true" || name == "True")
                }) || self.source.contains("recursive: true")
                    || self.source.contains("recursive:true");
                self.path_effect(arg(index), |walker, path, span| {
                    walker.delete_path(path, recursive, span, Some("deleted by interpreter code"))
                });
            }
            Does::Write(index) => self.write(arg(index)),
            Does::Open(index) => {
                let mode = args
                    .get(index + 1)
                    .cloned()
                    .or_else(|| kwarg("mode"))
                    .and_then(|mode| mode.text().map(str::to_owned))
                    .unwrap_or_default();
                if mode.contains(['w', 'a', 'x', '+', '>']) {
                    self.write(arg(index));
                    return Val::Object("file".to_owned(), vec![arg(index), Val::Str(mode)]);
                }
                return self.read(arg(index));
            }
            Does::Move(index) => {
                self.path_effect(arg(index), |walker, path, span| {
                    walker.delete_path(path, false, span, Some("moved away by interpreter code"))
                });
                self.write(arg(index + 1));
            }
            Does::CopyTo(index) => self.write(arg(index)),
            Does::Chmod(index) => {
                let mode = args.get(index + 1).and_then(|mode| mode.text()).map(str::to_owned);
                self.path_effect(arg(index), |walker, path, span| {
                    walker.permission_path(path, false, mode.as_deref(), span)
                });
            }
            Does::Read(index) => return self.read(arg(index)),
            Does::Network(index) => {
                let sink = match arg(index) {
                    Val::Str(text) => text,
                    Val::List(items) => items.iter().filter_map(Val::text).collect::<Vec<_>>().join(":"),
                    _ => name.to_owned(),
                };
                self.network.get_or_insert(sink.clone());
                if let Some(secret) = args.iter().chain(kwargs.iter().map(|(_, value)| value)).find_map(Val::secret) {
                    self.send(&secret, &sink);
                }
                return Val::Object("connection".to_owned(), vec![Val::Str(sink)]);
            }
            Does::HttpDelete(index) => {
                let url = arg(index).text().unwrap_or(name).to_owned();
                self.walker.emit(
                    IntentKind::InfraDestroy,
                    Scope::Bounded,
                    Some(Object::new("url", url)),
                    self.span,
                    Some(format!("{what} sends an HTTP DELETE")),
                );
            }
            Does::Eval(index) => match arg(index) {
                Val::Str(code) if self.depth < 4 => {
                    self.depth += 1;
                    let lang = self.lang;
                    let span = self.span;
                    super::analyze(self.walker, lang, &code, span);
                    self.depth -= 1;
                }
                other => self.unseen(&other, &what),
            },
            Does::Import(index) => {
                return match arg(index) {
                    Val::Str(module) => Val::Name(module.trim_start_matches("node:").to_owned()),
                    _ => {
                        self.dynamic(format!("{what} imports a module whose name is computed"));
                        Val::Unknown
                    }
                };
            }
            Does::Kill(index) => {
                if matches!(arg(index).text(), Some("-1" | "1")) || arg(index) == Val::Name("-1".to_owned()) {
                    self.walker.emit(
                        IntentKind::SystemKillAll,
                        Scope::Server,
                        Some(Object::new("system", "every process")),
                        self.span,
                        Some(format!("{what} signals every process")),
                    );
                }
            }
            Does::Fork => {
                if self.loops > 0 {
                    self.walker.emit(
                        IntentKind::SystemForkBomb,
                        Scope::Unbounded,
                        None,
                        self.span,
                        Some(format!("{what} forks in a loop")),
                    );
                }
            }
            Does::New => return Val::Object(name.to_owned(), args.to_vec()),
            Does::Environment => return Val::Env,
            Does::ExpandUser(index) => {
                return match arg(index) {
                    Val::Str(path) => Val::Str(self.expand_home(&path)),
                    other => other,
                };
            }
            Does::JoinPath => {
                let parts: Option<Vec<String>> = args.iter().map(|part| part.text().map(str::to_owned)).collect();
                return match parts {
                    Some(parts) => Val::Str(parts.iter().fold(String::new(), |joined, part| {
                        if part.starts_with('/') || joined.is_empty() {
                            part.clone()
                        } else {
                            format!("{}/{part}", joined.trim_end_matches('/'))
                        }
                    })),
                    None => Val::Unknown,
                };
            }
            Does::Home => return Val::Str(self.home()),
            Does::List(index) => {
                if let Val::Str(root) = arg(index) {
                    let root = self.expand_home(&root);
                    self.walked.push(root);
                }
            }
        }
        Val::Unknown
    }

    /// A call on a cloud, service or database client library: its method
    /// names are read with the verb lexicon (`bucket.objects.all().delete()`,
    /// `client.send(new DeleteBucketCommand(...))`), and SQL handed to a
    /// database driver (`cursor.execute('DROP TABLE users')`) goes to the SQL
    /// analyzer. Returns the object the call yields, so chains keep their
    /// name; `None` for calls on anything else.
    /// Passwords and tokens the code hands to a call, to be masked:
    /// `requests.get(url, auth=("user", "pw"))`, `basic_auth("user", "pw")`,
    /// `smtp.login("user", "pw")`, `connect(password="pw")`.
    pub(crate) fn credentials(&mut self, name: &str, args: &[Val], kwargs: &[(String, Val)]) {
        let method = name.rsplit(['.', ':']).next().unwrap_or(name);
        let mut secrets: Vec<&str> = Vec::new();
        fn pair(values: &[Val]) -> Option<&str> {
            match values {
                [.., Val::Str(_), Val::Str(secret)] => Some(secret.as_str()),
                _ => None,
            }
        }
        if matches!(
            method,
            "basic_auth" | "HTTPBasicAuth" | "HTTPDigestAuth" | "BasicAuth" | "DigestAuth" | "setBasicAuth" | "login"
        ) && let Some(secret) = pair(args)
        {
            secrets.push(secret);
        }
        for (key, value) in kwargs {
            match (key.as_str(), value) {
                ("auth" | "http_auth" | "basic_auth", Val::List(items)) => secrets.extend(pair(items)),
                (key, Val::Str(secret)) if guardrail_core::secret::names_a_secret(key) => secrets.push(secret),
                _ => {}
            }
        }
        for secret in secrets {
            self.walker.secret(secret, self.span);
        }
    }

    fn client_call(&mut self, name: &str, args: &[Val]) -> Option<Val> {
        let root = name.split(['.', '/']).find(|part| !part.is_empty() && *part != "@aws-sdk").unwrap_or(name);
        let root = if name.starts_with("@aws-sdk") || name.starts_with("aws-sdk") { "aws" } else { root };
        let root = root.split("::").next().unwrap_or(root);
        let database = DATABASE_CLIENTS.contains(&root);
        if !database && !SERVICE_CLIENTS.contains(&root) {
            return None;
        }
        let method = name.rsplit(['.', ':']).next().unwrap_or(name);
        let span = self.span;
        if database
            && matches!(
                method,
                "execute"
                    | "executescript"
                    | "executemany"
                    | "exec_driver_sql"
                    | "query"
                    | "exec"
                    | "raw"
                    | "run"
                    | "prepare"
            )
        {
            match args.iter().find_map(|arg| arg.text().map(str::to_owned)) {
                Some(sql) => crate::rules::database::sql(self.walker, &sql, span),
                None if !args.is_empty() => {
                    self.dynamic(format!("{} code runs SQL built at run time ({name})", self.lang.name()))
                }
                None => {}
            }
        } else {
            let kind = match crate::lexicon::classify(method, false) {
                Some(crate::lexicon::Verb::Destroy) => Some(IntentKind::InfraDestroy),
                Some(crate::lexicon::Verb::Disrupt) => Some(IntentKind::InfraDisrupt),
                _ => None,
            };
            if let Some(kind) = kind {
                let note = format!("{} code calls {method} on a {root} client", self.lang.name());
                self.walker.emit(kind, Scope::Unbounded, Some(Object::new("api", name)), span, Some(note));
            }
        }
        Some(Val::Object(name.to_owned(), Vec::new()))
    }

    /// The home directory the code would see.
    pub(crate) fn home(&self) -> String {
        use crate::words::Resolver;
        self.walker.variable("HOME").map(|value| value.text).unwrap_or_else(|| "/home/~".to_owned())
    }

    fn expand_home(&self, path: &str) -> String {
        match path.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{}{rest}", self.home()),
            _ => path.to_owned(),
        }
    }

    /// A shell command line.
    pub(crate) fn shell(&mut self, code: &str) {
        let span = self.span;
        let program = code.split_whitespace().next().unwrap_or("").rsplit('/').next().unwrap_or("");
        if crate::rules::is_shell(program) && !code.contains(" -c") {
            self.interactive_shell = true;
        }
        self.walker.nested(code, span, true);
    }

    /// A program run with an argument vector: the first word is the program.
    pub(crate) fn argv(&mut self, items: Vec<Val>) {
        let span = self.span;
        let argv: Vec<Arg> = items
            .iter()
            .map(|item| match item {
                Val::Str(text) => Arg::literal(text.clone(), span),
                other => Arg {
                    text: "<computed>".to_owned(),
                    dynamic: true,
                    glob: false,
                    span,
                    raw: "<computed>".to_owned(),
                    mark: other.secret().map(Mark::Secret),
                },
            })
            .collect();
        if argv.is_empty() {
            return;
        }
        let program = argv[0].text.rsplit('/').next().unwrap_or("");
        if crate::rules::is_shell(program)
            && !argv.iter().any(|arg| arg.text.starts_with('-') && arg.text.contains('c'))
        {
            self.interactive_shell = true;
        }
        self.walker.run(&argv, Stream::Terminal, span, &HashMap::new());
    }

    /// Code the text does not show, handed to something that runs it.
    fn unseen(&mut self, value: &Val, what: &str) {
        match value.secret() {
            Some(_) => self.dynamic(format!("{what} runs code built from secret data")),
            None => self.dynamic(format!("{what} runs code built at run time")),
        }
    }

    fn path_effect(&mut self, path: Val, effect: impl FnOnce(&mut Walker, &Arg, Span)) {
        let span = self.span;
        let arg = match path {
            Val::Str(text) => {
                let glob = text.contains(['*', '?', '[']);
                Arg { glob, ..Arg::literal(text, span) }
            }
            Val::Object(_, args) if args.first().and_then(Val::text).is_some() => {
                Arg::literal(args[0].text().unwrap_or_default().to_owned(), span)
            }
            // A path computed from a listing or a walk (`os.walk(root)`,
            // `Dir.glob(pattern)`) lies below what was walked.
            _ if !self.walked.is_empty() => {
                let walked = self.walked.last().cloned().unwrap_or_default();
                let text = if walked.contains(['*', '?', '[']) {
                    walked
                } else {
                    format!("{}/*", walked.trim_end_matches('/'))
                };
                Arg { glob: true, ..Arg::literal(text, span) }
            }
            _ => Arg {
                text: "<computed path>".to_owned(),
                dynamic: true,
                glob: false,
                span,
                raw: "<computed path>".to_owned(),
                mark: None,
            },
        };
        effect(self.walker, &arg, span);
    }

    fn write(&mut self, path: Val) {
        self.path_effect(path, |walker, path, span| {
            walker.write_path(path, &Stream::Unknown, Write::Replace, span, Some("written by interpreter code"))
        });
    }

    /// What reading a path gives: a secret when it holds credentials.
    pub(crate) fn read(&mut self, path: Val) -> Val {
        let Val::Str(text) = path else {
            return Val::Unknown;
        };
        let stream = self.walker.read_path(&Arg::literal(self.expand_home(&text), self.span), true);
        match stream.secret() {
            Some(what) => {
                self.secret.get_or_insert(what.to_owned());
                Val::Secret(what.to_owned())
            }
            None => Val::Object("file".to_owned(), vec![Val::Str(text)]),
        }
    }

    /// Notes that the code holds a secret (the environment read whole).
    pub(crate) fn holds(&mut self, what: &str) {
        self.secret.get_or_insert(what.to_owned());
    }

    fn send(&mut self, what: &str, sink: &str) {
        let mark = Mark::Secret(what.to_owned());
        let span = self.span;
        let program = format!("{} code", self.lang.name());
        self.walker.send(Some(&mark), sink, &program, span);
    }

    /// At the end: code that both reads a secret and talks to the network
    /// is judged to send it.
    pub(crate) fn finish(mut self) {
        if self.interactive_shell
            && let Some(sink) = &self.network
        {
            let note = format!("{} code starts a shell and connects to {sink}: a remote shell", self.lang.name());
            self.walker.emit(
                IntentKind::CodeRemote,
                Scope::Unbounded,
                Some(Object::new("url", sink.clone())),
                self.span,
                Some(note),
            );
        }
        if let (Some(secret), Some(sink)) = (self.secret.take(), self.network.take()) {
            self.send(&secret, &sink);
        }
    }
}

/// Client libraries of clouds and services, by the name their module,
/// package or namespace starts with.
const SERVICE_CLIENTS: &[&str] = &[
    "boto3",
    "botocore",
    "aws",
    "Aws",
    "google",
    "googleapiclient",
    "@google-cloud",
    "azure",
    "@azure",
    "Azure",
    "kubernetes",
    "@kubernetes",
    "Kubeclient",
    "openstack",
    "docker",
    "Docker",
    "redis",
    "ioredis",
    "Redis",
    "pymongo",
    "mongodb",
    "Mongo",
    "mongoose",
    "elasticsearch",
    "@elastic",
    "opensearchpy",
    "kafka",
    "kafkajs",
    "confluent_kafka",
    "pika",
    "amqplib",
    "stripe",
    "Stripe",
    "hvac",
    "github",
    "Octokit",
    "@octokit",
    "gitlab",
    "jenkins",
    "digitalocean",
    "hcloud",
    "oci",
    "firebase_admin",
    "firebase-admin",
    "paramiko",
    "fabric",
    "Fog",
    "pulumi",
    "@pulumi",
    "cloudflare",
    "vercel",
    "heroku3",
    "slack_sdk",
    "@slack",
    "twilio",
    "sendgrid",
    "minio",
    "Minio",
];

/// Database drivers, whose `execute` and `query` take SQL.
const DATABASE_CLIENTS: &[&str] = &[
    "sqlite3",
    "psycopg2",
    "psycopg",
    "pymysql",
    "MySQLdb",
    "mysql",
    "mysql2",
    "sqlalchemy",
    "asyncpg",
    "pg",
    "postgres",
    "better-sqlite3",
    "sqlite",
    "duckdb",
    "cx_Oracle",
    "oracledb",
    "pyodbc",
    "snowflake",
    "clickhouse_driver",
    "SQLite3",
    "PG",
    "Mysql2",
    "Sequel",
    "knex",
    "DBI",
];

/// Parses `code` with `language`, or `None` when the grammar cannot.
pub(crate) fn parse(language: tree_sitter::Language, code: &str) -> Option<tree_sitter::Tree> {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&language).ok()?;
    parser.parse(code, None)
}

/// The text of a string literal node: its content children joined, with
/// escapes decoded; `None` when it interpolates something.
pub(crate) fn string_literal(
    node: Node<'_>,
    source: &str,
    content_kinds: &[&str],
    interpolation_kinds: &[&str],
) -> Option<String> {
    let mut text = String::new();
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    if children.is_empty() {
        // A literal with no content children: strip its quotes.
        let raw = &source[node.byte_range()];
        let trimmed = raw.trim_matches(|c| c == '"' || c == '\'' || c == '`');
        return Some(trimmed.to_owned());
    }
    for child in children {
        let kind = child.kind();
        if interpolation_kinds.contains(&kind) {
            return None;
        }
        if content_kinds.contains(&kind) {
            text.push_str(&source[child.byte_range()]);
        } else if kind == "escape_sequence" {
            text.push_str(&decode_escape(&source[child.byte_range()]));
        }
    }
    Some(text)
}

/// Decodes one backslash escape of a string literal.
pub(crate) fn decode_escape(escape: &str) -> String {
    match escape {
        "\\n" => "\n".to_owned(),
        "\\t" => "\t".to_owned(),
        "\\r" => "\r".to_owned(),
        "\\0" => "\0".to_owned(),
        "\\\\" => "\\".to_owned(),
        "\\'" => "'".to_owned(),
        "\\\"" => "\"".to_owned(),
        other if other.starts_with("\\x") && other.len() == 4 => {
            u8::from_str_radix(&other[2..], 16).map(|byte| (byte as char).to_string()).unwrap_or_default()
        }
        other => other.trim_start_matches('\\').to_owned(),
    }
}

/// Walks every node below `node` depth-first, children in order.
pub(crate) fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}
