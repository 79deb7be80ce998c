//! A proxy of its own for each test: in front of a test database of its
//! own, recording to a data directory of its own.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use guardrail_audit::event::Event;
use guardrail_audit::{Location, Recorder, RecorderConfig};
use guardrail_core::{Actor, ActorKind, Policy};
use guardrail_gate::{DecisionPool, Gate, OwnPlaces};
use guardrail_proxy::scram::Verifier;
use guardrail_proxy::upstream::Upstream;
use guardrail_proxy::{Identity, Proxy, ProxySettings};
use guardrail_testdb::TestDatabase;

pub const AGENT: (&str, &str) = ("claude", "agent-secret-1");
pub const HUMAN: (&str, &str) = ("alice", "human-secret-2");

pub struct TestProxy {
    pub database: TestDatabase,
    pub address: SocketAddr,
    pub data_dir: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
    /// The database's name, which clients ask the proxy for.
    pub name: String,
}

impl TestProxy {
    pub fn start(test: &str) -> TestProxy {
        TestProxy::start_with(test, None)
    }

    /// A proxy with the default policy; `tls` is a certificate and key
    /// (PEM) to terminate TLS with.
    pub fn start_with(test: &str, tls: Option<(PathBuf, PathBuf)>) -> TestProxy {
        TestProxy::start_full(test, tls, Duration::ZERO)
    }

    /// A proxy that holds a statement waiting for approval up to `hold`.
    pub fn start_holding(test: &str, hold: Duration) -> TestProxy {
        TestProxy::start_full(test, None, hold)
    }

    fn start_full(test: &str, tls: Option<(PathBuf, PathBuf)>, approval_hold: Duration) -> TestProxy {
        let database = TestDatabase::new(test);
        let name = database.url().rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
        let data_dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let identity = |(name, password): (&str, &str), kind| Identity {
            actor: Actor::new(name, kind),
            verifier: Verifier::parse(&Verifier::of_password(password)).unwrap(),
        };
        let settings = ProxySettings {
            upstream: Upstream::parse(database.url(), None, None).unwrap(),
            identities: vec![identity(AGENT, ActorKind::Agent), identity(HUMAN, ActorKind::Human)],
            tls: tls.map(|(certificate, key)| guardrail_proxy::upstream::server_tls(&certificate, &key).unwrap()),
            environment: "production".into(),
            max_message_bytes: 1 << 20,
            max_server_connections: 40,
            mask: guardrail_proxy::mask::MaskRules { columns: vec!["email".into()], builtin: true, values: true },
            approval_hold,
            console: Some("http://console.test".into()),
        };
        let recorder = Recorder::open(RecorderConfig::new(
            Location::in_data_dir(data_dir.path()),
            "proxy-test".into(),
            data_dir.path().to_owned(),
        ))
        .unwrap();
        let gate = Gate::new(guardrail_gate::guard(Policy::default_policy(), &OwnPlaces::default()), Some(recorder));
        let pool = DecisionPool::new(gate.shared_guard(), 2, 1024, Duration::from_secs(5)).unwrap();
        let proxy = Arc::new(Proxy::new(settings, gate, pool));
        let address = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            tokio::spawn(proxy.serve(listener));
            address
        });
        TestProxy { database, address, data_dir, runtime, name }
    }

    /// A gate of a person's own (another node) on the proxy's record, to
    /// decide approval requests with; keep the directory of its key alive.
    pub fn approver(&self) -> (Gate, tempfile::TempDir) {
        let keys = tempfile::tempdir().unwrap();
        let recorder = Recorder::open(RecorderConfig::new(
            Location::in_data_dir(self.data_dir.path()),
            "console".into(),
            keys.path().into(),
        ))
        .unwrap();
        (Gate::new(guardrail_core::Guard::new(Policy::default_policy()), Some(recorder)), keys)
    }

    /// A libpq URL for `who` through the proxy.
    pub fn url(&self, (user, password): (&str, &str)) -> String {
        format!("postgres://{user}:{password}@{}/{}?sslmode=disable", self.address, self.name)
    }

    pub fn connect(&self, who: (&str, &str)) -> tokio_postgres::Client {
        let url = self.url(who);
        self.runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client
        })
    }

    /// Every event recorded so far (the recorder writes within milliseconds).
    pub fn events(&self) -> Vec<Event> {
        std::thread::sleep(Duration::from_millis(300));
        let mut store = Location::in_data_dir(self.data_dir.path()).open_read_only().unwrap();
        let records = store.chain("proxy-test", 0, 100_000).unwrap();
        records
            .into_iter()
            .filter_map(|record| guardrail_audit::query::Entry::decode(record).ok())
            .map(|entry| entry.event)
            .collect()
    }

    /// Runs psql through the proxy with `script` on standard input.
    pub fn psql(&self, who: (&str, &str), extra: &[&str], script: &str) -> std::process::Output {
        use std::io::Write;
        let mut child = std::process::Command::new("psql")
            .args(["-X", "-v", "ON_ERROR_STOP=0", "-h", "127.0.0.1", "-p", &self.address.port().to_string()])
            .args(["-U", who.0, "-d", &self.name])
            .args(extra)
            .env("PGPASSWORD", who.1)
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("psql runs (scripts/bootstrap installs postgresql-client)");
        child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }
}

/// The database's own answer, read directly (not through the proxy).
pub fn direct(proxy: &mut TestProxy, sql: &str) -> Vec<postgres::Row> {
    proxy.database.client.query(sql, &[]).unwrap()
}
