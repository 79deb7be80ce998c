//! Reading names and literal values out of parse-tree nodes.

use pg_query::NodeEnum;
use pg_query::protobuf::{ColumnRef, DefElem, FuncCall, Node, ObjectType, RangeVar, RoleSpec, RoleSpecType};

/// `schema.table` as written (catalog and schema only when given).
pub(crate) fn relation(range: &RangeVar) -> String {
    [range.catalogname.as_str(), range.schemaname.as_str(), range.relname.as_str()]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether a relation is temporary: `CREATE TEMP ...` or in `pg_temp`.
pub(crate) fn is_temporary(range: &RangeVar) -> bool {
    range.relpersistence == "t" || range.schemaname.eq_ignore_ascii_case("pg_temp")
}

/// The node inside a `Node` wrapper.
pub(crate) fn inner(node: &Node) -> Option<&NodeEnum> {
    node.node.as_ref()
}

/// The text of a string node or string constant.
pub(crate) fn string(node: &NodeEnum) -> Option<&str> {
    match node {
        NodeEnum::String(string) => Some(&string.sval),
        NodeEnum::AConst(constant) => match &constant.val {
            Some(pg_query::protobuf::a_const::Val::Sval(string)) => Some(&string.sval),
            _ => None,
        },
        NodeEnum::TypeCast(cast) => cast.arg.as_deref().and_then(inner).and_then(string),
        _ => None,
    }
}

/// The column a reference names, without its table: `name` of `s.t.name`.
pub(crate) fn column(reference: &ColumnRef) -> Option<&str> {
    reference.fields.iter().filter_map(inner).filter_map(string).next_back()
}

/// A readable name for the object a node names: `schema.table`,
/// `func(int)`, a role, a type.
pub(crate) fn object(node: &NodeEnum) -> String {
    match node {
        NodeEnum::String(string) => string.sval.clone(),
        NodeEnum::List(list) => dotted(&list.items),
        NodeEnum::RangeVar(range) => relation(range),
        NodeEnum::TypeName(type_name) => dotted(&type_name.names),
        NodeEnum::ObjectWithArgs(function) => dotted(&function.objname),
        NodeEnum::RoleSpec(role) => role_name(role),
        NodeEnum::AccessPriv(privilege) => privilege.priv_name.clone(),
        NodeEnum::Integer(integer) => {
            crate::shape::numeric_read();
            integer.ival.to_string()
        }
        _ => String::new(),
    }
}

/// Names joined with dots, from a list of string nodes.
pub(crate) fn dotted(items: &[Node]) -> String {
    items.iter().filter_map(inner).map(object).collect::<Vec<_>>().join(".")
}

/// Each item's name, from a list of name nodes.
pub(crate) fn dotted_each(items: &[Node]) -> Vec<String> {
    items.iter().filter_map(inner).map(object).collect()
}

pub(crate) fn role_name(role: &RoleSpec) -> String {
    match RoleSpecType::try_from(role.roletype) {
        Ok(RoleSpecType::RolespecCstring) => role.rolename.clone(),
        Ok(RoleSpecType::RolespecCurrentRole) => "CURRENT_ROLE".to_owned(),
        Ok(RoleSpecType::RolespecCurrentUser) => "CURRENT_USER".to_owned(),
        Ok(RoleSpecType::RolespecSessionUser) => "SESSION_USER".to_owned(),
        Ok(RoleSpecType::RolespecPublic) => "PUBLIC".to_owned(),
        _ => role.rolename.clone(),
    }
}

/// The function's own name, lowercased as PostgreSQL folds unquoted names,
/// ignoring any schema: a call to `myschema.pg_read_file` is judged like
/// the built-in, since a wrapper may call it and extensions (dblink) live
/// in any schema.
pub(crate) fn function_name(call: &FuncCall) -> &str {
    call.funcname.last().and_then(inner).and_then(string).unwrap_or("")
}

/// A `DefElem`'s value as a boolean the way PostgreSQL reads options:
/// no value means true.
pub(crate) fn option_bool(option: &DefElem) -> Option<bool> {
    match option.arg.as_deref().and_then(inner) {
        None => Some(true),
        Some(NodeEnum::Boolean(boolean)) => Some(boolean.boolval),
        Some(NodeEnum::Integer(integer)) => {
            crate::shape::numeric_read();
            Some(integer.ival != 0)
        }
        Some(node) => string(node).and_then(parse_bool),
    }
}

/// The `DefElem`s of an option list.
pub(crate) fn options(list: &[Node]) -> impl Iterator<Item = &DefElem> {
    list.iter().filter_map(|node| match inner(node) {
        Some(NodeEnum::DefElem(option)) => Some(option.as_ref()),
        _ => None,
    })
}

/// PostgreSQL's boolean input (`parse_bool_with_len` in
/// src/backend/utils/adt/bool.c): any unique prefix of true/false/yes/no,
/// on/off (at least two letters), 1/0, case-insensitive, trimmed.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let value = text.trim().to_ascii_lowercase();
    let prefix_of = |word: &str| !value.is_empty() && word.starts_with(value.as_str());
    match value.as_bytes().first()? {
        b't' if prefix_of("true") => Some(true),
        b'f' if prefix_of("false") => Some(false),
        b'y' if prefix_of("yes") => Some(true),
        b'n' if prefix_of("no") => Some(false),
        b'o' if value.len() >= 2 && prefix_of("on") => Some(true),
        b'o' if value.len() >= 2 && prefix_of("off") => Some(false),
        b'1' if value == "1" => Some(true),
        b'0' if value == "0" => Some(false),
        _ => None,
    }
}

/// The kind of object, as policies see it in `resource.kind`.
pub(crate) fn object_kind(object_type: i32) -> &'static str {
    match ObjectType::try_from(object_type).unwrap_or(ObjectType::Undefined) {
        ObjectType::ObjectAccessMethod => "access_method",
        ObjectType::ObjectAggregate => "aggregate",
        ObjectType::ObjectAmop | ObjectType::ObjectAmproc => "access_method_member",
        ObjectType::ObjectAttribute => "attribute",
        ObjectType::ObjectCast => "cast",
        ObjectType::ObjectColumn => "column",
        ObjectType::ObjectCollation => "collation",
        ObjectType::ObjectConversion => "conversion",
        ObjectType::ObjectDatabase => "database",
        ObjectType::ObjectDefault => "default",
        ObjectType::ObjectDefacl => "default_privileges",
        ObjectType::ObjectDomain => "domain",
        ObjectType::ObjectDomconstraint => "domain_constraint",
        ObjectType::ObjectEventTrigger => "event_trigger",
        ObjectType::ObjectExtension => "extension",
        ObjectType::ObjectFdw => "foreign_data_wrapper",
        ObjectType::ObjectForeignServer => "foreign_server",
        ObjectType::ObjectForeignTable => "foreign_table",
        ObjectType::ObjectFunction => "function",
        ObjectType::ObjectIndex => "index",
        ObjectType::ObjectLanguage => "language",
        ObjectType::ObjectLargeobject => "large_object",
        ObjectType::ObjectMatview => "materialized_view",
        ObjectType::ObjectOpclass => "operator_class",
        ObjectType::ObjectOperator => "operator",
        ObjectType::ObjectOpfamily => "operator_family",
        ObjectType::ObjectParameterAcl => "parameter",
        ObjectType::ObjectPolicy => "policy",
        ObjectType::ObjectProcedure => "procedure",
        ObjectType::ObjectPublication | ObjectType::ObjectPublicationNamespace | ObjectType::ObjectPublicationRel => {
            "publication"
        }
        ObjectType::ObjectRole => "role",
        ObjectType::ObjectRoutine => "routine",
        ObjectType::ObjectRule => "rule",
        ObjectType::ObjectSchema => "schema",
        ObjectType::ObjectSequence => "sequence",
        ObjectType::ObjectSubscription => "subscription",
        ObjectType::ObjectStatisticExt => "statistics",
        ObjectType::ObjectTabconstraint => "constraint",
        ObjectType::ObjectTable => "table",
        ObjectType::ObjectTablespace => "tablespace",
        ObjectType::ObjectTransform => "transform",
        ObjectType::ObjectTrigger => "trigger",
        ObjectType::ObjectTsconfiguration => "text_search_configuration",
        ObjectType::ObjectTsdictionary => "text_search_dictionary",
        ObjectType::ObjectTsparser => "text_search_parser",
        ObjectType::ObjectTstemplate => "text_search_template",
        ObjectType::ObjectType => "type",
        ObjectType::ObjectUserMapping => "user_mapping",
        ObjectType::ObjectView => "view",
        ObjectType::Undefined => "object",
    }
}

/// The operator of an operator expression (`=`, `<`).
pub(crate) fn string_operator(expression: &pg_query::protobuf::AExpr) -> Option<&str> {
    expression.name.last().and_then(inner).and_then(string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_parse_as_postgresql_reads_them() {
        let cases: &[(&str, Option<bool>)] = &[
            ("t", Some(true)),
            ("TRUE", Some(true)),
            ("tru", Some(true)),
            (" yes ", Some(true)),
            ("y", Some(true)),
            ("on", Some(true)),
            ("1", Some(true)),
            ("f", Some(false)),
            ("no", Some(false)),
            ("off", Some(false)),
            ("of", Some(false)),
            ("0", Some(false)),
            ("o", None),
            ("truth", None),
            ("11", None),
            ("", None),
            ("maybe", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_bool(text), *expected, "boolean input {text:?}");
        }
    }
}
