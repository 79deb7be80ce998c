//! Approvals: a person lets one held action run, once.
//!
//! A held action (`require_approval`) becomes a [`Request`] bound to the
//! action's canonical digest and the policy version that held it: other
//! bytes, another actor or target, or another policy are another action and
//! need their own approval. A request moves through [`State`]s by
//! [`Change`]s, each applied by [`apply`] (pure, so every store applies the
//! same rules) inside the store's transaction that also appends the change's
//! record: a transition and its record are one, and consuming an approval is
//! one with the record of the action it lets run, so two gates sharing a
//! store cannot both use it.
//!
//! Who may decide: any person (never an agent) other than the requester
//! and the person an agent acts for; when the rule that held the action
//! names an approver role, only holders of that role. One denial ends a
//! request; it is approved once it has as many approvals as the rule asks
//! (one by default). There is no exemption for anyone.

use serde::{Deserialize, Serialize};

use crate::event::RecordedActor;

/// How long a request waits for a decision, by default.
pub const DEFAULT_WAIT_NS: i64 = 60 * 60 * 1_000_000_000;
/// How long an approval, once given, may be used, by default.
pub const DEFAULT_VALID_NS: i64 = 15 * 60 * 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    Approved,
    Denied,
    Expired,
    Cancelled,
    Consumed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Expired => "expired",
            State::Cancelled => "cancelled",
            State::Consumed => "consumed",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        [State::Pending, State::Approved, State::Denied, State::Expired, State::Cancelled, State::Consumed]
            .into_iter()
            .find(|state| state.as_str() == text)
    }

    /// Whether nothing can change it any more.
    pub fn is_final(self) -> bool {
        matches!(self, State::Denied | State::Expired | State::Cancelled | State::Consumed)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's answer to a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub by: String,
    pub approve: bool,
    pub reason: String,
    /// Nanoseconds since the Unix epoch.
    pub at: i64,
}

/// One held action waiting for (or given) a person's approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    /// The action's canonical digest (`Action::digest`) and the version of
    /// the policy that held it: what the approval binds to.
    pub digest: String,
    pub policy_version: String,
    pub actor: RecordedActor,
    pub kind: guardrail_core::ActionKind,
    pub channel: String,
    pub target: String,
    /// What else the digest binds, for the approver to see: the working
    /// directory (a relative path's meaning), the environment, and the
    /// requester's roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub environment: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The action's text, secrets masked.
    pub text: String,
    /// The rule that held it, and why.
    pub rule: String,
    pub reason: String,
    /// The role an approver must hold (from the rule's `@approver`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_role: Option<String>,
    /// Approvals needed (from the rule's `@approvals`, at least 1).
    pub needed: u32,
    pub state: State,
    /// Where the held decision sits in the record.
    pub node: String,
    pub decision_seq: u64,
    pub requested_at: i64,
    /// Until when it waits for a decision.
    pub wait_until: i64,
    /// How long an approval stays usable once given.
    pub valid_for: i64,
    /// Until when the approval may be used, once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub votes: Vec<Vote>,
    /// Who cancelled it, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<String>,
    /// The record of the action the approval let run (same node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_by: Option<u64>,
}

impl Request {
    /// How the request ended, as of `now`, in words for whoever asked
    /// (`denied by bob: not during the freeze`); `None` while it waits.
    pub fn ended(&self, now: i64) -> Option<String> {
        let state = self.state_at(now);
        match state {
            State::Pending => None,
            State::Denied => Some(match self.votes.iter().find(|vote| !vote.approve) {
                Some(vote) => format!("denied by {}: {}", vote.by, vote.reason),
                None => "denied".to_owned(),
            }),
            State::Cancelled => {
                Some(format!("cancelled by {}", self.cancelled_by.as_deref().unwrap_or("the requester")))
            }
            state => Some(state.as_str().to_owned()),
        }
    }

    /// The state as of `now`: a pending request past its wait, or an
    /// approval past its validity, has expired (whether or not the store
    /// says so yet).
    pub fn state_at(&self, now: i64) -> State {
        match self.state {
            State::Pending if now >= self.wait_until => State::Expired,
            State::Approved if self.valid_until.is_some_and(|until| now >= until) => State::Expired,
            state => state,
        }
    }

    fn approvals(&self) -> usize {
        self.votes.iter().filter(|vote| vote.approve).count()
    }
}

/// A request as shown to people and tools: as stored, with its state as of
/// the moment it is shown.
#[derive(Clone, Debug, Serialize)]
pub struct Viewed {
    #[serde(flatten)]
    pub request: Request,
    pub state_now: State,
}

impl Viewed {
    pub fn of(request: Request, now: i64) -> Viewed {
        let state_now = request.state_at(now);
        Viewed { request, state_now }
    }
}

/// The first `limit` of `requests` (newest first) in `state` as of `now`
/// (every state when `None`).
pub fn as_of(requests: Vec<Request>, state: Option<State>, limit: usize, now: i64) -> Vec<Viewed> {
    requests
        .into_iter()
        .map(|request| Viewed::of(request, now))
        .filter(|viewed| state.is_none_or(|state| viewed.state_now == state))
        .take(limit)
        .collect()
}

/// A person deciding, as the caller has authenticated them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approver {
    pub id: String,
    pub kind: guardrail_core::ActorKind,
    pub roles: Vec<String>,
}

/// What a change does to a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A new request (the store gives it no previous state).
    Open(Box<Request>),
    Vote {
        by: Approver,
        approve: bool,
        reason: String,
    },
    Cancel {
        by: String,
        reason: String,
    },
    /// The approved action runs now: `digest` must be the request's, and the
    /// record it is consumed with is the action's decision.
    Consume {
        digest: String,
        policy_version: String,
    },
    /// Marks a request whose clock ran out.
    Expire,
}

/// Why a change cannot be made: said to the person or surface that tried.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("there is no approval request {0}")]
    Unknown(String),
    #[error("approval request {id} is {state}: it can no longer be {what}")]
    Final { id: String, state: State, what: &'static str },
    #[error("approval request {id} is {state}, not approved: the action cannot run on it")]
    NotApproved { id: String, state: State },
    #[error("{who} asked for this action (or an agent asked for it on their behalf), and cannot decide on it")]
    OwnRequest { who: String },
    #[error("{who} is an agent: only a person can approve or deny")]
    NotAPerson { who: String },
    #[error("approving this takes the role {role}, which {who} does not hold")]
    MissingRole { who: String, role: String },
    #[error("{who} has already decided on this request")]
    AlreadyDecided { who: String },
    #[error("approval request {id} is for another action (another text, actor, target or policy)")]
    OtherAction { id: String },
    #[error("a reason is required to deny")]
    NoReason,
    #[error("{who} did not ask for this action, and cannot withdraw the request")]
    NotRequester { who: String },
    #[error("no approval allows this exact action")]
    NoApproval,
    /// The request says approved, but the signed record does not: its row
    /// was changed outside the gate.
    #[error("approval request {id} says approved, but the record does not ({why}): it was changed outside the gate")]
    NotInRecord { id: String, why: String },
}

/// What the record says happened to a request: an approval record, or a
/// decision that used its approval (`Consumed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub id: String,
    pub transition: Transition,
    pub by: String,
    pub digest: String,
    pub policy_version: String,
    /// Who may approve and how many approvals it takes (approval records
    /// written since these were recorded).
    pub approver_role: Option<String>,
    pub needed: Option<u32>,
    pub valid_for: Option<i64>,
    /// When it was recorded (nanoseconds since the epoch).
    pub time: i64,
}

impl Recorded {
    /// What a stored record (its kind, body and time) says of a request,
    /// if anything.
    pub fn of(kind: &str, body: &str, time: i64) -> Option<Recorded> {
        match crate::event::Event::decode(kind, body).ok()? {
            crate::event::Event::Approval(event) => Some(Recorded {
                id: event.id,
                transition: event.transition,
                by: event.by,
                digest: event.digest,
                policy_version: event.policy_version,
                approver_role: event.approver_role,
                needed: event.needed,
                valid_for: event.valid_for,
                time,
            }),
            crate::event::Event::Decision(decision) => Some(Recorded {
                id: decision.approval?,
                transition: Transition::Consumed,
                by: decision.actor.id,
                digest: decision.digest,
                policy_version: decision.policy_version,
                approver_role: None,
                needed: None,
                valid_for: None,
                time,
            }),
            _ => None,
        }
    }
}

/// Whether the record holds what `request`'s approval rests on: an
/// `approved` record of this request for the same action and policy, a
/// record of every approving vote it counts, and nothing that ended it or
/// used it (`recorded`: what the record says of requests opened since it
/// was). The requests' table is the gate's working copy; the chain, hashed
/// and signed, is what a row rewritten outside the gate cannot match.
pub fn in_record(request: &Request, recorded: &[Recorded], now: i64) -> Result<(), Refused> {
    let refused = |why: String| Err(Refused::NotInRecord { id: request.id.clone(), why });
    let own: Vec<&Recorded> = recorded
        .iter()
        .filter(|event| {
            event.id == request.id && event.digest == request.digest && event.policy_version == request.policy_version
        })
        .collect();
    if let Some(ended) = own.iter().find(|event| {
        matches!(
            event.transition,
            Transition::Denied | Transition::Cancelled | Transition::Consumed | Transition::Expired
        )
    }) {
        return refused(format!("it was {} by {}", ended.transition.as_str(), ended.by));
    }
    let Some(approved) = own.iter().find(|event| event.transition == Transition::Approved) else {
        return refused("no approval of it is recorded".to_owned());
    };
    let opened = own.iter().find(|event| event.transition == Transition::Requested);
    // Usable for as long as it was opened with, from when it was recorded.
    if let Some(valid_for) = opened.and_then(|event| event.valid_for).or(approved.valid_for)
        && now >= approved.time.saturating_add(valid_for)
    {
        return refused("its approval, as recorded, has expired".to_owned());
    }
    // Who may approve and how many: as the request was opened.
    if let Some(opened) = opened.filter(|event| event.needed.is_some())
        && (opened.needed != Some(request.needed) || opened.approver_role != request.approver_role)
    {
        return refused(format!(
            "it was opened needing {} approval(s) by {}",
            opened.needed.unwrap_or(1),
            opened.approver_role.as_deref().unwrap_or("any person")
        ));
    }
    // Who approved, as recorded: every approval the row counts, and as
    // many people as it needs.
    let approvers: std::collections::BTreeSet<&str> = own
        .iter()
        .filter(|event| matches!(event.transition, Transition::Voted | Transition::Approved))
        .map(|event| event.by.as_str())
        .collect();
    if let Some(vote) = request.votes.iter().find(|vote| vote.approve && !approvers.contains(vote.by.as_str())) {
        return refused(format!("{}'s approval is not recorded", vote.by));
    }
    if approvers.len() < request.needed as usize {
        return refused(format!("{} of {} approvals are recorded", approvers.len(), request.needed));
    }
    Ok(())
}

/// The transition a change made, for its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Requested,
    /// An approval counted, not yet enough.
    Voted,
    Approved,
    Denied,
    Cancelled,
    Consumed,
    Expired,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Requested => "requested",
            Transition::Voted => "voted",
            Transition::Approved => "approved",
            Transition::Denied => "denied",
            Transition::Cancelled => "cancelled",
            Transition::Consumed => "consumed",
            Transition::Expired => "expired",
        }
    }
}

/// Applies `change` at `now` to `current` (the stored request, `None` for
/// a new one): the request after it, and what happened.
pub fn apply(current: Option<&Request>, change: &Change, now: i64) -> Result<(Request, Transition), Refused> {
    let current = match (current, change) {
        (None, Change::Open(request)) => return Ok(((**request).clone(), Transition::Requested)),
        (Some(current), Change::Open(_)) => {
            return Err(Refused::Final { id: current.id.clone(), state: current.state, what: "opened again" });
        }
        (None, _) => return Err(Refused::Unknown(String::new())),
        (Some(current), _) => current,
    };
    let mut next = current.clone();
    let state = current.state_at(now);
    match change {
        Change::Open(_) => unreachable!("handled above"),
        Change::Expire => {
            if state != State::Expired || current.state.is_final() {
                return Err(Refused::Final { id: current.id.clone(), state, what: "expired" });
            }
            next.state = State::Expired;
            Ok((next, Transition::Expired))
        }
        Change::Cancel { by, .. } => {
            if state != State::Pending && state != State::Approved {
                return Err(Refused::Final { id: current.id.clone(), state, what: "cancelled" });
            }
            // Only who asked (or whom an agent acts for) withdraws a request.
            // Names compare as they do for deciding: without case or blanks.
            let asked = same_person(by, &current.actor.id)
                || current.actor.on_behalf_of.as_deref().is_some_and(|person| same_person(by, person));
            if !asked {
                return Err(Refused::NotRequester { who: by.clone() });
            }
            next.state = State::Cancelled;
            next.cancelled_by = Some(by.clone());
            Ok((next, Transition::Cancelled))
        }
        Change::Consume { digest, policy_version } => {
            if *digest != current.digest || *policy_version != current.policy_version {
                return Err(Refused::OtherAction { id: current.id.clone() });
            }
            if state != State::Approved {
                return Err(Refused::NotApproved { id: current.id.clone(), state });
            }
            next.state = State::Consumed;
            Ok((next, Transition::Consumed))
        }
        Change::Vote { by, approve, reason } => {
            if state != State::Pending {
                let what = if *approve { "approved" } else { "denied" };
                return Err(Refused::Final { id: current.id.clone(), state, what });
            }
            if by.kind != guardrail_core::ActorKind::Human {
                return Err(Refused::NotAPerson { who: by.id.clone() });
            }
            let asked = std::iter::once(current.actor.id.as_str()).chain(current.actor.on_behalf_of.as_deref());
            if asked.into_iter().any(|asker| same_person(asker, &by.id)) {
                return Err(Refused::OwnRequest { who: by.id.clone() });
            }
            if let Some(role) = &current.approver_role
                && !by.roles.iter().any(|held| held == role)
            {
                return Err(Refused::MissingRole { who: by.id.clone(), role: role.clone() });
            }
            if current.votes.iter().any(|vote| same_person(&vote.by, &by.id)) {
                return Err(Refused::AlreadyDecided { who: by.id.clone() });
            }
            if !approve && reason.trim().is_empty() {
                return Err(Refused::NoReason);
            }
            next.votes.push(Vote { by: by.id.clone(), approve: *approve, reason: reason.clone(), at: now });
            if !approve {
                next.state = State::Denied;
                return Ok((next, Transition::Denied));
            }
            if next.approvals() >= current.needed.max(1) as usize {
                next.state = State::Approved;
                next.valid_until = Some(now.saturating_add(current.valid_for));
                return Ok((next, Transition::Approved));
            }
            Ok((next, Transition::Voted))
        }
    }
}

/// Whether two names are one person's, for who may not approve and who
/// has already answered: names are compared without case and surrounding
/// blanks, so that `Alice` is not a second approver beside `alice`, nor
/// `ROOT` another person than `root`.
pub fn same_person(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a == b || a.to_lowercase() == b.to_lowercase()
}

/// A new request id: `apr-` and 16 random hex digits.
pub fn new_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the system's random source");
    format!("apr-{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests;
