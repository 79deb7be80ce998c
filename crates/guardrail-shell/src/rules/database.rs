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
                        sql(walker, value, span);
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
                Some(text) => sql(walker, text, span),
                None => stdin_sql(walker, &command.input, span, command.program),
            }
        }
        "sqlite3" => {
            let parsed = options(args, &["-cmd", "-init", "-separator", "-newline", "-nullvalue"], false);
            let statements: Vec<&str> = parsed.operands.iter().skip(1).map(|arg| arg.text.as_str()).collect();
            if statements.is_empty() {
                stdin_sql(walker, &command.input, span, "sqlite3");
            } else {
                sql(walker, &statements.join(" "), span);
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
            let words: Vec<String> = parsed.operands.iter().map(|arg| arg.text.to_ascii_uppercase()).collect();
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

/// Hands SQL to the SQL analyzer; its intents are the command's.
pub(crate) fn sql(walker: &mut Walker, text: &str, span: Span) {
    for intent in guardrail_sql::analyze(text).intents {
        walker.emit(intent.kind, intent.scope, intent.object, span, intent.note);
    }
}

fn stdin_sql(walker: &mut Walker, input: &Stream, span: Span, client: &str) {
    match input {
        Stream::Text(text) => sql(walker, text, span),
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
