//! The Streamable HTTP transport: the proxy is an MCP endpoint (POST, GET,
//! DELETE on one path) in front of the server's.
//!
//! Every request must carry a bearer token; the identity it stands for is
//! who calls the tools, and a session belongs to the identity that opened
//! it (another token presenting its id is told the session does not
//! exist). The client's `Authorization` never reaches the server: the
//! proxy sends the server's own credential, from its configuration or
//! environment. Bodies are relayed as they came, except where the gate
//! speaks (a refused call's answer) and in answers it reads (results
//! masked and recorded, listings filtered), whether the server answers
//! with one JSON body or an event stream.
//!
//! The 2026-07-28 revision's `Mcp-Method` and `Mcp-Name` headers must
//! agree with the body, in every version (a gateway that routes or
//! authorizes on headers while the server obeys the body is a confused
//! deputy), and must be present with that version.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt;
use guardrail_audit::Gate;
use guardrail_core::Actor;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::mediate::{McpSettings, Mediator, Relay, error};

/// Says who a request's credentials stand for, or why they are refused.
pub type Authenticate = Arc<dyn Fn(&HeaderMap) -> Result<Actor, String> + Send + Sync>;

/// The server the proxy fronts.
#[derive(Clone)]
pub struct Upstream {
    /// Its MCP endpoint.
    pub url: String,
    /// The bearer token the proxy presents to it (the server's credential,
    /// which clients never see).
    pub bearer: Option<String>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Upstream")
            .field("url", &self.url)
            .field("bearer", &self.bearer.as_ref().map(|_| "********"))
            .finish()
    }
}

impl Upstream {
    /// A name for the server at `url`: its host's first label.
    pub fn default_name(url: &str) -> String {
        reqwest::Url::parse(url)
            .ok()
            .and_then(|url| url.host_str().map(|host| host.split('.').next().unwrap_or(host).to_owned()))
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "mcp".to_owned())
    }
}

/// One MCP server behind the gate, over HTTP.
pub struct HttpProxy {
    gate: Gate,
    /// Each session's settings start from these (the actor and session id
    /// are the session's own).
    template: McpSettings,
    url: reqwest::Url,
    bearer: Option<HeaderValue>,
    client: reqwest::Client,
    authenticate: Authenticate,
    /// By the server's session id; sessionless servers' state by caller.
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    opened: AtomicU64,
}

struct Session {
    owner: Actor,
    mediator: Arc<Mediator>,
    /// When a request last named it.
    used: Mutex<std::time::Instant>,
}

impl Session {
    fn new(owner: &Actor, mediator: Arc<Mediator>) -> Arc<Session> {
        Arc::new(Session { owner: owner.clone(), mediator, used: Mutex::new(std::time::Instant::now()) })
    }
}

/// How many sessions the proxy keeps before it lets go of idle ones, and
/// how long a session may be idle then: clients that never end their
/// sessions must not grow it without bound.
const KEPT_SESSIONS: usize = 1024;
const IDLE_SESSION: std::time::Duration = std::time::Duration::from_secs(3600);

/// Headers passed from the client to the server as they are.
const TO_SERVER: [&str; 7] =
    ["content-type", "accept", "mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id"];

impl HttpProxy {
    pub fn new(
        gate: Gate,
        template: McpSettings,
        upstream: &Upstream,
        authenticate: Authenticate,
    ) -> Result<HttpProxy, String> {
        let url = reqwest::Url::parse(&upstream.url)
            .map_err(|error| format!("the upstream MCP server's URL {:?}: {error}", upstream.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("the upstream MCP server's URL {:?} is not http(s)", upstream.url));
        }
        let bearer = match &upstream.bearer {
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
                    .map_err(|_| "the upstream's token is not a valid header value".to_owned())?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .build()
            .map_err(|error| format!("no HTTP client: {error}"))?;
        Ok(HttpProxy {
            gate,
            template,
            url,
            bearer,
            client,
            authenticate,
            sessions: Mutex::default(),
            opened: AtomicU64::new(0),
        })
    }

    /// The server's name, as its tools are named in the record.
    pub fn name(&self) -> &str {
        &self.template.server
    }

    /// A new session's mediator, for `actor`.
    fn open(&self, actor: &Actor) -> Arc<Mediator> {
        let mut settings = self.template.clone();
        settings.actor = actor.clone();
        settings.session = format!(
            "mcp-http-{}-{}-{}",
            std::process::id(),
            guardrail_audit::now(),
            self.opened.fetch_add(1, Ordering::Relaxed)
        );
        Arc::new(Mediator::new(self.gate.clone(), settings))
    }

    /// The session `id` names, if `actor` opened it.
    fn session(&self, id: &str, actor: &Actor) -> Option<Arc<Mediator>> {
        let sessions = self.sessions.lock().ok()?;
        let session = sessions.get(id)?;
        if session.owner.id != actor.id || session.owner.kind != actor.kind {
            return None;
        }
        if let Ok(mut used) = session.used.lock() {
            *used = std::time::Instant::now();
        }
        Some(Arc::clone(&session.mediator))
    }

    /// The state kept for `actor`'s messages without a session (servers
    /// that keep none).
    fn sessionless(&self, actor: &Actor) -> Arc<Mediator> {
        let key = sessionless_key(actor);
        let mut sessions = self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let session = sessions.entry(key).or_insert_with(|| Session::new(actor, self.open(actor)));
        Arc::clone(&session.mediator)
    }

    fn keep(&self, id: &str, actor: &Actor, mediator: &Arc<Mediator>) {
        if let Ok(mut sessions) = self.sessions.lock() {
            if sessions.len() >= KEPT_SESSIONS {
                sessions.retain(|_, session| {
                    let idle = session.used.lock().map(|used| used.elapsed() > IDLE_SESSION).unwrap_or(true);
                    if idle {
                        session.mediator.end("idle for an hour; the proxy let it go");
                    }
                    !idle
                });
            }
            sessions.insert(id.to_owned(), Session::new(actor, Arc::clone(mediator)));
        }
    }

    fn forget(&self, id: &str) -> Option<Arc<Mediator>> {
        self.sessions.lock().ok()?.remove(id).map(|session| Arc::clone(&session.mediator))
    }

    fn upstream(&self, method: reqwest::Method, headers: &HeaderMap) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, self.url.clone());
        for name in TO_SERVER {
            for value in headers.get_all(name) {
                request = request.header(name, value.as_bytes());
            }
        }
        if let Some(bearer) = &self.bearer {
            request = request.header(header::AUTHORIZATION, bearer.clone());
        }
        request
    }
}

/// The proxy's routes: its MCP endpoint at `path`.
pub fn router(proxy: Arc<HttpProxy>, path: &str) -> Router {
    Router::new().route(path, post(message).get(listen).delete(close)).with_state(proxy)
}

/// Where the state of `actor`'s messages without a session is kept (a
/// key no server's session id can be).
fn sessionless_key(actor: &Actor) -> String {
    format!("\0{}\0{}", actor.kind.as_str(), actor.id)
}

/// Serves the proxy's endpoint at `path` on `listener` until it fails.
pub async fn serve(listener: tokio::net::TcpListener, proxy: Arc<HttpProxy>, path: &str) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Answers go out as written: without TCP_NODELAY, a body written after
    // its headers waits for the client's delayed acknowledgement (40 ms).
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, router(proxy, path)).await
}

/// A client's message (POST).
async fn message(State(proxy): State<Arc<HttpProxy>>, headers: HeaderMap, body: Bytes) -> Response {
    let actor = match (proxy.authenticate)(&headers) {
        Ok(actor) => actor,
        Err(why) => return unauthorized(&why),
    };
    if body.len() > proxy.template.max_message {
        let why = format!("guardrail: the message is longer than {} bytes", proxy.template.max_message);
        return rpc_error(StatusCode::PAYLOAD_TOO_LARGE, &Value::Null, -32600, &why);
    }
    let message: Value = match serde_json::from_slice(&body) {
        Ok(message) => message,
        Err(problem) => {
            let why = format!("guardrail: the message is not JSON ({problem})");
            return rpc_error(StatusCode::BAD_REQUEST, &Value::Null, -32700, &why);
        }
    };
    if !message.is_object() {
        let why = "guardrail: one JSON-RPC message per request (batches are not accepted)";
        return rpc_error(StatusCode::BAD_REQUEST, &Value::Null, -32600, why);
    }
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    if let Err(why) = standard_headers(&headers, &message) {
        return rpc_error(StatusCode::BAD_REQUEST, &id, -32020, &format!("guardrail: {why}"));
    }
    let initialize = message.get("method").and_then(Value::as_str) == Some("initialize");
    let mediator = match session_id(&headers) {
        Some(session) => match proxy.session(session, &actor) {
            Some(mediator) => mediator,
            None => return rpc_error(StatusCode::NOT_FOUND, &id, -32001, "guardrail: no such session"),
        },
        None if initialize => proxy.open(&actor),
        None => proxy.sessionless(&actor),
    };
    let relay = {
        let (mediator, message) = (Arc::clone(&mediator), message.clone());
        tokio::task::spawn_blocking(move || mediator.client_message(&message)).await
    };
    let relay = match relay {
        Ok(relay) => relay,
        Err(_) => {
            return rpc_error(StatusCode::INTERNAL_SERVER_ERROR, &id, -32603, "guardrail: the call was not judged");
        }
    };
    match relay {
        Relay::Forward(changed) => {
            let body = changed.map_or(body, Bytes::from);
            let answer = forward(&proxy, &mediator, &headers, body, &id).await;
            if initialize {
                match answer.headers().get("mcp-session-id").and_then(|value| value.to_str().ok()) {
                    Some(session) => proxy.keep(session, &actor, &mediator),
                    None => proxy.keep(&sessionless_key(&actor), &actor, &mediator),
                }
            }
            answer
        }
        Relay::Answer(answer) => json_response(StatusCode::OK, answer),
        Relay::Hold(held) => {
            // The answer is an event stream: progress while it waits, then
            // the server's answer (approved in time) or the request.
            let (events, stream) = mpsc::channel::<Bytes>(16);
            tokio::spawn(async move {
                let waited = {
                    let (mediator, events) = (Arc::clone(&mediator), events.clone());
                    tokio::task::spawn_blocking(move || {
                        mediator.wait(held, &mut |note| events.blocking_send(sse_event(None, &note)).is_ok())
                    })
                    .await
                };
                match waited {
                    Ok(Relay::Forward(changed)) => {
                        // The server's answer, as events of this stream.
                        let body = changed.map_or(body, Bytes::from);
                        let answer = forward(&proxy, &mediator, &headers, body, &id).await;
                        let streamed = answer
                            .headers()
                            .get(header::CONTENT_TYPE)
                            .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"));
                        let mut chunks = answer.into_body().into_data_stream();
                        let mut whole = Vec::new();
                        while let Some(Ok(chunk)) = chunks.next().await {
                            if !streamed {
                                whole.extend_from_slice(&chunk);
                            } else if events.send(chunk).await.is_err() {
                                return;
                            }
                        }
                        if !streamed {
                            let _ = events.send(sse_event(None, &String::from_utf8_lossy(&whole))).await;
                        }
                    }
                    Ok(Relay::Answer(answer)) => {
                        let _ = events.send(sse_event(None, &answer)).await;
                    }
                    _ => {
                        let answer = error(&id, -32603, "guardrail: the call was not run");
                        let _ = events.send(sse_event(None, &answer)).await;
                    }
                }
            });
            event_stream(stream)
        }
    }
}

/// A stream the server opens toward the client (GET).
async fn listen(State(proxy): State<Arc<HttpProxy>>, headers: HeaderMap) -> Response {
    let actor = match (proxy.authenticate)(&headers) {
        Ok(actor) => actor,
        Err(why) => return unauthorized(&why),
    };
    let Some(mediator) = session_id(&headers).and_then(|session| proxy.session(session, &actor)) else {
        return rpc_error(StatusCode::NOT_FOUND, &Value::Null, -32001, "guardrail: no such session");
    };
    match proxy.upstream(reqwest::Method::GET, &headers).send().await {
        Ok(answer) => relay_answer(&proxy, mediator, answer, &Value::Null).await,
        Err(problem) => unreachable_server(&problem, &Value::Null),
    }
}

/// The client ends its session (DELETE).
async fn close(State(proxy): State<Arc<HttpProxy>>, headers: HeaderMap) -> Response {
    let actor = match (proxy.authenticate)(&headers) {
        Ok(actor) => actor,
        Err(why) => return unauthorized(&why),
    };
    let Some(session) = session_id(&headers).filter(|session| proxy.session(session, &actor).is_some()) else {
        return rpc_error(StatusCode::NOT_FOUND, &Value::Null, -32001, "guardrail: no such session");
    };
    let answer = proxy.upstream(reqwest::Method::DELETE, &headers).send().await;
    if let Some(mediator) = proxy.forget(session) {
        mediator.end("the client ended the session");
    }
    match answer {
        Ok(answer) => (StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::OK)).into_response(),
        Err(problem) => unreachable_server(&problem, &Value::Null),
    }
}

/// Sends the client's message to the server and relays its answer.
async fn forward(
    proxy: &HttpProxy,
    mediator: &Arc<Mediator>,
    headers: &HeaderMap,
    body: Bytes,
    id: &Value,
) -> Response {
    match proxy.upstream(reqwest::Method::POST, headers).body(body).send().await {
        Ok(answer) => relay_answer(proxy, Arc::clone(mediator), answer, id).await,
        Err(problem) => {
            let _ = mediator.server_gone();
            unreachable_server(&problem, id)
        }
    }
}

/// The server's answer on its way to the client: one JSON body, or an
/// event stream relayed event by event, each message through the mediator.
/// A call whose answer never comes (the server failed, or its stream ended
/// first) is answered with an error.
async fn relay_answer(proxy: &HttpProxy, mediator: Arc<Mediator>, answer: reqwest::Response, id: &Value) -> Response {
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        // The proxy's own credential for the server: not the client's business.
        let _ = mediator.server_gone();
        let why = format!("guardrail: the MCP server refused the proxy's credentials ({status})");
        return rpc_error(StatusCode::BAD_GATEWAY, id, -32603, &why);
    }
    let mut headers = HeaderMap::new();
    for name in [header::CONTENT_TYPE, HeaderName::from_static("mcp-session-id")] {
        if let Some(value) = answer.headers().get(name.as_str()) {
            headers.insert(name, value.clone());
        }
    }
    let streamed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("text/event-stream"));
    let limit = proxy.template.max_message;
    if streamed {
        let (events, stream) = mpsc::channel::<Bytes>(16);
        let id = id.clone();
        tokio::spawn(relay_events(mediator, answer, events, id, limit));
        let mut response = event_stream(stream);
        *response.status_mut() = status;
        if let Some(session) = headers.get("mcp-session-id") {
            response.headers_mut().insert("mcp-session-id", session.clone());
        }
        return response;
    }
    let body = match read_bounded(answer, limit).await {
        Ok(body) => body,
        Err(why) => {
            let _ = mediator.server_gone();
            return rpc_error(StatusCode::BAD_GATEWAY, id, -32603, &format!("guardrail: {why}"));
        }
    };
    let body = match String::from_utf8(body.to_vec()) {
        Ok(text) if !text.trim().is_empty() => {
            let relayed = tokio::task::spawn_blocking(move || mediator.server_message(text)).await;
            match relayed {
                Ok(text) => Bytes::from(text),
                Err(_) => return rpc_error(StatusCode::BAD_GATEWAY, id, -32603, "guardrail: the answer was not read"),
            }
        }
        _ => body,
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Relays an event stream, event by event.
async fn relay_events(
    mediator: Arc<Mediator>,
    answer: reqwest::Response,
    events: mpsc::Sender<Bytes>,
    id: Value,
    limit: usize,
) {
    let mut chunks = answer.bytes_stream();
    let mut parser = EventParser::default();
    let mut broken = None;
    'stream: while let Some(chunk) = chunks.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(problem) => {
                broken = Some(format!("the MCP server's stream broke ({problem})"));
                break;
            }
        };
        parser.push(&chunk);
        while let Some(event) = parser.next_event() {
            let event = match event.data {
                Some(data) => {
                    let mediator = Arc::clone(&mediator);
                    let relayed = tokio::task::spawn_blocking(move || mediator.server_message(data)).await;
                    let Ok(data) = relayed else { break 'stream };
                    sse_event(event.id.as_deref(), &data)
                }
                None => Bytes::from(event.raw),
            };
            if events.send(event).await.is_err() {
                return; // the client went away
            }
        }
        if parser.pending() > limit {
            broken = Some(format!("an event of the MCP server's is longer than {limit} bytes"));
            break;
        }
    }
    // Whatever the server still owes this request is not coming.
    if !id.is_null() && mediator.awaits_call(&id) {
        let why = broken.unwrap_or_else(|| "the MCP server ended its stream before answering this call".into());
        let _ = mediator.server_gone();
        let _ = events.send(sse_event(None, &error(&id, -32603, &format!("guardrail: {why}")))).await;
    }
}

/// One event of a stream: its id and its data (the lines joined), or
/// none (a comment, a retry): then passed on as it came.
struct Event {
    id: Option<String>,
    data: Option<String>,
    raw: String,
}

/// Splits an event stream into events, however its bytes arrive.
#[derive(Default)]
struct EventParser {
    buffer: Vec<u8>,
}

impl EventParser {
    fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    fn pending(&self) -> usize {
        self.buffer.len()
    }

    fn next_event(&mut self) -> Option<Event> {
        // An event ends at a blank line (LF, CRLF or CR line ends).
        let text = &self.buffer;
        let mut end = None;
        for index in 0..text.len() {
            let rest = &text[index..];
            for blank in [&b"\r\n\r\n"[..], b"\n\n", b"\r\r"] {
                if rest.starts_with(blank) {
                    end = Some((index, blank.len()));
                    break;
                }
            }
            if end.is_some() {
                break;
            }
        }
        let (at, blank) = end?;
        let raw: Vec<u8> = self.buffer.drain(..at + blank).collect();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let mut id = None;
        let mut data: Option<String> = None;
        for line in raw.lines() {
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => id = Some(value.to_owned()),
                "data" => match &mut data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => data = Some(value.to_owned()),
                },
                _ => {}
            }
        }
        Some(Event { id, data, raw })
    }
}

fn sse_event(id: Option<&str>, data: &str) -> Bytes {
    let mut event = String::with_capacity(data.len() + 32);
    if let Some(id) = id {
        event.push_str("id: ");
        event.push_str(id);
        event.push('\n');
    }
    event.push_str("event: message\n");
    for line in data.lines() {
        event.push_str("data: ");
        event.push_str(line);
        event.push('\n');
    }
    event.push('\n');
    Bytes::from(event)
}

fn event_stream(events: mpsc::Receiver<Bytes>) -> Response {
    let body = futures_util::stream::unfold(events, |mut events| async move {
        events.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), events))
    });
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn read_bounded(answer: reqwest::Response, limit: usize) -> Result<Bytes, String> {
    let mut body = Vec::new();
    let mut chunks = answer.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|problem| format!("the MCP server's answer broke off ({problem})"))?;
        if body.len() + chunk.len() > limit {
            return Err(format!("the MCP server's answer is longer than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers.get("mcp-session-id").and_then(|value| value.to_str().ok())
}

/// The protocol version from which `Mcp-Method` and `Mcp-Name` are required.
const STANDARD_HEADERS_FROM: &str = "2026-07-28";

/// Whether the `Mcp-Method` and `Mcp-Name` headers agree with the body (and
/// are there, where the protocol version requires them).
fn standard_headers(headers: &HeaderMap, message: &Value) -> Result<(), String> {
    let version = headers.get("mcp-protocol-version").and_then(|value| value.to_str().ok());
    let required = version.is_some_and(|version| version >= STANDARD_HEADERS_FROM);
    let header = |name: &str| -> Result<Option<String>, String> {
        let mut values = headers.get_all(name).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return if headers.contains_key(name) { Err(format!("{name} is given more than once")) } else { Ok(None) };
        };
        let value = value.to_str().map_err(|_| format!("{name} is not text"))?;
        Ok(Some(decode_header(value)))
    };
    let method = message.get("method").and_then(Value::as_str);
    match (header("mcp-method")?, method) {
        (Some(said), Some(method)) if said != method => {
            return Err(format!("the Mcp-Method header says {said:?} but the body's method is {method:?}"));
        }
        (Some(said), None) => return Err(format!("the Mcp-Method header says {said:?} but the body has no method")),
        (None, Some(method)) if required => {
            return Err(format!("the Mcp-Method header is required with protocol {STANDARD_HEADERS_FROM} ({method})"));
        }
        _ => {}
    }
    let named = match method {
        Some("tools/call" | "prompts/get") => Some(&message["params"]["name"]),
        Some("resources/read") => Some(&message["params"]["uri"]),
        _ => None,
    };
    match (header("mcp-name")?, named) {
        (Some(said), Some(name)) if name.as_str() != Some(said.as_str()) => {
            Err(format!("the Mcp-Name header says {said:?} but the body names {name}"))
        }
        (None, Some(_)) if required => {
            Err(format!("the Mcp-Name header is required with protocol {STANDARD_HEADERS_FROM}"))
        }
        _ => Ok(()),
    }
}

/// A header value as the protocol encodes names that are not plain ASCII
/// (`=?base64?...?=`), decoded.
fn decode_header(value: &str) -> String {
    use base64::Engine;
    value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
        .and_then(|encoded| base64::engine::general_purpose::STANDARD.decode(encoded).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| value.to_owned())
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn rpc_error(status: StatusCode, id: &Value, code: i64, message: &str) -> Response {
    json_response(status, error(id, code, message))
}

fn unauthorized(why: &str) -> Response {
    let mut response = rpc_error(StatusCode::UNAUTHORIZED, &Value::Null, -32001, &format!("guardrail: {why}"));
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"guardrail\""));
    response
}

fn unreachable_server(problem: &reqwest::Error, id: &Value) -> Response {
    let why = format!("guardrail: the MCP server could not be reached ({})", without_url(problem));
    rpc_error(StatusCode::BAD_GATEWAY, id, -32603, &why)
}

/// An HTTP client's error without the URL (which may carry credentials).
fn without_url(problem: &reqwest::Error) -> String {
    let mut problem = problem.to_string();
    if let Some(url) = problem.find(" for url (") {
        problem.truncate(url);
    }
    problem
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn event_streams_split_into_events_however_they_arrive() {
        let stream = b"id: 7\nevent: message\ndata: {\"a\":\ndata: 1}\n\n: keep-alive\n\nretry: 10\r\n\r\ndata: x\n\n";
        for size in [1, 3, stream.len()] {
            let mut parser = EventParser::default();
            let mut events = Vec::new();
            for chunk in stream.chunks(size) {
                parser.push(chunk);
                while let Some(event) = parser.next_event() {
                    events.push(event);
                }
            }
            assert_eq!(events.len(), 4, "chunks of {size}");
            assert_eq!(events[0].id.as_deref(), Some("7"));
            assert_eq!(events[0].data.as_deref(), Some("{\"a\":\n1}"));
            assert!(events[1].data.is_none() && events[1].raw.starts_with(": keep-alive"));
            assert!(events[2].data.is_none());
            assert_eq!(events[3].data.as_deref(), Some("x"));
            assert_eq!(parser.pending(), 0);
        }
    }

    #[test]
    fn standard_headers_must_agree_with_the_body() {
        let call =
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "query", "arguments": {}}});
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.append(*name, HeaderValue::from_str(value).unwrap());
            }
            headers
        };
        let cases: &[(&[(&'static str, &str)], bool)] = &[
            (&[], true),
            (&[("mcp-protocol-version", "2025-11-25")], true),
            (&[("mcp-method", "tools/call"), ("mcp-name", "query")], true),
            (&[("mcp-method", "tools/list")], false),
            (&[("mcp-method", "tools/call"), ("mcp-name", "read_file")], false),
            (&[("mcp-method", "tools/call"), ("mcp-method", "tools/call")], false),
            (&[("mcp-protocol-version", "2026-07-28")], false),
            (&[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call")], false),
            (&[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", "query")], true),
            (&[("mcp-method", "tools/call"), ("mcp-name", "=?base64?cXVlcnk=?=")], true),
        ];
        for (pairs, accepted) in cases {
            assert_eq!(standard_headers(&headers(pairs), &call).is_ok(), *accepted, "{pairs:?}");
        }
        let answer = json!({"jsonrpc": "2.0", "id": 1, "result": {}});
        assert!(standard_headers(&headers(&[("mcp-method", "tools/call")]), &answer).is_err());
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
        let modern = headers(&[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/list")]);
        assert!(standard_headers(&modern, &list).is_ok());
    }
}
