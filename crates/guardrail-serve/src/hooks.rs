//! The hook socket: while the daemon runs, `guardrail hook` is a thin
//! client that hands each agent event here ([`guardrail_gate::hook::socket`]
//! describes the exchange), so a hook call costs a process start and one
//! round trip instead of starting a gate and opening the record, and
//! concurrent hooks share the recorder's group commits instead of taking
//! turns on the store's lock.
//!
//! The socket is the owner's alone (0600, in the data directory, itself
//! 0700): what reaches it is what the same user could run as `guardrail
//! hook` anyway, and it only ever judges as the agent the event names.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use guardrail_gate::DecisionPool;
use guardrail_gate::hook::{self, Hooks, socket::Answer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::Server;

/// What the daemon needs to answer hooks beyond the gate it shares with
/// the API.
pub struct HookService {
    /// Decides off the runtime, each decision within the pool's deadline.
    pub pool: DecisionPool,
    /// The digest of the daemon's settings ([`hook::socket::settings`]):
    /// a hook with other settings is told to judge itself.
    pub settings: String,
    /// The console's address, for the link a held action's answer gives.
    pub console: Option<String>,
}

/// Binds the hook socket in `data_dir`, owner-only. A socket left by a
/// daemon that is gone is replaced; one that answers is another daemon's,
/// and an error.
pub fn bind(data_dir: &Path) -> io::Result<(UnixListener, PathBuf)> {
    use std::os::unix::fs::PermissionsExt;
    let path = data_dir.join(hook::socket::FILE);
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(&path).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("another guardrail serve answers hooks at {}", path.display()),
            ));
        }
        std::fs::remove_file(&path)?;
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok((listener, path))
}

/// How long a client has to send its request: a hook writes it at once,
/// and a connection left idle holds a descriptor for nothing.
const REQUEST_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Answers hook clients on `listener`. A failed accept (out of
/// descriptors, most often) is waited out, never the end of the daemon.
pub async fn serve(listener: UnixListener, server: Arc<Server>) -> io::Result<()> {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "accepting a hook client failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            if let Err(error) = one(stream, server).await {
                tracing::debug!(%error, "a hook client went away");
            }
        });
    }
}

/// One request, one answer.
async fn one(stream: UnixStream, server: Arc<Server>) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read.take(hook::socket::MAX_REQUEST as u64 + 1));
    let mut line = String::new();
    match tokio::time::timeout(REQUEST_WITHIN, reader.read_line(&mut line)).await {
        Ok(read) => read?,
        Err(_) => return Ok(()), // nothing asked in time: nobody to answer
    };
    let answer = if line.len() > hook::socket::MAX_REQUEST {
        Answer::Block(format!("the event is larger than {} MiB", hook::socket::MAX_REQUEST >> 20))
    } else if !line.ends_with('\n') {
        return Ok(()); // the client went away mid-request: nobody to answer
    } else {
        answer(line, server).await
    };
    write.write_all(answer.to_line().as_bytes()).await
}

async fn answer(line: String, server: Arc<Server>) -> Answer {
    let Some(service) = server.hooks.as_ref() else {
        return Answer::Unserved("this daemon does not answer hooks".into());
    };
    let hook::socket::Request { agent, settings, input: raw, hold } = match hook::socket::Request::parse(&line) {
        Ok(request) => request,
        Err(why) => return Answer::Block(why),
    };
    if settings != service.settings {
        return Answer::Unserved("the daemon judges with other settings (policy, store, node or anchors)".into());
    }
    let judged = tokio::task::spawn_blocking(move || {
        let service = server.hooks.as_ref().expect("checked above");
        let input: serde_json::Value =
            serde_json::from_str(&raw).map_err(|error| format!("the hook input is not JSON: {error}"))?;
        let observe = |decision: &guardrail_core::Decision, took, recording| {
            server.metrics.decided(decision, took, recording);
        };
        let hooks = Hooks {
            gate: &server.gate,
            pool: Some(&service.pool),
            location: &server.location,
            observe: Some(&observe),
            console: service.console.as_deref(),
            hold,
        };
        hooks.answer(agent, &raw, &input)
    })
    .await;
    match judged {
        Ok(Ok(output)) => Answer::Output(output),
        Ok(Err(why)) => Answer::Block(why),
        Err(error) => Answer::Block(format!("the gate failed: {error}")),
    }
}
