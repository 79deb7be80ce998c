//! Where secrets sit in SQL text, read from the parse tree: the value of a
//! `PASSWORD` option (CREATE/ALTER ROLE, user mappings), and the password
//! of a connection string in a string literal (`password=...`, or
//! `postgres://user:password@host`). The gate masks them before printing or
//! storing the text.

use guardrail_core::Span;
use pg_query::NodeEnum;
use pg_query::protobuf::{DefElem, a_const};

use crate::spans;
use crate::walk::Walker;

/// Records the secrets a node holds.
pub(crate) fn collect(walker: &mut Walker<'_>, node: &NodeEnum) {
    match node {
        NodeEnum::DefElem(option) => password_option(walker, option),
        NodeEnum::AConst(constant) => {
            if let Some(a_const::Val::Sval(_)) = &constant.val
                && let Some(content) = literal_content(walker, constant.location)
            {
                connection_secrets(walker, content);
            }
        }
        // CONNECTION 'conninfo' is kept as a plain string, without a location.
        NodeEnum::CreateSubscriptionStmt(statement) => conninfo(walker, &statement.conninfo),
        NodeEnum::AlterSubscriptionStmt(statement) => conninfo(walker, &statement.conninfo),
        _ => {}
    }
}

/// `PASSWORD 'x'`, `OPTIONS (password 'x')`: the whole value is secret.
fn password_option(walker: &mut Walker<'_>, option: &DefElem) {
    if !option.defname.eq_ignore_ascii_case("password") {
        return;
    }
    match literal_content(walker, option.arg_location) {
        Some(content) => walker.secrets.push(content),
        // PASSWORD NULL has nothing to hide; any other value without a
        // location hides the statement.
        None if option.arg.is_some() && !walker.statement_text().to_ascii_lowercase().contains("password null") => {
            walker.secrets.push(walker.statement)
        }
        None => {}
    }
}

fn conninfo(walker: &mut Walker<'_>, conninfo: &str) {
    if conninfo.is_empty() {
        return;
    }
    match walker.statement_text().find(conninfo) {
        Some(offset) => {
            let start = walker.statement.start + offset;
            connection_secrets(walker, Span::new(start, start + conninfo.len()));
        }
        // Escaped in the text, so not found verbatim: hide the statement.
        None if contains_credentials(conninfo) => walker.secrets.push(walker.statement),
        None => {}
    }
}

/// The span of a string literal's content, between its quotes, for the
/// literal starting at `location` in the walker's text.
fn literal_content(walker: &Walker<'_>, location: i32) -> Option<Span> {
    let start = usize::try_from(location).ok()?;
    let text = walker.text;
    let rest = text.get(start..)?;
    let escaped = rest.starts_with("E'") || rest.starts_with("e'");
    let (open, close) = if rest.starts_with('\'') {
        (1, 1)
    } else if escaped {
        (2, 1)
    } else if let Some(tail) = rest.strip_prefix('$') {
        let tag = tail.find('$')? + 2;
        (tag, tag)
    } else {
        return None;
    };
    // The scanner reads an E'' string from its quote, looking back at the E.
    let quote = if escaped { start + 1 } else { start };
    let end = spans::token_end(text, quote, text.len());
    (end >= start + open + close).then(|| Span::new(start + open, end - close))
}

/// Passwords inside a connection string held in `span`.
fn connection_secrets(walker: &mut Walker<'_>, span: Span) {
    let Some(text) = walker.text.get(span.start..span.end) else { return };
    let lower = text.to_ascii_lowercase();
    // key=value form: password = value, the value quoted or up to a space.
    let mut from = 0;
    while let Some(found) = lower[from..].find("password") {
        let key_end = from + found + "password".len();
        from = key_end;
        let after = &text[key_end..];
        let trimmed = after.trim_start();
        let Some(value) = trimmed.strip_prefix('=') else { continue };
        let value_start = key_end + (after.len() - trimmed.len()) + 1;
        let value_start = value_start + (value.len() - value.trim_start().len());
        let value = &text[value_start..];
        // A quoted value (its quotes doubled inside an SQL literal) is masked
        // between its quotes; a bare one up to a space or `&`.
        let quote = if value.starts_with("''") { 2 } else { usize::from(value.starts_with('\'')) };
        let content = &value[quote..];
        let length = if quote > 0 {
            content.find('\'').unwrap_or(content.len())
        } else {
            content.find(|c: char| c.is_whitespace() || c == '&').unwrap_or(content.len())
        };
        if length > 0 {
            let secret_start = span.start + value_start + quote;
            walker.secrets.push(Span::new(secret_start, secret_start + length));
        }
    }
    // URI form: scheme://user:password@host
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let authority_start = from + found + 3;
        from = authority_start;
        let authority_end =
            text[authority_start..].find(['/', '?', ' ', '\'']).map_or(text.len(), |end| authority_start + end);
        let authority = &text[authority_start..authority_end];
        if let (Some(at), Some(colon)) = (authority.rfind('@'), authority.find(':'))
            && colon < at
        {
            let password = Span::new(span.start + authority_start + colon + 1, span.start + authority_start + at);
            walker.secrets.push(password);
        }
    }
}

fn contains_credentials(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("password") || lower.contains("://") && lower.contains('@')
}

#[cfg(test)]
mod tests {
    use guardrail_core::secret::mask;

    /// The text with its secrets masked.
    fn masked(sql: &str) -> String {
        let analysis = crate::analyze(sql);
        mask(sql, &analysis.secrets).into_owned()
    }

    #[test]
    fn passwords_are_found_by_the_grammar() {
        let cases = [
            ("CREATE ROLE app LOGIN PASSWORD 'hunter2'", "CREATE ROLE app LOGIN PASSWORD '*******'"),
            ("ALTER USER app WITH ENCRYPTED PASSWORD $$x'y$$", "ALTER USER app WITH ENCRYPTED PASSWORD $$***$$"),
            ("alter role app password E'a\\'b'", "alter role app password E'****'"),
            ("ALTER ROLE app PASSWORD NULL", "ALTER ROLE app PASSWORD NULL"),
            (
                "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password 'pw')",
                "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password '**')",
            ),
            (
                "CREATE SUBSCRIPTION sub CONNECTION 'host=h password=s3cret dbname=x' PUBLICATION p",
                "CREATE SUBSCRIPTION sub CONNECTION 'host=h password=****** dbname=x' PUBLICATION p",
            ),
            (
                "SELECT dblink_connect('c', 'host=h user=u password = ''a b'' dbname=d')",
                "SELECT dblink_connect('c', 'host=h user=u password = ''***'' dbname=d')",
            ),
            (
                "INSERT INTO config VALUES ('postgresql://app:t0ps3cret@db.internal:5432/prod')",
                "INSERT INTO config VALUES ('postgresql://app:*********@db.internal:5432/prod')",
            ),
            (
                "DO $$ BEGIN EXECUTE $q$ALTER ROLE a PASSWORD 'pw1'$q$; EXECUTE $q$ALTER ROLE a PASSWORD 'pw1'$q$; END $$",
                "DO $$ BEGIN EXECUTE $q$ALTER ROLE a PASSWORD '***'$q$; EXECUTE $q$ALTER ROLE a PASSWORD '***'$q$; END $$",
            ),
            (
                "DO $$ BEGIN EXECUTE 'ALTER ROLE app PASSWORD ''x'''; END $$",
                // Escaped, so not verbatim: the whole literal is withheld.
                "DO $$ BEGIN EXECUTE *******************************; END $$",
            ),
        ];
        for (sql, expected) in cases {
            assert_eq!(masked(sql), expected, "masking {sql:?}");
        }
    }

    #[test]
    fn look_alikes_keep_their_text() {
        for sql in [
            "SELECT 'password' AS word, 'https://example.com/path' AS url LIMIT 1",
            "SELECT password_hash FROM users WHERE id = 1",
            "UPDATE users SET password_changed_at = now() WHERE id = 1",
        ] {
            assert_eq!(masked(sql), sql);
        }
    }
}
