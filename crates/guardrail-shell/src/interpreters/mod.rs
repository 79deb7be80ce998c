//! Code for other interpreters, found inline (`python3 -c`, `node -e`,
//! `awk '...'`, `sed 's/x/y/e'`), in a here-document, or in a file the
//! line wrote. Python, JavaScript, Ruby, Perl, PHP and Lua are parsed with
//! their tree-sitter grammars ([`engine`]); awk, sed and Expect, whose
//! programs are small, are read by hand. Calls that run shell commands are walked as
//! shell, deletions and writes become path effects, secrets read and sent
//! are exfiltration, and what cannot be resolved is `code.dynamic`.

mod engine;
mod expect;
mod javascript;
mod lua;
mod perl;
mod php;
mod python;
mod ruby;

use guardrail_core::{IntentKind, Scope, Span};

use crate::effects::{Lang, Write};
use crate::flow::Stream;
use crate::walk::Walker;
use crate::words::Arg;

/// Judges `code` in `lang`, found in the command at `span`.
pub(crate) fn analyze(walker: &mut Walker, lang: Lang, code: &str, span: Span) {
    type Analysis = fn(&mut engine::Ctx<'_>, tree_sitter::Node<'_>);
    let (language, table, analysis): (tree_sitter::Language, _, Analysis) = match lang {
        Lang::Awk => return awk(walker, code, span),
        Lang::Sed => return sed(walker, code, span),
        Lang::Expect => return expect::analyze(walker, code, span),
        Lang::Python => (tree_sitter_python::LANGUAGE.into(), python::TABLE, python::analyze),
        Lang::JavaScript => (tree_sitter_javascript::LANGUAGE.into(), javascript::TABLE, javascript::analyze),
        Lang::Ruby => (tree_sitter_ruby::LANGUAGE.into(), ruby::TABLE, ruby::analyze),
        Lang::Perl => (tree_sitter_perl::LANGUAGE.into(), perl::TABLE, perl::analyze),
        Lang::Php => (php_language(code), php::TABLE, php::analyze),
        Lang::Lua => (tree_sitter_lua::LANGUAGE.into(), lua::TABLE, lua::analyze),
        Lang::Shell | Lang::Sql | Lang::Opaque => return walker.code_in(lang, code, span, lang.name()),
    };
    // Parsers are C: a panic or an absurd input is code nobody read.
    if code.len() > MAX_CODE {
        return walker.emit(
            IntentKind::Unknown,
            Scope::Unbounded,
            None,
            span,
            Some(format!("{} code too long to analyse", lang.name())),
        );
    }
    let Some(tree) = engine::parse(language, code) else {
        return walker.emit(
            IntentKind::Unknown,
            Scope::Unbounded,
            None,
            span,
            Some(format!("{} code the grammar could not read", lang.name())),
        );
    };
    let mut ctx = engine::Ctx::new(walker, lang, code, span, table);
    analysis(&mut ctx, tree.root_node());
    ctx.finish();
}

/// The longest interpreter code analysed (inline code is short).
const MAX_CODE: usize = 256 * 1024;

/// PHP code given to `php -r` has no `<?php` tag; a file does.
fn php_language(code: &str) -> tree_sitter::Language {
    if code.trim_start().starts_with("<?") {
        tree_sitter_php::LANGUAGE_PHP.into()
    } else {
        tree_sitter_php::LANGUAGE_PHP_ONLY.into()
    }
}

/// awk: `system(cmd)`, `print | cmd` and `cmd | getline` run shell
/// commands; `print > file` writes a file.
fn awk(walker: &mut Walker, code: &str, span: Span) {
    for argument in awk_calls(code, "system") {
        shell_or_dynamic(walker, argument, span, "awk's system()");
    }
    // Files the program reads itself (`getline line < "file"`): what it
    // prints into a command may be their content.
    let strings = awk_strings(code);
    let read = strings
        .iter()
        .filter(|(start, _, _)| {
            let before = code[..*start].trim_end();
            before.ends_with('<') && before.rsplit([';', '{', '\n']).next().is_some_and(|part| part.contains("getline"))
        })
        .map(|(_, _, file)| walker.read_path(&Arg::literal(file.clone(), span), false))
        .fold(None, |worst, stream| crate::flow::Mark::worst(worst, stream.mark()));
    for (start, end, text) in strings {
        let before = code[..start].trim_end();
        let after = code[end..].trim_start();
        let piped_to = before.ends_with('|') && !before.ends_with("||");
        let piped_from = after.starts_with('|') && after[1..].trim_start().starts_with("getline");
        if piped_to
            && crate::rules::is_shell(text.split_whitespace().next().unwrap_or("").rsplit('/').next().unwrap_or(""))
            && !text.contains(" -c")
        {
            // `print "cmd" | "sh"`: what is printed is the shell's code.
            let statement_start = code[..start].rfind(['{', ';', '\n']).map(|at| at + 1).unwrap_or(0);
            let printed = &code[statement_start..start];
            let literals: Vec<String> = awk_strings(printed).into_iter().map(|(_, _, text)| text).collect();
            if printed.contains('$') || literals.is_empty() {
                walker.emit(
                    IntentKind::CodeDynamic,
                    Scope::Unbounded,
                    None,
                    span,
                    Some("awk prints code built at run time into a shell".to_owned()),
                );
            } else {
                walker.nested(&literals.join(""), span, true);
            }
        } else if piped_to {
            walker.code_with_input(&text, span, Stream::marked(read.clone()));
        } else if piped_from {
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

/// The argument of each call to `function` in awk code: its text when it
/// is made of string literals only (`system("rm " "-rf x")`), else `None`.
fn awk_calls(code: &str, function: &str) -> Vec<Option<String>> {
    let strings = awk_strings(code);
    let in_string = |at: usize| strings.iter().any(|(start, end, _)| (*start..*end).contains(&at));
    let mut found = Vec::new();
    for (at, _) in code.match_indices(function) {
        let before = code[..at].chars().next_back();
        if in_string(at) || before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = code[at + function.len()..].trim_start();
        let Some(arguments) = rest.strip_prefix('(') else { continue };
        let open = code.len() - arguments.len();
        let mut depth = 1;
        let mut close = None;
        for (offset, c) in arguments.char_indices() {
            if in_string(open + offset) {
                continue;
            }
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + offset);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else {
            found.push(None);
            continue;
        };
        let inside: Vec<&(usize, usize, String)> =
            strings.iter().filter(|(start, _, _)| (open..close).contains(start)).collect();
        let mut rest = code[open..close].to_owned();
        for (start, end, _) in inside.iter().rev() {
            rest.replace_range(start - open..end - open, "");
        }
        let literal = !inside.is_empty() && rest.trim().is_empty();
        found.push(literal.then(|| inside.iter().map(|(_, _, text)| text.as_str()).collect::<String>()));
    }
    found
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
