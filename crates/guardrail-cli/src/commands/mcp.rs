//! `guardrail mcp -- COMMAND ARGS...`: argument parsing around
//! `guardrail_mcp`.

use std::sync::Arc;

use guardrail_audit::Gate;
use guardrail_core::Actor;
use guardrail_mcp::McpSettings;

use crate::cli::McpArgs;
use crate::{Failure, load};

pub fn run(args: McpArgs) -> Result<i32, Failure> {
    let (program, rest) = args.command.split_first().ok_or_else(|| Failure::Usage("no MCP server command".into()))?;
    let data_dir = crate::store::data_dir(&args.store)?;
    let policy = load::policy_validated_once(args.policy.as_deref(), &data_dir)?;
    let recorder = crate::store::recorder(&args.store, None)?;
    let gate = Gate::new(crate::gate(policy, Some(&data_dir), args.policy.as_deref()), Some(recorder));
    let name = args.name.clone().unwrap_or_else(|| {
        std::path::Path::new(program)
            .file_name()
            .map_or_else(|| program.clone(), |name| name.to_string_lossy().into_owned())
    });
    let actor = Actor::new(
        args.actor.clone().filter(|actor| !actor.is_empty()).unwrap_or_else(|| "mcp-agent".into()),
        args.actor_kind.into(),
    );
    let settings = McpSettings {
        server: name,
        actor,
        target: guardrail_audit::data_dir::hostname(),
        cwd: std::env::current_dir().ok().map(|dir| dir.to_string_lossy().into_owned()),
        max_message: McpSettings::DEFAULT_MAX_MESSAGE,
    };
    let mut server = std::process::Command::new(program);
    server.args(rest);
    let status =
        guardrail_mcp::run_stdio(Arc::new(gate), Arc::new(settings), server, std::io::stdin(), std::io::stdout())
            .map_err(|error| Failure::Io(format!("cannot start the MCP server {program}: {error}")))?;
    Ok(status.unwrap_or(1))
}
