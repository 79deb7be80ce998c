//! `guardrail serve`: argument parsing and printing around `guardrail_serve`.

use std::path::PathBuf;
use std::sync::Arc;

use guardrail_audit::Gate;
use guardrail_gate::DecisionPool;
use guardrail_serve::hooks::HookService;
use guardrail_serve::{ServeConfig, Server};

use crate::Failure;
use std::io::BufRead;

use crate::cli::{ServeArgs, ServeCommand, StoreArgs, TokenCommand, UserCommand, exit};

/// Where the API listens when neither a flag nor the configuration says.
const DEFAULT_LISTEN: &str = "127.0.0.1:8420";

/// Threads that decide hooks' actions; decisions that may wait for one;
/// and how long one may take before the action is judged `unknown` (the
/// hook's own deadline, 20 s by default, must leave room for the record).
const DECISION_THREADS: usize = 4;
const DECISION_QUEUE: usize = 1024;
const DECISION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

pub fn run(args: ServeArgs) -> Result<i32, Failure> {
    use guardrail_audit::event::IdentityChange::{Added, Removed};
    use guardrail_core::ActorKind;
    match args.command {
        Some(ServeCommand::Token(TokenCommand::Add { name, kind, roles, config, store })) => {
            let who =
                Identity { change: Added, credential: "token", name: &name, kind: Some(kind.into()), roles: &roles };
            let path = edit(config, &store, who, |config| {
                config.add_token(&name, kind.into(), roles.clone()).map(Some).map_err(Failure::Usage)
            })?;
            eprintln!("guardrail: token for {name} added to {} (shown once)", path.display());
            Ok(exit::ALLOW)
        }
        Some(ServeCommand::Token(TokenCommand::Revoke { name, config, store })) => {
            // Whom the token named, as the file has it.
            let who = Identity { change: Removed, credential: "token", name: &name, kind: None, roles: &[] };
            edit(config, &store, who, |config| match config.revoke(&name) {
                true => Ok(None),
                false => Err(Failure::Usage(format!("there is no token for {name:?}"))),
            })?;
            eprintln!("guardrail: token for {name} revoked");
            Ok(exit::ALLOW)
        }
        Some(ServeCommand::User(UserCommand::Add { name, roles, config, store })) => {
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).map_err(Failure::io("standard input"))?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                return Err(Failure::Usage("no password on standard input: pipe the person's password in".into()));
            }
            let who = Identity {
                change: Added,
                credential: "user",
                name: &name,
                kind: Some(ActorKind::Human),
                roles: &roles,
            };
            let path = edit(config, &store, who, |config| {
                config.add_user(&name, roles.clone(), password).map(|()| None).map_err(Failure::Usage)
            })?;
            eprintln!("guardrail: {name} may log in to the console ({})", path.display());
            Ok(exit::ALLOW)
        }
        Some(ServeCommand::User(UserCommand::Remove { name, config, store })) => {
            let who =
                Identity { change: Removed, credential: "user", name: &name, kind: Some(ActorKind::Human), roles: &[] };
            edit(config, &store, who, |config| match config.remove_user(&name) {
                true => Ok(None),
                false => Err(Failure::Usage(format!("there is no user {name:?}"))),
            })?;
            eprintln!("guardrail: {name} removed");
            Ok(exit::ALLOW)
        }
        None => serve(args),
    }
}

/// The identity a change to the configuration adds or removes.
struct Identity<'a> {
    change: guardrail_audit::event::IdentityChange,
    credential: &'static str,
    name: &'a str,
    /// `None`: the kind of the token of that name, as the file has it
    /// before the change.
    kind: Option<guardrail_core::ActorKind>,
    roles: &'a [String],
}

/// Changes the configuration file (`config`, else the data directory's)
/// with `change`, and saves it; where it is. The change is recorded first
/// (who, by whom, in which file): one that cannot be recorded is not made.
/// A running daemon sees the change at its next request. What `change`
/// returns is printed (a new token, shown once).
fn edit(
    config: Option<PathBuf>,
    store: &StoreArgs,
    identity: Identity<'_>,
    change: impl FnOnce(&mut ServeConfig) -> Result<Option<String>, Failure>,
) -> Result<PathBuf, Failure> {
    let path = config_path(config, store)?;
    let mut config = ServeConfig::load(&path).map_err(Failure::Usage)?;
    let kind = identity.kind.unwrap_or_else(|| {
        let token = config.tokens.iter().find(|token| token.name == identity.name);
        token.map_or(guardrail_core::ActorKind::Human, |token| token.kind)
    });
    let shown = change(&mut config).map_err(|failure| match failure {
        Failure::Usage(message) => Failure::Usage(format!("{}: {message}", path.display())),
        other => other,
    })?;
    let event = guardrail_audit::event::IdentityEvent {
        change: identity.change,
        credential: identity.credential.to_owned(),
        actor: guardrail_audit::event::RecordedActor { id: identity.name.to_owned(), kind, on_behalf_of: None },
        roles: identity.roles.to_vec(),
        by: super::approvals::local_person()?,
        file: path.display().to_string(),
    };
    let recorder = crate::store::recorder(store, None)?;
    recorder.record(guardrail_audit::Entry::identity(event)).map_err(|error| Failure::Io(error.to_string()))?;
    config.save(&path).map_err(Failure::Io)?;
    if let Some(shown) = shown {
        println!("{shown}");
    }
    Ok(path)
}

pub(crate) fn config_path(config: Option<PathBuf>, store: &StoreArgs) -> Result<PathBuf, Failure> {
    match config {
        Some(path) => Ok(path),
        None => Ok(crate::store::data_dir(store)?.join("serve.toml")),
    }
}

fn serve(args: ServeArgs) -> Result<i32, Failure> {
    super::init_log();
    let path = config_path(args.config.clone(), &args.store)?;
    let config = ServeConfig::load(&path).map_err(Failure::Usage)?;
    let listen = match (args.listen, &config.listen) {
        (Some(listen), _) => listen,
        (None, Some(text)) => {
            text.parse().map_err(|_| Failure::Usage(format!("{}: listen {text:?}", path.display())))?
        }
        (None, None) => DEFAULT_LISTEN.parse().expect("a valid address"),
    };
    let location = crate::store::location(&args.store, None)?;
    let recorder = crate::store::recorder(&args.store, None)?;
    let data_dir = crate::store::data_dir(&args.store)?;
    let policy = crate::load::policy_validated_once(args.policy.as_deref(), &data_dir)?;
    let guard = Arc::new(crate::gate(policy, Some(&data_dir), args.policy.as_deref()));
    let pool = DecisionPool::new(Arc::clone(&guard), DECISION_THREADS, DECISION_QUEUE, DECISION_DEADLINE)
        .map_err(|error| Failure::Io(format!("cannot start the decision threads: {error}")))?;
    let settings = crate::commands::hook::settings(args.policy.as_deref(), &args.store)?;
    let mut gate = Gate::new(guard, Some(recorder));
    if let Some(shadow) = &args.shadow_policy {
        let policy = crate::load::policy(Some(shadow))?;
        eprintln!(
            "guardrail: shadow policy {} ({}): recorded beside each decision, not enforced",
            shadow.display(),
            policy.version()
        );
        gate = gate.with_shadow(guardrail_core::Guard::new(policy));
    }
    if config.tokens.is_empty() && config.users.is_empty() {
        eprintln!(
            "guardrail: no API tokens or console users are configured in {}, so every /v1 call and console \
             login is refused; add a token with `guardrail serve token add NAME --kind human`, a person with \
             `guardrail serve user add NAME` (password on standard input)",
            path.display()
        );
    }
    // Bound before anything starts, so that links name where it listens.
    let listener = std::net::TcpListener::bind(listen)
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .map_err(|error| Failure::Io(format!("cannot listen on {listen}: {error}")))?;
    let bound = listener.local_addr().map_err(|error| Failure::Io(error.to_string()))?;
    let console = config.public_url.clone().unwrap_or_else(|| format!("http://{bound}"));
    let webhooks = config.webhooks.clone();
    let proxy = match &config.proxy {
        Some(file) => Some(hosted_proxy(&path, file, &gate, &console)?),
        None => None,
    };
    let trust_args = args.store.clone();
    let mcp = config.mcp.clone();
    let mut server = Server::new(gate, location.clone(), config)
        .with_config_file(path)
        .with_hooks(HookService { pool, settings, console: Some(console.clone()) })
        .with_trust(move || super::audit::trust(Vec::new(), None, &trust_args).map_err(|failure| failure.to_string()));
    for entry in &mcp {
        let upstream = super::mcp::upstream(&entry.upstream, entry.upstream_token_env.as_deref())?;
        let mut settings = guardrail_mcp::McpSettings::new(&entry.name, guardrail_core::Actor::default());
        settings.console = Some(console.clone());
        for spec in &entry.readings {
            settings.add_reading(spec).map_err(|error| Failure::Usage(format!("{}: {error}", entry.name)))?;
        }
        server =
            server.with_mcp(settings, upstream).map_err(|error| Failure::Usage(format!("{}: {error}", entry.name)))?;
        eprintln!("guardrail: fronting the MCP server {} at http://{bound}/mcp/{}", entry.name, entry.name);
    }
    let server = match &proxy {
        Some((proxy, _)) => {
            let counted = Arc::clone(proxy);
            server.with_proxy_connections(move || counted.connections())
        }
        None => server,
    };
    let server = Arc::new(server);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("guardrail-serve")
        .build()
        .map_err(|error| Failure::Io(format!("cannot start the runtime: {error}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|error| Failure::Io(error.to_string()))?;
        if !webhooks.is_empty() {
            let cursor = data_dir.join("webhooks.cursor");
            let dispatcher = guardrail_serve::webhooks::Dispatcher::new(location, webhooks, cursor, Some(console));
            tokio::spawn(dispatcher.run());
        }
        if let Some((proxy, listen)) = proxy {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|error| Failure::Io(format!("cannot listen on {listen} for the proxy: {error}")))?;
            eprintln!("guardrail: hosting the PostgreSQL proxy on {listen}, upstream {}", proxy.upstream());
            tokio::spawn(async move {
                if let Err(error) = proxy.serve(listener).await {
                    tracing::error!(%error, "the hosted proxy stopped");
                }
            });
        }
        let (hooks, socket) = guardrail_serve::hooks::bind(&data_dir)
            .map_err(|error| Failure::Io(format!("cannot open the hook socket: {error}")))?;
        eprintln!(
            "guardrail: serving the API and the console on http://{bound} and agents' hooks on {}",
            socket.display()
        );
        let stopped = tokio::select! {
            result = axum_serve(listener, Arc::clone(&server)) => result,
            result = guardrail_serve::hooks::serve(hooks, server) => {
                result.map_err(|error| Failure::Io(format!("the hook socket failed: {error}")))
            }
            _ = stop() => {
                eprintln!("guardrail: stopping");
                Ok(())
            }
        };
        // Hooks judge themselves from now on.
        let _ = std::fs::remove_file(&socket);
        stopped
    })?;
    Ok(exit::ALLOW)
}

/// The PostgreSQL proxy configured in `file` (relative to the daemon's
/// configuration `config`), judging with the daemon's gate (one record,
/// shared group commits), linking held statements to the console; and
/// where it listens.
fn hosted_proxy(
    config: &std::path::Path,
    file: &std::path::Path,
    gate: &Gate,
    console: &str,
) -> Result<(Arc<guardrail_proxy::Proxy>, std::net::SocketAddr), Failure> {
    let file = config.parent().unwrap_or(std::path::Path::new(".")).join(file);
    let proxy_config = guardrail_proxy::config::ProxyConfig::load(&file).map_err(Failure::Usage)?;
    let mut settings =
        guardrail_proxy::ProxySettings::from_config(&proxy_config, None, None).map_err(Failure::Usage)?;
    settings.console = settings.console.or_else(|| Some(console.to_owned()));
    let deadline = std::time::Duration::from_millis(proxy_config.decision_deadline_ms.unwrap_or(2000));
    let pool = DecisionPool::new(gate.shared_guard(), DECISION_THREADS, 4096, deadline)
        .map_err(|error| Failure::Io(format!("cannot start the proxy's decision threads: {error}")))?;
    let listen =
        proxy_config.listen.unwrap_or_else(|| guardrail_proxy::Proxy::DEFAULT_LISTEN.parse().expect("a valid address"));
    Ok((Arc::new(guardrail_proxy::Proxy::new(settings, gate.clone(), pool)), listen))
}

/// Ctrl-C or SIGTERM (how service managers stop a daemon).
async fn stop() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, server: Arc<Server>) -> Result<(), Failure> {
    guardrail_serve::serve(listener, server).await.map_err(|error| Failure::Io(error.to_string()))
}
