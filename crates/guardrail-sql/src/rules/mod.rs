//! The analyzer's rules: one construct each, one file each.
//!
//! Every rule documents what it catches, why it matters, a dangerous
//! example and a harmless look-alike, and known gaps, as data in its
//! [`Rule`] constant. `docs/intents.md` is generated from [`RULES`], and a
//! test runs each example and look-alike through the analyzer, so the docs
//! cannot claim what the code does not do.

use guardrail_core::IntentKind;
use pg_query::NodeEnum;

use crate::children::node_name;
use crate::walk::{Flow, Position, Walker, unknown};

mod admin_command;
mod alter_system;
mod alter_table;
mod call;
mod copy;
mod credentials;
mod delete;
mod do_block;
mod drop;
mod explain;
mod function_call;
mod grant;
mod insert;
mod lock;
mod maintenance;
mod merge;
mod own_tables;
mod ownership;
mod prepared;
mod restrictions;
mod role;
mod routine;
mod rule;
mod schema_change;
mod select;
mod session;
pub(crate) mod set;
mod temporary;
mod truncate;
mod unparsable;
mod update;

pub use function_call::{FUNCTIONS, Function};

/// How settled a rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Stable,
    /// New; its findings may still change.
    Preview,
}

/// One rule: the construct it recognises, the intents it emits, and its
/// documentation.
#[derive(Debug)]
pub struct Rule {
    /// Names the construct, not the verdict: `delete`, `copy`.
    pub name: &'static str,
    /// The intents it can emit, the most dangerous first.
    pub intents: &'static [IntentKind],
    pub status: Status,
    /// What it catches.
    pub catches: &'static str,
    /// Why that matters.
    pub why: &'static str,
    /// SQL that emits the rule's first intent.
    pub example: &'static str,
    /// Harmless SQL that looks alike and does not emit the first intent.
    pub look_alike: &'static str,
    /// What it knowingly misses or over-reports.
    pub gaps: &'static str,
}

/// Every rule, in the order the docs list them.
pub const RULES: &[&Rule] = &[
    &delete::RULE,
    &update::RULE,
    &merge::RULE,
    &insert::RULE,
    &select::RULE,
    &credentials::RULE,
    &truncate::RULE,
    &drop::RULE,
    &alter_table::RULE,
    &schema_change::RULE,
    &grant::RULE,
    &role::RULE,
    &ownership::RULE,
    &copy::RULE,
    &function_call::RULE,
    &set::RULE,
    &alter_system::RULE,
    &lock::RULE,
    &maintenance::RULE,
    &call::RULE,
    &do_block::RULE,
    &routine::RULE,
    &crate::plpgsql::RULE,
    &restrictions::RULE,
    &rule::RULE,
    &explain::RULE,
    &prepared::RULE,
    &session::RULE,
    &admin_command::RULE,
    &own_tables::RULE,
    &unparsable::RULE,
];

/// Rules over what the analysis found, after every statement was walked.
pub(crate) fn after(analysis: &mut guardrail_core::Analysis) {
    own_tables::check(analysis);
}

/// Hands a node to the rule for its type.
pub(crate) fn check(walker: &mut Walker<'_>, node: &NodeEnum, position: Position) -> Flow {
    use NodeEnum as N;
    temporary::track(walker, node);
    match node {
        N::SelectStmt(statement) => select::check(walker, statement, position),
        N::InsertStmt(statement) => insert::check(walker, statement),
        N::UpdateStmt(statement) => update::check(walker, statement),
        N::DeleteStmt(statement) => delete::check(walker, statement),
        N::MergeStmt(statement) => merge::check(walker, statement),
        N::TruncateStmt(statement) => truncate::check(walker, statement),
        N::DropStmt(_)
        | N::DropdbStmt(_)
        | N::DropRoleStmt(_)
        | N::DropTableSpaceStmt(_)
        | N::DropSubscriptionStmt(_)
        | N::DropUserMappingStmt(_)
        | N::DropOwnedStmt(_) => drop::check(walker, node),
        N::AlterTableStmt(statement) => alter_table::check(walker, statement),
        N::GrantStmt(statement) => grant::check_grant(walker, statement),
        N::GrantRoleStmt(statement) => grant::check_role_grant(walker, statement),
        N::AlterDefaultPrivilegesStmt(statement) => grant::check_default_privileges(walker, statement),
        N::CreateRoleStmt(statement) => role::check_create(walker, statement),
        N::AlterRoleStmt(statement) => role::check_alter(walker, statement),
        N::AlterRoleSetStmt(statement) => role::check_alter_set(walker, statement),
        N::AlterOwnerStmt(_) | N::ReassignOwnedStmt(_) => ownership::check(walker, node),
        N::CopyStmt(statement) => copy::check(walker, statement),
        N::FuncCall(call) => function_call::check(walker, call),
        N::RangeVar(range) => credentials::check_relation(walker, range),
        N::ColumnRef(column) => credentials::check_column(walker, column),
        N::CommonTableExpr(cte) => {
            walker.visit_children_focused(node, cte.location);
            Flow::Skip
        }
        N::VariableSetStmt(statement) => set::check(walker, statement),
        N::VariableShowStmt(statement) => set::check_show(walker, statement),
        N::AlterDatabaseSetStmt(statement) => set::check_database(walker, statement),
        N::AlterSystemStmt(statement) => alter_system::check(walker, statement),
        N::LockStmt(statement) => lock::check(walker, statement),
        N::VacuumStmt(_) | N::ClusterStmt(_) | N::ReindexStmt(_) | N::RefreshMatViewStmt(_) => {
            maintenance::check(walker, node)
        }
        N::CallStmt(statement) => call::check(walker, statement),
        N::DoStmt(statement) => do_block::check(walker, statement),
        N::CreateFunctionStmt(statement) => routine::check(walker, statement),
        N::RuleStmt(statement) => rule::check(walker, statement),
        N::ExplainStmt(statement) => explain::check(walker, statement),
        N::PrepareStmt(_) | N::ExecuteStmt(_) | N::DeallocateStmt(_) => prepared::check(walker, node),
        N::TransactionStmt(_)
        | N::ConstraintsSetStmt(_)
        | N::ListenStmt(_)
        | N::UnlistenStmt(_)
        | N::NotifyStmt(_)
        | N::DiscardStmt(_)
        | N::ClosePortalStmt(_)
        | N::FetchStmt(_)
        | N::DeclareCursorStmt(_) => session::check(walker, node),
        N::CheckPointStmt(_) | N::LoadStmt(_) => admin_command::check(walker, node),
        _ => match schema_change::check(walker, node) {
            Some(flow) => flow,
            None if is_statement(node) => {
                let span = walker.statement;
                walker
                    .intents
                    .push(unknown(span, &format!("the analyzer does not classify {} statements yet", node_name(node))));
                Flow::Descend
            }
            None => Flow::Descend,
        },
    }
}

/// Emits the write a DELETE, UPDATE or MERGE action performs: the bounded
/// intent, or the unbounded one when the condition reaches every row.
pub(crate) fn emit_write(
    walker: &mut Walker<'_>,
    reach: crate::truth::Reach,
    (bounded, unbounded): (IntentKind, IntentKind),
    object: Option<guardrail_core::Object>,
    table: Option<&pg_query::protobuf::RangeVar>,
) {
    use crate::truth::Reach;
    use guardrail_core::Scope;
    // A temporary table the text made: every row of it is the text's own.
    if table.is_some_and(|table| walker.is_temporary(table)) {
        let kind = if matches!(reach, Reach::Every(_)) { unbounded } else { bounded };
        walker.emit(kind, Scope::Temporary, object);
        return;
    }
    match reach {
        Reach::Every(why) => walker.emit(unbounded, Scope::Unbounded, object).note = Some(why.to_owned()),
        Reach::Some => {
            walker.emit(bounded, Scope::Bounded, object);
        }
        Reach::None(why) => walker.emit(bounded, Scope::Bounded, object).note = Some(why.to_owned()),
    }
}

/// Statement nodes are named `...Stmt`; expressions and clauses are not.
/// (`RawStmt` wraps statements and `PlassignStmt`/`ReturnStmt` appear
/// only inside routine bodies, where their expressions are walked.)
fn is_statement(node: &NodeEnum) -> bool {
    let name = node_name(node);
    name.ends_with("Stmt") && !matches!(name, "RawStmt" | "PlassignStmt" | "ReturnStmt" | "SetOperationStmt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_documents_itself_and_its_examples_hold() {
        let mut names = std::collections::HashSet::new();
        for rule in RULES {
            assert!(names.insert(rule.name), "duplicate rule name {}", rule.name);
            assert!(!rule.intents.is_empty(), "{} emits no intent", rule.name);
            for text in [rule.catches, rule.why, rule.example, rule.look_alike, rule.gaps] {
                assert!(!text.trim().is_empty(), "{} has an empty documentation field", rule.name);
            }
            let primary = rule.intents[0];
            let example = crate::analyze(rule.example).intents;
            assert!(
                example.iter().any(|intent| intent.kind == primary),
                "{}: its example {:?} should emit {primary}, but emits {}",
                rule.name,
                rule.example,
                crate::test_support::render(&example)
            );
            let look_alike = crate::analyze(rule.look_alike).intents;
            assert!(
                look_alike.iter().all(|intent| intent.kind != primary),
                "{}: its look-alike {:?} should not emit {primary}, but emits {}",
                rule.name,
                rule.look_alike,
                crate::test_support::render(&look_alike)
            );
        }
    }
}
