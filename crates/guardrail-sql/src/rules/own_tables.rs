//! The gate's own tables.

use guardrail_core::{Analysis, Intent, IntentKind, Scope};

use super::{Rule, Status};

pub(crate) const RULE: Rule = Rule {
    name: "own_tables",
    intents: &[IntentKind::GateTamper],
    status: Status::Preview,
    catches: "Any change to a table named `guardrail_*`: the activity record, its checkpoints and \
              blobs, approval requests and anchors that Guardrail keeps in a PostgreSQL database \
              (inserting, updating, deleting, truncating, altering, dropping, granting on it).",
    why: "When the record is kept in a database an agent reaches through the proxy, rewriting it \
          would hide what the agent did, and marking an approval request approved would let the \
          agent approve itself. Reading it changes nothing and is judged as any read.",
    example: "UPDATE guardrail_approvals SET state = 'approved' WHERE id = 'apr-1'",
    look_alike: "SELECT count(*) FROM guardrail_records",
    gaps: "Found by the table's name: a view or function that writes the tables under another \
           name is judged by what it is (a call, DDL), not as tampering.",
};

/// Adds `gate.tamper` beside every change the analysis found to one of the
/// gate's own tables.
pub(crate) fn check(analysis: &mut Analysis) {
    let tampering: Vec<Intent> = analysis
        .intents
        .iter()
        .filter(|intent| changes(intent.kind))
        .filter_map(|intent| {
            let object = intent.object.as_ref().filter(|object| is_own(&object.name))?;
            Some(
                Intent::new(IntentKind::GateTamper, Scope::Server, intent.span)
                    .with_object(object.clone())
                    .with_note("changes the gate's own record or approvals"),
            )
        })
        .collect();
    analysis.intents.extend(tampering);
}

fn changes(kind: IntentKind) -> bool {
    kind.groups().iter().any(|group| matches!(*group, "data.write" | "schema.change" | "privilege.change"))
}

/// Whether a relation's name (`schema.name`, quoted or not) is one of the
/// gate's tables.
fn is_own(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).trim_matches('"');
    last.to_ascii_lowercase().starts_with("guardrail_")
}

#[cfg(test)]
mod tests {
    use crate::test_support::check;

    #[test]
    fn changes_to_the_gate_s_tables_are_tampering() {
        check(&[
            (
                "UPDATE guardrail_approvals SET state = 'approved' WHERE id = 'apr-1'",
                "data.update bounded table:guardrail_approvals; gate.tamper server table:guardrail_approvals",
            ),
            (
                "DELETE FROM public.guardrail_records WHERE seq > 10",
                "data.delete bounded table:public.guardrail_records; gate.tamper server table:public.guardrail_records",
            ),
            (
                "TRUNCATE \"guardrail_checkpoints\"",
                "data.truncate unbounded table:guardrail_checkpoints; gate.tamper server table:guardrail_checkpoints",
            ),
            (
                "DROP TABLE GUARDRAIL_ANCHORS",
                "schema.drop bounded table:guardrail_anchors; gate.tamper server table:guardrail_anchors",
            ),
            ("SELECT count(*) FROM guardrail_records", "data.read bounded table:guardrail_records"),
            ("UPDATE guard_rails SET a = 1 WHERE id = 1", "data.update bounded table:guard_rails"),
        ]);
    }
}
