//! Guardrail's PostgreSQL analyzer: what a SQL text would do, read with
//! PostgreSQL's own grammar.
//!
//! [`analyze`] parses the text with libpg_query (the `pg_query` crate, the
//! real server's parser) and walks every node of every statement, emitting
//! [`Intent`]s: `data.delete_all` for a DELETE whose WHERE clause selects
//! every row, `server.read_file` for `pg_read_file()` in a column default,
//! `schema.drop` for a DROP inside a function body. The text is classified
//! by everything in it; the policy then judges the worst.
//!
//! Why the real grammar: text inside string literals, dollar quotes and
//! comments is data, and identifiers that look like keywords are
//! identifiers. Only the parser that PostgreSQL itself runs agrees with
//! PostgreSQL on where a statement is.
//!
//! The analyzer never fails. Text that does not parse, nests beyond the
//! parser's limits, or holds a statement kind it does not know becomes an
//! `unknown` intent, which the default policy holds for approval. It knows
//! nothing of policy.
//!
//! Rules live one per file in [`rules`], each documented with what it
//! catches, why, an example and a harmless look-alike; [`rules::RULES`] is
//! the registry `docs/intents.md` is generated from.

mod names;
mod parse;
mod plpgsql;
pub mod rules;
mod secrets;
mod spans;
mod truth;
mod walk;

#[path = "generated/children.rs"]
#[rustfmt::skip]
mod children;

use guardrail_core::{Analysis, Analyzer};
use pg_query::ParserOptions;

/// The intents of a SQL text, in text order, and where its secrets sit.
pub fn analyze(text: &str) -> Analysis {
    let mut analysis = walk::analyze_text(text, ParserOptions::DEFAULT, 0, true);
    // Text order, then the first of identical findings (an ALTER TABLE
    // adding three columns is one schema.alter).
    analysis.intents.sort_by_key(|intent| intent.span.start);
    let mut seen = std::collections::HashSet::new();
    analysis.intents.retain(|intent| seen.insert(intent.clone()));
    analysis.secrets.sort_by_key(|span| (span.start, span.end));
    analysis.secrets.dedup();
    analysis
}

/// The session justification a text sets, in order of its statements:
/// `Some(Some(reason))` after `SET guardrail.justification = 'reason'`,
/// `Some(None)` after `RESET guardrail.justification`, `RESET ALL` or
/// `DISCARD ALL`, `None` when the text touches neither. A text that does
/// not parse sets nothing.
pub fn session_justification(text: &str) -> Option<Option<String>> {
    use pg_query::NodeEnum;
    const NAME: &str = "guardrail.justification";
    let lower = text.to_ascii_lowercase();
    if !lower.contains(NAME) && !lower.contains("reset") && !lower.contains("discard") {
        return None;
    }
    parse::with_tree(text, ParserOptions::DEFAULT, |tree| {
        let mut found = None;
        for statement in &tree.ok()?.stmts {
            match statement.stmt.as_ref().and_then(|node| node.node.as_ref()) {
                Some(NodeEnum::VariableSetStmt(set)) => {
                    use pg_query::protobuf::VariableSetKind;
                    let kind = VariableSetKind::try_from(set.kind).unwrap_or(VariableSetKind::Undefined);
                    match kind {
                        VariableSetKind::VarResetAll => found = Some(None),
                        _ if !set.name.eq_ignore_ascii_case(NAME) => {}
                        VariableSetKind::VarSetValue => {
                            let value = set.args.iter().find_map(|arg| match arg.node.as_ref()? {
                                NodeEnum::AConst(constant) => match constant.val.as_ref()? {
                                    pg_query::protobuf::a_const::Val::Sval(text) => Some(text.sval.clone()),
                                    _ => None,
                                },
                                _ => None,
                            });
                            found = Some(value.filter(|value| !value.trim().is_empty()));
                        }
                        VariableSetKind::VarReset | VariableSetKind::VarSetDefault => found = Some(None),
                        _ => {}
                    }
                }
                Some(NodeEnum::DiscardStmt(discard))
                    if discard.target == pg_query::protobuf::DiscardMode::DiscardAll as i32 =>
                {
                    found = Some(None)
                }
                _ => {}
            }
        }
        found
    })
}

/// The analyzer as the gate sees it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlAnalyzer;

impl Analyzer for SqlAnalyzer {
    fn analyze(&self, action: &guardrail_core::Action) -> Analysis {
        analyze(&action.text)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! The one helper rule tests call: the intents of a text, rendered one
    //! per finding as `id scope [kind:name]`, joined with `; `.

    use guardrail_core::Intent;

    pub(crate) fn render(intents: &[Intent]) -> String {
        intents
            .iter()
            .map(|intent| match &intent.object {
                Some(object) => format!("{} {} {}:{}", intent.kind, intent.scope, object.kind, object.name),
                None => format!("{} {}", intent.kind, intent.scope),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Checks a table of `(sql, expected rendering)` cases, reporting every
    /// mismatch at once.
    #[track_caller]
    pub(crate) fn check(cases: &[(&str, &str)]) {
        let mut failures = Vec::new();
        for (sql, expected) in cases {
            let actual = render(&super::analyze(sql).intents);
            if actual != *expected {
                failures.push(format!("  sql:      {sql}\n  expected: {expected}\n  actual:   {actual}\n"));
            }
        }
        assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    }
}

#[cfg(test)]
mod session_tests {
    #[test]
    fn the_session_justification_is_read_from_set_and_cleared_by_reset() {
        let cases: &[(&str, Option<Option<&str>>)] = &[
            ("SET guardrail.justification = 'INC-42 backfill'", Some(Some("INC-42 backfill"))),
            ("set SESSION Guardrail.Justification TO 'x'", Some(Some("x"))),
            ("SET guardrail.justification = ''", Some(None)),
            ("RESET guardrail.justification", Some(None)),
            ("SET guardrail.justification TO DEFAULT", Some(None)),
            ("RESET ALL", Some(None)),
            ("DISCARD ALL", Some(None)),
            ("SELECT 'SET guardrail.justification = ''x'''", None),
            ("SET search_path = app", None),
            ("SELECT 1", None),
            ("SET guardrail.justification = 'a'; RESET ALL", Some(None)),
        ];
        for (text, expected) in cases {
            let expected = expected.map(|value| value.map(str::to_owned));
            assert_eq!(super::session_justification(text), expected, "{text}");
        }
    }
}
