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
mod shape;
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
    shape::analyze(text, analyze_afresh)
}

/// [`analyze`] without the shape cache: what every cached answer must equal.
pub fn analyze_afresh(text: &str) -> Analysis {
    let mut analysis = walk::analyze_text(text, ParserOptions::DEFAULT, 0, true);
    rules::after(&mut analysis);
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

/// The SQL-level prepared statements a text names: those it prepares
/// (`PREPARE name AS ...`), executes (`EXECUTE name`, `EXPLAIN EXECUTE
/// name`, `CREATE TABLE ... AS EXECUTE name`) and deallocates (`None` for
/// `DEALLOCATE ALL`, and `DISCARD ALL`). Names are as PostgreSQL folds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreparedNames {
    pub prepared: Vec<String>,
    pub executed: Vec<String>,
    pub deallocated: Vec<Option<String>>,
}

/// See [`PreparedNames`]; cheap for texts that mention none of the words.
pub fn prepared_names(text: &str) -> PreparedNames {
    use pg_query::NodeEnum;
    let lower = text.to_ascii_lowercase();
    if !["prepare", "execute", "deallocate", "discard"].iter().any(|word| lower.contains(word)) {
        return PreparedNames::default();
    }
    fn visit(node: &NodeEnum, names: &mut PreparedNames) {
        match node {
            NodeEnum::PrepareStmt(prepare) => names.prepared.push(prepare.name.clone()),
            NodeEnum::ExecuteStmt(execute) => names.executed.push(execute.name.clone()),
            NodeEnum::DeallocateStmt(deallocate) => {
                names.deallocated.push((!deallocate.isall).then(|| deallocate.name.clone()))
            }
            NodeEnum::DiscardStmt(discard) if discard.target == pg_query::protobuf::DiscardMode::DiscardAll as i32 => {
                names.deallocated.push(None)
            }
            _ => {}
        }
        children::for_each_child(node, &mut |_, child| visit(child, names));
    }
    parse::with_tree(text, ParserOptions::DEFAULT, |tree| {
        let mut names = PreparedNames::default();
        if let Ok(tree) = tree {
            for node in tree.stmts.iter().filter_map(|statement| statement.stmt.as_ref()?.node.as_ref()) {
                visit(node, &mut names);
            }
        }
        names
    })
}

/// Whether a computed output column of the text (a SELECT target that is
/// not a plain column) reads a column `sensitive` names, or a whole row
/// (`to_json(p)`, `p.*::text`, `people::text`), which holds every column.
/// Such a value comes from no single table column, so a surface that masks
/// by table column cannot tell what it holds. A text that does not parse
/// answers yes.
pub fn computes_over(text: &str, sensitive: &(dyn Fn(&str) -> bool + Sync)) -> bool {
    use pg_query::NodeEnum;
    // Only function calls, operators and casts compute.
    if !text.contains(['(', ':', '|', '+', '-', '*', '/', '>', '<', '=', '[']) {
        return false;
    }
    // Every name a row can be referred to by: tables, subqueries,
    // functions in FROM, and WITH queries.
    fn relations(node: &NodeEnum, names: &mut Vec<String>) {
        let alias = match node {
            NodeEnum::RangeVar(range) => {
                names.push(range.relname.to_ascii_lowercase());
                range.alias.as_ref()
            }
            NodeEnum::RangeSubselect(range) => range.alias.as_ref(),
            NodeEnum::RangeFunction(range) => range.alias.as_ref(),
            NodeEnum::CommonTableExpr(cte) => {
                names.push(cte.ctename.to_ascii_lowercase());
                None
            }
            _ => None,
        };
        if let Some(alias) = alias {
            names.push(alias.aliasname.to_ascii_lowercase());
        }
        children::for_each_child(node, &mut |_, child| relations(child, names));
    }
    fn reads(node: &NodeEnum, sensitive: &(dyn Fn(&str) -> bool + Sync), relations: &[String]) -> bool {
        if let NodeEnum::ColumnRef(reference) = node {
            let fields: Vec<Option<&NodeEnum>> = reference.fields.iter().map(names::inner).collect();
            let whole_row = matches!(fields.last(), Some(Some(NodeEnum::AStar(_))))
                || (fields.len() == 1
                    && fields[0]
                        .and_then(names::string)
                        .is_some_and(|name| relations.contains(&name.to_ascii_lowercase())));
            let named = matches!(fields.last(), Some(Some(NodeEnum::String(name))) if sensitive(&name.sval));
            if whole_row || named {
                return true;
            }
        }
        let mut found = false;
        children::for_each_child(node, &mut |_, child| found = found || reads(child, sensitive, relations));
        found
    }
    fn returning(clause: &Option<pg_query::protobuf::ReturningClause>) -> Option<&Vec<pg_query::protobuf::Node>> {
        clause.as_ref().map(|clause| &clause.exprs)
    }
    fn computed_targets(node: &NodeEnum, sensitive: &(dyn Fn(&str) -> bool + Sync), relations: &[String]) -> bool {
        let none = Vec::new();
        let targets = match node {
            NodeEnum::SelectStmt(select) => Some(&select.target_list),
            NodeEnum::InsertStmt(insert) => returning(&insert.returning_clause),
            NodeEnum::UpdateStmt(update) => returning(&update.returning_clause),
            NodeEnum::DeleteStmt(delete) => returning(&delete.returning_clause),
            NodeEnum::MergeStmt(merge) => returning(&merge.returning_clause),
            _ => None,
        }
        .unwrap_or(&none);
        {
            for target in targets.iter().filter_map(names::inner) {
                if let NodeEnum::ResTarget(target) = target
                    && let Some(value) = target.val.as_deref().and_then(names::inner)
                    && !matches!(value, NodeEnum::ColumnRef(_))
                    && reads(value, sensitive, relations)
                {
                    return true;
                }
            }
        }
        let mut found = false;
        children::for_each_child(node, &mut |_, child| found = found || computed_targets(child, sensitive, relations));
        found
    }
    parse::with_tree(text, ParserOptions::DEFAULT, |tree| {
        let Ok(tree) = tree else { return true };
        let statements: Vec<&NodeEnum> =
            tree.stmts.iter().filter_map(|statement| statement.stmt.as_ref()?.node.as_ref()).collect();
        let mut names = Vec::new();
        for statement in &statements {
            relations(statement, &mut names);
        }
        statements.iter().any(|statement| computed_targets(statement, sensitive, &names))
    })
}

/// Whether the text changes rows whose number the server does not report
/// as its command's count: an UPDATE, DELETE or MERGE that is not a
/// statement of its own (in a WITH, under EXPLAIN ANALYZE, in a COPY's
/// query). A surface that enforces a row cap by the reported count (the
/// database proxy) cannot cap those. Writes that do not run now (a
/// PREPARE's, a rule's, a function's body) do not count. A text that does
/// not parse is uncounted when it names WITH, EXPLAIN or COPY; without any
/// of them no statement can hold a write, parsed or not.
pub fn has_uncounted_writes(text: &str) -> bool {
    use pg_query::NodeEnum;
    fn writes_below(node: &NodeEnum) -> usize {
        let mut count = 0;
        children::for_each_child(node, &mut |_, child| {
            if matches!(child, NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_) | NodeEnum::MergeStmt(_)) {
                count += 1;
            }
            count += writes_below(child);
        });
        count
    }
    // A write can only sit inside another statement through WITH, EXPLAIN
    // or COPY, keywords no spelling hides: without any of the three words
    // there is no need to parse.
    let lower = text.to_ascii_lowercase();
    if !["with", "explain", "copy"].iter().any(|word| lower.contains(word)) {
        return false;
    }
    parse::with_tree(text, ParserOptions::DEFAULT, |tree| {
        let Ok(tree) = tree else { return true };
        tree.stmts.iter().filter_map(|statement| statement.stmt.as_ref()?.node.as_ref()).any(|node| {
            !matches!(
                node,
                NodeEnum::PrepareStmt(_)
                    | NodeEnum::RuleStmt(_)
                    | NodeEnum::CreateFunctionStmt(_)
                    | NodeEnum::ViewStmt(_)
            ) && writes_below(node) > 0
        })
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

    #[test]
    fn writes_whose_count_the_server_does_not_report_are_found() {
        let cases = [
            ("UPDATE t SET a = 1 WHERE id > 5", false),
            ("DELETE FROM t WHERE id IN (SELECT id FROM u)", false),
            ("MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE", false),
            ("UPDATE t SET a = 1 WHERE id = 1; DELETE FROM u WHERE id = 2", false),
            ("PREPARE p(int) AS DELETE FROM t WHERE id > $1", false),
            ("SELECT * FROM t", false),
            ("WITH d AS (DELETE FROM t WHERE id > 0 RETURNING *) SELECT count(*) FROM d", true),
            ("WITH u AS (UPDATE t SET a = 1 RETURNING id) INSERT INTO log SELECT id FROM u", true),
            ("EXPLAIN ANALYZE DELETE FROM t WHERE id > 0", true),
            ("COPY (DELETE FROM t WHERE id > 0 RETURNING *) TO STDOUT", true),
            ("DELETE FROM t WHERE id IN (WITH x AS (UPDATE u SET a = 1 RETURNING id) SELECT id FROM x)", true),
            ("this is not sql, with a word", true),
            ("this is not sql", false),
            ("UPDATE t SET a = 1 WHERE id IN (SELECT id FROM (COPY t TO STDOUT))", true),
        ];
        for (text, expected) in cases {
            assert_eq!(super::has_uncounted_writes(text), expected, "{text}");
        }
    }

    #[test]
    fn computed_values_over_sensitive_columns_or_whole_rows_are_found() {
        let sensitive = |name: &str| name.eq_ignore_ascii_case("ssn");
        let cases = [
            ("SELECT id, ssn FROM people", false),
            ("SELECT ssn AS x FROM people", false),
            ("SELECT id FROM people WHERE ssn = '1'", false),
            ("SELECT count(*) FROM people", false),
            ("SELECT upper(name) FROM people", false),
            ("SELECT lower(ssn) FROM people", true),
            ("SELECT ssn || '' AS x FROM people", true),
            ("SELECT p.ssn::text FROM people p", true),
            ("SELECT to_json(p) FROM people p", true),
            ("SELECT people::text FROM people", true),
            ("SELECT row_to_json(t) FROM (SELECT * FROM people) t", true),
            ("SELECT (p.*)::text FROM people p", true),
            ("SELECT x FROM (SELECT substr(ssn, 1, 3) AS x FROM people) s", true),
            ("WITH w AS (SELECT * FROM people) SELECT w::text FROM w", true),
            ("UPDATE people SET name = 'x' WHERE id = 1 RETURNING upper(ssn)", true),
            ("DELETE FROM people WHERE id = 1 RETURNING id", false),
            ("not sql (", true),
        ];
        for (text, expected) in cases {
            assert_eq!(super::computes_over(text, &sensitive), expected, "{text}");
        }
    }

    #[test]
    fn prepared_statement_names_are_read() {
        let names = super::prepared_names(
            "PREPARE Del(int) AS DELETE FROM t WHERE id = $1; EXECUTE del(1); EXPLAIN EXECUTE \"Q\"; DEALLOCATE del; DEALLOCATE ALL",
        );
        assert_eq!(names.prepared, ["del"]);
        assert_eq!(names.executed, ["del", "Q"]);
        assert_eq!(names.deallocated, [Some("del".to_owned()), None]);
        assert_eq!(super::prepared_names("SELECT 'execute'"), super::PreparedNames::default());
    }
}
