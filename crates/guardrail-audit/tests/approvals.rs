//! Approvals end to end through the gate and the embedded store: a held
//! action opens a request; a person approves it; the identical action then
//! runs once; every change is in the record; two gates sharing the store
//! cannot both use one approval.

use std::sync::Arc;
use std::time::Duration;

use guardrail_audit::approval::{Approver, State, Transition};
use guardrail_audit::query::Entry as Read;
use guardrail_audit::{ApprovalError, Event, Gate, Location, Recorder, RecorderConfig};
use guardrail_core::{Action, ActionKind, Actor, ActorKind, Guard, Policy, Verdict};

const GRANT: &str = "GRANT ALL ON accounts TO bob";

fn gate(dir: &std::path::Path, node: &str) -> Gate {
    gate_on(Location::in_data_dir(dir), dir, node)
}

/// A gate recording to `location` as `node`, its key in `dir`.
fn gate_on(location: Location, dir: &std::path::Path, node: &str) -> Gate {
    let recorder = Recorder::open(RecorderConfig::new(location, node.into(), dir.join(node))).unwrap();
    let guard =
        Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::new(guardrail_sql::SqlAnalyzer));
    Gate::new(guard, Some(recorder))
}

fn agent_action(text: &str) -> Action {
    let mut actor = Actor::new("agent-7", ActorKind::Agent);
    actor.on_behalf_of = Some("alice".into());
    Action::sql(text).with_actor(actor)
}

fn person(id: &str) -> Approver {
    Approver { id: id.into(), kind: ActorKind::Human, roles: Vec::new() }
}

/// Holds `action`, opens its request, and returns the request's id.
fn hold(gate: &Gate, action: &Action) -> String {
    let checked = gate.check(action).unwrap();
    assert_eq!(checked.decision.verdict, Verdict::RequireApproval, "{}", action.text);
    assert!(checked.permit.is_none());
    let changed = gate.request_approval(action, &checked).unwrap().wait().unwrap();
    assert_eq!(changed.request.state, State::Pending);
    changed.request.id
}

fn refused(result: Result<guardrail_audit::ApprovalChanged, ApprovalError>) -> String {
    match result {
        Err(ApprovalError::Refused(refused)) => refused.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_person_approves_one_held_action_and_it_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let gate = gate(dir.path(), "n1");
    let action = agent_action(GRANT);
    let id = hold(&gate, &action);

    // The identical action asked again waits on the same request.
    let again = gate.check(&action).unwrap();
    let same = gate.request_approval(&action, &again).unwrap().wait().unwrap();
    assert_eq!((same.request.id.as_str(), same.transition), (id.as_str(), None));

    // Who may not decide: the agent, the person it acts for, an agent.
    for (by, words) in [
        (person("agent-7"), "cannot decide"),
        (person("alice"), "cannot decide"),
        (Approver { id: "agent-9".into(), kind: ActorKind::Agent, roles: Vec::new() }, "only a person"),
    ] {
        let words_found = refused(gate.decide_approval(&id, by, true, "").unwrap().wait());
        assert!(words_found.contains(words), "{words_found}");
    }
    // Nothing runs before approval.
    assert_eq!(gate.check(&action).unwrap().decision.verdict, Verdict::RequireApproval);

    let approved = gate.decide_approval(&id, person("bob"), true, "INC-42").unwrap().wait().unwrap();
    assert_eq!((approved.request.state, approved.transition), (State::Approved, Some(Transition::Approved)));

    // Other bytes are another action: still held.
    let other = agent_action("GRANT ALL ON accounts TO bob ");
    assert_eq!(gate.check(&other).unwrap().decision.verdict, Verdict::RequireApproval);
    // Another actor's identical text too.
    let mut someone = action.clone();
    someone.actor = Actor::new("agent-8", ActorKind::Agent);
    assert_eq!(gate.check(&someone).unwrap().decision.verdict, Verdict::RequireApproval);

    // The identical action runs, once, with a permit; its record names the approval.
    let ran = gate.check(&action).unwrap();
    assert_eq!(ran.decision.verdict, Verdict::Allow);
    assert!(ran.decision.reason.contains("approved by bob (INC-42)"), "{}", ran.decision.reason);
    let receipt = ran.receipt.clone().unwrap();
    assert!(ran.permit.is_some());
    let mut store = Location::in_data_dir(dir.path()).open().unwrap();
    let record = store.record("n1", receipt.seq).unwrap().unwrap();
    match Read::decode(record).unwrap().event {
        Event::Decision(decision) => assert_eq!(decision.approval.as_deref(), Some(id.as_str())),
        other => panic!("not a decision: {other:?}"),
    }
    let stored = store.approval(&id).unwrap().unwrap();
    assert_eq!((stored.state, stored.consumed_by), (State::Consumed, Some(receipt.seq)));

    // Used up: the next identical action is held again.
    assert_eq!(gate.check(&action).unwrap().decision.verdict, Verdict::RequireApproval);
    assert!(refused(gate.decide_approval(&id, person("carol"), true, "").unwrap().wait()).contains("is consumed"));

    // Every change is a record: requested, approved (and the run decision).
    let transitions: Vec<Transition> = store
        .chain("n1", 0, 1000)
        .unwrap()
        .into_iter()
        .filter_map(|record| match Read::decode(record).ok()?.event {
            Event::Approval(event) => Some(event.transition),
            _ => None,
        })
        .collect();
    assert_eq!(transitions, [Transition::Requested, Transition::Approved]);
}

#[test]
fn one_denial_ends_a_request_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let gate = gate(dir.path(), "n1");
    let action = agent_action(GRANT);
    let id = hold(&gate, &action);
    assert!(refused(gate.decide_approval(&id, person("bob"), false, " ").unwrap().wait()).contains("reason"));
    let denied = gate.decide_approval(&id, person("bob"), false, "not during the freeze").unwrap().wait().unwrap();
    assert_eq!(denied.request.state, State::Denied);
    assert!(refused(gate.decide_approval(&id, person("carol"), true, "").unwrap().wait()).contains("is denied"));
    assert_eq!(gate.check(&action).unwrap().decision.verdict, Verdict::RequireApproval);
    // The denial stands while its request would have waited: asking again
    // finds it, says why, and opens nothing (no new entry in the inbox).
    let checked = gate.check(&action).unwrap();
    let again = gate.request_approval(&action, &checked).unwrap().wait().unwrap();
    assert_eq!((again.request.id.as_str(), again.transition), (id.as_str(), None));
    let ended = again.request.ended(guardrail_audit::now()).unwrap();
    assert_eq!(ended, "denied by bob: not during the freeze");

    // Past that, the same action may be asked for again.
    let brief = gate.clone().with_approval_clocks(Duration::from_millis(300), Duration::from_secs(60));
    let action = agent_action("GRANT ALL ON ledger TO bob");
    let first = hold(&brief, &action);
    brief.decide_approval(&first, person("bob"), false, "no").unwrap().wait().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let checked = brief.check(&action).unwrap();
    let reopened = brief.request_approval(&action, &checked).unwrap().wait().unwrap();
    assert_ne!(reopened.request.id, first);
    assert_eq!(reopened.request.state, State::Pending);
}

/// Two gates (two recorders, two nodes) on one store race to run the same
/// approved action: exactly one runs it. On the embedded store and on a
/// PostgreSQL store shared by both.
#[test]
fn two_gates_racing_for_one_approval_run_it_once() {
    let dir = tempfile::tempdir().unwrap();
    race(Location::in_data_dir(dir.path()), dir.path());
    let database = guardrail_testdb::TestDatabase::new("approvals_race");
    let keys = tempfile::tempdir().unwrap();
    race(Location::parse(database.url()).unwrap(), keys.path());
}

fn race(location: Location, dir: &std::path::Path) {
    let first = gate_on(location.clone(), dir, "n1");
    let second = gate_on(location, dir, "n2");
    for round in 0..5 {
        let action = agent_action(&format!("GRANT ALL ON accounts_{round} TO bob"));
        let id = hold(&first, &action);
        // Approved through the other gate: the store is what they share.
        second.decide_approval(&id, person("bob"), true, "").unwrap().wait().unwrap();
        let barrier = std::sync::Barrier::new(2);
        let verdicts: Vec<Verdict> = std::thread::scope(|scope| {
            let runs: Vec<_> = [&first, &second]
                .into_iter()
                .map(|gate| {
                    let (barrier, action) = (&barrier, &action);
                    scope.spawn(move || {
                        barrier.wait();
                        gate.check(action).unwrap().decision.verdict
                    })
                })
                .collect();
            runs.into_iter().map(|run| run.join().unwrap()).collect()
        });
        let allowed = verdicts.iter().filter(|verdict| **verdict == Verdict::Allow).count();
        assert_eq!(allowed, 1, "round {round}: {verdicts:?}");
    }
}

/// The two clocks: a request waits so long for a decision, an approval is
/// usable so long once given; past either, it has expired, and the record
/// says so (the gate's doing) the next time anyone touches it.
#[test]
fn requests_and_approvals_expire_and_the_record_says_when() {
    let dir = tempfile::tempdir().unwrap();
    let short = std::time::Duration::from_millis(300);
    let witness = guardrail_audit::anchor::AnchorSpec::File(dir.path().join("elsewhere.jsonl"));
    let mut config = RecorderConfig::new(Location::in_data_dir(dir.path()), "n1".into(), dir.path().join("n1"));
    config.anchors = vec![witness.clone()];
    let guard =
        Guard::new(Policy::default_policy()).with_analyzer(ActionKind::Sql, Arc::new(guardrail_sql::SqlAnalyzer));
    let gate = Gate::new(guard, Some(Recorder::open(config).unwrap())).with_approval_clocks(short, short);
    let action = agent_action(GRANT);
    let mut store = Location::in_data_dir(dir.path()).open().unwrap();

    // Nobody decided in time.
    let id = hold(&gate, &action);
    std::thread::sleep(short + std::time::Duration::from_millis(100));
    assert!(refused(gate.decide_approval(&id, person("bob"), true, "").unwrap().wait()).contains("is expired"));
    // The expiry the refused vote wrote is sealed and witnessed outside
    // the store like any record: no window where it is not.
    let head = store.head("n1").unwrap().unwrap().seq;
    let witnessed = witness.open().unwrap().read().unwrap();
    assert_eq!(witnessed.last().map(|checkpoint| checkpoint.seq), Some(head));
    // The identical action then opens a new request.
    let checked = gate.check(&action).unwrap();
    let fresh = gate.request_approval(&action, &checked).unwrap().wait().unwrap();
    assert_ne!(fresh.request.id, id);

    // Approved, but not used in time.
    gate.decide_approval(&fresh.request.id, person("bob"), true, "").unwrap().wait().unwrap();
    std::thread::sleep(short + std::time::Duration::from_millis(100));
    assert_eq!(gate.check(&action).unwrap().decision.verdict, Verdict::RequireApproval);

    for expired in [&id, &fresh.request.id] {
        assert_eq!(store.approval(expired).unwrap().unwrap().state, State::Expired, "{expired}");
    }
    let expiries: Vec<(String, String)> = store
        .chain("n1", 0, 1000)
        .unwrap()
        .into_iter()
        .filter_map(|record| match Read::decode(record).ok()?.event {
            Event::Approval(event) if event.transition == Transition::Expired => Some((event.id, event.by)),
            _ => None,
        })
        .collect();
    assert_eq!(expiries, [(id, "gate".to_owned()), (fresh.request.id, "gate".to_owned())]);
}

/// A reason given with a decision is masked before it is stored anywhere.
#[test]
fn reasons_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let gate = gate(dir.path(), "n1");
    let id = hold(&gate, &agent_action(GRANT));
    let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    gate.decide_approval(&id, person("bob"), false, &format!("use token {secret} instead")).unwrap().wait().unwrap();
    drop(gate);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(secret.len()).any(|window| window == secret.as_bytes()), "{path:?}");
        }
    }
}

/// The approvals table is the gate's working copy of what the signed record
/// says: a row rewritten outside the gate (an approval nobody gave, or a
/// used one made usable again) does not let the action run, on either store.
#[test]
fn a_forged_approval_row_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(Location::SQLITE_FILE);
    forged(Location::in_data_dir(dir.path()), dir.path(), &mut |sql: &str| {
        rusqlite::Connection::open(&path).unwrap().execute_batch(&sql.replace("{table}", "approvals")).unwrap();
    });
    let database = guardrail_testdb::TestDatabase::new("approvals_forged");
    let keys = tempfile::tempdir().unwrap();
    let url = database.url().to_owned();
    forged(Location::parse(&url).unwrap(), keys.path(), &mut |sql: &str| {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client.batch_execute(&sql.replace("{table}", "guardrail_approvals")).unwrap();
    });
}

/// Rewrites request `id`'s row as approved by `by` (`{table}` in the SQL
/// is the store's approvals table).
fn forge(execute: &mut dyn FnMut(&str), gate: &Gate, id: &str, by: &str) {
    let location = gate.recorder().unwrap().location().clone();
    let mut request = location.open_read_only().unwrap().approval(id).unwrap().unwrap();
    let now = guardrail_audit::now();
    request.state = State::Approved;
    request.valid_until = Some(now + 600_000_000_000);
    request.consumed_by = None;
    request.votes =
        vec![guardrail_audit::approval::Vote { by: by.into(), approve: true, reason: "ok".into(), at: now }];
    let body = serde_json::to_string(&request).unwrap().replace('\'', "''");
    execute(&format!("UPDATE {{table}} SET state = 'approved', body = '{body}' WHERE id = '{id}'"));
}

fn forged(location: Location, dir: &std::path::Path, execute: &mut dyn FnMut(&str)) {
    let gate = gate_on(location, dir, "n1");
    // An approval nobody gave.
    let action = agent_action("GRANT ALL ON payroll TO mallory");
    let id = hold(&gate, &action);
    forge(execute, &gate, &id, "bob");
    let checked = gate.check(&action).unwrap();
    assert_eq!(checked.decision.verdict, Verdict::RequireApproval, "a forged row let it run");
    let used = gate.use_approval(&action, &checked.decision).unwrap().wait();
    assert!(refused(used).contains("the record does not"));

    // A real approval, used once, then its row made usable again.
    let action = agent_action("GRANT ALL ON payroll TO analyst");
    let id = hold(&gate, &action);
    gate.decide_approval(&id, person("bob"), true, "INC-7").unwrap().wait().unwrap();
    assert_eq!(gate.check(&action).unwrap().decision.verdict, Verdict::Allow);
    forge(execute, &gate, &id, "bob");
    assert_eq!(gate.check(&action).unwrap().decision.verdict, Verdict::RequireApproval, "used twice");

    // A vote the record does not hold, beside one it does.
    let action = agent_action("GRANT ALL ON payroll TO auditor");
    let id = hold(&gate, &action);
    gate.decide_approval(&id, person("bob"), true, "INC-8").unwrap().wait().unwrap();
    let location = gate.recorder().unwrap().location().clone();
    let mut request = location.open_read_only().unwrap().approval(&id).unwrap().unwrap();
    request.votes[0].by = "carol".into();
    let body = serde_json::to_string(&request).unwrap().replace('\'', "''");
    execute(&format!("UPDATE {{table}} SET body = '{body}' WHERE id = '{id}'"));
    let checked = gate.check(&action).unwrap();
    assert_eq!(checked.decision.verdict, Verdict::RequireApproval, "a vote the record does not hold");
    let used = gate.use_approval(&action, &checked.decision).unwrap().wait();
    assert!(refused(used).contains("carol's approval is not recorded"));
}
