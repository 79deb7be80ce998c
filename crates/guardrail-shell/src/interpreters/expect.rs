//! Expect scripts (`expect -c '...'`, `expect <<EOF`), which drive
//! interactive programs: read well enough to judge what they run.
//!
//! `spawn PROGRAM ARGS` starts a program: it is walked as a command, with
//! what the script `send`s it as its input, so `spawn ssh host` then `send
//! "rm -rf /srv\r"` is judged as `rm -rf /srv` run on that host, and `spawn
//! psql` then `send "DROP TABLE t;\r"` as SQL. What is sent after a prompt
//! that asks for a password (`expect "password:"`) is a secret: masked, and
//! not part of the program's input. `exec` and `system` run commands.
//! Expect's own commands (`expect`, `interact`, `set`, `sleep`, `log_user`,
//! `exit`...) do nothing outside the script. Anything else is Tcl the
//! analyzer does not read, and is `code.dynamic`.

use std::collections::HashMap;

use guardrail_core::{IntentKind, Scope, Span};

use crate::flow::Stream;
use crate::walk::Walker;
use crate::words::Arg;

/// Nesting of braced bodies followed (`expect { ... { send ... } }`).
const MAX_DEPTH: usize = 8;

/// Commands of Expect and Tcl that have no effect outside the script.
const INERT: &[&str] = &[
    "expect",
    "expect_before",
    "expect_after",
    "expect_user",
    "interact",
    "exp_continue",
    "exp_internal",
    "log_user",
    "log_file",
    "match_max",
    "remove_nulls",
    "sleep",
    "wait",
    "close",
    "exit",
    "puts",
    "send_user",
    "send_error",
    "send_log",
    "timeout",
    "stty",
    "trap",
    "return",
    "break",
    "continue",
    "incr",
    "append",
    "global",
    "package",
];

/// A word of the script: its text with quotes removed and backslash
/// escapes decoded, and whether it substitutes a command (`[...]`) the
/// reader does not follow.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    braced: bool,
    computed: bool,
}

struct Reader<'w> {
    walker: &'w mut Walker,
    span: Span,
    vars: HashMap<String, String>,
    /// The program spawned last, and what was sent to it.
    spawned: Option<(Vec<String>, String)>,
    /// Whether the last pattern waited for asks for a secret.
    asking_secret: bool,
}

/// Judges an Expect script found in the command at `span`.
pub(crate) fn analyze(walker: &mut Walker, code: &str, span: Span) {
    let mut reader = Reader { walker, span, vars: HashMap::new(), spawned: None, asking_secret: false };
    reader.script(code, 0);
    reader.finish_spawn();
}

impl Reader<'_> {
    fn script(&mut self, code: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return self.dynamic("Expect code nested too deeply to follow");
        }
        for command in commands(code) {
            let words: Vec<Word> = command.iter().map(|word| self.substitute(word)).collect();
            self.command(&words, depth);
        }
    }

    /// `$name` and `${name}` in a word that is not braced.
    fn substitute(&self, word: &Word) -> Word {
        if word.braced || !word.text.contains('$') {
            return word.clone();
        }
        let mut text = String::new();
        let mut computed = word.computed;
        let mut chars = word.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '$' {
                text.push(c);
                continue;
            }
            let mut name = String::new();
            if chars.peek() == Some(&'{') {
                chars.next();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    name.push(c);
                }
            } else {
                while let Some(&c) = chars.peek().filter(|c| c.is_alphanumeric() || **c == '_') {
                    name.push(c);
                    chars.next();
                }
            }
            match self.vars.get(&name) {
                Some(value) => text.push_str(value),
                None if name.is_empty() => text.push('$'),
                None => {
                    computed = true;
                    text.push('$');
                    text.push_str(&name);
                }
            }
        }
        Word { text, braced: false, computed }
    }

    fn command(&mut self, words: &[Word], depth: usize) {
        let Some(name) = words.first() else { return };
        let args = &words[1..];
        match name.text.as_str() {
            "spawn" => {
                self.finish_spawn();
                let argv: Vec<&Word> = args.iter().skip_while(|word| word.text.starts_with('-')).collect();
                if argv.iter().any(|word| word.computed) {
                    return self.dynamic("Expect spawns a command built at run time");
                }
                self.spawned = Some((argv.iter().map(|word| word.text.clone()).collect(), String::new()));
            }
            "send" => {
                let Some(text) = args.iter().rfind(|word| !word.text.starts_with('-') || word.text == "-") else {
                    return;
                };
                if std::mem::take(&mut self.asking_secret) {
                    self.walker.secret(text.text.trim_end_matches(['\r', '\n']), self.span);
                } else if text.computed {
                    self.dynamic("Expect sends text built at run time");
                } else if let Some((_, sent)) = &mut self.spawned {
                    sent.push_str(&text.text.replace('\r', "\n"));
                }
            }
            "expect" | "expect_before" | "expect_after" => {
                // One pattern, or a braced list of pattern-action pairs.
                match args.iter().rfind(|word| !word.text.starts_with('-')) {
                    Some(block) if block.braced && args.len() == 1 => {
                        let pairs = commands(&block.text).into_iter().flatten().collect::<Vec<_>>();
                        for pair in pairs.chunks(2) {
                            self.asking_secret = asks_secret(&pair[0].text);
                            if let Some(action) = pair.get(1) {
                                self.script(&action.text, depth + 1);
                            }
                        }
                        self.asking_secret = false;
                    }
                    Some(pattern) => self.asking_secret = asks_secret(&pattern.text),
                    None => {}
                }
            }
            "set" => {
                if let [variable, value] = args {
                    if value.computed {
                        self.vars.remove(&variable.text);
                    } else {
                        self.vars.insert(variable.text.clone(), value.text.clone());
                    }
                }
            }
            "exec" => {
                let argv: Vec<&Word> = args.iter().skip_while(|word| word.text.starts_with('-')).collect();
                if argv.iter().any(|word| word.computed) {
                    return self.dynamic("Expect's exec runs a command built at run time");
                }
                let argv: Vec<Arg> = argv.iter().map(|word| Arg::literal(word.text.clone(), self.span)).collect();
                self.walker.run(&argv, Stream::Terminal, self.span, &HashMap::new());
            }
            "system" => {
                if args.iter().any(|word| word.computed) {
                    return self.dynamic("Expect's system runs a command built at run time");
                }
                let code: Vec<&str> = args.iter().map(|word| word.text.as_str()).collect();
                self.walker.nested(&code.join(" "), self.span, true);
            }
            "if" | "while" | "for" | "foreach" | "proc" | "catch" => {
                // The bodies are the braced words; conditions are expressions.
                for body in args.iter().filter(|word| word.braced) {
                    self.script(&body.text, depth + 1);
                }
            }
            inert if INERT.contains(&inert) => {}
            other => self.dynamic(&format!("Expect runs `{other}`, Tcl the analyzer does not read")),
        }
    }

    /// Walks the program spawned last, with what was sent to it as its input.
    fn finish_spawn(&mut self) {
        let Some((argv, sent)) = self.spawned.take() else { return };
        let argv: Vec<Arg> = argv.into_iter().map(|text| Arg::literal(text, self.span)).collect();
        let input = if sent.trim().is_empty() { Stream::Terminal } else { Stream::Text(sent) };
        self.walker.run(&argv, input, self.span, &HashMap::new());
    }

    fn dynamic(&mut self, note: &str) {
        self.walker.emit(IntentKind::CodeDynamic, Scope::Unbounded, None, self.span, Some(note.to_owned()));
    }
}

/// Whether a prompt waited for asks for a secret.
fn asks_secret(pattern: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    ["assword", "passphrase", "passcode", "pin:", "token", "secret", "otp", "verification code"]
        .iter()
        .any(|word| pattern.contains(word))
}

/// The commands of a script, each as its words: separated by newlines and
/// `;` outside quotes and braces; `#` at a command's start is a comment.
fn commands(code: &str) -> Vec<Vec<Word>> {
    let chars: Vec<char> = code.chars().collect();
    let mut commands = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c == '\n' || c == ';' {
            if !words.is_empty() {
                commands.push(std::mem::take(&mut words));
            }
            at += 1;
            continue;
        }
        if c.is_whitespace() {
            at += 1;
            continue;
        }
        if c == '\\' && chars.get(at + 1) == Some(&'\n') {
            at += 2;
            continue;
        }
        if c == '#' && words.is_empty() {
            while at < chars.len() && chars[at] != '\n' {
                at += 1;
            }
            continue;
        }
        let (word, next) = word(&chars, at);
        words.push(word);
        at = next;
    }
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// The word starting at `at`, and where the next begins.
fn word(chars: &[char], mut at: usize) -> (Word, usize) {
    if chars[at] == '{' {
        let mut depth = 0;
        let start = at + 1;
        while at < chars.len() {
            match chars[at] {
                '\\' => at += 1,
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let text: String = chars[start..at].iter().collect();
                        return (Word { text, braced: true, computed: false }, at + 1);
                    }
                }
                _ => {}
            }
            at += 1;
        }
        let text: String = chars[start.min(chars.len())..].iter().collect();
        return (Word { text, braced: true, computed: false }, chars.len());
    }
    let quoted = chars[at] == '"';
    if quoted {
        at += 1;
    }
    let mut text = String::new();
    let mut computed = false;
    let mut brackets = 0;
    while at < chars.len() {
        let c = chars[at];
        let ends = if quoted { c == '"' && brackets == 0 } else { brackets == 0 && (c.is_whitespace() || c == ';') };
        if ends {
            if quoted {
                at += 1;
            }
            break;
        }
        match c {
            '\\' if at + 1 < chars.len() => {
                at += 1;
                text.push(match chars[at] {
                    'r' => '\r',
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
            '[' => {
                brackets += 1;
                computed = true;
                text.push(c);
            }
            ']' if brackets > 0 => {
                brackets -= 1;
                text.push(c);
            }
            _ => text.push(c),
        }
        at += 1;
    }
    (Word { text, braced: false, computed }, at)
}

#[cfg(test)]
mod tests {
    use super::{commands, word};

    #[test]
    fn words_are_read_as_tcl_reads_them() {
        let script = "spawn ssh admin@h uptime; expect \"password:\"\nsend \"pw\\r\" ;# comment\n# a comment\nexpect { \"yes/no\" { send \"yes\\r\"; exp_continue } eof }";
        let read: Vec<Vec<String>> =
            commands(script).into_iter().map(|words| words.into_iter().map(|word| word.text).collect()).collect();
        assert_eq!(
            read,
            vec![
                vec!["spawn", "ssh", "admin@h", "uptime"],
                vec!["expect", "password:"],
                vec!["send", "pw\r"],
                vec!["expect", " \"yes/no\" { send \"yes\\r\"; exp_continue } eof "],
            ]
        );
        let chars: Vec<char> = "\"a [exec id] b\"".chars().collect();
        assert!(word(&chars, 0).0.computed);
    }
}
