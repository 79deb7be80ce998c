//! The console's pages, rendered with maud (which escapes every value it
//! is given: no text from the record can become markup).

use std::collections::HashMap;

use guardrail_audit::approval::{self, Approver, Change, Refused, State, Viewed};
use guardrail_audit::event::Event;
use guardrail_audit::query::Entry;
use guardrail_audit::replay::Replay;
use guardrail_audit::time::rfc3339;
use guardrail_audit::verify::Report;
use guardrail_core::{Policy, Verdict};
use maud::{DOCTYPE, Markup, html};

use super::Person;

/// What every signed-in page shows around its content.
pub struct Chrome {
    user: String,
    roles: Vec<String>,
    csrf: String,
    seen: i64,
}

impl Chrome {
    /// The chrome of a page made for `person` once the record's last id
    /// was `seen`.
    pub fn of(person: &Person, seen: i64) -> Chrome {
        Chrome {
            user: person.user.name.clone(),
            roles: person.user.roles.clone(),
            csrf: person.session.csrf.clone(),
            seen,
        }
    }
}

fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Guardrail" }
                link rel="stylesheet" href="/assets/console.css";
                script src="/assets/console.js" defer {}
            }
            body { (body) }
        }
    }
}

fn page(chrome: &Chrome, current: &str, title: &str, content: Markup) -> Markup {
    let tab = |href: &str, label: &str| {
        let here = href.ends_with(current);
        html! { a href=(href) aria-current=[here.then_some("page")] { (label) } }
    };
    document(
        title,
        html! {
            header.top {
                a.brand href="/console/approvals" { span.mark { "◆" } " Guardrail" }
                nav aria-label="Console" {
                    (tab("/console/approvals", "Approvals"))
                    (tab("/console/activity", "Activity"))
                    (tab("/console/policy", "Policy"))
                    (tab("/console/integrity", "Integrity"))
                }
                div.who {
                    span { (chrome.user) }
                    @for role in &chrome.roles { span.role { (role) } }
                    form method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(chrome.csrf);
                        button.link type="submit" { "Log out" }
                    }
                }
            }
            main #main data-live="true" data-seen=(chrome.seen) {
                h1 { (title) }
                (content)
            }
            div #live-status role="status" aria-live="polite" {}
        },
    )
}

/// A page with one message (errors, refusals).
pub fn message(title: &str, text: &str) -> Markup {
    document(
        title,
        html! {
            main.narrow {
                h1 { (title) }
                p { (text) }
                p { a href="/console/approvals" { "Approvals" } " · " a href="/console/activity" { "Activity" } }
            }
        },
    )
}

pub fn login(problem: Option<&str>) -> Markup {
    document(
        "Log in",
        html! {
            main.login {
                div.card {
                    p.brand { span.mark { "◆" } " Guardrail" }
                    h1 { "Log in" }
                    @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
                    form method="post" action="/login" {
                        label for="name" { "Name" }
                        input #name type="text" name="name" autocomplete="username" required autofocus;
                        label for="password" { "Password" }
                        input #password type="password" name="password" autocomplete="current-password" required;
                        button.primary type="submit" { "Log in" }
                    }
                }
            }
        },
    )
}

fn when(nanos: i64) -> Markup {
    let text = rfc3339(nanos);
    html! { time datetime=(text) { (text.replace('T', " ").trim_end_matches('Z').get(..19).unwrap_or(&text)) } }
}

fn verdict(verdict: Verdict) -> Markup {
    let text = verdict.to_string();
    html! { span class={ "verdict " (text) } { (text.replace('_', " ")) } }
}

fn state(state: State) -> Markup {
    html! { span class={ "state " (state.as_str()) } { (state.as_str()) } }
}

/// Why `approver` cannot decide `request` now, if they cannot.
fn cannot_decide(viewed: &Viewed, approver: &Approver) -> Option<String> {
    if viewed.state_now != State::Pending {
        return Some(format!("This request is {}.", viewed.state_now));
    }
    let vote = Change::Vote { by: approver.clone(), approve: true, reason: "-".into() };
    approval::apply(Some(&viewed.request), &vote, guardrail_audit::now())
        .err()
        .map(|refused: Refused| refused.to_string())
}

pub fn approvals(chrome: &Chrome, all: &[Viewed]) -> Markup {
    let pending: Vec<&Viewed> = all.iter().filter(|viewed| viewed.state_now == State::Pending).collect();
    let decided: Vec<&Viewed> = all.iter().filter(|viewed| viewed.state_now != State::Pending).take(30).collect();
    let content = html! {
        p.lede { "Actions the gate held for a person. Each approval lets exactly one identical action run, once." }
        h2 { "Waiting " span.count { (pending.len()) } }
        @if pending.is_empty() {
            p.empty { "Nothing waits for a decision." }
        } @else {
            (requests_table(&pending, true))
        }
        h2 { "Decided lately" }
        @if decided.is_empty() { p.empty { "None yet." } } @else { (requests_table(&decided, false)) }
    };
    page(chrome, "approvals", "Approvals", content)
}

fn requests_table(rows: &[&Viewed], waiting: bool) -> Markup {
    html! {
        table.requests {
            thead { tr {
                th { "Requested" } th { "Who" } th { "Action" } th { "Rule" } th { "Approver" }
                th { @if waiting { "Waits until" } @else { "State" } }
            } }
            tbody {
                @for viewed in rows {
                    @let request = &viewed.request;
                    tr {
                        td { (when(request.requested_at)) }
                        td { (request.actor.id) @if let Some(on_behalf_of) = &request.actor.on_behalf_of { br; small { "for " (on_behalf_of) } } }
                        td.text { a href={ "/console/approvals/" (request.id) } { code { (clip(&request.text, 140)) } } br; small { (request.channel) " · " (request.target) } }
                        td { code { (request.rule) } }
                        td { (request.approver_role.as_deref().unwrap_or("any person")) @if request.needed > 1 { " × " (request.needed) } }
                        td { @if waiting { (when(request.wait_until)) } @else { (state(viewed.state_now)) } }
                    }
                }
            }
        }
    }
}

fn clip(text: &str, most: usize) -> String {
    let text = guardrail_core::visible(text);
    match text.char_indices().nth(most) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.into_owned(),
    }
}

/// The text with the analyzer's evidence spans marked; spans that do not
/// fall on the text's characters are left out.
fn evidence(text: &str, spans: &[[usize; 2]]) -> Markup {
    let mut spans: Vec<[usize; 2]> = spans
        .iter()
        .copied()
        .filter(|[start, end]| {
            start < end && *end <= text.len() && text.is_char_boundary(*start) && text.is_char_boundary(*end)
        })
        .collect();
    spans.sort();
    let mut pieces = Vec::new();
    let mut at = 0;
    for [start, end] in spans {
        if start < at {
            continue; // overlaps the one before
        }
        pieces.push((false, &text[at..start]));
        pieces.push((true, &text[start..end]));
        at = end;
    }
    pieces.push((false, &text[at..]));
    // Shown as they are: control and bidirectional characters visible.
    let shown = |piece: &str| guardrail_core::visible(piece).into_owned();
    html! { pre.action { code { @for (marked, piece) in pieces { @if marked { mark { (shown(piece)) } } @else { (shown(piece)) } } } } }
}

fn intents_table(event: &guardrail_audit::event::DecisionEvent) -> Markup {
    html! {
        table.intents {
            thead { tr { th { "Intent" } th { "Object" } th { "Scope" } th { "Verdict" } th { "Rule" } } }
            tbody {
                @for intent in &event.intents {
                    tr {
                        td { code { (intent.id) } }
                        td { (intent.object.as_deref().unwrap_or("")) }
                        td { (intent.scope) }
                        td { (verdict(intent.verdict)) }
                        td { code { (intent.rule) } }
                    }
                }
            }
        }
    }
}

pub fn approval(
    chrome: &Chrome,
    viewed: &Viewed,
    held: Option<&Entry>,
    recent: &std::collections::VecDeque<Entry>,
    approver: &Approver,
) -> Markup {
    let request = &viewed.request;
    let decision = held.and_then(|entry| match &entry.event {
        Event::Decision(decision) => Some(decision.as_ref()),
        _ => None,
    });
    let spans: Vec<[usize; 2]> =
        decision.map(|decision| decision.intents.iter().map(|intent| intent.span).collect()).unwrap_or_default();
    let content = html! {
        div.facts {
            div { span.label { "State" } (state(viewed.state_now)) }
            div { span.label { "Requested by" } (request.actor.id) " (" (request.actor.kind) ")" @if let Some(on_behalf_of) = &request.actor.on_behalf_of { " for " (on_behalf_of) } }
            div { span.label { "Through" } (request.channel) " on " (request.target) @if !request.environment.is_empty() { " (" (request.environment) ")" } }
            @if let Some(cwd) = &request.cwd { div { span.label { "In directory" } code { (cwd) } } }
            @if !request.roles.is_empty() { div { span.label { "With roles" } (request.roles.join(", ")) } }
            div { span.label { "Requested" } (when(request.requested_at)) }
            div { span.label { "Waits until" } (when(request.wait_until)) }
            div { span.label { "Needs" } (request.needed) " approval" @if request.needed > 1 { "s" } " by " (request.approver_role.as_deref().unwrap_or("any person")) }
        }
        h2 { "The exact action" }
        (evidence(&request.text, &spans))
        p.note { "Only these bytes, judged under policy " code { (request.policy_version) } ", are approved: any other text is another action." }
        h2 { "Why it was held" }
        p { "Rule " code { (request.rule) } ": " (request.reason) }
        @if let Some(decision) = decision {
            (intents_table(decision))
            p { a href={ "/console/records/" (request.node) "/" (request.decision_seq) } { "The held decision's record" } }
        }
        @if !request.votes.is_empty() {
            h2 { "Answers" }
            ul.votes {
                @for vote in &request.votes {
                    li { strong { (vote.by) } " " @if vote.approve { span.verdict.allow { "approved" } } @else { span.verdict.deny { "denied" } } " " (when(vote.at)) ": " (vote.reason) }
                }
            }
        }
        @if let Some(by) = &request.consumed_by { p { "Used by the decision " (by) "." } }
        h2 { "Decide" }
        @match cannot_decide(viewed, approver) {
            Some(why) => p.cannot { (why) },
            None => form.decide method="post" action={ "/console/approvals/" (request.id) "/decide" } {
                input type="hidden" name="csrf" value=(chrome.csrf);
                label for="reason" { "Reason " small { "(recorded with your answer; needed to deny)" } }
                textarea #reason name="reason" rows="2" placeholder="e.g. INC-4521: approved in the incident channel" {}
                div.buttons {
                    button.approve type="submit" name="verdict" value="approve" { "Approve once" }
                    button.deny type="submit" name="verdict" value="deny" { "Deny" }
                }
            },
        }
        h2 { "What " (request.actor.id) " did lately" }
        (entries_table(recent.iter().rev()))
    };
    page(chrome, "approvals", &format!("Approval {}", request.id), content)
}

/// One line's summary of an entry: its text, or what it says.
fn summary(entry: &Entry) -> String {
    match &entry.event {
        Event::Outcome(outcome) => format!("outcome of #{}: {:?}", outcome.decision, outcome.status).to_lowercase(),
        Event::Approval(approval) => format!("{} {} by {}", approval.id, approval.transition.as_str(), approval.by),
        Event::Session(session) => format!("session {:?}", session.phase).to_lowercase(),
        Event::Unreadable(unreadable) => format!("a {} record that does not read", unreadable.stored_kind),
        Event::Identity(identity) => {
            format!("{} {} {} by {}", identity.credential, identity.actor.id, identity.change.as_str(), identity.by)
        }
        Event::Key(_) => "signing key".to_owned(),
        other => other.text().map(|text| text.preview().to_owned()).unwrap_or_default(),
    }
}

fn entries_table<'a>(entries: impl Iterator<Item = &'a Entry>) -> Markup {
    html! {
        table.activity {
            thead { tr { th { "Time" } th { "Record" } th { "Kind" } th { "Who" } th { "Channel" } th { "Verdict" } th { "What" } } }
            tbody {
                @for entry in entries {
                    @let record = &entry.record;
                    tr {
                        td { (when(record.time)) }
                        td { a href={ "/console/records/" (record.node) "/" (record.seq) } { (record.node) "#" (record.seq) } }
                        td { (record.kind) }
                        td { (entry.event.actor().map(|actor| actor.id.as_str()).unwrap_or("")) }
                        td { (entry.event.channel().unwrap_or("")) }
                        td {
                            @if let Event::Decision(decision) = &entry.event {
                                (verdict(decision.verdict))
                                @if let Some(shadow) = decision.shadow.as_ref().filter(|shadow| shadow.verdict != decision.verdict) {
                                    br; small.shadow title={ "shadow policy " (shadow.policy_version) ": rule " (shadow.rule) } { "shadow: " (shadow.verdict.to_string().replace('_', " ")) }
                                }
                            }
                        }
                        td.text { code { (clip(&summary(entry), 160)) } }
                    }
                }
            }
        }
    }
}

pub fn activity(
    chrome: &Chrome,
    params: &HashMap<String, String>,
    entries: &std::collections::VecDeque<Entry>,
    total: usize,
) -> Markup {
    let value = |name: &str| params.get(name).cloned().unwrap_or_default();
    let verdicts = ["", "allow", "require_justification", "require_approval", "deny"];
    let content = html! {
        form.filters method="get" action="/console/activity" {
            label { "Actor" input type="text" name="actor" value=(value("actor")); }
            label { "Verdict" select name="verdict" {
                @for option in verdicts { option value=(option) selected[value("verdict") == option] { @if option.is_empty() { "any" } @else { (option.replace('_', " ")) } } }
            } }
            label { "Intent" input type="text" name="intent" placeholder="data.delete or data" value=(value("intent")); }
            label { "Channel" input type="text" name="channel" placeholder="hook, pgproxy" value=(value("channel")); }
            label { "Kind" input type="text" name="kind" placeholder="decision" value=(value("kind")); }
            label { "Session" input type="text" name="session" value=(value("session")); }
            label.wide { "Text" input type="search" name="text" value=(value("text")); }
            button.primary type="submit" { "Filter" }
        }
        p.tally { "The latest " (entries.len()) " of " (total) " records" @if total > 0 { ", newest first" } "." }
        (entries_table(entries.iter().rev()))
    };
    page(chrome, "activity", "Activity", content)
}

pub fn record(chrome: &Chrome, entry: &Entry, outcomes: &[Entry], around: &[Entry]) -> Markup {
    let record = &entry.record;
    let content = html! {
        div.facts {
            div { span.label { "Kind" } (record.kind) }
            div { span.label { "Time" } (when(record.time)) }
            @if let Some(actor) = entry.event.actor() { div { span.label { "Who" } (actor.id) " (" (actor.kind) ")" } }
            @if let Some(channel) = entry.event.channel() { div { span.label { "Channel" } (channel) } }
            @if let Some(session) = entry.event.session() { div { span.label { "Session" } a href={ "/console/activity?session=" (session) } { (session) } } }
            div { span.label { "Hash" } code.hash { (record.hash.to_hex()) } }
        }
        @match &entry.event {
            Event::Decision(decision) => {
                h2 { "Action" }
                (evidence(decision.text.preview(), &decision.intents.iter().map(|intent| intent.span).collect::<Vec<_>>()))
                p { (verdict(decision.verdict)) " by rule " code { (decision.rule) } ": " (decision.reason) }
                @if let Some(justification) = &decision.justification { p { "Justification: " (justification) } }
                @if let Some(shadow) = &decision.shadow {
                    p.shadow { "Shadow policy " code { (shadow.policy_version) } " would have said " (verdict(shadow.verdict)) " by rule " code { (shadow.rule) } ": " (shadow.reason) " (not enforced)." }
                }
                @if let Some(approval) = &decision.approval { p { "Run on approval " a href={ "/console/approvals/" (approval) } { (approval) } "." } }
                h2 { "Intents" }
                (intents_table(decision))
                h2 { "Outcome" }
                @if outcomes.is_empty() { p.empty { "No outcome recorded (yet)." } } @else { (entries_table(outcomes.iter())) }
            }
            other => {
                @if let Some(text) = other.text() { pre.action { code { (text.preview()) } } }
                @else { p { (summary(entry)) } }
            }
        }
        @if !around.is_empty() {
            h2 { "The session around it" }
            (entries_table(around.iter().rev()))
        }
    };
    page(chrome, "activity", &format!("Record {}#{}", record.node, record.seq), content)
}

/// The shadow policy's version, and of the latest decisions it was
/// evaluated on: (how many, how many it would have decided otherwise).
pub struct ShadowSummary {
    pub version: String,
    pub evaluated: usize,
    pub differ: usize,
}

pub fn policy(
    chrome: &Chrome,
    enforced: &Policy,
    shadow: Option<&ShadowSummary>,
    draft: Option<&str>,
    replay: Option<&Result<Replay, String>>,
    last: usize,
) -> Markup {
    let source: String = enforced.sources().iter().map(|source| source.text.as_str()).collect::<Vec<_>>().join("\n");
    let content = html! {
        p.lede { "The policy in force is version " code { (enforced.version()) } ", with " (enforced.rule_ids().count()) " rules." }
        h2 { "Rules in force" }
        ul.rules { @for rule in enforced.rule_ids() { li { code { (rule) } } } }
        details {
            summary { "Its source" }
            pre.source { code { (source) } }
        }
        h2 { "Shadow mode" }
        @match shadow {
            Some(shadow) => p #shadow {
                "Shadow policy " code { (shadow.version) } " runs beside the enforced one on every decision this daemon makes, recorded, not enforced: "
                "of the last " (shadow.evaluated) " decisions it saw, it would have decided " strong { (shadow.differ) } " otherwise. "
                a href="/console/activity?kind=decision" { "See them in the activity" } "."
            },
            None => p.note { "No shadow policy runs. Start the daemon with " code { "--shadow-policy PATH" } " to evaluate a draft on live traffic, recorded beside each decision and never enforced." },
        }
        h2 { "Replay a draft" }
        p { "Judge the last recorded decisions again with a draft policy, from the intents the analyzer found then, and see every decision that would change. Nothing is enforced or recorded." }
        form.replay method="post" action="/console/policy/replay" {
            input type="hidden" name="csrf" value=(chrome.csrf);
            label for="draft" { "Draft policy (Cedar)" }
            textarea #draft name="draft" rows="14" spellcheck="false" { (draft.unwrap_or(&source)) }
            label { "Replay the last " input type="number" name="last" min="1" max="50000" value=(last); " decisions" }
            button.primary type="submit" { "Replay" }
        }
        @match replay {
            None => {},
            Some(Err(problem)) => { h2 { "The draft does not load" } pre.problem { (problem) } },
            Some(Ok(replay)) => {
                h2 #replayed { (replay.changed.len()) " of " (replay.replayed) " decisions would change" }
                p.note { "The record does not keep actors' roles: rules that test them are judged as if the actor held none." }
                @if !replay.changed.is_empty() {
                    table.replay {
                        thead { tr { th { "Record" } th { "Who" } th { "Action" } th { "Was" } th { "Would be" } } }
                        tbody {
                            @for changed in &replay.changed {
                                tr {
                                    td { a href={ "/console/records/" (changed.node) "/" (changed.seq) } { (changed.node) "#" (changed.seq) } br; small { (when(changed.time)) } }
                                    td { (changed.actor) br; small { (changed.channel) } }
                                    td.text { code { (clip(&changed.text, 160)) } }
                                    td { (verdict(changed.was)) br; small { code { (changed.was_rule) } } }
                                    td { (verdict(changed.would)) br; small { code { (changed.would_rule) } ": " (changed.would_reason) } }
                                }
                            }
                        }
                    }
                }
            },
        }
    };
    page(chrome, "policy", "Policy", content)
}

pub fn integrity(chrome: &Chrome, report: &Report, last: &[Option<guardrail_audit::signing::Checkpoint>]) -> Markup {
    let content = html! {
        @if report.is_ok() {
            p.ok role="status" { "✓ Every chain verifies: no record was changed, removed, inserted or reordered, and every checkpoint's signature holds." }
        } @else {
            p.bad role="alert" { "✗ " (report.problems.len()) " problem" @if report.problems.len() != 1 { "s" } " found." }
            table.problems {
                thead { tr { th { "Node" } th { "From record" } th { "Problem" } th { "" } } }
                tbody { @for problem in &report.problems { tr { td { (problem.node) } td { (problem.seq) } td { (format!("{:?}", problem.kind)) } td { (problem.message) } } } }
            }
        }
        h2 { "Nodes" }
        table.nodes {
            thead { tr { th { "Node" } th { "Records" } th { "Checkpoints" } th { "Last checkpoint" } th { "Signed by" } th { "Key trusted" } } }
            tbody {
                @for (node, checkpoint) in report.nodes.iter().zip(last) {
                    tr {
                        td { (node.node) }
                        td { (node.records) }
                        td { (node.checkpoints) }
                        td { @if let Some(checkpoint) = checkpoint { "#" (checkpoint.seq) " at " (when(checkpoint.time)) } @else { "none" } }
                        td { @for signer in &node.signers { code.hash { (signer) } " " } }
                        td { @if node.anchored { "yes: this node's key, or one given" } @else { "no: keys taken from the checkpoints themselves" } }
                    }
                }
            }
        }
        p.note { "The same check as " code { "guardrail audit verify" } ", run now." }
    };
    page(chrome, "integrity", "Integrity", content)
}
