//! The gate with its record: decide, then record the decision durably,
//! before anything runs.

use std::sync::Arc;

use guardrail_core::{Action, Decision, Guard, Verdict};

use crate::approval::{self, Approver, Change, Request};
use crate::event::{ApprovalEvent, Event, OutcomeEvent, RecordedActor, masked};
use crate::recorder::{ApprovalError, ApprovalRecord, ApprovalTicket, Entry, Receipt, RecordError, Recorder, Ticket};

/// A [`Guard`] and, when recording, the [`Recorder`] every decision goes to.
/// A clone shares both (the surfaces of one daemon record through one
/// writer, and their appends share its group commits).
#[derive(Clone)]
pub struct Gate {
    guard: Arc<Guard>,
    recorder: Option<Arc<Recorder>>,
    /// How long a held action's request waits for a decision, and how long
    /// an approval stays usable once given (nanoseconds).
    approval_wait: i64,
    approval_valid: i64,
    /// A draft policy evaluated beside the enforced one: its decisions are
    /// recorded with each decision, never enforced.
    shadow: Option<Arc<Guard>>,
}

/// A decision on its way into the record ([`Gate::submit`]); awaiting it
/// yields the [`Checked`] decision, with a permit when it allows.
#[must_use = "a decision is durable, and its permit given, only once this is awaited"]
pub struct Submitted {
    ticket: Ticket,
    decision: Arc<Decision>,
    digest: String,
    policy_version: String,
}

impl Submitted {
    /// Waits until the decision is durable, without blocking the runtime.
    pub async fn recorded(self) -> Result<Checked, RecordError> {
        let Submitted { ticket, decision, digest, policy_version } = self;
        let receipt = ticket.await?;
        Ok(Checked::of(decision, Some(receipt), digest, policy_version))
    }
}

impl Checked {
    fn of(decision: Arc<Decision>, receipt: Option<Receipt>, digest: String, policy_version: String) -> Checked {
        let permit = match (&receipt, decision.verdict) {
            (Some(receipt), guardrail_core::Verdict::Allow) => Some(Permit { receipt: receipt.clone() }),
            _ => None,
        };
        Checked { decision, receipt, permit, digest, policy_version }
    }
}

/// How a wait for a person's answer ended ([`Gate::await_approval`]).
#[derive(Debug)]
pub enum Awaited {
    /// Approved: the approval is used by the recorded decision to run the
    /// action, whose permit this holds.
    Approved(Checked),
    /// Decided otherwise, cancelled, expired, or used by another identical
    /// action first: the request as it stood.
    Ended(Box<Request>),
    /// Still undecided when the wait ran out, or the caller stopped waiting.
    Waiting,
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
    pub fn new(guard: impl Into<Arc<Guard>>, recorder: Option<Recorder>) -> Gate {
        Gate {
            guard: guard.into(),
            recorder: recorder.map(Arc::new),
            approval_wait: approval::DEFAULT_WAIT_NS,
            approval_valid: approval::DEFAULT_VALID_NS,
            shadow: None,
        }
    }

    /// Evaluates `shadow` (a guard holding a draft policy) beside the
    /// enforced policy on every decision this gate records, on the same
    /// intents, and records what it would have decided; it never changes
    /// a decision.
    pub fn with_shadow(mut self, shadow: Guard) -> Gate {
        self.shadow = Some(Arc::new(shadow));
        self
    }

    /// The shadow policy's version, when there is one.
    pub fn shadow_version(&self) -> Option<&str> {
        self.shadow.as_ref().map(|shadow| shadow.policy().version())
    }

    /// The record of `decision` on `action`, with the shadow's would-be
    /// decision.
    fn decision_entry(&self, action: &Action, decision: &Decision) -> Entry {
        with_shadow(
            Entry::decision(action, decision, self.guard.policy().version()),
            self.shadow.as_deref(),
            action,
            decision,
        )
    }

    /// Sets the two clocks of the approval requests this gate opens: how
    /// long one waits for a decision, and how long an approval stays usable.
    pub fn with_approval_clocks(mut self, wait: std::time::Duration, valid: std::time::Duration) -> Gate {
        let nanos = |duration: std::time::Duration| duration.as_nanos().min(i64::MAX as u128) as i64;
        self.approval_wait = nanos(wait).max(1);
        self.approval_valid = nanos(valid).max(1);
        self
    }

    /// The guard, to share with a decision pool that decides off the
    /// caller's thread.
    pub fn shared_guard(&self) -> Arc<Guard> {
        Arc::clone(&self.guard)
    }

    /// The action as the gate judges it: a justification written in the
    /// text's comment counts as given.
    pub fn as_judged(action: &Action) -> std::borrow::Cow<'_, Action> {
        match (action.context.justification(), guardrail_core::justification_in(action.kind, &action.text)) {
            (None, Some(justification)) => {
                let mut with = action.clone();
                with.context.justification = Some(justification);
                std::borrow::Cow::Owned(with)
            }
            _ => std::borrow::Cow::Borrowed(action),
        }
    }

    /// Hands `decision` on `action` (decided elsewhere, as by a decision
    /// pool, from [`Gate::as_judged`]'s action) to the recorder without
    /// waiting: the way for async servers, which await the result.
    pub fn submit(&self, action: &Action, decision: Arc<Decision>) -> Result<Submitted, RecordError> {
        self.submit_decision(action, decision, false)
    }

    fn submit_decision(&self, action: &Action, decision: Arc<Decision>, lazy: bool) -> Result<Submitted, RecordError> {
        let recorder = self.recording()?;
        let entry = self.decision_entry(action, &decision);
        let ticket = if lazy { recorder.submit_lazy(entry) } else { recorder.submit(entry) }?;
        Ok(Submitted {
            ticket,
            decision,
            digest: action.digest(),
            policy_version: self.guard.policy().version().to_owned(),
        })
    }

    fn recording(&self) -> Result<&Recorder, RecordError> {
        self.recorder.as_deref().ok_or_else(|| RecordError::Failed("this gate does not record".into()))
    }

    /// Appends the decision on an action that already ran, with its
    /// outcome, in one record, without waiting: how a surface records
    /// actions it lets run before their decision is durable (the proxy's
    /// reads).
    pub fn submit_ran(
        &self,
        action: &Action,
        decision: &Decision,
        outcome: OutcomeEvent,
    ) -> Result<Ticket, RecordError> {
        let recorder = self.recording()?;
        recorder.submit_lazy(Entry::decision_ran(action, decision, self.guard.policy().version(), outcome))
    }

    /// Like [`Gate::submit`], for a decision the caller need not wait on
    /// before the action runs (a write inside a transaction block, whose
    /// effect lasts only once the block commits): the recorder may hold it
    /// a few milliseconds for company. Call [`Gate::flush`] before waiting
    /// on it.
    pub fn submit_lazy(&self, action: &Action, decision: Arc<Decision>) -> Result<Submitted, RecordError> {
        self.submit_decision(action, decision, true)
    }

    /// Has the recorder commit what waits, lazy appends included.
    pub fn flush(&self) {
        if let Some(recorder) = &self.recorder {
            recorder.flush();
        }
    }

    /// Appends any entry (a session's start or end) without waiting.
    pub fn submit_entry(&self, entry: Entry) -> Result<Ticket, RecordError> {
        let recorder = self.recording()?;
        recorder.submit(entry)
    }

    /// Appends the outcome of the action whose decision `receipt` names,
    /// without waiting; the recorder may hold it a few milliseconds for
    /// company ([`Recorder::submit_lazy`]): what happened is recorded
    /// after the fact anyway.
    pub fn submit_outcome(&self, receipt: &Receipt, outcome: OutcomeEvent) -> Result<Ticket, RecordError> {
        let recorder = self.recording()?;
        recorder.submit_lazy(Entry::outcome(OutcomeEvent { decision: receipt.seq, ..outcome }))
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    pub fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_deref()
    }

    /// Decides `action` and, when recording, records the decision before
    /// returning. An error means the decision could not be recorded: the
    /// caller must not run the action, whatever the verdict. An action held
    /// for approval that a person approved is allowed, once: the approval
    /// is used up by this decision's record ([`Gate::use_approval`]).
    pub fn check(&self, action: &Action) -> Result<Checked, RecordError> {
        let action = Gate::as_judged(action);
        let decision = self.guard.check(&action);
        self.check_decided(&action, decision)
    }

    /// [`Gate::check`] for a decision made elsewhere (by a decision pool,
    /// within its deadline) on `action` as [`Gate::as_judged`] gives it:
    /// an approval is used, and the decision recorded, exactly as there.
    pub fn check_decided(&self, action: &Action, decision: Arc<Decision>) -> Result<Checked, RecordError> {
        // A held action a person approved runs, once: the approval is
        // consumed in the transaction that records the decision to run it.
        if decision.verdict == Verdict::RequireApproval && self.recorder.is_some() {
            match self.use_approval(action, &decision)?.wait() {
                Ok(changed) => {
                    let decision = Arc::new(approved(&decision, &changed.request));
                    let version = self.guard.policy().version().to_owned();
                    return Ok(Checked::of(decision, changed.receipt, action.digest(), version));
                }
                // No usable approval: held, as decided.
                Err(ApprovalError::Refused(_)) => {}
                Err(ApprovalError::Record(error)) => return Err(error),
            }
        }
        let receipt = match &self.recorder {
            None => None,
            Some(recorder) => Some(recorder.record(self.decision_entry(action, &decision))?),
        };
        Ok(Checked::of(decision, receipt, action.digest(), self.guard.policy().version().to_owned()))
    }

    /// Uses an approval of `action` (as judged), which `held` holds for
    /// approval: when a usable one exists, it is consumed in the transaction
    /// that records the decision to run the action ([`approved`]); the
    /// ticket then yields the request and that record's receipt. A
    /// `Refused` answer means no approval allows it (the action stays held).
    pub fn use_approval(&self, action: &Action, held: &Arc<Decision>) -> Result<ApprovalTicket, RecordError> {
        let recorder = self.recording()?;
        let version = self.guard.policy().version().to_owned();
        let change = Change::Consume { digest: action.digest(), policy_version: version.clone() };
        let (held, owned, shadow) = (Arc::clone(held), action.clone(), self.shadow.clone());
        let record: ApprovalRecord = Box::new(move |request, _| {
            let mut entry = Entry::decision(&owned, &approved(&held, request), &version);
            entry = with_shadow(entry, shadow.as_deref(), &owned, &held);
            if let Event::Decision(event) = &mut entry.event {
                event.approval = Some(request.id.clone());
            }
            entry
        });
        recorder.change_approval(None, change, record)
    }

    /// Waits, until `until`, for a person to decide approval request `id`
    /// of `action`, which `held` holds for approval, looking every `poll`;
    /// `go_on` is asked before each look (a surface tells its caller it
    /// still waits, and stops when they went away). Approved, the approval
    /// is used as [`Gate::check`] uses it, and the decision to run is
    /// recorded, with its permit. Only an approved request is worth a
    /// write: the others are read from the store.
    pub fn await_approval(
        &self,
        action: &Action,
        held: &Arc<Decision>,
        id: &str,
        until: std::time::Instant,
        poll: std::time::Duration,
        go_on: &mut dyn FnMut() -> bool,
    ) -> Result<Awaited, RecordError> {
        let location = self.recording()?.location().clone();
        let action = Gate::as_judged(action);
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() || !go_on() {
                return Ok(Awaited::Waiting);
            }
            std::thread::sleep(poll.min(left));
            // A store that cannot be read now is not an answer: the use
            // below is the authority.
            let request = location.open_read_only().ok().and_then(|mut store| store.approval(id).ok().flatten());
            if let Some(request) = &request {
                match request.state_at(crate::now()) {
                    approval::State::Pending => continue,
                    approval::State::Approved => {}
                    _ => return Ok(Awaited::Ended(Box::new(request.clone()))),
                }
            }
            match self.use_approval(&action, held)?.wait() {
                Ok(changed) => {
                    let decision = Arc::new(approved(held, &changed.request));
                    let version = self.guard.policy().version().to_owned();
                    return Ok(Awaited::Approved(Checked::of(decision, changed.receipt, action.digest(), version)));
                }
                // Used by another identical action first, or no longer
                // usable: as the request now stands.
                Err(ApprovalError::Refused(_)) => match request {
                    Some(request) => return Ok(Awaited::Ended(Box::new(request))),
                    None => continue,
                },
                Err(ApprovalError::Record(error)) => return Err(error),
            }
        }
    }

    /// Opens an approval request for `action`, which `checked` (recorded)
    /// holds for approval, or finds the one already waiting for the same
    /// action: the identical action sent again does not ask twice. Who may
    /// approve comes from the rule that held it.
    pub fn request_approval(&self, action: &Action, checked: &Checked) -> Result<ApprovalTicket, RecordError> {
        let recorder = self.recording()?;
        let Some(receipt) = &checked.receipt else {
            return Err(RecordError::Failed("an approval needs the held decision's record".into()));
        };
        let action = Gate::as_judged(action);
        let rule = self.guard.policy().approval_rule(&checked.decision.rule);
        let now = crate::now();
        let request = Request {
            id: approval::new_id(),
            digest: checked.digest.clone(),
            policy_version: checked.policy_version.clone(),
            actor: RecordedActor::from(&action.actor),
            kind: action.kind,
            channel: masked(&action.channel),
            target: masked(&action.target),
            cwd: action.context.cwd.as_deref().map(masked),
            environment: masked(&action.context.environment),
            roles: action.actor.roles.iter().map(|role| masked(role)).collect(),
            text: guardrail_core::secret::mask(&action.text, &checked.decision.secrets).into_owned(),
            rule: checked.decision.rule.clone(),
            reason: checked.decision.reason.clone(),
            approver_role: rule.role,
            needed: rule.needed,
            state: approval::State::Pending,
            node: receipt.node.clone(),
            decision_seq: receipt.seq,
            requested_at: now,
            wait_until: now.saturating_add(self.approval_wait),
            valid_for: self.approval_valid,
            valid_until: None,
            votes: Vec::new(),
            cancelled_by: None,
            consumed_by: None,
        };
        recorder.change_approval(None, Change::Open(Box::new(request)), change_record("gate".into(), None))
    }

    /// A person's answer to approval request `id`; a denial needs a reason.
    pub fn decide_approval(
        &self,
        id: &str,
        by: Approver,
        approve: bool,
        reason: &str,
    ) -> Result<ApprovalTicket, RecordError> {
        let reason = crate::event::masked(reason);
        let record = change_record(by.id.clone(), Some(reason.clone()));
        let change = Change::Vote { by, approve, reason };
        self.recording()?.change_approval(Some(id), change, record)
    }

    /// Withdraws approval request `id` (the requester changed their mind).
    pub fn cancel_approval(&self, id: &str, by: &str, reason: &str) -> Result<ApprovalTicket, RecordError> {
        let reason = crate::event::masked(reason);
        let record = change_record(by.to_owned(), Some(reason.clone()));
        let change = Change::Cancel { by: by.to_owned(), reason };
        self.recording()?.change_approval(Some(id), change, record)
    }

    /// Appends what happened when the permitted action ran, consuming the
    /// permit.
    pub fn finish(&self, permit: Permit, outcome: OutcomeEvent) -> Result<Receipt, RecordError> {
        self.record_outcome(&permit.receipt, outcome)
    }

    /// Appends what happened to the action of the decision `receipt` names
    /// when it did not run (refused, held, or failed to start).
    pub fn record_outcome(&self, receipt: &Receipt, outcome: OutcomeEvent) -> Result<Receipt, RecordError> {
        let recorder = self.recording()?;
        recorder.record(Entry::outcome(OutcomeEvent { decision: receipt.seq, ..outcome }))
    }
}

/// `entry` (a decision's record) with what `shadow` would have decided on
/// `decision`'s intents.
fn with_shadow(mut entry: Entry, shadow: Option<&Guard>, action: &Action, decision: &Decision) -> Entry {
    if let (Some(shadow), Event::Decision(event)) = (shadow, &mut entry.event) {
        let intents = decision.intents.iter().map(|judged| judged.intent.clone()).collect();
        let analysis = guardrail_core::Analysis { intents, secrets: decision.secrets.clone() };
        let would = shadow.judge(action, analysis);
        event.shadow = Some(crate::event::ShadowDecision {
            verdict: would.verdict,
            rule: would.rule,
            reason: would.reason,
            policy_version: shadow.policy().version().to_owned(),
        });
    }
    entry
}

/// The decision to run a held action on its approval: allowed, by the rule
/// that held it, saying who approved and why.
pub fn approved(held: &Decision, request: &Request) -> Decision {
    let approvers: Vec<String> = request
        .votes
        .iter()
        .filter(|vote| vote.approve)
        .map(|vote| {
            if vote.reason.trim().is_empty() {
                vote.by.clone()
            } else {
                format!("{} ({})", vote.by, vote.reason.trim())
            }
        })
        .collect();
    let mut decision = held.clone();
    decision.verdict = Verdict::Allow;
    decision.reason = format!("approved by {} in {}: {}", approvers.join(", "), request.id, held.reason);
    decision
}

/// The record of a change to an approval request made by `by`.
fn change_record(by: String, reason: Option<String>) -> ApprovalRecord {
    Box::new(move |request, transition| Entry {
        event: Event::Approval(ApprovalEvent::of(request, transition, &by, reason.as_deref())),
        blobs: Vec::new(),
    })
}
