//! Temporary objects the text makes: tables, views and sequences created
//! TEMP (or in `pg_temp`) are the session's own scratch space, so emptying,
//! altering or dropping them later in the same text is harmless. Unqualified
//! names reach them first, unless the search path was set to reach
//! `pg_temp` later (`SET search_path = public, pg_temp`), and a name made
//! temporary is forgotten once dropped: `DROP TABLE x` twice drops the
//! permanent `x` the second time.

use pg_query::NodeEnum;
use pg_query::protobuf::{DiscardMode, RangeVar, VariableSetKind};

use crate::names::{self, inner};
use crate::walk::Walker;

/// Notes what a statement does to the set of temporary names.
pub(crate) fn track(walker: &mut Walker<'_>, node: &NodeEnum) {
    let temporary = |range: &RangeVar| range.relpersistence == "t" || range.schemaname.eq_ignore_ascii_case("pg_temp");
    let made = match node {
        NodeEnum::CreateStmt(statement) => statement.relation.as_ref(),
        NodeEnum::ViewStmt(statement) => statement.view.as_ref(),
        NodeEnum::CreateSeqStmt(statement) => statement.sequence.as_ref(),
        NodeEnum::CreateTableAsStmt(statement) => statement.into.as_ref().and_then(|into| into.rel.as_ref()),
        NodeEnum::SelectStmt(statement) => statement.into_clause.as_ref().and_then(|into| into.rel.as_ref()),
        NodeEnum::VariableSetStmt(statement) if statement.name.eq_ignore_ascii_case("search_path") => {
            if VariableSetKind::try_from(statement.kind) == Ok(VariableSetKind::VarSetValue) {
                let path: Vec<&str> = statement.args.iter().filter_map(inner).filter_map(names::string).collect();
                walker.search_path(&path);
            } else {
                walker.search_path(&[]);
            }
            None
        }
        NodeEnum::DiscardStmt(statement) => {
            if matches!(DiscardMode::try_from(statement.target), Ok(DiscardMode::DiscardTemp | DiscardMode::DiscardAll))
            {
                walker.forget_temporary(None);
            }
            None
        }
        _ => None,
    };
    if let Some(range) = made.filter(|range| temporary(range)) {
        walker.made_temporary(&range.relname);
    }
}

/// The schema and name of a dropped object's qualified name.
pub(crate) fn split(object: &NodeEnum) -> (String, String) {
    let parts: Vec<String> = match object {
        NodeEnum::List(list) => {
            list.items.iter().filter_map(inner).filter_map(names::string).map(str::to_owned).collect()
        }
        NodeEnum::String(string) => vec![string.sval.clone()],
        _ => Vec::new(),
    };
    match parts.as_slice() {
        [.., schema, name] => (schema.clone(), name.clone()),
        [name] => (String::new(), name.clone()),
        [] => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use guardrail_core::{IntentKind, Scope};

    /// The scope of the first intent of `kind` in `sql`.
    fn scope_of(sql: &str, kind: IntentKind) -> Option<Scope> {
        crate::analyze(sql).intents.iter().rfind(|intent| intent.kind == kind).map(|intent| intent.scope)
    }

    #[test]
    fn temporary_objects_made_in_the_text_are_its_own() {
        let cases: &[(&str, IntentKind, Scope)] = &[
            ("CREATE TEMP TABLE t (id int); DROP TABLE t", IntentKind::SchemaDrop, Scope::Temporary),
            ("CREATE TEMP TABLE t (id int); TRUNCATE t", IntentKind::DataTruncate, Scope::Temporary),
            ("CREATE TEMP TABLE t AS SELECT 1 AS id; DELETE FROM t", IntentKind::DataDeleteAll, Scope::Temporary),
            ("SELECT 1 AS id INTO TEMP t; DROP TABLE t", IntentKind::SchemaDrop, Scope::Temporary),
            ("CREATE TEMP VIEW v AS SELECT 1; DROP VIEW v", IntentKind::SchemaDrop, Scope::Temporary),
            ("DROP TABLE pg_temp.scratch", IntentKind::SchemaDrop, Scope::Temporary),
            (
                "CREATE TEMP TABLE t (x int); ALTER TABLE t ALTER COLUMN x TYPE text USING ''",
                IntentKind::DataUpdateAll,
                Scope::Temporary,
            ),
            // Not the temporary table: a permanent one of another schema or
            // spelling, one reached first through the search path, or
            // the same name once the temporary one is gone.
            ("CREATE TEMP TABLE t (id int); DROP TABLE public.t", IntentKind::SchemaDrop, Scope::Bounded),
            ("CREATE TEMP TABLE reports (id int); DROP TABLE \"Reports\"", IntentKind::SchemaDrop, Scope::Bounded),
            (
                "SET search_path = public, pg_temp; CREATE TEMP TABLE t (id int); DROP TABLE t",
                IntentKind::SchemaDrop,
                Scope::Bounded,
            ),
            ("CREATE TEMP TABLE t (id int); DROP TABLE t; DROP TABLE t", IntentKind::SchemaDrop, Scope::Bounded),
            ("TRUNCATE t", IntentKind::DataTruncate, Scope::Unbounded),
        ];
        for (sql, kind, scope) in cases {
            assert_eq!(scope_of(sql, *kind), Some(*scope), "{sql}");
        }
    }
}
