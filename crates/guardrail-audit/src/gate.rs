//! The gate with its record: decide, then record the decision durably,
//! before anything runs.

use std::sync::Arc;

use guardrail_core::{Action, Decision, Guard};

use crate::event::OutcomeEvent;
use crate::recorder::{Entry, Receipt, RecordError, Recorder};

/// A [`Guard`] and, when recording, the [`Recorder`] every decision goes to.
pub struct Gate {
    guard: Guard,
    recorder: Option<Recorder>,
}

/// A decision and, when recorded, the proof it is durable.
#[derive(Debug)]
pub struct Checked {
    pub decision: Arc<Decision>,
    pub receipt: Option<Receipt>,
    /// Leave to run the action: only when the decision allows it and is
    /// durable in the record. A surface runs nothing without one.
    pub permit: Option<Permit>,
    /// The action's canonical digest and the policy version that decided:
    /// together, what an approval of this exact action is bound to.
    pub digest: String,
    pub policy_version: String,
}

/// Proof that a decision allowing an action was recorded before the action
/// runs. Only [`Gate::check`] makes one (it has no public fields), and
/// recording the action's outcome ([`Gate::finish`]) consumes it: "recorded
/// before it runs" is a type, not a convention.
#[derive(Debug)]
#[must_use = "a permit is used by running the action and recording its outcome with Gate::finish"]
pub struct Permit {
    receipt: Receipt,
}

impl Permit {
    /// Where the allowing decision sits in the record.
    pub fn receipt(&self) -> &Receipt {
        &self.receipt
    }
}

impl Gate {
    pub fn new(guard: Guard, recorder: Option<Recorder>) -> Gate {
        Gate { guard, recorder }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    pub fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// Decides `action` and, when recording, records the decision before
    /// returning. An error means the decision could not be recorded: the
    /// caller must not run the action, whatever the verdict.
    pub fn check(&self, action: &Action) -> Result<Checked, RecordError> {
        // A justification written in the text's comment counts as given.
        let commented;
        let action = match (action.context.justification(), guardrail_core::justification_in(action.kind, &action.text))
        {
            (None, Some(justification)) => {
                let mut with = action.clone();
                with.context.justification = Some(justification);
                commented = with;
                &commented
            }
            _ => action,
        };
        let decision = self.guard.check(action);
        let receipt = match &self.recorder {
            None => None,
            Some(recorder) => {
                Some(recorder.record(Entry::decision(action, &decision, self.guard.policy().version()))?)
            }
        };
        let permit = match (&receipt, decision.verdict) {
            (Some(receipt), guardrail_core::Verdict::Allow) => Some(Permit { receipt: receipt.clone() }),
            _ => None,
        };
        Ok(Checked {
            decision,
            permit,
            receipt,
            digest: action.digest(),
            policy_version: self.guard.policy().version().to_owned(),
        })
    }

    /// Appends what happened when the permitted action ran, consuming the
    /// permit.
    pub fn finish(&self, permit: Permit, outcome: OutcomeEvent) -> Result<Receipt, RecordError> {
        self.record_outcome(&permit.receipt, outcome)
    }

    /// Appends what happened to the action of the decision `receipt` names
    /// when it did not run (refused, held, or failed to start).
    pub fn record_outcome(&self, receipt: &Receipt, outcome: OutcomeEvent) -> Result<Receipt, RecordError> {
        let recorder = self.recorder.as_ref().ok_or_else(|| RecordError::Failed("this gate does not record".into()))?;
        recorder.record(Entry::outcome(OutcomeEvent { decision: receipt.seq, ..outcome }))
    }
}
