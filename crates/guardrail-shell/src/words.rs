//! Words as the shell sees them: quotes and escapes spliced, variables
//! assigned earlier in the line substituted, and what stays unknown until
//! the command runs marked as such.

use brush_parser::word::{
    self, Parameter, ParameterExpr, ParameterTransformOp, SpecialParameter, WordPiece, WordPieceWithSource,
};

use crate::braces::{self, Expansion};
use crate::flow::Mark;
use guardrail_core::Span;

/// One argument, resolved as far as the text allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Arg {
    /// The text the program would receive. Parts only known at run time
    /// appear as written (`$DIR`).
    pub text: String,
    /// Some part comes from an expansion the analyzer cannot resolve.
    pub dynamic: bool,
    /// Unquoted glob or brace-expansion syntax: the shell would replace the
    /// word with the names it matches.
    pub glob: bool,
    /// Where the word is in the text being checked.
    pub span: Span,
    /// The word as written, quotes and expansions included.
    pub raw: String,
    /// Where some of its text came from, when that matters: a secret read
    /// earlier, a download.
    pub mark: Option<Mark>,
}

impl Arg {
    pub(crate) fn literal(text: impl Into<String>, span: Span) -> Arg {
        let text = text.into();
        Arg { raw: text.clone(), text, dynamic: false, glob: false, span, mark: None }
    }

    /// Whether the argument is exactly `text`, known before it runs.
    pub(crate) fn is(&self, text: &str) -> bool {
        !self.dynamic && self.text == text
    }
}

/// A variable's value as far as it is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    pub text: String,
    pub dynamic: bool,
    pub glob: bool,
    /// Where its text came from, when that matters.
    pub mark: Option<Mark>,
}

impl Value {
    pub(crate) fn known(text: impl Into<String>) -> Value {
        Value { text: text.into(), dynamic: false, glob: false, mark: None }
    }

    pub(crate) fn unknown(mark: Option<Mark>) -> Value {
        Value { text: String::new(), dynamic: true, glob: false, mark }
    }

    /// The value, or an unknown one of the same origin if it is longer than
    /// the walker follows ([`MAX_VALUE`]).
    pub(crate) fn bounded(self) -> Value {
        if self.text.len() > MAX_VALUE { Value::unknown(self.mark) } else { self }
    }
}

/// The longest value the walker follows: `x=$x$x` in a loop doubles a
/// value each time, and a line of a few hundred bytes could otherwise ask
/// for gigabytes. Longer values are unknown, as if computed at run time.
pub(crate) const MAX_VALUE: usize = 1 << 20;

/// What running a command substitution gives the word it stands in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Substituted {
    /// Its output, when the line spells it out (`$(echo ls)`).
    pub output: Option<String>,
    /// Where its output comes from, when that matters (`$(cat ~/.ssh/id_rsa)`).
    pub mark: Option<Mark>,
}

/// What resolving a word needs from the walker: variables and the output
/// of command substitutions (which it also analyses, since they run).
pub(crate) trait Resolver {
    fn variable(&self, name: &str) -> Option<Value>;
    fn home(&self) -> Option<String>;
    /// Runs the analysis of a command substitution and returns its output
    /// when it is literal text (`$(echo ls)`), and its mark.
    /// `span` is where the word holding the substitution is.
    fn substitute(&mut self, code: &str, span: Span) -> Substituted;
    /// A word the word grammar cannot read, or that expands to too many
    /// words: whatever it holds (a substitution that runs code, say) was
    /// not followed, so the analysis must not pass it as harmless.
    fn unreadable(&mut self, raw: &str, span: Span);
    /// The code of a command substitution lifted out of the line before it
    /// was parsed ([`lift_line`]), by number.
    fn lifted(&self, index: usize) -> Option<String>;
}

/// How the analyzer reads shell text: as `bash -c` does, which is how
/// agents and `exec -c` run it. Extended globs (`@(...)`, `!(...)`) are off
/// in a non-interactive bash unless a script turns them on.
pub(crate) fn parser_options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions { enable_extended_globbing: false, ..Default::default() }
}

/// A word resolved, before field splitting.
#[derive(Default)]
struct Resolved {
    text: String,
    dynamic: bool,
    glob: bool,
    /// An unquoted expansion contributed text, so the shell would split it
    /// into several arguments at whitespace.
    split: bool,
    mark: Option<Mark>,
    /// Command substitutions lifted out of the word before parsing it
    /// ([`lift_heredoc_substitutions`]), by placeholder number.
    lifted: Vec<String>,
}

impl Resolved {
    /// A command substitution's output in its place: its text without the
    /// trailing newlines when the line spells it out, else known only at
    /// run time; split into words unless quoted.
    fn substituted(&mut self, substituted: Substituted, quoted: bool) {
        match substituted.output {
            Some(output) => self.text.push_str(output.trim_end_matches('\n')),
            None => {
                self.dynamic = true;
                self.text.push_str("$()");
            }
        }
        self.mark = Mark::worst(self.mark.take(), substituted.mark);
        self.split |= !quoted;
    }
}

/// Resolves one word of the text into the arguments the shell would pass:
/// brace expansion first, then each word's quotes and expansions.
pub(crate) fn resolve(resolver: &mut dyn Resolver, raw: &str, span: Span) -> Vec<Arg> {
    // The tokenizer accepted it but the word grammar did not: keep the raw
    // text, call it known only at run time, and report it.
    let unknown = |resolver: &mut dyn Resolver| {
        resolver.unreadable(raw, span);
        vec![Arg { text: raw.to_owned(), dynamic: true, glob: false, span, raw: raw.to_owned(), mark: None }]
    };
    // Most words are plain: nothing to expand, quote, match or split.
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=,+@%^#".contains(c);
    if !raw.is_empty() && raw.chars().all(plain) {
        return vec![Arg::literal(raw, span)];
    }
    let (lifted_raw, lifted) = lift_heredoc_substitutions(raw);
    let word_text = lifted_raw.as_deref().unwrap_or(raw);
    let Ok(pieces) = word::parse(word_text, &parser_options()) else {
        return unknown(resolver);
    };
    match braces::expand(word_text, &pieces) {
        Expansion::Unchanged => resolve_pieces(resolver, &pieces, raw, span, &lifted),
        Expansion::Words(words) => {
            let mut args = Vec::new();
            for word in &words {
                match word::parse(word, &parser_options()) {
                    Ok(pieces) => args.extend(resolve_pieces(resolver, &pieces, raw, span, &lifted)),
                    Err(_) => args.extend(unknown(resolver)),
                }
            }
            args
        }
        // Too many words to follow.
        Expansion::TooMuch => unknown(resolver),
    }
}

fn resolve_pieces(
    resolver: &mut dyn Resolver,
    pieces: &[WordPieceWithSource],
    raw: &str,
    span: Span,
    lifted: &[String],
) -> Vec<Arg> {
    let mut resolved = Resolved { lifted: lifted.to_vec(), ..Resolved::default() };
    pieces_into(resolver, pieces, false, span, &mut resolved);
    if resolved.split && !resolved.text.is_empty() {
        // Fields split at $IFS, which the line may have changed (`IFS=,`).
        let separators: Vec<char> = match resolver.variable("IFS") {
            Some(ifs) if !ifs.dynamic => ifs.text.chars().collect(),
            _ => vec![' ', '\t', '\n'],
        };
        if separators.is_empty() {
            return vec![Arg {
                text: resolved.text,
                dynamic: resolved.dynamic,
                glob: resolved.glob,
                span,
                raw: raw.to_owned(),
                mark: resolved.mark,
            }];
        }
        let fields: Vec<Arg> = resolved
            .text
            .split(|c| separators.contains(&c))
            .filter(|field| !field.is_empty())
            .map(|field| Arg {
                text: field.to_owned(),
                dynamic: resolved.dynamic,
                glob: resolved.glob,
                span,
                raw: raw.to_owned(),
                mark: resolved.mark.clone(),
            })
            .collect();
        return fields;
    }
    vec![Arg {
        text: resolved.text,
        dynamic: resolved.dynamic,
        glob: resolved.glob,
        span,
        raw: raw.to_owned(),
        mark: resolved.mark,
    }]
}

/// Resolves a word to one string, with no field splitting: assignment
/// values, here-string bodies, the operand of `[[ ]]`.
pub(crate) fn resolve_joined(resolver: &mut dyn Resolver, raw: &str, span: Span) -> Value {
    if raw.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%^#".contains(c)) {
        return Value::known(raw);
    }
    let (lifted_raw, lifted) = lift_heredoc_substitutions(raw);
    match word::parse(lifted_raw.as_deref().unwrap_or(raw), &parser_options()) {
        Ok(pieces) => {
            let mut resolved = Resolved { lifted, ..Resolved::default() };
            pieces_into(resolver, &pieces, false, span, &mut resolved);
            Value { text: resolved.text, dynamic: resolved.dynamic, glob: resolved.glob, mark: resolved.mark }
        }
        Err(_) => {
            resolver.unreadable(raw, span);
            Value { text: raw.to_owned(), dynamic: true, glob: false, mark: None }
        }
    }
}

fn pieces_into(
    resolver: &mut dyn Resolver,
    pieces: &[WordPieceWithSource],
    quoted: bool,
    span: Span,
    out: &mut Resolved,
) {
    for piece in pieces {
        if out.text.len() > MAX_VALUE {
            out.text.clear();
            out.dynamic = true;
            return;
        }
        match &piece.piece {
            WordPiece::Text(text) => {
                if !quoted && is_pattern(text) {
                    out.glob = true;
                }
                out.text.push_str(text);
            }
            WordPiece::SingleQuotedText(text) => out.text.push_str(text),
            WordPiece::AnsiCQuotedText(text) => out.text.push_str(&ansi_c(text)),
            WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
                pieces_into(resolver, inner, true, span, out);
            }
            // Tilde expansion reads $HOME (which the line may have changed),
            // $PWD for `~+` and $OLDPWD for `~-`.
            WordPiece::TildePrefix(user) => {
                let variable = match user.as_str() {
                    "" => Some("HOME"),
                    "+" => Some("PWD"),
                    "-" => Some("OLDPWD"),
                    _ => None,
                };
                match variable.map(|name| (name, resolver.variable(name))) {
                    Some((_, Some(value))) => {
                        out.text.push_str(&value.text);
                        out.dynamic |= value.dynamic;
                    }
                    Some(("HOME", None)) => out.text.push_str(&resolver.home().unwrap_or_else(|| "/home/~".to_owned())),
                    Some(_) => {
                        out.dynamic = true;
                        out.text.push_str("/<unknown directory>");
                    }
                    None if user == "root" => out.text.push_str("/root"),
                    None => {
                        out.text.push_str("/home/");
                        out.text.push_str(user);
                    }
                }
            }
            WordPiece::ParameterExpansion(ParameterExpr::Parameter { parameter: Parameter::Named(name), .. })
                if name.starts_with(LIFTED) || name.starts_with(LINE_LIFTED) =>
            {
                let code = match name.strip_prefix(LINE_LIFTED) {
                    Some(index) => index.parse::<usize>().ok().and_then(|index| resolver.lifted(index)),
                    None => name[LIFTED.len()..].parse::<usize>().ok().and_then(|index| out.lifted.get(index).cloned()),
                };
                let substituted = code.map(|code| resolver.substitute(&code, span)).unwrap_or_default();
                out.substituted(substituted, quoted);
            }
            WordPiece::ParameterExpansion(expression) => {
                if matches!(
                    expression,
                    ParameterExpr::Parameter {
                        parameter: Parameter::NamedWithAllIndices { concatenate: false, .. },
                        ..
                    } | ParameterExpr::Parameter {
                        parameter: Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate: false }),
                        ..
                    }
                ) {
                    // "${a[@]}" and "$@" are one word per element, quoted or not.
                    out.split = true;
                }
                let value = parameter(resolver, expression, span);
                match value {
                    Some(value) => {
                        out.text.push_str(&value.text);
                        out.dynamic |= value.dynamic;
                        out.glob |= value.glob && !quoted;
                        out.mark = Mark::worst(out.mark.take(), value.mark);
                    }
                    None => {
                        out.dynamic = true;
                        out.text.push_str("${}");
                    }
                }
                out.split |= !quoted;
            }
            WordPiece::CommandSubstitution(code) | WordPiece::BackquotedCommandSubstitution(code) => {
                let substituted = resolver.substitute(code, span);
                out.substituted(substituted, quoted);
            }
            WordPiece::EscapeSequence(escape) => {
                let escaped = escape.strip_prefix('\\').unwrap_or(escape);
                if escaped != "\n" {
                    out.text.push_str(escaped);
                }
            }
            WordPiece::ArithmeticExpression(expression) => {
                // Arithmetic yields a number; substitutions inside it, and in
                // the values of the variables it names, still run.
                arithmetic(resolver, &expression.value, span);
                out.dynamic = true;
                out.text.push('0');
            }
        }
    }
}

/// The name of the placeholders [`lift_heredoc_substitutions`] puts in a word.
const LIFTED: &str = "__guardrail_lifted_";

/// The name of the placeholders [`lift_line`] puts in a line.
const LINE_LIFTED: &str = "__guardrail_line_";

/// Lifts the command substitutions that hold a here-document out of a
/// whole line, before it is tokenized: brush-parser's tokenizer loses its
/// way in `"$(cat <<'EOF' ... EOF)"` when the message holds quotes,
/// brackets or backquotes, and rejects the line. Each is replaced with a
/// placeholder variable numbered from `first`; returns the rewritten line
/// and the code of each, or `None` when there was nothing to lift.
pub(crate) fn lift_line(line: &str, first: usize) -> Option<(String, Vec<String>)> {
    if !line.contains("<<") || !line.contains("$(") {
        return None;
    }
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut codes = Vec::new();
    let mut index = 0;
    let mut double = false;
    while index < chars.len() {
        let c = chars[index];
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = chars.get(index + 1) {
                    out.push(*next);
                }
                index += 2;
                continue;
            }
            '\'' if !double => {
                // A single-quoted string, copied whole.
                let end = chars[index + 1..].iter().position(|c| *c == '\'').map_or(chars.len(), |at| index + 1 + at);
                out.extend(&chars[index..(end + 1).min(chars.len())]);
                index = end + 1;
                continue;
            }
            '"' => double = !double,
            '$' if chars.get(index + 1) == Some(&'(') && chars.get(index + 2) != Some(&'(') => {
                if let Some(end) = substitution_end(&chars, index + 2) {
                    let code: String = chars[index + 2..end].iter().collect();
                    if code.contains("<<") {
                        out.push_str(&format!("${{{LINE_LIFTED}{}}}", first + codes.len()));
                        codes.push(code);
                    } else {
                        out.extend(&chars[index..=end]);
                    }
                    index = end + 1;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        index += 1;
    }
    (!codes.is_empty()).then_some((out, codes))
}

/// Lifts the command substitutions that hold a here-document out of a
/// word (`"$(cat <<'EOF' ... EOF)"`, how agents write commit messages),
/// replacing each with a placeholder variable. brush-parser's word grammar
/// reads quotes inside the here-document's body as shell quotes (an
/// apostrophe in "I've" opens one), misses the substitution, and finds
/// backquotes in the message instead. Returns the rewritten word, if any
/// substitution was lifted, and the code of each.
fn lift_heredoc_substitutions(raw: &str) -> (Option<String>, Vec<String>) {
    if !raw.contains("<<") || !raw.contains("$(") {
        return (None, Vec::new());
    }
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    let mut codes = Vec::new();
    let mut index = 0;
    let mut single_quoted = false;
    while index < chars.len() {
        let c = chars[index];
        if c == '\\' && !single_quoted {
            out.push(c);
            if let Some(next) = chars.get(index + 1) {
                out.push(*next);
            }
            index += 2;
            continue;
        }
        if c == '\'' && !in_double_quotes(&out) {
            single_quoted = !single_quoted;
        }
        if !single_quoted
            && c == '$'
            && chars.get(index + 1) == Some(&'(')
            && chars.get(index + 2) != Some(&'(')
            && let Some(end) = substitution_end(&chars, index + 2)
        {
            let code: String = chars[index + 2..end].iter().collect();
            if code.contains("<<") {
                out.push_str(&format!("${{{LIFTED}{}}}", codes.len()));
                codes.push(code);
                index = end + 1;
                continue;
            }
        }
        out.push(c);
        index += 1;
    }
    if codes.is_empty() { (None, codes) } else { (Some(out), codes) }
}

/// Whether text written so far leaves an open double quote.
fn in_double_quotes(text: &str) -> bool {
    let mut open = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => open = !open,
            _ => {}
        }
    }
    open
}

/// The index of the `)` that closes a command substitution whose code
/// starts at `start`: quotes, nested parentheses and here-document bodies
/// (up to their delimiter line, quoted or not) are skipped.
fn substitution_end(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 1;
    let mut index = start;
    let mut pending: Vec<(String, bool)> = Vec::new();
    while index < chars.len() {
        match chars[index] {
            '\\' => index += 1,
            '\'' => {
                index += 1;
                while index < chars.len() && chars[index] != '\'' {
                    index += 1;
                }
            }
            '"' => {
                index += 1;
                while index < chars.len() && chars[index] != '"' {
                    if chars[index] == '\\' {
                        index += 1;
                    }
                    index += 1;
                }
            }
            '<' if chars.get(index + 1) == Some(&'<') && chars.get(index + 2) != Some(&'<') => {
                index += 2;
                let strip = chars.get(index) == Some(&'-');
                if strip {
                    index += 1;
                }
                while chars.get(index).is_some_and(|c| *c == ' ' || *c == '\t') {
                    index += 1;
                }
                let mut tag = String::new();
                while let Some(&c) = chars.get(index) {
                    if c.is_whitespace() || matches!(c, ';' | '&' | '|' | ')' | '<' | '>') {
                        break;
                    }
                    tag.push(c);
                    index += 1;
                }
                let tag: String = tag.chars().filter(|c| !matches!(c, '\'' | '"' | '\\')).collect();
                if !tag.is_empty() {
                    pending.push((tag, strip));
                }
                continue;
            }
            '\n' if !pending.is_empty() => {
                // Here-document bodies follow the line that opened them.
                for (tag, strip) in std::mem::take(&mut pending) {
                    loop {
                        index += 1;
                        let line_start = index;
                        while index < chars.len() && chars[index] != '\n' {
                            index += 1;
                        }
                        let line: String = chars[line_start..index].iter().collect();
                        let line = if strip { line.trim_start_matches('\t').to_owned() } else { line };
                        let unquoted = line.trim_matches(['\'', '"']);
                        if index >= chars.len() || line == tag || unquoted == tag {
                            break;
                        }
                    }
                }
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
}

/// The value of a parameter expansion, when the line determines it. Every
/// part bash expands (defaults, alternatives, patterns, replacements,
/// offsets, subscripts) is expanded too, for the substitutions it runs.
fn parameter(resolver: &mut dyn Resolver, expression: &ParameterExpr, span: Span) -> Option<Value> {
    use ParameterExpr as P;
    let expand =
        |resolver: &mut dyn Resolver, word: Option<&str>| word.map(|word| resolve_joined(resolver, word, span));
    match expression {
        P::Parameter { parameter, indirect: false } => lookup(resolver, parameter, span),
        P::UseDefaultValues { parameter, indirect: false, default_value, .. }
        | P::AssignDefaultValues { parameter, indirect: false, default_value, .. } => {
            match lookup(resolver, parameter, span) {
                Some(value) if !value.text.is_empty() || value.dynamic => Some(value),
                _ => expand(resolver, Some(default_value.as_deref().unwrap_or(""))),
            }
        }
        P::UseAlternativeValue { parameter, indirect: false, alternative_value, .. } => {
            let alternative = expand(resolver, Some(alternative_value.as_deref().unwrap_or("")));
            match lookup(resolver, parameter, span) {
                Some(value) if !value.dynamic && value.text.is_empty() => Some(Value::known("")),
                Some(value) if !value.dynamic => alternative,
                _ => alternative.map(|alternative| Value { dynamic: true, ..alternative }),
            }
        }
        P::IndicateErrorIfNullOrUnset { parameter, error_message, .. } => {
            expand(resolver, error_message.as_deref());
            lookup(resolver, parameter, span)
        }
        P::Transform { parameter, op: ParameterTransformOp::PromptExpand, .. } => {
            // `${p@P}` expands the value as a prompt: substitutions in it run.
            let value = lookup(resolver, parameter, span);
            if let Some(value) = &value
                && (value.text.contains("$(") || value.text.contains('`'))
            {
                resolve_joined(resolver, &format!("\"{}\"", value.text.replace('"', "\\\"")), span);
            }
            Some(Value::unknown(value.and_then(|value| value.mark)))
        }
        P::ReplaceSubstring { parameter, pattern, replacement, .. } => {
            expand(resolver, Some(pattern));
            expand(resolver, replacement.as_deref());
            Some(Value::unknown(lookup(resolver, parameter, span).and_then(|value| value.mark)))
        }
        P::Substring { parameter, offset, length, .. } => {
            arithmetic(resolver, &offset.value, span);
            if let Some(length) = length {
                arithmetic(resolver, &length.value, span);
            }
            Some(Value::unknown(lookup(resolver, parameter, span).and_then(|value| value.mark)))
        }
        P::RemoveSmallestSuffixPattern { parameter, pattern, .. }
        | P::RemoveLargestSuffixPattern { parameter, pattern, .. }
        | P::RemoveSmallestPrefixPattern { parameter, pattern, .. }
        | P::RemoveLargestPrefixPattern { parameter, pattern, .. }
        | P::UppercaseFirstChar { parameter, pattern, .. }
        | P::UppercasePattern { parameter, pattern, .. }
        | P::LowercaseFirstChar { parameter, pattern, .. }
        | P::LowercasePattern { parameter, pattern, .. } => {
            expand(resolver, pattern.as_deref());
            Some(Value::unknown(lookup(resolver, parameter, span).and_then(|value| value.mark)))
        }
        P::Parameter { parameter, .. }
        | P::UseDefaultValues { parameter, .. }
        | P::AssignDefaultValues { parameter, .. }
        | P::UseAlternativeValue { parameter, .. }
        | P::ParameterLength { parameter, .. }
        | P::Transform { parameter, .. } => {
            Some(Value::unknown(lookup(resolver, parameter, span).and_then(|value| value.mark)))
        }
        P::VariableNames { .. } | P::MemberKeys { .. } => None,
    }
}

/// A parameter's value: a variable, an array element (whose subscript is
/// evaluated), every element, or a positional parameter.
fn lookup(resolver: &mut dyn Resolver, parameter: &Parameter, span: Span) -> Option<Value> {
    match parameter {
        Parameter::Named(name) => resolver.variable(name),
        Parameter::NamedWithIndex { name, index } => {
            arithmetic(resolver, index, span);
            resolver
                .variable(&format!("{name}[{index}]"))
                .or_else(|| resolver.variable(name).map(|value| Value { dynamic: true, ..value }))
        }
        Parameter::NamedWithAllIndices { name, .. } => resolver.variable(name),
        Parameter::Positional(index) => resolver.variable(&index.to_string()),
        Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate }) => {
            resolver.variable(if *concatenate { "*" } else { "@" })
        }
        Parameter::Special(_) => None,
    }
}

/// Evaluates text as bash evaluates arithmetic (`$((x))`, `((...))`,
/// `let`, `declare -i`, array subscripts, `[[ -gt ]]`): command
/// substitutions in it run, and so do those in the values of the variables
/// it names, which are evaluated as arithmetic in turn.
pub(crate) fn arithmetic(resolver: &mut dyn Resolver, text: &str, span: Span) {
    arithmetic_at(resolver, text, span, 0);
}

fn arithmetic_at(resolver: &mut dyn Resolver, text: &str, span: Span, depth: usize) {
    if depth > 8 {
        return;
    }
    for code in substitutions_in(text) {
        resolver.substitute(&code, span);
    }
    let mut name = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c);
            continue;
        }
        if !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && let Some(value) = resolver.variable(&name)
            && (value.text.contains("$(") || value.text.contains('`') || value.text.contains('['))
        {
            arithmetic_at(resolver, &value.text, span, depth + 1);
        }
        name.clear();
    }
}

/// The code of each command substitution written in `text` (`$(...)`,
/// `` `...` ``), outermost first; `$((` is arithmetic, not a substitution.
pub(crate) fn substitutions_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'$' && bytes.get(index + 1) == Some(&b'(') && bytes.get(index + 2) != Some(&b'(') {
            let start = index + 2;
            let mut depth = 1;
            let mut end = start;
            while end < bytes.len() && depth > 0 {
                match bytes[end] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                end += 1;
            }
            // An unclosed substitution runs to the end of the text.
            let close = if depth == 0 { end - 1 } else { end };
            found.push(text[start..close.max(start)].to_owned());
            index = end;
        } else if bytes[index] == b'`' {
            match text[index + 1..].find('`') {
                Some(length) => {
                    found.push(text[index + 1..index + 1 + length].to_owned());
                    index += length + 2;
                }
                None => break,
            }
        } else {
            index += 1;
        }
    }
    found
}

/// Whether unquoted text is a glob (`*`, `?`, `[...]`). A lone `[` (the
/// test command) is not. Brace expressions were expanded before.
fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?']) || text.find('[').is_some_and(|open| text[open..].contains(']'))
}

/// Decodes the body of `$'...'`.
pub(crate) fn ansi_c(body: &str) -> String {
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escape) = chars.next() else {
            out.push('\\');
            break;
        };
        let mut number = |radix: u32, max: usize, first: Option<char>| {
            let mut digits = String::new();
            if let Some(first) = first {
                digits.push(first);
            }
            while digits.len() < max {
                match chars.peek() {
                    Some(d) if d.is_digit(radix) => {
                        digits.push(*d);
                        chars.next();
                    }
                    _ => break,
                }
            }
            u32::from_str_radix(&digits, radix).ok().and_then(char::from_u32)
        };
        let decoded = match escape {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' | '\'' | '"' | '?' => Some(escape),
            'x' => number(16, 2, None),
            'u' => number(16, 4, None),
            'U' => number(16, 8, None),
            '0'..='7' => number(8, 3, Some(escape)),
            'c' => chars.next().map(|c| char::from((c as u8) & 0x1f)),
            other => {
                out.push('\\');
                Some(other)
            }
        };
        if let Some(decoded) = decoded {
            out.push(decoded);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;

    impl Resolver for Nothing {
        fn variable(&self, name: &str) -> Option<Value> {
            (name == "TMPDIR").then(|| Value::known("/tmp"))
        }
        fn home(&self) -> Option<String> {
            Some("/home/dev".to_owned())
        }
        fn substitute(&mut self, code: &str, _span: Span) -> Substituted {
            Substituted { output: code.strip_prefix("echo ").map(str::to_owned), mark: None }
        }
        fn unreadable(&mut self, raw: &str, _span: Span) {
            panic!("{raw:?} is readable");
        }
        fn lifted(&self, _index: usize) -> Option<String> {
            None
        }
    }

    #[test]
    fn words_resolve_as_the_shell_splices_them() {
        let cases: &[(&str, &[&str], bool, bool)] = &[
            ("r''m", &["rm"], false, false),
            ("\\rm", &["rm"], false, false),
            ("\"rm\"", &["rm"], false, false),
            ("$'\\x72\\x6d'", &["rm"], false, false),
            ("$'\\162\\155'", &["rm"], false, false),
            ("~/x", &["/home/dev/x"], false, false),
            ("$TMPDIR/build", &["/tmp/build"], false, false),
            ("${TMPDIR:-/var/tmp}/b", &["/tmp/b"], false, false),
            ("${NOPE:-/var/tmp}/b", &["/var/tmp/b"], false, false),
            ("\"$NOPE\"/b", &["${}/b"], true, false),
            ("*.txt", &["*.txt"], false, true),
            ("'*.txt'", &["*.txt"], false, false),
            ("{a,b}", &["a", "b"], false, false),
            ("~/{x,y}", &["/home/dev/x", "/home/dev/y"], false, false),
            ("'{a,b}'", &["{a,b}"], false, false),
            ("\\{a,b}", &["{a,b}"], false, false),
            ("{a,$TMPDIR}", &["a", "/tmp"], false, false),
            ("{*.rs,x}", &["*.rs", "x"], false, true),
            ("$(echo rm -rf)", &["rm", "-rf"], false, false),
            ("\"$(echo rm -rf)\"", &["rm -rf"], false, false),
            ("$(date)", &["$()"], true, false),
        ];
        for (raw, texts, dynamic, glob) in cases {
            let args = resolve(&mut Nothing, raw, Span::new(0, 0));
            let got: Vec<&str> = args.iter().map(|arg| arg.text.as_str()).collect();
            assert_eq!(&got, texts, "{raw}");
            assert_eq!(args[0].dynamic, *dynamic, "{raw} dynamic");
            assert_eq!(args[0].glob, *glob, "{raw} glob");
        }
    }
}
