//! MERGE: its actions, bounded by the join or not.

use guardrail_core::{IntentKind, Object, Scope};
use pg_query::NodeEnum;
use pg_query::protobuf::{CmdType, MergeMatchKind, MergeStmt};

use super::{Rule, Status};
use crate::names::{inner, relation};
use crate::truth::{Reach, Targets, reach};
use crate::walk::{Flow, Walker};

pub(crate) const RULE: Rule = Rule {
    name: "merge",
    intents: &[
        IntentKind::DataDeleteAll,
        IntentKind::DataUpdateAll,
        IntentKind::DataDelete,
        IntentKind::DataUpdate,
        IntentKind::DataInsert,
    ],
    status: Status::Stable,
    catches: "MERGE statements, each WHEN clause as the write it performs. A join condition that \
              does not depend on the rows (`ON true`) makes WHEN MATCHED actions reach every row; \
              WHEN NOT MATCHED BY SOURCE actions reach every target row missing from the source \
              unless their own condition narrows them.",
    why: "MERGE hides DELETE and UPDATE inside a statement that reads like an upsert; \
          `WHEN NOT MATCHED BY SOURCE THEN DELETE` with an empty source deletes the whole table.",
    example: "MERGE INTO stock s USING deliveries d ON true WHEN MATCHED THEN DELETE",
    look_alike: "MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty",
    gaps: "The source's size is unknown, so a bounded join may still touch many rows.",
};

pub(crate) fn check(walker: &mut Walker<'_>, statement: &MergeStmt) -> Flow {
    let table = statement.relation.as_ref();
    let mut targets = Targets::of(table).with(statement.with_clause.as_ref());
    if let Some(source) = statement.source_relation.as_deref().and_then(inner) {
        targets.join(source);
    }
    let object = table.map(|table| Object::new("table", relation(table)));
    let join = reach(statement.join_condition.as_deref().and_then(inner), &targets);
    for clause in statement.merge_when_clauses.iter().filter_map(inner) {
        let NodeEnum::MergeWhenClause(clause) = clause else { continue };
        let intents = match CmdType::try_from(clause.command_type) {
            Ok(CmdType::CmdDelete) => (IntentKind::DataDelete, IntentKind::DataDeleteAll),
            Ok(CmdType::CmdUpdate) => (IntentKind::DataUpdate, IntentKind::DataUpdateAll),
            Ok(CmdType::CmdInsert) => {
                walker.emit(IntentKind::DataInsert, Scope::Bounded, object.clone());
                continue;
            }
            _ => continue,
        };
        let own_condition = reach(clause.condition.as_deref().and_then(inner), &targets);
        let clause_reach = match MergeMatchKind::try_from(clause.match_kind) {
            // Every target row missing from the source, unless the clause's
            // own condition narrows them.
            Ok(MergeMatchKind::MergeWhenNotMatchedBySource) => match own_condition {
                Reach::Every(_) => {
                    Reach::Every("WHEN NOT MATCHED BY SOURCE reaches every target row missing from the source")
                }
                _ => Reach::Some,
            },
            _ => match (join, own_condition) {
                (Reach::Every(_), Reach::Every(_)) => {
                    Reach::Every("the join condition does not depend on the rows, so every row matches")
                }
                _ => Reach::Some,
            },
        };
        super::emit_write(walker, clause_reach, intents, object.clone(), table);
    }
    Flow::Descend
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn merge_actions_are_judged_one_by_one() {
        check(&[
            (
                "MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty WHEN NOT MATCHED THEN INSERT VALUES (d.item, d.qty)",
                "data.update bounded table:stock; data.insert bounded table:stock",
            ),
            (
                "MERGE INTO stock s USING deliveries d ON true WHEN MATCHED THEN DELETE",
                "data.delete_all unbounded table:stock",
            ),
            (
                "MERGE INTO stock s USING deliveries d ON 1 = 1 WHEN MATCHED AND s.qty = 0 THEN DELETE",
                "data.delete bounded table:stock",
            ),
            (
                "MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN NOT MATCHED BY SOURCE THEN DELETE",
                "data.delete_all unbounded table:stock",
            ),
            (
                "MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN NOT MATCHED BY SOURCE AND s.qty = 0 THEN DELETE",
                "data.delete bounded table:stock",
            ),
            ("MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN DO NOTHING", ""),
        ]);
    }
}
