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
use pg_query::protobuf::{
    AExpr, AExprKind, BoolExpr, BoolExprType, BoolTestType, ColumnRef, NullTestType, RangeVar, SelectStmt,
    SetOperation, SubLink, SubLinkType, WithClause, a_const,
};

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
/// alias, and those of tables joined to it; and what is known of the
/// written table, to see it read again in the same statement.
#[derive(Clone, Default)]
pub(crate) struct Targets<'a> {
    pub(crate) names: Vec<&'a str>,
    /// The written table, as written.
    table: Option<&'a RangeVar>,
    /// The names the written table itself goes by in the statement.
    own: Vec<&'a str>,
    /// Names of other copies of the written table in the statement: a
    /// self-join (`FROM payments p2`), a MERGE source selecting all of it.
    copies: Vec<&'a str>,
    /// The statement's common table expressions.
    ctes: Vec<(&'a str, &'a SelectStmt)>,
}

impl<'a> Targets<'a> {
    /// The names of the written table, if the statement names one.
    pub(crate) fn of(table: Option<&'a RangeVar>) -> Targets<'a> {
        let mut targets = Targets { table, ..Targets::default() };
        if let Some(table) = table {
            targets.add(table);
            targets.own = targets.names.clone();
        }
        targets
    }

    /// Adds a table's name and alias.
    pub(crate) fn add(&mut self, table: &'a RangeVar) {
        self.names.push(&table.relname);
        if let Some(alias) = &table.alias {
            self.names.push(&alias.aliasname);
        }
    }

    /// The statement's WITH clause, so that a subquery reading a CTE is
    /// read as what the CTE selects.
    pub(crate) fn with(mut self, with: Option<&'a WithClause>) -> Targets<'a> {
        for cte in with.iter().flat_map(|with| with.ctes.iter()).filter_map(inner) {
            if let NodeEnum::CommonTableExpr(cte) = cte
                && let Some(NodeEnum::SelectStmt(select)) = cte.ctequery.as_deref().and_then(inner)
            {
                self.ctes.push((&cte.ctename, select));
            }
        }
        self
    }

    /// A table joined to the written one (`UPDATE ... FROM`, `DELETE ...
    /// USING`, MERGE's source): its columns vary per row, and when it is
    /// the written table again, or all of it, it is a copy.
    pub(crate) fn join(&mut self, item: &'a NodeEnum) {
        match item {
            NodeEnum::RangeVar(joined) => {
                self.add(joined);
                if self.is_written(joined) {
                    self.copies.push(joined.alias.as_ref().map_or(joined.relname.as_str(), |alias| &alias.aliasname));
                }
            }
            NodeEnum::RangeSubselect(subquery) => {
                if let Some(alias) = &subquery.alias {
                    self.names.push(&alias.aliasname);
                    if let Some(NodeEnum::SelectStmt(select)) = subquery.subquery.as_deref().and_then(inner)
                        && self.whole_copy(select)
                    {
                        self.copies.push(&alias.aliasname);
                    }
                }
            }
            NodeEnum::JoinExpr(join) => {
                for side in [join.larg.as_deref(), join.rarg.as_deref()].into_iter().flatten().filter_map(inner) {
                    self.join(side);
                }
            }
            _ => {}
        }
    }

    /// Whether a table named in the statement is the written table (a
    /// missing schema matches any), or a CTE that selects all of it.
    fn is_written(&self, range: &RangeVar) -> bool {
        let Some(table) = self.table else { return false };
        let same = range.relname == table.relname
            && (range.schemaname.is_empty() || table.schemaname.is_empty() || range.schemaname == table.schemaname);
        same || range.schemaname.is_empty()
            && self.ctes.iter().any(|(name, select)| *name == range.relname && self.whole_copy(select))
    }

    /// Whether a query reads every row of the written table: from it alone,
    /// with no condition that narrows it, no limit, no set operation.
    pub(crate) fn whole_copy(&self, select: &SelectStmt) -> bool {
        // The subquery's own CTEs (`IN (WITH w AS (SELECT ...) SELECT ... FROM w)`).
        if select.with_clause.is_some() {
            let inner_targets = self.clone().with(select.with_clause.as_ref());
            let without = SelectStmt { with_clause: None, ..select.clone() };
            return inner_targets.whole_copy(&without);
        }
        let plain = matches!(SetOperation::try_from(select.op), Ok(SetOperation::SetopNone) | Err(_))
            && select.limit_count.is_none()
            && select.limit_offset.is_none()
            && select.having_clause.is_none();
        let from: Vec<&NodeEnum> = select.from_clause.iter().filter_map(inner).collect();
        let reads_written = match from.as_slice() {
            [NodeEnum::RangeVar(range)] => self.is_written(range),
            // A LEFT JOIN keeps every row of its left side.
            [NodeEnum::JoinExpr(join)] => {
                pg_query::protobuf::JoinType::try_from(join.jointype) == Ok(pg_query::protobuf::JoinType::JoinLeft)
                    && matches!(join.larg.as_deref().and_then(inner), Some(NodeEnum::RangeVar(range)) if self.is_written(range))
            }
            _ => false,
        };
        let unfiltered = match select.where_clause.as_deref().and_then(inner) {
            None => true,
            Some(condition) => truth(condition, &Targets::default()) == Truth::True,
        };
        plain && reads_written && unfiltered
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
        NodeEnum::SubLink(sublink) => match sublink_truth(sublink, targets) {
            Some(truth) => truth,
            None => row_dependence(Some(node), targets),
        },
        NodeEnum::BoolExpr(expression) => boolean(expression, targets),
        NodeEnum::AExpr(expression) => comparison(expression, targets),
        NodeEnum::NullTest(test) => {
            // `id IS NOT NULL`: a primary key is never null, and `id` is
            // what tables call theirs. Every row.
            if let Some(NodeEnum::ColumnRef(column)) = test.arg.as_deref().and_then(inner)
                && is_own_key(column, targets)
            {
                let is_null = NullTestType::try_from(test.nulltesttype) != Ok(NullTestType::IsNotNull);
                return if is_null { Truth::False } else { Truth::True };
            }
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

/// `p OR NOT p`, `x IS NULL OR x IS NOT NULL`, `b IS TRUE OR b IS NOT
/// TRUE`: true for every row. Each argument is keyed once, so long OR
/// lists take linear time.
fn has_complementary_pair(arguments: &[&NodeEnum]) -> bool {
    use std::collections::HashSet;
    // What each argument asserts, and what would complement it.
    let mut asserted: HashSet<String> = HashSet::new();
    let mut wanted: Vec<String> = Vec::new();
    for argument in arguments {
        if let Some(positive) = negated(argument) {
            wanted.push(format!("is {}", key(positive)));
        } else if let Some((is_null, operand)) = null_test(argument) {
            let operand = key(operand);
            asserted.insert(format!("{is_null} null {operand}"));
            wanted.push(format!("{} null {operand}", !is_null));
            continue;
        } else if let NodeEnum::BooleanTest(test) = argument
            && let Some(operand) = test.arg.as_deref().and_then(inner)
        {
            // IS TRUE / IS NOT TRUE, IS FALSE / IS NOT FALSE, IS UNKNOWN / IS NOT UNKNOWN.
            let kind = test.booltesttype;
            let complement = match BoolTestType::try_from(kind) {
                Ok(BoolTestType::IsTrue) => BoolTestType::IsNotTrue,
                Ok(BoolTestType::IsNotTrue) => BoolTestType::IsTrue,
                Ok(BoolTestType::IsFalse) => BoolTestType::IsNotFalse,
                Ok(BoolTestType::IsNotFalse) => BoolTestType::IsFalse,
                Ok(BoolTestType::IsUnknown) => BoolTestType::IsNotUnknown,
                Ok(BoolTestType::IsNotUnknown) => BoolTestType::IsUnknown,
                _ => continue,
            };
            let operand = key(operand);
            asserted.insert(format!("test {kind} {operand}"));
            wanted.push(format!("test {} {operand}", complement as i32));
            continue;
        }
        asserted.insert(format!("is {}", key(argument)));
    }
    wanted.iter().any(|want| asserted.contains(want))
}

/// A key for an expression that two equal expressions share: its parse
/// tree without the positions; volatile calls make every key unique.
pub(crate) fn key(node: &NodeEnum) -> String {
    let mut text = format!("{node:?}");
    if VOLATILE.iter().any(|function| text.contains(&format!("sval: \"{function}\""))) {
        text.push_str(&format!("{:p}", node));
    }
    strip_locations(&text)
}

/// Removes `location: N` fields from a parse tree's debug text.
fn strip_locations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("location: ") {
        out.push_str(&rest[..at]);
        rest = rest[at + "location: ".len()..].trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    }
    out.push_str(rest);
    out
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
                // Read (for the shape cache) only where the value is used:
                // compared, folded or cast, not merely carried.
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
                (Value::Int(integer), "bool") => {
                    crate::shape::numeric_read();
                    Value::Bool(integer != 0)
                }
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
                // An `i32` constant's negation never overflows: no value read.
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
                            crate::shape::numeric_read();
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
            // `x ~ ''` and `x ~ '.*'` match every value; `x ~~ '%'` is LIKE.
            let everything = match operator {
                "~" | "~*" => matches!(value(right, targets), Value::Text("" | ".*" | "^" | "^.*" | ".*$")),
                "~~" | "~~*" => {
                    matches!(value(right, targets), Value::Text(pattern) if !pattern.is_empty() && pattern.chars().all(|c| c == '%'))
                }
                _ => false,
            };
            if everything {
                return if mentions_row(left, targets, false) { Truth::True } else { Truth::Constant };
            }
            if !matches!(operator, "=" | "<>" | "!=" | "<" | ">" | "<=" | ">=") {
                return row_dependence_of_both(left, right, targets);
            }
            if let Some(truth) = self_join(operator, left, right, targets)
                .or_else(|| extreme(operator, left, right, targets))
                .or_else(|| same_column(operator, left, right, targets))
                .or_else(|| beyond_any_time(operator, left, right, targets))
            {
                return truth;
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
        // `x LIKE '%'` matches every value that is not null.
        AExprKind::AexprLike | AExprKind::AexprIlike | AExprKind::AexprSimilar
            if matches!(value(right, targets), Value::Text(pattern) if !pattern.is_empty() && pattern.chars().all(|c| c == '%'))
                && operator.starts_with('~')
                && !operator.starts_with("!~") =>
        {
            if mentions_row(left, targets, false) {
                Truth::True
            } else {
                Truth::Constant
            }
        }
        // `x = ANY (ARRAY(SELECT x FROM t))` on t itself.
        AExprKind::AexprOpAny if operator == "=" => match right {
            NodeEnum::SubLink(sublink)
                if SubLinkType::try_from(sublink.sub_link_type) == Ok(SubLinkType::ArraySublink) =>
            {
                let as_any = SubLink {
                    sub_link_type: SubLinkType::AnySublink as i32,
                    testexpr: Some(Box::new(pg_query::protobuf::Node { node: Some(left.clone()) })),
                    ..(**sublink).clone()
                };
                sublink_truth(&as_any, targets).unwrap_or_else(|| row_dependence_of_both(left, right, targets))
            }
            _ => row_dependence_of_both(left, right, targets),
        },
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
            crate::shape::numeric_read();
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
        (Value::Int(x), Value::Int(y)) => {
            crate::shape::numeric_read();
            Some(x.cmp(&y))
        }
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        // An untyped literal takes the other side's type; if it does not
        // read as one, PostgreSQL raises an error.
        (Value::Int(x), Value::Text(text)) => {
            crate::shape::numeric_read();
            text.trim().parse::<i64>().ok().map(|y| x.cmp(&y))
        }
        (Value::Text(text), Value::Int(y)) => {
            crate::shape::numeric_read();
            text.trim().parse::<i64>().ok().map(|x| x.cmp(&y))
        }
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
/// Whether a column is the written table's `id`, unqualified or qualified
/// with the table's own name or alias: its primary key by convention.
fn is_own_key(column: &ColumnRef, targets: &Targets<'_>) -> bool {
    let parts: Vec<&str> = column.fields.iter().filter_map(inner).filter_map(names::string).collect();
    match parts.as_slice() {
        ["id"] => targets.table.is_some() && targets.copies.is_empty(),
        [qualifier, "id"] => targets.own.iter().any(|own| own.eq_ignore_ascii_case(qualifier)),
        _ => false,
    }
}

/// `created_at < now() + interval '100 years'`, `ts > '1900-01-01'`: a
/// bound on a row's time that no stored time falls outside, so every row
/// passes. Bounds of fifty years or more from now, dates after 2100 or
/// before 1901, count; nearer ones (`expires_at < now()`) select.
fn beyond_any_time(operator: &str, left: &NodeEnum, right: &NodeEnum, targets: &Targets<'_>) -> Option<Truth> {
    let (column, bound, operator) = if mentions_row(left, targets, false) && !mentions_row(right, targets, false) {
        (left, right, operator)
    } else if mentions_row(right, targets, false) && !mentions_row(left, targets, false) {
        // `bound > column` is `column < bound`.
        let flipped = match operator {
            "<" => ">",
            ">" => "<",
            "<=" => ">=",
            ">=" => "<=",
            other => other,
        };
        (right, left, flipped)
    } else {
        return None;
    };
    if !matches!(column, NodeEnum::ColumnRef(_)) {
        return None;
    }
    let years = time_bound_years(bound)?;
    let everything = match operator {
        "<" | "<=" => years >= 50,
        ">" | ">=" => years <= -50,
        _ => false,
    };
    everything.then_some(Truth::True)
}

/// How many years from now a time expression lies, roughly: `now() ±
/// interval 'N years'`, `current_timestamp`, or a date literal after 2100
/// or before 1901 (far beyond either way).
fn time_bound_years(node: &NodeEnum) -> Option<i64> {
    const FAR: i64 = 1000;
    let is_now = |node: &NodeEnum| match node {
        NodeEnum::FuncCall(call) => {
            matches!(
                names::function_name(call),
                "now" | "clock_timestamp" | "statement_timestamp" | "transaction_timestamp"
            )
        }
        NodeEnum::SqlvalueFunction(_) => true,
        NodeEnum::TypeCast(cast) => {
            matches!(cast.arg.as_deref().and_then(inner).and_then(names::string), Some("now" | "today"))
        }
        _ => false,
    };
    match node {
        _ if is_now(node) => Some(0),
        NodeEnum::AExpr(expression) => {
            let operator = names::string_operator(expression)?;
            let left = expression.lexpr.as_deref().and_then(inner)?;
            let right = expression.rexpr.as_deref().and_then(inner)?;
            if !is_now(left) {
                return None;
            }
            let years = interval_years(right)?;
            match operator {
                "+" => Some(years),
                "-" => Some(-years),
                _ => None,
            }
        }
        // A date literal: only dates no stored time reaches are placed.
        _ => {
            let text = names::string(node)?;
            let year: i64 = text.get(..4)?.parse().ok()?;
            if text.as_bytes().get(4).is_some_and(|b| *b != b'-') {
                return None;
            }
            match year {
                2100.. => Some(FAR),
                ..=1900 => Some(-FAR),
                _ => None,
            }
        }
    }
}

/// The years of an `interval 'N years'` (or `'N year'`, `'N decades'`).
fn interval_years(node: &NodeEnum) -> Option<i64> {
    let text = names::string(node)?.trim().to_ascii_lowercase();
    let (number, unit) = text.split_once(char::is_whitespace)?;
    let number: i64 = number.parse().ok()?;
    let per = match unit.trim() {
        "year" | "years" | "y" => 1,
        "decade" | "decades" => 10,
        "century" | "centuries" => 100,
        "millennium" | "millennia" | "millenniums" => 1000,
        _ => return None,
    };
    Some(number * per)
}

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
        (NodeEnum::AConst(x), NodeEnum::AConst(y)) => {
            crate::shape::numeric_read();
            x.isnull == y.isnull && x.val == y.val
        }
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
        // `x + 0`, `x * 1`: the same value as `x`.
        (NodeEnum::AExpr(x), other) | (other, NodeEnum::AExpr(x))
            if identity(x).is_some_and(|operand| same_expression(operand, other)) =>
        {
            true
        }
        // Row constructors, COALESCE, CASE, and the rest: the same tree.
        (x, y) if std::mem::discriminant(x) == std::mem::discriminant(y) => key(x) == key(y),
        _ => false,
    }
}

/// The operand of an arithmetic identity: `x + 0`, `0 + x`, `x - 0`,
/// `x * 1`, `1 * x`, `x / 1`, `x || ''`.
fn identity(expression: &AExpr) -> Option<&NodeEnum> {
    if AExprKind::try_from(expression.kind) != Ok(AExprKind::AexprOp) {
        return None;
    }
    let left = expression.lexpr.as_deref().and_then(inner)?;
    let right = expression.rexpr.as_deref().and_then(inner)?;
    let neutral = |node: &NodeEnum, value: i32| match node {
        NodeEnum::AConst(constant) => match &constant.val {
            // Whether it is 0 or 1 is in the shape's key (`shape::neutral`).
            Some(a_const::Val::Ival(integer)) => integer.ival == value,
            _ => false,
        },
        _ => false,
    };
    let empty = |node: &NodeEnum| matches!(node, NodeEnum::AConst(constant) if matches!(&constant.val, Some(a_const::Val::Sval(string)) if string.sval.is_empty()));
    match operator(expression) {
        "+" if neutral(right, 0) => Some(left),
        "+" if neutral(left, 0) => Some(right),
        "-" if neutral(right, 0) => Some(left),
        "*" if neutral(right, 1) => Some(left),
        "*" if neutral(left, 1) => Some(right),
        "/" if neutral(right, 1) => Some(left),
        "||" if empty(right) => Some(left),
        _ => None,
    }
}

/// `"tenant_id" = tenant_settings.tenant_id`: the same column of the
/// written row, once unqualified and once qualified with its own name.
fn same_column(operator: &str, left: &NodeEnum, right: &NodeEnum, targets: &Targets<'_>) -> Option<Truth> {
    if !matches!(operator, "=" | "<=" | ">=") {
        return None;
    }
    let (NodeEnum::ColumnRef(a), NodeEnum::ColumnRef(b)) = (left, right) else { return None };
    let own = |column: &ColumnRef| -> Option<String> {
        let parts: Vec<&str> = column.fields.iter().filter_map(inner).filter_map(names::string).collect();
        match parts.as_slice() {
            [name] => Some((*name).to_owned()),
            [.., qualifier, name] if targets.own.iter().any(|own| own.eq_ignore_ascii_case(qualifier)) => {
                Some((*name).to_owned())
            }
            _ => None,
        }
    };
    match (own(a), own(b)) {
        (Some(x), Some(y)) if x == y => Some(Truth::True),
        _ => None,
    }
}

/// `t.id = t2.id` where `t2` is the written table again: every row equals
/// itself, so a self-join on its key reaches every row.
fn self_join(operator: &str, left: &NodeEnum, right: &NodeEnum, targets: &Targets<'_>) -> Option<Truth> {
    if operator != "=" || targets.copies.is_empty() {
        return None;
    }
    let (NodeEnum::ColumnRef(a), NodeEnum::ColumnRef(b)) = (left, right) else { return None };
    let parts = |column: &ColumnRef| -> Vec<String> {
        column.fields.iter().filter_map(inner).filter_map(names::string).map(str::to_owned).collect()
    };
    let (a, b) = (parts(a), parts(b));
    let (Some(name_a), Some(name_b)) = (a.last(), b.last()) else { return None };
    if name_a != name_b {
        return None;
    }
    let qualifier = |parts: &[String]| parts.len().checked_sub(2).map(|index| parts[index].clone());
    let in_list = |qualifier: &Option<String>, list: &[&str]| {
        qualifier.as_deref().is_some_and(|qualifier| list.iter().any(|name| name.eq_ignore_ascii_case(qualifier)))
    };
    let (qa, qb) = (qualifier(&a), qualifier(&b));
    let crossed = in_list(&qa, &targets.own) && in_list(&qb, &targets.copies)
        || in_list(&qb, &targets.own) && in_list(&qa, &targets.copies);
    crossed.then_some(Truth::True)
}

/// `x <= (SELECT max(x) FROM t)` on `t` itself: every value is at most the
/// largest (and at least the smallest).
fn extreme(operator: &str, left: &NodeEnum, right: &NodeEnum, targets: &Targets<'_>) -> Option<Truth> {
    let (column, sublink, column_first) = match (left, right) {
        (NodeEnum::ColumnRef(column), NodeEnum::SubLink(sublink)) => (column, sublink, true),
        (NodeEnum::SubLink(sublink), NodeEnum::ColumnRef(column)) => (column, sublink, false),
        _ => return None,
    };
    if SubLinkType::try_from(sublink.sub_link_type) != Ok(SubLinkType::ExprSublink) {
        return None;
    }
    let Some(NodeEnum::SelectStmt(select)) = sublink.subselect.as_deref().and_then(inner) else { return None };
    if !targets.whole_copy(select) {
        return None;
    }
    let [target] = select.target_list.as_slice() else { return None };
    let Some(NodeEnum::ResTarget(target)) = inner(target) else { return None };
    let Some(NodeEnum::FuncCall(call)) = target.val.as_deref().and_then(inner) else { return None };
    let function = names::function_name(call).to_ascii_lowercase();
    let [argument] = call.args.as_slice() else { return None };
    let Some(NodeEnum::ColumnRef(aggregated)) = inner(argument) else { return None };
    if names::column(aggregated) != names::column(column) {
        return None;
    }
    // Normalize to `column OP aggregate`.
    let operator = if column_first {
        operator
    } else {
        match operator {
            "<=" => ">=",
            ">=" => "<=",
            "<" => ">",
            ">" => "<",
            other => other,
        }
    };
    match (function.as_str(), operator) {
        ("max", "<=") | ("min", ">=") => Some(Truth::True),
        _ => None,
    }
}

/// What a subquery condition says of every row of the written table:
/// `id IN (SELECT id FROM t)` on `t` itself, `EXISTS (SELECT 1 FROM t t2
/// WHERE t2.id = t.id)`, `x IN (SELECT x)`, or membership in a subquery that
/// can return nothing (`WHERE false`). `None` when none of these.
fn sublink_truth(sublink: &SubLink, targets: &Targets<'_>) -> Option<Truth> {
    let Some(NodeEnum::SelectStmt(select)) = sublink.subselect.as_deref().and_then(inner) else { return None };
    let empty = select
        .where_clause
        .as_deref()
        .and_then(inner)
        .is_some_and(|condition| matches!(truth(condition, &Targets::default()), Truth::False | Truth::Null))
        || select.limit_count.as_deref().and_then(inner).is_some_and(|limit| match limit {
            NodeEnum::AConst(constant) => match &constant.val {
                // Whether it is 0 is in the shape's key (`shape::neutral`).
                Some(a_const::Val::Ival(integer)) => integer.ival == 0,
                _ => false,
            },
            _ => false,
        });
    match SubLinkType::try_from(sublink.sub_link_type) {
        Ok(SubLinkType::ExistsSublink) => {
            if empty {
                return Some(Truth::False);
            }
            // A correlated self-lookup: each row finds itself.
            let [NodeEnum::RangeVar(range)] = select.from_clause.iter().filter_map(inner).collect::<Vec<_>>()[..]
            else {
                return None;
            };
            if !targets.is_written(range) {
                return None;
            }
            let condition = select.where_clause.as_deref().and_then(inner)?;
            let mut inside = targets.clone();
            inside.copies.push(range.alias.as_ref().map_or(range.relname.as_str(), |alias| &alias.aliasname));
            (truth(condition, &inside) == Truth::True).then_some(Truth::True)
        }
        Ok(SubLinkType::AnySublink) => {
            let operator = sublink.oper_name.last().and_then(inner).and_then(names::string).unwrap_or("=");
            if operator != "=" {
                return None;
            }
            if empty {
                return Some(Truth::False);
            }
            let tested = sublink.testexpr.as_deref().and_then(inner)?;
            let [target] = select.target_list.as_slice() else { return None };
            let Some(NodeEnum::ResTarget(target)) = inner(target) else { return None };
            let selected = target.val.as_deref().and_then(inner)?;
            // `x IN (SELECT x)`: a row's own value.
            if select.from_clause.is_empty() && same_expression(tested, selected) {
                return Some(Truth::True);
            }
            // `id IN (SELECT id FROM t)` on t itself.
            let (NodeEnum::ColumnRef(tested), NodeEnum::ColumnRef(selected)) = (tested, selected) else { return None };
            let tested_own =
                match tested.fields.len() {
                    1 => true,
                    _ => {
                        tested.fields.iter().rev().nth(1).and_then(inner).and_then(names::string).is_some_and(
                            |qualifier| targets.own.iter().any(|name| name.eq_ignore_ascii_case(qualifier)),
                        )
                    }
                };
            (tested_own && names::column(tested) == names::column(selected) && targets.whole_copy(select))
                .then_some(Truth::True)
        }
        _ => None,
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

#[cfg(test)]
mod tests {
    use guardrail_core::IntentKind;

    /// Whether `sql` writes every row of its table.
    fn every_row(sql: &str) -> bool {
        crate::analyze(sql)
            .intents
            .iter()
            .any(|intent| matches!(intent.kind, IntentKind::DataDeleteAll | IntentKind::DataUpdateAll))
    }

    #[test]
    fn every_row_through_the_same_table() {
        let every: &[&str] = &[
            "DELETE FROM t WHERE id IN (SELECT id FROM t)",
            "DELETE FROM t WHERE id = ANY (SELECT id FROM t)",
            "UPDATE t SET x = 1 WHERE id = ANY (ARRAY(SELECT id FROM t))",
            "DELETE FROM t WHERE ctid IN (SELECT ctid FROM t)",
            "DELETE FROM public.t AS a WHERE a.id IN (SELECT b.id FROM t AS b)",
            "UPDATE t SET x = 1 WHERE EXISTS (SELECT 1 FROM t t2 WHERE t2.id = t.id)",
            "WITH all_ids AS (SELECT id FROM t) DELETE FROM t WHERE id IN (SELECT id FROM all_ids)",
            "DELETE FROM t WHERE id IN (WITH w AS (SELECT id FROM t) SELECT id FROM w)",
            "DELETE FROM t WHERE id IN (SELECT r.id FROM t r LEFT JOIN u ON u.id = r.uid)",
            "DELETE FROM t WHERE id NOT IN (SELECT id FROM t WHERE false)",
            "DELETE FROM t WHERE created <= (SELECT max(created) FROM t)",
            "UPDATE t u SET x = 1 WHERE u.id IN (SELECT u.id)",
            "MERGE INTO t a USING t b ON a.id = b.id WHEN MATCHED THEN DELETE",
            "MERGE INTO t AS a USING (SELECT * FROM t) AS b ON a.id = b.id WHEN MATCHED THEN UPDATE SET x = 1",
            "UPDATE t p SET x = 1 FROM t p2 WHERE p.id = p2.id",
            "DELETE FROM t e USING t e2 WHERE e.id = e2.id",
            "INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET x = 0",
            "UPDATE t SET x = 1 WHERE id = id + 0",
            "DELETE FROM t WHERE (a, b) = (a, b)",
            "UPDATE t SET x = 1 WHERE coalesce(d, 0) = coalesce(d, 0)",
            "DELETE FROM t WHERE title LIKE '%'",
            "DELETE FROM t WHERE title ~~ '%'",
            "UPDATE t SET x = 1 WHERE flag IS TRUE OR flag IS NOT TRUE",
            "UPDATE t SET x = 1 WHERE \"k\" = t.k",
        ];
        for sql in every {
            assert!(every_row(sql), "{sql} should reach every row");
        }
        let some: &[&str] = &[
            "DELETE FROM t WHERE id IN (SELECT id FROM u)",
            "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE expired)",
            "DELETE FROM t WHERE id IN (SELECT id FROM t LIMIT 10)",
            "UPDATE t SET x = 1 WHERE EXISTS (SELECT 1 FROM t t2 WHERE t2.parent = t.id)",
            "DELETE FROM t WHERE created < (SELECT max(created) FROM t)",
            "UPDATE t p SET x = 1 FROM t p2 WHERE p.id = p2.parent",
            "DELETE FROM t e USING t e2 WHERE e.id = e2.id AND e2.dup",
            "INSERT INTO t SELECT * FROM u ON CONFLICT (id) DO UPDATE SET x = 0",
            "DELETE FROM t WHERE title LIKE 'a%'",
            "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE id > 100)",
        ];
        for sql in some {
            assert!(!every_row(sql), "{sql} should be bounded");
        }
    }

    #[test]
    fn keys_that_are_never_null_and_times_no_row_falls_outside() {
        let every: &[&str] = &[
            "UPDATE orders SET status = 'x' WHERE id IS NOT NULL",
            "UPDATE orders o SET status = 'x' WHERE o.id IS NOT NULL",
            "DELETE FROM audit_log WHERE created_at < now() + interval '100 years'",
            "DELETE FROM t WHERE ts <= current_timestamp + interval '5 decades'",
            "DELETE FROM t WHERE now() - interval '200 years' < ts",
            "DELETE FROM events WHERE ts > '1900-01-01'",
            "DELETE FROM events WHERE ts < '2999-12-31'",
        ];
        let selective: &[&str] = &[
            "DELETE FROM orders WHERE shipped_at IS NOT NULL",
            "DELETE FROM orders WHERE id IS NULL",
            "DELETE FROM sessions WHERE expires_at < now()",
            "DELETE FROM sessions WHERE expires_at < now() - interval '30 days'",
            "DELETE FROM events WHERE ts < '2024-01-01'",
            "DELETE FROM events WHERE ts > '1970-01-01'",
            "DELETE FROM t USING u WHERE t.uid = u.id AND u.id IS NOT NULL",
        ];
        for sql in every {
            assert!(every_row(sql), "{sql}");
        }
        for sql in selective {
            assert!(!every_row(sql), "{sql}");
        }
    }

    #[test]
    fn long_or_lists_take_linear_time() {
        // 20,000 terms took 7.6 s when each was compared with every other.
        let terms: Vec<String> = (0..20_000).map(|n| format!("(a = {n} AND b = {n})")).collect();
        let sql = format!("DELETE FROM t WHERE {}", terms.join(" OR "));
        // The bench `sql_where_or_list` times it; here, only the answer.
        assert!(!every_row(&sql));
    }
}
