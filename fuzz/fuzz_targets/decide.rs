//! Any request through the whole decision (analysis and the default Cedar
//! policy): no panic, and the verdict is the most restrictive of the
//! intents' (a justification only lifting require_justification).

#![no_main]

use std::sync::{Arc, OnceLock};

use guardrail_core::{Action, ActionKind, ActorKind, Guard, Policy, Verdict};
use libfuzzer_sys::fuzz_target;

fn guard() -> &'static Guard {
    static GUARD: OnceLock<Guard> = OnceLock::new();
    GUARD.get_or_init(|| {
        Guard::new(Policy::default_policy())
            .with_analyzer(ActionKind::Sql, Arc::new(guardrail_sql::SqlAnalyzer))
            .with_cache_bytes(0)
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the circumstances; the rest is the text, with an
    // optional justification after a NUL.
    let Some((&flags, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let (text, justification) = match text.split_once('\0') {
        Some((text, justification)) if flags & 1 == 1 => (text.to_owned(), Some(justification.to_owned())),
        _ => (text.into_owned(), None),
    };
    let mut action = Action::sql(text);
    action.context.justification = justification;
    if flags & 2 == 2 {
        action.actor.kind = ActorKind::Human;
        action.actor.roles.push("dba".to_owned());
    }
    let decision = guard().check(&action);
    let justified = action.context.justification().is_some();
    let strongest = decision
        .intents
        .iter()
        .map(|judgement| match judgement.verdict {
            Verdict::RequireJustification if justified => Verdict::Allow,
            verdict => verdict,
        })
        .max()
        .unwrap_or(Verdict::Allow);
    assert_eq!(decision.verdict, strongest, "{decision:?}");
});
