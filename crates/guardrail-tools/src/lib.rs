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
                // What the gate was told an argument is (from the tool's
                // input schema, or configuration): read as that too, never
                // instead of what its name says.
                let readings: Vec<(String, Reading)> = call["readings"]
                    .as_object()
                    .map(|readings| {
                        readings
                            .iter()
                            .filter_map(|(name, kind)| Some((normalize_key(name), kind.as_str()?.parse().ok()?)))
                            .collect()
                    })
                    .unwrap_or_default();
                self.arguments(tool, input, cwd, declared_destructive, &readings, &mut out)
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
    ///
    /// Each string argument is read by what its name says it is (SQL, a
    /// shell command, code in a language, a path, a URL), wherever it is
    /// nested, including in JSON carried in a string and in base64 marked
    /// as such; argument vectors are commands of the program a sibling
    /// argument or the tool's name names; an HTTP method, an operation's
    /// name, a GraphQL mutation or a flag that widens a change (`force`,
    /// `all`, `*`) say what a generic tool does.
    fn arguments(
        &self,
        tool: &str,
        input: &Value,
        cwd: Option<&str>,
        declared_destructive: bool,
        readings: &[(String, Reading)],
        out: &mut Out<'_>,
    ) {
        // `mcp__postgres__query` is the tool `query` of the server `postgres`.
        let name = tool.rsplit("__").next().unwrap_or(tool);
        let words = name_words(tool);
        let name_parts = name_words(name);
        let mut verb = tool_verb(name, &name_parts);
        // Scaling to a number of replicas that is not zero stops nothing
        // (`kubectl_scale {"replicas": 4}`); a dry run changes nothing.
        let scaled_up = name_parts.iter().any(|part| part == "scale")
            && ["replicas", "count", "desired_count", "desiredCount"]
                .iter()
                .any(|field| input[*field].as_u64().is_some_and(|count| count > 0));
        let dry_run = ["dryRun", "dry_run", "dryrun", "plan_only", "whatif", "what_if"]
            .iter()
            .any(|field| input[*field] == Value::Bool(true));
        if scaled_up || dry_run {
            verb = None;
        }
        let destroys = matches!(verb, Some(guardrail_shell::lexicon::Verb::Destroy));
        // The words of the tool's own name (`create_or_update_file`,
        // `writeFile`), each matched by its start (`uploads`, `listing`).
        let named = |list: &[&str]| {
            name_parts
                .iter()
                .any(|part| list.iter().any(|word| part == word || word.len() >= 4 && part.starts_with(word)))
        };
        let changes = !dry_run
            && (destroys
                || matches!(verb, Some(guardrail_shell::lexicon::Verb::Disrupt))
                || named(&[
                    "write", "create", "edit", "update", "save", "append", "put", "upload", "move", "rename", "copy",
                    "push", "set", "patch", "add", "assign", "grant", "invite",
                ]));
        // Tools that list, find or describe files see their names, not
        // what they hold.
        let names_only =
            named(&["search", "list", "find", "glob", "tree", "info", "stat", "exists", "allowed"]) && !changes;
        let sql_tool = words.iter().any(|word| SQL_TOOLS.contains(&word.as_str()));
        // Paths in a call that names a remote place (a repository, a
        // bucket) are the remote's, not this machine's.
        let remote = input
            .as_object()
            .is_some_and(|fields| fields.keys().any(|key| REMOTE_KEYS.contains(&normalize_key(key).as_str())));
        // The directory a command runs in, when the call says.
        let given_cwd = ["cwd", "working_directory", "workdir", "working_dir", "dir"]
            .iter()
            .find_map(|key| input[*key].as_str())
            .filter(|dir| dir.starts_with('/') || dir.starts_with('~'));
        let before = out.intents.len();
        let mut judged_a_path = false;
        let mut arguments = Vec::new();
        gather(None, input, &Siblings::default(), 0, &mut arguments);
        let content = text_of(input, &["content", "text", "body", "data"]).unwrap_or("");
        for argument in &arguments {
            let key = argument.key.as_str();
            let value = argument.value.as_str();
            // A command split across arguments, or given to a configuration
            // tool's shell module (`{"module": "shell", "args": "..."}`,
            // Salt's `{"fun": "cmd.run", "arg": [...]}`), on a host when
            // the call names one.
            if argument.words.is_none()
                && let Some(line) = split_command(argument)
            {
                out.adopt_whole(self.shell.analyze_in(&on_host(&line, argument, &words), given_cwd.or(cwd)));
            }
            if argument.words.is_none()
                && let Some((_, reading)) = readings.iter().find(|(name, _)| name == key)
            {
                judged_a_path |=
                    self.read_as(*reading, tool, value, changes, destroys, content, given_cwd.or(cwd), out);
            }
            if let Some(values) = &argument.words {
                self.argument_vector(argument, values, &words, given_cwd, cwd, out);
                continue;
            }
            // SQL by its name (when it reads as SQL, or the tool speaks it),
            // or anything that reads as SQL in a database tool.
            let reads_as_sql = looks_like_sql(value);
            if is_sql_key(key) && (sql_tool || reads_as_sql) || sql_tool && reads_as_sql {
                out.adopt(value, sql_in_dialect(value, &words));
            } else if let Some(language) = code_language(key, argument, &words) {
                if language != Reading::Shell {
                    self.read_as(language, tool, value, changes, destroys, content, cwd, out);
                    continue;
                }
                // `role assignment create` to an Azure tool is `az role ...`.
                let line = match (cli_of(&words), value.split_whitespace().next()) {
                    (Some(cli), Some(first)) if first != cli && !is_program(first) => format!("{cli} {value}"),
                    _ => value.to_owned(),
                };
                let line = match given_cwd {
                    Some(dir) => format!("cd {} && {line}", guardrail_shell::quote(dir)),
                    None => line,
                };
                if line == value {
                    out.adopt(value, self.shell.analyze_in(value, cwd));
                } else {
                    out.adopt_whole(self.shell.analyze_in(&line, cwd));
                }
            } else if is_path_key(key)
                && remote
                && changes
                && !destroys
                && guardrail_shell::runs_later::runs_later(value).is_some()
            {
                // A remote repository's CI workflow or Makefile runs later,
                // there: judged by the commands written into it.
                let path = value.trim_start_matches('/');
                out.adopt(value, self.shell.file_tool(FileTool::Write(content), path, None));
            } else if is_path_key(key) && !remote && (destroys || !names_only || argument.sibling("op").is_some()) {
                // An operation beside the path says what is done to it
                // (`{"op": "write", "path": ..., "data": ...}`).
                let beside = ["op", "operation", "mode", "action"]
                    .iter()
                    .find_map(|field| argument.sibling(field))
                    .and_then(|op| {
                        operation_on_file(op, argument.sibling("content").or(argument.sibling("data")).unwrap_or(""))
                    });
                let file_tool = if let Some(file_tool) = beside {
                    file_tool
                } else if destroys {
                    FileTool::Delete
                } else if changes {
                    FileTool::Write(content)
                } else {
                    FileTool::Read
                };
                judged_a_path |= self.path(file_tool, value, given_cwd.or(cwd), looks_like_path, out);
            }
        }
        // A service's operation by name (`use_aws {"service_name": "iam",
        // "operation_name": "put-role-policy", "parameters": {...}}`): the
        // same operation through the service's CLI.
        if let Some(line) = service_operation(input, &words) {
            out.adopt_whole(self.shell.analyze_in(&line, cwd));
        }
        // A request it makes: judged as the same request from the shell (a
        // DELETE, the metadata service's credentials), its URL sent.
        let method = http_method(&arguments);
        let urls: Vec<&str> = arguments
            .iter()
            .filter(|argument| URL_KEYS.contains(&argument.key.as_str()) && argument.value.contains("://"))
            .map(|argument| argument.value.as_str())
            .collect();
        for url in &urls {
            // A `file://` URL is a file read here, not a request.
            if let Some(path) = url.strip_prefix("file://") {
                judged_a_path = true;
                out.adopt_whole(self.shell.file_tool(FileTool::Read, path, cwd));
                continue;
            }
            // A token in the path of the URL requested goes to the host
            // that issued it (a webhook, a bot API): its purpose. One in the
            // query or fragment is judged as sent.
            if let Some(at) = url.find(['?', '#']) {
                out.secret_sent(tool, &url[at..]);
            }
            self.request(method, url, cwd, out);
        }
        if urls.is_empty()
            && method.is_some_and(|method| method.eq_ignore_ascii_case("delete"))
            && let Some(path) =
                arguments.iter().find(|argument| argument.key == "path" && argument.value.starts_with('/'))
        {
            self.request(method, &format!("https://api.invalid{}", path.value), cwd, out);
        }
        // An operation named by an argument (an OpenAPI operation, a
        // GraphQL mutation, the last word of a URL it posts to) that
        // destroys or stops what it names.
        for operation in operations(&arguments, method) {
            if let Some(found) = service_verb(&operation)
                && found != guardrail_shell::lexicon::Verb::Read
            {
                let mut intent = Intent::new(IntentKind::InfraUndeclared, Scope::Bounded, Span::new(0, out.text.len()))
                    .with_object(Object::new("tool", tool));
                intent.note = Some(format!("{tool} is asked for {operation}, which destroys or stops what it names"));
                out.intents.push(intent);
            }
        }
        // What the arguments declare outright: access opened to everyone,
        // a state that destroys or stops, secrets asked for.
        // A list or a description of a credential store shows names only.
        let lists = named(&["describe", "list", "search", "count"]);
        let mut effects = declared_effects(input, &arguments, changes, lists);
        effects.extend(named_effects(&name_parts));
        for (kind, scope, note) in effects {
            let mut intent =
                Intent::new(kind, scope, Span::new(0, out.text.len())).with_object(Object::new("tool", tool));
            intent.note = Some(format!("{tool}: {note}"));
            out.intents.push(intent);
        }
        // A change told to force its way or to reach everything.
        if changes && let Some(flag) = widening(input, &arguments) {
            let mut intent = Intent::new(IntentKind::InfraUndeclared, Scope::Unbounded, Span::new(0, out.text.len()))
                .with_object(Object::new("tool", tool));
            intent.note = Some(format!("{tool} changes something with {flag}: forced, or everything at once"));
            out.intents.push(intent);
        }
        // A tool that publishes or sends (an issue, a message, a request)
        // sends the credentials its arguments carry.
        let sends = named(SENDS) || arguments.iter().any(|argument| DESTINATION_KEYS.contains(&argument.key.as_str()));
        if sends {
            // (A URL requested is judged above, by its query.)
            for argument in arguments
                .iter()
                .filter(|argument| !(URL_KEYS.contains(&argument.key.as_str()) && argument.value.contains("://")))
            {
                out.secret_sent(tool, &argument.value);
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

    /// An argument vector: the command of the program a sibling argument
    /// names (`{"command": "kubectl", "args": [...]}`), or the tool's name
    /// (`run_gcloud_command {"args": [...]}`), or its own first word
    /// (`{"argv": ["rm", "-rf", ...]}`).
    fn argument_vector(
        &self,
        argument: &Argument,
        values: &[String],
        words: &[String],
        given_cwd: Option<&str>,
        cwd: Option<&str>,
        out: &mut Out<'_>,
    ) {
        let sibling = ["command", "cmd", "program", "executable", "binary", "action", "tool", "cli"]
            .iter()
            .filter(|field| **field != argument.key)
            .find_map(|field| argument.sibling(field))
            .filter(|program| !program.is_empty() && !program.contains(char::is_whitespace));
        let cli = cli_of(words);
        // A command run in a container or pod (`pods_exec {"name": ...,
        // "command": [...]}`): `kubectl exec NAME -- ...`, judged as the
        // shell judges that.
        if let Some(cli) = cli.filter(|cli| matches!(*cli, "kubectl" | "docker" | "oc"))
            && words.iter().any(|word| word == "exec")
            && let Some(target) = ["pod", "pod_name", "container", "container_id", "name"]
                .iter()
                .find_map(|field| argument.sibling(field))
        {
            let mut line = vec![cli.to_owned(), "exec".to_owned(), guardrail_shell::quote(target)];
            if let Some(namespace) = argument.sibling("namespace").filter(|_| cli != "docker") {
                line.extend(["-n".to_owned(), guardrail_shell::quote(namespace)]);
            }
            if cli != "docker" {
                line.push("--".to_owned());
            }
            line.extend(values.iter().map(|word| guardrail_shell::quote(word)));
            out.adopt_whole(self.shell.analyze_in(&line.join(" "), cwd));
            return;
        }
        let program = match (sibling, cli) {
            (Some(program), Some(cli)) if program != cli && !is_program(program) => Some(format!("{cli} {program}")),
            (Some(program), _) => Some(program.to_owned()),
            (None, Some(cli)) if values.first().map(String::as_str) != Some(cli) => Some(cli.to_owned()),
            _ if matches!(argument.key.as_str(), "argv" | "command" | "cmd" | "command_line") => None,
            _ => return,
        };
        let mut line: Vec<String> = program.into_iter().collect();
        line.extend(values.iter().map(|word| guardrail_shell::quote(word)));
        let mut line = line.join(" ");
        if let Some(dir) = given_cwd {
            line = format!("cd {} && {line}", guardrail_shell::quote(dir));
        }
        out.adopt_whole(self.shell.analyze_in(&line, cwd));
    }
}

/// What an argument is, as the gate was told (by the tool's input schema,
/// or by configuration): `sql`, `shell`, `code` (in any language),
/// `python`, `javascript`, `ruby`, `path` (read or written as the tool's name
/// says), `read`, `write`, `url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    Sql,
    Shell,
    Code,
    Python,
    JavaScript,
    Ruby,
    Path,
    Read,
    Write,
    Url,
}

impl std::fmt::Display for Reading {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Reading::Sql => "sql",
            Reading::Shell => "shell",
            Reading::Code => "code",
            Reading::Python => "python",
            Reading::JavaScript => "javascript",
            Reading::Ruby => "ruby",
            Reading::Path => "path",
            Reading::Read => "read",
            Reading::Write => "write",
            Reading::Url => "url",
        })
    }
}

impl std::str::FromStr for Reading {
    type Err = String;

    fn from_str(text: &str) -> Result<Reading, String> {
        Ok(match text {
            "sql" => Reading::Sql,
            "shell" => Reading::Shell,
            "code" => Reading::Code,
            "python" => Reading::Python,
            "javascript" => Reading::JavaScript,
            "ruby" => Reading::Ruby,
            "path" => Reading::Path,
            "read" => Reading::Read,
            "write" => Reading::Write,
            "url" => Reading::Url,
            other => {
                return Err(format!(
                    "{other:?} is not a reading (sql, shell, code, python, javascript, ruby, path, read, write, url)"
                ));
            }
        })
    }
}

impl ToolAnalyzer {
    /// Judges `value` as `reading` says it is; whether it judged a path.
    #[allow(clippy::too_many_arguments)]
    fn read_as(
        &self,
        reading: Reading,
        tool: &str,
        value: &str,
        changes: bool,
        destroys: bool,
        content: &str,
        cwd: Option<&str>,
        out: &mut Out<'_>,
    ) -> bool {
        let interpreted = |interpreter: &str| format!("{interpreter} {}", guardrail_shell::quote(value));
        match reading {
            Reading::Sql => out.adopt(value, guardrail_sql::analyze(value)),
            Reading::Shell => out.adopt(value, self.shell.analyze_in(value, cwd)),
            Reading::Python => out.adopt_whole(self.shell.analyze_in(&interpreted("python3 -c"), cwd)),
            Reading::JavaScript => out.adopt_whole(self.shell.analyze_in(&interpreted("node -e"), cwd)),
            Reading::Ruby => out.adopt_whole(self.shell.analyze_in(&interpreted("ruby -e"), cwd)),
            Reading::Code => {
                for interpreter in ["python3 -c", "node -e", "ruby -e"] {
                    out.adopt_whole(self.shell.analyze_in(&interpreted(interpreter), cwd));
                }
            }
            Reading::Url => {
                out.secret_sent(tool, value);
                self.request(None, value, cwd, out);
            }
            Reading::Path | Reading::Read | Reading::Write => {
                let file_tool = match reading {
                    Reading::Read => FileTool::Read,
                    Reading::Write => FileTool::Write(content),
                    _ if destroys => FileTool::Delete,
                    _ if changes => FileTool::Write(content),
                    _ => FileTool::Read,
                };
                // Told it is a path, every reading of it counts.
                return self.path(file_tool, value, cwd, |_| true, out);
            }
        }
        false
    }
}

impl ToolAnalyzer {
    /// Judges what `file_tool` does to the path `value`, in every way a
    /// server may read it ([`path_readings`]) that `counts`; whether any did.
    fn path(
        &self,
        file_tool: FileTool<'_>,
        value: &str,
        cwd: Option<&str>,
        counts: impl Fn(&str) -> bool,
        out: &mut Out<'_>,
    ) -> bool {
        let mut judged = false;
        for path in path_readings(value).into_iter().filter(|path| counts(path)) {
            judged = true;
            let analysis = self.shell.file_tool(file_tool, &path, cwd);
            if path == value { out.adopt(value, analysis) } else { out.adopt_whole(analysis) }
        }
        judged
    }
}

/// What an argument's schema says it is, by its `format` and description
/// (`"description": "SQL query to run"`, `"format": "uri"`).
pub fn reading_of_schema(schema: &Value) -> Option<Reading> {
    if matches!(schema["format"].as_str(), Some("uri" | "url" | "iri")) {
        return Some(Reading::Url);
    }
    let description = schema["description"].as_str()?.to_ascii_lowercase();
    let words: Vec<&str> =
        description.split(|c: char| !c.is_ascii_alphanumeric()).filter(|word| !word.is_empty()).collect();
    let has = |word: &str| words.contains(&word);
    let phrase = |text: &str| description.contains(text);
    Some(if has("sql") || phrase("sql query") {
        Reading::Sql
    } else if phrase("shell command")
        || phrase("command line")
        || phrase("command to run")
        || phrase("command to execute")
        || has("bash")
    {
        Reading::Shell
    } else if phrase("python code") || phrase("python script") {
        Reading::Python
    } else if phrase("javascript") {
        Reading::JavaScript
    } else if phrase("file path") || phrase("path to") || phrase("path of") || phrase("directory") {
        Reading::Path
    } else if has("url") || has("uri") || has("endpoint") {
        Reading::Url
    } else {
        return None;
    })
}

/// What a tool's name says it does: its verb, at either end
/// (`delete_bucket`, `bucket_delete`) or between (`slack_archive_channel`)
/// unless it begins by reading (`get_deleted_items`).
fn tool_verb(name: &str, words: &[String]) -> Option<guardrail_shell::lexicon::Verb> {
    use guardrail_shell::lexicon::{Verb, classify};
    if let Some(verb) = classify(name, false) {
        return Some(verb);
    }
    if words.first().is_some_and(|word| classify(word, true) == Some(Verb::Read)) {
        return Some(Verb::Read);
    }
    words.iter().find_map(|word| service_verb(word).filter(|verb| *verb != Verb::Read))
}

/// A word's verb as a service's operation: the lexicon's, and `archive`,
/// a noun on command lines (`borg create repo::archive`) but a verb in a
/// service's operations (`slack_archive_channel`, `conversations.archive`).
fn service_verb(word: &str) -> Option<guardrail_shell::lexicon::Verb> {
    use guardrail_shell::lexicon::{Verb, classify};
    match word.to_ascii_lowercase().as_str() {
        "archive" | "unpublish" | "suspend" => Some(Verb::Disrupt),
        _ => classify(word, false),
    }
}

/// Words in a tool's or server's name that say it speaks SQL.
const SQL_TOOLS: &[&str] = &[
    "sql",
    "postgres",
    "postgresql",
    "psql",
    "pg",
    "mysql",
    "mariadb",
    "sqlite",
    "sqlite3",
    "database",
    "db",
    "supabase",
    "neon",
    "snowflake",
    "bigquery",
    "redshift",
    "clickhouse",
    "duckdb",
    "cockroachdb",
    "timescale",
];

/// Arguments that hold SQL (in a SQL tool, or when they read as SQL).
const SQL_KEYS: &[&str] =
    &["sql", "query", "statement", "statements", "sql_query", "query_string", "querystring", "stmt", "sql_statement"];

/// The program a tool's name says it drives (`mcp__k8s__kubectl_generic`:
/// kubectl; `mcp__azure__...`: az), whose command lines and argument
/// vectors it may take without the program's own name.
fn cli_of(words: &[String]) -> Option<&'static str> {
    const CLIS: &[(&str, &str)] = &[
        ("kubectl", "kubectl"),
        ("kubernetes", "kubectl"),
        ("k8s", "kubectl"),
        ("gcloud", "gcloud"),
        ("aws", "aws"),
        ("az", "az"),
        ("azure", "az"),
        ("gh", "gh"),
        ("git", "git"),
        ("docker", "docker"),
        ("helm", "helm"),
        ("terraform", "terraform"),
        ("tofu", "tofu"),
        ("pulumi", "pulumi"),
        ("heroku", "heroku"),
        ("flyctl", "flyctl"),
        ("vercel", "vercel"),
        ("doctl", "doctl"),
        ("oc", "oc"),
        ("gsutil", "gsutil"),
        ("bq", "bq"),
        ("firebase", "firebase"),
        ("wrangler", "wrangler"),
        ("redis", "redis-cli"),
        ("psql", "psql"),
        ("mysql", "mysql"),
    ];
    words.iter().find_map(|word| CLIS.iter().find(|(name, _)| name == word).map(|(_, program)| *program))
}

/// A cloud service's operation named by a call's arguments, as the line
/// of the service's CLI that makes it: `aws iam put-role-policy --role-name
/// ...`.
fn service_operation(input: &Value, words: &[String]) -> Option<String> {
    let cli = cli_of(words).filter(|cli| matches!(*cli, "aws" | "gcloud" | "az"))?;
    // The object naming the service, however deep (`{"input": {"service": ...}}`).
    let input = service_object(input, 0)?;
    let field = |names: &[&str]| names.iter().find_map(|name| input[*name].as_str());
    let service = field(&["service_name", "service", "serviceName"])?;
    let operation = field(&["operation_name", "operation", "operationName", "api_name", "action", "op", "method"])?;
    let plain =
        |word: &str| !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain(service) || !plain(operation) {
        return None;
    }
    // `DeleteItem` and `delete_item` as the CLI spells them: `delete-item`.
    let kebab = |word: &str| {
        let mut out = String::new();
        for (index, c) in word.chars().enumerate() {
            if c.is_ascii_uppercase() && index > 0 && !out.ends_with('-') {
                out.push('-');
            }
            out.push(if c == '_' { '-' } else { c.to_ascii_lowercase() });
        }
        out
    };
    let mut line = vec![cli.to_owned(), service.to_ascii_lowercase(), kebab(operation)];
    for parameters in ["parameters", "params", "arguments", "args", "input"] {
        if let Some(fields) = input[parameters].as_object() {
            for (name, value) in fields {
                line.push(format!("--{}", kebab(name)));
                line.push(match value {
                    Value::String(text) => guardrail_shell::quote(text),
                    other => guardrail_shell::quote(&other.to_string()),
                });
            }
        }
    }
    Some(line.join(" "))
}

/// A shell command line an argument completes or carries: `args` beside
/// a `cmd`, or the arguments of a shell module.
fn split_command(argument: &Argument) -> Option<String> {
    let module = argument.sibling("module").or(argument.sibling("fun"));
    let shell_module = module.is_some_and(|module| {
        matches!(
            module,
            "shell"
                | "command"
                | "raw"
                | "script"
                | "cmd.run"
                | "cmd.shell"
                | "cmd.script"
                | "cmd.exec_code"
                | "ansible.builtin.shell"
                | "ansible.builtin.command"
        )
    });
    if shell_module && matches!(argument.key.as_str(), "args" | "arg" | "arguments" | "free_form" | "cmd" | "command") {
        return Some(argument.value.clone());
    }
    let command = argument.sibling("cmd").or(argument.sibling("command"))?;
    matches!(argument.key.as_str(), "args" | "arg" | "arguments").then(|| format!("{command} {}", argument.value))
}

/// `line` as run where the call says: on its host (`ssh HOST -- ...`)
/// when it names one and its tool reaches hosts.
fn on_host(line: &str, argument: &Argument, words: &[String]) -> String {
    let remote =
        words.iter().any(|word| matches!(word.as_str(), "ssh" | "remote" | "ansible" | "salt" | "host" | "hosts"));
    match argument.sibling("host").or(argument.sibling("hostname")).filter(|_| remote) {
        Some(host) => format!("ssh {} -- {}", guardrail_shell::quote(host), guardrail_shell::quote(line)),
        None => line.to_owned(),
    }
}

/// The object of a call's arguments that names a service, at most a few
/// levels down.
fn service_object(value: &Value, depth: usize) -> Option<&Value> {
    let fields = value.as_object()?;
    if ["service_name", "service", "serviceName"].iter().any(|name| fields.get(*name).is_some_and(Value::is_string)) {
        return Some(value);
    }
    if depth >= 3 {
        return None;
    }
    fields.values().find_map(|field| service_object(field, depth + 1))
}

/// SQL in the dialect its server speaks: PostgreSQL's grammar judges it;
/// a statement of another dialect (ClickHouse, MySQL, Snowflake, SQLite,
/// BigQuery) that PostgreSQL cannot parse is read by its words: a query
/// that names no statement that changes anything is a read, anything else
/// stays unknown (held).
fn sql_in_dialect(sql: &str, words: &[String]) -> guardrail_core::Analysis {
    let mut analysis = guardrail_sql::analyze(sql);
    // Drivers' placeholders (`:uid`, `%(uid)s`, `%s`, `?`) are values the
    // tool binds: judged as a value stands there.
    if analysis.intents.iter().any(|intent| intent.kind == IntentKind::Unknown)
        && let Some(bound) = with_values_for_placeholders(sql)
    {
        let rebound = guardrail_sql::analyze(&bound);
        if !rebound.intents.iter().any(|intent| intent.kind == IntentKind::Unknown) {
            // Spans of the rewritten text do not stand in the call's.
            let whole = guardrail_core::Span::new(0, sql.len());
            analysis = guardrail_core::Analysis {
                intents: rebound
                    .intents
                    .into_iter()
                    .map(|mut intent| {
                        intent.span = whole;
                        intent
                    })
                    .collect(),
                secrets: analysis.secrets,
            };
        }
    }
    const OTHER_DIALECTS: &[&str] = &[
        "mysql",
        "mariadb",
        "clickhouse",
        "snowflake",
        "sqlite",
        "sqlite3",
        "bigquery",
        "bq",
        "duckdb",
        "mssql",
        "tsql",
    ];
    let unparsed = analysis.intents.iter().any(|intent| intent.kind == IntentKind::Unknown);
    if !unparsed || !words.iter().any(|word| OTHER_DIALECTS.contains(&word.as_str())) {
        return analysis;
    }
    const CHANGING: &[&str] = &[
        "insert", "update", "delete", "drop", "truncate", "alter", "create", "replace", "grant", "revoke", "merge",
        "rename", "attach", "detach", "optimize", "kill", "system", "set", "call", "exec", "execute", "load", "copy",
        "into", "outfile", "dumpfile", "lock", "unlock", "use", "install", "shutdown", "flush", "purge", "reset",
    ];
    let lower = sql.to_ascii_lowercase();
    let tokens: Vec<&str> =
        lower.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|word| !word.is_empty()).collect();
    let reads = matches!(tokens.first(), Some(&("select" | "with" | "show" | "describe" | "desc" | "explain")))
        && !tokens.iter().any(|token| CHANGING.contains(token))
        && !(tokens.first() == Some(&"explain") && tokens.contains(&"analyze"));
    if reads { guardrail_core::Analysis { intents: Vec::new(), secrets: analysis.secrets } } else { analysis }
}

/// `sql` with each driver placeholder outside quotes replaced by a value
/// (`0`), if it has any.
fn with_values_for_placeholders(sql: &str) -> Option<String> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<u8> = None;
    let mut replaced = false;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if let Some(open) = quote {
            if byte == open {
                quote = None;
            }
            out.push(byte as char);
            index += 1;
            continue;
        }
        let rest = &sql[index..];
        let name_len =
            |from: usize| rest[from..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        let placeholder = if byte == b'\'' || byte == b'"' {
            quote = Some(byte);
            0
        } else if byte == b':' && !rest.starts_with("::") && index > 0 && bytes[index - 1] != b':' && name_len(1) > 0 {
            1 + name_len(1)
        } else if rest.starts_with("%(") {
            rest.find(")s").map_or(0, |end| end + 2)
        } else if rest.starts_with("%s") || byte == b'?' {
            if byte == b'?' { 1 } else { 2 }
        } else {
            0
        };
        if placeholder > 0 {
            out.push('0');
            replaced = true;
            index += placeholder;
        } else {
            out.push_str(&rest[..rest.chars().next().map_or(1, char::len_utf8)]);
            index += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    replaced.then_some(out)
}

/// Whether a command line's first word is a program rather than a
/// subcommand of the tool's CLI: a path, or a program the analyzer or
/// every machine knows.
fn is_program(word: &str) -> bool {
    const COMMON: &[&str] = &[
        "sh",
        "bash",
        "zsh",
        "env",
        "sudo",
        "cat",
        "ls",
        "rm",
        "cp",
        "mv",
        "echo",
        "printenv",
        "curl",
        "wget",
        "python",
        "python3",
        "node",
        "npm",
        "npx",
        "make",
        "cd",
        "find",
        "grep",
        "tar",
        "git",
        "kubectl",
        "gcloud",
        "aws",
        "az",
        "gh",
        "docker",
        "helm",
        "terraform",
        "redis-cli",
        "psql",
        "mysql",
        "uvx",
        "pip",
        "cargo",
        "go",
        "chmod",
        "chown",
    ];
    word.contains('/') || COMMON.contains(&word)
}

/// Arguments whose presence says the call's paths are a remote's.
const REMOTE_KEYS: &[&str] = &[
    "owner",
    "repo",
    "repository",
    "repo_name",
    "bucket",
    "bucket_name",
    "project_id",
    "org",
    "organization",
    "gist_id",
    "drive_id",
    "site_id",
];

/// Arguments that name where a message goes.
const DESTINATION_KEYS: &[&str] = &[
    "channel",
    "channel_id",
    "to",
    "recipient",
    "recipients",
    "thread_ts",
    "chat_id",
    "webhook",
    "webhook_url",
    "email",
    "user_id",
    "issue_number",
    "pull_number",
];

/// Arguments that hold a URL.
const URL_KEYS: &[&str] = &["url", "uri", "endpoint", "href", "link", "target_url", "base_url", "webhook_url"];

/// Whether an argument's name says it holds SQL: `sql`, `query`,
/// `sqlStatements`, `migration_sql`...
fn is_sql_key(key: &str) -> bool {
    SQL_KEYS.contains(&key) || key.starts_with("sql_") || key.ends_with("_sql")
}

/// One argument: the name it is under (lower-case, `camelCase` as
/// `camel_case`), its text (or, for an argument vector, its words), and
/// the fields beside it that say how to read it (its language, its
/// program, its encoding).
struct Argument {
    key: String,
    value: String,
    words: Option<Vec<String>>,
    siblings: Siblings,
}

/// The fields beside an argument that say how to read it, shared by the
/// arguments of one object.
type Siblings = std::rc::Rc<Vec<(&'static str, String)>>;

impl Argument {
    fn sibling(&self, field: &str) -> Option<&str> {
        self.siblings.iter().find(|(name, _)| *name == field).map(|(_, value)| value.as_str())
    }
}

/// Fields beside an argument that say how to read it.
const SIBLINGS: &[&str] = &[
    "encoding",
    "language",
    "lang",
    "runtime",
    "interpreter",
    "kernel",
    "command",
    "cmd",
    "program",
    "executable",
    "binary",
    "action",
    "tool",
    "cli",
    "op",
    "operation",
    "mode",
    "content",
    "data",
    "name",
    "pod",
    "pod_name",
    "container",
    "container_id",
    "namespace",
    "module",
    "fun",
    "host",
    "hostname",
];

fn siblings_of(parent: &Value) -> Siblings {
    let Some(fields) = parent.as_object() else { return Siblings::default() };
    if !fields.keys().any(|key| SIBLINGS.contains(&key.as_str())) {
        return Siblings::default();
    }
    std::rc::Rc::new(
        SIBLINGS
            .iter()
            .filter_map(|field| parent.get(*field).and_then(Value::as_str).map(|value| (*field, value.to_owned())))
            .collect(),
    )
}

/// Every argument of a call, however nested: strings, argument vectors
/// (arrays of strings under a name for one), JSON objects carried in a
/// string, and base64 text its object marks as such (`"encoding":
/// "base64"`), decoded.
fn gather(key: Option<&str>, value: &Value, siblings: &Siblings, depth: usize, out: &mut Vec<Argument>) {
    const DEEPEST: usize = 8;
    if depth > DEEPEST {
        return;
    }
    let key_name = key.map(normalize_key).unwrap_or_default();
    match value {
        Value::String(text) => {
            let base64 =
                siblings.iter().any(|(name, value)| *name == "encoding" && value.eq_ignore_ascii_case("base64"));
            let decoded = base64
                .then(|| {
                    use base64::Engine;
                    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()?;
                    String::from_utf8(bytes).ok()
                })
                .flatten();
            let text = decoded.unwrap_or_else(|| text.clone());
            // JSON carried in a string is arguments too.
            let trimmed = text.trim_start();
            if (trimmed.starts_with('{') || trimmed.starts_with('['))
                && let Ok(inner) = serde_json::from_str::<Value>(&text)
                && (inner.is_object() || inner.is_array())
            {
                gather(key, &inner, siblings, depth + 1, out);
            }
            out.push(Argument { key: key_name, value: text, words: None, siblings: std::rc::Rc::clone(siblings) });
        }
        Value::Array(items) => {
            if VECTOR_KEYS.contains(&key_name.as_str()) && !items.is_empty() && items.iter().all(Value::is_string) {
                let words = items.iter().filter_map(Value::as_str).map(str::to_owned).collect();
                out.push(Argument {
                    key: key_name.clone(),
                    value: String::new(),
                    words: Some(words),
                    siblings: std::rc::Rc::clone(siblings),
                });
            }
            items.iter().for_each(|item| gather(key, item, siblings, depth + 1, out));
        }
        // Numbers matter where they set a size (`"replicas": 0`).
        Value::Number(number) if key.is_some() => {
            out.push(Argument {
                key: key_name,
                value: number.to_string(),
                words: None,
                siblings: std::rc::Rc::clone(siblings),
            });
        }
        Value::Object(fields) => {
            let own = siblings_of(value);
            fields.iter().for_each(|(key, field)| gather(Some(key), field, &own, depth + 1, out));
        }
        _ => {}
    }
}

/// Arguments whose array of strings is an argument vector.
const VECTOR_KEYS: &[&str] = &["argv", "args", "arguments", "command", "cmd", "command_line"];

/// An argument's name as compared: lower-case, `camelCase` and
/// `kebab-case` as `snake_case`.
fn normalize_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut previous_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('_');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c == '-' { '_' } else { c.to_ascii_lowercase() });
    }
    out
}

/// The words of a tool's full name (`mcp__aws__call_aws`: mcp, aws, call).
fn name_words(tool: &str) -> Vec<String> {
    normalize_key(tool).split(['_', '.', ' ', '/']).filter(|word| !word.is_empty()).map(str::to_owned).collect()
}

/// The language an argument is code in, by its name, its object's
/// `language` and the tool's name: a `command` is a shell line, a `code`
/// in Python is Python, a `script` of a browser tool is JavaScript.
fn code_language(key: &str, argument: &Argument, words: &[String]) -> Option<Reading> {
    let shell_key = matches!(key, "command" | "cmd" | "shell" | "bash" | "command_line" | "cli_command" | "run" | "sh")
        || key.ends_with("_command");
    // Code in no named language is judged as each interpreter's only
    // under names that can mean nothing else.
    let plain_code_key = matches!(key, "code" | "snippet" | "source_code");
    let code_key = plain_code_key || matches!(key, "script" | "function" | "expression" | "expr" | "eval" | "source");
    if !shell_key && !code_key {
        return None;
    }
    let named =
        ["language", "lang", "runtime", "interpreter", "kernel"].iter().find_map(|field| argument.sibling(field));
    let of = |word: &str| match word.to_ascii_lowercase().as_str() {
        "python" | "python3" | "py" | "ipython" | "jupyter" => Some(Reading::Python),
        "javascript" | "js" | "node" | "nodejs" | "typescript" | "ts" | "deno" | "bun" | "puppeteer" | "playwright"
        | "browser" => Some(Reading::JavaScript),
        "ruby" | "rb" => Some(Reading::Ruby),
        "bash" | "sh" | "shell" | "zsh" => Some(Reading::Shell),
        _ => None,
    };
    if let Some(language) = named.and_then(of) {
        return Some(language);
    }
    if shell_key {
        return Some(Reading::Shell);
    }
    words.iter().find_map(|word| of(word)).or(match key {
        "script" => Some(Reading::Shell),
        _ if plain_code_key => Some(Reading::Code),
        _ => None,
    })
}

/// The ways a path argument may be read by the server that takes it: as
/// given, percent-decoded, with backslashes as separators, `$HOME` as `~`,
/// a `file://` URL as its path.
fn path_readings(value: &str) -> Vec<String> {
    let mut readings = vec![value.to_owned()];
    let mut add = |reading: String| {
        if !readings.contains(&reading) {
            readings.push(reading);
        }
    };
    let mut path = value.to_owned();
    if let Some(rest) = path.strip_prefix("file://") {
        path = rest.to_owned();
        add(path.clone());
    }
    for home in ["${HOME}", "$HOME"] {
        if let Some(rest) = path.strip_prefix(home) {
            path = format!("~{rest}");
            add(path.clone());
        }
    }
    if path.contains('%') {
        path = guardrail_shell::percent_decoded(&path);
        add(path.clone());
    }
    if path.contains('\\') {
        path = path.replace('\\', "/");
        add(path.clone());
    }
    readings
}

/// What an operation's name does to the file beside it.
fn operation_on_file<'c>(op: &str, content: &'c str) -> Option<FileTool<'c>> {
    use guardrail_shell::lexicon::{Verb, classify};
    let op = op.to_ascii_lowercase();
    if ["write", "create", "append", "put", "save", "overwrite", "upload", "copy", "move", "rename"]
        .iter()
        .any(|word| op.contains(word))
    {
        return Some(FileTool::Write(content));
    }
    match classify(&op, false) {
        Some(Verb::Destroy) => Some(FileTool::Delete),
        Some(Verb::Read) => Some(FileTool::Read),
        _ => None,
    }
}

/// The HTTP method a call asks for: the most destructive one any argument
/// or method-override header names.
fn http_method(arguments: &[Argument]) -> Option<&str> {
    const METHODS: &[&str] = &["delete", "put", "patch", "post", "get", "head", "options"];
    arguments
        .iter()
        .filter(|argument| {
            matches!(
                argument.key.as_str(),
                "method" | "http_method" | "verb" | "x_http_method_override" | "x_http_method" | "x_method_override"
            )
        })
        .map(|argument| argument.value.trim())
        .filter(|value| METHODS.iter().any(|method| value.eq_ignore_ascii_case(method)))
        .min_by_key(|value| METHODS.iter().position(|method| value.eq_ignore_ascii_case(method)))
}

/// Names of operations the arguments ask for: an operation id, an action,
/// each GraphQL mutation's fields, and the last word of a URL a call
/// posts or deletes to.
fn operations(arguments: &[Argument], method: Option<&str>) -> Vec<String> {
    let mut found = Vec::new();
    for argument in arguments {
        let value = argument.value.trim();
        if matches!(
            argument.key.as_str(),
            "operation_id"
                | "operation"
                | "op"
                | "action"
                | "mutation"
                | "operation_name"
                | "task"
                | "macro"
                | "procedure"
                | "fun"
        ) && !value.is_empty()
            && !value.contains(char::is_whitespace)
        {
            found.push(value.to_owned());
        }
        // `mutation { deleteProject(id: 1) { id } }`: the fields it calls.
        if value.contains('{')
            && let Some(at) = value.find("mutation")
        {
            let body = &value[at..];
            if let Some(open) = body.find('{') {
                let inner = &body[open + 1..];
                let name: String =
                    inner.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        }
        let requested = URL_KEYS.contains(&argument.key.as_str()) && value.contains("://")
            || argument.key == "path" && value.starts_with('/') && method.is_some();
        if requested
            && method.is_some_and(|method| !method.eq_ignore_ascii_case("get"))
            && let Some(last) = value.split(['?', '#']).next().and_then(|path| path.rsplit('/').next())
        {
            // `conversations.archive`, `_delete_by_query`.
            found.extend(
                last.split('.')
                    .map(|word| word.trim_start_matches('_'))
                    .filter(|word| !word.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    found
}

/// Values that open something to everyone.
const EVERYONE: &[&str] = &[
    "public",
    "public-read",
    "public-read-write",
    "publicread",
    "anyone",
    "anyonewithlink",
    "anonymous",
    "everyone",
    "allusers",
    "allauthenticatedusers",
    "0.0.0.0/0",
    "::/0",
    "*",
];

/// Arguments that say who may reach something.
const AUDIENCE_KEYS: &[&str] = &[
    "visibility",
    "acl",
    "access",
    "access_level",
    "type",
    "member",
    "members",
    "cidr",
    "cidr_ip",
    "cidr_block",
    "cidr_blocks",
    "ip_address",
    "source_ranges",
    "principal",
    "grantee",
    "audience",
    "sharing",
    "permission",
    "permissions",
    "role_type",
    "share_type",
    "link_sharing",
];

/// States a call may set that destroy or stop what it names, as values
/// (`"status": "closed"`) or as flags set true (`"archived": true`).
const ENDING_STATES: &[&str] = &[
    "deleted",
    "archived",
    "suspended",
    "disabled",
    "cancelled",
    "canceled",
    "revoked",
    "banned",
    "locked",
    "trashed",
    "terminated",
    "stopped",
    "deactivated",
    "in_trash",
    "absent",
    "paused",
    "muted",
];

/// Flags that ask a service for the secrets it keeps.
const REVEALING: &[&str] =
    &["decrypt", "with_decryption", "reveal", "show_secrets", "include_secrets", "unmask", "show_values", "decrypted"];

/// Names of the places services keep accounts and credentials in.
const CREDENTIAL_STORES: &[&str] = &["system.users", "pg_authid", "pg_shadow", "mysql.user", "secret", "secrets"];

/// What a call's arguments declare outright.
fn declared_effects(
    input: &Value,
    arguments: &[Argument],
    changes: bool,
    lists: bool,
) -> Vec<(IntentKind, Scope, String)> {
    let mut effects = Vec::new();
    for argument in arguments {
        effects.extend(manifest_effects(&argument.value));
        // The values compared below are short words.
        if argument.value.len() > 64 {
            continue;
        }
        let value = argument.value.trim().to_ascii_lowercase();
        let key = argument.key.as_str();
        if AUDIENCE_KEYS.contains(&key) && EVERYONE.contains(&value.as_str()) && !(key == "type" && value == "*") {
            effects.push((IntentKind::PrivilegeGrant, Scope::Unbounded, format!("{key} {value} opens it to everyone")));
        }
        // A change that sets how many run to zero stops them.
        if changes
            && value == "0"
            && matches!(
                key,
                "replicas"
                    | "replica_count"
                    | "desired_count"
                    | "desired_capacity"
                    | "min_size"
                    | "max_size"
                    | "instance_count"
                    | "node_count"
                    | "num_nodes"
                    | "min_instances"
                    | "max_instances"
                    | "scale"
            )
        {
            effects.push((IntentKind::InfraDisrupt, Scope::Bounded, format!("{key} 0 stops everything it ran")));
        }
        // A change that hands out a privileged role (a filter on one is a read).
        if changes
            && matches!(
                key,
                "roles"
                    | "role"
                    | "policies"
                    | "policy"
                    | "groups"
                    | "group"
                    | "group_id"
                    | "permission_level"
                    | "access_level"
            )
            && (matches!(
                value.as_str(),
                "admin"
                    | "administrator"
                    | "root"
                    | "owner"
                    | "superuser"
                    | "super_admin"
                    | "cluster-admin"
                    | "org_admin"
                    | "maintain"
            ) || value.contains("admin"))
        {
            effects.push((IntentKind::PrivilegeGrant, Scope::Server, format!("{key} {value}: a privileged role")));
        }
        if matches!(key, "status" | "state") && ENDING_STATES.contains(&value.as_str()) {
            effects.push((IntentKind::InfraUndeclared, Scope::Bounded, format!("sets {key} to {value}")));
        }
        // A server's own limits opened up: `allowedDirectories: ["/"]`.
        if key.starts_with("allowed") && matches!(value.as_str(), "/" | "*" | "0.0.0.0/0" | "~") {
            effects.push((IntentKind::PrivilegeGrant, Scope::Unbounded, format!("{key} {value} opens everything")));
        }
        if !lists
            && matches!(key, "kind" | "resource_type" | "collection" | "table" | "resource")
            && CREDENTIAL_STORES.contains(&value.as_str())
        {
            effects.push((IntentKind::SecretRead, Scope::Server, format!("{key} {value} holds credentials")));
        }
    }
    // MongoDB: a pipeline that writes a collection (`$out`, `$merge`), a
    // filter that matches every document.
    if let Some(stage) = has_field(input, &["$out", "$merge"], 0) {
        effects.push((IntentKind::InfraUndeclared, Scope::Unbounded, format!("{stage} overwrites a collection")));
    }
    // (A read with an empty filter reads every document: a read.)
    if changes && input.get("filter").is_some_and(|filter| filter.as_object().is_some_and(|fields| fields.is_empty())) {
        let kind = if input.get("update").is_some() { IntentKind::DataUpdateAll } else { IntentKind::DataDeleteAll };
        effects.push((kind, Scope::Unbounded, "an empty filter matches every document".into()));
    }
    // Flags: `"private": false`, `"archived": true`, `"decrypt": true`.
    let mut flags = Vec::new();
    flag_fields(input, 0, &mut flags);
    for (key, on) in flags {
        let key = normalize_key(key);
        if !on && matches!(key.as_str(), "private" | "is_private" | "internal")
            || on
                && matches!(
                    key.as_str(),
                    "public" | "is_public" | "publicly_accessible" | "anonymous_access" | "allow_anonymous"
                )
        {
            effects.push((IntentKind::PrivilegeGrant, Scope::Unbounded, format!("{key}: {on} makes it public")));
        }
        if on && ENDING_STATES.contains(&key.trim_start_matches("is_")) {
            effects.push((IntentKind::InfraUndeclared, Scope::Bounded, format!("sets {key}")));
        }
        if on && REVEALING.contains(&key.as_str()) {
            effects.push((
                IntentKind::SecretRead,
                Scope::Server,
                format!("{key}: true asks for the secrets themselves"),
            ));
        }
    }
    effects
}

/// What a tool's name says it does to access: grants it (`add_collaborator`,
/// `add_user_to_group`, `create_token`) or reads secrets
/// (`get_secret_value`, `read_secret`, `reveal_password`).
fn named_effects(parts: &[String]) -> Vec<(IntentKind, Scope, String)> {
    let mut effects = Vec::new();
    let name = parts.join("-");
    if guardrail_shell::rules::access::grants(&name)
        || parts.windows(2).any(|pair| guardrail_shell::rules::access::grants(&pair.join("-")))
        || parts.first().is_some_and(|verb| matches!(verb.as_str(), "grant" | "invite" | "promote" | "elevate"))
    {
        effects.push((
            IntentKind::PrivilegeGrant,
            Scope::Server,
            "named for granting access or making a credential".into(),
        ));
    }
    let reads = parts.first().is_some_and(|verb| {
        matches!(verb.as_str(), "get" | "read" | "show" | "reveal" | "fetch" | "export" | "dump" | "retrieve")
    });
    let secret = parts.iter().any(|part| {
        matches!(
            part.as_str(),
            "secret"
                | "secrets"
                | "credential"
                | "credentials"
                | "password"
                | "passwords"
                | "private"
                | "keys"
                | "apikey"
                | "apikeys"
        )
    });
    if reads && secret {
        effects.push((IntentKind::SecretRead, Scope::Server, "named for reading secrets".into()));
    }
    effects
}

/// The first of `names` that some field, however nested, is named.
fn has_field(value: &Value, names: &[&'static str], depth: usize) -> Option<&'static str> {
    if depth > 8 {
        return None;
    }
    match value {
        Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            names.iter().find(|name| **name == key.as_str()).copied().or_else(|| has_field(field, names, depth + 1))
        }),
        Value::Array(items) => items.iter().find_map(|item| has_field(item, names, depth + 1)),
        _ => None,
    }
}

/// What a Kubernetes manifest carried in an argument does: a binding that
/// grants a role, a workload scaled to nothing, a pod that reaches its
/// node (privileged, the host's namespaces or file system).
fn manifest_effects(text: &str) -> Vec<(IntentKind, Scope, String)> {
    let mut effects = Vec::new();
    if !(text.contains("apiVersion:") && text.contains("kind:")) {
        return effects;
    }
    let lines: Vec<String> = text.lines().map(|line| line.trim().replace(' ', "")).collect();
    let has = |wanted: &str| lines.iter().any(|line| line == wanted);
    if has("kind:ClusterRoleBinding") || has("kind:RoleBinding") {
        effects.push((IntentKind::PrivilegeGrant, Scope::Server, "a manifest that binds a role".into()));
    }
    if has("replicas:0") {
        effects.push((IntentKind::InfraDisrupt, Scope::Bounded, "a manifest that scales a workload to nothing".into()));
    }
    if has("privileged:true")
        || has("hostPID:true")
        || has("hostNetwork:true")
        || has("hostIPC:true")
        || lines.iter().any(|line| line.starts_with("hostPath:"))
    {
        effects.push((IntentKind::SystemPrivilege, Scope::Server, "a pod that reaches its node".into()));
    }
    effects
}

/// Every boolean argument, however nested, with its name.
fn flag_fields<'v>(value: &'v Value, depth: usize, out: &mut Vec<(&'v str, bool)>) {
    if depth > 8 {
        return;
    }
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match field {
                    Value::Bool(on) => out.push((key, *on)),
                    other => flag_fields(other, depth + 1, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| flag_fields(item, depth + 1, out)),
        _ => {}
    }
}

/// A flag that widens a change: forced, cascading, everything (`"*"`).
fn widening(input: &Value, arguments: &[Argument]) -> Option<String> {
    const FLAGS: &[&str] =
        &["force", "all", "cascade", "purge", "hard", "delete_all", "recursive", "skip_final_snapshot"];
    if let Some(fields) = input.as_object() {
        for (key, value) in fields {
            if *value == Value::Bool(true) && FLAGS.contains(&normalize_key(key).as_str()) {
                return Some(format!("{key}: true"));
            }
        }
    }
    for argument in arguments {
        if matches!(argument.key.as_str(), "refspec" | "refspecs" | "ref" | "branch") && argument.value.starts_with('+')
        {
            return Some(format!("{} {} (forced)", argument.key, argument.value));
        }
        if matches!(argument.key.as_str(), "mode" | "reset_mode" | "type")
            && argument.value.eq_ignore_ascii_case("hard")
        {
            return Some(format!("{} {}", argument.key, argument.value));
        }
        if argument.value == "*" {
            return Some(format!("{} \"*\"", argument.key));
        }
    }
    None
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
        // And credentials encoded on their way out (percent-encoded in a
        // URL, base64 in a message): the whole value stands for them.
        if found.is_empty()
            && encoded_forms(value).iter().any(|decoded| {
                guardrail_core::secret::detect(decoded)
                    .iter()
                    .any(|span| !is_placeholder(&decoded[span.start.min(decoded.len())..span.end.min(decoded.len())]))
                    || !named_secrets(decoded).is_empty()
            })
        {
            found.push(Span::new(0, value.len()));
        }
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

/// What `text` reads as once decoded: percent-decoded (a URL's query), and
/// each run of base64 long enough to hide a credential, decoded to text.
fn encoded_forms(text: &str) -> Vec<String> {
    use base64::Engine;
    let mut forms = Vec::new();
    if text.contains('%') {
        forms.push(guardrail_shell::percent_decoded(text));
    }
    // `=` separates too (`?d=QVdT...`); padding is not needed to decode.
    let is_base64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_');
    for run in text.split(|c: char| !is_base64(c)).filter(|run| run.len() >= 20) {
        let run = run.trim_end_matches('=');
        for engine in
            [&base64::engine::general_purpose::STANDARD_NO_PAD, &base64::engine::general_purpose::URL_SAFE_NO_PAD]
        {
            if let Ok(bytes) = engine.decode(run)
                && let Ok(decoded) = String::from_utf8(bytes)
                && decoded.chars().all(|c| !c.is_control() || c.is_whitespace())
            {
                forms.push(decoded);
                break;
            }
        }
    }
    forms
}

/// Where `value` stands in the JSON text: the span of its string's content,
/// and whether it stands there verbatim (no escapes); the whole text when
/// it cannot be found.
fn locate(text: &str, value: &str) -> (Span, bool) {
    let encoded = serde_json::to_string(value).expect("strings encode");
    // Candidates by the first bytes (a short needle is cheap to set up),
    // each confirmed whole.
    let head = &encoded.as_bytes()[..encoded.len().min(12)];
    let found = memchr::memmem::find_iter(text.as_bytes(), head)
        .find(|at| text.as_bytes()[*at..].starts_with(encoded.as_bytes()));
    match found {
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
    let first = without_leading_comments(text).split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
    KEYWORDS.iter().any(|keyword| first.eq_ignore_ascii_case(keyword))
}

/// SQL text after its leading blanks, comments and parentheses.
fn without_leading_comments(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start().trim_start_matches('(');
        if let Some(rest) = trimmed.strip_prefix("--") {
            text = rest.split_once('\n').map_or("", |(_, rest)| rest);
        } else if let Some(rest) = trimmed.strip_prefix("/*") {
            text = rest.split_once("*/").map_or("", |(_, rest)| rest);
        } else {
            return trimmed;
        }
    }
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
        || key.ends_with("paths")
        || matches!(key, "files" | "filenames" | "sources")
        || key.ends_with("_file")
        || key.ends_with("_files")
        || key.ends_with("_dir")
        || key.ends_with("directory")
}

/// Whether text is a file path rather than a word or a URL.
fn looks_like_path(text: &str) -> bool {
    !text.is_empty() && !text.contains("://") && !text.contains('\n') && (text.contains('/') || text.starts_with('~'))
}

#[cfg(test)]
mod tests;
