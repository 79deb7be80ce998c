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
            if matches!(DiscardMode::try_from(statement.target), Ok(DiscardMode::DiscardTemp | DiscardMode::DiscardAll)) {
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
        NodeEnum::List(list) => list.items.iter().filter_map(inner).filter_map(names::string).map(str::to_owned).collect(),
        NodeEnum::String(string) => vec![string.sval.clone()],
        _ => Vec::new(),
    };
    match parts.as_slice() {
        [.., schema, name] => (schema.clone(), name.clone()),
        [name] => (String::new(), name.clone()),
        [] => (String::new(), String::new()),
    }
}
