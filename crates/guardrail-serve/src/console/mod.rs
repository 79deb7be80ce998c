//! The console: server-rendered pages for people (maud), its two assets
//! embedded in the binary, no CDN and a strict Content-Security-Policy
//! (scripts and styles from the console itself only, no inline script).
//! Live updates come over server-sent events (`/console/events`): the page
//! refetches itself when the record grows.
//!
//! Pages read the record, whose texts and reasons are masked when written,
//! so no secret reaches a page that the record does not already mask;
//! what a person types (a reason, a draft policy) is masked before it is
//! recorded or shown again.

mod pages;
mod session;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use guardrail_audit::approval::{Approver, Viewed};
use guardrail_audit::event::{RecordedActor, SessionEvent, SessionPhase};
use guardrail_audit::query::{self, Filter};
use guardrail_core::ActorKind;
use serde::Deserialize;

use crate::{Server, UserEntry};
use session::Session;
pub use session::Sessions;

/// The console's share of the daemon's state.
#[derive(Default)]
pub struct Console {
    sessions: Sessions,
    /// How the integrity page finds the keys and checkpoints to trust.
    pub(crate) trust: Option<TrustSource>,
}

/// Builds what `audit verify` trusts (the local key, anchors' checkpoints),
/// afresh for each look at the integrity page.
pub type TrustSource = Box<dyn Fn() -> Result<guardrail_audit::verify::Trust, String> + Send + Sync>;

const CSS: &str = include_str!("../../assets/console.css");
const JS: &str = include_str!("../../assets/console.js");

/// The Content-Security-Policy of every console page.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<Arc<Server>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/approvals") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/console/approvals", get(approvals))
        .route("/console/approvals/{id}", get(approval))
        .route("/console/approvals/{id}/decide", post(decide))
        .route("/console/activity", get(activity))
        .route("/console/records/{node}/{seq}", get(record))
        .route("/console/policy", get(policy))
        .route("/console/policy/replay", post(replay))
        .route("/console/integrity", get(integrity))
        .route("/console/events", get(events))
        .route("/assets/console.css", get(|| async { asset(CSS, "text/css; charset=utf-8") }))
        .route("/assets/console.js", get(|| async { asset(JS, "text/javascript; charset=utf-8") }))
        .layer(axum::middleware::map_response(secure_headers))
}

async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Not no-referrer: with it, browsers send `Origin: null` on the
    // console's own form posts, which the origin check then refuses.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// The signed-in person: their session and who the configuration says
/// they are now (a removed user's sessions end with them).
struct Person {
    session: Session,
    user: UserEntry,
}

impl Person {
    fn approver(&self) -> Approver {
        Approver { id: self.user.name.clone(), kind: ActorKind::Human, roles: self.user.roles.clone() }
    }
}

/// The person, or the way to the login page.
#[allow(clippy::result_large_err, reason = "the error is the page to answer with, made once per request")]
fn person(server: &Server, headers: &HeaderMap) -> Result<Person, Response> {
    let to_login = || Redirect::to("/login").into_response();
    let session = server.console.sessions.of(headers).ok_or_else(to_login)?;
    // Removed, or added again with another password: the session is over.
    let user = server.user(&session.user).filter(|user| user.argon2 == session.verifier).ok_or_else(to_login)?;
    Ok(Person { session, user })
}

/// The person, for a POST: from the console's own origin, with the
/// session's CSRF token.
#[allow(clippy::result_large_err, reason = "the error is the page to answer with, made once per request")]
fn person_posting(server: &Server, headers: &HeaderMap, csrf: &str) -> Result<Person, Response> {
    if !session::same_origin(headers) {
        return Err(forbidden("this form was not sent from the console's own pages"));
    }
    let person = person(server, headers)?;
    if !session::csrf_matches(&person.session, csrf) {
        return Err(forbidden("the form's token does not match your session; reload the page and try again"));
    }
    Ok(person)
}

fn forbidden(why: &str) -> Response {
    (StatusCode::FORBIDDEN, pages::message("Refused", why)).into_response()
}

fn failed(why: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, pages::message("Something failed", &why.to_string())).into_response()
}

/// Reads the record for a page.
#[allow(clippy::result_large_err, reason = "the error is the page to answer with, made once per request")]
async fn read<T: Send + 'static>(
    server: &Arc<Server>,
    work: impl FnOnce(&mut dyn guardrail_audit::Store) -> Result<T, String> + Send + 'static,
) -> Result<T, Response> {
    crate::on_record(&server.location, work).await.map_err(failed)
}

/// The last record id now (0 when it cannot be read): a page made after
/// this goes live from there, so nothing recorded while it is made is
/// missed.
async fn seen(server: &Server) -> i64 {
    crate::on_record(&server.location, |store| store.last_id()).await.unwrap_or(0)
}

async fn login_page(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    if person(&server, &headers).is_ok() {
        return Redirect::to("/console/approvals").into_response();
    }
    pages::login(None).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
}

async fn login(
    State(server): State<Arc<Server>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !session::same_origin(&headers) {
        return forbidden("this form was not sent from the console's own pages");
    }
    let sessions = &server.console.sessions;
    if let Some(wait) = sessions.locked_out(Some(peer.ip()), &form.name) {
        let minutes = wait.as_secs().div_ceil(60);
        let why =
            format!("Too many failed logins. Try again in {minutes} minute{}.", if minutes == 1 { "" } else { "s" });
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, wait.as_secs().to_string())],
            pages::login(Some(&why)),
        )
            .into_response();
    }
    let user = server.user(&form.name);
    let password = form.password;
    // The verifier is checked even for an unknown name (against a decoy),
    // so that the answer's timing does not say which names exist.
    let verifier = user.as_ref().map(|user| user.argon2.clone()).unwrap_or_else(|| decoy().to_owned());
    let matches = tokio::task::spawn_blocking(move || crate::config::password_matches(&password, &verifier))
        .await
        .unwrap_or(false);
    match user {
        Some(user) if matches => {
            let (token, id) = sessions.start(&user.name, &user.argon2);
            // Who logged in, from where, is in the record before the
            // session is handed out: a login that cannot be recorded is
            // not given.
            if let Err(error) = record_session(&server, SessionPhase::Started, &user.name, &id, peer, None).await {
                sessions.end_token(&token);
                return failed(format_args!("the login could not be recorded: {error}"));
            }
            sessions.succeeded(peer.ip(), &form.name);
            tracing::info!(user = %user.name, peer = %peer.ip(), "console login");
            ([(header::SET_COOKIE, session::set_cookie(&token))], Redirect::to("/console/approvals")).into_response()
        }
        known => {
            sessions.failed(Some(peer.ip()), &form.name);
            tracing::warn!(peer = %peer.ip(), "console login failed");
            // A name that is nobody's is not recorded as typed: people
            // type passwords into the name field.
            let name = known.map_or_else(|| "(an unknown name)".to_owned(), |user| user.name);
            let why = Some("wrong password".to_owned());
            if let Err(error) = record_session(&server, SessionPhase::Refused, &name, "", peer, why).await {
                tracing::error!(%error, "a refused console login could not be recorded");
            }
            (StatusCode::UNAUTHORIZED, pages::login(Some("That name and password do not match."))).into_response()
        }
    }
}

/// A console session's start, refusal or end, in the record: who, from
/// where, which session (its public id).
async fn record_session(
    server: &Server,
    phase: SessionPhase,
    name: &str,
    session: &str,
    peer: SocketAddr,
    detail: Option<String>,
) -> Result<(), String> {
    let event = SessionEvent {
        phase,
        actor: RecordedActor { id: name.to_owned(), kind: ActorKind::Human, on_behalf_of: None },
        channel: "console".to_owned(),
        session: session.to_owned(),
        target: "console".to_owned(),
        peer: Some(peer.to_string()),
        tls: false,
        detail,
    };
    let ticket = server.gate.submit_entry(guardrail_audit::Entry::session(event)).map_err(|error| error.to_string())?;
    ticket.await.map(|_| ()).map_err(|error| error.to_string())
}

/// A verifier no password matches, for names that do not exist.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut bytes = [0u8; 32];
        let _ = getrandom::fill(&mut bytes);
        crate::config::password_verifier(&hex::encode(bytes)).unwrap_or_default()
    })
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(server): State<Arc<Server>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let person = match person_posting(&server, &headers, &form.csrf) {
        Ok(person) => person,
        Err(refused) => return refused,
    };
    server.console.sessions.end(&headers);
    let (name, id) = (&person.user.name, &person.session.id);
    if let Err(error) = record_session(&server, SessionPhase::Ended, name, id, peer, Some("logged out".into())).await {
        tracing::error!(%error, "a console logout could not be recorded");
    }
    ([(header::SET_COOKIE, session::clear_cookie())], Redirect::to("/login")).into_response()
}

async fn approvals(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let person = match person(&server, &headers) {
        Ok(person) => person,
        Err(to_login) => return to_login,
    };
    let seen = seen(&server).await;
    let requests = match read(&server, |store| store.approvals().map_err(|error| error.to_string())).await {
        Ok(requests) => requests,
        Err(failure) => return failure,
    };
    let all = guardrail_audit::approval::as_of(requests, None, 200, guardrail_audit::now());
    pages::approvals(&pages::Chrome::of(&person, seen), &all).into_response()
}

async fn approval(State(server): State<Arc<Server>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let person = match person(&server, &headers) {
        Ok(person) => person,
        Err(to_login) => return to_login,
    };
    let seen = seen(&server).await;
    let found = read(&server, move |store| {
        let Some(request) = store.approval(&id).map_err(|error| error.to_string())? else {
            return Ok(None);
        };
        // What the analyzer found, in the held decision's record, and what
        // the requester did lately.
        let held = store
            .record(&request.node, request.decision_seq)
            .map_err(|error| error.to_string())?
            .and_then(|record| query::Entry::decode(record).ok());
        let filter = Filter { actor: Some(request.actor.id.clone()), ..Filter::default() };
        let (recent, _) = query::latest(store, &filter, 10).map_err(|error| error.to_string())?;
        Ok(Some((request, held, recent)))
    })
    .await;
    match found {
        Err(failure) => failure,
        Ok(None) => {
            (StatusCode::NOT_FOUND, pages::message("Not found", "There is no such approval request.")).into_response()
        }
        Ok(Some((request, held, recent))) => {
            let viewed = Viewed::of(request, guardrail_audit::now());
            pages::approval(&pages::Chrome::of(&person, seen), &viewed, held.as_ref(), &recent, &person.approver())
                .into_response()
        }
    }
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
    verdict: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Response {
    let person = match person_posting(&server, &headers, &form.csrf) {
        Ok(person) => person,
        Err(refused) => return refused,
    };
    let approve = match form.verdict.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return (StatusCode::BAD_REQUEST, pages::message("Bad request", "Approve or deny.")).into_response(),
    };
    let ticket = match server.gate.decide_approval(&id, person.approver(), approve, &form.reason) {
        Ok(ticket) => ticket,
        Err(error) => return failed(error),
    };
    match ticket.await {
        Ok(_) => Redirect::to(&format!("/console/approvals/{id}")).into_response(),
        Err(guardrail_audit::ApprovalError::Refused(refused)) => {
            (StatusCode::CONFLICT, pages::message("Not recorded", &refused.to_string())).into_response()
        }
        Err(guardrail_audit::ApprovalError::Record(error)) => failed(error),
    }
}

async fn activity(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let person = match person(&server, &headers) {
        Ok(person) => person,
        Err(to_login) => return to_login,
    };
    let seen = seen(&server).await;
    let given = |name: &str| params.get(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
    let verdict = match given("verdict").map(|text| text.parse::<guardrail_core::Verdict>()) {
        Some(Err(_)) => {
            return (StatusCode::BAD_REQUEST, pages::message("Bad request", "Unknown verdict.")).into_response();
        }
        Some(Ok(verdict)) => Some(verdict),
        None => None,
    };
    let filter = Filter {
        actor: given("actor"),
        verdict,
        intent: given("intent"),
        channel: given("channel"),
        kind: given("kind"),
        session: given("session"),
        text: given("text"),
        ..Filter::default()
    };
    let limit = given("limit").and_then(|limit| limit.parse().ok()).unwrap_or(100usize).clamp(1, 1000);
    let scanned = filter.clone();
    let found =
        read(&server, move |store| query::latest(store, &scanned, limit).map_err(|error| error.to_string())).await;
    match found {
        Err(failure) => failure,
        Ok((entries, total)) => {
            pages::activity(&pages::Chrome::of(&person, seen), &params, &entries, total).into_response()
        }
    }
}

async fn record(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path((node, seq)): Path<(String, u64)>,
) -> Response {
    let person = match person(&server, &headers) {
        Ok(person) => person,
        Err(to_login) => return to_login,
    };
    let seen = seen(&server).await;
    let found = read(&server, move |store| {
        let Some(record) = store.record(&node, seq).map_err(|error| error.to_string())? else { return Ok(None) };
        let entry = query::Entry::decode_or_mark(record);
        // What followed it (its outcome), and the session around it.
        let after = store.chain(&node, seq, 200).map_err(|error| error.to_string())?;
        let outcomes: Vec<query::Entry> = after
            .into_iter()
            .filter_map(|record| query::Entry::decode(record).ok())
            .filter(|later| matches!(&later.event, guardrail_audit::event::Event::Outcome(outcome) if outcome.decision == seq))
            .collect();
        let around = match entry.event.session() {
            Some(session) => {
                let filter = Filter { session: Some(session.to_owned()), ..Filter::default() };
                query::latest(store, &filter, 30).map_err(|error| error.to_string())?.0.into_iter().collect()
            }
            None => Vec::new(),
        };
        Ok(Some((entry, outcomes, around)))
    })
    .await;
    match found {
        Err(failure) => failure,
        Ok(None) => (StatusCode::NOT_FOUND, pages::message("Not found", "There is no such record.")).into_response(),
        Ok(Some((entry, outcomes, around))) => {
            pages::record(&pages::Chrome::of(&person, seen), &entry, &outcomes, &around).into_response()
        }
    }
}

async fn policy(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let person = match person(&server, &headers) {
        Ok(person) => person,
        Err(to_login) => return to_login,
    };
    let seen = seen(&server).await;
    let shadow = match shadow_summary(&server).await {
        Ok(shadow) => shadow,
        Err(failure) => return failure,
    };
    pages::policy(&pages::Chrome::of(&person, seen), server.gate.guard().policy(), shadow.as_ref(), None, None, 500)
        .into_response()
}

/// How the shadow policy compares over the last decisions it saw.
async fn shadow_summary(server: &Arc<Server>) -> Result<Option<pages::ShadowSummary>, Response> {
    let Some(version) = server.gate.shadow_version().map(str::to_owned) else { return Ok(None) };
    let wanted = version.clone();
    let (evaluated, differ) = read(server, move |store| {
        let filter = Filter { kind: Some("decision".into()), ..Filter::default() };
        let (entries, _) = query::latest(store, &filter, 1000).map_err(|error| error.to_string())?;
        let mut counts = (0, 0);
        for entry in &entries {
            if let guardrail_audit::event::Event::Decision(decision) = &entry.event
                && let Some(shadow) = decision.shadow.as_ref().filter(|shadow| shadow.policy_version == wanted)
            {
                counts.0 += 1;
                if shadow.verdict != decision.verdict {
                    counts.1 += 1;
                }
            }
        }
        Ok(counts)
    })
    .await?;
    Ok(Some(pages::ShadowSummary { version, evaluated, differ }))
}

#[derive(Deserialize)]
struct ReplayForm {
    csrf: String,
    draft: String,
    #[serde(default)]
    last: Option<usize>,
}

async fn replay(State(server): State<Arc<Server>>, headers: HeaderMap, Form(form): Form<ReplayForm>) -> Response {
    let person = match person_posting(&server, &headers, &form.csrf) {
        Ok(person) => person,
        Err(refused) => return refused,
    };
    let seen = seen(&server).await;
    let last = form.last.unwrap_or(500).clamp(1, 50_000);
    let draft_text = form.draft.clone();
    let enforced = server.gate.guard().policy();
    let draft = match guardrail_core::Policy::from_sources(vec![guardrail_core::policy::Source::new(
        "draft.cedar",
        form.draft,
    )]) {
        Ok(draft) => draft,
        Err(error) => {
            let chrome = pages::Chrome::of(&person, seen);
            let outcome = Err(error.to_string());
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::policy(&chrome, enforced, None, Some(&draft_text), Some(&outcome), last),
            )
                .into_response();
        }
    };
    let draft = guardrail_core::Guard::new(draft);
    let replayed = read(&server, move |store| {
        guardrail_audit::replay::replay(store, &draft, last).map_err(|error| error.to_string())
    })
    .await;
    match replayed {
        Err(failure) => failure,
        Ok(replay) => {
            pages::policy(&pages::Chrome::of(&person, seen), enforced, None, Some(&draft_text), Some(&Ok(replay)), last)
                .into_response()
        }
    }
}

async fn integrity(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let person = match person(&server, &headers) {
        Ok(person) => person,
        Err(to_login) => return to_login,
    };
    let seen = seen(&server).await;
    let trust = match &server.console.trust {
        Some(source) => match source() {
            Ok(trust) => trust,
            Err(error) => return failed(error),
        },
        None => guardrail_audit::verify::Trust::default(),
    };
    let found = read(&server, move |store| {
        let report = guardrail_audit::verify::verify(store, None, &trust).map_err(|error| error.to_string())?;
        let mut last = Vec::new();
        for node in &report.nodes {
            last.push(store.last_checkpoint(&node.node).map_err(|error| error.to_string())?);
        }
        Ok((report, last))
    })
    .await;
    match found {
        Err(failure) => failure,
        Ok((report, last)) => pages::integrity(&pages::Chrome::of(&person, seen), &report, &last).into_response(),
    }
}

#[derive(Deserialize)]
struct EventsQuery {
    /// The last record id the page showed: anything newer is a change.
    after: Option<i64>,
}

/// Server-sent events: `change` whenever the record grows past what the
/// page showed, so that an open page refetches itself.
async fn events(State(server): State<Arc<Server>>, headers: HeaderMap, Query(query): Query<EventsQuery>) -> Response {
    if person(&server, &headers).is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let location = server.location.clone();
    let seen = query.after.unwrap_or(0);
    let stream = futures_util::stream::unfold((location, seen), |(location, seen)| async move {
        loop {
            let latest = crate::on_record(&location, |store| store.last_id()).await.ok();
            if let Some(latest) = latest.filter(|latest| *latest != seen) {
                let event = SseEvent::default().event("change").data(latest.to_string());
                return Some((Ok::<_, Infallible>(event), (location, latest)));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}
