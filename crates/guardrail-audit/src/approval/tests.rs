use super::*;
use guardrail_core::ActorKind;

const T0: i64 = 1_000_000_000_000;

fn request(needed: u32, role: Option<&str>) -> Request {
    Request {
        id: "apr-1".into(),
        digest: "d1".into(),
        policy_version: "p1".into(),
        actor: RecordedActor { id: "agent-7".into(), kind: ActorKind::Agent, on_behalf_of: Some("alice".into()) },
        kind: guardrail_core::ActionKind::Sql,
        channel: "cli".into(),
        target: "prod".into(),
        cwd: None,
        environment: "production".into(),
        roles: Vec::new(),
        text: "GRANT ALL ON t TO bob".into(),
        rule: "privilege-changes".into(),
        reason: "changes to who may do what need a person's approval".into(),
        approver_role: role.map(str::to_owned),
        needed,
        state: State::Pending,
        node: "n1".into(),
        decision_seq: 3,
        requested_at: T0,
        wait_until: T0 + 100,
        valid_for: 50,
        valid_until: None,
        votes: Vec::new(),
        cancelled_by: None,
        consumed_by: None,
    }
}

fn person(id: &str, roles: &[&str]) -> Approver {
    Approver { id: id.into(), kind: ActorKind::Human, roles: roles.iter().map(|role| (*role).to_owned()).collect() }
}

fn vote(by: Approver, approve: bool) -> Change {
    Change::Vote { by, approve, reason: if approve { String::new() } else { "not now".into() } }
}

fn consume() -> Change {
    Change::Consume { digest: "d1".into(), policy_version: "p1".into() }
}

type Case = (&'static str, Request, Vec<(i64, Change)>, Result<Transition, &'static str>);

/// Each case: the request, the changes made one after another (at the
/// given times), and what the last one gives: the transition or the
/// refusal's words.
#[test]
fn transitions() {
    let agent = Approver { id: "agent-9".into(), kind: ActorKind::Agent, roles: vec!["dba".into()] };
    let cases: Vec<Case> = vec![
        ("a person approves", request(1, None), vec![(T0, vote(person("bob", &[]), true))], Ok(Transition::Approved)),
        ("a person denies", request(1, None), vec![(T0, vote(person("bob", &[]), false))], Ok(Transition::Denied)),
        (
            "a denial needs a reason",
            request(1, None),
            vec![(T0, Change::Vote { by: person("bob", &[]), approve: false, reason: " ".into() })],
            Err("a reason is required"),
        ),
        (
            "the requester cannot",
            request(1, None),
            vec![(T0, vote(person("agent-7", &[]), true))],
            Err("cannot decide"),
        ),
        (
            "the person the agent acts for cannot",
            request(1, None),
            vec![(T0, vote(person("alice", &["dba"]), true))],
            Err("cannot decide"),
        ),
        (
            "the requester under another case cannot",
            request(1, None),
            vec![(T0, vote(person("Agent-7 ", &[]), true))],
            Err("cannot decide"),
        ),
        (
            "the person the agent acts for, spelled otherwise, cannot",
            request(1, None),
            vec![(T0, vote(person("ALICE", &[]), true))],
            Err("cannot decide"),
        ),
        (
            "two needed: the same person under another case",
            request(2, None),
            vec![(T0, vote(person("bob", &[]), true)), (T0, vote(person("Bob", &[]), true))],
            Err("already decided"),
        ),
        ("an agent cannot", request(1, None), vec![(T0, vote(agent, true))], Err("only a person")),
        ("the role is required", request(1, Some("dba")), vec![(T0, vote(person("bob", &[]), true))], Err("role dba")),
        (
            "with the role",
            request(1, Some("dba")),
            vec![(T0, vote(person("bob", &["ops", "dba"]), true))],
            Ok(Transition::Approved),
        ),
        (
            "two needed: one is a vote",
            request(2, None),
            vec![(T0, vote(person("bob", &[]), true))],
            Ok(Transition::Voted),
        ),
        (
            "two needed: the same person twice",
            request(2, None),
            vec![(T0, vote(person("bob", &[]), true)), (T0, vote(person("bob", &[]), true))],
            Err("already decided"),
        ),
        (
            "two needed: two people",
            request(2, None),
            vec![(T0, vote(person("bob", &[]), true)), (T0, vote(person("carol", &[]), true))],
            Ok(Transition::Approved),
        ),
        (
            "two needed: one denial ends it",
            request(2, None),
            vec![(T0, vote(person("bob", &[]), true)), (T0, vote(person("carol", &[]), false))],
            Ok(Transition::Denied),
        ),
        (
            "no vote after a denial",
            request(1, None),
            vec![(T0, vote(person("bob", &[]), false)), (T0, vote(person("carol", &[]), true))],
            Err("is denied"),
        ),
        ("too late to decide", request(1, None), vec![(T0 + 100, vote(person("bob", &[]), true))], Err("is expired")),
        (
            "consumed once",
            request(1, None),
            vec![(T0, vote(person("bob", &[]), true)), (T0 + 1, consume())],
            Ok(Transition::Consumed),
        ),
        (
            "not twice",
            request(1, None),
            vec![(T0, vote(person("bob", &[]), true)), (T0 + 1, consume()), (T0 + 2, consume())],
            Err("is consumed, not approved"),
        ),
        ("not before approval", request(1, None), vec![(T0, consume())], Err("is pending, not approved")),
        (
            "not once the approval is stale",
            request(1, None),
            vec![(T0, vote(person("bob", &[]), true)), (T0 + 50, consume())],
            Err("is expired, not approved"),
        ),
        (
            "not for other bytes",
            request(1, None),
            vec![
                (T0, vote(person("bob", &[]), true)),
                (T0 + 1, Change::Consume { digest: "d2".into(), policy_version: "p1".into() }),
            ],
            Err("another action"),
        ),
        (
            "not under another policy",
            request(1, None),
            vec![
                (T0, vote(person("bob", &[]), true)),
                (T0 + 1, Change::Consume { digest: "d1".into(), policy_version: "p2".into() }),
            ],
            Err("another action"),
        ),
        (
            "cancelled while pending",
            request(1, None),
            vec![(T0, Change::Cancel { by: "agent-7".into(), reason: "wrong table".into() })],
            Ok(Transition::Cancelled),
        ),
        (
            "whom the agent acts for may cancel",
            request(1, None),
            vec![(T0, Change::Cancel { by: "alice".into(), reason: String::new() })],
            Ok(Transition::Cancelled),
        ),
        (
            "names compare without case or blanks when cancelling too",
            request(1, None),
            vec![(T0, Change::Cancel { by: " Alice ".into(), reason: String::new() })],
            Ok(Transition::Cancelled),
        ),
        (
            "nobody else may cancel",
            request(1, None),
            vec![(T0, Change::Cancel { by: "bob".into(), reason: String::new() })],
            Err("cannot withdraw"),
        ),
        (
            "no approval after cancelling",
            request(1, None),
            vec![
                (T0, Change::Cancel { by: "agent-7".into(), reason: String::new() }),
                (T0, vote(person("bob", &[]), true)),
            ],
            Err("is cancelled"),
        ),
        ("expired by the clock", request(1, None), vec![(T0 + 100, Change::Expire)], Ok(Transition::Expired)),
        ("not expired early", request(1, None), vec![(T0 + 99, Change::Expire)], Err("is pending")),
    ];
    for (name, start, changes, expected) in cases {
        let mut current = start;
        let mut last = None;
        for (at, change) in &changes {
            last = Some(apply(Some(&current), change, *at).map(|(next, transition)| {
                current = next;
                transition
            }));
            if matches!(last, Some(Err(_))) {
                break;
            }
        }
        match (last.expect("a change"), expected) {
            (Ok(transition), Ok(expected)) => assert_eq!(transition, expected, "{name}"),
            (Err(refused), Err(words)) => {
                assert!(refused.to_string().contains(words), "{name}: {refused} does not say {words:?}")
            }
            (got, expected) => panic!("{name}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn an_approval_is_valid_for_its_window_from_the_approval() {
    let (approved, _) = apply(Some(&request(1, None)), &vote(person("bob", &[]), true), T0 + 10).unwrap();
    assert_eq!(approved.valid_until, Some(T0 + 60));
    assert_eq!(approved.state_at(T0 + 59), State::Approved);
    assert_eq!(approved.state_at(T0 + 60), State::Expired);
}

#[test]
fn states_read_back() {
    for state in [State::Pending, State::Approved, State::Denied, State::Expired, State::Cancelled, State::Consumed] {
        assert_eq!(State::parse(state.as_str()), Some(state));
    }
    assert!(new_id().starts_with("apr-") && new_id().len() == 20 && new_id() != new_id());
}

/// What the record says of request `apr-1`: (transition, by), opened as
/// needing `needed` approvals by `role`.
fn recorded(needed: u32, role: Option<&str>, changes: &[(Transition, &str)]) -> Vec<Recorded> {
    changes
        .iter()
        .map(|(transition, by)| Recorded {
            id: "apr-1".into(),
            transition: *transition,
            by: (*by).into(),
            digest: "d1".into(),
            policy_version: "p1".into(),
            approver_role: role.map(str::to_owned),
            needed: Some(needed),
            valid_for: Some(50),
            time: T0,
        })
        .collect()
}

/// The row says approved; `in_record` says whether the record agrees.
#[test]
fn an_approval_rests_on_the_record_not_on_the_row() {
    let approved = |needed: u32, role: Option<&str>, voters: &[&str]| {
        let mut row = request(needed, role);
        row.state = State::Approved;
        row.votes =
            voters.iter().map(|by| Vote { by: (*by).into(), approve: true, reason: String::new(), at: T0 }).collect();
        row
    };
    use Transition::{Approved, Consumed, Denied, Requested, Voted};
    // (case, the row, the record, what in_record says)
    type Case<'a> = (&'a str, Request, Vec<Recorded>, Result<(), &'a str>);
    let cases: Vec<Case> = vec![
        (
            "as recorded",
            approved(1, None, &["bob"]),
            recorded(1, None, &[(Requested, "gate"), (Approved, "bob")]),
            Ok(()),
        ),
        (
            "two votes, both recorded",
            approved(2, Some("dba"), &["bob", "carol"]),
            recorded(2, Some("dba"), &[(Requested, "gate"), (Voted, "bob"), (Approved, "carol")]),
            Ok(()),
        ),
        ("nothing recorded", approved(1, None, &["bob"]), Vec::new(), Err("no approval of it is recorded")),
        (
            "a vote the record does not hold",
            approved(1, None, &["mallory"]),
            recorded(1, None, &[(Requested, "gate"), (Approved, "bob")]),
            Err("mallory's approval is not recorded"),
        ),
        (
            "used already",
            approved(1, None, &["bob"]),
            recorded(1, None, &[(Requested, "gate"), (Approved, "bob"), (Consumed, "agent-7")]),
            Err("it was consumed"),
        ),
        (
            "denied in the record",
            approved(1, None, &["bob"]),
            recorded(1, None, &[(Requested, "gate"), (Denied, "carol"), (Approved, "bob")]),
            Err("it was denied"),
        ),
        (
            "the count lowered in the row",
            approved(1, Some("dba"), &["bob"]),
            recorded(2, Some("dba"), &[(Requested, "gate"), (Approved, "bob")]),
            Err("opened needing 2 approval(s) by dba"),
        ),
        (
            "the role taken off the row",
            approved(1, None, &["bob"]),
            recorded(1, Some("dba"), &[(Requested, "gate"), (Approved, "bob")]),
            Err("opened needing 1 approval(s) by dba"),
        ),
        (
            "one person's vote counted twice",
            approved(2, None, &["bob", "bob"]),
            recorded(2, None, &[(Requested, "gate"), (Voted, "bob"), (Approved, "bob")]),
            Err("1 of 2 approvals are recorded"),
        ),
    ];
    // Usable for as long as recorded, whatever the row's clock says.
    let mut row = approved(1, None, &["bob"]);
    row.valid_until = Some(T0 + 10_000);
    let record = recorded(1, None, &[(Requested, "gate"), (Approved, "bob")]);
    let late = in_record(&row, &record, T0 + 60).unwrap_err().to_string();
    assert!(late.contains("has expired"), "{late}");
    for (name, row, record, expected) in cases {
        let got = in_record(&row, &record, T0 + 10).map_err(|refused| refused.to_string());
        match (got, expected) {
            (Ok(()), Ok(())) => {}
            (Err(message), Err(words)) => assert!(message.contains(words), "{name}: {message}"),
            (got, expected) => panic!("{name}: got {got:?}, expected {expected:?}"),
        }
    }
}
