//! An agent's tool calls, read as the actions they take.
//!
//! Agents act through more tools than a shell: they write and edit files,
//! read them, search, fetch web pages, and call MCP servers' tools. Each
//! call is an action (`ActionKind::Tool`) whose text is JSON, `{"tool":
//! NAME, "input": {...}}`, and this analyzer says what it would do:
//!
//! - shell tools (`Bash`, `run_shell_command`) are shell commands;
//! - file writes and edits (`Write`, `Edit`, `MultiEdit`, `NotebookEdit`,
//!   Gemini's `write_file` and `replace`, `apply_patch`) are judged by path
//!   and scope like a shell write, and by content where the file runs
//!   later (a shell rc file, a git hook, an agent's settings);
//! - reads of credentials are `secret.read`, of the gate's key
//!   `gate.tamper`; other reads and searches have no effect;
//! - any other tool (an MCP server's `mcp__server__tool`) is judged by its
//!   arguments: SQL, shell commands and paths found in them go through the
//!   same analyzers, and a destroying verb in its name (`drop_table`,
//!   `delete_bucket`) is an undeclared change, as for a CLI nobody declared.
//!
//! What cannot be read (text that is not JSON, a known tool whose input is
//! not the shape it takes) is `unknown`.

use guardrail_core::{Analysis, Analyzer, Intent, IntentKind, Object, Scope, Span};
use guardrail_shell::{FileTool, ShellAnalyzer};
use serde_json::Value;

/// The tool-call analyzer.
#[derive(Clone, Debug, Default)]
pub struct ToolAnalyzer {
    shell: ShellAnalyzer,
}

impl ToolAnalyzer {
    /// Judges shell commands and files with `shell` (which knows the home
    /// directory and the gate's own places).
    pub fn new(shell: ShellAnalyzer) -> ToolAnalyzer {
        ToolAnalyzer { shell }
    }
}

/// The JSON text of a tool call, as the analyzer reads it.
pub fn call_text(tool: &str, input: &Value) -> String {
    serde_json::json!({ "tool": tool, "input": input }).to_string()
}

/// What a tool does, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Runs the shell command in this field.
    Shell(&'static str),
    Write,
    Edit,
    Patch,
    Read,
    /// Searches file contents under a path: a read of what it finds.
    Search,
    /// Fetches a URL.
    Fetch,
    /// Lists, web searches, plans: no effect.
    Inert,
    /// Judged by its arguments.
    Other,
}

fn kind(tool: &str) -> Kind {
    match tool.to_ascii_lowercase().as_str() {
        "bash" | "shell" | "run_shell_command" | "exec_command" | "terminal" | "run_terminal_cmd"
        | "execute_command" | "local_shell" => Kind::Shell("command"),
        "write" | "write_file" | "create_file" => Kind::Write,
        "edit" | "multiedit" | "notebookedit" | "replace" | "str_replace" | "edit_file" | "search_replace" => {
            Kind::Edit
        }
        "apply_patch" => Kind::Patch,
        "read" | "read_file" | "read_many_files" | "notebookread" | "view" | "open_file" => Kind::Read,
        "grep" | "search_file_content" | "codebase_search" | "grep_search" => Kind::Search,
        "webfetch" | "web_fetch" | "fetch" => Kind::Fetch,
        "glob" | "ls" | "list_directory" | "websearch" | "web_search" | "google_web_search" | "todowrite"
        | "todoread" | "task" | "exitplanmode" | "askuserquestion" | "save_memory" | "file_search" | "list_dir" => {
            Kind::Inert
        }
        _ => Kind::Other,
    }
}

/// Fields that name the file a tool acts on, in the order agents use them.
const PATH_FIELDS: &[&str] =
    &["file_path", "absolute_path", "notebook_path", "target_file", "path", "filename", "file"];

impl Analyzer for ToolAnalyzer {
    fn analyze(&self, action: &guardrail_core::Action) -> Analysis {
        self.analyze_in(&action.text, action.context.cwd.as_deref())
    }
}

impl ToolAnalyzer {
    /// Analyzes a tool call's JSON text, made in the working directory
    /// `cwd` when known.
    pub fn analyze_in(&self, text: &str, cwd: Option<&str>) -> Analysis {
        let mut out = Out { text, intents: Vec::new(), secrets: Vec::new() };
        let call: Value = match serde_json::from_str(text) {
            Ok(call) => call,
            Err(error) => return out.unknown(&format!("a tool call is JSON {{\"tool\", \"input\"}}: {error}")),
        };
        let (Some(tool), input) = (call["tool"].as_str(), &call["input"]) else {
            return out.unknown("a tool call names its tool (\"tool\") and gives its input (\"input\")");
        };
        match kind(tool) {
            Kind::Shell(field) => match &input[field] {
                Value::String(command) => out.adopt(command, self.shell.analyze_in(command, cwd)),
                // Codex runs an argument vector: `["bash", "-lc", "..."]`.
                Value::Array(words) if !words.is_empty() && words.iter().all(Value::is_string) => {
                    let line = words
                        .iter()
                        .filter_map(Value::as_str)
                        .map(guardrail_shell::quote)
                        .collect::<Vec<_>>()
                        .join(" ");
                    let analysis = self.shell.analyze_in(&line, cwd);
                    // Spans of the joined line do not stand in the JSON text.
                    out.adopt_whole(analysis);
                }
                _ => return out.unknown(&format!("{tool}'s \"{field}\" is not a command line or its words")),
            },
            Kind::Write => {
                let (Some(path), Some(content)) = (path_of(input), text_of(input, &["content", "new_source", "text"]))
                else {
                    return out.unknown(&format!("{tool} names no file, or no content, as text"));
                };
                out.adopt(path, self.shell.file_tool(FileTool::Write(content), path, cwd));
            }
            Kind::Edit => {
                let Some(path) = path_of(input) else {
                    return out.unknown(&format!("{tool} names no file as text"));
                };
                let added = added_text(input);
                out.adopt(path, self.shell.file_tool(FileTool::Edit(&added), path, cwd));
            }
            Kind::Patch => {
                let Some(patch) = text_of(input, &["patch", "input", "command"]) else {
                    return out.unknown(&format!("{tool} gives no patch as text"));
                };
                for (path, change) in patched_files(patch) {
                    let analysis = match &change {
                        Change::Write(content) => self.shell.file_tool(FileTool::Write(content), path, cwd),
                        Change::Edit(added) => self.shell.file_tool(FileTool::Edit(added), path, cwd),
                        Change::Delete => self.shell.file_tool(FileTool::Delete, path, cwd),
                    };
                    out.adopt(path, analysis);
                }
            }
            Kind::Read => {
                let mut paths: Vec<&str> = path_of(input).into_iter().collect();
                if let Some(list) = input["paths"].as_array() {
                    paths.extend(list.iter().filter_map(Value::as_str));
                }
                for path in paths {
                    out.adopt(path, self.shell.file_tool(FileTool::Read, path, cwd));
                }
            }
            // A content search returns what the files under its path hold.
            Kind::Search => {
                let path = text_of(input, &["path", "dir_path", "directory", "absolute_path"]).or(cwd);
                let glob = text_of(input, &["glob", "include", "file_pattern"]);
                if let Some(path) = path {
                    // `glob` narrows the files searched: `.env*` below the
                    // workspace reads its environment files.
                    let searched = match glob {
                        Some(glob) => format!("{}/{}", path.trim_end_matches('/'), glob.trim_start_matches("**/")),
                        None => path.to_owned(),
                    };
                    out.adopt(path, self.shell.file_tool(FileTool::Search, &searched, cwd));
                }
            }
            // A fetch sends its URL: a credential in it is sent with it.
            Kind::Fetch => {
                // Gemini's web_fetch takes its URLs in a prompt.
                if let Some(prompt) = text_of(input, &["prompt"]).filter(|_| text_of(input, &["url", "uri"]).is_none())
                {
                    out.secret_sent(tool, prompt);
                    for url in prompt
                        .split_whitespace()
                        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
                    {
                        self.request(None, url.trim_end_matches(['.', ',', ')', '"', '\'']), cwd, &mut out);
                    }
                }
                if let Some(url) = text_of(input, &["url", "uri"]) {
                    // A `file://` URL reads a local file.
                    match url.strip_prefix("file://") {
                        Some(path) => out.adopt(url, self.shell.file_tool(FileTool::Read, path, cwd)),
                        None => {
                            out.secret_sent(tool, url);
                            self.request(None, url, cwd, &mut out);
                        }
                    }
                }
            }
            Kind::Inert => {}
            Kind::Other => {
                // What the server says of its tool (MCP's annotations) can
                // only make the judgement stricter: a tool that declares it
                // destroys is an undeclared change when its arguments show
                // nothing more exact; `readOnlyHint` loosens nothing.
                let declared_destructive = call["annotations"]["destructiveHint"] == Value::Bool(true)
                    && call["annotations"]["readOnlyHint"] != Value::Bool(true);
                self.arguments(tool, input, cwd, declared_destructive, &mut out)
            }
        }
        out.finish()
    }
}

impl ToolAnalyzer {
    /// An HTTP request a tool makes, judged as `curl -X METHOD URL`.
    fn request(&self, method: Option<&str>, url: &str, cwd: Option<&str>, out: &mut Out<'_>) {
        let method = method.filter(|method| method.chars().all(|c| c.is_ascii_alphabetic())).unwrap_or("GET");
        let line = format!("curl -sS -X {} {}", method.to_ascii_uppercase(), guardrail_shell::quote(url));
        let analysis = self.shell.analyze_in(&line, cwd);
        out.adopt_whole(Analysis {
            intents: analysis.intents.into_iter().filter(|intent| intent.kind != IntentKind::ProcessRun).collect(),
            secrets: analysis.secrets,
        });
    }

    /// A tool no table describes (an MCP server's): judged by what its
    /// arguments hold and by the verb in its name.
    fn arguments(&self, tool: &str, input: &Value, cwd: Option<&str>, declared_destructive: bool, out: &mut Out<'_>) {
        // `mcp__postgres__query` is the tool `query` of the server `postgres`.
        let name = tool.rsplit("__").next().unwrap_or(tool);
        let verb = guardrail_shell::lexicon::classify(name, false);
        let destroys = matches!(verb, Some(guardrail_shell::lexicon::Verb::Destroy));
        let changes = destroys
            || matches!(verb, Some(guardrail_shell::lexicon::Verb::Disrupt))
            || ["write", "create", "edit", "update", "save", "append", "put", "upload", "move", "rename", "copy"]
                .iter()
                .any(|word| name.to_ascii_lowercase().contains(word));
        // Tools that list, find or describe files see their names, not
        // what they hold.
        let lower_name = name.to_ascii_lowercase();
        let names_only = ["search", "list", "find", "glob", "tree", "info", "stat", "exists", "allowed"]
            .iter()
            .any(|word| lower_name.contains(word))
            && !changes;
        let before = out.intents.len();
        let mut judged_a_path = false;
        let mut strings = Vec::new();
        collect_strings(None, input, &mut strings);
        let content = text_of(input, &["content", "text", "body", "data"]).unwrap_or("");
        for &(key, value) in &strings {
            let key = key.unwrap_or("").to_ascii_lowercase();
            if matches!(key.as_str(), "sql" | "query" | "statement" | "statements" | "sql_query")
                && looks_like_sql(value)
            {
                out.adopt(value, guardrail_sql::analyze(value));
            } else if matches!(key.as_str(), "command" | "cmd" | "script" | "shell" | "bash") {
                out.adopt(value, self.shell.analyze_in(value, cwd));
            } else if is_path_key(&key) && looks_like_path(value) && (destroys || !names_only) {
                judged_a_path = true;
                let tool = if destroys {
                    FileTool::Delete
                } else if changes {
                    FileTool::Write(content)
                } else {
                    FileTool::Read
                };
                out.adopt(value, self.shell.file_tool(tool, value, cwd));
            }
        }
        // A URL it requests: judged as the same request from the shell (a
        // DELETE, the metadata service's credentials).
        if let Some(url) = text_of(input, &["url", "uri", "endpoint", "href"]).filter(|url| url.contains("://")) {
            self.request(text_of(input, &["method", "http_method", "verb"]), url, cwd, out);
        }
        // A tool that publishes or sends (an issue, a message, a request)
        // sends the credentials its arguments carry.
        if SENDS.iter().any(|word| name.to_ascii_lowercase().contains(word)) {
            for &(_, value) in &strings {
                out.secret_sent(tool, value);
            }
        }
        // A destroying or disrupting verb in the name of a tool nobody
        // declared, whose arguments showed nothing more exact.
        let named = verb.is_some_and(|verb| verb != guardrail_shell::lexicon::Verb::Read);
        if (named || declared_destructive) && out.intents.len() == before && !judged_a_path {
            let mut intent = Intent::new(IntentKind::InfraUndeclared, Scope::Bounded, Span::new(0, out.text.len()))
                .with_object(Object::new("tool", tool));
            intent.note = Some(if named {
                format!("{tool}, a tool Guardrail has no declaration for, is named for what it destroys or stops")
            } else {
                format!(
                    "{tool} declares itself destructive (destructiveHint), and its arguments show nothing more exact"
                )
            });
            out.intents.push(intent);
        }
    }
}

/// Words in a tool's name that say it sends what it is given elsewhere.
const SENDS: &[&str] = &[
    "send", "post", "publish", "comment", "issue", "message", "mail", "notify", "upload", "share", "request", "fetch",
    "create", "push", "commit", "gist", "paste", "put",
];

/// What the analysis of a tool call gathers: intents and secrets in the
/// call's JSON text.
struct Out<'t> {
    text: &'t str,
    intents: Vec<Intent>,
    secrets: Vec<Span>,
}

impl Out<'_> {
    fn unknown(mut self, note: &str) -> Analysis {
        let whole = Span::new(0, self.text.len());
        self.intents.push(Intent::new(IntentKind::Unknown, Scope::Unbounded, whole).with_note(note));
        self.finish()
    }

    /// Takes the analysis of one string of the input: its spans, where the
    /// string stands verbatim in the JSON text, move there; else they cover
    /// the whole JSON string, and any secret in it hides all of it.
    fn adopt(&mut self, value: &str, analysis: Analysis) {
        let (span, verbatim) = locate(self.text, value);
        let map = |inner: Span| {
            if verbatim { Span::new(span.start + inner.start, span.start + inner.end) } else { span }
        };
        for mut intent in analysis.intents {
            intent.span = map(intent.span);
            self.intents.push(intent);
        }
        self.secrets.extend(analysis.secrets.into_iter().map(map));
    }

    /// Takes an analysis whose spans do not stand in the JSON text: each
    /// covers the whole call.
    fn adopt_whole(&mut self, analysis: Analysis) {
        let whole = Span::new(0, self.text.len());
        for mut intent in analysis.intents {
            intent.span = whole;
            self.intents.push(intent);
        }
        self.secrets.extend(analysis.secrets.into_iter().map(|_| whole));
    }

    /// `value`, which `tool` sends elsewhere: a credential in it is sent.
    fn secret_sent(&mut self, tool: &str, value: &str) {
        let mut found: Vec<Span> = guardrail_core::secret::detect(value)
            .into_iter()
            .filter(|span| !is_placeholder(&value[span.start.min(value.len())..span.end.min(value.len())]))
            .collect();
        // And values assigned to a secret's name (`SLACK_BOT_TOKEN=...`,
        // `password: ...`) in the text, placeholders aside.
        found.extend(named_secrets(value));
        let Some(first) = found.first() else { return };
        let (span, verbatim) = locate(self.text, value);
        let at = if verbatim { Span::new(span.start + first.start, span.start + first.end) } else { span };
        let mut intent =
            Intent::new(IntentKind::SecretExfiltration, Scope::Bounded, at).with_object(Object::new("tool", tool));
        intent.note = Some(format!("{tool} sends a credential it was given"));
        self.intents.push(intent);
        self.secrets.extend(
            found.iter().map(
                |inner| {
                    if verbatim { Span::new(span.start + inner.start, span.start + inner.end) } else { span }
                },
            ),
        );
    }

    fn finish(self) -> Analysis {
        Analysis { intents: self.intents, secrets: self.secrets }
    }
}

/// Where `value` stands in the JSON text: the span of its string's content,
/// and whether it stands there verbatim (no escapes); the whole text when
/// it cannot be found.
fn locate(text: &str, value: &str) -> (Span, bool) {
    let encoded = serde_json::to_string(value).expect("strings encode");
    match text.find(&encoded) {
        Some(at) => {
            let content = &encoded[1..encoded.len() - 1];
            (Span::new(at + 1, at + 1 + content.len()), content == value)
        }
        None => (Span::new(0, text.len()), false),
    }
}

fn path_of(input: &Value) -> Option<&str> {
    PATH_FIELDS.iter().find_map(|field| input[*field].as_str())
}

fn text_of<'v>(input: &'v Value, fields: &[&str]) -> Option<&'v str> {
    fields.iter().find_map(|field| input[*field].as_str())
}

/// The text an edit puts in: `new_string`, each of `edits`' new strings, a
/// notebook cell's `new_source`, or the edit tool's `new_str`/`file_text`.
fn added_text(input: &Value) -> String {
    let mut added: Vec<&str> = ["new_string", "new_source", "new_str", "file_text", "content", "code_edit"]
        .iter()
        .filter_map(|field| input[*field].as_str())
        .collect();
    if let Some(edits) = input["edits"].as_array() {
        added.extend(edits.iter().filter_map(|edit| edit["new_string"].as_str().or(edit["newText"].as_str())));
    }
    added.join("\n")
}

/// A file's change in a patch.
enum Change {
    Write(String),
    Edit(String),
    Delete,
}

/// The files an `apply_patch` patch adds, updates or deletes (`*** Add
/// File: PATH`, `*** Update File: PATH`, `*** Delete File: PATH`), with the
/// lines it adds.
fn patched_files(patch: &str) -> Vec<(&str, Change)> {
    let mut files: Vec<(&str, Change)> = Vec::new();
    for line in patch.lines() {
        if let Some(path) = line.strip_prefix("*** Add File: ") {
            files.push((path.trim(), Change::Write(String::new())));
        } else if let Some(path) = line.strip_prefix("*** Update File: ") {
            files.push((path.trim(), Change::Edit(String::new())));
        } else if let Some(path) = line.strip_prefix("*** Delete File: ") {
            files.push((path.trim(), Change::Delete));
        } else if let Some(path) = line.strip_prefix("*** Move to: ") {
            files.push((path.trim(), Change::Write(String::new())));
        } else if let Some(added) = line.strip_prefix('+')
            && let Some((_, Change::Write(content) | Change::Edit(content))) = files.last_mut()
        {
            content.push_str(added);
            content.push('\n');
        }
    }
    files
}

/// Every string in a JSON value, with the key it was under.
fn collect_strings<'v>(key: Option<&'v str>, value: &'v Value, out: &mut Vec<(Option<&'v str>, &'v str)>) {
    match value {
        Value::String(text) => out.push((key, text)),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(key, item, out)),
        Value::Object(fields) => fields.iter().for_each(|(key, value)| collect_strings(Some(key), value, out)),
        _ => {}
    }
}

/// Whether text begins as SQL does (a statement keyword), so that a
/// search tool's `query` of words is not read as SQL.
fn looks_like_sql(text: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "select",
        "insert",
        "update",
        "delete",
        "with",
        "create",
        "drop",
        "alter",
        "truncate",
        "grant",
        "revoke",
        "copy",
        "do",
        "call",
        "explain",
        "vacuum",
        "analyze",
        "set",
        "reset",
        "begin",
        "commit",
        "rollback",
        "merge",
        "comment",
        "refresh",
        "reindex",
        "cluster",
        "lock",
        "listen",
        "notify",
        "prepare",
        "execute",
        "deallocate",
        "discard",
        "show",
        "values",
        "table",
        "import",
        "security",
        "load",
    ];
    let first = text.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
    KEYWORDS.iter().any(|keyword| first.eq_ignore_ascii_case(keyword))
}

/// Whether a value stands for a secret rather than being one: `sk_test_...`,
/// `<token>`, `${TOKEN}`, `xxxx`, `changeme`.
fn is_placeholder(value: &str) -> bool {
    ["...", "…", "<", "${", "xxx", "XXX", "***", "changeme", "example", "your"].iter().any(|mark| value.contains(mark))
}

/// Values assigned to names that say they are secrets, one per line:
/// `NAME=value`, `NAME: value`, `"name": "value"`.
fn named_secrets(text: &str) -> Vec<Span> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if let Some(at) = trimmed.find(['=', ':']) {
            let name = trimmed[..at].trim().trim_matches(['"', '\'']).trim_start_matches("export ");
            let value = trimmed[at + 1..].trim().trim_matches(['"', '\'', ',']);
            let placeholder = is_placeholder(value);
            if !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && guardrail_core::secret::names_a_secret(name)
                && value.len() >= 8
                && !placeholder
                && !value.contains(' ')
                && let Some(start) = line.find(value)
            {
                found.push(Span::new(offset + start, offset + start + value.len()));
            }
        }
        offset += line.len();
    }
    found
}

/// Whether an argument's name says it holds a path: `path`, `db_path`,
/// `output_file`, `source`, `dir`...
fn is_path_key(key: &str) -> bool {
    matches!(key, "file" | "filename" | "target" | "destination" | "dest" | "source" | "src" | "directory" | "dir")
        || key.ends_with("path")
        || key.ends_with("_file")
        || key.ends_with("_dir")
        || key.ends_with("directory")
}

/// Whether text is a file path rather than a word or a URL.
fn looks_like_path(text: &str) -> bool {
    !text.is_empty() && !text.contains("://") && !text.contains('\n') && (text.contains('/') || text.starts_with('~'))
}

#[cfg(test)]
mod tests;
