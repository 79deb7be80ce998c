#![recursion_limit = "256"]
//! `guardrail serve`: the long-running daemon. On one address it hosts the
//! HTTP API through which people (and their tools) see and decide on the
//! actions the gate holds for approval, the web console ([`console`]),
//! Prometheus metrics and the OpenAPI document; beside it, the socket that
//! answers agents' hooks ([`hooks`]) and the webhook dispatcher
//! ([`webhooks`]).
//!
//! Every `/v1` endpoint needs a bearer token: `guardrail serve token add`
//! mints one for an identity (a name, a kind, roles) and keeps only its
//! SHA-256 in the configuration file. A caller decides as that identity, so
//! the approval rules (a person, not the requester nor whom an agent acts
//! for, the rule's role) apply to who the token says, not to anything the
//! request claims. Errors are JSON with a stable `code`.

pub mod config;
mod console;
pub mod hooks;
mod metrics;
mod openapi;
pub mod webhooks;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use guardrail_audit::approval::{Approver, Refused, Viewed};
use guardrail_audit::{ApprovalError, Gate, Location};
use serde::Deserialize;

pub use config::{ServeConfig, TokenEntry, UserEntry};

/// What every request shares.
pub struct Server {
    gate: Gate,
    /// The record, to read requests from (the gate's recorder writes).
    location: Location,
    /// Who may call: API tokens and console users.
    callers: Arc<Callers>,
    /// Answering agents' hooks, when the daemon does.
    hooks: Option<hooks::HookService>,
    console: console::Console,
    metrics: metrics::Metrics,
    /// Clients connected now to the proxy the daemon hosts, if it does.
    proxy_connections: Option<Box<dyn Fn() -> usize + Send + Sync>>,
    /// MCP servers the daemon fronts over HTTP, each at `/mcp/NAME`.
    mcp: Vec<(guardrail_mcp::McpSettings, guardrail_mcp::http::Upstream)>,
    /// The host name of `public_url`: besides IP addresses and
    /// `localhost`, the one name requests may be sent to ([`known_host`]).
    public_host: Option<String>,
}

/// API tokens and console users, reread from the configuration file when
/// it changes, so that a revocation takes effect at once.
pub struct Callers {
    identities: RwLock<Identities>,
    config_file: Option<PathBuf>,
}

/// The configuration's identities, as of the file's modification time.
struct Identities {
    tokens: Vec<TokenEntry>,
    users: Vec<UserEntry>,
    modified: Option<SystemTime>,
}

impl Callers {
    /// The identities in `config`; rereads `config_file` (if given)
    /// whenever it changes (a file that no longer reads keeps the
    /// identities last read, and says so).
    pub fn new(config: &ServeConfig, config_file: Option<PathBuf>) -> Callers {
        let modified =
            config_file.as_ref().and_then(|path| std::fs::metadata(path).and_then(|metadata| metadata.modified()).ok());
        Callers {
            identities: RwLock::new(Identities {
                tokens: config.tokens.clone(),
                users: config.users.clone(),
                modified,
            }),
            config_file,
        }
    }

    /// Rereads the configuration's identities if its file changed.
    fn refresh(&self) {
        let Some(path) = &self.config_file else { return };
        let modified = std::fs::metadata(path).and_then(|metadata| metadata.modified()).ok();
        if self.identities.read().map(|identities| identities.modified == modified).unwrap_or(false) {
            return;
        }
        match ServeConfig::load(path) {
            Ok(config) => {
                if let Ok(mut identities) = self.identities.write() {
                    *identities = Identities { tokens: config.tokens, users: config.users, modified };
                }
            }
            Err(error) => tracing::warn!(%error, "the configuration no longer reads; keeping the identities last read"),
        }
    }

    /// The identity a bearer token stands for.
    fn caller(&self, headers: &HeaderMap) -> Result<TokenEntry, ApiError> {
        let presented = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            // The scheme's name is case-insensitive (RFC 9110, 11.1).
            .and_then(|value| value.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")))
            .map(|(_, token)| token)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "a bearer token is required"))?;
        let digest = config::token_digest(presented.trim());
        self.refresh();
        let identities = self.identities.read().map_err(|_| ApiError::internal("the identities are poisoned"))?;
        identities.tokens.iter().find(|entry| config::same_digest(&entry.sha256, &digest)).cloned().ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "the token is not known (or was revoked)")
        })
    }

    /// Who calls an MCP server, by the request's bearer token.
    pub fn mcp_authenticator(self: &Arc<Callers>) -> guardrail_mcp::http::Authenticate {
        let callers = Arc::clone(self);
        Arc::new(move |headers: &HeaderMap| {
            let entry = callers.caller(headers).map_err(|error| error.message)?;
            let mut actor = guardrail_core::Actor::new(entry.name, entry.kind);
            actor.roles = entry.roles;
            Ok(actor)
        })
    }

    /// Console user `name`, as the configuration has it now.
    fn user(&self, name: &str) -> Option<UserEntry> {
        self.refresh();
        self.identities.read().ok()?.users.iter().find(|user| user.name == name).cloned()
    }
}

impl Server {
    pub fn new(gate: Gate, location: Location, config: ServeConfig) -> Server {
        Server {
            gate,
            location,
            callers: Arc::new(Callers::new(&config, None)),
            hooks: None,
            console: console::Console::default(),
            metrics: metrics::Metrics::default(),
            proxy_connections: None,
            mcp: Vec::new(),
            public_host: config.public_url.as_deref().and_then(host_of_url),
        }
    }

    /// Rereads tokens and users from `path` whenever it changes (a token
    /// revoked or a user removed is refused from the next request on; a
    /// file that no longer reads keeps the identities last read, and says so).
    pub fn with_config_file(mut self, path: PathBuf) -> Server {
        let (tokens, users) = self
            .callers
            .identities
            .read()
            .map(|identities| (identities.tokens.clone(), identities.users.clone()))
            .unwrap_or_default();
        let config = ServeConfig { tokens, users, ..ServeConfig::default() };
        self.callers = Arc::new(Callers::new(&config, Some(path)));
        self
    }

    /// Has the console's integrity page trust what `trust` builds (the
    /// local key, the anchors' checkpoints), as `audit verify` does.
    pub fn with_trust(
        mut self,
        trust: impl Fn() -> Result<guardrail_audit::verify::Trust, String> + Send + Sync + 'static,
    ) -> Server {
        self.console.trust = Some(Box::new(trust));
        self
    }

    /// Counts the hosted proxy's connections in `/metrics`.
    pub fn with_proxy_connections(mut self, connections: impl Fn() -> usize + Send + Sync + 'static) -> Server {
        self.proxy_connections = Some(Box::new(connections));
        self
    }

    /// Answers agents' hooks too ([`hooks::serve`]).
    pub fn with_hooks(mut self, hooks: hooks::HookService) -> Server {
        self.hooks = Some(hooks);
        self
    }

    /// Fronts an MCP server over HTTP at `/mcp/NAME` (`settings.server`),
    /// for callers with a token; its URL is checked now.
    pub fn with_mcp(
        mut self,
        settings: guardrail_mcp::McpSettings,
        upstream: guardrail_mcp::http::Upstream,
    ) -> Result<Server, String> {
        let name = &settings.server;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("an MCP server's name is letters, digits, - and _: {name:?}"));
        }
        if self.mcp.iter().any(|(other, _)| other.server == *name) {
            return Err(format!("two MCP servers are named {name:?}"));
        }
        // The URL and the credential are checked here, not at the first call.
        let never: guardrail_mcp::http::Authenticate = Arc::new(|_: &HeaderMap| Err("not serving".to_owned()));
        guardrail_mcp::http::HttpProxy::new(self.gate.clone(), settings.clone(), &upstream, never)?;
        self.mcp.push((settings, upstream));
        Ok(self)
    }

    /// Who may call.
    pub fn callers(&self) -> &Arc<Callers> {
        &self.callers
    }

    /// The identity a bearer token stands for.
    fn caller(&self, headers: &HeaderMap) -> Result<TokenEntry, ApiError> {
        self.callers.caller(headers)
    }

    /// Console user `name`, as the configuration has it now.
    fn user(&self, name: &str) -> Option<UserEntry> {
        self.callers.user(name)
    }
}

/// Serves the API and the console on `listener` until it fails.
pub async fn serve(listener: tokio::net::TcpListener, server: Arc<Server>) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Answers go out as written (no wait for a delayed acknowledgement).
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let app = router(server).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).await
}

/// The API's and the console's routes.
pub fn router(server: Arc<Server>) -> Router {
    let mut app = Router::new()
        .route("/healthz", get(|| async { Json(serde_json::json!({"status": "ok"})) }))
        .route("/v1/approvals", get(list))
        .route("/v1/approvals/{id}", get(show))
        .route("/v1/approvals/{id}/{verb}", post(change))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .merge(console::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .with_state(Arc::clone(&server));
    for (settings, upstream) in &server.mcp {
        let authenticate = server.callers.mcp_authenticator();
        match guardrail_mcp::http::HttpProxy::new(server.gate.clone(), settings.clone(), upstream, authenticate) {
            Ok(proxy) => {
                let path = format!("/mcp/{}", settings.server);
                app = app.merge(guardrail_mcp::http::router(Arc::new(proxy), &path));
            }
            Err(error) => tracing::error!(%error, server = %settings.server, "the MCP server is not fronted"),
        }
    }
    app.layer(axum::middleware::from_fn_with_state(server, known_host))
}

/// Refuses a request sent to a host name the daemon is not known by. A web
/// page can re-point its own name at this address (DNS rebinding) and then
/// talk to the daemon as its own origin: try passwords, lock people out,
/// read what needs no login. IP addresses and `localhost` cannot be
/// re-pointed; the name people reach the daemon by is `public_url`'s.
async fn known_host(
    State(server): State<Arc<Server>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|authority| authority.to_string()));
    match host {
        Some(host) if !host_allowed(&host, server.public_host.as_deref()) => ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "unknown_host",
            "this daemon is reached by its address, localhost, or the host of its public_url",
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

/// Whether `host` (a Host header: a name or address, with or without a
/// port) may reach the daemon.
fn host_allowed(host: &str, public: Option<&str>) -> bool {
    let host = host.trim();
    if host.starts_with('[') {
        return true; // an IPv6 address
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok()
        || public.is_some_and(|public| public.eq_ignore_ascii_case(name))
}

/// The host name of a URL (`https://gate.example.com:8443/x` ->
/// `gate.example.com`), read as the webhooks' HTTP client reads URLs; one
/// written without its scheme is read as `http://`'s.
fn host_of_url(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok().filter(|parsed| parsed.host_str().is_some());
    let parsed = parsed.or_else(|| reqwest::Url::parse(&format!("http://{url}")).ok())?;
    parsed.host_str().map(|host| host.trim_end_matches('.').to_ascii_lowercase())
}

/// An API error: its HTTP status, a stable code, and words for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    fn internal(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message.to_string())
    }

    /// A request an extractor could not read (its body, its query): a
    /// JSON error like every other, with the extractor's words.
    fn unreadable(rejection: impl IntoResponse + std::fmt::Display) -> ApiError {
        let message = rejection.to_string();
        let status = rejection.into_response().status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "too_large" } else { "bad_request" };
        ApiError::new(if status.is_client_error() { status } else { StatusCode::BAD_REQUEST }, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({"error": {"code": self.code, "message": self.message}}));
        (self.status, body).into_response()
    }
}

impl From<ApprovalError> for ApiError {
    fn from(error: ApprovalError) -> ApiError {
        match error {
            ApprovalError::Refused(refused) => {
                let (status, code) = match &refused {
                    Refused::Unknown(_) | Refused::NoApproval => (StatusCode::NOT_FOUND, "not_found"),
                    Refused::OwnRequest { .. }
                    | Refused::NotAPerson { .. }
                    | Refused::MissingRole { .. }
                    | Refused::NotRequester { .. } => (StatusCode::FORBIDDEN, "forbidden"),
                    Refused::NoReason => (StatusCode::BAD_REQUEST, "reason_required"),
                    Refused::Final { .. }
                    | Refused::NotApproved { .. }
                    | Refused::AlreadyDecided { .. }
                    | Refused::OtherAction { .. }
                    | Refused::NotInRecord { .. } => (StatusCode::CONFLICT, "conflict"),
                };
                ApiError::new(status, code, refused.to_string())
            }
            ApprovalError::Record(error) => ApiError::internal(error),
        }
    }
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<usize>,
}

/// Runs `work` on the record, opened read-only, off the runtime's threads.
pub(crate) async fn on_record<T: Send + 'static, E: std::fmt::Display>(
    location: &Location,
    work: impl FnOnce(&mut dyn guardrail_audit::Store) -> Result<T, E> + Send + 'static,
) -> Result<T, String> {
    let location = location.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = location.open_read_only().map_err(|error| error.to_string())?;
        work(store.as_mut()).map_err(|error| error.to_string())
    })
    .await
    .map_err(|error| error.to_string())?
}

/// Reads the record for an API answer.
async fn read<T: Send + 'static>(
    server: &Arc<Server>,
    work: impl FnOnce(&mut dyn guardrail_audit::Store) -> Result<T, guardrail_audit::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    on_record(&server.location, work).await.map_err(ApiError::internal)
}

async fn list(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Viewed>>, ApiError> {
    server.caller(&headers)?;
    let Query(query) = query.map_err(ApiError::unreadable)?;
    let state =
        match query.state.as_deref() {
            None => None,
            Some(text) => Some(guardrail_audit::approval::State::parse(text).ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("unknown state {text:?}"))
            })?),
        };
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "limit is from 1 to 1000"));
    }
    let requests = read(&server, |store| store.approvals()).await?;
    Ok(Json(guardrail_audit::approval::as_of(requests, state, limit, guardrail_audit::now())))
}

async fn show(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Viewed>, ApiError> {
    server.caller(&headers)?;
    let wanted = id.clone();
    let request = read(&server, move |store| store.approval(&wanted)).await?;
    let request = request.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("there is no approval request {id}"))
    })?;
    Ok(Json(Viewed::of(request, guardrail_audit::now())))
}

/// A misspelt field is an error, not a decision without its reason.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    #[serde(default)]
    reason: String,
}

/// A change to a request, as the caller's identity: `approve` and `deny`
/// (a person's answer), or `cancel` (the requester, or whom an agent acts
/// for, withdrawing it).
async fn change(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path((id, verb)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Viewed>, ApiError> {
    let caller = server.caller(&headers)?;
    // No body is no reason; a body is a JSON decision, whatever its
    // content type says, and anything else an error.
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        String::new()
    } else {
        serde_json::from_slice::<Decision>(&body)
            .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("the body: {error}")))?
            .reason
    };
    let gate = &server.gate;
    let ticket = match verb.as_str() {
        "approve" | "deny" => {
            let by = Approver { id: caller.name.clone(), kind: caller.kind, roles: caller.roles.clone() };
            gate.decide_approval(&id, by, verb == "approve", &reason)
        }
        "cancel" => gate.cancel_approval(&id, &caller.name, &reason),
        _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")),
    };
    let changed = ticket.map_err(ApiError::internal)?.await?;
    Ok(Json(Viewed::of(changed.request, guardrail_audit::now())))
}

/// Prometheus' text format; any API token may read it.
async fn metrics(State(server): State<Arc<Server>>, headers: HeaderMap) -> Result<Response, ApiError> {
    server.caller(&headers)?;
    let requests = read(&server, |store| store.approvals()).await?;
    let pending = guardrail_audit::approval::as_of(
        requests,
        Some(guardrail_audit::approval::State::Pending),
        usize::MAX,
        guardrail_audit::now(),
    )
    .len();
    let mut body = server.metrics.render(pending);
    if let Some(connections) = &server.proxy_connections {
        body.push_str("# HELP guardrail_proxy_connections Clients connected to the hosted PostgreSQL proxy.\n");
        body.push_str("# TYPE guardrail_proxy_connections gauge\n");
        body.push_str(&format!("guardrail_proxy_connections {}\n", connections()));
    }
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_reach_the_daemon_by_address_localhost_or_its_public_name() {
        let public = host_of_url("https://Gate.Example.com:8443/console");
        assert_eq!(public.as_deref(), Some("gate.example.com"));
        for written in ["gate.example.com:8443", "http://user@gate.example.com./x", "gate.example.com"] {
            assert_eq!(host_of_url(written).as_deref(), Some("gate.example.com"), "{written}");
        }
        let cases = [
            ("127.0.0.1:8420", true),
            ("localhost:8420", true),
            ("LOCALHOST", true),
            ("[::1]:8420", true),
            ("10.0.0.7", true),
            ("gate.example.com:8443", true),
            ("gate.example.com.", true),
            ("rebind.evil.example:8420", false),
            ("127.0.0.1.evil.example", false),
            ("localhost.evil.example:8420", false),
            ("gate.example.com.evil.example", false),
        ];
        for (host, allowed) in cases {
            assert_eq!(host_allowed(host, public.as_deref()), allowed, "{host}");
        }
        assert!(!host_allowed("gate.example.com", None), "no public_url: no name but localhost");
    }
}
