//! `guardrail record prompt|response|tool-output`: free-standing events.

use std::io::Read;

use guardrail_audit::{ContentDetails, ContentKind, Entry};
use guardrail_core::Actor;

use crate::Failure;
use crate::cli::{ContentArgs, RecordCommand};
use crate::render::RecordAnswer;

pub fn run(command: RecordCommand) -> Result<i32, Failure> {
    let (kind, args) = match command {
        RecordCommand::Prompt(args) => (ContentKind::Prompt, args),
        RecordCommand::Response(args) => (ContentKind::Response, args),
        RecordCommand::ToolOutput(args) => (ContentKind::ToolOutput, args),
    };
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).map_err(Failure::io("standard input"))?;
    // Content is recorded as text; bytes that are not UTF-8 are replaced
    // (U+FFFD) rather than refused, so that nothing is lost silently.
    let content = String::from_utf8_lossy(&bytes);
    let entry = Entry::content(kind, &actor(&args), details(&args), &content);
    let recorder = crate::store::recorder(&args.store, None)?;
    let receipt = recorder.record(entry).map_err(|error| Failure::Io(error.to_string()))?;
    if args.json {
        let answer = serde_json::to_string(&RecordAnswer::from(&receipt)).expect("receipts serialize");
        crate::print(&format!("{answer}\n"))
    } else {
        crate::print(&format!("recorded: {}#{}\n", receipt.node, receipt.seq))
    }
}

fn actor(args: &ContentArgs) -> Actor {
    let mut actor =
        Actor::new(args.actor.clone().unwrap_or_else(|| Actor::ANONYMOUS.to_owned()), args.actor_kind.into());
    actor.on_behalf_of = args.on_behalf_of.clone();
    actor
}

fn details(args: &ContentArgs) -> ContentDetails {
    ContentDetails {
        channel: args.channel.clone(),
        session: args.session.clone(),
        prompt: args.prompt_id.clone(),
        tool: args.tool.clone(),
    }
}
