//! `guardrail mcp -- COMMAND ARGS...`: argument parsing around
//! `guardrail_mcp`.

use guardrail_audit::Gate;
use guardrail_core::Actor;
use guardrail_mcp::McpSettings;

use crate::cli::{AgentName, McpArgs, McpCommand, McpInstallArgs};
use crate::{Failure, load};

pub fn run(args: McpArgs) -> Result<i32, Failure> {
    match &args.action {
        Some(McpCommand::Install(install)) => return rewrite(install, true),
        Some(McpCommand::Uninstall(install)) => return rewrite(install, false),
        None => {}
    }
    if let Some(listen) = args.listen {
        return serve_http(&args, listen);
    }
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Failure::Usage("no MCP server command: guardrail mcp [OPTIONS] -- COMMAND [ARGS...]".into()))?;
    let name = args.name.clone().unwrap_or_else(|| {
        std::path::Path::new(program)
            .file_name()
            .map_or_else(|| program.clone(), |name| name.to_string_lossy().into_owned())
    });
    let actor = Actor::new(
        args.actor.clone().filter(|actor| !actor.is_empty()).unwrap_or_else(|| "mcp-agent".into()),
        args.actor_kind.into(),
    );
    let (gate, mut settings) = gate_and_settings(&args, name, actor)?;
    settings.cwd = std::env::current_dir().ok().map(|dir| dir.to_string_lossy().into_owned());
    settings.session = format!("mcp-{}-{}", std::process::id(), guardrail_audit::now());
    let mut server = std::process::Command::new(program);
    server.args(rest);
    let status = guardrail_mcp::run_stdio(gate, settings, server, std::io::stdin(), std::io::stdout())
        .map_err(|error| Failure::Io(format!("cannot start the MCP server {program}: {error}")))?;
    Ok(status.unwrap_or(1))
}

/// Where an agent keeps its MCP servers, for the user or for one project.
fn servers_file(agent: AgentName, project: Option<&std::path::Path>) -> Result<std::path::PathBuf, Failure> {
    let home = || {
        std::env::var_os("HOME")
            .map(std::path::PathBuf::from)
            .ok_or_else(|| Failure::Usage("$HOME is not set; give --project DIR".into()))
    };
    Ok(match (agent, project) {
        (AgentName::ClaudeCode, Some(project)) => project.join(".mcp.json"),
        (AgentName::ClaudeCode, None) => home()?.join(".claude.json"),
        (AgentName::Cursor, Some(project)) => project.join(".cursor/mcp.json"),
        (AgentName::Cursor, None) => home()?.join(".cursor/mcp.json"),
        (AgentName::Gemini, Some(project)) => project.join(".gemini/settings.json"),
        (AgentName::Gemini, None) => home()?.join(".gemini/settings.json"),
        (AgentName::Codex, Some(project)) => project.join(".codex/config.toml"),
        (AgentName::Codex, None) => home()?.join(".codex/config.toml"),
    })
}

/// `install` (wrap) or `uninstall` (unwrap) an agent's MCP servers.
fn rewrite(args: &McpInstallArgs, install: bool) -> Result<i32, Failure> {
    use guardrail_mcp::install::Change;
    let path = servers_file(args.agent, args.project.as_deref())?;
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("guardrail: {} does not exist: no MCP servers to rewrite", path.display());
            return Ok(crate::cli::exit::ALLOW);
        }
        Err(error) => return Err(Failure::Io(format!("{}: {error}", path.display()))),
    };
    let (binary, warning) = match install {
        true => crate::commands::hook::hook_binary().map(|(binary, warning)| (Some(binary), warning))?,
        false => (None, None),
    };
    let binary = binary.map(|binary| binary.to_string_lossy().into_owned());
    let (written, changes) = match args.agent {
        AgentName::Codex => {
            let rewritten = match &binary {
                Some(binary) => guardrail_mcp::install::wrap_codex(&text, binary),
                None => guardrail_mcp::install::unwrap_codex(&text),
            };
            rewritten.map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?
        }
        _ => {
            let mut settings: serde_json::Value = serde_json::from_str(&text)
                .map_err(|error| Failure::Usage(format!("{}: not JSON: {error}", path.display())))?;
            let changes = match &binary {
                Some(binary) => guardrail_mcp::install::wrap(&mut settings, binary),
                None => guardrail_mcp::install::unwrap(&mut settings),
            };
            (serde_json::to_string_pretty(&settings).expect("JSON serializes") + "\n", changes)
        }
    };
    if args.dry_run {
        crate::print(&written)?;
        return Ok(crate::cli::exit::ALLOW);
    }
    if let Some(warning) = warning {
        eprint!("{warning}");
    }
    for change in &changes {
        match change {
            Change::Wrapped(name) => eprintln!("guardrail: {name}: now started through guardrail mcp"),
            Change::Unwrapped(name) => eprintln!("guardrail: {name}: started directly again"),
            Change::AlreadyWrapped(name) => eprintln!("guardrail: {name}: already behind the gate"),
            Change::Http(name) => eprintln!(
                "guardrail: {name}: an HTTP server (not changed): front it with `guardrail mcp --listen ADDR \
                 --upstream URL`, or an [[mcp]] entry of `guardrail serve`, and point the agent there with a token"
            ),
        }
    }
    if changes.iter().any(|change| matches!(change, Change::Wrapped(_) | Change::Unwrapped(_))) {
        crate::commands::hook::write_settings(&path, &written)?;
        eprintln!("guardrail: wrote {}", path.display());
    }
    Ok(crate::cli::exit::ALLOW)
}

/// The server the HTTP proxy fronts, with its credential from the
/// environment variable `token_env` (named, it must be set).
pub fn upstream(url: &str, token_env: Option<&str>) -> Result<guardrail_mcp::http::Upstream, Failure> {
    let bearer = match token_env {
        Some(name) => Some(std::env::var(name).ok().filter(|token| !token.trim().is_empty()).ok_or_else(|| {
            Failure::Usage(format!("the upstream MCP server's token is to be in ${name}, which is not set"))
        })?),
        None => None,
    };
    Ok(guardrail_mcp::http::Upstream { url: url.to_owned(), bearer })
}

/// The gate both transports judge with (the policy and record the flags
/// name), and the settings of server `name` for `actor` (who calls over
/// stdio; over HTTP, each token's identity).
fn gate_and_settings(args: &McpArgs, name: String, actor: Actor) -> Result<(Gate, McpSettings), Failure> {
    let data_dir = crate::store::data_dir(&args.store)?;
    let policy = load::policy_validated_once(args.policy.as_deref(), &data_dir)?;
    let recorder = crate::store::recorder(&args.store, None)?;
    let gate = Gate::new(crate::gate(policy, Some(&data_dir), args.policy.as_deref()), Some(recorder));
    let mut settings = McpSettings::new(name, actor);
    settings.approval_hold = std::time::Duration::from_secs(args.hold);
    for spec in &args.readings {
        settings.add_reading(spec).map_err(Failure::Usage)?;
    }
    Ok((gate, settings))
}

/// `guardrail mcp --listen ADDR --upstream URL`: the Streamable HTTP proxy,
/// for callers with a token of `guardrail serve`'s configuration.
fn serve_http(args: &McpArgs, listen: std::net::SocketAddr) -> Result<i32, Failure> {
    super::init_log();
    let url = args
        .upstream
        .as_deref()
        .ok_or_else(|| Failure::Usage("--listen fronts an HTTP MCP server: give its --upstream URL".into()))?;
    if !args.command.is_empty() {
        return Err(Failure::Usage("--listen fronts an HTTP server (--upstream), not a command".into()));
    }
    let upstream = upstream(url, args.upstream_token_env.as_deref())?;
    let config_path = super::serve::config_path(args.config.clone(), &args.store)?;
    let config = guardrail_serve::ServeConfig::load(&config_path).map_err(Failure::Usage)?;
    if config.tokens.is_empty() {
        return Err(Failure::Usage(format!(
            "no API tokens in {}: every call would be refused; mint one for the agent with `guardrail serve token \
             add NAME --kind agent`",
            config_path.display()
        )));
    }
    let name = args.name.clone().unwrap_or_else(|| guardrail_mcp::http::Upstream::default_name(url));
    let (gate, settings) = gate_and_settings(args, name, Actor::default())?;
    let callers = std::sync::Arc::new(guardrail_serve::Callers::new(&config, Some(config_path)));
    let proxy = guardrail_mcp::http::HttpProxy::new(gate, settings, &upstream, callers.mcp_authenticator())
        .map_err(Failure::Usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("guardrail-mcp")
        .build()
        .map_err(|error| Failure::Io(format!("cannot start the runtime: {error}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|error| Failure::Io(format!("cannot listen on {listen}: {error}")))?;
        let bound = listener.local_addr().map_err(|error| Failure::Io(error.to_string()))?;
        eprintln!("guardrail: fronting the MCP server {url} at http://{bound}/mcp");
        guardrail_mcp::http::serve(listener, std::sync::Arc::new(proxy), "/mcp")
            .await
            .map_err(|error| Failure::Io(format!("the MCP proxy stopped: {error}")))
    })?;
    Ok(crate::cli::exit::ALLOW)
}
