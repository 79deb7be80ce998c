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
#[derive(Clone, Debug)]
pub struct Checked {
    pub decision: Arc<Decision>,
    pub receipt: Option<Receipt>,
    /// The action's canonical digest and the policy version that decided:
    /// together, what an approval of this exact action is bound to.
    pub digest: String,
    pub policy_version: String,
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
        Ok(Checked {
            decision,
            receipt,
            digest: action.digest(),
            policy_version: self.guard.policy().version().to_owned(),
        })
    }

    /// Appends what happened when the action of the decision `receipt`
    /// names ran (or did not), once known.
    pub fn record_outcome(&self, receipt: &Receipt, outcome: OutcomeEvent) -> Result<Receipt, RecordError> {
        let recorder = self.recorder.as_ref().ok_or_else(|| RecordError("this gate does not record".into()))?;
        recorder.record(Entry::outcome(OutcomeEvent { decision: receipt.seq, ..outcome }))
    }
}
