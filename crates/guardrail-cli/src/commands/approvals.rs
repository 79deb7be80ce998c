//! `guardrail approvals`: the actions held for a person's approval, and a
//! person's answer from the terminal.

use std::io::Write;

use guardrail_audit::approval::{self, Approver, State};
use guardrail_audit::{ApprovalError, Gate};
use guardrail_core::ActorKind;

use crate::Failure;
use crate::cli::{ApprovalsCommand, StoreArgs, exit};

pub fn run(command: ApprovalsCommand) -> Result<i32, Failure> {
    match command {
        ApprovalsCommand::List { state, limit, json, store } => list(state.as_deref(), limit, json, &store),
        ApprovalsCommand::Show { id, json, store } => show(&id, json, &store),
        ApprovalsCommand::Approve { id, reason, store } => decide(&id, true, &reason, &store),
        ApprovalsCommand::Deny { id, reason, store } => decide(&id, false, &reason, &store),
        ApprovalsCommand::Cancel { id, actor, reason, store } => cancel(&id, actor, &reason, &store),
    }
}

fn cancel(id: &str, actor: Option<String>, reason: &str, store: &StoreArgs) -> Result<i32, Failure> {
    let by = match actor.filter(|actor| !actor.trim().is_empty()) {
        Some(actor) => actor,
        None => local_person()?,
    };
    let gate = Gate::new(
        guardrail_core::Guard::new(guardrail_core::Policy::default_policy()),
        Some(crate::store::recorder(store, None)?),
    );
    let ticket = gate.cancel_approval(id, &by, reason).map_err(|error| Failure::Io(error.to_string()))?;
    match ticket.wait() {
        Ok(changed) => {
            println!("{} cancelled by {by}", changed.request.id);
            Ok(exit::ALLOW)
        }
        Err(ApprovalError::Refused(refused)) => Err(Failure::Usage(refused.to_string())),
        Err(ApprovalError::Record(error)) => Err(Failure::Io(error.to_string())),
    }
}

fn list(state: Option<&str>, limit: usize, json: bool, store: &StoreArgs) -> Result<i32, Failure> {
    let state = state
        .map(|text| {
            State::parse(text).ok_or_else(|| {
                Failure::Usage(format!(
                    "unknown state {text:?}; one of pending, approved, denied, expired, cancelled, consumed"
                ))
            })
        })
        .transpose()?;
    let mut store = crate::store::open(store)?;
    let requests = store.approvals().map_err(|error| Failure::Io(error.to_string()))?;
    let listed = approval::as_of(requests, state, limit, guardrail_audit::now());
    let mut out = std::io::stdout().lock();
    for viewed in &listed {
        let request = &viewed.request;
        let line = if json {
            serde_json::to_string(viewed).expect("requests serialize")
        } else {
            format!(
                "{}  {:<9}  {} ({})  {} on {}{}: {}",
                request.id,
                viewed.state_now.as_str(),
                request.actor.id,
                request.actor.kind.as_str(),
                request.rule,
                request.target,
                request.cwd.as_deref().map(|cwd| format!(" in {cwd}")).unwrap_or_default(),
                one_line(&request.text)
            )
        };
        let line = if json { line.into() } else { crate::render::terminal_safe(&line) };
        writeln!(out, "{line}").map_err(Failure::io("standard output"))?;
    }
    if listed.is_empty() && !json {
        writeln!(out, "no approval requests{}", state.map(|state| format!(" {state}")).unwrap_or_default())
            .map_err(Failure::io("standard output"))?;
    }
    Ok(exit::ALLOW)
}

fn show(id: &str, json: bool, store: &StoreArgs) -> Result<i32, Failure> {
    let mut store = crate::store::open(store)?;
    let request = store
        .approval(id)
        .map_err(|error| Failure::Io(error.to_string()))?
        .ok_or_else(|| Failure::Usage(format!("there is no approval request {id}")))?;
    let viewed = approval::Viewed::of(request, guardrail_audit::now());
    let text = if json {
        serde_json::to_string_pretty(&viewed).expect("requests serialize") + "\n"
    } else {
        crate::render::terminal_safe(&describe(&viewed)).into_owned()
    };
    std::io::stdout().write_all(text.as_bytes()).map_err(Failure::io("standard output"))?;
    Ok(exit::ALLOW)
}

fn decide(id: &str, approve: bool, reason: &str, store: &StoreArgs) -> Result<i32, Failure> {
    // The person sees what they decide on before they confirm it.
    let request = crate::store::open(store)?
        .approval(id)
        .map_err(|error| Failure::Io(error.to_string()))?
        .ok_or_else(|| Failure::Usage(format!("there is no approval request {id}")))?;
    let shown = describe(&approval::Viewed::of(request, guardrail_audit::now()));
    confirm_at_terminal(id, approve, &crate::render::terminal_safe(&shown))?;
    let by = Approver { id: local_person()?, kind: ActorKind::Human, roles: Vec::new() };
    let recorder = crate::store::recorder(store, None)?;
    let gate = Gate::new(guardrail_core::Guard::new(guardrail_core::Policy::default_policy()), Some(recorder));
    let ticket = gate.decide_approval(id, by, approve, reason).map_err(|error| Failure::Io(error.to_string()))?;
    let changed = match ticket.wait() {
        Ok(changed) => changed,
        Err(ApprovalError::Refused(refused)) => return Err(Failure::Usage(refused.to_string())),
        Err(ApprovalError::Record(error)) => return Err(Failure::Io(error.to_string())),
    };
    let request = &changed.request;
    let mut out = std::io::stdout().lock();
    let receipt = changed.receipt.as_ref().map(|receipt| format!(" (recorded: {}#{})", receipt.node, receipt.seq));
    let said = match request.state {
        State::Approved => format!(
            "{} approved{}: the identical action may now run once, until {}",
            request.id,
            receipt.unwrap_or_default(),
            request.valid_until.map(guardrail_audit::time::rfc3339).unwrap_or_default()
        ),
        State::Denied => format!("{} denied{}", request.id, receipt.unwrap_or_default()),
        _ => format!(
            "{}: your approval counts{}; {} of {} given",
            request.id,
            receipt.unwrap_or_default(),
            request.votes.iter().filter(|vote| vote.approve).count(),
            request.needed
        ),
    };
    writeln!(out, "{said}").map_err(Failure::io("standard output"))?;
    Ok(exit::ALLOW)
}

/// A decision from the terminal is a person's: standard input must be a
/// terminal, and the person types the request's last four characters
/// there. Agents run commands without a terminal, or cannot answer a
/// prompt they did not expect; a decision made by a script belongs in the
/// API, with an identity of its own.
fn confirm_at_terminal(id: &str, approve: bool, shown: &str) -> Result<(), Failure> {
    use std::io::{BufRead, IsTerminal};
    let refused = || {
        Failure::Usage(
            "a person decides at a terminal, and standard input is not one; decide in the console or \
             through the API (guardrail serve), whose identities agents do not hold"
                .into(),
        )
    };
    if !std::io::stdin().is_terminal() {
        return Err(refused());
    }
    eprint!("{shown}");
    let tail: String = id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let verb = if approve { "approve" } else { "deny" };
    eprint!("To {verb} {id}, type its last four characters ({tail}): ");
    let mut typed = String::new();
    std::io::stdin().lock().read_line(&mut typed).map_err(Failure::io("the terminal"))?;
    if typed.trim() != tail {
        return Err(Failure::Usage(format!("not confirmed: nothing was {verb}d")));
    }
    Ok(())
}

/// The person at this terminal: the operating-system user running the
/// command (not an environment variable, which anyone can set).
pub(crate) fn local_person() -> Result<String, Failure> {
    // SAFETY: getuid has no preconditions; getpwuid_r writes only into the
    // buffers given, and the name is read before they go out of scope.
    unsafe {
        let uid = libc::getuid();
        let mut entry: libc::passwd = std::mem::zeroed();
        let mut buffer = vec![0 as libc::c_char; 4096];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let status = libc::getpwuid_r(uid, &mut entry, buffer.as_mut_ptr(), buffer.len(), &mut found);
        if status == 0 && !found.is_null() && !entry.pw_name.is_null() {
            let name = std::ffi::CStr::from_ptr(entry.pw_name).to_string_lossy().into_owned();
            if !name.is_empty() {
                return Ok(name);
            }
        }
        Ok(format!("uid-{uid}"))
    }
}

fn describe(viewed: &approval::Viewed) -> String {
    use guardrail_audit::time::rfc3339;
    let request = &viewed.request;
    let mut text = format!("approval request {}: {}\n", request.id, viewed.state_now.as_str());
    let on_behalf =
        request.actor.on_behalf_of.as_deref().map(|person| format!(" on behalf of {person}")).unwrap_or_default();
    text.push_str(&format!(
        "requested by {} ({}){on_behalf} via {}, {}\n",
        request.actor.id,
        request.actor.kind.as_str(),
        request.channel,
        rfc3339(request.requested_at)
    ));
    let environment =
        if request.environment.is_empty() { String::new() } else { format!(" ({})", request.environment) };
    let cwd = request.cwd.as_deref().map(|cwd| format!(", in {cwd}")).unwrap_or_default();
    let roles =
        if request.roles.is_empty() { String::new() } else { format!(", with roles {}", request.roles.join(", ")) };
    text.push_str(&format!("{} on {}{environment}{cwd}{roles}:\n", request.kind, request.target));
    for line in request.text.lines() {
        text.push_str(&format!("    {line}\n"));
    }
    text.push_str(&format!("held by rule {}: {}\n", request.rule, request.reason));
    let who = request
        .approver_role
        .as_deref()
        .map_or_else(|| "any person".to_owned(), |role| format!("a person with role {role}"));
    text.push_str(&format!(
        "needs {} approval(s) by {who}, not the requester or whom they act for; waits until {}\n",
        request.needed,
        rfc3339(request.wait_until)
    ));
    for vote in &request.votes {
        let verb = if vote.approve { "approved" } else { "denied" };
        let reason = if vote.reason.is_empty() { String::new() } else { format!(": {}", vote.reason) };
        text.push_str(&format!("{verb} by {} at {}{reason}\n", vote.by, rfc3339(vote.at)));
    }
    if let Some(until) = request.valid_until {
        text.push_str(&format!("usable once until {}\n", rfc3339(until)));
    }
    if let Some(seq) = request.consumed_by {
        text.push_str(&format!("used by record {}#{seq}\n", request.node));
    }
    text.push_str(&format!(
        "bound to digest {} under policy {}; held decision {}#{}\n",
        request.digest, request.policy_version, request.node, request.decision_seq
    ));
    text
}

fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 100 { line.chars().take(99).collect::<String>() + "…" } else { line }
}
