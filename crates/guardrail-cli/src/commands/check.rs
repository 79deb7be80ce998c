//! `guardrail check`: one action from the flags, or a stream of JSON lines.

use std::io::{BufRead, BufReader, Read, Write};

use guardrail_audit::Gate;
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::render::{self, Answer, ApprovalAnswer, RecordAnswer};
use crate::request::{self, Request};
use crate::{Failure, load};

pub fn run(args: CheckArgs) -> Result<i32, Failure> {
    let policy = load::policy(args.policy.as_deref())?;
    let recorder = match &args.record {
        Some(store) => Some(crate::store::recorder(&args.store, Some(store))?),
        None => None,
    };
    let data_dir = crate::store::data_dir(&args.store).ok();
    let gate = Gate::new(crate::gate(policy, data_dir.as_deref(), args.policy.as_deref()), recorder);
    let stdout = std::io::stdout();
    if args.jsonl {
        let mut input = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        let mut output = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        jsonl(&gate, &mut input, &mut output).map_err(Failure::io("standard input or output"))?;
        return Ok(crate::cli::exit::ALLOW);
    }
    let text = match args.text.as_deref() {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(Failure::io("standard input"))?;
            text
        }
        Some(text) => text.to_owned(),
        None => {
            return Err(Failure::Usage(
                "give the action's text, `-` to read it from standard input, or --jsonl".into(),
            ));
        }
    };
    let action = request::action_from_flags(&args, text);
    // Fail closed: a decision that cannot be recorded is an error, not a verdict.
    let checked = gate.check(&action).map_err(|error| Failure::Io(error.to_string()))?;
    let approval = held_for(&gate, &action, &checked)?;
    let decision = &checked.decision;
    let mut out = stdout.lock();
    let written = if args.json {
        let mut answer = Answer::new(decision, &action.text, gate.guard().policy().version());
        answer.record = checked.receipt.as_ref().map(RecordAnswer::from);
        answer.digest = &checked.digest;
        answer.approval = approval.as_ref().map(|request| ApprovalAnswer { id: &request.id, state: request.state });
        serde_json::to_writer(&mut out, &answer).map_err(std::io::Error::from).and_then(|()| writeln!(out))
    } else {
        let mut text = render::human(decision, &action.text, args.explain);
        if let Some(receipt) = &checked.receipt {
            text.push_str(&format!("recorded: {}#{}\n", receipt.node, receipt.seq));
        }
        match approval.as_ref().map(|request| (request, request.ended(guardrail_audit::now()))) {
            Some((request, None)) => text.push_str(&format!(
                "approval: {} is pending; a person approves it with `guardrail approvals approve {}`, \
                 then the identical action runs once\n",
                request.id, request.id
            )),
            Some((request, Some(ended))) => text.push_str(&format!("approval: {} was {ended}\n", request.id)),
            None => {}
        }
        out.write_all(text.as_bytes())
    };
    written.map_err(Failure::io("standard output"))?;
    Ok(decision.verdict.exit_code())
}

/// The approval request a recorded, held decision opens (or the one
/// already waiting for the identical action); none otherwise.
fn held_for(
    gate: &Gate,
    action: &guardrail_core::Action,
    checked: &guardrail_audit::Checked,
) -> Result<Option<guardrail_audit::approval::Request>, Failure> {
    if checked.decision.verdict != guardrail_core::Verdict::RequireApproval || checked.receipt.is_none() {
        return Ok(None);
    }
    let ticket = gate.request_approval(action, checked).map_err(|error| Failure::Io(error.to_string()))?;
    match ticket.wait() {
        Ok(changed) => Ok(Some(changed.request)),
        Err(error) => Err(Failure::Io(error.to_string())),
    }
}

/// Answers each line of `input` with one line of JSON, in order, and never
/// stops early: a line that cannot be read as a request is answered with
/// `"decision":"error"`. Output is flushed whenever no more input is
/// waiting, so a caller that writes one request and waits gets its answer.
pub fn jsonl<R: Read, W: Write>(gate: &Gate, input: &mut BufReader<R>, output: &mut W) -> std::io::Result<()> {
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        match parse(&line) {
            Ok(request) => {
                let action = request.into_action();
                match gate.check(&action) {
                    Ok(checked) => {
                        let mut answer = Answer::new(&checked.decision, &action.text, gate.guard().policy().version());
                        answer.record = checked.receipt.as_ref().map(RecordAnswer::from);
                        answer.digest = &checked.digest;
                        serde_json::to_writer(&mut *output, &answer)?;
                    }
                    // Fail closed: no verdict for a decision that was not recorded.
                    Err(error) => {
                        let error = ErrorAnswer { decision: "error", message: format!("line {number}: {error}") };
                        serde_json::to_writer(&mut *output, &error)?;
                    }
                }
            }
            Err(message) => {
                let error = ErrorAnswer { decision: "error", message: format!("line {number}: {message}") };
                serde_json::to_writer(&mut *output, &error)?;
            }
        }
        output.write_all(b"\n")?;
        if input.buffer().is_empty() {
            output.flush()?;
        }
    }
    output.flush()
}

#[derive(Serialize)]
struct ErrorAnswer {
    decision: &'static str,
    message: String,
}

fn parse(line: &[u8]) -> Result<Request, String> {
    let line = std::str::from_utf8(line).map_err(|_| "the line is not valid UTF-8".to_owned())?;
    if line.trim().is_empty() {
        return Err(
            "the line is empty; expected a JSON request such as {\"kind\":\"sql\",\"text\":\"SELECT 1\"}".into()
        );
    }
    serde_json::from_str(line).map_err(|error| error.to_string())
}
