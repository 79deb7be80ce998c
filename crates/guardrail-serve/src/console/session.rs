//! Who is logged in to the console: server-side sessions behind a cookie,
//! a CSRF token per session, and a limit on failed logins.
//!
//! The cookie holds 32 random bytes; the server keeps only their SHA-256,
//! with the user's name, the session's CSRF token and when it ends. The
//! cookie is `HttpOnly`, `Secure` and `SameSite=Strict`: browsers keep a
//! secure cookie from `http://127.0.0.1` and `http://localhost` (trustworthy
//! origins), so the console works on loopback as it is, and anywhere else
//! only behind TLS. Every form that changes something carries the CSRF
//! token, and every POST must come from the console's own origin.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// The session cookie's name.
pub const COOKIE: &str = "guardrail_session";

/// How long a session lasts, however active.
pub const LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// Failed logins allowed per address within [`FAILURE_WINDOW`] before
/// further attempts from it are refused outright; and per user name from
/// all addresses together, higher, so that one address cannot lock a
/// person out (five wrong guesses from anywhere would) while guessing one
/// person's password from many addresses is still bounded.
pub const MAX_FAILURES: usize = 5;
pub const MAX_FAILURES_PER_NAME: usize = 50;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// How long an address a person logged in from stays theirs: the lock on
/// a name guessed from many addresses does not keep them out from it (so
/// whoever can send from many addresses cannot lock a person out of the
/// console where they work).
pub const KNOWN_ADDRESS: Duration = Duration::from_secs(30 * 24 * 60 * 60);

#[derive(Clone, Debug)]
pub struct Session {
    /// How the record names the session: the start of the digest of its
    /// cookie (which it cannot be turned back into).
    pub id: String,
    pub user: String,
    pub csrf: String,
    /// The password verifier the person logged in with: a session ends when
    /// the person is removed, or added again with another password.
    pub verifier: String,
    ends: Instant,
}

#[derive(Default)]
pub struct Sessions {
    /// By the SHA-256 of the cookie's value.
    live: Mutex<HashMap<String, Session>>,
    /// Recent failed logins, by `ip:ADDR` and `user:NAME`.
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    /// Where each person last logged in from, and when.
    known: Mutex<HashMap<(String, IpAddr), Instant>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's randomness");
    hex::encode(bytes)
}

impl Sessions {
    /// Starts a session for `user`, who logged in against `verifier`;
    /// returns the cookie's value.
    pub fn start(&self, user: &str, verifier: &str) -> (String, String) {
        let token = random_hex();
        let digest = crate::config::token_digest(&token);
        let session = Session {
            id: digest[..16].to_owned(),
            user: user.to_owned(),
            csrf: random_hex(),
            verifier: verifier.to_owned(),
            ends: Instant::now() + LIFETIME,
        };
        let mut live = self.live.lock().expect("sessions");
        let now = Instant::now();
        live.retain(|_, session| session.ends > now);
        let id = session.id.clone();
        live.insert(digest, session);
        (token, id)
    }

    /// The live session the request's cookie names.
    pub fn of(&self, headers: &HeaderMap) -> Option<Session> {
        let token = cookie(headers, COOKIE)?;
        let live = self.live.lock().ok()?;
        live.get(&crate::config::token_digest(&token)).filter(|session| session.ends > Instant::now()).cloned()
    }

    /// Ends the request's session.
    pub fn end(&self, headers: &HeaderMap) {
        if let Some(token) = cookie(headers, COOKIE) {
            self.end_token(&token);
        }
    }

    /// Ends the session whose cookie holds `token`.
    pub fn end_token(&self, token: &str) {
        if let Ok(mut live) = self.live.lock() {
            live.remove(&crate::config::token_digest(token));
        }
    }

    /// How long until `ip` or `user` may try again, when either failed too
    /// often lately.
    pub fn locked_out(&self, ip: Option<IpAddr>, user: &str) -> Option<Duration> {
        let now = Instant::now();
        let known = ip.is_some_and(|ip| {
            self.known.lock().is_ok_and(|known| {
                known.get(&(user.to_owned(), ip)).is_some_and(|at| now.duration_since(*at) < KNOWN_ADDRESS)
            })
        });
        let mut failures = self.failures.lock().ok()?;
        keys(ip, user)
            .iter()
            // A name's lock spares the addresses its person logged in from.
            .filter(|key| !(known && key.starts_with("user:")))
            .filter_map(|key| {
                let most = if key.starts_with("user:") { MAX_FAILURES_PER_NAME } else { MAX_FAILURES };
                let times = failures.get_mut(key)?;
                times.retain(|time| now.duration_since(*time) < FAILURE_WINDOW);
                (times.len() >= most).then(|| FAILURE_WINDOW - now.duration_since(times[times.len() - most]))
            })
            .max()
    }

    /// `user` logged in from `ip`.
    pub fn succeeded(&self, ip: IpAddr, user: &str) {
        if let Ok(mut known) = self.known.lock() {
            let now = Instant::now();
            known.retain(|_, at| now.duration_since(*at) < KNOWN_ADDRESS);
            known.insert((user.to_owned(), ip), now);
        }
    }

    pub fn failed(&self, ip: Option<IpAddr>, user: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            for key in keys(ip, user) {
                failures.entry(key).or_default().push(Instant::now());
            }
        }
    }
}

fn keys(ip: Option<IpAddr>, user: &str) -> Vec<String> {
    ip.map(|ip| format!("ip:{ip}")).into_iter().chain([format!("user:{user}")]).collect()
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(axum::http::header::COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|value| {
        value.split(';').find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    })
}

/// The `Set-Cookie` value that starts a session.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}", LIFETIME.as_secs())
}

/// The `Set-Cookie` value that ends one.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// Whether a POST comes from the console's own pages: an `Origin` (or,
/// without one, a `Referer`) naming the host the request was sent to, and
/// no `Sec-Fetch-Site` other than same-origin. A request with neither
/// header (a script, not a browser) passes this check and still needs the
/// session's CSRF token.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if header("sec-fetch-site").is_some_and(|site| site != "same-origin" && site != "none") {
        return false;
    }
    let Some(host) = header("host") else { return false };
    let from = header("origin").filter(|origin| *origin != "null").or_else(|| header("referer"));
    match from {
        None => header("origin").is_none(),
        Some(from) => {
            let rest = from.strip_prefix("http://").or_else(|| from.strip_prefix("https://")).unwrap_or("");
            rest.split('/').next() == Some(host)
        }
    }
}

/// Compares a presented CSRF token with the session's.
pub fn csrf_matches(session: &Session, presented: &str) -> bool {
    crate::config::same_digest(&session.csrf, presented)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn only_the_consoles_own_origin_may_post() {
        let cases: &[(&[(&'static str, &'static str)], bool)] = &[
            (&[("host", "127.0.0.1:8420"), ("origin", "http://127.0.0.1:8420")], true),
            (&[("host", "127.0.0.1:8420"), ("origin", "http://evil.example")], false),
            (&[("host", "127.0.0.1:8420"), ("origin", "http://127.0.0.1:8420.evil.example")], false),
            (&[("host", "127.0.0.1:8420"), ("origin", "null")], false),
            (&[("host", "127.0.0.1:8420"), ("referer", "http://127.0.0.1:8420/console/approvals")], true),
            (&[("host", "127.0.0.1:8420"), ("referer", "http://evil.example/x")], false),
            (&[("host", "127.0.0.1:8420"), ("sec-fetch-site", "cross-site")], false),
            (
                &[("host", "127.0.0.1:8420"), ("origin", "http://127.0.0.1:8420"), ("sec-fetch-site", "same-site")],
                false,
            ),
            (&[("host", "127.0.0.1:8420")], true),
            (&[("origin", "http://127.0.0.1:8420")], false),
        ];
        for (pairs, expected) in cases {
            assert_eq!(same_origin(&headers(pairs)), *expected, "{pairs:?}");
        }
    }

    #[test]
    fn too_many_failures_lock_out_the_address_and_many_more_the_name() {
        let sessions = Sessions::default();
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        let elsewhere: Option<IpAddr> = Some("10.0.0.2".parse().unwrap());
        for _ in 0..MAX_FAILURES - 1 {
            sessions.failed(ip, "bob");
        }
        assert_eq!(sessions.locked_out(ip, "bob"), None);
        sessions.failed(ip, "bob");
        assert!(sessions.locked_out(ip, "bob").is_some());
        assert!(sessions.locked_out(ip, "alice").is_some(), "the address is locked out");
        assert_eq!(sessions.locked_out(elsewhere, "bob"), None, "one address cannot lock bob out");
        for index in 0..MAX_FAILURES_PER_NAME - MAX_FAILURES {
            sessions.failed(Some(IpAddr::from([10, 1, (index / 250) as u8, (index % 250) as u8])), "bob");
        }
        assert!(sessions.locked_out(elsewhere, "bob").is_some(), "guessing from many addresses is bounded");
        assert_eq!(sessions.locked_out(elsewhere, "alice"), None);
        // Where bob logged in before, the name's lock does not keep him out
        // (the address's own lock still would).
        let desk: IpAddr = "10.0.0.9".parse().unwrap();
        sessions.succeeded(desk, "bob");
        assert_eq!(sessions.locked_out(Some(desk), "bob"), None, "guessers cannot lock bob out of his desk");
        assert!(sessions.locked_out(elsewhere, "bob").is_some());
        for _ in 0..MAX_FAILURES {
            sessions.failed(Some(desk), "bob");
        }
        assert!(sessions.locked_out(Some(desk), "bob").is_some(), "guessing from the desk itself is bounded");
    }

    #[test]
    fn a_session_is_found_by_its_cookie_and_ended() {
        let sessions = Sessions::default();
        let (token, id) = sessions.start("bob", "$argon2id$v");
        assert_eq!(id, crate::config::token_digest(&token)[..16]);
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(&format!("a=b; {COOKIE}={token}")).unwrap());
        assert_eq!(sessions.of(&headers).unwrap().user, "bob");
        sessions.end(&headers);
        assert!(sessions.of(&headers).is_none());
        headers.insert("cookie", HeaderValue::from_static("guardrail_session=forged"));
        assert!(sessions.of(&headers).is_none());
    }
}
