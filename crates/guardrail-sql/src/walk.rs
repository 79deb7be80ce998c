//! The walk over every node of every statement.
//!
//! [`Walker::visit`] hands each node to the rule for its type
//! ([`crate::rules::check`]), which records intents and says whether the
//! generic walk should go on into the node's children. Every child of
//! every node is reached through the generated [`for_each_child`], so a
//! dangerous call hidden in a column default or an index expression is
//! seen like one in a SELECT list.
//!
//! SQL inside SQL (function bodies, DO blocks, strings given to EXECUTE)
//! is parsed and walked by a nested walker whose intents are mapped back to
//! where the body sits in the outer text.

use guardrail_core::{Analysis, Intent, IntentKind, Object, Scope, Span};
use pg_query::protobuf::RawStmt;
use pg_query::{NodeEnum, ParserOptions};

use crate::children::for_each_child;
use crate::names::inner;
use crate::{parse, rules, secrets, spans};

/// How many bodies deep SQL may nest (a DO block that EXECUTEs a string
/// that creates a function...) before the rest is judged `unknown`.
const MAX_NESTING: usize = 8;

/// Where a node sits, for the one rule that cares: a SELECT at statement
/// position returns rows; one nested in an expression does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    Statement,
    Nested,
}

/// Whether the generic walk continues into a node's children after its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Descend,
    Skip,
}

/// Where a nested body's text sits in the outer text.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    /// The body appears verbatim, starting at this offset.
    At(usize),
    /// The body was unescaped from a literal; its intents point at the
    /// whole literal (or statement).
    Within(Span),
}

pub(crate) struct Walker<'t> {
    pub(crate) text: &'t str,
    /// The statement being walked, within `text`.
    pub(crate) statement: Span,
    /// A construct inside the statement (a CTE) whose span is better
    /// evidence for what is found within it than the whole statement.
    focus: Option<Span>,
    pub(crate) intents: Vec<Intent>,
    /// Where the text holds secrets.
    pub(crate) secrets: Vec<Span>,
    /// Where in the statement the last nested body was found; the next is
    /// looked for near it (see `locate`).
    locate_cursor: usize,
    /// Statements prepared earlier in this text, so that EXECUTE of one is
    /// judged by its body rather than as opaque.
    pub(crate) prepared: Vec<String>,
    nesting: usize,
    /// Whether a top-level SELECT returns rows to the client (the action's
    /// own text) or not (a function body).
    client_facing: bool,
    /// Temporary tables, views and sequences the text made (lowercase
    /// names), which unqualified names reach first unless the search path
    /// puts `pg_temp` later.
    temporary: std::collections::HashSet<String>,
    temporary_first: bool,
}

/// Analyzes `text` as SQL; what does not parse is `unknown`. Text that
/// cannot be parsed cannot be searched for secrets, so all of it counts as
/// one.
pub(crate) fn analyze_text(text: &str, mode: ParserOptions, nesting: usize, client_facing: bool) -> Analysis {
    let everything = Span::new(0, text.len());
    let opaque = |note: &str| Analysis { intents: vec![unknown(everything, note)], secrets: vec![everything] };
    if nesting > MAX_NESTING {
        return opaque("SQL nests inside SQL too deeply to follow");
    }
    parse::with_tree(text, mode, |tree| match tree {
        Err(message) => opaque(&format!("PostgreSQL's parser rejects this text: {message}")),
        Ok(tree) => {
            let mut walker = Walker {
                text,
                statement: Span::new(0, text.len()),
                focus: None,
                intents: Vec::new(),
                secrets: Vec::new(),
                locate_cursor: 0,
                prepared: Vec::new(),
                nesting,
                client_facing,
                temporary: std::collections::HashSet::new(),
                temporary_first: true,
            };
            walker.statements(&tree.stmts);
            Analysis { intents: walker.intents, secrets: walker.secrets }
        }
    })
}

impl Walker<'_> {
    /// Remembers a temporary object the text made.
    pub(crate) fn made_temporary(&mut self, name: &str) {
        // Names come folded by the parser (unquoted) or exact (quoted):
        // `"Reports"` is not `reports`.
        self.temporary.insert(name.to_owned());
    }

    /// Forgets one (dropped, or DISCARD TEMP).
    pub(crate) fn forget_temporary(&mut self, name: Option<&str>) {
        match name {
            Some(name) => {
                self.temporary.remove(name);
            }
            None => self.temporary.clear(),
        }
    }

    /// `SET search_path = public, pg_temp` makes unqualified names reach
    /// `public` before the session's temporary objects.
    pub(crate) fn search_path(&mut self, path: &[&str]) {
        self.temporary_first = path.first().is_none_or(|first| first.eq_ignore_ascii_case("pg_temp"))
            || !path.iter().any(|schema| schema.eq_ignore_ascii_case("pg_temp"));
    }

    /// Whether a name reaches a temporary object: in `pg_temp`, or an
    /// unqualified name of one the text made.
    pub(crate) fn is_temporary(&self, range: &pg_query::protobuf::RangeVar) -> bool {
        self.is_temporary_name(&range.schemaname, &range.relname)
    }

    pub(crate) fn is_temporary_name(&self, schema: &str, name: &str) -> bool {
        schema.eq_ignore_ascii_case("pg_temp")
            || schema.is_empty() && self.temporary_first && self.temporary.contains(name)
    }
}

/// The largest character boundary of `text` at or before `index`.
fn floor_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

pub(crate) fn unknown(span: Span, note: &str) -> Intent {
    Intent::new(IntentKind::Unknown, Scope::Unbounded, span).with_note(note)
}

impl<'t> Walker<'t> {
    fn statements(&mut self, statements: &[RawStmt]) {
        for raw in statements {
            let start = usize::try_from(raw.stmt_location).unwrap_or(0).min(self.text.len());
            let end = match usize::try_from(raw.stmt_len) {
                Ok(0) | Err(_) => self.text.len(),
                Ok(length) => (start + length).min(self.text.len()),
            };
            let start = spans::skip_trivia(self.text, start, end);
            let end = start + self.text[start..end].trim_end().len();
            self.statement = Span::new(start, end);
            self.focus = None;
            self.locate_cursor = 0;
            if let Some(node) = raw.stmt.as_deref().and_then(inner) {
                self.visit(node, Position::Statement);
            }
        }
    }

    /// Judges a node with its rule, then its children.
    pub(crate) fn visit(&mut self, node: &NodeEnum, position: Position) {
        secrets::collect(self, node);
        match rules::check(self, node, position) {
            Flow::Descend => self.visit_children(node),
            // A rule that judged the node itself still must not hide the
            // secrets beneath it (a role's PASSWORD option).
            Flow::Skip => self.collect_secrets_below(node),
        }
    }

    fn collect_secrets_below(&mut self, node: &NodeEnum) {
        for_each_child(node, &mut |_, child| {
            secrets::collect(self, child);
            self.collect_secrets_below(child);
        });
    }

    pub(crate) fn visit_children(&mut self, node: &NodeEnum) {
        for_each_child(node, &mut |_, child| self.visit(child, Position::Nested));
    }

    /// Whether a SELECT at statement position sends its rows to the client.
    pub(crate) fn client_facing(&self) -> bool {
        self.client_facing
    }

    /// The text of the statement being walked.
    pub(crate) fn statement_text(&self) -> &'t str {
        &self.text[self.statement.start..self.statement.end]
    }

    /// An intent whose evidence is the whole statement, or the construct
    /// in focus.
    pub(crate) fn emit(&mut self, kind: IntentKind, scope: Scope, object: Option<Object>) -> &mut Intent {
        let span = self.focus.unwrap_or(self.statement);
        self.push(kind, scope, object, span)
    }

    /// Walks a node's children with the construct starting at `location`
    /// as the evidence for what they hold.
    pub(crate) fn visit_children_focused(&mut self, node: &NodeEnum, location: i32) {
        let outer = self.focus;
        self.focus = Some(self.span_at(location));
        self.visit_children(node);
        self.focus = outer;
    }

    /// An intent whose evidence is the construct starting at a node's
    /// location (a function call, a CTE), or the statement when the
    /// location is unknown.
    pub(crate) fn emit_at(
        &mut self,
        kind: IntentKind,
        scope: Scope,
        object: Option<Object>,
        location: i32,
    ) -> &mut Intent {
        let span = self.span_at(location);
        self.push(kind, scope, object, span)
    }

    fn push(&mut self, kind: IntentKind, scope: Scope, object: Option<Object>, span: Span) -> &mut Intent {
        let mut intent = Intent::new(kind, scope, span);
        intent.object = object;
        self.intents.push(intent);
        self.intents.last_mut().expect("just pushed")
    }

    fn span_at(&self, location: i32) -> Span {
        match usize::try_from(location) {
            Ok(start) if start >= self.statement.start && start < self.statement.end => {
                Span::new(start, spans::extent(self.text, start, self.statement.end))
            }
            _ => self.statement,
        }
    }

    /// Where `body` sits in the current statement: verbatim (a
    /// dollar-quoted body) or only somewhere inside it (a quoted literal
    /// whose escapes were undone).
    ///
    /// Bodies are found in text order, so each search starts where the last
    /// one matched and looks a bounded stretch ahead, then behind (PL/pgSQL's
    /// JSON lists a statement's fields alphabetically, `else_body` before
    /// `then_body`). Searching the whole statement every time would make a
    /// DO block of n statements cost n² (a 370 KB block took 1.7 s).
    pub(crate) fn locate(&mut self, body: &str) -> Origin {
        const WINDOW: usize = 8 << 10;
        let statement = self.statement_text();
        if body.is_empty() {
            return Origin::Within(self.statement);
        }
        let cursor = floor_boundary(statement, self.locate_cursor);
        let ahead_end = floor_boundary(statement, cursor.saturating_add(WINDOW + body.len()));
        let behind_start = floor_boundary(statement, cursor.saturating_sub(WINDOW));
        let behind_end = floor_boundary(statement, cursor.saturating_add(body.len()));
        let found = statement[cursor..ahead_end]
            .find(body)
            .map(|offset| cursor + offset)
            .or_else(|| statement[behind_start..behind_end].find(body).map(|offset| behind_start + offset));
        match found {
            Some(offset) => {
                // Past the match, so that a second identical body is found
                // at its own place.
                self.locate_cursor = offset + body.len();
                Origin::At(self.statement.start + offset)
            }
            None => Origin::Within(self.statement),
        }
    }

    /// A walker over the same text and statement that starts with no
    /// findings, for work done on another thread; its intents are taken
    /// back afterwards.
    pub(crate) fn fork(&self) -> Walker<'t> {
        Walker {
            text: self.text,
            statement: self.statement,
            focus: self.focus,
            intents: Vec::new(),
            secrets: Vec::new(),
            locate_cursor: self.locate_cursor,
            prepared: self.prepared.clone(),
            nesting: self.nesting,
            client_facing: self.client_facing,
            temporary: self.temporary.clone(),
            temporary_first: self.temporary_first,
        }
    }

    /// Masks a string literal, written as in the statement (`'x'`,
    /// `$$x$$`), wherever the statement holds it: its content if it is
    /// quoted, else all of it.
    pub(crate) fn secret_literal(&mut self, literal: &str) {
        let start = self.statement.start;
        let found: Vec<usize> = self.statement_text().match_indices(literal).map(|(offset, _)| offset).collect();
        let (open, close) = match literal.as_bytes() {
            [b'\'', .., b'\''] if literal.len() >= 2 => (1, 1),
            [b'$', ..] => match literal[1..].find('$') {
                Some(tag) if literal.len() >= 2 * (tag + 2) => (tag + 2, tag + 2),
                _ => (0, 0),
            },
            _ => (0, 0),
        };
        for offset in found {
            self.secrets.push(Span::new(start + offset + open, start + offset + literal.len() - close));
        }
    }

    /// Where a string literal's value sits: verbatim after its opening
    /// quote or dollar tag when the literal has no escapes, else somewhere
    /// within the literal.
    pub(crate) fn literal_origin(&self, location: i32, value: &str) -> Origin {
        let Some(rest) = usize::try_from(location).ok().and_then(|start| self.text.get(start..)) else {
            return Origin::Within(self.statement);
        };
        let start = self.text.len() - rest.len();
        // The quote that opens the literal also closes it: `'` or `$tag$`.
        let quote = if rest.starts_with('\'') {
            Some("'")
        } else {
            rest.strip_prefix('$').and_then(|tail| tail.find('$')).map(|end| &rest[..end + 2])
        };
        if let Some(quote) = quote {
            let body = &rest[quote.len()..];
            if body.strip_prefix(value).is_some_and(|after| after.starts_with(quote)) {
                return Origin::At(start + quote.len());
            }
        }
        Origin::Within(self.span_at(location))
    }

    /// Analyzes SQL found inside the statement and takes its intents,
    /// mapped back to where the SQL sits.
    pub(crate) fn nested_sql(&mut self, sql: &str, mode: ParserOptions, origin: Origin) {
        let analysis = analyze_text(sql, mode, self.nesting + 1, false);
        self.adopt(analysis, origin);
    }

    /// Takes what was found in a nested body. Where the body is not
    /// verbatim in the text, its intents point at the whole literal, and a
    /// secret anywhere in it hides the whole literal.
    pub(crate) fn adopt(&mut self, analysis: Analysis, origin: Origin) {
        let map = |span: Span| match origin {
            Origin::At(offset) => Span::new(span.start + offset, span.end + offset),
            Origin::Within(whole) => whole,
        };
        for mut intent in analysis.intents {
            intent.span = map(intent.span);
            self.intents.push(intent);
        }
        // A body found by searching may stand in the statement more than
        // once; every copy of a secret it holds is masked, whichever copy the
        // search settled on.
        for secret in analysis.secrets.into_iter().map(map) {
            let copy = &self.text[secret.start..secret.end];
            if !copy.is_empty() {
                let start = self.statement.start;
                let copies: Vec<Span> = self
                    .statement_text()
                    .match_indices(copy)
                    .map(|(offset, _)| Span::new(start + offset, start + offset + copy.len()))
                    .collect();
                self.secrets.extend(copies);
            }
            self.secrets.push(secret);
        }
    }
}
