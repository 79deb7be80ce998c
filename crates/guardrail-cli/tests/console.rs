//! The console in a real browser: Debian's Chromium, driven over WebDriver
//! by chromedriver. A person logs in, sees an agent's held command arrive
//! without reloading, approves it with a reason, and the command runs once;
//! the activity shows the run and who approved it. Screenshots are kept in
//! `target/tmp/console-screenshots/` as the test's artefacts. A browser that
//! cannot start fails the test.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

const PASSWORD: &str = "correct horse battery staple";

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Kills a child process when dropped (a failing test leaves none behind).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `guardrail serve` on a port of its own; its console's address.
fn serve(data: &Path) -> (Running, String) {
    let mut command = common::in_data_dir(data);
    command.args(["serve", "--listen", "127.0.0.1:0"]);
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "guardrail serve stopped before serving");
        if let Some(at) = line.find("http://") {
            break line[at..].split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (Running(child), url)
}

/// chromedriver on a free port, and a headless Chromium session through it.
async fn browser() -> (Running, Client) {
    // WebDriver is plain HTTP here; the client builder still wants a TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver must be installed (scripts/bootstrap installs chromium-driver)");
    let driver = Running(driver);
    let profile = tempfile::tempdir().unwrap().keep();
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", format!("--user-data-dir={}", profile.display())],
        }
    });
    let capabilities = match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return (driver, client),
            Err(error) => {
                assert!(Instant::now() < deadline, "the browser did not start: {error}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// The text of the element `css`. Pages reload themselves when the record
/// grows (live updates), so an element found may be gone before its text
/// is read: it is found again, for a few seconds.
async fn text(client: &Client, css: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let read = match client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await,
            Err(error) => Err(error),
        };
        match read {
            Ok(text) => return text,
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(error) => panic!("{css}: {error}"),
        }
    }
}

/// Waits until the element `css` is on the page (without reloading it).
async fn appears(client: &Client, css: &str, within: Duration) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(within)
        .every(Duration::from_millis(100))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("{css} did not appear within {within:?}: {error}"))
}

async fn log_in(client: &Client, url: &str, name: &str, password: &str) {
    client.goto(&format!("{url}/login")).await.unwrap();
    client.find(Locator::Id("name")).await.unwrap().send_keys(name).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_approves_a_held_command_in_the_console_and_it_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut add = common::in_data_dir(&data);
    add.args(["serve", "user", "add", "alice", "--role", "sre"]);
    let run = common::run(add, format!("{PASSWORD}\n").as_bytes());
    assert_eq!(run.status, 0, "{run:?}");
    let (_serve, url) = serve(&data);
    let (_driver, client) = browser().await;

    // Not logged in: every console page leads to the login.
    client.goto(&format!("{url}/console/activity")).await.unwrap();
    assert!(client.current_url().await.unwrap().as_str().ends_with("/login"));
    log_in(&client, &url, "alice", "not the password").await;
    // (argon2 takes its time in a debug build.)
    assert!(appears(&client, ".problem", Duration::from_secs(30)).await.text().await.unwrap().contains("do not match"));
    shot(&client, "01-login-refused").await;
    log_in(&client, &url, "alice", PASSWORD).await;
    appears(&client, "main#main h1", Duration::from_secs(30)).await;
    assert!(client.current_url().await.unwrap().as_str().ends_with("/console/approvals"));
    assert!(text(&client, "main").await.contains("Nothing waits for a decision."));

    // An agent's held command arrives while the page is open.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let kubectl = bin.join("kubectl");
    std::fs::write(&kubectl, "#!/bin/sh\necho \"kubectl ran: $*\"\n").unwrap();
    std::fs::set_permissions(&kubectl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut exec = common::in_data_dir(&data);
    exec.env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .args(["exec", "--wait", "--actor", "agent-x", "--actor-kind", "agent", "--"])
        .args(["kubectl", "scale", "deploy/web", "--replicas=0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let exec = exec.spawn().unwrap();
    let link = appears(&client, "table.requests a[href^='/console/approvals/apr-']", Duration::from_secs(20)).await;
    assert!(text(&client, "#live-status").await.starts_with("Updated"), "the page updated itself, live");
    shot(&client, "02-held-command-arrives").await;
    link.click().await.unwrap();

    // The request: the exact text, why it was held, and the decision.
    appears(&client, "form.decide", Duration::from_secs(10)).await;
    assert_eq!(text(&client, "pre.action").await, "kubectl scale deploy/web --replicas=0");
    assert!(text(&client, "main").await.contains("agent-x"));
    shot(&client, "03-approval-request").await;
    client
        .find(Locator::Id("reason"))
        .await
        .unwrap()
        .send_keys("INC-4521: draining web for the migration")
        .await
        .unwrap();
    client.find(Locator::Css("button.approve")).await.unwrap().click().await.unwrap();
    appears(&client, "ul.votes", Duration::from_secs(10)).await;
    let votes = text(&client, "ul.votes").await;
    assert!(votes.contains("alice") && votes.contains("approved") && votes.contains("INC-4521"), "{votes}");

    // The waiting command ran, once.
    let output = tokio::task::spawn_blocking(move || exec.wait_with_output()).await.unwrap().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "kubectl ran: scale deploy/web --replicas=0\n");
    shot(&client, "04-approved").await;

    // The activity: the run on approval, and the approval's own records.
    client.goto(&format!("{url}/console/activity?actor=agent-x&verdict=allow")).await.unwrap();
    let row = text(&client, "table.activity tbody").await;
    assert!(row.contains("kubectl scale deploy/web --replicas=0"), "{row}");
    client.goto(&format!("{url}/console/activity?kind=approval")).await.unwrap();
    let approvals = text(&client, "table.activity tbody").await;
    assert!(approvals.contains("approved by alice") && approvals.contains("requested by gate"), "{approvals}");
    shot(&client, "05-activity").await;
    client.goto(&format!("{url}/console/integrity")).await.unwrap();
    assert!(text(&client, "main").await.contains("Every chain verifies"));
    shot(&client, "06-integrity").await;
    client.close().await.unwrap();
}
