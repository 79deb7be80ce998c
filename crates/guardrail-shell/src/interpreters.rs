//! Code for other interpreters, found inline (`python3 -c`, `awk '...'`,
//! `sed 's/x/y/e'`), in a here-document, or in a file the line wrote:
//! calls that run shell commands are walked as shell, calls that delete
//! files become deletions, and what the analyzer cannot resolve is
//! `code.dynamic`.

use guardrail_core::{IntentKind, Object, Scope, Span};

use crate::effects::{Lang, Write};
use crate::flow::Stream;
use crate::walk::Walker;
use crate::words::Arg;

/// Judges `code` in `lang`, found in the command at `span`.
pub(crate) fn analyze(walker: &mut Walker, lang: Lang, code: &str, span: Span) {
    match lang {
        Lang::Awk => awk(walker, code, span),
        Lang::Sed => sed(walker, code, span),
        _ => inline_code(walker, code, span),
    }
}

/// awk: `system(cmd)`, `print | cmd` and `cmd | getline` run shell
/// commands; `print > file` writes a file.
fn awk(walker: &mut Walker, code: &str, span: Span) {
    for argument in call_arguments(code, "system(") {
        shell_or_dynamic(walker, argument, span, "awk's system()");
    }
    for (start, end, text) in awk_strings(code) {
        let before = code[..start].trim_end();
        let after = code[end..].trim_start();
        let piped_to = before.ends_with('|') && !before.ends_with("||");
        let piped_from = after.starts_with('|') && after[1..].trim_start().starts_with("getline");
        if piped_to || piped_from {
            walker.nested(&text, span, true);
        } else if before.ends_with('>') {
            let target = Arg::literal(text.clone(), span);
            let how = if before.ends_with(">>") { Write::Append } else { Write::Replace };
            walker.write_path(&target, &Stream::Unknown, how, span, Some("awk writes it"));
        }
    }
    // A pipe or system() to something other than a literal string.
    let dynamic_pipe = code.match_indices('|').any(|(at, _)| {
        let after = code[at + 1..].trim_start();
        let before = code[..at].trim_end();
        !after.starts_with('"')
            && !after.starts_with("getline")
            && !after.starts_with('|')
            && !before.ends_with('|')
            && before.ends_with(|c: char| c.is_alphanumeric() || c == ')' || c == '"')
            && in_action_print(code, at)
    });
    if dynamic_pipe {
        walker.emit(
            IntentKind::CodeDynamic,
            Scope::Unbounded,
            None,
            span,
            Some("awk pipes to a command built at run time".to_owned()),
        );
    }
}

/// Whether the `|` at `at` follows a `print` or `printf` in the same statement.
fn in_action_print(code: &str, at: usize) -> bool {
    let statement = code[..at].rsplit([';', '{', '\n']).next().unwrap_or("");
    let statement = statement.trim_start();
    statement.starts_with("print")
}

/// The double-quoted strings of awk code, with their byte ranges.
fn awk_strings(code: &str) -> Vec<(usize, usize, String)> {
    let mut strings = Vec::new();
    let bytes = code.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'"' {
            let start = index;
            let mut text = String::new();
            index += 1;
            while index < bytes.len() && bytes[index] != b'"' {
                if bytes[index] == b'\\' && index + 1 < bytes.len() {
                    index += 1;
                }
                let c = code[index..].chars().next().unwrap_or(' ');
                text.push(c);
                index += c.len_utf8();
            }
            strings.push((start, (index + 1).min(bytes.len()), text));
        }
        index += 1;
    }
    strings
}

/// sed: the `e` command and the `e` flag of `s` run shell commands; `w`
/// (as a command or a flag of `s`) writes a file.
fn sed(walker: &mut Walker, script: &str, span: Span) {
    for command in sed_commands(script) {
        match command {
            SedCommand::Execute(Some(code)) => walker.nested(&code, span, true),
            SedCommand::Execute(None) => walker.emit(
                IntentKind::CodeDynamic,
                Scope::Unbounded,
                None,
                span,
                Some("sed runs the text it edits as a shell command (e)".to_owned()),
            ),
            SedCommand::Write(file) => {
                let target = Arg::literal(file, span);
                walker.write_path(&target, &Stream::Unknown, Write::Replace, span, Some("sed's w writes it"));
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum SedCommand {
    /// `e command`, or the pattern space run as a command (`None`).
    Execute(Option<String>),
    /// `w file`.
    Write(String),
}

/// The commands of a sed script that run programs or write files.
fn sed_commands(script: &str) -> Vec<SedCommand> {
    let chars: Vec<char> = script.chars().collect();
    let mut found = Vec::new();
    let mut index = 0;
    let rest_of_line = |index: &mut usize| -> String {
        let mut text = String::new();
        while *index < chars.len() && chars[*index] != '\n' {
            text.push(chars[*index]);
            *index += 1;
        }
        text.trim().to_owned()
    };
    while index < chars.len() {
        let c = chars[index];
        // Addresses: numbers, $, /regex/, \cREGEXc, ranges, steps, !.
        if c.is_ascii_digit() || matches!(c, '$' | ',' | '~' | '!' | '+' | ' ' | '\t' | ';' | '\n' | '{' | '}') {
            index += 1;
            continue;
        }
        if c == '/' || c == '\\' {
            let delimiter = if c == '\\' {
                index += 1;
                chars.get(index).copied().unwrap_or('/')
            } else {
                '/'
            };
            index += 1;
            while index < chars.len() && chars[index] != delimiter {
                if chars[index] == '\\' {
                    index += 1;
                }
                index += 1;
            }
            index += 1;
            // Address flags: I, M.
            while index < chars.len() && matches!(chars[index], 'I' | 'M') {
                index += 1;
            }
            continue;
        }
        index += 1;
        match c {
            'e' => {
                let command = rest_of_line(&mut index);
                found.push(SedCommand::Execute((!command.is_empty()).then_some(command)));
            }
            'w' | 'W' => found.push(SedCommand::Write(rest_of_line(&mut index))),
            'r' | 'R' | 'a' | 'i' | 'c' | 'b' | 't' | 'T' | ':' | 'q' | 'Q' | 'l' | 'L' | 'v' => {
                // Their argument runs to the end of the line (or `;` for labels and numbers).
                while index < chars.len()
                    && chars[index] != '\n'
                    && !(matches!(c, 'b' | 't' | 'T' | 'q' | 'Q' | 'l' | 'L') && chars[index] == ';')
                {
                    index += 1;
                }
            }
            's' | 'y' => {
                let Some(&delimiter) = chars.get(index) else { break };
                index += 1;
                for _ in 0..2 {
                    while index < chars.len() && chars[index] != delimiter {
                        if chars[index] == '\\' {
                            index += 1;
                        }
                        index += 1;
                    }
                    index += 1;
                }
                if c == 's' {
                    while index < chars.len() && !matches!(chars[index], ';' | '\n' | '}') {
                        match chars[index] {
                            'e' => found.push(SedCommand::Execute(None)),
                            'w' => {
                                index += 1;
                                found.push(SedCommand::Write(rest_of_line(&mut index)));
                                break;
                            }
                            _ => {}
                        }
                        index += 1;
                    }
                }
            }
            _ => {}
        }
    }
    found
}

fn shell_or_dynamic(walker: &mut Walker, argument: Option<String>, span: Span, what: &str) {
    match argument {
        Some(shell) => walker.nested(&shell, span, true),
        None => walker.emit(
            IntentKind::CodeDynamic,
            Scope::Unbounded,
            None,
            span,
            Some(format!("{what} runs a command built at run time")),
        ),
    }
}

/// Calls that run a shell command given as their first argument.
const SHELL_OUTS: &[&str] = &[
    "os.system(",
    "os.popen(",
    "subprocess.run(",
    "subprocess.call(",
    "subprocess.check_call(",
    "subprocess.check_output(",
    "subprocess.Popen(",
    "subprocess.getoutput(",
    "subprocess.getstatusoutput(",
    "commands.getoutput(",
    "execSync(",
    "exec(",
    "spawnSync(",
    "spawn(",
    "execFileSync(",
    "system(",
    "shell_exec(",
    "passthru(",
    "popen(",
    "IO.popen(",
    "Open3.capture2(",
    "Open3.capture3(",
    "qx(",
    "qx{",
    "%x(",
    "%x{",
];

/// Calls that delete a tree, and calls that delete one file.
const RECURSIVE_DELETES: &[&str] = &[
    "shutil.rmtree(",
    "rmtree(",
    "FileUtils.rm_rf(",
    "FileUtils.rm_r(",
    "FileUtils.remove_dir(",
    "FileUtils.remove_entry(",
    "rimraf(",
    "remove_tree(",
    "fs.rmSync(",
    "fs.rm(",
    "fsPromises.rm(",
    "Deno.remove(",
];
const DELETES: &[&str] = &[
    "os.remove(",
    "os.unlink(",
    "os.rmdir(",
    "os.removedirs(",
    ".unlink(",
    "File.delete(",
    "FileUtils.rm(",
    "fs.unlinkSync(",
    "fs.unlink(",
    "fs.rmdirSync(",
    "unlink(",
    "File.unlink(",
];

/// Looks through an interpreter's inline code for shell-outs, deletions
/// and fork loops.
fn inline_code(walker: &mut Walker, code: &str, span: Span) {
    for call in SHELL_OUTS {
        for argument in call_arguments(code, call) {
            match argument {
                Some(shell) => walker.nested(&shell, span, true),
                None => walker.emit(
                    IntentKind::CodeDynamic,
                    Scope::Unbounded,
                    None,
                    span,
                    Some(format!("{} runs a command built at run time", call.trim_end_matches(['(', '{']))),
                ),
            }
        }
    }
    // Ruby and Perl backticks run shell.
    let mut rest = code;
    while let Some(start) = rest.find('`') {
        let Some(length) = rest[start + 1..].find('`') else { break };
        walker.nested(&rest[start + 1..start + 1 + length], span, true);
        rest = &rest[start + 2 + length..];
    }
    for (calls, kind) in [(RECURSIVE_DELETES, IntentKind::FsDeleteRecursive), (DELETES, IntentKind::FsDelete)] {
        for call in calls {
            if call == &"rmtree(" && code.contains("shutil.rmtree(") || call == &"unlink(" && code.contains(".unlink(")
            {
                continue;
            }
            for argument in call_arguments(code, call) {
                let recursive_option = code.contains("recursive: true") || code.contains("recursive:true");
                let kind = if *call == "fs.rmSync("
                    || *call == "fs.rm("
                    || *call == "fsPromises.rm("
                    || *call == "Deno.remove("
                {
                    if recursive_option { IntentKind::FsDeleteRecursive } else { IntentKind::FsDelete }
                } else {
                    kind
                };
                let place = match argument {
                    Some(path) => walker.place(&Arg::literal(path, span)),
                    None => crate::paths::Place { name: "<computed path>".to_owned(), scope: Scope::Unbounded },
                };
                walker.emit(
                    kind,
                    place.scope,
                    Some(Object::new("path", place.name)),
                    span,
                    Some(format!("{} in inline code", call.trim_end_matches('('))),
                );
            }
        }
    }
    let forks = code.contains("fork");
    if forks && (code.contains("while") || code.contains("for(;;)") || code.contains("loop")) {
        walker.emit(
            IntentKind::SystemForkBomb,
            Scope::Unbounded,
            None,
            span,
            Some("inline code forks in a loop".to_owned()),
        );
    }
}

/// The first argument of every call to `call` in `code`: its text when it
/// is a string literal (or a list of them), `None` when computed.
fn call_arguments(code: &str, call: &str) -> Vec<Option<String>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(call) {
        let start = from + at;
        from = start + call.len();
        // `exec(` must not match `os.execv(` or `subprocess.exec(` twice:
        // a call name preceded by an identifier character is another call.
        if in_string(&code[..start]) {
            continue;
        }
        let preceded = code[..start].chars().next_back();
        if !call.contains('.') && preceded.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if call.starts_with('.') && code[..start].ends_with("os") {
            continue;
        }
        let rest = code[from..].trim_start();
        found.push(literal_argument(rest, call.ends_with('{') || call.ends_with("x(")));
    }
    found
}

/// Whether the end of `code` lies inside a string literal: a call named
/// in a string (`print('shutil.rmtree')`) is data, not a call.
fn in_string(code: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in code.chars() {
        match (quote, c) {
            (_, _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(open), c) if c == open => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            _ => {}
        }
    }
    quote.is_some()
}

/// Reads a string literal, or a list of them joined by spaces, at the
/// start of `rest`. Perl's `qx{...}` and Ruby's `%x(...)` are literal up
/// to their closing bracket.
fn literal_argument(rest: &str, bracketed: bool) -> Option<String> {
    if bracketed {
        let end = rest.find(['}', ')'])?;
        return Some(rest[..end].to_owned());
    }
    let mut chars = rest.chars();
    match chars.next()? {
        quote @ ('\'' | '"' | '`') => {
            let body = &rest[1..];
            let mut out = String::new();
            let mut escaped = false;
            for c in body.chars() {
                if escaped {
                    out.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == quote {
                    return Some(out);
                } else {
                    out.push(c);
                }
            }
            None
        }
        '[' => {
            let end = rest.find(']')?;
            let items: Option<Vec<String>> =
                rest[1..end].split(',').map(|item| literal_argument(item.trim(), false)).collect();
            items.map(|items| items.join(" "))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sed_scripts_that_run_or_write() {
        assert_eq!(sed_commands("s/a/b/g"), []);
        assert_eq!(sed_commands("1e rm -rf /etc"), [SedCommand::Execute(Some("rm -rf /etc".to_owned()))]);
        assert_eq!(sed_commands("s/.*/id/e"), [SedCommand::Execute(None)]);
        assert_eq!(sed_commands("s/x/y/w /etc/passwd"), [SedCommand::Write("/etc/passwd".to_owned())]);
        assert_eq!(sed_commands("/^#/d;w out.txt"), [SedCommand::Write("out.txt".to_owned())]);
        assert_eq!(sed_commands("s|/usr|/opt|g; s/e/E/"), []);
        assert_eq!(sed_commands("/start/,/end/{s/a/b/;p}"), []);
    }
}
