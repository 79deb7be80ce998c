//! Brace expansion, as bash does it: on a word's raw text, before every
//! other expansion, so that each resulting word is then resolved (tilde,
//! variables, quotes) and scoped on its own. `rm -rf {build,/etc}` deletes
//! `/etc`, and `rm -rf ./{x,..}` the workspace's parent: a brace expression
//! is not a pattern bounded by the directory in front of it.
//!
//! The rules are bash's (`braces.c`), reimplemented:
//! - a brace expression starts at the first `{` that has a matching `}`
//!   with a comma, or `..`, between them outside inner braces; a `}` seen
//!   before any such separator is literal text;
//! - its body is split at commas outside inner braces and each part
//!   expanded; a body without any comma is a sequence (`1..5`, `a..e`,
//!   `01..10..3`) or, if it is not one, literal text (`{a}`);
//! - a `{` at the start of the word followed by `}` or nothing is literal;
//! - quoted text, escapes, `${...}` and substitutions are opaque: the word
//!   parser's own pieces say which bytes they cover.
//!
//! Expansion is bounded: at most [`MAX_WORDS`] words, and words of at most
//! [`MAX_LEN`] bytes; beyond either the word is [`Expansion::TooMuch`], and
//! the caller treats it as unknown.

use brush_parser::word::{WordPiece, WordPieceWithSource};

/// At most this many words from one word.
pub(crate) const MAX_WORDS: usize = 256;
/// Words longer than this with braces in them are not expanded: finding
/// the first valid brace expression is quadratic in bash's own rules.
pub(crate) const MAX_LEN: usize = 1024;

/// What brace expansion makes of one word.
#[derive(Debug, PartialEq)]
pub(crate) enum Expansion {
    /// No brace expression: the word as it was.
    Unchanged,
    /// The words, in bash's order, empty ones dropped.
    Words(Vec<String>),
    /// More than [`MAX_WORDS`] words, or too long a word to try.
    TooMuch,
}

/// One byte of the word: `opaque` bytes (quoted, escaped, expanded) are
/// never brace syntax.
#[derive(Clone, Copy, Debug)]
struct Unit {
    byte: u8,
    opaque: bool,
}

type Words = Vec<Vec<Unit>>;

struct TooMuch;

/// Expands the word `raw`, parsed into `pieces`: only unquoted literal
/// text can hold brace syntax.
pub(crate) fn expand(raw: &str, pieces: &[WordPieceWithSource]) -> Expansion {
    if !raw.contains('{') {
        return Expansion::Unchanged;
    }
    if raw.len() > MAX_LEN {
        return Expansion::TooMuch;
    }
    let mut units: Vec<Unit> = raw.bytes().map(|byte| Unit { byte, opaque: false }).collect();
    for piece in pieces.iter().filter(|piece| !matches!(piece.piece, WordPiece::Text(_))) {
        for unit in &mut units[piece.start_index.min(raw.len())..piece.end_index.min(raw.len())] {
            unit.opaque = true;
        }
    }
    match expand_units(&units) {
        Err(TooMuch) => Expansion::TooMuch,
        Ok(words) if words.len() == 1 && words[0].len() == units.len() => Expansion::Unchanged,
        Ok(words) => Expansion::Words(
            words
                .into_iter()
                .filter(|word| !word.is_empty())
                // Splits fall on ASCII syntax bytes, so each word is still UTF-8.
                .map(|word| {
                    String::from_utf8_lossy(&word.iter().map(|unit| unit.byte).collect::<Vec<u8>>()).into_owned()
                })
                .collect(),
        ),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Goal {
    Open,
    Close,
    Comma,
}

/// The index of the first `goal` byte of `text` at or after `from`, outside
/// inner braces (bash's `brace_gobbler`). A `Close` counts only once a
/// comma or `..` has been seen outside inner braces.
fn find(text: &[Unit], from: usize, goal: Goal) -> Option<usize> {
    let target = match goal {
        Goal::Open => b'{',
        Goal::Close => b'}',
        Goal::Comma => b',',
    };
    let mut level = 0usize;
    let mut separated = goal != Goal::Close;
    let mut index = from;
    while index < text.len() {
        let Unit { byte, opaque } = text[index];
        if opaque {
            index += 1;
            continue;
        }
        if byte == b'\\' {
            index += 2;
            continue;
        }
        let next = text.get(index + 1).filter(|unit| !unit.opaque).map(|unit| unit.byte);
        if byte == target && level == 0 && separated {
            // A `{` at the start followed by `}` or nothing is literal.
            if goal == Goal::Open && index == 0 && matches!(next, None | Some(b'}')) {
                index += 1;
                continue;
            }
            return Some(index);
        }
        match byte {
            b'{' => level += 1,
            b'}' if level > 0 => level -= 1,
            b',' if goal == Goal::Close && level == 0 => separated = true,
            b'.' if goal == Goal::Close
                && level == 0
                && next == Some(b'.')
                && text.get(index + 2).is_none_or(|unit| unit.byte != b'}' || unit.opaque) =>
            {
                separated = true
            }
            _ => {}
        }
        index += 1;
    }
    None
}

fn expand_units(text: &[Unit]) -> Result<Words, TooMuch> {
    // The first `{` that begins a valid brace expression.
    let mut from = 0;
    let (open, close) = loop {
        let Some(open) = find(text, from, Goal::Open) else {
            return Ok(vec![text.to_vec()]);
        };
        match find(text, open + 1, Goal::Close) {
            Some(close) => break (open, close),
            None => from = open + 1,
        }
    };
    let preamble = &text[..open];
    let body = &text[open + 1..close];
    let postamble = &text[close + 1..];
    let has_comma = {
        let mut index = 0;
        let mut found = false;
        while index < body.len() {
            let unit = body[index];
            if !unit.opaque && unit.byte == b'\\' {
                index += 2;
                continue;
            }
            if !unit.opaque && unit.byte == b',' {
                found = true;
                break;
            }
            index += 1;
        }
        found
    };
    let middle = if has_comma {
        expand_body(body)?
    } else if let Some(sequence) = sequence(body)? {
        sequence
    } else if !postamble.is_empty() {
        // Not a sequence after all: the braces are literal, and what
        // follows may still hold brace expressions.
        vec![text[open..=close].to_vec()]
    } else {
        return Ok(vec![text.to_vec()]);
    };
    let mut words = product(&[preamble.to_vec()], &middle)?;
    if !postamble.is_empty() {
        words = product(&words, &expand_units(postamble)?)?;
    }
    Ok(words)
}

/// A brace expression's body, split at commas outside inner braces, each
/// part expanded.
fn expand_body(body: &[Unit]) -> Result<Words, TooMuch> {
    let mut words = Vec::new();
    let mut start = 0;
    loop {
        let end = find(body, start, Goal::Comma).unwrap_or(body.len());
        words.extend(expand_units(&body[start..end])?);
        if words.len() > MAX_WORDS {
            return Err(TooMuch);
        }
        if end == body.len() {
            return Ok(words);
        }
        start = end + 1;
    }
}

/// Every word of `left` followed by every word of `right`.
fn product(left: &[Vec<Unit>], right: &[Vec<Unit>]) -> Result<Words, TooMuch> {
    if left.len().saturating_mul(right.len()) > MAX_WORDS {
        return Err(TooMuch);
    }
    Ok(left.iter().flat_map(|left| right.iter().map(move |right| [left.as_slice(), right].concat())).collect())
}

/// A sequence body's words: `x..y[..step]`, both integers or both single
/// letters; `None` if the body is not a sequence.
fn sequence(body: &[Unit]) -> Result<Option<Words>, TooMuch> {
    if body.iter().any(|unit| unit.opaque) {
        return Ok(None);
    }
    let text: String = body.iter().map(|unit| unit.byte as char).collect();
    let parts: Vec<&str> = text.split("..").collect();
    let (from, to, step) = match parts[..] {
        [from, to] => (from, to, None),
        [from, to, step] => (from, to, Some(step)),
        _ => return Ok(None),
    };
    let integer = |text: &str| {
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        (!digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())).then(|| text.parse::<i64>().ok())?
    };
    let step = match step.map(integer) {
        None => 1,
        Some(Some(step)) => step.unsigned_abs().max(1),
        Some(None) => return Ok(None),
    };
    let words: Vec<String> = if let (Some(first), Some(last)) = (integer(from), integer(to)) {
        let count = first.abs_diff(last) / step + 1;
        if count > MAX_WORDS as u64 {
            return Err(TooMuch);
        }
        // Zero-padded when either end is written with a leading zero.
        let padded =
            |text: &str| text.trim_start_matches('-').len() > 1 && text.trim_start_matches('-').starts_with('0');
        let width = if padded(from) || padded(to) { from.len().max(to.len()) } else { 0 };
        (0..count)
            .map(|index| {
                let value = if first <= last { first + (index * step) as i64 } else { first - (index * step) as i64 };
                if value < 0 {
                    format!("-{:0width$}", value.unsigned_abs(), width = width.saturating_sub(1))
                } else {
                    format!("{value:0width$}")
                }
            })
            .collect()
    } else if from.len() == 1
        && to.len() == 1
        && from.as_bytes()[0].is_ascii_alphabetic()
        && to.as_bytes()[0].is_ascii_alphabetic()
    {
        let (first, last) = (from.as_bytes()[0], to.as_bytes()[0]);
        let count = u64::from(first.abs_diff(last)) / step + 1;
        (0..count)
            .map(|index| {
                let offset = (index * step) as u8;
                let value = if first <= last { first + offset } else { first - offset };
                (value as char).to_string()
            })
            .collect()
    } else {
        return Ok(None);
    };
    Ok(Some(words.into_iter().map(|word| word.bytes().map(|byte| Unit { byte, opaque: false }).collect()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word as the analyzer expands it: parsed, then expanded.
    fn expand_word(raw: &str) -> Expansion {
        let pieces = brush_parser::word::parse(raw, &crate::words::parser_options()).expect("the word parses");
        expand(raw, &pieces)
    }

    fn words(raw: &str) -> Vec<String> {
        match expand_word(raw) {
            Expansion::Unchanged => vec![raw.to_owned()],
            Expansion::Words(words) => words,
            Expansion::TooMuch => vec!["<too much>".to_owned()],
        }
    }

    #[test]
    fn words_as_bash_expands_them() {
        // (word, the words bash makes of it)
        let cases: &[(&str, &[&str])] = &[
            ("plain", &["plain"]),
            ("{a,b}", &["a", "b"]),
            ("x{a,b}y", &["xay", "xby"]),
            ("{build,/etc}", &["build", "/etc"]),
            ("./{x,..}", &["./x", "./.."]),
            ("{a,{b,c}}", &["a", "b", "c"]),
            ("{a,b}{1,2}", &["a1", "a2", "b1", "b2"]),
            ("a{,}", &["a", "a"]),
            ("{,}", &[]),
            ("{1..3}", &["1", "2", "3"]),
            ("{3..1}", &["3", "2", "1"]),
            ("{-1..1}", &["-1", "0", "1"]),
            ("{01..03}", &["01", "02", "03"]),
            ("{0..10..5}", &["0", "5", "10"]),
            ("{a..c}", &["a", "b", "c"]),
            ("{a}", &["{a}"]),
            ("{}", &["{}"]),
            ("{a..5}", &["{a..5}"]),
            ("{a,b", &["{a,b"]),
            ("{a},}", &["a}"]),
            ("{a}{b,c}", &["{a}b", "{a}c"]),
            ("~/{.ssh,.aws}", &["~/.ssh", "~/.aws"]),
        ];
        for (raw, expected) in cases {
            assert_eq!(words(raw), *expected, "{raw}");
        }
    }

    #[test]
    fn quoted_and_expanded_bytes_are_not_syntax() {
        // (word, the words, quotes intact for the next step)
        let cases: &[(&str, &[&str])] = &[
            ("'{a,b}'", &["'{a,b}'"]),
            ("\"{a,b}\"", &["\"{a,b}\""]),
            ("x\\{a,b}", &["x\\{a,b}"]),
            ("{a\\,b}", &["{a\\,b}"]),
            ("{a,'b,c'}", &["a", "'b,c'"]),
            ("{a,\"$(echo {x,y})\"}", &["a", "\"$(echo {x,y})\""]),
            ("${x}{a,b}", &["${x}a", "${x}b"]),
            ("${x:-{a,b}}", &["${x:-{a,b}}"]),
            ("$(echo {a,b})", &["$(echo {a,b})"]),
        ];
        for (raw, expected) in cases {
            assert_eq!(words(raw), *expected, "{raw}");
        }
    }

    #[test]
    fn expansion_is_bounded() {
        assert_eq!(expand_word(&"{a,b}".repeat(9)), Expansion::TooMuch, "512 words");
        assert!(matches!(expand_word(&"{a,b}".repeat(8)), Expansion::Words(words) if words.len() == 256));
        assert_eq!(expand_word("{1..100000}"), Expansion::TooMuch);
        assert_eq!(expand_word("{1..99999999999999999999999}"), Expansion::Unchanged, "not a number bash reads");
        assert_eq!(expand_word(&format!("{{a,b}}{}", "x".repeat(MAX_LEN))), Expansion::TooMuch);
        // Hostile shapes finish, and find what bash would.
        for unit in ["{a,", "{,", "{", "{a..", "{{}", "}{"] {
            let text = unit.repeat(MAX_LEN / unit.len() - 5);
            assert!(!matches!(expand_word(&text), Expansion::Words(_)), "{unit}");
            assert!(
                matches!(expand_word(&format!("{text}{{x,y}}")), Expansion::Words(_) | Expansion::TooMuch),
                "{unit}"
            );
        }
    }

    #[test]
    fn expansion_agrees_with_bash_on_every_short_word() {
        // Every word of up to 6 bytes over the bytes that matter, printed by
        // bash one word per line (no quoting: bash's quote removal would
        // change the words anyway).
        let alphabet = ['{', '}', ',', 'a', '.', '1'];
        let mut level = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..6 {
            level = level.iter().flat_map(|text| alphabet.iter().map(move |c| format!("{text}{c}"))).collect();
            all.extend(level.iter().cloned());
        }
        let script: String = all.iter().map(|text| format!("printf '%s\\n' {text}; echo --\n")).collect();
        let mut bash = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-s"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("bash runs: brace expansion is tested against it");
        let mut stdin = bash.stdin.take().unwrap();
        let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, script.as_bytes()));
        let output = bash.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let printed: Vec<&str> = stdout.split("--\n").collect();
        assert_eq!(printed.len(), all.len() + 1);
        let mut disagreements = Vec::new();
        for (text, printed) in all.iter().zip(&printed) {
            // printf prints one empty line when bash leaves no words.
            let expected: Vec<&str> = printed.lines().filter(|word| !word.is_empty()).collect();
            if words(text) != expected {
                disagreements.push(format!("{text} -> {:?}, bash {expected:?}", words(text)));
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} disagreements with bash, e.g. {:#?}",
            disagreements.len(),
            &disagreements[..disagreements.len().min(10)]
        );
    }
}
