//! `guardrail proxy`: the PostgreSQL proxy, and its identities.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use guardrail_audit::Gate;
use guardrail_gate::DecisionPool;
use guardrail_proxy::config::{IdentityEntry, ProxyConfig};
use guardrail_proxy::{Proxy, ProxySettings};

use crate::cli::{IdentityAddArgs, IdentityCommand, ProxyArgs, ProxyCommand};
use crate::{Failure, load};

pub fn run(args: ProxyArgs) -> Result<i32, Failure> {
    match args.command {
        Some(ProxyCommand::Identity(IdentityCommand::Add(add))) => identity_add(add),
        None => serve(args),
    }
}

fn identity_add(args: IdentityAddArgs) -> Result<i32, Failure> {
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).map_err(Failure::io("standard input"))?;
    let password = password.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(Failure::Usage("no password on standard input: pipe the identity's password in".into()));
    }
    let entry = IdentityEntry {
        name: args.name.clone(),
        kind: args.kind.into(),
        roles: args.roles,
        on_behalf_of: args.on_behalf_of,
        verifier: guardrail_proxy::scram::Verifier::of_password(password),
    };
    guardrail_proxy::config::add_identity(&args.config, &entry).map_err(Failure::Usage)?;
    eprintln!("guardrail: identity {:?} added to {}", args.name, args.config.display());
    Ok(crate::cli::exit::ALLOW)
}

fn serve(args: ProxyArgs) -> Result<i32, Failure> {
    super::init_log();
    let config = match &args.config {
        Some(path) => ProxyConfig::load(path).map_err(Failure::Usage)?,
        None => ProxyConfig::default(),
    };
    let settings = ProxySettings::from_config(&config, args.upstream.as_deref(), args.upstream_ca.as_deref())
        .map_err(Failure::Usage)?;
    let listen =
        args.listen.or(config.listen).unwrap_or_else(|| Proxy::DEFAULT_LISTEN.parse().expect("a valid address"));
    let policy = load::policy(args.policy.as_deref())?;
    let recorder = crate::store::recorder(&args.store, None)?;
    let data_dir = crate::store::data_dir(&args.store).ok();
    let gate = Gate::new(crate::gate(policy, data_dir.as_deref(), args.policy.as_deref()), Some(recorder));
    let deadline = Duration::from_millis(config.decision_deadline_ms.unwrap_or(2000));
    let pool = DecisionPool::new(gate.shared_guard(), args.decision_threads.max(1), 4096, deadline)
        .map_err(|error| Failure::Io(format!("cannot start the decision threads: {error}")))?;
    // One I/O thread runs every session on this thread, with tokio's
    // single-threaded scheduler (no work stealing to pay for).
    let mut builder = if args.io_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(args.io_threads);
        builder
    };
    let runtime = builder
        .enable_all()
        .thread_name("guardrail-proxy")
        .build()
        .map_err(|error| Failure::Io(format!("cannot start the proxy's runtime: {error}")))?;
    let proxy = Arc::new(Proxy::new(settings, gate, pool));
    if proxy.identities() == 0 {
        eprintln!(
            "guardrail: no identities are configured, so no client can log in; add one with \
             `guardrail proxy identity add NAME --kind agent --config FILE`"
        );
    }
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|error| Failure::Io(format!("cannot listen on {listen}: {error}")))?;
        let bound = listener.local_addr().map_err(|error| Failure::Io(error.to_string()))?;
        eprintln!("guardrail: proxy listening on {bound}, upstream {}", proxy.upstream());
        tokio::select! {
            result = Arc::clone(&proxy).serve(listener) => result.map_err(|error| Failure::Io(error.to_string()))?,
            _ = tokio::signal::ctrl_c() => eprintln!("guardrail: proxy stopping"),
        }
        Ok::<_, Failure>(())
    })?;
    Ok(crate::cli::exit::ALLOW)
}
