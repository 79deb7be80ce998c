//! Finding where things are in SQL text: the extent of a construct that
//! starts at a known location, and the start of a statement past its
//! leading comments.
//!
//! The parse tree gives each node a start (`location`) but no end. For
//! evidence, a function call or a CTE is shown from its start to the close
//! of its first parenthesized group, found by a small scanner that knows
//! PostgreSQL's quoting and comment rules.

/// The end of the construct starting at `start`: the byte after the `)`
/// closing the first `(` found, or `limit` if there is none before it.
pub(crate) fn extent(text: &str, start: usize, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let limit = limit.min(bytes.len());
    let mut depth = 0usize;
    let mut index = start;
    while index < limit {
        match bytes[index] {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return index + 1;
                }
            }
            b';' if depth == 0 => return index,
            _ => {}
        }
        index = skip_token(bytes, index, limit);
    }
    limit
}

/// Skips whitespace and comments from `start`.
pub(crate) fn skip_trivia(text: &str, start: usize, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let limit = limit.min(bytes.len());
    let mut index = start;
    while index < limit {
        let byte = bytes[index];
        if byte.is_ascii_whitespace() {
            index += 1;
        } else if byte == b'-' && bytes.get(index + 1) == Some(&b'-')
            || byte == b'/' && bytes.get(index + 1) == Some(&b'*')
        {
            index = skip_token(bytes, index, limit);
        } else {
            break;
        }
    }
    index
}

/// The end of the literal, quoted identifier or comment starting at
/// `start`, or `start + 1` for anything else.
pub(crate) fn token_end(text: &str, start: usize, limit: usize) -> usize {
    skip_token(text.as_bytes(), start, limit.min(text.len()))
}

/// The index after the token, literal or comment starting at `index`, or
/// `index + 1` for anything else.
fn skip_token(bytes: &[u8], index: usize, limit: usize) -> usize {
    let at = |i: usize| if i < limit { Some(bytes[i]) } else { None };
    match bytes[index] {
        b'-' if at(index + 1) == Some(b'-') => {
            let mut i = index + 2;
            while i < limit && bytes[i] != b'\n' {
                i += 1;
            }
            i
        }
        b'/' if at(index + 1) == Some(b'*') => {
            // Block comments nest in PostgreSQL.
            let mut depth = 1;
            let mut i = index + 2;
            while i < limit && depth > 0 {
                if bytes[i] == b'/' && at(i + 1) == Some(b'*') {
                    depth += 1;
                    i += 2;
                } else if bytes[i] == b'*' && at(i + 1) == Some(b'/') {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            i
        }
        b'\'' => {
            // E'...' strings allow backslash escapes; a doubled quote
            // escapes in every string.
            let escapes = index > 0 && matches!(bytes[index - 1], b'e' | b'E');
            let mut i = index + 1;
            while i < limit {
                match bytes[i] {
                    b'\\' if escapes => i += 2,
                    b'\'' if at(i + 1) == Some(b'\'') => i += 2,
                    b'\'' => return i + 1,
                    _ => i += 1,
                }
            }
            limit
        }
        b'"' => {
            let mut i = index + 1;
            while i < limit {
                if bytes[i] == b'"' {
                    if at(i + 1) == Some(b'"') {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
            limit
        }
        b'$' => match dollar_tag(bytes, index, limit) {
            Some(tag_end) => {
                let tag = &bytes[index..tag_end];
                let mut i = tag_end;
                while i + tag.len() <= limit {
                    if &bytes[i..i + tag.len()] == tag {
                        return i + tag.len();
                    }
                    i += 1;
                }
                limit
            }
            None => index + 1,
        },
        _ => index + 1,
    }
}

/// If a dollar-quote tag (`$$`, `$body$`) starts at `index`, the index after it.
fn dollar_tag(bytes: &[u8], index: usize, limit: usize) -> Option<usize> {
    // `$1` is a parameter, and `a$b` an identifier, not quotes.
    if index > 0 && (bytes[index - 1].is_ascii_alphanumeric() || bytes[index - 1] == b'_') {
        return None;
    }
    let mut i = index + 1;
    while i < limit {
        match bytes[i] {
            b'$' => return Some(i + 1),
            b if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => i += 1,
            b if b.is_ascii_digit() && i > index + 1 => i += 1,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_ends_at_the_matching_parenthesis_past_quotes_and_comments() {
        let cases = [
            ("pg_read_file('/etc/passwd') || 'x'", "pg_read_file('/etc/passwd')"),
            (
                "f(')', \")\", $$)$$, $t$ ) $t$, /* ) /* ) */ */ -- )\n 1) + 2",
                "f(')', \")\", $$)$$, $t$ ) $t$, /* ) /* ) */ */ -- )\n 1)",
            ),
            ("f(E'\\')', 1) x", "f(E'\\')', 1)"),
            ("x AS (DELETE FROM t RETURNING (a)) SELECT", "x AS (DELETE FROM t RETURNING (a))"),
            ("no_parens; next", "no_parens"),
        ];
        for (text, expected) in cases {
            assert_eq!(&text[..extent(text, 0, text.len())], expected, "in {text:?}");
        }
    }

    #[test]
    fn trivia_includes_nested_comments() {
        let text = "  -- one\n /* two /* three */ */ SELECT";
        assert_eq!(&text[skip_trivia(text, 0, text.len())..], "SELECT");
    }

    #[test]
    fn dollar_signs_in_parameters_and_identifiers_are_not_quotes() {
        let text = "f($1, a$b) tail";
        assert_eq!(&text[..extent(text, 0, text.len())], "f($1, a$b)");
    }
}
