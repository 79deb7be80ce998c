//! `guardrail policy`: show, validate and test policies.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use guardrail_core::Verdict;
use guardrail_core::policy::{self, DEFAULT_POLICY, DEFAULT_POLICY_NAME, Policy, Source};
use serde_json::Value;

use crate::cli::{PolicyCommand, exit};
use crate::load::{self, LoadError};
use crate::request::Request;
use crate::{Failure, print};

pub fn run(command: PolicyCommand) -> Result<i32, Failure> {
    match command {
        PolicyCommand::ShowDefault => print(DEFAULT_POLICY),
        PolicyCommand::Schema => print(&policy::schema_text()),
        PolicyCommand::Validate { path } => validate(path.as_deref()),
        PolicyCommand::Test { cases, policy } => test(&cases, policy.as_deref()),
    }
}

fn validate(path: Option<&Path>) -> Result<i32, Failure> {
    let sources = match path {
        Some(path) => match load::sources(path) {
            Ok(sources) => sources,
            Err(LoadError::Io(message)) => return Err(Failure::Io(message)),
            Err(LoadError::Invalid(error)) => return Err(Failure::Policy(error)),
        },
        None => vec![Source::new(DEFAULT_POLICY_NAME, DEFAULT_POLICY)],
    };
    match Policy::from_sources(sources) {
        Ok(policy) => {
            print(&format!("valid: {} rules, policy version {}\n", policy.rule_ids().count(), policy.version()))?;
            Ok(exit::ALLOW)
        }
        Err(error) => {
            print(&format!("{error}\n"))?;
            print(&format!("invalid: {} problems\n", error.diagnostics.len()))?;
            Ok(exit::DENY)
        }
    }
}

/// One test case: a request and what must come of it.
struct Case {
    line: usize,
    name: Option<String>,
    request: Request,
    expect: Verdict,
    rule: Option<String>,
    intents: Option<BTreeSet<String>>,
}

fn test(cases: &Path, policy: Option<&Path>) -> Result<i32, Failure> {
    let text = std::fs::read_to_string(cases).map_err(|error| Failure::Io(format!("{}: {error}", cases.display())))?;
    let cases = parse_cases(&text).map_err(|message| Failure::Io(format!("{}:{message}", cases.display())))?;
    let guard = crate::gate(load::policy(policy)?, None, policy);
    let mut failures = 0;
    let mut out = std::io::stdout().lock();
    let total = cases.len();
    for case in cases {
        let action = case.request.into_action();
        let decision = guard.check(&action);
        let found: BTreeSet<String> = decision.intents.iter().map(|j| j.intent.kind.id().to_owned()).collect();
        let mut problems = Vec::new();
        if decision.verdict != case.expect {
            problems.push(format!(
                "expected {}, got {} [rule: {}]: {}",
                case.expect, decision.verdict, decision.rule, decision.reason
            ));
        }
        if let Some(rule) = &case.rule
            && &decision.rule != rule
        {
            problems.push(format!("expected rule {rule}, got {}", decision.rule));
        }
        if let Some(intents) = &case.intents
            && &found != intents
        {
            problems.push(format!(
                "expected intents {}, got {}",
                intents.iter().cloned().collect::<Vec<_>>().join(", "),
                found.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !problems.is_empty() {
            failures += 1;
            let name = case.name.map(|name| format!(" ({name})")).unwrap_or_default();
            let masked = guardrail_core::secret::mask(&action.text, &decision.secrets);
            let shown: String = masked.chars().take(100).collect();
            writeln!(out, "FAIL line {}{name}: {shown}", case.line).map_err(Failure::io("standard output"))?;
            for problem in problems {
                writeln!(out, "  {problem}").map_err(Failure::io("standard output"))?;
            }
        }
    }
    writeln!(out, "{total} cases: {} passed, {failures} failed", total - failures)
        .map_err(Failure::io("standard output"))?;
    Ok(if failures == 0 { exit::ALLOW } else { exit::DENY })
}

/// Reads the cases; an unreadable line is an error naming it, since a test
/// file that half-loads would pass for the wrong reason.
fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fail = |message: String| format!("{number}: {message}");
        let mut value: Value = serde_json::from_str(trimmed).map_err(|error| fail(error.to_string()))?;
        let object = value.as_object_mut().ok_or_else(|| fail("expected a JSON object".into()))?;
        let expect = match object.remove("expect") {
            Some(Value::String(verdict)) => verdict.parse::<Verdict>().map_err(fail)?,
            Some(_) => return Err(fail("`expect` must be a verdict string".into())),
            None => return Err(fail("missing `expect`: the verdict this case must get".into())),
        };
        let text_field = |object: &mut serde_json::Map<String, Value>, key: &str| -> Result<Option<String>, String> {
            match object.remove(key) {
                None => Ok(None),
                Some(Value::String(text)) => Ok(Some(text)),
                Some(_) => Err(fail(format!("`{key}` must be a string"))),
            }
        };
        let rule = text_field(object, "rule")?;
        let name = text_field(object, "name")?;
        let intents = match object.remove("intents") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .into_iter()
                    .map(|item| {
                        item.as_str().map(str::to_owned).ok_or_else(|| fail("`intents` must list strings".into()))
                    })
                    .collect::<Result<BTreeSet<_>, _>>()?,
            ),
            Some(_) => return Err(fail("`intents` must be a list of intent ids".into())),
        };
        if let Some(intents) = &intents {
            for id in intents {
                if guardrail_core::IntentKind::from_id(id).is_none() {
                    return Err(fail(format!("unknown intent {id:?}")));
                }
            }
        }
        let request: Request = serde_json::from_value(value).map_err(|error| fail(error.to_string()))?;
        cases.push(Case { line: number, name, request, expect, rule, intents });
    }
    if cases.is_empty() {
        return Err("1: the file holds no cases".into());
    }
    Ok(cases)
}
