//! Database clients: the SQL they carry goes to the SQL analyzer.

use guardrail_core::{IntentKind, Object, Scope, Span};

use super::{Rule, options};
use crate::flow::Stream;
use crate::walk::{Command, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "database-clients",
    intents: &[IntentKind::DataDeleteAll, IntentKind::SchemaDrop, IntentKind::CodeDynamic],
    catches: "psql -c/--command, -f of a file the line wrote, and SQL on standard input (here-documents, \
              here-strings, echo ... |); mysql/mariadb -e; sqlite3 DB 'SQL': the SQL is handed to the \
              PostgreSQL analyzer, and its intents are the command's. SQL the line does not show (psql -f \
              file, psql < file) is code.dynamic. redis-cli FLUSHALL/FLUSHDB (data.delete_all), DEL; \
              mongosh/mongo --eval with dropDatabase(), drop(), deleteMany({}); dropdb and dropuser \
              (schema.drop); pg_restore --clean.",
    why: "psql -c 'DROP TABLE users' is a DROP TABLE; the shell is only the envelope.",
    example: "psql -c 'DELETE FROM users'",
    look_alike: "psql -c 'SELECT count(*) FROM users'",
    gaps: "MySQL and SQLite SQL is read with PostgreSQL's grammar: what it cannot parse is unknown, \
           and held.",
};

pub(crate) fn check(walker: &mut Walker, command: &Command<'_>) -> bool {
    let args = command.args;
    let span = command.span;
    match command.program {
        "psql" => {
            let parsed = options(
                args,
                &[
                    "-c",
                    "--command",
                    "-f",
                    "--file",
                    "-d",
                    "--dbname",
                    "-h",
                    "--host",
                    "-p",
                    "--port",
                    "-U",
                    "--username",
                    "-v",
                    "--set",
                    "--variable",
                    "-o",
                    "--output",
                    "-P",
                    "--pset",
                    "-F",
                    "-R",
                    "-T",
                    "-L",
                    "--log-file",
                ],
                false,
            );
            let mut any = false;
            for (option, value) in &parsed.values {
                match option.as_str() {
                    "-c" | "--command" => {
                        any = true;
                        script(walker, value, span, "psql");
                    }
                    "-f" | "--file" => {
                        any = true;
                        if value == "-" {
                            stdin_sql(walker, &command.input, span, "psql");
                        } else {
                            let file = crate::words::Arg::literal(value.clone(), span);
                            match walker.read_file(&file) {
                                Stream::Text(text) => sql(walker, &text, span),
                                _ => dynamic(
                                    walker,
                                    span,
                                    format!("psql -f runs SQL from {value}, which the line does not show"),
                                ),
                            }
                        }
                    }
                    _ => {}
                }
            }
            if !any {
                stdin_sql(walker, &command.input, span, "psql");
            }
        }
        "mysql" | "mariadb" => {
            // -pSECRET carries the password glued on: never a cluster of flags.
            let args: Vec<crate::words::Arg> =
                args.iter().filter(|arg| !(arg.text.starts_with("-p") && arg.text.len() > 2)).cloned().collect();
            let parsed = options(
                &args,
                &[
                    "-e",
                    "--execute",
                    "-h",
                    "--host",
                    "-u",
                    "--user",
                    "-P",
                    "--port",
                    "-D",
                    "--database",
                    "-S",
                    "--socket",
                ],
                false,
            );
            match parsed.value("-e").or(parsed.value("--execute")) {
                Some(text) => script(walker, text, span, "mysql"),
                None => stdin_sql(walker, &command.input, span, command.program),
            }
        }
        "sqlite3" => {
            let parsed = options(args, &["-cmd", "-init", "-separator", "-newline", "-nullvalue"], false);
            // Each `-cmd` value, then each argument after the database, is a
            // line of its own.
            let commands = parsed.values.iter().filter(|(name, _)| name == "-cmd").map(|(_, value)| value.as_str());
            let statements: Vec<&str> =
                commands.chain(parsed.operands.iter().skip(1).map(|arg| arg.text.as_str())).collect();
            // SQL the line does not show: an `-init` file, or dot-commands
            // that read or run more.
            let unseen = parsed.value("-init").is_some()
                || statements.iter().any(|line| {
                    let command = line.split_whitespace().next().unwrap_or("");
                    matches!(command, ".read" | ".restore" | ".import" | ".load" | ".shell" | ".system" | ".open")
                });
            let before = walker.intent_count();
            if statements.is_empty() {
                stdin_sql(walker, &command.input, span, "sqlite3");
            } else {
                script(walker, &statements.join("\n"), span, "sqlite3");
            }
            // The gate's own record, changed with SQL (or with SQL nobody can read).
            if let Some(database) = parsed.operands.first()
                && walker.is_gate_file(database)
                && (unseen
                    || walker.intents_since(before).any(|intent| {
                        !matches!(intent.kind, IntentKind::DataRead | IntentKind::SessionShow | IntentKind::ProcessRun)
                    }))
            {
                walker.emit(
                    IntentKind::GateTamper,
                    Scope::System,
                    Some(Object::new("path", database.text.clone())),
                    span,
                    Some("changes the gate's activity record".to_owned()),
                );
            }
        }
        // Other SQL clients: the SQL after their query option, or on their input.
        program
            if SQL_CLIENTS.iter().any(|(name, _)| *name == program)
                && (program != "bq" || args.iter().any(|arg| arg.is("query"))) =>
        {
            let with_value: &[&str] =
                SQL_CLIENTS.iter().find(|(name, _)| *name == program).map(|(_, options)| *options).unwrap_or(&[]);
            let parsed = options(args, with_value, false);
            let queries: Vec<&str> = parsed
                .values
                .iter()
                .filter(|(option, _)| with_value.contains(&option.as_str()))
                .map(|(_, sql)| sql.as_str())
                .collect();
            let positional = matches!(program, "bq" | "duckdb") && parsed.operands.len() > usize::from(program == "bq");
            if queries.is_empty() && !positional {
                stdin_sql(walker, &command.input, span, program);
            }
            for query in queries {
                script(walker, query, span, program);
            }
            if positional && let Some(query) = parsed.operands.last() {
                script(walker, &query.text, span, program);
            }
        }
        "redis-cli" => {
            let parsed = options(
                args,
                &[
                    "-h",
                    "-p",
                    "-a",
                    "-n",
                    "-u",
                    "-s",
                    "--user",
                    "--pass",
                    "--askpass",
                    "-r",
                    "-i",
                    "--tls",
                    "--cacert",
                    "--cert",
                    "--key",
                ],
                false,
            );
            // The command in its arguments, or, with none, each line of its input.
            let mut commands: Vec<Vec<String>> =
                vec![parsed.operands.iter().map(|arg| arg.text.to_ascii_uppercase()).collect()];
            if commands[0].is_empty()
                && let Stream::Text(text) = &command.input
            {
                commands =
                    text.lines().map(|line| line.split_whitespace().map(str::to_ascii_uppercase).collect()).collect();
            }
            for words in commands {
                match words.first().map(String::as_str) {
                    Some("FLUSHALL" | "FLUSHDB") => {
                        walker.emit(
                            IntentKind::DataDeleteAll,
                            Scope::Unbounded,
                            Some(Object::new("database", "redis")),
                            span,
                            Some(format!("redis {}", words[0])),
                        );
                    }
                    // Keys known only at run time (`--scan | xargs redis-cli DEL`): as many as matched.
                    Some("DEL" | "UNLINK") if parsed.operands.iter().skip(1).any(|arg| arg.dynamic) => walker.emit(
                        IntentKind::DataDeleteAll,
                        Scope::Unbounded,
                        Some(Object::new("database", "redis")),
                        span,
                        Some(format!("redis {} of keys known only at run time", words[0])),
                    ),
                    Some("DEL" | "UNLINK") => walker.emit(
                        IntentKind::DataDelete,
                        Scope::Bounded,
                        Some(Object::new("key", words[1..].join(" "))),
                        span,
                        None,
                    ),
                    Some("SHUTDOWN") => walker.emit(
                        IntentKind::AdminFunction,
                        Scope::Server,
                        Some(Object::new("database", "redis")),
                        span,
                        Some("redis SHUTDOWN".to_owned()),
                    ),
                    Some("CONFIG") if words.get(1).is_some_and(|word| word == "SET") => walker.emit(
                        IntentKind::AdminAlterSystem,
                        Scope::Server,
                        Some(Object::new("database", "redis")),
                        span,
                        None,
                    ),
                    _ => {}
                }
            }
        }
        "mongosh" | "mongo" => {
            let parsed = options(
                args,
                &[
                    "--eval",
                    "--host",
                    "--port",
                    "-u",
                    "--username",
                    "-p",
                    "--password",
                    "--authenticationDatabase",
                    "-f",
                    "--file",
                ],
                false,
            );
            if let Some(code) = parsed.value("--eval") {
                let code = code.to_owned();
                mongo(walker, &code, span);
            }
        }
        "dropdb" | "dropuser" => {
            let parsed =
                options(args, &["-h", "--host", "-p", "--port", "-U", "--username", "--maintenance-db"], false);
            let kind = if command.program == "dropdb" { "database" } else { "role" };
            for operand in &parsed.operands {
                walker.emit(
                    IntentKind::SchemaDrop,
                    Scope::Bounded,
                    Some(Object::new(kind, operand.text.clone())),
                    span,
                    None,
                );
            }
        }
        "pg_restore" if args.iter().any(|arg| arg.is("-c") || arg.is("--clean")) => {
            walker.emit(
                IntentKind::SchemaDrop,
                Scope::Unbounded,
                Some(Object::new("database", "restore target")),
                span,
                Some("pg_restore --clean drops objects before recreating them".to_owned()),
            );
        }
        "mysqladmin" if args.iter().any(|arg| arg.is("drop")) => {
            walker.emit(
                IntentKind::SchemaDrop,
                Scope::Bounded,
                Some(Object::new("database", args.last().map(|arg| arg.text.clone()).unwrap_or_default())),
                span,
                None,
            );
        }
        _ => return false,
    }
    true
}

/// SQL clients other than psql, mysql and sqlite3, with the options that
/// carry SQL.
const SQL_CLIENTS: &[(&str, &[&str])] = &[
    ("clickhouse-client", &["--query", "-q"]),
    ("clickhouse", &["--query", "-q"]),
    ("cockroach", &["-e", "--execute"]),
    ("sqlcmd", &["-Q", "-q", "--query"]),
    ("snowsql", &["-q", "--query"]),
    ("bq", &["--query"]),
    ("duckdb", &["-c", "-cmd"]),
    ("trino", &["--execute"]),
    ("presto", &["--execute"]),
    ("spark-sql", &["-e"]),
    ("hive", &["-e"]),
    ("beeline", &["-e"]),
    ("cqlsh", &["-e", "--execute"]),
    ("influx", &["-execute", "--execute"]),
    ("usql", &["-c", "--command"]),
    ("pgcli", &["-e"]),
    ("mycli", &["-e", "--execute"]),
    ("vsql", &["-c", "--command"]),
    ("isql", &[]),
    ("sqlplus", &[]),
];

/// Hands SQL to the SQL analyzer; its intents are the command's.
pub(crate) fn sql(walker: &mut Walker, text: &str, span: Span) {
    for intent in guardrail_sql::analyze(text).intents {
        walker.emit(intent.kind, intent.scope, intent.object, span, intent.note);
    }
}

/// A database client's script: SQL, and the client's own commands
/// (psql's and mysql's backslash commands, sqlite3's dot commands), some
/// of which run shell commands, read SQL from files or write files.
fn script(walker: &mut Walker, text: &str, span: Span, client: &str) {
    let mut statements = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let meta = match client {
            "sqlite3" => trimmed.strip_prefix('.'),
            _ => trimmed.strip_prefix('\\'),
        };
        let Some(meta) = meta else {
            statements.push_str(line);
            statements.push('\n');
            continue;
        };
        let (name, argument) = match meta.strip_prefix('!') {
            Some(command) => ("!", command),
            None => meta.split_once(char::is_whitespace).unwrap_or((meta, "")),
        };
        let argument = argument.trim();
        match name {
            "!" | "shell" | "system" => walker.nested(argument, span, true),
            "i" | "ir" | "include" | "include_relative" | "read" | "." | "source" => {
                let file = crate::words::Arg::literal(argument.trim_matches(['\'', '"']), span);
                match walker.read_file(&file) {
                    Stream::Text(text) => sql(walker, &text, span),
                    _ => dynamic(
                        walker,
                        span,
                        format!("{client} runs SQL from {argument}, which the line does not show"),
                    ),
                }
            }
            "o" | "out" | "w" | "write" | "output" | "once" | "save" | "backup" | "dump"
                if !argument.is_empty() && !argument.starts_with('|') =>
            {
                let file = crate::words::Arg::literal(argument.trim_matches(['\'', '"']), span);
                walker.write_path(
                    &file,
                    &Stream::Unknown,
                    crate::effects::Write::Replace,
                    span,
                    Some("written by the database client"),
                );
            }
            "o" | "out" | "output" | "once" if argument.starts_with('|') => walker.nested(&argument[1..], span, true),
            "gexec" => dynamic(walker, span, format!("{client} runs the rows a query returns as SQL (\\gexec)")),
            "restore" => {
                walker.emit(
                    IntentKind::DataDeleteAll,
                    Scope::Unbounded,
                    Some(Object::new("database", argument)),
                    span,
                    Some(format!("{client} .restore replaces the database")),
                );
            }
            "load" => {
                walker.emit(
                    IntentKind::AdminLoadLibrary,
                    Scope::Server,
                    Some(Object::new("library", argument)),
                    span,
                    None,
                );
            }
            "import" | "copy" => {
                let lower = argument.to_ascii_lowercase();
                if lower.contains(" to ") && lower.contains("program") {
                    walker.nested(argument, span, true);
                }
                if name == "import" || lower.contains(" from ") {
                    walker.emit(
                        IntentKind::DataInsert,
                        Scope::Bounded,
                        Some(Object::new("table", argument)),
                        span,
                        None,
                    );
                } else {
                    walker.emit(
                        IntentKind::DataExport,
                        Scope::Unbounded,
                        Some(Object::new("table", argument)),
                        span,
                        None,
                    );
                }
            }
            // Listing, describing, formatting, connecting: reads.
            _ => {}
        }
    }
    if text.contains("\\gexec") {
        dynamic(walker, span, format!("{client} runs the rows a query returns as SQL (\\gexec)"));
    }
    let statements = statements.replace("\\gexec", ";").replace("\\g", ";");
    if !statements.trim().is_empty() {
        sql_of(walker, &statements, span, client);
    }
}

/// Clients whose SQL is PostgreSQL's (or close enough for its parser).
const POSTGRES_CLIENTS: &[&str] = &["psql", "pgcli", "cockroach", "vsql", "yb", "ysqlsh"];

/// SQL a client runs. PostgreSQL's parser judges it; when the client
/// speaks another dialect (T-SQL's `SELECT TOP 5`, MySQL's backticks) and
/// the parser rejects the text, the text is read by its keywords: it is a
/// read only when every statement begins with a read keyword and no word
/// of it writes, runs or changes anything. Anything else stays unknown.
fn sql_of(walker: &mut Walker, text: &str, span: Span, client: &str) {
    let analysis = guardrail_sql::analyze(text);
    let rejected = analysis.intents.iter().any(|intent| {
        intent.kind == IntentKind::Unknown && intent.note.as_deref().is_some_and(|note| note.contains("parser rejects"))
    });
    if rejected && !POSTGRES_CLIENTS.contains(&client) && reads_only(text) {
        let note = format!(
            "{client}'s SQL, in a dialect PostgreSQL's parser does not read, only reads: each statement begins \
             with a read keyword and no word of it writes"
        );
        walker.emit(IntentKind::DataRead, Scope::Bounded, None, span, Some(note));
        return;
    }
    for intent in analysis.intents {
        walker.emit(intent.kind, intent.scope, intent.object, span, intent.note);
    }
}

/// Whether SQL of any dialect only reads, by its keywords: statements
/// (split at `;` and `GO` lines) that begin with SELECT, SHOW, DESCRIBE,
/// EXPLAIN, USE or WITH, and no word outside quotes that writes, runs code,
/// reads or writes files, or changes a setting.
fn reads_only(text: &str) -> bool {
    const READS: &[&str] = &["SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "USE", "WITH", "VALUES", "TABLE"];
    const CHANGES: &[&str] = &[
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "UPSERT",
        "REPLACE",
        "DROP",
        "TRUNCATE",
        "ALTER",
        "CREATE",
        "RENAME",
        "GRANT",
        "REVOKE",
        "DENY",
        "EXEC",
        "EXECUTE",
        "CALL",
        "DO",
        "LOAD",
        "COPY",
        "INTO",
        "OUTFILE",
        "DUMPFILE",
        "SET",
        "KILL",
        "SHUTDOWN",
        "ATTACH",
        "DETACH",
        "PRAGMA",
        "BACKUP",
        "RESTORE",
        "DBCC",
        "OPENROWSET",
        "OPENQUERY",
        "OPENDATASOURCE",
        "BULK",
        "LOCK",
        "UNLOCK",
        "FLUSH",
        "PURGE",
        "RESET",
        "OPTIMIZE",
        "VACUUM",
        "ANALYZE",
        "REINDEX",
        "CLUSTER",
        "COMMENT",
        "SYSTEM",
        "SOURCE",
        "PREPARE",
        "HANDLER",
        "INSTALL",
        "UNINSTALL",
        "SLEEP",
        "BENCHMARK",
        "WAITFOR",
        "RECONFIGURE",
        "LOAD_FILE",
        "SHELL",
    ];
    // Quoted strings and names hold no keywords.
    let mut bare = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => {
                quote = Some(c);
                bare.push(' ');
            }
            None if c == '[' => quote = Some(']'),
            None => bare.push(c),
        }
    }
    // T-SQL's batches end at a line holding GO.
    let upper = bare
        .to_ascii_uppercase()
        .lines()
        .map(|line| if line.trim() == "GO" { ";" } else { line })
        .collect::<Vec<_>>()
        .join("\n");
    let mut any = false;
    for statement in upper.split(';') {
        let words: Vec<&str> = statement
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@'))
            .filter(|word| !word.is_empty())
            .collect();
        let Some(first) = words.first() else { continue };
        any = true;
        let changes = |word: &&str| {
            CHANGES.contains(word) || word.starts_with("XP_") || word.starts_with("SP_") || word.starts_with('@')
        };
        if !READS.contains(first) || words.iter().any(changes) {
            return false;
        }
    }
    any
}

fn stdin_sql(walker: &mut Walker, input: &Stream, span: Span, client: &str) {
    match input {
        Stream::Text(text) => script(walker, text, span, client),
        Stream::Terminal => {}
        _ => dynamic(walker, span, format!("{client} runs SQL from standard input, which the line does not show")),
    }
}

fn dynamic(walker: &mut Walker, span: Span, note: String) {
    walker.emit(IntentKind::CodeDynamic, Scope::Unbounded, None, span, Some(note));
}

fn mongo(walker: &mut Walker, code: &str, span: Span) {
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("dropDatabase(") {
        walker.emit(IntentKind::SchemaDrop, Scope::Bounded, Some(Object::new("database", "mongodb")), span, None);
    } else if compact.contains(".drop(") {
        walker.emit(IntentKind::SchemaDrop, Scope::Bounded, Some(Object::new("collection", "mongodb")), span, None);
    }
    if compact.contains("deleteMany({})") || compact.contains("remove({})") {
        walker.emit(
            IntentKind::DataDeleteAll,
            Scope::Unbounded,
            Some(Object::new("collection", "mongodb")),
            span,
            None,
        );
    } else if compact.contains("deleteMany(") || compact.contains("deleteOne(") {
        walker.emit(IntentKind::DataDelete, Scope::Bounded, Some(Object::new("collection", "mongodb")), span, None);
    }
    if compact.contains("updateMany({}") {
        walker.emit(
            IntentKind::DataUpdateAll,
            Scope::Unbounded,
            Some(Object::new("collection", "mongodb")),
            span,
            None,
        );
    }
}
