//! `guardrail check`: one action from the flags, or a stream of JSON lines.

use std::io::{BufRead, BufReader, Read, Write};

use guardrail_core::Guard;
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::render::{self, Answer};
use crate::request::{self, Request};
use crate::{Failure, load};

pub fn run(args: CheckArgs) -> Result<i32, Failure> {
    let policy = load::policy(args.policy.as_deref())?;
    let guard = crate::gate(policy);
    let stdout = std::io::stdout();
    if args.jsonl {
        let mut input = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        let mut output = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        jsonl(&guard, &mut input, &mut output).map_err(Failure::io("standard input or output"))?;
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
    let decision = guard.check(&action);
    let mut out = stdout.lock();
    let written = if args.json {
        let answer = Answer::new(&decision, &action.text, guard.policy().version());
        serde_json::to_writer(&mut out, &answer).map_err(std::io::Error::from).and_then(|()| writeln!(out))
    } else {
        out.write_all(render::human(&decision, &action.text, args.explain).as_bytes())
    };
    written.map_err(Failure::io("standard output"))?;
    Ok(decision.verdict.exit_code())
}

/// Answers each line of `input` with one line of JSON, in order, and never
/// stops early: a line that cannot be read as a request is answered with
/// `"decision":"error"`. Output is flushed whenever no more input is
/// waiting, so a caller that writes one request and waits gets its answer.
pub fn jsonl<R: Read, W: Write>(guard: &Guard, input: &mut BufReader<R>, output: &mut W) -> std::io::Result<()> {
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
                let decision = guard.check(&action);
                serde_json::to_writer(&mut *output, &Answer::new(&decision, &action.text, guard.policy().version()))?;
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
