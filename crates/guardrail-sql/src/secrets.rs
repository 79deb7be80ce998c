//! Where secrets sit in SQL text, read from the parse tree: the value of a
//! `PASSWORD` option (CREATE/ALTER ROLE, user mappings), and the password
//! of a connection string in a string literal (`password=...`, or
//! `postgres://user:password@host`). The gate masks them before printing or
//! storing the text.

use guardrail_core::Span;
use pg_query::NodeEnum;
use pg_query::protobuf::{DefElem, FuncCall, InsertStmt, Node, a_const};

use crate::names::{self, inner};
use crate::spans;
use crate::walk::Walker;

/// Records the secrets a node holds.
pub(crate) fn collect(walker: &mut Walker<'_>, node: &NodeEnum) {
    for argument in secret_arguments(node) {
        if let NodeEnum::AConst(constant) = argument
            && let Some(content) = literal_content(walker, constant.location)
        {
            walker.secrets.push(content);
        }
    }
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

/// `PASSWORD 'x'`, `OPTIONS (password 'x', aws_secret_access_key 'y')`:
/// the whole value of an option whose name says it is a secret.
fn password_option(walker: &mut Walker<'_>, option: &DefElem) {
    if !guardrail_core::secret::names_a_secret(&option.defname) {
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
    let mut end = spans::token_end(text, quote, text.len());
    // `'a'\n'b'` is one string to PostgreSQL: quoted strings separated by
    // white space holding a newline are joined.
    if close == 1 {
        loop {
            let gap = text[end..].len() - text[end..].trim_start().len();
            let between = &text[end..end + gap];
            if !between.contains('\n') || !text[end + gap..].starts_with('\'') {
                break;
            }
            end = spans::token_end(text, end + gap, text.len());
        }
    }
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

/// The arguments of a call or a concatenation that are secrets, unwrapped
/// from casts and quoting functions: crypt's password, pgcrypto's keys,
/// set_config of a secret setting, and the value put after `PASSWORD` (or
/// `password=`, `api_key:`) by format(), concat() or `||`.
pub(crate) fn secret_arguments(node: &NodeEnum) -> Vec<&NodeEnum> {
    let found: Vec<&Node> = match node {
        NodeEnum::FuncCall(call) => call_secrets(call),
        NodeEnum::InsertStmt(insert) => inserted_secrets(insert),
        // UPDATE ... SET api_key = '...'
        NodeEnum::ResTarget(target) if names_a_secret(&target.name) => {
            target.val.iter().map(|value| &**value).collect()
        }
        // WHERE api_key = '...'
        NodeEnum::AExpr(expression) if names::string_operator(expression) == Some("=") => {
            let sides = [expression.lexpr.as_deref(), expression.rexpr.as_deref()];
            let named = |side: Option<&Node>| matches!(side.and_then(inner), Some(NodeEnum::ColumnRef(column)) if names::column(column).is_some_and(names_a_secret));
            match sides {
                [column, Some(value)] if named(column) => vec![value],
                [Some(value), column] if named(column) => vec![value],
                _ => Vec::new(),
            }
        }
        NodeEnum::AExpr(expression) if names::string_operator(expression) == Some("||") => {
            let mut operands = Vec::new();
            concatenated(node, &mut operands);
            after_secret_names(&operands)
        }
        _ => Vec::new(),
    };
    found.into_iter().filter_map(inner).map(unwrapped).collect()
}

/// The values an INSERT ... VALUES gives columns named like secrets
/// (`api_key`, `password`).
fn inserted_secrets(insert: &InsertStmt) -> Vec<&Node> {
    let secret_columns: Vec<usize> = insert
        .cols
        .iter()
        .enumerate()
        .filter(
            |(_, column)| matches!(inner(column), Some(NodeEnum::ResTarget(target)) if names_a_secret(&target.name)),
        )
        .map(|(index, _)| index)
        .collect();
    let Some(NodeEnum::SelectStmt(select)) = insert.select_stmt.as_deref().and_then(inner) else { return Vec::new() };
    let mut found = Vec::new();
    for row in &select.values_lists {
        if let Some(NodeEnum::List(values)) = inner(row) {
            found.extend(secret_columns.iter().filter_map(|index| values.items.get(*index)));
        }
    }
    found
}

fn call_secrets(call: &FuncCall) -> Vec<&Node> {
    // Unquoted names come folded to lower case; a quoted "CRYPT" is another function.
    let argument = |index: usize| call.args.get(index).into_iter().collect::<Vec<_>>();
    match names::function_name(call) {
        "crypt" => argument(0),
        "pgp_sym_encrypt"
        | "pgp_sym_encrypt_bytea"
        | "pgp_sym_decrypt"
        | "pgp_sym_decrypt_bytea"
        | "encrypt"
        | "decrypt"
        | "encrypt_iv"
        | "decrypt_iv"
        | "hmac" => argument(1),
        "pgp_pub_decrypt" | "pgp_pub_decrypt_bytea" => argument(2),
        "set_config"
            if call.args.first().and_then(inner).map(unwrapped).and_then(names::string).is_some_and(names_a_secret) =>
        {
            argument(1)
        }
        "concat" => after_secret_names(&call.args.iter().collect::<Vec<_>>()),
        "format" => {
            let Some(format) = call.args.first().and_then(inner).map(unwrapped).and_then(names::string) else {
                return Vec::new();
            };
            format_secrets(format).into_iter().filter_map(|index| call.args.get(index + 1)).collect()
        }
        _ => Vec::new(),
    }
}

/// The operands of a chain of `||`, in order.
fn concatenated<'a>(node: &'a NodeEnum, out: &mut Vec<&'a Node>) {
    let NodeEnum::AExpr(expression) = node else { return };
    for side in [&expression.lexpr, &expression.rexpr].into_iter().flatten() {
        match inner(side) {
            Some(NodeEnum::AExpr(nested)) if names::string_operator(nested) == Some("||") => {
                concatenated(inner(side).expect("matched"), out)
            }
            _ => out.push(side),
        }
    }
}

/// The operands that follow a literal ending with a secret's name:
/// `'ALTER ROLE x PASSWORD ' || pw`, `concat('password=', pw)`.
fn after_secret_names<'a>(operands: &[&'a Node]) -> Vec<&'a Node> {
    operands
        .windows(2)
        .filter(|pair| inner(pair[0]).map(unwrapped).and_then(names::string).is_some_and(ends_with_secret_name))
        .map(|pair| pair[1])
        .collect()
}

/// Which arguments (0 for the first after the format string) a format
/// string places right after a secret's name: `'... PASSWORD %L'`.
fn format_secrets(format: &str) -> Vec<usize> {
    let bytes = format.as_bytes();
    let (mut at, mut next, mut secrets) = (0, 0, Vec::new());
    while let Some(offset) = format[at..].find('%') {
        let start = at + offset;
        if bytes.get(start + 1) == Some(&b'%') {
            at = start + 2;
            continue;
        }
        // %[position$][flags][width]type
        let mut end = start + 1;
        let digits = bytes[end..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        let position =
            (bytes.get(end + digits) == Some(&b'$')).then(|| format[end..end + digits].parse::<usize>().ok()).flatten();
        if position.is_some() {
            end += digits + 1;
        }
        end += bytes[end..].iter().take_while(|byte| byte.is_ascii_digit() || matches!(byte, b'-' | b'*')).count();
        if !matches!(bytes.get(end), Some(b's' | b'I' | b'L')) {
            at = end.max(start + 1);
            continue;
        }
        let index = match position {
            Some(position) => position.saturating_sub(1),
            None => next,
        };
        next = index + 1;
        if ends_with_secret_name(&format[..start]) {
            secrets.push(index);
        }
        at = end + 1;
    }
    secrets
}

/// Whether text ends with a secret's name, before the value it introduces:
/// `ALTER ROLE x PASSWORD `, `host=h password=`, `"api_key": "`.
fn ends_with_secret_name(text: &str) -> bool {
    let trimmed = text.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '=' | ':'));
    let name_start = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map_or(0, |(at, c)| at + c.len_utf8());
    let name = &trimmed[name_start..];
    !name.is_empty() && names_a_secret(name)
}

fn names_a_secret(name: &str) -> bool {
    guardrail_core::secret::names_a_secret(name)
}

/// A value without the casts and quoting functions around it.
fn unwrapped(node: &NodeEnum) -> &NodeEnum {
    match node {
        NodeEnum::TypeCast(cast) => cast.arg.as_deref().and_then(inner).map_or(node, unwrapped),
        NodeEnum::FuncCall(call)
            if matches!(names::function_name(call), "quote_literal" | "quote_nullable" | "quote_ident")
                && call.args.len() == 1 =>
        {
            call.args.first().and_then(inner).map_or(node, unwrapped)
        }
        _ => node,
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
                // Adjacent literals separated by a newline are one string.
                "ALTER ROLE app PASSWORD 'hun'\n  'ter2' VALID UNTIL 'infinity'",
                "ALTER ROLE app PASSWORD '************' VALID UNTIL 'infinity'",
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
    fn secrets_given_to_functions_and_built_into_statements_are_found() {
        let cases = [
            ("SELECT crypt('pw-1234', gen_salt('bf'))", "SELECT crypt('*******', gen_salt('bf'))"),
            ("SELECT pgp_sym_encrypt(note, 'k3y-abc') FROM t", "SELECT pgp_sym_encrypt(note, '*******') FROM t"),
            (
                "SELECT set_config('app.api_key', 'k3y-abc', false)",
                "SELECT set_config('app.api_key', '*******', false)",
            ),
            (
                "SELECT format('ALTER ROLE %I PASSWORD %L', 'bob', 'pw-1234')",
                "SELECT format('ALTER ROLE %I PASSWORD %L', 'bob', '*******')",
            ),
            (
                "SELECT format('ALTER ROLE %2$I PASSWORD %1$L', 'pw-1234', 'bob')",
                "SELECT format('ALTER ROLE %2$I PASSWORD %1$L', '*******', 'bob')",
            ),
            (
                "SELECT 'ALTER ROLE bob PASSWORD ' || quote_literal('pw-1234')",
                "SELECT 'ALTER ROLE bob PASSWORD ' || quote_literal('*******')",
            ),
            ("SELECT concat('host=h password=', 'pw-1234')", "SELECT concat('host=h password=', '*******')"),
            (
                "CREATE USER MAPPING FOR u SERVER s OPTIONS (aws_secret_access_key 'k3y-abc')",
                "CREATE USER MAPPING FOR u SERVER s OPTIONS (aws_secret_access_key '*******')",
            ),
            (
                "INSERT INTO integrations (tenant, api_key) VALUES (1, 'k3y-abc'), (2, 'k3y-def')",
                "INSERT INTO integrations (tenant, api_key) VALUES (1, '*******'), (2, '*******')",
            ),
            ("UPDATE bots SET token = 'k3y-abc' WHERE id = 1", "UPDATE bots SET token = '*******' WHERE id = 1"),
            ("SELECT id FROM keys WHERE api_key = 'k3y-abc'", "SELECT id FROM keys WHERE api_key = '*******'"),
            (
                "DO $$ DECLARE pw text := 'pw-1234'; BEGIN EXECUTE format('ALTER ROLE bob PASSWORD %L', pw); END $$",
                "DO $$ DECLARE pw text := '*******'; BEGIN EXECUTE format('ALTER ROLE bob PASSWORD %L', pw); END $$",
            ),
            (
                "DO $$ DECLARE pw text; BEGIN pw := 'pw-1234'; EXECUTE 'ALTER ROLE bob PASSWORD ' || quote_literal(pw); END $$",
                "DO $$ DECLARE pw text; BEGIN pw := '*******'; EXECUTE 'ALTER ROLE bob PASSWORD ' || quote_literal(pw); END $$",
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
            "UPDATE users SET password_hash = NULL, api_key = NULL WHERE id = 1",
            "INSERT INTO sort_orders (sort_key, name) VALUES ('created_at', 'newest')",
            "SELECT format('ALTER ROLE %I VALID UNTIL %L', 'bob', '2027-01-01')",
            "SELECT 'password reset for ' || email FROM users LIMIT 1",
            "SELECT set_config('app.tenant', 'acme', false)",
            "SELECT crypt(password_input, password_hash) = password_hash FROM users WHERE id = 1",
        ] {
            assert_eq!(masked(sql), sql);
        }
    }
}
