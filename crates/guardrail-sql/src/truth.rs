//! Does a WHERE clause select every row?
//!
//! A condition that does not depend on the row selects every row or none,
//! whatever it says: `1 = 1`, `'yes'`, `now() > '2020-01-01'`,
//! `EXISTS (SELECT 1 FROM other)`. So the question is not "is it true" but
//! "does it depend on the row, and if not, is it certainly false".
//! Conditions are folded in SQL's three-valued logic over a small lattice;
//! what cannot be folded but does not depend on the row counts as selecting
//! every row. Folding therefore only has to be exact where it concludes
//! "never true"; everywhere else, not knowing errs towards "every row".
//!
//! Depending on the row means mentioning a column of it. Inside a
//! subquery, a column qualified with another table's name belongs to that
//! table; an unqualified one may be correlated, so it counts.

use pg_query::NodeEnum;
use pg_query::protobuf::{AExpr, AExprKind, BoolExpr, BoolExprType, BoolTestType, ColumnRef, NullTestType, a_const};

use crate::children::for_each_child;
use crate::names::{self, inner, parse_bool};

/// What a condition is, over all the rows of the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    Null,
    /// The same for every row, but not known here.
    Constant,
    /// Depends on the row.
    Varies,
}

/// How many rows a DELETE, UPDATE or MERGE condition reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Every row of the target, for the reason given.
    Every(&'static str),
    /// The rows the condition selects.
    Some,
    /// No row at all, for the reason given.
    None(&'static str),
}

/// The names by which the target's columns can be qualified: its name and
/// alias, and those of tables joined to it.
#[derive(Default)]
pub(crate) struct Targets<'a> {
    pub(crate) names: Vec<&'a str>,
}

impl<'a> Targets<'a> {
    /// The names of the written table, if the statement names one.
    pub(crate) fn of(table: Option<&'a pg_query::protobuf::RangeVar>) -> Targets<'a> {
        let mut targets = Targets::default();
        if let Some(table) = table {
            targets.add(table);
        }
        targets
    }

    /// Adds a table's name and alias.
    pub(crate) fn add(&mut self, table: &'a pg_query::protobuf::RangeVar) {
        self.names.push(&table.relname);
        if let Some(alias) = &table.alias {
            self.names.push(&alias.aliasname);
        }
    }
}

/// How far a WHERE clause (or MERGE join condition) reaches.
pub(crate) fn reach(condition: Option<&NodeEnum>, targets: &Targets<'_>) -> Reach {
    let Some(condition) = condition else {
        return Reach::Every("there is no WHERE clause");
    };
    match truth(condition, targets) {
        Truth::True => Reach::Every("the WHERE clause is true for every row"),
        Truth::Constant => Reach::Every("the WHERE clause does not depend on the row, so it selects every row or none"),
        Truth::False | Truth::Null => Reach::None("the WHERE clause is never true"),
        Truth::Varies => Reach::Some,
    }
}

/// A condition's truth in boolean context.
pub(crate) fn truth(node: &NodeEnum, targets: &Targets<'_>) -> Truth {
    match node {
        NodeEnum::BoolExpr(expression) => boolean(expression, targets),
        NodeEnum::AExpr(expression) => comparison(expression, targets),
        NodeEnum::NullTest(test) => {
            let value = test.arg.as_deref().and_then(inner).map_or(Value::Constant, |arg| value(arg, targets));
            let is_null = match value {
                Value::Null => Truth::True,
                Value::Int(_) | Value::Text(_) | Value::Bool(_) => Truth::False,
                Value::Constant => return Truth::Constant,
                Value::Varies => return Truth::Varies,
            };
            match NullTestType::try_from(test.nulltesttype) {
                Ok(NullTestType::IsNotNull) => not(is_null),
                _ => is_null,
            }
        }
        NodeEnum::BooleanTest(test) => {
            let operand = test.arg.as_deref().and_then(inner).map_or(Truth::Constant, |arg| truth(arg, targets));
            let (is, when) = match BoolTestType::try_from(test.booltesttype) {
                Ok(BoolTestType::IsTrue) => (true, Truth::True),
                Ok(BoolTestType::IsNotTrue) => (false, Truth::True),
                Ok(BoolTestType::IsFalse) => (true, Truth::False),
                Ok(BoolTestType::IsNotFalse) => (false, Truth::False),
                Ok(BoolTestType::IsUnknown) => (true, Truth::Null),
                Ok(BoolTestType::IsNotUnknown) => (false, Truth::Null),
                _ => return operand,
            };
            match operand {
                Truth::Constant | Truth::Varies => operand,
                known => {
                    if (known == when) == is {
                        Truth::True
                    } else {
                        Truth::False
                    }
                }
            }
        }
        _ => match value(node, targets) {
            Value::Bool(true) => Truth::True,
            Value::Bool(false) => Truth::False,
            Value::Null => Truth::Null,
            // A bare string literal in boolean context is read as a boolean.
            Value::Text(text) => match parse_bool(text) {
                Some(true) => Truth::True,
                Some(false) => Truth::False,
                None => Truth::Constant,
            },
            Value::Int(_) | Value::Constant => Truth::Constant,
            Value::Varies => Truth::Varies,
        },
    }
}

fn not(truth: Truth) -> Truth {
    match truth {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        other => other,
    }
}

fn boolean(expression: &BoolExpr, targets: &Targets<'_>) -> Truth {
    let arguments: Vec<&NodeEnum> = expression.args.iter().filter_map(inner).collect();
    let truths: Vec<Truth> = arguments.iter().map(|argument| truth(argument, targets)).collect();
    let any = |wanted: Truth| truths.contains(&wanted);
    match BoolExprType::try_from(expression.boolop) {
        Ok(BoolExprType::AndExpr) => {
            if any(Truth::False) {
                Truth::False
            } else if any(Truth::Varies) {
                Truth::Varies
            } else if any(Truth::Constant) {
                Truth::Constant
            } else if any(Truth::Null) {
                Truth::Null
            } else {
                Truth::True
            }
        }
        Ok(BoolExprType::OrExpr) => {
            if any(Truth::True) || has_complementary_pair(&arguments) {
                Truth::True
            } else if any(Truth::Constant) {
                // The row-independent branch may be true, selecting every row.
                Truth::Constant
            } else if any(Truth::Varies) {
                Truth::Varies
            } else if any(Truth::Null) {
                Truth::Null
            } else {
                Truth::False
            }
        }
        Ok(BoolExprType::NotExpr) => truths.first().copied().map_or(Truth::Constant, not),
        _ => Truth::Constant,
    }
}

/// `p OR NOT p`, `x IS NULL OR x IS NOT NULL`: true for every row.
fn has_complementary_pair(arguments: &[&NodeEnum]) -> bool {
    arguments.iter().any(|a| {
        arguments.iter().any(|b| {
            negated(b).is_some_and(|negated| same_expression(a, negated))
                || matches!((null_test(a), null_test(b)), (Some((true, x)), Some((false, y))) if same_expression(x, y))
        })
    })
}

/// `p` for `NOT p`.
fn negated(node: &NodeEnum) -> Option<&NodeEnum> {
    match node {
        NodeEnum::BoolExpr(expression) if BoolExprType::try_from(expression.boolop) == Ok(BoolExprType::NotExpr) => {
            expression.args.first().and_then(inner)
        }
        _ => None,
    }
}

/// `(is_null, x)` for `x IS [NOT] NULL`.
fn null_test(node: &NodeEnum) -> Option<(bool, &NodeEnum)> {
    match node {
        NodeEnum::NullTest(test) => {
            let is_null = NullTestType::try_from(test.nulltesttype) == Ok(NullTestType::IsNull);
            test.arg.as_deref().and_then(inner).map(|arg| (is_null, arg))
        }
        _ => None,
    }
}

/// A value an expression takes, as far as folding can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value<'a> {
    Int(i64),
    Text(&'a str),
    Bool(bool),
    Null,
    Constant,
    Varies,
}

fn value<'a>(node: &'a NodeEnum, targets: &Targets<'_>) -> Value<'a> {
    match node {
        NodeEnum::AConst(constant) => {
            if constant.isnull {
                return Value::Null;
            }
            match &constant.val {
                Some(a_const::Val::Ival(integer)) => Value::Int(i64::from(integer.ival)),
                Some(a_const::Val::Sval(string)) => Value::Text(&string.sval),
                Some(a_const::Val::Boolval(boolean)) => Value::Bool(boolean.boolval),
                // Non-integer numbers and bit strings are not folded.
                _ => Value::Constant,
            }
        }
        NodeEnum::TypeCast(cast) => {
            let Some(argument) = cast.arg.as_deref().and_then(inner) else {
                return Value::Constant;
            };
            let target = cast.type_name.as_ref().map(|type_name| names::dotted(&type_name.names)).unwrap_or_default();
            let target = target.strip_prefix("pg_catalog.").unwrap_or(&target);
            match (value(argument, targets), target) {
                (Value::Null, _) => Value::Null,
                (Value::Varies, _) => Value::Varies,
                (Value::Text(text), "bool") => parse_bool(text).map_or(Value::Constant, Value::Bool),
                (Value::Int(integer), "bool") => Value::Bool(integer != 0),
                (bool @ Value::Bool(_), "bool") => bool,
                (Value::Text(text), "int2" | "int4" | "int8") => {
                    text.trim().parse::<i64>().map_or(Value::Constant, Value::Int)
                }
                (Value::Bool(boolean), "int4") => Value::Int(i64::from(boolean)),
                (integer @ Value::Int(_), "int2" | "int4" | "int8") => integer,
                (text @ Value::Text(_), "text" | "varchar" | "bpchar") => text,
                _ => Value::Constant,
            }
        }
        NodeEnum::AExpr(expression) if AExprKind::try_from(expression.kind) == Ok(AExprKind::AexprOp) => {
            let operator = operator(expression);
            let left = expression.lexpr.as_deref().and_then(inner);
            let right = expression.rexpr.as_deref().and_then(inner);
            match (left, right, operator) {
                (None, Some(right), "-") => match value(right, targets) {
                    Value::Int(integer) => integer.checked_neg().map_or(Value::Constant, Value::Int),
                    other => other,
                },
                (None, Some(right), "+") => value(right, targets),
                (Some(left), Some(right), "+" | "-" | "*" | "/" | "%") => {
                    match (value(left, targets), value(right, targets)) {
                        (Value::Varies, _) | (_, Value::Varies) => Value::Varies,
                        (Value::Null, _) | (_, Value::Null) => Value::Null,
                        (Value::Int(a), Value::Int(b)) => {
                            // PostgreSQL raises an error on overflow and
                            // division by zero; the statement does nothing,
                            // but erring towards "unknown" is safe.
                            let folded = match operator {
                                "+" => a.checked_add(b),
                                "-" => a.checked_sub(b),
                                "*" => a.checked_mul(b),
                                "/" => a.checked_div(b),
                                _ => a.checked_rem(b),
                            };
                            folded.map_or(Value::Constant, Value::Int)
                        }
                        _ => Value::Constant,
                    }
                }
                _ => from_truth(comparison(expression, targets)),
            }
        }
        NodeEnum::AExpr(_) | NodeEnum::BoolExpr(_) | NodeEnum::NullTest(_) | NodeEnum::BooleanTest(_) => {
            from_truth(truth(node, targets))
        }
        NodeEnum::ColumnRef(_) | NodeEnum::CurrentOfExpr(_) => Value::Varies,
        NodeEnum::ParamRef(_) => Value::Constant,
        _ => {
            if mentions_row(node, targets, false) {
                Value::Varies
            } else {
                Value::Constant
            }
        }
    }
}

fn from_truth(truth: Truth) -> Value<'static> {
    match truth {
        Truth::True => Value::Bool(true),
        Truth::False => Value::Bool(false),
        Truth::Null => Value::Null,
        Truth::Constant => Value::Constant,
        Truth::Varies => Value::Varies,
    }
}

fn operator(expression: &AExpr) -> &str {
    expression.name.last().and_then(inner).and_then(names::string).unwrap_or("")
}

fn comparison(expression: &AExpr, targets: &Targets<'_>) -> Truth {
    let left = expression.lexpr.as_deref().and_then(inner);
    let right = expression.rexpr.as_deref().and_then(inner);
    let operator = operator(expression);
    let kind = AExprKind::try_from(expression.kind).unwrap_or(AExprKind::Undefined);
    let (Some(left), Some(right)) = (left, right) else {
        return row_dependence(expression.lexpr.as_deref().and_then(inner).or(right), targets);
    };
    match kind {
        AExprKind::AexprOp => {
            if !matches!(operator, "=" | "<>" | "!=" | "<" | ">" | "<=" | ">=") {
                return row_dependence_of_both(left, right, targets);
            }
            let (a, b) = (value(left, targets), value(right, targets));
            if a == Value::Varies || b == Value::Varies {
                if same_expression(left, right) {
                    // `x = x` holds for every row where x has a value.
                    return if matches!(operator, "=" | "<=" | ">=") { Truth::True } else { Truth::False };
                }
                return Truth::Varies;
            }
            compare(operator, a, b)
        }
        AExprKind::AexprDistinct | AExprKind::AexprNotDistinct => {
            let distinct = kind == AExprKind::AexprDistinct;
            let (a, b) = (value(left, targets), value(right, targets));
            if a == Value::Varies || b == Value::Varies {
                if same_expression(left, right) {
                    return if distinct { Truth::False } else { Truth::True };
                }
                return Truth::Varies;
            }
            let equal = match (a, b) {
                (Value::Null, Value::Null) => Truth::True,
                (Value::Null, _) | (_, Value::Null) => Truth::False,
                _ => compare("=", a, b),
            };
            if distinct { not(equal) } else { equal }
        }
        AExprKind::AexprIn => {
            let a = value(left, targets);
            let NodeEnum::List(list) = right else {
                return row_dependence_of_both(left, right, targets);
            };
            let items: Vec<Value> = list.items.iter().filter_map(inner).map(|item| value(item, targets)).collect();
            if a == Value::Varies || items.contains(&Value::Varies) {
                return Truth::Varies;
            }
            let found = items.iter().map(|&item| compare("=", a, item));
            let membership = if found.clone().any(|t| t == Truth::True) {
                Truth::True
            } else if found.clone().all(|t| t == Truth::False) {
                Truth::False
            } else {
                Truth::Constant
            };
            if operator == "<>" { not(membership) } else { membership }
        }
        AExprKind::AexprBetween
        | AExprKind::AexprNotBetween
        | AExprKind::AexprBetweenSym
        | AExprKind::AexprNotBetweenSym => {
            let NodeEnum::List(list) = right else {
                return row_dependence_of_both(left, right, targets);
            };
            let bounds: Vec<Value> = list.items.iter().filter_map(inner).map(|item| value(item, targets)).collect();
            let a = value(left, targets);
            if a == Value::Varies || bounds.contains(&Value::Varies) {
                return Truth::Varies;
            }
            let (Value::Int(x), [Value::Int(low), Value::Int(high)]) = (a, bounds.as_slice()) else {
                return Truth::Constant;
            };
            let (low, high) = match kind {
                AExprKind::AexprBetweenSym | AExprKind::AexprNotBetweenSym => ((*low).min(*high), (*low).max(*high)),
                _ => (*low, *high),
            };
            let inside = if low <= x && x <= high { Truth::True } else { Truth::False };
            match kind {
                AExprKind::AexprNotBetween | AExprKind::AexprNotBetweenSym => not(inside),
                _ => inside,
            }
        }
        _ => row_dependence_of_both(left, right, targets),
    }
}

fn row_dependence(node: Option<&NodeEnum>, targets: &Targets<'_>) -> Truth {
    match node {
        Some(node) if mentions_row(node, targets, false) => Truth::Varies,
        _ => Truth::Constant,
    }
}

fn row_dependence_of_both(left: &NodeEnum, right: &NodeEnum, targets: &Targets<'_>) -> Truth {
    if mentions_row(left, targets, false) || mentions_row(right, targets, false) {
        Truth::Varies
    } else {
        Truth::Constant
    }
}

/// Compares two known values; `Constant` when folding cannot be sure.
fn compare(operator: &str, a: Value<'_>, b: Value<'_>) -> Truth {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (a, b) {
        (Value::Null, _) | (_, Value::Null) => return Truth::Null,
        (Value::Constant, _) | (_, Value::Constant) | (Value::Varies, _) | (_, Value::Varies) => None,
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(&y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        // An untyped literal takes the other side's type; if it does not
        // read as one, PostgreSQL raises an error.
        (Value::Int(x), Value::Text(text)) => text.trim().parse::<i64>().ok().map(|y| x.cmp(&y)),
        (Value::Text(text), Value::Int(y)) => text.trim().parse::<i64>().ok().map(|x| x.cmp(&y)),
        (Value::Bool(x), Value::Text(text)) => parse_bool(text).map(|y| x.cmp(&y)),
        (Value::Text(text), Value::Bool(y)) => parse_bool(text).map(|x| x.cmp(&y)),
        // Text order depends on collation; only equality is certain.
        (Value::Text(x), Value::Text(y)) => match operator {
            "=" | "<>" | "!=" => Some(if x == y { Ordering::Equal } else { Ordering::Less }),
            _ => None,
        },
        _ => None,
    };
    let Some(ordering) = ordering else {
        return Truth::Constant;
    };
    let holds = match operator {
        "=" => ordering == Ordering::Equal,
        "<>" | "!=" => ordering != Ordering::Equal,
        "<" => ordering == Ordering::Less,
        ">" => ordering == Ordering::Greater,
        "<=" => ordering != Ordering::Greater,
        ">=" => ordering != Ordering::Less,
        _ => return Truth::Constant,
    };
    if holds { Truth::True } else { Truth::False }
}

/// Whether an expression mentions a column of the target's rows.
pub(crate) fn mentions_row(node: &NodeEnum, targets: &Targets<'_>, in_subquery: bool) -> bool {
    match node {
        NodeEnum::ColumnRef(column) => !in_subquery || may_be_correlated(column, targets),
        NodeEnum::CurrentOfExpr(_) => true,
        NodeEnum::SelectStmt(_) => {
            let mut found = false;
            for_each_child(node, &mut |_, child| found = found || mentions_row(child, targets, true));
            found
        }
        _ => {
            let mut found = false;
            for_each_child(node, &mut |_, child| found = found || mentions_row(child, targets, in_subquery));
            found
        }
    }
}

/// A column inside a subquery refers to the outer row when it is
/// unqualified (it may be) or qualified with the target's name or alias.
fn may_be_correlated(column: &ColumnRef, targets: &Targets<'_>) -> bool {
    let parts: Vec<&str> = column.fields.iter().filter_map(inner).filter_map(names::string).collect();
    match parts.as_slice() {
        [_] | [] => true,
        [.., qualifier, _] => targets.names.iter().any(|name| name.eq_ignore_ascii_case(qualifier)),
    }
}

/// Whether two expressions are the same, ignoring where they were written.
/// Calls to volatile functions are never the same: `random() = random()`.
pub(crate) fn same_expression(a: &NodeEnum, b: &NodeEnum) -> bool {
    let both = |x: Option<&pg_query::protobuf::Node>, y: Option<&pg_query::protobuf::Node>| match (
        x.and_then(inner),
        y.and_then(inner),
    ) {
        (Some(x), Some(y)) => same_expression(x, y),
        (None, None) => true,
        _ => false,
    };
    let lists = |x: &[pg_query::protobuf::Node], y: &[pg_query::protobuf::Node]| {
        x.len() == y.len() && x.iter().zip(y).all(|(x, y)| both(Some(x), Some(y)))
    };
    match (a, b) {
        (NodeEnum::ColumnRef(x), NodeEnum::ColumnRef(y)) => lists(&x.fields, &y.fields),
        (NodeEnum::String(x), NodeEnum::String(y)) => x.sval == y.sval,
        (NodeEnum::AStar(_), NodeEnum::AStar(_)) => true,
        (NodeEnum::AConst(x), NodeEnum::AConst(y)) => x.isnull == y.isnull && x.val == y.val,
        (NodeEnum::ParamRef(x), NodeEnum::ParamRef(y)) => x.number == y.number,
        (NodeEnum::TypeCast(x), NodeEnum::TypeCast(y)) => {
            x.type_name.as_ref().map(|t| &t.names) == y.type_name.as_ref().map(|t| &t.names)
                && both(x.arg.as_deref(), y.arg.as_deref())
        }
        (NodeEnum::AExpr(x), NodeEnum::AExpr(y)) => {
            x.kind == y.kind
                && lists(&x.name, &y.name)
                && both(x.lexpr.as_deref(), y.lexpr.as_deref())
                && both(x.rexpr.as_deref(), y.rexpr.as_deref())
        }
        (NodeEnum::FuncCall(x), NodeEnum::FuncCall(y)) => {
            !VOLATILE.contains(&names::function_name(x))
                && lists(&x.funcname, &y.funcname)
                && lists(&x.args, &y.args)
                && x.agg_star == y.agg_star
        }
        (NodeEnum::List(x), NodeEnum::List(y)) => lists(&x.items, &y.items),
        _ => false,
    }
}

/// Built-in functions whose result changes from call to call.
const VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "txid_current",
];
