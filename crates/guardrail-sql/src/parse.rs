//! Parsing with PostgreSQL's grammar on a stack that cannot overflow.
//!
//! libpg_query bounds its own recursion, but hands back trees up to 10,000
//! protobuf levels deep, and decoding and dropping them recurses in Rust:
//! `SELECT 1+1+...+1` with 5,000 terms (25 KB of legal SQL) overflows an
//! 8 MiB thread and aborts the process. Every tree is therefore parsed,
//! walked and dropped on a stack sized for the text: a tree cannot be
//! deeper than its text is long (each level of nesting costs at least one
//! byte of operator or keyword), so the stack needed grows with the text's
//! length. Short statements run on the caller's stack at no cost; long ones
//! get a fresh stack segment, whose cost is small beside their parse.

use pg_query::ParserOptions;
use pg_query::protobuf::ParseResult;

/// Stack for the smallest tree, and per byte of text. Measured with the
/// `deep_*` tests in `tests/robustness.rs` on debug builds (whose frames are
/// the largest) and doubled.
const STACK_BASE: usize = 512 << 10;
const STACK_PER_BYTE: usize = 8 << 10;
/// libpg_query refuses to serialize trees deeper than 10,000 levels, which
/// caps the stack any text can need.
const STACK_MAX: usize = 1 << 30;

/// The stack needed to parse, walk and drop the tree of `length` bytes of SQL.
pub(crate) fn stack_needed(length: usize) -> usize {
    STACK_BASE
        .saturating_add(length.saturating_mul(STACK_PER_BYTE))
        .min(STACK_MAX)
}

/// Parses `text` in the given grammar mode and hands the tree (or the
/// parser's error message) to `f`, all on a stack deep enough for it.
pub(crate) fn with_tree<R>(
    text: &str,
    options: ParserOptions,
    f: impl FnOnce(Result<&ParseResult, String>) -> R,
) -> R {
    let needed = stack_needed(text.len());
    stacker::maybe_grow(needed, needed, || {
        let parsed = pg_query::parse(text, options);
        let result = f(parsed
            .as_ref()
            .map(|parsed| &parsed.protobuf)
            .map_err(describe));
        // The tree is dropped here, on the same stack: dropping recurses too.
        drop(parsed);
        result
    })
}

/// Runs `f` on a stack deep enough to walk trees parsed from `length`
/// bytes of text, for work that recurses over JSON or nested bodies.
pub(crate) fn with_stack_for<R>(length: usize, f: impl FnOnce() -> R) -> R {
    let needed = stack_needed(length);
    stacker::maybe_grow(needed, needed, f)
}

fn describe(error: &pg_query::Error) -> String {
    match error {
        pg_query::Error::Parse(message) => message.clone(),
        pg_query::Error::Conversion(_) => {
            "the text contains a NUL byte, which PostgreSQL rejects".to_owned()
        }
        other => other.to_string(),
    }
}
