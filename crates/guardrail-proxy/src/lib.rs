//! Guardrail's PostgreSQL proxy: clients (agents, people, their drivers)
//! connect to the proxy as they would to PostgreSQL, log in as an identity
//! of the proxy's, and every statement they send is judged by the gate
//! before it reaches the server. The proxy alone holds the server's
//! credential.
//!
//! One client connection is one server connection (session mode): server
//! connections are never shared, so no session state (a role, a setting,
//! a prepared statement) can pass from one client to the next.

mod catalog;
pub mod config;
pub mod mask;
pub mod scram;
mod session;
pub mod upstream;
pub mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use guardrail_audit::event::{RecordedActor, SessionEvent, SessionPhase};
use guardrail_audit::{Checked, Entry, Gate, RecordError};
use guardrail_core::{Action, Actor, ActorKind, Decision};
use guardrail_gate::DecisionPool;
use tokio::net::{TcpListener, TcpStream};

pub use config::ProxyConfig;
use scram::Verifier;
use session::Session;
use upstream::{BoxStream, Upstream};
use wire::{Conn, Report, Startup, WireError};

/// The channel the proxy's actions are recorded under.
pub const CHANNEL: &str = "pgproxy";

/// Startup parameters passed to the server as they are: they change how
/// values are shown, never what a statement may do. Any other parameter is
/// a setting, judged as `SET name = 'value'` would be.
const PASSED_PARAMETERS: &[&str] = &[
    "application_name",
    "client_encoding",
    "datestyle",
    "timezone",
    "intervalstyle",
    "extra_float_digits",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
    "bytea_output",
];

/// An identity clients log in as.
#[derive(Clone, Debug)]
pub struct Identity {
    pub actor: Actor,
    pub verifier: Verifier,
}

/// What every session shares.
pub(crate) struct Shared {
    gate: Arc<Gate>,
    pool: DecisionPool,
    environment: String,
    mask: mask::MaskRules,
    catalog: catalog::Catalog,
    upstream: Upstream,
    /// Set when a record could not be written: every statement is then
    /// written ahead (and refused while writing fails).
    record_failing: AtomicBool,
    /// How long a held statement waits for a person before it is refused.
    approval_hold: std::time::Duration,
    /// The console's address, for the link a held statement's notice gives.
    console: Option<String>,
}

impl Shared {
    /// A failed append: logged, and later statements wait for their
    /// records (and are refused while writing fails).
    fn record_failed(&self, session: &str, error: &RecordError, what: &str) {
        self.record_failing.store(true, Ordering::Relaxed);
        tracing::error!(%session, %error, "{what} could not be recorded");
    }

    /// A statement of `actor`'s, in session `session` on `database`.
    fn action(&self, actor: &Actor, database: &str, session: &str, text: String) -> Action {
        let mut action = Action::sql(text);
        action.actor = actor.clone();
        action.channel = CHANNEL.to_owned();
        action.target = database.to_owned();
        action.context.environment = self.environment.clone();
        action.context.session = Some(session.to_owned());
        action
    }

    /// Records `decision` on `action` and waits until it is durable.
    async fn record_decision(&self, action: &Action, decision: Arc<Decision>) -> Result<Checked, RecordError> {
        self.gate.submit(action, decision)?.recorded().await
    }
}

/// Where a client's BackendKeyData leads: the server connection to cancel.
struct CancelTarget {
    pid: i32,
    secret: Bytes,
    /// Wakes the session when it holds a statement for approval: the
    /// statement is not at the server, so the cancel is the session's.
    held: Arc<tokio::sync::Notify>,
}

/// The proxy: its settings, its gate, and the sessions' shared state.
pub struct Proxy {
    shared: Arc<Shared>,
    identities: HashMap<String, Identity>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limit: usize,
    /// Our cancel keys, to the server's.
    cancels: Mutex<HashMap<(i32, i32), CancelTarget>>,
    decoy_secret: [u8; 32],
    sessions: AtomicU64,
    servers: Arc<tokio::sync::Semaphore>,
    max_servers: usize,
}

/// How to build a [`Proxy`].
pub struct ProxySettings {
    pub upstream: Upstream,
    pub identities: Vec<Identity>,
    pub tls: Option<rustls::ServerConfig>,
    pub environment: String,
    pub max_message_bytes: usize,
    /// The most server connections open at once; clients beyond wait for
    /// one at login (as a pooler's session mode).
    pub max_server_connections: usize,
    pub mask: mask::MaskRules,
    /// How long a statement held for approval waits for a person's answer
    /// (with a `NOTICE` naming the request) before it is refused; zero
    /// refuses it at once.
    pub approval_hold: std::time::Duration,
    /// The console's address, for links (`guardrail serve`'s).
    pub console: Option<String>,
}

impl ProxySettings {
    /// The settings a configuration file gives, with the upstream URL and
    /// its CA overridden by flags when given. The upstream's password comes
    /// from `GUARDRAIL_UPSTREAM_PASSWORD` when set, else from the URL.
    pub fn from_config(
        config: &ProxyConfig,
        upstream: Option<&str>,
        upstream_ca: Option<&std::path::Path>,
    ) -> Result<ProxySettings, String> {
        let url = upstream.or(config.upstream.as_deref()).ok_or(
            "no upstream: give --upstream postgres://USER@HOST:PORT/DB, or `upstream` in the configuration file",
        )?;
        let password = std::env::var(config::UPSTREAM_PASSWORD_ENV).ok().filter(|password| !password.is_empty());
        let limit = config.max_message_bytes.unwrap_or(Proxy::DEFAULT_MAX_MESSAGE);
        let upstream = Upstream::parse(url, password, upstream_ca)?;
        let identities = config
            .identities
            .iter()
            .map(|entry| {
                let mut actor = Actor::new(entry.name.clone(), entry.kind);
                actor.roles = entry.roles.clone();
                actor.on_behalf_of = entry.on_behalf_of.clone();
                Ok(Identity { actor, verifier: Verifier::parse(&entry.verifier)? })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let tls = match &config.tls {
            Some(files) => {
                Some(upstream::server_tls(&config.resolve(&files.certificate), &config.resolve(&files.key))?)
            }
            None => None,
        };
        Ok(ProxySettings {
            upstream,
            identities,
            tls,
            environment: config
                .environment
                .clone()
                .unwrap_or_else(|| guardrail_core::ActionContext::DEFAULT_ENVIRONMENT.to_owned()),
            max_message_bytes: limit,
            max_server_connections: config.max_server_connections.unwrap_or(Proxy::DEFAULT_SERVER_CONNECTIONS),
            mask: mask::MaskRules {
                columns: config.masking.columns.iter().map(|column| column.to_ascii_lowercase()).collect(),
                builtin: !config.masking.no_builtin_rules,
                values: !config.masking.no_value_scan,
            },
            approval_hold: std::time::Duration::from_millis(
                config.approval_hold_ms.unwrap_or(Proxy::DEFAULT_APPROVAL_HOLD.as_millis() as u64),
            ),
            console: config.console_url.clone(),
        })
    }
}

impl Proxy {
    pub const DEFAULT_MAX_MESSAGE: usize = 64 << 20;
    pub const DEFAULT_LISTEN: &str = "127.0.0.1:6432";
    /// Below PostgreSQL's default `max_connections` (100), leaving room
    /// for administrators.
    pub const DEFAULT_SERVER_CONNECTIONS: usize = 80;
    /// How long a held statement waits for a person by default.
    pub const DEFAULT_APPROVAL_HOLD: std::time::Duration = std::time::Duration::from_secs(30);
    /// How long a client waits at login for a server connection.
    pub const SERVER_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

    /// Where the upstream is, without its credential.
    pub fn upstream(&self) -> String {
        self.shared.upstream.display()
    }

    pub fn identities(&self) -> usize {
        self.identities.len()
    }

    /// Clients connected now (each has its own server connection).
    pub fn connections(&self) -> usize {
        self.max_servers - self.servers.available_permits()
    }

    pub fn new(settings: ProxySettings, gate: Gate, pool: DecisionPool) -> Proxy {
        let mut decoy_secret = [0u8; 32];
        let _ = getrandom::fill(&mut decoy_secret);
        Proxy {
            shared: Arc::new(Shared {
                gate: Arc::new(gate),
                pool,
                environment: settings.environment,
                mask: settings.mask,
                catalog: catalog::Catalog::default(),
                upstream: settings.upstream,
                record_failing: AtomicBool::new(false),
                approval_hold: settings.approval_hold,
                console: settings.console,
            }),
            identities: settings.identities.into_iter().map(|identity| (identity.actor.id.clone(), identity)).collect(),
            tls: settings.tls.map(|config| tokio_rustls::TlsAcceptor::from(Arc::new(config))),
            limit: settings.max_message_bytes,
            cancels: Mutex::new(HashMap::new()),
            decoy_secret,
            sessions: AtomicU64::new(0),
            servers: Arc::new(tokio::sync::Semaphore::new(settings.max_server_connections.max(1))),
            max_servers: settings.max_server_connections.max(1),
        }
    }

    /// Accepts clients until the listener fails; each gets its own task,
    /// and a client's failure never disturbs another's.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                // Out of descriptors, a connection reset before accept:
                // wait a little and go on.
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let proxy = Arc::clone(&self);
            tokio::spawn(async move {
                if let Err(error) = proxy.connection(stream, peer).await {
                    tracing::info!(%peer, "connection ended: {error}");
                }
            });
        }
    }

    async fn connection(&self, stream: TcpStream, peer: SocketAddr) -> Result<(), String> {
        let _ = stream.set_nodelay(true);
        let mut conn: Conn<BoxStream> = Conn::new(Box::new(stream), self.limit);
        let mut tls = false;
        let parameters = loop {
            match conn.startup().await.map_err(|error| error.to_string())? {
                Startup::Ssl if !tls => match &self.tls {
                    Some(acceptor) => {
                        conn.send_raw(b"S").await.map_err(|error| error.to_string())?;
                        let (stream, buffered) = conn.into_parts();
                        if !buffered.is_empty() {
                            return Err("the client sent data before the TLS handshake".into());
                        }
                        let stream = acceptor.accept(stream).await.map_err(|error| format!("TLS: {error}"))?;
                        conn = Conn::new(Box::new(stream), self.limit);
                        tls = true;
                    }
                    None => conn.send_raw(b"N").await.map_err(|error| error.to_string())?,
                },
                Startup::GssEnc if !tls => conn.send_raw(b"N").await.map_err(|error| error.to_string())?,
                Startup::Cancel { pid, secret } => {
                    self.cancel(pid, &secret).await;
                    return Ok(());
                }
                Startup::Start { version, parameters } if version >> 16 == 3 => break parameters,
                Startup::Start { version, .. } => {
                    let report = Report::fatal(
                        "0A000",
                        format!(
                            "unsupported frontend protocol {}.{}: the proxy speaks 3.0",
                            version >> 16,
                            version & 0xffff
                        ),
                    );
                    report.write_to(&mut conn.write);
                    conn.shutdown().await;
                    return Err("unsupported protocol".into());
                }
                _ => return Err("a second SSL or GSS request".into()),
            }
        };
        let get = |name: &str| parameters.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
        let user = get("user").unwrap_or_default();
        // The database the session reaches: the one the configuration pins,
        // else the client's (recorded as the target either way).
        let asked = get("database").filter(|database| !database.is_empty()).unwrap_or_else(|| user.clone());
        let database = self.shared.upstream.database(&asked).to_owned();
        let session_id = format!("pg-{}-{}", std::process::id(), self.sessions.fetch_add(1, Ordering::Relaxed) + 1);
        let session_event = |phase, actor: &Actor, detail: Option<String>| SessionEvent {
            phase,
            actor: RecordedActor::from(actor),
            channel: CHANNEL.to_owned(),
            session: session_id.clone(),
            target: database.clone(),
            peer: Some(peer.to_string()),
            tls,
            detail,
        };

        if get("replication").is_some_and(|value| value != "false" && value != "0" && value != "off") {
            let unknown = Actor::new(user.clone(), ActorKind::Agent);
            self.record(
                &session_id,
                Entry::session(session_event(SessionPhase::Refused, &unknown, Some("replication connection".into()))),
            )
            .await;
            return refuse(&mut conn, Report::fatal("42501", "guardrail: replication connections are not proxied"))
                .await;
        }

        // SCRAM-SHA-256, always; names that are no identity fail the same way.
        let identity = self.identities.get(&user);
        let verifier =
            identity.map_or_else(|| Verifier::decoy(&user, &self.decoy_secret), |identity| identity.verifier.clone());
        if let Err(why) = authenticate(&mut conn, verifier).await {
            let actor =
                identity.map_or_else(|| Actor::new(user.clone(), ActorKind::Agent), |identity| identity.actor.clone());
            let detail = if identity.is_none() { format!("no identity named {user:?}") } else { why.clone() };
            self.record(&session_id, Entry::session(session_event(SessionPhase::Refused, &actor, Some(detail)))).await;
            let report = Report::fatal("28P01", format!("password authentication failed for user \"{user}\""));
            return refuse(&mut conn, report).await.map_err(|_| why);
        }
        let identity = identity.expect("only identities pass authentication");
        let actor = identity.actor.clone();

        // Settings given at login are judged as the SETs they are.
        let mut passed = Vec::new();
        for (name, value) in &parameters {
            if matches!(name.as_str(), "user" | "database") {
                continue;
            }
            let settings = if name == "options" { options(value) } else { vec![(name.clone(), value.clone())] };
            for (setting, setting_value) in &settings {
                if PASSED_PARAMETERS.contains(&setting.to_ascii_lowercase().as_str()) {
                    continue;
                }
                let text = format!("SET {} = '{}'", quote_identifier(setting), setting_value.replace('\'', "''"));
                let action = self.shared.action(&actor, &database, &session_id, text);
                let decision = match self.shared.pool.decide_async(action.clone()).await {
                    Ok(decision) => decision,
                    Err(error) => {
                        return refuse(&mut conn, Report::fatal("53000", format!("guardrail: {error}"))).await;
                    }
                };
                if let Err(error) = self.shared.record_decision(&action, Arc::clone(&decision)).await {
                    return refuse(&mut conn, Report::fatal("58000", format!("guardrail: {error}"))).await;
                }
                if decision.verdict != guardrail_core::Verdict::Allow {
                    let mut report = session::refusal(&decision, None);
                    report.severity = "FATAL";
                    report.message = format!("{} (the login setting {setting})", report.message);
                    return refuse(&mut conn, report).await;
                }
            }
            passed.push((name.clone(), value.clone()));
        }

        let slot = match tokio::time::timeout(Proxy::SERVER_WAIT, Arc::clone(&self.servers).acquire_owned()).await {
            Ok(Ok(slot)) => slot,
            _ => {
                let message =
                    format!("guardrail: all {} server connections are in use; try again later", self.max_servers);
                return refuse(&mut conn, Report::fatal("53300", message)).await;
            }
        };
        let mut server = match self.shared.upstream.connect(&database, &passed).await {
            Ok(server) => server,
            Err(error) => {
                tracing::warn!(session = %session_id, upstream = %self.shared.upstream.display(), "{error}");
                self.record(
                    &session_id,
                    Entry::session(session_event(SessionPhase::Refused, &actor, Some(error.to_string()))),
                )
                .await;
                let report = match error {
                    upstream::UpstreamError::Refused(mut report) => {
                        report.severity = "FATAL";
                        report.message = format!("guardrail: the database server refused: {}", report.message);
                        report
                    }
                    other => Report::fatal("08006", format!("guardrail: {other}")),
                };
                return refuse(&mut conn, report).await;
            }
        };
        self.record(&session_id, Entry::session(session_event(SessionPhase::Started, &actor, None))).await;

        // The client logs in to the proxy; the server's own greeting
        // (parameters) is passed on, with the proxy's cancel key.
        let cancelled = Arc::new(tokio::sync::Notify::new());
        let (pid, secret) = self.cancel_key(server.pid, server.secret.clone(), Arc::clone(&cancelled));
        wire::authentication(&mut conn.write, 0, &[]);
        for (name, value) in &server.parameters {
            wire::parameter_status(&mut conn.write, name, value);
        }
        wire::backend_key_data(&mut conn.write, pid, secret);
        wire::ready_for_query(&mut conn.write, b'I');
        conn.flush().await.map_err(|error| error.to_string())?;

        let mut nonce = [0u8; 6];
        let _ = getrandom::fill(&mut nonce);
        let nonce: String = nonce.iter().map(|byte| format!("{byte:02x}")).collect();
        server.conn.write.clear();
        let mut session = Session::new(
            Arc::clone(&self.shared),
            conn,
            server.conn,
            actor.clone(),
            database.clone(),
            session_id.clone(),
            nonce,
            cancelled,
        );
        let result = session.run().await;
        session.close().await;
        session.settle().await;
        drop(slot);
        self.cancels.lock().expect("cancel keys").remove(&(pid, secret));
        let detail = match &result {
            Ok(()) => format!("{} statements", session.statements_judged),
            Err(error) => format!("{} statements; {error}", session.statements_judged),
        };
        self.record(&session_id, Entry::session(session_event(SessionPhase::Ended, &actor, Some(detail)))).await;
        result.map_err(|error| error.to_string())
    }

    async fn record(&self, session: &str, entry: Entry) {
        let result = match self.shared.gate.submit_entry(entry) {
            Ok(ticket) => ticket.await,
            Err(error) => Err(error),
        };
        if let Err(error) = result {
            self.shared.record_failed(session, &error, "a session event");
        }
    }

    fn cancel_key(&self, server_pid: i32, server_secret: Bytes, held: Arc<tokio::sync::Notify>) -> (i32, i32) {
        let mut cancels = self.cancels.lock().expect("cancel keys");
        loop {
            let mut bytes = [0u8; 8];
            let _ = getrandom::fill(&mut bytes);
            let pid = i32::from_be_bytes(bytes[..4].try_into().unwrap()) & 0x7fff_ffff;
            let secret = i32::from_be_bytes(bytes[4..].try_into().unwrap());
            if let std::collections::hash_map::Entry::Vacant(entry) = cancels.entry((pid, secret)) {
                entry.insert(CancelTarget { pid: server_pid, secret: server_secret, held });
                return (pid, secret);
            }
        }
    }

    async fn cancel(&self, pid: i32, secret: &[u8]) {
        let Ok(secret): Result<[u8; 4], _> = secret.try_into() else { return };
        let target = {
            let cancels = self.cancels.lock().expect("cancel keys");
            let target = cancels.get(&(pid, i32::from_be_bytes(secret)));
            // Only a session waiting now is woken: a cancel that finds
            // none leaves nothing behind for a later hold.
            if let Some(target) = target {
                target.held.notify_waiters();
            }
            target.map(|target| (target.pid, target.secret.clone()))
        };
        // An unknown key is ignored, as PostgreSQL does.
        if let Some((pid, secret)) = target
            && let Err(error) = self.shared.upstream.cancel(pid, &secret).await
        {
            tracing::warn!("cancelling a query failed: {error}");
        }
    }
}

async fn refuse(conn: &mut Conn<BoxStream>, report: Report) -> Result<(), String> {
    report.write_to(&mut conn.write);
    conn.shutdown().await;
    Err(report.message)
}

/// Runs SCRAM-SHA-256 with the client. `Err` says why it failed.
async fn authenticate(conn: &mut Conn<BoxStream>, verifier: Verifier) -> Result<(), String> {
    let mut mechanisms = bytes::BytesMut::new();
    wire::put_str(&mut mechanisms, scram::MECHANISM);
    mechanisms.extend_from_slice(&[0]);
    wire::authentication(&mut conn.write, 10, &mechanisms);
    conn.flush().await.map_err(|error| error.to_string())?;
    let first = password_message(conn).await?;
    let mut fields = wire::Fields(first);
    let mechanism = fields.str().map_err(|error| error.to_string())?;
    if mechanism != scram::MECHANISM {
        return Err(format!("the client chose {mechanism:?}"));
    }
    let length = fields.i32().map_err(|error| error.to_string())?;
    let data = fields.rest();
    if length < 0 || length as usize != data.len() {
        return Err("a malformed SASL initial response".into());
    }
    let client_first = std::str::from_utf8(&data).map_err(|_| "a SASL message that is not UTF-8".to_owned())?;
    let (exchange, server_first) =
        scram::Exchange::start(verifier, client_first).map_err(|error| format!("{error:?}"))?;
    wire::authentication(&mut conn.write, 11, server_first.as_bytes());
    conn.flush().await.map_err(|error| error.to_string())?;
    let last = password_message(conn).await?;
    let client_final = std::str::from_utf8(&last).map_err(|_| "a SASL message that is not UTF-8".to_owned())?;
    let server_final = exchange.finish(client_final).map_err(|error| match error {
        scram::ScramError::WrongProof => "wrong password".to_owned(),
        scram::ScramError::Malformed(what) => what.to_owned(),
    })?;
    wire::authentication(&mut conn.write, 12, server_final.as_bytes());
    Ok(())
}

async fn password_message(conn: &mut Conn<BoxStream>) -> Result<Bytes, String> {
    let message = conn.message().await.map_err(|error| match error {
        WireError::Closed => "the client left during authentication".to_owned(),
        other => other.to_string(),
    })?;
    if message.tag != b'p' {
        return Err(format!("expected a password message, got {:?}", message.tag as char));
    }
    Ok(message.body)
}

/// The settings of a libpq `options` parameter: `-c name=value` and
/// `--name=value`, with backslash escapes for spaces.
fn options(text: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            ' ' | '\t' => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            other => word.push(other),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut settings = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let assignment = if word == "-c" {
            words.next()
        } else if let Some(rest) = word.strip_prefix("--") {
            Some(rest.to_owned())
        } else if let Some(rest) = word.strip_prefix("-c") {
            Some(rest.to_owned())
        } else {
            // Anything else in options is a server flag: judged by its text.
            Some(format!("{}={}", word.trim_start_matches('-'), ""))
        };
        if let Some((name, value)) = assignment.as_deref().and_then(|assignment| assignment.split_once('=')) {
            settings.push((name.replace('-', "_"), value.to_owned()));
        }
    }
    settings
}

fn quote_identifier(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn login_options_are_read_as_settings() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("-c search_path=app", &[("search_path", "app")]),
            (
                "-csession_replication_role=replica -c role=admin",
                &[("session_replication_role", "replica"), ("role", "admin")],
            ),
            ("--statement-timeout=5s", &[("statement_timeout", "5s")]),
            ("-c application_name=a\\ b", &[("application_name", "a b")]),
        ];
        for (text, expected) in cases {
            let found = super::options(text);
            let expected: Vec<(String, String)> =
                expected.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
            assert_eq!(found, expected, "{text}");
        }
    }
}
