//! The gate with its record: a decision comes back only with its receipt,
//! and its outcome follows it in the chain.

use guardrail_audit::query::Entry as Read;
use guardrail_audit::{Event, Gate, Location, OutcomeEvent, OutcomeStatus, Recorder, RecorderConfig};
use guardrail_core::{Action, Guard, Policy, Verdict};

#[test]
fn decisions_are_recorded_before_they_are_returned_and_outcomes_follow() {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::in_data_dir(dir.path());
    let recorder = Recorder::open(RecorderConfig::new(location.clone(), "n".into(), dir.path().into())).unwrap();
    let guard = Guard::new(Policy::default_policy())
        .with_analyzer(guardrail_core::ActionKind::Sql, std::sync::Arc::new(guardrail_sql::SqlAnalyzer));
    let gate = Gate::new(guard, Some(recorder));

    // (text, verdict, outcome the surface reports)
    let cases = [
        ("SELECT 1", Verdict::Allow, OutcomeStatus::Succeeded),
        ("DELETE FROM users", Verdict::Deny, OutcomeStatus::NotRun),
    ];
    let mut store = location.open().unwrap();
    for (text, verdict, status) in cases {
        let checked = gate.check(&Action::sql(text)).unwrap();
        assert_eq!(checked.decision.verdict, verdict);
        let receipt = checked.receipt.expect("a recording gate returns a receipt");
        // Durable before `check` returned: a second connection sees it.
        let record = store.record("n", receipt.seq).unwrap().expect("the decision is in the store");
        assert_eq!(record.hash, receipt.hash);
        // A permit exactly when the action may run; using it records the outcome.
        assert_eq!(checked.permit.is_some(), verdict == Verdict::Allow, "{text}");
        let outcome = OutcomeEvent { status, rows: Some(1), duration_ms: Some(0.5), ..OutcomeEvent::default() };
        let after = match checked.permit {
            Some(permit) => {
                assert_eq!(permit.receipt(), &receipt);
                gate.finish(permit, outcome).unwrap()
            }
            None => gate.record_outcome(&receipt, outcome).unwrap(),
        };
        assert_eq!(after.seq, receipt.seq + 1);
        let read = Read::decode(store.record("n", after.seq).unwrap().unwrap()).unwrap();
        match read.event {
            Event::Outcome(outcome) => assert_eq!((outcome.decision, outcome.status), (receipt.seq, status)),
            other => panic!("expected an outcome, got {other:?}"),
        }
    }
}

#[test]
fn a_gate_that_does_not_record_returns_no_receipt() {
    let gate = Gate::new(Guard::new(Policy::default_policy()), None);
    let checked = gate.check(&Action::sql("SELECT 1")).unwrap();
    assert!(checked.receipt.is_none());
    assert!(checked.permit.is_none(), "no permit without a record");
}
