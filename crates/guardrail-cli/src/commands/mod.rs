pub mod approvals;
pub mod audit;
pub mod check;
pub mod doctor;
pub mod exec;
pub mod hook;
pub mod mcp;
pub mod policy;
pub mod proxy;
pub mod record;
pub mod serve;

/// The log of a long-running command (the proxy, the daemon): standard
/// error, filtered by `GUARDRAIL_LOG` (default `info`).
pub(crate) fn init_log() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GUARDRAIL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
}
