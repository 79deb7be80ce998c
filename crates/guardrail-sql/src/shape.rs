//! Analyses reused across statements of the same shape.
//!
//! Applications send the same statement with other numbers over and over
//! (`... WHERE aid = 48213`): an exact-text cache never hits. This cache is
//! keyed on the statement's tokens as PostgreSQL's own scanner reads them,
//! with every integer and decimal constant replaced by `?` (strings,
//! identifiers, keywords, operators and comments are kept as they are).
//!
//! Why a hit answers exactly as a fresh analysis would: two texts with the
//! same key have the same tokens except the digits of numeric constants,
//! so their parse trees differ only in the values of those constants. An
//! analysis is kept only when it never looked at such a value: every place
//! the analyzer reads a numeric constant (`WHERE 1 = 2`, `LIMIT 0`,
//! `FETCH 5`, option numbers) calls [`numeric_read`], and an analysis that
//! did is not cached. The integers 0 and 1 (in whatever form) stay in the
//! key, so that asking whether a constant is 0 or 1 (the identities
//! `x + 0`, `x * 1`) reads the key, not the value, and needs no mark: a
//! write such as `SET v = v + 42` is cached. Analyses that found secrets are
//! not cached either.
//! A hit's spans are moved token by token onto the new text; a span that
//! does not start and end on token boundaries is a miss.

use std::cell::Cell;
use std::sync::{Arc, LazyLock};

use guardrail_core::{Analysis, Span};
use pg_query::protobuf::Token;

thread_local! {
    static NUMERIC_READ: Cell<bool> = const { Cell::new(false) };
}

/// Marks the analysis running on this thread as depending on the value of
/// a numeric constant.
pub(crate) fn numeric_read() {
    NUMERIC_READ.with(|read| read.set(true));
}

/// Whether the analysis on this thread read a numeric constant since the
/// last call, and clears it.
pub(crate) fn take_numeric_read() -> bool {
    NUMERIC_READ.with(|read| read.replace(false))
}

/// Tokens after which a number is an expression's constant.
const EXPRESSION_BEFORE: &[&str] = &["=", "<", ">", "<=", ">=", "<>", "!=", "+", "-", "*", "/", "%", "^", "(", ","];

/// Texts longer than this are analysed afresh (and rarely repeat).
const MAX_TEXT: usize = 4096;
const ENTRIES: usize = 16_384;

struct Shaped {
    analysis: Analysis,
    /// The tokens' byte ranges in the text the analysis was made of.
    tokens: Vec<(usize, usize)>,
    length: usize,
}

static CACHE: LazyLock<quick_cache::sync::Cache<String, Arc<Shaped>>> =
    LazyLock::new(|| quick_cache::sync::Cache::new(ENTRIES));

/// The text's key and its tokens' byte ranges, by PostgreSQL's scanner.
fn shape(text: &str) -> Option<(String, Vec<(usize, usize)>)> {
    let scanned = pg_query::scan(text).ok()?;
    let mut key = String::with_capacity(text.len());
    let mut tokens = Vec::with_capacity(scanned.tokens.len());
    let mut last = 0;
    let mut previous: Option<&str> = None;
    for token in &scanned.tokens {
        let (start, end) = (usize::try_from(token.start).ok()?, usize::try_from(token.end).ok()?);
        // What lies between tokens is blank (or a comment the scanner did
        // not return): kept unless blank.
        let gap = text.get(last..start)?.trim();
        if !gap.is_empty() {
            key.push_str(gap);
            key.push('\u{1}');
        }
        let number = token.token == Token::Iconst as i32 || token.token == Token::Fconst as i32;
        // A number only where the grammar takes any expression: there it
        // becomes a constant node whatever its value. Elsewhere (a column
        // number, a FETCH count) the parser itself may judge the value, so
        // the digits stay in the key.
        if number
            && previous.is_some_and(|previous| EXPRESSION_BEFORE.contains(&previous))
            && !neutral(token.token, text.get(start..end)?)
        {
            key.push_str(if token.token == Token::Iconst as i32 { "?i" } else { "?f" });
        } else {
            key.push_str(text.get(start..end)?);
        }
        key.push('\u{1}');
        tokens.push((start, end));
        previous = Some(text.get(start..end)?);
        last = end;
    }
    key.push_str(text.get(last..)?.trim());
    Some((key, tokens))
}

/// Whether a numeric constant may be 0 or 1, the neutral values of
/// arithmetic (`x + 0`, `x * 1`): those stay in the key, so that an analysis
/// asking only "is this 0?" or "is this 1?" of a constant reads the key,
/// not the value. Any integer written otherwise than `[2-9]` or `[1-9][0-9]+`
/// (`00`, `0x1`, `1_0`) counts as one.
fn neutral(token: i32, text: &str) -> bool {
    token == Token::Iconst as i32
        && !(text.bytes().all(|byte| byte.is_ascii_digit()) && !text.starts_with('0') && text != "1")
}

/// `analyze(text)`, from the cache when a text of the same shape was
/// analysed without reading its numbers.
pub(crate) fn analyze(text: &str, analyze: impl FnOnce(&str) -> Analysis) -> Analysis {
    // Texts the scanner would take long on are left to the analysis,
    // which refuses them before scanning.
    let shaped =
        (text.len() <= MAX_TEXT && crate::parse::scanner_hazard(text).is_none()).then(|| shape(text)).flatten();
    let Some((key, tokens)) = shaped else { return analyze(text) };
    if let Some(entry) = CACHE.get(&key)
        && let Some(analysis) = moved(&entry, &tokens, text.len())
    {
        return analysis;
    }
    take_numeric_read();
    let analysis = analyze(text);
    if !take_numeric_read() && analysis.secrets.is_empty() {
        CACHE.insert(key, Arc::new(Shaped { analysis: analysis.clone(), tokens, length: text.len() }));
    }
    analysis
}

/// The cached analysis with its spans moved onto a text whose tokens are
/// `tokens`; `None` when a span does not sit on token boundaries.
fn moved(entry: &Shaped, tokens: &[(usize, usize)], length: usize) -> Option<Analysis> {
    if tokens.len() != entry.tokens.len() {
        return None;
    }
    let start = |at: usize| -> Option<usize> {
        if at == entry.length {
            return Some(length);
        }
        let index = entry.tokens.binary_search_by_key(&at, |token| token.0).ok()?;
        Some(tokens[index].0)
    };
    let end = |at: usize| -> Option<usize> {
        if at == entry.length {
            return Some(length);
        }
        let index = entry.tokens.binary_search_by_key(&at, |token| token.1).ok()?;
        Some(tokens[index].1)
    };
    let span = |span: &Span| -> Option<Span> { Some(Span::new(start(span.start)?, end(span.end)?)) };
    let mut analysis = entry.analysis.clone();
    for intent in &mut analysis.intents {
        intent.span = span(&intent.span)?;
    }
    Some(analysis)
}

#[cfg(test)]
mod tests {
    /// Pairs of the same shape: the second is analysed after the first
    /// primed the cache, and must get what a fresh analysis gives.
    #[test]
    fn a_shared_shape_never_answers_differently_from_a_fresh_analysis() {
        let pairs = [
            ("DELETE FROM t WHERE 1 = 1", "DELETE FROM t WHERE 1 = 2"),
            ("DELETE FROM t WHERE 1 = 2", "DELETE FROM t WHERE 1 = 1"),
            ("UPDATE t SET a = 1 WHERE 2 > 1", "UPDATE t SET a = 1 WHERE 1 > 2"),
            ("SELECT * FROM t LIMIT 5", "SELECT * FROM t LIMIT 0"),
            ("FETCH 5 FROM c", "FETCH 9223372036854775807 FROM c"),
            ("DELETE FROM t WHERE id = 7", "DELETE FROM t WHERE id = 123456789"),
            ("DELETE FROM t WHERE id = 7 OR 1 = 1", "DELETE FROM t WHERE id = 12 OR 1 = 0"),
            (
                "SELECT abalance FROM pgbench_accounts WHERE aid = 5",
                "SELECT abalance FROM pgbench_accounts WHERE aid = 81723",
            ),
            (
                "UPDATE t SET v = v + 1 WHERE id = 3;  DROP TABLE u",
                "UPDATE t SET v = v + 100 WHERE id = 42;DROP TABLE u",
            ),
            ("DELETE FROM t WHERE a * 1 = a", "DELETE FROM t WHERE a * 2 = a"),
            ("DELETE FROM t WHERE a + 0 > 5", "DELETE FROM t WHERE a + 1 > 5"),
            ("SELECT 1.5 FROM t", "SELECT 2.25 FROM t"),
            ("UPDATE t SET v = v + 5 WHERE id = 3", "UPDATE t SET v = v + 0 WHERE id = 3"),
            ("UPDATE t SET v = v + 5 WHERE id = 3", "UPDATE t SET v = v + 00 WHERE id = 3"),
            ("UPDATE t SET v = v + 5 WHERE id = 3", "UPDATE t SET v = v + 0x0 WHERE id = 3"),
            ("UPDATE t SET v = v * 7 WHERE v * 7 = v", "UPDATE t SET v = v * 1 WHERE v * 1 = v"),
            ("DELETE FROM t WHERE v - 3 = v", "DELETE FROM t WHERE v - 0 = v"),
            ("DELETE FROM t WHERE v / -3 = v", "DELETE FROM t WHERE v / -1 = v"),
            ("DELETE FROM t WHERE id = 7 AND 5 > 2", "DELETE FROM t WHERE id = 7 AND 5 > 9"),
            ("DELETE FROM t WHERE (2 - 2)::bool", "DELETE FROM t WHERE (2 - 3)::bool"),
            ("DELETE FROM t WHERE (7)::bool", "DELETE FROM t WHERE (-(2))::bool"),
            ("DELETE FROM t WHERE 5 BETWEEN (2) AND (9)", "DELETE FROM t WHERE 5 BETWEEN (6) AND (9)"),
            ("DELETE FROM t WHERE 5 IN (2, 5)", "DELETE FROM t WHERE 5 IN (2, 3)"),
            ("DELETE FROM t WHERE '5' = (5)", "DELETE FROM t WHERE '5' = (6)"),
            (
                "DELETE FROM t WHERE id IN (SELECT id FROM u LIMIT (5))",
                "DELETE FROM t WHERE id IN (SELECT id FROM u LIMIT (0))",
            ),
        ];
        for (first, second) in pairs {
            let _ = crate::analyze(first);
            let cached = crate::analyze(second);
            assert_eq!(cached, crate::analyze_afresh(second), "{second} after {first}");
        }
    }

    /// Writes that add to a column, as applications do (`SET balance =
    /// balance + 42`), are analysed once per shape.
    #[test]
    fn arithmetic_on_other_numbers_than_0_and_1_is_cached() {
        for (first, second) in [
            ("UPDATE acc SET bal = bal + 2907 WHERE id = 234051", "UPDATE acc SET bal = bal + 17 WHERE id = 9"),
            ("UPDATE acc SET bal = bal * 3 WHERE id = 5", "UPDATE acc SET bal = bal * 12 WHERE id = 6"),
        ] {
            let mut analyses = 0;
            for text in [first, second] {
                super::analyze(text, |text| {
                    analyses += 1;
                    crate::analyze_afresh(text)
                });
            }
            assert_eq!(analyses, 1, "{second} after {first}");
        }
    }

    #[test]
    fn shapes_keep_everything_but_numbers() {
        let key = |text: &str| super::shape(text).unwrap().0;
        assert_eq!(key("SELECT a FROM t WHERE id = 5"), key("SELECT  a FROM t WHERE id=77"));
        for (a, b) in [
            ("SELECT a FROM t1", "SELECT a FROM t2"),
            ("SELECT 'a'", "SELECT 'b'"),
            ("SELECT $1", "SELECT $2"),
            ("/* justification: a */ SELECT 1", "/* justification: b */ SELECT 1"),
            ("SELECT x FROM t -- a", "SELECT x FROM t -- b"),
            ("SELECT \"1\"", "SELECT \"2\""),
            ("SELECT 1", "SELECT TRUE"),
            ("SELECT v + 0 FROM t", "SELECT v + 5 FROM t"),
            ("SELECT v * 1 FROM t", "SELECT v * 5 FROM t"),
            ("SELECT v * 01 FROM t", "SELECT v * 5 FROM t"),
        ] {
            assert_ne!(key(a), key(b), "{a} / {b}");
        }
    }
}
