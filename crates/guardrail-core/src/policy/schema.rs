//! The Cedar schema policies are validated against, generated from the
//! intent taxonomy so that the two cannot drift.

use std::fmt::Write;

use std::collections::HashSet;

use cedar_policy::{Entities, Entity, EntityUid};

use crate::intent::{GROUPS, IntentKind};

/// The schema's actions as entities, each a member of its groups: what a
/// request needs to evaluate `action in Action::"group"`. Built from the
/// taxonomy directly, since parsing the schema costs a fresh process more
/// than everything else it does (a test checks the two agree).
pub(crate) fn action_entities() -> Entities {
    let action = |id: &str| super::uid("Action", id);
    let groups = GROUPS.iter().map(|(group, _)| Entity::new_no_attrs(action(group), HashSet::new()));
    let intents = IntentKind::ALL.iter().map(|kind| {
        let parents: HashSet<EntityUid> = kind.groups().iter().map(|group| action(group)).collect();
        Entity::new_no_attrs(action(kind.id()), parents)
    });
    Entities::from_entities(groups.chain(intents), None).expect("action ids are unique; a test checks it")
}

/// The schema's text in Cedar's human-readable schema syntax.
pub fn schema_text() -> String {
    let mut out = String::from(
        "// Guardrail's policy schema. Generated from the intent taxonomy;\n\
         // print it with `guardrail policy schema`. See docs/policy.md.\n\
         \n\
         // Who acts. An actor is an Agent or a Human, a member of its roles.\n\
         entity Role;\n\
         entity Agent in [Role];\n\
         entity Human in [Role];\n\
         \n\
         // What is acted on. A DatabaseObject belongs to the Database (the\n\
         // action's target) it lives in; intents without an object apply to the\n\
         // Database itself, whose kind is \"database\". Both carry kind and name,\n\
         // so `resource.kind == \"table\"` needs no `resource is` test first.\n\
         entity Database {\n\
         \x20 kind: String,\n\
         \x20 name: String,\n\
         };\n\
         entity DatabaseObject in [Database] {\n\
         \x20 // table, view, function, role, schema, file, program, ...\n\
         \x20 kind: String,\n\
         \x20 // The name as written in the action: `public.users`, a path, a command.\n\
         \x20 name: String,\n\
         };\n\
         \n\
         // A shell command acts on a Host (the action's target) and, within it,\n\
         // on a Path (name: the absolute path), a Repository (name: its\n\
         // directory, or remote and branch), a Cluster (name: the object as\n\
         // written), or another Resource (a bucket, a queue, a secret, a URL,\n\
         // a program). Each carries kind and name like the database types.\n\
         entity Host {\n\
         \x20 kind: String,\n\
         \x20 name: String,\n\
         };\n\
         entity Path, Repository, Cluster, Resource in [Host] {\n\
         \x20 // path, repository, cluster, bucket, queue, secret, url, command, ...\n\
         \x20 kind: String,\n\
         \x20 name: String,\n\
         };\n\
         \n\
         // The circumstances of one intent of an action.\n\
         type RequestContext = {\n\
         \x20 // The surface the action came through: cli, pgproxy, hook, ...\n\
         \x20 channel: String,\n\
         \x20 // The target's environment: production unless told otherwise.\n\
         \x20 environment: String,\n\
         \x20 // How widely the intent reaches: bounded, unbounded, session, temporary,\n\
         \x20 // server; for paths also workspace, elsewhere, system, device.\n\
         \x20 scope: String,\n\
         \x20 // The actor's stated reason, when one was given.\n\
         \x20 justification?: String,\n\
         };\n\
         \n\
         // Action groups: a policy naming a group covers all its members.\n",
    );
    for (group, summary) in GROUPS {
        writeln!(out, "action \"{group}\"; // {summary}").unwrap();
    }
    out.push_str("\n// One action per intent; see docs/intents.md.\n");
    for &kind in IntentKind::ALL {
        let parents = kind.groups().iter().map(|group| format!("\"{group}\"")).collect::<Vec<_>>().join(", ");
        let membership = if parents.is_empty() { String::new() } else { format!(" in [{parents}]") };
        writeln!(
            out,
            "action \"{}\"{membership} appliesTo {{\n  principal: [Agent, Human],\n  resource: [Database, DatabaseObject, Host, Path, Repository, Cluster, Resource],\n  context: RequestContext,\n}};",
            kind.id()
        )
        .unwrap();
    }
    out
}
