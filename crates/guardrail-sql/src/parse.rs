//! Parsing with PostgreSQL's grammar on a stack that cannot overflow.
//!
//! libpg_query bounds its own recursion, but hands back trees up to 10,000
//! protobuf levels deep, and decoding and dropping them recurses in Rust:
//! `SELECT 1+1+...+1` with 5,000 terms (25 KB of legal SQL) overflows an
//! 8 MiB thread and aborts the process. So every tree is parsed, walked and
//! dropped on a stack sized for its text: a tree cannot be deeper than its
//! text is long (each level of nesting costs at least one byte of operator
//! or keyword), so the stack needed grows with the text's length.
//!
//! The stack must be a real thread's. libpg_query sizes its own depth
//! limit from the calling thread's stack bounds (`pthread_getattr_np`); on
//! a segment allocated by a stack-growing library it falls back to 100 kB
//! and rejects even 25 nested subqueries. Short texts run on the caller's
//! thread at no cost; a text too long for the stack left gets a scoped
//! thread of its own, whose start-up is small beside its parse.

use std::sync::Mutex;

use pg_query::ParserOptions;
use pg_query::protobuf::ParseResult;

/// Stack for the smallest tree, and per byte of text: about twice the most
/// measured. Measured by finding the smallest thread stack on which each
/// text of `tests/robustness.rs`'s deep cases is analysed without overflow
/// (release: at most 1,121 bytes of stack per byte of text, for chains of
/// `+1`, and 80 KiB for `SELECT 1`; debug: up to 25 KB per byte, its frames
/// being far larger). `scripts/measure-stack` repeats the measurement.
const STACK_BASE: usize = 256 << 10;
const STACK_PER_BYTE: usize = if cfg!(debug_assertions) { 48 << 10 } else { 2560 };
/// libpg_query allows itself up to 2 MiB plus 512 KiB of slop, and refuses
/// to serialize trees deeper than 10,000 levels, which caps the stack any
/// text can need.
const THREAD_STACK_MIN: usize = 4 << 20;
const STACK_MAX: usize = 1 << 30;

/// The stack needed to parse, walk and drop the tree of `length` bytes of SQL.
pub(crate) fn stack_needed(length: usize) -> usize {
    STACK_BASE.saturating_add(length.saturating_mul(STACK_PER_BYTE)).min(STACK_MAX)
}

/// Parses `text` in the given grammar mode and hands the tree (or the
/// parser's error message) to `f`, all on a stack deep enough for it.
pub(crate) fn with_tree<R: Send>(
    text: &str,
    options: ParserOptions,
    f: impl FnOnce(Result<&ParseResult, String>) -> R + Send,
) -> R {
    if let Some(message) = scanner_hazard(text) {
        return f(Err(message));
    }
    with_stack_for(text.len(), |stack| match stack {
        Ok(()) => {
            let parsed = pg_query::parse(text, options);
            let result = f(parsed.as_ref().map(|parsed| &parsed.protobuf).map_err(describe));
            // The tree is dropped here, on the same stack: dropping recurses too.
            drop(parsed);
            result
        }
        Err(message) => f(Err(message)),
    })
}

/// Runs `f` on a stack deep enough for trees parsed from `length` bytes of
/// text. `f` is told if no such stack could be had (no thread could be
/// started), and must then fail closed.
pub(crate) fn with_stack_for<R: Send>(length: usize, f: impl FnOnce(Result<(), String>) -> R + Send) -> R {
    let needed = stack_needed(length);
    if stacker::remaining_stack().is_some_and(|remaining| remaining >= needed) {
        return f(Ok(()));
    }
    // The closure is shared with the thread so that, if the thread cannot
    // start, it can still be called here to report that.
    let work = Mutex::new(Some(f));
    let take = || work.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
    let outcome = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("guardrail-sql-deep".to_owned())
            .stack_size(needed.max(THREAD_STACK_MIN))
            // The deep thread's reads of numeric constants count as the
            // caller's (see `shape`).
            .spawn_scoped(scope, || take().map(|f| (f(Ok(())), crate::shape::take_numeric_read())));
        spawned.map(|thread| thread.join())
    });
    match outcome {
        Ok(Ok(Some((result, numeric_read)))) => {
            if numeric_read {
                crate::shape::numeric_read();
            }
            result
        }
        Ok(Ok(None)) => unreachable!("the work is taken once"),
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(error) => match take() {
            Some(f) => f(Err(format!("no thread with a stack deep enough for this text could be started: {error}"))),
            None => unreachable!("the thread did not start, so the work is still here"),
        },
    }
}

/// The longest run of operator characters the scanner is given.
///
/// PostgreSQL's scanner (`scan.l`) matches an operator, or a comment's
/// start, as the longest run of operator characters and then gives back
/// all but the part it keeps (`/*` of `/*/*/*...`, `+` of `+++...`), so
/// each token rescans the rest of the run: time grows with the square of
/// the run. Measured on a release build: `/*` repeated 8,000 times took
/// 1.4 s, 32,000 times 12 s; `+` repeated 32,000 times, 1 s. No SQL
/// anyone writes has a run this long outside a string (a banner comment's
/// row of stars is under a hundred), so a longer one is refused before
/// parsing: held as unknown, never a wait.
const MAX_OPERATOR_RUN: usize = 1024;

/// Why the text is refused before PostgreSQL's scanner sees it, if it is.
///
/// Quoted strings, quoted identifiers, dollar-quoted bodies and line
/// comments are skipped as the scanner skips them (they cost it linear
/// time); block comments are not, since the scanner looks for nested
/// comment starts in them.
pub(crate) fn scanner_hazard(text: &str) -> Option<String> {
    const OPERATOR: &[u8] = b"~!@#^&|`?+-*/%<>=";
    if text.len() <= MAX_OPERATOR_RUN {
        return None;
    }
    let bytes = text.as_bytes();
    let identifier = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80;
    let (mut at, mut run, mut comment_depth) = (0, 0, 0usize);
    while at < bytes.len() {
        let byte = bytes[at];
        let previous = at.checked_sub(1).map(|before| bytes[before]);
        let after_identifier = previous.is_some_and(identifier);
        let skip_to = match byte {
            _ if comment_depth > 0 => None,
            b'\'' => {
                let escapes = previous.is_some_and(|before| before.eq_ignore_ascii_case(&b'e'))
                    && !(at >= 2 && identifier(bytes[at - 2]));
                Some(quoted_end(bytes, at + 1, b'\'', escapes))
            }
            b'"' => Some(quoted_end(bytes, at + 1, b'"', false)),
            b'-' if bytes.get(at + 1) == Some(&b'-') => Some(
                bytes[at..].iter().position(|&byte| byte == b'\n' || byte == b'\r').map_or(bytes.len(), |end| at + end),
            ),
            b'$' if !after_identifier => dollar_quoted_end(bytes, at),
            _ => None,
        };
        if let Some(end) = skip_to {
            (at, run) = (end.max(at + 1), 0);
            continue;
        }
        if bytes[at..].starts_with(b"/*") {
            // The scanner keeps `/*` and reads on after it, inside the comment.
            comment_depth += 1;
            (at, run) = (at + 2, run + 2);
        } else if comment_depth > 0 && bytes[at..].starts_with(b"*/") {
            // The `*/` ends the comment; what follows starts a new run.
            comment_depth -= 1;
            (at, run) = (at + 2, 0);
        } else {
            run = if OPERATOR.contains(&byte) { run + 1 } else { 0 };
            at += 1;
        }
        if run > MAX_OPERATOR_RUN {
            return Some(format!(
                "the text has a run of more than {MAX_OPERATOR_RUN} operator characters outside a string, which \
                 PostgreSQL's scanner takes time quadratic in the run's length to read"
            ));
        }
    }
    None
}

/// Where a quoted string or identifier that opened before `at` ends
/// (doubled quotes, and in `E'...'` backslashes, escape).
fn quoted_end(bytes: &[u8], mut at: usize, quote: u8, backslash_escapes: bool) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if backslash_escapes => at += 2,
            byte if byte == quote && bytes.get(at + 1) == Some(&quote) => at += 2,
            byte if byte == quote => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Where a `$tag$ ... $tag$` body starting at `at` ends, if a tag starts there.
fn dollar_quoted_end(bytes: &[u8], at: usize) -> Option<usize> {
    let tag_length = bytes[at + 1..].iter().position(|&byte| byte == b'$')?;
    let tag = &bytes[at + 1..at + 1 + tag_length];
    let starts_like_a_tag = tag.first().is_none_or(|first| !first.is_ascii_digit());
    if !starts_like_a_tag || !tag.iter().all(|&byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80) {
        return None;
    }
    let delimiter = &bytes[at..at + tag_length + 2];
    let body = at + delimiter.len();
    let end = bytes[body..].windows(delimiter.len()).position(|window| window == delimiter);
    Some(end.map_or(bytes.len(), |end| body + end + delimiter.len()))
}

/// The parser's message, without the text it quotes (`at or near
/// "hunter2"`): the text may be a secret, and the message is shown.
fn describe(error: &pg_query::Error) -> String {
    match error {
        pg_query::Error::Parse(message) => match message.find(" at or near ") {
            Some(at) => message[..at].to_owned(),
            None => message.clone(),
        },
        pg_query::Error::Conversion(_) => "the text contains a NUL byte, which PostgreSQL rejects".to_owned(),
        other => other.to_string(),
    }
}
